//! The filing authority port (工信部/管局 system) and the built-in sandbox that behaves like it:
//! it accepts a submission and decides later, sends the SMS verification codes itself (as
//! MIIT does, to the principals' mobiles), returns an order after 24 h or the 6th wrong code,
//! and issues numbers in the §1.10 grammar.
//!
//! The sandbox keeps its records (tickets, code hashes, serials, filed subjects and sites, the
//! messages it sent) in the platform's database, in tables of its own, so that every instance
//! (`serve`, `jobs run-once`, the next start) sees the same authority; a ticket is decided
//! under a row lock, so two instances syncing at once issue one number.
//!
//! Like the platform's own tables, the sandbox's hold no personal data in clear: subjects and
//! sites are keyed by a blind index of the certificate, a ticket keeps its certificate
//! sealed, and a text message is filed under a blind index of the mobile it went to.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use yuming_core::clock::Timestamp;
use yuming_core::filing::{AuthorityLookup, Operation, SiteAtAuthority, SubjectAtAuthority};
use yuming_core::rules::icp_number::IcpFilingNumber;
use yuming_core::rules::province;
use yuming_store::{Db, SandboxSubjectRow, SandboxTicketRow, StoreError, Tx};

use crate::platform::BoxFuture;
use crate::platform::crypto::Cipher;

/// Blind-index purposes of the sandbox's certificate keys and mobiles.
pub(crate) const SANDBOX_CERT_INDEX: &str = "sandbox.cert";
pub(crate) const SANDBOX_MOBILE_INDEX: &str = "sandbox.mobile";

pub(crate) fn ticket_cert_context(ticket_id: &str) -> String {
    format!("sandbox.ticket.cert:{ticket_id}")
}

/// A failure talking to the authority (the order stays where it is; `sync` retries).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorityError {
    /// The ticket is unknown to the authority.
    #[error("unknown ticket")]
    UnknownTicket,
    /// The authority refused the request as malformed.
    #[error("refused: {0}")]
    Refused(String),
    /// Not reachable now.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// What is pushed to the authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// The platform's order id.
    pub order_id: String,
    /// The operation.
    pub operation: Operation,
    /// GB/T 2260 province code.
    pub province: u8,
    /// The certificate as the authority identifies it (type and number).
    pub cert_key: String,
    /// The site's domain, for operations that carry a site.
    pub domain: Option<String>,
    /// The existing site number, for operations on a filed site.
    pub site_no: Option<String>,
    /// Mobiles that receive the SMS code.
    pub mobiles: Vec<String>,
}

/// The authority accepted a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// The authority's reference.
    pub id: String,
    /// Whether it asks for SMS verification.
    pub sms_required: bool,
}

/// Where a submission stands at the authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorityStatus {
    /// Waiting for the SMS code.
    AwaitingSms,
    /// Returned to the applicant (SMS timeout or too many wrong codes).
    Returned,
    /// Under bureau review.
    InReview,
    /// Approved; numbers issued (`site_no` for operations that create a site).
    Approved {
        /// 主体备案号.
        subject_no: String,
        /// 网站备案号.
        site_no: Option<String>,
    },
    /// Rejected with §1.8 codes.
    Rejected {
        /// The codes.
        codes: Vec<String>,
    },
}

/// The result of entering an SMS code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsOutcome {
    /// Accepted: the submission goes to bureau review.
    Verified,
    /// Wrong; `remaining` tries left before the order is returned.
    Wrong {
        /// Tries left.
        remaining: u32,
    },
    /// Returned to the applicant (expired, or the 6th wrong code).
    Returned,
}

/// The authority. Every call is network I/O for a real connector: never call it inside a
/// database transaction.
pub trait FilingAuthority: Send + Sync {
    /// §1.3 look-up: what is filed for this certificate and domain.
    fn lookup<'a>(
        &'a self,
        cert_key: &'a str,
        domain: Option<&'a str>,
    ) -> BoxFuture<'a, Result<AuthorityLookup, AuthorityError>>;

    /// Pushes an order.
    fn submit<'a>(
        &'a self,
        submission: &'a Submission,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Ticket, AuthorityError>>;

    /// Enters an SMS code.
    fn verify_sms<'a>(
        &'a self,
        ticket: &'a str,
        code: &'a str,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<SmsOutcome, AuthorityError>>;

    /// The submission's status at `now`.
    fn status<'a>(
        &'a self,
        ticket: &'a str,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<AuthorityStatus, AuthorityError>>;
}

