//! Access control, walked over the routes of the router the server really serves (not a list
//! kept by hand): every method of every path, anonymous → 401 or the login page, a plain user →
//! 403 on staff routes, staff → let through. And the spellings of a path that must not get
//! around a guard.

use crate::helpers::{TestApp, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use server::http::{Access, RouteEntry, route_table};

/// A path of the table with its parameters filled in. Ids name nothing (999999), so no staff
/// request of this test deletes or restores a real backup.
pub fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg {
            "{id}" => "999999",
            "{filename}" => "db-20260101-000000.sqlite3",
            "{action}" => "checkpoint",
            "{name}" => "0123456789abcdef0123456789abcdef.png",
            s if s.starts_with('{') => "x",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Where a route's level is not a choice: these prefixes are staff only, these signed-in only.
/// A route added under them with a weaker level fails here.
const STAFF_PREFIXES: &[&str] = &["/api/backups", "/api/database", "/backups"];
const SIGNED_IN_PREFIXES: &[&str] = &["/api/profile", "/api/theme/presets", "/api/me", "/profile"];

fn required_level(path: &str) -> Option<Access> {
    let under = |prefixes: &[&str]| prefixes.iter().any(|p| path == *p || path.starts_with(&format!("{p}/")));
    if under(STAFF_PREFIXES) {
        Some(Access::Staff)
    } else if under(SIGNED_IN_PREFIXES) {
        Some(Access::SignedIn)
    } else {
        None
    }
}

struct Clients {
    anonymous: reqwest::Client,
    user: reqwest::Client,
    staff: reqwest::Client,
}

async fn clients(app: &TestApp) -> Clients {
    let user_pw = app.create_user("plainuser", false).await;
    let staff_pw = app.create_user("staffer", true).await;
    Clients {
        anonymous: app.new_client(),
        user: app.login_client("plainuser", &user_pw).await,
        staff: app.login_client("staffer", &staff_pw).await,
    }
}

async fn send(app: &TestApp, client: &reqwest::Client, method: &Method, path: &str) -> reqwest::Response {
    client
        .request(method.clone(), app.url(path))
        .header("accept", "*/*")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap()
}

/// Anonymous: 401 with a JSON error under `/api/`, else 303 to the login page with `next`.
async fn assert_sent_to_login(response: reqwest::Response, what: &str) {
    let api = what.split(' ').nth(1).is_some_and(|p| p.starts_with("/api/"));
    if api {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "anonymous {what}");
        if !what.starts_with("HEAD ") {
            let body: Value = response.json().await.unwrap();
            assert!(body["error"].is_string(), "anonymous {what}");
        }
    } else {
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "anonymous {what}");
        let location = response.headers()["location"].to_str().unwrap();
        assert!(location.starts_with("/login?next=/"), "{what}: {location}");
    }
}

fn assert_let_through(status: StatusCode, who: &str, what: &str) {
    assert!(
        status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN && !status.is_server_error(),
        "{who} {what}: {status}"
    );
}

/// Every method of every path: the methods a path serves get the matrix; the ones it does not
/// serve (405) are refused alike, never let through to a handler.
const METHODS: [Method; 7] =
    [Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::OPTIONS];

