//! The filing certificate: what it says, the exact bytes that are signed, and its printable
//! PDF form. Signing and keys are the application's; this module only fixes the formats.
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

    /// The printable certificate: a one-page PDF 1.4 showing the fields, with the signed JSON
    /// and its signature in the document information. Chinese text uses the standard CJK font
    /// STSong-Light (UniGB-UCS2-H), which PDF readers supply, so no font is embedded.
    pub fn pdf(&self, signature: &str) -> Vec<u8> {
        let date = |t: Timestamp| t.date().to_string();
        let lines: Vec<(u16, String)> =
            vec![
            (20, "ICP 备案证书  ICP Filing Certificate".to_owned()),
            (12, String::new()),
            (12, format!("网站备案号 Site number: {}", self.site_no)),
            (12, format!("主体备案号 Subject number: {}", self.subject_no)),
            (12, format!("主办单位 Entity: {}", self.entity_name)),
            (12, format!("主体性质 Entity type: {}", self.entity_type)),
            (12, format!("省份 Province: {}", self.province)),
            (12, format!("网站名称 Site name: {}", self.site_name)),
            (12, format!("授权域名 Authorised domain: {}", self.domain)),
            (
                12,
                format!(
                    "有效期 Valid: {} — {}",
                    date(self.issued_at),
                    date(self.valid_until)
                ),
            ),
            (12, format!("证书编号 Certificate id: {}", self.id)),
            (12, String::new()),
            (
                9,
                format!("Ed25519 signature (key {}): {}", self.key_id, signature),
            ),
            (
                9,
                "Verify: POST the certificate JSON to /api/v1/public/filing/certificates/verify"
                    .to_owned(),
            ),
        ];
        let mut content = String::from("BT\n");
        let mut y = 780;
        for (size, text) in &lines {
            content.push_str(&format!(
                "/F1 {size} Tf 1 0 0 1 50 {y} Tm <{}> Tj\n",
                ucs2_hex(text)
            ));
            y -= i32::from(*size) + 14;
        }
        content.push_str("ET\n");
        let info = format!(
            "<< /Title <{}> /Producer (Yuming) /YumingCertificate <{}> /YumingSignature ({}) >>",
            utf16_hex_with_bom("ICP 备案证书"),
            hex_bytes(self.canonical_json().as_bytes()),
            signature
        );
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_owned(),
            format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
            "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>".to_owned(),
            "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 7 0 R /DW 1000 >>".to_owned(),
            "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>".to_owned(),
            info,
        ];
        let mut out: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
        let mut offsets = Vec::with_capacity(objects.len());
        for (i, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
        );
        for offset in offsets {
            out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R /Info {} 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1,
                objects.len()
            )
            .as_bytes(),
        );
        out
    }
}

/// UCS-2 big-endian hex for UniGB-UCS2-H; characters outside the BMP become `?`.
fn ucs2_hex(text: &str) -> String {
    text.chars()
        .map(|c| {
            let unit = u16::try_from(u32::from(c)).unwrap_or(u16::from(b'?'));
            format!("{unit:04X}")
        })
        .collect()
}

fn utf16_hex_with_bom(text: &str) -> String {
    let mut out = String::from("FEFF");
    for unit in text.encode_utf16() {
        out.push_str(&format!("{unit:04X}"));
    }
    out
}

fn hex_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
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
    fn pdf_structure_and_cross_reference_table() {
        let pdf = sample().pdf("c2lnbmF0dXJl");
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(&pdf).to_string();
        let startxref: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .expect("startxref");
        assert!(pdf[startxref..].starts_with(b"xref\n0 9\n"));
        // Every offset in the table points at its object.
        let table = &text[text.find("xref\n").expect("xref")..];
        for (i, line) in table.lines().skip(3).take(8).enumerate() {
            let offset: usize = line[..10].parse().expect("offset");
            let header = format!("{} 0 obj", i + 1);
            assert!(
                pdf[offset..].starts_with(header.as_bytes()),
                "object {} at {offset}",
                i + 1
            );
        }
        // The stream length is exact.
        let stream_at = text.find("stream\n").expect("stream") + "stream\n".len();
        let end = text.find("endstream").expect("endstream");
        let length: usize = text[..stream_at]
            .rsplit("/Length ")
            .next()
            .and_then(|t| t.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .expect("length");
        assert_eq!(end - stream_at, length);
        // The site number is drawn (UCS-2 of "京" is 4EAC) and the signed JSON is embedded.
        assert!(text.contains("4EAC"));
        assert!(text.contains(&hex_bytes(sample().canonical_json().as_bytes())));
    }

    #[test]
    fn person_names_are_masked() {
        assert_eq!(masked_person_name("张三"), "张*");
        assert_eq!(masked_person_name("欧阳娜娜"), "欧***");
        assert_eq!(masked_person_name("李"), "李*");
        assert_eq!(masked_person_name(" "), "");
    }
}
