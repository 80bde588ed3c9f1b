//! The remote's settings, read from `BACKUP_REMOTE_*` and the standard `AWS_*` credentials and
//! validated before anything connects. Every error names its variable and the fix in one line,
//! and never repeats a secret.

pub use super::credentials::{Credentials, Secret};
use super::key::segment_problem;
use std::{fmt, net::IpAddr, path::PathBuf};

pub const URL_VAR: &str = "BACKUP_REMOTE_URL";
pub const ENDPOINT_VAR: &str = "BACKUP_REMOTE_ENDPOINT";
pub const REGION_VAR: &str = "BACKUP_REMOTE_REGION";
pub const CREDENTIALS_VAR: &str = "BACKUP_REMOTE_CREDENTIALS";
pub const MAX_RATE_VAR: &str = "BACKUP_REMOTE_MAX_RATE";
pub const ACCESS_KEY_VAR: &str = "AWS_ACCESS_KEY_ID";
pub const SECRET_KEY_VAR: &str = "AWS_SECRET_ACCESS_KEY";
pub const SESSION_TOKEN_VAR: &str = "AWS_SESSION_TOKEN";
pub const DEFAULT_REGION: &str = "us-east-1";

/// A refused setting. `value` is `None` when the variable holds a secret (or might: a URL with a
/// user part), so the server can print it as its own `ConfigError { name, value, reason }`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}{}: {reason}", value.as_ref().map(|v| format!("={v:?}")).unwrap_or_default())]
pub struct RemoteConfigError {
    pub name: &'static str,
    pub value: Option<String>,
    pub reason: String,
}

pub(crate) fn refuse(name: &'static str, value: &str, reason: impl Into<String>) -> RemoteConfigError {
    RemoteConfigError { name, value: Some(value.to_string()), reason: reason.into() }
}

pub(crate) fn refuse_secret(name: &'static str, reason: impl Into<String>) -> RemoteConfigError {
    RemoteConfigError { name, value: None, reason: reason.into() }
}

/// `BACKUP_REMOTE_URL`: where the copies go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteUrl {
    /// `s3://bucket/optional/prefix`; `prefix` is `""` or `a/b` (checked like every key).
    S3 { bucket: String, prefix: String },
    /// `file:///absolute/folder`: a mounted second disk, NAS or network folder.
    File { path: PathBuf },
}

impl RemoteUrl {
    pub fn parse(raw: &str) -> Result<Self, RemoteConfigError> {
        let expected = "expected s3://bucket/optional/prefix or file:///absolute/folder";
        // A user part may hold a key or a secret: such a value is never repeated.
        if raw.contains('@') {
            return Err(refuse_secret(
                URL_VAR,
                "must not contain credentials (@): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead",
            ));
        }
        let raw = raw.trim();
        if let Some(rest) = raw.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            check_bucket(bucket).map_err(|reason| refuse(URL_VAR, raw, reason))?;
            if prefix.contains(['?', '#']) {
                return Err(refuse(URL_VAR, raw, "must not have a query or fragment: s3://bucket/optional/prefix"));
            }
            let prefix = prefix.trim_end_matches('/');
            if !prefix.is_empty()
                && let Some(problem) = prefix.split('/').find_map(segment_problem)
            {
                return Err(refuse(URL_VAR, raw, format!("its prefix is refused: {problem}")));
            }
            return Ok(RemoteUrl::S3 { bucket: bucket.to_string(), prefix: prefix.to_string() });
        }
        if raw.starts_with("file:") {
            let url = url::Url::parse(raw).map_err(|e| refuse(URL_VAR, raw, format!("not a URL ({e}); {expected}")))?;
            if url.host_str().is_some_and(|h| !h.is_empty() && h != "localhost") {
                return Err(refuse(
                    URL_VAR,
                    raw,
                    "a file:// URL names a local folder: file:///absolute/folder (three slashes)",
                ));
            }
            if url.query().is_some() || url.fragment().is_some() {
                return Err(refuse(URL_VAR, raw, "must not have a query or fragment: file:///absolute/folder"));
            }
            // `Url` already resolved `.` and `..`; a raw `..` would mean the value is not what it says.
            if raw.split('/').any(|s| s == ".." || s == ".") {
                return Err(refuse(URL_VAR, raw, "must not contain . or .. segments: give the folder's real path"));
            }
            let path = url.to_file_path().map_err(|()| refuse(URL_VAR, raw, expected))?;
            if path.parent().is_none() {
                return Err(refuse(URL_VAR, raw, "must name a folder, not the root of the filesystem"));
            }
            return Ok(RemoteUrl::File { path });
        }
        Err(refuse(URL_VAR, raw, expected))
    }
}

impl fmt::Display for RemoteUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RemoteUrl::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            RemoteUrl::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
            RemoteUrl::File { path } => write!(f, "file://{}", path.display()),
        }
    }
}

/// S3's bucket naming rules, so a typo fails at start rather than as a confusing HTTP error.
fn check_bucket(bucket: &str) -> Result<(), &'static str> {
    if bucket.is_empty() {
        return Err("the bucket name is missing: s3://bucket/optional/prefix");
    }
    if !(3..=63).contains(&bucket.len()) {
        return Err("a bucket name has 3 to 63 characters");
    }
    if !bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-') {
        return Err("a bucket name has only lowercase letters, digits, dots and hyphens");
    }
    let edges_ok = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !edges_ok(bucket.bytes().next()) || !edges_ok(bucket.bytes().last()) || bucket.contains("..") {
        return Err("a bucket name starts and ends with a letter or digit, without \"..\"");
    }
    Ok(())
}