#[tokio::test]
async fn every_route_the_server_serves_is_guarded_by_its_level() {
    let app = spawn_app().await;
    let table: Vec<RouteEntry> = route_table(&app.state).unwrap();
    assert!(table.len() > 30, "the table lists every route: {table:?}");
    for entry in &table {
        if let Some(required) = required_level(&entry.path) {
            assert_eq!(entry.access, required, "{} {} is declared {:?}", entry.method, entry.path, entry.access);
        }
    }
    let c = clients(&app).await;
    let mut paths: Vec<&str> = table.iter().map(|e| e.path.as_str()).collect();
    paths.sort_unstable();
    paths.dedup();
    for path_pattern in paths {
        let path = concrete(path_pattern);
        let served: Vec<&RouteEntry> = table.iter().filter(|e| e.path == path_pattern).collect();
        for method in &METHODS {
            let entry =
                served.iter().find(|e| e.method == *method || (*method == Method::HEAD && e.method == Method::GET));
            let what = format!("{method} {path}");
            match entry.map(|e| e.access) {
                Some(Access::Public) => {
                    // Logging out would end this test's sessions: the anonymous client only.
                    let status = send(&app, &c.anonymous, method, &path).await.status();
                    assert!(!status.is_server_error(), "anonymous {what}: {status}");
                }
                Some(Access::SignedIn) => {
                    assert_sent_to_login(send(&app, &c.anonymous, method, &path).await, &what).await;
                    assert_let_through(send(&app, &c.user, method, &path).await.status(), "user", &what);
                    assert_let_through(send(&app, &c.staff, method, &path).await.status(), "staff", &what);
                }
                Some(Access::Staff) => {
                    assert_sent_to_login(send(&app, &c.anonymous, method, &path).await, &what).await;
                    let response = send(&app, &c.user, method, &path).await;
                    assert_eq!(response.status(), StatusCode::FORBIDDEN, "user {what}");
                    if *method != Method::HEAD {
                        let body = response.text().await.unwrap();
                        assert!(
                            body.contains("staff members only") || body.contains("Staff only"),
                            "user {what}: {body}"
                        );
                    }
                    assert_let_through(send(&app, &c.staff, method, &path).await.status(), "staff", &what);
                }
                // A method the path does not serve: refused before any handler, whoever asks.
                None => {
                    let levels: Vec<Access> = served.iter().map(|e| e.access).collect();
                    let anonymous = send(&app, &c.anonymous, method, &path).await.status();
                    let expected_anonymous = if levels.iter().all(|a| *a == Access::Public) {
                        vec![StatusCode::METHOD_NOT_ALLOWED]
                    } else {
                        vec![StatusCode::METHOD_NOT_ALLOWED, StatusCode::UNAUTHORIZED, StatusCode::SEE_OTHER]
                    };
                    assert!(expected_anonymous.contains(&anonymous), "anonymous {what}: {anonymous}");
                    let user = send(&app, &c.user, method, &path).await.status();
                    assert!(
                        [StatusCode::METHOD_NOT_ALLOWED, StatusCode::FORBIDDEN].contains(&user),
                        "user {what}: {user}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn spellings_of_a_staff_path_do_not_get_around_the_guard() {
    let app = spawn_app().await;
    let c = clients(&app).await;
    let spellings = [
        (Method::GET, "//backups"),
        (Method::GET, "/backups/"),
        (Method::GET, "/backups//"),
        (Method::GET, "/Backups"),
        (Method::GET, "/BACKUPS"),
        (Method::GET, "/backups%2F1"),
        (Method::GET, "/backups/1/"),
        (Method::GET, "//backups/1"),
        (Method::GET, "/api//backups"),
        (Method::GET, "/api/backups/"),
        (Method::GET, "/API/backups"),
        (Method::GET, "/api/Backups"),
        (Method::GET, "/api/backups%2Fdashboard"),
        (Method::GET, "/api/backups/dashboard/"),
        (Method::GET, "/api%2Fbackups"),
        (Method::HEAD, "/backups"),
        (Method::HEAD, "/api/backups"),
        (Method::OPTIONS, "/backups"),
        (Method::OPTIONS, "/api/backups"),
        (Method::POST, "/api/backups/"),
        (Method::DELETE, "/api/backups/999999/"),
    ];
    for (method, path) in spellings {
        for (who, client) in [("anonymous", &c.anonymous), ("user", &c.user)] {
            let response = client.request(method.clone(), app.url(path)).send().await.unwrap();
            let status = response.status();
            let allowed = [
                StatusCode::UNAUTHORIZED,
                StatusCode::FORBIDDEN,
                StatusCode::SEE_OTHER,
                StatusCode::PERMANENT_REDIRECT,
                StatusCode::MOVED_PERMANENTLY,
                StatusCode::NOT_FOUND,
                StatusCode::METHOD_NOT_ALLOWED,
            ];
            assert!(allowed.contains(&status), "{who} {method} {path}: {status}");
            if let Some(location) = response.headers().get("location").and_then(|l| l.to_str().ok()) {
                assert!(
                    location.starts_with("/login") || location == "/backups",
                    "{who} {method} {path} redirects to {location}"
                );
            }
            let body = response.text().await.unwrap();
            assert!(
                !body.contains("data-testid=\"dashboard\"") && !body.contains("\"backups\":["),
                "{who} {method} {path}: {body}"
            );
        }
    }
}
