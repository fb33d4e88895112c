//! Idempotency keys for mutating requests: the same key and body replays the first
//! response; the same key with another body is refused.

use yuming_store::IdempotencyClaim;

use crate::{App, AppError, ErrorKind};

/// How long an unfinished claim blocks retries before it is considered abandoned.
const STALE_AFTER_SECS: i64 = 120;

/// Checks the key's form: 1–128 visible ASCII characters.
pub fn check_key(key: &str) -> Result<(), AppError> {
    if key.is_empty() || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::bad_request(
            "INVALID_IDEMPOTENCY_KEY",
            "Idempotency-Key must be 1 to 128 visible ASCII characters",
            "Idempotency-Key 须为 1 到 128 个可见 ASCII 字符",
        )
        .with_field("Idempotency-Key"));
    }
    Ok(())
}

/// Claims `key` for `scope`; errors for a key in use or reused with another request.
pub async fn claim(
    app: &App,
    scope: &str,
    key: &str,
    request_hash: &str,
) -> Result<Option<(u16, Vec<u8>)>, AppError> {
    check_key(key)?;
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
            Ok(Some((status, body)))
        }
        IdempotencyClaim::InProgress => Err(AppError::new(
            ErrorKind::Conflict,
            "IDEMPOTENCY_KEY_IN_PROGRESS",
            "a request with this Idempotency-Key is still being processed",
            "使用该 Idempotency-Key 的请求仍在处理中",
        )
        .with_field("Idempotency-Key")
        .with_retry_after(1)),
        IdempotencyClaim::Mismatch => Err(AppError::new(
            ErrorKind::Unprocessable,
            "IDEMPOTENCY_KEY_REUSED",
            "this Idempotency-Key was used with a different request",
            "该 Idempotency-Key 已用于另一个不同的请求",
        )
        .with_field("Idempotency-Key")),
    }
}

fn response_context(scope: &str, key: &str) -> String {
    format!("idempotency.response:{scope}:{key}")
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

/// Releases a claim whose request failed on the server side, so the client can retry.
pub async fn release(app: &App, scope: &str, key: &str) -> Result<(), AppError> {
    let mut tx = app.db().write().await?;
    tx.release_idempotency_key(scope, key).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes expired sessions, nonces, idempotency keys and rate windows.
pub async fn purge_ephemeral(app: &App) -> Result<u64, AppError> {
    let mut tx = app.db().write().await?;
    let n = tx.purge_ephemeral(app.now().0, 3_600, 7 * 86_400).await?;
    tx.commit().await?;
    Ok(n)
}
