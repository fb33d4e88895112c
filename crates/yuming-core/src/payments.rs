//! The pure parts of the payment gateways' wire protocols: amounts as the gateways write
//! them, Alipay's signed content, WeChat Pay's signed message, and the little DER a
//! gateway's RSA public key or platform certificate needs to be read.
//!
//! Signing and verifying themselves (RSA PKCS#1 v1.5 with SHA-256) are done by the
//! application with `ring`; what is signed is decided here.

use crate::money::{Currency, Money, MoneyError};

/// An amount as the gateways write it in yuan: `88.00`, `0.01` (always the currency's minor
/// digits, no sign for positive amounts, no currency code).
pub fn decimal_amount(amount: Money) -> String {
    let digits = amount.currency().minor_digits() as usize;
    let scale = 10_u64.pow(amount.currency().minor_digits());
    let sign = if amount.is_negative() { "-" } else { "" };
    let magnitude = amount.minor().unsigned_abs();
    if digits == 0 {
        format!("{sign}{magnitude}")
    } else {
        format!("{sign}{}.{:0digits$}", magnitude / scale, magnitude % scale)
    }
}

/// Reads an amount a gateway wrote in yuan (`88.8`, `88.80`, `88`); refuses anything that
/// would need rounding or is not positive.
pub fn parse_decimal_amount(text: &str, currency: Currency) -> Result<Money, MoneyError> {
    let money = Money::parse(text.trim(), currency)?;
    if money.is_positive() {
        Ok(money)
    } else {
        Err(MoneyError::InvalidAmount)
    }
}

/// The content Alipay signs (RSA2): every parameter except `sign` and `sign_type` (and, for
/// a notify, `sign_type` too), with an empty value dropped, sorted by name and joined as
/// `name=value&…` with the values not URL-encoded.
pub fn alipay_sign_content<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut kept: Vec<(&str, &str)> = params
        .into_iter()
        .filter(|(name, value)| *name != "sign" && *name != "sign_type" && !value.is_empty())
        .collect();
    kept.sort_unstable();
    let mut content = String::new();
    for (name, value) in kept {
        if !content.is_empty() {
            content.push('&');
        }
        content.push_str(name);
        content.push('=');
        content.push_str(value);
    }
    content
}

/// The message WeChat Pay API v3 signs: each part followed by a newline. A request signs
/// `method, path with query, timestamp, nonce, body`; a response or notify
/// `timestamp, nonce, body`.
pub fn wechat_sign_message(parts: &[&str]) -> String {
    let mut message = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for part in parts {
        message.push_str(part);
        message.push('\n');
    }
    message
}

/// The raw text of the object under `"<key>":` in an Alipay answer, exactly as sent: Alipay
/// signs those bytes, so they must not be re-serialised before verifying.
pub fn alipay_response_content<'a>(body: &'a str, key: &str) -> Option<&'a str> {
    let quoted = format!("\"{key}\"");
    let after_key = body.find(&quoted)? + quoted.len();
    let rest = body[after_key..].trim_start().strip_prefix(':')?;
    let start = body.len() - rest.trim_start().len();
    let bytes = body.as_bytes();
    if bytes.get(start) != Some(&b'{') {
        return None;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (offset, &byte) in bytes[start..].iter().enumerate() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&body[start..=start + offset]);
                }
            }
            _ => {}
        }
    }
    None
}

/// What is wrong with a key or certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormatError {
    /// Not PEM or base64.
    #[error("not PEM or base64")]
    Encoding,
    /// Not the DER structure expected.
    #[error("not a DER {0}")]
    Structure(&'static str),
}

/// The DER bytes of a key or certificate given as PEM (any label) or as bare base64, the two
/// forms the gateways' consoles hand out.
pub fn der_of_pem_or_base64(text: &str) -> Result<Vec<u8>, KeyFormatError> {
    use base64::Engine as _;
    let body: String = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .map_err(|_| KeyFormatError::Encoding)
}

/// The PKCS#1 `RSAPublicKey` inside a `SubjectPublicKeyInfo` (the form `ring` verifies
/// with); a bare `RSAPublicKey` is returned as it is.
pub fn rsa_public_key_of_spki(der: &[u8]) -> Result<&[u8], KeyFormatError> {
    let structure = KeyFormatError::Structure("SubjectPublicKeyInfo");
    let (outer, rest) = read_tlv(der, 0x30).ok_or(structure)?;
    if !rest.is_empty() {
        return Err(structure);
    }
    // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
    // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
    match read_tlv(outer, 0x30) {
        Some((algorithm, after)) if algorithm.first() == Some(&0x06) => {
            if !algorithm.starts_with(&RSA_ENCRYPTION_OID) {
                return Err(KeyFormatError::Structure("RSA key"));
            }
            let (bits, rest) = read_tlv(after, 0x03).ok_or(structure)?;
            if !rest.is_empty() {
                return Err(structure);
            }
            match bits.split_first() {
                Some((0, key)) => Ok(key),
                _ => Err(structure),
            }
        }
        // An INTEGER first: already an RSAPublicKey.
        _ if outer.first() == Some(&0x02) => Ok(der),
        _ => Err(structure),
    }
}

