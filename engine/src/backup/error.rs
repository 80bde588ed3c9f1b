use crate::DbError;
use contract::{ClosedSet, format::human_bytes};
use std::path::PathBuf;

/// Why a backup operation did not happen or did not succeed. The variants are chosen so the HTTP
/// layer can pick a status without reading messages: see each variant's note.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Another backup, restore or prune holds the lock in `BACKUP_DIR`, in this process or
    /// another one (HTTP 409, CLI exit 1).
    #[error("a backup or restore is already running{}; try again when it has finished", holder_text(*.pid))]
    AlreadyRunning { pid: Option<u32> },
    /// No such backup (HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// The catalogue knows the backup but its file is gone: pruned, deleted, or never made
    /// because the backup failed (HTTP 404, or 410).
    #[error("backup {id} has no file: it is {}", status.as_str())]
    NoFile { id: i64, status: super::Status },
    /// A backup name from outside is not `db-YYYYMMDD-HHMMSS(-N).sqlite3`; no file was opened
    /// (HTTP 404 for downloads, 422 elsewhere).
    #[error("invalid backup name {name:?}: {reason}")]
    InvalidName { name: String, reason: &'static str },
    /// A restore or upload source failed validation; `reason` names the file and the problem
    /// (HTTP 422).
    #[error("{reason}")]
    Invalid { reason: String },
    /// An upload is byte for byte a backup the catalogue already keeps (HTTP 409). Nothing is
    /// kept twice.
    #[error("this file is the same as backup #{id} ({filename}), which is already kept")]
    Duplicate { id: i64, filename: String },
    /// An upload is larger than `BACKUP_UPLOAD_MAX` (HTTP 413).
    #[error("the file is larger than the upload limit of {limit} bytes ({})", human_bytes(*.limit))]
    TooLarge { limit: u64 },
    /// `BACKUP_DIR`'s filesystem lacks room for the copy (HTTP 500/507; the record says failed).
    /// The message names the folder by its role, not its path (staff see it).
    #[error(
        "not enough free space in the backup folder: this needs {needed} bytes ({}), {what}, but only {available} bytes ({}) are available",
        human_bytes(*.needed), human_bytes(*.available)
    )]
    NoSpace { dir: PathBuf, needed: u64, available: u64, what: String },
    /// A schedule that is not a five-field cron expression nor `off`; the parser's reason
    /// (HTTP 422). The previous schedule stays.
    #[error("invalid schedule: {0}")]
    InvalidSchedule(String),
    /// A retention over the limit (HTTP 422). Nothing changes.
    #[error("retention must be 0 (keep all) to {max}, not {value}")]
    InvalidRetention { value: u32, max: u32 },
    /// A settings change that names nothing to change (HTTP 422).
    #[error("nothing to change: send schedule and/or retention")]
    NothingToChange,
    /// The process is stopping: a running backup was cancelled (its record says failed and its
    /// temporary file is gone), or a new one was refused (HTTP 503).
    #[error("cancelled: the process is shutting down")]
    ShuttingDown,
    /// The operation itself failed (I/O, SQLite, verification of a copy); the reason is recorded
    /// in the catalogue (HTTP 500).
    #[error("{0}")]
    Failed(String),
    /// An off-site operation was asked for but `BACKUP_REMOTE_URL` is not set (HTTP 409).
    #[error("no off-site remote is configured: set BACKUP_REMOTE_URL (see docs/backups.md)")]
    NoRemote,
    /// The remote failed or refused; the message says why in words a person acts on, never with
    /// a secret (HTTP 404 for a copy that is not there, 422 for a bad name or a damaged copy,
    /// 502 for the storage service).
    #[error(transparent)]
    Remote(#[from] super::remote::RemoteError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// An underlying error said in words a person can act on, without paths or library codes.
pub(crate) trait InWords: std::fmt::Display {
    fn in_words(&self) -> String;
}

impl InWords for std::io::Error {
    fn in_words(&self) -> String {
        use std::io::ErrorKind as K;
        match self.kind() {
            K::NotFound => "it does not exist",
            K::PermissionDenied => "permission denied (check who owns the data folders and their modes)",
            K::AlreadyExists => "it exists already",
            K::StorageFull => "the disk is full",
            K::QuotaExceeded => "the disk quota is used up",
            K::ReadOnlyFilesystem => "the file system is read-only",
            K::FileTooLarge => "the file is larger than the file system or a file-size limit allows",
            K::UnexpectedEof => "the file ended early",
            K::IsADirectory => "a folder is in the way",
            K::NotADirectory => "a file is in the way of a folder",
            K::OutOfMemory => "the server ran out of memory",
            _ => "an input/output error",
        }
        .to_string()
    }
}

impl InWords for rusqlite::Error {
    fn in_words(&self) -> String {
        super::sqlite::in_words(self).to_string()
    }
}

impl InWords for std::fs::TryLockError {
    fn in_words(&self) -> String {
        match self {
            std::fs::TryLockError::Error(e) => e.in_words(),
            std::fs::TryLockError::WouldBlock => "another process holds it".into(),
        }
    }
}

impl InWords for DbError {
    fn in_words(&self) -> String {
        match self {
            DbError::WritesHeld => self.to_string(),
            DbError::TooOld(_) => "this SQLite library is too old".into(),
            DbError::Unusable { .. } | DbError::Sql(_) => "the database could not do it".into(),
        }
    }
}

impl InWords for sqlx::Error {
    fn in_words(&self) -> String {
        "the database could not do it".into()
    }
}

impl InWords for std::num::ParseIntError {
    fn in_words(&self) -> String {
        "SQLite answered something unexpected".into()
    }
}

fn holder_text(pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!(" (process {pid})"),
        None => String::new(),
    }
}

impl From<sea_orm::DbErr> for BackupError {
    fn from(e: sea_orm::DbErr) -> Self {
        BackupError::Db(DbError::Sql(e))
    }
}

impl BackupError {
    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        BackupError::Invalid { reason: reason.into() }
    }

    /// The operation failed at `context` because of `e`: staff read the context and what `e`
    /// means in words; `e` itself (paths, library codes) goes to the log, for the operator.
    pub(crate) fn failed(context: &str, e: impl InWords) -> Self {
        tracing::warn!(error = %e, "{context}");
        BackupError::Failed(format!("{context}: {}", e.in_words()))
    }

    /// True for mistakes in what a client asked for (bad file, bad name, busy): these are not
    /// failures of the backup system, so they are not logged at error level nor sent to the
    /// webhook.
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            BackupError::AlreadyRunning { .. }
                | BackupError::NotFound(_)
                | BackupError::NoFile { .. }
                | BackupError::InvalidName { .. }
                | BackupError::Invalid { .. }
                | BackupError::Duplicate { .. }
                | BackupError::TooLarge { .. }
                | BackupError::InvalidSchedule(_)
                | BackupError::InvalidRetention { .. }
                | BackupError::NothingToChange
                | BackupError::NoRemote
        ) || matches!(
            self,
            BackupError::Remote(
                super::remote::RemoteError::NotFound { .. }
                    | super::remote::RemoteError::InvalidName { .. }
                    | super::remote::RemoteError::InvalidKey(_)
            )
        )
    }
}
