//! The TLD catalogue: the TOML format operators import (`yuming tld import FILE`), the
//! built-in default, storage, and the in-memory copy every availability check reads.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::catalogue::{Catalogue, LookalikePolicy, Prices, ScreeningTerm, TldPolicy};
use yuming_core::lifecycle::TldPeriods;
use yuming_core::money::{Currency, Money};
use yuming_core::rules::domain_name::{DomainName, DomainPolicy};
use yuming_core::rules::naming_review::{DEFAULT_BLOCKLIST, MatchKind, Verdict};
use yuming_store::{TldRow, Tx};

use crate::platform::audit::{self, Change};
use crate::registrar::RegistrarError;
use crate::{App, AppError, RequestContext};

/// The catalogue a fresh installation starts with.
pub const DEFAULT_CATALOGUE: &str = include_str!("../../catalogue/default.toml");

/// How long an instance trusts its in-memory catalogue before checking the database for
/// imports made by other instances.
const REFRESH_AFTER: Duration = Duration::from_secs(5);

/// A catalogue file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueFile {
    /// The naming-review list.
    #[serde(default)]
    pub screening: Option<ScreeningFile>,
    /// TLDs.
    #[serde(default, rename = "tld")]
    pub tlds: Vec<TldFile>,
}

/// The screening section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreeningFile {
    /// Whether the built-in list of spec §3.2 applies as well.
    #[serde(default = "yes")]
    pub include_defaults: bool,
    /// Extra terms.
    #[serde(default)]
    pub terms: Vec<TermFile>,
}

fn yes() -> bool {
    true
}

/// One screening term.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermFile {
    /// The term.
    pub term: String,
    /// `contains` (default), `token_start` or `exact`.
    #[serde(default = "contains", rename = "match")]
    pub kind: String,
    /// `block` or `review`.
    pub verdict: String,
}

fn contains() -> String {
    "contains".into()
}

/// One TLD.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TldFile {
    /// The TLD, Unicode or A-label.
    pub name: String,
    /// Registry connector (`local`).
    #[serde(default = "local")]
    pub registry: String,
    /// `gtld` or `cn`.
    #[serde(default = "gtld")]
    pub periods: String,
    /// Single values replacing the preset's.
    #[serde(default)]
    pub period_overrides: BTreeMap<String, u32>,
    /// `generic` or `chinese` (no `--` anywhere, Chinese IDN labels only).
    #[serde(default = "generic")]
    pub family: String,
    /// Shortest term.
    #[serde(default = "one")]
    pub min_years: u32,
    /// Longest term.
    #[serde(default = "ten")]
    pub max_years: u32,
    /// ISO 4217 currency of the prices.
    #[serde(default = "cny")]
    pub currency: String,
    /// Standard prices.
    pub prices: PricesFile,
    /// Premium labels with their own prices.
    #[serde(default)]
    pub premium: BTreeMap<String, PricesFile>,
    /// Reserved labels.
    #[serde(default)]
    pub reserved: Vec<String>,
    /// Hold the name until the registrant's real name is verified.
    #[serde(default)]
    pub realname_required: bool,
    /// Days a new name resolves before verification.
    #[serde(default)]
    pub realname_grace_days: u32,
    /// Cancelling a Chinese IDN needs an uploaded supporting document.
    #[serde(default)]
    pub cancellation_idn_document: bool,
    /// Look-alike names (UTS #39 mixed scripts, labels that read as an ASCII name):
    /// `refuse` (default) or `review` (registrable, held for the naming review).
    #[serde(default = "refuse")]
    pub lookalikes: String,
}

fn local() -> String {
    "local".into()
}
fn gtld() -> String {
    "gtld".into()
}
fn generic() -> String {
    "generic".into()
}
fn refuse() -> String {
    "refuse".into()
}
fn cny() -> String {
    "CNY".into()
}
fn one() -> u32 {
    1
}
fn ten() -> u32 {
    10
}

