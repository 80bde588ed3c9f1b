//! The application in-process on a free port, its data in a temporary folder; shared by the
//! `api` and `faults` test binaries.

use server::{AppState, Application, Settings};
use std::{path::PathBuf, time::Duration};

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub dir: tempfile::TempDir,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn data_path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client.post(self.url(path)).json(body).send().await.expect("request")
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client.post(self.url(path)).header("content-type", content_type).body(body).send().await.expect("request")
    }
}

impl TestApp {
    /// A client with its own cookie jar (its own session).
    pub fn new_client(&self) -> reqwest::Client {
        cookie_client()
    }

    /// Creates a user directly through the engine; returns the password.
    pub async fn create_user(&self, username: &str, staff: bool) -> String {
        use engine::accounts::{DisplayName, Email, NewUser, Password, Username};
        let password = format!("{username}-secret-pw");
        self.state
            .engine
            .accounts
            .create(NewUser {
                username: Username::parse(username).unwrap(),
                email: Email::parse(&format!("{username}@example.com")).unwrap(),
                password: Password::parse(&password).unwrap(),
                display_name: DisplayName::parse("").unwrap(),
                is_staff: staff,
            })
            .await
            .unwrap();
        password
    }

    /// A new client signed in as `username`.
    pub async fn login_client(&self, username: &str, password: &str) -> reqwest::Client {
        let client = self.new_client();
        let response = client
            .post(self.url("/api/login"))
            .json(&serde_json::json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "login of {username}");
        client
    }

    /// Adds about `mib` MiB to the application database, so a backup of it copies in several
    /// steps and takes a moment: inactive users whose "password hash" is 4 KB of random hex
    /// (rows of the real schema, since a restore refuses a file with tables of its own).
    pub async fn add_ballast(&self, mib: usize) {
        use sea_orm::ConnectionTrait;
        let w = self.state.engine.app_db.writer().await.unwrap();
        w.conn()
            .execute_unprepared(&format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {})
                 INSERT INTO users (username, email, password_hash, is_active, created_at)
                 SELECT 'ballast-' || hex(randomblob(8)), 'ballast-' || hex(randomblob(8)) || '@example.com',
                        hex(randomblob(2000)), 0, '2026-01-01 00:00:00 UTC' FROM n;",
                mib * 256
            ))
            .await
            .unwrap();
    }

    /// Fingerprints of both databases' content, to prove a request changed nothing.
    pub async fn fingerprint(&self) -> (String, String) {
        (
            self.state.engine.app_db.content_fingerprint().await.unwrap(),
            self.state.engine.system_db.content_fingerprint().await.unwrap(),
        )
    }
}

/// The bytes of a database file after `sql` ran on a copy of it (a backup with an added trigger,
/// a table missing…).
pub fn altered_database(bytes: &[u8], sql: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("altered.sqlite3");
    std::fs::write(&path, bytes).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(sql).unwrap();
    conn.close().unwrap();
    std::fs::read(&path).unwrap()
}

/// The value of the session cookie a response sets, if any.
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        v.strip_prefix("smallstack_session=").map(|rest| rest.split(';').next().unwrap_or_default().to_string())
    })
}

pub fn test_settings(dir: &tempfile::TempDir) -> Settings {
    let mut settings = Settings::from_source(&[]).expect("default settings");
    settings.database_path = dir.path().join("db.sqlite3");
    settings.system_database_path = dir.path().join("system.sqlite3");
    settings.media_root = dir.path().join("media");
    settings.backup_dir = dir.path().join("backups");
    settings.site_addr = "127.0.0.1:0".parse().unwrap();
    settings.site_root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site"));
    // No scheduled backup may start in the middle of a test (a run crossing 02:00 UTC would).
    settings.backup_schedule = engine::backup::Schedule::Off;
    settings
}

/// Starts the real application on a free port with its data in a fresh temporary folder.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(&dir);
    configure(&mut settings);
    let app = Application::build(settings).await.expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp { address, client: cookie_client(), state, dir }
}

fn cookie_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A 1×1 PNG, whole: its chunks are what the server checks.
pub fn tiny_png() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&[0, 0, 0, 13]);
    png.extend_from_slice(b"IHDR");
    png.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]);
    png.extend_from_slice(&[0x1f, 0x15, 0xc4, 0x89]);
    png.extend_from_slice(&[0, 0, 0, 0]);
    png.extend_from_slice(b"IEND");
    png.extend_from_slice(&[0xae, 0x42, 0x60, 0x82]);
    png
}
