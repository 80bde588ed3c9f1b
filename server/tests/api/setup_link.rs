//! The first-staff setup link: dead as soon as any active staff account exists (however it was
//! made), expired after 24 hours (a new one at the next start), and the `/setup` page says so
//! before anyone fills the form.

use crate::helpers::{TestApp, spawn_app, test_settings};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement, sea_query::Expr};
use serde_json::{Value, json};
use server::Application;

/// The stored token (made at start while there is no staff account).
async fn stored_token(app: &TestApp) -> Option<String> {
    app.state
        .engine
        .system_db
        .reader()
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT value FROM settings WHERE key = 'setup_token'",
        ))
        .await
        .unwrap()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
}

/// Makes the stored link `hours` old.
async fn age_the_link(app: &TestApp, hours: i64) {
    use engine::entities::setting;
    let w = app.state.engine.system_db.writer().await.unwrap();
    setting::Entity::update_many()
        .col_expr(setting::Column::UpdatedAt, Expr::value(chrono::Utc::now() - chrono::Duration::hours(hours)))
        .filter(setting::Column::Key.eq("setup_token"))
        .exec(w.conn())
        .await
        .unwrap();
}

fn setup_body(token: &str, username: &str) -> Value {
    json!({"token": token, "username": username, "email": format!("{username}@example.com"), "password": "first-staff-pw"})
}

/// The `/setup` page for `query`, as the server renders it (no JavaScript).
async fn setup_page(app: &TestApp, query: &str) -> String {
    let response = app.get(&format!("/setup{query}")).await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

const FORM: &str = "id=\"setup-username\"";

#[tokio::test]
async fn the_page_says_whether_the_link_works_before_the_form_is_filled() {
    let app = spawn_app().await;
    let token = stored_token(&app).await.expect("a link is made at start while there is no staff");
    let page = setup_page(&app, &format!("?token={token}")).await;
    assert!(page.contains(FORM), "a valid link shows the form");
    for query in ["", "?token=", "?token=not-the-token", &format!("?token={}", &token[..20])] {
        let page = setup_page(&app, query).await;
        assert!(!page.contains(FORM), "{query}: no form for a link that cannot work");
        assert!(page.contains("not valid"), "{query}: the page says why");
    }
}

#[tokio::test]
async fn a_staff_account_made_another_way_kills_the_link() {
    let app = spawn_app().await;
    let token = stored_token(&app).await.unwrap();
    // As `smallstack user create --staff` (or a restore bringing one back) would.
    app.create_user("cliboss", true).await;

    let page = setup_page(&app, &format!("?token={token}")).await;
    assert!(!page.contains(FORM), "the form is not offered");
    assert!(page.contains("already been used up"), "the page says the link is used up");
    let before = app.fingerprint().await;
    let refused = app.post_json("/api/setup", &setup_body(&token, "intruder")).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.json::<Value>().await.unwrap()["error"].as_str().unwrap().contains("used up"));
    assert_eq!(app.fingerprint().await, before, "nothing changed");
    assert_eq!(app.state.engine.accounts.active_staff_count().await.unwrap(), 1);
}

#[tokio::test]
async fn the_link_expires_after_24_hours_and_the_next_start_makes_a_new_one() {
    let app = spawn_app().await;
    let old = stored_token(&app).await.unwrap();
    age_the_link(&app, 23).await;
    assert!(setup_page(&app, &format!("?token={old}")).await.contains(FORM), "23 hours old: still valid");
    age_the_link(&app, 25).await;

    let page = setup_page(&app, &format!("?token={old}")).await;
    assert!(!page.contains(FORM) && page.contains("expired"), "the page says it expired");
    let refused = app.post_json("/api/setup", &setup_body(&old, "late")).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.json::<Value>().await.unwrap()["error"].as_str().unwrap().contains("expired"));

    // The next start (here a second server on the same files) makes a new link.
    let mut settings = test_settings(&app.dir);
    settings.site_root = app.state.settings.site_root.clone();
    let restarted = Application::build(settings).await.unwrap();
    drop(restarted);
    let new = stored_token(&app).await.unwrap();
    assert_ne!(new, old);
    assert_eq!(app.post_json("/api/setup", &setup_body(&old, "late")).await.status(), 403);
    let created = app.post_json("/api/setup", &setup_body(&new, "boss")).await;
    assert_eq!(created.status(), 201);
    assert_eq!(app.state.engine.accounts.active_staff_count().await.unwrap(), 1);
    assert!(setup_page(&app, &format!("?token={new}")).await.contains("already been used up"));
}

#[tokio::test]
async fn the_setup_link_creates_the_first_staff_account_once() {
    let app = spawn_app().await;
    let token = stored_token(&app).await.unwrap();

    let before = app.fingerprint().await;
    let wrong = app.post_json("/api/setup", &setup_body("not-the-token", "root")).await;
    assert_eq!(wrong.status(), 403);
    assert_eq!(app.fingerprint().await, before);

    let created = app.post_json("/api/setup", &setup_body(&token, "root")).await;
    assert_eq!(created.status(), 201);
    assert_eq!(created.json::<Value>().await.unwrap()["user"]["is_staff"], true);

    let reused = app.post_json("/api/setup", &setup_body(&token, "root2")).await;
    assert_eq!(reused.status(), 403);
    assert!(reused.json::<Value>().await.unwrap()["error"].as_str().unwrap().contains("already been used"));
    assert_eq!(app.state.engine.accounts.active_staff_count().await.unwrap(), 1);
}
