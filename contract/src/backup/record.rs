//! One backup in the catalogue: where it stands, what started it, and its timeline.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use strum::{Display, EnumString, IntoStaticStr, VariantArray};

/// Where a backup stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumString, IntoStaticStr, VariantArray, Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Status {
    /// Being made now (or interrupted by a crash, until the next start marks it failed).
    Running,
    /// Made and verified; its file is in `BACKUP_DIR`.
    Success,
    /// Not made; `error` says why. No file.
    Failed,
    /// A scheduled run that found another backup or restore running. No file.
    Skipped,
    /// Removed by retention; `pruned_at` says when.
    Pruned,
    /// Removed by hand; `deleted_at` says when.
    Deleted,
}

/// What started a backup.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumString, IntoStaticStr, VariantArray, Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Trigger {
    /// "Backup now" in the dashboard.
    Manual,
    /// The in-process scheduler.
    Scheduled,
    /// `smallstack backup create`.
    Cli,
    /// The safety copy a restore takes first.
    PreRestore,
    /// A file uploaded through the dashboard.
    Upload,
    /// "Download a fresh backup" in the dashboard: made to be downloaded at once.
    Download,
    /// A copy downloaded from the off-site remote to be restored (`backup restore --remote`, or
    /// the dashboard's Remote tab).
    Remote,
}

impl Trigger {
    /// Retention prunes only backups made by the schedule or on demand; safety copies, uploads
    /// and copies fetched from the remote are removed only by hand.
    pub fn is_prunable(self) -> bool {
        matches!(self, Trigger::Manual | Trigger::Scheduled | Trigger::Cli | Trigger::Download)
    }
}

/// One step in a backup's timeline.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumString, IntoStaticStr, VariantArray, Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum EventKind {
    Created,
    Verified,
    Downloaded,
    Restored,
    Pruned,
    Deleted,
    Failed,
    Skipped,
    /// Copied off-site, read back and found identical.
    RemoteUploaded,
    /// An attempt at the off-site copy failed (the detail says why and when it is retried).
    RemoteFailed,
    /// The off-site copy was removed by `BACKUP_REMOTE_KEEP`.
    RemotePruned,
    /// Downloaded from the remote and checked against its SHA-256.
    RemoteFetched,
    /// The off-site copy was read again and found identical (`backup remote verify`).
    RemoteVerified,
}

/// Where a backup's off-site copy stands. A closed set: the catalogue stores it, the dashboard
/// shows it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumString, IntoStaticStr, VariantArray, Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum RemoteState {
    /// Waiting for the uploader (just made, or left by `backup create --no-upload`).
    Pending,
    /// Being copied and read back now.
    Uploading,
    /// Copied, read back, size and SHA-256 equal to the catalogue's, `<name>.sha256` beside it.
    Uploaded,
    /// The last attempt failed; `error` says why, `next_attempt_at` when it is tried again (none:
    /// it will not be, e.g. the local file is gone).
    Failed,
    /// Removed from the remote by `BACKUP_REMOTE_KEEP` ("pruned remotely").
    Pruned,
}

impl RemoteState {
    /// In words, for the history's badge and the CLI.
    pub fn label(self) -> &'static str {
        match self {
            RemoteState::Pending => "upload pending",
            RemoteState::Uploading => "uploading",
            RemoteState::Uploaded => "off-site",
            RemoteState::Failed => "upload failed",
            RemoteState::Pruned => "pruned remotely",
        }
    }

    /// The local file is still the only copy: local retention keeps it (unless the disk is short
    /// of space).
    pub fn is_waiting(self) -> bool {
        matches!(self, RemoteState::Pending | RemoteState::Uploading | RemoteState::Failed)
    }
}

/// The off-site side of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteRecord {
    pub state: RemoteState,
    /// The object's key in the bucket or folder, with the prefix, once uploaded.
    pub key: Option<String>,
    pub uploaded_at: Option<DateTime<Utc>>,
    /// Upload attempts so far.
    pub attempts: u32,
    /// Why the last attempt failed, in words a person acts on (never a secret).
    pub error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The time the copy took to send, and to read back and hash, in milliseconds.
    pub upload_ms: Option<u64>,
    pub verify_ms: Option<u64>,
    pub pruned_at: Option<DateTime<Utc>>,
}

/// One backup in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRecord {
    pub id: i64,
    /// `db-YYYYMMDD-HHMMSS(-N).sqlite3`; empty for a skipped run, which never had a file.
    pub filename: String,
    /// When the backup started (or the upload was received).
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub size_bytes: Option<u64>,
    /// Whole operation, copy and verification (integrity check plus checksum), in milliseconds.
    pub duration_ms: Option<u64>,
    pub copy_ms: Option<u64>,
    pub verify_ms: Option<u64>,
    pub status: Status,
    pub error: Option<String>,
    pub trigger: Trigger,
    /// Hex SHA-256 of the file.
    pub sha256: Option<String>,
    /// The result of `PRAGMA integrity_check` on the copy, when it got that far.
    pub integrity_ok: Option<bool>,
    pub pruned_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub download_count: u64,
    pub last_downloaded_at: Option<DateTime<Utc>>,
    /// The last time the live database was restored from this backup.
    pub restored_at: Option<DateTime<Utc>>,
    /// The off-site copy; `None` when no remote was configured when the backup was made.
    pub remote: Option<RemoteRecord>,
}

impl BackupRecord {
    /// True when the catalogue says the file exists in `BACKUP_DIR`: it can be downloaded or
    /// restored.
    pub fn has_file(&self) -> bool {
        self.status == Status::Success
    }
}

/// One line of a backup's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupEvent {
    pub id: i64,
    pub backup_id: i64,
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    pub detail: Option<String>,
}
