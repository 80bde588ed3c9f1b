//! Off-site copies through the real server and the real `smallstack` binary, against a real S3
//! server on loopback (`s3s-fs`, started by the engine's test harness): the Remote tab's API
//! (configuration redacted, connection test, refusals), `backup create` uploading its own
//! backup, `backup remote list|check|verify`, a bad remote setting stopping the CLI, and the
//! disaster drill: a new machine with an empty data folder restored with one command.

#[allow(dead_code)]
#[path = "../../../engine/tests/remote/support.rs"]
mod support;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use contract::{
    backup::{RemoteCheckReport, RemoteState, RemoteView, Trigger},
    paths,
};
use engine::{Engine, EngineConfig, backup::BackupConfig};
use sea_orm::ConnectionTrait;
use std::{
    path::Path,
    process::{Output, Stdio},
    time::Duration,
};
use support::{ACCESS_KEY, BUCKET, S3Server, SECRET_KEY};

/// The environment a server with this remote would read (the secret included, as in production).
fn remote_env(server: &S3Server, prefix: &str, secret: &str) -> Vec<(&'static str, String)> {
    vec![
        ("BACKUP_REMOTE_URL", format!("s3://{BUCKET}/{prefix}")),
        ("BACKUP_REMOTE_ENDPOINT", server.endpoint()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
        ("AWS_SECRET_ACCESS_KEY", secret.to_string()),
    ]
}

/// Runs the real binary on the data folder `data` with `env` (and nothing from the ambient
/// environment that could change the remote).
async fn smallstack_in(data: &Path, args: &[&str], env: &[(&'static str, String)]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_smallstack"));
    cmd.args(args)
        .env("DATABASE_PATH", data.join("db.sqlite3"))
        .env("SYSTEM_DATABASE_PATH", data.join("system.sqlite3"))
        .env("BACKUP_DIR", data.join("backups"))
        .env("MEDIA_ROOT", data.join("media"))
        .stdin(Stdio::null());
    for name in [
        "BACKUP_RETENTION",
        "BACKUP_SCHEDULE",
        "BACKUP_WEBHOOK_URL",
        "BACKUP_REMOTE_URL",
        "BACKUP_REMOTE_ENDPOINT",
        "BACKUP_REMOTE_REGION",
        "BACKUP_REMOTE_CREDENTIALS",
        "BACKUP_REMOTE_KEEP",
        "BACKUP_REMOTE_MAX_RATE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ALLOW_HTTP",
        "RUST_LOG",
    ] {
        cmd.env_remove(name);
    }
    for (name, value) in env {
        cmd.env(name, value);
    }
    tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .expect("the CLI finishes")
        .expect("run smallstack")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

async fn spawn_with_remote(server: &S3Server, prefix: &str) -> TestApp {
    let remote = server.settings(BUCKET, prefix, SECRET_KEY);
    spawn_app_with(|s| s.backup_remote = Some(remote)).await
}

async fn staff(app: &TestApp) -> reqwest::Client {
    let password = app.create_user("keeper", true).await;
    app.login_client("keeper", &password).await
}

async fn remote_view(app: &TestApp, client: &reqwest::Client) -> RemoteView {
    let response = client.get(app.url(paths::BACKUPS_REMOTE)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The Remote tab's answer shows where copies go with the key id masked and no secret anywhere;
/// a backup made with the Backup-now button shows up there once the uploader has copied it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_remote_tab_shows_the_redacted_configuration_and_fills_as_a_backup_uploads() {
    let server = S3Server::start();
    let app = spawn_with_remote(&server, "app").await;
    let client = staff(&app).await;

    let body = client.get(app.url(paths::BACKUPS_REMOTE)).send().await.unwrap().text().await.unwrap();
    assert!(!body.contains(SECRET_KEY) && !body.contains(ACCESS_KEY), "a credential leaked: {body}");
    let view: RemoteView = serde_json::from_str(&body).unwrap();
    let config = view.config.expect("a remote is configured");
    assert_eq!(config.bucket.as_deref(), Some(BUCKET));
    assert_eq!(config.prefix.as_deref(), Some("app"));
    assert_eq!(config.endpoint.as_deref(), Some(server.endpoint().as_str()));
    let key_id = config.key_id.unwrap();
    assert!(key_id.starts_with("AKIA") && key_id.ends_with("ST01") && key_id.contains('…'), "{key_id}");
    assert!(view.copies.is_empty(), "{:?}", view.copies);

    let made: contract::backup::BackupRecord =
        client.post(app.url(paths::BACKUPS)).send().await.unwrap().json().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let view = loop {
        let view = remote_view(&app, &client).await;
        if view.copies.iter().any(|c| c.name == made.filename && c.is_complete()) {
            break view;
        }
        assert!(tokio::time::Instant::now() < deadline, "the copy never appeared: {view:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let copy = view.copies.iter().find(|c| c.name == made.filename).unwrap();
    assert_eq!(copy.sha256.as_deref(), made.sha256.as_deref());
    assert!(copy.local_file);
    assert!(view.status.queue.is_empty(), "{:?}", view.status.queue);
    let record = app.state.engine.backups.find_by_name(&made.filename).await.unwrap();
    assert_eq!(record.remote.unwrap().state, RemoteState::Uploaded);
    assert!(server.object_path(&format!("app/backups/{}.sha256", made.filename)).is_file());

    // The whole dashboard (any tab) never carries a secret either.
    let dashboard = client.get(app.url("/api/backups?tab=remote")).send().await.unwrap().text().await.unwrap();
    assert!(!dashboard.contains(SECRET_KEY), "a secret leaked into the dashboard");
}

/// The connection test reports each step; with a wrong secret it fails at the first, naming the
/// credentials (never the secret itself). Refusals are 4xx and change nothing.
#[tokio::test]
async fn the_connection_test_names_what_is_wrong_and_bad_requests_are_refused() {
    let server = S3Server::start();
    let app = spawn_with_remote(&server, "app").await;
    let client = staff(&app).await;
    let report: RemoteCheckReport =
        client.post(app.url(paths::BACKUPS_REMOTE_CHECK)).send().await.unwrap().json().await.unwrap();
    assert!(report.ok && report.steps.len() == 5, "{report:?}");

    let wrong = "wrong/secret/not-the-right-one";
    let denied = spawn_app_with(|s| s.backup_remote = Some(server.settings(BUCKET, "app", wrong))).await;
    let denied_client = staff(&denied).await;
    let body = denied_client.post(denied.url(paths::BACKUPS_REMOTE_CHECK)).send().await.unwrap().text().await.unwrap();
    let report: RemoteCheckReport = serde_json::from_str(&body).unwrap();
    assert!(!report.ok, "{report:?}");
    let error = report.error.unwrap();
    assert!(error.contains("AWS_ACCESS_KEY_ID") || error.contains("AWS_SECRET_ACCESS_KEY"), "{error}");
    assert!(!body.contains(wrong), "the secret leaked: {body}");

    let before = app.fingerprint().await;
    for (body, field, says) in [
        (serde_json::json!({"name": "../db.sqlite3", "confirm": "../db.sqlite3"}), "name", ""),
        (serde_json::json!({"name": "backups/x", "confirm": "backups/x"}), "name", ""),
        (
            serde_json::json!({"name": "db-20261125-020000.sqlite3", "confirm": "db-20261125-020001.sqlite3"}),
            "confirm",
            "does not match",
        ),
    ] {
        let response = client.post(app.url(paths::BACKUPS_REMOTE_RESTORE)).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 422, "{body}");
        let error: serde_json::Value = response.json().await.unwrap();
        assert_eq!(error["field"], field, "{error}");
        assert!(error["error"].as_str().unwrap().contains(says), "{error}");
    }
    let missing = serde_json::json!({"name": "db-20261125-020000.sqlite3", "confirm": "db-20261125-020000.sqlite3"});
    let response = client.post(app.url(paths::BACKUPS_REMOTE_RESTORE)).json(&missing).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let response = client.post(app.url(paths::BACKUPS_REMOTE_CHECK)).body("{\"probe\": 1}").send().await.unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(app.fingerprint().await, before, "a refused request changed nothing");

    // Without a remote: the tab says so, and the actions are 409 with the reason.
    let plain = spawn_app().await;
    let plain_client = staff(&plain).await;
    assert!(remote_view(&plain, &plain_client).await.config.is_none());
    let response = plain_client.post(plain.url(paths::BACKUPS_REMOTE_CHECK)).send().await.unwrap();
    assert_eq!(response.status(), 409);
    let error: serde_json::Value = response.json().await.unwrap();
    assert!(error["error"].as_str().unwrap().contains("BACKUP_REMOTE_URL"), "{error}");
}

/// A bad remote setting stops every command with one line naming the variable, exit 1, and
/// never repeats a secret.
#[tokio::test]
async fn a_bad_remote_setting_stops_the_cli_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "a secret with spaces";
    for (env, name) in [
        (vec![("BACKUP_REMOTE_URL", "ftp://host/x".to_string())], "BACKUP_REMOTE_URL"),
        (vec![("BACKUP_REMOTE_URL", "s3://bucket/x".to_string())], "AWS_ACCESS_KEY_ID"),
        (
            vec![
                ("BACKUP_REMOTE_URL", "s3://bucket/x".to_string()),
                ("BACKUP_REMOTE_ENDPOINT", "http://s3.example.com".to_string()),
                ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
                ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_string()),
                ("AWS_ALLOW_HTTP", "true".to_string()),
            ],
            "BACKUP_REMOTE_ENDPOINT",
        ),
        (
            vec![
                ("BACKUP_REMOTE_URL", "s3://bucket/x".to_string()),
                ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
                ("AWS_SECRET_ACCESS_KEY", secret.to_string()),
            ],
            "AWS_SECRET_ACCESS_KEY",
        ),
        (vec![("BACKUP_REMOTE_KEEP", "last=3".to_string())], "BACKUP_REMOTE_KEEP"),
    ] {
        let out = smallstack_in(dir.path(), &["backup", "list"], &env).await;
        assert_eq!(out.status.code(), Some(1), "{env:?}: {}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(stderr.trim_end().lines().count(), 1, "{env:?}: {stderr}");
        assert!(stderr.contains(name), "{env:?}: {stderr}");
        assert!(!stderr.contains(SECRET_KEY) && !stderr.contains(secret), "a secret leaked: {stderr}");
    }
}

/// Rows of every table of the application database, in rowid order, per table.
async fn all_rows(engine: &Engine) -> Vec<(String, Vec<String>)> {
    use sea_orm::{DbBackend, Statement};
    let reader = engine.app_db.reader();
    let tables = reader
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        ))
        .await
        .unwrap();
    let mut out = Vec::new();
    for table in tables {
        let name: String = table.try_get_by_index(0).unwrap();
        let columns = reader
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                format!("SELECT name FROM pragma_table_info('{name}')"),
            ))
            .await
            .unwrap();
        let quoted: Vec<String> =
            columns.iter().map(|c| format!("quote(\"{}\")", c.try_get_by_index::<String>(0).unwrap())).collect();
        let rows = reader
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                format!("SELECT {} FROM \"{name}\" ORDER BY rowid", quoted.join(" || '|' || ")),
            ))
            .await
            .unwrap();
        out.push((name, rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect()));
    }
    out
}

