//! The wire-neutral input documents of a filing (also the sealed JSON form).

use serde::{Deserialize, Serialize};

/// A person (主体负责人 / 网站负责人).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    /// Name.
    pub name: String,
    /// Document type (`resident_id`, `passport`, …).
    pub id_type: String,
    /// Document number.
    pub id_number: String,
    /// Last valid day `YYYY-MM-DD`; absent for long-term.
    #[serde(default)]
    pub id_valid_until: Option<String>,
    /// Mobile.
    pub mobile: String,
    /// E-mail.
    pub email: String,
}

/// A filing entity (主体) as submitted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityInput {
    /// §1.4 key, e.g. `PERSON`, `ENTERPRISE`.
    pub entity_type: String,
    /// Name as on the certificate.
    pub name: String,
    /// Filing province: Chinese short name (`北京`) or GB/T 2260 code (`11`).
    pub province: String,
    /// Certificate type: a personal document type or `uscc`.
    pub cert_type: String,
    /// Certificate number.
    pub cert_no: String,
    /// Last valid day of the certificate; absent for long-term.
    #[serde(default)]
    pub cert_valid_until: Option<String>,
    /// Certificate / correspondence address.
    pub address: String,
    /// 主体负责人.
    pub principal: PersonInput,
    /// For units: the principal is the legal representative.
    #[serde(default = "yes")]
    pub principal_is_legal_rep: bool,
}

fn yes() -> bool {
    true
}

/// A pre-approval (前置审批) listed for a content type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreapprovalInput {
    /// Content type id.
    pub content_type: u8,
    /// Approval document number.
    pub document_no: String,
    /// Last valid day.
    #[serde(default)]
    pub valid_until: Option<String>,
}

/// A site (网站) as submitted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteInput {
    /// 网站名称.
    pub name: String,
    /// The one domain.
    pub domain: String,
    /// Homepage URL.
    pub homepage: String,
    /// Content type ids (0 其他, 100 博客/个人空间, R-PRE ids).
    pub content_types: Vec<u8>,
    /// Pre-approvals.
    #[serde(default)]
    pub preapprovals: Vec<PreapprovalInput>,
    /// Purpose / description.
    pub purpose: String,
    /// Languages, e.g. `zh-CN`.
    #[serde(default)]
    pub languages: Vec<String>,
    /// 互联网信息服务负责人.
    pub principal: PersonInput,
    /// Server addresses (access information).
    pub servers: Vec<String>,
    /// Remarks.
    #[serde(default)]
    pub remarks: Option<String>,
}

/// The data an order proposes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    /// The entity.
    pub entity: EntityInput,
    /// The site, for operations that carry one.
    #[serde(default)]
    pub site: Option<SiteInput>,
}