/// Sandbox behaviour.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxConfig {
    /// Seconds between SMS verification and the bureau's decision.
    pub decision_delay_secs: i64,
    /// Share of submissions the bureau rejects, 0.0–1.0.
    pub rejection_rate: f64,
    /// Seed of the bureau's decisions (with the ticket id: the same draw on every instance).
    pub seed: u64,
    /// First serial of each province and year (real numbers look like `2026000123`).
    pub first_serial: u32,
    /// SMS code lifetime (24 h).
    pub sms_ttl_secs: i64,
    /// Wrong codes tolerated; one more returns the order (5).
    pub sms_max_wrong: u32,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            decision_delay_secs: 3600,
            rejection_rate: 0.0,
            seed: 1,
            first_serial: 1,
            sms_ttl_secs: 24 * 3600,
            sms_max_wrong: 5,
        }
    }
}

const PHASE_SMS: &str = "sms";
const PHASE_REVIEW: &str = "review";
const PHASE_RETURNED: &str = "returned";
const PHASE_DONE: &str = "done";

/// The built-in sandbox authority. It stands for an outside system; its state is in the
/// `sandbox_authority_*` tables of the database it is given.
pub struct SandboxFilingAuthority {
    config: SandboxConfig,
    db: Db,
    cipher: Cipher,
}

impl SandboxFilingAuthority {
    /// A sandbox with `config`, keeping its records in `db`, personal data sealed or indexed
    /// under `cipher` (the platform's master keys: every instance must use the same).
    pub fn new(config: SandboxConfig, db: Db, cipher: Cipher) -> SandboxFilingAuthority {
        SandboxFilingAuthority { config, db, cipher }
    }

    /// The indexes a certificate key may be filed under (one per master key in use).
    fn cert_indexes(&self, cert_key: &str) -> Vec<String> {
        self.cipher.blind_indexes(cert_key, SANDBOX_CERT_INDEX)
    }

    /// SMS texts the sandbox "sent" to `mobile`, oldest first (what the applicant reads on
    /// the phone).
    pub async fn sms_sent_to(&self, mobile: &str) -> Result<Vec<String>, AuthorityError> {
        let indexes = self
            .cipher
            .blind_indexes(mobile.trim(), SANDBOX_MOBILE_INDEX);
        let mut tx = self.db.read().await.map_err(unavailable)?;
        let texts = tx.sandbox_sms_to(&indexes).await.map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        Ok(texts.into_iter().map(|(body, _)| body).collect())
    }

    /// The last code sent to `mobile`.
    pub async fn last_code_for(&self, mobile: &str) -> Option<String> {
        let texts = self.sms_sent_to(mobile).await.ok()?;
        texts.last().and_then(|text| {
            text.split(|c: char| !c.is_ascii_digit())
                .find(|part| part.len() == 6)
                .map(str::to_owned)
        })
    }

    /// How many subject and site numbers the sandbox has on file.
    pub async fn numbers_on_file(&self) -> Result<(i64, i64), AuthorityError> {
        let mut tx = self.db.read().await.map_err(unavailable)?;
        let counts = tx.sandbox_numbers_issued().await.map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        Ok(counts)
    }

