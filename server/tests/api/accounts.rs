use crate::helpers::{TestApp, session_cookie, spawn_app, spawn_app_with, tiny_png};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn me(app: &TestApp, client: &reqwest::Client) -> StatusCode {
    client.get(app.url("/api/me")).send().await.unwrap().status()
}

#[tokio::test]
async fn login_rotates_the_session_id_and_logout_destroys_it() {
    let app = spawn_app().await;
    let password = app.create_user("alice", false).await;
    let raw = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let login = |cookie: Option<String>| {
        let mut req = raw.post(app.url("/api/login")).json(&json!({"username": "alice", "password": password}));
        if let Some(c) = cookie {
            req = req.header("cookie", format!("smallstack_session={c}"));
        }
        req.send()
    };
    let first = login(None).await.unwrap();
    assert_eq!(first.status(), 200);
    let id1 = session_cookie(&first).expect("a session cookie");
    let cookie_line = first.headers().get("set-cookie").unwrap().to_str().unwrap().to_lowercase();
    assert!(cookie_line.contains("httponly") && cookie_line.contains("samesite=lax"), "{cookie_line}");
    assert!(!cookie_line.contains("secure"), "Secure only when SMALLSTACK_SECURE_COOKIES=true: {cookie_line}");

    // Logging in again from a signed-in session gives a new id; the old one stops working.
    let second = login(Some(id1.clone())).await.unwrap();
    let id2 = session_cookie(&second).expect("a new session cookie");
    assert_ne!(id1, id2);
    let with = |id: &str| raw.get(app.url("/api/me")).header("cookie", format!("smallstack_session={id}")).send();
    assert_eq!(with(&id1).await.unwrap().status(), 401);
    assert_eq!(with(&id2).await.unwrap().status(), 200);

    // A session id an attacker planted is never adopted.
    let planted = login(Some("AAAAAAAAAAAAAAAAAAAAAA".into())).await.unwrap();
    assert_ne!(session_cookie(&planted).as_deref(), Some("AAAAAAAAAAAAAAAAAAAAAA"));

    let logout =
        raw.post(app.url("/api/logout")).header("cookie", format!("smallstack_session={id2}")).send().await.unwrap();
    assert_eq!(logout.status(), 204);
    assert_eq!(with(&id2).await.unwrap().status(), 401, "the old cookie after logout");
}

