//! What `/metrics` exposes, in the Prometheus text format (0.0.4) through `prometheus-client`.
//!
//! Each [`App`] owns its [`Metrics`] (no process-wide recorder), so instances in one process
//! — the tests' — count apart. Hot paths pay for plain atomics only: HTTP requests go to a
//! family of counters and a lock-free latency histogram per route template, DNS queries to
//! counters each UDP worker thread owns (summed when scraped, so that two cores never fight
//! over one cache line per packet). What lives in the database — job runs, queue depths —
//! is read when scraped, so every instance reports the same platform-wide figures for them.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeMetric, MetricEncoder, NoLabelSet,
};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::Registry;

use crate::{App, AppError};

/// The `Content-Type` of [`render`]'s output.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Upper bounds (seconds) of the latency histograms' buckets; `+Inf` follows. From 100 µs (a
/// cached DNS answer) to 10 s (a request about to time out).
const LATENCY_BOUNDS: [f64; 15] = [
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    10.0,
];

/// A latency histogram of atomics: observing never takes a lock.
#[derive(Debug, Default)]
pub struct LatencyHistogram {
    /// Observations per bucket (not cumulative); the last one is `+Inf`.
    buckets: [AtomicU64; LATENCY_BOUNDS.len() + 1],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl LatencyHistogram {
    /// Counts one observation.
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let bucket = LATENCY_BOUNDS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BOUNDS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    fn add_to(&self, totals: &mut HistogramTotals) {
        for (total, bucket) in totals.buckets.iter_mut().zip(&self.buckets) {
            *total += bucket.load(Ordering::Relaxed);
        }
        totals.count += self.count.load(Ordering::Relaxed);
        totals.sum_nanos += self.sum_nanos.load(Ordering::Relaxed);
    }
}

/// A histogram's figures, possibly summed over several.
#[derive(Debug, Default)]
struct HistogramTotals {
    buckets: [u64; LATENCY_BOUNDS.len() + 1],
    count: u64,
    sum_nanos: u64,
}

impl HistogramTotals {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let buckets: Vec<(f64, u64)> = LATENCY_BOUNDS
            .iter()
            .copied()
            .chain([f64::INFINITY])
            .zip(self.buckets.iter().copied())
            .collect();
        // Nanoseconds to seconds: the sum is a float in the format anyway.
        #[allow(clippy::cast_precision_loss, reason = "a sum of seconds for rates")]
        let sum = self.sum_nanos as f64 / 1e9;
        encoder.encode_histogram::<NoLabelSet>(sum, self.count, &buckets, None)
    }
}

