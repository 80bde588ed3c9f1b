//! What can go wrong with a remote, in words a person acts on, mapped from `object_store`'s
//! errors. No message ever holds a secret: details taken from the storage service pass through
//! [`Scrubber`] first.

use super::key::InvalidKey;
use object_store::client::{HttpError, HttpErrorKind};
use std::{io, path::PathBuf};

/// Why a remote operation failed. [`RemoteError::is_retryable`] says whether trying again later,
/// without changing any setting, may succeed.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("cannot reach the storage service at {endpoint}: {detail}")]
    Unreachable { endpoint: String, detail: String },
    #[error("the connection to the storage service at {endpoint} broke during the transfer: {detail}")]
    ConnectionLost { endpoint: String, detail: String },
    #[error(
        "access denied by the storage service at {endpoint}: check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and that this key may read, write, list and delete in bucket {bucket} ({detail})"
    )]
    AccessDenied { endpoint: String, bucket: String, detail: String },
    #[error("the bucket {bucket} does not exist at {endpoint}: create it, or correct the bucket in BACKUP_REMOTE_URL")]
    NoSuchBucket { bucket: String, endpoint: String },
    #[error("the storage service at {endpoint} failed ({detail}); it may be a passing fault")]
    ServiceFailed { endpoint: String, detail: String },
    #[error("the storage service at {endpoint} refused the request: {detail}")]
    Refused { endpoint: String, detail: String },
    #[error("the remote folder {} does not exist: create it, or mount the disk that holds it (BACKUP_REMOTE_URL)", path.display())]
    FolderMissing { path: PathBuf },
    #[error("the remote folder {} is full ({detail}): free space there, or point BACKUP_REMOTE_URL elsewhere", path.display())]
    FolderFull { path: PathBuf, detail: String },
    #[error("the remote folder {} is read-only or not writable ({detail}): mount it read-write or fix its permissions", path.display())]
    FolderReadOnly { path: PathBuf, detail: String },
    #[error("the remote folder {} failed: {detail}", path.display())]
    FolderFailed { path: PathBuf, detail: String },
    #[error("{key} is not on the remote")]
    NotFound { key: String },
    /// A copy's bytes are not the ones expected. `after_upload`: found by the read-back of a new
    /// upload (sending it again may succeed); otherwise a stored copy is damaged.
    #[error("the remote copy {name} does not match: expected {expected}, found {found}")]
    Mismatch { name: String, expected: String, found: String, after_upload: bool },
    #[error(
        "cannot check the remote copy {name}: there is no {name}.sha256 beside it and no expected SHA-256 was given, so it is not used"
    )]
    NoChecksum { name: String },
    #[error("the remote {what} is unreadable: {detail}")]
    Unreadable { what: String, detail: String },
    #[error("{} does not match what was expected ({detail}): it changed or is not the file meant", path.display())]
    LocalChanged { path: PathBuf, detail: String },
    #[error("{}: {detail}", path.display())]
    Local { path: PathBuf, detail: String },
    #[error(transparent)]
    InvalidKey(#[from] InvalidKey),
    #[error("invalid backup name {name:?}: {reason}")]
    InvalidName { name: String, reason: String },
    #[error("{failed} of {total} files could not be {what}; the first: {first}")]
    Incomplete { what: &'static str, failed: usize, total: usize, first: String },
    #[error("{0}")]
    InvalidSettings(String),
    #[error("cancelled before the transfer finished")]
    Cancelled,
}

impl RemoteError {
    /// True when the same operation may succeed later with the same settings: a network or
    /// service fault, a full folder, a copy damaged in transit, a cancelled transfer. False for
    /// wrong credentials, a missing bucket or folder, a read-only folder and damaged stored copies,
    /// which need a person.
    pub fn is_retryable(&self) -> bool {
        match self {
            RemoteError::Unreachable { .. }
            | RemoteError::ConnectionLost { .. }
            | RemoteError::ServiceFailed { .. }
            | RemoteError::FolderFull { .. }
            | RemoteError::FolderFailed { .. }
            | RemoteError::Cancelled => true,
            RemoteError::Mismatch { after_upload, .. } => *after_upload,
            RemoteError::Incomplete { .. } => true,
            _ => false,
        }
    }

    pub(crate) fn local(path: impl Into<PathBuf>, context: &str, e: impl std::fmt::Display) -> Self {
        RemoteError::Local { path: path.into(), detail: format!("{context}: {e}") }
    }
}

/// What an error is mapped against: where the remote is, and which strings must never show.
#[derive(Debug, Clone)]
pub(crate) struct ErrorContext {
    pub endpoint: String,
    pub bucket: String,
    /// `Some` for a file:// remote.
    pub folder: Option<PathBuf>,
    pub scrubber: Scrubber,
}

impl ErrorContext {
    /// Maps an `object_store` error met while working on `key`.
    pub(crate) fn map(&self, err: object_store::Error, key: &str) -> RemoteError {
        let chain = chain_text(&err);
        if let object_store::Error::NotFound { .. } = err
            && !chain.contains("NoSuchBucket")
        {
            return RemoteError::NotFound { key: key.to_string() };
        }
        match &self.folder {
            Some(folder) => self.map_folder(&err, folder.clone(), &chain),
            None => self.map_s3(&err, &chain),
        }
    }

    fn map_folder(&self, err: &object_store::Error, path: PathBuf, chain: &str) -> RemoteError {
        let detail = self.scrubber.clean(chain);
        match find_source::<io::Error>(err).map(io::Error::kind) {
            Some(io::ErrorKind::StorageFull | io::ErrorKind::FileTooLarge | io::ErrorKind::QuotaExceeded) => {
                RemoteError::FolderFull { path, detail: short(&detail) }
            }
            Some(io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::PermissionDenied) => {
                RemoteError::FolderReadOnly { path, detail: short(&detail) }
            }
            _ => RemoteError::FolderFailed { path, detail: short(&detail) },
        }
    }

    fn map_s3(&self, err: &object_store::Error, chain: &str) -> RemoteError {
        let endpoint = self.endpoint.clone();
        let detail = short(&self.scrubber.clean(&service_detail(chain)));
        if chain.contains("NoSuchBucket") {
            return RemoteError::NoSuchBucket { bucket: self.bucket.clone(), endpoint };
        }
        // `object_store` maps 401/403 to its own variants for some requests only (not for
        // listings), and some services answer bad credentials with 400: the status and the S3
        // error code decide too.
        let denied_code = DENIED_CODES.iter().any(|code| chain.contains(&format!("<Code>{code}</Code>")));
        if matches!(err, object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. })
            || matches!(status_code(chain), Some(401 | 403))
            || denied_code
        {
            return RemoteError::AccessDenied { endpoint, bucket: self.bucket.clone(), detail };
        }
        if let Some(http) = find_source::<HttpError>(err) {
            return match http.kind() {
                HttpErrorKind::Connect | HttpErrorKind::Timeout => RemoteError::Unreachable { endpoint, detail },
                HttpErrorKind::Request | HttpErrorKind::Interrupted | HttpErrorKind::Decode => {
                    RemoteError::ConnectionLost { endpoint, detail }
                }
                _ => RemoteError::Refused { endpoint, detail },
            };
        }
        match status_code(chain) {
            Some(status) if status >= 500 => RemoteError::ServiceFailed { endpoint, detail },
            _ => RemoteError::Refused { endpoint, detail },
        }
    }
}

