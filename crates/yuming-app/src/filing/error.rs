//! What the filing use cases refuse, each with its stable code, both messages and field.

use super::batch::MAX_BATCH_SITES;
use super::materials::KINDS;

crate::platform::error::error_enum! {
    /// What entities, sites, servers, orders, materials, review, sync and certificates refuse.
    pub enum FilingError {
        /// Every site of a batch belongs to one entity.
        MixedEntities = BadRequest("MIXED_ENTITIES") => (
            "every site of a batch belongs to one entity",
            "批量备案的网站须属于同一主体",
        ),
        /// The domain is already in this batch.
        DuplicateDomain = BadRequest("DUPLICATE_DOMAIN", field = "site.domain") => (
            "the domain is already in this batch",
            "该域名在本批次中重复",
        ),
        /// The site has no filing number yet.
        NotFiled = Conflict("NOT_FILED") => ("the site has no filing number yet", "该网站尚未取得备案号"),
        /// The site has no certificate (it is not filed).
        NoCertificate = NotFound("NO_CERTIFICATE") => (
            "the site has no certificate (it is not filed)",
            "该网站没有备案证书（尚未备案）",
        ),
        /// Only a filed site has a certificate.
        NotFiledNoCertificate = Conflict("NOT_FILED") => (
            "only a filed site has a certificate",
            "只有已备案的网站才有备案证书",
        ),
        /// This address is already registered to an account.
        ServerTaken = Conflict("SERVER_TAKEN") => (
            "this address is already registered to an account",
            "该 IP 已登记在某账号下",
        ),
        /// Too many wrong codes or the code expired: the order was returned; submit it again.
        SmsReturned = Conflict("SMS_RETURNED", field = "code") => (
            "too many wrong codes or the code expired: the order was returned; submit it again",
            "验证码错误次数过多或已过期，订单已退回，请重新提交",
        ),
        /// The order changed meanwhile; reload and retry.
        ConcurrentChange = Conflict("CONCURRENT_CHANGE") => (
            "the order changed meanwhile; reload and retry",
            "订单已被修改，请刷新后重试",
        ),
        /// The filing authority did not answer; the order will be retried.
        AuthorityUnavailable = Unavailable("AUTHORITY_UNAVAILABLE") => (
            "the filing authority did not answer; the order will be retried",
            "备案系统暂无响应，稍后将自动重试",
        ),
        /// Another reviewer has claimed this order.
        ClaimedByOther = Conflict("CLAIMED_BY_OTHER") => (
            "another reviewer has claimed this order",
            "该订单已被其他审核员领取",
        ),
        /// Claim the order before deciding.
        NotClaimed = Conflict("NOT_CLAIMED") => ("claim the order before deciding", "请先领取订单再审核"),
        /// Materials can be changed only while the order is with the applicant.
        OrderNotEditable = Conflict("ORDER_NOT_EDITABLE") => (
            "materials can be changed only while the order is with the applicant",
            "订单不在申请人处理阶段，不能修改材料",
        ),
        /// The entity already has an order in progress; finish or abandon it first.
        OrderConflict = Conflict("ORDER_CONFLICT", field = "entity_id") => (
            "the entity already has an order in progress; finish or abandon it first",
            "该主体已有进行中的备案订单，请先完成或放弃",
        ),
        /// The entity is cancelled.
        EntityCancelled = BadRequest("ENTITY_CANCELLED", field = "entity_id") => (
            "the entity is cancelled",
            "该主体已注销",
        ),
        /// 1 to 500 servers at a time.
        ServerBatchSize = BadRequest("INVALID_LENGTH", field = "servers") => (
            "1 to 500 servers at a time",
            "每次 1 至 500 台服务器",
        ),
        /// Expected an address or address/prefix.
        InvalidCidr = BadRequest("INVALID_CIDR", field = "cidr") => (
            "expected an address or address/prefix",
            "须为 IP 地址或 IP/前缀",
        ),
        /// Not a verification code.
        InvalidCode = BadRequest("INVALID_CODE", field = "code") => (
            "not a verification code",
            "验证码格式无效",
        ),
        /// Scope is national (no key), province (GB/T 2260 code) or provider (name).
        InvalidScope = BadRequest("INVALID_SCOPE", field = "scope") => (
            "scope is national (no key), province (GB/T 2260 code) or provider (name)",
            "范围须为 national（无键）、province（省级代码）或 provider（接入商名）",
        ),
        /// Unknown province.
        InvalidProvince = BadRequest("INVALID_PROVINCE", field = "entity.province") => (
            "unknown province",
            "未知省份",
        ),
        /// Unknown entity type.
        InvalidEntityType = BadRequest("INVALID_ENTITY_TYPE", field = "entity.entity_type") => (
            "unknown entity type",
            "未知主办单位性质",
        ),
        /// Not a domain name.
        InvalidDomain = BadRequest("INVALID_DOMAIN", field = "site.domain") => (
            "not a domain name",
            "域名格式无效",
        ),
        /// At most 64 servers.
        TooManyServers = BadRequest("TOO_MANY_SERVERS", field = "site.servers") => (
            "at most 64 servers",
            "最多 64 个服务器",
        ),
        /// 1 to 50 rejected fields.
        RejectionCount = BadRequest("INVALID_LENGTH", field = "rejections") => (
            "1 to 50 rejected fields",
            "须列出 1 至 50 个驳回字段",
        ),
        /// Kind is message (or call, for staff).
        InvalidNoteKind = BadRequest("INVALID_NOTE_KIND", field = "kind") => (
            "kind is message (or call, for staff)",
            "类型须为 message（审核员可用 call）",
        ),
        /// Unknown operation.
        InvalidOperation = BadRequest("INVALID_OPERATION", field = "operation") => (
            "unknown operation",
            "未知备案类型",
        ),
        /// This operation needs a filed entity.
        EntityNotFiled = BadRequest("ENTITY_NOT_FILED", field = "entity_id") => (
            "this operation needs a filed entity",
            "该操作需要已备案的主体",
        ),
        /// The entity is filed: add a site or change it instead.
        AlreadyFiled = BadRequest("ALREADY_FILED", field = "operation") => (
            "the entity is filed: add a site or change it instead",
            "该主体已备案，请办理新增网站或变更",
        ),
        /// This operation needs a site.
        SiteRequired = BadRequest("SITE_REQUIRED", field = "site_id") => (
            "this operation needs a site",
            "该操作需要指定网站",
        ),
        /// The order's site cannot be added or removed.
        SiteMismatch = BadRequest("SITE_MISMATCH", field = "site") => (
            "the order's site cannot be added or removed",
            "不能增删订单中的网站",
        ),
        /// A batch with no sites or more than [`MAX_BATCH_SITES`].
        BatchSize { got: usize } = BadRequest("TOO_MANY_DOMAINS", field = "items") => (
            format!("a batch files 1 to {MAX_BATCH_SITES} sites, got {got}"),
            format!("批量备案须包含 1 到 {MAX_BATCH_SITES} 个网站，实际 {got} 个"),
        ),
        /// A server address that is not an IP address.
        InvalidIp { field: String } = BadRequest("INVALID_IP", field = field)
            => ("not an IP address", "IP 地址格式无效"),
        /// A wrong SMS code with tries left.
        SmsCodeWrong { remaining: u32 } = BadRequest("SMS_CODE_WRONG", field = "code") => (
            format!("wrong code; {remaining} tries left before the order is returned"),
            format!("验证码错误，还可尝试 {remaining} 次，之后订单将被退回"),
        ),
        /// A daily submission limit (per account or per source IP) is reached.
        SubmissionLimit { limit: i64, per_account: bool, resets: String }
            = TooManyRequests("SUBMISSION_LIMIT") => (
            format!(
                "at most {limit} filing submissions per {} per day; the limit resets at {resets}",
                if per_account { "account" } else { "source IP" }
            ),
            format!(
                "每个{}每天最多提交 {limit} 次备案，限制将于 {resets} 解除",
                if per_account { "账号" } else { "IP" }
            ),
        ),
        /// The self-check still has blocking problems (`code (field)` each).
        SelfCheckFailed { problems: Vec<String> } = Unprocessable("SELF_CHECK_FAILED") => (
            format!("fix these problems first: {}", problems.join(", ")),
            format!("请先解决以下问题：{}", problems.join("，")),
        ),
        /// A date that is not YYYY-MM-DD.
        InvalidDate { field: String } = BadRequest("INVALID_DATE", field = field)
            => ("dates are YYYY-MM-DD", "日期格式须为 YYYY-MM-DD"),
        /// An identity document type that does not exist.
        InvalidIdType { field: String } = BadRequest("INVALID_ID_TYPE", field = field)
            => ("unknown document type", "未知证件类型"),
        /// A text field that is empty or longer than `max` characters.
        TextLength { field: String, max: usize }
            = BadRequest("INVALID_LENGTH", field = field.clone()) => (
            format!("{field} must have 1 to {max} characters"),
            format!("{field} 须为 1 至 {max} 个字符"),
        ),
        /// An order event its current status does not allow.
        InvalidState { status: &'static str, status_zh: &'static str, event: String }
            = Conflict("INVALID_STATE") => (
            format!("the order is {status} and cannot {event}"),
            format!("订单当前状态为“{status_zh}”，不能执行该操作"),
        ),
        /// A rejection code outside the catalogue.
        InvalidRejectCode { index: usize }
            = BadRequest("INVALID_REJECT_CODE", field = format!("rejections[{index}].code"))
            => ("not a rejection code of the catalogue", "不是驳回原因目录中的代码"),
        /// A material kind outside [`KINDS`].
        InvalidMaterialKind = BadRequest("INVALID_MATERIAL_KIND", field = "kind") => (
            format!("kind is one of {}", KINDS.join(", ")),
            format!("材料类型须为 {} 之一", KINDS.join("、")),
        ),
        /// A site in the wrong filing state for the operation.
        SiteState { want_filed: bool } = BadRequest("SITE_STATE", field = "site_id") => (
            if want_filed {
                "this operation needs a filed site"
            } else {
                "this operation needs a site that is not filed yet"
            },
            if want_filed { "该操作需要已备案的网站" } else { "该操作需要尚未备案的网站" },
        ),
        /// A field the order's status does not let the applicant change.
        FieldLocked { field: String, status: &'static str, status_zh: &'static str }
            = Conflict("FIELD_LOCKED", field = field.clone()) => (
            format!("{field} cannot be changed in status {status}"),
            format!("当前状态（{status_zh}）下不能修改 {field}"),
        ),
        /// The order's operation does not change this field (变更网站 changes the website only…).
        FieldOutsideOperation { field: String, operation: &'static str, operation_zh: &'static str }
            = Conflict("FIELD_OUTSIDE_OPERATION", field = field.clone()) => (
            format!("a {operation} order cannot change {field}"),
            format!("{operation_zh}不能修改 {field}"),
        ),
        /// A form named a field the proposed data does not have.
        UnknownField { field: String } = BadRequest("UNKNOWN_FIELD", field = field.clone()) => (
            format!("{field} is not a field of this order"),
            format!("{field} 不是该备案订单的字段"),
        ),
        /// A form's value does not fit its field.
        InvalidFieldValue { field: String } = BadRequest("INVALID_FIELD_VALUE", field = field.clone()) => (
            format!("the value of {field} has the wrong form"),
            format!("{field} 的取值格式不正确"),
        ),
        /// The authority's records do not allow the declared operation.
        FilingTypeMismatch { operation: &'static str, reason: &'static str }
            = Unprocessable("FILING_TYPE_MISMATCH", field = "operation") => (
            format!("the authority's records do not allow a {operation} order here ({reason})"),
            format!("根据管局记录，不能办理该类型备案（{reason}）"),
        ),
        /// A public lookup by a string that is not a domain name.
        LookupDomain { reason: String, reason_zh: String }
            = BadRequest("INVALID_DOMAIN", field = "domain")
            => (format!("not a domain name: {reason}"), format!("不是有效的域名：{reason_zh}")),
        /// A public lookup by a string that is not an ICP filing number.
        LookupNumber { reason: String, reason_zh: String }
            = BadRequest("INVALID_ICP_NUMBER", field = "number") => (
            format!("not an ICP filing number: {reason}"),
            format!("备案号格式不正确：{reason_zh}"),
        ),
    }
}
