//! `yuming backup` / `yuming restore`: a consistent logical snapshot of the database plus the
//! uploaded files, as one `.tar.gz`.
//!
//! Archive layout (format `yuming-backup/1`):
//! - `manifest.json` — format, creation time, backend, schema version, rows per table and the
//!   SHA-256 of every other member; written first so a reader can check before loading.
//! - `dump.sql` — `INSERT` statements in the source backend's dialect (readable with `sqlite3`
//!   or `psql` too).
//! - `uploads/…` — the data directory's uploads (already encrypted at rest; copied as is).
//!
//! The master key is deliberately not in the archive: a stolen backup must not decrypt
//! itself. Keep the key (or `YUMING_MASTER_KEY`) in a separate safe place.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use yuming_core::clock::Timestamp;
use yuming_store::{Backend, Db, DumpSummary, RestoreError};

/// The archive format this release writes and reads.
pub const FORMAT: &str = "yuming-backup/1";
/// The data-directory folder of uploaded files that backups carry.
pub const UPLOADS_DIR: &str = "uploads";

/// Why a backup or restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Reading or writing files.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        source: io::Error,
    },
    /// The archive is not a backup this release can read, or was altered.
    #[error("invalid backup archive: {0}")]
    InvalidArchive(String),
    /// The target directory already holds uploads; a restore never merges.
    #[error("the uploads directory {0} is not empty")]
    UploadsNotEmpty(PathBuf),
    /// Loading into the database failed (nothing was kept).
    #[error(transparent)]
    Restore(#[from] RestoreError),
    /// Reading the snapshot failed.
    #[error(transparent)]
    Store(#[from] yuming_store::StoreError),
}

/// Creates (or truncates) a file readable by its owner only: a backup holds the whole
/// database, and whoever can read it has everything not sealed with the master key.
fn create_private(path: &Path) -> io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> BackupError {
    let context = context.into();
    move |source| BackupError::Io { context, source }
}

/// The manifest stored as `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// When the snapshot was taken (unix seconds, UTC).
    pub created_at: i64,
    /// `sqlite` or `postgres`: the dialect of `dump.sql`.
    pub backend: String,
    /// The newest migration of the dumped schema.
    pub migration_version: i64,
    /// Rows per table, in load order.
    pub tables: Vec<TableCount>,
    /// SHA-256 (hex) and size of every other member, by path.
    pub files: BTreeMap<String, FileDigest>,
}

/// Rows of one table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TableCount {
    /// Table name.
    pub name: String,
    /// Rows.
    pub rows: u64,
}

/// Digest of one archive member.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FileDigest {
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

/// A writer that hashes what passes through it.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    size: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn digest_file(path: &Path) -> Result<FileDigest, BackupError> {
    let mut file = File::open(path).map_err(io_err(format!("reading {}", path.display())))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(io_err(format!("reading {}", path.display())))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok(FileDigest {
        sha256: hex::encode(hasher.finalize()),
        size,
    })
}

/// Files under `root`, as relative paths with `/` separators, sorted.
fn list_files(root: &Path) -> Result<Vec<String>, BackupError> {
    let mut out = Vec::new();
    if !root.exists() {
        return Ok(out);
    }
    let mut stack = vec![PathBuf::new()];
    while let Some(relative) = stack.pop() {
        let dir = root.join(&relative);
        for entry in fs::read_dir(&dir).map_err(io_err(format!("listing {}", dir.display())))? {
            let entry = entry.map_err(io_err(format!("listing {}", dir.display())))?;
            let kind = entry
                .file_type()
                .map_err(io_err(format!("inspecting {}", entry.path().display())))?;
            let child = relative.join(entry.file_name());
            if kind.is_dir() {
                stack.push(child);
            } else if kind.is_file() {
                let text = child
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push(text);
            }
            // Symlinks and special files are not data of ours; they are skipped.
        }
    }
    out.sort();
    Ok(out)
}

/// What a finished backup holds.
#[derive(Debug, Clone)]
pub struct BackupReport {
    /// The manifest written into the archive.
    pub manifest: Manifest,
    /// Size of the archive in bytes.
    pub archive_size: u64,
}

