//! The HTML forms that work without JavaScript (issue 14, point 8): each posts
//! `application/x-www-form-urlencoded`, does what its JSON twin does, and answers 303; a refusal
//! comes back on the form's page as a message (and what was typed, never a password).

use crate::helpers::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::Value;

const FORM: &str = "application/x-www-form-urlencoded";

async fn post_form(app: &TestApp, client: &reqwest::Client, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    client
        .post(app.url(path))
        .header("content-type", FORM)
        // What a browser says about a form on the site's own page.
        .header("sec-fetch-site", "same-origin")
        .body(serde_urlencoded_pairs(fields))
        .send()
        .await
        .unwrap()
}

fn serde_urlencoded_pairs(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(k, v)| format!("{}={}", k, url_escape(v))).collect::<Vec<_>>().join("&")
}

fn url_escape(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_string()
}

/// The page at `path` as the browser loads it after the redirect.
async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    client.get(app.url(path)).header("accept", "text/html").send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn the_login_form_logs_in_and_goes_to_next_or_says_why_not() {
    let app = spawn_app().await;
    let password = app.create_user("formuser", false).await;
    let client = app.new_client();

    let refused = post_form(
        &app,
        &client,
        "/login",
        &[("username", "formuser"), ("password", "wrong-one"), ("next", "/profile")],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&refused), "/login?next=/profile");
    let html = page(&app, &client, "/login?next=/profile").await;
    assert!(html.contains("Invalid username or password."), "the reason is on the page");
    assert!(html.contains("value=\"formuser\""), "what was typed comes back");
    assert!(!html.contains("wrong-one"), "never the password");
    // Shown once.
    assert!(!page(&app, &client, "/login").await.contains("Invalid username or password."));
    assert_eq!(client.get(app.url("/api/me")).send().await.unwrap().status(), 401);

    let ok =
        post_form(&app, &client, "/login", &[("username", "formuser"), ("password", &password), ("next", "/profile")])
            .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&ok), "/profile");
    assert_eq!(client.get(app.url("/api/me")).send().await.unwrap().status(), 200);

    // A next= to another site is not followed.
    let other = app.new_client();
    let away = post_form(
        &app,
        &other,
        "/login",
        &[("username", "formuser"), ("password", &password), ("next", "//evil.example/")],
    )
    .await;
    assert_eq!(location(&away), "/");
}

#[tokio::test]
async fn the_login_form_counts_towards_the_lockout_like_the_api() {
    let app = spawn_app().await;
    app.create_user("lockme", false).await;
    let client = app.new_client();
    for _ in 0..12 {
        post_form(&app, &client, "/login", &[("username", "lockme"), ("password", "nope-nope")]).await;
    }
    let api = client
        .post(app.url("/api/login"))
        .json(&serde_json::json!({"username": "lockme", "password": "nope-nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::TOO_MANY_REQUESTS, "the form's failures were counted by the same lockout");
}

#[tokio::test]
async fn sign_up_profile_theme_and_logout_work_as_forms() {
    let app = spawn_app().await;
    let client = app.new_client();

    let refused = post_form(
        &app,
        &client,
        "/signup",
        &[("username", "formsign"), ("email", "formsign@example.com"), ("password", "short"), ("display_name", "")],
    )
    .await;
    assert_eq!(location(&refused), "/signup");
    let html = page(&app, &client, "/signup").await;
    assert!(html.contains("value=\"formsign@example.com\""), "{html}");
    assert!(html.contains("role=\"alert\""));

    let ok = post_form(
        &app,
        &client,
        "/signup",
        &[
            ("username", "formsign"),
            ("email", "formsign@example.com"),
            ("password", "long-enough-pw"),
            ("display_name", ""),
        ],
    )
    .await;
    assert_eq!(location(&ok), "/profile");
    let me: Value = client.get(app.url("/api/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["user"]["username"], "formsign");

    let saved =
        post_form(&app, &client, "/profile", &[("display_name", "Form Person"), ("email", "formsign@example.com")])
            .await;
    assert_eq!(location(&saved), "/profile");
    let html = page(&app, &client, "/profile").await;
    assert!(html.contains("Saved."));
    assert!(html.contains("Form Person"));
    let bad = post_form(&app, &client, "/profile", &[("display_name", "x"), ("email", "not an email")]).await;
    assert_eq!(location(&bad), "/profile");
    assert!(page(&app, &client, "/profile").await.contains("value=\"not an email\""));

    let theme = post_form(&app, &client, "/theme", &[("mode", "dark"), ("accent", "green"), ("layout", "boxed")]).await;
    assert_eq!(location(&theme), "/theme");
    let cookie =
        theme.headers().get_all("set-cookie").iter().any(|c| c.to_str().unwrap().starts_with("smallstack_theme="));
    assert!(cookie, "the browser's copy of the theme is set too");
    let stored: Value = client.get(app.url("/api/theme")).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        (stored["mode"].as_str(), stored["accent"].as_str(), stored["layout"].as_str()),
        (Some("dark"), Some("green"), Some("boxed"))
    );
    assert_eq!(stored["font"], "sans-serif", "a field not sent keeps its value");
    assert!(page(&app, &client, "/theme").await.contains("Saved to your account"));
    let bad_theme = post_form(&app, &client, "/theme", &[("layout", "sideways")]).await;
    assert_eq!(location(&bad_theme), "/theme");
    assert!(page(&app, &client, "/theme").await.contains("sideways"));

    let out = post_form(&app, &client, "/logout", &[]).await;
    assert_eq!(location(&out), "/");
    assert_eq!(client.get(app.url("/api/me")).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn an_anonymous_theme_form_sets_the_cookie_only() {
    let app = spawn_app().await;
    let client = app.new_client();
    let saved = post_form(&app, &client, "/theme", &[("mode", "dark"), ("accent_custom", "#1a2b3c")]).await;
    assert_eq!(location(&saved), "/theme");
    let html = page(&app, &client, "/theme").await;
    assert!(html.contains("data-mode=\"dark\"") && html.contains("data-accent=\"custom\""), "rendered from the cookie");
    assert!(html.contains("Saved in this browser."));
}

#[tokio::test]
async fn forms_from_another_site_are_refused_and_the_profile_form_needs_a_login() {
    let app = spawn_app().await;
    app.create_user("victim", false).await;
    let client = app.new_client();
    let cross = client
        .post(app.url("/login"))
        .header("content-type", FORM)
        .header("sec-fetch-site", "cross-site")
        .body("username=victim&password=x")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    let anonymous = post_form(&app, &client, "/profile", &[("display_name", "x")]).await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert!(location(&anonymous).starts_with("/login?next=/profile"));
}

/// Issue 14, point 9: what reaches a person is a sentence, whatever the layer that refused.
#[tokio::test]
async fn api_errors_are_sentences() {
    let app = spawn_app().await;
    let client = app.new_client();
    let cases = [
        client.post(app.url("/api/login")).json(&serde_json::json!({"username": "", "password": "x"})),
        client.post(app.url("/api/login")).json(&serde_json::json!({"username": "nobody", "password": "x"})),
        client.get(app.url("/api/me")),
        client.get(app.url("/api/no-such-endpoint")),
        client.post(app.url("/api/signup")).json(&serde_json::json!({"username": "a", "email": "b", "password": "c"})),
    ];
    for request in cases {
        let body: Value = request.send().await.unwrap().json().await.unwrap();
        let error = body["error"].as_str().unwrap();
        assert!(error.chars().next().unwrap().is_uppercase(), "{error}");
        assert!(error.ends_with('.'), "{error}");
    }
}
