//! Signed webhooks: the notice channel that POSTs each notice to the tenant's endpoints.
//!
//! [`crate::notify::notices::enqueue`] writes one delivery per subscribed endpoint inside the caller's
//! transaction (unique per endpoint and occasion, so a notice reaches an endpoint once).
//! [`deliver_webhooks`] claims due deliveries under a lease, POSTs them outside any
//! transaction and records every attempt in the delivery log; failures back off like e-mail
//! and give up after [`crate::notify::kinds::MAX_ATTEMPTS`]. The body is signed as described in
//! [`yuming_core::webhook`] with the endpoint's secret, which is shown once and kept sealed.
//!
//! Endpoints may only point at globally reachable addresses ([`yuming_core::net::is_global`]:
//! not loopback, private, link-local, CGNAT, documentation, benchmarking, reserved, multicast,
//! nor an IPv6 form that reaches such an IPv4 address) unless the operator allows it
//! (`scheduler.allow_private_targets`); the check is repeated on the resolved address at every
//! delivery and the connection is pinned to that address, with no proxy from the environment
//! in between, so a name that later resolves inward is refused too.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde_json::{Map, Value, json};
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::net::is_global;
use yuming_store::{Tx, WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow};

use crate::notify::NotifyError;
use crate::notify::kinds::{MAX_ATTEMPTS, NoticeKind, backoff_secs};
use crate::platform::audit::{self, Change};
use crate::platform::crypto::{new_id, random_token};
use crate::platform::paging::PageCursor;
use crate::platform::paging::{Page, next_cursor};
use crate::{App, AppError, RequestContext};

/// Endpoints one tenant may have.
pub const MAX_ENDPOINTS: usize = 10;

/// Longest accepted endpoint URL.
const MAX_URL_LEN: usize = 2048;

/// Connect and whole-request limits of one delivery attempt.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What the tenant sets on an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EndpointInput {
    /// `https://…` (or `http://…`).
    pub url: String,
    /// Free text, up to 200 characters.
    pub description: String,
    /// Notice kinds to receive; empty = every kind.
    pub kinds: Vec<String>,
    /// Whether deliveries are made.
    pub enabled: bool,
}

/// An endpoint as shown (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointView {
    /// Id.
    pub id: String,
    /// Target.
    pub url: String,
    /// Free text.
    pub description: String,
    /// Subscribed kinds (empty = every kind).
    pub kinds: Vec<String>,
    /// Whether deliveries are made.
    pub enabled: bool,
    /// Created.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A new or rotated endpoint with its signing secret: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointWithSecret {
    /// The endpoint.
    pub endpoint: EndpointView,
    /// `whsec_…`: the HMAC key of `Yuming-Signature`.
    pub secret: String,
}

/// One attempt of the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptView {
    /// 1, 2, …
    pub attempt: i64,
    /// When.
    pub at: Timestamp,
    /// The HTTP status that came back.
    pub http_status: Option<i64>,
    /// What went wrong, when no 2xx came back.
    pub error: Option<String>,
}

/// One delivery with its attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryView {
    /// Id (the `Yuming-Webhook-Id` header and the payload's `id`).
    pub id: String,
    /// Notice kind.
    pub kind: String,
    /// The notice's occasion.
    pub occasion: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// Next attempt, while pending.
    pub next_attempt_at: Option<Timestamp>,
    /// Created.
    pub created_at: Timestamp,
    /// Delivered.
    pub delivered_at: Option<Timestamp>,
    /// The JSON body sent.
    pub payload: Value,
    /// Every attempt, oldest first.
    pub attempts: Vec<AttemptView>,
}

fn view(row: &WebhookEndpointRow) -> EndpointView {
    EndpointView {
        id: row.id.clone(),
        url: row.url.clone(),
        description: row.description.clone(),
        kinds: split_kinds(&row.kinds),
        enabled: row.enabled,
        created_at: Timestamp(row.created_at),
        updated_at: Timestamp(row.updated_at),
    }
}

fn split_kinds(kinds: &str) -> Vec<String> {
    kinds
        .split(',')
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect()
}

fn secret_context(endpoint_id: &str) -> String {
    format!("webhook.secret:{endpoint_id}")
}

fn new_secret() -> String {
    format!("whsec_{}", random_token::<32>())
}