/// `BACKUP_REMOTE_ENDPOINT`: an S3-compatible service other than AWS. Plain `http://` only for
/// loopback: credentials and backups must not cross a network unencrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint(url::Url);

impl Endpoint {
    pub fn parse(raw: &str) -> Result<Self, RemoteConfigError> {
        let raw = raw.trim();
        if raw.contains('@') {
            return Err(refuse_secret(
                ENDPOINT_VAR,
                "must not contain credentials (@): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead",
            ));
        }
        let url = url::Url::parse(raw).map_err(|e| {
            refuse(
                ENDPOINT_VAR,
                raw,
                format!("not a URL ({e}): expected e.g. https://s3.eu-central-003.backblazeb2.com"),
            )
        })?;
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(refuse(
                ENDPOINT_VAR,
                raw,
                "expected only scheme, host and port: the bucket goes in BACKUP_REMOTE_URL",
            ));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(refuse(
                    ENDPOINT_VAR,
                    raw,
                    "plain http:// is allowed only for loopback (127.0.0.1, ::1, localhost): use https://",
                ));
            }
            _ => return Err(refuse(ENDPOINT_VAR, raw, "expected an https:// URL (http:// only for loopback)")),
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(refuse(ENDPOINT_VAR, raw, "the host is missing"));
        }
        Ok(Endpoint(url))
    }

    pub fn is_http(&self) -> bool {
        self.0.scheme() == "http"
    }

    /// Without the trailing `/`, as the S3 client wants it.
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything an S3 remote needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    pub prefix: String,
    /// `None`: AWS itself, addressed virtual-hosted style; with an endpoint, path style.
    pub endpoint: Option<Endpoint>,
    pub region: String,
    pub credentials: Credentials,
}

/// Where the copies go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteTarget {
    S3(Box<S3Settings>),
    Folder(PathBuf),
}

/// The remote's settings; `Display` is safe for logs and the dashboard (masked key id, no secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteSettings {
    pub target: RemoteTarget,
    /// `BACKUP_REMOTE_MAX_RATE`: an upload cap, or none.
    pub max_rate: Option<super::MaxRate>,
}

impl RemoteSettings {
    /// Reads the settings through `get` (the process environment in the server; a table in
    /// tests). An unset or empty variable counts as unset. `Ok(None)`: no remote configured.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, RemoteConfigError> {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let Some(raw_url) = get(URL_VAR) else {
            // Never a silently ignored value: a remote half-configured is a mistake.
            for name in [ENDPOINT_VAR, REGION_VAR, CREDENTIALS_VAR, MAX_RATE_VAR] {
                if let Some(v) = get(name) {
                    return Err(refuse(
                        name,
                        &v,
                        "is set but BACKUP_REMOTE_URL is not: set BACKUP_REMOTE_URL too, or unset it",
                    ));
                }
            }
            return Ok(None);
        };
        let max_rate = match get(MAX_RATE_VAR) {
            Some(v) => Some(super::MaxRate::parse(&v).map_err(|reason| refuse(MAX_RATE_VAR, &v, reason))?),
            None => None,
        };
        let target = match RemoteUrl::parse(&raw_url)? {
            RemoteUrl::File { path } => {
                for name in [ENDPOINT_VAR, REGION_VAR, CREDENTIALS_VAR] {
                    if let Some(v) = get(name) {
                        return Err(refuse(
                            name,
                            &v,
                            "applies only to s3:// remotes, and BACKUP_REMOTE_URL is file://: unset it",
                        ));
                    }
                }
                RemoteTarget::Folder(path)
            }
            RemoteUrl::S3 { bucket, prefix } => {
                let endpoint = get(ENDPOINT_VAR).map(|v| Endpoint::parse(&v)).transpose()?;
                let region = match get(REGION_VAR) {
                    None => DEFAULT_REGION.to_string(),
                    Some(r) if valid_region(r.trim()) => r.trim().to_string(),
                    Some(r) => {
                        return Err(refuse(
                            REGION_VAR,
                            &r,
                            "expected a region name such as us-east-1, eu-central-003 or auto",
                        ));
                    }
                };
                let credentials = Credentials::from_lookup(&get)?;
                RemoteTarget::S3(Box::new(S3Settings { bucket, prefix, endpoint, region, credentials }))
            }
        };
        Ok(Some(RemoteSettings { target, max_rate }))
    }

    /// The variable-free description of where copies go (`s3://bucket/prefix`, `file:///…`).
    pub fn url(&self) -> RemoteUrl {
        match &self.target {
            RemoteTarget::S3(s) => RemoteUrl::S3 { bucket: s.bucket.clone(), prefix: s.prefix.clone() },
            RemoteTarget::Folder(path) => RemoteUrl::File { path: path.clone() },
        }
    }

    pub(crate) fn secrets(&self) -> Vec<String> {
        match &self.target {
            RemoteTarget::S3(s) => s.credentials.secrets(),
            RemoteTarget::Folder(_) => Vec::new(),
        }
    }
}

fn valid_region(r: &str) -> bool {
    (1..=64).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl fmt::Display for RemoteSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            RemoteTarget::Folder(path) => write!(f, "file://{}", path.display())?,
            RemoteTarget::S3(s) => {
                write!(f, "{}", self.url())?;
                match &s.endpoint {
                    Some(e) => write!(f, " at {e}")?,
                    None => write!(f, " at AWS")?,
                }
                write!(f, " (region {}, key {})", s.region, s.credentials.masked_key_id())?;
            }
        }
        if let Some(rate) = &self.max_rate {
            write!(f, ", uploads capped at {rate}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
