//! The one login check, which the JSON API and the HTML form both call, and the current-password
//! check of a password change. Each reserves its attempt with the lockout before argon2id runs,
//! so however many requests arrive at once, no more guesses are checked than the limits allow.

use super::{AccountError, LockScope, Password, account_key, password};
use crate::{Engine, entities::user};
use chrono::Utc;

impl Engine {
    /// Checks a login (username or e-mail, any letter case) and password for an active user,
    /// counting the attempt against the account (the login's, when it names one) and the client
    /// address `ip`. Takes as long for an unknown name as for a wrong password. On success the
    /// account's failures are forgotten and its last login recorded.
    pub async fn log_in(&self, login: &str, password: &str, ip: &str) -> Result<user::Model, AccountError> {
        let found = self.accounts.find_by_login(login).await?;
        let account = account_key(found.as_ref().map(|u| u.id), login);
        let reservation =
            self.lockout.reserve(&[(LockScope::Account, &account), (LockScope::Address, ip)], Utc::now()).await?;
        let hash = found.as_ref().map_or_else(|| password::DUMMY_HASH.as_str(), |u| u.password_hash.as_str());
        let right = password::verify_password(password, hash).await;
        match found {
            Some(user) if right && user.is_active => {
                self.lockout.succeeded(reservation).await?;
                self.accounts.record_login(user.id).await?;
                Ok(user)
            }
            _ => {
                let locked = self.lockout.failed(reservation, Utc::now()).await?;
                tracing::warn!(login, ip, locked, "failed login");
                Err(AccountError::InvalidCredentials)
            }
        }
    }

    /// Changes a user's password after checking the current one, which counts against the
    /// account like a login. At the account's limit it fails with
    /// [`AccountError::GuessesExhausted`]: whoever is guessing holds a session, and the caller
    /// ends it.
    pub async fn change_password(
        &self,
        user_id: i64,
        current: &str,
        new: &Password,
        ip: &str,
    ) -> Result<user::Model, AccountError> {
        let user = self.accounts.get(user_id).await?.ok_or(AccountError::NotFound)?;
        let account = account_key(Some(user.id), "");
        let reservation =
            match self.lockout.reserve(&[(LockScope::Account, &account), (LockScope::Address, ip)], Utc::now()).await {
                Err(AccountError::Locked { scope: LockScope::Account, .. }) => {
                    return Err(AccountError::GuessesExhausted);
                }
                other => other?,
            };
        if password::verify_password(current, &user.password_hash).await {
            self.lockout.succeeded(reservation).await?;
            return self.accounts.set_password(user_id, new).await;
        }
        let exhausted = self.lockout.failed(reservation, Utc::now()).await?;
        tracing::warn!(user = %user.username, ip, exhausted, "wrong current password");
        Err(if exhausted { AccountError::GuessesExhausted } else { AccountError::WrongCurrentPassword })
    }
}
