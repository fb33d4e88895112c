//! `yuming backup` / `yuming restore` on both backends: a snapshot restores into an empty
//! database with every row, the ledger and the audit chain intact; an altered archive or a
//! non-empty target is refused and changes nothing.

use std::io::Read;
use std::sync::Arc;

use yuming_app::ops::backup::{self, BackupError};
use yuming_app::platform::crypto::Cipher;
use yuming_app::{App, billing, platform::audit, registrar::domains};
use yuming_core::money::Currency;
use yuming_store::RestoreError;
use yuming_test_support::{TestDb, both_backends, test_settings};

use crate::registrar::{assert_ledger_balanced, customer, register_input};

fn app_with_key(db: &TestDb, key: &str) -> App {
    let clock = yuming_app::platform::clock::FakeClock::at(yuming_test_support::EPOCH_2026);
    let cipher = Cipher::from_base64(key, &[]).expect("cipher");
    App::new(db.db.clone(), Arc::new(clock), cipher, test_settings())
}

/// Rewrites `archive` replacing one member's bytes, keeping the original manifest.
fn tamper(archive: &std::path::Path, member: &str, edit: impl Fn(&mut Vec<u8>)) {
    let file = std::fs::File::open(archive).expect("open");
    let mut reader = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut members = Vec::new();
    for entry in reader.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let path = entry.path().expect("path").to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("read");
        if path == member {
            edit(&mut bytes);
        }
        members.push((path, bytes));
    }
    let out = std::fs::File::create(archive).expect("create");
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        out,
        flate2::Compression::fast(),
    ));
    for (path, bytes) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o600);
        header.set_cksum();
        builder
            .append_data(&mut header, path, bytes.as_slice())
            .expect("append");
    }
    builder
        .into_inner()
        .expect("finish")
        .finish()
        .expect("gzip");
}

both_backends!(backup_restores_everything, |t: TestDb| async move {
    let key = Cipher::generate_key_base64();
    let app = app_with_key(&t, &key);
    let (alice, contact) = customer(&app, &t, "alice@example.com", 100_000).await;
    let ctx = yuming_app::RequestContext::internal("test");
    domains::register(
        &app,
        &ctx,
        &alice,
        register_input("备份测试.cn", 2, &contact),
    )
    .await
    .expect("register");
    domains::register(
        &app,
        &ctx,
        &alice,
        register_input("o-brien's.com", 1, &contact),
    )
    .await
    .ok(); // an invalid name: refused, nothing stored
    let balance = billing::balance(&app, &alice, Currency::Cny)
        .await
        .expect("balance")
        .balance;

    let work = tempfile::tempdir().expect("tempdir");
    let data_dir = work.path().join("data");
    std::fs::create_dir_all(data_dir.join("uploads/ab")).expect("uploads");
    std::fs::write(data_dir.join("uploads/ab/scan.bin"), b"sealed bytes").expect("upload");
    let archive = work.path().join("snap.tar.gz");
    let report = backup::create(&t.db, &data_dir, &archive, yuming_test_support::EPOCH_2026)
        .await
        .expect("backup");
    let rows = |name: &str| {
        report
            .manifest
            .tables
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.rows)
    };
    assert_eq!(rows("domains"), Some(1));
    assert_eq!(rows("accounts"), Some(1));
    assert!(rows("audit_log").unwrap_or(0) >= 3);
    assert!(report.manifest.files.contains_key("uploads/ab/scan.bin"));

    // Into an empty database of the same backend and an empty data directory.
    let target = t.empty_sibling().await.expect("target database");
    let restored_dir = work.path().join("restored");
    let restored = backup::restore(&target.db, &restored_dir, &archive)
        .await
        .expect("restore");
    assert_eq!(restored.uploads, 1);
    assert_eq!(
        std::fs::read(restored_dir.join("uploads/ab/scan.bin")).expect("restored upload"),
        b"sealed bytes"
    );
    let app2 = app_with_key(&target, &key);
    let domain = domains::get(&app2, &alice, "备份测试.cn")
        .await
        .expect("domain after restore");
    assert_eq!(domain.name, "备份测试.cn");
    assert!(domain.ascii.starts_with("xn--"));
    assert_eq!(
        billing::balance(&app2, &alice, Currency::Cny)
            .await
            .expect("balance")
            .balance,
        balance
    );
    assert_ledger_balanced(&app2).await;
    let entries = audit::verify(&app2)
        .await
        .expect("verify")
        .expect("chain intact");
    assert_eq!(Some(entries as u64), rows("audit_log"));

    // A second restore into the now non-empty database is refused and adds nothing.
    let again = backup::restore(&target.db, &work.path().join("again"), &archive).await;
    assert!(
        matches!(
            again,
            Err(BackupError::Restore(RestoreError::TargetNotEmpty(_)))
        ),
        "{again:?}"
    );
    assert_eq!(
        audit::verify(&app2).await.expect("verify").expect("intact"),
        entries
    );

    // An altered dump is refused before anything is loaded.
    tamper(&archive, "dump.sql", |bytes| {
        let at = bytes.len() / 2;
        bytes[at] ^= 1;
    });
    let fresh = t.empty_sibling().await.expect("fresh database");
    let altered = backup::restore(&fresh.db, &work.path().join("altered"), &archive).await;
    assert!(
        matches!(&altered, Err(BackupError::InvalidArchive(m)) if m.contains("dump.sql")),
        "{altered:?}"
    );
});
