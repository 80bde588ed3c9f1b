//! The one-time link that creates the first staff account without a shell. It works only while
//! no active staff account exists (however one came to exist: this link, the CLI, a restore)
//! and for [`SETUP_LINK_LIFETIME`] after it was made; it is never written to the log (the
//! operator asks for it with `smallstack user setup-link`).

use super::{AccountError, Accounts};
use crate::{Database, settings::SettingsStore};
use chrono::{DateTime, Duration, Utc};
use contract::accounts::SetupLinkStatus;
use rand::{Rng, distr::Alphanumeric};

const KEY: &str = "setup_token";
pub const SETUP_LINK_LIFETIME: Duration = Duration::hours(24);

/// A link that can be used, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupLink {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct SetupTokens {
    settings: SettingsStore,
    accounts: Accounts,
}

impl SetupTokens {
    pub fn new(system_db: Database, accounts: Accounts) -> Self {
        SetupTokens { settings: SettingsStore::new(system_db), accounts }
    }

    /// The current link, or a new one when there is none or it has expired; `None` (and the
    /// stored token removed) once an active staff account exists.
    pub async fn issue(&self, now: DateTime<Utc>) -> Result<Option<SetupLink>, AccountError> {
        if self.accounts.active_staff_count().await? > 0 {
            self.settings.remove(KEY).await?;
            return Ok(None);
        }
        if let Some((token, made)) = self.settings.get_with_time(KEY).await? {
            if now - made < SETUP_LINK_LIFETIME {
                return Ok(Some(SetupLink { token, expires_at: made + SETUP_LINK_LIFETIME }));
            }
            // Expired: replaced, unless another process replaced it at the same moment.
            self.settings.take_if(KEY, &token).await?;
        }
        let token: String = rand::rng().sample_iter(&Alphanumeric).take(40).map(char::from).collect();
        self.settings.insert_if_absent_at(KEY, &token, now).await?;
        // Another process may have made one at the same moment: that one counts.
        let (token, made) = self
            .settings
            .get_with_time(KEY)
            .await?
            .ok_or_else(|| AccountError::invalid("token", "the setup link could not be made"))?;
        Ok(Some(SetupLink { token, expires_at: made + SETUP_LINK_LIFETIME }))
    }

    /// What `candidate` is worth now. A staff account existing trumps everything: the link has
    /// done its job.
    pub async fn status(&self, candidate: &str, now: DateTime<Utc>) -> Result<SetupLinkStatus, AccountError> {
        if self.accounts.active_staff_count().await? > 0 {
            return Ok(SetupLinkStatus::UsedUp);
        }
        let Some((token, made)) = self.settings.get_with_time(KEY).await? else {
            return Ok(SetupLinkStatus::Invalid);
        };
        if candidate.is_empty() || !constant_time_eq(token.as_bytes(), candidate.as_bytes()) {
            return Ok(SetupLinkStatus::Invalid);
        }
        Ok(if now - made >= SETUP_LINK_LIFETIME { SetupLinkStatus::Expired } else { SetupLinkStatus::Valid })
    }

    /// Uses the link up: returns the status that stopped it (or `Valid` once it was taken, with
    /// the time it was made, for [`SetupTokens::restore`]). Two callers racing: one wins.
    pub async fn consume(
        &self,
        candidate: &str,
        now: DateTime<Utc>,
    ) -> Result<(SetupLinkStatus, Option<DateTime<Utc>>), AccountError> {
        let status = self.status(candidate, now).await?;
        if status != SetupLinkStatus::Valid {
            return Ok((status, None));
        }
        let made = self.settings.get_with_time(KEY).await?.map(|(_, made)| made);
        if self.settings.take_if(KEY, candidate).await? {
            Ok((SetupLinkStatus::Valid, made))
        } else {
            Ok((SetupLinkStatus::UsedUp, None))
        }
    }

    /// Puts a consumed link back as it was (when creating the account failed after all).
    pub async fn restore(&self, token: &str, made: DateTime<Utc>) -> Result<(), AccountError> {
        self.settings.insert_if_absent_at(KEY, token, made).await?;
        Ok(())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