/// Checks and normalises an endpoint input; the URL rules live here only.
fn checked(input: &EndpointInput, allow_private: bool) -> Result<(String, String), AppError> {
    let raw = input.url.trim();
    if raw.is_empty() || raw.len() > MAX_URL_LEN {
        return Err(NotifyError::UrlLength.into());
    }
    let url = reqwest::Url::parse(raw).map_err(|_| AppError::from(NotifyError::UrlNotAbsolute))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none_or(str::is_empty) {
        return Err(NotifyError::UrlSchemeOrHost.into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(NotifyError::UrlCredentials.into());
    }
    if !allow_private
        && let Some(ip) = literal_ip(&url)
        && !is_global(ip)
    {
        return Err(NotifyError::UrlPrivate.into());
    }
    if input.description.chars().count() > 200 {
        return Err(NotifyError::DescriptionTooLong.into());
    }
    let mut kinds = Vec::new();
    for (i, kind) in input.kinds.iter().enumerate() {
        let parsed = NoticeKind::parse(kind.trim())
            .ok_or_else(|| AppError::from(NotifyError::UnknownKind { index: i }))?;
        if !kinds.contains(&parsed.as_str()) {
            kinds.push(parsed.as_str());
        }
    }
    kinds.sort_unstable();
    Ok((url.to_string(), kinds.join(",")))
}

fn literal_ip(url: &reqwest::Url) -> Option<IpAddr> {
    url.host_str()?.trim_matches(['[', ']']).parse().ok()
}

/// The client of one outbound request: no redirects (a redirect could lead anywhere), pinned
/// to the checked `address`, and blind to `HTTP(S)_PROXY`/`ALL_PROXY` in the environment: a
/// proxy would make the connection to an address of its choosing, not to the checked one.
pub(crate) fn pinned_client(
    host: &str,
    address: SocketAddr,
    connect_timeout: Duration,
    timeout: Duration,
) -> reqwest::Result<reqwest::Client> {
    crate::platform::http::client_builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .resolve(host, address)
        .build()
}

async fn owned_endpoint(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
) -> Result<WebhookEndpointRow, AppError> {
    let row = tx
        .webhook_endpoint(id)
        .await?
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&row.account_id, Right::WebhooksManage)?;
    Ok(row)
}

async fn record(
    app: &App,
    tx: &mut Tx,
    ctx: &RequestContext,
    actor: &Actor,
    action: &'static str,
    row: &WebhookEndpointRow,
    before: Value,
) -> Result<(), AppError> {
    // Never the secret: only what the endpoint looks like.
    let after = if action == "webhook.delete" {
        Value::Null
    } else {
        json!({ "url": row.url, "kinds": row.kinds, "enabled": row.enabled })
    };
    audit::record(
        app,
        tx,
        ctx,
        &actor.account_id,
        Change {
            action,
            object_type: "webhook_endpoint",
            object_id: &row.id,
            tenant: &row.account_id,
            before,
            after,
        },
    )
    .await
}

/// Adds an endpoint for the actor's tenant and returns it with its secret (shown once).
pub async fn create(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: &EndpointInput,
) -> Result<EndpointWithSecret, AppError> {
    actor.authorize(&actor.tenant_id, Right::WebhooksManage)?;
    let (url, kinds) = checked(input, app.settings().private_targets)?;
    let now = app.now().0;
    let id = new_id("whk");
    let secret = new_secret();
    let row = WebhookEndpointRow {
        id: id.clone(),
        account_id: actor.tenant_id.clone(),
        url,
        description: input.description.trim().to_owned(),
        kinds,
        enabled: input.enabled,
        secret_sealed: app.cipher().seal(secret.as_bytes(), &secret_context(&id)),
        created_at: now,
        updated_at: now,
    };
    let mut tx = app.db().write().await?;
    if tx.webhook_endpoints_of(&actor.tenant_id).await?.len() >= MAX_ENDPOINTS {
        return Err(NotifyError::TooManyEndpoints { max: MAX_ENDPOINTS }.into());
    }
    tx.insert_webhook_endpoint(&row).await?;
    record(
        app,
        &mut tx,
        ctx,
        actor,
        "webhook.create",
        &row,
        Value::Null,
    )
    .await?;
    tx.commit().await?;
    Ok(EndpointWithSecret {
        endpoint: view(&row),
        secret,
    })
}

