//! The consistency rules of a filed site: after approval the domain, the server addresses and
//! the homepage footer must keep matching what was filed. Given what the monitor observed,
//! [`findings`] says what has drifted (the filing no longer matches reality) and what is at
//! risk (it will stop matching soon). Pure: the observing is the application's.

use std::net::IpAddr;

use crate::clock::Timestamp;

/// Days ahead that an expiring domain or server is a filing risk.
pub const RISK_HORIZON_DAYS: i64 = 30;

/// Hours a site has to file a change after it moved to an address not yet filed.
pub const CHANGE_DEADLINE_HOURS: i64 = 48;

/// What the monitor found out about the domain on the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainFacts {
    /// Registered here: whether it is live (not expired, in redemption or deleted), its
    /// registrant's real-name verification, and its expiry.
    Registered {
        /// In its active phase (or its add/renew grace).
        live: bool,
        /// Registrant real-name verified.
        verified: bool,
        /// Expiry.
        expires_at: Timestamp,
    },
    /// Not registered here (any more).
    Gone,
}

/// What the homepage showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FooterFacts {
    /// The number was found.
    Shown,
    /// The page loaded and the number is not in it.
    Missing,
    /// The page could not be read (network error, timeout, too large): not a drift.
    Unknown(String),
}

/// One server address filed for the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiledServer {
    /// The address.
    pub ip: IpAddr,
    /// When its hosting ends (unknown for addresses not in the server list).
    pub expires_at: Option<Timestamp>,
}

/// Everything observed about one filed site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteObservation {
    /// The site number, shown in reasons.
    pub site_no: String,
    /// The domain.
    pub domain: String,
    /// The domain's state.
    pub domain_facts: DomainFacts,
    /// A/AAAA addresses the domain (apex and `www`) resolves to; `None` when unknown.
    pub resolved: Option<Vec<IpAddr>>,
    /// Addresses filed for the site.
    pub filed: Vec<FiledServer>,
    /// The footer check.
    pub footer: FooterFacts,
    /// Now.
    pub now: Timestamp,
}

/// What a finding is about: one alert per site and kind at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertKind {
    /// The domain is no longer registered (or deleted, expired past grace).
    DomainLost,
    /// The registrant is no longer real-name verified.
    DomainUnverified,
    /// The domain expires within 30 days.
    DomainExpiring,
    /// The domain resolves to addresses not filed for the site.
    UnfiledAddress,
    /// A filed server's hosting has ended.
    ServerExpired,
    /// A filed server's hosting ends within 30 days.
    ServerExpiring,
    /// The homepage does not show the filing number.
    FooterMissing,
}

/// Every kind, in a stable order.
pub const ALERT_KINDS: [AlertKind; 7] = [
    AlertKind::DomainLost,
    AlertKind::DomainUnverified,
    AlertKind::DomainExpiring,
    AlertKind::UnfiledAddress,
    AlertKind::ServerExpired,
    AlertKind::ServerExpiring,
    AlertKind::FooterMissing,
];

impl AlertKind {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::DomainLost => "DOMAIN_LOST",
            AlertKind::DomainUnverified => "DOMAIN_UNVERIFIED",
            AlertKind::DomainExpiring => "DOMAIN_EXPIRING",
            AlertKind::UnfiledAddress => "UNFILED_ADDRESS",
            AlertKind::ServerExpired => "SERVER_EXPIRED",
            AlertKind::ServerExpiring => "SERVER_EXPIRING",
            AlertKind::FooterMissing => "FOOTER_MISSING",
        }
    }

    /// The kind with this name.
    pub fn parse(name: &str) -> Option<AlertKind> {
        ALERT_KINDS.into_iter().find(|k| k.as_str() == name)
    }

    /// `drift` (the filing no longer matches) or `risk` (it soon will not).
    pub fn severity(self) -> &'static str {
        match self {
            AlertKind::DomainExpiring | AlertKind::ServerExpiring => "risk",
            _ => "drift",
        }
    }

    /// Which check observes it.
    pub fn check(self) -> Check {
        match self {
            AlertKind::DomainLost | AlertKind::DomainUnverified | AlertKind::DomainExpiring => {
                Check::Domain
            }
            AlertKind::UnfiledAddress => Check::Dns,
            AlertKind::ServerExpired | AlertKind::ServerExpiring => Check::Server,
            AlertKind::FooterMissing => Check::Footer,
        }
    }

    /// The order that fixes it: `CHANGE_SITE`/`CHANGE_ACCESS`-like changes or cancelling the
    /// site or its access.
    pub fn fix(self) -> &'static str {
        match self {
            AlertKind::DomainLost => "CANCEL_SITE",
            AlertKind::DomainUnverified => "VERIFY_REGISTRANT",
            AlertKind::DomainExpiring => "RENEW_DOMAIN",
            AlertKind::UnfiledAddress => "CHANGE_SITE",
            AlertKind::ServerExpired | AlertKind::ServerExpiring => "CANCEL_ACCESS",
            AlertKind::FooterMissing => "ADD_FOOTER",
        }
    }
}

