use super::SqlMigration;
use sea_orm::{ConnectionTrait, DbErr, Statement};
use sea_orm_migration::{MigrationTrait, MigratorTrait, prelude::*};

/// Migrations of the system database: sessions, lockout counters, the backup catalogue and
/// settings. A restore of the application database never touches these.
pub struct SystemMigrator;

impl MigratorTrait for SystemMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(SqlMigration { name: "m20261125_000001_sessions", sql: SESSIONS }),
            Box::new(SqlMigration { name: "m20261125_000002_backups", sql: BACKUPS }),
            Box::new(WidenTrigger { name: "m20261201_000003_download_trigger", from: "'upload')", to: DOWNLOAD }),
        ]
    }
}

const SESSIONS: &str = r#"
CREATE TABLE sessions (
    id          TEXT    PRIMARY KEY,
    data        BLOB    NOT NULL,
    expiry_date INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry_date);
CREATE TABLE login_failures (
    username        TEXT    NOT NULL,
    ip              TEXT    NOT NULL,
    failures        INTEGER NOT NULL,
    first_failed_at TEXT    NOT NULL,
    locked_until    TEXT,
    PRIMARY KEY (username, ip)
);
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"#;

const BACKUPS: &str = r#"
CREATE TABLE backups (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    filename           TEXT    NOT NULL,
    created_at         TEXT    NOT NULL,
    finished_at        TEXT,
    size_bytes         INTEGER,
    duration_ms        INTEGER,
    copy_ms            INTEGER,
    verify_ms          INTEGER,
    status             TEXT    NOT NULL CHECK (status IN ('running', 'success', 'failed', 'skipped', 'pruned', 'deleted')),
    error              TEXT,
    trigger            TEXT    NOT NULL CHECK (trigger IN ('manual', 'scheduled', 'cli', 'pre-restore', 'upload')),
    sha256             TEXT,
    integrity_ok       INTEGER,
    temp_path          TEXT,
    pruned_at          TEXT,
    deleted_at         TEXT,
    download_count     INTEGER NOT NULL DEFAULT 0,
    last_downloaded_at TEXT,
    restored_at        TEXT
);
CREATE INDEX backups_created ON backups (created_at);
CREATE INDEX backups_status ON backups (status);
CREATE TABLE backup_events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    backup_id INTEGER NOT NULL REFERENCES backups (id) ON DELETE CASCADE,
    at        TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    detail    TEXT
);
CREATE INDEX backup_events_backup ON backup_events (backup_id, at);
"#;

/// The CHECK of `backups.trigger` once "Download a fresh backup" has its own trigger.
const DOWNLOAD: &str = "'upload', 'download')";

/// Lets a new value into the CHECK of `backups.trigger`. SQLite cannot alter a CHECK, so the
/// table is made again from its own stored definition with the check widened (so columns added
/// by any other migration come along) and its rows copied. The tables that refer to it
/// (`backup_events`, and any other) are set aside and dropped first, so dropping the old table
/// cascades to nothing, then made again from their definitions and filled. Indexes and
/// AUTOINCREMENT counters are kept.
struct WidenTrigger {
    name: &'static str,
    /// The end of the CHECK as it is, and as it becomes.
    from: &'static str,
    to: &'static str,
}

impl MigrationName for WidenTrigger {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for WidenTrigger {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let rows = |sql: String| async move {
            let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
            rows.iter()
                .map(|r| Ok((r.try_get_by_index::<String>(0)?, r.try_get_by_index::<String>(1)?)))
                .collect::<Result<Vec<(String, String)>, DbErr>>()
        };
        let tables = rows("SELECT name, sql FROM sqlite_schema WHERE type = 'table'".into()).await?;
        let Some((_, backups)) = tables.iter().find(|(name, _)| name == "backups") else {
            return Err(DbErr::Migration("the backups table is missing".into()));
        };
        if !backups.contains(self.from) {
            return Err(DbErr::Migration(format!("the trigger CHECK of backups does not end with {}", self.from)));
        }
        let children: Vec<&(String, String)> =
            tables.iter().filter(|(name, sql)| name != "backups" && sql.contains("REFERENCES backups ")).collect();
        let all: Vec<String> = std::iter::once("'backups'".to_string())
            .chain(children.iter().map(|(name, _)| format!("'{name}'")))
            .collect();
        let all = all.join(", ");
        let indexes = rows(format!(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name IN ({all}) AND sql IS NOT NULL"
        ))
        .await?;

        let mut script = vec![format!(
            "CREATE TEMP TABLE kept_counters AS SELECT name, seq FROM sqlite_sequence WHERE name IN ({all})"
        )];
        for (name, _) in &children {
            script.push(format!("CREATE TEMP TABLE \"kept_{name}\" AS SELECT * FROM \"{name}\""));
            script.push(format!("DROP TABLE \"{name}\""));
        }
        script.push(backups.replacen(self.from, self.to, 1).replacen(
            "CREATE TABLE backups",
            "CREATE TABLE backups_new",
            1,
        ));
        script.push("INSERT INTO backups_new SELECT * FROM backups".into());
        script.push("DROP TABLE backups".into());
        script.push("ALTER TABLE backups_new RENAME TO backups".into());
        for (name, sql) in &children {
            script.push(sql.clone());
            script.push(format!("INSERT INTO \"{name}\" SELECT * FROM \"kept_{name}\""));
            script.push(format!("DROP TABLE \"kept_{name}\""));
        }
        script.push(format!("DELETE FROM sqlite_sequence WHERE name IN ({all})"));
        script.push("INSERT INTO sqlite_sequence (name, seq) SELECT name, seq FROM kept_counters".into());
        script.push("DROP TABLE kept_counters".into());
        script.extend(indexes.into_iter().map(|(_, sql)| sql));
        for sql in script {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
