//! The test harness: a real S3 server (the `s3s-fs` binary the bootstrap installs) on a free
//! loopback port, stopped when its guard drops (also on panic); remotes built through the same
//! settings parser the server uses; fake backup files; a read-only or full folder.

use chrono::{TimeZone, Utc};
use engine::backup::{
    BackupName,
    remote::{Expected, RemoteSettings, RemoteStore, Sha256Digest, Tuning},
};
use rand::RngCore;
use std::{
    net::{SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

pub const ACCESS_KEY: &str = "AKIASMALLSTACKTEST01";
pub const SECRET_KEY: &str = "s3cr3t/SmallStack+TestKey/9f8e7d6c5b4a";
pub const BUCKET: &str = "offsite";
const S3S_FS_VERSION: &str = "0.14.1";

/// A running `s3s-fs`, serving the buckets under `root` (a bucket is a folder there).
pub struct S3Server {
    child: Option<Child>,
    pub port: u16,
    pub root: PathBuf,
    _dir: tempfile::TempDir,
}

impl S3Server {
    /// Starts a server with the bucket [`BUCKET`] created.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let root = dir.path().join("s3");
        std::fs::create_dir_all(root.join(BUCKET)).expect("create the bucket folder");
        let port = free_port();
        let mut server = S3Server { child: None, port, root, _dir: dir };
        server.restart();
        server
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SIGKILL, as a crash or a pulled plug would stop the service.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts (again) on the same port and folder, and waits until it answers.
    pub fn restart(&mut self) {
        self.kill();
        let log = std::fs::File::create(self.root.with_extension("log")).expect("create the server log");
        let child = Command::new(s3s_fs())
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(&self.root)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("start s3s-fs");
        self.child = Some(child);
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                let log = std::fs::read_to_string(self.root.with_extension("log")).unwrap_or_default();
                panic!("s3s-fs exited with {status} before answering:\n{log}");
            }
            assert!(Instant::now() < deadline, "s3s-fs did not answer on port {} within 15 s", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The settings a server would read from its environment for this bucket and prefix.
    pub fn settings(&self, bucket: &str, prefix: &str, secret: &str) -> RemoteSettings {
        let url = if prefix.is_empty() { format!("s3://{bucket}") } else { format!("s3://{bucket}/{prefix}") };
        settings(&[
            ("BACKUP_REMOTE_URL", &url),
            ("BACKUP_REMOTE_ENDPOINT", &self.endpoint()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", secret),
        ])
    }

    /// A store on [`BUCKET`] under `prefix`, with small parts so a few MiB make a multipart upload.
    pub fn store(&self, prefix: &str) -> RemoteStore {
        RemoteStore::open_with(&self.settings(BUCKET, prefix, SECRET_KEY), small_parts()).expect("open the S3 remote")
    }

    /// Where `s3s-fs` keeps an object: `<root>/<bucket>/<key>`.
    pub fn object_path(&self, full_key: &str) -> PathBuf {
        full_key.split('/').fold(self.root.join(BUCKET), |p, s| p.join(s))
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The `s3s-fs` binary, checked for the pinned version so a wrong one fails loudly here.
fn s3s_fs() -> PathBuf {
    let candidates = [PathBuf::from("s3s-fs"), home_cargo_bin("s3s-fs")];
    for candidate in candidates {
        if let Ok(out) = Command::new(&candidate).arg("--version").output() {
            let version = String::from_utf8_lossy(&out.stdout);
            assert!(
                version.split_whitespace().nth(1) == Some(S3S_FS_VERSION),
                "{} is {version:?}, the tests need s3s-fs {S3S_FS_VERSION}: run scripts/bootstrap.sh",
                candidate.display()
            );
            return candidate;
        }
    }
    panic!("s3s-fs {S3S_FS_VERSION} is not installed: run scripts/bootstrap.sh");
}

fn home_cargo_bin(name: &str) -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default().join(".cargo/bin").join(name)
}

/// A port nobody listens on at the moment.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

pub fn settings(vars: &[(&str, &str)]) -> RemoteSettings {
    RemoteSettings::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
        .expect("valid settings")
        .expect("a remote is configured")
}

/// A file:// remote on `folder`.
pub fn folder_store(folder: &Path) -> RemoteStore {
    let url = format!("file://{}", folder.display());
    RemoteStore::open_with(&settings(&[("BACKUP_REMOTE_URL", &url)]), small_parts()).expect("open the folder remote")
}

/// 5 MiB parts (S3's minimum), two in flight.
pub fn small_parts() -> Tuning {
    Tuning { part_size: 5 << 20, concurrency: 2, ..Tuning::default() }
}

/// A file of `size` random bytes named like a backup (`sequence` keeps names apart), and what
/// the catalogue would know of it.
pub struct FakeBackup {
    pub name: BackupName,
    pub path: PathBuf,
    pub expected: Expected,
}

pub fn fake_backup(dir: &Path, sequence: u32, size: usize) -> FakeBackup {
    let at = Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).single().expect("a valid time");
    let name = BackupName::for_time(at, sequence);
    let mut bytes = vec![0u8; size];
    rand::rng().fill_bytes(&mut bytes);
    let path = dir.join(name.as_str());
    std::fs::write(&path, &bytes).expect("write the fake backup");
    let expected = Expected { size: size as u64, sha256: Sha256Digest::of(&bytes) };
    FakeBackup { name, path, expected }
}

/// A folder no write can land in, by the means this machine allows: permissions for an
/// ordinary user; for root (whom permissions do not stop), a read-only tmpfs mounted on it.
/// `None` when neither works (root without mount rights).
pub struct LockedFolder {
    pub path: PathBuf,
    mounted: bool,
    _dir: tempfile::TempDir,
}

impl LockedFolder {
    pub fn read_only() -> Option<Self> {
        Self::new("ro,size=1m")
    }

    /// A 256 KiB tmpfs: writing more fails with "no space left on device". Root only.
    pub fn full() -> Option<Self> {
        let folder = Self::mount("size=256k")?;
        Some(folder)
    }

    fn new(options: &str) -> Option<Self> {
        let dir = tempfile::tempdir().ok()?;
        let path = dir.path().join("target");
        std::fs::create_dir(&path).ok()?;
        set_mode(&path, 0o555);
        if std::fs::write(path.join("probe"), b"x").is_err() {
            return Some(LockedFolder { path, mounted: false, _dir: dir });
        }
        let _ = std::fs::remove_file(path.join("probe"));
        set_mode(&path, 0o755);
        drop((path, dir));
        Self::mount(options)
    }

    fn mount(options: &str) -> Option<Self> {
        let dir = tempfile::tempdir().ok()?;
        let path = dir.path().join("target");
        std::fs::create_dir(&path).ok()?;
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(&path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(LockedFolder { path, mounted: true, _dir: dir })
    }
}

impl Drop for LockedFolder {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg(&self.path).status();
        } else {
            set_mode(&self.path, 0o755);
        }
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

/// No progress wanted.
pub fn quiet(_: engine::backup::remote::TransferProgress) {}

/// Every file under `dir` whose name contains `needle`, for leftovers checks.
pub fn files_named(dir: &Path, needle: &str) -> Vec<PathBuf> {
    walk(dir).into_iter().filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().contains(needle))).collect()
}

pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// One request as it crossed the wire.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub method: String,
    pub target: String,
    /// Header names in lowercase.
    pub headers: Vec<(String, String)>,
}

impl SeenRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// A TCP relay in front of the S3 server that writes down each request's line and headers, to
/// check what the client really sends. It parses HTTP/1.1 as `object_store` speaks it (bodies
/// with a Content-Length, never chunked).
pub struct Recorder {
    pub port: u16,
    pub seen: std::sync::Arc<std::sync::Mutex<Vec<SeenRequest>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Recorder {
    pub async fn start(upstream: u16) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the recorder");
        let port = listener.local_addr().expect("its address").port();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await else { return };
                    let (mut from_client, mut to_server) = (client, server);
                    let (mut client_read, mut client_write) = from_client.split();
                    let (mut server_read, mut server_write) = to_server.split();
                    let upstream = relay_requests(&mut client_read, &mut server_write, &log);
                    let downstream = tokio::io::copy(&mut server_read, &mut client_write);
                    let _ = tokio::join!(upstream, downstream);
                });
            }
        });
        Recorder { port, seen, task }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<SeenRequest> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay_requests(
    from: &mut (impl tokio::io::AsyncRead + Unpin),
    to: &mut (impl tokio::io::AsyncWrite + Unpin),
    log: &std::sync::Mutex<Vec<SeenRequest>>,
) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut parser = RequestParser::default();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = from.read(&mut chunk).await?;
        if n == 0 {
            return to.shutdown().await;
        }
        to.write_all(&chunk[..n]).await?;
        let mut found = Vec::new();
        parser.feed(&chunk[..n], &mut found);
        if let Ok(mut log) = log.lock() {
            log.extend(found);
        }
    }
}

/// Splits a client's byte stream into request heads, skipping bodies by their Content-Length.
#[derive(Default)]
struct RequestParser {
    head: Vec<u8>,
    body_left: usize,
}

impl RequestParser {
    fn feed(&mut self, data: &[u8], out: &mut Vec<SeenRequest>) {
        let skip = self.body_left.min(data.len());
        self.body_left -= skip;
        let data = &data[skip..];
        if data.is_empty() {
            return;
        }
        self.head.extend_from_slice(data);
        let Some(end) = self.head.windows(4).position(|w| w == b"\r\n\r\n") else { return };
        let rest = self.head.split_off(end + 4);
        let head = String::from_utf8_lossy(&std::mem::take(&mut self.head)[..end]).to_string();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or_default().split(' ');
        let method = request_line.next().unwrap_or_default().to_string();
        let target = request_line.next().unwrap_or_default().to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        self.body_left =
            headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
        out.push(SeenRequest { method, target, headers });
        self.feed(&rest, out);
    }
}
