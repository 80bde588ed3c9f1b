//! Backup and restore under load: while writers save themes, create, rename and delete presets and
//! sign up new users through the HTTP API, staff take backups through `POST /api/backups`. Every
//! backup must end `success` with `integrity_ok`, its file must pass `PRAGMA integrity_check` when
//! opened independently, and the writers must see no error at all. Then the writers stop, one of
//! the backups (taken mid-load) is restored through `POST /api/backups/{id}/restore`, and the live
//! database must hold exactly the rows of that snapshot: same counts of users, user_themes and
//! theme_presets, and the same rows.
//!
//! The writers are stopped before the restore so the comparison can be exact: writes made after
//! the restore would change the counts being compared. (Writes during a restore are held by the
//! write gate and covered by the engine's own tests.)

use crate::support::{
    APP_TABLES, TestApp, counts, foreign_key_problems, integrity_check, open_backup_file, open_live_read_only, rows,
    spawn_app, theme_for,
};
use serde_json::{Value, json};
use std::{
    collections::{BTreeMap, VecDeque},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

const THEME_WRITERS: usize = 5;
const PRESET_WRITERS: usize = 2;
const BACKUPS: usize = 5;
/// The backup restored: one from the middle of the load.
const RESTORED: usize = 2;

#[derive(Default)]
struct Tally {
    ops: u64,
    errors: Vec<String>,
}

impl Tally {
    /// Counts the request; anything but `expected` is an error.
    async fn check(
        &mut self,
        what: String,
        result: reqwest::Result<reqwest::Response>,
        expected: u16,
    ) -> Option<Value> {
        self.ops += 1;
        match result {
            Ok(r) if r.status().as_u16() == expected => Some(r.json().await.unwrap_or(Value::Null)),
            Ok(r) => {
                let status = r.status();
                self.errors.push(format!("{what}: {status} {}", r.text().await.unwrap_or_default()));
                None
            }
            Err(e) => {
                self.errors.push(format!("{what}: {e}"));
                None
            }
        }
    }
}

async fn theme_writer(app: Arc<TestApp>, client: reqwest::Client, index: usize, stop: Arc<AtomicBool>) -> Tally {
    let mut tally = Tally::default();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let result = client.post(app.url("/api/theme")).json(&theme_for(index, n)).send().await;
        tally.check(format!("writer{index}: theme save {n}"), result, 200).await;
    }
    tally
}

async fn preset_writer(app: Arc<TestApp>, client: reqwest::Client, index: usize, stop: Arc<AtomicBool>) -> Tally {
    let mut tally = Tally::default();
    let mut ids = VecDeque::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let body = json!({"name": format!("w{index} preset {n}"), "theme": theme_for(index, n)});
        let result = client.post(app.url("/api/theme/presets")).json(&body).send().await;
        if let Some(created) = tally.check(format!("writer{index}: create preset {n}"), result, 201).await {
            ids.push_back(created["id"].as_i64().unwrap_or_default());
        }
        if n % 3 == 0
            && let Some(id) = ids.back()
        {
            let result = client
                .patch(app.url(&format!("/api/theme/presets/{id}")))
                .json(&json!({"name": format!("w{index} renamed {n}")}))
                .send()
                .await;
            tally.check(format!("writer{index}: rename preset {id}"), result, 200).await;
        }
        // Stay under the limit of 20 presets.
        if ids.len() >= 10 {
            let id = ids.pop_front().unwrap();
            let result = client.delete(app.url(&format!("/api/theme/presets/{id}"))).send().await;
            tally.check(format!("writer{index}: delete preset {id}"), result, 204).await;
        }
    }
    tally
}

async fn signup_writer(app: Arc<TestApp>, stop: Arc<AtomicBool>) -> Tally {
    let mut tally = Tally::default();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let client = reqwest::Client::builder().cookie_store(true).timeout(Duration::from_secs(30)).build().unwrap();
        let username = format!("load{n:04}");
        let body = json!({"username": username, "email": format!("{username}@example.com"), "password": format!("{username}-secret-pw")});
        let result = client.post(app.url("/api/signup")).json(&body).send().await;
        if tally.check(format!("sign-up {username}"), result, 201).await.is_some() {
            let result = client.post(app.url("/api/theme")).json(&theme_for(100, n)).send().await;
            tally.check(format!("{username}: first theme"), result, 200).await;
        }
    }
    tally
}

