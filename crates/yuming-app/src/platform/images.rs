//! Document images: the checks every uploaded identity document, licence or filing
//! material passes, whichever context stores it (ICP filing materials, contacts' identity
//! documents).
//!
//! Checks, in order, each with its own error code: size ≤ 5 MB (`MATERIAL_TOO_LARGE`);
//! the bytes are a JPEG or PNG whatever the name or declared type says (`MATERIAL_TYPE`);
//! the file is complete (JPEG ends with EOI, PNG with IEND) (`MATERIAL_CORRUPT`); the pixel
//! count read from the header, before anything is decoded, fits [`MAX_PIXELS`]
//! (`MATERIAL_TOO_MANY_PIXELS`); the decode needs at most [`MAX_ALLOC`] bytes
//! (`MATERIAL_BOMB`) and succeeds (`MATERIAL_CORRUPT`); minimum pixel size
//! (`MATERIAL_TOO_SMALL`); stated density ≥ 300 dpi (`MATERIAL_LOW_DPI`); colour
//! (`MATERIAL_GREYSCALE`). At most `AppSettings::material_decodes` uploads decode at once;
//! one that waits longer than [`DECODE_WAIT`] for a turn is told to retry
//! (`MATERIALS_BUSY`, 503 with `Retry-After`).
//!
//! An accepted file is re-encoded (decoded pixels, orientation applied, written as a fresh
//! PNG or JPEG of the same type with only the density kept), and that is what is stored and
//! served: trailing data (a PNG+ZIP polyglot), text chunks, EXIF and ICC payloads never reach
//! a reviewer's browser.
//!
//! Density policy: the `image` crate reports none, so PNG `pHYs` and JPEG JFIF APP0 are read
//! here, from the uploaded file. EXIF resolution is deliberately not used: phone cameras write
//! a nominal 72 dpi that says nothing about the scan. A file that states no density (or only
//! EXIF) must instead have the pixels a 300 dpi scan of the document would have (an ID card
//! 85.6 × 54 mm → 1011 × 638 px; other documents at least A5, 1240 × 1748 px); the
//! verification photo is a photograph, judged by pixel size only.
//!
//! What the checks measured is returned with the file, so that it can be stored beside it and
//! nothing decodes it again.

use image::ImageDecoder;
use sha2::{Digest, Sha256};

use crate::{App, AppError};

/// Largest accepted file.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Required density where a file states one.
pub const MIN_DPI: u32 = 300;
/// Any material: at least this many pixels on the short and the long side.
const MIN_SHORT_SIDE: u32 = 400;
const MIN_LONG_SIDE: u32 = 600;
/// Largest accepted image, in pixels, checked from the header before decoding. The largest
/// legitimate material is an A4 page scanned at 600 dpi (4961 × 7016 ≈ 34.8 Mpx; a scanner's
/// A4/Letter bed at 600 dpi ≈ 36 Mpx); A3 at 300 dpi is 17.4 Mpx and phone photos are
/// 12–24 Mpx. 40 Mpx leaves room for overscan; a 9 200 × 9 200 bomb (84.6 Mpx) is refused.
pub const MAX_PIXELS: u64 = 40_000_000;
/// Longest side: a 40 Mpx strip of 40 000 × 1 000 is no document either.
pub const MAX_SIDE: u32 = 12_000;
/// Second guard, on what the decoder may allocate: the pixel budget at 4 bytes a pixel (8-bit
/// RGBA). A 16-bit RGBA image (8 bytes a pixel) is refused beyond 20 Mpx; such a file within
/// 5 MB is either small or nearly empty.
pub const MAX_ALLOC: u64 = MAX_PIXELS * 4;
/// How long an upload waits for a free decode slot before it is told to retry.
pub const DECODE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// JPEG quality of the re-encoded file: visually lossless for scans of documents.
const JPEG_QUALITY: u8 = 90;

