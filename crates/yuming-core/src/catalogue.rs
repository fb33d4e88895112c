//! The TLD catalogue: what the platform sells, at which price, under which naming rules, and
//! the single decision "may this name be registered, and at what price?" that availability
//! checks, registration and imports all call.

use std::collections::{BTreeMap, BTreeSet};

use crate::lifecycle::TldPeriods;
use crate::money::{Money, MoneyError};
use crate::rules::domain_name::{DomainName, DomainPolicy};
use crate::rules::lookalike;
use crate::rules::naming_review::{BlockTerm, Blocklist, MatchKind, Verdict};
use crate::rules::{Problem, Rejection};

/// Per-year prices of the four paid operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prices {
    /// Registration, per year.
    pub register: Money,
    /// Renewal, per year.
    pub renew: Money,
    /// Inbound transfer (adds a year where the TLD does).
    pub transfer: Money,
    /// Restore from redemption (plus one renewal year).
    pub restore: Money,
}

/// A paid operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// New registration.
    Register,
    /// Renewal.
    Renew,
    /// Inbound transfer.
    Transfer,
    /// Restore from redemption.
    Restore,
}

/// What a TLD does with look-alike names (UTS #39 mixed-script labels and labels that read
/// as an ASCII name, see [`lookalike`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LookalikePolicy {
    /// Not registrable: availability says `LOOKALIKE`.
    #[default]
    Refuse,
    /// Registrable, but held for the naming review like a reserved term.
    Review,
}

/// One TLD's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TldPolicy {
    /// The TLD in Unicode, e.g. `中国`.
    pub unicode: String,
    /// The TLD in ASCII, e.g. `xn--fiqs8s`.
    pub ascii: String,
    /// Which registry connector serves it (`local`: the platform is authoritative).
    pub registry: String,
    /// Shortest and longest term per command, in years.
    pub min_years: u32,
    /// See `min_years`.
    pub max_years: u32,
    /// Lifecycle periods.
    pub periods: TldPeriods,
    /// Standard prices.
    pub prices: Prices,
    /// Premium second-level labels (ASCII form) with their own prices.
    pub premium: BTreeMap<String, Prices>,
    /// Reserved or blocked second-level labels (ASCII form).
    pub reserved: BTreeSet<String>,
    /// Label syntax and IDN table of the registry.
    pub domain_policy: DomainPolicy,
    /// Look-alike names: refused, or held for the naming review.
    pub lookalikes: LookalikePolicy,
    /// Whether the name stays on serverHold until the registrant's real name is verified.
    pub realname_required: bool,
    /// Days a new name may resolve before verification (0: held at once).
    pub realname_grace_days: u32,
    /// Whether cancelling a Chinese IDN under this TLD needs an uploaded supporting
    /// document (the registry's 注销 form) before staff review.
    pub cancellation_idn_document: bool,
}

impl TldPolicy {
    /// The prices that apply to `label` (the second-level label, ASCII form).
    pub fn prices_for(&self, label: &str) -> (Prices, bool) {
        match self.premium.get(label) {
            Some(prices) => (*prices, true),
            None => (self.prices, false),
        }
    }

    /// Checks a term in years against this TLD.
    pub fn check_years(&self, years: u32) -> Result<(), Problem> {
        if years < self.min_years || years > self.max_years {
            return Err(Problem::new(
                "INVALID_YEARS",
                format!(
                    "the term must be {} to {} years",
                    self.min_years, self.max_years
                ),
                format!("期限须为 {} 到 {} 年", self.min_years, self.max_years),
            ));
        }
        Ok(())
    }
}

/// One screening term (sensitive words, spec §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreeningTerm {
    /// The term (pinyin, English or Chinese).
    pub term: String,
    /// How it matches.
    pub kind: MatchKind,
    /// Block, or hold for review.
    pub verdict: Verdict,
}

/// Why a name cannot be registered. Each maps to the availability `reason` code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// `INVALID_SYNTAX`: the name breaks a syntax or IDN rule; the problems say which.
    InvalidSyntax(Vec<Problem>),
    /// `UNSUPPORTED_TLD`: the platform does not sell this TLD.
    UnsupportedTld,
    /// `NOT_SECOND_LEVEL`: only second-level names are registered.
    NotSecondLevel,
    /// `RESERVED`: reserved or blocked by the registry.
    Reserved,
    /// `BLOCKED`: refused by the naming review (prohibited content).
    Blocked(Vec<Problem>),
    /// `LOOKALIKE`: mixes scripts or imitates an ASCII name, under a TLD that refuses
    /// look-alikes; the problems say which label and what it imitates.
    Lookalike(Vec<Problem>),
}

