//! The filing certificate: what it says and the exact bytes that are signed. Signing, keys
//! and the printable PDF are the application's; this module only fixes the signed format.
//!
//! The signed form is the JSON Canonicalization Scheme (RFC 8785, JCS): one object, keys in
//! code-unit order, no insignificant white space, strings with only `"`, `\` and control
//! characters escaped (`\b \t \n \f \r` short, the rest as `\u00xx`), and integers for
//! times (unix seconds). Anyone holding the platform's public key can rebuild it from the
//! certificate's fields with any JCS library and check the Ed25519 signature; changing any
//! field changes the bytes.

use crate::clock::Timestamp;

/// The certificate format version.
pub const VERSION: u32 = 1;

/// A filing certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// Certificate id.
    pub id: String,
    /// 主体备案号, e.g. `京ICP备2026000123号`.
    pub subject_no: String,
    /// 网站备案号, e.g. `京ICP备2026000123号-1`.
    pub site_no: String,
    /// The entity's public name (a person's is masked).
    pub entity_name: String,
    /// §1.4 entity type key.
    pub entity_type: String,
    /// Province short name.
    pub province: String,
    /// The authorised domain (A-label).
    pub domain: String,
    /// The site's name.
    pub site_name: String,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// Until when it is valid.
    pub valid_until: Timestamp,
    /// The signing key's id.
    pub key_id: String,
}

fn push_json_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            // RFC 8785 §3.2.2.2 (ECMAScript JSON.stringify): these five have short escapes.
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Certificate {
    /// The canonical JSON that is signed.
    pub fn canonical_json(&self) -> String {
        let text = [
            ("domain", self.domain.as_str()),
            ("entity_name", self.entity_name.as_str()),
            ("entity_type", self.entity_type.as_str()),
            ("id", self.id.as_str()),
        ];
        let text_after = [
            ("key_id", self.key_id.as_str()),
            ("province", self.province.as_str()),
            ("site_name", self.site_name.as_str()),
            ("site_no", self.site_no.as_str()),
            ("subject_no", self.subject_no.as_str()),
        ];
        let mut out = String::from("{");
        for (key, value) in text {
            push_json_string(&mut out, key);
            out.push(':');
            push_json_string(&mut out, value);
            out.push(',');
        }
        // Byte order of the keys: "issued_at" sorts between "id" and "key_id".
        out.push_str(&format!("\"issued_at\":{},", self.issued_at.0));
        for (key, value) in text_after {
            push_json_string(&mut out, key);
            out.push(':');
            push_json_string(&mut out, value);
            out.push(',');
        }
        out.push_str(&format!(
            "\"valid_until\":{},\"version\":{VERSION}}}",
            self.valid_until.0
        ));
        out
    }

    /// Whether it is valid at `now`.
    pub fn valid_at(&self, now: Timestamp) -> bool {
        self.issued_at.0 <= now.0 && now.0 < self.valid_until.0
    }
}

/// A person's name as public records show it: the family name and `*` for the rest.
pub fn masked_person_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Certificate {
        Certificate {
            id: "fce_1".into(),
            subject_no: "京ICP备2026000123号".into(),
            site_no: "京ICP备2026000123号-1".into(),
            entity_name: "张*".into(),
            entity_type: "PERSON".into(),
            province: "北京".into(),
            domain: "zhangsan.cn".into(),
            site_name: "张三的\"笔记\"".into(),
            issued_at: Timestamp(1_780_000_000),
            valid_until: Timestamp(1_811_536_000),
            key_id: "k1".into(),
        }
    }

    #[test]
    fn canonical_json_is_sorted_compact_and_escaped() {
        let json = sample().canonical_json();
        assert_eq!(
            json,
            "{\"domain\":\"zhangsan.cn\",\"entity_name\":\"张*\",\"entity_type\":\"PERSON\",\"id\":\"fce_1\",\
             \"issued_at\":1780000000,\"key_id\":\"k1\",\"province\":\"北京\",\"site_name\":\"张三的\\\"笔记\\\"\",\
             \"site_no\":\"京ICP备2026000123号-1\",\"subject_no\":\"京ICP备2026000123号\",\
             \"valid_until\":1811536000,\"version\":1}"
        );
        let mut other = sample();
        other.domain = "zhangsan.com".into();
        assert_ne!(other.canonical_json(), json);
        let mut control = sample();
        control.site_name = "a\nb\u{7}".into();
        assert!(control.canonical_json().contains(r#""a\nb\u0007""#));
    }

    #[test]
    fn validity_window() {
        let c = sample();
        assert!(c.valid_at(Timestamp(1_780_000_000)));
        assert!(!c.valid_at(Timestamp(1_811_536_000)));
        assert!(!c.valid_at(Timestamp(1_779_999_999)));
    }

    #[test]
    fn person_names_are_masked() {
        assert_eq!(masked_person_name("张三"), "张*");
        assert_eq!(masked_person_name("欧阳娜娜"), "欧***");
        assert_eq!(masked_person_name("李"), "李*");
        assert_eq!(masked_person_name(" "), "");
    }
}
