//! `yuming bench help-search`: help-centre search over the shipped articles plus generated ones
//! (default 10 000, each in Chinese and English), through the same use case the pages and the
//! API call (segmentation, ranking, highlighted snippets), side by side with the anchor a
//! help centre without an index would use: a case-insensitive substring scan over every
//! article's text (what `LIKE '%…%'` does). Every answer is checked: a query for a generated
//! article's unique word must return that article first, and the known questions must find
//! their article in the first ten; any wrong answer fails the run.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use yuming_app::care::help::{self, ImportedArticle};
use yuming_app::platform::clock::SystemClock;
use yuming_app::platform::crypto::Cipher;
use yuming_app::{App, RequestContext};
use yuming_config::Config;
use yuming_store::Db;

use crate::bench_filing::percentile;
use crate::commands::operator;
use crate::setup;

/// Questions people ask, with the shipped article that must be among the first ten results.
const KNOWN: [(&str, &str, &str); 8] = [
    ("备案 驳回", "zh-CN", "icp-rejection-reasons"),
    ("备案驳回原因", "zh-CN", "icp-rejection-reasons"),
    ("短信核验", "zh-CN", "icp-sms-verification"),
    ("自动续费", "zh-CN", "renewal-and-auto-renew"),
    ("赎回期", "zh-CN", "expiry-periods"),
    ("filing rejected", "en", "icp-rejection-reasons"),
    ("signed requests", "en", "signed-requests"),
    ("automatic renewal", "en", "renewal-and-auto-renew"),
];

/// The unique word of generated article `n`: one token in both languages.
fn marker(n: usize) -> String {
    format!("yumingbench{n:05}")
}

/// Sentences of the shipped articles, to build generated articles with a real vocabulary.
fn sentences(locale: &str) -> Vec<String> {
    let mut out = Vec::new();
    for article in yuming_core::help::shipped() {
        if article.locale != locale {
            continue;
        }
        for line in yuming_core::help::plain_text(&article.body).lines() {
            let line = line.trim();
            if line.chars().count() >= 12 {
                out.push(line.to_owned());
            }
        }
    }
    out
}

/// Article `n`: about 12 sentences drawn from the shipped ones, with its unique word in the
/// middle, in each language.
fn generated(n: usize, zh: &[String], en: &[String]) -> ImportedArticle {
    let mut state = (n as u64)
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1);
    let mut next = move |len: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % len as u64) as usize
    };
    let mut body = |pool: &[String], lead: &str| {
        let mut text = String::new();
        for i in 0..12 {
            if i == 6 {
                text.push_str(&format!("{lead} {}.\n\n", marker(n)));
            }
            text.push_str(&pool[next(pool.len())]);
            text.push_str("\n\n");
        }
        text
    };
    let categories = ["domains", "billing", "lifecycle", "dns", "icp", "account"];
    ImportedArticle {
        slug: format!("bench-{n:05}"),
        category: categories[n % categories.len()].to_owned(),
        position: 1000 + n as i64,
        texts: vec![
            (
                "zh-CN".into(),
                format!("示例文章 {n}"),
                body(zh, "本文编号"),
            ),
            (
                "en".into(),
                format!("Sample article {n}"),
                body(en, "Article number"),
            ),
        ],
    }
}

/// One query and what a right answer is.
#[derive(Clone)]
struct Probe {
    query: String,
    locale: &'static str,
    expected: String,
    must_be_first: bool,
}

fn probes(articles: usize, queries: usize) -> Vec<Probe> {
    (0..queries)
        .map(|i| {
            if i % 4 == 3 {
                let (query, locale, slug) = KNOWN[(i / 4) % KNOWN.len()];
                Probe {
                    query: query.to_owned(),
                    locale: if locale == "en" { "en" } else { "zh-CN" },
                    expected: slug.to_owned(),
                    must_be_first: false,
                }
            } else {
                let n = (i * 7919) % articles.max(1);
                let (words, locale) = if i % 2 == 0 {
                    (format!("{} 编号", marker(n)), "zh-CN")
                } else {
                    (format!("article number {}", marker(n)), "en")
                };
                Probe {
                    query: words,
                    locale,
                    expected: format!("bench-{n:05}"),
                    must_be_first: true,
                }
            }
        })
        .collect()
}

/// The anchor: every article's text lower-cased once, then each query's words looked for as
/// substrings in every article of the language (all words must occur).
struct Scan {
    texts: Vec<(String, &'static str, String)>,
}

impl Scan {
    fn new(articles: &[ImportedArticle]) -> Scan {
        let mut texts = Vec::new();
        for article in articles {
            for (locale, title, body) in &article.texts {
                let locale = if locale == "en" { "en" } else { "zh-CN" };
                texts.push((
                    article.slug.clone(),
                    locale,
                    format!("{title}\n{}", yuming_core::help::plain_text(body)).to_lowercase(),
                ));
            }
        }
        for article in yuming_core::help::shipped() {
            texts.push((
                article.slug.to_owned(),
                article.locale,
                format!(
                    "{}\n{}",
                    article.title,
                    yuming_core::help::plain_text(&article.body)
                )
                .to_lowercase(),
            ));
        }
        Scan { texts }
    }

