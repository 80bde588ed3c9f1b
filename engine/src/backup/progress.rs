//! Progress of the running backup, restore or upload, published on a `watch` channel that the
//! dashboard and the CLI read.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    Backup,
    Restore,
    Upload,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Backup => "backup",
            Operation::Restore => "restore",
            Operation::Upload => "upload",
        }
    }
}

/// The step an operation is in. A backup goes Copy → Verify → Checksum; an upload Receive →
/// Verify → Checksum; a restore Validate (copy of the source, Verify, Checksum) → SafetyBackup →
/// Restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
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
    /// Finished successfully (done = total).
    Done,
    /// Finished with an error.
    Failed,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Copy => "copy",
            Phase::Verify => "verify",
            Phase::Checksum => "checksum",
            Phase::Receive => "receive",
            Phase::Validate => "validate",
            Phase::SafetyBackup => "safety backup",
            Phase::Restore => "restore",
            Phase::Done => "done",
            Phase::Failed => "failed",
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(self, Phase::Done | Phase::Failed)
    }
}

/// What `done` and `total` count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unit {
    Pages,
    Bytes,
    Steps,
}

/// A snapshot of the running operation. `total` is 0 when unknown (an upload without a declared
/// size).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// Between 0.0 and 1.0, when the total is known.
    pub fn fraction(&self) -> Option<f64> {
        (self.total > 0).then(|| (self.done as f64 / self.total as f64).min(1.0))
    }
}

/// Publishes progress for one operation. Cheap to clone and usable from blocking threads.
#[derive(Clone)]
pub(crate) struct Reporter {
    tx: Arc<watch::Sender<Option<Progress>>>,
    operation: Operation,
    /// When set, every phase is reported as this one (a restore's safety backup reports its copy,
    /// verification and checksum as `SafetyBackup`).
    phase_override: Option<Phase>,
    backup_id: Option<i64>,
    started_at: DateTime<Utc>,
}

impl Reporter {
    pub(crate) fn new(tx: Arc<watch::Sender<Option<Progress>>>, operation: Operation) -> Self {
        Reporter { tx, operation, phase_override: None, backup_id: None, started_at: Utc::now() }
    }

    pub(crate) fn nested(&self, phase: Phase) -> Self {
        Reporter { phase_override: Some(phase), ..self.clone() }
    }

    pub(crate) fn with_backup_id(&self, id: i64) -> Self {
        Reporter { backup_id: Some(id), ..self.clone() }
    }

    pub(crate) fn is_nested(&self) -> bool {
        self.phase_override.is_some()
    }

    pub(crate) fn report(&self, phase: Phase, done: u64, total: u64, unit: Unit) {
        let phase = match (self.phase_override, phase) {
            (Some(over), p) if !p.is_finished() => over,
            (_, p) => p,
        };
        self.tx.send_replace(Some(Progress {
            operation: self.operation,
            phase,
            done,
            total,
            unit,
            backup_id: self.backup_id,
            started_at: self.started_at,
        }));
    }

    /// Marks the operation finished. A nested reporter leaves that to its parent.
    pub(crate) fn finish(&self, ok: bool) {
        if self.is_nested() {
            return;
        }
        let phase = if ok { Phase::Done } else { Phase::Failed };
        self.report(phase, 1, 1, Unit::Steps);
    }
}