impl EncodeMetric for LatencyHistogram {
    fn encode(&self, encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let mut totals = HistogramTotals::default();
        self.add_to(&mut totals);
        totals.encode(encoder)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

impl TypedMetric for LatencyHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LimiterLabels {
    limiter: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LookupLabels {
    protocol: String,
    result: String,
}

/// DNS query types counted by name; everything else is `other`.
const QTYPES: [(u16, &str); 16] = [
    (1, "A"),
    (2, "NS"),
    (5, "CNAME"),
    (6, "SOA"),
    (12, "PTR"),
    (15, "MX"),
    (16, "TXT"),
    (28, "AAAA"),
    (33, "SRV"),
    (43, "DS"),
    (48, "DNSKEY"),
    (65, "HTTPS"),
    (251, "IXFR"),
    (252, "AXFR"),
    (255, "ANY"),
    (257, "CAA"),
];

/// Response codes counted by name (RFC 1035, 2136, 6895); 11–15 as `other`.
const RCODES: [&str; 12] = [
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
    "NXRRSET", "NOTAUTH", "NOTZONE", "other",
];

/// One DNS worker's counters (a UDP thread, or all TCP connections).
#[derive(Debug)]
pub struct DnsCounters {
    transport: &'static str,
    /// Off (`[metrics] enabled = false`): counting is skipped, to measure what it costs.
    enabled: bool,
    /// `[qtype index][rcode index]`; the last qtype row is `other`.
    queries: [[AtomicU64; RCODES.len()]; QTYPES.len() + 1],
    malformed: AtomicU64,
    latency: LatencyHistogram,
}

impl DnsCounters {
    fn new(transport: &'static str, enabled: bool) -> DnsCounters {
        DnsCounters {
            transport,
            enabled,
            queries: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            malformed: AtomicU64::new(0),
            latency: LatencyHistogram::default(),
        }
    }

    /// Counts an answered query of `qtype` with response code `rcode`.
    pub fn answered(&self, qtype: Option<u16>, rcode: u8, elapsed: Duration) {
        if !self.enabled {
            return;
        }
        let row = qtype
            .and_then(|t| QTYPES.iter().position(|(code, _)| *code == t))
            .unwrap_or(QTYPES.len());
        let column = usize::from(rcode).min(RCODES.len() - 1);
        self.queries[row][column].fetch_add(1, Ordering::Relaxed);
        self.latency.observe(elapsed);
    }

    /// Counts a packet that was not a query we could parse (dropped without an answer).
    pub fn malformed(&self) {
        self.malformed.fetch_add(1, Ordering::Relaxed);
    }
}

/// Every DNS worker's counters.
#[derive(Debug, Default)]
pub struct DnsMetrics {
    workers: Mutex<Vec<Arc<DnsCounters>>>,
    disabled: bool,
}

impl DnsMetrics {
    /// Counters for one more worker on `transport` (`udp` or `tcp`).
    pub fn worker(&self, transport: &'static str) -> Arc<DnsCounters> {
        let counters = Arc::new(DnsCounters::new(transport, !self.disabled));
        lock(&self.workers).push(Arc::clone(&counters));
        counters
    }

    /// Queries answered so far, all transports.
    pub fn answered_total(&self) -> u64 {
        lock(&self.workers).iter().map(|w| w.latency.count()).sum()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl prometheus_client::collector::Collector for DnsMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let workers = lock(&self.workers).clone();
        let mut transports: Vec<&'static str> = workers.iter().map(|w| w.transport).collect();
        transports.sort_unstable();
        transports.dedup();
        {
            let mut family = encoder.encode_descriptor(
                "yuming_dns_queries",
                "DNS queries answered, by transport, query type and response code",
                None,
                MetricType::Counter,
            )?;
            for transport in &transports {
                let mine: Vec<_> = workers
                    .iter()
                    .filter(|w| w.transport == *transport)
                    .collect();
                for (row, qtype) in QTYPES.iter().map(|(_, n)| *n).chain(["other"]).enumerate() {
                    for (column, rcode) in RCODES.iter().enumerate() {
                        let total: u64 = mine
                            .iter()
                            .map(|w| w.queries[row][column].load(Ordering::Relaxed))
                            .sum();
                        if total == 0 {
                            continue;
                        }
                        let labels = [
                            ("transport", *transport),
                            ("qtype", qtype),
                            ("rcode", *rcode),
                        ];
                        family
                            .encode_family(&labels)?
                            .encode_counter::<NoLabelSet, _, u64>(&total, None)?;
                    }
                }
            }
        }
        {
            let mut family = encoder.encode_descriptor(
                "yuming_dns_malformed",
                "DNS packets dropped as malformed, by transport",
                None,
                MetricType::Counter,
            )?;
            for transport in &transports {
                let total: u64 = workers
                    .iter()
                    .filter(|w| w.transport == *transport)
                    .map(|w| w.malformed.load(Ordering::Relaxed))
                    .sum();
                family
                    .encode_family(&[("transport", *transport)])?
                    .encode_counter::<NoLabelSet, _, u64>(&total, None)?;
            }
        }
        let mut family = encoder.encode_descriptor(
            "yuming_dns_query_duration_seconds",
            "Time from receiving a DNS query to having its answer, by transport",
            None,
            MetricType::Histogram,
        )?;
        for transport in &transports {
            let mut totals = HistogramTotals::default();
            for worker in workers.iter().filter(|w| w.transport == *transport) {
                worker.latency.add_to(&mut totals);
            }
            totals.encode(family.encode_family(&[("transport", *transport)])?)?;
        }
        Ok(())
    }
}

/// Platform-wide figures read from the database when scraped.
#[derive(Debug, Default, Clone)]
struct Scraped {
    jobs: Vec<yuming_store::JobStatusRow>,
    outbox: Vec<(String, i64)>,
    webhook_queue: i64,
    orders: Vec<(String, String, i64)>,
    payments: Vec<(String, String, i64)>,
    pool: (u32, u32, u32),
    now: i64,
}

#[derive(Debug, Default)]
struct ScrapedCollector(Mutex<Scraped>);

impl prometheus_client::collector::Collector for ScrapedCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let scraped = lock(&self.0).clone();
        {
            let mut family = encoder.encode_descriptor(
                "yuming_job_runs",
                "Scheduled job runs recorded (all instances)",
                None,
                MetricType::Counter,
            )?;
            for job in &scraped.jobs {
                let runs = u64::try_from(job.runs).unwrap_or(0);
                family
                    .encode_family(&[("task", job.name.as_str())])?
                    .encode_counter::<NoLabelSet, _, u64>(&runs, None)?;
            }
        }
        {
            let mut family = encoder.encode_descriptor(
                "yuming_job_failures",
                "Scheduled job runs that failed (all instances)",
                None,
                MetricType::Counter,
            )?;
            for job in &scraped.jobs {
                let failures = u64::try_from(job.failures).unwrap_or(0);
                family
                    .encode_family(&[("task", job.name.as_str())])?
                    .encode_counter::<NoLabelSet, _, u64>(&failures, None)?;
            }
        }
        {
            let mut family = encoder.encode_descriptor(
                "yuming_job_consecutive_failures",
                "Failures of a job since its last success",
                None,
                MetricType::Gauge,
            )?;
            for job in &scraped.jobs {
                family
                    .encode_family(&[("task", job.name.as_str())])?
                    .encode_gauge(&job.consecutive_failures)?;
            }
        }
        {
            let mut family = encoder.encode_descriptor(
                "yuming_job_lag_seconds",
                "Seconds since a job last finished successfully (since its first run if never)",
                None,
                MetricType::Gauge,
            )?;
            for job in &scraped.jobs {
                let since = job.last_ok_at.unwrap_or(job.last_started_at);
                family
                    .encode_family(&[("task", job.name.as_str())])?
                    .encode_gauge(&(scraped.now - since).max(0))?;
            }
        }
        if let Some(last_ok) = scraped
            .jobs
            .iter()
            .find(|job| job.name == "backup")
            .and_then(|job| job.last_ok_at)
        {
            let mut family = encoder.encode_descriptor(
                "yuming_backup_last_success_timestamp_seconds",
                "When the last scheduled backup was written and verified (unix seconds)",
                None,
                MetricType::Gauge,
            )?;
            family.encode_gauge(&last_ok)?;
        }
        {
            let mut family = encoder.encode_descriptor(
                "yuming_notice_queue_depth",
                "Notices (e-mail, SMS) waiting to be delivered, by channel",
                None,
                MetricType::Gauge,
            )?;
            for (channel, count) in &scraped.outbox {
                family
                    .encode_family(&[("channel", channel.as_str())])?
                    .encode_gauge(count)?;
            }
        }
        {
            let mut family = encoder.encode_descriptor(
                "yuming_webhook_queue_depth",
                "Webhook deliveries waiting to be sent or retried",
                None,
                MetricType::Gauge,
            )?;
            family.encode_gauge(&scraped.webhook_queue)?;
        }
        for (name, help, rows, first) in [
            (
                "yuming_orders",
                "Orders (registrations, renewals, transfers, top-ups, …) by kind and status",
                &scraped.orders,
                "kind",
            ),
            (
                "yuming_gateway_payments",
                "Gateway payments by method and status",
                &scraped.payments,
                "method",
            ),
        ] {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            for (label, status, count) in rows {
                let count = u64::try_from(*count).unwrap_or(0);
                family
                    .encode_family(&[(first, label.as_str()), ("status", status.as_str())])?
                    .encode_counter::<NoLabelSet, _, u64>(&count, None)?;
            }
        }
        let (open, idle, max) = scraped.pool;
        let mut family = encoder.encode_descriptor(
            "yuming_db_pool_connections",
            "Database pool connections of this instance: in use, idle, and the maximum",
            None,
            MetricType::Gauge,
        )?;
        for (state, value) in [
            ("in_use", open.saturating_sub(idle)),
            ("idle", idle),
            ("max", max),
        ] {
            family
                .encode_family(&[("state", state)])?
                .encode_gauge(&value)?;
        }
        Ok(())
    }
}

/// The metrics of one application instance.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_latency: Family<RouteLabels, LatencyHistogram>,
    rate_limited: Family<LimiterLabels, Counter>,
    lookups: Family<LookupLabels, Counter>,
    dns_zones: Gauge,
    dns: Arc<DnsMetrics>,
    dns_snapshot: AtomicU8,
    scraped: Arc<ScrapedCollector>,
    enabled: bool,
}

