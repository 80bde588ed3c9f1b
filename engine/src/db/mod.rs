//! Opening the SQLite databases the way production wants them: the seed's PRAGMAs on every
//! connection, one writer connection through which every write goes, and a pool of readers.

mod connect;
mod header;
pub mod schema;
mod writer;

pub use connect::{
    DbKind, MIN_SQLITE_VERSION, POOL_READERS, PRAGMAS, display_pragma, sqlite_version, sqlite_version_number,
};
pub use header::{HeaderError, check_header, read_header};
pub use writer::{WriteGate, Writer};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

/// The write-ahead log beside a database file: `<path>-wal`.
pub fn wal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// How long a write waits while a restore holds writes before it gives up (the API answers 503).
pub const WRITE_HOLD_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{path}: {reason}")]
    Unusable { path: PathBuf, reason: String },
    #[error("{0}")]
    TooOld(String),
    #[error("writes are on hold while the database is being restored; retry shortly")]
    WritesHeld,
    #[error(transparent)]
    Sql(#[from] DbErr),
}

impl DbError {
    pub(crate) fn unusable(path: &Path, reason: impl std::fmt::Display) -> Self {
        DbError::Unusable { path: path.to_path_buf(), reason: reason.to_string() }
    }
}

/// One SQLite database file: a writer connection (pool of one) and a pool of reader connections.
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

struct Inner {
    kind: DbKind,
    path: PathBuf,
    writer: DatabaseConnection,
    readers: DatabaseConnection,
    gate: WriteGate,
    /// Set when the database closes: stops the background checkpointer.
    closing: Arc<std::sync::atomic::AtomicBool>,
    /// A connection of its own for `PRAGMA data_version`, opened on first use (see
    /// [`Database::data_version`]).
    watcher: std::sync::Mutex<Option<rusqlite::Connection>>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("kind", &self.inner.kind).field("path", &self.inner.path).finish()
    }
}

impl Database {
    /// Opens (creating if missing) the database at `path`, checks it cheaply and applies the
    /// migrations of its kind. Never overwrites or truncates an existing file.
    pub async fn open(kind: DbKind, path: &Path) -> Result<Self, DbError> {
        let db = Self::open_without_migrating(kind, path).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Opens the database without applying migrations (for `smallstack db …` and restores).
    pub async fn open_without_migrating(kind: DbKind, path: &Path) -> Result<Self, DbError> {
        connect::ensure_supported_sqlite()?;
        connect::prepare_file(path)?;
        let writer = connect::writer_pool(path).await?;
        let readers = connect::reader_pool(path).await?;
        let db = Database {
            inner: Arc::new(Inner {
                kind,
                path: path.to_path_buf(),
                writer,
                readers,
                gate: WriteGate::default(),
                closing: Arc::default(),
                watcher: std::sync::Mutex::new(None),
            }),
        };
        db.check_schema().await?;
        Ok(db)
    }

    pub fn kind(&self) -> DbKind {
        self.inner.kind
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The reader pool: for queries only (its connections are opened read-only).
    pub fn reader(&self) -> &DatabaseConnection {
        &self.inner.readers
    }

    /// Waits (asynchronously) for the right to write. Writes are held while a restore runs; after
    /// [`WRITE_HOLD_TIMEOUT`] this gives up with [`DbError::WritesHeld`].
    pub async fn writer(&self) -> Result<Writer, DbError> {
        self.inner.gate.enter(&self.inner.writer).await
    }

    /// The gate that a restore closes to hold new writes.
    pub fn write_gate(&self) -> &WriteGate {
        &self.inner.gate
    }

    /// The writer connection itself, for the restore that already holds the gate closed.
    pub(crate) fn writer_connection(&self) -> &DatabaseConnection {
        &self.inner.writer
    }

    pub async fn migrate(&self) -> Result<(), DbError> {
        let w = self.writer().await?;
        crate::migrations::apply(self.inner.kind, w.conn()).await?;
        Ok(())
    }

    /// SQLite's `PRAGMA data_version`, read on one connection that never writes: it changes
    /// whenever any other connection — this process's writer or another process — commits. A
    /// cache keyed on it is never stale.
    ///
    /// It runs right here rather than on a pooled connection's worker thread: the pragma takes a
    /// microsecond, far less than the hand-over to another thread and back would.
    pub async fn data_version(&self) -> Result<i64, DbError> {
        let mut watcher =
            self.inner.watcher.lock().map_err(|_| DbErr::Custom("the data_version connection is poisoned".into()))?;
        if watcher.is_none() {
            let conn =
                rusqlite::Connection::open_with_flags(&self.inner.path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                    .map_err(|e| DbError::unusable(self.path(), e))?;
            *watcher = Some(conn);
        }
        let conn = watcher.as_ref().ok_or_else(|| DbErr::Custom("no data_version connection".into()))?;
        conn.query_row("PRAGMA data_version", [], |row| row.get::<_, i64>(0))
            .map_err(|e| DbError::Sql(DbErr::Custom(format!("PRAGMA data_version: {e}"))))
    }

    /// Moves WAL checkpoints off the writer's commits (the server does this; short CLI runs keep
    /// SQLite's automatic ones). By default the commit that crosses 1000 WAL pages copies them
    /// back into the database itself, and a backup's long read transaction lets that pile up:
    /// writers saw latency spikes of 100 ms while a backup ran. Here the writer never
    /// checkpoints; a thread of its own runs a PASSIVE checkpoint (which never waits for a lock
    /// nor blocks a writer) four times a second, so the WAL stays short.
    pub async fn checkpoint_in_background(&self) -> Result<(), DbError> {
        const EVERY: std::time::Duration = std::time::Duration::from_millis(250);
        let w = self.writer().await?;
        w.conn().execute_unprepared("PRAGMA wal_autocheckpoint = 0").await?;
        drop(w);
        let conn = rusqlite::Connection::open(&self.inner.path).map_err(|e| DbError::unusable(self.path(), e))?;
        let closing = self.inner.closing.clone();
        let label = self.path().display().to_string();
        std::thread::Builder::new()
            .name("checkpointer".into())
            .spawn(move || {
                while !closing.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(EVERY);
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                        tracing::warn!(database = %label, error = %e, "background checkpoint failed");
                    }
                }
            })
            .map_err(|e| DbError::unusable(self.path(), format!("cannot start the checkpoint thread: {e}")))?;
        Ok(())
    }

    /// A real query against the database, for `/health`.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.reader().execute_unprepared("SELECT count(*) FROM sqlite_schema").await?;
        Ok(())
    }

