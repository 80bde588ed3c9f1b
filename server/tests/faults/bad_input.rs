//! The bad-input catalogue: one table of malformed requests across every API route (wrong types,
//! missing and unknown fields, invalid enum values, bodies over the limits, traversal names,
//! garbage and enormous cookies, wrong content types, truncated uploads, and the cases of the
//! security review: foreign hosts, a setup link outliving its purpose, hidden characters in
//! names, avatars declaring huge dimensions, backups whose schema their migrations did not make,
//! damaged or altered backups whose errors must not show paths). Each must get a clear
//! 4xx, with a JSON body whose `error` is a non-empty string (downloads and media are not JSON
//! routes: they answer a plain 404), never a 5xx; and nothing may change: both databases' content
//! fingerprints and the files under BACKUP_DIR and MEDIA_ROOT are compared before and after every
//! case, and over the whole table. No error may show an absolute path of the server.
//!
//! Cases run as the user the route is meant for (staff on staff routes, so the access guard does
//! not answer for the handler), or anonymously / as a plain user where that is the point.

use crate::support::{TestApp, altered_database, plain_client, spawn_app, tiny_png};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    User,
    Staff,
}

enum Body {
    None,
    Json(Value),
    Raw {
        content_type: String,
        bytes: Vec<u8>,
    },
    /// Sent over a bare TCP connection, declaring `declared` bytes of body but sending only
    /// `bytes`, then closing the sending side (an upload cut short).
    Short {
        content_type: &'static str,
        declared: u64,
        bytes: Vec<u8>,
    },
}

#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Exactly this status, with a JSON error.
    Json(u16),
    /// Some 4xx (the contract names none for this mistake), with a JSON error.
    Json4xx,
    /// 404, no body format required: downloads and media are not JSON routes.
    Plain404,
}

struct Case {
    name: String,
    who: Who,
    method: Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    /// Cookies sent after the session cookie of `who` (or alone, for `Anonymous`).
    cookies: Option<String>,
    body: Body,
    expect: Expect,
    /// The `field` the error must name.
    field: Option<&'static str>,
    /// Words the error message must contain (case-insensitive).
    mentions: Option<&'static str>,
}

fn case(name: impl Into<String>, who: Who, method: Method, path: impl Into<String>) -> Case {
    Case {
        name: name.into(),
        who,
        method,
        path: path.into(),
        headers: Vec::new(),
        cookies: None,
        body: Body::None,
        expect: Expect::Json4xx,
        field: None,
        mentions: None,
    }
}

impl Case {
    fn json(mut self, body: Value) -> Self {
        self.body = Body::Json(body);
        self
    }
    fn raw(mut self, content_type: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = Body::Raw { content_type: content_type.into(), bytes: bytes.into() };
        self
    }
    fn multipart(self, parts: Multipart) -> Self {
        let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
        self.raw(&content_type, parts.0)
    }
    fn short(mut self, content_type: &'static str, declared: u64, bytes: Vec<u8>) -> Self {
        self.body = Body::Short { content_type, declared, bytes };
        self
    }
    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    fn cookies(mut self, cookies: impl Into<String>) -> Self {
        self.cookies = Some(cookies.into());
        self
    }
    fn status(mut self, status: u16) -> Self {
        self.expect = Expect::Json(status);
        self
    }
    fn plain_404(mut self) -> Self {
        self.expect = Expect::Plain404;
        self
    }
    fn field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }
    fn mentions(mut self, words: &'static str) -> Self {
        self.mentions = Some(words);
        self
    }
}

const BOUNDARY: &str = "faultsBoundary7MA4YWxkTrZu0gW";

/// A multipart body built by hand, so it can be cut short.
struct Multipart(Vec<u8>);

impl Multipart {
    fn file(field: &str, filename: &str, content_type: &str, data: &[u8]) -> Self {
        let mut body = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        Multipart(body)
    }

    /// The same, without its closing boundary and with the data cut in half.
    fn cut_off(field: &str, filename: &str, content_type: &str, data: &[u8]) -> Self {
        let mut whole = Multipart::file(field, filename, content_type, data).0;
        whole.truncate(whole.len() - data.len() / 2 - BOUNDARY.len() - 8);
        Multipart(whole)
    }
}

fn good_theme() -> Value {
    json!({"mode": "dark", "accent": "teal", "font": "serif", "gray": "zinc", "radius": "1", "layout": "vertical"})
}

fn theme_with(field: &str, value: Value) -> Value {
    let mut theme = good_theme();
    theme[field] = value;
    theme
}

fn theme_without(field: &str) -> Value {
    let mut theme = good_theme();
    theme.as_object_mut().unwrap().remove(field);
    theme
}

/// A string that makes any JSON body larger than the 64 KiB limit.
fn oversized() -> String {
    "x".repeat(70 * 1024)
}

/// What came back.
struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

struct Sessions {
    user: String,
    staff: String,
}