/// [`Metrics::dns_snapshot`] states.
const DNS_NOT_SERVED: u8 = 0;
const DNS_LOADING: u8 = 1;
const DNS_LOADED: u8 = 2;

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new(true)
    }
}

impl Metrics {
    /// Registers every metric. `enabled = false` (`[metrics] enabled`) skips counting
    /// requests and queries, only to measure what counting costs; `/metrics` still answers.
    pub fn new(enabled: bool) -> Metrics {
        let mut registry = Registry::default();
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "yuming_http_requests",
            "HTTP requests answered, by method, route template and status",
            http_requests.clone(),
        );
        let http_latency = Family::<RouteLabels, LatencyHistogram>::default();
        registry.register(
            "yuming_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            http_latency.clone(),
        );
        let rate_limited = Family::<LimiterLabels, Counter>::default();
        registry.register(
            "yuming_rate_limited",
            "Requests refused by a rate limit, by limiter",
            rate_limited.clone(),
        );
        let lookups = Family::<LookupLabels, Counter>::default();
        registry.register(
            "yuming_lookups",
            "WHOIS, RDAP and EPP requests, by protocol and result",
            lookups.clone(),
        );
        let dns_zones = Gauge::default();
        registry.register(
            "yuming_dns_zones",
            "Zones in the DNS snapshot this instance serves",
            dns_zones.clone(),
        );
        let dns = Arc::new(DnsMetrics {
            disabled: !enabled,
            ..DnsMetrics::default()
        });
        registry.register_collector(Box::new(Arc::clone(&dns)));
        let scraped = Arc::new(ScrapedCollector::default());
        registry.register_collector(Box::new(Arc::clone(&scraped)));
        Metrics {
            registry,
            http_requests,
            http_latency,
            rate_limited,
            lookups,
            dns_zones,
            dns,
            dns_snapshot: AtomicU8::new(DNS_NOT_SERVED),
            scraped,
            enabled,
        }
    }

    /// This instance serves DNS and is loading its first snapshot: not ready until it is.
    pub fn dns_snapshot_loading(&self) {
        self.dns_snapshot.store(DNS_LOADING, Ordering::Release);
    }

    /// The DNS snapshot is loaded with `zones` zones.
    pub fn dns_snapshot_loaded(&self, zones: usize) {
        self.set_dns_zones(zones);
        self.dns_snapshot.store(DNS_LOADED, Ordering::Release);
    }

    /// Whether DNS is ready: loaded, or not served by this instance at all.
    pub fn dns_snapshot_ready(&self) -> bool {
        self.dns_snapshot.load(Ordering::Acquire) != DNS_LOADING
    }

    /// Counts an answered HTTP request. `route` is the route template (`/api/v1/domains/{id}`),
    /// never the raw path, so that the number of series stays bounded.
    pub fn http_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        if !self.enabled {
            return;
        }
        self.http_requests
            .get_or_create(&HttpLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.http_latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(elapsed);
    }

    /// Counts a request a rate limit refused; `limiter` names the limit (`rdap`, `login`).
    pub fn rate_limited(&self, limiter: &str) {
        self.rate_limited
            .get_or_create(&LimiterLabels {
                limiter: limiter.to_owned(),
            })
            .inc();
    }

    /// Counts a WHOIS, RDAP or EPP request and how it ended (`found`, `not_found`, …).
    pub fn lookup(&self, protocol: &str, result: &str) {
        self.lookups
            .get_or_create(&LookupLabels {
                protocol: protocol.to_owned(),
                result: result.to_owned(),
            })
            .inc();
    }

    /// Sets how many zones the DNS snapshot holds.
    pub fn set_dns_zones(&self, zones: usize) {
        self.dns_zones.set(i64::try_from(zones).unwrap_or(i64::MAX));
    }

    /// The DNS workers' counters.
    pub fn dns(&self) -> &DnsMetrics {
        &self.dns
    }

    fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// The metrics text: this instance's counters plus the platform's queues and jobs read from