/// Prices in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricesFile {
    /// Registration per year.
    pub register: i64,
    /// Renewal per year.
    pub renew: i64,
    /// Transfer.
    pub transfer: i64,
    /// Restore fee.
    pub restore: i64,
}

fn invalid(field: String, en: String, zh: String) -> AppError {
    RegistrarError::InvalidCatalogue { field, en, zh }.into()
}

/// The largest price accepted: 100 million yuan, far above any real one, so that a typo
/// cannot overflow arithmetic downstream.
const MAX_PRICE_MINOR: i64 = 10_000_000_000;

fn prices(file: &PricesFile, currency: Currency, field: &str) -> Result<Prices, AppError> {
    for (name, value) in [
        ("register", file.register),
        ("renew", file.renew),
        ("transfer", file.transfer),
        ("restore", file.restore),
    ] {
        if !(0..=MAX_PRICE_MINOR).contains(&value) {
            return Err(invalid(
                format!("{field}.{name}"),
                format!("price must be 0 to {MAX_PRICE_MINOR} minor units"),
                format!("价格须在 0 到 {MAX_PRICE_MINOR} 分之间"),
            ));
        }
    }
    Ok(Prices {
        register: Money::new(file.register, currency),
        renew: Money::new(file.renew, currency),
        transfer: Money::new(file.transfer, currency),
        restore: Money::new(file.restore, currency),
    })
}

fn periods(file: &TldFile, field: &str) -> Result<TldPeriods, AppError> {
    let mut periods = match file.periods.as_str() {
        "gtld" => TldPeriods::gtld(),
        "cn" => TldPeriods::cn(),
        other => {
            return Err(invalid(
                format!("{field}.periods"),
                format!("unknown period preset {other:?}: use gtld or cn"),
                format!("未知的周期预设 {other:?}：请使用 gtld 或 cn"),
            ));
        }
    };
    for (name, value) in &file.period_overrides {
        let slot = match name.as_str() {
            "add_grace_days" => &mut periods.add_grace_days,
            "renew_grace_days" => &mut periods.renew_grace_days,
            "auto_renew_grace_days" => &mut periods.auto_renew_grace_days,
            "transfer_grace_days" => &mut periods.transfer_grace_days,
            "redemption_days" => &mut periods.redemption_days,
            "pending_delete_days" => &mut periods.pending_delete_days,
            "transfer_auto_approve_days" => &mut periods.transfer_auto_approve_days,
            "transfer_lock_days" => &mut periods.transfer_lock_days,
            "post_expiry_renewal_transfer_lock_days" => {
                &mut periods.post_expiry_renewal_transfer_lock_days
            }
            "no_transfer_before_expiry_days" => &mut periods.no_transfer_before_expiry_days,
            "transfer_adds_years" => &mut periods.transfer_adds_years,
            "max_registration_years" => &mut periods.max_registration_years,
            other => {
                return Err(invalid(
                    format!("{field}.period_overrides.{other}"),
                    format!("unknown period {other:?}"),
                    format!("未知的周期 {other:?}"),
                ));
            }
        };
        if *value > 3_650 {
            return Err(invalid(
                format!("{field}.period_overrides.{name}"),
                "must be at most 3650".into(),
                "不能超过 3650".into(),
            ));
        }
        *slot = *value;
    }
    Ok(periods)
}

/// Converts a second-level label to its A-label under `tld`.
fn label_ascii(
    label: &str,
    tld: &str,
    policy: &DomainPolicy,
    field: String,
) -> Result<String, AppError> {
    let parsed = DomainName::parse(&format!("{label}.{tld}"), policy).map_err(|rejection| {
        invalid(
            field.clone(),
            format!("{label:?} is not a valid label: {rejection}"),
            format!("{label:?} 不是有效的标签"),
        )
    })?;
    let name = parsed.value;
    if name.labels().len() != 2 {
        return Err(invalid(
            field,
            format!("{label:?} must be a single label"),
            format!("{label:?} 须为单个标签"),
        ));
    }
    Ok(name.labels()[0].ascii().to_owned())
}