async fn send(app: &TestApp, sessions: &Sessions, case: &Case) -> Result<Answer, String> {
    let session = match case.who {
        Who::Anonymous => None,
        Who::User => Some(format!("smallstack_session={}", sessions.user)),
        Who::Staff => Some(format!("smallstack_session={}", sessions.staff)),
    };
    let cookie = match (session, &case.cookies) {
        (Some(s), Some(c)) => Some(format!("{s}; {c}")),
        (Some(s), None) => Some(s),
        (None, c) => c.clone(),
    };
    if let Body::Short { content_type, declared, bytes } = &case.body {
        return send_short(app, case, cookie, content_type, *declared, bytes).await;
    }
    let mut request = plain_client().request(case.method.clone(), app.url(&case.path));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    for (name, value) in &case.headers {
        request = request.header(*name, value);
    }
    request = match &case.body {
        Body::None => request,
        Body::Json(value) => request.json(value),
        Body::Raw { content_type, bytes } => request.header("content-type", content_type).body(bytes.clone()),
        Body::Short { .. } => unreachable!(),
    };
    let response = request.send().await.map_err(|e| format!("no answer: {e}"))?;
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let body = response.text().await.map_err(|e| format!("{status}, then the body broke off: {e}"))?;
    Ok(Answer { status, content_type, body })
}

/// Writes the request by hand: a Content-Length the body does not reach, then the end of the
/// sending side. Reads whatever the server answers.
async fn send_short(
    app: &TestApp,
    case: &Case,
    cookie: Option<String>,
    content_type: &str,
    declared: u64,
    bytes: &[u8],
) -> Result<Answer, String> {
    let mut stream = tokio::net::TcpStream::connect(app.host()).await.map_err(|e| e.to_string())?;
    let mut head = format!("{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", case.method, case.path, app.host());
    if let Some(cookie) = cookie {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    head.push_str(&format!("Content-Type: {content_type}\r\nContent-Length: {declared}\r\n\r\n"));
    stream.write_all(head.as_bytes()).await.map_err(|e| e.to_string())?;
    // The server may answer (and stop reading) before all of it is written.
    let _ = stream.write_all(bytes).await;
    let _ = stream.shutdown().await;
    let mut raw = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw)).await;
    match read {
        Err(_) => return Err("no answer within 30 s".into()),
        Ok(Err(e)) if raw.is_empty() => return Err(format!("no answer: {e}")),
        Ok(_) => {}
    }
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Result<Answer, String> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| format!("no complete answer: {text:?}"))?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line: {head:?}"))?;
    let mut content_type = String::new();
    let mut chunked = false;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-type" => content_type = value.trim().to_string(),
                "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
                _ => {}
            }
        }
    }
    let body = if chunked { dechunk(body) } else { body.to_string() };
    Ok(Answer { status, content_type, body })
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else { break };
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

/// What is wrong with an answer, if anything.
fn judge(case: &Case, answer: &Answer) -> Vec<String> {
    let mut wrong = Vec::new();
    let status = answer.status;
    if status >= 500 {
        wrong.push(format!("server error {status}"));
    }
    let json_expected = match case.expect {
        Expect::Json(expected) => {
            if status != expected {
                wrong.push(format!("expected {expected}"));
            }
            true
        }
        Expect::Json4xx => {
            if !(400..500).contains(&status) {
                wrong.push("expected a 4xx".into());
            }
            true
        }
        Expect::Plain404 => {
            if status != 404 {
                wrong.push("expected 404".into());
            }
            false
        }
    };
    if json_expected {
        let error = serde_json::from_str::<Value>(&answer.body)
            .ok()
            .filter(|v| v["error"].as_str().is_some_and(|e| !e.trim().is_empty()));
        match error {
            None => wrong.push(format!("no JSON `error` in the answer (content-type {:?})", answer.content_type)),
            Some(error) => {
                if !answer.content_type.starts_with("application/json") {
                    wrong.push(format!("content-type {:?}", answer.content_type));
                }
                if let Some(field) = case.field
                    && error["field"] != field
                {
                    wrong.push(format!("expected field {field:?}"));
                }
                if let Some(words) = case.mentions
                    && !error["error"].as_str().unwrap_or_default().to_lowercase().contains(words)
                {
                    wrong.push(format!("the error should mention {words:?}"));
                }
            }
        }
    }
    wrong
}

/// Everything a request could have changed.
async fn state(app: &TestApp) -> ((String, String), Vec<String>) {
    (app.fingerprint().await, app.files())
}

fn differences(before: &((String, String), Vec<String>), after: &((String, String), Vec<String>)) -> Vec<String> {
    let mut changed = Vec::new();
    if before.0.0 != after.0.0 {
        changed.push("changed the application database".to_string());
    }
    if before.0.1 != after.0.1 {
        changed.push("changed the system database".to_string());
    }
    for file in after.1.iter().filter(|f| !before.1.contains(f)) {
        changed.push(format!("file appeared or changed: {file}"));
    }
    for file in before.1.iter().filter(|f| !after.1.contains(f)) {
        changed.push(format!("file disappeared or changed: {file}"));
    }
    changed
}

/// Characters that hide or reorder text in a name a person sees.
const HIDDEN: &[(&str, &str)] = &[
    ("\u{202E}", "u+202e"),
    ("\u{2067}", "u+2067"),
    ("\u{3164}", "u+3164"),
    ("\u{FEFF}", "u+feff"),
    ("\u{00AD}", "u+00ad"),
    ("\u{200B}", "u+200b"),
    ("\u{E0020}", "u+e0020"),
];

