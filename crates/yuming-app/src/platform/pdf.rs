//! One-page text documents as PDF (invoices), written with `pdf-writer`. Chinese text uses
//! the standard CJK font STSong-Light (Adobe-GB1, UniGB-UCS2-H), which every PDF reader
//! supplies, so no font is embedded and a document stays a few kilobytes.

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// A line of text: its size in points and the text.
pub type Line = (f32, String);

/// A one-page A4 document of `lines`, top to bottom, titled `title`.
pub fn text_page(title: &str, lines: &[Line]) -> Vec<u8> {
    let catalog = Ref::new(1);
    let pages = Ref::new(2);
    let page = Ref::new(3);
    let content_id = Ref::new(4);
    let font = Ref::new(5);
    let cid_font = Ref::new(6);
    let descriptor = Ref::new(7);
    let info = Ref::new(8);
    let font_name = Name(b"F1");

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page]).count(1);
    let mut page_writer = pdf.page(page);
    page_writer
        .media_box(Rect::new(0.0, 0.0, 595.0, 842.0))
        .parent(pages)
        .contents(content_id);
    page_writer.resources().fonts().pair(font_name, font);
    page_writer.finish();

    pdf.type0_font(font)
        .base_font(Name(b"STSong-Light"))
        .encoding_predefined(Name(b"UniGB-UCS2-H"))
        .descendant_font(cid_font);
    let mut cid = pdf.cid_font(cid_font);
    cid.subtype(CidFontType::Type0)
        .base_font(Name(b"STSong-Light"))
        .system_info(SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"GB1"),
            supplement: 2,
        })
        .font_descriptor(descriptor)
        .default_width(1000.0);
    // CIDs 1–95 of Adobe-GB1 are the half-width ASCII glyphs: without their width, Latin
    // text and digits would be set as wide as Chinese characters.
    cid.widths().same(1, 95, 500.0);
    cid.finish();
    pdf.font_descriptor(descriptor)
        .name(Name(b"STSong-Light"))
        .flags(FontFlags::SYMBOLIC | FontFlags::SERIF)
        .bbox(Rect::new(-25.0, -254.0, 1000.0, 880.0))
        .italic_angle(0.0)
        .ascent(880.0)
        .descent(-120.0)
        .cap_height(880.0)
        .stem_v(93.0);

    let mut content = Content::new();
    content.begin_text();
    let mut y = 780.0;
    for (size, text) in lines {
        let encoded = ucs2(text);
        content
            .set_font(font_name, *size)
            .set_text_matrix([1.0, 0.0, 0.0, 1.0, 50.0, y])
            .show(Str(&encoded));
        y -= size + 12.0;
    }
    content.end_text();
    pdf.stream(content_id, &content.finish());
    pdf.document_info(info)
        .title(TextStr(title))
        .producer(TextStr("Yuming"));
    pdf.finish()
}

/// UCS-2 big-endian for UniGB-UCS2-H; characters outside the BMP become `?`.
fn ucs2(text: &str) -> Vec<u8> {
    text.chars()
        .flat_map(|c| {
            u16::try_from(u32::from(c))
                .unwrap_or(u16::from(b'?'))
                .to_be_bytes()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_page_of_chinese_text_is_a_pdf() {
        let pdf = super::text_page(
            "发票",
            &[
                (18.0, "电子发票 Invoice".into()),
                (12.0, "金额 ¥100.00".into()),
            ],
        );
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/STSong-Light") && text.contains("/UniGB-UCS2-H"));
        assert!(text.trim_end().ends_with("%%EOF"));
    }
}
