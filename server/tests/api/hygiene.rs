//! Input hygiene: one rule for every name a person sees (display names, e-mail addresses, preset
//! names): no direction overrides or isolates, no invisible characters, and the refusal names
//! the character. Avatars declaring huge dimensions are refused from their header. Errors staff
//! see name files by their names, never by absolute paths, and say what is wrong in words.

use crate::helpers::{TestApp, spawn_app, tiny_png};
use serde_json::{Value, json};

/// Characters that hide or reorder text, each with how the refusal names it.
const HIDDEN: &[(&str, &str)] = &[
    ("\u{202E}", "U+202E"),
    ("\u{2066}", "U+2066"),
    ("\u{200F}", "U+200F"),
    ("\u{061C}", "U+061C"),
    ("\u{3164}", "U+3164"),
    ("\u{FEFF}", "U+FEFF"),
    ("\u{00AD}", "U+00AD"),
    ("\u{200B}", "U+200B"),
    ("\u{2060}", "U+2060"),
    ("\u{115F}", "U+115F"),
    ("\u{1160}", "U+1160"),
    ("\u{FFA0}", "U+FFA0"),
    ("\u{2800}", "U+2800"),
    ("\u{E0041}", "U+E0041"),
];

async fn refused(response: reqwest::Response, field: &str, code: &str, what: &str) {
    assert_eq!(response.status(), 422, "{what}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["field"], field, "{what}: {body}");
    assert!(body["error"].as_str().unwrap().contains(code), "{what}: the error names {code}: {body}");
}

#[tokio::test]
async fn every_visible_name_refuses_hidden_characters_and_names_them() {
    let app = spawn_app().await;
    let password = app.create_user("hygiene", false).await;
    let client = app.login_client("hygiene", &password).await;
    let theme =
        json!({"mode": "dark", "accent": "teal", "font": "serif", "gray": "zinc", "radius": "1", "layout": "vertical"});
    let before = app.fingerprint().await;
    for (ch, code) in HIDDEN {
        let what = format!("{code} in a display name");
        let r = client.patch(app.url("/api/profile")).json(&json!({"display_name": format!("Ann{ch}a")})).send().await;
        refused(r.unwrap(), "display_name", code, &what).await;
        let r = client.patch(app.url("/api/profile")).json(&json!({"display_name": *ch})).send().await;
        refused(r.unwrap(), "display_name", code, &format!("{what}, alone")).await;
        let r =
            client.patch(app.url("/api/profile")).json(&json!({"email": format!("ann{ch}@example.com")})).send().await;
        refused(r.unwrap(), "email", code, &format!("{code} in an e-mail")).await;
        let r = client
            .post(app.url("/api/theme/presets"))
            .json(&json!({"name": format!("Night{ch}"), "theme": theme}))
            .send()
            .await;
        refused(r.unwrap(), "name", code, &format!("{code} in a preset name")).await;
        let r = app
            .new_client()
            .post(app.url("/api/signup"))
            .json(&json!({"username": "newcomer", "email": "newcomer@example.com", "password": "long-enough-pw", "display_name": format!("x{ch}y")}))
            .send()
            .await;
        refused(r.unwrap(), "display_name", code, &format!("{code} in a sign-up")).await;
    }
    assert_eq!(app.fingerprint().await, before, "nothing refused was stored");

    // Names in any script, with emoji (joined ones too), still pass.
    for name in ["Zoë 🚀", "José Ñúñez", "李小龍", "محمد", "👩‍💻 dev", "👨‍👩‍👧"] {
        let r = client.patch(app.url("/api/profile")).json(&json!({"display_name": name})).send().await.unwrap();
        assert_eq!(r.status(), 200, "{name}");
    }
}

/// A whole PNG whose header declares `width` × `height`.
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut png = tiny_png();
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    png
}

/// A JPEG of one SOF0 segment declaring `width` × `height`.
fn jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
    jpeg.extend_from_slice(&height.to_be_bytes());
    jpeg.extend_from_slice(&width.to_be_bytes());
    jpeg.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
    jpeg
}

