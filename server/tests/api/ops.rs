//! Operations: the real binary stopped with SIGTERM while it works, `smallstack healthcheck`, the
//! request log, the security headers, the body limit and the request timeout.

use crate::helpers::{session_cookie, spawn_app_with};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::{
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Output, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SITE_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site");

/// A data folder and a free port for one `smallstack` process, and the commands that use them.
struct Setup {
    dir: tempfile::TempDir,
    port: u16,
}

impl Setup {
    fn new() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Setup { dir: tempfile::tempdir().unwrap(), port }
    }

    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let dir = self.dir.path();
        let mut command = Command::new(env!("CARGO_BIN_EXE_smallstack"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_PATH", dir.join("db.sqlite3"))
            .env("SYSTEM_DATABASE_PATH", dir.join("system.sqlite3"))
            .env("MEDIA_ROOT", dir.join("media"))
            .env("BACKUP_DIR", dir.join("backups"))
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", self.port))
            .env("LEPTOS_SITE_ROOT", SITE_ROOT)
            .env("BACKUP_SCHEDULE", "off");
        for (name, value) in env {
            command.env(name, value);
        }
        command
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command(args, &[])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run smallstack");
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `smallstack serve`, with its standard error collected line by line; returns once
    /// `/health` answers.
    async fn serve(self, env: &[(&str, &str)]) -> Server {
        let mut child = self
            .command(&["serve"], env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start smallstack serve");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        let server = Server { setup: self, child, log };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = reqwest::get(server.url("/health")).await
                && response.status() == 200
            {
                return server;
            }
            assert!(Instant::now() < deadline, "the server did not become healthy:\n{}", server.log().join("\n"));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

struct Server {
    setup: Setup,
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.setup.port)
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Like Docker's `docker stop` and Kamal.
    fn sigterm(&self) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits for the process to exit: its status and how long it took.
    async fn wait_exit(&mut self, limit: Duration) -> (ExitStatus, Duration) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, started.elapsed());
            }
            assert!(started.elapsed() < limit, "still running {limit:?} after SIGTERM:\n{}", self.log().join("\n"));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until a log line satisfies `found`.
    async fn wait_for_log(&self, what: &str, found: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.log().iter().any(|l| found(l)) {
            assert!(Instant::now() < deadline, "no log line for {what}:\n{}", self.log().join("\n"));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// After the exit: each database's write-ahead log is gone or empty.
    fn assert_wals_empty(&self) {
        for db in ["db.sqlite3", "system.sqlite3"] {
            let wal = self.setup.path(&format!("{db}-wal"));
            let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
            assert_eq!(size, 0, "{} holds {size} bytes after the exit", wal.display());
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A JSON body sent in `pieces` chunks `gap` apart, so the request is still being received
/// while the test does something else.
fn trickle(body: &Value, pieces: usize, gap: Duration) -> reqwest::Body {
    let bytes = serde_json::to_vec(body).unwrap();
    let chunks: Vec<Vec<u8>> = bytes.chunks(bytes.len().div_ceil(pieces)).map(<[u8]>::to_vec).collect();
    let stream = futures_util::stream::iter(chunks.into_iter().enumerate()).then(move |(i, chunk)| async move {
        if i > 0 {
            tokio::time::sleep(gap).await;
        }
        Ok::<_, std::io::Error>(chunk)
    });
    reqwest::Body::wrap_stream(stream)
}

fn client(cookies: bool) -> reqwest::Client {
    reqwest::Client::builder().cookie_store(cookies).timeout(Duration::from_secs(30)).build().unwrap()
}

fn signup_body(username: &str) -> Value {
    json!({"username": username, "email": format!("{username}@example.com"), "password": format!("{username}-long-password")})
}

fn theme_body(i: usize) -> Value {
    let accents = ["teal", "amber", "blue", "purple"];
    json!({"mode": "dark", "accent": accents[i % accents.len()], "font": "serif", "gray": "slate", "radius": "1", "layout": "boxed"})
}

/// One request of the load: when it started and ended, and its status (with a complete JSON
/// body) or the error.
#[derive(Debug)]
struct Outcome {
    what: String,
    started: Instant,
    ended: Instant,
    result: Result<u16, String>,
}

async fn send(what: String, request: reqwest::RequestBuilder) -> Outcome {
    let started = Instant::now();
    let result = async {
        let response = request.send().await.map_err(|e| format!("{e:?}"))?;
        let status = response.status().as_u16();
        response.json::<Value>().await.map_err(|e| format!("incomplete body: {e:?}"))?;
        Ok(status)
    }
    .await;
    Outcome { what, started, ended: Instant::now(), result }
}

/// Signs up (a new account each time) and saves its theme, alternately, each body trickled over
/// ~120 ms, until told to stop.
async fn load(base: String, worker: usize, stop: Arc<AtomicBool>) -> Vec<Outcome> {
    let me = client(true);
    let anonymous = client(false);
    let first =
        me.post(format!("{base}/api/signup")).json(&signup_body(&format!("load{worker}"))).send().await.unwrap();
    assert_eq!(first.status(), 201);
    let mut outcomes = Vec::new();
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        let gap = Duration::from_millis(60);
        let outcome = if i % 2 == 0 {
            let name = format!("w{worker}n{i}");
            let request = anonymous.post(format!("{base}/api/signup")).header("content-type", "application/json");
            send(format!("signup {name}"), request.body(trickle(&signup_body(&name), 3, gap))).await
        } else {
            let request = me.post(format!("{base}/api/theme")).header("content-type", "application/json");
            send(format!("theme save {worker}/{i}"), request.body(trickle(&theme_body(i), 3, gap))).await
        };
        let failed = outcome.result.is_err();
        outcomes.push(outcome);
        if failed {
            // The server is going away; one more attempt would only say so again.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        i += 1;
    }
    outcomes
}

#[tokio::test]
async fn sigterm_during_load_finishes_the_requests_in_flight_and_leaves_the_wals_empty() {
    let mut server = Setup::new().serve(&[]).await;
    let base = server.url("");
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..6).map(|w| tokio::spawn(load(base.clone(), w, stop.clone()))).collect();
    let slow_theme_client = client(true);
    let signed_up =
        slow_theme_client.post(server.url("/api/signup")).json(&signup_body("slowtheme")).send().await.unwrap();
    assert_eq!(signed_up.status(), 201);
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Two requests whose bodies take 1.5 s to arrive: certainly in flight when the signal comes.
    let gap = Duration::from_millis(300);
    let slow_signup = tokio::spawn(send(
        "signup slowpoke".into(),
        client(false).post(server.url("/api/signup")).header("content-type", "application/json").body(trickle(
            &signup_body("slowpoke"),
            6,
            gap,
        )),
    ));
    let slow_theme = tokio::spawn(send(
        "slow theme save".into(),
        slow_theme_client.post(server.url("/api/theme")).header("content-type", "application/json").body(trickle(
            &theme_body(1),
            6,
            gap,
        )),
    ));
    tokio::time::sleep(Duration::from_millis(400)).await;

    let signalled = Instant::now();
    server.sigterm();
    let (status, took) = server.wait_exit(Duration::from_secs(12)).await;
    assert_eq!(status.code(), Some(0), "exit status after SIGTERM:\n{}", server.log().join("\n"));
    assert!(took < Duration::from_secs(9), "nothing ran long, yet the stop took {took:?}");

    stop.store(true, Ordering::Relaxed);
    let mut outcomes = vec![slow_signup.await.unwrap(), slow_theme.await.unwrap()];
    assert_eq!(outcomes[0].result, Ok(201), "{:?}", outcomes[0]);
    assert_eq!(outcomes[1].result, Ok(200), "{:?}", outcomes[1]);
    for worker in workers {
        outcomes
            .extend(tokio::time::timeout(Duration::from_secs(30), worker).await.expect("a load worker hung").unwrap());
    }

    // Every request sent before the signal got its whole answer: the server had begun to receive
    // it. (Only one sent in the last instant could still be on its way in, and be refused instead;
    // after the signal, new connections are refused.)
    let margin = Duration::from_millis(25);
    let mut in_flight = 0;
    for outcome in &outcomes {
        if outcome.started + margin <= signalled {
            assert!(
                matches!(outcome.result, Ok(200 | 201)),
                "{} started {:?} before the signal and ended {:?}",
                outcome.what,
                signalled - outcome.started,
                outcome.result
            );
            if outcome.ended > signalled {
                in_flight += 1;
            }
        }
    }
    let acknowledged = outcomes.iter().filter(|o| o.result.is_ok()).count();
    eprintln!(
        "{} requests, {acknowledged} answered, {in_flight} in flight at the signal; stopped in {took:?}",
        outcomes.len()
    );
    // The two slow ones, and some of the load.
    assert!(in_flight >= 4, "requests in flight at the signal: {in_flight}");
    assert!(acknowledged > 10, "the load did too little: {acknowledged} requests");

    server.assert_wals_empty();
    let log = server.log().join("\n");
    assert!(log.contains("shutting down") && log.contains("stopped"), "{log}");

    // Every sign-up the server acknowledged is in the database.
    let listed = server.setup.run(&["user", "list"], "");
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    for outcome in outcomes.iter().filter(|o| o.result == Ok(201)) {
        let name = outcome.what.strip_prefix("signup ").expect("only sign-ups answer 201");
        assert!(
            listed.lines().any(|l| l.starts_with(&format!("{name}\t"))),
            "{name} was acknowledged but is missing:\n{listed}"
        );
    }
}

#[tokio::test]
async fn a_request_that_never_ends_does_not_keep_the_server_from_stopping() {
    let setup = Setup::new();
    let created = setup.run(
        &["user", "create", "--username", "boss", "--email", "boss@example.com", "--staff"],
        "boss-long-password\n",
    );
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let mut server = setup.serve(&[]).await;
    let login = client(false)
        .post(server.url("/api/login"))
        .json(&json!({"username": "boss", "password": "boss-long-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = session_cookie(&login).unwrap();

    // A backup upload that announces 50 MB, sends 64 KiB and then stalls: upload routes have no
    // request timeout, so only the shutdown's 10-second cap ends it.
    let mut stalled = tokio::net::TcpStream::connect(("127.0.0.1", server.setup.port)).await.unwrap();
    let head = format!(
        "POST /api/backups/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: smallstack_session={cookie}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: 50000000\r\n\r\n"
    );
    stalled.write_all(head.as_bytes()).await.unwrap();
    stalled.write_all(&[0u8; 64 * 1024]).await.unwrap();
    let backups = server.setup.path("backups");
    let temp_files = |dir: &Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with(".tmp-"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while temp_files(&backups).is_empty() {
        assert!(Instant::now() < deadline, "the upload never started:\n{}", server.log().join("\n"));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    server.sigterm();
    let (status, took) = server.wait_exit(Duration::from_secs(13)).await;
    assert_eq!(status.code(), Some(0), "{}", server.log().join("\n"));
    assert!(took >= Duration::from_millis(9500), "the upload in flight was not given its 10 s: stopped after {took:?}");
    assert!(took <= Duration::from_millis(12500), "stopped only after {took:?}");

    // The stalled connection was closed, and the upload left nothing behind.
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(2), stalled.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0) | Err(_))), "the stalled connection is still open: {read:?}");
    assert_eq!(temp_files(&backups), Vec::<String>::new(), "the upload's temporary file is left");
    server.assert_wals_empty();
    let log = server.log().join("\n");
    assert!(log.contains("requests still running after 10 s: closing their connections"), "{log}");
}

#[tokio::test]
async fn healthcheck_exits_0_against_a_running_server_and_1_with_one_line_when_it_is_down() {
    let app = spawn_app_with(|_| {}).await;
    let port = app.address.rsplit(':').next().unwrap().to_string();
    let healthcheck = |addr: String| {
        Command::new(env!("CARGO_BIN_EXE_smallstack"))
            .arg("healthcheck")
            .env_clear()
            .env("LEPTOS_SITE_ADDR", addr)
            .output()
            .expect("run smallstack healthcheck")
    };
    // The server runs on this test's runtime: the blocking calls go to another thread.
    let run = |addr: String| async move { tokio::task::spawn_blocking(move || healthcheck(addr)).await.unwrap() };
    for addr in [format!("127.0.0.1:{port}"), format!("0.0.0.0:{port}")] {
        let out = run(addr.clone()).await;
        assert_eq!(out.status.code(), Some(0), "{addr}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty() && out.stderr.is_empty(), "nothing is printed when healthy ({addr})");
    }

    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let out = run(free.to_string()).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(&format!("http://{free}/health")) && stderr.contains("cannot connect"), "{stderr}");

    // Something answers, but it is not a healthy SmallStack.
    let other = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other_addr = other.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = other.accept().await {
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).await;
            let body = r#"{"status":"error","database":"error"}"#;
            let answer = format!(
                "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    let out = run(other_addr.to_string()).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("503") && stderr.contains("unhealthy"), "{stderr}");
}

#[tokio::test]
async fn requests_are_logged_with_their_id_and_without_passwords_cookies_or_query_strings() {
    let mut server = Setup::new().serve(&[("LOG_FORMAT", "json")]).await;
    let password = "correct-horse-battery-staple-42";
    let wrong = "wrong-guess-tr0ub4dor-and-3";
    let token = "not-the-real-setup-token-7Qx9";

    let signup = client(false)
        .post(server.url("/api/signup"))
        .json(&json!({"username": "logger", "email": "logger@example.com", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(signup.status(), 201);

    let browser = client(false);
    let login = browser
        .post(server.url("/api/login"))
        .header("x-request-id", "login-7f3a9c")
        .json(&json!({"username": "logger", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    assert_eq!(login.headers()["x-request-id"], "login-7f3a9c", "the request id comes back");
    let cookie = session_cookie(&login).unwrap();
    let me = browser
        .get(server.url("/api/me"))
        .header("cookie", format!("smallstack_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let failed = browser
        .post(server.url("/api/login"))
        .header("x-request-id", "login-failed-1")
        .json(&json!({"username": "logger", "password": wrong}))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 401);
    assert_eq!(failed.headers()["x-request-id"], "login-failed-1");
    let setup = browser
        .get(server.url(&format!("/setup?token={token}")))
        .header("x-request-id", "setup-page-1")
        .send()
        .await
        .unwrap();
    assert_eq!(setup.headers()["x-request-id"], "setup-page-1");

    // Without an id, or with one that could not go into a log line as it is, one is generated.
    for sent in [None, Some("two words"), Some(&*"x".repeat(129))] {
        let mut request = browser.get(server.url("/health"));
        if let Some(id) = sent {
            request = request.header("x-request-id", id);
        }
        let response = request.send().await.unwrap();
        let id = response.headers()["x-request-id"].to_str().unwrap();
        assert_eq!(id.len(), 36, "a generated UUID for {sent:?}: {id}");
        assert_ne!(Some(id), sent);
    }

    server.wait_for_log("the setup page", |l| l.contains("setup-page-1")).await;
    server.sigterm();
    let (status, _) = server.wait_exit(Duration::from_secs(12)).await;
    assert_eq!(status.code(), Some(0));

    let lines = server.log();
    let records: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("LOG_FORMAT=json, but not JSON ({e}): {l}")))
        .collect();
    // The request's span is in `spans` (a handler may open spans of its own inside it).
    let of = |id: &'static str| {
        records
            .iter()
            .filter(move |r| r["spans"].as_array().is_some_and(|spans| spans.iter().any(|s| s["request_id"] == id)))
    };
    let response =
        of("login-7f3a9c").find(|r| r["fields"]["message"] == "response").expect("the login's response line");
    assert_eq!(response["fields"]["status"], 200);
    assert_eq!(response["span"]["method"], "POST");
    assert_eq!(response["span"]["path"], "/api/login");
    assert!(response["fields"]["latency_ms"].is_number(), "{response}");
    assert!(
        of("login-7f3a9c").any(|r| r["fields"]["message"] == "login"),
        "the login event carries the request id:\n{}",
        lines.join("\n")
    );
    assert!(of("login-failed-1").any(|r| r["fields"]["status"] == 401));
    let setup_line = of("setup-page-1").find(|r| r["fields"]["message"] == "response").expect("the setup page's line");
    assert_eq!(setup_line["span"]["path"], "/setup", "the path, without its query string");

    for line in &lines {
        for secret in [password, wrong, &cookie, token] {
            assert!(!line.contains(secret), "a log line gives away {secret:?}: {line}");
        }
        assert!(!line.contains("smallstack_session"), "a log line shows the cookie: {line}");
    }
}

#[tokio::test]
async fn responses_carry_the_security_headers_and_the_limits_answer_in_json() {
    let app = spawn_app_with(|s| {
        s.request_body_limit = 2048;
        s.request_timeout = Duration::from_secs(1);
    })
    .await;
    for path in ["/health", "/", "/login", "/api/nope", "/pkg/smallstack.css", "/no-such-page"] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "strict-origin-when-cross-origin", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert!(headers.contains_key("x-request-id"), "{path}");
    }

    // Over REQUEST_BODY_LIMIT: 413, in JSON, naming the limit; just under it, the handler answers.
    let big = json!({"username": "alice", "password": "p".repeat(3000)});
    let refused = app.post_json("/api/login", &big).await;
    assert_eq!(refused.status(), 413);
    assert!(refused.headers().contains_key("x-request-id"));
    let body: Value = refused.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("2048 bytes"), "{body}");
    let fits = app.post_json("/api/login", &json!({"username": "alice", "password": "p".repeat(1500)})).await;
    assert_ne!(fits.status(), 413);

    // A request that takes longer than REQUEST_TIMEOUT_SECS (here a body that never comes): 503
    // with a JSON error, and the request id.
    let port = app.address.rsplit(':').next().unwrap();
    let mut socket = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}")).await.unwrap();
    socket
        .write_all(b"POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        .await
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&answer).contains("}") {
        let n = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut buf))
            .await
            .expect("no answer within 5 s")
            .unwrap();
        assert!(n > 0, "closed without an answer: {}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&buf[..n]);
    }
    let answer = String::from_utf8_lossy(&answer).to_lowercase();
    assert!(answer.starts_with("http/1.1 503"), "{answer}");
    assert!(started.elapsed() >= Duration::from_millis(900), "{:?}", started.elapsed());
    assert!(answer.contains("x-request-id:") && answer.contains("content-type: application/json"), "{answer}");
    assert!(answer.contains(r#"{"error":"the request took longer than 1 s"#), "{answer}");
}

/// What a request's login name tries to slip into the log: a line break, then a well-formed line
/// of its own, and ANSI escapes that would erase the real line on a terminal.
const FORGED: &str =
    "mallory\n2026-01-01T00:00:00.000000Z  INFO smallstack: login user=admin\u{1b}[1A\u{1b}[2K\r\u{1b}[31mok";

#[tokio::test]
async fn a_login_name_cannot_forge_a_log_line_in_either_format() {
    for format in ["text", "json"] {
        let mut server = Setup::new().serve(&[("LOG_FORMAT", format)]).await;
        let failed = client(false)
            .post(server.url("/api/login"))
            .json(&json!({"username": FORGED, "password": "whatever-password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(failed.status(), 401, "{format}");
        server.wait_for_log("the failed login", |l| l.contains("failed login")).await;
        server.sigterm();
        server.wait_exit(Duration::from_secs(12)).await;
        let lines = server.log();
        for line in &lines {
            assert!(!line.contains('\u{1b}'), "{format}: an escape sequence reached the log: {line:?}");
            assert!(!line.starts_with("2026-01-01T00:00:00"), "{format}: a forged line: {line:?}");
        }
        let failed: Vec<&String> = lines.iter().filter(|l| l.contains("failed login")).collect();
        assert_eq!(failed.len(), 1, "{format}: {lines:#?}");
        if format == "json" {
            let record: Value = serde_json::from_str(failed[0]).unwrap();
            assert_eq!(record["fields"]["login"], FORGED, "the value is kept whole, as a JSON string");
        } else {
            assert!(failed[0].contains(r"mallory\n2026-01-01"), "the line break is shown escaped: {}", failed[0]);
        }
    }
}

#[tokio::test]
async fn the_setup_link_is_never_logged_but_the_cli_prints_it() {
    let setup = Setup::new();
    let system_db = setup.path("system.sqlite3");
    let mut server = setup.serve(&[]).await;
    server.wait_for_log("the start", |l| l.contains("listening on")).await;
    let token: String = rusqlite::Connection::open(&system_db)
        .unwrap()
        .query_row("SELECT value FROM settings WHERE key = 'setup_token'", [], |r| r.get(0))
        .unwrap();
    assert!(
        server.log().iter().any(|l| l.contains("smallstack user setup-link")),
        "the start says how to get the link:\n{}",
        server.log().join("\n")
    );
    let printed = server.setup.run(&["user", "setup-link"], "");
    assert!(printed.status.success(), "{}", String::from_utf8_lossy(&printed.stderr));
    let stdout = String::from_utf8_lossy(&printed.stdout);
    assert!(stdout.contains(&format!("/setup?token={token}")), "{stdout}");
    let page = reqwest::get(server.url(&format!("/setup?token={token}"))).await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"setup-username\""), "the printed link works");
    server.sigterm();
    server.wait_exit(Duration::from_secs(12)).await;
    for line in server.log() {
        assert!(!line.contains(&token), "the token is in the log: {line}");
    }
}

#[tokio::test]
async fn a_public_address_without_allowed_hosts_is_warned_about() {
    let setup = Setup::new();
    let port = setup.port;
    let mut server = setup.serve(&[("LEPTOS_SITE_ADDR", &format!("0.0.0.0:{port}"))]).await;
    server.wait_for_log("the warning", |l| l.contains("ALLOWED_HOSTS")).await;
    server.sigterm();
    server.wait_exit(Duration::from_secs(12)).await;

    let setup = Setup::new();
    let port = setup.port;
    let mut server = setup
        .serve(&[("LEPTOS_SITE_ADDR", &format!("0.0.0.0:{port}")), ("ALLOWED_HOSTS", "app.example.com,127.0.0.1")])
        .await;
    server.wait_for_log("the start", |l| l.contains("listening on")).await;
    server.sigterm();
    server.wait_exit(Duration::from_secs(12)).await;
    assert!(!server.log().iter().any(|l| l.contains("ALLOWED_HOSTS")), "{}", server.log().join("\n"));
}

#[tokio::test]
async fn files_others_can_read_are_warned_about_and_the_umask_is_configurable() {
    use std::os::unix::fs::PermissionsExt;
    let setup = Setup::new();
    // A database left readable by everyone (as the old defaults made it).
    let made = setup.run(&["migrate"], "");
    assert!(made.status.success());
    std::fs::set_permissions(setup.path("db.sqlite3"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut server = setup.serve(&[]).await;
    server.wait_for_log("the warning", |l| l.contains("db.sqlite3") && l.contains("644") && l.contains("chmod")).await;
    server.sigterm();
    server.wait_exit(Duration::from_secs(12)).await;

    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let setup = Setup::new();
    let output = setup.command(&["backup", "create"], &[("FILE_MODE_UMASK", "027")]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let backup = std::fs::read_dir(setup.path("backups"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("db-"))
        .unwrap();
    assert_eq!(mode(&backup.path()), 0o640, "FILE_MODE_UMASK=027: group may read");
    assert_eq!(mode(&setup.path("backups")), 0o750);
    assert_eq!(mode(&setup.path("db.sqlite3")), 0o640);

    let refused = setup.command(&["migrate"], &[("FILE_MODE_UMASK", "0777")]).output().unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("FILE_MODE_UMASK"));
}
