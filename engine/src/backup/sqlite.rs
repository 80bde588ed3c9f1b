//! The SQLite work of backups, on blocking threads: the stepped online copy, validation of a
//! file, preparing a restore's staging copy, and the copy into the live database through the
//! writer connection.

use super::{BackupError, Phase, Reporter, Unit, error::InWords, files};
use crate::{
    DbKind,
    db::{HeaderError, read_header, schema},
    migrations::{self, MIGRATIONS_TABLE},
};
use rusqlite::{
    Connection, OpenFlags,
    backup::{Backup, StepResult},
};
use serde::Serialize;
use std::{
    path::{Path, PathBuf},
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, Instant},
};

/// How long a copy keeps retrying when it cannot get a lock (another process writing to a
/// restore's destination, say) before it gives up.
const BUSY_GIVE_UP: Duration = Duration::from_secs(30);

/// What verification found out about a database file that passed every check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileCheck {
    pub path: PathBuf,
    pub size_bytes: u64,
    pub page_size: u32,
    pub page_count: u32,
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// The migrations the file has applied.
    pub migrations: Vec<String>,
    /// Migrations of this binary the file does not have yet (a restore applies them).
    pub pending_migrations: Vec<String>,
    /// Time spent on the integrity check and the checksum.
    pub verify_ms: u64,
}

fn sql_failed(context: &str) -> impl Fn(rusqlite::Error) -> BackupError + '_ {
    move |e| BackupError::failed(context, e)
}

/// Pages per step: about a hundredth of the database so progress moves smoothly, within bounds
/// that keep each step short (a step holds the source's read lock only briefly anyway: the read
/// transaction we hold keeps the snapshot fixed).
fn pages_per_step(total: u64) -> i32 {
    (total / 100).clamp(16, 2048) as i32
}

/// Copies the live database at `source` into a new file `dest`, page by page with the online
/// backup API, on a connection of its own that never takes the write lock. The source holds one
/// read transaction for the whole copy, so the snapshot stays fixed and the copy never restarts
/// however much other connections write. The copy is then switched to `journal_mode=DELETE` (an
/// ordinary database the `sqlite3` tool opens without -wal/-shm files) and fsynced.
pub(crate) fn snapshot(
    source: &Path,
    dest: &Path,
    cancel: &AtomicBool,
    reporter: &Reporter,
) -> Result<(), BackupError> {
    let src = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(sql_failed("cannot open the database to copy it"))?;
    src.busy_timeout(Duration::from_secs(5)).map_err(sql_failed("cannot set a busy timeout"))?;
    // Read the pages through a memory map of the whole file: no read() call and no copy into the
    // page cache per page, which halves the CPU a copy takes while writers compete for it.
    src.execute_batch(&format!("PRAGMA mmap_size = {}", mmap_size(source)))
        .map_err(sql_failed("cannot set up the database to copy"))?;
    src.execute_batch("BEGIN").map_err(sql_failed("cannot start a read transaction"))?;
    // The first read fixes the snapshot that the whole copy then sees.
    let total: i64 =
        src.query_row("PRAGMA page_count", [], |r| r.get(0)).map_err(sql_failed("cannot read the database"))?;
    let total = u64::try_from(total).unwrap_or(0);
    reporter.report(Phase::Copy, 0, total, Unit::Pages);

    let mut dst = Connection::open_with_flags(
        dest,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql_failed("cannot create the backup file"))?;
    // The file is fsynced once at the end; syncing every step would only slow the copy. A new
    // file has nothing a journal could restore: a failed copy is deleted whole.
    dst.execute_batch("PRAGMA synchronous = OFF; PRAGMA journal_mode = OFF; PRAGMA locking_mode = EXCLUSIVE;")
        .map_err(sql_failed("cannot set up the backup file"))?;
    {
        let backup = Backup::new(&src, &mut dst).map_err(sql_failed("cannot start the copy"))?;
        step_to_done(&backup, pages_per_step(total), cancel, reporter, Phase::Copy)?;
    }
    src.execute_batch("COMMIT").map_err(sql_failed("cannot end the read transaction"))?;
    drop(src);

    // The copy carries the source's WAL flag in its header; make it an ordinary database.
    let mode: String = dst
        .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
        .map_err(sql_failed("cannot switch the copy to journal_mode=DELETE"))?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(BackupError::Failed(format!("the copy stayed in journal_mode={mode}")));
    }
    dst.close().map_err(|(_, e)| BackupError::failed("cannot close the backup file", e))?;
    files::sync_file(dest)
}

/// Enough memory map for the whole file (SQLite caps it at its compile-time maximum).
fn mmap_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0).max(1 << 20) * 2
}