/// A stored image as listed (never its contents): a filing material or a contact's identity
/// document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageView {
    /// `fma_…` or `cdo_…`.
    pub id: String,
    /// Kind (`id_front`, `business_licence`, …).
    pub kind: String,
    /// The latest upload of its kind.
    pub current: bool,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Bytes of the stored (re-encoded) file.
    pub size_bytes: i64,
    /// SHA-256 of the stored file, hex.
    pub sha256: String,
    /// Pixels.
    pub width: i64,
    /// Pixels.
    pub height: i64,
    /// Stated density.
    pub dpi: Option<i64>,
    /// Upload time.
    pub created_at: yuming_core::clock::Timestamp,
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
    /// SHA-256 of the stored (re-encoded) file, hex.
    pub sha256: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// What the header says, read without decoding any pixel data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    format: Format,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
}

fn reader(format: Format, bytes: &[u8]) -> image::ImageReader<std::io::Cursor<&[u8]>> {
    let mut reader = image::ImageReader::with_format(
        std::io::Cursor::new(bytes),
        match format {
            Format::Jpeg => image::ImageFormat::Jpeg,
            Format::Png => image::ImageFormat::Png,
        },
    );
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    reader
}

fn bomb_error() -> AppError {
    ImageError::MaterialBomb.into()
}

fn decode_error(error: image::ImageError) -> AppError {
    match error {
        image::ImageError::Limits(_) => bomb_error(),
        _ => AppError::from(ImageError::MaterialCorrupt),
    }
}

/// The cheap checks: size, type, completeness and the pixel count from the header. Nothing
/// is decoded, so a decompression bomb is refused here at the cost of reading its header.
pub fn precheck(bytes: &[u8]) -> Result<Header, AppError> {
    if bytes.len() > MAX_BYTES {
        return Err(ImageError::MaterialTooLarge { bytes: bytes.len() }.into());
    }
    let format = sniff(bytes).ok_or_else(|| AppError::from(ImageError::MaterialType))?;
    if !complete(format, bytes) {
        return Err(ImageError::MaterialTruncated.into());
    }
    let (width, height) = reader(format, bytes)
        .into_dimensions()
        .map_err(decode_error)?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS || width > MAX_SIDE || height > MAX_SIDE {
        return Err(ImageError::MaterialTooManyPixels { width, height }.into());
    }
    Ok(Header {
        format,
        width,
        height,
    })
}

/// Runs every check on an upload and re-encodes it; returns what the checks measured and
/// the file to store (CPU-bound: call it off the async executor, holding a decode permit).
pub fn inspect(kind: &str, bytes: &[u8]) -> Result<(Inspection, Vec<u8>), AppError> {
    let header = precheck(bytes)?;
    inspect_decoded(kind, header, bytes)
}

