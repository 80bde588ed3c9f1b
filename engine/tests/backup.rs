//! The backup engine against real SQLite files in a temporary folder. The disk-full, crash and
//! other-process tests re-run this test binary as a child process (see [`child`]).

use chrono::{TimeZone, Utc};
use engine::{
    Database, Engine, EngineConfig,
    backup::{
        BackupConfig, BackupError, BackupName, EventKind, LOCK_FILE, ManualClock, Phase, RestoreSource, Schedule,
        Status, TEMP_PREFIX, Trigger,
    },
};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::{
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

// ---------------------------------------------------------------------------------------------
// Helpers

fn config(dir: &Path, backup: BackupConfig) -> EngineConfig {
    EngineConfig {
        database_path: dir.join("db.sqlite3"),
        system_database_path: dir.join("system.sqlite3"),
        media_root: dir.join("media"),
        backup_dir: dir.join("backups"),
        backup,
    }
}

async fn open(dir: &Path) -> Engine {
    open_with(dir, BackupConfig::default()).await
}

async fn open_with(dir: &Path, backup: BackupConfig) -> Engine {
    Engine::open(config(dir, backup)).await.expect("open the engine")
}

async fn exec(db: &Database, sql: &str) {
    let w = db.writer().await.unwrap();
    w.conn().execute_unprepared(sql).await.unwrap();
}

async fn scalar(db: &Database, sql: &str) -> i64 {
    db.reader()
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

/// Adds about `mib` MiB (one row per page) and checkpoints: inactive users whose "password
/// hash" is 4 KB of random hex, with random negative ids so [`make_notes`]' ids stay free. Rows
/// of the real schema, since a restore refuses a file with tables of its own.
async fn fill(db: &Database, mib: usize) {
    exec(
        db,
        &format!(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {}) \
             INSERT INTO users (id, username, email, password_hash, is_active, created_at) \
             SELECT -1 - abs(random() % 1000000000000), 'fill-' || hex(randomblob(8)), \
                    'fill-' || hex(randomblob(8)) || '@example.com', hex(randomblob(2000)), 0, \
                    '2026-01-01T00:00:00Z' FROM c",
            mib * 256
        ),
    )
    .await;
    db.checkpoint().await.unwrap();
}

/// Users `note-<from>` to `note-<to>`, with those ids: rows a test counts by their `note-` names.
async fn make_notes(db: &Database, from: i64, to: i64) {
    exec(
        db,
        &format!(
            "WITH RECURSIVE c(x) AS (SELECT {from} UNION ALL SELECT x + 1 FROM c WHERE x < {to}) \
             INSERT INTO users (id, username, email, password_hash, created_at) \
             SELECT x, 'note-' || x, 'note-' || x || '@example.com', 'x', '2026-01-01T00:00:00Z' FROM c"
        ),
    )
    .await;
}

fn file_count(path: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn integrity(path: &Path) -> String {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap()
}

/// The names in the backup folder, sorted, without the lock file.
fn backup_dir_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("backups"))
        .map(|entries| entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.retain(|n| n != LOCK_FILE);
    names.sort();
    names
}

fn temp_files(dir: &Path) -> Vec<String> {
    backup_dir_names(dir).into_iter().filter(|n| n.starts_with(TEMP_PREFIX)).collect()
}

async fn fingerprints(engine: &Engine) -> (String, String) {
    (engine.app_db.content_fingerprint().await.unwrap(), engine.system_db.content_fingerprint().await.unwrap())
}

fn backup_path(dir: &Path, filename: &str) -> PathBuf {
    dir.join("backups").join(filename)
}

/// Re-runs this test binary with only `test` (an ignored helper test) and the data folder in
/// the environment: a real second process.
const CHILD_ENV: &str = "SMALLSTACK_BACKUP_TEST_CHILD_DIR";

fn child(test: &str, dir: &Path) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", test, "--nocapture", "--include-ignored", "--test-threads=1"]).env(CHILD_ENV, dir);
    cmd
}

fn child_dir() -> Option<PathBuf> {
    std::env::var_os(CHILD_ENV).map(PathBuf::from)
}

// ---------------------------------------------------------------------------------------------
// Snapshots

