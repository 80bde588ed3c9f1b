//! Configuration from environment variables, each with a default (documented in the README).
//! The off-site settings are in `config/remote.rs`.

mod remote;

use engine::backup::{
    BackupConfig, BackupError, DEFAULT_RETENTION, DEFAULT_UPLOAD_MAX, KeepPolicy, Notifier, Schedule,
    remote::RemoteSettings,
};
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    str::FromStr,
    time::Duration,
};

/// `REQUEST_BODY_LIMIT`'s default: 64 KiB, plenty for every JSON body of the API.
pub const DEFAULT_REQUEST_BODY_LIMIT: usize = 64 * 1024;
/// The range `REQUEST_BODY_LIMIT` accepts: below 1 KiB a login no longer fits; above 16 MiB a
/// JSON body is no longer a JSON body (files have routes of their own, with their own limits).
const REQUEST_BODY_LIMIT_RANGE: std::ops::RangeInclusive<usize> = 1024..=16 * 1024 * 1024;
/// `REQUEST_TIMEOUT_SECS`'s default.
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;

/// A refused setting, printed as one line: `NAME="value": reason`, or `NAME: reason` when the
/// value is a secret (or may hold one) and so is never repeated.
#[derive(Debug, thiserror::Error)]
#[error("{name}{}: {reason}", value.as_ref().map(|v| format!("={v:?}")).unwrap_or_default())]
pub struct ConfigError {
    pub name: &'static str,
    pub value: Option<String>,
    pub reason: String,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// `DATABASE_PATH`: the application database.
    pub database_path: PathBuf,
    /// `SYSTEM_DATABASE_PATH`: sessions, lockout counters, backup catalogue and settings.
    pub system_database_path: PathBuf,
    /// `MEDIA_ROOT`: uploaded files (avatars).
    pub media_root: PathBuf,
    /// `BACKUP_DIR`: backup files.
    pub backup_dir: PathBuf,
    /// `LEPTOS_SITE_ADDR`: where the server listens.
    pub site_addr: SocketAddr,
    /// `LEPTOS_SITE_ROOT`: the built site (`target/site`), holding `pkg/`.
    pub site_root: PathBuf,
    /// `LEPTOS_SITE_PKG_DIR`: the folder of the WASM, JS and CSS inside the site root.
    pub site_pkg_dir: String,
    /// `LOG_FORMAT`: `text` or `json`.
    pub log_format: LogFormat,
    /// `SMALLSTACK_SECURE_COOKIES`: mark the session cookie `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// `SESSION_TTL_DAYS`: a session ends after this many days without a visit.
    pub session_ttl_days: u32,
    /// `SIGNUP_ENABLED`: whether `/signup` creates accounts.
    pub signup_enabled: bool,
    /// `TRUSTED_PROXIES`: peers whose `X-Forwarded-For` is believed (IPs or CIDRs, comma-separated).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `BACKUP_RETENTION`: successful backups to keep (default 14; 0 keeps all).
    pub backup_retention: u32,
    /// `BACKUP_SCHEDULE`: a five-field cron expression in UTC (default `0 2 * * *`), or `off`.
    /// The dashboard can override it at run time.
    pub backup_schedule: Schedule,
    /// `BACKUP_UPLOAD_MAX`: the largest backup file accepted for upload, in bytes (default 1 GiB).
    pub backup_upload_max: u64,
    /// `BACKUP_WEBHOOK_URL`: where backup failures are POSTed as JSON (unset: nowhere).
    pub backup_webhook_url: Option<reqwest::Url>,
    /// `REQUEST_BODY_LIMIT`: the largest request body in bytes (default 64 KiB). Routes that take
    /// files have their own limits: avatars 5 MB, backup uploads `BACKUP_UPLOAD_MAX`.
    pub request_body_limit: usize,
    /// `REQUEST_TIMEOUT_SECS`: how long a request may take before it is answered 503 (default
    /// 30 s). Backup, restore, upload and download routes are exempt: they legitimately run long.
    pub request_timeout: Duration,
    /// `ALLOWED_HOSTS`: the host names requests may name (default: the host of
    /// `LEPTOS_SITE_ADDR`, `localhost`, `127.0.0.1`); others get 400.
    pub allowed_hosts: AllowedHosts,
    /// `FILE_MODE_UMASK`: the permissions the server's files and folders never get (default
    /// `077`: files 0600, folders 0700).
    pub file_mode_umask: u32,
    /// `BACKUP_REMOTE_URL` and its companions: where off-site copies go (unset: nowhere).
    pub backup_remote: Option<RemoteSettings>,
    /// `BACKUP_REMOTE_KEEP`: which off-site copies remote retention keeps.
    pub backup_remote_keep: KeepPolicy,
}

