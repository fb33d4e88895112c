//! The filing authority port (工信部/管局 system) and the built-in sandbox that behaves like it:
//! it accepts a submission and decides later, sends the SMS verification codes itself (as
//! MIIT does, to the principals' mobiles), returns an order after 24 h or the 6th wrong code,
//! and issues numbers in the §1.10 grammar.

use std::collections::HashMap;
use std::sync::Mutex;

use yuming_core::clock::Timestamp;
use yuming_core::filing::{AuthorityLookup, Operation, SiteAtAuthority, SubjectAtAuthority};
use yuming_core::rules::icp_number::IcpFilingNumber;
use yuming_core::rules::province;

use crate::registry::BoxFuture;

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
    /// Seed of the decisions and SMS codes (deterministic for tests).
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

#[derive(Debug, Clone)]
struct TicketState {
    submission: Submission,
    phase: Phase,
    code: String,
    code_expires: Timestamp,
    wrong: u32,
    decide_at: Timestamp,
    reject: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Sms,
    Review,
    Returned,
    Done(AuthorityStatus),
}

#[derive(Debug, Clone)]
struct SubjectState {
    number: IcpFilingNumber,
    sites: HashMap<u32, String>,
    next_site: u32,
}

#[derive(Debug, Default)]
struct SandboxState {
    rng: u64,
    tickets: HashMap<String, TicketState>,
    subjects: HashMap<String, SubjectState>,
    /// Filed domains: certificate key and site serial.
    sites: HashMap<String, (String, u32)>,
    serials: HashMap<(u8, i32), u32>,
    outbox: Vec<(String, String)>,
}

