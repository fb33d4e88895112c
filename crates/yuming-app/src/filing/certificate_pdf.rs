//! The printable filing certificate: a one-page PDF written by hand (the format is small and
//! fixed), kept out of the domain crate because it is presentation, not a rule.

use yuming_core::clock::Timestamp;
use yuming_core::filing::certificate::Certificate;

/// The printable certificate: a one-page PDF 1.4 showing the fields, with the signed JSON
/// and its signature in the document information. Chinese text uses the standard CJK font
/// STSong-Light (UniGB-UCS2-H), which PDF readers supply, so no font is embedded.
pub fn render(certificate: &Certificate, signature: &str) -> Vec<u8> {
    let date = |t: Timestamp| t.date().to_string();
    let lines: Vec<(u16, String)> = vec![
        (20, "ICP 备案证书  ICP Filing Certificate".to_owned()),
        (12, String::new()),
        (
            12,
            format!("网站备案号 Site number: {}", certificate.site_no),
        ),
        (
            12,
            format!("主体备案号 Subject number: {}", certificate.subject_no),
        ),
        (12, format!("主办单位 Entity: {}", certificate.entity_name)),
        (
            12,
            format!("主体性质 Entity type: {}", certificate.entity_type),
        ),
        (12, format!("省份 Province: {}", certificate.province)),
        (12, format!("网站名称 Site name: {}", certificate.site_name)),
        (
            12,
            format!("授权域名 Authorised domain: {}", certificate.domain),
        ),
        (
            12,
            format!(
                "有效期 Valid: {} — {}",
                date(certificate.issued_at),
                date(certificate.valid_until)
            ),
        ),
        (12, format!("证书编号 Certificate id: {}", certificate.id)),
        (12, String::new()),
        (
            9,
            format!(
                "Ed25519 signature (key {}): {}",
                certificate.key_id, signature
            ),
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
        hex_bytes(certificate.canonical_json().as_bytes()),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Certificate {
        Certificate {
            id: "fce_9".into(),
            subject_no: "沪ICP备2026000456号".into(),
            site_no: "沪ICP备2026000456号-2".into(),
            entity_name: "上海示例科技有限公司".into(),
            entity_type: "ENTERPRISE".into(),
            province: "上海".into(),
            domain: "example.cn".into(),
            site_name: "示例商城".into(),
            issued_at: Timestamp(1_790_000_000),
            valid_until: Timestamp(1_821_536_000),
            key_id: "k2".into(),
        }
    }

    #[test]
    fn pdf_structure_and_cross_reference_table() {
        let pdf = render(&sample(), "c2lnbmF0dXJl");
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
        // The site number is drawn (UCS-2 of "沪" is 6CAA) and the signed JSON is embedded.
        assert!(text.contains("6CAA"));
        assert!(text.contains(&hex_bytes(sample().canonical_json().as_bytes())));
    }
}