/// The tenant's endpoints.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<EndpointView>, AppError> {
    actor.authorize(&actor.tenant_id, Right::WebhooksManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.webhook_endpoints_of(&actor.tenant_id).await?;
    tx.commit().await?;
    Ok(rows.iter().map(view).collect())
}

/// One endpoint.
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<EndpointView, AppError> {
    let mut tx = app.db().read().await?;
    let row = owned_endpoint(&mut tx, actor, id).await?;
    tx.commit().await?;
    Ok(view(&row))
}

/// Replaces an endpoint's settings (its secret stays).
pub async fn update(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    input: &EndpointInput,
) -> Result<EndpointView, AppError> {
    let mut tx = app.db().write().await?;
    // Whose it is comes first: another tenant's id is not found, whatever the body says.
    let mut row = owned_endpoint(&mut tx, actor, id).await?;
    let (url, kinds) = checked(input, app.settings().private_targets)?;
    let before = json!({ "url": row.url, "kinds": row.kinds, "enabled": row.enabled });
    row.url = url;
    row.kinds = kinds;
    row.description = input.description.trim().to_owned();
    row.enabled = input.enabled;
    row.updated_at = app.now().0;
    tx.update_webhook_endpoint(&row).await?;
    record(app, &mut tx, ctx, actor, "webhook.update", &row, before).await?;
    tx.commit().await?;
    Ok(view(&row))
}

