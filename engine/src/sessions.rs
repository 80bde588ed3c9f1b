//! A tower-sessions store on the system database, through sea-orm. (The ready-made sqlx store is
//! built on sqlx 0.8 and would bring a second SQLite library.)
//!
//! Sessions are read on every request of a signed-in user and written rarely (login, logout, a
//! daily renewal), and only by the server process: the store keeps the ones it has seen in
//! memory, written through to the database, so a page view costs no session query.

use crate::{Database, entities::session};
use async_trait::async_trait;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set, sea_query::OnConflict};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};
use time::OffsetDateTime;
use tower_sessions::{
    ExpiredDeletion, SessionStore,
    session::{Id, Record},
    session_store::{Error, Result},
};

/// Sessions kept in memory at most; past that the memory copy starts again from empty.
const CACHED_SESSIONS: usize = 10_000;

#[derive(Debug, Clone)]
pub struct SqliteSessionStore {
    db: Database,
    cache: Arc<Mutex<HashMap<Id, Record>>>,
}

impl SqliteSessionStore {
    pub fn new(system_db: Database) -> Self {
        SqliteSessionStore { db: system_db, cache: Arc::default() }
    }

    fn remember(&self, record: &Record) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHED_SESSIONS && !cache.contains_key(&record.id) {
                cache.clear();
            }
            cache.insert(record.id, record.clone());
        }
    }

    fn forget(&self, id: &Id) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(id);
        }
    }

    async fn upsert(&self, record: &Record, insert_only: bool) -> Result<bool> {
        let data = serde_json::to_vec(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        let w = self.db.writer().await.map_err(backend)?;
        let model = session::ActiveModel {
            id: Set(record.id.to_string()),
            data: Set(data),
            expiry_date: Set(record.expiry_date.unix_timestamp()),
        };
        let conflict = if insert_only {
            OnConflict::column(session::Column::Id).do_nothing().to_owned()
        } else {
            OnConflict::column(session::Column::Id)
                .update_columns([session::Column::Data, session::Column::ExpiryDate])
                .to_owned()
        };
        let result = session::Entity::insert(model)
            .on_conflict(conflict)
            .exec_without_returning(w.conn())
            .await
            .map_err(backend)?;
        Ok(result > 0)
    }
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for SqliteSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // A fresh random id collides with probability ~0; if it ever does, draw another.
        while !self.upsert(record, true).await? {
            record.id = Id::default();
        }
        self.remember(record);
        Ok(())
    }

    async fn save(&self, record: &Record) -> Result<()> {
        self.upsert(record, false).await?;
        self.remember(record);
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let cached = self.cache.lock().ok().and_then(|cache| cache.get(id).cloned());
        if let Some(record) = cached {
            if record.expiry_date > OffsetDateTime::now_utc() {
                return Ok(Some(record));
            }
            self.forget(id);
            return Ok(None);
        }
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let row = session::Entity::find_by_id(id.to_string())
            .filter(session::Column::ExpiryDate.gt(now))
            .one(self.db.reader())
            .await
            .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let data = serde_json::from_slice(&row.data).map_err(|e| Error::Decode(e.to_string()))?;
        let expiry_date =
            OffsetDateTime::from_unix_timestamp(row.expiry_date).map_err(|e| Error::Decode(e.to_string()))?;
        let record = Record { id: *id, data, expiry_date };
        self.remember(&record);
        Ok(Some(record))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.forget(id);
        let w = self.db.writer().await.map_err(backend)?;
        session::Entity::delete_by_id(id.to_string()).exec(w.conn()).await.map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for SqliteSessionStore {
    async fn delete_expired(&self) -> Result<()> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let w = self.db.writer().await.map_err(backend)?;
        session::Entity::delete_many()
            .filter(session::Column::ExpiryDate.lte(now))
            .exec(w.conn())
            .await
            .map_err(backend)?;
        Ok(())
    }
}