    /// Whether the bureau will reject this ticket: a deterministic draw from the seed and
    /// the ticket id, so a given seed gives the same share on every instance.
    fn draws_rejection(&self, ticket: &str) -> bool {
        let digest = Sha256::digest(format!("{}:{ticket}", self.config.seed).as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        let draw = (u64::from_be_bytes(first) % 10_000) as f64 / 10_000.0;
        draw < self.config.rejection_rate
    }

    async fn do_submit(
        &self,
        submission: &Submission,
        now: Timestamp,
    ) -> Result<Ticket, AuthorityError> {
        let id = format!("sbx-{}", uuid::Uuid::new_v4().simple());
        let code = random_code()?;
        let sms_required = submission.operation.needs_sms();
        let row = SandboxTicketRow {
            id: id.clone(),
            order_id: submission.order_id.clone(),
            operation: submission.operation.as_str().to_owned(),
            province: i64::from(submission.province),
            cert_key: self
                .cipher
                .blind_index(&submission.cert_key, SANDBOX_CERT_INDEX),
            cert_sealed: Some(
                self.cipher
                    .seal(submission.cert_key.as_bytes(), &ticket_cert_context(&id)),
            ),
            domain: submission.domain.clone(),
            site_no: submission.site_no.clone(),
            phase: if sms_required {
                PHASE_SMS
            } else {
                PHASE_REVIEW
            }
            .to_owned(),
            code_hash: code_hash(&id, &code),
            code_expires_at: now.plus_secs(self.config.sms_ttl_secs).0,
            wrong_codes: 0,
            decide_at: now.plus_secs(self.config.decision_delay_secs).0,
            reject: self.draws_rejection(&id),
            result: None,
            created_at: now.0,
            updated_at: now.0,
        };
        let mut tx = self.db.write().await.map_err(unavailable)?;
        if !tx.insert_sandbox_ticket(&row).await.map_err(unavailable)? {
            // Pushed twice (two instances at once): the open ticket stands, no second code.
            let open = tx
                .open_sandbox_ticket_of_order(&submission.order_id)
                .await
                .map_err(unavailable)?
                .ok_or_else(|| AuthorityError::Unavailable("open ticket vanished".into()))?;
            tx.commit().await.map_err(unavailable)?;
            return Ok(Ticket {
                sms_required: open.phase == PHASE_SMS,
                id: open.id,
            });
        }
        if sms_required {
            for mobile in &submission.mobiles {
                let text = format!("【工信部】您的备案短信核验码为 {code}，24小时内有效。");
                let index = self.cipher.blind_index(mobile.trim(), SANDBOX_MOBILE_INDEX);
                tx.insert_sandbox_sms(&index, &text, now.0)
                    .await
                    .map_err(unavailable)?;
            }
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(Ticket { id, sms_required })
    }

    async fn do_verify(
        &self,
        ticket: &str,
        code: &str,
        now: Timestamp,
    ) -> Result<SmsOutcome, AuthorityError> {
        let mut tx = self.db.write().await.map_err(unavailable)?;
        let mut t = tx
            .sandbox_ticket_for_update(ticket)
            .await
            .map_err(unavailable)?
            .ok_or(AuthorityError::UnknownTicket)?;
        match t.phase.as_str() {
            PHASE_SMS => {}
            PHASE_RETURNED => return Ok(SmsOutcome::Returned),
            _ => return Err(AuthorityError::Refused("not awaiting an SMS code".into())),
        }
        let outcome = if now.0 >= t.code_expires_at {
            t.phase = PHASE_RETURNED.into();
            SmsOutcome::Returned
        } else if bool::from(
            code_hash(&t.id, code.trim())
                .as_bytes()
                .ct_eq(t.code_hash.as_bytes()),
        ) {
            t.phase = PHASE_REVIEW.into();
            t.decide_at = now.plus_secs(self.config.decision_delay_secs).0;
            SmsOutcome::Verified
        } else {
            t.wrong_codes += 1;
            let max_wrong = i64::from(self.config.sms_max_wrong);
            if t.wrong_codes > max_wrong {
                t.phase = PHASE_RETURNED.into();
                SmsOutcome::Returned
            } else {
                SmsOutcome::Wrong {
                    remaining: u32::try_from(max_wrong + 1 - t.wrong_codes).unwrap_or(0),
                }
            }
        };
        t.updated_at = now.0;
        tx.update_sandbox_ticket(&t).await.map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        Ok(outcome)
    }

    async fn do_status(
        &self,
        ticket: &str,
        now: Timestamp,
    ) -> Result<AuthorityStatus, AuthorityError> {
        let mut tx = self.db.write().await.map_err(unavailable)?;
        let mut t = tx
            .sandbox_ticket_for_update(ticket)
            .await
            .map_err(unavailable)?
            .ok_or(AuthorityError::UnknownTicket)?;
        let status = match t.phase.as_str() {
            PHASE_SMS if now.0 >= t.code_expires_at => {
                t.phase = PHASE_RETURNED.into();
                AuthorityStatus::Returned
            }
            PHASE_SMS => return Ok(AuthorityStatus::AwaitingSms),
            PHASE_RETURNED => return Ok(AuthorityStatus::Returned),
            PHASE_DONE => return decision_of(t.result.as_deref()),
            _ if now.0 < t.decide_at => return Ok(AuthorityStatus::InReview),
            _ => {
                let decided = if t.reject {
                    AuthorityStatus::Rejected {
                        codes: vec!["CONTENT_INVALID".into()],
                    }
                } else {
                    let cert_key = self.ticket_cert(&t)?;
                    let indexes = self.cert_indexes(&cert_key);
                    approve(&mut tx, self.config.first_serial, &t, &indexes, now).await?
                };
                t.phase = PHASE_DONE.into();
                t.result = Some(decision_json(&decided).to_string());
                decided
            }
        };
        t.updated_at = now.0;
        tx.update_sandbox_ticket(&t).await.map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        Ok(status)
    }

    /// The certificate key of a ticket, opened (in clear on a ticket of an older release).
    fn ticket_cert(&self, ticket: &SandboxTicketRow) -> Result<String, AuthorityError> {
        let Some(sealed) = &ticket.cert_sealed else {
            return Ok(ticket.cert_key.clone());
        };
        self.cipher
            .open(sealed, &ticket_cert_context(&ticket.id))
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| AuthorityError::Unavailable("sandbox ticket record unreadable".into()))
    }

    async fn do_lookup(
        &self,
        cert_key: &str,
        domain: Option<&str>,
    ) -> Result<AuthorityLookup, AuthorityError> {
        let indexes = self.cert_indexes(cert_key);
        let mut tx = self.db.read().await.map_err(unavailable)?;
        let subject_filed = match find_subject(&mut tx, &indexes).await? {
            Some(subject) => Some(SubjectAtAuthority {
                subject_no: subject.subject_no,
                empty_shell: tx
                    .sandbox_site_count(&subject.cert_key)
                    .await
                    .map_err(unavailable)?
                    == 0,
                // The sandbox serves one provider: everything it filed went through us.
                at_this_provider: true,
            }),
            None => None,
        };
        let site_filed = match domain {
            Some(d) => tx
                .sandbox_site_subject(d)
                .await
                .map_err(unavailable)?
                .map(|cert| SiteAtAuthority {
                    same_subject: indexes.contains(&cert),
                    accessed_here: true,
                }),
            None => None,
        };
        tx.commit().await.map_err(unavailable)?;
        Ok(AuthorityLookup {
            subject_filed,
            site_filed,
        })
    }
}

/// The subject filed under any of `indexes` (one per master key in use).
async fn find_subject(
    tx: &mut Tx,
    indexes: &[String],
) -> Result<Option<SandboxSubjectRow>, AuthorityError> {
    for index in indexes {
        if let Some(subject) = tx.sandbox_subject(index).await.map_err(unavailable)? {
            return Ok(Some(subject));
        }
    }
    Ok(None)
}

fn unavailable(e: StoreError) -> AuthorityError {
    AuthorityError::Unavailable(format!("sandbox authority records: {e}"))
}

/// Six random digits.
fn random_code() -> Result<String, AuthorityError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)
        .map_err(|e| AuthorityError::Unavailable(format!("no randomness: {e}")))?;
    Ok(format!("{:06}", u64::from_le_bytes(bytes) % 1_000_000))
}