/// Parses one TLD definition into its policy.
pub fn tld_policy(file: &TldFile, field: &str) -> Result<TldPolicy, AppError> {
    let probe = DomainName::parse(&format!("nic.{}", file.name.trim()), &DomainPolicy::GENERIC)
        .map_err(|_| {
            invalid(
                format!("{field}.name"),
                format!("{:?} is not a valid TLD", file.name),
                format!("{:?} 不是有效的顶级域", file.name),
            )
        })?;
    let tld = probe.value.tld().clone();
    if probe.value.labels().len() != 2 {
        return Err(invalid(
            format!("{field}.name"),
            "a TLD is a single label".into(),
            "顶级域须为单个标签".into(),
        ));
    }
    let domain_policy = match file.family.as_str() {
        "generic" => DomainPolicy::GENERIC,
        "chinese" => DomainPolicy::CHINESE_REGISTRY,
        other => {
            return Err(invalid(
                format!("{field}.family"),
                format!("unknown family {other:?}: use generic or chinese"),
                format!("未知的注册局规则 {other:?}"),
            ));
        }
    };
    let lookalikes = match file.lookalikes.as_str() {
        "refuse" => LookalikePolicy::Refuse,
        "review" => LookalikePolicy::Review,
        other => {
            return Err(invalid(
                format!("{field}.lookalikes"),
                format!("unknown look-alike policy {other:?}: use refuse or review"),
                format!("未知的仿冒域名策略 {other:?}：请使用 refuse 或 review"),
            ));
        }
    };
    if file.registry != "local" {
        return Err(invalid(
            format!("{field}.registry"),
            format!(
                "unknown registry connector {:?}: this build has `local`",
                file.registry
            ),
            format!("未知的注册局连接器 {:?}", file.registry),
        ));
    }
    if file.min_years < 1 || file.max_years > 10 || file.min_years > file.max_years {
        return Err(invalid(
            format!("{field}.max_years"),
            "terms must satisfy 1 ≤ min_years ≤ max_years ≤ 10".into(),
            "期限须满足 1 ≤ 最短 ≤ 最长 ≤ 10".into(),
        ));
    }
    let currency = Currency::parse(&file.currency).map_err(|_| {
        invalid(
            format!("{field}.currency"),
            format!("unknown currency {:?}", file.currency),
            format!("未知币种 {:?}", file.currency),
        )
    })?;
    let mut premium = BTreeMap::new();
    for (label, price) in &file.premium {
        let ascii = label_ascii(
            label,
            tld.unicode(),
            &domain_policy,
            format!("{field}.premium.{label}"),
        )?;
        premium.insert(
            ascii,
            prices(price, currency, &format!("{field}.premium.{label}"))?,
        );
    }
    let mut reserved = BTreeSet::new();
    for (i, label) in file.reserved.iter().enumerate() {
        reserved.insert(label_ascii(
            label,
            tld.unicode(),
            &domain_policy,
            format!("{field}.reserved[{i}]"),
        )?);
    }
    Ok(TldPolicy {
        unicode: tld.unicode().to_owned(),
        ascii: tld.ascii().to_owned(),
        registry: file.registry.clone(),
        min_years: file.min_years,
        max_years: file.max_years,
        periods: periods(file, field)?,
        prices: prices(&file.prices, currency, &format!("{field}.prices"))?,
        premium,
        reserved,
        domain_policy,
        lookalikes,
        realname_required: file.realname_required,
        realname_grace_days: file.realname_grace_days,
        cancellation_idn_document: file.cancellation_idn_document,
    })
}