fn step_to_done(
    backup: &Backup<'_, '_>,
    pages: i32,
    cancel: &AtomicBool,
    reporter: &Reporter,
    phase: Phase,
) -> Result<(), BackupError> {
    let mut busy_since: Option<Instant> = None;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(BackupError::ShuttingDown);
        }
        match backup.step(pages).map_err(describe_copy_error)? {
            StepResult::Done => {
                let p = backup.progress();
                let total = u64::try_from(p.pagecount).unwrap_or(0);
                reporter.report(phase, total, total, Unit::Pages);
                return Ok(());
            }
            StepResult::Busy | StepResult::Locked => {
                let since = *busy_since.get_or_insert_with(Instant::now);
                if since.elapsed() > BUSY_GIVE_UP {
                    return Err(BackupError::Failed(format!(
                        "the copy could not get a lock for {} seconds (another process keeps the database busy)",
                        BUSY_GIVE_UP.as_secs()
                    )));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            _ => {
                busy_since = None;
                let p = backup.progress();
                let total = u64::try_from(p.pagecount).unwrap_or(0);
                let done = total.saturating_sub(u64::try_from(p.remaining).unwrap_or(0));
                reporter.report(phase, done, total, Unit::Pages);
            }
        }
    }
}

/// The copy's errors, with the two a full disk gives spelled out.
fn describe_copy_error(e: rusqlite::Error) -> BackupError {
    match e.sqlite_error() {
        Some(err) if err.code == rusqlite::ErrorCode::DiskFull => {
            tracing::warn!(error = %e, "the copy failed");
            BackupError::Failed("the copy failed: the disk is full".into())
        }
        Some(err) if err.extended_code == rusqlite::ffi::SQLITE_IOERR_WRITE => {
            tracing::warn!(error = %e, "the copy failed");
            BackupError::Failed("the copy failed: writing failed (a full disk or a file-size limit gives this)".into())
        }
        _ => BackupError::failed("the copy failed", e),
    }
}

/// A `file:` URI that opens `path` read-only and immutable: SQLite takes no locks and creates no
/// -wal/-shm files beside it, whatever its header says.
fn immutable_uri(path: &Path) -> Result<String, BackupError> {
    let absolute = std::path::absolute(path).map_err(|e| BackupError::failed("cannot find the file's full path", e))?;
    let mut uri = String::from("file:");
    for &b in absolute.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    Ok(uri)
}

/// What [`validate`] checks a file for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A copy this engine just made of the live database: whole, and of a version it knows.
    OwnCopy,
    /// A file from outside (an upload, a restore source, `backup verify`): also exactly the
    /// schema its migrations make, so nothing foreign (a trigger that makes someone staff, a
    /// view, a table with other columns) reaches the live database, and nothing is missing.
    Source,
}

/// What a SQLite error means, in words a person can act on (the error itself goes to the log).
pub(crate) fn in_words(e: &rusqlite::Error) -> &'static str {
    use rusqlite::ErrorCode as C;
    match e.sqlite_error_code() {
        Some(C::NotADatabase) => "it is not a SQLite database, or it is encrypted",
        Some(C::DatabaseCorrupt) => "it is damaged",
        Some(C::CannotOpen) => "it cannot be opened",
        Some(C::PermissionDenied) => "permission to read it was denied",
        Some(C::DiskFull) => "the disk is full",
        Some(C::SystemIoFailure) => "reading it failed (an I/O error)",
        Some(C::DatabaseBusy | C::DatabaseLocked) => "another process holds it locked",
        Some(C::OutOfMemory) => "the server ran out of memory",
        _ => "SQLite cannot read it",
    }
}

