//! The data export of the cancellation flow: an archive (`.tar.gz` or `.zip`) composed of
//! parts. Each [`ExportPart`] contributes files for the domains being cancelled; the
//! built-in parts are the registrant contacts (masked), the order history, the domain
//! history and the delegation (NS records). The DNS hosting part adds its zone files by
//! pushing one more part into [`parts`].

use std::io::Write;

use serde_json::json;
use yuming_store::{DomainRow, Tx};

use crate::platform::BoxFuture;
use crate::platform::crypto::Cipher;
use crate::registrar::RegistrarError;
use crate::{App, AppError, registrar::contacts::ContactView};

/// One file of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    /// The path inside the archive.
    pub path: String,
    /// The content.
    pub bytes: Vec<u8>,
}

/// A contributor of export files for a tenant's domains.
pub trait ExportPart: Send + Sync {
    /// The part's name (also its directory in the archive).
    fn name(&self) -> &'static str;

    /// The part's files for `domains` of `owner_id`, read in `tx`.
    fn files<'a>(
        &'a self,
        tx: &'a mut Tx,
        owner_id: &'a str,
        domains: &'a [DomainRow],
    ) -> BoxFuture<'a, Result<Vec<ExportFile>, AppError>>;
}

/// The archive format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    /// gzip-compressed POSIX tar.
    TarGz,
    /// ZIP with deflate.
    Zip,
}

impl ArchiveFormat {
    /// `tar.gz` or `zip`; anything else is `INVALID_FORMAT`.
    pub fn parse(text: &str) -> Result<ArchiveFormat, AppError> {
        match text {
            "tar.gz" | "tgz" => Ok(ArchiveFormat::TarGz),
            "zip" => Ok(ArchiveFormat::Zip),
            _ => Err(RegistrarError::InvalidFormat.into()),
        }
    }

    /// The media type.
    pub fn media_type(self) -> &'static str {
        match self {
            ArchiveFormat::TarGz => "application/gzip",
            ArchiveFormat::Zip => "application/zip",
        }
    }

    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            ArchiveFormat::TarGz => "tar.gz",
            ArchiveFormat::Zip => "zip",
        }
    }
}

/// The contacts part opens e-mails and phones, which are sealed at rest.
struct Contacts {
    cipher: Cipher,
}
struct Orders;
struct History;
struct Delegation;

/// A pretty-printed JSON file of an archive.
pub(crate) fn json_file(path: String, value: &serde_json::Value) -> Result<ExportFile, AppError> {
    let bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| AppError::internal(format!("export json: {e}")))?;
    Ok(ExportFile { path, bytes })
}

impl ExportPart for Contacts {
    fn name(&self) -> &'static str {
        "contacts"
    }

    fn files<'a>(
        &'a self,
        tx: &'a mut Tx,
        _owner_id: &'a str,
        domains: &'a [DomainRow],
    ) -> BoxFuture<'a, Result<Vec<ExportFile>, AppError>> {
        Box::pin(async move {
            let mut ids: Vec<&str> = domains
                .iter()
                .map(|d| d.registrant_contact_id.as_str())
                .collect();
            ids.sort_unstable();
            ids.dedup();
            let mut out = Vec::new();
            for id in ids {
                if let Some(row) = tx.contact_by_id(id).await? {
                    let view = ContactView::from_row(&self.cipher, &row)?;
                    out.push(json!({
                        "id": view.id, "kind": view.kind.as_str(), "name": view.name,
                        "id_number_masked": view.id_number_masked, "email": view.email,
                        "phone": view.phone, "country": view.region.country,
                        "province": view.region.province, "city": view.region.city,
                    }));
                }
            }
            Ok(vec![json_file(
                "contacts/contacts.json".into(),
                &json!(out),
            )?])
        })
    }
}

impl ExportPart for Orders {
    fn name(&self) -> &'static str {
        "orders"
    }

    fn files<'a>(
        &'a self,
        tx: &'a mut Tx,
        owner_id: &'a str,
        domains: &'a [DomainRow],
    ) -> BoxFuture<'a, Result<Vec<ExportFile>, AppError>> {
        Box::pin(async move {
            let names: Vec<&str> = domains.iter().map(|d| d.name.as_str()).collect();
            let mut out = Vec::new();
            let mut before = (i64::MAX, String::new());
            // Newest first, page by page (keyset on (created_at, id), so rows sharing a second
            // are neither skipped nor repeated), keeping the orders of these domains.
            loop {
                let page = tx
                    .orders_of_owner(owner_id, (before.0, &before.1), 500)
                    .await?;
                let Some(last) = page.last() else { break };
                before = (last.created_at, last.id.clone());
                let full = page.len() == 500;
                for o in &page {
                    if o.domain_name.as_deref().is_some_and(|n| names.contains(&n)) {
                        out.push(json!({
                            "id": o.id, "kind": o.kind, "domain": o.domain_name, "years": o.years,
                            "amount": o.amount, "currency": o.currency, "status": o.status,
                            "created_at": o.created_at,
                        }));
                    }
                }
                if !full {
                    break;
                }
            }
            Ok(vec![json_file("orders/orders.json".into(), &json!(out))?])
        })
    }
}

