//! The paths of the JSON API and of the few non-page routes, in one place: the server mounts its
//! routes on these patterns and the client builds its requests from them, so the two cannot
//! drift apart. Patterns use axum's `{name}` syntax; a function of the same name fills one in.

use crate::{ClosedSet, backup::DashboardQuery, database::MaintenanceAction};

pub const HEALTH: &str = "/health";

pub const LOGIN: &str = "/api/login";
pub const LOGOUT: &str = "/api/logout";
pub const ME: &str = "/api/me";
pub const SIGNUP: &str = "/api/signup";
pub const SETUP: &str = "/api/setup";
pub const PROFILE: &str = "/api/profile";
pub const PROFILE_PASSWORD: &str = "/api/profile/password";
pub const PROFILE_AVATAR: &str = "/api/profile/avatar";
pub const AVATAR_FILE: &str = "/media/avatars/{name}";

// The HTML forms that work without JavaScript post to their page's own address.
pub const LOGIN_FORM: &str = "/login";
pub const SIGNUP_FORM: &str = "/signup";
pub const LOGOUT_FORM: &str = "/logout";
pub const PROFILE_FORM: &str = "/profile";
pub const THEME_FORM: &str = "/theme";

pub const THEME: &str = "/api/theme";
pub const PRESETS: &str = "/api/theme/presets";
pub const PRESET: &str = "/api/theme/presets/{id}";

pub const BACKUPS: &str = "/api/backups";
pub const BACKUPS_DASHBOARD: &str = "/api/backups/dashboard";
pub const BACKUPS_PROGRESS: &str = "/api/backups/progress";
pub const BACKUPS_STATS: &str = "/api/backups/stats";
pub const BACKUPS_FILES: &str = "/api/backups/files";
pub const BACKUPS_SETTINGS: &str = "/api/backups/settings";
pub const BACKUPS_SCHEDULE_PREVIEW: &str = "/api/backups/schedule-preview";
pub const BACKUPS_UPLOAD: &str = "/api/backups/upload";
pub const BACKUP: &str = "/api/backups/{id}";
pub const BACKUP_RESTORE: &str = "/api/backups/{id}/restore";
pub const BACKUPS_REMOTE: &str = "/api/backups/remote";
pub const BACKUPS_REMOTE_STATUS: &str = "/api/backups/remote/status";
pub const BACKUPS_REMOTE_CHECK: &str = "/api/backups/remote/check";
pub const BACKUPS_REMOTE_RETRY: &str = "/api/backups/remote/retry";
pub const BACKUPS_REMOTE_RESTORE: &str = "/api/backups/remote/restore";
pub const DATABASE: &str = "/api/database";
pub const DATABASE_ACTION: &str = "/api/database/{action}";

/// The dashboard's pages and file transfers (not under `/api/`: a browser navigates to them).
pub const BACKUPS_PAGE: &str = "/backups";
pub const BACKUP_PAGE: &str = "/backups/{id}";
pub const BACKUP_DOWNLOAD: &str = "/backups/{filename}/download";
pub const BACKUP_DOWNLOAD_FRESH: &str = "/backups/download-fresh";

pub fn preset(id: i64) -> String {
    format!("{PRESETS}/{id}")
}

pub fn backup(id: i64) -> String {
    format!("{BACKUPS}/{id}")
}

pub fn backup_restore(id: i64) -> String {
    format!("{BACKUPS}/{id}/restore")
}

pub fn backup_page(id: i64) -> String {
    format!("{BACKUPS_PAGE}/{id}")
}

pub fn backup_download(filename: &str) -> String {
    format!("{BACKUPS_PAGE}/{}/download", encode(filename))
}

pub fn database_action(action: MaintenanceAction) -> String {
    format!("{DATABASE}/{}", action.as_str())
}

pub fn schedule_preview(expression: &str) -> String {
    format!("{BACKUPS_SCHEDULE_PREVIEW}?expression={}", encode(expression))
}

/// `?page=…&per_page=…&tab=…` with only the values that are set ("" when none is).
pub fn dashboard_query(query: &DashboardQuery) -> String {
    let mut parts = Vec::new();
    if let Some(page) = query.page {
        parts.push(format!("page={page}"));
    }
    if let Some(per_page) = query.per_page {
        parts.push(format!("per_page={per_page}"));
    }
    if let Some(tab) = query.tab {
        parts.push(format!("tab={}", tab.as_str()));
    }
    if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
}