/// Parses the screening section into terms (including the built-in list when asked).
pub fn screening_terms(file: Option<&ScreeningFile>) -> Result<Vec<ScreeningTerm>, AppError> {
    let include_defaults = file.is_none_or(|f| f.include_defaults);
    let mut terms: Vec<ScreeningTerm> = if include_defaults {
        DEFAULT_BLOCKLIST
            .iter()
            .map(|t| ScreeningTerm {
                term: t.term.to_owned(),
                kind: t.kind,
                verdict: t.verdict,
            })
            .collect()
    } else {
        Vec::new()
    };
    for (i, term) in file
        .map(|f| f.terms.as_slice())
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let field = format!("screening.terms[{i}]");
        let kind = match term.kind.as_str() {
            "contains" => MatchKind::Contains,
            "token_start" => MatchKind::TokenStart,
            "exact" => MatchKind::Exact,
            other => {
                return Err(invalid(
                    format!("{field}.match"),
                    format!("unknown match {other:?}"),
                    format!("未知匹配方式 {other:?}"),
                ));
            }
        };
        let verdict = match term.verdict.as_str() {
            "block" => Verdict::Reject,
            "review" => Verdict::Review,
            other => {
                return Err(invalid(
                    format!("{field}.verdict"),
                    format!("unknown verdict {other:?}: use block or review"),
                    format!("未知处理方式 {other:?}"),
                ));
            }
        };
        if term.term.trim().is_empty() {
            return Err(invalid(
                format!("{field}.term"),
                "empty term".into(),
                "词条为空".into(),
            ));
        }
        terms.push(ScreeningTerm {
            term: term.term.trim().to_owned(),
            kind,
            verdict,
        });
    }
    Ok(terms)
}

/// Parses a whole catalogue file, reporting the first problem with its path.
pub fn parse_file(
    text: &str,
) -> Result<(CatalogueFile, Vec<TldPolicy>, Vec<ScreeningTerm>), AppError> {
    let file: CatalogueFile =
        toml::from_str(text).map_err(|e| RegistrarError::UnreadableCatalogue {
            reason: e.message().to_owned(),
        })?;
    let tlds = file
        .tlds
        .iter()
        .enumerate()
        .map(|(i, tld)| tld_policy(tld, &format!("tld[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let screening = screening_terms(file.screening.as_ref())?;
    Ok((file, tlds, screening))
}

const SCREENING_SETTING: &str = "catalogue.screening";

async fn store_file(
    tx: &mut Tx,
    file: &CatalogueFile,
    tlds: &[TldPolicy],
    now: i64,
) -> Result<(), AppError> {
    for (source, policy) in file.tlds.iter().zip(tlds) {
        let definition = toml::to_string(source)
            .map_err(|e| AppError::internal(format!("serialising a TLD: {e}")))?;
        tx.upsert_tld(&TldRow {
            ascii: policy.ascii.clone(),
            unicode: policy.unicode.clone(),
            definition,
            updated_at: now,
        })
        .await?;
    }
    if let Some(screening) = &file.screening {
        let value = toml::to_string(screening)
            .map_err(|e| AppError::internal(format!("serialising screening: {e}")))?;
        tx.set_setting(SCREENING_SETTING, &value, now).await?;
    }
    Ok(())
}

/// A summary of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    /// TLDs written, Unicode form.
    pub tlds: Vec<String>,
    /// Whether the screening list was replaced.
    pub screening: bool,
}

/// Imports a catalogue file: TLDs are replaced by name, others kept. Admin only.
pub async fn import(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    text: &str,
) -> Result<ImportSummary, AppError> {
    actor.require(Right::PlatformAdmin)?;
    let (file, tlds, _) = parse_file(text)?;
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    store_file(&mut tx, &file, &tlds, now).await?;
    let names: Vec<String> = tlds.iter().map(|t| t.unicode.clone()).collect();
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "catalogue.import",
            object_type: "catalogue",
            object_id: "tlds",
            tenant: "",
            before: serde_json::Value::Null,
            after: json!({ "tlds": names, "screening": file.screening.is_some() }),
        },
    )
    .await?;
    tx.commit().await?;
    app.invalidate_catalogue();
    Ok(ImportSummary {
        tlds: names,
        screening: file.screening.is_some(),
    })
}

/// The in-memory catalogue of an instance.
#[derive(Default)]
pub(crate) struct CatalogueCache {
    entry: std::sync::RwLock<Option<CacheEntry>>,
}

