use super::SqlMigration;
use sea_orm_migration::{MigrationTrait, MigratorTrait};

/// Migrations of the system database: sessions, lockout counters, the backup catalogue and
/// settings. A restore of the application database never touches these.
pub struct SystemMigrator;

/// In the order they run; never edit one that was released: add a new one.
pub(crate) const MIGRATIONS: &[SqlMigration] = &[
    SqlMigration { name: "m20261125_000001_sessions", sql: SESSIONS },
    SqlMigration { name: "m20261125_000002_backups", sql: BACKUPS },
    SqlMigration { name: "m20261201_000003_login_attempts", sql: LOGIN_ATTEMPTS },
    SqlMigration { name: "m20261201_000004_download_trigger", sql: DOWNLOAD_TRIGGER },
    SqlMigration { name: "m20261201_000005_offsite", sql: OFFSITE },
];

impl MigratorTrait for SystemMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        MIGRATIONS.iter().map(|m| Box::new(*m) as Box<dyn MigrationTrait>).collect()
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

/// Lockout counts each attempt as a row, reserved (`pending`) before the password is checked and
/// settled after, per account and per client address (replaces the per-name-and-address
/// counters of `login_failures`; their counts are short-lived and simply start again).
const LOGIN_ATTEMPTS: &str = r#"
DROP TABLE login_failures;
CREATE TABLE login_attempts (
    id      INTEGER PRIMARY KEY,
    scope   TEXT    NOT NULL CHECK (scope IN ('account', 'address')),
    key     TEXT    NOT NULL,
    at      INTEGER NOT NULL,
    outcome TEXT    NOT NULL CHECK (outcome IN ('pending', 'failed'))
);
CREATE INDEX login_attempts_key ON login_attempts (scope, key, at);
"#;

/// "Download a fresh backup" gets its own trigger, `download`. SQLite cannot change a CHECK
/// constraint in place, so the catalogue is rebuilt and copied, ids and timelines kept. The events
/// move first: dropping `backups` while they still pointed at it would cascade-delete them.
/// Renaming a table rewrites the foreign keys that name it, so `backup_events` ends up
/// referencing `backups` again.
const DOWNLOAD_TRIGGER: &str = r#"
CREATE TABLE backups_new (
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
    trigger            TEXT    NOT NULL CHECK (trigger IN ('manual', 'scheduled', 'cli', 'pre-restore', 'upload', 'download')),
    sha256             TEXT,
    integrity_ok       INTEGER,
    temp_path          TEXT,
    pruned_at          TEXT,
    deleted_at         TEXT,
    download_count     INTEGER NOT NULL DEFAULT 0,
    last_downloaded_at TEXT,
    restored_at        TEXT
);
INSERT INTO backups_new SELECT * FROM backups;
-- Ids are never reused, even those of rows that are gone.
DELETE FROM sqlite_sequence WHERE name = 'backups_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'backups_new', MAX(seq) FROM (
        SELECT seq FROM sqlite_sequence WHERE name = 'backups'
        UNION ALL SELECT COALESCE(MAX(id), 0) FROM backups_new
    );
CREATE TABLE backup_events_new (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    backup_id INTEGER NOT NULL REFERENCES backups_new (id) ON DELETE CASCADE,
    at        TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    detail    TEXT
);
INSERT INTO backup_events_new SELECT * FROM backup_events;
DELETE FROM sqlite_sequence WHERE name = 'backup_events_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'backup_events_new', MAX(seq) FROM (
        SELECT seq FROM sqlite_sequence WHERE name = 'backup_events'
        UNION ALL SELECT COALESCE(MAX(id), 0) FROM backup_events_new
    );
DROP TABLE backup_events;
DROP TABLE backups;
ALTER TABLE backups_new RENAME TO backups;
ALTER TABLE backup_events_new RENAME TO backup_events;
CREATE INDEX backups_created ON backups (created_at);
CREATE INDEX backups_status ON backups (status);
CREATE INDEX backup_events_backup ON backup_events (backup_id, at);
"#;

/// Off-site copies: the remote state of each backup, and the trigger `remote` (a copy downloaded
/// from the remote). SQLite cannot change a CHECK constraint in place, so the catalogue is rebuilt
/// and copied, ids and timelines kept. The events move first: dropping `backups` while they still
/// pointed at it would cascade-delete them. Renaming a table rewrites the foreign keys that name
/// it, so `backup_events` ends up referencing `backups` again.
const OFFSITE: &str = r#"
CREATE TABLE backups_new (
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
    trigger            TEXT    NOT NULL CHECK (trigger IN ('manual', 'scheduled', 'cli', 'pre-restore', 'upload', 'download', 'remote')),
    sha256             TEXT,
    integrity_ok       INTEGER,
    temp_path          TEXT,
    pruned_at          TEXT,
    deleted_at         TEXT,
    download_count     INTEGER NOT NULL DEFAULT 0,
    last_downloaded_at TEXT,
    restored_at        TEXT,
    remote_state       TEXT    CHECK (remote_state IN ('pending', 'uploading', 'uploaded', 'failed', 'pruned')),
    remote_key         TEXT,
    remote_uploaded_at TEXT,
    remote_attempts    INTEGER NOT NULL DEFAULT 0,
    remote_error       TEXT,
    remote_next_at     TEXT,
    remote_upload_ms   INTEGER,
    remote_verify_ms   INTEGER,
    remote_pruned_at   TEXT
);
INSERT INTO backups_new (id, filename, created_at, finished_at, size_bytes, duration_ms, copy_ms, verify_ms,
    status, error, trigger, sha256, integrity_ok, temp_path, pruned_at, deleted_at, download_count,
    last_downloaded_at, restored_at)
SELECT id, filename, created_at, finished_at, size_bytes, duration_ms, copy_ms, verify_ms, status, error,
    trigger, sha256, integrity_ok, temp_path, pruned_at, deleted_at, download_count, last_downloaded_at,
    restored_at
FROM backups;
-- Ids are never reused, even those of rows that are gone.
DELETE FROM sqlite_sequence WHERE name = 'backups_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'backups_new', MAX(seq) FROM (
        SELECT seq FROM sqlite_sequence WHERE name = 'backups'
        UNION ALL SELECT COALESCE(MAX(id), 0) FROM backups_new
    );
CREATE TABLE backup_events_new (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    backup_id INTEGER NOT NULL REFERENCES backups_new (id) ON DELETE CASCADE,
    at        TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    detail    TEXT
);
INSERT INTO backup_events_new (id, backup_id, at, kind, detail)
    SELECT id, backup_id, at, kind, detail FROM backup_events;
DELETE FROM sqlite_sequence WHERE name = 'backup_events_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'backup_events_new', MAX(seq) FROM (
        SELECT seq FROM sqlite_sequence WHERE name = 'backup_events'
        UNION ALL SELECT COALESCE(MAX(id), 0) FROM backup_events_new
    );
DROP TABLE backup_events;
DROP TABLE backups;
ALTER TABLE backups_new RENAME TO backups;
ALTER TABLE backup_events_new RENAME TO backup_events;
CREATE INDEX backups_created ON backups (created_at);
CREATE INDEX backups_status ON backups (status);
CREATE INDEX backups_remote_state ON backups (remote_state);
CREATE INDEX backup_events_backup ON backup_events (backup_id, at);
"#;
