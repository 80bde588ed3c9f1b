//! What the fault tests share besides `tests/api`'s in-process `TestApp`: the real
//! binary as a child process, signed-in sessions, before/after evidence (database fingerprints,
//! file listings), distinguishable themes, and read-only looks into SQLite files.

pub use crate::helpers::{TestApp, altered_database, session_cookie, spawn_app, tiny_png};
use rusqlite::{Connection, OpenFlags};
use serde_json::{Value, json};
use std::{
    collections::BTreeMap,
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// The built site; `smallstack serve` refuses to start without it.
pub const SITE_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site");

/// How many crash-and-restart cycles to run: 3, or `SMALLSTACK_SOAK_CYCLES` (`make soak`: 20).
pub fn soak_cycles() -> usize {
    match std::env::var("SMALLSTACK_SOAK_CYCLES") {
        Ok(v) if !v.trim().is_empty() => v.trim().parse().expect("SMALLSTACK_SOAK_CYCLES must be a whole number"),
        _ => 3,
    }
}

/// A client without a cookie jar: every request says which session it uses.
pub fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// The application in-process, on a free port, data in a temporary folder.

/// What the fault tests add to the shared `TestApp`.
impl TestApp {
    pub fn host(&self) -> String {
        self.address.trim_start_matches("http://").to_string()
    }

    /// Signs in through `POST /api/login`; returns the session id.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let response = plain_client()
            .post(self.url("/api/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "login of {username}");
        session_cookie(&response).expect("a session cookie")
    }

    /// Every file under `BACKUP_DIR` and `MEDIA_ROOT`: path, size, modification time.
    pub fn files(&self) -> Vec<String> {
        let mut out = Vec::new();
        for root in ["backups", "media"] {
            list_files(&self.data_path(root), root, &mut out);
        }
        out.sort();
        out
    }
}

fn list_files(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = format!("{prefix}/{}", entry.file_name().to_string_lossy());
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            out.push(format!("{name}/"));
            list_files(&entry.path(), &name, out);
        } else if entry.file_name() == engine::backup::LOCK_FILE {
            // The backup lock is rewritten (with the holder's pid) whenever an operation takes
            // it, refused ones included: only its presence and size count.
            out.push(format!("{name} {}", meta.len()));
        } else {
            let modified =
                meta.modified().ok().and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok()).unwrap_or_default();
            out.push(format!("{name} {} {}", meta.len(), modified.as_nanos()));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The real binary as a child process.

/// `smallstack serve` on a free port over the files of `dir`.
pub struct ServerProcess {
    pub child: Child,
    pub address: String,
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The environment every command of the binary gets for the data in `dir`.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_smallstack"));
    cmd.args(args)
        .env("DATABASE_PATH", dir.join("db.sqlite3"))
        .env("SYSTEM_DATABASE_PATH", dir.join("system.sqlite3"))
        .env("MEDIA_ROOT", dir.join("media"))
        .env("BACKUP_DIR", dir.join("backups"))
        .env("LEPTOS_SITE_ROOT", SITE_ROOT)
        .env("BACKUP_SCHEDULE", "off")
        .env("SIGNUP_ENABLED", "true")
        .env("RUST_LOG", "error")
        .env_remove("BACKUP_WEBHOOK_URL")
        .env_remove("TRUSTED_PROXIES")
        .env_remove("LOG_FORMAT");
    cmd
}

impl ServerProcess {
    /// Starts the server and waits until `/health` answers 200. Its standard error is appended
    /// to `dir/server.log`.
    pub async fn start(dir: &Path) -> ServerProcess {
        let port = free_port();
        let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("server.log")).unwrap();
        let child = command(dir, &["serve"])
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start smallstack serve");
        let mut server = ServerProcess { child, address: format!("http://127.0.0.1:{port}") };
        server.wait_ready(dir).await;
        server
    }

    async fn wait_ready(&mut self, dir: &Path) {
        let client = plain_client();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
                panic!("smallstack serve exited at start ({status}):\n{log}");
            }
            if let Ok(r) = client.get(self.url("/health")).timeout(Duration::from_secs(2)).send().await
                && r.status() == 200
            {
                return;
            }
            assert!(Instant::now() < deadline, "smallstack serve did not answer /health within 60 s");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// SIGKILL (what `Child::kill` sends on Unix): no shutdown code runs. Returns once the
    /// process is gone, and checks that SIGKILL is what ended it.
    pub fn kill_hard(&mut self) {
        use std::os::unix::process::ExitStatusExt;
        self.child.kill().expect("SIGKILL the server");
        let status = self.child.wait().expect("reap the server");
        assert_eq!(status.signal(), Some(9), "the server must have died of SIGKILL, not {status}");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Themes that tell every save apart.

const MODES: [&str; 3] = ["light", "dark", "system"];
const FONTS: [&str; 4] = ["sans-serif", "serif", "monospace", "comic"];
const GRAYS: [&str; 5] = ["slate", "gray", "zinc", "neutral", "stone"];
const RADII: [&str; 5] = ["0", "0.5", "1", "1.5", "2"];
const LAYOUTS: [&str; 6] = ["horizontal", "vertical", "vertical-right", "boxed", "fluid", "condensed"];
/// Named accents but `blue`, so no theme of the cycle is the default one.
const ACCENTS: [&str; 10] = ["amber", "azure", "indigo", "purple", "pink", "red", "orange", "green", "teal", "cyan"];

/// The `n`-th theme user `user` saves. Every field moves; the custom accent `#rrggbb` carries
/// `n` (multiplying by an odd number is a bijection modulo 2^24), so two saves with a custom
/// accent never look alike. Among the first 9000 saves, every eighth uses a named accent
/// instead; the other five fields then tell it apart (`themes_are_distinguishable` checks).
pub fn theme_for(user: usize, n: u64) -> Value {
    let accent = if n % 8 == 7 && n < 9000 {
        ACCENTS[((n / 8 + n / 1800) % ACCENTS.len() as u64) as usize].to_string()
    } else {
        // The user offset only varies the colours between users.
        format!("#{:06x}", (n.wrapping_mul(0x9E3779) ^ (user as u64 * 0x10101)) & 0xFF_FFFF)
    };
    json!({
        "mode": MODES[(n % 3) as usize],
        "accent": accent,
        "font": FONTS[((n / 3) % 4) as usize],
        "gray": GRAYS[((n / 12) % 5) as usize],
        "radius": RADII[((n / 60) % 5) as usize],
        "layout": LAYOUTS[((n / 300) % 6) as usize],
    })
}

// ---------------------------------------------------------------------------------------------
// SQLite files, read-only.

/// The tables of the application database whose rows a restore must bring back.
pub const APP_TABLES: [&str; 3] = ["users", "user_themes", "theme_presets"];

/// A backup file, opened so that nothing can be written to it (`immutable`: it is not live).
pub fn open_backup_file(path: &Path) -> Connection {
    let uri = format!("file:{}?mode=ro&immutable=1", path.display());
    Connection::open_with_flags(uri, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI)
        .expect("open the backup read-only")
}

/// The live database (WAL), read-only.
pub fn open_live_read_only(path: &Path) -> Connection {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open the live database read-only")
}

pub fn integrity_check(conn: &Connection) -> Vec<String> {
    let mut stmt = conn.prepare("PRAGMA integrity_check").unwrap();
    let lines: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    if lines == ["ok"] { Vec::new() } else { lines }
}

/// How many rows `PRAGMA foreign_key_check` reports.
pub fn foreign_key_problems(conn: &Connection) -> usize {
    conn.prepare("PRAGMA foreign_key_check").unwrap().query_map([], |_| Ok(())).unwrap().count()
}

pub fn counts(conn: &Connection) -> BTreeMap<&'static str, i64> {
    APP_TABLES
        .iter()
        .map(|t| (*t, conn.query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0)).unwrap()))
        .collect()
}

/// Every row of a table, each as one line of SQL literals, sorted (a restore may renumber
/// the rowids of a table without an INTEGER PRIMARY KEY; the rows themselves must not change).
pub fn rows(conn: &Connection, table: &str) -> Vec<String> {
    let columns: Vec<String> = conn
        .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let quoted: Vec<String> = columns.iter().map(|c| format!("quote(\"{c}\")")).collect();
    let sql = format!("SELECT {} FROM \"{table}\"", quoted.join(" || '|' || "));
    let mut rows: Vec<String> =
        conn.prepare(&sql).unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    rows.sort();
    rows
}
