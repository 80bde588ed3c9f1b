//! Login lockout: at most 5 wrong passwords per account in any 15 minutes are ever checked,
//! however the requests are timed (a parallel burst included) and whichever login names the
//! account (username or e-mail); at most 20 per client address; the current-password check of a
//! password change counts too, and ends the session at the limit.

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use serde_json::{Value, json};

/// An app that believes `X-Forwarded-For` from the test client, so a test can speak from
/// several addresses.
async fn app_behind_proxy() -> TestApp {
    spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await
}

async fn attempt(app: &TestApp, ip: &str, login: &str, password: &str) -> reqwest::Response {
    app.new_client()
        .post(app.url("/api/login"))
        .header("x-forwarded-for", ip)
        .json(&json!({"username": login, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn error_of(response: reqwest::Response) -> String {
    response.json::<Value>().await.unwrap()["error"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_parallel_wrong_logins_gets_at_most_five_guesses() {
    let app = app_behind_proxy().await;
    let password = app.create_user("burst", false).await;
    // A dozen at the same moment, by name and by e-mail, from one address.
    let burst = (0..12).map(|i| {
        let login = if i % 2 == 0 { "burst" } else { "BURST@example.com" };
        let request = app
            .new_client()
            .post(app.url("/api/login"))
            .header("x-forwarded-for", "198.51.100.20")
            .json(&json!({"username": login, "password": format!("wrong-guess-{i}")}));
        async move { request.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(burst).await;
    let verified = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(verified + refused, 12, "{statuses:?}");
    assert!(verified <= 5, "{verified} of the burst's guesses were checked: {statuses:?}");
    assert!(refused >= 7, "{statuses:?}");
    // The account ends locked, whichever login names it and wherever it comes from.
    for login in ["burst", "burst@example.com"] {
        let locked = attempt(&app, "198.51.100.21", login, &password).await;
        assert_eq!(locked.status(), 429, "{login}: locked even with the right password");
    }
}

#[tokio::test]
async fn the_name_and_the_email_share_one_counter() {
    let app = app_behind_proxy().await;
    let password = app.create_user("erin", false).await;
    for (i, login) in ["erin", "erin@example.com", "ERIN", "Erin@Example.com", "erin"].iter().enumerate() {
        assert_eq!(attempt(&app, "198.51.100.7", login, "wrong-password").await.status(), 401, "failure {i}");
    }
    for login in ["erin", "erin@example.com"] {
        let locked = attempt(&app, "198.51.100.7", login, &password).await;
        assert_eq!(locked.status(), 429, "{login}");
        let retry: u64 = locked.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((800..=900).contains(&retry), "{retry}");
        let error = error_of(locked).await;
        assert!(error.contains("this account") && error.contains("try again in 15 minutes"), "{error}");
    }
}

#[tokio::test]
async fn five_failures_lock_the_account_from_every_address() {
    let app = app_behind_proxy().await;
    let password = app.create_user("erin", false).await;
    for i in 0..5 {
        let ip = format!("198.51.100.{i}");
        assert_eq!(attempt(&app, &ip, "erin", "wrong-password").await.status(), 401, "failure {i}");
    }
    assert_eq!(attempt(&app, "203.0.113.50", "erin", &password).await.status(), 429, "another address");
    // Names that are no account are counted per name (in any letter case) all the same.
    for _ in 0..5 {
        assert_eq!(attempt(&app, "198.51.100.30", "Ghost", "wrong-password").await.status(), 401);
    }
    assert_eq!(attempt(&app, "198.51.100.31", "ghost", "wrong-password").await.status(), 429);
}

#[tokio::test]
async fn a_success_clears_the_account_count() {
    let app = app_behind_proxy().await;
    let password = app.create_user("erin", false).await;
    for _ in 0..4 {
        attempt(&app, "198.51.100.9", "erin", "wrong-password").await;
    }
    assert_eq!(attempt(&app, "198.51.100.9", "erin@example.com", &password).await.status(), 200);
    for _ in 0..4 {
        assert_eq!(attempt(&app, "198.51.100.9", "erin", "wrong-password").await.status(), 401);
    }
    assert_eq!(attempt(&app, "198.51.100.9", "erin", &password).await.status(), 200);
}

#[tokio::test]
async fn twenty_failures_from_one_address_lock_that_address() {
    let app = app_behind_proxy().await;
    let password = app.create_user("victim", false).await;
    // Spread over names, so no account reaches its own limit.
    for i in 0..20 {
        let status = attempt(&app, "198.51.100.66", &format!("guess{i}"), "wrong-password").await;
        assert_eq!(status.status(), 401, "failure {i}");
    }
    let locked = attempt(&app, "198.51.100.66", "victim", &password).await;
    assert_eq!(locked.status(), 429, "the address is locked, even for the right password of another account");
    assert!(error_of(locked).await.contains("your address"));
    assert_eq!(attempt(&app, "198.51.100.67", "victim", &password).await.status(), 200, "another address is not");
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = spawn_app().await;
    let password = app.create_user("erin", false).await;
    for i in 0..20 {
        attempt(&app, &format!("203.0.113.{i}"), &format!("nobody{i}"), "wrong-password").await;
    }
    // All twenty counted against the real peer (127.0.0.1), whatever the header claimed.
    assert_eq!(attempt(&app, "203.0.113.99", "erin", &password).await.status(), 429);
}

#[tokio::test]
async fn guessing_the_current_password_ends_the_session() {
    let app = spawn_app().await;
    let password = app.create_user("paula", false).await;
    let client = app.login_client("paula", &password).await;
    let change = |current: &str| {
        client
            .post(app.url("/api/profile/password"))
            .json(&json!({"current_password": current, "new_password": "a-brand-new-password"}))
            .send()
    };
    for i in 0..4 {
        let wrong = change(&format!("guess-{i}")).await.unwrap();
        assert_eq!(wrong.status(), 422, "guess {i}");
        assert_eq!(wrong.json::<Value>().await.unwrap()["field"], "current_password");
    }
    let last = change("guess-4").await.unwrap();
    assert_eq!(last.status(), 401, "the fifth wrong password ends the session");
    assert!(error_of(last).await.contains("signed out"));
    assert_eq!(client.get(app.url("/api/me")).send().await.unwrap().status(), 401, "the session is gone");
    assert_eq!(change(&password).await.unwrap().status(), 401);
    // The guesses counted against the account: logins are locked too, and nothing changed.
    let login = app.post_json("/api/login", &json!({"username": "paula", "password": password})).await;
    assert_eq!(login.status(), 429);
    let user = app.state.engine.accounts.find_by_username("paula").await.unwrap().unwrap();
    assert!(engine::accounts::verify_password(&password, &user.password_hash).await, "the password did not change");
}
