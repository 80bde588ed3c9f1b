//! The backup dashboard's API against a real server: what staff can do, and every refusal.

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn staff(app: &TestApp) -> reqwest::Client {
    let password = app.create_user("boss", true).await;
    app.login_client("boss", &password).await
}

async fn backup_now(app: &TestApp, client: &reqwest::Client) -> Value {
    let response = client.post(app.url("/api/backups")).send().await.unwrap();
    assert_eq!(response.status(), 201, "a small backup finishes at once");
    response.json().await.unwrap()
}

#[tokio::test]
async fn backup_now_lists_downloads_and_records_the_download() {
    let app = spawn_app().await;
    let client = staff(&app).await;
    let made = backup_now(&app, &client).await;
    let filename = made["filename"].as_str().unwrap().to_string();
    assert!(filename.starts_with("db-") && filename.ends_with(".sqlite3"));
    assert_eq!(made["status"], "success");
    assert_eq!(made["integrity_ok"], true);
    assert_eq!(made["trigger"], "manual");
    assert_eq!(made["sha256"].as_str().unwrap().len(), 64);

    let list: Value = client.get(app.url("/api/backups")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["backups"][0]["filename"], filename);

    let download = client.get(app.url(&format!("/backups/{filename}/download"))).send().await.unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "application/x-sqlite3");
    assert_eq!(download.headers()["content-disposition"], format!("attachment; filename=\"{filename}\"").as_str());
    let length: u64 = download.headers()["content-length"].to_str().unwrap().parse().unwrap();
    let bytes = download.bytes().await.unwrap();
    assert_eq!(bytes.len() as u64, length);
    assert!(bytes.starts_with(b"SQLite format 3\0"));

    let detail: Value =
        client.get(app.url(&format!("/api/backups/{}", made["id"]))).send().await.unwrap().json().await.unwrap();
    assert_eq!(detail["backup"]["download_count"], 1);
    let kinds: Vec<&str> = detail["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["created", "verified", "downloaded"]);

    let page = client.get(app.url(&format!("/backups/{}", made["id"]))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&filename) && page.contains("downloaded"), "the detail page is server-rendered");
}