/// The `SubjectPublicKeyInfo` of an X.509 certificate (DER).
pub fn spki_of_certificate(der: &[u8]) -> Result<&[u8], KeyFormatError> {
    let structure = KeyFormatError::Structure("certificate");
    let (certificate, _) = read_tlv(der, 0x30).ok_or(structure)?;
    let (tbs, _) = read_tlv(certificate, 0x30).ok_or(structure)?;
    let mut rest = tbs;
    // [0] EXPLICIT version is optional.
    if rest.first() == Some(&0xa0) {
        rest = read_tlv(rest, 0xa0).ok_or(structure)?.1;
    }
    // serialNumber, signature, issuer, validity, subject, then subjectPublicKeyInfo.
    for tag in [0x02, 0x30, 0x30, 0x30, 0x30] {
        rest = read_tlv(rest, tag).ok_or(structure)?.1;
    }
    let (_, after) = read_tlv(rest, 0x30).ok_or(structure)?;
    Ok(&rest[..rest.len() - after.len()])
}

/// `rsaEncryption` (1.2.840.113549.1.1.1) as its DER OBJECT IDENTIFIER.
const RSA_ENCRYPTION_OID: [u8; 11] = [
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];

/// One DER element of tag `tag` at the start of `input`: its contents and what follows.
/// Definite lengths only, at most four length bytes.
fn read_tlv(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = input.split_first()?;
    if first != tag {
        return None;
    }
    let (&length_byte, rest) = rest.split_first()?;
    let (length, rest) = if length_byte < 0x80 {
        (usize::from(length_byte), rest)
    } else {
        let count = usize::from(length_byte & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (bytes, rest) = rest.split_at(count);
        let length = bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (length, rest)
    };
    if rest.len() < length {
        return None;
    }
    Some(rest.split_at(length))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_and_read_in_yuan_without_floats() {
        assert_eq!(decimal_amount(Money::new(8888, Currency::Cny)), "88.88");
        assert_eq!(decimal_amount(Money::new(1, Currency::Cny)), "0.01");
        assert_eq!(
            decimal_amount(Money::new(100_000, Currency::Cny)),
            "1000.00"
        );
        assert_eq!(decimal_amount(Money::new(500, Currency::Jpy)), "500");
        assert_eq!(
            parse_decimal_amount("88.8", Currency::Cny).map(Money::minor),
            Ok(8880)
        );
        assert_eq!(
            parse_decimal_amount("0.01", Currency::Cny).map(Money::minor),
            Ok(1)
        );
        for bad in ["0.00", "-1.00", "1.001", "1e3", "", "88,80", "0x10"] {
            assert!(parse_decimal_amount(bad, Currency::Cny).is_err(), "{bad}");
        }
    }

    #[test]
    fn alipay_signs_sorted_non_empty_parameters_without_sign() {
        // The example of Alipay's "自行实现验签" guide, reduced.
        let content = alipay_sign_content([
            ("sign_type", "RSA2"),
            ("app_id", "2014072300007148"),
            ("method", "alipay.trade.precreate"),
            ("sign", "xxx"),
            ("charset", "utf-8"),
            ("notify_url", ""),
            ("biz_content", "{\"a\":\"1 2\"}"),
        ]);
        assert_eq!(
            content,
            "app_id=2014072300007148&biz_content={\"a\":\"1 2\"}&charset=utf-8&method=alipay.trade.precreate"
        );
    }

    #[test]
    fn alipay_answers_are_verified_over_their_raw_text() {
        let body = r#"{"alipay_trade_query_response":{"code":"10000","msg":"Success","subject":"a}\"{b"} ,"sign":"abc"}"#;
        assert_eq!(
            alipay_response_content(body, "alipay_trade_query_response"),
            Some(r#"{"code":"10000","msg":"Success","subject":"a}\"{b"}"#)
        );
        assert_eq!(
            alipay_response_content(body, "alipay_trade_refund_response"),
            None
        );
        assert_eq!(
            alipay_response_content(r#"{"x_response":{"a":"#, "x_response"),
            None
        );
        assert_eq!(
            alipay_response_content(r#"{"x_response":"str"}"#, "x_response"),
            None
        );
    }

    #[test]
    fn wechat_messages_end_every_part_with_a_newline() {
        assert_eq!(
            wechat_sign_message(&[
                "GET",
                "/v3/certificates",
                "1554208460",
                "593BEC0C930BF1AFEB40B4A08C8FB242",
                ""
            ]),
            "GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n"
        );
    }

    #[test]
    fn der_readers_refuse_truncated_or_foreign_input() {
        assert!(rsa_public_key_of_spki(&[]).is_err());
        assert!(rsa_public_key_of_spki(&[0x30, 0x05, 0x02]).is_err());
        assert!(rsa_public_key_of_spki(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
        // An EC key's SubjectPublicKeyInfo (id-ecPublicKey) is not an RSA key.
        let ec = [
            0x30, 0x13, 0x30, 0x09, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x03,
            0x06, 0x00, 0x04, 0x01, 0x02, 0x03, 0x04,
        ];
        assert_eq!(
            rsa_public_key_of_spki(&ec),
            Err(KeyFormatError::Structure("RSA key"))
        );
        // A bare RSAPublicKey passes through.
        let bare = [0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x03];
        assert_eq!(rsa_public_key_of_spki(&bare), Ok(&bare[..]));
        assert!(spki_of_certificate(&bare).is_err());
        assert_eq!(der_of_pem_or_base64("!!"), Err(KeyFormatError::Encoding));
    }
}
