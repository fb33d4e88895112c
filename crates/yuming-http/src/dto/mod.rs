//! Wire types of the JSON API. Requests reject unknown fields; times are RFC 3339 strings.

mod accounts;
mod audit;
mod billing;
mod common;
mod contacts;
mod dns;
mod domains;
mod notifications;
mod validation;

pub use accounts::{
    AccountDto, ApiKeyCreateRequest, ApiKeyCreated, ApiKeyDto, ApiKeyList, ApiKeyQuotaDto,
    LoginRequest, LoginResponse, PasskeyDto, PasskeyList, PasswordChangeRequest,
    ResendVerificationRequest, SignupRequest, SubAccountCreateRequest, SubAccountList,
    SubAccountUpdateRequest, TotpCodeRequest, TotpSetupResponse, UserCreateRequest,
    VerificationSentResponse, VerifyEmailRequest,
};
pub use audit::{
    AuditEntryDto, AuditList, AuditQuery, AuditReceiptDto, ConsistencyProofDto, ConsistencyQuery,
    ReceiptEntryDto, TreeHeadDto,
};
pub use billing::{
    BalanceDto, CreditDecisionRequest, CreditRequest, CreditRequestDto, CreditRequestList,
    LedgerDto, LedgerLineDto, NewCreditRequest, OrderDto, OrderList, TimePageQuery,
};
pub use common::{ErrorBody, ErrorDetail, Health, Readiness};
pub use contacts::{
    AddressRequest, ContactCreateRequest, ContactDocumentDto, ContactDto, ContactImageDto,
    ContactImagesDto, ContactList, ContactListQuery, CreditLimitRequest, FullAddressDto,
    NamingDecisionDto, RegionDto, RegistrantChangeRequest, ReviewContactDto, ReviewContactList,
    ReviewDecisionRequest, ReviewHistoryDto, VerificationDto,
};
pub use dns::{
    DnsRecordDto, DnsRecordRequest, DnsZoneDto, ZoneChangeDto, ZoneFileDto, ZoneHistoryDto,
};
pub use domains::{
    AuthCodeDto, BulkCheckRequest, BulkCheckResponse, CheckQuery, CheckResultDto, DomainDto,
    DomainList, DomainListQuery, DomainReceiptDto, DomainUpdateRequest, MoneyDto, PriceDto,
    PriceNoteDto, RegisterRequest, RenewRequest, SuggestionDto,
};
pub use notifications::{
    DisclosureDto, NotificationDto, NotificationList, NotificationPreferenceDto,
    NotificationPreferenceRequest, NotificationPreferences, UnreadCount,
};
pub use validation::{ProblemDto, ValidateOptions, ValidateRequest, ValidateResponse};