impl Unavailable {
    /// The stable reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Unavailable::InvalidSyntax(_) => "INVALID_SYNTAX",
            Unavailable::UnsupportedTld => "UNSUPPORTED_TLD",
            Unavailable::NotSecondLevel => "NOT_SECOND_LEVEL",
            Unavailable::Reserved => "RESERVED",
            Unavailable::Blocked(_) => "BLOCKED",
            Unavailable::Lookalike(_) => "LOOKALIKE",
        }
    }
}

/// A name the catalogue accepts for registration (availability in the registry aside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registrable<'c> {
    /// The parsed name.
    pub name: DomainName,
    /// Its TLD's policy.
    pub tld: &'c TldPolicy,
    /// Prices for this name.
    pub prices: Prices,
    /// Whether they are premium prices.
    pub premium: bool,
    /// The naming review asks a human to look before the name is activated.
    pub needs_review: bool,
    /// Findings that do not block (review hits, warnings).
    pub warnings: Vec<Problem>,
}

/// The catalogue of TLDs with the screening list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalogue {
    tlds: BTreeMap<String, TldPolicy>,
    screening: Vec<ScreeningTerm>,
    blocklist: Blocklist,
}

impl Catalogue {
    /// A catalogue of these TLDs and screening terms.
    pub fn new(
        tlds: impl IntoIterator<Item = TldPolicy>,
        screening: Vec<ScreeningTerm>,
    ) -> Catalogue {
        let terms: Vec<BlockTerm<'_>> = screening
            .iter()
            .map(|t| BlockTerm {
                term: &t.term,
                kind: t.kind,
                verdict: t.verdict,
            })
            .collect();
        let blocklist = Blocklist::new(&terms);
        Catalogue {
            tlds: tlds.into_iter().map(|t| (t.ascii.clone(), t)).collect(),
            screening,
            blocklist,
        }
    }

    /// The TLDs, ordered by ASCII name.
    pub fn tlds(&self) -> impl Iterator<Item = &TldPolicy> {
        self.tlds.values()
    }

    /// The screening list.
    pub fn screening(&self) -> &[ScreeningTerm] {
        &self.screening
    }

    /// The policy of a TLD given in ASCII form.
    pub fn tld(&self, ascii: &str) -> Option<&TldPolicy> {
        self.tlds.get(ascii)
    }

    /// The one decision: parse `input` (Unicode or A-label), find its TLD, apply the
    /// registry's syntax and IDN rules, the reserved list, the look-alike policy and the
    /// naming review.
    pub fn registrable(&self, input: &str) -> Result<Registrable<'_>, Unavailable> {
        let generic = DomainName::parse(input, &DomainPolicy::GENERIC).map_err(syntax)?;
        let tld = self
            .tlds
            .get(generic.value.tld().ascii())
            .ok_or(Unavailable::UnsupportedTld)?;
        let parsed = if tld.domain_policy == DomainPolicy::GENERIC {
            generic
        } else {
            DomainName::parse(input, &tld.domain_policy).map_err(syntax)?
        };
        let name = parsed.value;
        if name.labels().len() != 2 {
            return Err(Unavailable::NotSecondLevel);
        }
        let label = name.labels()[0].ascii();
        if tld.reserved.contains(label) {
            return Err(Unavailable::Reserved);
        }
        let lookalikes = lookalike::check(&name);
        if !lookalikes.is_empty() && tld.lookalikes == LookalikePolicy::Refuse {
            return Err(Unavailable::Lookalike(lookalikes));
        }
        // The Unicode form spares the review an IDNA decode.
        let review = self.blocklist.review(name.unicode());
        let mut warnings = parsed.warnings;
        let mut needs_review = match review.verdict {
            Verdict::Reject => return Err(Unavailable::Blocked(review.problems())),
            Verdict::Review => {
                warnings.extend(review.problems());
                true
            }
            Verdict::Pass => false,
        };
        if !lookalikes.is_empty() {
            warnings.extend(lookalikes);
            needs_review = true;
        }
        let (prices, premium) = tld.prices_for(label);
        Ok(Registrable {
            name,
            tld,
            prices,
            premium,
            needs_review,
            warnings,
        })
    }
}

fn syntax(rejection: Rejection) -> Unavailable {
    Unavailable::InvalidSyntax(rejection.problems)
}

