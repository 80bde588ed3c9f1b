//! Telling someone about a failure: the log at error level and the notifier (the server posts it
//! to `BACKUP_WEBHOOK_URL`).

use super::{BackupEngine, BackupError, BackupRecord, Operation, Trigger};
use chrono::{DateTime, Utc};
use contract::ClosedSet;
use serde::Serialize;
use std::{fmt, path::PathBuf, sync::Arc};

/// A failure worth telling someone about, as the webhook sends it.
#[derive(Debug, Clone, Serialize)]
pub struct FailureNotice {
    pub operation: Operation,
    pub backup_id: Option<i64>,
    pub filename: Option<String>,
    pub trigger: Option<Trigger>,
    pub error: String,
    pub at: DateTime<Utc>,
    /// The application database concerned.
    pub database: PathBuf,
}

/// Receives [`FailureNotice`]s. It is called on the async task that failed, so it must not block:
/// the server's webhook spawns its request and returns.
#[derive(Clone)]
pub struct Notifier(Arc<dyn Fn(FailureNotice) + Send + Sync>);

impl Notifier {
    pub fn new(f: impl Fn(FailureNotice) + Send + Sync + 'static) -> Self {
        Notifier(Arc::new(f))
    }

    pub fn notify(&self, notice: FailureNotice) {
        (self.0)(notice)
    }
}

impl fmt::Debug for Notifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Notifier")
    }
}

impl BackupEngine {
    /// Logs a failure at error level and hands it to the notifier. Cancellation at shutdown is
    /// only a warning.
    pub(super) fn report_failure(&self, operation: Operation, record: Option<&BackupRecord>, error: &BackupError) {
        if matches!(error, BackupError::ShuttingDown) {
            tracing::warn!(
                operation = operation.as_str(),
                backup_id = record.map(|r| r.id),
                "{operation:?} cancelled: the process is stopping"
            );
            return;
        }
        tracing::error!(
            operation = operation.as_str(),
            backup_id = record.map(|r| r.id),
            filename = record.map(|r| r.filename.as_str()),
            error = %error,
            "{} failed",
            operation.as_str()
        );
        if let Some(notifier) = &self.inner.config.notifier {
            notifier.notify(FailureNotice {
                operation,
                backup_id: record.map(|r| r.id),
                filename: record.map(|r| r.filename.clone()).filter(|f| !f.is_empty()),
                trigger: record.map(|r| r.trigger),
                error: error.to_string(),
                at: Utc::now(),
                database: self.inner.app_db.path().to_path_buf(),
            });
        }
    }
}