#[tokio::test]
async fn a_backup_is_an_ordinary_verified_database() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).await;
    make_notes(&engine.app_db, 1, 100).await;
    let record = engine.backups.create(Trigger::Cli).await.unwrap();

    assert_eq!(record.status, Status::Success);
    assert_eq!(record.trigger, Trigger::Cli);
    assert!(BackupName::parse(&record.filename).is_ok(), "{}", record.filename);
    assert_eq!(record.integrity_ok, Some(true));
    assert!(record.duration_ms.is_some() && record.copy_ms.is_some() && record.verify_ms.is_some());
    let path = backup_path(dir.path(), &record.filename);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(record.size_bytes, Some(bytes.len() as u64));
    use sha2::Digest;
    let sha: String = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(record.sha256.as_deref(), Some(sha.as_str()));
    // Rollback-journal header (1, 1), not WAL (2, 2): opens without -wal/-shm files.
    assert_eq!(&bytes[18..20], &[1, 1]);
    assert_eq!(backup_dir_names(dir.path()), vec![record.filename.clone()]);
    assert_eq!(file_count(&path, "SELECT count(*) FROM users WHERE username LIKE 'note-%'"), 100);
    assert_eq!(integrity(&path), "ok");

    // The sqlite3 tool, where installed, sees an ordinary database too.
    if let Ok(out) = Command::new("sqlite3")
        .arg(&path)
        .arg("PRAGMA journal_mode; SELECT count(*) FROM users WHERE username LIKE 'note-%';")
        .output()
    {
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(text.split_whitespace().collect::<Vec<_>>(), ["delete", "100"], "{text}");
    }

    let kinds: Vec<EventKind> = engine.backups.events(record.id).await.unwrap().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::Created, EventKind::Verified]);
    let listed = engine.backups.list().await.unwrap();
    assert_eq!(listed, vec![record.clone()]);
    assert_eq!(engine.backups.find_by_name(&record.filename).await.unwrap(), record);

    // Two backups in one second never collide: the second gets -2 (or a later second).
    let second = engine.backups.create(Trigger::Manual).await.unwrap();
    assert_ne!(second.filename, record.filename);
    assert!(backup_path(dir.path(), &second.filename).is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_writers_during_a_backup_see_no_errors_and_the_copy_has_every_earlier_row() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).await;
    fill(&engine.app_db, 24).await;

    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let mut writers = Vec::new();
    for task in 0..16i64 {
        let (db, stop, written) = (engine.app_db.clone(), stop.clone(), written.clone());
        writers.push(tokio::spawn(async move {
            let mut n = 0i64;
            while !stop.load(Ordering::Relaxed) {
                let w = db.writer().await?;
                let txn = w.begin().await?;
                txn.execute_raw(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    "INSERT INTO users (username, email, password_hash, created_at) \
                     VALUES ('w' || ?1 || '-' || ?2, 'w' || ?1 || '-' || ?2 || '@example.com', 'x', '2026-01-01T00:00:00Z')",
                    [task.into(), n.into()],
                ))
                .await?;
                txn.commit().await?;
                written.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
            Ok::<_, engine::DbError>(n)
        }));
    }
    while written.load(Ordering::Relaxed) < 200 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Every row committed before the backup starts: ids 1..=before (no rollbacks, no deletes).
    let before = scalar(&engine.app_db, "SELECT coalesce(max(id), 0) FROM users").await;
    let at_start = written.load(Ordering::Relaxed);
    let record = engine.backups.create(Trigger::Manual).await.unwrap();
    let during = written.load(Ordering::Relaxed) - at_start;
    stop.store(true, Ordering::Relaxed);
    let mut errors = 0;
    for w in writers {
        if let Err(e) = w.await.unwrap() {
            eprintln!("writer error: {e}");
            errors += 1;
        }
    }
    assert_eq!(errors, 0, "writers must see no errors");
    assert!(during > 0, "writers must keep writing while the backup runs");

    let path = backup_path(dir.path(), &record.filename);
    assert_eq!(integrity(&path), "ok");
    let copied = file_count(&path, &format!("SELECT count(*) FROM users WHERE id BETWEEN 1 AND {before}"));
    assert_eq!(copied, before, "every row committed before the backup started is in the copy");
    eprintln!(
        "backup of {} bytes took {} ms while writers committed {during} transactions",
        record.size_bytes.unwrap(),
        record.duration_ms.unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_reports_intermediate_values_on_a_50_mb_database() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).await;
    fill(&engine.app_db, 50).await;
    let mut rx = engine.backups.subscribe_progress();
    let collector = tokio::spawn(async move {
        let mut seen = Vec::new();
        while rx.changed().await.is_ok() {
            let Some(p) = rx.borrow_and_update().clone() else { continue };
            let finished = p.phase.is_finished();
            seen.push(p);
            if finished {
                break;
            }
        }
        seen
    });
    let record = engine.backups.create(Trigger::Cli).await.unwrap();
    let seen = collector.await.unwrap();
    let copy: Vec<(u64, u64)> = seen
        .iter()
        .filter(|p| p.phase == Phase::Copy && p.done > 0 && p.done < p.total)
        .map(|p| (p.done, p.total))
        .collect();
    assert!(copy.len() >= 3, "at least three intermediate copy values, saw {copy:?}");
    assert!(copy.windows(2).all(|w| w[0].0 <= w[1].0), "progress never goes back: {copy:?}");
    assert!(seen.iter().any(|p| p.phase == Phase::Checksum && p.done > 0 && p.done < p.total), "checksum progress too");
    let last = seen.last().unwrap();
    assert_eq!(last.phase, Phase::Done);
    assert_eq!(last.backup_id, Some(record.id));
    assert!(record.size_bytes.unwrap() > 50_000_000);
}

