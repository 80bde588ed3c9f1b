//! The one-time link that creates the first staff account without a shell.

use super::AccountError;
use crate::{Database, entities::setting};
use chrono::Utc;
use rand::{Rng, distr::Alphanumeric};
use sea_orm::{EntityTrait, Set};

const KEY: &str = "setup_token";

#[derive(Debug, Clone)]
pub struct SetupTokens {
    db: Database,
}

impl SetupTokens {
    pub fn new(system_db: Database) -> Self {
        SetupTokens { db: system_db }
    }

    /// The current token, created if there is none. It stays valid until used.
    pub async fn get_or_create(&self) -> Result<String, AccountError> {
        if let Some(row) = setting::Entity::find_by_id(KEY).one(self.db.reader()).await? {
            return Ok(row.value);
        }
        let token: String = rand::rng().sample_iter(&Alphanumeric).take(40).map(char::from).collect();
        let w = self.db.writer().await?;
        setting::Entity::insert(setting::ActiveModel {
            key: Set(KEY.to_string()),
            value: Set(token.clone()),
            updated_at: Set(Utc::now()),
        })
        .exec(w.conn())
        .await?;
        Ok(token)
    }

    /// True when `candidate` is the current token (compared in constant time).
    pub async fn is_valid(&self, candidate: &str) -> Result<bool, AccountError> {
        let Some(row) = setting::Entity::find_by_id(KEY).one(self.db.reader()).await? else {
            return Ok(false);
        };
        Ok(constant_time_eq(row.value.as_bytes(), candidate.as_bytes()))
    }

    /// Uses the token up: returns false if it was not (or no longer) the current one.
    pub async fn consume(&self, candidate: &str) -> Result<bool, AccountError> {
        if !self.is_valid(candidate).await? {
            return Ok(false);
        }
        let w = self.db.writer().await?;
        let result = setting::Entity::delete_by_id(KEY).exec(w.conn()).await?;
        Ok(result.rows_affected == 1)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl SetupTokens {
    /// Puts a consumed token back (when creating the account failed after all).
    pub async fn restore(&self, token: &str) -> Result<(), AccountError> {
        let w = self.db.writer().await?;
        setting::Entity::insert(setting::ActiveModel {
            key: Set(KEY.to_string()),
            value: Set(token.to_string()),
            updated_at: Set(Utc::now()),
        })
        .on_conflict(sea_orm::sea_query::OnConflict::column(setting::Column::Key).do_nothing().to_owned())
        .exec_without_returning(w.conn())
        .await?;
        Ok(())
    }
}
