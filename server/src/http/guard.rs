//! The access guard: one middleware over one list of protected routes (pages and API), checked
//! before any handler runs, so before any body is read or parsed.

use super::{ApiError, auth::AuthUser};
use crate::state::AppState;
use axum::{
    extract::{Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Any signed-in user.
    User,
    /// Staff only.
    Staff,
}

/// A protected route: a path pattern (`{name}` matches one segment) and the methods it serves.
#[derive(Debug, Clone, Copy)]
pub struct ProtectedRoute {
    pub path: &'static str,
    pub methods: &'static [Method],
    pub access: Access,
}

const fn route(path: &'static str, methods: &'static [Method], access: Access) -> ProtectedRoute {
    ProtectedRoute { path, methods, access }
}

const GET: &[Method] = &[Method::GET];
const POST: &[Method] = &[Method::POST];
const PATCH: &[Method] = &[Method::PATCH];
const GET_POST: &[Method] = &[Method::GET, Method::POST];
const GET_PUT: &[Method] = &[Method::GET, Method::PUT];
const GET_DELETE: &[Method] = &[Method::GET, Method::DELETE];
const PATCH_DELETE: &[Method] = &[Method::PATCH, Method::DELETE];

/// Every route that needs a signed-in user or staff. New routes are added here, and the access
/// tests walk this list, so they are covered automatically.
pub const PROTECTED_ROUTES: &[ProtectedRoute] = &[
    route("/profile", GET, Access::User),
    route("/api/profile", PATCH, Access::User),
    route("/api/profile/password", POST, Access::User),
    route("/api/profile/avatar", POST, Access::User),
    // GET /api/theme is public: it answers with the effective theme of whoever asks.
    route("/api/theme", POST, Access::User),
    route("/api/theme/presets", GET_POST, Access::User),
    route("/api/theme/presets/{id}", PATCH_DELETE, Access::User),
    // The backup dashboard: pages, file transfers and its API.
    route("/backups", GET, Access::Staff),
    route("/backups/{id}", GET, Access::Staff),
    route("/backups/download-fresh", POST, Access::Staff),
    route("/backups/{filename}/download", GET, Access::Staff),
    route("/api/backups", GET_POST, Access::Staff),
    route("/api/backups/dashboard", GET, Access::Staff),
    route("/api/backups/progress", GET, Access::Staff),
    route("/api/backups/stats", GET, Access::Staff),
    route("/api/backups/files", GET, Access::Staff),
    route("/api/backups/settings", GET_PUT, Access::Staff),
    route("/api/backups/schedule-preview", GET, Access::Staff),
    route("/api/backups/upload", POST, Access::Staff),
    route("/api/backups/{id}", GET_DELETE, Access::Staff),
    route("/api/backups/{id}/restore", POST, Access::Staff),
    route("/api/database", GET, Access::Staff),
    route("/api/database/{action}", POST, Access::Staff),
];

/// The rule for a request, if it is protected. Exact patterns only: `/backups` does not protect
/// `/backupsX`, and each sub-route is listed. A listed route is protected for every method it
/// lists; HEAD counts as GET.
pub fn rule_for(method: &Method, path: &str) -> Option<&'static ProtectedRoute> {
    let path = if path.len() > 1 { path.trim_end_matches('/') } else { path };
    let method = if method == Method::HEAD { &Method::GET } else { method };
    PROTECTED_ROUTES.iter().find(|r| matches(r.path, path) && r.methods.contains(method))
}

fn matches(pattern: &str, path: &str) -> bool {
    let mut pattern_segments = pattern.split('/');
    let mut path_segments = path.split('/');
    loop {
        match (pattern_segments.next(), path_segments.next()) {
            (None, None) => return true,
            (Some(p), Some(s)) if p.starts_with('{') && p.ends_with('}') => {
                if s.is_empty() {
                    return false;
                }
            }
            (Some(p), Some(s)) if p == s => {}
            _ => return false,
        }
    }
}

pub fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

pub async fn access_guard(State(_state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(rule) = rule_for(req.method(), req.uri().path()) else { return next.run(req).await };
    let user = req.extensions().get::<AuthUser>();
    let api = is_api(req.uri().path());
    match (user, rule.access) {
        (None, _) if api => ApiError::Unauthorized.into_response(),
        (None, _) => {
            let target = req.uri().path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
            let location = format!("/login?next={}", urlencode(target));
            (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
        }
        (Some(u), Access::Staff) if !u.is_staff => {
            if api {
                ApiError::Forbidden("staff only".into()).into_response()
            } else {
                (StatusCode::FORBIDDEN, Html(app::pages::forbidden_document(&req))).into_response()
            }
        }
        _ => next.run(req).await,
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_segments() {
        assert!(matches("/backups/{id}", "/backups/12"));
        assert!(!matches("/backups/{id}", "/backups/"));
        assert!(!matches("/backups/{id}", "/backups/12/x"));
        assert!(!matches("/profile", "/profiles"));
        assert_eq!(rule_for(&Method::GET, "/profile/").map(|r| r.path), Some("/profile"));
        assert_eq!(rule_for(&Method::HEAD, "/profile").map(|r| r.path), Some("/profile"));
        assert!(rule_for(&Method::GET, "/api/theme").is_none());
        assert!(rule_for(&Method::POST, "/api/theme").is_some());
    }

    #[test]
    fn next_is_encoded() {
        assert_eq!(urlencode("/backups?page=2&x=a b"), "/backups%3Fpage%3D2%26x%3Da%20b");
    }
}
