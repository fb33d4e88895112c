//! Filing materials (R-MAT-1): upload checks, encryption at rest, history of re-uploads.
//!
//! Checks, in order, each with its own error code: size ≤ 5 MB (`MATERIAL_TOO_LARGE`);
//! the bytes are a JPEG or PNG whatever the name or declared type says (`MATERIAL_TYPE`);
//! the file is complete (JPEG ends with EOI, PNG with IEND) and decodes within bounded
//! memory and dimensions, which stops decompression bombs (`MATERIAL_CORRUPT`,
//! `MATERIAL_BOMB`); minimum pixel size (`MATERIAL_TOO_SMALL`); stated density ≥ 300 dpi
//! (`MATERIAL_LOW_DPI`); colour (`MATERIAL_GREYSCALE`).
//!
//! Density policy: the `image` crate reports none, so PNG `pHYs` and JPEG JFIF APP0 are read
//! here. EXIF resolution is deliberately not used: phone cameras write a nominal 72 dpi that
//! says nothing about the scan. A file that states no density (or only EXIF) must instead
//! have the pixels a 300 dpi scan of the document would have (an ID card 85.6 × 54 mm →
//! 1011 × 638 px; other documents at least A5, 1240 × 1748 px); the verification photo is a
//! photograph, judged by pixel size only.
//!
//! What the checks measured is stored with the file, so the self-check never decodes again.

use sha2::{Digest, Sha256};
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::filing::OrderStatus;
use yuming_store::FilingMaterialRow;

use crate::audit::{self, Change};
use crate::crypto::new_id;
use crate::{App, AppError, ErrorKind, RequestContext};

/// Largest accepted file.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Required density where a file states one.
pub const MIN_DPI: u32 = 300;
/// Any material: at least this many pixels on the short and the long side.
const MIN_SHORT_SIDE: u32 = 400;
const MIN_LONG_SIDE: u32 = 600;
/// Decoding bounds: no real scan is larger; a bomb is refused before allocating.
const MAX_SIDE: u32 = 12_000;
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// The material kinds.
pub const KINDS: [&str; 8] = [
    "id_front",
    "id_back",
    "business_licence",
    "verification_photo",
    "authorisation_letter",
    "preapproval",
    "commitment_letter",
    "other",
];

/// A material as listed (never its contents).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialView {
    /// `fma_…`.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// The latest upload of its kind.
    pub current: bool,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Bytes.
    pub size_bytes: i64,
    /// SHA-256, hex.
    pub sha256: String,
    /// Pixels.
    pub width: i64,
    /// Pixels.
    pub height: i64,
    /// Stated density.
    pub dpi: Option<i64>,
    /// Upload time.
    pub created_at: Timestamp,
}

impl MaterialView {
    pub(crate) fn from_row(row: &FilingMaterialRow) -> MaterialView {
        MaterialView {
            id: row.id.clone(),
            kind: row.kind.clone(),
            current: row.current,
            content_type: row.content_type.clone(),
            size_bytes: row.size_bytes,
            sha256: row.sha256.clone(),
            width: row.width,
            height: row.height,
            dpi: row.dpi,
            created_at: Timestamp(row.created_at),
        }
    }
}

/// What the upload checks measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// `image/jpeg` or `image/png`.
    pub content_type: &'static str,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// Stated density.
    pub dpi: Option<u32>,
    /// SHA-256, hex.
    pub sha256: String,
}

fn material_error(code: &'static str, en: impl Into<String>, zh: impl Into<String>) -> AppError {
    AppError::new(ErrorKind::BadRequest, code, en, zh).with_field("file")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Jpeg,
    Png,
}

fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else {
        None
    }
}

/// Whether the file ends where its format says it ends (a truncated upload does not).
fn complete(format: Format, bytes: &[u8]) -> bool {
    match format {
        Format::Jpeg => {
            let trimmed = bytes
                .iter()
                .rposition(|b| *b != 0)
                .map_or(&bytes[..0], |end| &bytes[..=end]);
            trimmed.ends_with(&[0xFF, 0xD9])
        }
        Format::Png => png_chunks(bytes).any(|(kind, _)| kind == *b"IEND"),
    }
}

/// Iterates PNG chunks (type, data); stops at the first malformed one.
fn png_chunks(bytes: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut pos = 8usize;
    std::iter::from_fn(move || {
        let len = u32::from_be_bytes(bytes.get(pos..pos + 4)?.try_into().ok()?) as usize;
        let kind: [u8; 4] = bytes.get(pos + 4..pos + 8)?.try_into().ok()?;
        let data = bytes.get(pos + 8..pos.checked_add(8 + len)?)?;
        bytes.get(pos + 8 + len..pos + 12 + len)?;
        pos += 12 + len;
        Some((kind, data))
    })
}