/// The host names a request's `Host` may name, without port, in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedHosts {
    /// `ALLOWED_HOSTS=*`: any host (behind a proxy that checks it).
    Any,
    /// These names; one starting with `.` also allows its subdomains. `configured` is false for
    /// the default list.
    Only { names: Vec<String>, configured: bool },
}

impl AllowedHosts {
    /// Whether a request naming `host` (its `Host` header: a name or address, maybe with a
    /// port) is served.
    pub fn allows(&self, host: &str) -> bool {
        let Some(name) = host_name(host) else { return false };
        match self {
            AllowedHosts::Any => true,
            AllowedHosts::Only { names, .. } => names.iter().any(|allowed| match allowed.strip_prefix('.') {
                Some(domain) => {
                    name == domain || name.strip_suffix(allowed.as_str()).is_some_and(|sub| !sub.is_empty())
                }
                None => name == *allowed,
            }),
        }
    }

    /// The names listed (none for `*`).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        let names: &[String] = match self {
            AllowedHosts::Any => &[],
            AllowedHosts::Only { names, .. } => names,
        };
        names.iter().map(String::as_str)
    }

    /// Whether `ALLOWED_HOSTS` was set (rather than the default list).
    pub fn is_configured(&self) -> bool {
        !matches!(self, AllowedHosts::Only { configured: false, .. })
    }
}

/// The name of a `Host` value: without its port, brackets of an IPv6 address or a final dot, in
/// lower case; `None` when it is not a host name or address at all.
pub fn host_name(host: &str) -> Option<String> {
    let host = host.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))) {
            return None;
        }
        inside
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            Some(_) => return None,
            None => host,
        }
    };
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':'));
    valid.then_some(name)
}

/// `localhost` and loopback addresses: names no other machine reaches this server by.
pub fn is_loopback_name(name: &str) -> bool {
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
}

pub trait Env {
    fn get(&self, name: &str) -> Option<String>;
}

struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl<const N: usize> Env for [(&str, &str); N] {
    fn get(&self, name: &str) -> Option<String> {
        self.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }
}

