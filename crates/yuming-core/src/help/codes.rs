//! From every error code and self-check finding to the help article that explains it. The
//! console puts a "help" link next to each error and finding it shows; a test in `yuming-app`
//! reads the application's source for every code it can return and requires each to be here
//! (or among the codes only staff see), and a test here requires every article to exist.

use crate::filing::RejectCode;

/// Where a code is explained: an article and, for codes with their own section, its anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelpLink {
    /// The article's address name.
    pub slug: &'static str,
    /// The section's id (the code itself) when the article has one per code.
    pub anchor: Option<&'static str>,
}

impl HelpLink {
    /// The path of the article (and section) on the help centre.
    pub fn path(&self) -> String {
        match self.anchor {
            Some(anchor) => format!("/help/articles/{}#{anchor}", self.slug),
            None => format!("/help/articles/{}", self.slug),
        }
    }
}

/// Each article with the codes it explains.
pub const CODE_ARTICLES: &[(&str, &[&str])] = &[
    (
        "search-and-register",
        &[
            "INVALID_DOMAIN_NAME",
            "REGISTERED",
            "ALREADY_OWNED",
            "INVALID_YEARS",
            "REGISTRY_UNAVAILABLE",
            "HELD_FOR_ORDER",
            "ORDER_ITEM_UNAVAILABLE",
            "DUPLICATE_ORDER_ITEM",
            "INVALID_ORDER_ITEMS",
            "ORDER_NOTHING_DUE",
            "ORDER_NOT_PAYABLE",
            "UNSUPPORTED_OPERATION",
            "NOT_UPDATABLE_IN_PHASE",
            "DOMAIN_NOT_FOUND",
            "NAMESERVER_NOT_FOUND",
            "TOO_MANY_NAMESERVERS",
            "INVALID_NAMESERVER",
        ],
    ),
    (
        "bulk-registration",
        &[
            "TOO_MANY_NAMES",
            "ACCOUNT_INACTIVE",
            "UNKNOWN_OPERATION",
            "TOO_MANY",
        ],
    ),
    ("idn-names", &["VARIANT_REGISTERED"]),
    ("premium-and-reserved-names", &["NOT_UNDER_REVIEW"]),
    (
        "real-name-verification",
        &[
            "CONTACT_NOT_VERIFIED",
            "CONTACT_NOT_FOUND",
            "CONTACT_DOCUMENTS_LOCKED",
            "DOCUMENT_REQUIRED",
            "INVALID_CONTACT_KIND",
            "INVALID_DISPLAY_NAME",
            "INVALID_ADDRESS",
            "INVALID_COUNTRY",
            "INVALID_POSTAL_CODE",
            "INVALID_PHONE",
            "ENTITY_NOT_FOUND",
        ],
    ),
    (
        "identity-documents",
        &[
            "INVALID_DOCUMENT",
            "INVALID_DOCUMENT_KIND",
            "ID_TYPE_NOT_ALLOWED",
            "NAME_NOT_CHINESE",
            "INVALID_FORMAT",
            "FILE_REQUIRED",
            "INVALID_UPLOAD",
        ],
    ),
    (
        "top-up-and-balance",
        &[
            "INSUFFICIENT_BALANCE",
            "INVALID_AMOUNT",
            "INVALID_THRESHOLD",
            "UNKNOWN_CURRENCY",
            "UNSUPPORTED_CURRENCY",
        ],
    ),
    (
        "payments-and-refunds",
        &[
            "ORDER_AMOUNT_MISMATCH",
            "PAYMENT_BILL_UNAVAILABLE",
            "PAYMENT_GATEWAY_REFUSED",
            "PAYMENT_GATEWAY_UNAVAILABLE",
            "PAYMENT_NOT_REFUNDABLE",
            "REFUND_EXCEEDS_BALANCE",
            "REFUND_EXCEEDS_PAYMENT",
            "UNKNOWN_ORDER",
            "UNKNOWN_PAYMENT_METHOD",
            "UNKNOWN_SERVICE",
            "INVALID_SERVICE",
        ],
    ),
    (
        "invoices",
        &[
            "ALREADY_INVOICED",
            "INVALID_INVOICE_FIELD",
            "INVALID_INVOICE_KIND",
            "INVALID_TAX_ID",
            "NOTHING_TO_INVOICE",
            "PAYMENT_INVOICED",
            "INVOICE_NOT_ISSUED",
            "INVALID_PERIOD",
        ],
    ),
    (
        "prices-and-promotions",
        &[
            "INVALID_COUPON",
            "INVALID_COUPON_CODE",
            "UNKNOWN_COUPON",
            "COUPON_ACCOUNT_LIMIT",
            "COUPON_EXHAUSTED",
            "COUPON_NOT_APPLICABLE",
        ],
    ),
    ("renewal-and-auto-renew", &["INVALID_RENEW_THRESHOLD"]),
    ("expiry-periods", &["STATUS_PROHIBITS"]),
    (
        "safe-cancellation",
        &[
            "CANCELLATION_PENDING",
            "CHECKLIST_INCOMPLETE",
            "INVALID_CONFIRMATION",
            "NOT_A_DRAFT",
            "NOT_CANCELLABLE",
            "NOT_SUBMITTED",
            "FILINGS_BOUND",
            "STEP_OUT_OF_ORDER",
            "UNKNOWN_STEP",
        ],
    ),
    (
        "transfer-in",
        &[
            "INVALID_AUTH_CODE",
            "TRANSFER_PENDING",
            "NO_PENDING_TRANSFER",
        ],
    ),
    ("dns-records", &["IMPORT_MODE_INVALID"]),
    (
        "account-security",
        &[
            "INVALID_CREDENTIALS",
            "WRONG_PASSWORD",
            "WEAK_PASSWORD",
            "ACCOUNT_LOCKED",
            "ACCOUNT_DISABLED",
            "EMAIL_TAKEN",
            "INVALID_EMAIL",
            "EMAIL_NOT_VERIFIED",
            "INVALID_VERIFICATION_TOKEN",
            "SIGNUP_CLOSED",
            "TERMS_NOT_ACCEPTED",
            "INVALID_NAME",
            "INVALID_TOTP",
            "TOTP_ALREADY_ENABLED",
            "TOTP_NOT_ENABLED",
            "TOTP_NOT_STARTED",
            "TOTP_REQUIRED",
            "SECOND_FACTOR_REQUIRED",
            "LOGIN_STEP_EXPIRED",
            "INVALID_PASSKEY",
            "PASSKEY_EXISTS",
            "PASSKEYS_UNAVAILABLE",
            "TOO_MANY_PASSKEYS",
            "SERVER_BUSY",
            "INTERACTIVE_SESSION_REQUIRED",
            "NOT_A_SESSION",
        ],
    ),
    (
        "sub-accounts",
        &[
            "NOT_A_PARENT_ACCOUNT",
            "RIGHT_NOT_GRANTABLE",
            "RIGHT_NOT_HELD",
            "UNKNOWN_RIGHT",
            "FORBIDDEN",
            "ACCOUNT_NOT_FOUND",
        ],
    ),
    (
        "close-account",
        &[
            "ACCOUNT_NOT_EMPTY",
            "CLOSURE_PENDING",
            "NO_CLOSURE_REQUEST",
            "INVALID_REASON",
            "REASON_REQUIRED",
        ],
    ),
    (
        "icp-first-filing",
        &[
            "INVALID_OPERATION",
            "FILING_TYPE_MISMATCH",
            "INVALID_ENTITY_TYPE",
            "INVALID_ID_TYPE",
            "INVALID_PROVINCE",
            "MIXED_ENTITIES",
            "FIELD_LOCKED",
            "FIELD_OUTSIDE_OPERATION",
            "UNKNOWN_FIELD",
            "INVALID_FIELD_VALUE",
            "INVALID_LENGTH",
            "INVALID_DATE",
            "ORDER_NOT_EDITABLE",
            "INVALID_STATE",
            "CONCURRENT_CHANGE",
            "DUPLICATE_DOMAIN",
            "TOO_MANY_DOMAINS",
            "INVALID_DOMAIN",
            "SITE_REQUIRED",
        ],
    ),
    (
        "icp-add-access",
        &[
            "INVALID_IP",
            "INVALID_CIDR",
            "SERVER_TAKEN",
            "TOO_MANY_SERVERS",
        ],
    ),
    (
        "icp-change",
        &[
            "NOT_FILED",
            "ENTITY_NOT_FILED",
            "SITE_MISMATCH",
            "SITE_STATE",
        ],
    ),
    ("icp-cancel", &["ENTITY_CANCELLED"]),
    (
        "icp-materials",
        &[
            "INVALID_MATERIAL_KIND",
            "MATERIALS_BUSY",
            "MATERIAL_BOMB",
            "MATERIAL_CORRUPT",
            "MATERIAL_GREYSCALE",
            "MATERIAL_LOW_DPI",
            "MATERIAL_TOO_LARGE",
            "MATERIAL_TOO_MANY_PIXELS",
            "MATERIAL_TOO_SMALL",
            "MATERIAL_TYPE",
        ],
    ),
    (
        "icp-sms-verification",
        &["SMS_CODE_WRONG", "SMS_RETURNED", "INVALID_CODE"],
    ),
    (
        "icp-rejection-reasons",
        &[
            "SELF_CHECK_FAILED",
            "SUBMISSION_LIMIT",
            "AUTHORITY_UNAVAILABLE",
            "INVALID_REJECT_CODE",
            "INVALID_SCOPE",
        ],
    ),
    (
        "icp-after-approval",
        &[
            "NO_CERTIFICATE",
            "CERTIFICATE_REQUIRED",
            "LOOKUP_KEY_REQUIRED",
            "INVALID_ICP_NUMBER",
            "INVALID_NOTE_KIND",
        ],
    ),
    (
        "api-keys",
        &[
            "INVALID_API_KEY",
            "INVALID_TOKEN",
            "API_KEY_QUOTA_EXCEEDED",
            "API_KEY_SOURCE_NOT_ALLOWED",
            "API_KEY_SCOPE_MISSING",
            "SCOPES_REQUIRED",
            "SCOPE_NOT_HELD",
            "UNKNOWN_SCOPE",
            "INVALID_QUOTA",
            "TOO_MANY_CIDRS",
            "AMBIGUOUS_CREDENTIALS",
        ],
    ),
    ("signed-requests", &["REPLAYED_NONCE"]),
    (
        "webhooks",
        &[
            "INVALID_WEBHOOK_URL",
            "WEBHOOK_URL_PRIVATE",
            "WEBHOOK_DISABLED",
            "TOO_MANY_WEBHOOKS",
            "INVALID_DESCRIPTION",
            "UNKNOWN_CHANNEL",
            "UNKNOWN_NOTICE_KIND",
        ],
    ),
    (
        "error-codes",
        &[
            "UNAUTHENTICATED",
            "NOT_FOUND",
            "INTERNAL",
            "UNAVAILABLE",
            "TIMEOUT",
            "RATE_LIMITED",
            "INVALID_JSON",
            "INVALID_QUERY",
            "INVALID_TYPE",
            "INVALID_BASE64",
            "INVALID_TIME",
            "MISSING_FIELD",
            "INVALID_CURSOR",
            "INVALID_IDEMPOTENCY_KEY",
            "IDEMPOTENCY_KEY_IN_PROGRESS",
            "IDEMPOTENCY_KEY_REUSED",
            "CHANGED_SINCE_OPENED",
        ],
    ),
    ("audit-receipts", &["INVALID_TREE_SIZES"]),
    (
        "tickets",
        &[
            "INVALID_CATEGORY",
            "INVALID_PRIORITY",
            "INVALID_RATING",
            "INVALID_RELATED",
            "INVALID_SUBJECT",
            "INVALID_BODY",
            "ATTACHMENT_TOO_LARGE",
            "ATTACHMENT_TYPE",
            "TOO_MANY_ATTACHMENTS",
            "TICKET_CHANGED",
            "TICKET_CLOSED",
            "NOT_RATABLE",
            "INVALID_TITLE",
            "INVALID_STATUS",
        ],
    ),
    (
        "complaints-and-appeals",
        &["INVALID_KIND", "COMPLAINT_STEP"],
    ),
    ("report-abuse", &["CHALLENGE_FAILED", "DOMAIN_NOT_HERE"]),
];