#[tokio::test]
async fn a_password_change_signs_out_the_other_sessions() {
    let app = spawn_app().await;
    let password = app.create_user("bob", false).await;
    let phone = app.login_client("bob", &password).await;
    let laptop = app.login_client("bob", &password).await;
    let response = laptop
        .post(app.url("/api/profile/password"))
        .json(&json!({"current_password": password, "new_password": "a-brand-new-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(me(&app, &laptop).await, 200, "the session that changed it stays");
    assert_eq!(me(&app, &phone).await, 401, "other sessions end");
    app.login_client("bob", "a-brand-new-password").await;
}

#[tokio::test]
async fn deactivating_a_user_ends_their_sessions() {
    let app = spawn_app().await;
    let password = app.create_user("carol", false).await;
    let client = app.login_client("carol", &password).await;
    let user = app.state.engine.accounts.find_by_username("carol").await.unwrap().unwrap();
    app.state.engine.accounts.set_active(user.id, false).await.unwrap();
    assert_eq!(me(&app, &client).await, 401);
}

#[tokio::test]
async fn me_shows_the_user() {
    let app = spawn_app().await;
    let password = app.create_user("dave", true).await;
    let client = app.login_client("DAVE@example.com", &password).await;
    let body: Value = client.get(app.url("/api/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["user"]["username"], "dave");
    assert_eq!(body["user"]["email"], "dave@example.com");
    assert_eq!(body["user"]["is_staff"], true);
    assert_eq!(me(&app, &app.new_client()).await, 401);
}

#[tokio::test]
async fn cross_origin_writes_are_refused() {
    let app = spawn_app().await;
    let body = json!({"username": "nobody", "password": "whatever-long"});
    let post = |headers: Vec<(&'static str, String)>| {
        let mut req = app.client.post(app.url("/api/login")).json(&body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    let foreign = post(vec![("origin", "http://evil.example".into())]).await.unwrap();
    assert_eq!(foreign.status(), 403);
    assert!(foreign.json::<Value>().await.unwrap()["error"].as_str().unwrap().contains("cross-origin"));
    assert_eq!(post(vec![("sec-fetch-site", "cross-site".into())]).await.unwrap().status(), 403);
    assert_eq!(post(vec![("sec-fetch-site", "same-site".into())]).await.unwrap().status(), 403);
    let host = app.address.trim_start_matches("http://").to_string();
    assert_eq!(post(vec![("origin", format!("http://{host}"))]).await.unwrap().status(), 401, "same origin passes");
    assert_eq!(post(vec![("sec-fetch-site", "same-origin".into())]).await.unwrap().status(), 401);
    assert_eq!(post(vec![]).await.unwrap().status(), 401, "no headers: not a browser, passes");
    assert_eq!(
        app.client.get(app.url("/api/me")).header("origin", "http://evil.example").send().await.unwrap().status(),
        401,
        "GET is not checked"
    );
}

#[tokio::test]
async fn bad_sign_ups_are_refused_with_the_field_and_change_nothing() {
    let app = spawn_app().await;
    app.create_user("Alice", false).await;
    let long = "a".repeat(10_000);
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({}), 422, "username"),
        (json!({"username": "", "email": "x@example.com", "password": "long-enough"}), 422, "username"),
        (json!({"username": "newbie", "email": "x@example.com"}), 422, "password"),
        (json!({"username": 42, "email": "x@example.com", "password": "long-enough"}), 422, "username"),
        (json!({"username": ["a"], "email": "x@example.com", "password": "long-enough"}), 422, "username"),
        (json!({"username": long, "email": "x@example.com", "password": "long-enough"}), 422, "username"),
        (json!({"username": "аlice", "email": "x@example.com", "password": "long-enough"}), 422, "username"),
        (json!({"username": "bob\u{0}", "email": "x@example.com", "password": "long-enough"}), 422, "username"),
        (json!({"username": "bob\nsmith", "email": "x@example.com", "password": "long-enough"}), 422, "username"),
        (
            json!({"username": "x'; DROP TABLE users;--", "email": "x@example.com", "password": "long-enough"}),
            422,
            "username",
        ),
        (json!({"username": "newbie", "email": "not-an-email", "password": "long-enough"}), 422, "email"),
        (json!({"username": "newbie", "email": "x@example.com", "password": "short"}), 422, "password"),
        (json!({"username": "newbie", "email": "x@example.com", "password": "p".repeat(1025)}), 422, "password"),
        (
            json!({"username": "newbie", "email": "x@example.com", "password": "long-enough", "display_name": "a\u{202E}b"}),
            422,
            "display_name",
        ),
        (json!({"username": "ALICE", "email": "x@example.com", "password": "long-enough"}), 409, "username"),
        (json!({"username": "newbie", "email": "ALICE@EXAMPLE.COM", "password": "long-enough"}), 409, "email"),
    ];
    let before = app.fingerprint().await;
    for (body, status, field) in cases {
        let response = app.post_json("/api/signup", &body).await;
        assert_eq!(response.status().as_u16(), status, "{body}");
        let error: Value = response.json().await.unwrap();
        assert!(error["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}: {error}");
        assert_eq!(error["field"], field, "{body}: {error}");
    }
    for (body, status) in [("{not json", 400), ("", 400), ("[]", 422), ("null", 422)] {
        let response = app.post_raw("/api/signup", "application/json", body).await;
        assert_eq!(response.status().as_u16(), status, "{body:?}");
        assert!(response.json::<Value>().await.unwrap()["error"].is_string());
    }
    let response = app.post_raw("/api/signup", "text/plain", "username=x").await;
    assert_eq!(response.status(), 415);
    assert_eq!(app.fingerprint().await, before, "nothing was written to either database");
}

#[tokio::test]
async fn malformed_json_is_a_4xx_with_a_json_error_never_500() {
    let app = spawn_app().await;
    for (body, status) in [("{\"username\": ", 400), ("{\"username\": 1, \"password\": 2}", 422), ("\u{0}", 400)] {
        let response = app.post_raw("/api/login", "application/json", body).await;
        assert_eq!(response.status().as_u16(), status, "{body:?}");
        let error: Value = response.json().await.unwrap();
        assert!(error["error"].as_str().unwrap().len() > 5);
    }
    let huge = format!("{{\"username\": \"{}\", \"password\": \"x\"}}", "a".repeat(100 * 1024));
    assert_eq!(app.post_raw("/api/login", "application/json", huge).await.status(), 413);
}

#[tokio::test]
async fn markup_and_sql_are_stored_as_text_and_rendered_escaped() {
    let app = spawn_app().await;
    let name = "<script>alert(1)</script> Robert'); DROP TABLE users;--";
    let response = app
        .post_json(
            "/api/signup",
            &json!({"username": "mallory", "email": "m@example.com", "password": "long-enough", "display_name": name}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let me: Value = app.get("/api/me").await.json().await.unwrap();
    assert_eq!(me["user"]["display_name"], name);
    let html = app.get("/profile").await.text().await.unwrap();
    assert!(!html.contains("<script>alert(1)</script>"), "the name must be escaped in the page");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_eq!(app.state.engine.accounts.list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn profile_changes_and_their_bad_inputs() {
    let app = spawn_app().await;
    let password = app.create_user("frank", false).await;
    app.create_user("grace", false).await;
    let client = app.login_client("frank", &password).await;
    let patch = |body: Value| client.patch(app.url("/api/profile")).json(&body).send();

    let ok: Value =
        patch(json!({"display_name": "Frank F.", "email": "Frank@New.example"})).await.unwrap().json().await.unwrap();
    assert_eq!(ok["user"]["display_name"], "Frank F.");
    assert_eq!(ok["user"]["email"], "frank@new.example");

    let before = app.fingerprint().await;
    let taken = patch(json!({"email": "GRACE@example.com"})).await.unwrap();
    assert_eq!(taken.status(), 409);
    assert_eq!(taken.json::<Value>().await.unwrap()["field"], "email");
    assert_eq!(patch(json!({"display_name": 5})).await.unwrap().status(), 422);
    assert_eq!(patch(json!({})).await.unwrap().status(), 422);
    assert_eq!(
        patch(json!({"is_staff": true})).await.unwrap().status(),
        422,
        "unknown fields are refused, not ignored"
    );
    assert_eq!(app.fingerprint().await, before);
    let wrong = client
        .post(app.url("/api/profile/password"))
        .json(&json!({"current_password": "not-my-password", "new_password": "another-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 422);
    assert_eq!(wrong.json::<Value>().await.unwrap()["field"], "current_password");
    // The application database is untouched; the system database counts the wrong guess (the
    // lockout of `/api/profile/password`, tested in `lockout.rs`).
    assert_eq!(app.fingerprint().await.0, before.0);
}

async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    bytes: Vec<u8>,
    file_name: &str,
    mime: &str,
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string()).mime_str(mime).unwrap();
    let form = reqwest::multipart::Form::new().part("avatar", part);
    client.post(app.url("/api/profile/avatar")).multipart(form).send().await.unwrap()
}

#[tokio::test]
async fn avatars_are_checked_by_their_bytes_and_served_safely() {
    let app = spawn_app().await;
    let password = app.create_user("heidi", false).await;
    let client = app.login_client("heidi", &password).await;

    let response = upload(&app, &client, tiny_png(), "me.png", "image/png").await;
    assert_eq!(response.status(), 200);
    let first_url = response.json::<Value>().await.unwrap()["user"]["avatar_url"].as_str().unwrap().to_string();
    assert!(first_url.starts_with("/media/avatars/") && first_url.ends_with(".png"), "{first_url}");
    let served = app.get(&first_url).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    assert_eq!(served.bytes().await.unwrap().to_vec(), tiny_png());

    // Replacing removes the old file.
    let response = upload(&app, &client, tiny_png(), "again.png", "image/png").await;
    let second_url = response.json::<Value>().await.unwrap()["user"]["avatar_url"].as_str().unwrap().to_string();
    assert_ne!(first_url, second_url);
    assert_eq!(app.get(&first_url).await.status(), 404);
    let files = std::fs::read_dir(app.data_path("media/avatars")).unwrap().count();
    assert_eq!(files, 1);

    let before = app.fingerprint().await;
    let text = upload(&app, &client, b"just some text, honestly".to_vec(), "cat.png", "image/png").await;
    assert_eq!(text.status(), 422);
    assert!(text.json::<Value>().await.unwrap()["error"].as_str().unwrap().contains("not a PNG, JPEG or WebP"));
    let empty = upload(&app, &client, Vec::new(), "empty.png", "image/png").await;
    assert_eq!(empty.status(), 422);
    let png = tiny_png();
    let truncated = upload(&app, &client, png[..png.len() - 6].to_vec(), "cut.png", "image/png").await;
    assert_eq!(truncated.status(), 422);
    assert!(truncated.json::<Value>().await.unwrap()["error"].as_str().unwrap().contains("damaged"));
    let mut big = tiny_png();
    big.resize(6 * 1024 * 1024, 0);
    let big = upload(&app, &client, big, "big.png", "image/png").await;
    assert_eq!(big.status(), 413);
    assert!(big.json::<Value>().await.unwrap()["error"].is_string());
    assert_eq!(app.fingerprint().await, before);
    assert_eq!(
        std::fs::read_dir(app.data_path("media/avatars")).unwrap().count(),
        1,
        "no file left by a refused upload"
    );

    for bad in ["/media/avatars/../../db.sqlite3", "/media/avatars/x.png", "/media/avatars/%2e%2e%2fdb.sqlite3"] {
        assert_eq!(app.get(bad).await.status(), 404, "{bad}");
    }
}

#[tokio::test]
async fn sign_up_can_be_disabled() {
    let app = spawn_app_with(|s| s.signup_enabled = false).await;
    let response = app
        .post_json("/api/signup", &json!({"username": "newbie", "email": "n@example.com", "password": "long-enough"}))
        .await;
    assert_eq!(response.status(), 403);
    assert!(response.json::<Value>().await.unwrap()["error"].as_str().unwrap().contains("disabled"));
    assert!(app.get("/signup").await.text().await.unwrap().contains("Sign-up is disabled"));
    assert!(app.state.engine.accounts.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn login_by_email_in_any_case_and_wrong_password() {
    let app = spawn_app().await;
    let password = app.create_user("ivan", false).await;
    let ok = app.post_json("/api/login", &json!({"username": "IVAN@EXAMPLE.COM", "password": password})).await;
    assert_eq!(ok.status(), 200);
    let bad = app.post_json("/api/login", &json!({"username": "ivan", "password": "wrong-password"})).await;
    assert_eq!(bad.status(), 401);
    assert_eq!(bad.json::<Value>().await.unwrap()["error"], "Invalid username or password.");
    let unknown =
        app.post_json("/api/login", &json!({"username": "nobody-at-all", "password": "wrong-password"})).await;
    assert_eq!(unknown.status(), 401);
    let long = app.post_json("/api/login", &json!({"username": "a".repeat(10_000), "password": "x"})).await;
    assert_eq!(long.status(), 422);
}