impl Settings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&ProcessEnv)
    }

    pub fn from_source(env: &impl Env) -> Result<Self, ConfigError> {
        let path = |name: &'static str, default: &str| PathBuf::from(env.get(name).unwrap_or_else(|| default.into()));
        let site_addr = parse(env, "LEPTOS_SITE_ADDR", "127.0.0.1:3000", "expected host:port, e.g. 127.0.0.1:3000")?;
        let backup_remote = remote::parse_remote(env)?;
        let backup_remote_keep = remote::parse_keep(env, backup_remote.as_ref())?;
        Ok(Settings {
            database_path: path("DATABASE_PATH", "data/db.sqlite3"),
            system_database_path: path("SYSTEM_DATABASE_PATH", "data/system.sqlite3"),
            media_root: path("MEDIA_ROOT", "media"),
            backup_dir: path("BACKUP_DIR", "data/backups"),
            site_addr,
            site_root: path("LEPTOS_SITE_ROOT", "target/site"),
            site_pkg_dir: env.get("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|| "pkg".into()),
            log_format: match env.get("LOG_FORMAT").as_deref() {
                None | Some("text") => LogFormat::Text,
                Some("json") => LogFormat::Json,
                Some(other) => return Err(invalid("LOG_FORMAT", other, "expected text or json")),
            },
            secure_cookies: parse_bool(env, "SMALLSTACK_SECURE_COOKIES", false)?,
            session_ttl_days: {
                let days: u32 = parse(env, "SESSION_TTL_DAYS", "14", "expected a whole number of days from 1 to 3650")?;
                if !(1..=3650).contains(&days) {
                    return Err(invalid(
                        "SESSION_TTL_DAYS",
                        &days.to_string(),
                        "expected a whole number of days from 1 to 3650",
                    ));
                }
                days
            },
            signup_enabled: parse_bool(env, "SIGNUP_ENABLED", true)?,
            trusted_proxies: parse_proxies(env)?,
            backup_retention: parse_retention(env)?,
            backup_schedule: parse_schedule(env)?,
            backup_upload_max: parse_upload_max(env)?,
            backup_webhook_url: parse_webhook(env)?,
            request_body_limit: parse_body_limit(env)?,
            request_timeout: parse_request_timeout(env)?,
            allowed_hosts: parse_allowed_hosts(env, site_addr)?,
            file_mode_umask: parse_umask(env)?,
            backup_remote,
            backup_remote_keep,
        })
    }

    /// Where the machinery keeps its state and how backups behave; `notifier` hears of backup
    /// failures (the server's and the CLI's webhook, when `BACKUP_WEBHOOK_URL` is set).
    pub fn engine_config(&self, notifier: Option<Notifier>) -> engine::EngineConfig {
        engine::EngineConfig {
            database_path: self.database_path.clone(),
            system_database_path: self.system_database_path.clone(),
            media_root: self.media_root.clone(),
            backup_dir: self.backup_dir.clone(),
            backup: BackupConfig {
                retention: self.backup_retention,
                schedule: self.backup_schedule.clone(),
                upload_max: self.backup_upload_max,
                notifier,
                remote: remote::engine_remote(self.backup_remote.as_ref(), self.backup_remote_keep, &self.media_root),
            },
        }
    }

    /// The options Leptos renders with, built from these settings at run time (never from
    /// variables that only existed while compiling).
    pub fn leptos_options(&self) -> leptos::config::LeptosOptions {
        leptos::config::LeptosOptions::builder()
            .output_name("smallstack")
            .site_root(self.site_root.to_string_lossy().to_string())
            .site_pkg_dir(self.site_pkg_dir.clone())
            .site_addr(self.site_addr)
            .env(leptos::config::Env::PROD)
            .build()
    }

    /// The site folder must hold the built client; say so at start rather than serve a page
    /// that never becomes interactive.
    pub fn check_site(&self) -> Result<(), ConfigError> {
        let wasm = self.site_root.join(&self.site_pkg_dir).join("smallstack.wasm");
        if !Path::new(&wasm).is_file() {
            return Err(ConfigError {
                name: "LEPTOS_SITE_ROOT",
                value: Some(self.site_root.display().to_string()),
                reason: format!(
                    "{} is missing: build the site with `make build`, or point LEPTOS_SITE_ROOT at it",
                    wasm.display()
                ),
            });
        }
        Ok(())
    }
}

fn parse_bool(env: &impl Env, name: &'static str, default: bool) -> Result<bool, ConfigError> {
    match env.get(name).map(|v| v.to_ascii_lowercase()).as_deref() {
        None => Ok(default),
        Some("true" | "1" | "yes" | "on") => Ok(true),
        Some("false" | "0" | "no" | "off") => Ok(false),
        Some(other) => Err(invalid(name, other, "expected true or false")),
    }
}

fn parse_proxies(env: &impl Env) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    let Some(raw) = env.get("TRUSTED_PROXIES") else { return Ok(Vec::new()) };
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| invalid("TRUSTED_PROXIES", item, "expected IP addresses or CIDR ranges, comma-separated"))
        })
        .collect()
}