/// The four checks a monitor cycle runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Check {
    /// Registration, verification and expiry of the domain.
    Domain,
    /// Resolution to filed addresses.
    Dns,
    /// Server hosting.
    Server,
    /// The homepage footer.
    Footer,
}

impl Check {
    /// Every check.
    pub const ALL: [Check; 4] = [Check::Domain, Check::Dns, Check::Server, Check::Footer];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Domain => "domain",
            Check::Dns => "dns",
            Check::Server => "server",
            Check::Footer => "footer",
        }
    }
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What.
    pub kind: AlertKind,
    /// Why, in English.
    pub reason_en: String,
    /// Why, in Chinese.
    pub reason_zh: String,
}

/// The outcome of one check in one cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Consistent.
    Ok,
    /// Something drifted or is at risk (the findings say what).
    Problem,
    /// Could not be observed; nothing is concluded.
    Unknown(String),
}

/// Judges one observation: every finding, and the outcome of each check.
pub fn findings(o: &SiteObservation) -> (Vec<Finding>, Vec<(Check, Outcome)>) {
    let mut found = Vec::new();
    let horizon = o.now.plus_days(RISK_HORIZON_DAYS);
    match &o.domain_facts {
        DomainFacts::Gone => found.push(Finding {
            kind: AlertKind::DomainLost,
            reason_en: format!(
                "{} is no longer registered: the filing {} must be cancelled",
                o.domain, o.site_no
            ),
            reason_zh: format!(
                "域名 {} 已不在注册状态，备案 {} 须注销",
                o.domain, o.site_no
            ),
        }),
        DomainFacts::Registered {
            live,
            verified,
            expires_at,
        } => {
            if !live {
                found.push(Finding {
                    kind: AlertKind::DomainLost,
                    reason_en: format!(
                        "{} has expired and no longer resolves; renew it or cancel the filing {}",
                        o.domain, o.site_no
                    ),
                    reason_zh: format!(
                        "域名 {} 已过期停止解析，请续费或注销备案 {}",
                        o.domain, o.site_no
                    ),
                });
            } else if expires_at.0 < horizon.0 {
                found.push(Finding {
                    kind: AlertKind::DomainExpiring,
                    reason_en: format!(
                        "{} expires on {}; the filing {} lapses with it",
                        o.domain,
                        expires_at.date(),
                        o.site_no
                    ),
                    reason_zh: format!(
                        "域名 {} 将于 {} 到期，备案 {} 将随之失效",
                        o.domain,
                        expires_at.date(),
                        o.site_no
                    ),
                });
            }
            if !verified {
                found.push(Finding {
                    kind: AlertKind::DomainUnverified,
                    reason_en: format!("the registrant of {} is not real-name verified", o.domain),
                    reason_zh: format!("域名 {} 的持有者未通过实名认证", o.domain),
                });
            }
        }
    }
    let dns_outcome = match &o.resolved {
        None => Outcome::Unknown("the domain's addresses could not be read".into()),
        Some(addresses) => {
            let unfiled: Vec<String> = addresses
                .iter()
                .filter(|ip| !o.filed.iter().any(|f| f.ip == **ip))
                .map(IpAddr::to_string)
                .collect();
            if unfiled.is_empty() {
                Outcome::Ok
            } else {
                found.push(Finding {
                    kind: AlertKind::UnfiledAddress,
                    reason_en: format!(
                        "{} resolves to {} which is not filed for {}; file the change within {CHANGE_DEADLINE_HOURS} hours",
                        o.domain,
                        unfiled.join(", "),
                        o.site_no
                    ),
                    reason_zh: format!(
                        "域名 {} 解析到未备案的地址 {}，请在 {CHANGE_DEADLINE_HOURS} 小时内办理备案变更",
                        o.domain,
                        unfiled.join("、")
                    ),
                });
                Outcome::Problem
            }
        }
    };
    for server in &o.filed {
        let Some(expires_at) = server.expires_at else {
            continue;
        };
        if expires_at.0 <= o.now.0 {
            found.push(Finding {
                kind: AlertKind::ServerExpired,
                reason_en: format!(
                    "the server {} filed for {} expired on {}",
                    server.ip,
                    o.site_no,
                    expires_at.date()
                ),
                reason_zh: format!(
                    "备案 {} 的服务器 {} 已于 {} 到期",
                    o.site_no,
                    server.ip,
                    expires_at.date()
                ),
            });
        } else if expires_at.0 < horizon.0 {
            found.push(Finding {
                kind: AlertKind::ServerExpiring,
                reason_en: format!(
                    "the server {} filed for {} expires on {}; renew it or cancel the access",
                    server.ip,
                    o.site_no,
                    expires_at.date()
                ),
                reason_zh: format!(
                    "备案 {} 的服务器 {} 将于 {} 到期，请续费或取消接入",
                    o.site_no,
                    server.ip,
                    expires_at.date()
                ),
            });
        }
    }
    let footer_outcome = match &o.footer {
        FooterFacts::Shown => Outcome::Ok,
        FooterFacts::Unknown(why) => Outcome::Unknown(why.clone()),
        FooterFacts::Missing => {
            found.push(Finding {
                kind: AlertKind::FooterMissing,
                reason_en: format!(
                    "the homepage of {} does not show the filing number {}",
                    o.domain, o.site_no
                ),
                reason_zh: format!("网站 {} 首页底部未展示备案号 {}", o.domain, o.site_no),
            });
            Outcome::Problem
        }
    };
    // Several servers may give the same kind: one finding per kind is the alert.
    found.dedup_by(|a, b| a.kind == b.kind);
    let problem = |check: Check| found.iter().any(|f| f.kind.check() == check);
    let outcomes = vec![
        (
            Check::Domain,
            if problem(Check::Domain) {
                Outcome::Problem
            } else {
                Outcome::Ok
            },
        ),
        (Check::Dns, dns_outcome),
        (
            Check::Server,
            if problem(Check::Server) {
                Outcome::Problem
            } else {
                Outcome::Ok
            },
        ),
        (Check::Footer, footer_outcome),
    ];
    (found, outcomes)
}

