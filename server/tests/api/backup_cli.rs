//! `smallstack backup …`: the real binary, run against the data folder of a running test server.

use crate::helpers::{TestApp, spawn_app};
use engine::backup::{Phase, Status, Trigger};
use sea_orm::ConnectionTrait;
use std::{
    path::Path,
    process::{Output, Stdio},
    time::Duration,
};

/// Runs the real `smallstack` binary with the test server's paths.
async fn smallstack(app: &TestApp, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_smallstack"));
    cmd.args(args)
        .env("DATABASE_PATH", app.data_path("db.sqlite3"))
        .env("SYSTEM_DATABASE_PATH", app.data_path("system.sqlite3"))
        .env("BACKUP_DIR", app.data_path("backups"))
        .env("MEDIA_ROOT", app.data_path("media"))
        .stdin(Stdio::null());
    for name in ["BACKUP_RETENTION", "BACKUP_SCHEDULE", "BACKUP_UPLOAD_MAX", "BACKUP_WEBHOOK_URL", "RUST_LOG"] {
        cmd.env_remove(name);
    }
    for (name, value) in extra_env {
        cmd.env(name, value);
    }
    tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("the CLI finishes")
        .expect("run smallstack")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_create_is_refused_while_the_server_backs_up_then_succeeds() {
    let app = spawn_app().await;
    // About 40 MiB, checkpointed into the file, so the server's backup takes long enough to
    // overlap with the CLI's.
    app.add_ballast(40).await;
    app.state.engine.app_db.checkpoint().await.unwrap();

    // The server runs a backup; the CLI's, started meanwhile, is refused.
    let backups = app.state.engine.backups.clone();
    let mut progress = backups.subscribe_progress();
    let server_backup = tokio::spawn(async move { backups.create(Trigger::Manual).await });
    progress.wait_for(|p| p.as_ref().is_some_and(|p| p.phase == Phase::Copy)).await.unwrap();
    let refused = smallstack(&app, &["backup", "create"], &[]).await;
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let message = stderr(&refused);
    assert!(message.starts_with("smallstack: error: a backup or restore is already running"), "{message}");
    assert_eq!(message.trim_end().lines().count(), 1, "one line: {message}");
    assert!(stdout(&refused).is_empty());
    let made_by_server = server_backup.await.unwrap().expect("the server's backup proceeds");
    assert_eq!(made_by_server.status, Status::Success);

    // The lock taken through the engine refuses it the same way.
    let lock = app.state.engine.backups.lock().unwrap();
    let refused = smallstack(&app, &["backup", "create"], &[]).await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("already running"), "{}", stderr(&refused));
    drop(lock);

    // Once free, it proceeds and prints the name, size, duration and checksum.
    let made = smallstack(&app, &["backup", "create"], &[]).await;
    assert!(made.status.success(), "{}", stderr(&made));
    let text = stdout(&made);
    let name = text.lines().next().unwrap().to_string();
    assert!(engine::backup::BackupName::parse(&name).is_ok(), "{text}");
    assert!(text.contains("size") && text.contains("duration") && text.contains("sha256"), "{text}");
    assert!(app.data_path("backups").join(&name).is_file());

    // `backup list`: one per line, file name first, newest first; the server sees the same catalogue.
    let listed = smallstack(&app, &["backup", "list"], &[]).await;
    assert!(listed.status.success());
    let lines: Vec<String> = stdout(&listed).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with(&format!("{name}\tsuccess\t")), "{lines:?}");
    assert!(lines[0].contains("\tcli\t"), "{lines:?}");
    assert!(lines[1].starts_with(&format!("{}\tsuccess\t", made_by_server.filename)), "{lines:?}");
    let record = app.state.engine.backups.find_by_name(&name).await.unwrap();
    assert_eq!(record.trigger, Trigger::Cli);
}