/// Density stated by the file: PNG `pHYs` in pixels per metre, JPEG JFIF APP0.
fn stated_dpi(format: Format, bytes: &[u8]) -> Option<u32> {
    match format {
        Format::Png => png_chunks(bytes)
            .find(|(kind, _)| kind == b"pHYs")
            .and_then(|(_, d)| {
                let x = u32::from_be_bytes(d.get(0..4)?.try_into().ok()?);
                let y = u32::from_be_bytes(d.get(4..8)?.try_into().ok()?);
                // Unit 1 = metre; unit 0 states only an aspect ratio.
                (*d.get(8)? == 1).then(|| (f64::from(x.min(y)) * 0.0254).round() as u32)
            }),
        Format::Jpeg => {
            // APP0 directly after SOI: FF E0, length, "JFIF\0", version (2), units, Xd, Yd.
            let app0 = bytes.get(2..18)?;
            if app0[0..2] != [0xFF, 0xE0] || &app0[4..9] != b"JFIF\0" {
                return None;
            }
            let units = app0[11];
            let x = u16::from_be_bytes([app0[12], app0[13]]);
            let y = u16::from_be_bytes([app0[14], app0[15]]);
            let d = f64::from(x.min(y));
            match units {
                1 => Some(d as u32),
                2 => Some((d * 2.54).round() as u32),
                _ => None,
            }
        }
    }
}

/// The pixels a 300 dpi scan of the kind's document has (used when no density is stated).
fn scan_pixels(kind: &str) -> Option<(u32, u32)> {
    match kind {
        "id_front" | "id_back" => Some((1011, 638)),
        "verification_photo" => None,
        _ => Some((1748, 1240)),
    }
}

/// Runs every check on an upload (CPU-bound: call it off the async executor).
pub fn inspect(kind: &str, bytes: &[u8]) -> Result<Inspection, AppError> {
    if bytes.len() > MAX_BYTES {
        return Err(material_error(
            "MATERIAL_TOO_LARGE",
            format!("the file has {} bytes; at most 5 MB", bytes.len()),
            "文件超过 5 MB",
        ));
    }
    let format = sniff(bytes).ok_or_else(|| {
        material_error(
            "MATERIAL_TYPE",
            "the file is not a JPEG or PNG image",
            "文件不是 JPG 或 PNG 图片",
        )
    })?;
    if !complete(format, bytes) {
        return Err(material_error(
            "MATERIAL_CORRUPT",
            "the image is truncated or damaged; upload it again",
            "图片不完整或已损坏，请重新上传",
        ));
    }
    let mut reader = image::ImageReader::with_format(
        std::io::Cursor::new(bytes),
        match format {
            Format::Jpeg => image::ImageFormat::Jpeg,
            Format::Png => image::ImageFormat::Png,
        },
    );
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => material_error(
            "MATERIAL_BOMB",
            format!(
                "the image is larger than {MAX_SIDE} × {MAX_SIDE} pixels or needs too much memory"
            ),
            format!("图片尺寸超过 {MAX_SIDE} × {MAX_SIDE} 像素或占用内存过大"),
        ),
        _ => material_error(
            "MATERIAL_CORRUPT",
            "the image does not decode; upload it again",
            "图片无法解码，请重新上传",
        ),
    })?;
    let (width, height) = (decoded.width(), decoded.height());
    let (short, long) = (width.min(height), width.max(height));
    let dpi = stated_dpi(format, bytes);
    let (need_long, need_short) = match (dpi, scan_pixels(kind)) {
        (None, Some(scan)) => scan,
        _ => (MIN_LONG_SIDE, MIN_SHORT_SIDE),
    };
    if short < need_short || long < need_long {
        return Err(material_error(
            "MATERIAL_TOO_SMALL",
            format!(
                "the image has {width} × {height} pixels; at least {need_long} × {need_short} needed"
            ),
            format!("图片为 {width} × {height} 像素，至少需要 {need_long} × {need_short} 像素"),
        ));
    }
    if let Some(dpi) = dpi
        && dpi < MIN_DPI
        && kind != "verification_photo"
    {
        return Err(material_error(
            "MATERIAL_LOW_DPI",
            format!("the image states {dpi} dpi; at least {MIN_DPI} needed"),
            format!("图片分辨率为 {dpi} dpi，至少需要 {MIN_DPI} dpi"),
        ));
    }
    if is_greyscale(&decoded) {
        return Err(material_error(
            "MATERIAL_GREYSCALE",
            "the image is black and white; upload a colour photo or scan of the original",
            "图片为黑白，请上传原件的彩色照片或扫描件",
        ));
    }
    Ok(Inspection {
        content_type: match format {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
        },
        width,
        height,
        dpi,
        sha256: hex::encode(Sha256::digest(bytes)),
    })
}