struct CacheEntry {
    version: (i64, i64),
    checked: Instant,
    catalogue: Arc<Catalogue>,
}

impl CatalogueCache {
    pub(crate) fn invalidate(&self) {
        if let Ok(mut entry) = self.entry.write() {
            *entry = None;
        }
    }
}

/// The current catalogue: from memory when fresh, else reloaded. A database without any TLD
/// is seeded with [`DEFAULT_CATALOGUE`] first.
pub async fn current(app: &App) -> Result<Arc<Catalogue>, AppError> {
    let cache = app.catalogue_cache();
    let cached = cache.entry.read().ok().and_then(|e| {
        e.as_ref()
            .map(|e| (e.version, e.checked, e.catalogue.clone()))
    });
    if let Some((_, checked, catalogue)) = &cached
        && checked.elapsed() < REFRESH_AFTER
    {
        return Ok(catalogue.clone());
    }
    let mut tx = app.db().read().await?;
    let version = tx.catalogue_version().await?;
    if let Some((cached_version, _, catalogue)) = cached
        && cached_version == version
    {
        tx.commit().await?;
        if let Ok(mut entry) = cache.entry.write() {
            *entry = Some(CacheEntry {
                version,
                checked: Instant::now(),
                catalogue: catalogue.clone(),
            });
        }
        return Ok(catalogue);
    }
    let mut rows = tx.tlds().await?;
    let mut screening_text = tx.setting(SCREENING_SETTING).await?;
    tx.commit().await?;
    let mut version = version;
    if rows.is_empty() {
        seed_default(app).await?;
        let mut tx = app.db().read().await?;
        rows = tx.tlds().await?;
        screening_text = tx.setting(SCREENING_SETTING).await?;
        version = tx.catalogue_version().await?;
        tx.commit().await?;
    }
    let mut tlds = Vec::with_capacity(rows.len());
    for row in &rows {
        let file: TldFile = toml::from_str(&row.definition).map_err(|e| {
            AppError::internal(format!("stored TLD {} does not parse: {e}", row.ascii))
        })?;
        tlds.push(tld_policy(&file, &row.ascii)?);
    }
    let screening_file: Option<ScreeningFile> = match screening_text {
        Some(text) => Some(
            toml::from_str(&text)
                .map_err(|e| AppError::internal(format!("stored screening does not parse: {e}")))?,
        ),
        None => None,
    };
    let catalogue = Arc::new(Catalogue::new(
        tlds,
        screening_terms(screening_file.as_ref())?,
    ));
    if let Ok(mut entry) = cache.entry.write() {
        *entry = Some(CacheEntry {
            version,
            checked: Instant::now(),
            catalogue: catalogue.clone(),
        });
    }
    Ok(catalogue)
}

