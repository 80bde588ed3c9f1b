//! The one-time link that creates the first staff account without a shell.

use super::AccountError;
use crate::{Database, settings::SettingsStore};
use rand::{Rng, distr::Alphanumeric};

const KEY: &str = "setup_token";

#[derive(Debug, Clone)]
pub struct SetupTokens {
    settings: SettingsStore,
}

impl SetupTokens {
    pub fn new(system_db: Database) -> Self {
        SetupTokens { settings: SettingsStore::new(system_db) }
    }

    /// The current token, created if there is none. It stays valid until used.
    pub async fn get_or_create(&self) -> Result<String, AccountError> {
        if let Some(token) = self.settings.get(KEY).await? {
            return Ok(token);
        }
        let token: String = rand::rng().sample_iter(&Alphanumeric).take(40).map(char::from).collect();
        if self.settings.insert_if_absent(KEY, &token).await? {
            return Ok(token);
        }
        // Another process made one at the same moment: that one counts.
        self.settings.get(KEY).await?.ok_or_else(|| AccountError::invalid("token", "the setup link could not be made"))
    }

    /// True when `candidate` is the current token (compared in constant time).
    pub async fn is_valid(&self, candidate: &str) -> Result<bool, AccountError> {
        let Some(token) = self.settings.get(KEY).await? else {
            return Ok(false);
        };
        Ok(constant_time_eq(token.as_bytes(), candidate.as_bytes()))
    }

    /// Uses the token up: returns false if it was not (or no longer) the current one.
    pub async fn consume(&self, candidate: &str) -> Result<bool, AccountError> {
        if !self.is_valid(candidate).await? {
            return Ok(false);
        }
        Ok(self.settings.take_if(KEY, candidate).await?)
    }

    /// Puts a consumed token back (when creating the account failed after all).
    pub async fn restore(&self, token: &str) -> Result<(), AccountError> {
        self.settings.insert_if_absent(KEY, token).await?;
        Ok(())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