/// Greyscale: a grey colour type, or RGB whose sampled pixels (up to ~10 000) all have
/// channels within a few levels of each other (a black-and-white scan saved as colour).
fn is_greyscale(img: &image::DynamicImage) -> bool {
    if !img.color().has_color() {
        return true;
    }
    let rgb = img.to_rgb8();
    let (w, h) = rgb.dimensions();
    let step = ((u64::from(w) * u64::from(h) / 10_000).max(1) as f64)
        .sqrt()
        .ceil() as u32;
    let mut coloured = 0u32;
    let mut samples = 0u32;
    for y in (0..h).step_by(step as usize) {
        for x in (0..w).step_by(step as usize) {
            let p = rgb.get_pixel(x, y).0;
            let spread = p.iter().max().unwrap_or(&0) - p.iter().min().unwrap_or(&0);
            samples += 1;
            if spread > 12 {
                coloured += 1;
            }
        }
    }
    // Under 1 % coloured samples: a stamp or a watermark at most.
    coloured * 100 < samples
}

fn material_context(id: &str) -> String {
    format!("filing.material:{id}")
}

/// Uploads a material of `kind` to an order the applicant may still edit. A re-upload of the
/// same kind becomes current; the old one stays in the history.
pub async fn upload(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    order_id: &str,
    kind: &str,
    bytes: Vec<u8>,
) -> Result<MaterialView, AppError> {
    let mut tx = app.db().read().await?;
    let order = tx
        .filing_order(order_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&order.owner_id, Right::IcpManage)?;
    tx.commit().await?;
    if !KINDS.contains(&kind) {
        return Err(AppError::bad_request(
            "INVALID_MATERIAL_KIND",
            format!("kind is one of {}", KINDS.join(", ")),
            format!("材料类型须为 {} 之一", KINDS.join("、")),
        )
        .with_field("kind"));
    }
    let editable = OrderStatus::parse(&order.status).is_some_and(OrderStatus::applicant_may_edit);
    if !editable {
        return Err(AppError::new(
            ErrorKind::Conflict,
            "ORDER_NOT_EDITABLE",
            "materials can be changed only while the order is with the applicant",
            "订单不在申请人处理阶段，不能修改材料",
        ));
    }
    let kind_owned = kind.to_owned();
    let (inspection, bytes) =
        tokio::task::spawn_blocking(move || inspect(&kind_owned, &bytes).map(|i| (i, bytes)))
            .await
            .map_err(|e| AppError::internal(format!("material check panicked: {e}")))??;
    let id = new_id("fma");
    let row = FilingMaterialRow {
        id: id.clone(),
        owner_id: order.owner_id.clone(),
        order_id: order.id.clone(),
        kind: kind.to_owned(),
        current: true,
        content_type: inspection.content_type.to_owned(),
        size_bytes: bytes.len() as i64,
        sha256: inspection.sha256.clone(),
        width: i64::from(inspection.width),
        height: i64::from(inspection.height),
        dpi: inspection.dpi.map(i64::from),
        data_sealed: app.cipher().seal(&bytes, &material_context(&id)),
        created_by: actor.account_id.clone(),
        created_at: app.now().0,
    };
    let mut tx = app.db().write().await?;
    tx.insert_filing_material(&row).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.material.upload",
            object_type: "filing_material",
            object_id: &id,
            tenant: &row.owner_id,
            before: serde_json::Value::Null,
            after: serde_json::json!({"order_id": row.order_id, "kind": row.kind,
                                      "sha256": row.sha256, "size": row.size_bytes}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(MaterialView::from_row(&row))
}

/// An order's materials, every version.
pub async fn list(app: &App, actor: &Actor, order_id: &str) -> Result<Vec<MaterialView>, AppError> {
    let right = if actor.role.is_staff() {
        Right::ReviewQueue
    } else {
        Right::IcpManage
    };
    let mut tx = app.db().read().await?;
    let order = tx
        .filing_order(order_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&order.owner_id, right)?;
    let rows = tx.filing_materials(&order.id).await?;
    tx.commit().await?;
    Ok(rows.iter().map(MaterialView::from_row).collect())
}

/// A material's plain contents and type (the owner, or a reviewer).
pub async fn download(
    app: &App,
    actor: &Actor,
    order_id: &str,
    material_id: &str,
) -> Result<(String, Vec<u8>), AppError> {
    let right = if actor.role.is_staff() {
        Right::ReviewQueue
    } else {
        Right::IcpManage
    };
    let mut tx = app.db().read().await?;
    let row = tx
        .filing_material(material_id)
        .await?
        .filter(|m| m.order_id == order_id)
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&row.owner_id, right)?;
    tx.commit().await?;
    let bytes = app
        .cipher()
        .open(&row.data_sealed, &material_context(&row.id))
        .map_err(|e| AppError::internal(format!("material does not open: {e}")))?;
    Ok((row.content_type, bytes))
}
