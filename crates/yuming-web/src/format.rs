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

/// A `User-Agent` in a few words — "Chrome on Windows", "Safari on iPhone", "curl" — for
/// telling sessions apart; an agent it does not know is shown shortened.
pub fn device(user_agent: &str) -> String {
    let ua = user_agent;
    let browser = if ua.contains("Edg/") {
        Some("Edge")
    } else if ua.contains("Firefox/") {
        Some("Firefox")
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") || ua.contains("CriOS/") {
        Some(if ua.contains("HeadlessChrome") {
            "Headless Chrome"
        } else {
            "Chrome"
        })
    } else if ua.contains("Safari/") {
        Some("Safari")
    } else {
        None
    };
    let system = if ua.contains("iPhone") {
        Some("iPhone")
    } else if ua.contains("iPad") {
        Some("iPad")
    } else if ua.contains("Android") {
        Some("Android")
    } else if ua.contains("Windows") {
        Some("Windows")
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        Some("macOS")
    } else if ua.contains("Linux") {
        Some("Linux")
    } else {
        None
    };
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} · {system}"),
        (Some(browser), None) => browser.to_owned(),
        _ => {
            // curl/8.5.0, python-requests/2.31 …: the product without its version.
            let product = ua.split([' ', '/']).next().unwrap_or(ua);
            product.chars().take(40).collect()
        }
    }
}

/// `text` as a QR code, as a `data:` URL of an SVG image (for an `<img>`: the CSP forbids
/// inline SVG styles but allows data images).
pub fn qr_data_url(text: &str) -> String {
    use base64::Engine as _;
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build();
            format!(
                "data:image/svg+xml;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(svg)
            )
        }
        Err(_) => String::new(),
    }
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

    #[test]
    fn devices_in_a_few_words() {
        let chrome_windows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                              (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(device(chrome_windows), "Chrome · Windows");
        let safari_iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) \
                             AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(device(safari_iphone), "Safari · iPhone");
        let edge = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
                    (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
        assert_eq!(device(edge), "Edge · macOS");
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(device(firefox), "Firefox · Linux");
        assert_eq!(device("curl/8.5.0"), "curl");
        assert_eq!(device("python-requests/2.31.0"), "python-requests");
    }
}
