//! Money, times and statuses as people read them: `¥1,234.00` from integer fen, times in
//! Asia/Shanghai as `2026-12-05 14:30`.

use yuming_core::clock::Timestamp;
use yuming_core::money::{Currency, Money};

/// China Standard Time has no daylight saving: a fixed offset is exact.
const SHANGHAI_OFFSET_SECS: i64 = 8 * 3600;

/// `¥1,234.00`, `-¥0.05`, `$12.00`: the currency's sign, thousands grouped, never a float.
pub fn money(amount: Money) -> String {
    let symbol = match amount.currency() {
        Currency::Cny => "¥".to_owned(),
        other => format!("{} ", other.code()),
    };
    let minor = amount.minor();
    let sign = if minor < 0 { "-" } else { "" };
    let magnitude = minor.unsigned_abs();
    let digits = amount.currency().minor_digits();
    let scale = 10u64.pow(digits);
    let major = group_thousands(magnitude / scale);
    if digits == 0 {
        format!("{sign}{symbol}{major}")
    } else {
        let fraction = magnitude % scale;
        let width = digits as usize;
        format!("{sign}{symbol}{major}.{fraction:0width$}")
    }
}

fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

/// A domain name as people read it: `例子.中国` for `xn--fsqu00a.xn--fiqs8s`; the input
/// itself when it does not parse.
pub fn unicode_name(ascii: &str) -> String {
    use yuming_core::rules::domain_name::{DomainName, DomainPolicy};
    DomainName::parse(ascii, &DomainPolicy::GENERIC).map_or_else(
        |_| ascii.to_owned(),
        |parsed| parsed.value.unicode().to_owned(),
    )
}

/// `2026-12-05 14:30` in Asia/Shanghai.
pub fn datetime(at: Timestamp) -> String {
    let local = time::OffsetDateTime::from_unix_timestamp(at.0 + SHANGHAI_OFFSET_SECS)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        local.year(),
        u8::from(local.month()),
        local.day(),
        local.hour(),
        local.minute()
    )
}

/// `2026-12-05` in Asia/Shanghai.
pub fn date(at: Timestamp) -> String {
    datetime(at)[..10].to_owned()
}

/// Whole days from `now` until `at` (negative once past), counted in Shanghai days.
pub fn days_until(at: Timestamp, now: Timestamp) -> i64 {
    let day = |t: Timestamp| (t.0 + SHANGHAI_OFFSET_SECS).div_euclid(86_400);
    day(at) - day(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped_and_exact() {
        assert_eq!(money(Money::new(6900, Currency::Cny)), "¥69.00");
        assert_eq!(
            money(Money::new(123_456_789, Currency::Cny)),
            "¥1,234,567.89"
        );
        assert_eq!(money(Money::new(-5, Currency::Cny)), "-¥0.05");
        assert_eq!(money(Money::new(0, Currency::Cny)), "¥0.00");
        assert_eq!(money(Money::new(100_000, Currency::Cny)), "¥1,000.00");
    }

    #[test]
    fn names_are_shown_in_unicode() {
        assert_eq!(unicode_name("xn--fsqu00a.xn--fiqs8s"), "例子.中国");
        assert_eq!(unicode_name("example.com"), "example.com");
        assert_eq!(unicode_name("not a name"), "not a name");
    }

    #[test]
    fn times_are_shanghai() {
        // 2026-12-05T06:30:00Z is 14:30 in Shanghai.
        assert_eq!(datetime(Timestamp(1_796_452_200)), "2026-12-05 14:30");
        assert_eq!(date(Timestamp(1_796_452_200)), "2026-12-05");
        // 16:30Z is already the next day in Shanghai.
        assert_eq!(
            days_until(
                Timestamp(1_796_452_200 + 10 * 3600),
                Timestamp(1_796_452_200)
            ),
            1
        );
    }
}