    /// What this database lacks that the app needs, compared with the schema its applied
    /// migrations make (empty when it is whole): missing tables or indexes, tables with other
    /// columns. For `/health`: a database someone changed by hand, or one a restore could not
    /// have brought in.
    pub async fn missing_parts(&self) -> Result<Vec<String>, DbError> {
        let backend = sea_orm::DbBackend::Sqlite;
        let reader = self.reader();
        let applied: Vec<String> = reader
            .query_all_raw(Statement::from_string(
                backend,
                format!("SELECT version FROM {}", crate::migrations::MIGRATIONS_TABLE),
            ))
            .await
            .unwrap_or_default()
            .iter()
            .filter_map(|r| r.try_get_by_index::<String>(0).ok())
            .collect();
        let version = match schema::version_of(self.inner.kind, &applied) {
            Ok(version) => version,
            Err(problem) => return Ok(vec![problem]),
        };
        let objects = reader.query_all_raw(Statement::from_string(backend, schema::OBJECTS_SQL)).await?;
        let columns = reader.query_all_raw(Statement::from_string(backend, schema::COLUMNS_SQL)).await?;
        let found = schema::Schema::from_rows(
            objects.iter().filter_map(|r| {
                Some((r.try_get_by_index(0).ok()?, r.try_get_by_index(1).ok()?, r.try_get_by_index(2).ok()?))
            }),
            columns.iter().filter_map(|r| {
                Some((
                    r.try_get_by_index(0).ok()?,
                    schema::Column {
                        name: r.try_get_by_index(1).ok()?,
                        declared_type: r.try_get_by_index(2).ok()?,
                        not_null: r.try_get_by_index::<i64>(3).ok()? != 0,
                        default: r.try_get_by_index(4).ok()?,
                        primary_key: r.try_get_by_index(5).ok()?,
                    },
                ))
            }),
        );
        let expected = schema::reference(self.inner.kind, version).map_err(DbErr::Custom)?;
        Ok(schema::missing_parts(&expected, &found))
    }

    /// Reading the schema touches page 1 and the schema table: cheap, independent of the file's
    /// size, and enough to refuse a file whose first page is damaged.
    async fn check_schema(&self) -> Result<(), DbError> {
        self.reader()
            .query_one_raw(Statement::from_string(sea_orm::DbBackend::Sqlite, "SELECT count(*) FROM sqlite_schema"))
            .await
            .map_err(|e| DbError::unusable(self.path(), format!("cannot read the schema: {e}")))?;
        Ok(())
    }