// ---------------------------------------------------------------------------------------------
// Restore

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restore_round_trip_keeps_a_safety_copy_and_the_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).await;
    fill(&engine.app_db, 4).await;
    make_notes(&engine.app_db, 1, 10).await;
    let backed_up = engine.backups.create(Trigger::Manual).await.unwrap();
    make_notes(&engine.app_db, 11, 25).await;
    let later = engine.backups.create(Trigger::Cli).await.unwrap();
    let sessions_before = engine.system_db.content_fingerprint().await.unwrap();

    // A reader polling during the restore sees the old rows or the new ones, never a mix.
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (db, stop) = (engine.app_db.clone(), stop.clone());
        tokio::spawn(async move {
            let mut counts = std::collections::BTreeSet::new();
            while !stop.load(Ordering::Relaxed) {
                counts.insert(scalar(&db, "SELECT count(*) FROM users WHERE username LIKE 'note-%'").await);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            counts
        })
    };
    let outcome = engine.backups.restore(RestoreSource::Id(backed_up.id)).await.unwrap();
    stop.store(true, Ordering::Relaxed);
    let counts = reader.await.unwrap();
    assert!(counts.iter().all(|c| *c == 25 || *c == 10), "readers saw {counts:?}");

    // Exactly the backed-up rows, through every connection of this process.
    assert_eq!(scalar(&engine.app_db, "SELECT count(*) FROM users WHERE username LIKE 'note-%'").await, 10);
    assert_eq!(scalar(&engine.app_db, "SELECT max(id) FROM users WHERE username LIKE 'note-%'").await, 10);
    let w = engine.app_db.writer().await.unwrap();
    let row = w
        .conn()
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT count(*) FROM users WHERE username LIKE 'note-%'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), 10);
    drop(w);
    assert!(engine.app_db.integrity_check().await.unwrap().is_empty());
    assert_eq!(Database::pragma(engine.app_db.reader(), "journal_mode").await.unwrap().to_lowercase(), "wal");
    // Writes work again at once.
    make_notes(&engine.app_db, 100, 100).await;

    // The safety copy holds the later rows.
    let safety = &outcome.safety_backup;
    assert_eq!(safety.trigger, Trigger::PreRestore);
    assert_eq!(safety.status, Status::Success);
    assert_eq!(
        file_count(
            &backup_path(dir.path(), &safety.filename),
            "SELECT count(*) FROM users WHERE username LIKE 'note-%'"
        ),
        25
    );
    assert!(outcome.source.as_ref().is_some_and(|s| s.restored_at.is_some()));
    let events = engine.backups.events(backed_up.id).await.unwrap();
    assert!(events.iter().any(|e| e.kind == EventKind::Restored), "{events:?}");

    // The catalogue lists every backup made before and after.
    let after = engine.backups.create(Trigger::Manual).await.unwrap();
    let ids: Vec<i64> = engine.backups.list().await.unwrap().iter().map(|r| r.id).collect();
    for id in [backed_up.id, later.id, safety.id, after.id] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    // The system database changed only by the catalogue's own rows (no session was touched).
    assert_ne!(sessions_before, engine.system_db.content_fingerprint().await.unwrap());
    assert!(temp_files(dir.path()).is_empty(), "{:?}", temp_files(dir.path()));

    // And back again: restore the safety copy by name.
    engine.backups.restore(RestoreSource::Name(BackupName::parse(&safety.filename).unwrap())).await.unwrap();
    assert_eq!(scalar(&engine.app_db, "SELECT count(*) FROM users WHERE username LIKE 'note-%'").await, 25);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_wait_while_a_restore_holds_them() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).await;
    fill(&engine.app_db, 16).await;
    make_notes(&engine.app_db, 1, 5).await;
    let record = engine.backups.create(Trigger::Manual).await.unwrap();
    let restore = {
        let backups = engine.backups.clone();
        tokio::spawn(async move { backups.restore(RestoreSource::Id(record.id)).await })
    };
    // Wait until the restore holds writes (its safety backup has started), then write.
    let mut rx = engine.backups.subscribe_progress();
    rx.wait_for(|p| p.as_ref().is_some_and(|p| p.phase == Phase::SafetyBackup)).await.unwrap();
    let write = engine.app_db.writer().await;
    let outcome = restore.await.unwrap().unwrap();
    match write {
        // The write waited for the restore and lands on the restored database.
        Ok(w) => {
            w.conn()
                .execute_unprepared(
                    "INSERT INTO users (id, username, email, password_hash, created_at) \
                 VALUES (500, 'note-500', 'note-500@example.com', 'x', '2026-01-01T00:00:00Z')",
                )
                .await
                .unwrap();
            drop(w);
            assert_eq!(scalar(&engine.app_db, "SELECT count(*) FROM users WHERE username LIKE 'note-%'").await, 6);
        }
        Err(e) => assert!(matches!(e, engine::DbError::WritesHeld), "{e}"),
    }
    assert_eq!(outcome.safety_backup.trigger, Trigger::PreRestore);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_while_another_process_holds_the_database_open() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).await;
    make_notes(&engine.app_db, 1, 30).await;
    let record = engine.backups.create(Trigger::Manual).await.unwrap();
    make_notes(&engine.app_db, 31, 70).await;

    let mut other = child("child_holds_the_database_open", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(other.stdout.take().unwrap()).lines();
    let mut next_value = |prefix: &str| loop {
        let line = lines.next().expect("child output").unwrap();
        // The test harness may print "test … ... " before the child's own output on one line.
        if let Some(at) = line.find(prefix) {
            return line[at + prefix.len()..].trim().to_string();
        }
    };
    assert_eq!(next_value("BEFORE"), "70");

    engine.backups.restore(RestoreSource::Id(record.id)).await.unwrap();

    let mut stdin = other.stdin.take().unwrap();
    writeln!(stdin, "go").unwrap();
    drop(stdin);
    assert_eq!(next_value("AFTER"), "30", "the other process reads the restored data");
    assert_eq!(next_value("INTEGRITY"), "ok");
    assert_eq!(next_value("JOURNAL"), "wal");
    assert!(other.wait().unwrap().success());
}

/// Run by [`restore_while_another_process_holds_the_database_open`]: keeps one connection open
/// (with the production mmap setting) across the parent's restore.
#[test]
#[ignore = "helper: runs in a child process"]
fn child_holds_the_database_open() {
    let Some(dir) = child_dir() else { return };
    let conn = rusqlite::Connection::open(dir.join("db.sqlite3")).unwrap();
    conn.execute_batch("PRAGMA mmap_size = 134217728; PRAGMA busy_timeout = 5000;").unwrap();
    let count = |conn: &rusqlite::Connection| {
        conn.query_row("SELECT count(*) FROM users WHERE username LIKE 'note-%'", [], |r| r.get::<_, i64>(0)).unwrap()
    };
    println!("BEFORE {}", count(&conn));
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    println!("AFTER {}", count(&conn));
    println!("INTEGRITY {}", conn.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)).unwrap());
    println!("JOURNAL {}", conn.query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0)).unwrap());
    std::io::stdout().flush().unwrap();
}

#[tokio::test]
async fn restore_converts_a_source_with_another_page_size() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).await;
    make_notes(&engine.app_db, 1, 40).await;
    let record = engine.backups.create(Trigger::Manual).await.unwrap();
    let source = dir.path().join("big-pages.sqlite3");
    std::fs::copy(backup_path(dir.path(), &record.filename), &source).unwrap();
    {
        let conn = rusqlite::Connection::open(&source).unwrap();
        conn.execute_batch("PRAGMA page_size = 8192; VACUUM;").unwrap();
        assert_eq!(conn.query_row("PRAGMA page_size", [], |r| r.get::<_, i64>(0)).unwrap(), 8192);
    }
    make_notes(&engine.app_db, 41, 50).await;
    let outcome = engine.backups.restore(RestoreSource::File(source)).await.unwrap();
    assert!(outcome.page_size_converted);
    assert!(outcome.source.is_none());
    assert_eq!(scalar(&engine.app_db, "SELECT count(*) FROM users WHERE username LIKE 'note-%'").await, 40);
    assert_eq!(Database::pragma(engine.app_db.reader(), "page_size").await.unwrap(), "4096");
    assert!(engine.app_db.integrity_check().await.unwrap().is_empty());
}