/// A PNG whose header declares `width` × `height`.
fn png_of(width: u32, height: u32) -> Vec<u8> {
    let mut png = tiny_png();
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    png
}

/// What the catalogue's requests act on.
struct Fixtures<'a> {
    preset: i64,
    others_preset: i64,
    backup_id: i64,
    backup_name: &'a str,
    backup_bytes: &'a [u8],
    /// A catalogued backup whose file changed after it was made.
    tampered_id: i64,
    tampered_name: &'a str,
    user_pw: &'a str,
    /// The setup link made at start, dead since staff accounts exist.
    setup_token: &'a str,
}

fn catalogue(f: &Fixtures<'_>) -> Vec<Case> {
    let Fixtures { preset, others_preset, backup_id, backup_name, backup_bytes, user_pw, .. } = *f;
    use Who::{Anonymous, Staff, User};
    let (get, post, put, patch, delete) = (Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE);
    let png = tiny_png();
    let big_cookie = "A".repeat(32 * 1024);
    let signup = |extra: Value| {
        let mut body =
            json!({"username": "newcomer", "email": "newcomer@example.com", "password": "a-long-enough-password"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let setup = json!({"token": "not-the-token", "username": "newboss", "email": "newboss@example.com", "password": "a-long-enough-password"});
    let preset_path = format!("/api/theme/presets/{preset}");
    let restore_path = format!("/api/backups/{backup_id}/restore");
    let half_backup = backup_bytes[..backup_bytes.len() / 2].to_vec();
    let mut avatar_over_limit = png.clone();
    avatar_over_limit.resize(5 * 1024 * 1024 + 1, 0);

    let mut cases = vec![
        // ---- POST /api/login
        case("login: malformed JSON", Anonymous, post.clone(), "/api/login").raw("application/json", r#"{"username": "catuser","#).status(400),
        case("login: empty body", Anonymous, post.clone(), "/api/login").raw("application/json", "").status(400),
        case("login: username is a number", Anonymous, post.clone(), "/api/login").json(json!({"username": 5, "password": "whatever-password"})).status(422).field("username"),
        case("login: password missing", Anonymous, post.clone(), "/api/login").json(json!({"username": "catuser"})).status(422).field("password"),
        // serde's derived Deserialize also takes a struct as an array of its fields; the API
        // documents objects only.
        case("login: body is an array", Anonymous, post.clone(), "/api/login").json(json!(["catuser", "whatever-password"])).status(422),
        case("login: text/plain", Anonymous, post.clone(), "/api/login").raw("text/plain", format!(r#"{{"username": "catuser", "password": "{user_pw}"}}"#)).status(415),
        case("login: form-encoded", Anonymous, post.clone(), "/api/login").raw("application/x-www-form-urlencoded", format!("username=catuser&password={user_pw}")).status(415),
        case("login: multipart", Anonymous, post.clone(), "/api/login").multipart(Multipart::file("username", "u.txt", "text/plain", b"catuser")).status(415),
        case("login: body over 64 KiB", Anonymous, post.clone(), "/api/login").json(json!({"username": oversized(), "password": "whatever-password"})).status(413),
        case("login: unknown field (right password)", Anonymous, post.clone(), "/api/login")
            .json(json!({"username": "catuser", "password": user_pw, "remember_me": true}))
            .status(422)
            .mentions("unknown field"),
        // ---- GET /api/me and cookies
        case("me: garbage session cookie", Anonymous, get.clone(), "/api/me").cookies("smallstack_session=%%%not-a-session%%%").status(401),
        case("me: 32 KiB session cookie", Anonymous, get.clone(), "/api/me").cookies(format!("smallstack_session={big_cookie}")).status(401),
        case("me: unknown well-formed session id", Anonymous, get.clone(), "/api/me").cookies("smallstack_session=AAAAAAAAAAAAAAAAAAAAAA").status(401),
        case("me: traversal as session id", Anonymous, get.clone(), "/api/me").cookies("smallstack_session=../../system.sqlite3").status(401),
        // ---- POST /api/signup
        case("signup: username is an array", Anonymous, post.clone(), "/api/signup").json(signup(json!({"username": ["a"]}))).status(422).field("username"),
        case("signup: email missing", Anonymous, post.clone(), "/api/signup").json(json!({"username": "newcomer", "password": "a-long-enough-password"})).status(422).field("email"),
        case("signup: traversal username", Anonymous, post.clone(), "/api/signup").json(signup(json!({"username": "../../etc/passwd"}))).status(422).field("username"),
        case("signup: NUL in the username", Anonymous, post.clone(), "/api/signup").json(signup(json!({"username": "evil\u{0}name"}))).status(422).field("username"),
        case("signup: display_name is a number", Anonymous, post.clone(), "/api/signup").json(signup(json!({"display_name": 42}))).status(422).field("display_name"),
        case("signup: password too short", Anonymous, post.clone(), "/api/signup").json(signup(json!({"password": "short"}))).status(422).field("password"),
        case("signup: unknown field is_staff", Anonymous, post.clone(), "/api/signup").json(signup(json!({"is_staff": true}))).status(422).mentions("unknown field"),
        case("signup: multipart", Anonymous, post.clone(), "/api/signup").multipart(Multipart::file("username", "u.txt", "text/plain", b"newcomer")).status(415),
        case("signup: body over 64 KiB", Anonymous, post.clone(), "/api/signup").json(signup(json!({"display_name": oversized()}))).status(413),
        // ---- POST /api/setup
        case("setup: wrong token", Anonymous, post.clone(), "/api/setup").json(setup.clone()).status(403),
        case("setup: traversal token", Anonymous, post.clone(), "/api/setup").json({
            let mut s = setup.clone();
            s["token"] = json!("../../system.sqlite3");
            s
        }).status(403),
        case("setup: token is a number", Anonymous, post.clone(), "/api/setup").json({
            let mut s = setup.clone();
            s["token"] = json!(12345);
            s
        }).status(422).field("token"),
        case("setup: empty object", Anonymous, post.clone(), "/api/setup").json(json!({})).status(422),
        case("setup: text/plain", Anonymous, post.clone(), "/api/setup").raw("text/plain", setup.to_string()).status(415),
        // ---- PATCH /api/profile
        case("profile: email is a number", User, patch.clone(), "/api/profile").json(json!({"email": 7})).status(422).field("email"),
        case("profile: invalid email", User, patch.clone(), "/api/profile").json(json!({"email": "not-an-email"})).status(422).field("email"),
        case("profile: unknown field is_staff", User, patch.clone(), "/api/profile").json(json!({"is_staff": true})).status(422).mentions("unknown field"),
        case("profile: nothing to change", User, patch.clone(), "/api/profile").json(json!({})).status(422),
        case("profile: form-encoded", User, patch.clone(), "/api/profile").raw("application/x-www-form-urlencoded", "display_name=Eve").status(415),
        case("profile: anonymous", Anonymous, patch.clone(), "/api/profile").json(json!({"display_name": "Eve"})).status(401),
        case("profile: garbage session cookie", Anonymous, patch.clone(), "/api/profile").cookies("smallstack_session=\"quoted\"garbage").json(json!({"display_name": "Eve"})).status(401),
        // ---- POST /api/profile/password
        case("password: new one too short", User, post.clone(), "/api/profile/password").json(json!({"current_password": user_pw, "new_password": "short"})).status(422).field("new_password"),
        case("password: new_password missing", User, post.clone(), "/api/profile/password").json(json!({"current_password": user_pw})).status(422).field("new_password"),
        case("password: current_password is a number", User, post.clone(), "/api/profile/password").json(json!({"current_password": 1234, "new_password": "a-long-enough-password"})).status(422).field("current_password"),
        case("password: unknown field", User, post.clone(), "/api/profile/password")
            .json(json!({"current_password": "not-my-password", "new_password": "a-long-enough-password", "sign_out_others": false}))
            .status(422)
            .mentions("unknown field"),
        case("password: body over 64 KiB", User, post.clone(), "/api/profile/password").json(json!({"current_password": user_pw, "new_password": oversized()})).status(413),
        // ---- POST /api/profile/avatar
        case("avatar: JSON instead of multipart", User, post.clone(), "/api/profile/avatar").json(json!({"avatar": "aGVsbG8="})),
        case("avatar: multipart without a boundary", User, post.clone(), "/api/profile/avatar").raw("multipart/form-data", Multipart::file("avatar", "a.png", "image/png", &png).0),
        case("avatar: no avatar field", User, post.clone(), "/api/profile/avatar").multipart(Multipart::file("picture", "a.png", "image/png", &png)).status(422).field("avatar"),
        case("avatar: truncated PNG", User, post.clone(), "/api/profile/avatar").multipart(Multipart::file("avatar", "a.png", "image/png", &png[..png.len() - 7])).status(422).field("avatar").mentions("damaged"),
        case("avatar: text renamed .png", User, post.clone(), "/api/profile/avatar").multipart(Multipart::file("avatar", "a.png", "image/png", b"I am not a picture at all")).status(422).field("avatar"),
        case("avatar: empty file", User, post.clone(), "/api/profile/avatar").multipart(Multipart::file("avatar", "a.png", "image/png", b"")).status(422).field("avatar"),
        case("avatar: over 5 MB", User, post.clone(), "/api/profile/avatar").multipart(Multipart::file("avatar", "a.png", "image/png", &avatar_over_limit)).status(413),
        case("avatar: multipart cut off", User, post.clone(), "/api/profile/avatar").multipart(Multipart::cut_off("avatar", "a.png", "image/png", &png)).status(400),
        case("avatar: anonymous", Anonymous, post.clone(), "/api/profile/avatar").multipart(Multipart::file("avatar", "a.png", "image/png", &png)).status(401),
        // ---- GET /media/avatars/{name}: not JSON, 404 only
        case("media: ..%2f traversal", Anonymous, get.clone(), "/media/avatars/..%2f..%2fdb.sqlite3").plain_404(),
        case("media: %2e%2e%2f traversal", Anonymous, get.clone(), "/media/avatars/%2e%2e%2f%2e%2e%2fsystem.sqlite3").plain_404(),
        case("media: backslash traversal", Anonymous, get.clone(), "/media/avatars/..%5C..%5Cdb.sqlite3").plain_404(),
        case("media: NUL after a valid name", Anonymous, get.clone(), "/media/avatars/0123456789abcdef0123456789abcdef.png%00").plain_404(),
        case("media: valid name, no such file", Anonymous, get.clone(), "/media/avatars/0123456789abcdef0123456789abcdef.png").plain_404(),
        // ---- /api/theme
        case("theme: invalid mode", User, post.clone(), "/api/theme").json(theme_with("mode", json!("dim"))).status(422).field("mode"),
        case("theme: radius is a number", User, post.clone(), "/api/theme").json(theme_with("radius", json!(1.5))).status(422).field("radius"),
        case("theme: layout missing", User, post.clone(), "/api/theme").json(theme_without("layout")).status(422).field("layout"),
        case("theme: custom accent not #rrggbb", User, post.clone(), "/api/theme").json(theme_with("accent", json!("#12345g"))).status(422).field("accent"),
        case("theme: unknown field", User, post.clone(), "/api/theme").json(theme_with("sparkles", json!(true))).status(422).mentions("unknown field"),
        case("theme: text/plain", User, post.clone(), "/api/theme").raw("text/plain", good_theme().to_string()).status(415),
        case("theme: body over 64 KiB", User, post.clone(), "/api/theme").json(theme_with("accent", json!(oversized()))).status(413),
        case("theme: anonymous", Anonymous, post.clone(), "/api/theme").json(good_theme()).status(401),
        case("theme: garbage session cookie", Anonymous, post.clone(), "/api/theme").cookies("smallstack_session=garbage; smallstack_theme=garbage").json(good_theme()).status(401),
        case("theme: 32 KiB theme cookie", User, post.clone(), "/api/theme").cookies(format!("smallstack_theme={}", "9".repeat(32 * 1024))).json(theme_with("mode", json!("dim"))).status(422).field("mode"),
        case("theme: cross-origin", User, post.clone(), "/api/theme").header("origin", "http://evil.example").json(good_theme()).status(403),
        case("theme: wrong method", User, delete.clone(), "/api/theme"),
        // ---- /api/theme/presets and /api/theme/presets/{id}
        case("presets: anonymous list", Anonymous, get.clone(), "/api/theme/presets").status(401),
        case("presets: name is a number", User, post.clone(), "/api/theme/presets").json(json!({"name": 5, "theme": good_theme()})).status(422).field("name"),
        case("presets: theme missing", User, post.clone(), "/api/theme/presets").json(json!({"name": "Night"})).status(422).field("theme"),
        case("presets: invalid enum in the theme", User, post.clone(), "/api/theme/presets").json(json!({"name": "Night", "theme": theme_with("gray", json!("grey"))})).status(422),
        case("presets: empty name", User, post.clone(), "/api/theme/presets").json(json!({"name": "", "theme": good_theme()})).status(422).field("name"),
        case("presets: unknown field", User, post.clone(), "/api/theme/presets").json(json!({"name": "Night", "theme": good_theme(), "shared": true})).status(422).mentions("unknown field"),
        case("presets/{id}: name is an object", Staff, patch.clone(), preset_path.clone()).json(json!({"name": {}})).status(422).field("name"),
        case("presets/{id}: unknown field", Staff, patch.clone(), preset_path.clone()).json(json!({"name": "Renamed", "theme": good_theme()})).status(422).mentions("unknown field"),
        case("presets/{id}: text/plain", Staff, patch.clone(), preset_path.clone()).raw("text/plain", r#"{"name": "Renamed"}"#).status(415),
        case("presets/{id}: ..%2f id", Staff, patch.clone(), format!("/api/theme/presets/..%2f..%2f{preset}")).json(json!({"name": "Renamed"})).status(404),
        case("presets/{id}: %2e%2e%2f id", Staff, delete.clone(), format!("/api/theme/presets/%2e%2e%2f{preset}")).status(404),
        case("presets/{id}: backslash id", Staff, delete.clone(), format!("/api/theme/presets/..%5C{preset}")).status(404),
        case("presets/{id}: NUL in the id", Staff, delete.clone(), format!("/api/theme/presets/{preset}%00")).status(404),
        case("presets/{id}: invalid UTF-8 id", Staff, delete.clone(), "/api/theme/presets/%FF%FE"),
        case("presets/{id}: id beyond i64", Staff, delete.clone(), "/api/theme/presets/99999999999999999999").status(404),
        case("presets/{id}: another user's preset", Staff, delete.clone(), format!("/api/theme/presets/{others_preset}")).status(404),
        // ---- /api/backups…
        case("backups: page is not a number", Staff, get.clone(), "/api/backups?page=abc").status(422),
        case("backups: page 0", Staff, get.clone(), "/api/backups?page=0").status(422).field("page"),
        case("backups: per_page too large", Staff, get.clone(), "/api/backups?per_page=100000").status(422).field("per_page"),
        case("backups: unknown query parameter", Staff, get.clone(), "/api/backups?sort=name"),
        case("backups: plain user", User, get.clone(), "/api/backups").status(403),
        case("backups: POST with parameters", Staff, post.clone(), "/api/backups").json(json!({"label": "nightly"})).status(422),
        case("backups: POST body over 64 KiB", Staff, post.clone(), "/api/backups").json(json!({"label": oversized()})).status(413),
        case("backups: POST same-site", Staff, post.clone(), "/api/backups").header("sec-fetch-site", "same-site").status(403),
        case("backups/dashboard: page is not a number", Staff, get.clone(), "/api/backups/dashboard?page=two").status(422),
        case("backups/progress: anonymous", Anonymous, get.clone(), "/api/backups/progress").status(401),
        case("backups/stats: plain user", User, get.clone(), "/api/backups/stats").status(403),
        case("backups/files: garbage session cookie", Anonymous, get.clone(), "/api/backups/files").cookies("smallstack_session=;;;==").status(401),
        case("backups/settings: retention is a string", Staff, put.clone(), "/api/backups/settings").json(json!({"retention": "ten"})).status(422).field("retention"),
        case("backups/settings: schedule is a number", Staff, put.clone(), "/api/backups/settings").json(json!({"schedule": 5})).status(422).field("schedule"),
        case("backups/settings: invalid cron", Staff, put.clone(), "/api/backups/settings").json(json!({"schedule": "61 * * * *"})).status(422).field("schedule"),
        case("backups/settings: retention beyond u32", Staff, put.clone(), "/api/backups/settings").json(json!({"retention": 4_294_967_296u64})).status(422).field("retention"),
        case("backups/settings: unknown field", Staff, put.clone(), "/api/backups/settings").json(json!({"retention": 3, "keep_forever": true})).status(422).mentions("unknown field"),
        case("backups/settings: text/plain", Staff, put.clone(), "/api/backups/settings").raw("text/plain", r#"{"retention": 3}"#).status(415),
        case("backups/schedule-preview: expression missing", Staff, get.clone(), "/api/backups/schedule-preview").status(422),
        case("backups/schedule-preview: not cron", Staff, get.clone(), "/api/backups/schedule-preview?expression=every%20day").status(422),
        case("backups/schedule-preview: over 200 characters", Staff, get.clone(), format!("/api/backups/schedule-preview?expression={}", "1".repeat(300))).status(422).field("expression"),
        case("backups/upload: a text file", Staff, post.clone(), "/api/backups/upload").raw("application/octet-stream", b"just text, renamed to .sqlite3".repeat(100)).status(422),
        case("backups/upload: empty body", Staff, post.clone(), "/api/backups/upload").raw("application/octet-stream", Vec::new()).status(422),
        case("backups/upload: truncated backup", Staff, post.clone(), "/api/backups/upload").raw("application/octet-stream", half_backup.clone()).status(422),
        case("backups/upload: multipart around the file", Staff, post.clone(), "/api/backups/upload").multipart(Multipart::file("file", backup_name, "application/x-sqlite3", backup_bytes)).status(422),
        case("backups/upload: Content-Length over the limit", Staff, post.clone(), "/api/backups/upload").short("application/octet-stream", 2 << 30, b"SQLite format 3\0".to_vec()).status(413),
        case("backups/upload: body ends before its Content-Length", Staff, post.clone(), "/api/backups/upload").short("application/octet-stream", backup_bytes.len() as u64, half_backup),
        case("backups/{id}: not a number", Staff, get.clone(), "/api/backups/abc").status(404),
        case("backups/{id}: zero", Staff, get.clone(), "/api/backups/0").status(404),
        case("backups/{id}: ..%2f id", Staff, delete.clone(), format!("/api/backups/..%2f{backup_id}")).status(404),
        case("backups/{id}: no such backup", Staff, delete.clone(), "/api/backups/999999").status(404),
        case("backups/{id}/restore: confirm is a number", Staff, post.clone(), restore_path.clone()).json(json!({"confirm": 1})).status(422).field("confirm"),
        case("backups/{id}/restore: confirm missing", Staff, post.clone(), restore_path.clone()).json(json!({})).status(422).field("confirm"),
        case("backups/{id}/restore: confirm is a traversal path", Staff, post.clone(), restore_path.clone()).json(json!({"confirm": format!("../{backup_name}")})).status(422).field("confirm"),
        case("backups/{id}/restore: unknown field", Staff, post.clone(), restore_path.clone()).json(json!({"confirm": backup_name, "force": true})).status(422).mentions("unknown field"),
        case("backups/{id}/restore: text/plain", Staff, post.clone(), restore_path.clone()).raw("text/plain", json!({"confirm": backup_name}).to_string()).status(415),
        case("backups/{id}/restore: body over 64 KiB", Staff, post.clone(), restore_path.clone()).json(json!({"confirm": oversized()})).status(413),
        case("backups/{id}/restore: id is not a number", Staff, post.clone(), "/api/backups/abc/restore").json(json!({"confirm": backup_name})).status(404),
        case("backups/{id}/restore: plain user", User, post.clone(), restore_path.clone()).json(json!({"confirm": backup_name})).status(403),
        // ---- /api/database…
        case("database: plain user", User, get.clone(), "/api/database").status(403),
        case("database/{action}: unknown action", Staff, post.clone(), "/api/database/drop-table").status(404),
        case("database/{action}: traversal", Staff, post.clone(), "/api/database/..%2f..%2fvacuum").status(404),
        case("database/{action}: anonymous", Anonymous, post.clone(), "/api/database/vacuum").status(401),
        case("database/{action}: cross-site", Staff, post.clone(), "/api/database/vacuum").header("sec-fetch-site", "cross-site").status(403),
        // ---- downloads: not JSON, 404 only
        case("download: ..%2f traversal", Staff, get.clone(), "/backups/..%2fdb.sqlite3/download").plain_404(),
        case("download: %2e%2e%2f traversal", Staff, get.clone(), "/backups/%2e%2e%2f%2e%2e%2fsystem.sqlite3/download").plain_404(),
        case("download: backslash traversal", Staff, get.clone(), "/backups/..%5Csystem.sqlite3/download").plain_404(),
        case("download: NUL after the real name", Staff, get.clone(), format!("/backups/{backup_name}%00/download")).plain_404(),
        case("download: the live database", Staff, get.clone(), "/backups/db.sqlite3/download").plain_404(),
        case("download-fresh: cross-site", Staff, post.clone(), "/backups/download-fresh").header("sec-fetch-site", "cross-site").status(403),
        // ---- the security review: hosts, the setup link, hidden characters, huge avatars, foreign schemas
        case("host: a foreign Host", Anonymous, get.clone(), "/api/me").header("host", "evil.example").status(400).mentions("allowed_hosts"),
        case("host: a foreign Host and its own Origin", Anonymous, post.clone(), "/api/login").header("host", "evil.example:80").header("origin", "http://evil.example:80").json(json!({"username": "catuser", "password": user_pw})).status(400),
        case("host: rebinding to the staff API", Staff, post.clone(), "/api/backups").header("host", "rebind.example").status(400),
        case("setup: the link of before the staff accounts", Anonymous, post.clone(), "/api/setup").json({
            let mut s = setup.clone();
            s["token"] = json!(f.setup_token);
            s
        }).status(403).mentions("used up"),
        case("signup: U+202E in the email", Anonymous, post.clone(), "/api/signup").json(signup(json!({"email": "evil\u{202E}moc.example@x.io"}))).status(422).field("email").mentions("u+202e"),
        case("signup: U+3164 as the display name", Anonymous, post.clone(), "/api/signup").json(signup(json!({"display_name": "\u{3164}"}))).status(422).field("display_name").mentions("u+3164"),
        case("avatar: PNG declaring 2³¹×2³¹", User, post.clone(), "/api/profile/avatar").multipart(Multipart::file("avatar", "a.png", "image/png", &png_of(1 << 31, 1 << 31))).status(422).field("avatar").mentions("4096"),
        case("avatar: PNG declaring 0×0", User, post.clone(), "/api/profile/avatar").multipart(Multipart::file("avatar", "a.png", "image/png", &png_of(0, 0))).status(422).field("avatar"),
        case("backups/upload: an added trigger", Staff, post.clone(), "/api/backups/upload").raw("application/octet-stream", altered_database(backup_bytes, "CREATE TRIGGER promote AFTER UPDATE ON users BEGIN UPDATE users SET is_staff = 1; END;")).status(422).field("file").mentions("trigger promote"),
        case("backups/upload: a view", Staff, post.clone(), "/api/backups/upload").raw("application/octet-stream", altered_database(backup_bytes, "CREATE VIEW v AS SELECT * FROM users;")).status(422).mentions("view v"),
        case("backups/upload: a table with other columns", Staff, post.clone(), "/api/backups/upload").raw("application/octet-stream", altered_database(backup_bytes, "ALTER TABLE theme_presets ADD COLUMN shared INTEGER;")).status(422).mentions("theme_presets"),
        case("backups/upload: a table missing", Staff, post.clone(), "/api/backups/upload").raw("application/octet-stream", altered_database(backup_bytes, "DROP TABLE user_themes;")).status(422).mentions("user_themes"),
        case("backups/upload: garbage after a SQLite header", Staff, post.clone(), "/api/backups/upload").raw("application/octet-stream", {
            let mut bytes = b"SQLite format 3\0".to_vec();
            bytes.extend_from_slice(&[0xAB; 8192]);
            bytes
        }).status(422),
        case("backups/{id}/restore: the file changed since", Staff, post.clone(), format!("/api/backups/{}/restore", f.tampered_id)).json(json!({"confirm": f.tampered_name})).status(422).mentions(Box::leak(f.tampered_name.to_string().into_boxed_str())),
        // ---- anything else under /api
        case("unknown API route", Staff, get.clone(), "/api/nope").status(404),
        // ---- POST /api/logout: last, as it would end the session if it were not refused
        case("logout: cross-site", User, post.clone(), "/api/logout").header("sec-fetch-site", "cross-site").status(403),
        case("logout: Origin of another host", User, post.clone(), "/api/logout").header("origin", "http://evil.example").status(403),
    ];
    // One rule for every name a person sees: each hidden character, in each kind of name.
    for &(ch, code) in HIDDEN {
        cases.push(
            case(format!("profile: {code} in the display name"), User, patch.clone(), "/api/profile")
                .json(json!({"display_name": format!("Ann{ch}")}))
                .status(422)
                .field("display_name")
                .mentions(code),
        );
        cases.push(
            case(format!("profile: {code} in the email"), User, patch.clone(), "/api/profile")
                .json(json!({"email": format!("ann{ch}@example.com")}))
                .status(422)
                .field("email")
                .mentions(code),
        );
        cases.push(
            case(format!("presets: {code} in the name"), User, post.clone(), "/api/theme/presets")
                .json(json!({"name": format!("Night{ch}"), "theme": good_theme()}))
                .status(422)
                .field("name")
                .mentions(code),
        );
        cases.push(
            case(
                format!("presets/{{id}}: {code} in the new name"),
                Staff,
                patch.clone(),
                format!("/api/theme/presets/{preset}"),
            )
            .json(json!({"name": format!("{ch}Renamed")}))
            .status(422)
            .field("name")
            .mentions(code),
        );
    }
    // Logging out last: it would end the session if it were not refused.
    let logout_last = cases.iter().position(|c| c.path == "/api/logout").unwrap();
    let tail: Vec<Case> = cases.drain(logout_last..logout_last + 2).collect();
    cases.extend(tail);
    cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_a_clear_4xx_and_change_nothing() {
    let started = Instant::now();
    let app = spawn_app().await;
    let staff_pw = app.create_user("catstaff", true).await;
    let user_pw = app.create_user("catuser", false).await;
    let sessions =
        Sessions { staff: app.login("catstaff", &staff_pw).await, user: app.login("catuser", &user_pw).await };
    let cookie = |sid: &str| format!("smallstack_session={sid}");

    // Something for the routes to act on: a preset each, and a backup.
    let client = plain_client();
    let mut presets = Vec::new();
    for sid in [&sessions.staff, &sessions.user] {
        let created: Value = client
            .post(app.url("/api/theme/presets"))
            .header("cookie", cookie(sid))
            .json(&json!({"name": "Night", "theme": good_theme()}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        presets.push(created["id"].as_i64().expect("a preset id"));
    }
    let response = client.post(app.url("/api/backups")).header("cookie", cookie(&sessions.staff)).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let backup: Value = response.json().await.unwrap();
    let backup_name = backup["filename"].as_str().unwrap().to_string();
    let backup_bytes = std::fs::read(app.data_path("backups").join(&backup_name)).unwrap();

    // A second backup, changed on disk after it was made.
    let response = client.post(app.url("/api/backups")).header("cookie", cookie(&sessions.staff)).send().await.unwrap();
    let tampered: Value = response.json().await.unwrap();
    let tampered_name = tampered["filename"].as_str().unwrap().to_string();
    let tampered_path = app.data_path("backups").join(&tampered_name);
    let mut bytes = std::fs::read(&tampered_path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xFF;
    std::fs::write(&tampered_path, bytes).unwrap();
    let setup_token: String = rusqlite::Connection::open(app.data_path("system.sqlite3"))
        .unwrap()
        .query_row("SELECT value FROM settings WHERE key = 'setup_token'", [], |r| r.get(0))
        .unwrap_or_default();

    let cases = catalogue(&Fixtures {
        preset: presets[0],
        others_preset: presets[1],
        backup_id: backup["id"].as_i64().unwrap(),
        backup_name: &backup_name,
        backup_bytes: &backup_bytes,
        tampered_id: tampered["id"].as_i64().unwrap(),
        tampered_name: &tampered_name,
        user_pw: &user_pw,
        setup_token: &setup_token,
    });
    let data_dir = app.dir.path().to_string_lossy().to_string();
    let at_start = state(&app).await;
    let mut before = at_start.clone();
    let mut rows = Vec::new();
    let mut failures = 0;
    for case in &cases {
        let (shown, mut wrong) = match send(&app, &sessions, case).await {
            Ok(answer) => {
                let shown = format!(
                    "{} {}",
                    answer.status,
                    answer.body.chars().take(160).collect::<String>().replace('\n', " ")
                );
                let mut wrong = judge(case, &answer);
                if answer.body.contains(&data_dir) {
                    wrong.push("the answer shows an absolute path of the server".into());
                }
                (shown, wrong)
            }
            Err(e) => ("—".to_string(), vec![e]),
        };
        let after = state(&app).await;
        wrong.extend(differences(&before, &after));
        before = after;
        if !wrong.is_empty() {
            failures += 1;
        }
        rows.push((case, shown, wrong));
    }
    let at_end = state(&app).await;

    println!("bad-input catalogue: {} cases, {failures} failing, {} ms", cases.len(), started.elapsed().as_millis());
    let whole = differences(&at_start, &at_end);
    if failures > 0 || !whole.is_empty() {
        let mut table = String::from("\n  #  ok  expected  request → answer\n");
        for (i, (case, shown, wrong)) in rows.iter().enumerate() {
            let expected = match case.expect {
                Expect::Json(s) => s.to_string(),
                Expect::Json4xx => "4xx".into(),
                Expect::Plain404 => "404 plain".into(),
            };
            let mark = if wrong.is_empty() { "ok" } else { "!!" };
            table.push_str(&format!(
                "{:>3}  {mark}  {expected:<9} {} ({:?} {} {}) → {shown}\n",
                i + 1,
                case.name,
                case.who,
                case.method,
                case.path.chars().take(80).collect::<String>()
            ));
            for w in wrong {
                table.push_str(&format!("               ^ {w}\n"));
            }
        }
        panic!(
            "{failures} of {} malformed requests were mishandled; over the whole table: {whole:?}{table}",
            cases.len()
        );
    }
    assert!(cases.len() >= 150, "{}", cases.len());
}