/// Checks that `path` is a SmallStack application database this binary can take: a regular,
/// non-empty file with a valid SQLite header, `PRAGMA integrity_check` ok, the migrations table
/// present, no migration this binary does not know and, for a [`Purpose::Source`], exactly the
/// schema of its migration version. Never writes to it. Every error is [`BackupError::Invalid`]
/// naming the file by `label` and the problem in words (SQLite's own report goes to the log).
///
/// `label` is how messages name the file (a restore validates a private staging copy but names
/// the file the user gave, by its name when it is a catalogued backup).
pub(crate) fn validate(
    path: &Path,
    label: &str,
    purpose: Purpose,
    cancel: &AtomicBool,
    reporter: &Reporter,
) -> Result<FileCheck, BackupError> {
    let started = Instant::now();
    let shown = label;
    // Each problem is said as what the file does or is: "the uploaded file is empty".
    let invalid = |problem: String| BackupError::invalid(format!("{shown} {problem}"));
    let unreadable = |what: &str, e: rusqlite::Error| {
        tracing::warn!(file = shown, error = %e, "{what}");
        invalid(format!("{what}: {}", in_words(&e)))
    };
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => invalid("does not exist (no such file)".into()),
        _ => invalid(format!("cannot be read: {}", e.in_words())),
    })?;
    if !meta.is_file() {
        return Err(invalid("is not a regular file".into()));
    }
    let (page_size, page_count) = read_header(path).map_err(|e| match e {
        HeaderError::Empty => invalid("is empty".into()),
        HeaderError::Io(_) => invalid("cannot be read".into()),
        other => invalid(other.to_string()),
    })?;
    reporter.report(Phase::Verify, 0, 1, Unit::Steps);

    let conn = Connection::open_with_flags(
        immutable_uri(path)?,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| unreadable("cannot be opened", e))?;
    conn.execute_batch(&format!("PRAGMA mmap_size = {}", mmap_size(path)))
        .map_err(|e| unreadable("cannot be read", e))?;
    let problems: Vec<String> = conn
        .prepare("PRAGMA integrity_check(10)")
        .and_then(|mut stmt| stmt.query_map([], |r| r.get::<_, String>(0))?.collect())
        .map_err(|e| unreadable("is damaged", e))?;
    if problems != ["ok"] {
        tracing::warn!(file = shown, problems = %problems.join("; "), "integrity_check failed");
        let count = if problems.len() >= 10 { "10 or more".to_string() } else { problems.len().to_string() };
        return Err(invalid(format!(
            "is damaged: SQLite's integrity check (PRAGMA integrity_check) found {count} problem{}",
            if problems.len() == 1 { "" } else { "s" }
        )));
    }
    let has_table: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            [MIGRATIONS_TABLE],
            |r| r.get(0),
        )
        .map_err(|e| unreadable("cannot read its schema", e))?;
    if !has_table {
        return Err(invalid(format!(
            "has no {MIGRATIONS_TABLE} table, so it is not a SmallStack database (another application's file?)"
        )));
    }
    let applied: Vec<String> = conn
        .prepare(&format!("SELECT version FROM {MIGRATIONS_TABLE} ORDER BY version"))
        .and_then(|mut stmt| stmt.query_map([], |r| r.get::<_, String>(0))?.collect())
        .map_err(|e| unreadable(&format!("cannot read its {MIGRATIONS_TABLE} table"), e))?;
    let known = migrations::known(DbKind::Application);
    let unknown: Vec<&String> = applied.iter().filter(|m| !known.contains(m)).collect();
    if !unknown.is_empty() {
        let system = migrations::known(DbKind::System);
        if applied.iter().all(|m| system.contains(m)) {
            return Err(invalid(
                "is a SmallStack system database (sessions, backup catalogue), not the application database".into(),
            ));
        }
        let list: Vec<&str> = unknown.iter().map(|s| s.as_str()).collect();
        return Err(invalid(format!(
            "was made by a newer SmallStack: it has migrations this version does not know ({})",
            list.join(", ")
        )));
    }
    if purpose == Purpose::Source {
        check_schema(&conn, &applied).map_err(invalid)?;
    }
    drop(conn);
    let pending = known.into_iter().filter(|m| !applied.contains(m)).collect();
    reporter.report(Phase::Verify, 1, 1, Unit::Steps);
    let sha256 = files::sha256_file(path, cancel, reporter)?;
    Ok(FileCheck {
        path: path.to_path_buf(),
        size_bytes: meta.len(),
        page_size,
        page_count,
        sha256,
        migrations: applied,
        pending_migrations: pending,
        verify_ms: started.elapsed().as_millis() as u64,
    })
}

/// The file's schema against the one its migrations make: the differences, named.
fn check_schema(conn: &Connection, applied: &[String]) -> Result<(), String> {
    let version = schema::version_of(DbKind::Application, applied)?;
    let expected = schema::reference(DbKind::Application, version)?;
    let found = schema::Schema::read(conn).map_err(|e| format!("cannot read its schema: {}", in_words(&e)))?;
    let differences = schema::differences(&expected, &found);
    if differences.is_empty() {
        return Ok(());
    }
    Err(format!(
        "its schema is not the one its migrations make, so it is refused: {}",
        schema::describe(&differences, 10)
    ))
}