/// Writes the default catalogue (idempotent: a concurrent seeder writes the same rows).
async fn seed_default(app: &App) -> Result<(), AppError> {
    let (file, tlds, _) = parse_file(DEFAULT_CATALOGUE)?;
    let mut tx = app.db().write().await?;
    if tx.tlds().await?.is_empty() {
        store_file(&mut tx, &file, &tlds, app.now().0).await?;
        audit::record(app, &mut tx, &RequestContext::internal("seed"), "system", Change {
            action: "catalogue.seed_default",
            object_type: "catalogue",
            object_id: "tlds",
            tenant: "",
            before: serde_json::Value::Null,
            after: json!({ "tlds": tlds.iter().map(|t| t.unicode.clone()).collect::<Vec<_>>() }),
        })
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_catalogue_parses() {
        let (_, tlds, screening) = parse_file(DEFAULT_CATALOGUE).expect("default catalogue");
        let names: Vec<&str> = tlds.iter().map(|t| t.unicode.as_str()).collect();
        for expected in ["com", "net", "cn", "中国", "公司", "网络", "top"] {
            assert!(names.contains(&expected), "{expected} missing");
        }
        let zhongguo = tlds.iter().find(|t| t.unicode == "中国").expect("中国");
        assert_eq!(zhongguo.ascii, "xn--fiqs8s");
        assert_eq!(zhongguo.periods, TldPeriods::cn());
        assert!(
            zhongguo.reserved.contains("xn--mxtq1m"),
            "{:?}",
            zhongguo.reserved
        );
        assert!(screening.len() > DEFAULT_BLOCKLIST.len());
    }

    #[test]
    fn bad_files_name_the_field() {
        let field = |text: &str| {
            parse_file(text)
                .err()
                .and_then(|e| e.field.clone())
                .unwrap_or_default()
        };
        let prices = "prices = { register = 1, renew = 1, transfer = 1, restore = 1 }";
        assert_eq!(
            field(&format!(
                "[[tld]]\nname = \"com\"\nperiods = \"weird\"\n{prices}"
            )),
            "tld[0].periods"
        );
        assert_eq!(
            field(&format!(
                "[[tld]]\nname = \"com\"\ncurrency = \"XXX\"\n{prices}"
            )),
            "tld[0].currency"
        );
        assert_eq!(
            field(
                "[[tld]]\nname = \"com\"\nprices = { register = -1, renew = 1, transfer = 1, restore = 1 }"
            ),
            "tld[0].prices.register"
        );
        assert_eq!(
            field(&format!(
                "[[tld]]\nname = \"com\"\nmax_years = 11\n{prices}"
            )),
            "tld[0].max_years"
        );
        assert_eq!(
            field(&format!(
                "[[tld]]\nname = \"com\"\nreserved = [\"-bad\"]\n{prices}"
            )),
            "tld[0].reserved[0]"
        );
        assert_eq!(
            field(&format!(
                "[[tld]]\nname = \"com\"\nperiod_overrides = {{ nonsense = 1 }}\n{prices}"
            )),
            "tld[0].period_overrides.nonsense"
        );
        assert!(parse_file("[[tld]]\nname = \"com\"\nunknown = 1").is_err());
        assert!(parse_file("not toml [").is_err());
    }
}

/// One TLD's standard prices as the catalogue holds them (staff pages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TldPrices {
    /// A-label.
    pub ascii: String,
    /// Unicode form.
    pub unicode: String,
    /// ISO 4217 code of the prices.
    pub currency: String,
    /// Registration per year, renewal per year, transfer, restore fee (minor units).
    pub prices: PricesFile,
    /// Last change.
    pub updated_at: i64,
}

/// Every TLD with its standard prices, by A-label (admins).
pub async fn price_list(app: &App, actor: &Actor) -> Result<Vec<TldPrices>, AppError> {
    actor.require(Right::PlatformAdmin)?;
    // A fresh installation's catalogue is seeded on first use: make sure it is.
    current(app).await?;
    let mut tx = app.db().read().await?;
    let rows = tx.tlds().await?;
    tx.commit().await?;
    rows.iter()
        .map(|row| {
            let file = stored_definition(row)?;
            Ok(TldPrices {
                ascii: row.ascii.clone(),
                unicode: row.unicode.clone(),
                currency: file.currency.clone(),
                prices: file.prices,
                updated_at: row.updated_at,
            })
        })
        .collect()
}

fn stored_definition(row: &TldRow) -> Result<TldFile, AppError> {
    toml::from_str(&row.definition)
        .map_err(|e| AppError::internal(format!("stored definition of .{}: {e}", row.ascii)))
}

/// Changes one TLD's standard prices, keeping the rest of its definition (admins; audited
/// with the prices before and after). The next availability check on every instance quotes
/// them (the catalogue cache is dropped here and re-read elsewhere within seconds).
pub async fn set_prices(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    tld: &str,
    new_prices: PricesFile,
) -> Result<TldPrices, AppError> {
    let (row, file, now) = change_definition(app, ctx, actor, tld, "catalogue.prices", |file| {
        let before = file.prices;
        file.prices = new_prices;
        (
            serde_json::to_value(before).unwrap_or_default(),
            serde_json::to_value(new_prices).unwrap_or_default(),
        )
    })
    .await?;
    Ok(TldPrices {
        ascii: row.ascii,
        unicode: row.unicode,
        currency: file.currency,
        prices: new_prices,
        updated_at: now,
    })
}