#[tokio::test]
async fn restore_of_an_older_schema_applies_the_missing_migrations() {
    use sea_orm_migration::MigratorTrait;
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).await;
    let older = dir.path().join("older.sqlite3");
    {
        let conn = sea_orm::Database::connect(format!("sqlite://{}?mode=rwc", older.display())).await.unwrap();
        engine::migrations::AppMigrator::up(&conn, Some(1)).await.unwrap();
        conn.execute_unprepared("PRAGMA journal_mode = DELETE").await.unwrap();
        conn.close().await.unwrap();
    }
    let known = engine::migrations::known(engine::DbKind::Application);
    let outcome = engine.backups.restore(RestoreSource::File(older)).await.unwrap();
    assert_eq!(outcome.migrations_applied, known[1..].to_vec());
    let applied = scalar(&engine.app_db, "SELECT count(*) FROM seaql_migrations").await;
    assert_eq!(applied as usize, known.len());
    assert!(engine.app_db.integrity_check().await.unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Bad input: a clear error, nothing changed

struct BadSource {
    what: &'static str,
    bytes: Vec<u8>,
    expect: &'static str,
}

async fn bad_sources(dir: &Path, engine: &Engine) -> Vec<BadSource> {
    make_notes(&engine.app_db, 1, 300).await;
    let good = engine.backups.create(Trigger::Manual).await.unwrap();
    let good_bytes = std::fs::read(backup_path(dir, &good.filename)).unwrap();
    assert!(good_bytes.len() >= 4 * 4096);

    let other_app = dir.join("other-app.sqlite3");
    {
        let conn = rusqlite::Connection::open(&other_app).unwrap();
        conn.execute_batch(
            "CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO recipes (name) VALUES ('soup');",
        )
        .unwrap();
    }
    let newer = dir.join("newer.sqlite3");
    std::fs::write(&newer, &good_bytes).unwrap();
    {
        let conn = rusqlite::Connection::open(&newer).unwrap();
        conn.execute("INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20991231_000001_future', 0)", [])
            .unwrap();
    }
    let system_copy = dir.join("system-copy.sqlite3");
    {
        let conn = rusqlite::Connection::open(dir.join("system.sqlite3")).unwrap();
        conn.execute("VACUUM INTO ?1", [system_copy.to_str().unwrap()]).unwrap();
    }
    let page = 4096;
    vec![
        BadSource {
            what: "a text file renamed .sqlite3",
            bytes: b"name,email\nalice,alice@example.com\n".repeat(500),
            expect: "not a SQLite database",
        },
        BadSource {
            what: "a truncated SQLite file",
            bytes: good_bytes[..good_bytes.len() / 2 + 100].to_vec(),
            expect: "truncated",
        },
        BadSource {
            what: "a SQLite file cut at a page boundary",
            bytes: good_bytes[..(good_bytes.len() / 2 / page) * page].to_vec(),
            expect: "truncated",
        },
        BadSource {
            what: "another application's SQLite file",
            bytes: std::fs::read(&other_app).unwrap(),
            expect: "no seaql_migrations table",
        },
        BadSource {
            what: "a backup from a newer schema",
            bytes: std::fs::read(&newer).unwrap(),
            expect: "newer SmallStack",
        },
        BadSource {
            what: "the system database",
            bytes: std::fs::read(&system_copy).unwrap(),
            expect: "system database",
        },
        BadSource { what: "an empty file", bytes: Vec::new(), expect: "is empty" },
        BadSource {
            what: "a damaged page",
            bytes: {
                let mut b = good_bytes.clone();
                let last_page = b.len() - page;
                for byte in &mut b[last_page..last_page + 200] {
                    *byte = 0xA5;
                }
                b
            },
            expect: "",
        },
    ]
}

#[tokio::test]
async fn bad_restore_sources_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).await;
    let cases = bad_sources(dir.path(), &engine).await;
    let before = fingerprints(&engine).await;
    let files_before = backup_dir_names(dir.path());
    for case in cases {
        let path = dir.path().join("source.sqlite3");
        std::fs::write(&path, &case.bytes).unwrap();
        let err = engine.backups.restore(RestoreSource::File(path.clone())).await.unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, BackupError::Invalid { .. }), "{}: {err:?}", case.what);
        assert!(message.contains(case.expect), "{}: {message}", case.what);
        assert!(message.contains("source.sqlite3"), "{}: the message names the file: {message}", case.what);
        assert_eq!(fingerprints(&engine).await, before, "{}: nothing changed", case.what);
        assert_eq!(backup_dir_names(dir.path()), files_before, "{}: no stray files", case.what);
        assert_eq!(std::fs::read(&path).unwrap(), case.bytes, "{}: the source is untouched", case.what);
        eprintln!("{}: {message}", case.what);
    }
    // A missing file, an unknown id, a bad name: clear errors too.
    assert!(matches!(
        engine.backups.restore(RestoreSource::File(dir.path().join("nope.sqlite3"))).await.unwrap_err(),
        BackupError::Invalid { .. }
    ));
    assert!(matches!(engine.backups.restore(RestoreSource::Id(9999)).await.unwrap_err(), BackupError::NotFound(_)));
    let missing = BackupName::parse("db-20000101-000000.sqlite3").unwrap();
    assert!(matches!(
        engine.backups.restore(RestoreSource::Name(missing)).await.unwrap_err(),
        BackupError::NotFound(_)
    ));
    assert_eq!(fingerprints(&engine).await, before);
    assert!(engine.backups.last_failure().await.unwrap().is_none(), "refused input is not a backup failure");
}