/// The stored form of a code: salted with its ticket so equal codes differ.
fn code_hash(ticket: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{ticket}:{code}").as_bytes()))
}

fn decision_json(status: &AuthorityStatus) -> Value {
    match status {
        AuthorityStatus::Approved {
            subject_no,
            site_no,
        } => json!({ "decision": "approved", "subject_no": subject_no, "site_no": site_no }),
        AuthorityStatus::Rejected { codes } => json!({ "decision": "rejected", "codes": codes }),
        AuthorityStatus::Returned => json!({ "decision": "returned" }),
        AuthorityStatus::InReview | AuthorityStatus::AwaitingSms => json!({ "decision": "open" }),
    }
}

fn decision_of(stored: Option<&str>) -> Result<AuthorityStatus, AuthorityError> {
    let corrupt = || AuthorityError::Unavailable("sandbox decision record unreadable".into());
    let value: Value = serde_json::from_str(stored.ok_or_else(corrupt)?).map_err(|_| corrupt())?;
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    match value.get("decision").and_then(Value::as_str) {
        Some("approved") => Ok(AuthorityStatus::Approved {
            subject_no: text("subject_no").ok_or_else(corrupt)?,
            site_no: text("site_no"),
        }),
        Some("rejected") => Ok(AuthorityStatus::Rejected {
            codes: value
                .get("codes")
                .and_then(Value::as_array)
                .map(|codes| {
                    codes
                        .iter()
                        .filter_map(|c| c.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        }),
        Some("returned") => Ok(AuthorityStatus::Returned),
        _ => Err(corrupt()),
    }
}

/// Records an approval in the sandbox's registry of filings and returns the numbers: a new
/// subject takes the next serial of its province and year, a new site the next suffix.
async fn approve(
    tx: &mut Tx,
    first_serial: u32,
    ticket: &SandboxTicketRow,
    cert_indexes: &[String],
    now: Timestamp,
) -> Result<AuthorityStatus, AuthorityError> {
    let today = now.date();
    let operation = Operation::parse(&ticket.operation)
        .ok_or_else(|| AuthorityError::Refused("unknown operation".into()))?;
    let province_code = u8::try_from(ticket.province)
        .map_err(|_| AuthorityError::Refused("unknown province".into()))?;
    let province = province::by_code(province_code)
        .ok_or_else(|| AuthorityError::Refused("unknown province".into()))?;
    // New subjects are filed under the current key's index, the first one.
    let new_key = cert_indexes
        .first()
        .ok_or_else(|| AuthorityError::Unavailable("no certificate index".into()))?;
    let subject = match find_subject(tx, cert_indexes).await? {
        Some(subject) => subject,
        None => {
            let year = today.year();
            let serial = tx
                .take_sandbox_serial(ticket.province, i64::from(year), i64::from(first_serial))
                .await
                .map_err(unavailable)?;
            let number = IcpFilingNumber::from_parts(
                province,
                year,
                u32::try_from(serial).unwrap_or(u32::MAX),
                None,
                today,
            )
            .map_err(|r| AuthorityError::Refused(r.to_string()))?;
            let row = SandboxSubjectRow {
                cert_key: new_key.clone(),
                subject_no: number.subject_number(),
                province: ticket.province,
                year: i64::from(year),
                serial,
                next_site: 1,
                created_at: now.0,
            };
            tx.insert_sandbox_subject(&row).await.map_err(unavailable)?;
            tx.sandbox_subject(new_key)
                .await
                .map_err(unavailable)?
                .ok_or_else(|| AuthorityError::Unavailable("subject vanished".into()))?
        }
    };
    let number = IcpFilingNumber::from_parts(
        province,
        i32::try_from(subject.year).unwrap_or(today.year()),
        u32::try_from(subject.serial).unwrap_or(u32::MAX),
        None,
        today,
    )
    .map_err(|r| AuthorityError::Refused(r.to_string()))?;
    let cert = subject.cert_key.as_str();
    let site_no = match operation {
        op if op.creates_site() => {
            let domain = ticket.domain.clone().unwrap_or_default();
            let n = tx
                .take_sandbox_site_suffix(cert)
                .await
                .map_err(unavailable)?;
            let site_no = number
                .with_site(Some(u32::try_from(n).unwrap_or(u32::MAX)))
                .map_err(|r| AuthorityError::Refused(r.to_string()))?
                .to_string();
            tx.insert_sandbox_site(&domain, cert, n, &site_no, now.0)
                .await
                .map_err(unavailable)?;
            Some(site_no)
        }
        Operation::CancelSite => {
            if let Some(domain) = &ticket.domain {
                tx.delete_sandbox_site(domain).await.map_err(unavailable)?;
            }
            ticket.site_no.clone()
        }
        Operation::CancelSubject => {
            tx.delete_sandbox_subject(cert).await.map_err(unavailable)?;
            None
        }
        _ => ticket.site_no.clone(),
    };
    Ok(AuthorityStatus::Approved {
        subject_no: subject.subject_no,
        site_no,
    })
}

impl FilingAuthority for SandboxFilingAuthority {
    fn lookup<'a>(
        &'a self,
        cert_key: &'a str,
        domain: Option<&'a str>,
    ) -> BoxFuture<'a, Result<AuthorityLookup, AuthorityError>> {
        Box::pin(self.do_lookup(cert_key, domain))
    }

    fn submit<'a>(
        &'a self,
        submission: &'a Submission,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Ticket, AuthorityError>> {
        Box::pin(self.do_submit(submission, now))
    }

    fn verify_sms<'a>(
        &'a self,
        ticket: &'a str,
        code: &'a str,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<SmsOutcome, AuthorityError>> {
        Box::pin(self.do_verify(ticket, code, now))
    }

    fn status<'a>(
        &'a self,
        ticket: &'a str,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<AuthorityStatus, AuthorityError>> {
        Box::pin(self.do_status(ticket, now))
    }
}

/// A text message the sandbox authority sent to a principal's phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxMessage {
    /// The text, with the verification code.
    pub body: String,
    /// When it was sent.
    pub sent_at: Timestamp,
}

/// The messages the built-in sandbox authority sent to `mobile`, oldest first: on a sandbox
/// deployment there is no phone, so platform admins read the codes here. Empty when the
/// platform talks to a real authority.
pub async fn sandbox_messages(
    app: &crate::App,
    actor: &yuming_core::access::Actor,
    mobile: &str,
) -> Result<Vec<SandboxMessage>, crate::AppError> {
    actor.require(yuming_core::access::Right::PlatformAdmin)?;
    let indexes = app
        .cipher()
        .blind_indexes(mobile.trim(), SANDBOX_MOBILE_INDEX);
    let mut tx = app.db().read().await?;
    let texts = tx.sandbox_sms_to(&indexes).await?;
    tx.commit().await?;
    Ok(texts
        .into_iter()
        .map(|(body, at)| SandboxMessage {
            body,
            sent_at: Timestamp(at),
        })
        .collect())
}