/// Writes a backup of `db` and `data_dir/uploads` to `out` (a `.tar.gz`). The file appears
/// under its name only once complete.
pub async fn create(
    db: &Db,
    data_dir: &Path,
    out: &Path,
    now: Timestamp,
) -> Result<BackupReport, BackupError> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io_err(format!("creating {}", parent.display())))?;
    let work = tempfile::tempdir_in(parent).map_err(io_err("creating a working directory"))?;
    let dump_path = work.path().join("dump.sql");
    let file = create_private(&dump_path).map_err(io_err("writing dump.sql"))?;
    let mut writer = HashingWriter {
        inner: BufWriter::new(file),
        hasher: Sha256::new(),
        size: 0,
    };
    let summary = db.dump_sql(&mut writer).await?;
    writer.flush().map_err(io_err("writing dump.sql"))?;
    let dump_digest = FileDigest {
        sha256: hex::encode(writer.hasher.clone().finalize()),
        size: writer.size,
    };
    drop(writer);

    let uploads_root = data_dir.join(UPLOADS_DIR);
    let uploads = list_files(&uploads_root)?;
    let mut files = BTreeMap::new();
    files.insert("dump.sql".to_owned(), dump_digest);
    for relative in &uploads {
        files.insert(
            format!("{UPLOADS_DIR}/{relative}"),
            digest_file(&uploads_root.join(relative))?,
        );
    }
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        created_at: now.0,
        backend: backend_name(summary.backend).to_owned(),
        migration_version: summary.migration_version,
        tables: summary
            .tables
            .iter()
            .map(|(name, rows)| TableCount {
                name: name.clone(),
                rows: *rows,
            })
            .collect(),
        files,
    };
    let manifest_json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| BackupError::InvalidArchive(e.to_string()))?;

    let partial = work.path().join("archive.tar.gz");
    let archive_file = create_private(&partial).map_err(io_err("writing the archive"))?;
    let encoder =
        flate2::write::GzEncoder::new(BufWriter::new(archive_file), flate2::Compression::default());
    let mut builder = tar::Builder::new(encoder);
    let mut header = tar::Header::new_gnu();
    header.set_size(manifest_json.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(now.0.max(0) as u64);
    header.set_cksum();
    builder
        .append_data(&mut header, "manifest.json", manifest_json.as_slice())
        .map_err(io_err("writing the archive"))?;
    builder
        .append_path_with_name(&dump_path, "dump.sql")
        .map_err(io_err("writing the archive"))?;
    for relative in &uploads {
        builder
            .append_path_with_name(
                uploads_root.join(relative),
                format!("{UPLOADS_DIR}/{relative}"),
            )
            .map_err(io_err("writing the archive"))?;
    }
    let encoder = builder
        .into_inner()
        .map_err(io_err("writing the archive"))?;
    let mut buffered = encoder.finish().map_err(io_err("writing the archive"))?;
    buffered.flush().map_err(io_err("writing the archive"))?;
    let file = buffered.into_inner().map_err(|e| BackupError::Io {
        context: "writing the archive".into(),
        source: e.into_error(),
    })?;
    file.sync_all().map_err(io_err("writing the archive"))?;
    drop(file);
    fs::rename(&partial, out)
        .map_err(io_err(format!("moving the archive to {}", out.display())))?;
    let archive_size = fs::metadata(out)
        .map_err(io_err(format!("reading {}", out.display())))?
        .len();
    Ok(BackupReport {
        manifest,
        archive_size,
    })
}

/// A member path of the archive, checked: `manifest.json`, `dump.sql` or a plain relative
/// path under `uploads/` (no `..`, no absolute paths).
fn checked_member(path: &Path) -> Result<String, BackupError> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(
                part.to_str()
                    .ok_or_else(|| {
                        BackupError::InvalidArchive(format!("non-UTF-8 member {}", path.display()))
                    })?
                    .to_owned(),
            ),
            Component::CurDir => {}
            _ => {
                return Err(BackupError::InvalidArchive(format!(
                    "member {} escapes the archive",
                    path.display()
                )));
            }
        }
    }
    let joined = parts.join("/");
    let allowed = joined == "manifest.json"
        || joined == "dump.sql"
        || (parts.len() > 1 && parts[0] == UPLOADS_DIR);
    if !allowed {
        return Err(BackupError::InvalidArchive(format!(
            "unexpected member {joined}"
        )));
    }
    Ok(joined)
}

