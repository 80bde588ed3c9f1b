use super::{AccountError, Password};
use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
};

/// At most one argon2 computation per core at a time: each takes 19 MiB and a core's worth of
/// work, so more in parallel only adds memory (a burst of logins cannot balloon the process).
static HASHING: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map(std::num::NonZero::get).unwrap_or(2))
});

/// argon2id with OWASP's parameters (m=19456 KiB, t=2, p=1: the crate's defaults), hashed on a
/// blocking thread so a login never stalls the async runtime.
pub async fn hash_password(password: &Password) -> Result<String, AccountError> {
    let password = password.clone();
    let _permit = HASHING.acquire().await.ok();
    tokio::task::spawn_blocking(move || {
        let salt = new_salt();
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AccountError::Db(crate::DbError::Sql(sea_orm::DbErr::Custom(format!("hashing failed: {e}")))))
    })
    .await
    .map_err(|e| AccountError::Db(crate::DbError::Sql(sea_orm::DbErr::Custom(format!("hashing task failed: {e}")))))?
}

fn new_salt() -> SaltString {
    let mut bytes = [0u8; 16];
    rand::Rng::fill(&mut rand::rng(), &mut bytes);
    SaltString::encode_b64(&bytes).expect("16 bytes is a valid salt length")
}

/// Checks a password against a stored hash on a blocking thread. A malformed hash never matches.
pub async fn verify_password(candidate: &str, stored_hash: &str) -> bool {
    let candidate = candidate.to_string();
    let stored = stored_hash.to_string();
    let _permit = HASHING.acquire().await.ok();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| Argon2::default().verify_password(candidate.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A real hash of a random password, verified against when the user does not exist, so a login
/// takes as long for an unknown name as for a wrong password.
pub(super) static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let salt = new_salt();
    Argon2::default().hash_password(b"not-a-real-password-0000", &salt).map(|h| h.to_string()).unwrap_or_default()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let password = Password::parse("correct horse battery").unwrap();
        let hash = hash_password(&password).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash).await);
        assert!(!verify_password("wrong horse battery", &hash).await);
        assert!(!verify_password("anything", "not a hash").await);
    }
}