pub fn backups_dashboard(query: &DashboardQuery) -> String {
    format!("{BACKUPS_DASHBOARD}{}", dashboard_query(query))
}

/// The login page, told where to go back to afterwards: where a page that needs a login sends
/// an anonymous visitor. The target's slashes stay readable.
pub fn login_with_next(target: &str) -> String {
    format!("/login?next={}", encode_keeping(target, b"/"))
}

/// The origin `safe_next` resolves against: any fixed one will do, since only the path, query and
/// fragment of the result are kept (`.invalid` can never be a real host).
const NEXT_BASE: &str = "https://next.invalid/";

/// Where to go after a login: `next` when a browser, parsing it the WHATWG way (dropping tabs and
/// line breaks, trimming spaces and control characters, reading `\` as `/`), resolves it to a
/// page of this origin; else `/`. What comes back is the normalised path, query and fragment, so
/// `/%09/other-host/` stays a path here and `/\t/other-host/` (which a browser reads as
/// `//other-host/`) is refused.
pub fn safe_next(next: Option<&str>) -> String {
    next.and_then(same_origin_path).unwrap_or_else(|| "/".to_string())
}

fn same_origin_path(next: &str) -> Option<String> {
    // Only a path: what a browser strips before parsing, stripped, must start with a slash
    // (a scheme, a bare name or an empty value are not paths on this site).
    let stripped: String =
        next.trim_matches(|c: char| c <= ' ').chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    if !stripped.starts_with(['/', '\\']) {
        return None;
    }
    let (origin, path) = whatwg::resolve(next)?;
    if origin != whatwg::resolve("/")?.0 || !path.starts_with('/') || path.starts_with("//") {
        return None;
    }
    // The result is parsed again by the browser: it must lead to the same place (a path that
    // normalises to `//host` would not).
    (whatwg::resolve(&path)? == (origin, path.clone())).then_some(path)
}

/// `input` resolved against [`NEXT_BASE`] by the WHATWG URL rules: its origin, and its path,
/// query and fragment as serialised.
#[cfg(not(target_arch = "wasm32"))]
mod whatwg {
    pub fn resolve(input: &str) -> Option<(String, String)> {
        let url = url::Url::parse(super::NEXT_BASE).ok()?.join(input).ok()?;
        Some((url.origin().ascii_serialization(), url[url::Position::BeforePath..].to_string()))
    }
}

#[cfg(target_arch = "wasm32")]
mod whatwg {
    pub fn resolve(input: &str) -> Option<(String, String)> {
        let url = web_sys::Url::new_with_base(input, super::NEXT_BASE).ok()?;
        Some((url.origin(), format!("{}{}{}", url.pathname(), url.search(), url.hash())))
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, for a query value or a
/// path segment.
pub fn encode(value: &str) -> String {
    encode_keeping(value, b"")
}

fn encode_keeping(value: &str, also_unreserved: &[u8]) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b if also_unreserved.contains(&b) => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::DashboardTab;

    #[test]
    fn filled_in_paths_match_their_patterns() {
        assert_eq!(backup(12), BACKUP.replace("{id}", "12"));
        assert_eq!(backup_restore(12), BACKUP_RESTORE.replace("{id}", "12"));
        assert_eq!(preset(3), PRESET.replace("{id}", "3"));
        assert_eq!(backup_page(7), BACKUP_PAGE.replace("{id}", "7"));
        assert_eq!(database_action(MaintenanceAction::IntegrityCheck), "/api/database/integrity-check");
        assert_eq!(
            backup_download("db-20261125-020000.sqlite3"),
            BACKUP_DOWNLOAD.replace("{filename}", "db-20261125-020000.sqlite3")
        );
    }

    #[test]
    fn queries_and_values_are_encoded() {
        assert_eq!(schedule_preview("0 2 * * *"), "/api/backups/schedule-preview?expression=0%202%20%2A%20%2A%20%2A");
        assert_eq!(encode("/backups?page=2&x=a b"), "%2Fbackups%3Fpage%3D2%26x%3Da%20b");
        assert_eq!(login_with_next("/backups?page=2&x=a b"), "/login?next=/backups%3Fpage%3D2%26x%3Da%20b");
        let q = DashboardQuery { page: Some(2), per_page: None, tab: Some(DashboardTab::Files) };
        assert_eq!(backups_dashboard(&q), "/api/backups/dashboard?page=2&tab=files");
        assert_eq!(dashboard_query(&DashboardQuery::default()), "");
    }
}