impl SandboxState {
    /// splitmix64: deterministic for a seed, good enough to spread decisions.
    fn next(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The built-in sandbox authority (in memory: it stands for an outside system).
pub struct SandboxFilingAuthority {
    config: SandboxConfig,
    state: Mutex<SandboxState>,
}

impl SandboxFilingAuthority {
    /// A sandbox with `config`.
    pub fn new(config: SandboxConfig) -> SandboxFilingAuthority {
        SandboxFilingAuthority {
            state: Mutex::new(SandboxState {
                rng: config.seed,
                ..SandboxState::default()
            }),
            config,
        }
    }

    /// SMS texts the sandbox "sent" to `mobile`, oldest first (what the applicant reads on
    /// the phone).
    pub fn sms_sent_to(&self, mobile: &str) -> Vec<String> {
        self.lock()
            .outbox
            .iter()
            .filter(|(to, _)| to == mobile)
            .map(|(_, text)| text.clone())
            .collect()
    }

    /// The last code sent to `mobile`.
    pub fn last_code_for(&self, mobile: &str) -> Option<String> {
        self.sms_sent_to(mobile).last().and_then(|text| {
            text.split(|c: char| !c.is_ascii_digit())
                .find(|part| part.len() == 6)
                .map(str::to_owned)
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SandboxState> {
        // A panic while holding the lock cannot leave the maps half-written in a way that
        // matters for a sandbox; keep serving.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn do_submit(&self, submission: &Submission, now: Timestamp) -> Result<Ticket, AuthorityError> {
        let mut state = self.lock();
        let id = format!("sbx-{:016x}", state.next());
        let code = format!("{:06}", state.next() % 1_000_000);
        let reject = (state.next() % 10_000) as f64 / 10_000.0 < self.config.rejection_rate;
        let sms_required = submission.operation.needs_sms();
        if sms_required {
            for mobile in &submission.mobiles {
                state.outbox.push((
                    mobile.clone(),
                    format!("【工信部】您的备案短信核验码为 {code}，24小时内有效。"),
                ));
            }
        }
        state.tickets.insert(
            id.clone(),
            TicketState {
                submission: submission.clone(),
                phase: if sms_required {
                    Phase::Sms
                } else {
                    Phase::Review
                },
                code,
                code_expires: now.plus_secs(self.config.sms_ttl_secs),
                wrong: 0,
                decide_at: now.plus_secs(self.config.decision_delay_secs),
                reject,
            },
        );
        Ok(Ticket { id, sms_required })
    }

    fn do_verify(
        &self,
        ticket: &str,
        code: &str,
        now: Timestamp,
    ) -> Result<SmsOutcome, AuthorityError> {
        let delay = self.config.decision_delay_secs;
        let max_wrong = self.config.sms_max_wrong;
        let mut state = self.lock();
        let t = state
            .tickets
            .get_mut(ticket)
            .ok_or(AuthorityError::UnknownTicket)?;
        match t.phase {
            Phase::Sms => {}
            Phase::Returned => return Ok(SmsOutcome::Returned),
            _ => return Err(AuthorityError::Refused("not awaiting an SMS code".into())),
        }
        if now >= t.code_expires {
            t.phase = Phase::Returned;
            return Ok(SmsOutcome::Returned);
        }
        if code.trim() == t.code {
            t.phase = Phase::Review;
            t.decide_at = now.plus_secs(delay);
            return Ok(SmsOutcome::Verified);
        }
        t.wrong += 1;
        if t.wrong > max_wrong {
            t.phase = Phase::Returned;
            return Ok(SmsOutcome::Returned);
        }
        Ok(SmsOutcome::Wrong {
            remaining: max_wrong + 1 - t.wrong,
        })
    }

    fn do_status(&self, ticket: &str, now: Timestamp) -> Result<AuthorityStatus, AuthorityError> {
        let mut guard = self.lock();
        let state = &mut *guard;
        let t = state
            .tickets
            .get_mut(ticket)
            .ok_or(AuthorityError::UnknownTicket)?;
        match &t.phase {
            Phase::Sms if now >= t.code_expires => {
                t.phase = Phase::Returned;
                Ok(AuthorityStatus::Returned)
            }
            Phase::Sms => Ok(AuthorityStatus::AwaitingSms),
            Phase::Returned => Ok(AuthorityStatus::Returned),
            Phase::Done(status) => Ok(status.clone()),
            Phase::Review if now < t.decide_at => Ok(AuthorityStatus::InReview),
            Phase::Review => {
                let decided = if t.reject {
                    AuthorityStatus::Rejected {
                        codes: vec!["CONTENT_INVALID".into()],
                    }
                } else {
                    let submission = t.submission.clone();
                    apply_approval(
                        &mut state.subjects,
                        &mut state.sites,
                        &mut state.serials,
                        self.config.first_serial,
                        &submission,
                        now,
                    )?
                };
                if let Some(t) = state.tickets.get_mut(ticket) {
                    t.phase = Phase::Done(decided.clone());
                }
                Ok(decided)
            }
        }
    }
}

/// Records an approval in the sandbox's registry of filings and returns the numbers.
fn apply_approval(
    subjects: &mut HashMap<String, SubjectState>,
    sites: &mut HashMap<String, (String, u32)>,
    serials: &mut HashMap<(u8, i32), u32>,
    first_serial: u32,
    submission: &Submission,
    now: Timestamp,
) -> Result<AuthorityStatus, AuthorityError> {
    let today = now.date();
    let cert = submission.cert_key.clone();
    if !subjects.contains_key(&cert) {
        let province = province::by_code(submission.province)
            .ok_or_else(|| AuthorityError::Refused("unknown province".into()))?;
        let year = today.year();
        let serial = serials
            .entry((submission.province, year))
            .or_insert(first_serial);
        let number = IcpFilingNumber::from_parts(province, year, *serial, None, today)
            .map_err(|r| AuthorityError::Refused(r.to_string()))?;
        *serial += 1;
        subjects.insert(
            cert.clone(),
            SubjectState {
                number,
                sites: HashMap::new(),
                next_site: 1,
            },
        );
    }
    let subject = subjects
        .get_mut(&cert)
        .ok_or_else(|| AuthorityError::Refused("subject vanished".into()))?;
    let subject_no = subject.number.subject_number();
    let site_no = match submission.operation {
        op if op.creates_site() => {
            let domain = submission.domain.clone().unwrap_or_default();
            let n = subject.next_site;
            subject.next_site += 1;
            subject.sites.insert(n, domain.clone());
            sites.insert(domain, (cert.clone(), n));
            Some(
                subject
                    .number
                    .with_site(Some(n))
                    .map_err(|r| AuthorityError::Refused(r.to_string()))?
                    .to_string(),
            )
        }
        Operation::CancelSite => {
            if let Some(domain) = &submission.domain
                && let Some((_, n)) = sites.remove(domain)
            {
                subject.sites.remove(&n);
            }
            submission.site_no.clone()
        }
        Operation::CancelSubject => {
            for domain in subject.sites.values() {
                sites.remove(domain);
            }
            subjects.remove(&cert);
            None
        }
        _ => submission.site_no.clone(),
    };
    Ok(AuthorityStatus::Approved {
        subject_no,
        site_no,
    })
}

impl FilingAuthority for SandboxFilingAuthority {
    fn lookup<'a>(
        &'a self,
        cert_key: &'a str,
        domain: Option<&'a str>,
    ) -> BoxFuture<'a, Result<AuthorityLookup, AuthorityError>> {
        Box::pin(async move {
            let state = self.lock();
            let subject_filed = state.subjects.get(cert_key).map(|s| SubjectAtAuthority {
                subject_no: s.number.subject_number(),
                empty_shell: s.sites.is_empty(),
                // The sandbox serves one provider: everything it filed went through us.
                at_this_provider: true,
            });
            let site_filed =
                domain
                    .and_then(|d| state.sites.get(d))
                    .map(|(cert, _)| SiteAtAuthority {
                        same_subject: cert == cert_key,
                        accessed_here: true,
                    });
            Ok(AuthorityLookup {
                subject_filed,
                site_filed,
            })
        })
    }

    fn submit<'a>(
        &'a self,
        submission: &'a Submission,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<Ticket, AuthorityError>> {
        Box::pin(async move { self.do_submit(submission, now) })
    }

    fn verify_sms<'a>(
        &'a self,
        ticket: &'a str,
        code: &'a str,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<SmsOutcome, AuthorityError>> {
        Box::pin(async move { self.do_verify(ticket, code, now) })
    }

    fn status<'a>(
        &'a self,
        ticket: &'a str,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<AuthorityStatus, AuthorityError>> {
        Box::pin(async move { self.do_status(ticket, now) })
    }
}
