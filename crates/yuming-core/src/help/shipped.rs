//! The articles the product ships, compiled in: each slug has a `zh-CN` and an `en` file in
//! `crates/yuming-core/help/`, front matter first (see [`super::parse_front_matter`]).

use super::ShippedArticle;

macro_rules! shipped_files {
    ($($slug:literal),* $(,)?) => {
        [$(($slug, include_str!(concat!("../../help/", $slug, ".zh-CN.md")),
                include_str!(concat!("../../help/", $slug, ".en.md")))),*]
    };
}

/// Slug, Chinese source and English source of every shipped article.
const FILES: [(&str, &str, &str); 42] = shipped_files![
    "search-and-register",
    "bulk-registration",
    "idn-names",
    "premium-and-reserved-names",
    "real-name-verification",
    "identity-documents",
    "contact-review-rejections",
    "top-up-and-balance",
    "payments-and-refunds",
    "invoices",
    "prices-and-promotions",
    "renewal-and-auto-renew",
    "expiry-periods",
    "expiry-notices",
    "safe-cancellation",
    "transfer-in",
    "transfer-out",
    "change-of-registrant",
    "dns-records",
    "nameservers",
    "account-security",
    "sub-accounts",
    "close-account",
    "icp-overview",
    "icp-first-filing",
    "icp-add-site",
    "icp-add-access",
    "icp-change",
    "icp-cancel",
    "icp-materials",
    "icp-sms-verification",
    "icp-rejection-reasons",
    "icp-site-names",
    "icp-after-approval",
    "api-keys",
    "signed-requests",
    "webhooks",
    "error-codes",
    "audit-receipts",
    "tickets",
    "complaints-and-appeals",
    "report-abuse",
];

/// Every shipped article in both languages. A file whose front matter does not parse is a
/// build defect that the tests catch; it is left out rather than shipped broken.
pub fn shipped() -> Vec<ShippedArticle> {
    let mut articles = Vec::with_capacity(FILES.len() * 2);
    for (slug, zh, en) in FILES {
        for (locale, source) in [("zh-CN", zh), ("en", en)] {
            if let Some((title, category, order, body)) = super::parse_front_matter(source) {
                articles.push(ShippedArticle {
                    slug,
                    locale,
                    category,
                    order,
                    title,
                    body,
                });
            }
        }
    }
    articles
}

/// How many files ship (two per slug), for the test that every one parses.
pub const SHIPPED_FILES: usize = FILES.len() * 2;