impl ExportPart for History {
    fn name(&self) -> &'static str {
        "history"
    }

    fn files<'a>(
        &'a self,
        tx: &'a mut Tx,
        _owner_id: &'a str,
        domains: &'a [DomainRow],
    ) -> BoxFuture<'a, Result<Vec<ExportFile>, AppError>> {
        Box::pin(async move {
            let mut files = Vec::new();
            for d in domains {
                let rows = tx.domain_history(&d.id).await?;
                let entries: Vec<serde_json::Value> = rows
                    .into_iter()
                    .map(|(action, actor, order_id, detail, at)| {
                        let detail: serde_json::Value =
                            serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null);
                        json!({ "action": action, "actor": actor, "order_id": order_id, "detail": detail, "at": at })
                    })
                    .collect();
                files.push(json_file(
                    format!("history/{}.json", d.name),
                    &json!({ "domain": d.name, "unicode": d.unicode_name, "created_at": d.created_at,
                             "expires_at": d.expires_at, "events": entries }),
                )?);
            }
            Ok(files)
        })
    }
}

impl ExportPart for Delegation {
    fn name(&self) -> &'static str {
        "delegation"
    }

    fn files<'a>(
        &'a self,
        _tx: &'a mut Tx,
        _owner_id: &'a str,
        domains: &'a [DomainRow],
    ) -> BoxFuture<'a, Result<Vec<ExportFile>, AppError>> {
        Box::pin(async move {
            Ok(domains
                .iter()
                .map(|d| {
                    let mut text = format!("$ORIGIN {}.\n", d.name);
                    for ns in d.nameservers.split(',').filter(|s| !s.is_empty()) {
                        text.push_str(&format!("@\t86400\tIN\tNS\t{ns}.\n"));
                    }
                    ExportFile {
                        path: format!("delegation/{}.zone", d.name),
                        bytes: text.into_bytes(),
                    }
                })
                .collect())
        })
    }
}

/// The parts of an export, in archive order.
pub fn parts(app: &App) -> Vec<Box<dyn ExportPart>> {
    let mut parts: Vec<Box<dyn ExportPart>> = vec![
        Box::new(Contacts {
            cipher: app.cipher().clone(),
        }),
        Box::new(Orders),
        Box::new(History),
        Box::new(Delegation),
    ];
    parts.extend(app.domain_hooks().export_parts());
    parts
}

/// Collects every part's files for `domains`.
pub async fn collect(
    app: &App,
    tx: &mut Tx,
    owner_id: &str,
    domains: &[DomainRow],
) -> Result<Vec<ExportFile>, AppError> {
    let mut files = Vec::new();
    for part in parts(app) {
        files.extend(part.files(tx, owner_id, domains).await?);
    }
    Ok(files)
}

/// Packs files into an archive; `mtime` stamps every entry (the clock's now), so the same
/// data gives the same archive.
pub fn archive(
    files: &[ExportFile],
    format: ArchiveFormat,
    mtime: i64,
) -> Result<Vec<u8>, AppError> {
    let fail = |e: std::io::Error| AppError::internal(format!("archive: {e}"));
    match format {
        ArchiveFormat::TarGz => {
            let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            let mut builder = tar::Builder::new(gz);
            for f in files {
                let mut header = tar::Header::new_ustar();
                header.set_size(f.bytes.len() as u64);
                header.set_mode(0o644);
                header.set_mtime(u64::try_from(mtime).unwrap_or(0));
                header.set_entry_type(tar::EntryType::Regular);
                builder
                    .append_data(&mut header, &f.path, f.bytes.as_slice())
                    .map_err(fail)?;
            }
            let gz = builder.into_inner().map_err(fail)?;
            gz.finish().map_err(fail)
        }
        ArchiveFormat::Zip => {
            let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            for f in files {
                writer
                    .start_file(f.path.as_str(), options)
                    .map_err(|e| AppError::internal(format!("zip: {e}")))?;
                writer.write_all(&f.bytes).map_err(fail)?;
            }
            let cursor = writer
                .finish()
                .map_err(|e| AppError::internal(format!("zip: {e}")))?;
            Ok(cursor.into_inner())
        }
    }
}