/// An extended WebP (VP8X) declaring `width` × `height`.
fn webp(width: u32, height: u32) -> Vec<u8> {
    let mut chunk = vec![0u8; 4];
    chunk.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    chunk.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    let mut webp = b"RIFF".to_vec();
    webp.extend_from_slice(&(4 + 8 + chunk.len() as u32).to_le_bytes());
    webp.extend_from_slice(b"WEBPVP8X");
    webp.extend_from_slice(&(chunk.len() as u32).to_le_bytes());
    webp.extend_from_slice(&chunk);
    webp
}

async fn upload_avatar(app: &TestApp, client: &reqwest::Client, bytes: Vec<u8>) -> reqwest::Response {
    let form =
        reqwest::multipart::Form::new().part("avatar", reqwest::multipart::Part::bytes(bytes).file_name("a.img"));
    client.post(app.url("/api/profile/avatar")).multipart(form).send().await.unwrap()
}

#[tokio::test]
async fn avatars_declaring_huge_dimensions_are_refused() {
    let app = spawn_app().await;
    let password = app.create_user("pixels", false).await;
    let client = app.login_client("pixels", &password).await;
    let before = app.fingerprint().await;
    for (bytes, what) in [
        (png(1 << 31, 1 << 31), "PNG 2³¹×2³¹"),
        (png(4097, 10), "PNG 4097 wide"),
        (png(10, 4097), "PNG 4097 high"),
        (jpeg(65535, 65535), "JPEG 65535×65535"),
        (jpeg(5000, 100), "JPEG 5000 wide"),
        (webp(16384, 16384), "WebP 16384×16384"),
    ] {
        let response = upload_avatar(&app, &client, bytes).await;
        assert_eq!(response.status(), 422, "{what}");
        let error = response.json::<Value>().await.unwrap()["error"].as_str().unwrap().to_string();
        assert!(error.contains("4096"), "{what}: {error}");
    }
    assert_eq!(app.fingerprint().await, before);
    assert!(
        !app.data_path("media/avatars").exists()
            || std::fs::read_dir(app.data_path("media/avatars")).unwrap().count() == 0
    );
    for (bytes, what) in
        [(png(4096, 4096), "PNG 4096²"), (jpeg(640, 480), "JPEG 640×480"), (webp(512, 512), "WebP 512²")]
    {
        assert_eq!(upload_avatar(&app, &client, bytes).await.status(), 200, "{what}");
    }
}

#[tokio::test]
async fn errors_staff_see_name_files_not_paths_and_speak_in_words() {
    let app = spawn_app().await;
    let password = app.create_user("wordy", true).await;
    let client = app.login_client("wordy", &password).await;
    let made: Value = client.post(app.url("/api/backups")).send().await.unwrap().json().await.unwrap();
    let filename = made["filename"].as_str().unwrap().to_string();
    let data_dir = app.dir.path().to_string_lossy().to_string();
    let mut messages = Vec::new();

    // A catalogued backup changed on disk after it was made.
    let path = app.data_path(&format!("backups/{filename}"));
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xFF;
    std::fs::write(&path, &bytes).unwrap();
    let restore = client
        .post(app.url(&format!("/api/backups/{}/restore", made["id"])))
        .json(&json!({"confirm": filename}))
        .send()
        .await
        .unwrap();
    assert_eq!(restore.status(), 422);
    let error = restore.json::<Value>().await.unwrap()["error"].as_str().unwrap().to_string();
    assert!(error.contains(&filename), "the file is named: {error}");
    messages.push(error);

    // Uploads that are not databases, or damaged ones.
    let mut damaged = bytes.clone();
    for b in damaged.iter_mut().skip(100).take(4096) {
        *b = 0x55;
    }
    let mut not_sqlite = b"SQLite format 3\0".to_vec();
    not_sqlite.extend_from_slice(&[0xAB; 5000]);
    for body in [damaged, not_sqlite, bytes[..4096].to_vec()] {
        let upload = client
            .post(app.url("/api/backups/upload"))
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(upload.status(), 422);
        messages.push(upload.json::<Value>().await.unwrap()["error"].as_str().unwrap().to_string());
    }
    for message in &messages {
        assert!(!message.contains(&data_dir), "an absolute path: {message}");
        for internal in ["os error", "Error code", "SqliteFailure", "rusqlite", "sqlx", "SQLITE_"] {
            assert!(!message.contains(internal), "library internals ({internal}): {message}");
        }
    }
}
