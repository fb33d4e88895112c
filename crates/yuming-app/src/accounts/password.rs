//! Argon2id password hashing, run off the async executor with bounded concurrency.
//!
//! Every hash takes `memory_kib` of working memory. Left unbounded, a flood of sign-ups or
//! logins ran one hash per blocking thread (up to 512) and took the process to gigabytes of
//! RSS. Here at most `concurrency` hashes run at once, each in a memory block taken from a
//! pool that never holds more than `concurrency` blocks; a request that cannot get a turn
//! within `queue_wait` is refused with 429 `SERVER_BUSY` and `Retry-After`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

use crate::accounts::AccountsError;
use crate::platform::crypto::random_bytes;
use crate::platform::error::AppError;

/// How hashing is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingLimits {
    /// Hashes computed at once; 0 means one per CPU core.
    pub concurrency: usize,
    /// How long a request waits for a turn before it is refused.
    pub queue_wait: Duration,
}

impl Default for HashingLimits {
    fn default() -> Self {
        HashingLimits {
            concurrency: 0,
            queue_wait: Duration::from_secs(2),
        }
    }
}

/// Hashes and verifies passwords with fixed Argon2id parameters.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    /// The cost, or why the configured cost is not valid (reported at each use, as an
    /// internal error, so that a bad setting cannot take down start-up of read-only work).
    params: Result<Params, String>,
    turns: Arc<Semaphore>,
    queue_wait: Duration,
    /// Working memory of finished hashes, reused by the next (at most one per turn).
    pool: Arc<Mutex<Vec<Vec<Block>>>>,
}

const SALT_LEN: usize = 16;

impl PasswordHasher {
    /// A hasher with the given cost (OWASP: 19 MiB, 2 iterations) and limits.
    pub fn new(memory_kib: u32, iterations: u32, limits: HashingLimits) -> Self {
        let params = Params::new(memory_kib, iterations, 1, None)
            .map_err(|e| format!("argon2 parameters: {e}"));
        let concurrency = match limits.concurrency {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        };
        PasswordHasher {
            params,
            turns: Arc::new(Semaphore::new(concurrency)),
            queue_wait: limits.queue_wait,
            pool: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The PHC string of `password` with a fresh random salt.
    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let params = self.params.clone().map_err(AppError::internal)?;
        let password = password.to_owned();
        self.run(params.block_count(), move |memory| {
            let salt = random_bytes::<SALT_LEN>();
            let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
                .hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, memory)
                .map_err(|e| AppError::internal(format!("argon2 hash: {e}")))?;
            let phc = PasswordHash {
                algorithm: Algorithm::Argon2id.ident(),
                version: Some(Version::V0x13.into()),
                params: ParamsString::try_from(&params)
                    .map_err(|e| AppError::internal(format!("argon2 parameters: {e}")))?,
                salt: Some(Salt::new(&salt).map_err(|e| AppError::internal(format!("salt: {e}")))?),
                hash: Some(
                    Output::new(&out).map_err(|e| AppError::internal(format!("output: {e}")))?,
                ),
            };
            Ok(phc.to_string())
        })
        .await
    }

    /// Whether `password` matches the PHC string (using the parameters stored in it). A
    /// string that does not parse matches nothing.
    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool, AppError> {
        let Some(stored) = StoredHash::parse(phc) else {
            return Ok(false);
        };
        let password = password.to_owned();
        self.run(stored.params.block_count(), move |memory| {
            let mut out = vec![0u8; stored.expected.len()];
            let computed = Argon2::new(stored.algorithm, stored.version, stored.params)
                .hash_password_into_with_memory(
                    password.as_bytes(),
                    stored.salt.as_ref(),
                    &mut out,
                    memory,
                );
            Ok(computed.is_ok() && Output::new(&out).is_ok_and(|o| o == stored.expected))
        })
        .await
    }

    /// Runs `work` on the blocking pool once a turn is free, with working memory of at least
    /// `blocks` Argon2 blocks.
    async fn run<T: Send + 'static>(
        &self,
        blocks: usize,
        work: impl FnOnce(&mut [Block]) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let turn = tokio::time::timeout(self.queue_wait, self.turns.clone().acquire_owned())
            .await
            .map_err(|_| server_busy())?
            .map_err(|_| AppError::internal("password hasher closed"))?;
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let mut memory = pool
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop()
                .unwrap_or_default();
            if memory.len() < blocks {
                memory.resize(blocks, Block::default());
            }
            let result = work(&mut memory[..blocks]);
            pool.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(memory);
            result
        })
        .await
        .map_err(|e| AppError::internal(format!("password hash task: {e}")))?
    }
}

/// A stored PHC string taken apart.
struct StoredHash {
    algorithm: Algorithm,
    version: Version,
    params: Params,
    salt: Salt,
    expected: Output,
}

impl StoredHash {
    fn parse(phc: &str) -> Option<StoredHash> {
        let parsed = PasswordHash::new(phc).ok()?;
        let algorithm = Algorithm::try_from(parsed.algorithm.as_str()).ok()?;
        let version = match parsed.version {
            Some(v) => Version::try_from(v).ok()?,
            None => Version::V0x10,
        };
        let params = Params::try_from(&parsed).ok()?;
        Some(StoredHash {
            algorithm,
            version,
            params,
            salt: parsed.salt?,
            expected: parsed.hash?,
        })
    }
}

fn server_busy() -> AppError {
    AppError::from(AccountsError::ServerBusy).with_retry_after(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher(concurrency: usize, wait_ms: u64) -> PasswordHasher {
        PasswordHasher::new(
            64,
            1,
            HashingLimits {
                concurrency,
                queue_wait: Duration::from_millis(wait_ms),
            },
        )
    }

    #[tokio::test]
    async fn a_hash_verifies_with_the_crate_and_with_us() {
        use argon2::password_hash::PasswordVerifier as _;
        let hasher = hasher(2, 1000);
        let phc = hasher.hash("correct horse battery").await.expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
        assert!(hasher.verify("correct horse battery", &phc).await.unwrap());
        assert!(!hasher.verify("wrong horse battery", &phc).await.unwrap());
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", phc.as_str())
                .is_ok(),
            "the PHC string is standard"
        );
    }

    #[tokio::test]
    async fn hashes_made_with_other_parameters_still_verify() {
        use argon2::password_hash::PasswordHasher as _;
        let params = Params::new(256, 3, 1, None).unwrap();
        let phc = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"older cost setting")
            .unwrap()
            .to_string();
        let hasher = hasher(1, 1000);
        assert!(hasher.verify("older cost setting", &phc).await.unwrap());
        assert!(!hasher.verify("older cost settinG", &phc).await.unwrap());
        assert!(!hasher.verify("x", "not a phc string").await.unwrap());
    }

    #[tokio::test]
    async fn a_full_queue_is_refused_with_server_busy() {
        let hasher = hasher(1, 0);
        let held = hasher.turns.clone().acquire_owned().await.unwrap();
        let busy = hasher.hash("correct horse battery").await.unwrap_err();
        assert_eq!(busy.code, "SERVER_BUSY");
        assert_eq!(busy.retry_after_secs, Some(1));
        drop(held);
        assert!(hasher.hash("correct horse battery").await.is_ok());
    }

    #[tokio::test]
    async fn the_memory_pool_never_holds_more_blocks_than_turns() {
        let hasher = hasher(2, 5000);
        let mut tasks = Vec::new();
        for i in 0..8 {
            let hasher = hasher.clone();
            tasks.push(tokio::spawn(async move {
                hasher.hash(&format!("password number {i}")).await
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert!(hasher.pool.lock().unwrap().len() <= 2);
    }
}
