//! What the registrar use cases refuse, each with its stable code, both messages and field.

use super::batches::MAX_BATCH;
use super::batches::MAX_RENEW_DAYS_BEFORE;
use super::cancellations::{MAX_DOCUMENT_BYTES, MAX_DOMAINS, STEPS};
use super::domains::MAX_BULK_CHECK;

crate::platform::error::error_enum! {
    /// What catalogue, availability, registration, renewal, transfers, contacts, batches and
    /// cancellations refuse.
    pub enum RegistrarError {
        /// The term must be 1 to 10 years.
        InvalidYears = BadRequest("INVALID_YEARS", field = "years") => (
            "the term must be 1 to 10 years",
            "期限须为 1 到 10 年",
        ),
        /// The account that started the batch is no longer active.
        AccountInactive = Forbidden("ACCOUNT_INACTIVE") => (
            "the account that started the batch is no longer active",
            "发起批量操作的账户已停用",
        ),
        /// The domain is already registered.
        Registered = Conflict("REGISTERED", field = "name") => (
            "the domain is already registered",
            "该域名已被注册",
        ),
        /// Another customer's checkout order holds the name until it is paid or lapses.
        HeldForOrder = Conflict("HELD_FOR_ORDER", field = "name") => (
            "this name is held by another customer's order awaiting payment; try again later",
            "该域名已被其他客户的待支付订单锁定，请稍后再试",
        ),
        /// A simplified/traditional variant of this name is registered.
        VariantRegistered = Conflict("VARIANT_REGISTERED", field = "name") => (
            "a simplified/traditional variant of this name is registered",
            "该域名的简繁体变体已被注册",
        ),
        /// The registry is unavailable, retry later.
        RegistryUnavailable = Unavailable("REGISTRY_UNAVAILABLE") => (
            "the registry is unavailable, retry later",
            "注册局暂不可用，请稍后重试",
        ),
        /// This cancellation request is no longer a draft.
        NotADraft = Conflict("NOT_A_DRAFT") => (
            "this cancellation request is no longer a draft",
            "该注销申请已提交或已处理",
        ),
        /// The confirmation code is wrong or expired.
        InvalidConfirmation = Unprocessable("INVALID_CONFIRMATION", field = "code") => (
            "the confirmation code is wrong or expired",
            "确认码错误或已过期",
        ),
        /// Confirm every checklist step first.
        ChecklistIncomplete = Conflict("CHECKLIST_INCOMPLETE") => (
            "confirm every checklist step first",
            "请先逐项确认注销清单",
        ),
        /// Too many wrong cancellation confirmation codes; retry later.
        ConfirmationLocked = TooManyRequests("RATE_LIMITED") => (
            "too many wrong confirmation codes; retry later",
            "确认码错误次数过多，请稍后重试",
        ),
        /// Cancelling a Chinese domain name under this TLD needs a supporting document.
        DocumentRequired = BadRequest("DOCUMENT_REQUIRED", field = "document") => (
            "cancelling a Chinese domain name under this TLD needs a supporting document",
            "注销该后缀的中文域名须上传证明文件",
        ),
        /// This cancellation request is not waiting for review.
        NotSubmitted = Conflict("NOT_SUBMITTED") => (
            "this cancellation request is not waiting for review",
            "该注销申请不在待审核状态",
        ),
        /// No such registrant contact.
        ContactNotFound = NotFound("CONTACT_NOT_FOUND", field = "registrant_contact_id") => (
            "no such registrant contact",
            "登记联系人不存在",
        ),
        /// A deleted domain cannot be changed.
        NotUpdatableInPhase = Unprocessable("NOT_UPDATABLE_IN_PHASE") => (
            "a deleted domain cannot be changed",
            "已删除的域名不可修改",
        ),
        /// This domain is not held for a naming review.
        NotUnderReview = Conflict("NOT_UNDER_REVIEW") => (
            "this domain is not held for a naming review",
            "该域名不在命名审核中",
        ),
        /// No such domain.
        DomainNotFound = NotFound("DOMAIN_NOT_FOUND") => ("no such domain", "未找到该域名"),
        /// No such nameserver.
        NameserverNotFound = NotFound("NAMESERVER_NOT_FOUND") => (
            "no such nameserver",
            "未找到该域名服务器",
        ),
        /// No such entity.
        EntityNotFound = NotFound("ENTITY_NOT_FOUND") => ("no such entity", "未找到该实体"),
        /// At most 13 nameservers.
        TooManyNameservers = BadRequest("TOO_MANY_NAMESERVERS", field = "nameservers") => (
            "at most 13 nameservers",
            "最多 13 个域名服务器",
        ),
        /// There is no pending request of this kind for the domain.
        NoPendingTransfer = Conflict("NO_PENDING_TRANSFER") => (
            "there is no pending request of this kind for the domain",
            "该域名没有待处理的此类请求",
        ),
        /// A rejection needs a reason of 1 to 500 characters.
        InvalidReason = BadRequest("INVALID_REASON", field = "reason") => (
            "a rejection needs a reason of 1 to 500 characters",
            "拒绝须填写 1 到 500 个字符的理由",
        ),
        /// The auth code is wrong.
        InvalidAuthCode = Forbidden("INVALID_AUTH_CODE", field = "auth_code") => (
            "the auth code is wrong",
            "转移密码错误",
        ),
        /// The domain already belongs to this account.
        AlreadyOwned = Conflict("ALREADY_OWNED") => (
            "the domain already belongs to this account",
            "该域名已在本账户中",
        ),
        /// A change of holder to the account that holds the domain already.
        AlreadyHolder = Conflict("ALREADY_OWNED", field = "to_email") => (
            "the domain already belongs to this account",
            "该域名已在本账户中",
        ),
        /// The target account has no verified contact with this id.
        ContactNotVerified = Conflict("CONTACT_NOT_VERIFIED", field = "to_contact_id") => (
            "the target account has no verified contact with this id",
            "目标账户没有该实名认证通过的联系人",
        ),
        /// A transfer or change of holder is already pending for this domain.
        TransferPending = Conflict("TRANSFER_PENDING") => (
            "a transfer or change of holder is already pending for this domain",
            "该域名已有待处理的转移或过户",
        ),
        /// The export format is tar.gz or zip.
        InvalidFormat = BadRequest("INVALID_FORMAT", field = "format") => (
            "the export format is tar.gz or zip",
            "导出格式须为 tar.gz 或 zip",
        ),
        /// A batch with no names or more than [`MAX_BATCH`].
        BatchSize { got: usize } = BadRequest("TOO_MANY_DOMAINS", field = "domains") => (
            format!("a batch names 1 to {MAX_BATCH} domains, got {got}"),
            format!("每批须包含 1 到 {MAX_BATCH} 个域名，实际 {got} 个"),
        ),
        /// An auto-renew threshold beyond [`MAX_RENEW_DAYS_BEFORE`].
        InvalidRenewThreshold = BadRequest("INVALID_RENEW_THRESHOLD", field = "days_before") => (
            format!("the threshold is 0 to {MAX_RENEW_DAYS_BEFORE} days before expiry"),
            format!("自动续费提前天数须为 0 到 {MAX_RENEW_DAYS_BEFORE}"),
        ),
        /// A catalogue entry that breaks a rule.
        InvalidCatalogue { field: String, en: String, zh: String }
            = BadRequest("INVALID_CATALOGUE", field = field) => (en, zh),
        /// A catalogue file that is not valid TOML of the expected shape.
        UnreadableCatalogue { reason: String } = BadRequest("INVALID_CATALOGUE")
            => (format!("not a valid catalogue file: {reason}"), "不是有效的目录文件"),
        /// The TLD's registry connector does not implement a command.
        UnsupportedOperation { what: &'static str } = Unprocessable("UNSUPPORTED_OPERATION") => (
            format!("the registry of this TLD does not support {what}"),
            format!("该顶级域的注册局不支持{what}操作"),
        ),
        /// The domain is in another open cancellation request.
        CancellationPending { name: String } = Conflict("CANCELLATION_PENDING") => (
            format!("{name} is already in an open cancellation request"),
            format!("{name} 已在进行中的注销申请中"),
        ),
        /// A cancellation request with no names or more than [`MAX_DOMAINS`].
        CancellationSize = BadRequest("TOO_MANY_DOMAINS", field = "names") => (
            format!("a request names 1 to {MAX_DOMAINS} domains"),
            format!("每次须包含 1 到 {MAX_DOMAINS} 个域名"),
        ),
        /// A checklist step that does not exist.
        UnknownStep = BadRequest("UNKNOWN_STEP", field = "step")
            => (format!("steps are {}", STEPS.join(", ")), format!("步骤须为 {}", STEPS.join("、"))),
        /// A checklist step confirmed before the one due.
        StepOutOfOrder { expected: &'static str } = Conflict("STEP_OUT_OF_ORDER", field = "step")
            => (format!("the next step is {expected}"), format!("下一步应为 {expected}")),
        /// A domain whose phase no longer allows cancelling it.
        NotCancellable { name: String, phase: String } = Conflict("NOT_CANCELLABLE") => (
            format!("{name} is {phase} and cannot be cancelled"),
            format!("{name} 当前状态不可注销"),
        ),
        /// A domain that still has ICP filings.
        FilingsBound { name: String } = Conflict("FILINGS_BOUND") => (
            format!("{name} still has ICP filings; unbind them first"),
            format!("{name} 仍有关联的 ICP 备案，请先解除"),
        ),
        /// A cancellation document that is empty, too large or nameless.
        InvalidDocument = BadRequest("INVALID_DOCUMENT", field = "document") => (
            format!("the document must be 1 byte to {MAX_DOCUMENT_BYTES} bytes, with a name"),
            "证明文件大小须在 1 字节到 2 MiB 之间并带文件名",
        ),
        /// A status flag on the domain forbids the change.
        StatusProhibits { status: &'static str } = Unprocessable("STATUS_PROHIBITS") => (
            format!("the domain's status {status} prohibits this change; unlock it first"),
            format!("域名状态 {status} 禁止此修改，请先解锁"),
        ),
        /// A looked-up name that is not a domain name.
        InvalidDomainName { reason: String } = BadRequest("INVALID_DOMAIN_NAME", field = "name")
            => (format!("not a domain name: {reason}"), "域名格式无效"),
        /// A looked-up nameserver that is not a host name.
        InvalidHostName { reason: String } = BadRequest("INVALID_NAMESERVER", field = "name")
            => (format!("not a host name: {reason}"), "主机名无效"),
        /// One of a domain's nameservers is not a host name.
        InvalidNameserver { index: usize, name: String, reason: String }
            = BadRequest("INVALID_NAMESERVER", field = format!("nameservers[{index}]")) => (
            format!("{name:?} is not a host name: {reason}"),
            format!("{name:?} 不是有效的主机名"),
        ),
        /// A bulk check of more than [`MAX_BULK_CHECK`] names.
        TooManyNames = BadRequest("TOO_MANY_NAMES", field = "names") => (
            format!("at most {MAX_BULK_CHECK} names per request"),
            format!("每次最多查询 {MAX_BULK_CHECK} 个域名"),
        ),
        /// A registrant whose real-name verification has not passed.
        RegistrantNotVerified { status: &'static str }
            = Conflict("CONTACT_NOT_VERIFIED", field = "contact_id") => (
            format!("the contact's real-name verification is {status}, not verified"),
            format!("该联系人的实名认证状态为 {status}，尚未通过"),
        ),
        /// The contact's document type takes other images.
        DocumentKindNotForContact { expected: String }
            = BadRequest("INVALID_DOCUMENT_KIND", field = "kind") => (
            format!("this contact's identity document takes these images: {expected}"),
            format!("该联系人的证件须上传以下图片：{expected}"),
        ),
        /// Documents of a contact that has been reviewed are kept as they were reviewed.
        DocumentsLocked = Conflict("CONTACT_DOCUMENTS_LOCKED", field = "kind") => (
            "the contact has been reviewed; its documents can no longer be replaced (create a new contact)",
            "该联系人已审核，证件图片不可再更换（请新建联系人）",
        ),
        /// Too many wrong auth codes from this account in the current window.
        AuthCodeLocked { retry_after: i64 } = TooManyRequests("RATE_LIMITED") => (
            format!("too many wrong auth codes; retry in {retry_after} seconds"),
            format!("转移密码错误次数过多，请 {retry_after} 秒后重试"),
        ),
    }
}
