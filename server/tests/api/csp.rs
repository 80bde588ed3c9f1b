//! Every HTML page carries a Content-Security-Policy that allows exactly what the app needs (its
//! own scripts, the hydration script by a nonce fresh for each response, WASM, its styles, images
//! from itself and `data:`), and a Permissions-Policy; other answers carry a policy that allows
//! nothing.

use crate::helpers::spawn_app;

/// The directives of a policy, by name.
fn directives(policy: &str) -> Vec<(String, Vec<String>)> {
    policy
        .split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            let mut words = d.split_whitespace().map(str::to_string);
            (words.next().unwrap(), words.collect())
        })
        .collect()
}

fn directive<'a>(all: &'a [(String, Vec<String>)], name: &str) -> &'a [String] {
    all.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice()).unwrap_or_else(|| panic!("no {name}: {all:?}"))
}

#[tokio::test]
async fn html_pages_carry_a_policy_whose_nonce_is_on_every_script() {
    let app = spawn_app().await;
    let password = app.create_user("cspstaff", true).await;
    let staff = app.login_client("cspstaff", &password).await;
    let mut nonces = Vec::new();
    for (client, path) in [
        (&app.client, "/"),
        (&app.client, "/about"),
        (&app.client, "/login?next=/profile"),
        (&app.client, "/signup"),
        (&app.client, "/setup?token=x"),
        (&app.client, "/theme"),
        (&app.client, "/no-such-page"),
        (&staff, "/profile"),
        (&staff, "/backups"),
    ] {
        let response = client.get(app.url(path)).send().await.unwrap();
        let headers = response.headers().clone();
        assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"), "{path}");
        let policy =
            headers.get("content-security-policy").unwrap_or_else(|| panic!("{path}: no CSP")).to_str().unwrap();
        let all = directives(policy);
        let script = directive(&all, "script-src");
        let nonce = script
            .iter()
            .find_map(|s| s.strip_prefix("'nonce-").and_then(|n| n.strip_suffix('\'')))
            .unwrap_or_else(|| panic!("{path}: no nonce in {policy}"))
            .to_string();
        assert!(nonce.len() >= 16, "{path}: {nonce}");
        for needed in ["'self'", "'wasm-unsafe-eval'"] {
            assert!(script.iter().any(|s| s == needed), "{path}: script-src lacks {needed}: {policy}");
        }
        assert!(!script.iter().any(|s| s == "'unsafe-inline'" || s == "'unsafe-eval'"), "{path}: {policy}");
        assert_eq!(directive(&all, "default-src"), ["'self'"], "{path}");
        assert_eq!(directive(&all, "object-src"), ["'none'"], "{path}");
        assert_eq!(directive(&all, "frame-ancestors"), ["'none'"], "{path}");
        assert_eq!(directive(&all, "base-uri"), ["'none'"], "{path}");
        assert_eq!(directive(&all, "img-src"), ["'self'", "data:"], "{path}");
        assert_eq!(directive(&all, "form-action"), ["'self'"], "{path}");
        let permissions = headers.get("permissions-policy").unwrap_or_else(|| panic!("{path}: no Permissions-Policy"));
        for feature in ["camera=()", "microphone=()", "geolocation=()"] {
            assert!(permissions.to_str().unwrap().contains(feature), "{path}: {permissions:?}");
        }

        // Every script that runs carries the nonce; data blocks (JSON) need none.
        let body = response.text().await.unwrap();
        let mut scripts = 0;
        for tag in body.split("<script").skip(1).map(|rest| &rest[..rest.find('>').unwrap()]) {
            if tag.contains("type=\"application/json\"") {
                continue;
            }
            scripts += 1;
            assert!(tag.contains(&format!("nonce=\"{nonce}\"")), "{path}: a script without the nonce: <script{tag}>");
        }
        assert!(scripts >= 1, "{path}: the hydration script");
        nonces.push(nonce);
    }
    let mut unique = nonces.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), nonces.len(), "a fresh nonce for each response: {nonces:?}");
}

#[tokio::test]
async fn other_answers_allow_nothing() {
    let app = spawn_app().await;
    for path in ["/api/me", "/health", "/favicon.svg", "/pkg/smallstack.css"] {
        let response = app.get(path).await;
        let policy = response.headers().get("content-security-policy").unwrap_or_else(|| panic!("{path}: no CSP"));
        let all = directives(policy.to_str().unwrap());
        assert_eq!(directive(&all, "default-src"), ["'none'"], "{path}");
        assert_eq!(directive(&all, "frame-ancestors"), ["'none'"], "{path}");
    }
}