fn inspect_decoded(
    kind: &str,
    header: Header,
    bytes: &[u8],
) -> Result<(Inspection, Vec<u8>), AppError> {
    let format = header.format;
    let mut decoder = reader(format, bytes).into_decoder().map_err(decode_error)?;
    // `ImageReader::decode` reserves this too; done here because the decoder is needed for
    // its orientation first.
    if decoder.total_bytes() > MAX_ALLOC {
        return Err(bomb_error());
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut decoded = image::DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    // The re-encoded file carries no EXIF, so the rotation a phone recorded is applied to
    // the pixels instead.
    decoded.apply_orientation(orientation);
    let (width, height) = (decoded.width(), decoded.height());
    let (short, long) = (width.min(height), width.max(height));
    let dpi = stated_dpi(format, bytes);
    let (need_long, need_short) = match (dpi, scan_pixels(kind)) {
        (None, Some(scan)) => scan,
        _ => (MIN_LONG_SIDE, MIN_SHORT_SIDE),
    };
    if short < need_short || long < need_long {
        return Err(ImageError::MaterialTooSmall {
            width,
            height,
            need_long,
            need_short,
        }
        .into());
    }
    if let Some(dpi) = dpi
        && dpi < MIN_DPI
        && kind != "verification_photo"
    {
        return Err(ImageError::MaterialLowDpi { dpi }.into());
    }
    if is_greyscale(&decoded) {
        return Err(ImageError::MaterialGreyscale.into());
    }
    let file = reencode(format, &decoded, dpi)
        .map_err(|e| AppError::internal(format!("re-encoding a material: {e}")))?;
    Ok((
        Inspection {
            content_type: match format {
                Format::Jpeg => "image/jpeg",
                Format::Png => "image/png",
            },
            width,
            height,
            dpi,
            sha256: hex::encode(Sha256::digest(&file)),
        },
        file,
    ))
}

/// A fresh file of the same type holding only the pixels and the stated density (which the
/// rule book reads), so that nothing else of the upload is kept.
fn reencode(
    format: Format,
    image: &image::DynamicImage,
    dpi: Option<u32>,
) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    use image::DynamicImage as D;
    let mut out = Vec::new();
    match format {
        Format::Png => {
            // 8 bits a channel is plenty for a scan; wider images are narrowed.
            let converted;
            let (raw, color): (&[u8], png::ColorType) = match image {
                D::ImageLuma8(b) => (b.as_raw(), png::ColorType::Grayscale),
                D::ImageLumaA8(b) => (b.as_raw(), png::ColorType::GrayscaleAlpha),
                D::ImageRgb8(b) => (b.as_raw(), png::ColorType::Rgb),
                D::ImageRgba8(b) => (b.as_raw(), png::ColorType::Rgba),
                other if other.color().has_alpha() => {
                    converted = other.to_rgba8().into_raw();
                    (&converted, png::ColorType::Rgba)
                }
                other => {
                    converted = other.to_rgb8().into_raw();
                    (&converted, png::ColorType::Rgb)
                }
            };
            let mut encoder = png::Encoder::new(&mut out, image.width(), image.height());
            encoder.set_color(color);
            encoder.set_depth(png::BitDepth::Eight);
            encoder.set_compression(png::Compression::Balanced);
            if let Some(dpi) = dpi {
                let ppm = (f64::from(dpi) / 0.0254).round() as u32;
                encoder.set_pixel_dims(Some(png::PixelDimensions {
                    xppu: ppm,
                    yppu: ppm,
                    unit: png::Unit::Meter,
                }));
            }
            let mut writer = encoder.write_header()?;
            writer.write_image_data(raw)?;
            writer.finish()?;
        }
        Format::Jpeg => {
            let mut encoder =
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
            if let Some(dpi) = dpi {
                encoder.set_pixel_density(image::codecs::jpeg::PixelDensity::dpi(
                    u16::try_from(dpi).unwrap_or(u16::MAX),
                ));
            }
            match image {
                D::ImageLuma8(b) => encoder.encode_image(b)?,
                D::ImageRgb8(b) => encoder.encode_image(b)?,
                other => encoder.encode_image(&other.to_rgb8())?,
            }
        }
    }
    Ok(out)
}

/// Greyscale: a grey colour type, or colour whose sampled pixels (up to ~10 000) all have
/// channels within a few levels of each other (a black-and-white scan saved as colour).
/// Pixels are sampled in place: converting the whole image would double the memory a decode
/// takes.
fn is_greyscale(img: &image::DynamicImage) -> bool {
    use image::GenericImageView;
    if !img.color().has_color() {
        return true;
    }
    let (w, h) = img.dimensions();
    let step = ((u64::from(w) * u64::from(h) / 10_000).max(1) as f64)
        .sqrt()
        .ceil() as u32;
    let mut coloured = 0u32;
    let mut samples = 0u32;
    for y in (0..h).step_by(step as usize) {
        for x in (0..w).step_by(step as usize) {
            let p = img.get_pixel(x, y).0;
            let rgb = &p[..3];
            let spread = rgb.iter().max().unwrap_or(&0) - rgb.iter().min().unwrap_or(&0);
            samples += 1;
            if spread > 12 {
                coloured += 1;
            }
        }
    }
    // Under 1 % coloured samples: a stamp or a watermark at most.
    coloured * 100 < samples
}