async fn open_engine(data: &Path) -> Engine {
    Engine::open(EngineConfig {
        database_path: data.join("db.sqlite3"),
        system_database_path: data.join("system.sqlite3"),
        media_root: data.join("media"),
        backup_dir: data.join("backups"),
        backup: BackupConfig::default(),
    })
    .await
    .unwrap()
}

/// The disaster drill: make data and media, back up with the CLI (which uploads before it
/// exits), lose the machine (a new, empty data folder), list what the remote holds, restore with
/// one command, and compare every table's rows and every media file's bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disaster_drill_a_new_machine_is_restored_with_one_command() {
    let server = S3Server::start();
    let env = remote_env(&server, "drill", SECRET_KEY);
    let old = tempfile::tempdir().unwrap();
    let (rows, media) = {
        let engine = open_engine(old.path()).await;
        let w = engine.app_db.writer().await.unwrap();
        w.conn()
            .execute_unprepared(
                // Rows of the real schema: a restore refuses tables its migrations do not make.
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
                 INSERT INTO users (username, email, password_hash, created_at)
                 SELECT 'note-' || i, 'note-' || i || '@example.com', hex(randomblob(2000)), '2026-01-01T00:00:00Z'
                 FROM n;",
            )
            .await
            .unwrap();
        drop(w);
        let rows = all_rows(&engine).await;
        engine.close().await;
        let media = old.path().join("media");
        std::fs::create_dir_all(media.join("avatars")).unwrap();
        std::fs::write(media.join("avatars/1.png"), crate::helpers::tiny_png()).unwrap();
        std::fs::write(media.join("avatars/2.png"), vec![7u8; 300_000]).unwrap();
        std::fs::create_dir_all(media.join("uploads/2026")).unwrap();
        std::fs::write(media.join("uploads/2026/report.pdf"), b"%PDF-1.7 not really").unwrap();
        let files: Vec<(String, Vec<u8>)> = support::walk(&media)
            .into_iter()
            .map(|p| (p.strip_prefix(&media).unwrap().display().to_string(), std::fs::read(&p).unwrap()))
            .collect();
        (rows, files)
    };
    assert!(rows.iter().any(|(t, r)| t == "users" && r.len() == 500));

    let made = smallstack_in(old.path(), &["backup", "create"], &env).await;
    assert!(made.status.success(), "{}", text(&made));
    let printed = text(&made);
    assert!(printed.contains("off-site  drill/backups/db-"), "{printed}");
    assert!(printed.contains("media     3 files, 3 sent"), "{printed}");
    let name = printed.lines().next().unwrap().to_string();

    // The server and its disk are gone.
    drop(old);
    let new = tempfile::tempdir().unwrap();

    let listed = smallstack_in(new.path(), &["backup", "remote", "list"], &env).await;
    assert!(listed.status.success(), "{}", text(&listed));
    let line = String::from_utf8_lossy(&listed.stdout).lines().next().unwrap_or_default().to_string();
    assert!(line.starts_with(&format!("{name}\t")), "{line}");
    assert!(line.contains("\tverified\t") && line.ends_with("not in the local catalogue"), "{line}");

    let check = smallstack_in(new.path(), &["backup", "remote", "check"], &env).await;
    assert!(check.status.success(), "{}", text(&check));

    let restored = smallstack_in(new.path(), &["backup", "restore", "--remote", "latest"], &env).await;
    assert!(restored.status.success(), "{}", text(&restored));
    let printed = text(&restored);
    for says in
        ["restored", &format!("drill/backups/{name}"), "downloaded", "integrity_check ok", "3 files brought back"]
    {
        assert!(printed.contains(says), "{says:?} missing from: {printed}");
    }

    let engine = open_engine(new.path()).await;
    assert_eq!(all_rows(&engine).await, rows, "every table's rows are back");
    let record = engine.backups.find_by_name(&name).await.unwrap();
    assert_eq!(record.trigger, Trigger::Remote);
    engine.close().await;
    for (path, bytes) in &media {
        assert_eq!(&std::fs::read(new.path().join("media").join(path)).unwrap(), bytes, "{path}");
    }

    let verify = smallstack_in(new.path(), &["backup", "remote", "verify"], &env).await;
    assert!(verify.status.success(), "{}", text(&verify));
    // A copy altered on the remote is refused by verify, naming it.
    std::fs::write(server.object_path(&format!("drill/backups/{name}")), b"altered").unwrap();
    let verify = smallstack_in(new.path(), &["backup", "remote", "verify"], &env).await;
    assert_eq!(verify.status.code(), Some(1), "{}", text(&verify));
    assert!(text(&verify).contains(&name), "{}", text(&verify));
}