fn parse_retention(env: &impl Env) -> Result<u32, ConfigError> {
    const NAME: &str = "BACKUP_RETENTION";
    let Some(raw) = env.get(NAME) else { return Ok(DEFAULT_RETENTION) };
    match raw.trim().parse::<i64>() {
        Ok(n) if n < 0 => Err(invalid(NAME, &raw, "must not be negative: the number of backups to keep (0 keeps all)")),
        Ok(n) => u32::try_from(n).map_err(|_| invalid(NAME, &raw, "is too large")),
        Err(_) => Err(invalid(NAME, &raw, "expected a whole number of backups to keep (0 keeps all)")),
    }
}

fn parse_schedule(env: &impl Env) -> Result<Schedule, ConfigError> {
    const NAME: &str = "BACKUP_SCHEDULE";
    let Some(raw) = env.get(NAME) else { return Ok(Schedule::default()) };
    Schedule::parse(&raw).map_err(|e| {
        let reason = match e {
            BackupError::InvalidSchedule(reason) => reason,
            other => other.to_string(),
        };
        invalid(NAME, &raw, format!("{reason} (expected five cron fields in UTC, e.g. \"0 2 * * *\", or off)"))
    })
}

fn parse_upload_max(env: &impl Env) -> Result<u64, ConfigError> {
    const NAME: &str = "BACKUP_UPLOAD_MAX";
    let Some(raw) = env.get(NAME) else { return Ok(DEFAULT_UPLOAD_MAX) };
    match raw.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(invalid(NAME, &raw, "expected a whole number of bytes greater than 0, e.g. 1073741824")),
    }
}

