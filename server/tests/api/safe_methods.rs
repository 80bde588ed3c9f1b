//! GET and HEAD change nothing: walked over every GET route of the served router, as staff (who
//! may reach them all). A download counts (with its timeline event) only once a GET has sent the
//! whole file; a HEAD, or a GET broken off, counts nothing. Every other method is refused from
//! another site before any handler runs.

use crate::{
    access::concrete,
    helpers::{TestApp, spawn_app},
};
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::Value;
use server::http::route_table;
use std::time::Duration;

async fn staff(app: &TestApp) -> reqwest::Client {
    let password = app.create_user("safeboss", true).await;
    app.login_client("safeboss", &password).await
}

async fn backup(app: &TestApp, client: &reqwest::Client) -> (i64, String) {
    let made: Value = client.post(app.url("/api/backups")).send().await.unwrap().json().await.unwrap();
    (made["id"].as_i64().unwrap(), made["filename"].as_str().unwrap().to_string())
}

async fn downloads(app: &TestApp, client: &reqwest::Client, id: i64) -> (u64, usize) {
    let detail: Value = client.get(app.url(&format!("/api/backups/{id}"))).send().await.unwrap().json().await.unwrap();
    let events = detail["events"].as_array().unwrap().iter().filter(|e| e["kind"] == "downloaded").count();
    (detail["backup"]["download_count"].as_u64().unwrap(), events)
}

#[tokio::test]
async fn only_a_whole_get_transfer_counts_as_a_download() {
    let app = spawn_app().await;
    let client = staff(&app).await;
    app.add_ballast(8).await;
    let (id, filename) = backup(&app, &client).await;
    let url = app.url(&format!("/backups/{filename}/download"));

    let head = client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(downloads(&app, &client, id).await, (0, 0), "a HEAD is not a download");

    // A GET whose client goes away after the first chunk.
    let broken = client.get(&url).send().await.unwrap();
    assert_eq!(broken.status(), 200);
    let mut body = broken.bytes_stream();
    assert!(body.next().await.unwrap().unwrap().len() < 8 << 20);
    drop(body);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(downloads(&app, &client, id).await, (0, 0), "a transfer broken off is not a download");

    let whole = client.get(&url).send().await.unwrap().bytes().await.unwrap();
    assert!(whole.len() > 8 << 20);
    // The count is written when the last byte has gone out: give it a moment.
    for _ in 0..50 {
        if downloads(&app, &client, id).await == (1, 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(downloads(&app, &client, id).await, (1, 1), "one whole GET: one download, one event");
}

#[tokio::test]
async fn no_get_or_head_route_changes_anything() {
    let app = spawn_app().await;
    let client = staff(&app).await;
    let (_, filename) = backup(&app, &client).await;
    let table = route_table(&app.state).unwrap();
    let mut checked = 0;
    for entry in table.iter().filter(|e| e.method == Method::GET) {
        let path = concrete(&entry.path).replace("db-20260101-000000.sqlite3", &filename);
        for method in [Method::HEAD, Method::GET] {
            // A whole GET of a download is the one read that is recorded (above).
            if method == Method::GET && entry.path.ends_with("/download") {
                continue;
            }
            for (who, c) in [("staff", &client), ("anonymous", &app.new_client())] {
                let before = app.fingerprint().await;
                let response = c.request(method.clone(), app.url(&path)).send().await.unwrap();
                let status = response.status();
                let _ = response.bytes().await;
                assert!(!status.is_server_error(), "{who} {method} {path}: {status}");
                assert_eq!(app.fingerprint().await, before, "{who} {method} {path} changed the data");
                checked += 1;
            }
        }
    }
    assert!(checked > 40, "{checked}");
}

#[tokio::test]
async fn every_other_method_is_refused_from_another_site() {
    let app = spawn_app().await;
    let client = staff(&app).await;
    let (_, filename) = backup(&app, &client).await;
    let table = route_table(&app.state).unwrap();
    let before = app.fingerprint().await;
    let mut checked = 0;
    for entry in table.iter().filter(|e| ![Method::GET, Method::HEAD, Method::OPTIONS].contains(&e.method)) {
        let path = concrete(&entry.path).replace("db-20260101-000000.sqlite3", &filename);
        for (header, value) in
            [("sec-fetch-site", "cross-site"), ("sec-fetch-site", "same-site"), ("origin", "http://evil.example")]
        {
            let response = client
                .request(entry.method.clone(), app.url(&path))
                .header(header, value)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 403, "{} {path} with {header}: {value}", entry.method);
            checked += 1;
        }
    }
    assert_eq!(app.fingerprint().await, before);
    assert!(checked > 30, "{checked}");
}
