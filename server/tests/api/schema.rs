//! A file is accepted as a backup (upload, restore) only when its schema is exactly the one its
//! migrations must have made: an added trigger, a view, a table with other columns, a missing
//! table or index are refused with the difference named, and nothing is restored. `/health`
//! reports a live database the app cannot use.

use crate::helpers::{altered_database, spawn_app};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

#[tokio::test]
async fn uploads_and_restores_refuse_a_schema_their_migrations_did_not_make() {
    let app = spawn_app().await;
    let password = app.create_user("schemer", true).await;
    let client = app.login_client("schemer", &password).await;
    let made: Value = client.post(app.url("/api/backups")).send().await.unwrap().json().await.unwrap();
    let good = std::fs::read(app.data_path(&format!("backups/{}", made["filename"].as_str().unwrap()))).unwrap();
    let cases = [
        ("CREATE TRIGGER promote AFTER UPDATE ON users BEGIN UPDATE users SET is_staff = 1; END;", "trigger promote"),
        ("CREATE VIEW everyone AS SELECT username, password_hash FROM users;", "view everyone"),
        ("ALTER TABLE users ADD COLUMN note TEXT;", "table users"),
        ("DROP TABLE user_themes;", "user_themes"),
        ("CREATE TABLE extra (x);", "table extra"),
        ("CREATE INDEX users_by_name ON users (display_name);", "index users_by_name"),
    ];
    let before = app.fingerprint().await;
    let files_before = std::fs::read_dir(app.data_path("backups")).unwrap().count();
    for (sql, named) in cases {
        let upload = client
            .post(app.url("/api/backups/upload"))
            .header("content-type", "application/octet-stream")
            .body(altered_database(&good, sql))
            .send()
            .await
            .unwrap();
        assert_eq!(upload.status(), 422, "{sql}");
        let error = upload.json::<Value>().await.unwrap()["error"].as_str().unwrap().to_string();
        assert!(error.contains(named), "{sql}: the error names {named:?}: {error}");
    }
    assert_eq!(app.fingerprint().await, before, "nothing was restored or catalogued");
    assert_eq!(std::fs::read_dir(app.data_path("backups")).unwrap().count(), files_before, "no file kept");

    // The same check stops a restore of a catalogued file altered on disk (its checksum would
    // too: here the record forgets it, as one written by someone with the disk could).
    let path = app.data_path(&format!("backups/{}", made["filename"].as_str().unwrap()));
    std::fs::write(&path, altered_database(&good, cases[0].0)).unwrap();
    let w = app.state.engine.system_db.writer().await.unwrap();
    w.conn().execute_unprepared(&format!("UPDATE backups SET sha256 = NULL WHERE id = {}", made["id"])).await.unwrap();
    drop(w);
    let restore = client
        .post(app.url(&format!("/api/backups/{}/restore", made["id"])))
        .json(&json!({"confirm": made["filename"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(restore.status(), 422);
    assert!(restore.json::<Value>().await.unwrap()["error"].as_str().unwrap().contains("trigger promote"));
    assert_eq!(app.fingerprint().await.0, before.0, "the live database is untouched");
}

#[tokio::test]
async fn health_reports_a_database_the_app_cannot_use() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health").await.status(), 200);
    let w = app.state.engine.app_db.writer().await.unwrap();
    w.conn().execute_unprepared("DROP TABLE theme_presets").await.unwrap();
    drop(w);
    let health = app.get("/health").await;
    assert_eq!(health.status(), 503);
    let body: Value = health.json().await.unwrap();
    assert_eq!(body["status"], "error");
    assert!(body["problem"].as_str().unwrap_or_default().contains("theme_presets"), "{body}");
}