/// Replaces one TLD's reserved second-level labels (admins; audited with the lists before
/// and after). Each label is checked like an import's (`reserved[i]` names a bad one);
/// availability refuses the new ones as `RESERVED` within seconds on every instance.
pub async fn set_reserved(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    tld: &str,
    labels: Vec<String>,
) -> Result<(), AppError> {
    let mut labels: Vec<String> = labels
        .into_iter()
        .map(|l| l.trim().to_lowercase())
        .filter(|l| !l.is_empty())
        .collect();
    labels.sort();
    labels.dedup();
    change_definition(app, ctx, actor, tld, "catalogue.reserved", move |file| {
        let before = std::mem::replace(&mut file.reserved, labels);
        (
            json!({ "reserved": before }),
            json!({ "reserved": file.reserved }),
        )
    })
    .await?;
    Ok(())
}

/// Changes one stored TLD definition with `change` (which returns the audit's before and
/// after), validated like an import, in one audited transaction; drops the catalogue cache.
async fn change_definition(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    tld: &str,
    action: &'static str,
    change: impl FnOnce(&mut TldFile) -> (serde_json::Value, serde_json::Value),
) -> Result<(TldRow, TldFile, i64), AppError> {
    actor.require(Right::PlatformAdmin)?;
    current(app).await?;
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    let wanted = tld.trim().trim_start_matches('.').to_lowercase();
    let row = tx
        .tlds()
        .await?
        .into_iter()
        .find(|row| row.ascii == wanted || row.unicode == wanted)
        .ok_or_else(AppError::not_found)?;
    let mut file = stored_definition(&row)?;
    let (before, after) = change(&mut file);
    // The same validation as an import: a bad price or label is refused with its field.
    let field = action.trim_start_matches("catalogue.");
    let policy = tld_policy(&file, field)?;
    let definition = toml::to_string(&file)
        .map_err(|e| AppError::internal(format!("serialising a TLD: {e}")))?;
    tx.upsert_tld(&TldRow {
        ascii: policy.ascii.clone(),
        unicode: policy.unicode.clone(),
        definition,
        updated_at: now,
    })
    .await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action,
            object_type: "tld",
            object_id: &row.ascii,
            tenant: "",
            before,
            after,
        },
    )
    .await?;
    tx.commit().await?;
    app.invalidate_catalogue();
    Ok((row, file, now))
}

/// One TLD's reserved and premium labels, as administrators keep them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TldLists {
    /// A-label.
    pub ascii: String,
    /// Unicode form.
    pub unicode: String,
    /// ISO 4217 code of the premium prices.
    pub currency: String,
    /// Reserved labels as entered.
    pub reserved: Vec<String>,
    /// Premium labels with their prices.
    pub premium: Vec<(String, PricesFile)>,
}

/// The naming-review list as administrators keep it.
#[derive(Debug, Clone)]
pub struct ScreeningLists {
    /// Whether the built-in list applies as well.
    pub include_defaults: bool,
    /// How many terms the built-in list has.
    pub built_in: usize,
    /// The platform's own terms.
    pub terms: Vec<TermFile>,
}