fn parse_webhook(env: &impl Env) -> Result<Option<reqwest::Url>, ConfigError> {
    const NAME: &str = "BACKUP_WEBHOOK_URL";
    let Some(raw) = env.get(NAME) else { return Ok(None) };
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| invalid(NAME, &raw, format!("not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(NAME, &raw, "expected an http:// or https:// URL"));
    }
    Ok(Some(url))
}

fn parse_body_limit(env: &impl Env) -> Result<usize, ConfigError> {
    const NAME: &str = "REQUEST_BODY_LIMIT";
    let Some(raw) = env.get(NAME) else { return Ok(DEFAULT_REQUEST_BODY_LIMIT) };
    match raw.trim().parse::<usize>() {
        Ok(n) if REQUEST_BODY_LIMIT_RANGE.contains(&n) => Ok(n),
        _ => Err(invalid(
            NAME,
            &raw,
            format!(
                "expected a whole number of bytes from {} to {}, e.g. 65536",
                REQUEST_BODY_LIMIT_RANGE.start(),
                REQUEST_BODY_LIMIT_RANGE.end()
            ),
        )),
    }
}

fn parse_request_timeout(env: &impl Env) -> Result<Duration, ConfigError> {
    const NAME: &str = "REQUEST_TIMEOUT_SECS";
    let Some(raw) = env.get(NAME) else { return Ok(Duration::from_secs(DEFAULT_REQUEST_TIMEOUT_SECS)) };
    match raw.trim().parse::<u64>() {
        Ok(n) if (1..=3600).contains(&n) => Ok(Duration::from_secs(n)),
        _ => Err(invalid(NAME, &raw, "expected a whole number of seconds from 1 to 3600, e.g. 30")),
    }
}

/// `ALLOWED_HOSTS`: comma-separated host names (no scheme, no port), `.example.com` for a domain
/// and its subdomains, or `*` for any. Unset: the host of `LEPTOS_SITE_ADDR`, `localhost` and
/// `127.0.0.1`.
fn parse_allowed_hosts(env: &impl Env, site_addr: SocketAddr) -> Result<AllowedHosts, ConfigError> {
    const NAME: &str = "ALLOWED_HOSTS";
    let Some(raw) = env.get(NAME) else {
        let mut names = vec![site_addr.ip().to_string(), "localhost".into(), "127.0.0.1".into()];
        names.dedup();
        return Ok(AllowedHosts::Only { names, configured: false });
    };
    let items: Vec<&str> = raw.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if items == ["*"] {
        return Ok(AllowedHosts::Any);
    }
    let expected =
        "expected host names without scheme or port, comma-separated (e.g. app.example.com,.example.org), or * for any";
    if items.is_empty() {
        return Err(invalid(NAME, &raw, expected));
    }
    let mut names = Vec::with_capacity(items.len());
    for item in items {
        if item == "*" {
            return Err(invalid(NAME, &raw, "* allows any host and cannot be combined with names"));
        }
        let (dot, rest) = match item.strip_prefix('.') {
            Some(rest) => (".", rest),
            None => ("", item),
        };
        // An IPv6 address may come with or without brackets; anything else must carry no port.
        let bare = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')).unwrap_or(rest);
        let name = if bare.parse::<std::net::Ipv6Addr>().is_ok() {
            Some(bare.to_ascii_lowercase())
        } else if bare.contains([':', '/']) {
            None
        } else {
            host_name(bare)
        };
        match name {
            Some(name) => names.push(format!("{dot}{name}")),
            None => return Err(invalid(NAME, item, expected)),
        }
    }
    Ok(AllowedHosts::Only { names, configured: true })
}

/// `FILE_MODE_UMASK`: octal, like a shell's `umask` (default `077`). It may take permissions
/// from the group and others, never from the owner: the server must read and write its own files.
fn parse_umask(env: &impl Env) -> Result<u32, ConfigError> {
    const NAME: &str = "FILE_MODE_UMASK";
    let Some(raw) = env.get(NAME) else { return Ok(0o077) };
    let digits = raw.trim();
    let value = (!digits.is_empty() && digits.len() <= 4 && digits.bytes().all(|b| (b'0'..=b'7').contains(&b)))
        .then(|| u32::from_str_radix(digits, 8).ok())
        .flatten()
        .filter(|v| *v <= 0o777)
        .ok_or_else(|| invalid(NAME, &raw, "expected an octal umask from 000 to 077, e.g. 077 or 027"))?;
    if value & 0o700 != 0 {
        return Err(invalid(
            NAME,
            &raw,
            "must leave the owner's permissions alone (the server reads and writes its own files): from 000 to 077, e.g. 027",
        ));
    }
    Ok(value)
}

fn invalid(name: &'static str, value: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError { name, value: Some(value.to_string()), reason: reason.into() }
}

fn parse<T: FromStr>(env: &impl Env, name: &'static str, default: &str, expected: &str) -> Result<T, ConfigError> {
    let raw = env.get(name).unwrap_or_else(|| default.to_string());
    raw.parse().map_err(|_| invalid(name, &raw, expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_readme() {
        let s = Settings::from_source(&[]).unwrap();
        assert_eq!(s.database_path, PathBuf::from("data/db.sqlite3"));
        assert_eq!(s.system_database_path, PathBuf::from("data/system.sqlite3"));
        assert_eq!(s.media_root, PathBuf::from("media"));
        assert_eq!(s.backup_dir, PathBuf::from("data/backups"));
        assert_eq!(s.site_addr, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(s.site_root, PathBuf::from("target/site"));
    }

    #[test]
    fn accounts_settings() {
        let s = Settings::from_source(&[]).unwrap();
        assert!(!s.secure_cookies);
        assert_eq!(s.session_ttl_days, 14);
        assert!(s.signup_enabled);
        assert!(s.trusted_proxies.is_empty());
        let s = Settings::from_source(&[("TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1"), ("SIGNUP_ENABLED", "false")])
            .unwrap();
        assert_eq!(s.trusted_proxies.len(), 2);
        assert!(!s.signup_enabled);
        assert_eq!(Settings::from_source(&[("TRUSTED_PROXIES", "nope")]).unwrap_err().name, "TRUSTED_PROXIES");
        assert_eq!(Settings::from_source(&[("SESSION_TTL_DAYS", "0")]).unwrap_err().name, "SESSION_TTL_DAYS");
        assert_eq!(Settings::from_source(&[("SIGNUP_ENABLED", "maybe")]).unwrap_err().name, "SIGNUP_ENABLED");
    }

    #[test]
    fn backup_settings() {
        let s = Settings::from_source(&[]).unwrap();
        assert_eq!(s.backup_retention, 14);
        assert_eq!(s.backup_schedule.expression(), "0 2 * * *");
        assert_eq!(s.backup_upload_max, 1 << 30);
        assert!(s.backup_webhook_url.is_none());
        let s = Settings::from_source(&[
            ("BACKUP_RETENTION", "0"),
            ("BACKUP_SCHEDULE", "off"),
            ("BACKUP_UPLOAD_MAX", "1048576"),
            ("BACKUP_WEBHOOK_URL", "https://hooks.example.com/backups?token=x"),
        ])
        .unwrap();
        assert_eq!(s.backup_retention, 0);
        assert!(s.backup_schedule.is_off());
        assert_eq!(s.backup_upload_max, 1_048_576);
        assert_eq!(s.backup_webhook_url.unwrap().host_str(), Some("hooks.example.com"));
        let config = Settings::from_source(&[("BACKUP_RETENTION", "3"), ("BACKUP_SCHEDULE", "15 4 * * 0")])
            .unwrap()
            .engine_config(None);
        assert_eq!(config.backup.retention, 3);
        assert_eq!(config.backup.schedule.expression(), "15 4 * * 0");
    }

    /// Each (variable, value) is refused in one line that names the variable and says `reason`.
    fn assert_each_refused(cases: &[(&str, &str, &str)]) {
        for &(name, value, reason) in cases {
            let err = Settings::from_source(&[(name, value)]).unwrap_err();
            assert_eq!(err.name, name, "{value}");
            let message = err.to_string();
            assert!(message.contains(reason), "{name}={value}: {message}");
            assert!(message.starts_with(&format!("{name}=")), "one line naming the variable: {message}");
        }
    }

    #[test]
    fn bad_backup_settings_name_the_variable() {
        assert_each_refused(&[
            ("BACKUP_RETENTION", "-1", "negative"),
            ("BACKUP_RETENTION", "ten", "whole number"),
            ("BACKUP_RETENTION", "1.5", "whole number"),
            ("BACKUP_RETENTION", "99999999999", "too large"),
            ("BACKUP_SCHEDULE", "0 2 * *", "it has 4 fields, and a schedule has five"),
            ("BACKUP_SCHEDULE", "0 0 2 * * *", "it has 6 fields, and a schedule has five"),
            ("BACKUP_SCHEDULE", "61 2 * * *", "0 2 * * *"),
            ("BACKUP_UPLOAD_MAX", "0", "greater than 0"),
            ("BACKUP_UPLOAD_MAX", "1GiB", "bytes"),
            ("BACKUP_UPLOAD_MAX", "-5", "bytes"),
            ("BACKUP_WEBHOOK_URL", "not a url", "not a URL"),
            ("BACKUP_WEBHOOK_URL", "ftp://example.com/x", "http"),
        ]);
    }

    #[test]
    fn request_limits() {
        let s = Settings::from_source(&[]).unwrap();
        assert_eq!(s.request_body_limit, 65536);
        assert_eq!(s.request_timeout, Duration::from_secs(30));
        let s = Settings::from_source(&[("REQUEST_BODY_LIMIT", "1048576"), ("REQUEST_TIMEOUT_SECS", " 5 ")]).unwrap();
        assert_eq!(s.request_body_limit, 1_048_576);
        assert_eq!(s.request_timeout, Duration::from_secs(5));
        assert_each_refused(&[
            ("REQUEST_BODY_LIMIT", "0", "from 1024 to 16777216"),
            ("REQUEST_BODY_LIMIT", "1023", "from 1024"),
            ("REQUEST_BODY_LIMIT", "16777217", "to 16777216"),
            ("REQUEST_BODY_LIMIT", "64KiB", "whole number of bytes"),
            ("REQUEST_BODY_LIMIT", "-1", "whole number of bytes"),
            ("REQUEST_TIMEOUT_SECS", "0", "from 1 to 3600"),
            ("REQUEST_TIMEOUT_SECS", "3601", "from 1 to 3600"),
            ("REQUEST_TIMEOUT_SECS", "30s", "whole number of seconds"),
            ("REQUEST_TIMEOUT_SECS", "1.5", "whole number of seconds"),
        ]);
    }

    #[test]
    fn allowed_hosts() {
        let default = Settings::from_source(&[("LEPTOS_SITE_ADDR", "10.1.2.3:8000")]).unwrap().allowed_hosts;
        assert!(!default.is_configured());
        for host in ["10.1.2.3:8000", "localhost:3000", "LOCALHOST", "127.0.0.1", "localhost."] {
            assert!(default.allows(host), "{host}");
        }
        for host in ["evil.example", "10.1.2.4", "127.0.0.2", "localhost.evil.example", "", "a b", "x:y:z", "[::1"] {
            assert!(!default.allows(host), "{host}");
        }
        let s =
            Settings::from_source(&[("ALLOWED_HOSTS", " App.Example.com, .example.org ,[::1], 192.0.2.7 ")]).unwrap();
        let hosts = s.allowed_hosts;
        assert!(hosts.is_configured());
        for host in
            ["app.example.com", "app.example.com:443", "example.org", "www.example.org", "[::1]:3000", "192.0.2.7"]
        {
            assert!(hosts.allows(host), "{host}");
        }
        for host in ["example.com", "badexample.org", "localhost", "127.0.0.1", "[::2]"] {
            assert!(!hosts.allows(host), "{host}");
        }
        let any = Settings::from_source(&[("ALLOWED_HOSTS", "*")]).unwrap().allowed_hosts;
        assert!(any.allows("anything.example") && any.is_configured());
        assert!(!any.allows("not a host"), "a Host that is no name at all is refused even with *");
        assert_each_refused(&[
            ("ALLOWED_HOSTS", ",", "host names"),
            ("ALLOWED_HOSTS", "https://app.example.com", "without scheme or port"),
            ("ALLOWED_HOSTS", "app.example.com:443", "without scheme or port"),
            ("ALLOWED_HOSTS", "*, app.example.com", "cannot be combined"),
            ("ALLOWED_HOSTS", "app example.com", "host names"),
        ]);
    }

    #[test]
    fn file_mode_umask() {
        assert_eq!(Settings::from_source(&[]).unwrap().file_mode_umask, 0o077);
        assert_eq!(Settings::from_source(&[("FILE_MODE_UMASK", "027")]).unwrap().file_mode_umask, 0o027);
        assert_eq!(Settings::from_source(&[("FILE_MODE_UMASK", "0002")]).unwrap().file_mode_umask, 0o002);
        assert_each_refused(&[
            ("FILE_MODE_UMASK", "0777", "owner"),
            ("FILE_MODE_UMASK", "200", "owner"),
            ("FILE_MODE_UMASK", "088", "octal"),
            ("FILE_MODE_UMASK", "u=rwx", "octal"),
            ("FILE_MODE_UMASK", "07777", "octal"),
        ]);
    }

    #[test]
    fn a_bad_address_names_the_variable() {
        let err = Settings::from_source(&[("LEPTOS_SITE_ADDR", "nowhere")]).unwrap_err();
        assert_eq!(err.name, "LEPTOS_SITE_ADDR");
        assert!(err.to_string().contains("nowhere"));
    }
}
