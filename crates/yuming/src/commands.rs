//! Dispatch of the commands.

use std::process::ExitCode;

use anyhow::Context;
use yuming_app::accounts::{self, NewAccountInput};
use yuming_app::platform::clock::SystemClock;
use yuming_app::{RequestContext, ops::backup, platform::audit, platform::idempotency};
use yuming_core::access::{Actor, AuthMethod, RightSet, Role};
use yuming_core::clock::Clock;

use crate::cli::{
    AccountCommand, AuditCommand, BenchCommand, Cli, Command, FilingCommand, JobsCommand,
    SecretCommand, TldCommand, UserCommand,
};
use crate::{bench, serve, setup};

/// The actor of operator commands run on the server (and of the benchmarks' set-up).
pub(crate) fn operator() -> Actor {
    Actor {
        account_id: "cli".into(),
        tenant_id: String::new(),
        role: Role::Admin,
        rights: RightSet::all(),
        method: AuthMethod::Operator,
    }
}

fn app_error(e: yuming_app::AppError) -> anyhow::Error {
    match &e.field {
        Some(field) => anyhow::anyhow!("{} ({}, {field})", e.message, e.code),
        None => anyhow::anyhow!("{} ({})", e.message, e.code),
    }
}

/// Runs one command.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = setup::load_config(cli.config.as_deref())?;
    setup::init_logging(config.log_format);
    match cli.command {
        Command::Serve => serve::serve(config).await.map(|()| ExitCode::SUCCESS),
        Command::Migrate => {
            let db = setup::open_db(&config).await?;
            db.migrate().await.context("applying migrations")?;
            println!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    role,
                    display_name,
                    password_stdin: _,
                },
        } => {
            let role = Role::parse(&role).with_context(|| {
                format!("unknown role {role:?}: use admin, reviewer, support, finance or customer")
            })?;
            let password = setup::read_password_stdin()?;
            let app = setup::build_app(&config).await?;
            let display_name = display_name
                .unwrap_or_else(|| email.split('@').next().unwrap_or("user").to_owned());
            let input = NewAccountInput {
                email,
                password,
                display_name,
            };
            let account = accounts::create_user(
                &app,
                &RequestContext::internal("cli:user-create"),
                &operator(),
                input,
                role,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{} ({})", e.message, e.code))?;
            println!(
                "created {} account {} ({})",
                account.role, account.email, account.id
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Tld {
            command: TldCommand::List,
        } => {
            let app = setup::build_app(&config).await?;
            let catalogue = yuming_app::registrar::catalogue::current(&app)
                .await
                .map_err(app_error)?;
            println!(
                "{:<8} {:<12} {:<6} {:>5} {:>12} {:>12} {:>12} {:>12}  realname",
                "tld", "ascii", "years", "grace", "register", "renew", "transfer", "restore"
            );
            for tld in catalogue.tlds() {
                println!(
                    "{:<8} {:<12} {:>2}-{:<3} {:>5} {:>12} {:>12} {:>12} {:>12}  {}",
                    tld.unicode,
                    tld.ascii,
                    tld.min_years,
                    tld.max_years,
                    tld.periods.add_grace_days,
                    tld.prices.register.to_string(),
                    tld.prices.renew.to_string(),
                    tld.prices.transfer.to_string(),
                    tld.prices.restore.to_string(),
                    if tld.realname_required {
                        "required"
                    } else {
                        "-"
                    },
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Tld {
            command: TldCommand::Import { file },
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let app = setup::build_app(&config).await?;
            let summary = yuming_app::registrar::catalogue::import(
                &app,
                &RequestContext::internal("cli:tld-import"),
                &operator(),
                &text,
            )
            .await
            .map_err(app_error)?;
            println!(
                "imported {} TLD(s): {}{}",
                summary.tlds.len(),
                summary.tlds.join(", "),
                if summary.screening {
                    "; screening list replaced"
                } else {
                    ""
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Account {
            command:
                AccountCommand::Credit {
                    email,
                    amount,
                    currency,
                    note,
                },
        } => {
            let app = setup::build_app(&config).await?;
            let currency = yuming_core::money::Currency::parse(&currency)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let tenant = accounts::tenant_of_email(&app, &email)
                .await
                .map_err(app_error)?;
            let amount = yuming_core::money::Money::new(amount, currency);
            let ctx = RequestContext::internal("cli:account-credit");
            let balance =
                yuming_app::billing::credit(&app, &ctx, &operator(), &tenant, amount, &note)
                    .await
                    .map_err(app_error)?;
            println!("credited {amount} to {email}; balance {}", balance.balance);
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let app = setup::build_app(&config).await?;
            match audit::verify(&app)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                Ok(n) => {
                    println!("audit chain intact: {n} entries");
                    Ok(ExitCode::SUCCESS)
                }
                Err(broken) => {
                    eprintln!("audit chain broken: {broken}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Audit {
            command: AuditCommand::Prove { seq },
        } => {
            let app = setup::build_app(&config).await?;
            let receipt = yuming_app::platform::audit_tree::receipt(&app, &operator(), seq)
                .await
                .map_err(app_error)?;
            let receipt = yuming_http::dto::AuditReceiptDto::from(receipt);
            println!("{}", serde_json::to_string_pretty(&receipt)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::VerifyReceipt { receipt },
        } => {
            let text = std::fs::read_to_string(&receipt)
                .with_context(|| format!("reading {}", receipt.display()))?;
            let dto: yuming_http::dto::AuditReceiptDto = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a receipt", receipt.display()))?;
            let (seq, size, key) = (
                dto.entry.seq,
                dto.tree_head.tree_size,
                dto.tree_head.key_id.clone(),
            );
            match yuming_app::platform::audit_tree::receipt_valid(&dto.into()) {
                Ok(()) => {
                    println!(
                        "receipt valid: entry {seq} is in the tree of {size} entries signed by {key}"
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(reason) => {
                    eprintln!("receipt INVALID: {reason}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Audit {
            command: AuditCommand::CheckConsistency { old, new, proof },
        } => {
            let head = |path: &std::path::Path| -> anyhow::Result<yuming_http::dto::TreeHeadDto> {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                serde_json::from_str(&text)
                    .with_context(|| format!("{} is not a signed tree head", path.display()))
            };
            let (old, new) = (head(&old)?, head(&new)?);
            let hashes = match proof {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    let dto: yuming_http::dto::ConsistencyProofDto = serde_json::from_str(&text)
                        .with_context(|| {
                            format!("{} is not a consistency proof", path.display())
                        })?;
                    if (dto.first, dto.second) != (old.tree_size, new.tree_size) {
                        eprintln!(
                            "the proof connects sizes {} and {}, the heads {} and {}",
                            dto.first, dto.second, old.tree_size, new.tree_size
                        );
                        return Ok(ExitCode::from(1));
                    }
                    dto.proof
                }
                None => {
                    let app = setup::build_app(&config).await?;
                    yuming_app::platform::audit_tree::consistency(
                        &app,
                        old.tree_size,
                        new.tree_size,
                    )
                    .await
                    .map_err(app_error)?
                }
            };
            let (from, to) = (old.tree_size, new.tree_size);
            match yuming_app::platform::audit_tree::consistent(&old.into(), &new.into(), &hashes) {
                Ok(()) => {
                    println!("consistent: the tree of {to} entries extends the tree of {from}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(reason) => {
                    eprintln!("NOT consistent: {reason}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Filing {
            command: FilingCommand::RotateSigningKey,
        } => {
            let app = setup::build_app(&config).await?;
            let key = yuming_app::filing::certificates::rotate_signing_key(
                &app,
                &RequestContext::internal("cli"),
                &operator(),
            )
            .await
            .map_err(app_error)?;
            println!(
                "certificates are now signed with key {} (Ed25519, public key {}); earlier keys stay published for verification",
                key.key_id, key.public_key
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Jobs {
            command: JobsCommand::RunOnce,
        } => {
            let app = setup::build_app(&config).await?;
            let purged = idempotency::purge_ephemeral(&app)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let mailer = setup::mailer(&config)?;
            let jobs =
                yuming_app::ops::scheduler::run_jobs(&app, &setup::instance_id(), mailer.as_ref())
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut synced = yuming_app::ops::scheduler::JobsReport::default();
            yuming_app::ops::scheduler::run_recorded(
                &app,
                yuming_app::ops::scheduler::Job::FilingSync,
                &setup::instance_id(),
                yuming_app::ops::scheduler::Trigger::Schedule,
                None,
                &mut synced,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let filing = synced.filing_sync.unwrap_or_default();
            println!(
                "jobs done: purged {purged} expired sessions, nonces, idempotency keys and rate windows; \
                 filing sync checked {} orders, changed {}, failed {}",
                filing.checked, filing.changed, filing.failed
            );
            match jobs.sweep {
                Some(s) => println!(
                    "lifecycle sweep: {} due domains, {} auto-renewed, {} auto-renewals failed, {} released, {} notices",
                    s.examined, s.renewed, s.renew_failed, s.released, s.notices
                ),
                None => println!("lifecycle sweep: skipped, another instance holds its lease"),
            }
            if mailer.is_some() {
                println!(
                    "e-mail: {} sent, {} failed (retried later)",
                    jobs.emails_sent, jobs.emails_failed
                );
            } else {
                println!("e-mail: smtp_url unset, notices stay in the outbox");
            }
            println!(
                "sms (sandbox gateway): {} recorded, {} failed (retried later); {} transfers auto-approved",
                jobs.sms_sent, jobs.sms_failed, jobs.transfers_completed
            );
            println!(
                "payments: {} stored notifies processed, {} payments credited and {} closed after asking the gateway, {} refunds settled; {} gateway bills reconciled",
                jobs.payments.notifies,
                jobs.payments.credited,
                jobs.payments.closed,
                jobs.payments.refunds,
                jobs.reconciliations
            );
            println!(
                "webhooks: {} delivered, {} failed (retried later); {} stalled batches resumed",
                jobs.webhooks_sent, jobs.webhooks_failed, jobs.batches_resumed
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { out, format } => {
            let db = setup::open_db(&config).await?;
            let now = SystemClock::with_offset(config.clock_offset_secs).now();
            match format.as_str() {
                "sql" => {
                    let rows = backup::export_sql(&db, &out)
                        .await
                        .with_context(|| format!("writing {}", out.display()))?;
                    println!(
                        "{rows} rows written to {} as SQL (no uploaded files; use the tar.gz format for a full backup)",
                        out.display()
                    );
                    return Ok(ExitCode::SUCCESS);
                }
                "tar.gz" | "zip" => {}
                other => anyhow::bail!("--format {other:?}: use tar.gz, zip or sql"),
            }
            let tar_path = if format == "zip" {
                out.with_extension("tar.gz.partial")
            } else {
                out.clone()
            };
            let report = backup::create(&db, &config.data_dir, &tar_path, now)
                .await
                .with_context(|| format!("writing the backup {}", out.display()))?;
            if format == "zip" {
                let converted = backup::tar_to_zip(&tar_path, &out);
                let _ = std::fs::remove_file(&tar_path);
                converted.with_context(|| format!("writing {}", out.display()))?;
            }
            let rows: u64 = report.manifest.tables.iter().map(|t| t.rows).sum();
            println!(
                "backup written to {}: {} tables, {rows} rows, {} uploaded files, {} bytes (schema at migration {}); the master key is not included",
                out.display(),
                report.manifest.tables.len(),
                report.manifest.files.len() - 1,
                std::fs::metadata(&out).map_or(report.archive_size, |m| m.len()),
                report.manifest.migration_version,
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::RestoreDrill { archive } => {
            let db = setup::open_db(&config).await?;
            let app = setup::build_app(&config).await?;
            let schedule = &app.settings().backup;
            let Some(archive) =
                archive.or_else(|| yuming_app::ops::scheduled_backup::latest(&schedule.dir))
            else {
                eprintln!("no backup in {} to drill with", schedule.dir.display());
                return Ok(ExitCode::from(1));
            };
            let scratch = schedule.dir.join("drills");
            match yuming_app::ops::scheduled_backup::drill(
                &db,
                &schedule.database_url,
                &archive,
                &scratch,
            )
            .await
            {
                Ok(drill) => {
                    println!(
                        "restore drill: {} restored into a scratch database in {:.1} s: {} tables, {} rows, {} uploaded files; scratch copies removed",
                        drill.archive.display(),
                        drill.elapsed.as_secs_f64(),
                        drill.tables,
                        drill.rows,
                        drill.uploads
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => {
                    eprintln!(
                        "restore drill FAILED for {}: {}",
                        archive.display(),
                        error.message
                    );
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Restore { archive } => {
            let db = setup::open_db(&config).await?;
            let report = backup::restore(&db, &config.data_dir, &archive)
                .await
                .with_context(|| format!("restoring {}", archive.display()))?;
            let app = setup::build_app(&config).await?;
            let entries = match audit::verify(&app)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                Ok(n) => n,
                Err(broken) => {
                    eprintln!("restored, but the audit chain is broken: {broken}");
                    return Ok(ExitCode::from(1));
                }
            };
            let rows: u64 = report.manifest.tables.iter().map(|t| t.rows).sum();
            println!(
                "restored {rows} rows and {} uploaded files from {}; audit chain intact ({entries} entries)",
                report.uploads,
                archive.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Secret {
            command: SecretCommand::Seal,
        } => {
            let key = setup::master_key(&config)?;
            let cipher = yuming_app::platform::crypto::Cipher::from_base64(&key, &[])
                .context("master key")?;
            let mut secret = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut secret)
                .context("reading the secret from standard input")?;
            let secret = secret.trim();
            if secret.is_empty() {
                anyhow::bail!("no secret on standard input");
            }
            println!("{}", setup::seal_secret(&cipher, secret));
            Ok(ExitCode::SUCCESS)
        }
        Command::Openapi => {
            println!("{}", yuming_http::openapi_json());
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            command:
                BenchCommand::Registrar {
                    database_url,
                    concurrency,
                    seconds,
                },
        } => bench::registrar(&config, database_url, concurrency, seconds)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Bench {
            command:
                BenchCommand::Filing {
                    database_url,
                    orders,
                    concurrency,
                },
        } => crate::bench_filing::filing(&config, database_url, orders, concurrency)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Bench {
            command:
                BenchCommand::HelpSearch {
                    database_url,
                    articles,
                    queries,
                    concurrency,
                },
        } => crate::bench_help::help(&config, database_url, articles, queries, concurrency)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Bench {
            command:
                BenchCommand::Sweep {
                    database_url,
                    domains,
                    due_percent,
                },
        } => bench::sweep(&config, database_url, domains, due_percent)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Bench {
            command:
                BenchCommand::Auth {
                    database_url,
                    concurrency,
                    seconds,
                },
        } => bench::auth(&config, database_url, concurrency, seconds)
            .await
            .map(|()| ExitCode::SUCCESS),
    }
}
