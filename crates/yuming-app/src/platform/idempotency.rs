//! Idempotency keys for mutating requests: the same key and body replays the first
//! response; the same key with another body is refused.

use yuming_store::{IdempotencyClaim, Tx};

use crate::platform::error::PlatformError;
use crate::{App, AppError, RequestContext};

/// How long an unfinished claim blocks retries before it is considered abandoned.
const STALE_AFTER_SECS: i64 = 120;

/// Checks the key's form: 1–128 visible ASCII characters. A key that is not ASCII at all
/// (which an HTTP header can carry as raw bytes) is refused the same way, never ignored.
pub fn check_key(key: &[u8]) -> Result<&str, AppError> {
    match std::str::from_utf8(key) {
        Ok(key)
            if !key.is_empty() && key.len() <= 128 && key.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            Ok(key)
        }
        _ => Err(PlatformError::InvalidIdempotencyKey.into()),
    }
}

/// What to answer instead of running a request whose key was seen before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// The first request finished: its response, as stored.
    Response {
        /// HTTP status.
        status: u16,
        /// Body.
        body: Vec<u8>,
    },
    /// The first request's effect committed but its response was lost (the process died in
    /// between): what it changed, so the client knows not to try again.
    Committed {
        /// Our request id of the first request (it names the audit entries it wrote).
        request_id: String,
        /// When its effect committed.
        committed_at: i64,
        /// What it changed: action, object type and object id (JSON).
        effect: serde_json::Value,
    },
}

/// Claims `key` for `scope`: `None` to run the request, a [`Replay`] for a key seen before;
/// errors for a key in use or reused with another request.
pub async fn claim(
    app: &App,
    scope: &str,
    key: &str,
    request_hash: &str,
) -> Result<Option<Replay>, AppError> {
    check_key(key.as_bytes())?;
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    let claim = tx
        .claim_idempotency_key(scope, key, request_hash, now, now - STALE_AFTER_SECS)
        .await?;
    tx.commit().await?;
    match claim {
        IdempotencyClaim::New => Ok(None),
        IdempotencyClaim::Done { status, body } => {
            let body = app
                .cipher()
                .open(&body, &response_context(scope, key))
                .map_err(|e| AppError::internal(format!("stored idempotent response: {e}")))?;
            Ok(Some(Replay::Response { status, body }))
        }
        IdempotencyClaim::Committed {
            request_id,
            at,
            summary,
        } => Ok(Some(committed(request_id, at, &summary))),
        IdempotencyClaim::InProgress => {
            Err(AppError::from(PlatformError::IdempotencyKeyInProgress).with_retry_after(1))
        }
        IdempotencyClaim::Mismatch => Err(PlatformError::IdempotencyKeyReused.into()),
    }
}

fn response_context(scope: &str, key: &str) -> String {
    format!("idempotency.response:{scope}:{key}")
}

/// Marks the request's key, if it runs under one, as having committed an effect: called by
/// [`crate::platform::audit::record`] inside the use case's own transaction, so the mark commits if
/// and only if the effect does.
pub(crate) async fn mark_effect(
    app: &App,
    tx: &mut Tx,
    ctx: &RequestContext,
    action: &str,
    object_type: &str,
    object_id: &str,
) -> Result<(), AppError> {
    let Some(mark) = &ctx.idempotency else {
        return Ok(());
    };
    let summary = serde_json::json!({
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
    })
    .to_string();
    tx.mark_idempotency_effect(
        &mark.scope,
        &mark.key,
        &ctx.request_id,
        app.now().0,
        &summary,
    )
    .await?;
    Ok(())
}

/// Stores the response of a claimed key.
pub async fn complete(
    app: &App,
    scope: &str,
    key: &str,
    status: u16,
    body: &[u8],
) -> Result<(), AppError> {
    // Responses can carry secrets shown once (a new API key) and personal data: stored
    // encrypted, bound to their scope and key.
    let sealed = app.cipher().seal(body, &response_context(scope, key));
    let mut tx = app.db().write().await?;
    tx.complete_idempotency_key(scope, key, status, &sealed)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Settles a claim whose request ended in a server error or panicked. Without a committed
/// effect the key is forgotten, so that the client may retry. With one (the effect committed,
/// then something failed), the key must never run again: the effect is stored as the key's
/// answer and returned, so every retry replays [`Replay::Committed`].
pub async fn release(app: &App, scope: &str, key: &str) -> Result<Option<Replay>, AppError> {
    let mut tx = app.db().write().await?;
    let released = tx.release_idempotency_key(scope, key).await?;
    let effect = if released {
        None
    } else {
        tx.idempotency_effect(scope, key).await?
    };
    tx.commit().await?;
    Ok(effect.map(|(request_id, at, summary)| committed(request_id, at, &summary)))
}

fn committed(request_id: String, committed_at: i64, summary: &str) -> Replay {
    Replay::Committed {
        request_id,
        committed_at,
        effect: serde_json::from_str(summary).unwrap_or(serde_json::Value::Null),
    }
}

/// Deletes expired sessions, nonces, idempotency keys and rate windows.
pub async fn purge_ephemeral(app: &App) -> Result<u64, AppError> {
    let mut tx = app.db().write().await?;
    let n = tx.purge_ephemeral(app.now().0, 3_600, 7 * 86_400).await?;
    tx.commit().await?;
    Ok(n)
}
