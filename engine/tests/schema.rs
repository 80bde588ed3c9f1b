//! A file becomes the live database (restore) or a backup (upload) only when its schema is the
//! one its migrations must have made: every table, column, index, trigger and view is compared
//! with a reference built by applying the same migrations to an empty database. Anything else is
//! refused with the differences named, and nothing is restored.

use engine::{
    Engine, EngineConfig,
    backup::{BackupConfig, BackupError, RestoreSource, Trigger},
};
use std::path::{Path, PathBuf};

async fn open(dir: &Path) -> Engine {
    Engine::open(EngineConfig {
        database_path: dir.join("db.sqlite3"),
        system_database_path: dir.join("system.sqlite3"),
        media_root: dir.join("media"),
        backup_dir: dir.join("backups"),
        backup: BackupConfig::default(),
    })
    .await
    .unwrap()
}

/// A copy of `source` at `name` in `dir`, with `sql` run on it.
fn altered(source: &Path, dir: &Path, name: &str, sql: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy(source, &path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(sql).unwrap();
    conn.close().unwrap();
    path
}

fn reason(e: BackupError) -> String {
    match e {
        BackupError::Invalid { reason } => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_file_with_another_schema_is_refused_naming_the_differences() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).await;
    let good = engine.backups.create(Trigger::Manual).await.unwrap();
    let good_path = dir.path().join("backups").join(&good.filename);
    engine.backups.verify_file(&good_path).await.expect("a backup of the live database passes");
    let live_before = engine.app_db.content_fingerprint().await.unwrap();

    let cases = [
        (
            "trigger",
            "CREATE TRIGGER promote AFTER UPDATE ON users BEGIN UPDATE users SET is_staff = 1; END;",
            &["trigger promote"][..],
        ),
        ("view", "CREATE VIEW everyone AS SELECT * FROM users;", &["view everyone"]),
        ("column", "ALTER TABLE users ADD COLUMN note TEXT;", &["table users", "note"]),
        ("missing", "DROP TABLE theme_presets;", &["missing", "table theme_presets"]),
        ("extra", "CREATE TABLE extra (x);", &["table extra"]),
        ("index", "CREATE INDEX users_by_name ON users (display_name);", &["index users_by_name"]),
        (
            "redefined",
            "DROP TABLE user_themes; CREATE TABLE user_themes (user_id INTEGER PRIMARY KEY, mode TEXT, accent TEXT, font TEXT, gray TEXT, radius TEXT, layout TEXT, updated_at TEXT);",
            &["table user_themes"],
        ),
        ("two at once", "CREATE VIEW v1 AS SELECT 1; DROP TABLE user_themes;", &["view v1", "table user_themes"]),
    ];
    for (what, sql, named) in cases {
        let path = altered(&good_path, dir.path(), &format!("{what}.sqlite3"), sql);
        let refused = reason(engine.backups.verify_file(&path).await.unwrap_err());
        for word in named {
            assert!(refused.contains(word), "{what}: the refusal names {word:?}: {refused}");
        }
        let file = tokio::fs::File::open(&path).await.unwrap();
        let uploaded = engine.backups.upload(file, None).await.unwrap_err();
        assert!(reason(uploaded).contains(named[0]), "{what}: upload");
        let restored = engine.backups.restore(RestoreSource::File(path.clone())).await.unwrap_err();
        assert!(reason(restored).contains(named[0]), "{what}: restore");
        assert_eq!(engine.app_db.content_fingerprint().await.unwrap(), live_before, "{what}: nothing restored");
    }
    assert_eq!(engine.backups.list().await.unwrap().len(), 1, "nothing catalogued but the first backup");
}

#[tokio::test]
async fn a_file_of_an_older_version_is_compared_with_that_version() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path()).await;
    let good = engine.backups.create(Trigger::Manual).await.unwrap();
    let good_path = dir.path().join("backups").join(&good.filename);
    // The application database as the first migration alone left it.
    let older = altered(
        &good_path,
        dir.path(),
        "older.sqlite3",
        "DROP TABLE theme_presets; DROP TABLE user_themes; \
         DELETE FROM seaql_migrations WHERE version <> 'm20261125_000001_users';",
    );
    let check = engine.backups.verify_file(&older).await.expect("an older version's own schema passes");
    assert_eq!(check.pending_migrations, ["m20261125_000002_themes"]);
    // The same file claiming the second migration lacks what it made.
    let lying = altered(
        &older,
        dir.path(),
        "lying.sqlite3",
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20261125_000002_themes', 0);",
    );
    let refused = reason(engine.backups.verify_file(&lying).await.unwrap_err());
    assert!(refused.contains("user_themes") && refused.contains("theme_presets"), "{refused}");
    // And the older file restores: its missing migration is applied on the way in.
    engine.backups.restore(RestoreSource::File(older)).await.expect("restore of an older version");
    engine.backups.verify_file(&good_path).await.unwrap();
}