/// Waits up to `wait` for a decode permit; a full house answers 503 with `Retry-After`.
pub(crate) async fn decode_permit(
    permits: &std::sync::Arc<tokio::sync::Semaphore>,
    wait: std::time::Duration,
) -> Result<tokio::sync::OwnedSemaphorePermit, AppError> {
    match tokio::time::timeout(wait, permits.clone().acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(_closed)) => Err(AppError::internal("the decode semaphore is closed")),
        Err(_elapsed) => Err(AppError::from(ImageError::MaterialsBusy)
            .with_retry_after(wait.as_secs().max(1) as i64)),
    }
}

/// Runs every upload check on an image of `kind` (a material kind) off the request thread
/// and returns what was measured with the re-encoded file to store. Filing materials and
/// contacts' identity documents both come through here, so one image rule serves both.
pub async fn check_image(
    app: &App,
    kind: &str,
    bytes: Vec<u8>,
) -> Result<(Inspection, Vec<u8>), AppError> {
    let (header, bytes) = tokio::task::spawn_blocking(move || precheck(&bytes).map(|h| (h, bytes)))
        .await
        .map_err(|e| AppError::internal(format!("image check panicked: {e}")))??;
    // Only files within the pixel budget get here; the permit bounds how many decode at once
    // (the blocking task keeps it even if the request is dropped meanwhile).
    let permit = decode_permit(app.material_decodes(), DECODE_WAIT).await?;
    let kind_owned = kind.to_owned();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        inspect_decoded(&kind_owned, header, &bytes)
    })
    .await
    .map_err(|e| AppError::internal(format!("image check panicked: {e}")))?
}

