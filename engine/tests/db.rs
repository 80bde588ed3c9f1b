//! The SQLite setup, against real files in WAL mode in a temporary folder.

use engine::db::{Database, DbKind, POOL_READERS, PRAGMAS};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sqlx::Row;
use std::sync::Arc;

async fn fresh_db(dir: &tempfile::TempDir) -> Database {
    Database::open(DbKind::Application, &dir.path().join("db.sqlite3")).await.expect("open")
}

#[tokio::test]
async fn every_connection_of_both_pools_has_the_seed_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(&dir).await;
    let expected: Vec<(&str, String)> = PRAGMAS.iter().map(|(n, v)| (*n, v.to_string())).collect();

    assert_eq!(db.read_pragmas(true).await.unwrap(), expected, "writer");

    // Hold every reader connection at once so each one is checked, not the same one again.
    let pool = db.reader().get_sqlite_connection_pool();
    let mut conns = Vec::new();
    for _ in 0..POOL_READERS {
        conns.push(pool.acquire().await.unwrap());
    }
    for (i, conn) in conns.iter_mut().enumerate() {
        for (name, value) in PRAGMAS {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA {name}"))).fetch_one(&mut **conn).await.unwrap();
            let raw = row.try_get::<String, _>(0).or_else(|_| row.try_get::<i64, _>(0).map(|v| v.to_string())).unwrap();
            assert_eq!(engine::db::display_pragma(name, &raw), *value, "reader {i}: {name}");
        }
    }
}

#[tokio::test]
async fn readers_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(&dir).await;
    let err = db.reader().execute_unprepared("CREATE TABLE t (x)").await.unwrap_err();
    assert!(err.to_string().contains("readonly"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_tasks_of_fifty_transactions_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = fresh_db(&dir).await;
    {
        let w = db.writer().await.unwrap();
        w.conn()
            .execute_unprepared(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, task INTEGER NOT NULL, n INTEGER NOT NULL);
                 CREATE TABLE totals (task INTEGER PRIMARY KEY, count INTEGER NOT NULL);",
            )
            .await
            .unwrap();
    }
    let db = Arc::new(db);
    let mut handles = Vec::new();
    for task in 0..64i64 {
        let db = db.clone();
        handles.push(tokio::spawn(async move {
            for n in 0..50i64 {
                let w = db.writer().await?;
                let txn = w.begin().await?;
                txn.execute_raw(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    "INSERT INTO events (task, n) VALUES (?, ?)",
                    [task.into(), n.into()],
                ))
                .await?;
                txn.execute_raw(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    "INSERT INTO totals (task, count) VALUES (?, 1) ON CONFLICT (task) DO UPDATE SET count = count + 1",
                    [task.into()],
                ))
                .await?;
                txn.commit().await?;
            }
            Ok::<_, engine::DbError>(())
        }));
    }
    let mut errors = 0;
    for h in handles {
        if h.await.unwrap().is_err() {
            errors += 1;
        }
    }
    assert_eq!(errors, 0);
    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            db.reader()
                .query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
                .await
                .unwrap()
                .unwrap()
                .try_get_by_index::<i64>(0)
                .unwrap()
        }
    };
    assert_eq!(count("SELECT count(*) FROM events").await, 3_200);
    assert_eq!(count("SELECT sum(count) FROM totals").await, 3_200);
}

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite3");
    let text = b"this is a text file, not a database\n".repeat(200);
    std::fs::write(&path, &text).unwrap();
    let err = Database::open(DbKind::Application, &path).await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("not a SQLite database"), "{message}");
    assert_eq!(std::fs::read(&path).unwrap(), text);
}