/// S3 error codes that mean the credentials are wrong, expired, or lack a permission.
const DENIED_CODES: [&str; 7] = [
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "NotSignedUp",
    "AllAccessDisabled",
];

/// Replaces every secret with `***`. Held by each store, since only it knows its secrets.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scrubber(Vec<String>);

impl Scrubber {
    pub(crate) fn new(secrets: Vec<String>) -> Self {
        Scrubber(secrets)
    }

    pub(crate) fn clean(&self, text: &str) -> String {
        self.0.iter().fold(text.to_string(), |acc, secret| acc.replace(secret.as_str(), "***"))
    }
}

/// The whole `source()` chain, joined: the S3 error code of a response sits several levels down.
fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let line = e.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = e.source();
    }
    text
}

fn find_source<'a, T: std::error::Error + 'static>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a T> {
    let mut current: Option<&'a (dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// The HTTP status `object_store` wrote into its message ("…status code: 503 …"), if any: its
/// retry error type is private.
fn status_code(chain: &str) -> Option<u16> {
    let rest = &chain[chain.find("status code: ")? + "status code: ".len()..];
    rest.get(..3)?.parse().ok()
}

/// "Code: Message" from an S3 error body, else the innermost cause (e.g. "Connection refused").
fn service_detail(chain: &str) -> String {
    let tag = |name: &str| {
        let start = chain.find(&format!("<{name}>"))? + name.len() + 2;
        let end = chain[start..].find(&format!("</{name}>"))? + start;
        Some(chain[start..end].to_string())
    };
    match (tag("Code"), tag("Message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        _ => {
            let status = status_code(chain).map(|s| format!("HTTP {s}"));
            let innermost = chain.rsplit(": ").find(|part| !part.trim().is_empty()).unwrap_or(chain).to_string();
            status.map_or(innermost.clone(), |s| format!("{s}: {innermost}"))
        }
    }
}

/// One line of at most 300 characters.
fn short(text: &str) -> String {
    let line = text.replace(['\n', '\r'], " ");
    if line.chars().count() <= 300 { line } else { format!("{}…", line.chars().take(300).collect::<String>()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_scrubbed_and_short() {
        let s = Scrubber::new(vec!["s3cr3t-value".into()]);
        assert_eq!(s.clean("sig with s3cr3t-value inside"), "sig with *** inside");
        assert_eq!(short(&"x".repeat(400)).chars().count(), 301);
        assert_eq!(short("a\nb"), "a b");
    }

    #[test]
    fn service_details_prefer_the_s3_code() {
        let chain = "Error performing PUT http://x/b/k - Server returned non-2xx status code: 503 Service Unavailable: <Error><Code>SlowDown</Code><Message>Reduce your rate</Message></Error>";
        assert_eq!(status_code(chain), Some(503));
        assert_eq!(service_detail(chain), "SlowDown: Reduce your rate");
        assert_eq!(service_detail("a: b: Connection refused (os error 111)"), "Connection refused (os error 111)");
    }

    #[test]
    fn retryable_or_not() {
        let e = |s: &str| s.to_string();
        assert!(RemoteError::Unreachable { endpoint: e("x"), detail: e("y") }.is_retryable());
        assert!(!RemoteError::AccessDenied { endpoint: e("x"), bucket: e("b"), detail: e("d") }.is_retryable());
        assert!(!RemoteError::NoSuchBucket { endpoint: e("x"), bucket: e("b") }.is_retryable());
        assert!(
            RemoteError::Mismatch { name: e("n"), expected: e("a"), found: e("b"), after_upload: true }.is_retryable()
        );
        assert!(
            !RemoteError::Mismatch { name: e("n"), expected: e("a"), found: e("b"), after_upload: false }
                .is_retryable()
        );
    }
}
