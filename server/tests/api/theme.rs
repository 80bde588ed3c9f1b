use crate::helpers::{TestApp, spawn_app};
use contract::theme::{Layout, ThemeChoice, code};
use serde_json::{Value, json};

fn dark_teal() -> Value {
    json!({"mode": "dark", "accent": "teal", "font": "serif", "gray": "zinc", "radius": "1.5", "layout": "vertical"})
}

async fn signed_in(app: &TestApp, name: &str) -> reqwest::Client {
    let password = app.create_user(name, false).await;
    app.login_client(name, &password).await
}

#[tokio::test]
async fn themes_are_saved_per_user_and_rendered_into_html() {
    let app = spawn_app().await;
    let alice = signed_in(&app, "alice").await;
    let bob = signed_in(&app, "bob").await;

    let saved = alice.post(app.url("/api/theme")).json(&dark_teal()).send().await.unwrap();
    assert_eq!(saved.status(), 200);
    assert_eq!(saved.json::<Value>().await.unwrap(), dark_teal());

    let mine: Value = alice.get(app.url("/api/theme")).send().await.unwrap().json().await.unwrap();
    assert_eq!(mine, dark_teal());
    let theirs: Value = bob.get(app.url("/api/theme")).send().await.unwrap().json().await.unwrap();
    assert_eq!(theirs, serde_json::to_value(ThemeChoice::default()).unwrap(), "bob never sees alice's theme");

    let html = alice.get(app.url("/about")).send().await.unwrap().text().await.unwrap();
    let html_tag = &html[html.find("<html").unwrap()..];
    let html_tag = &html_tag[..html_tag.find('>').unwrap()];
    for attr in [
        r#"data-mode="dark""#,
        r#"data-accent="teal""#,
        r#"data-font="serif""#,
        r#"data-gray="zinc""#,
        r#"data-radius="1.5""#,
        r#"data-layout="vertical""#,
    ] {
        assert!(html_tag.contains(attr), "{attr} missing from {html_tag}");
    }
    let bob_html = bob.get(app.url("/about")).send().await.unwrap().text().await.unwrap();
    assert!(bob_html.contains(r#"data-mode="system""#) && bob_html.contains(r#"data-accent="blue""#));
}

#[tokio::test]
async fn a_custom_accent_is_rendered_with_its_colour_and_readable_text() {
    let app = spawn_app().await;
    let alice = signed_in(&app, "alice").await;
    let mut theme = dark_teal();
    theme["accent"] = json!("#C0FFEE");
    let saved: Value = alice.post(app.url("/api/theme")).json(&theme).send().await.unwrap().json().await.unwrap();
    assert_eq!(saved["accent"], "#c0ffee");
    let html = alice.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"data-accent="custom""#));
    assert!(html.contains("--accent-custom: #c0ffee; --on-accent-custom: #000000"), "{}", &html[..600]);
}

#[tokio::test]
async fn anonymous_visitors_use_their_cookie_and_cannot_save_on_the_server() {
    let app = spawn_app().await;
    let theme: ThemeChoice = serde_json::from_value(dark_teal()).unwrap();
    let cookie = format!("smallstack_theme={}", code::encode(&theme));
    let effective: Value =
        app.client.get(app.url("/api/theme")).header("cookie", &cookie).send().await.unwrap().json().await.unwrap();
    assert_eq!(effective, dark_teal());
    let html = app.client.get(app.url("/")).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"data-layout="vertical""#));

    for garbage in [
        "smallstack_theme=%%%",
        "smallstack_theme=1zzzzzzzz",
        "smallstack_theme=",
        &format!("smallstack_theme={}", "9".repeat(4000)),
    ] {
        let response = app.client.get(app.url("/")).header("cookie", garbage).send().await.unwrap();
        assert_eq!(response.status(), 200, "{garbage}");
        assert!(response.text().await.unwrap().contains(r#"data-accent="blue""#), "defaults for {garbage}");
        let api = app.client.get(app.url("/api/theme")).header("cookie", garbage).send().await.unwrap();
        assert_eq!(api.json::<Value>().await.unwrap(), serde_json::to_value(ThemeChoice::default()).unwrap());
    }

    let before = app.fingerprint().await;
    let refused = app.post_json("/api/theme", &dark_teal()).await;
    assert_eq!(refused.status(), 401);
    assert_eq!(app.fingerprint().await, before);
}

#[tokio::test]
async fn at_login_the_account_theme_wins_and_an_anonymous_choice_is_imported_only_when_none_is_saved() {
    let app = spawn_app().await;
    let password = app.create_user("carol", false).await;
    let anonymous_choice: ThemeChoice = serde_json::from_value(dark_teal()).unwrap();
    let cookie = format!("smallstack_theme={}", code::encode(&anonymous_choice));
    let login = |cookie: String| {
        app.new_client()
            .post(app.url("/api/login"))
            .header("cookie", cookie)
            .json(&json!({"username": "carol", "password": password}))
            .send()
    };
    assert_eq!(login(cookie.clone()).await.unwrap().status(), 200);
    let stored = app
        .state
        .engine
        .themes
        .get(app.state.engine.accounts.find_by_username("carol").await.unwrap().unwrap().id)
        .await
        .unwrap();
    assert_eq!(stored.map(|v| v.layout), Some(Layout::Vertical), "imported: carol had none");

    // Now carol has one; another anonymous choice does not replace it.
    let other = ThemeChoice { layout: Layout::Boxed, ..Default::default() };
    assert_eq!(login(format!("smallstack_theme={}", code::encode(&other))).await.unwrap().status(), 200);
    let id = app.state.engine.accounts.find_by_username("carol").await.unwrap().unwrap().id;
    assert_eq!(app.state.engine.themes.get(id).await.unwrap().map(|v| v.layout), Some(Layout::Vertical));
}

#[tokio::test]
async fn logout_clears_the_browser_copy() {
    let app = spawn_app().await;
    let client = signed_in(&app, "dan").await;
    let response = client.post(app.url("/api/logout")).send().await.unwrap();
    assert_eq!(response.status(), 204);
    let cookies: Vec<String> =
        response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    assert!(cookies.iter().any(|c| c.starts_with("smallstack_theme=;") && c.contains("Max-Age=0")), "{cookies:?}");
}

#[tokio::test]
async fn bad_themes_are_refused_naming_the_field_and_the_allowed_values() {
    let app = spawn_app().await;
    let client = signed_in(&app, "erin").await;
    let with = |field: &str, value: Value| {
        let mut theme = dark_teal();
        theme[field] = value;
        theme
    };
    let mut missing = dark_teal();
    missing.as_object_mut().unwrap().remove("font");
    let cases: Vec<(Value, &str, &str)> = vec![
        (with("mode", json!("dim")), "mode", "light, dark, system"),
        (with("accent", json!("maroon")), "accent", "#rrggbb"),
        (with("accent", json!("Red")), "accent", "amber, blue"),
        (with("accent", json!("#fff")), "accent", "#rrggbb"),
        (with("accent", json!("#GGGGGG")), "accent", "#rrggbb"),
        (with("accent", json!("x".repeat(10_000))), "accent", "#rrggbb"),
        (with("font", json!("papyrus")), "font", "sans-serif, serif, monospace, comic"),
        (with("gray", json!("grey")), "gray", "slate, gray, zinc, neutral, stone"),
        (with("radius", json!(1.5)), "radius", "string"),
        (with("radius", json!("3")), "radius", "0, 0.5, 1, 1.5, 2"),
        (with("layout", json!("sidebar")), "layout", "horizontal, vertical, vertical-right, boxed, fluid, condensed"),
        (with("layout", json!(null)), "layout", "string"),
        (missing, "font", "missing field"),
    ];
    let before = app.fingerprint().await;
    for (body, field, hint) in cases {
        let response = client.post(app.url("/api/theme")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 422, "{field}: {hint}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["field"], field, "{error}");
        let message = error["error"].as_str().unwrap();
        assert!(message.contains(hint), "{message} should mention {hint}");
        assert!(message.len() < 400, "the message must not echo a huge value");
    }
    let extra = client.post(app.url("/api/theme")).json(&with("sparkles", json!(true))).send().await.unwrap();
    assert_eq!(extra.status(), 422, "unknown fields are refused, not ignored");
    assert_eq!(app.fingerprint().await, before, "nothing saved");
}

#[tokio::test]
async fn presets_are_private_limited_and_uniquely_named() {
    let app = spawn_app().await;
    let alice = signed_in(&app, "alice").await;
    let bob = signed_in(&app, "bob").await;
    let create = |client: &reqwest::Client, name: String| {
        client.post(app.url("/api/theme/presets")).json(&json!({"name": name, "theme": dark_teal()})).send()
    };

    let first = create(&alice, "Night".into()).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let id = first["id"].as_i64().unwrap();
    assert_eq!(
        code::decode(first["code"].as_str().unwrap()).unwrap(),
        serde_json::from_value::<ThemeChoice>(dark_teal()).unwrap()
    );

    let duplicate = create(&alice, "night".into()).await.unwrap();
    assert_eq!(duplicate.status(), 409);
    assert_eq!(duplicate.json::<Value>().await.unwrap()["field"], "name");

    for i in 2..=20 {
        assert_eq!(create(&alice, format!("Preset {i}")).await.unwrap().status(), 201);
    }
    let before = app.fingerprint().await;
    let twenty_first = create(&alice, "One too many".into()).await.unwrap();
    assert_eq!(twenty_first.status(), 409);
    assert!(twenty_first.json::<Value>().await.unwrap()["error"].as_str().unwrap().contains("at most 20"));
    assert_eq!(create(&alice, "".into()).await.unwrap().status(), 422);
    assert_eq!(create(&alice, "x".repeat(61)).await.unwrap().status(), 422);

    // Bob cannot see, rename or delete alice's preset: 404, as if it did not exist.
    let bobs: Value = bob.get(app.url("/api/theme/presets")).send().await.unwrap().json().await.unwrap();
    assert_eq!(bobs["presets"].as_array().unwrap().len(), 0);
    let rename = bob
        .patch(app.url(&format!("/api/theme/presets/{id}")))
        .json(&json!({"name": "Mine now"}))
        .send()
        .await
        .unwrap();
    assert_eq!(rename.status(), 404);
    assert_eq!(bob.delete(app.url(&format!("/api/theme/presets/{id}"))).send().await.unwrap().status(), 404);
    assert_eq!(bob.delete(app.url("/api/theme/presets/999999")).send().await.unwrap().status(), 404);
    assert_eq!(bob.delete(app.url("/api/theme/presets/abc")).send().await.unwrap().status(), 404);
    assert_eq!(app.fingerprint().await, before, "nothing changed");

    let renamed = alice
        .patch(app.url(&format!("/api/theme/presets/{id}")))
        .json(&json!({"name": "Midnight"}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);
    assert_eq!(renamed.json::<Value>().await.unwrap()["name"], "Midnight");
    assert_eq!(alice.delete(app.url(&format!("/api/theme/presets/{id}"))).send().await.unwrap().status(), 204);
    let list: Value = alice.get(app.url("/api/theme/presets")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["presets"].as_array().unwrap().len(), 19);
}

#[tokio::test]
async fn share_links_preview_without_saving_and_bad_codes_are_explained() {
    let app = spawn_app().await;
    let alice = signed_in(&app, "alice").await;
    let theme: ThemeChoice = serde_json::from_value(dark_teal()).unwrap();
    let code = code::encode(&theme);
    let before = app.fingerprint().await;
    let html = alice.get(app.url(&format!("/theme?t={code}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"data-layout="vertical""#), "the first paint shows the shared theme");
    assert!(html.contains("previewing a shared theme"));
    let mut altered = code.clone();
    altered.replace_range(2..3, if &code[2..3] == "0" { "1" } else { "0" });
    let html = alice.get(app.url(&format!("/theme?t={altered}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("This share link cannot be opened"), "altered code explained");
    assert!(html.contains(r#"data-layout="horizontal""#), "and the saved (default) theme shown");
    let html = alice.get(app.url(&format!("/theme?t={}", &code[..5]))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("This share link cannot be opened"), "truncated code explained");
    assert_eq!(app.fingerprint().await, before, "previewing saves nothing");
}