/// Whether `page` shows the filing `number` (white space inside the page's text ignored).
pub fn footer_shows(page: &str, number: &str) -> bool {
    let compact: String = page.chars().filter(|c| !c.is_whitespace()).collect();
    compact.contains(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn observation() -> SiteObservation {
        SiteObservation {
            site_no: "京ICP备2026000123号-1".into(),
            domain: "example.cn".into(),
            domain_facts: DomainFacts::Registered {
                live: true,
                verified: true,
                expires_at: Timestamp(400 * DAY),
            },
            resolved: Some(vec!["203.0.113.30".parse().expect("ip")]),
            filed: vec![FiledServer {
                ip: "203.0.113.30".parse().expect("ip"),
                expires_at: Some(Timestamp(400 * DAY)),
            }],
            footer: FooterFacts::Shown,
            now: Timestamp(10 * DAY),
        }
    }

    fn kinds(o: &SiteObservation) -> Vec<AlertKind> {
        findings(o).0.into_iter().map(|f| f.kind).collect()
    }

    #[test]
    fn a_consistent_site_has_no_findings() {
        let (found, outcomes) = findings(&observation());
        assert!(found.is_empty());
        assert!(outcomes.iter().all(|(_, o)| *o == Outcome::Ok));
    }

    #[test]
    fn drift_and_risk() {
        let mut o = observation();
        o.resolved = Some(vec![
            "203.0.113.30".parse().expect("ip"),
            "198.51.100.7".parse().expect("ip"),
        ]);
        assert_eq!(kinds(&o), [AlertKind::UnfiledAddress]);
        let (found, _) = findings(&o);
        assert!(found[0].reason_en.contains("198.51.100.7"));
        assert!(found[0].reason_zh.contains("48 小时"));

        let mut o = observation();
        o.domain_facts = DomainFacts::Registered {
            live: true,
            verified: false,
            expires_at: Timestamp(39 * DAY),
        };
        o.filed[0].expires_at = Some(Timestamp(20 * DAY));
        assert_eq!(
            kinds(&o),
            [
                AlertKind::DomainExpiring,
                AlertKind::DomainUnverified,
                AlertKind::ServerExpiring
            ]
        );
        assert_eq!(AlertKind::DomainExpiring.severity(), "risk");

        let mut o = observation();
        o.domain_facts = DomainFacts::Gone;
        o.filed[0].expires_at = Some(Timestamp(10 * DAY));
        o.footer = FooterFacts::Missing;
        assert_eq!(
            kinds(&o),
            [
                AlertKind::DomainLost,
                AlertKind::ServerExpired,
                AlertKind::FooterMissing
            ]
        );
    }

    #[test]
    fn unknown_is_not_drift() {
        let mut o = observation();
        o.resolved = None;
        o.footer = FooterFacts::Unknown("timeout".into());
        let (found, outcomes) = findings(&o);
        assert!(found.is_empty());
        assert_eq!(
            outcomes
                .iter()
                .filter(|(_, o)| matches!(o, Outcome::Unknown(_)))
                .count(),
            2
        );
    }

    #[test]
    fn footer_text() {
        assert!(footer_shows(
            "<a href=\"https://beian.miit.gov.cn/\">京ICP备2026000123号-1</a>",
            "京ICP备2026000123号-1"
        ));
        assert!(footer_shows(
            "京ICP备 2026000123号-1",
            "京ICP备2026000123号-1"
        ));
        assert!(!footer_shows(
            "京ICP备2026000124号-1",
            "京ICP备2026000123号-1"
        ));
        assert_eq!(
            AlertKind::parse("FOOTER_MISSING"),
            Some(AlertKind::FooterMissing)
        );
    }
}
