//! The settings table of the system database: small values changed at run time (the backup
//! schedule and retention) and small records (the last integrity check), under string keys. The
//! one place that writes it.

use crate::{Database, DbError, entities::setting};
use chrono::{DateTime, Utc};
use sea_orm::{EntityTrait, Set, sea_query::OnConflict};
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct SettingsStore {
    db: Database,
}

impl SettingsStore {
    pub fn new(system_db: Database) -> Self {
        SettingsStore { db: system_db }
    }

    pub async fn all(&self) -> Result<HashMap<String, String>, DbError> {
        Ok(setting::Entity::find().all(self.db.reader()).await?.into_iter().map(|s| (s.key, s.value)).collect())
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, DbError> {
        Ok(setting::Entity::find_by_id(key).one(self.db.reader()).await?.map(|s| s.value))
    }

    /// The value of `key` and when it was last written.
    pub async fn get_with_time(&self, key: &str) -> Result<Option<(String, DateTime<Utc>)>, DbError> {
        Ok(setting::Entity::find_by_id(key).one(self.db.reader()).await?.map(|s| (s.value, s.updated_at)))
    }

    /// Inserts or replaces the value of `key`.
    pub async fn set(&self, key: &str, value: &str) -> Result<(), DbError> {
        let w = self.db.writer().await?;
        setting::Entity::insert(setting::ActiveModel {
            key: Set(key.to_string()),
            value: Set(value.to_string()),
            updated_at: Set(Utc::now()),
        })
        .on_conflict(
            OnConflict::column(setting::Column::Key)
                .update_columns([setting::Column::Value, setting::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(w.conn())
        .await?;
        Ok(())
    }

    /// Inserts `value` only when `key` has none; returns whether it did.
    pub async fn insert_if_absent(&self, key: &str, value: &str) -> Result<bool, DbError> {
        self.insert_if_absent_at(key, value, Utc::now()).await
    }

    /// [`Self::insert_if_absent`], recording `at` as the time it was written.
    pub async fn insert_if_absent_at(&self, key: &str, value: &str, at: DateTime<Utc>) -> Result<bool, DbError> {
        let w = self.db.writer().await?;
        let rows = setting::Entity::insert(setting::ActiveModel {
            key: Set(key.to_string()),
            value: Set(value.to_string()),
            updated_at: Set(at),
        })
        .on_conflict(OnConflict::column(setting::Column::Key).do_nothing().to_owned())
        .exec_without_returning(w.conn())
        .await?;
        Ok(rows > 0)
    }

    /// Removes `key` only while it still holds `expected`; returns whether it did. Two callers
    /// racing for the same value: exactly one wins.
    pub async fn take_if(&self, key: &str, expected: &str) -> Result<bool, DbError> {
        use sea_orm::{ColumnTrait, QueryFilter};
        let w = self.db.writer().await?;
        let result = setting::Entity::delete_many()
            .filter(setting::Column::Key.eq(key))
            .filter(setting::Column::Value.eq(expected))
            .exec(w.conn())
            .await?;
        Ok(result.rows_affected == 1)
    }

    pub async fn remove(&self, key: &str) -> Result<(), DbError> {
        let w = self.db.writer().await?;
        setting::Entity::delete_by_id(key).exec(w.conn()).await?;
        Ok(())
    }
}