#[tokio::test]
async fn bad_uploads_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).await;
    let cases = bad_sources(dir.path(), &engine).await;
    let before = fingerprints(&engine).await;
    let files_before = backup_dir_names(dir.path());
    for case in cases {
        let len = case.bytes.len() as u64;
        let err = engine.backups.upload(std::io::Cursor::new(case.bytes), Some(len)).await.unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, BackupError::Invalid { .. }), "{}: {err:?}", case.what);
        assert!(message.contains(case.expect), "{}: {message}", case.what);
        assert!(message.contains("the uploaded file"), "{}: {message}", case.what);
        assert_eq!(fingerprints(&engine).await, before, "{}: nothing changed", case.what);
        assert_eq!(backup_dir_names(dir.path()), files_before, "{}: no stray files", case.what);
    }
}

#[tokio::test]
async fn an_upload_over_the_size_limit_is_refused_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_with(dir.path(), BackupConfig { upload_max: 64 * 1024, ..Default::default() }).await;
    fill(&engine.app_db, 1).await;
    let record = engine.backups.create(Trigger::Manual).await.unwrap();
    let bytes = std::fs::read(backup_path(dir.path(), &record.filename)).unwrap();
    assert!(bytes.len() > 64 * 1024);
    let before = fingerprints(&engine).await;
    let files_before = backup_dir_names(dir.path());
    // Declared too large: refused before reading. Undeclared: refused once past the limit.
    for declared in [Some(bytes.len() as u64), None] {
        let err = engine.backups.upload(std::io::Cursor::new(bytes.clone()), declared).await.unwrap_err();
        assert!(matches!(err, BackupError::TooLarge { limit: 65536 }), "{declared:?}: {err:?}");
        assert!(err.to_string().contains("65536"), "{err}");
        assert_eq!(fingerprints(&engine).await, before);
        assert_eq!(backup_dir_names(dir.path()), files_before);
    }
}

#[tokio::test]
async fn a_good_upload_is_recorded_and_restorable() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).await;
    make_notes(&engine.app_db, 1, 12).await;
    let made = engine.backups.create(Trigger::Manual).await.unwrap();
    let bytes = std::fs::read(backup_path(dir.path(), &made.filename)).unwrap();
    make_notes(&engine.app_db, 13, 20).await;

    // The same file as a backup still kept is not kept twice: the refusal names that backup.
    let same = engine.backups.upload(std::io::Cursor::new(bytes.clone()), None).await.unwrap_err();
    assert!(matches!(same, BackupError::Duplicate { id, .. } if id == made.id), "{same:?}");
    assert!(same.to_string().contains(&format!("the same as backup #{}", made.id)), "{same}");
    assert!(temp_files(dir.path()).is_empty());
    // Once that backup's file is deleted, the upload is welcome.
    engine.backups.delete(made.id).await.unwrap();
    let uploaded = engine.backups.upload(std::io::Cursor::new(bytes.clone()), None).await.unwrap();
    assert_eq!(uploaded.trigger, Trigger::Upload);
    assert_eq!(uploaded.status, Status::Success);
    assert_eq!(uploaded.sha256, made.sha256);
    assert_ne!(uploaded.filename, made.filename);
    assert_eq!(std::fs::read(backup_path(dir.path(), &uploaded.filename)).unwrap(), bytes);
    assert!(temp_files(dir.path()).is_empty());

    engine.backups.restore(RestoreSource::Id(uploaded.id)).await.unwrap();
    assert_eq!(scalar(&engine.app_db, "SELECT count(*) FROM users WHERE username LIKE 'note-%'").await, 12);
}

#[tokio::test]
async fn names_from_outside_are_checked_before_any_file_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).await;
    std::fs::write(dir.path().join("secret.sqlite3"), b"secret").unwrap();
    for bad in [
        "../secret.sqlite3",
        "..\\secret.sqlite3",
        "/etc/passwd",
        "db-20261125-020000.sqlite3\0.txt",
        "db-20261125-020000.sqlite3/../../secret.sqlite3",
        "secret.sqlite3",
        "db-latest.sqlite3",
        LOCK_FILE,
        ".tmp-db-20261125-020000.sqlite3",
    ] {
        let err = engine.backups.download_path(bad).await.unwrap_err();
        assert!(matches!(err, BackupError::InvalidName { .. }), "{bad:?}: {err:?}");
        let err = engine.backups.find_by_name(bad).await.unwrap_err();
        assert!(matches!(err, BackupError::InvalidName { .. }), "{bad:?}: {err:?}");
    }
    let err = engine.backups.download_path("db-20261125-020000.sqlite3").await.unwrap_err();
    assert!(matches!(err, BackupError::NotFound(_)), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Catalogue operations

#[tokio::test]
async fn delete_download_verify_and_the_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).await;
    make_notes(&engine.app_db, 1, 50).await;
    let record = engine.backups.create(Trigger::Manual).await.unwrap();
    let path = backup_path(dir.path(), &record.filename);

    let (found, download) = engine.backups.download_path(&record.filename).await.unwrap();
    assert_eq!((found.id, download.clone()), (record.id, path.clone()));
    let counted = engine.backups.record_download(record.id).await.unwrap();
    assert_eq!(counted.download_count, 1);
    assert!(counted.last_downloaded_at.is_some());

    let check = engine.backups.verify_file(&path).await.unwrap();
    assert_eq!(Some(check.sha256.as_str()), record.sha256.as_deref());
    assert_eq!(check.page_size, 4096);
    assert!(check.pending_migrations.is_empty());

    // A backup whose bytes changed without breaking SQLite's checks fails on its checksum.
    let mut bytes = std::fs::read(&path).unwrap();
    // User note-42's record: its name, e-mail and password hash side by side (only the table
    // holds them together, not an index), so changing the unindexed hash keeps SQLite content.
    let record_bytes = b"note-42note-42@example.comx";
    let at = bytes.windows(record_bytes.len()).position(|w| w == record_bytes).unwrap();
    bytes[at + record_bytes.len() - 1] = b'y';
    std::fs::write(&path, &bytes).unwrap();
    let err = engine.backups.verify_file(&path).await.unwrap_err();
    assert!(err.to_string().contains("differs from the one recorded"), "{err}");
    // …and a restore from it is refused, by id or by path, with nothing changed.
    let before = fingerprints(&engine).await;
    for source in [RestoreSource::Id(record.id), RestoreSource::File(path.clone())] {
        let err = engine.backups.restore(source).await.unwrap_err();
        assert!(err.to_string().contains("differs from the one recorded"), "{err}");
    }
    assert_eq!(fingerprints(&engine).await, before);

    let deleted = engine.backups.delete(record.id).await.unwrap();
    assert_eq!(deleted.status, Status::Deleted);
    assert!(deleted.deleted_at.is_some());
    assert!(!path.exists());
    assert!(matches!(engine.backups.delete(record.id).await.unwrap_err(), BackupError::NoFile { .. }));
    assert!(matches!(engine.backups.download_path(&record.filename).await.unwrap_err(), BackupError::NoFile { .. }));
    let kinds: Vec<EventKind> = engine.backups.events(record.id).await.unwrap().iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [EventKind::Created, EventKind::Verified, EventKind::Downloaded, EventKind::Verified, EventKind::Deleted]
    );
    assert!(matches!(engine.backups.events(4242).await.unwrap_err(), BackupError::NotFound(_)));
}