/// `POST /api/backups`; when it answers 202 (still copying), follows the record to its end.
async fn take_backup(app: &TestApp, staff: &reqwest::Client) -> Value {
    let response = staff.post(app.url("/api/backups")).send().await.unwrap();
    let status = response.status().as_u16();
    let record: Value = response.json().await.unwrap();
    assert!(status == 201 || status == 202, "POST /api/backups: {status} {record}");
    let id = record["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut record = record;
    while record["status"] == "running" {
        assert!(Instant::now() < deadline, "backup {id} still running after 120 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
        let detail: Value =
            staff.get(app.url(&format!("/api/backups/{id}"))).send().await.unwrap().json().await.unwrap();
        record = detail["backup"].clone();
    }
    record
}

type Snapshot = (Value, BTreeMap<&'static str, i64>, BTreeMap<&'static str, Vec<String>>);

fn all_rows(conn: &rusqlite::Connection) -> BTreeMap<&'static str, Vec<String>> {
    APP_TABLES.iter().map(|t| (*t, rows(conn, t))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_under_load_verify_and_a_restore_reproduces_its_snapshot() {
    let started = Instant::now();
    let app = Arc::new(spawn_app().await);
    let staff_pw = app.create_user("boss", true).await;
    let staff = app.login_client("boss", &staff_pw).await;
    app.add_ballast(16).await;

    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for index in 0..THEME_WRITERS + PRESET_WRITERS {
        let username = format!("writer{index}");
        let password = app.create_user(&username, false).await;
        let client = app.login_client(&username, &password).await;
        let (app, stop) = (app.clone(), stop.clone());
        writers.push(if index < THEME_WRITERS {
            tokio::spawn(theme_writer(app, client, index, stop))
        } else {
            tokio::spawn(preset_writer(app, client, index, stop))
        });
    }
    writers.push(tokio::spawn(signup_writer(app.clone(), stop.clone())));

    let mut snapshots: Vec<Snapshot> = Vec::new();
    for k in 0..BACKUPS {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let record = take_backup(&app, &staff).await;
        assert_eq!(record["status"], "success", "backup {k} under load: {record}");
        assert_eq!(record["integrity_ok"], true, "backup {k} under load: {record}");
        let filename = record["filename"].as_str().unwrap().to_string();
        let file = open_backup_file(&app.data_path("backups").join(&filename));
        assert_eq!(integrity_check(&file), Vec::<String>::new(), "{filename}: integrity_check of the file itself");
        // A snapshot of one moment: no theme or preset of a user the copy does not hold.
        assert_eq!(foreign_key_problems(&file), 0, "{filename}: PRAGMA foreign_key_check");
        snapshots.push((record, counts(&file), all_rows(&file)));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    let mut ops = 0;
    let mut errors = Vec::new();
    for writer in writers {
        let tally = writer.await.unwrap();
        ops += tally.ops;
        errors.extend(tally.errors);
    }
    assert!(errors.is_empty(), "the writers saw {} error(s) during the backups:\n{}", errors.len(), errors.join("\n"));
    for (record, counts, _) in &snapshots {
        println!("backup {} ({} ms): {counts:?}", record["filename"].as_str().unwrap(), record["duration_ms"]);
    }
    let (first, last) = (&snapshots[0].1, &snapshots[BACKUPS - 1].1);
    assert_ne!(first, last, "the writers were writing while the backups ran");

    let (record, expected_counts, expected_rows) = &snapshots[RESTORED];
    let filename = record["filename"].as_str().unwrap();
    let live_path = app.data_path("db.sqlite3");
    let before = counts(&open_live_read_only(&live_path));
    assert_ne!(
        &before, expected_counts,
        "the live database has moved on since {filename}, so the restore has work to do"
    );

    let response = staff
        .post(app.url(&format!("/api/backups/{}/restore", record["id"])))
        .json(&json!({"confirm": filename}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "restore of {filename}: {}", response.text().await.unwrap());

    let live = open_live_read_only(&live_path);
    assert_eq!(integrity_check(&live), Vec::<String>::new(), "the live database after the restore");
    assert_eq!(&counts(&live), expected_counts, "row counts after restoring {filename} (live before: {before:?})");
    let restored_rows = all_rows(&live);
    for table in APP_TABLES {
        assert!(
            restored_rows[table] == expected_rows[table],
            "{table}: the rows after the restore differ from those in {filename}"
        );
    }

    // The application carries on: the staff session (system database) survives, and a user of
    // the snapshot can save again.
    assert_eq!(staff.get(app.url("/api/me")).send().await.unwrap().status(), 200);
    let password = "writer0-secret-pw";
    let writer = app.login_client("writer0", password).await;
    assert_eq!(writer.post(app.url("/api/theme")).json(&theme_for(0, 999_999)).send().await.unwrap().status(), 200);
    println!(
        "backup under load: {BACKUPS} backups, {ops} writer requests without error, restored {filename} \
         ({expected_counts:?}, live was {before:?}) in {} ms",
        started.elapsed().as_millis()
    );
}