/// Every TLD's reserved and premium labels, and the screening list (admins).
pub async fn lists(app: &App, actor: &Actor) -> Result<(Vec<TldLists>, ScreeningLists), AppError> {
    actor.require(Right::PlatformAdmin)?;
    current(app).await?;
    let mut tx = app.db().read().await?;
    let rows = tx.tlds().await?;
    let screening_text = tx.setting(SCREENING_SETTING).await?;
    tx.commit().await?;
    let tlds = rows
        .iter()
        .map(|row| {
            let file = stored_definition(row)?;
            Ok(TldLists {
                ascii: row.ascii.clone(),
                unicode: row.unicode.clone(),
                currency: file.currency.clone(),
                reserved: file.reserved.clone(),
                premium: file.premium.into_iter().collect(),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let screening: Option<ScreeningFile> = match screening_text {
        Some(text) => Some(
            toml::from_str(&text)
                .map_err(|e| AppError::internal(format!("stored screening does not parse: {e}")))?,
        ),
        None => None,
    };
    Ok((
        tlds,
        ScreeningLists {
            include_defaults: screening.as_ref().is_none_or(|f| f.include_defaults),
            built_in: DEFAULT_BLOCKLIST.len(),
            terms: screening.map(|f| f.terms).unwrap_or_default(),
        },
    ))
}

/// Replaces the naming-review list (admins; audited): the platform's own terms, and whether
/// the built-in list applies as well. Checked like an import (`screening.terms[i]` names a
/// bad term); names are screened with it within seconds on every instance.
pub async fn set_screening(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    file: ScreeningFile,
) -> Result<(), AppError> {
    actor.require(Right::PlatformAdmin)?;
    screening_terms(Some(&file))?;
    let value = toml::to_string(&file)
        .map_err(|e| AppError::internal(format!("serialising screening: {e}")))?;
    let mut tx = app.db().write().await?;
    let before = tx.setting(SCREENING_SETTING).await?;
    tx.set_setting(SCREENING_SETTING, &value, app.now().0)
        .await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "catalogue.screening",
            object_type: "catalogue",
            object_id: "screening",
            tenant: "",
            before: json!({ "screening": before }),
            after: json!({ "screening": value }),
        },
    )
    .await?;
    tx.commit().await?;
    app.invalidate_catalogue();
    Ok(())
}

/// What importing a catalogue file would change for one TLD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TldChange {
    /// A-label.
    pub ascii: String,
    /// Unicode form.
    pub unicode: String,
    /// Not in the catalogue yet.
    pub added: bool,
    /// Standard prices before (`None` when added) and after.
    pub prices: (Option<PricesFile>, PricesFile),
    /// Anything besides the standard prices differs (periods, lists, premium prices…).
    pub other_changes: bool,
}

/// What an import would do, computed without writing anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportPreview {
    /// The TLDs the file names, in its order, with what changes (unchanged ones included).
    pub tlds: Vec<TldChange>,
    /// The file replaces the screening list.
    pub screening: bool,
}

impl TldChange {
    /// Nothing would change.
    pub fn unchanged(&self) -> bool {
        !self.added && !self.other_changes && self.prices.0 == Some(self.prices.1)
    }
}

/// Reads a catalogue file the way [`import`] would (refusing what it would refuse) and says
/// what importing it would change, TLD by TLD: so that an administrator sees the difference
/// before applying it.
pub async fn preview_import(
    app: &App,
    actor: &Actor,
    text: &str,
) -> Result<ImportPreview, AppError> {
    actor.require(Right::PlatformAdmin)?;
    let (file, policies, _) = parse_file(text)?;
    current(app).await?;
    let mut tx = app.db().read().await?;
    let stored = tx.tlds().await?;
    tx.commit().await?;
    let mut tlds = Vec::with_capacity(policies.len());
    for (source, policy) in file.tlds.iter().zip(&policies) {
        let before = stored
            .iter()
            .find(|row| row.ascii == policy.ascii)
            .map(stored_definition)
            .transpose()?;
        let other_changes = match &before {
            None => false,
            Some(before) => {
                let mut a = before.clone();
                let mut b = source.clone();
                // Compared without the prices (shown apart) and the name's spelling (the
                // file may give the Unicode or the A-label form of the same TLD).
                a.prices = b.prices;
                a.name = policy.ascii.clone();
                b.name = policy.ascii.clone();
                toml::to_string(&a).ok() != toml::to_string(&b).ok()
            }
        };
        tlds.push(TldChange {
            ascii: policy.ascii.clone(),
            unicode: policy.unicode.clone(),
            added: before.is_none(),
            prices: (before.map(|b| b.prices), source.prices),
            other_changes,
        });
    }
    Ok(ImportPreview {
        tlds,
        screening: file.screening.is_some(),
    })
}
