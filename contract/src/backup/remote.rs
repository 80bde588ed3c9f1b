//! The off-site remote as the dashboard's Remote tab shows it: the configuration (redacted), the
//! upload queue and its progress, the copies the remote holds, the media mirror, the connection
//! test, and a restore from a copy the local catalogue may never have seen.

use super::{BackupRecord, RemoteState};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use strum::{Display, EnumString, IntoStaticStr, VariantArray};

/// What kind of place the copies go to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumString, IntoStaticStr, VariantArray, Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum RemoteKind {
    /// An S3-compatible bucket (AWS, Backblaze B2, Cloudflare R2, MinIO…).
    S3,
    /// A folder: a mounted second disk, NAS or network share.
    Folder,
}

/// The remote's settings, safe to show: no secret, the key id masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteConfigView {
    pub kind: RemoteKind,
    /// `s3://bucket/prefix` or `file:///folder`.
    pub url: String,
    pub bucket: Option<String>,
    pub prefix: Option<String>,
    /// The S3-compatible service; `None` for AWS itself or a folder.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// `AKIA…WXYZ`, or "instance credentials".
    pub key_id: Option<String>,
    /// `BACKUP_REMOTE_MAX_RATE`, in words ("10.0 MiB/s"), when set.
    pub max_rate: Option<String>,
    /// `BACKUP_REMOTE_KEEP`, in words.
    pub keep: String,
}

/// What a transfer is doing.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumString, IntoStaticStr, VariantArray, Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum TransferPhase {
    /// Bytes read from the local file and handed to the uploader.
    Upload,
    /// Bytes of the uploaded object read back and hashed.
    ReadBack,
    /// Bytes downloaded (or re-read by a verification) and hashed.
    Download,
}

impl TransferPhase {
    pub fn label(self) -> &'static str {
        match self {
            TransferPhase::Upload => "uploading",
            TransferPhase::ReadBack => "reading back",
            TransferPhase::Download => "downloading",
        }
    }
}

/// The off-site copy being made now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteProgress {
    pub backup_id: i64,
    pub filename: String,
    pub phase: TransferPhase,
    pub done: u64,
    pub total: u64,
    pub started_at: DateTime<Utc>,
}

impl RemoteProgress {
    /// 0–100.
    pub fn percent(&self) -> u32 {
        if self.total == 0 { 0 } else { ((self.done as f64 / self.total as f64).min(1.0) * 100.0) as u32 }
    }
}

/// The last mirror of `media/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaSyncStatus {
    pub at: Option<DateTime<Utc>>,
    pub ok: bool,
    /// Local files seen.
    pub files: u64,
    /// Files sent in that run, and their bytes.
    pub transferred: u64,
    pub bytes: u64,
    pub unchanged: u64,
    /// Files found deleted locally (their remote copies stay 30 days) and remote copies removed.
    pub marked_deleted: u64,
    pub purged: u64,
    /// Local files left out (a name the remote refuses, a link), with the first reason.
    pub skipped: u64,
    pub first_skipped: Option<String>,
    pub elapsed_ms: u64,
    pub error: Option<String>,
}

/// The queue and the media mirror: what the Remote tab polls while an upload runs. Read from
/// the catalogue alone, so asking is cheap and never waits for the remote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteStatus {
    /// Backups whose off-site copy is pending, uploading or failed, newest first.
    pub queue: Vec<BackupRecord>,
    pub progress: Option<RemoteProgress>,
    pub media: Option<MediaSyncStatus>,
}

/// One backup the remote holds, whether or not the local catalogue knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteCopy {
    pub name: String,
    /// When the backup was made (from its name, UTC).
    pub created_at: DateTime<Utc>,
    pub size_bytes: u64,
    pub modified_at: DateTime<Utc>,
    /// From `<name>.sha256`; `None` when the upload never finished its verification.
    pub sha256: Option<String>,
    /// The sidecar exists but cannot be read.
    pub sidecar_error: Option<String>,
    /// The local catalogue's newest record of this name, if any.
    pub backup_id: Option<i64>,
    /// The local file is on disk (else the copy is remote-only, and restorable from here).
    pub local_file: bool,
    pub state: Option<RemoteState>,
}

impl RemoteCopy {
    /// Uploaded, read back and vouched for by its sidecar.
    pub fn is_complete(&self) -> bool {
        self.sha256.is_some()
    }
}

/// `GET /api/backups/remote`: the whole Remote tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteView {
    /// `None`: no remote is configured (`BACKUP_REMOTE_URL` unset).
    pub config: Option<RemoteConfigView>,
    pub status: RemoteStatus,
    /// What the remote holds, oldest first; empty when it could not be listed.
    pub copies: Vec<RemoteCopy>,
    /// Why the remote could not be listed.
    pub listing_error: Option<String>,
}

/// The steps of the connection test.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumString, IntoStaticStr, VariantArray, Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum CheckStep {
    /// List the prefix: the service answers, accepts the credentials, and has the bucket. First,
    /// because some S3-compatible services create a missing bucket on the first write.
    Connect,
    Write,
    Read,
    List,
    Delete,
}

/// One step of the connection test that passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckStepTime {
    pub step: CheckStep,
    pub ms: u64,
}

/// `POST /api/backups/remote/check`: write, read, list and delete a probe object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteCheckReport {
    pub ok: bool,
    pub steps: Vec<CheckStepTime>,
    pub failed_step: Option<CheckStep>,
    /// Why, in words a person acts on.
    pub error: Option<String>,
}

/// `POST /api/backups/remote/restore`: restore from an off-site copy, by name, the name typed
/// again as the confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteRestoreRequest {
    pub name: String,
    pub confirm: String,
}

/// The red banner for the off-site side: an off-site copy that failed with no later success, a
/// backup removed locally before its copy was made, or a failed media mirror.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteAlert {
    pub at: DateTime<Utc>,
    pub backup_id: Option<i64>,
    pub message: String,
}
