//! Data files are private by default: databases (with their WAL and shared-memory files),
//! backups, temporary files and media are created 0600, their folders 0700 (`FILE_MODE_UMASK`
//! loosens it; see `ops.rs` for that and for the warning at start).

use crate::helpers::{spawn_app, tiny_png};
use std::{os::unix::fs::PermissionsExt, path::Path};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

#[tokio::test]
async fn databases_backups_and_media_are_created_private() {
    let app = spawn_app().await;
    let password = app.create_user("private", true).await;
    let client = app.login_client("private", &password).await;
    let made: serde_json::Value = client.post(app.url("/api/backups")).send().await.unwrap().json().await.unwrap();
    let form = reqwest::multipart::Form::new()
        .part("avatar", reqwest::multipart::Part::bytes(tiny_png()).file_name("me.png").mime_str("image/png").unwrap());
    let avatar = client.post(app.url("/api/profile/avatar")).multipart(form).send().await.unwrap();
    assert_eq!(avatar.status(), 200);
    let avatar_name = avatar.json::<serde_json::Value>().await.unwrap()["user"]["avatar_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();

    let mut wrong = Vec::new();
    let mut expect = |name: &str, wanted: u32| {
        let path = app.data_path(name);
        let found = mode(&path);
        if found != wanted {
            wrong.push(format!("{name}: {found:o}, expected {wanted:o}"));
        }
    };
    for file in
        ["db.sqlite3", "db.sqlite3-wal", "db.sqlite3-shm", "system.sqlite3", "system.sqlite3-wal", "system.sqlite3-shm"]
    {
        expect(file, 0o600);
    }
    expect(&format!("backups/{}", made["filename"].as_str().unwrap()), 0o600);
    expect("backups/.backup.lock", 0o600);
    expect(&format!("media/avatars/{avatar_name}"), 0o600);
    for folder in ["backups", "media", "media/avatars"] {
        expect(folder, 0o700);
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
