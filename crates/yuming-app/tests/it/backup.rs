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

both_backends!(
    scheduled_backups_are_taken_verified_trial_restored_and_pruned,
    |t: TestDb| async move {
        let work = tempfile::tempdir().expect("tempdir");
        let dir = work.path().join("backups");
        let mut settings = test_settings();
        settings.backup = yuming_app::ops::scheduled_backup::BackupSchedule {
            interval_secs: 900,
            dir: dir.clone(),
            keep: 2,
            trial_restore_every: 1,
            data_dir: work.path().join("data"),
            database_url: t.url.clone(),
        };
        let (app, clock) = yuming_test_support::test_app_with(&t.db, settings);
        let (alice, contact) = customer(&app, &t, "alice@example.com", 100_000).await;
        let ctx = yuming_app::RequestContext::internal("test");
        domains::register(
            &app,
            &ctx,
            &alice,
            register_input("scheduled.cn", 1, &contact),
        )
        .await
        .expect("register");
        use yuming_app::ops::scheduler::{Job, JobsReport, Trigger, run_recorded};
        let run = |app: App| async move {
            let mut report = JobsReport::default();
            run_recorded(
                &app,
                Job::Backup,
                "instance-a",
                Trigger::Schedule,
                None,
                &mut report,
            )
            .await
            .expect("backup job");
            report.backups_taken
        };

        // Due at once on a fresh installation, then not again within the interval.
        assert_eq!(run(app.clone()).await, 1);
        assert_eq!(run(app.clone()).await, 0, "not due within the interval");
        let first = yuming_app::ops::scheduled_backup::latest(&dir).expect("an archive");
        let manifest = backup::verify(&first).expect("it verifies");
        let rows = |name: &str| {
            manifest
                .tables
                .iter()
                .find(|t| t.name == name)
                .map(|t| t.rows)
        };
        assert_eq!(rows("domains"), Some(1));

        // Restored into a fresh database: the same rows, the same ledger.
        let target = t.empty_sibling().await.expect("target database");
        backup::restore(&target.db, &work.path().join("restored"), &first)
            .await
            .expect("restore");
        let app2 = App::new(
            target.db.clone(),
            Arc::new(yuming_app::platform::clock::FakeClock::at(
                yuming_test_support::EPOCH_2026,
            )),
            app.cipher().clone(),
            test_settings(),
        );
        assert_eq!(
            billing::balance(&app2, &alice, Currency::Cny)
                .await
                .expect("balance")
                .balance,
            billing::balance(&app, &alice, Currency::Cny)
                .await
                .expect("balance")
                .balance
        );
        assert_ledger_balanced(&app2).await;

        // Every interval another; only the newest two are kept. The job's record is what
        // /metrics and the operations page show.
        for _ in 0..2 {
            clock.advance_secs(900);
            assert_eq!(run(app.clone()).await, 1);
        }
        let kept = std::fs::read_dir(&dir)
            .expect("dir")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tar.gz"))
            .count();
        assert_eq!(kept, 2);
        assert!(!first.exists(), "the oldest was pruned");
        let metrics = yuming_app::platform::metrics::render(&app)
            .await
            .expect("metrics");
        assert!(
            metrics.contains(&format!(
                "yuming_backup_last_success_timestamp_seconds {}",
                app.now().0
            )),
            "{metrics}"
        );

        // The drill restores the newest into a scratch database and reports what it held.
        let newest = yuming_app::ops::scheduled_backup::latest(&dir).expect("newest");
        let drill = yuming_app::ops::scheduled_backup::drill(
            &t.db,
            &t.url,
            &newest,
            &work.path().join("drills"),
        )
        .await
        .expect("drill");
        assert!(drill.rows > 0);
        assert!(drill.tables > 10);
    }
);