/// Copies `source`'s bytes into the staging file `dest` (a plain copy: a backup file is an
/// ordinary database), reporting bytes, then fsyncs it. `label` names the source in errors.
pub(crate) fn copy_file(
    source: &Path,
    label: &str,
    dest: &Path,
    cancel: &AtomicBool,
    reporter: &Reporter,
) -> Result<u64, BackupError> {
    use std::io::{Read, Write};
    let mut input = std::fs::File::open(source)
        .map_err(|e| BackupError::invalid(format!("{label}: cannot be read: {}", e.in_words())))?;
    let total = input.metadata().map(|m| m.len()).unwrap_or(0);
    let mut output = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dest)
        .map_err(|e| BackupError::failed("cannot create the staging copy", e))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0u64;
    reporter.report(Phase::Validate, 0, total, Unit::Bytes);
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(BackupError::ShuttingDown);
        }
        let n = input
            .read(&mut buf)
            .map_err(|e| BackupError::invalid(format!("{label}: cannot be read: {}", e.in_words())))?;
        if n == 0 {
            break;
        }
        output.write_all(&buf[..n]).map_err(|e| BackupError::failed("cannot write the staging copy", e))?;
        done += n as u64;
        reporter.report(Phase::Validate, done, total, Unit::Bytes);
    }
    output.sync_all().map_err(|e| BackupError::failed("cannot sync the staging copy", e))?;
    Ok(done)
}

/// Gets a validated staging copy ready to be copied into the live database: an ordinary
/// rollback-journal file whose page size equals the live database's. The online backup API
/// cannot change the page size of a WAL destination, so a different page size is converted here,
/// on the private copy (`VACUUM` may change the page size outside WAL mode). Returns whether it
/// converted.
pub(crate) fn prepare_staged(path: &Path, live_page_size: u32) -> Result<bool, BackupError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(sql_failed("cannot open the staging copy"))?;
    let _: String = conn
        .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
        .map_err(sql_failed("cannot prepare the staging copy"))?;
    let page_size: i64 =
        conn.query_row("PRAGMA page_size", [], |r| r.get(0)).map_err(sql_failed("cannot read the staging copy"))?;
    let converted = page_size != i64::from(live_page_size);
    if converted {
        conn.execute_batch(&format!("PRAGMA page_size = {live_page_size}; VACUUM;"))
            .map_err(sql_failed("cannot convert the page size of the staging copy"))?;
        let now: i64 =
            conn.query_row("PRAGMA page_size", [], |r| r.get(0)).map_err(sql_failed("cannot read the staging copy"))?;
        if now != i64::from(live_page_size) {
            return Err(BackupError::Failed(format!(
                "the source's page size {page_size} could not be converted to the live database's {live_page_size}"
            )));
        }
    }
    conn.close().map_err(|(_, e)| BackupError::failed("cannot close the staging copy", e))?;
    Ok(converted)
}

/// Copies the staging file into the live database through `dest`, the writer connection (see
/// [`with_raw_connection`]). The destination's write lock is held from the first step to the
/// last and the pages are committed together, so readers see the old database until the commit
/// and the new one after it, never a mix. WAL mode stays (SQLite keeps the destination's
/// journal mode), and the schema cookie changes so every connection, in any process, reloads its
/// schema.
pub(crate) fn copy_into(staged: &Path, dest: &mut Connection, reporter: &Reporter) -> Result<(), BackupError> {
    let src = Connection::open_with_flags(staged, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(sql_failed("cannot open the staging copy"))?;
    let total: i64 =
        src.query_row("PRAGMA page_count", [], |r| r.get(0)).map_err(sql_failed("cannot read the staging copy"))?;
    let total = u64::try_from(total).unwrap_or(0);
    reporter.report(Phase::Restore, 0, total, Unit::Pages);
    let backup = Backup::new(&src, dest).map_err(sql_failed("cannot start copying into the live database"))?;
    // Never cancelled half-way: cancelling would only roll back, but a restore that was asked for
    // should finish once writes are held.
    let never = AtomicBool::new(false);
    step_to_done(&backup, pages_per_step(total), &never, reporter, Phase::Restore)
}

/// Lends the sqlx connection behind `handle` to `f` as a rusqlite [`Connection`], so the
/// online-backup API can write into the live database through the engine's one writer
/// connection (other connections, in this process or others, stay valid: nothing swaps files
/// under them).
#[allow(unsafe_code)]
pub(crate) fn with_raw_connection<T>(
    handle: &mut sqlx::sqlite::LockedSqliteHandle<'_>,
    f: impl FnOnce(&mut Connection) -> T,
) -> Result<T, BackupError> {
    let raw = handle.as_raw_handle().as_ptr();
    // SAFETY: `raw` is the open `sqlite3*` of the sqlx connection that `handle` locks: sqlx's
    // worker cannot use it while the lock is held, and the lock outlives this call because
    // `handle` is borrowed for all of it. `from_handle` makes a non-owning Connection (dropping it
    // does not close the handle), and `f` only borrows it, so it cannot outlive this function.
    // libsqlite3-sys is one crate for sqlx and rusqlite, so both see the same SQLite library.
    let mut conn = unsafe { Connection::from_handle(raw) }.map_err(sql_failed("cannot use the writer connection"))?;
    Ok(f(&mut conn))
}