#[tokio::test]
async fn a_broken_header_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite3");
    {
        let db = Database::open(DbKind::Application, &path).await.unwrap();
        db.close().await.unwrap();
    }
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[16] = 0x01;
    bytes[17] = 0x23; // page size 291: not a power of two
    std::fs::write(&path, &bytes).unwrap();
    let err = Database::open(DbKind::Application, &path).await.unwrap_err();
    assert!(err.to_string().contains("broken SQLite header"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[tokio::test]
async fn a_directory_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let err = Database::open(DbKind::Application, dir.path()).await.unwrap_err();
    assert!(err.to_string().contains("is a directory"), "{err}");
}

#[tokio::test]
async fn the_bundled_sqlite_is_new_enough() {
    let (a, b, c) = engine::db::MIN_SQLITE_VERSION;
    assert!(engine::db::sqlite_version_number() >= (a * 1_000_000 + b * 1000 + c) as i32);
}

#[tokio::test]
async fn both_kinds_migrate_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    for kind in [DbKind::Application, DbKind::System] {
        let path = dir.path().join(format!("{kind:?}.sqlite3"));
        let db = Database::open(kind, &path).await.unwrap();
        db.close().await.unwrap();
        let again = Database::open(kind, &path).await.unwrap();
        assert!(again.integrity_check().await.unwrap().is_empty());
    }
}

/// The migration that lets `download` into `backups.trigger` keeps every backup, every event
/// (which refer to the backups and would cascade away with a careless rebuild), the indexes and
/// the id counters; and the widened CHECK still refuses other values.
#[tokio::test]
async fn the_download_trigger_migration_keeps_the_catalogue() {
    use engine::migrations::SystemMigrator;
    use sea_orm_migration::MigratorTrait;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("system.sqlite3").display());
    let conn = sea_orm::Database::connect(&url).await.unwrap();
    let run = |sql: &'static str| {
        let conn = conn.clone();
        async move { conn.execute_unprepared(sql).await }
    };
    run("PRAGMA foreign_keys = ON").await.unwrap();
    SystemMigrator::up(&conn, Some(2)).await.unwrap();
    run("INSERT INTO backups (filename, created_at, status, trigger) VALUES \
         ('db-20260101-000000.sqlite3', '2026-01-01T00:00:00Z', 'success', 'manual'), \
         ('db-20260102-000000.sqlite3', '2026-01-02T00:00:00Z', 'deleted', 'upload')")
    .await
    .unwrap();
    run("INSERT INTO backup_events (backup_id, at, kind, detail) VALUES (1, '2026-01-01T00:00:01Z', 'created', 'x'), \
         (2, '2026-01-02T00:00:01Z', 'created', 'y')")
    .await
    .unwrap();
    assert!(
        run("INSERT INTO backups (filename, created_at, status, trigger) VALUES ('a', 'b', 'success', 'download')")
            .await
            .is_err()
    );

    // The lockout table (000003) and the widened trigger (000004); the off-site columns (000005)
    // come last, below.
    SystemMigrator::up(&conn, Some(2)).await.unwrap();
    let count = |sql: &'static str| {
        let conn = conn.clone();
        async move {
            let row = conn.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql)).await.unwrap().unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    assert_eq!(count("SELECT count(*) FROM backups").await, 2);
    assert_eq!(count("SELECT count(*) FROM backup_events").await, 2);
    assert_eq!(count("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name LIKE 'backup%'").await, 3);
    run("INSERT INTO backups (filename, created_at, status, trigger) VALUES ('c', 'd', 'success', 'download')")
        .await
        .unwrap();
    assert_eq!(count("SELECT max(id) FROM backups").await, 3, "ids go on from where they were");
    assert!(
        run("INSERT INTO backups (filename, created_at, status, trigger) VALUES ('e', 'f', 'success', 'bogus')")
            .await
            .is_err()
    );
    // Events still cascade with their backup, and still refuse an unknown backup.
    assert!(run("INSERT INTO backup_events (backup_id, at, kind) VALUES (99, 'x', 'created')").await.is_err());
    let problems = conn.query_all_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA foreign_key_check")).await;
    assert!(problems.unwrap().is_empty());

    // The off-site migration rebuilds the catalogue again: every row, event and index kept, the
    // `download` trigger still allowed, and its own index added.
    SystemMigrator::up(&conn, None).await.unwrap();
    assert_eq!(count("SELECT count(*) FROM backups WHERE trigger = 'download'").await, 1);
    assert_eq!(count("SELECT count(*) FROM backups").await, 3);
    assert_eq!(count("SELECT count(*) FROM backup_events").await, 2);
    assert_eq!(count("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name LIKE 'backup%'").await, 4);
}
