//! Command-line interface.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Yuming (域名): domain registrar and ICP filing platform.
#[derive(Debug, Parser)]
#[command(name = "yuming", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (TOML). Default: `yuming.toml` if present. Environment variables
    /// `YUMING_*` override it.
    #[arg(long, global = true, env = "YUMING_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database, then run every enabled listener until SIGINT/SIGTERM.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The TLD catalogue.
    Tld {
        #[command(subcommand)]
        command: TldCommand,
    },
    /// Customer balances.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Inspect the tamper-evident audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// ICP filing operations.
    Filing {
        #[command(subcommand)]
        command: FilingCommand,
    },
    /// Scheduled work.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Write a consistent snapshot of the database and the uploaded files to a `.tar.gz`
    /// (works while `serve` runs). The master key is not included: keep it separately.
    Backup {
        /// The archive to write.
        #[arg(long)]
        out: PathBuf,
        /// `tar.gz` (the default: what `yuming restore` reads), `zip` (the same members), or
        /// `sql` (only the database's INSERT statements, for sqlite3/psql).
        #[arg(long, default_value = "tar.gz")]
        format: String,
    },
    /// Restore a backup (the newest in `[backup] dir` unless one is named) into a scratch
    /// database and data directory, report how long it took and what it held (the recovery
    /// time), then remove the scratch copies. Exit 1 when the restore fails.
    RestoreDrill {
        /// The archive; default the newest scheduled backup.
        archive: Option<PathBuf>,
    },
    /// Restore a `yuming backup` archive into an empty database and data directory.
    Restore {
        /// The archive to read.
        archive: PathBuf,
    },
    /// Secrets for the configuration file.
    Secret {
        #[command(subcommand)]
        command: SecretCommand,
    },
    /// Print the OpenAPI document of /api/v1.
    Openapi,
    /// Reproducible benchmarks against 127.0.0.1 only.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

/// `yuming user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account of any role; the password is read from standard input.
    Create {
        /// E-mail (login name).
        #[arg(long)]
        email: String,
        /// admin, reviewer, support, finance or customer.
        #[arg(long)]
        role: String,
        /// Display name (default: the e-mail's local part).
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// `yuming secret …`
#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Seal a secret (a gateway private key, the WeChat Pay APIv3 key) read from standard
    /// input with the master key, and print the `sealed:…` value to put in the
    /// configuration.
    Seal,
}

/// `yuming tld …`
#[derive(Debug, Subcommand)]
pub enum TldCommand {
    /// List the TLDs on sale with periods and prices.
    List,
    /// Import a catalogue file (TOML): TLDs are replaced by name, others kept.
    Import {
        /// The catalogue file.
        file: PathBuf,
    },
}

/// `yuming account …`
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Credit a customer's balance (a top-up received outside the platform).
    Credit {
        /// The customer's e-mail.
        #[arg(long)]
        email: String,
        /// Amount in minor units (fen), positive.
        #[arg(long)]
        amount: i64,
        /// ISO 4217 currency.
        #[arg(long, default_value = "CNY")]
        currency: String,
        /// Reference, e.g. a bank transfer number.
        #[arg(long, default_value = "")]
        note: String,
    },
}

/// `yuming audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain: exit 0 when intact, 1 naming the first bad entry.
    Verify,
    /// Print the receipt (inclusion proof against a signed tree head) of audit entry SEQ as
    /// JSON, signing a new head first if none covers it yet.
    Prove {
        /// The entry's position in the log.
        seq: i64,
    },
    /// Check a receipt offline (no database): the entry's hash, the audit path to the signed
    /// head's root, and the head's signature. Exit 0 when it holds, 1 saying why not.
    VerifyReceipt {
        /// The receipt (`GET /api/v1/audit/{seq}/proof` or `yuming audit prove`).
        receipt: PathBuf,
    },
    /// Check that a newer signed tree head extends an older one (RFC 9162 consistency):
    /// both signatures and the proof. Exit 0 when it holds, 1 saying why not.
    CheckConsistency {
        /// The older head (`GET /api/v1/public/audit/sth/{size}`).
        old: PathBuf,
        /// The newer head.
        new: PathBuf,
        /// The proof (`GET /api/v1/public/audit/consistency`); without it, it is computed
        /// from this platform's database.
        #[arg(long)]
        proof: Option<PathBuf>,
    },
}

/// `yuming filing …`
#[derive(Debug, Subcommand)]
pub enum FilingCommand {
    /// Retire the certificate signing key and start signing with a new one (certificates
    /// signed before keep verifying under the retired key).
    RotateSigningKey,
}

/// `yuming jobs …`
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Perform all scheduled work that is due now, then exit.
    RunOnce,
}

/// `yuming bench …`
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Login and authenticated-request throughput over HTTP on 127.0.0.1, and the cost of
    /// the audit write per state change. Uses a fresh temporary SQLite database unless
    /// `--database-url` names a PostgreSQL database (which must be empty or disposable).
    Auth {
        /// Database to benchmark (default: a temporary SQLite file).
        #[arg(long)]
        database_url: Option<String>,
        /// Concurrent clients.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Seconds per measured phase.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// One full lifecycle sweep over a seeded domain table: time and peak memory. Uses a
    /// fresh temporary SQLite database unless `--database-url` names a disposable PostgreSQL
    /// database.
    Sweep {
        /// Database to benchmark (default: a temporary SQLite file).
        #[arg(long)]
        database_url: Option<String>,
        /// Domains to seed.
        #[arg(long, default_value_t = 1_000_000)]
        domains: i64,
        /// Percentage of them due (expiring now with auto-renew on).
        #[arg(long, default_value_t = 1)]
        due_percent: i64,
    },
    /// Bulk availability (1000 names per request) and paid registrations per second over HTTP
    /// on 127.0.0.1. Uses a fresh temporary SQLite database unless `--database-url` names a
    /// disposable PostgreSQL database.
    Registrar {
        /// Database to benchmark (default: a temporary SQLite file).
        #[arg(long)]
        database_url: Option<String>,
        /// Concurrent clients.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Seconds per measured phase.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// Help-centre search over the shipped articles plus generated ones, through the use
    /// case the pages call, beside a substring scan over the same texts; every answer is
    /// checked. A fresh temporary SQLite database unless `--database-url` names a disposable
    /// PostgreSQL database.
    HelpSearch {
        /// Database to benchmark (default: a temporary SQLite file).
        #[arg(long)]
        database_url: Option<String>,
        /// Generated articles (each in zh-CN and English).
        #[arg(long, default_value_t = 10_000)]
        articles: usize,
        /// Queries in the measured phase.
        #[arg(long, default_value_t = 5_000)]
        queries: usize,
        /// Concurrent searchers.
        #[arg(long, default_value_t = 2)]
        concurrency: usize,
    },
    /// ICP filing: the self-check of one complete order with eight 5 MB materials, and
    /// submissions per second. A fresh temporary SQLite database unless `--database-url`
    /// names a disposable PostgreSQL database.
    Filing {
        /// Database to benchmark (default: a temporary SQLite file).
        #[arg(long)]
        database_url: Option<String>,
        /// Orders submitted in the throughput phase (1–999).
        #[arg(long, default_value_t = 200)]
        orders: usize,
        /// Concurrent clients submitting.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
    },
}