async fn make_backups(engine: &Engine, n: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for _ in 0..n {
        ids.push(engine.backups.create(Trigger::Manual).await.unwrap().id);
    }
    ids
}

async fn statuses(engine: &Engine) -> Vec<(i64, Status)> {
    let mut all: Vec<(i64, Status)> = engine.backups.list().await.unwrap().iter().map(|r| (r.id, r.status)).collect();
    all.sort_by_key(|(id, _)| *id);
    all
}

#[tokio::test]
async fn retention_zero_keeps_every_backup() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_with(dir.path(), BackupConfig { retention: 0, ..Default::default() }).await;
    let ids = make_backups(&engine, 5).await;
    assert!(engine.backups.prune().await.unwrap().is_empty());
    assert_eq!(statuses(&engine).await, ids.iter().map(|id| (*id, Status::Success)).collect::<Vec<_>>());
    assert_eq!(backup_dir_names(dir.path()).len(), 5);
}

#[tokio::test]
async fn retention_one_keeps_only_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_with(dir.path(), BackupConfig { retention: 1, ..Default::default() }).await;
    let ids = make_backups(&engine, 4).await;
    let expected: Vec<(i64, Status)> =
        ids.iter().map(|id| (*id, if id == ids.last().unwrap() { Status::Success } else { Status::Pruned })).collect();
    assert_eq!(statuses(&engine).await, expected);
    let newest = engine.backups.get(*ids.last().unwrap()).await.unwrap();
    assert_eq!(backup_dir_names(dir.path()), vec![newest.filename]);
    let pruned = engine.backups.get(ids[0]).await.unwrap();
    assert!(pruned.pruned_at.is_some());
    assert!(engine.backups.events(ids[0]).await.unwrap().iter().any(|e| e.kind == EventKind::Pruned));
    // Pruning by hand with one to keep leaves the newest.
    assert!(engine.backups.prune().await.unwrap().is_empty());
    assert_eq!(statuses(&engine).await, expected);
}

#[tokio::test]
async fn retention_n_prunes_the_oldest_and_spares_safety_copies_and_uploads() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_with(dir.path(), BackupConfig { retention: 3, ..Default::default() }).await;
    make_notes(&engine.app_db, 1, 3).await;
    let first = make_backups(&engine, 2).await;
    // A backup made elsewhere (the same file as one kept here would be refused as a duplicate).
    let elsewhere = tempfile::tempdir().unwrap();
    let other = open(elsewhere.path()).await;
    make_notes(&other.app_db, 1, 2).await;
    let made = other.backups.create(Trigger::Manual).await.unwrap();
    let bytes = std::fs::read(backup_path(elsewhere.path(), &made.filename)).unwrap();
    let upload = engine.backups.upload(std::io::Cursor::new(bytes), None).await.unwrap();
    let safety = engine.backups.restore(RestoreSource::Id(first[1])).await.unwrap().safety_backup;
    let rest = make_backups(&engine, 3).await;

    let all = statuses(&engine).await;
    let status_of = |id: i64| all.iter().find(|(i, _)| *i == id).unwrap().1;
    assert_eq!(status_of(first[0]), Status::Pruned);
    assert_eq!(status_of(first[1]), Status::Pruned);
    for id in &rest {
        assert_eq!(status_of(*id), Status::Success);
    }
    assert_eq!(status_of(upload.id), Status::Success, "uploads are pruned only by hand");
    assert_eq!(status_of(safety.id), Status::Success, "safety copies are pruned only by hand");
    assert_eq!(backup_dir_names(dir.path()).len(), 5);

    // A smaller retention set at run time applies at the next prune; the newest stays.
    engine.backups.set_retention(1).await.unwrap();
    let pruned: Vec<i64> = engine.backups.prune().await.unwrap().iter().map(|r| r.id).collect();
    assert_eq!(pruned, vec![rest[1], rest[0]]);
    assert_eq!(status_of(rest[2]), Status::Success);
    assert_eq!(engine.backups.retention().await.unwrap(), 1);
}

