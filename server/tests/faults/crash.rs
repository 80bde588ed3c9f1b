//! Crash: 32 signed-in users save their theme in a loop through `POST /api/theme`; the real
//! server process is killed with SIGKILL at a random moment and started again on the same
//! files. Every user's stored theme must be the last one the server acknowledged with 200, or the
//! one that was in flight; `smallstack db check` (integrity_check of both databases) must pass;
//! and the sessions (acknowledged writes too) must still sign the users in.
//!
//! `make test` runs 3 cycles; `SMALLSTACK_SOAK_CYCLES` (20 in `make soak`) overrides it.

use crate::support::{ServerProcess, command, soak_cycles, theme_for};
use reqwest::cookie::Jar;
use serde_json::{Value, json};
use std::{
    collections::HashSet,
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

const USERS: usize = 32;

struct User {
    index: usize,
    username: String,
    password: String,
    /// The user's own cookie jar: it outlives the clients, which are built anew per server start.
    jar: Arc<Jar>,
    /// The last save the server acknowledged with 200.
    acked: u64,
    /// The save sent whose answer never came (or was not a 200).
    in_flight: Option<u64>,
    /// The number of the next save: every save of a user is a theme never sent before.
    next: u64,
    /// Saves acknowledged in this cycle.
    acked_this_cycle: u64,
}

impl User {
    fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_provider(self.jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap()
    }
}

#[test]
fn themes_are_distinguishable() {
    for user in [0, 7, USERS - 1] {
        let mut seen = HashSet::new();
        for n in 0..20_000 {
            let theme = theme_for(user, n);
            let _: contract::theme::ThemeChoice = serde_json::from_value(theme.clone()).expect("a valid theme");
            assert!(seen.insert(theme.to_string()), "theme {n} of user {user} repeats an earlier one");
        }
    }
}

async fn sign_up(server: &ServerProcess, index: usize) -> User {
    let username = format!("crash{index:02}");
    let password = format!("{username}-secret-pw");
    let user = User {
        index,
        username,
        password,
        jar: Arc::new(Jar::default()),
        acked: 0,
        in_flight: None,
        next: 1,
        acked_this_cycle: 0,
    };
    let client = user.client();
    let response = client
        .post(server.url("/api/signup"))
        .json(&json!({"username": user.username, "email": format!("{}@example.com", user.username), "password": user.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "sign-up of {}", user.username);
    let response = client.post(server.url("/api/theme")).json(&theme_for(index, 0)).send().await.unwrap();
    assert_eq!(response.status(), 200, "first save of {}", user.username);
    user
}

/// Saves themes until a request fails (the server is gone). Non-200 answers, and failures
/// before the kill, are recorded in `errors`.
async fn write_loop(mut user: User, base: String, killing: Arc<AtomicBool>) -> (User, Vec<String>) {
    let client = user.client();
    let mut errors = Vec::new();
    user.in_flight = None;
    user.acked_this_cycle = 0;
    loop {
        let n = user.next;
        user.next += 1;
        user.in_flight = Some(n);
        match client.post(format!("{base}/api/theme")).json(&theme_for(user.index, n)).send().await {
            Ok(response) if response.status() == 200 => {
                // The status line is the acknowledgement: the handler answers after the commit.
                user.acked = n;
                user.in_flight = None;
                user.acked_this_cycle += 1;
                let _ = response.bytes().await;
            }
            Ok(response) => {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                errors.push(format!("{}: save {n} answered {status} {body}", user.username));
                break;
            }
            Err(e) => {
                if !killing.load(Ordering::SeqCst) {
                    errors.push(format!("{}: save {n} failed before the kill: {e}", user.username));
                }
                break;
            }
        }
    }
    (user, errors)
}

/// `smallstack db check` on the files as they are: exit 0 means integrity_check is ok on both.
fn db_check(dir: &Path, when: &str) {
    let output = command(dir, &["db", "check"]).output().expect("run smallstack db check");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.matches(": ok").count() == 2,
        "{when}: smallstack db check failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// After the restart: is the session still good, and is the stored theme an allowed one? Says
/// whether the save in flight had committed.
async fn verify(server: &ServerProcess, user: &mut User) -> (Vec<String>, bool) {
    let mut problems = Vec::new();
    let client = user.client();
    let me = client.get(server.url("/api/me")).send().await.unwrap();
    if me.status() != 200 {
        problems.push(format!(
            "{}: the session no longer signs in after the restart (GET /api/me: {})",
            user.username,
            me.status()
        ));
        let login = client
            .post(server.url("/api/login"))
            .json(&json!({"username": user.username, "password": user.password}))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 200, "login again of {}", user.username);
    }
    let stored: Value = client.get(server.url("/api/theme")).send().await.unwrap().json().await.unwrap();
    let acked = theme_for(user.index, user.acked);
    let in_flight = user.in_flight.map(|n| theme_for(user.index, n));
    let mut committed = false;
    if stored == acked {
        // The save in flight, if any, did not commit: fine.
    } else if Some(&stored) == in_flight.as_ref() {
        // The save in flight committed but its answer was lost with the process: fine.
        user.acked = user.in_flight.unwrap();
        committed = true;
    } else {
        problems.push(format!(
            "{}: stored theme {stored} is neither the last acknowledged (save {}: {acked}) nor the one in flight ({:?}: {})",
            user.username,
            user.acked,
            user.in_flight,
            in_flight.map(|t| t.to_string()).unwrap_or_else(|| "none".into())
        ));
    }
    user.in_flight = None;
    (problems, committed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_no_acknowledged_theme() {
    let started = Instant::now();
    let cycles = soak_cycles();
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(dir.path()).await;
    let mut users = futures_util::future::join_all((0..USERS).map(|i| sign_up(&server, i))).await;
    let mut problems: Vec<String> = Vec::new();

    for cycle in 1..=cycles {
        let cycle_started = Instant::now();
        let killing = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> =
            users.drain(..).map(|u| tokio::spawn(write_loop(u, server.address.clone(), killing.clone()))).collect();
        let delay = rand::random_range(300..=1500);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        killing.store(true, Ordering::SeqCst);
        server.kill_hard();
        let finished = tokio::time::timeout(Duration::from_secs(60), futures_util::future::join_all(writers))
            .await
            .expect("the writers stop once the server is gone");
        for joined in finished {
            let (user, errors) = joined.expect("a writer panicked");
            problems.extend(errors.into_iter().map(|e| format!("cycle {cycle}: {e}")));
            users.push(user);
        }
        let acked: u64 = users.iter().map(|u| u.acked_this_cycle).sum();
        let in_flight = users.iter().filter(|u| u.in_flight.is_some()).count();
        assert!(acked > 0, "cycle {cycle}: no save was acknowledged in {delay} ms");

        db_check(dir.path(), &format!("cycle {cycle}, after SIGKILL"));
        server = ServerProcess::start(dir.path()).await;
        let checks = futures_util::future::join_all(users.iter_mut().map(|u| verify(&server, u))).await;
        let committed_in_flight = checks.iter().filter(|(_, committed)| *committed).count();
        let found: Vec<String> =
            checks.into_iter().flat_map(|(p, _)| p).map(|p| format!("cycle {cycle}: {p}")).collect();
        println!(
            "crash cycle {cycle}/{cycles}: SIGKILL after {delay} ms, {acked} saves acknowledged, {in_flight} in flight \
             ({committed_in_flight} of them committed), {} problem(s), {} ms",
            found.len(),
            cycle_started.elapsed().as_millis()
        );
        problems.extend(found);
    }
    server.kill_hard();
    db_check(dir.path(), "at the end");
    println!("crash test: {cycles} cycle(s) in {} ms", started.elapsed().as_millis());
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}