#[tokio::test]
async fn downloads_only_serve_existing_backups_by_their_pattern() {
    let app = spawn_app().await;
    let client = staff(&app).await;
    backup_now(&app, &client).await;
    std::fs::write(app.data_path("backups/secret.txt"), "not for you").unwrap();
    for bad in [
        "/backups/secret.txt/download",
        "/backups/..%2Fdb.sqlite3/download",
        "/backups/%2e%2e%2f%2e%2e%2fdb.sqlite3/download",
        "/backups/db-20260101-000000.sqlite3%00/download",
        "/backups/db-20260101-000000.sqlite3/download",
        "/backups/db-2026-01-01.sqlite3/download",
        "/backups/..%5Cdb.sqlite3/download",
    ] {
        let response = client.get(app.url(bad)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{bad}");
    }
}

#[tokio::test]
async fn actions_on_a_missing_id_are_404() {
    let app = spawn_app().await;
    let client = staff(&app).await;
    let before = app.fingerprint().await;
    for (method, path, body) in [
        ("GET", "/api/backups/999", None),
        ("DELETE", "/api/backups/999", None),
        ("POST", "/api/backups/999/restore", Some(json!({"confirm": "db-20260101-000000.sqlite3"}))),
        ("GET", "/api/backups/abc", None),
        ("GET", "/api/backups/-1", None),
        ("GET", "/backups/999", None),
        ("GET", "/backups/abc", None),
    ] {
        let mut request = client.request(method.parse().unwrap(), app.url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 404, "{method} {path}");
        // One message per kind of mistake, the same from the API and on the page.
        let expected = if path.contains("abc") {
            "\"abc\" is not a backup number."
        } else if path.contains("-1") {
            "\"-1\" is not a backup number."
        } else {
            "There is no backup #999."
        };
        if path.starts_with("/api/") {
            assert_eq!(response.json::<Value>().await.unwrap()["error"], expected, "{method} {path}");
        } else {
            let html = response.text().await.unwrap();
            assert!(html.contains(&expected.replace('"', "&quot;")) || html.contains(expected), "{path}: {html}");
        }
    }
    assert_eq!(app.fingerprint().await, before);
}

#[tokio::test]
async fn a_restore_needs_the_exact_file_name_and_then_brings_the_data_back() {
    let app = spawn_app().await;
    let client = staff(&app).await;
    let made = backup_now(&app, &client).await;
    let id = made["id"].as_i64().unwrap();
    app.create_user("later", false).await;
    assert_eq!(app.state.engine.accounts.list().await.unwrap().len(), 2);

    let before = app.fingerprint().await;
    for wrong in ["", "db-nope.sqlite3", " db-20000101-000000.sqlite3"] {
        let response = client
            .post(app.url(&format!("/api/backups/{id}/restore")))
            .json(&json!({"confirm": wrong}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{wrong:?}");
        assert_eq!(response.json::<Value>().await.unwrap()["field"], "confirm");
    }
    assert_eq!(app.fingerprint().await, before, "a refused restore changes nothing");

    let response = client
        .post(app.url(&format!("/api/backups/{id}/restore")))
        .json(&json!({"confirm": made["filename"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["safety_backup"]["trigger"], "pre-restore");
    let users: Vec<String> = app.state.engine.accounts.list().await.unwrap().into_iter().map(|u| u.username).collect();
    assert_eq!(users, ["boss"], "the user made after the backup is gone");
    // The staff session survives the restore (sessions live in the system database).
    assert_eq!(client.get(app.url("/api/me")).send().await.unwrap().status(), 200);
    let list: Value = client.get(app.url("/api/backups")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 2, "the catalogue keeps both the backup and the safety copy");
}

#[tokio::test]
async fn uploads_are_validated_and_a_bad_one_leaves_nothing() {
    let app = spawn_app().await;
    let client = staff(&app).await;
    let made = backup_now(&app, &client).await;
    let good = std::fs::read(app.data_path(&format!("backups/{}", made["filename"].as_str().unwrap()))).unwrap();
    let files_before = std::fs::read_dir(app.data_path("backups")).unwrap().count();
    let before = app.fingerprint().await;
    let upload = |body: Vec<u8>| {
        client.post(app.url("/api/backups/upload")).header("content-type", "application/octet-stream").body(body).send()
    };

    for (body, why) in [
        (b"just text, renamed to .sqlite3".repeat(100), "not a SQLite"),
        (Vec::new(), "empty"),
        (good[..good.len() / 2].to_vec(), "truncated"),
    ] {
        let response = upload(body).await.unwrap();
        assert_eq!(response.status(), 422, "{why}");
        let error = response.json::<Value>().await.unwrap();
        assert!(error["error"].as_str().unwrap().len() > 10, "{why}: {error}");
    }
    assert_eq!(app.fingerprint().await, before);
    assert_eq!(std::fs::read_dir(app.data_path("backups")).unwrap().count(), files_before, "no file left behind");

    // The same bytes as a backup still kept: refused, naming that backup (issue 14, point 9).
    let response = upload(good.clone()).await.unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let error: Value = response.json().await.unwrap();
    let named = format!(
        "This file is the same as backup #{} ({}), which is already kept.",
        made["id"],
        made["filename"].as_str().unwrap()
    );
    assert_eq!(error["error"], named.as_str());
    assert_eq!(std::fs::read_dir(app.data_path("backups")).unwrap().count(), files_before, "no file left behind");

    // Once that backup's file is deleted, the upload is kept.
    let deleted = client.delete(app.url(&format!("/api/backups/{}", made["id"]))).send().await.unwrap();
    assert_eq!(deleted.status(), 200);
    let response = upload(good).await.unwrap();
    assert_eq!(response.status(), 201);
    let uploaded: Value = response.json().await.unwrap();
    assert_eq!(uploaded["trigger"], "upload");
    assert_eq!(uploaded["status"], "success");
}

#[tokio::test]
async fn settings_are_validated_and_applied_without_a_restart() {
    let app = spawn_app_with(|s| s.backup_schedule = engine::backup::Schedule::parse("0 2 * * *").unwrap()).await;
    let client = staff(&app).await;
    let settings: Value = client.get(app.url("/api/backups/settings")).send().await.unwrap().json().await.unwrap();
    assert_eq!(settings["schedule"]["expression"], "0 2 * * *");
    assert_eq!(settings["schedule"]["description"], "daily at 02:00 UTC");
    assert_eq!(settings["schedule"]["next_runs"].as_array().unwrap().len(), 3);

    let before = app.fingerprint().await;
    for body in [
        json!({"schedule": "every day"}),
        json!({"schedule": "61 * * * *"}),
        json!({"schedule": "0 2 * * * *"}),
        json!({"retention": -1}),
        json!({"retention": "ten"}),
        json!({}),
        json!({"schedule": "*/5 * * * *", "retention": -3}),
    ] {
        let response = client.put(app.url("/api/backups/settings")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 422, "{body}");
        assert!(response.json::<Value>().await.unwrap()["error"].is_string());
    }
    assert_eq!(app.fingerprint().await, before, "the old settings stay");

    let updated: Value = client
        .put(app.url("/api/backups/settings"))
        .json(&json!({"schedule": "*/15 * * * *", "retention": 3}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(updated["schedule"]["description"], "every 15 minutes");
    assert_eq!(updated["retention"], 3);
    let preview =
        client.get(app.url("/api/backups/schedule-preview?expression=30%206%20*%20*%201-5")).send().await.unwrap();
    assert_eq!(preview.json::<Value>().await.unwrap()["description"], "at 06:30 UTC on weekdays (Monday to Friday)");
    let bad = client.get(app.url("/api/backups/schedule-preview?expression=nope")).send().await.unwrap();
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn two_backup_now_clicks_make_one_backup_and_both_answer_with_it() {
    let app = spawn_app().await;
    let client = staff(&app).await;
    app.add_ballast(150).await;
    let (a, b) = tokio::join!(client.post(app.url("/api/backups")).send(), client.post(app.url("/api/backups")).send());
    let (a, b) = (a.unwrap(), b.unwrap());
    let statuses = [a.status(), b.status()];
    assert!(statuses.contains(&StatusCode::ACCEPTED), "the second start answers 202: {statuses:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::ACCEPTED || *s == StatusCode::CREATED), "{statuses:?}");
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_eq!(a["id"], b["id"], "both answers name the same backup: {a} {b}");
    // Wait for it, then exactly one backup exists.
    for _ in 0..300 {
        let progress: Value = client.get(app.url("/api/backups/progress")).send().await.unwrap().json().await.unwrap();
        if matches!(progress["progress"]["phase"].as_str(), Some("done" | "failed")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let list: Value = client.get(app.url("/api/backups")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["backups"][0]["id"], a["id"]);
}

#[tokio::test]
async fn a_restore_running_still_refuses_a_backup_with_409() {
    let app = spawn_app().await;
    let client = staff(&app).await;
    // The lock a restore holds, taken the way a restore (or a backup in another process) does.
    let lock = app.state.engine.backups.lock().unwrap();
    let response = client.post(app.url("/api/backups")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    drop(lock);
}

#[tokio::test]
async fn the_database_panel_runs_its_actions() {
    let app = spawn_app().await;
    let client = staff(&app).await;
    for action in ["integrity-check", "vacuum", "checkpoint"] {
        let response = client.post(app.url(&format!("/api/database/{action}"))).send().await.unwrap();
        assert_eq!(response.status(), 200, "{action}");
        let result: Value = response.json().await.unwrap();
        assert_eq!(result["ok"], true, "{action}: {result}");
        assert!(result["duration_ms"].is_u64());
    }
    let panel: Value = client.get(app.url("/api/database")).send().await.unwrap().json().await.unwrap();
    assert_eq!(panel["last_check"]["ok"], true);
    assert_eq!(panel["stats"]["journal_mode"], "WAL");
    assert_eq!(client.post(app.url("/api/database/drop-everything")).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn the_dashboard_reads_without_javascript() {
    let app = spawn_app_with(|s| s.backup_schedule = engine::backup::Schedule::parse("0 2 * * *").unwrap()).await;
    let client = staff(&app).await;
    for _ in 0..3 {
        backup_now(&app, &client).await;
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    let html = client.get(app.url("/backups")).send().await.unwrap().text().await.unwrap();
    assert_eq!(html.matches("data-testid=\"backup-row\"").count(), 3);
    assert!(html.contains("daily at 02:00 UTC"));
    assert!(html.contains("Backup now"));
    let redirect = client.get(app.url("/backups/")).send().await.unwrap();
    assert!(redirect.status().is_redirection());
    assert_eq!(redirect.headers()["location"], "/backups");
}
