//! The database panel of the dashboard and `smallstack db check|vacuum|checkpoint`: one function
//! per action, so both do the same thing (an integrity check of both databases, recorded; VACUUM
//! followed by a checkpoint; a checkpoint).

use crate::{Database, DbError, Engine, db::wal_path};
use chrono::Utc;
use contract::{
    database::{DatabaseCheck, DatabasePanel, DatabaseStats, IntegrityRecord, MaintenanceAction, MaintenanceReport},
    format::human_bytes,
};
use std::time::Instant;

/// The settings key of the last integrity check.
const LAST_CHECK_KEY: &str = "last_integrity_check";

fn file_len(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Facts about a database file, from its PRAGMAs and the file system.
pub async fn database_stats(db: &Database) -> Result<DatabaseStats, DbError> {
    let number = |name: &'static str| async move {
        Database::pragma(db.reader(), name).await.map(|v| v.parse::<i64>().unwrap_or(0))
    };
    Ok(DatabaseStats {
        path: db.path().display().to_string(),
        file_bytes: file_len(db.path()),
        wal_bytes: file_len(&wal_path(db.path())),
        page_size: number("page_size").await?,
        page_count: number("page_count").await?,
        freelist_pages: number("freelist_count").await?,
        sqlite_version: crate::db::sqlite_version().to_string(),
        journal_mode: crate::db::display_pragma("journal_mode", &Database::pragma(db.reader(), "journal_mode").await?),
    })
}

impl Engine {
    /// What the dashboard's database panel shows.
    pub async fn database_panel(&self) -> Result<DatabasePanel, DbError> {
        Ok(DatabasePanel { stats: database_stats(&self.app_db).await?, last_check: self.last_integrity_check().await? })
    }

    /// The last recorded integrity check, if any (a record this binary cannot read counts as
    /// none).
    pub async fn last_integrity_check(&self) -> Result<Option<IntegrityRecord>, DbError> {
        Ok(self.settings.get(LAST_CHECK_KEY).await?.and_then(|raw| serde_json::from_str(&raw).ok()))
    }

    /// Runs one maintenance action and says what happened.
    pub async fn maintain(&self, action: MaintenanceAction) -> Result<MaintenanceReport, DbError> {
        let started = Instant::now();
        let (ok, message, integrity) = match action {
            MaintenanceAction::IntegrityCheck => {
                let record = self.integrity_check().await?;
                let message = if record.ok {
                    "Integrity check: both databases are ok.".to_string()
                } else {
                    let problems: Vec<String> = record
                        .databases
                        .iter()
                        .filter(|d| !d.problems.is_empty())
                        .map(|d| format!("{} database: {}", d.database, d.problems.join("; ")))
                        .collect();
                    format!("Integrity check found problems. {}", problems.join(" "))
                };
                (record.ok, message, Some(record))
            }
            MaintenanceAction::Vacuum => {
                let before = file_len(self.app_db.path());
                self.app_db.vacuum().await?;
                // VACUUM writes the whole database into the WAL; without a checkpoint the file
                // would not shrink and the WAL would hold a second copy.
                let (busy, _, _) = self.app_db.checkpoint().await?;
                let after = file_len(self.app_db.path());
                let note =
                    if busy != 0 { " Some readers kept the WAL from being emptied; it will be later." } else { "" };
                (true, format!("VACUUM done: {} → {}.{note}", human_bytes(before), human_bytes(after)), None)
            }
            MaintenanceAction::Checkpoint => {
                let (busy, log, done) = self.app_db.checkpoint().await?;
                let note = if busy != 0 { "; some readers kept it from finishing" } else { "" };
                (busy == 0, format!("WAL checkpoint (TRUNCATE): {done} of {log} frames written back{note}."), None)
            }
        };
        Ok(MaintenanceReport {
            action,
            ok,
            message,
            duration_ms: started.elapsed().as_millis() as u64,
            stats: database_stats(&self.app_db).await?,
            integrity,
        })
    }

    /// `PRAGMA integrity_check` of the application and the system database, recorded.
    async fn integrity_check(&self) -> Result<IntegrityRecord, DbError> {
        let started = Instant::now();
        let mut databases = Vec::with_capacity(2);
        for (name, db) in [("application", &self.app_db), ("system", &self.system_db)] {
            let one = Instant::now();
            let problems = db.integrity_check().await?;
            databases.push(DatabaseCheck {
                database: name.to_string(),
                path: db.path().display().to_string(),
                problems,
                duration_ms: one.elapsed().as_millis() as u64,
            });
        }
        let record = IntegrityRecord {
            at: Utc::now(),
            ok: databases.iter().all(|d| d.problems.is_empty()),
            databases,
            duration_ms: started.elapsed().as_millis() as u64,
        };
        let value = serde_json::to_string(&record).map_err(|e| DbError::Sql(sea_orm::DbErr::Custom(e.to_string())))?;
        self.settings.set(LAST_CHECK_KEY, &value).await?;
        Ok(record)
    }
}