#[tokio::test]
async fn stats_and_the_failure_banner() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_with(dir.path(), BackupConfig { retention: 2, ..Default::default() }).await;
    make_backups(&engine, 3).await;
    let lock = engine.backups.lock().unwrap();
    assert!(engine.backups.create(Trigger::Scheduled).await.is_err());
    drop(lock);
    let stats = engine.backups.stats().await.unwrap();
    assert_eq!((stats.successful, stats.pruned, stats.skipped, stats.failed, stats.last_24h), (2, 1, 1, 0, 3));
    assert!(stats.average_duration_ms.is_some());
    let usage = engine.backups.disk_usage().await.unwrap();
    assert_eq!(usage.files, 2);
    assert_eq!(usage.bytes, stats.total_size_bytes);
    assert!(usage.available_bytes > 0 && usage.database_bytes > 0);
    assert_eq!(engine.backups.files().await.unwrap().len(), 2);
    assert!(engine.backups.last_failure().await.unwrap().is_none());
}

// ---------------------------------------------------------------------------------------------
// Schedule

#[tokio::test]
async fn an_invalid_schedule_is_refused_and_the_old_one_stays() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).await;
    assert_eq!(engine.backups.schedule().await.unwrap().expression(), "0 2 * * *");
    engine.backups.set_schedule("30 3 * * 1-5").await.unwrap();
    let before = fingerprints(&engine).await;
    for bad in ["61 * * * *", "0 3 * *", "0 0 3 * * *", "every night", ""] {
        let err = engine.backups.set_schedule(bad).await.unwrap_err();
        assert!(matches!(err, BackupError::InvalidSchedule(_)), "{bad:?}: {err:?}");
        assert!(err.to_string().len() > "invalid schedule: ".len(), "the parser's reason: {err}");
        assert_eq!(engine.backups.schedule().await.unwrap().expression(), "30 3 * * 1-5");
    }
    assert_eq!(fingerprints(&engine).await, before);
    let runs = engine.backups.next_runs(3).await.unwrap();
    assert_eq!(runs.len(), 3);
    assert!(runs.windows(2).all(|w| w[0] < w[1]));
    assert!(runs.iter().all(|t| t.format("%H:%M").to_string() == "03:30"));
    assert!(engine.backups.set_schedule("off").await.unwrap().is_off());
    assert!(engine.backups.next_runs(3).await.unwrap().is_empty());
    assert_eq!(engine.backups.reset_schedule().await.unwrap(), Schedule::parse("0 2 * * *").unwrap());
}

async fn wait_for_scheduled(engine: &Engine, count: usize) -> Vec<engine::backup::BackupRecord> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let scheduled: Vec<_> =
            engine.backups.list().await.unwrap().into_iter().filter(|r| r.trigger == Trigger::Scheduled).collect();
        if scheduled.len() >= count && scheduled.iter().all(|r| r.status != Status::Running) {
            return scheduled;
        }
        assert!(Instant::now() < deadline, "no scheduled backup: {scheduled:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_fires_at_the_scheduled_time() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).await;
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 25, 1, 58, 30).unwrap()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let scheduler = {
        let (backups, clock) = (engine.backups.clone(), clock.clone());
        tokio::spawn(async move {
            backups
                .run_scheduler(clock, async move {
                    let _ = stopped.await;
                })
                .await
        })
    };
    let count_scheduled =
        || async { engine.backups.list().await.unwrap().iter().filter(|r| r.trigger == Trigger::Scheduled).count() };
    tokio::time::sleep(Duration::from_millis(100)).await;
    clock.set(Utc.with_ymd_and_hms(2026, 11, 25, 1, 59, 59).unwrap());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(count_scheduled().await, 0, "nothing before 02:00");

    clock.set(Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap());
    let first = wait_for_scheduled(&engine, 1).await;
    assert_eq!(first[0].status, Status::Success);

    // A new schedule applies without restart.
    engine.backups.set_schedule("30 3 * * *").await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    clock.set(Utc.with_ymd_and_hms(2026, 11, 25, 3, 29, 0).unwrap());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(count_scheduled().await, 1, "nothing before 03:30");
    clock.set(Utc.with_ymd_and_hms(2026, 11, 25, 3, 30, 0).unwrap());
    wait_for_scheduled(&engine, 2).await;

    // A scheduled run that finds another backup running is recorded as skipped. (The lock is
    // free once the last run has also applied retention, just after its record says success.)
    let deadline = Instant::now() + Duration::from_secs(10);
    let lock = loop {
        match engine.backups.lock() {
            Ok(lock) => break lock,
            Err(e) => assert!(Instant::now() < deadline, "{e}"),
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    clock.set(Utc.with_ymd_and_hms(2026, 11, 26, 3, 30, 0).unwrap());
    let all = wait_for_scheduled(&engine, 3).await;
    assert_eq!(all[0].status, Status::Skipped);
    assert!(all[0].error.as_deref().unwrap_or_default().contains("already running"), "{:?}", all[0].error);
    drop(lock);

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), scheduler).await.expect("the scheduler stops").unwrap();
}

// ---------------------------------------------------------------------------------------------
// One at a time

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_operation_is_refused_while_one_runs() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).await;
    fill(&engine.app_db, 16).await;
    let first = engine.backups.create(Trigger::Manual).await.unwrap();

    // Held by "another process" (a second handle on the lock file behaves the same).
    let lock = engine.backups.lock().unwrap();
    let before = fingerprints(&engine).await;
    for result in [
        engine.backups.create(Trigger::Cli).await.map(|_| ()),
        engine.backups.restore(RestoreSource::Id(first.id)).await.map(|_| ()),
        engine.backups.prune().await.map(|_| ()),
        engine.backups.delete(first.id).await.map(|_| ()),
    ] {
        let err = result.unwrap_err();
        assert!(matches!(err, BackupError::AlreadyRunning { pid: Some(_) }), "{err:?}");
        assert!(err.to_string().contains("already running"), "{err}");
    }
    assert_eq!(fingerprints(&engine).await, before, "a refused manual run leaves no record");
    drop(lock);

    // Two at once in this process: one backup is made; the second start either joins it (the
    // same record) or, when it came before the first held the lock's state, is refused.
    let (a, b) = tokio::join!(engine.backups.create(Trigger::Manual), engine.backups.create(Trigger::Cli));
    match (&a, &b) {
        (Ok(x), Ok(y)) => assert_eq!(x.id, y.id, "both answers name the one backup"),
        _ => {
            assert!(a.is_ok() != b.is_ok(), "exactly one proceeds: {a:?} / {b:?}");
            let refused = if a.is_ok() { b } else { a };
            assert!(matches!(refused, Err(BackupError::AlreadyRunning { .. })));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_cancelled_at_shutdown_is_failed_without_a_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).await;
    fill(&engine.app_db, 32).await;
    let backup = {
        let backups = engine.backups.clone();
        tokio::spawn(async move { backups.create(Trigger::Scheduled).await })
    };
    let mut rx = engine.backups.subscribe_progress();
    rx.wait_for(|p| p.as_ref().is_some_and(|p| p.phase == Phase::Copy && p.done > 0)).await.unwrap();
    engine.backups.begin_shutdown();
    let err = backup.await.unwrap().unwrap_err();
    assert!(matches!(err, BackupError::ShuttingDown), "{err:?}");
    let record = engine.backups.list().await.unwrap().remove(0);
    assert_eq!(record.status, Status::Failed);
    assert!(record.error.unwrap().contains("shutting down"));
    assert!(temp_files(dir.path()).is_empty());
    assert!(matches!(engine.backups.create(Trigger::Manual).await.unwrap_err(), BackupError::ShuttingDown));
}