/// the database now: queues, jobs, and orders and payments by kind and status.
pub async fn render(app: &App) -> Result<String, AppError> {
    let mut tx = app.db().read().await?;
    let jobs = tx.job_statuses().await?;
    let outbox = tx.outbox_health().await?;
    let webhook_queue = tx.webhook_queue_depth().await?;
    let orders = tx.order_tallies().await?;
    let payments = tx.payment_tallies().await?;
    tx.commit().await?;
    let mut waiting: Vec<(String, i64)> = Vec::new();
    for row in outbox.iter().filter(|r| r.status == "pending") {
        waiting.push((row.channel.clone(), row.count));
    }
    let metrics = app.metrics();
    *lock(&metrics.scraped.0) = Scraped {
        jobs,
        outbox: waiting,
        webhook_queue,
        orders,
        payments,
        pool: app.db().pool_usage(),
        now: app.now().0,
    };
    metrics
        .encode()
        .map_err(|_| AppError::internal("encoding the metrics failed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_count_into_the_first_bucket_that_holds_the_value() {
        let histogram = LatencyHistogram::default();
        histogram.observe(Duration::from_micros(50));
        histogram.observe(Duration::from_millis(3));
        histogram.observe(Duration::from_secs(60));
        let mut totals = HistogramTotals::default();
        histogram.add_to(&mut totals);
        assert_eq!(totals.count, 3);
        assert_eq!(totals.buckets[0], 1, "≤ 100 µs");
        assert_eq!(totals.buckets[5], 1, "≤ 5 ms");
        assert_eq!(totals.buckets[LATENCY_BOUNDS.len()], 1, "+Inf");
        assert_eq!(totals.sum_nanos, 60_003_050_000);
    }

    #[test]
    fn the_text_names_series_by_template_and_sums_dns_workers() {
        let metrics = Metrics::new(true);
        metrics.http_request("GET", "/api/v1/domains/{id}", 200, Duration::from_millis(2));
        metrics.http_request("GET", "/api/v1/domains/{id}", 404, Duration::from_millis(1));
        metrics.rate_limited("rdap");
        let one = metrics.dns().worker("udp");
        let two = metrics.dns().worker("udp");
        one.answered(Some(1), 0, Duration::from_micros(20));
        two.answered(Some(1), 0, Duration::from_micros(30));
        two.answered(Some(99), 3, Duration::from_micros(30));
        two.malformed();
        let text = metrics.encode().unwrap();
        assert!(
            text.contains(
                "yuming_http_requests_total{method=\"GET\",route=\"/api/v1/domains/{id}\",status=\"404\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("yuming_rate_limited_total{limiter=\"rdap\"} 1"),
            "{text}"
        );
        assert!(
            text.contains(
                "yuming_dns_queries_total{transport=\"udp\",qtype=\"A\",rcode=\"NOERROR\"} 2"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "yuming_dns_queries_total{transport=\"udp\",qtype=\"other\",rcode=\"NXDOMAIN\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("yuming_dns_malformed_total{transport=\"udp\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("yuming_dns_query_duration_seconds_count{transport=\"udp\"} 3"),
            "{text}"
        );
        assert_eq!(metrics.dns().answered_total(), 3);
    }
}