    fn search(&self, query: &str, locale: &str) -> Vec<&str> {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        self.texts
            .iter()
            .filter(|(_, l, text)| *l == locale && words.iter().all(|w| text.contains(w.as_str())))
            .map(|(slug, _, _)| slug.as_str())
            .take(10)
            .collect()
    }
}

/// The benchmark.
pub async fn help(
    config: &Config,
    database_url: Option<String>,
    articles: usize,
    queries: usize,
    concurrency: usize,
) -> anyhow::Result<()> {
    let temp_dir = tempfile::tempdir()?;
    let url =
        database_url.unwrap_or_else(|| format!("sqlite://{}/bench.db", temp_dir.path().display()));
    let db = Db::connect(&url, config.database.max_connections)
        .await
        .context("connecting")?;
    db.migrate().await?;
    let settings = setup::app_settings(config);
    let cipher = Cipher::from_base64(&Cipher::generate_key_base64(), &[])?;
    let app = App::new(db, Arc::new(SystemClock::default()), cipher, settings);
    let ctx = RequestContext::internal("bench");

    let started = Instant::now();
    help::ensure_ready(&app)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let (zh, en) = (sentences("zh-CN"), sentences("en"));
    let generated: Vec<ImportedArticle> = (0..articles).map(|n| generated(n, &zh, &en)).collect();
    for chunk in generated.chunks(2_000) {
        help::import(&app, &ctx, &operator(), chunk)
            .await
            .map_err(|e| anyhow::anyhow!("importing: {}", e.message))?;
    }
    println!(
        "help centre: {} shipped articles + {articles} generated, each in zh-CN and en ({} texts); \
         stored and indexed in {:.1} s",
        yuming_core::help::shipped().len() / 2,
        yuming_core::help::shipped().len() + articles * 2,
        started.elapsed().as_secs_f64()
    );

    let probes = Arc::new(probes(articles, queries));
    // Warm-up: the first search of an index loads its structures.
    help::search(&app, "域名", "zh-CN", 10)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;

    let concurrency = concurrency.clamp(1, 64);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let app = app.clone();
        let probes = Arc::clone(&probes);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut wrong = Vec::new();
            for probe in probes.iter().skip(worker).step_by(concurrency) {
                let t = Instant::now();
                let found = help::search(&app, &probe.query, probe.locale, 10).await;
                latencies.push(t.elapsed());
                let ok = match &found {
                    Ok(found) if probe.must_be_first => {
                        found.hits.first().is_some_and(|h| h.slug == probe.expected)
                            && found.hits[0].snippet_html.contains("<mark>")
                    }
                    Ok(found) => found.hits.iter().any(|h| h.slug == probe.expected),
                    Err(_) => false,
                };
                if !ok {
                    wrong.push(format!(
                        "{} ({}): expected {}, got {:?}",
                        probe.query,
                        probe.locale,
                        probe.expected,
                        found.map(|f| f.hits.into_iter().map(|h| h.slug).collect::<Vec<_>>())
                    ));
                }
            }
            (latencies, wrong)
        }));
    }
    let mut latencies = Vec::new();
    let mut wrong = Vec::new();
    for task in tasks {
        let (l, w) = task.await?;
        latencies.extend(l);
        wrong.extend(w);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    println!(
        "indexed search (jieba + BM25 + snippets): {} queries, {concurrency} concurrent: {:.0} queries/s, \
         p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );

    // The anchor, on the same texts and the same queries (a sample: it is slow).
    let scan = Scan::new(&generated);
    let sample: Vec<&Probe> = probes.iter().take(200.min(probes.len())).collect();
    let mut scan_latencies = Vec::new();
    let mut scan_missed = 0;
    let started = Instant::now();
    for probe in &sample {
        let t = Instant::now();
        let found = scan.search(&probe.query, probe.locale);
        scan_latencies.push(t.elapsed());
        if !found.contains(&probe.expected.as_str()) {
            scan_missed += 1;
        }
    }
    let scan_elapsed = started.elapsed();
    scan_latencies.sort();
    println!(
        "anchor, substring scan (LIKE '%…%'): {} queries, 1 at a time: {:.0} queries/s, p50 {:.2} ms, \
         p99 {:.2} ms; {scan_missed} of them did not find the expected article (no segmentation)",
        sample.len(),
        sample.len() as f64 / scan_elapsed.as_secs_f64(),
        percentile(&scan_latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&scan_latencies, 0.99).as_secs_f64() * 1e3,
    );

    if !wrong.is_empty() {
        for line in wrong.iter().take(10) {
            eprintln!("wrong answer: {line}");
        }
        bail!("{} of {} answers were wrong", wrong.len(), latencies.len());
    }
    println!("every answer checked: {} right", latencies.len());
    Ok(())
}
