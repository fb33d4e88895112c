//! Rules for account credentials: e-mail addresses, passwords, display names and the
//! login lockout schedule.

use crate::clock::Timestamp;

/// A normalised (trimmed, lowercased) e-mail address that passed a structural check.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

/// Why a credential was refused. Each variant maps to an API error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// `INVALID_EMAIL` (400).
    #[error("invalid e-mail address")]
    InvalidEmail,
    /// `WEAK_PASSWORD` (400): shorter than the minimum.
    #[error("password must have at least {min} characters")]
    PasswordTooShort {
        /// The minimum length in characters.
        min: usize,
    },
    /// `WEAK_PASSWORD` (400): longer than the maximum, which bounds hashing cost.
    #[error("password must have at most {max} characters")]
    PasswordTooLong {
        /// The maximum length in characters.
        max: usize,
    },
    /// `WEAK_PASSWORD` (400): a single repeated character or similar.
    #[error("password is too simple")]
    PasswordTooSimple,
    /// `INVALID_DISPLAY_NAME` (400).
    #[error("display name must have 1 to 64 printable characters")]
    InvalidDisplayName,
}

impl Email {
    /// Parses and normalises an address: one `@`, a non-empty local part of at most 64
    /// octets, a domain with a dot and only LDH or non-ASCII characters, no spaces or control
    /// characters, at most 254 octets.
    pub fn parse(raw: &str) -> Result<Email, CredentialError> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() || email.len() > 254 {
            return Err(CredentialError::InvalidEmail);
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(CredentialError::InvalidEmail);
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| !c.is_control() && !c.is_whitespace() && !"@<>()[],;:\\\"".contains(c));
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.' || !c.is_ascii());
        if local_ok && domain_ok && !domain.chars().any(|c| c.is_control() || c.is_whitespace()) {
            Ok(Email(email))
        } else {
            Err(CredentialError::InvalidEmail)
        }
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The password policy: length bounds and a minimal simplicity check. Long passphrases are
/// preferred over composition rules (NIST SP 800-63B).
pub fn check_password(password: &str) -> Result<(), CredentialError> {
    const MIN: usize = 8;
    const MAX: usize = 256;
    let n_chars = password.chars().count();
    if n_chars < MIN {
        return Err(CredentialError::PasswordTooShort { min: MIN });
    }
    if n_chars > MAX {
        return Err(CredentialError::PasswordTooLong { max: MAX });
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return Err(CredentialError::PasswordTooSimple);
    }
    Ok(())
}

/// Trims a display name and checks it has 1–64 printable characters.
pub fn parse_display_name(raw: &str) -> Result<String, CredentialError> {
    let name = raw.trim();
    let n_chars = name.chars().count();
    if n_chars == 0 || n_chars > 64 || name.chars().any(char::is_control) {
        return Err(CredentialError::InvalidDisplayName);
    }
    Ok(name.to_owned())
}

/// When repeated failed logins lock an account, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures allowed before the first lock.
    pub threshold: i64,
    /// Length of the first lock in seconds; each further failure doubles it.
    pub base_lock_secs: i64,
    /// Upper bound of a lock in seconds.
    pub max_lock_secs: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            threshold: 5,
            base_lock_secs: 60,
            max_lock_secs: 3_600,
        }
    }
}

impl LockoutPolicy {
    /// After `failures` consecutive failures at `now`, until when is the account locked?
    pub fn locked_until(&self, failures: i64, now: Timestamp) -> Option<Timestamp> {
        if failures < self.threshold {
            return None;
        }
        let doublings = (failures - self.threshold).clamp(0, 30) as u32;
        let secs = self
            .base_lock_secs
            .saturating_mul(1_i64 << doublings)
            .min(self.max_lock_secs);
        Some(now.plus_secs(secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in [
            "a@b.cn",
            " Alice@Example.COM ",
            "张三@例子.中国",
            "a.b+tag@x-y.com",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            Email::parse(" Alice@Example.COM ").map(|e| e.0),
            Ok("alice@example.com".into())
        );
        for bad in [
            "",
            "a",
            "a@b",
            "@b.cn",
            "a@.cn",
            "a b@c.cn",
            "a@b..cn",
            "a@b\n.cn",
            "a\u{0}@b.cn",
            "a'; DROP TABLE accounts;--@x.cn ",
        ] {
            assert_eq!(
                Email::parse(bad),
                Err(CredentialError::InvalidEmail),
                "{bad:?}"
            );
        }
        assert!(Email::parse(&format!("{}@b.cn", "a".repeat(65))).is_err());
    }

    #[test]
    fn passwords() {
        assert!(check_password("correct horse").is_ok());
        assert_eq!(
            check_password("short"),
            Err(CredentialError::PasswordTooShort { min: 8 })
        );
        assert_eq!(
            check_password("aaaaaaaaaaaa"),
            Err(CredentialError::PasswordTooSimple)
        );
        assert!(check_password(&"ab1!".repeat(100)).is_err());
    }

    #[test]
    fn display_names() {
        assert_eq!(parse_display_name("  张三 "), Ok("张三".into()));
        assert!(parse_display_name("").is_err());
        assert!(parse_display_name("a\u{7}b").is_err());
        assert!(parse_display_name(&"x".repeat(65)).is_err());
    }

    #[test]
    fn lockout_backs_off_and_is_bounded() {
        let policy = LockoutPolicy::default();
        let now = Timestamp(1_000);
        assert_eq!(policy.locked_until(4, now), None);
        assert_eq!(policy.locked_until(5, now), Some(Timestamp(1_060)));
        assert_eq!(policy.locked_until(6, now), Some(Timestamp(1_120)));
        assert_eq!(policy.locked_until(1_000, now), Some(Timestamp(4_600)));
    }
}
