//! What the staff dashboard's database panel shows, and the record of the last integrity check.

use crate::{Database, DbError, entities::setting};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, Set, Statement, sea_query::OnConflict};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseStats {
    pub path: String,
    pub file_bytes: u64,
    pub wal_bytes: u64,
    pub page_size: i64,
    pub page_count: i64,
    pub freelist_pages: i64,
    pub sqlite_version: String,
    pub journal_mode: String,
}

/// The outcome of the last `PRAGMA integrity_check` run from the dashboard or the CLI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityRecord {
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub problems: Vec<String>,
    pub duration_ms: u64,
}

const LAST_CHECK_KEY: &str = "last_integrity_check";

fn len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

pub fn wal_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    name.into()
}

async fn pragma_int(db: &Database, name: &str) -> Result<i64, DbError> {
    let row = db
        .reader()
        .query_one_raw(Statement::from_string(sea_orm::DbBackend::Sqlite, format!("PRAGMA {name}")))
        .await?;
    Ok(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0))
}

pub async fn database_stats(db: &Database) -> Result<DatabaseStats, DbError> {
    let journal_mode = Database::pragma(db.reader(), "journal_mode").await?;
    Ok(DatabaseStats {
        path: db.path().display().to_string(),
        file_bytes: len(db.path()),
        wal_bytes: len(&wal_path(db.path())),
        page_size: pragma_int(db, "page_size").await?,
        page_count: pragma_int(db, "page_count").await?,
        freelist_pages: pragma_int(db, "freelist_count").await?,
        sqlite_version: crate::db::sqlite_version().to_string(),
        journal_mode: crate::db::display_pragma("journal_mode", &journal_mode),
    })
}

/// Runs `PRAGMA integrity_check` on `db` and records the outcome in the system database.
pub async fn run_integrity_check(db: &Database, system_db: &Database) -> Result<IntegrityRecord, DbError> {
    let started = std::time::Instant::now();
    let problems = db.integrity_check().await?;
    let record = IntegrityRecord {
        at: Utc::now(),
        ok: problems.is_empty(),
        problems,
        duration_ms: started.elapsed().as_millis() as u64,
    };
    let value = serde_json::to_string(&record).map_err(|e| DbError::Sql(sea_orm::DbErr::Custom(e.to_string())))?;
    let w = system_db.writer().await?;
    setting::Entity::insert(setting::ActiveModel {
        key: Set(LAST_CHECK_KEY.into()),
        value: Set(value),
        updated_at: Set(record.at),
    })
    .on_conflict(OnConflict::column(setting::Column::Key).update_columns([setting::Column::Value, setting::Column::UpdatedAt]).to_owned())
    .exec_without_returning(w.conn())
    .await?;
    Ok(record)
}

pub async fn last_integrity_check(system_db: &Database) -> Result<Option<IntegrityRecord>, DbError> {
    let row = setting::Entity::find_by_id(LAST_CHECK_KEY).one(system_db.reader()).await?;
    Ok(row.and_then(|r| serde_json::from_str(&r.value).ok()))
}