    /// Runs `PRAGMA integrity_check` and returns the problems found (empty when the result is `ok`).
    pub async fn integrity_check(&self) -> Result<Vec<String>, DbError> {
        let rows = self
            .reader()
            .query_all_raw(Statement::from_string(sea_orm::DbBackend::Sqlite, "PRAGMA integrity_check"))
            .await?;
        let lines: Vec<String> = rows.iter().filter_map(|r| r.try_get_by_index::<String>(0).ok()).collect();
        Ok(if lines.len() == 1 && lines[0] == "ok" { Vec::new() } else { lines })
    }

    pub async fn vacuum(&self) -> Result<(), DbError> {
        let w = self.writer().await?;
        w.conn().execute_unprepared("VACUUM").await?;
        Ok(())
    }

    /// `PRAGMA wal_checkpoint(TRUNCATE)`: returns (busy, wal frames, frames checkpointed).
    pub async fn checkpoint(&self) -> Result<(i64, i64, i64), DbError> {
        let w = self.writer().await?;
        let row = w
            .conn()
            .query_one_raw(Statement::from_string(sea_orm::DbBackend::Sqlite, "PRAGMA wal_checkpoint(TRUNCATE)"))
            .await?
            .ok_or_else(|| DbErr::Custom("wal_checkpoint returned no row".into()))?;
        Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?, row.try_get_by_index(2)?))
    }

    /// Reads one PRAGMA's current value as text from a given connection pool.
    pub async fn pragma(conn: &DatabaseConnection, name: &str) -> Result<String, DbError> {
        let row = conn
            .query_one_raw(Statement::from_string(sea_orm::DbBackend::Sqlite, format!("PRAGMA {name}")))
            .await?
            .ok_or_else(|| DbErr::Custom(format!("PRAGMA {name} returned no row")))?;
        let value =
            row.try_get_by_index::<String>(0).or_else(|_| row.try_get_by_index::<i64>(0).map(|v| v.to_string()))?;
        Ok(value)
    }

    /// The PRAGMAs of [`PRAGMAS`] read back from a live connection: the writer when `writer` is
    /// true, a reader otherwise.
    pub async fn read_pragmas(&self, writer: bool) -> Result<Vec<(&'static str, String)>, DbError> {
        let guard;
        let conn = if writer {
            guard = self.writer().await?;
            guard.conn()
        } else {
            self.reader()
        };
        let mut out = Vec::with_capacity(PRAGMAS.len());
        for (name, _) in PRAGMAS {
            out.push((*name, display_pragma(name, &Self::pragma(conn, name).await?)));
        }
        Ok(out)
    }

    /// Closes both pools (after a WAL checkpoint, so the `-wal` file is left empty).
    pub async fn close(&self) -> Result<(), DbError> {
        self.inner.closing.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut watcher) = self.inner.watcher.lock() {
            watcher.take();
        }
        let _ = self.checkpoint().await;
        self.inner.readers.get_sqlite_connection_pool().close().await;
        self.inner.writer.get_sqlite_connection_pool().close().await;
        Ok(())
    }
}

impl Database {
    /// A SHA-256 over the content of every table (rows in rowid order, values quoted by SQLite):
    /// equal before and after means nothing was written. For tests and fault checks.
    pub async fn content_fingerprint(&self) -> Result<String, DbError> {
        use sha2::{Digest, Sha256};
        let backend = sea_orm::DbBackend::Sqlite;
        let tables = self
            .reader()
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            ))
            .await?;
        let mut hasher = Sha256::new();
        for table in tables {
            let name: String = table.try_get_by_index(0)?;
            let columns = self
                .reader()
                .query_all_raw(Statement::from_string(backend, format!("SELECT name FROM pragma_table_info('{name}')")))
                .await?;
            let quoted: Vec<String> = columns
                .iter()
                .filter_map(|c| c.try_get_by_index::<String>(0).ok())
                .map(|c| format!("quote(\"{c}\")"))
                .collect();
            let sql = format!(
                "SELECT coalesce(group_concat(r, char(10)), '') FROM (SELECT {} AS r FROM \"{name}\" ORDER BY rowid)",
                quoted.join(" || '|' || ")
            );
            let row = self.reader().query_one_raw(Statement::from_string(backend, sql)).await?;
            let content: String = row.map(|r| r.try_get_by_index(0)).transpose()?.unwrap_or_default();
            hasher.update(name.as_bytes());
            hasher.update(b"\n");
            hasher.update(content.as_bytes());
            hasher.update(b"\n");
        }
        Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }
}