/// Replaces an endpoint's secret; the new one is shown once and signs every later attempt.
pub async fn rotate_secret(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<EndpointWithSecret, AppError> {
    let secret = new_secret();
    let mut tx = app.db().write().await?;
    let mut row = owned_endpoint(&mut tx, actor, id).await?;
    row.secret_sealed = app
        .cipher()
        .seal(secret.as_bytes(), &secret_context(&row.id));
    row.updated_at = app.now().0;
    tx.update_webhook_endpoint(&row).await?;
    record(
        app,
        &mut tx,
        ctx,
        actor,
        "webhook.rotate_secret",
        &row,
        Value::Null,
    )
    .await?;
    tx.commit().await?;
    Ok(EndpointWithSecret {
        endpoint: view(&row),
        secret,
    })
}

/// Removes an endpoint with its delivery log.
pub async fn delete(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<(), AppError> {
    let mut tx = app.db().write().await?;
    let row = owned_endpoint(&mut tx, actor, id).await?;
    let before = json!({ "url": row.url, "kinds": row.kinds, "enabled": row.enabled });
    tx.delete_webhook_endpoint(&row.id).await?;
    record(app, &mut tx, ctx, actor, "webhook.delete", &row, before).await?;
    tx.commit().await?;
    Ok(())
}

/// An endpoint's deliveries with their attempts, newest first.
pub async fn deliveries(
    app: &App,
    actor: &Actor,
    id: &str,
    from: &PageCursor,
    limit: i64,
) -> Result<Page<DeliveryView>, AppError> {
    let mut tx = app.db().read().await?;
    let endpoint = owned_endpoint(&mut tx, actor, id).await?;
    let rows = tx
        .webhook_deliveries_of(&endpoint.id, from.at, &from.id, limit)
        .await?;
    let next = next_cursor(&rows, limit, |r| (r.created_at, r.id.as_str()));
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let attempts = tx.webhook_attempts_of(&row.id).await?;
        items.push(delivery_view(row, attempts));
    }
    tx.commit().await?;
    Ok(Page { items, next })
}

fn delivery_view(row: WebhookDeliveryRow, attempts: Vec<WebhookAttemptRow>) -> DeliveryView {
    DeliveryView {
        payload: serde_json::from_str(&row.payload).unwrap_or(Value::Null),
        next_attempt_at: (row.status == "pending").then_some(Timestamp(row.next_attempt_at)),
        id: row.id,
        kind: row.kind,
        occasion: row.occasion,
        status: row.status,
        created_at: Timestamp(row.created_at),
        delivered_at: row.delivered_at.map(Timestamp),
        attempts: attempts
            .into_iter()
            .map(|a| AttemptView {
                attempt: a.attempt,
                at: Timestamp(a.at),
                http_status: a.http_status,
                error: a.error,
            })
            .collect(),
    }
}

/// Makes a delivery due again now (after fixing the receiver); the same body and id are sent,
/// signed with the current secret.
pub async fn redeliver(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    endpoint_id: &str,
    delivery_id: &str,
) -> Result<DeliveryView, AppError> {
    let mut tx = app.db().write().await?;
    let endpoint = owned_endpoint(&mut tx, actor, endpoint_id).await?;
    let delivery = tx
        .webhook_delivery(delivery_id)
        .await?
        .filter(|d| d.endpoint_id == endpoint.id)
        .ok_or_else(AppError::not_found)?;
    tx.redeliver_webhook(&delivery.id, app.now().0).await?;
    record(
        app,
        &mut tx,
        ctx,
        actor,
        "webhook.redeliver",
        &endpoint,
        json!({ "delivery": delivery.id, "status": delivery.status }),
    )
    .await?;
    let row = tx
        .webhook_delivery(&delivery.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let attempts = tx.webhook_attempts_of(&row.id).await?;
    tx.commit().await?;
    Ok(delivery_view(row, attempts))
}

/// Queues a `ping` delivery to one endpoint (whatever kinds it subscribes to), sent by the
/// next job run like any other: how a receiver is tried out.
pub async fn ping(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    endpoint_id: &str,
) -> Result<DeliveryView, AppError> {
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    let endpoint = owned_endpoint(&mut tx, actor, endpoint_id).await?;
    if !endpoint.enabled {
        return Err(NotifyError::EndpointDisabled.into());
    }
    let id = new_id("whd");
    let occasion = format!("ping:{id}");
    let row = WebhookDeliveryRow {
        payload: json!({
            "id": id,
            "kind": "ping",
            "occasion": occasion,
            "account_id": endpoint.account_id,
            "created_at": Timestamp(now).to_rfc3339(),
            "subject": "ping",
            "body": "A test delivery from Yuming.",
            "data": {},
        })
        .to_string(),
        id,
        endpoint_id: endpoint.id.clone(),
        account_id: endpoint.account_id.clone(),
        kind: "ping".into(),
        occasion,
        status: "pending".into(),
        attempts: 0,
        next_attempt_at: now,
        lease_until: 0,
        last_status: None,
        last_error: None,
        created_at: now,
        delivered_at: None,
    };
    tx.insert_webhook_delivery(&row).await?;
    record(
        app,
        &mut tx,
        ctx,
        actor,
        "webhook.ping",
        &endpoint,
        Value::Null,
    )
    .await?;
    tx.commit().await?;
    Ok(delivery_view(row, Vec::new()))
}

/// Writes a delivery of a notice to every enabled endpoint of the account subscribed to its
/// kind, in the caller's transaction (called by [`crate::notify::notices::enqueue`]). Returns how
/// many were new.
pub(crate) async fn enqueue(
    tx: &mut Tx,
    account_id: &str,
    kind: &NoticeKind,
    occasion: &str,
    message: (&str, &str),
    params: &Map<String, Value>,
    now: i64,
) -> Result<usize, AppError> {
    let mut inserted = 0;
    for endpoint in tx.webhook_endpoints_of(account_id).await? {
        let kinds = split_kinds(&endpoint.kinds);
        if !endpoint.enabled || !(kinds.is_empty() || kinds.iter().any(|k| k == kind.as_str())) {
            continue;
        }
        let id = new_id("whd");
        let payload = json!({
            "id": id,
            "kind": kind.as_str(),
            "occasion": occasion,
            "account_id": account_id,
            "created_at": Timestamp(now).to_rfc3339(),
            "subject": message.0,
            "body": message.1,
            "data": params,
        });
        let row = WebhookDeliveryRow {
            id,
            endpoint_id: endpoint.id.clone(),
            account_id: account_id.to_owned(),
            kind: kind.as_str().to_owned(),
            occasion: occasion.to_owned(),
            payload: payload.to_string(),
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: now,
            lease_until: 0,
            last_status: None,
            last_error: None,
            created_at: now,
            delivered_at: None,
        };
        if tx.insert_webhook_delivery(&row).await? {
            inserted += 1;
        }
    }
    Ok(inserted)
}

/// Sends up to `limit` due deliveries: claims them under a lease in one short transaction,
/// POSTs each outside any transaction, records the attempt. A worker that dies mid-send
/// leaves its rows to be claimed again when the lease ends. Returns (delivered, failed
/// attempts).
pub async fn deliver_webhooks(app: &App, limit: i64) -> Result<(usize, usize), AppError> {
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    let claimed = tx.claim_webhook_deliveries(now, now + 300, limit).await?;
    tx.commit().await?;
    let (mut sent, mut failed) = (0, 0);
    for mut delivery in claimed {
        let mut tx = app.db().read().await?;
        let endpoint = tx.webhook_endpoint(&delivery.endpoint_id).await?;
        tx.commit().await?;
        let outcome = match &endpoint {
            Some(endpoint) if endpoint.enabled => post(app, endpoint, &delivery).await,
            Some(_) => Err((None, "endpoint disabled".to_owned())),
            None => Err((None, "endpoint deleted".to_owned())),
        };
        let now = app.now().0;
        delivery.attempts += 1;
        let attempt = WebhookAttemptRow {
            delivery_id: delivery.id.clone(),
            attempt: delivery.attempts,
            at: now,
            http_status: match &outcome {
                Ok(status) => Some(*status),
                Err((status, _)) => *status,
            },
            error: outcome.as_ref().err().map(|(_, e)| e.clone()),
        };
        delivery.last_status = attempt.http_status;
        delivery.last_error = attempt.error.clone();
        if outcome.is_ok() {
            delivery.status = "sent".into();
            delivery.delivered_at = Some(now);
            sent += 1;
        } else {
            let disabled = endpoint.as_ref().is_none_or(|e| !e.enabled);
            delivery.status = if disabled || delivery.attempts >= MAX_ATTEMPTS {
                "failed".into()
            } else {
                "pending".into()
            };
            delivery.next_attempt_at = now + backoff_secs(delivery.attempts - 1);
            failed += 1;
            tracing::warn!(delivery = %delivery.id, error = ?attempt.error, "webhook delivery failed");
        }
        let mut tx = app.db().write().await?;
        tx.finish_webhook_attempt(&delivery, &attempt).await?;
        tx.commit().await?;
    }
    Ok((sent, failed))
}

/// One POST: the HTTP status on 2xx, else the status (if any) and what went wrong.
async fn post(
    app: &App,
    endpoint: &WebhookEndpointRow,
    delivery: &WebhookDeliveryRow,
) -> Result<i64, (Option<i64>, String)> {
    let secret = app
        .cipher()
        .open(&endpoint.secret_sealed, &secret_context(&endpoint.id))
        .map_err(|_| (None, "the endpoint's secret cannot be opened".to_owned()))?;
    let secret = String::from_utf8(secret).map_err(|_| (None, "secret unreadable".to_owned()))?;
    let url = reqwest::Url::parse(&endpoint.url).map_err(|e| (None, format!("url: {e}")))?;
    let host = url.host_str().unwrap_or_default().to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let address = resolve(&host, port, app.settings().private_targets).await?;
    let client = pinned_client(&host, address, CONNECT_TIMEOUT, REQUEST_TIMEOUT)
        .map_err(|e| (None, format!("client: {e}")))?;
    let timestamp = app.now().0;
    let body = delivery.payload.clone().into_bytes();
    let signature = yuming_core::webhook::sign(&secret, timestamp, &body);
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("user-agent", "Yuming-Webhooks/1")
        .header("yuming-webhook-id", &delivery.id)
        .header("yuming-event", &delivery.kind)
        .header("yuming-timestamp", timestamp.to_string())
        .header("yuming-signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| (None, describe(&e)))?;
    // The response body is not read: only the status matters.
    let status = i64::from(response.status().as_u16());
    if response.status().is_success() {
        Ok(status)
    } else {
        Err((Some(status), format!("HTTP {status}")))
    }
}

/// The address to connect to: the first the name resolves to, refused when it is not public
/// (unless private targets are allowed). Shared by every outbound HTTP request.
pub(crate) async fn resolve(
    host: &str,
    port: u16,
    allow_private: bool,
) -> Result<SocketAddr, (Option<i64>, String)> {
    let mut addresses = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| (None, format!("dns: {e}")))?;
    let address = addresses
        .next()
        .ok_or_else(|| (None, "dns: no address".to_owned()))?;
    if !allow_private && !is_global(address.ip()) {
        return Err((
            None,
            format!("refused: {} is not a public address", address.ip()),
        ));
    }
    Ok(address)
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timeout".into()
    } else if error.is_connect() {
        "connection failed".into()
    } else {
        "request failed".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Addresses the platform must not reach: those the security review saw accepted and
    /// delivered to (192.0.0.0/24, 198.18.0.0/15, 240.0.0.0/4, fec0::/10, IPv4-compatible,
    /// NAT64 and 6to4 forms of inward addresses), and one of every other blocked range. Only
    /// checked, never connected to.
    const SPECIAL_PURPOSE: &[&str] = &[
        "192.0.0.8",
        "198.18.0.1",
        "198.19.255.255",
        "240.0.0.1",
        "fec0::1",
        "::127.0.0.1",
        "::8.8.8.8",
        "64:ff9b::7f00:1",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::1",
        "2002:808:808::1",
        "0.1.2.3",
        "10.1.2.3",
        "100.64.0.1",
        "127.0.0.1",
        "169.254.169.254",
        "172.16.0.1",
        "192.0.2.1",
        "192.168.1.1",
        "198.51.100.1",
        "203.0.113.9",
        "224.0.0.1",
        "255.255.255.255",
        "::",
        "::1",
        "::ffff:127.0.0.1",
        "::ffff:8.8.8.8",
        "64:ff9b:1::1",
        "100::1",
        "2001::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "2001:db8::1",
        "3fff::1",
        "5f00::1",
        "fc00::1",
        "fd00::1",
        "fe80::1",
        "ff02::1",
    ];

    fn url_of(ip: &str) -> String {
        if ip.contains(':') {
            format!("https://[{ip}]:8443/hook")
        } else {
            format!("https://{ip}:8443/hook")
        }
    }

    #[test]
    fn urls_naming_special_purpose_addresses_are_refused() {
        for ip in SPECIAL_PURPOSE {
            let input = EndpointInput {
                url: url_of(ip),
                ..EndpointInput::default()
            };
            let refused = checked(&input, false).expect_err(ip);
            assert_eq!(
                (refused.code, refused.field.as_deref()),
                ("WEBHOOK_URL_PRIVATE", Some("url")),
                "{ip}"
            );
            assert!(
                checked(&input, true).is_ok(),
                "allowed when the operator says so: {ip}"
            );
        }
        for ip in ["8.8.8.8", "2606:4700:4700::1111", "64:ff9b::808:808"] {
            let input = EndpointInput {
                url: url_of(ip),
                ..EndpointInput::default()
            };
            assert!(checked(&input, false).is_ok(), "{ip}");
        }
    }

    #[tokio::test]
    async fn resolved_special_purpose_addresses_are_refused_before_connecting() {
        // `resolve` parses an address literal without asking DNS, and the refusal comes
        // before any client exists: nothing here opens a connection.
        for ip in SPECIAL_PURPOSE {
            let (status, why) = resolve(ip, 8443, false).await.expect_err(ip);
            assert_eq!(status, None);
            assert!(why.contains("is not a public address"), "{ip}: {why}");
        }
        let public = resolve("8.8.8.8", 8443, false).await.expect("public");
        assert_eq!(public, SocketAddr::from(([8, 8, 8, 8], 8443)));
    }

    #[test]
    fn urls_are_checked() {
        let input = |url: &str| EndpointInput {
            url: url.into(),
            ..EndpointInput::default()
        };
        let code = |url: &str, private: bool| checked(&input(url), private).err().map(|e| e.code);
        assert_eq!(code("https://hooks.example.com/yuming", false), None);
        assert_eq!(
            code("ftp://example.com/", false),
            Some("INVALID_WEBHOOK_URL")
        );
        assert_eq!(code("not a url", false), Some("INVALID_WEBHOOK_URL"));
        assert_eq!(
            code("https://user:pw@example.com/", false),
            Some("INVALID_WEBHOOK_URL")
        );
        assert_eq!(
            code("http://127.0.0.1:8080/", false),
            Some("WEBHOOK_URL_PRIVATE")
        );
        assert_eq!(code("http://[::1]/", false), Some("WEBHOOK_URL_PRIVATE"));
        assert_eq!(code("http://127.0.0.1:8080/", true), None);
        let kinds = EndpointInput {
            url: "https://example.com/".into(),
            kinds: vec!["low_balance".into(), "nope".into()],
            ..EndpointInput::default()
        };
        let error = checked(&kinds, false).expect_err("unknown kind");
        assert_eq!(
            (error.code, error.field.as_deref()),
            ("UNKNOWN_NOTICE_KIND", Some("kinds[1]"))
        );
    }
}