/// Extracts `archive` into `work`, checking every member's path and SHA-256 against the
/// manifest; the manifest when everything matches.
fn unpack(archive: &Path, work: &Path) -> Result<Manifest, BackupError> {
    let file = File::open(archive).map_err(io_err(format!("opening {}", archive.display())))?;
    let mut reader = tar::Archive::new(flate2::read::GzDecoder::new(io::BufReader::new(file)));
    let mut manifest: Option<Manifest> = None;
    let mut extracted: BTreeMap<String, FileDigest> = BTreeMap::new();
    let entries = reader
        .entries()
        .map_err(|e| BackupError::InvalidArchive(e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| BackupError::InvalidArchive(e.to_string()))?;
        if !entry.header().entry_type().is_file() {
            return Err(BackupError::InvalidArchive(
                "the archive holds something other than regular files".into(),
            ));
        }
        let path = entry
            .path()
            .map_err(|e| BackupError::InvalidArchive(e.to_string()))?
            .into_owned();
        let member = checked_member(&path)?;
        if member == "manifest.json" {
            let mut text = Vec::new();
            entry
                .by_ref()
                .take(16 * 1024 * 1024)
                .read_to_end(&mut text)
                .map_err(|e| BackupError::InvalidArchive(e.to_string()))?;
            let parsed: Manifest = serde_json::from_slice(&text)
                .map_err(|e| BackupError::InvalidArchive(format!("manifest.json: {e}")))?;
            if parsed.format != FORMAT {
                return Err(BackupError::InvalidArchive(format!(
                    "format {:?} is not {FORMAT}",
                    parsed.format
                )));
            }
            manifest = Some(parsed);
            continue;
        }
        if manifest.is_none() {
            return Err(BackupError::InvalidArchive(
                "manifest.json must be the first member".into(),
            ));
        }
        let target = work.join(&member);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(io_err("extracting the archive"))?;
        }
        let out = create_private(&target).map_err(io_err("extracting the archive"))?;
        let mut writer = HashingWriter {
            inner: BufWriter::new(out),
            hasher: Sha256::new(),
            size: 0,
        };
        io::copy(&mut entry, &mut writer)
            .map_err(|e| BackupError::InvalidArchive(format!("{member}: {e}")))?;
        writer.flush().map_err(io_err("extracting the archive"))?;
        extracted.insert(
            member,
            FileDigest {
                sha256: hex::encode(writer.hasher.clone().finalize()),
                size: writer.size,
            },
        );
    }
    let manifest =
        manifest.ok_or_else(|| BackupError::InvalidArchive("no manifest.json".into()))?;
    if extracted != manifest.files {
        let differing = manifest
            .files
            .keys()
            .chain(extracted.keys())
            .find(|k| manifest.files.get(*k) != extracted.get(*k))
            .cloned()
            .unwrap_or_default();
        return Err(BackupError::InvalidArchive(format!(
            "{differing} does not match the manifest (altered, truncated or missing)"
        )));
    }
    Ok(manifest)
}

/// Reads `archive` back and checks every member against its manifest's digests (into a
/// scratch directory beside it, removed after): a backup is only counted once it verifies.
pub fn verify(archive: &Path) -> Result<Manifest, BackupError> {
    let parent = archive
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let work = tempfile::tempdir_in(parent).map_err(io_err("creating a working directory"))?;
    unpack(archive, work.path())
}

/// Writes only the database's `INSERT` statements (the `sql` export format) to `out`,
/// readable with `sqlite3` or `psql`; returns the rows written.
pub async fn export_sql(db: &Db, out: &Path) -> Result<u64, BackupError> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io_err(format!("creating {}", parent.display())))?;
    let partial = tempfile::NamedTempFile::new_in(parent).map_err(io_err("writing the export"))?;
    let file = create_private(partial.path()).map_err(io_err("writing the export"))?;
    let mut writer = BufWriter::new(file);
    let summary = db.dump_sql(&mut writer).await?;
    writer.flush().map_err(io_err("writing the export"))?;
    drop(writer);
    partial
        .persist(out)
        .map_err(|e| io_err(format!("moving the export to {}", out.display()))(e.error))?;
    Ok(summary.tables.iter().map(|(_, rows)| rows).sum())
}

