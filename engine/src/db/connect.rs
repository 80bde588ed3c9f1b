use super::{DbError, header};
use sea_orm::{DatabaseConnection, SqlxSqliteConnector};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::{path::Path, time::Duration};

/// The seed's settings, applied to every connection (writer and readers), in this order, as
/// [`display_pragma`] shows them. `busy_timeout` is in milliseconds.
pub const PRAGMAS: &[(&str, &str)] = &[
    ("journal_mode", "WAL"),
    ("synchronous", "NORMAL"),
    ("temp_store", "MEMORY"),
    ("mmap_size", "134217728"),
    ("journal_size_limit", "27103364"),
    ("cache_size", "2000"),
    ("busy_timeout", "5000"),
    ("foreign_keys", "ON"),
];

/// SQLite answers some PRAGMAs with numbers; this names them the way they are set.
pub fn display_pragma(name: &str, raw: &str) -> String {
    let named = match (name, raw) {
        ("journal_mode", mode) => return mode.to_uppercase(),
        ("synchronous", "0") => "OFF",
        ("synchronous", "1") => "NORMAL",
        ("synchronous", "2") => "FULL",
        ("synchronous", "3") => "EXTRA",
        ("temp_store", "0") => "DEFAULT",
        ("temp_store", "1") => "FILE",
        ("temp_store", "2") => "MEMORY",
        ("foreign_keys", "0") => "OFF",
        ("foreign_keys", "1") => "ON",
        _ => raw,
    };
    named.to_string()
}

/// SQLite 3.51.3 fixes a WAL-reset bug that can corrupt a database; older libraries are refused.
pub const MIN_SQLITE_VERSION: (u32, u32, u32) = (3, 51, 3);

/// Reader connections: enough for the two cores' worth of request handlers plus a backup or a
/// long report running beside them. sea-orm's SQLite default of one would serialise every read.
pub const POOL_READERS: u32 = 8;

/// Which of the two databases a [`super::Database`] is: they have separate migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DbKind {
    /// Users, themes, presets: what a restore brings back.
    Application,
    /// Sessions, login failures, the backup catalogue and settings: never restored.
    System,
}

pub fn sqlite_version() -> &'static str {
    rusqlite::version()
}

pub fn sqlite_version_number() -> i32 {
    rusqlite::version_number()
}

pub(super) fn ensure_supported_sqlite() -> Result<(), DbError> {
    let (a, b, c) = MIN_SQLITE_VERSION;
    let min = (a * 1_000_000 + b * 1_000 + c) as i32;
    if sqlite_version_number() < min {
        return Err(DbError::TooOld(format!(
            "SQLite {} is older than {a}.{b}.{c}, which fixes a WAL-reset bug that can corrupt databases; \
             rebuild with the bundled SQLite (libsqlite3-sys 0.37)",
            sqlite_version()
        )));
    }
    Ok(())
}

/// Creates missing parent folders and checks that the file can be opened for reading and writing
/// and, when it already has content, that it is a SQLite database. Never truncates anything.
pub(super) fn prepare_file(path: &Path) -> Result<(), DbError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| DbError::unusable(path, format!("cannot create its folder {}: {e}", parent.display())))?;
    }
    if path.is_dir() {
        return Err(DbError::unusable(path, "is a directory, not a database file"));
    }
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| DbError::unusable(path, format!("cannot open for reading and writing: {e}")))?;
    header::check_header(path).map_err(|e| DbError::unusable(path, e))?;
    Ok(())
}

fn options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .pragma("temp_store", "MEMORY")
        .pragma("mmap_size", "134217728")
        .pragma("journal_size_limit", "27103364")
        .pragma("cache_size", "2000")
        .busy_timeout(Duration::from_millis(5000))
        .foreign_keys(true)
}

pub(super) async fn writer_pool(path: &Path) -> Result<DatabaseConnection, DbError> {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        // Waiting for the writer is an async wait in the pool's queue, not a busy spin in SQLite.
        .acquire_timeout(Duration::from_secs(30))
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options(path))
        .await
        .map_err(|e| DbError::unusable(path, e))?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

pub(super) async fn reader_pool(path: &Path) -> Result<DatabaseConnection, DbError> {
    let pool = SqlitePoolOptions::new()
        .max_connections(POOL_READERS)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options(path).read_only(true))
        .await
        .map_err(|e| DbError::unusable(path, e))?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}
