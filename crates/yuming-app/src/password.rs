//! Argon2id password hashing, run off the async executor.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::AppError;

/// Hashes and verifies passwords with fixed Argon2id parameters.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    memory_kib: u32,
    iterations: u32,
}

impl PasswordHasher {
    /// A hasher with the given cost (OWASP: 19 MiB, 2 iterations).
    pub fn new(memory_kib: u32, iterations: u32) -> Self {
        PasswordHasher {
            memory_kib,
            iterations,
        }
    }

    fn argon2(&self) -> Result<Argon2<'static>, AppError> {
        let params = Params::new(self.memory_kib, self.iterations, 1, None)
            .map_err(|e| AppError::internal(format!("argon2 parameters: {e}")))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// The PHC string of `password` with a fresh random salt.
    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let argon2 = self.argon2()?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            argon2
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| AppError::internal(format!("argon2 hash: {e}")))
        })
        .await
        .map_err(|e| AppError::internal(format!("hash task: {e}")))?
    }

    /// Whether `password` matches the PHC string (using the parameters stored in it).
    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool, AppError> {
        let argon2 = self.argon2()?;
        let password = password.to_owned();
        let phc = phc.to_owned();
        tokio::task::spawn_blocking(move || match PasswordHash::new(&phc) {
            Ok(parsed) => argon2.verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        })
        .await
        .map_err(|e| AppError::internal(format!("verify task: {e}")))
    }
}
