//! Publishing the progress of the running backup, restore or upload on a `watch` channel that
//! the dashboard and the CLI read. (What a progress value holds is shared with the client:
//! `contract::backup::Progress`.)

use super::{Operation, Phase, Progress, Unit};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tokio::sync::watch;

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