/// The price of `operation` for `years` (restore: the fee; renewal years are priced apart).
pub fn price(prices: &Prices, operation: Operation, years: u32) -> Result<Money, MoneyError> {
    match operation {
        Operation::Register => prices.register.checked_mul(i64::from(years)),
        Operation::Renew => prices.renew.checked_mul(i64::from(years)),
        Operation::Transfer => Ok(prices.transfer),
        Operation::Restore => Ok(prices.restore),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn cny(minor: i64) -> Money {
        Money::new(minor, Currency::Cny)
    }

    fn prices(register: i64) -> Prices {
        Prices {
            register: cny(register),
            renew: cny(register + 1000),
            transfer: cny(register),
            restore: cny(100_000),
        }
    }

    fn tld(unicode: &str, ascii: &str, policy: DomainPolicy) -> TldPolicy {
        TldPolicy {
            unicode: unicode.into(),
            ascii: ascii.into(),
            registry: "local".into(),
            min_years: 1,
            max_years: 10,
            periods: TldPeriods::gtld(),
            prices: prices(5_900),
            premium: BTreeMap::from([("car".to_owned(), prices(1_000_000))]),
            reserved: BTreeSet::from(["nic".to_owned()]),
            domain_policy: policy,
            lookalikes: LookalikePolicy::Refuse,
            realname_required: true,
            realname_grace_days: 5,
            cancellation_idn_document: false,
        }
    }

    fn catalogue() -> Catalogue {
        let mut net = tld("net", "net", DomainPolicy::GENERIC);
        net.lookalikes = LookalikePolicy::Review;
        Catalogue::new(
            [
                net,
                tld("com", "com", DomainPolicy::GENERIC),
                tld("cn", "cn", DomainPolicy::CHINESE_REGISTRY),
                tld("中国", "xn--fiqs8s", DomainPolicy::CHINESE_REGISTRY),
            ],
            vec![
                ScreeningTerm {
                    term: "sino".into(),
                    kind: MatchKind::TokenStart,
                    verdict: Verdict::Review,
                },
                ScreeningTerm {
                    term: "fuck".into(),
                    kind: MatchKind::Contains,
                    verdict: Verdict::Reject,
                },
            ],
        )
    }

    fn reason(input: &str) -> &'static str {
        match catalogue().registrable(input) {
            Ok(r) if r.needs_review => "REVIEW",
            Ok(_) => "OK",
            Err(e) => e.code(),
        }
    }

    #[test]
    fn decisions() {
        for (input, expected) in [
            ("example.com", "OK"),
            ("EXAMPLE.com", "OK"),
            ("例子.中国", "OK"),
            ("xn--fsqu00a.xn--fiqs8s", "OK"),
            ("abc--d.com", "OK"),
            ("abc--d.cn", "INVALID_SYNTAX"),
            ("ab--cd.com", "INVALID_SYNTAX"),
            ("-abc.cn", "INVALID_SYNTAX"),
            ("example.org", "UNSUPPORTED_TLD"),
            ("www.example.com", "NOT_SECOND_LEVEL"),
            ("nic.com", "RESERVED"),
            ("sino-trade.cn", "REVIEW"),
            ("fuckit.com", "BLOCKED"),
            ("", "INVALID_SYNTAX"),
            // Look-alikes (UTS #39): refused under .com, held for review under .net.
            ("\u{430}pple.com", "LOOKALIKE"),
            ("p\u{430}ypal.com", "LOOKALIKE"),
            ("\u{430}\u{440}\u{440}\u{4cf}\u{435}.com", "LOOKALIKE"),
            ("xn--pple-43d.com", "LOOKALIKE"),
            ("\u{430}pple.net", "REVIEW"),
            ("caf\u{e9}.com", "OK"),
            ("例子.cn", "OK"),
            ("abc例子.cn", "OK"),
        ] {
            assert_eq!(reason(input), expected, "{input}");
        }
        assert_eq!(reason(&format!("{}.com", "a".repeat(64))), "INVALID_SYNTAX");
    }

    #[test]
    fn premium_names_have_their_own_prices() {
        let catalogue = catalogue();
        let car = catalogue.registrable("car.com").expect("registrable");
        assert!(car.premium);
        assert_eq!(
            price(&car.prices, Operation::Register, 2),
            Ok(cny(2_000_000))
        );
        let plain = catalogue.registrable("plain.com").expect("registrable");
        assert_eq!(price(&plain.prices, Operation::Renew, 3), Ok(cny(20_700)));
    }

    #[test]
    fn years_are_bounded_by_the_tld() {
        let com = tld("com", "com", DomainPolicy::GENERIC);
        assert!(com.check_years(1).is_ok() && com.check_years(10).is_ok());
        assert_eq!(com.check_years(0).map_err(|p| p.code), Err("INVALID_YEARS"));
        assert_eq!(
            com.check_years(11).map_err(|p| p.code),
            Err("INVALID_YEARS")
        );
    }
}
