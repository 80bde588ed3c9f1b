use crate::helpers::spawn_app;
use serde_json::Value;

#[tokio::test]
async fn health_is_ok_with_a_working_database() {
    let app = spawn_app().await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "ok", "database": "ok"}));
}

#[tokio::test]
async fn health_is_503_when_the_database_is_unusable() {
    let app = spawn_app().await;
    app.state.engine.app_db.close().await.unwrap();
    let response = app.get("/health").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["database"], "error");
}

#[tokio::test]
async fn unknown_api_routes_get_json_404() {
    let app = spawn_app().await;
    for path in ["/api/nothing-here", "/api", "/api/"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        let body: Value = response.json().await.unwrap();
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{path}: {body}");
    }
}

#[tokio::test]
async fn unknown_pages_get_the_html_404_page() {
    let app = spawn_app().await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains("Page not found"));
}

#[tokio::test]
async fn the_home_page_is_server_rendered_and_loads_the_client() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("<h1>SmallStack</h1>"), "{html}");
    assert!(html.contains("/pkg/smallstack.wasm"), "the hydration script must load the real WASM file: {html}");
    assert!(html.contains("/pkg/smallstack.js"));
}