#[tokio::test]
async fn backup_verify_accepts_a_good_file_and_refuses_a_bad_one() {
    let app = spawn_app().await;
    let record = app.state.engine.backups.create(Trigger::Manual).await.unwrap();
    let path = app.data_path("backups").join(&record.filename);

    let ok = smallstack(&app, &["backup", "verify", path.to_str().unwrap()], &[]).await;
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).contains(record.sha256.as_deref().unwrap()), "{}", stdout(&ok));
    // A bare backup name means the file in BACKUP_DIR.
    let by_name = smallstack(&app, &["backup", "verify", &record.filename], &[]).await;
    assert!(by_name.status.success(), "{}", stderr(&by_name));

    let bad = app.data_path("notes.sqlite3");
    std::fs::write(&bad, "not a database\n".repeat(100)).unwrap();
    for (file, expect) in
        [(bad.as_path(), "not a SQLite database"), (Path::new("/nonexistent/x.sqlite3"), "no such file")]
    {
        let out = smallstack(&app, &["backup", "verify", file.to_str().unwrap()], &[]).await;
        assert_eq!(out.status.code(), Some(1), "{file:?}");
        let message = stderr(&out);
        assert!(message.starts_with("smallstack: error: ") && message.contains(expect), "{message}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_restore_brings_back_the_backup_while_the_server_runs() {
    let app = spawn_app().await;
    app.create_user("alice", false).await;
    let made = smallstack(&app, &["backup", "create"], &[]).await;
    assert!(made.status.success(), "{}", stderr(&made));
    let name = stdout(&made).lines().next().unwrap().to_string();
    let id = app.state.engine.backups.find_by_name(&name).await.unwrap().id;
    app.create_user("bob", false).await;

    let usernames = || async {
        let mut names: Vec<String> =
            app.state.engine.accounts.list().await.unwrap().into_iter().map(|u| u.username.to_string()).collect();
        names.sort();
        names
    };
    assert_eq!(usernames().await, ["alice", "bob"]);

    let restored = smallstack(&app, &["backup", "restore", "--yes", &id.to_string()], &[]).await;
    assert!(restored.status.success(), "{}", stderr(&restored));
    assert!(stdout(&restored).contains("safety backup"), "{}", stdout(&restored));
    // The running server's connections read the restored database, with no restart.
    assert_eq!(usernames().await, ["alice"]);
    assert!(app.state.engine.app_db.integrity_check().await.unwrap().is_empty());
    assert_eq!(app.get("/health").await.status(), 200);
    let safety = app.state.engine.backups.list().await.unwrap().remove(0);
    assert_eq!(safety.trigger, Trigger::PreRestore);

    // Without --yes and with a non-terminal standard input it proceeds too: back to the safety copy.
    let again = smallstack(&app, &["backup", "restore", &safety.filename], &[]).await;
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(usernames().await, ["alice", "bob"]);

    // A bad source: exit 1, one clear line, nothing changed.
    let before = app.fingerprint().await;
    for source in ["../etc/passwd", "4242", "db-20000101-000000.sqlite3"] {
        let out = smallstack(&app, &["backup", "restore", "--yes", source], &[]).await;
        assert_eq!(out.status.code(), Some(1), "{source}");
        assert!(stderr(&out).starts_with("smallstack: error: "), "{source}: {}", stderr(&out));
    }
    assert_eq!(app.fingerprint().await, before);
}

#[tokio::test]
async fn backup_prune_applies_retention_and_bad_settings_stop_the_cli() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.state.engine.backups.create(Trigger::Manual).await.unwrap();
    }
    let pruned = smallstack(&app, &["backup", "prune"], &[("BACKUP_RETENTION", "1")]).await;
    assert!(pruned.status.success(), "{}", stderr(&pruned));
    assert_eq!(stdout(&pruned).lines().filter(|l| l.starts_with("pruned ")).count(), 2, "{}", stdout(&pruned));
    let statuses: Vec<Status> = app.state.engine.backups.list().await.unwrap().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Status::Success, Status::Pruned, Status::Pruned]);

    for (name, value) in [("BACKUP_RETENTION", "-3"), ("BACKUP_RETENTION", "lots"), ("BACKUP_SCHEDULE", "every day")] {
        let out = smallstack(&app, &["backup", "list"], &[(name, value)]).await;
        assert_eq!(out.status.code(), Some(1), "{name}={value}");
        let message = stderr(&out);
        assert!(message.starts_with(&format!("smallstack: error: {name}=")), "{message}");
        assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_backup_is_posted_to_the_webhook() {
    use axum::{Json, Router, routing::post};
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<serde_json::Value>();
    let hook = Router::new().route(
        "/hook",
        post(move |Json(body): Json<serde_json::Value>| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, hook).await });

    let app = spawn_app().await;
    // A backup left `running` by a process that died: the next start of the CLI fails it loudly.
    {
        let w = app.state.engine.system_db.writer().await.unwrap();
        w.conn()
            .execute_unprepared(
                "INSERT INTO backups (filename, created_at, status, trigger, download_count) \
                 VALUES ('db-20261125-020000.sqlite3', '2026-11-25T02:00:00+00:00', 'running', 'scheduled', 0)",
            )
            .await
            .unwrap();
    }
    let out = smallstack(&app, &["backup", "list"], &[("BACKUP_WEBHOOK_URL", &url)]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("failed"), "{}", stdout(&out));
    let body = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.expect("a notice").unwrap();
    assert_eq!(body["event"], "backup_failed");
    assert_eq!(body["operation"], "backup");
    assert_eq!(body["filename"], "db-20261125-020000.sqlite3");
    assert_eq!(body["trigger"], "scheduled");
    assert!(body["error"].as_str().unwrap().contains("interrupted"), "{body}");
    assert!(
        body["text"].as_str().unwrap().starts_with("SmallStack: backup db-20261125-020000.sqlite3 failed"),
        "{body}"
    );
}