crate::platform::error::error_enum! {
    /// What the document image checks refuse (the codes are those of filing materials, where
    /// the checks began).
    pub enum ImageError {
        /// Too many images are being checked right now; retry in a few seconds.
        MaterialsBusy = Unavailable("MATERIALS_BUSY", field = "file") => (
            "too many images are being checked right now; retry in a few seconds",
            "当前正在检查的图片过多，请几秒后重试",
        ),
        /// The image does not decode; upload it again.
        MaterialCorrupt = BadRequest("MATERIAL_CORRUPT", field = "file") => (
            "the image does not decode; upload it again",
            "图片无法解码，请重新上传",
        ),
        /// The file is not a JPEG or PNG image.
        MaterialType = BadRequest("MATERIAL_TYPE", field = "file") => (
            "the file is not a JPEG or PNG image",
            "文件不是 JPG 或 PNG 图片",
        ),
        /// The image is truncated or damaged; upload it again.
        MaterialTruncated = BadRequest("MATERIAL_CORRUPT", field = "file") => (
            "the image is truncated or damaged; upload it again",
            "图片不完整或已损坏，请重新上传",
        ),
        /// The image is black and white; upload a colour photo or scan of the original.
        MaterialGreyscale = BadRequest("MATERIAL_GREYSCALE", field = "file") => (
            "the image is black and white; upload a colour photo or scan of the original",
            "图片为黑白，请上传原件的彩色照片或扫描件",
        ),
        /// An image whose decoding would need more than [`MAX_ALLOC`] bytes.
        MaterialBomb = BadRequest("MATERIAL_BOMB", field = "file") => (
            format!("decoding the image needs more than {} MB of memory", MAX_ALLOC / 1_000_000),
            format!("图片解码所需内存超过 {} MB", MAX_ALLOC / 1_000_000),
        ),
        /// A file over [`MAX_BYTES`].
        MaterialTooLarge { bytes: usize } = BadRequest("MATERIAL_TOO_LARGE", field = "file")
            => (format!("the file has {bytes} bytes; at most 5 MB"), "文件超过 5 MB"),
        /// An image over [`MAX_PIXELS`] or [`MAX_SIDE`] a side.
        MaterialTooManyPixels { width: u32, height: u32 }
            = BadRequest("MATERIAL_TOO_MANY_PIXELS", field = "file") => (
            format!(
                "the image has {width} × {height} pixels; at most {} megapixels \
                 (an A4 page at 600 dpi) and {MAX_SIDE} pixels a side",
                MAX_PIXELS / 1_000_000
            ),
            format!(
                "图片为 {width} × {height} 像素，最多 {} 百万像素（A4 纸 600 dpi）且每边不超过 {MAX_SIDE} 像素",
                MAX_PIXELS / 1_000_000
            ),
        ),
        /// An image too small for its kind.
        MaterialTooSmall { width: u32, height: u32, need_long: u32, need_short: u32 }
            = BadRequest("MATERIAL_TOO_SMALL", field = "file") => (
            format!(
                "the image has {width} × {height} pixels; at least {need_long} × {need_short} needed"
            ),
            format!("图片为 {width} × {height} 像素，至少需要 {need_long} × {need_short} 像素"),
        ),
        /// An image stating less than [`MIN_DPI`].
        MaterialLowDpi { dpi: u32 } = BadRequest("MATERIAL_LOW_DPI", field = "file") => (
            format!("the image states {dpi} dpi; at least {MIN_DPI} needed"),
            format!("图片分辨率为 {dpi} dpi，至少需要 {MIN_DPI} dpi"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        let mut crc = 0xFFFF_FFFFu32;
        for byte in &body {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(&body);
        out.extend_from_slice(&(!crc).to_be_bytes());
        out
    }

    /// A PNG header claiming `w` × `h` 8-bit RGB pixels (the pixel data is not needed to
    /// judge the size).
    fn claimed(w: u32, h: u32) -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = w.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        out.extend(chunk(b"IHDR", &ihdr));
        out.extend(chunk(
            b"IDAT",
            &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
        ));
        out.extend(chunk(b"IEND", &[]));
        out
    }

    #[test]
    fn the_pixel_budget_admits_the_largest_scan_and_refuses_bombs() {
        for (w, h, expected) in [
            (4961, 7016, "OK"), // A4 at 600 dpi
            (5100, 7020, "OK"), // a scanner's A4/Letter bed at 600 dpi
            (3508, 4961, "OK"), // A3 at 300 dpi
            (4000, 3000, "OK"), // a 12 Mpx phone photo
            (9200, 9200, "MATERIAL_TOO_MANY_PIXELS"),
            (7000, 7000, "MATERIAL_TOO_MANY_PIXELS"),
            (40_000, 1_000, "MATERIAL_TOO_MANY_PIXELS"),
            (50_000, 50_000, "MATERIAL_TOO_MANY_PIXELS"),
        ] {
            let got = match precheck(&claimed(w, h)) {
                Ok(header) => {
                    assert_eq!((header.width, header.height), (w, h));
                    "OK"
                }
                Err(e) => e.code,
            };
            assert_eq!(got, expected, "{w} × {h}");
        }
    }

    #[tokio::test]
    async fn a_full_house_of_decodes_answers_busy_with_retry_after() {
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(1));
        let held = decode_permit(&permits, DECODE_WAIT).await.expect("free");
        let busy = decode_permit(&permits, std::time::Duration::from_millis(20))
            .await
            .expect_err("busy");
        assert_eq!(
            (busy.kind, busy.code, busy.field.as_deref()),
            (ErrorKind::Unavailable, "MATERIALS_BUSY", Some("file"))
        );
        assert_eq!(busy.retry_after_secs, Some(1));
        drop(held);
        let again = decode_permit(&permits, std::time::Duration::from_millis(20)).await;
        assert!(again.is_ok(), "a released permit is free again");
    }
}