/// Codes that only staff meet (review queues, finance, operations, editing the help centre):
/// the console shows them without a help-centre link.
pub const STAFF_CODES: &[&str] = &[
    "CLAIMED_BY_OTHER",
    "NOT_CLAIMED",
    "OWN_SUBMISSION",
    "CONTACT_NOT_PENDING",
    "INVALID_DECISION",
    "REJECTION_COMMENT_REQUIRED",
    "CREDIT_REQUEST_DECIDED",
    "OWN_CREDIT_REQUEST",
    "SECOND_APPROVAL_REQUIRED",
    "DEBIT_EXCEEDS_BALANCE",
    "NOT_A_TENANT",
    "INVALID_NOTE",
    "INVOICE_DECIDED",
    "INVALID_INVOICE_NUMBER",
    "INVALID_STATEMENT",
    "STATEMENT_LINE_SETTLED",
    "UNKNOWN_ACCOUNT",
    "UNKNOWN_DECISION",
    "UNKNOWN_DIRECTION",
    "UNKNOWN_ACTION",
    "INVALID_ROLE",
    "INVALID_CATALOGUE",
    "INVALID_PRICE_RULE",
    "UNKNOWN_PRICE_LEVEL",
    "COUPON_CODE_TAKEN",
    "INVALID_ASSIGNEE",
    "JOB_RUNNING_ELSEWHERE",
    "SMTP_NOT_CONFIGURED",
    "NOTHING_TO_DO",
    "INVALID_SLUG",
    "INVALID_ARTICLE_BODY",
    "INVALID_HELP_CATEGORY",
    "INVALID_LOCALE",
    "INVALID_AUDIENCE",
    "SLUG_TAKEN",
    "NO_SUCH_REVISION",
];

/// The article that explains `code`: an ICP rejection or self-check code links to its own
/// section of the rejection article, any other code to the article that lists it.
pub fn article_for_code(code: &str) -> Option<HelpLink> {
    if let Some(reject) = RejectCode::parse(code) {
        return Some(HelpLink {
            slug: "icp-rejection-reasons",
            anchor: Some(reject.as_str()),
        });
    }
    CODE_ARTICLES
        .iter()
        .find(|(_, codes)| codes.contains(&code))
        .map(|(slug, _)| HelpLink { slug, anchor: None })
}
