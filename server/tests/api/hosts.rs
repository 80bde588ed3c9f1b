//! `ALLOWED_HOSTS`: a request naming another host (a DNS-rebinding page's, say) is answered 400
//! before anything runs; the default allows the host of `LEPTOS_SITE_ADDR`, `localhost` and
//! `127.0.0.1`, whatever the port; `/health` answers anyone.

use crate::helpers::spawn_app;
use serde_json::{Value, json};

#[tokio::test]
async fn a_foreign_host_gets_400_and_changes_nothing() {
    let app = spawn_app().await;
    let password = app.create_user("hosted", false).await;
    let port = app.address.rsplit(':').next().unwrap().to_string();
    let before = app.fingerprint().await;
    for host in ["evil.example", &format!("evil.example:{port}"), "10.0.0.5", "127.0.0.1.evil.example"] {
        let page = app.client.get(app.url("/")).header("host", host).send().await.unwrap();
        assert_eq!(page.status(), 400, "GET / with Host {host}");
        let api = app.client.get(app.url("/api/me")).header("host", host).send().await.unwrap();
        assert_eq!(api.status(), 400, "GET /api/me with Host {host}");
        assert!(api.json::<Value>().await.unwrap()["error"].as_str().unwrap().contains("ALLOWED_HOSTS"));
        // A rebinding page's own origin matches its host: still refused, before the login runs.
        let login = app
            .client
            .post(app.url("/api/login"))
            .header("host", host)
            .header("origin", format!("http://{host}"))
            .json(&json!({"username": "hosted", "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 400, "POST /api/login with Host {host}");
    }
    assert_eq!(app.fingerprint().await, before, "no refused request wrote anything");

    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}"), "LOCALHOST".to_string(), "localhost.".into()]
    {
        let page = app.client.get(app.url("/")).header("host", &host).send().await.unwrap();
        assert_eq!(page.status(), 200, "Host {host}");
    }
    let health = app.client.get(app.url("/health")).header("host", "10.0.0.5:3000").send().await.unwrap();
    assert_eq!(health.status(), 200, "health checks come from wherever the orchestrator stands");
}