// ---------------------------------------------------------------------------------------------
// Disk full and crash, in real child processes

#[tokio::test]
async fn a_full_disk_fails_the_backup_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let fingerprint = {
        let engine = open(dir.path()).await;
        fill(&engine.app_db, 8).await;
        make_notes(&engine.app_db, 1, 10).await;
        engine.app_db.checkpoint().await.unwrap();
        let f = engine.app_db.content_fingerprint().await.unwrap();
        engine.close().await;
        f
    };
    let db_before = std::fs::read(dir.path().join("db.sqlite3")).unwrap();

    // The child may write at most 2 MiB into any one file: the 8 MiB copy hits EFBIG for real.
    let output =
        with_file_size_limit(child("child_backs_up_under_a_file_size_limit", dir.path()), 2 << 20).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "child: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("CHILD-ERROR"), "{stdout}");

    let engine = open(dir.path()).await;
    let records = engine.backups.list().await.unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].status, Status::Failed);
    let error = records[0].error.clone().unwrap_or_default();
    assert!(!error.is_empty());
    eprintln!("recorded error: {error}");
    assert!(temp_files(dir.path()).is_empty(), "no partial file: {:?}", backup_dir_names(dir.path()));
    assert!(backup_dir_names(dir.path()).is_empty());
    assert_eq!(engine.app_db.content_fingerprint().await.unwrap(), fingerprint, "the database is untouched");
    assert_eq!(engine.backups.last_failure().await.unwrap().map(|r| r.id), Some(records[0].id));
    engine.close().await;
    assert_eq!(std::fs::read(dir.path().join("db.sqlite3")).unwrap(), db_before);
}

#[allow(unsafe_code)]
fn with_file_size_limit(mut cmd: Command, bytes: u64) -> Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec only async-signal-safe calls are made (setrlimit, signal),
    // and nothing is allocated.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit { rlim_cur: bytes as libc::rlim_t, rlim_max: bytes as libc::rlim_t };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // Ignored, the signal becomes an EFBIG error from write(2), as a full disk gives ENOSPC.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    cmd
}

#[test]
#[ignore = "helper: runs in a child process"]
fn child_backs_up_under_a_file_size_limit() {
    let Some(dir) = child_dir() else { return };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let engine = open(&dir).await;
        match engine.backups.create(Trigger::Cli).await {
            Ok(r) => println!("CHILD-OK {}", r.filename),
            Err(e) => println!("CHILD-ERROR {e}"),
        }
    });
}

#[tokio::test]
async fn a_crash_during_a_backup_is_marked_failed_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = open(dir.path()).await;
        fill(&engine.app_db, 64).await;
        engine.close().await;
    }
    let mut process = child("child_backs_up_until_killed", dir.path()).stdout(Stdio::null()).spawn().unwrap();
    let system = dir.path().join("system.sqlite3");
    let deadline = Instant::now() + Duration::from_secs(60);
    // Kill it once the record says running and the temporary file is being written.
    loop {
        assert!(Instant::now() < deadline, "the child never started its backup");
        assert!(process.try_wait().unwrap().is_none(), "the child finished before it could be killed");
        let tmp = temp_files(dir.path()).into_iter().find(|n| n.ends_with(".sqlite3"));
        let running = rusqlite::Connection::open_with_flags(&system, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| {
                c.query_row("SELECT count(*) FROM backups WHERE status = 'running'", [], |r| r.get::<_, i64>(0))
            })
            .unwrap_or(0);
        if running == 1
            && tmp.is_some_and(|t| std::fs::metadata(dir.path().join("backups").join(t)).is_ok_and(|m| m.len() > 0))
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    process.kill().unwrap(); // SIGKILL
    process.wait().unwrap();
    assert!(!temp_files(dir.path()).is_empty(), "the killed child left its temporary file");

    let engine = open(dir.path()).await;
    let records = engine.backups.list().await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].status, Status::Failed);
    assert!(records[0].error.as_deref().unwrap().contains("interrupted"), "{:?}", records[0].error);
    assert!(temp_files(dir.path()).is_empty(), "{:?}", backup_dir_names(dir.path()));
    assert!(engine.backups.events(records[0].id).await.unwrap().iter().any(|e| e.kind == EventKind::Failed));
    assert!(engine.app_db.integrity_check().await.unwrap().is_empty());
    // And the next backup works.
    engine.backups.create(Trigger::Cli).await.unwrap();
}

#[test]
#[ignore = "helper: runs in a child process"]
fn child_backs_up_until_killed() {
    let Some(dir) = child_dir() else { return };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let engine = open(&dir).await;
        let _ = engine.backups.create(Trigger::Cli).await;
    });
}