/// Rewrites a `.tar.gz` backup as a `.zip` with the same members (the `zip` export format),
/// after checking it against its manifest.
pub fn tar_to_zip(archive: &Path, out: &Path) -> Result<(), BackupError> {
    verify(archive)?;
    let file = File::open(archive).map_err(io_err(format!("opening {}", archive.display())))?;
    let mut reader = tar::Archive::new(flate2::read::GzDecoder::new(io::BufReader::new(file)));
    let zip_file = create_private(out).map_err(io_err(format!("writing {}", out.display())))?;
    let mut zip = zip::ZipWriter::new(BufWriter::new(zip_file));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o600);
    let entries = reader
        .entries()
        .map_err(|e| BackupError::InvalidArchive(e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| BackupError::InvalidArchive(e.to_string()))?;
        let path = entry
            .path()
            .map_err(|e| BackupError::InvalidArchive(e.to_string()))?
            .into_owned();
        let member = checked_member(&path)?;
        zip.start_file(member, options)
            .map_err(|e| BackupError::InvalidArchive(e.to_string()))?;
        io::copy(&mut entry, &mut zip).map_err(io_err("writing the zip"))?;
    }
    let mut inner = zip
        .finish()
        .map_err(|e| BackupError::InvalidArchive(e.to_string()))?;
    inner.flush().map_err(io_err("writing the zip"))?;
    Ok(())
}

/// What a finished restore loaded.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    /// The archive's manifest.
    pub manifest: Manifest,
    /// Uploaded files put back.
    pub uploads: usize,
}

/// Restores `archive` into `db` (which must be empty) and `data_dir/uploads` (which must be
/// empty or absent). Every member is checked against the manifest's digests before anything
/// is written; the rows load in one transaction.
pub async fn restore(
    db: &Db,
    data_dir: &Path,
    archive: &Path,
) -> Result<RestoreReport, BackupError> {
    let uploads_root = data_dir.join(UPLOADS_DIR);
    if !list_files(&uploads_root)?.is_empty() {
        return Err(BackupError::UploadsNotEmpty(uploads_root));
    }
    fs::create_dir_all(data_dir).map_err(io_err(format!("creating {}", data_dir.display())))?;
    let work = tempfile::tempdir_in(data_dir).map_err(io_err("creating a working directory"))?;
    let manifest = unpack(archive, work.path())?;
    let backend = match manifest.backend.as_str() {
        "sqlite" => Backend::Sqlite,
        "postgres" => Backend::Postgres,
        other => {
            return Err(BackupError::InvalidArchive(format!(
                "unknown backend {other:?}"
            )));
        }
    };
    let sql = fs::read_to_string(work.path().join("dump.sql"))
        .map_err(|e| BackupError::InvalidArchive(format!("dump.sql: {e}")))?;
    let summary = DumpSummary {
        backend,
        migration_version: manifest.migration_version,
        tables: manifest
            .tables
            .iter()
            .map(|t| (t.name.clone(), t.rows))
            .collect(),
    };
    db.load_sql(&sql, &summary).await?;

    let mut uploads = 0;
    let extracted_uploads = work.path().join(UPLOADS_DIR);
    if extracted_uploads.exists() {
        if uploads_root.exists() {
            fs::remove_dir(&uploads_root).map_err(io_err("replacing the uploads directory"))?;
        }
        fs::rename(&extracted_uploads, &uploads_root)
            .map_err(io_err("moving uploads into place"))?;
        uploads = list_files(&uploads_root)?.len();
    }
    Ok(RestoreReport { manifest, uploads })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_outside_the_layout_are_refused() {
        assert_eq!(
            checked_member(Path::new("uploads/a/b.bin")).unwrap(),
            "uploads/a/b.bin"
        );
        assert_eq!(checked_member(Path::new("./dump.sql")).unwrap(), "dump.sql");
        for bad in [
            "../etc/passwd",
            "/etc/passwd",
            "uploads",
            "other.txt",
            "uploads/../x",
        ] {
            assert!(checked_member(Path::new(bad)).is_err(), "{bad}");
        }
    }
}
