//! Durable fixed-window rate limits shared by every instance.

use crate::platform::error::PlatformError;
use crate::{App, AppError};

/// Counts one hit on `bucket` and refuses it when the window already holds `limit` hits.
pub async fn hit(app: &App, bucket: &str, limit: i64, window_secs: i64) -> Result<(), AppError> {
    match count(app, bucket, limit, window_secs).await? {
        None => Ok(()),
        Some(retry_after) => Err(AppError::from(PlatformError::RateLimited { retry_after })
            .with_retry_after(retry_after)),
    }
}

/// Counts one hit on `bucket`; whether it is within `limit` for the window. For limits the
/// caller must not reveal (a mail that is quietly not sent).
pub async fn allow(
    app: &App,
    bucket: &str,
    limit: i64,
    window_secs: i64,
) -> Result<bool, AppError> {
    Ok(count(app, bucket, limit, window_secs).await?.is_none())
}

/// Counts the hit; `Some(seconds until the window ends)` when it is over the limit.
async fn count(
    app: &App,
    bucket: &str,
    limit: i64,
    window_secs: i64,
) -> Result<Option<i64>, AppError> {
    let now = app.now().0;
    let window_start = now - now.rem_euclid(window_secs);
    let mut tx = app.db().write().await?;
    let hits = tx.hit_rate_counter(bucket, window_start).await?;
    tx.commit().await?;
    if hits > limit {
        let limiter = bucket.split(':').next().unwrap_or(bucket);
        app.metrics().rate_limited(limiter);
    }
    Ok((hits > limit).then_some(window_start + window_secs - now))
}
