//! The platform's own state as staff see it: settings that work but must be changed before
//! customers rely on the installation. `serve` logs them at start; the staff API lists them.

use yuming_core::access::{Actor, Right};

use crate::{App, AppError, AppSettings};

/// A setting that still has a value meant only for trying the platform out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingWarning {
    /// Stable code, e.g. `DEFAULT_NAMESERVERS`.
    pub code: &'static str,
    /// The configuration key to set, e.g. `registrar.default_nameservers`.
    pub setting: &'static str,
    /// What is wrong and what to set, in English.
    pub message: String,
    /// The same in Chinese.
    pub message_zh: String,
}

/// The warnings for `settings` (pure; empty when nothing needs attention).
pub fn setting_warnings(settings: &AppSettings) -> Vec<SettingWarning> {
    let mut warnings = Vec::new();
    let placeholders: Vec<&str> = settings
        .default_nameservers
        .iter()
        .map(String::as_str)
        .filter(|ns| is_documentation_name(ns))
        .collect();
    if !placeholders.is_empty() {
        let list = placeholders.join(", ");
        warnings.push(SettingWarning {
            code: "DEFAULT_NAMESERVERS",
            setting: "registrar.default_nameservers",
            message: format!(
                "the default nameservers ({list}) are placeholders under reserved example names: \
                 new domains are delegated to them and every hosted zone names them in its SOA \
                 and NS records. Set registrar.default_nameservers \
                 (YUMING_REGISTRAR__DEFAULT_NAMESERVERS=ns1.your-dns.net,ns2.your-dns.net) to \
                 the hosts that serve this platform's DNS"
            ),
            message_zh: format!(
                "默认域名服务器（{list}）是保留示例域名下的占位值：新注册的域名会指向它们，\
                 所有托管区的 SOA 和 NS 记录也会使用它们。请将 registrar.default_nameservers \
                 （YUMING_REGISTRAR__DEFAULT_NAMESERVERS）设为本平台 DNS 服务器的主机名"
            ),
        });
    }
    warnings
}

/// A warning when the working-day calendar has no public holidays for `year` (complaint
/// deadlines would then count only weekends as days off).
pub fn calendar_warning(settings: &AppSettings, year: i32) -> Option<SettingWarning> {
    if settings.work_calendar.covers(year) {
        return None;
    }
    Some(SettingWarning {
        code: "HOLIDAYS_MISSING",
        setting: "care.holidays",
        message: format!(
            "the working-day calendar has no public holidays for {year}: complaint deadlines \
             count only weekends as days off. Add that year's State Council notice as \
             care.holidays and care.worked_days (YYYY-MM-DD lists; \
             YUMING_CARE__HOLIDAYS=…, YUMING_CARE__WORKED_DAYS=…)"
        ),
        message_zh: format!(
            "工作日日历没有 {year} 年的法定节假日：投诉时限只会把周末算作休息日。\
             请按国务院办公厅当年的通知设置 care.holidays 与 care.worked_days\
             （YYYY-MM-DD 列表；YUMING_CARE__HOLIDAYS、YUMING_CARE__WORKED_DAYS）"
        ),
    })
}

/// Names reserved for documentation and testing (RFC 2606, RFC 6761): they never reach a
/// real nameserver.
fn is_documentation_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    [
        "example.com",
        "example.net",
        "example.org",
        "example",
        "test",
        "invalid",
        "localhost",
    ]
    .iter()
    .any(|reserved| host == *reserved || host.ends_with(&format!(".{reserved}")))
}

/// The platform's state for the staff dashboard (platform administrators).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemStatus {
    /// Settings to change before going live.
    pub warnings: Vec<SettingWarning>,
}

/// The platform's state; needs `staff:admin`.
pub fn status(app: &App, actor: &Actor) -> Result<SystemStatus, AppError> {
    actor.require(Right::PlatformAdmin)?;
    let mut warnings = setting_warnings(app.settings());
    let year = yuming_core::calendar::WorkCalendar::day_of(app.now()).year();
    warnings.extend(calendar_warning(app.settings(), year));
    Ok(SystemStatus { warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_nameservers_are_flagged_until_set() {
        let defaults = setting_warnings(&AppSettings::default());
        assert_eq!(
            defaults.iter().map(|w| w.code).collect::<Vec<_>>(),
            vec!["DEFAULT_NAMESERVERS"]
        );
        assert!(
            defaults[0]
                .message
                .contains("ns1.example.net, ns2.example.net")
        );
        assert!(
            defaults[0]
                .message
                .contains("YUMING_REGISTRAR__DEFAULT_NAMESERVERS")
        );
        let real = AppSettings {
            default_nameservers: vec!["ns1.dns-host.cn".into(), "ns2.dns-host.cn".into()],
            ..AppSettings::default()
        };
        assert!(setting_warnings(&real).is_empty());
        for placeholder in ["NS1.EXAMPLE.COM.", "a.test", "example.org", "dns.localhost"] {
            assert!(is_documentation_name(placeholder), "{placeholder}");
        }
        for real in ["myexample.net", "example.net.cn", "ns1.examples.com"] {
            assert!(!is_documentation_name(real), "{real}");
        }
    }

    #[test]
    fn a_year_without_holidays_is_flagged_until_its_days_are_added() {
        let defaults = AppSettings::default();
        assert_eq!(calendar_warning(&defaults, 2026), None);
        let warning = calendar_warning(&defaults, 2027).expect("2027 is not built in");
        assert_eq!(warning.code, "HOLIDAYS_MISSING");
        assert!(warning.message.contains("YUMING_CARE__HOLIDAYS"));
        let day = yuming_core::calendar::parse_day("2027-01-01").unwrap();
        let added = AppSettings {
            work_calendar: defaults.work_calendar.clone().with_days(&[day], &[]),
            ..AppSettings::default()
        };
        assert_eq!(calendar_warning(&added, 2027), None);
    }
}
