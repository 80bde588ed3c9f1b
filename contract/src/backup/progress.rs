//! The progress of the running backup, restore or upload.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use strum::{Display, EnumString, IntoStaticStr, VariantArray};

/// The operation whose progress is published, or whose failure is told (the off-site copy and
/// the media mirror run beside the others and publish their progress on their own).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumString, IntoStaticStr, VariantArray, Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Operation {
    Backup,
    Restore,
    Upload,
    /// A backup's off-site copy (upload, read-back, verification).
    OffsiteCopy,
    /// Mirroring `media/` to the remote.
    MediaSync,
}

/// The step an operation is in. A backup goes Copy → Verify → Checksum; an upload Receive →
/// Verify → Checksum; a restore Validate (copy of the source, Verify, Checksum) → SafetyBackup →
/// Restore, after Download when the source is an off-site copy.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumString, IntoStaticStr, VariantArray, Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Phase {
    /// Pages copied from the live database into the backup file.
    Copy,
    /// `PRAGMA integrity_check` and the schema checks (no measurable steps: 0/1, then 1/1).
    Verify,
    /// Bytes hashed with SHA-256.
    Checksum,
    /// Bytes of an upload received.
    Receive,
    /// A restore copies its source into a private staging file and checks it.
    Validate,
    /// A restore's safety copy of the live database (pages).
    SafetyBackup,
    /// Pages copied into the live database.
    Restore,
    /// Bytes of an off-site copy downloaded and hashed before a restore.
    Download,
    /// Finished successfully (done = total).
    Done,
    /// Finished with an error (the history says why).
    Failed,
}

impl Phase {
    pub fn is_finished(self) -> bool {
        matches!(self, Phase::Done | Phase::Failed)
    }

    /// In a word or two, for progress bars (the dashboard's and the CLI's).
    pub fn label(self) -> &'static str {
        match self {
            Phase::Copy => "copying",
            Phase::Verify => "verifying",
            Phase::Checksum => "checksumming",
            Phase::Receive => "receiving",
            Phase::Validate => "validating",
            Phase::SafetyBackup => "safety backup",
            Phase::Restore => "restoring",
            Phase::Download => "downloading",
            Phase::Done => "done",
            Phase::Failed => "failed",
        }
    }
}

/// What `done` and `total` count.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumString, IntoStaticStr, VariantArray, Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Unit {
    Pages,
    Bytes,
    Steps,
}

/// A snapshot of the running operation. `total` is 0 when unknown (an upload without a declared
/// size).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub operation: Operation,
    pub phase: Phase,
    pub done: u64,
    pub total: u64,
    pub unit: Unit,
    /// The catalogue record being made, once there is one.
    pub backup_id: Option<i64>,
    pub started_at: DateTime<Utc>,
}

impl Progress {
    pub fn is_finished(&self) -> bool {
        self.phase.is_finished()
    }

    /// Between 0.0 and 1.0, when the total is known.
    pub fn fraction(&self) -> Option<f64> {
        (self.total > 0).then(|| (self.done as f64 / self.total as f64).min(1.0))
    }

    /// 0–100.
    pub fn percent(&self) -> u32 {
        match self.phase {
            Phase::Done => 100,
            _ => self.fraction().map_or(0, |f| (f * 100.0) as u32),
        }
    }
}

/// `GET /api/backups/progress`: the operation running now or the last one, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressResponse {
    pub progress: Option<Progress>,
}
