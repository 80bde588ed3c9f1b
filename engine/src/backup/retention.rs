//! Retention and deletion: which successful backups are kept, and removing a backup's file while
//! its record stays.

use super::{BackupEngine, BackupError, BackupName, BackupRecord, EventKind, Status, detached, files};
use contract::ClosedSet;

/// The key of the settings table that overrides `BACKUP_RETENTION` at run time.
pub(super) const RETENTION_SETTING: &str = "backup.retention";

/// The largest retention accepted, wherever it comes from: more is surely a typo.
pub const MAX_RETENTION: u32 = 100_000;

impl BackupEngine {
    /// How many successful backups retention keeps (0: all): the setting, else `BACKUP_RETENTION`.
    pub async fn retention(&self) -> Result<u32, BackupError> {
        match self.inner.catalogue.setting(RETENTION_SETTING).await? {
            Some(raw) => Ok(raw.parse().ok().filter(|n| *n <= MAX_RETENTION).unwrap_or_else(|| {
                tracing::error!(value = %raw, "the stored backup retention is invalid; using the configured one");
                self.inner.config.retention
            })),
            None => Ok(self.inner.config.retention),
        }
    }

    /// Changes retention at run time (0 keeps all; at most [`MAX_RETENTION`]). It applies at the
    /// next backup or `prune`.
    pub async fn set_retention(&self, keep: u32) -> Result<(), BackupError> {
        check_retention(keep)?;
        self.inner.catalogue.set_setting(RETENTION_SETTING, &keep.to_string()).await
    }

    /// Applies retention now (`smallstack backup prune`). Returns the backups pruned.
    pub async fn prune(&self) -> Result<Vec<BackupRecord>, BackupError> {
        let this = self.clone();
        detached(async move {
            let _lock = this.lock_unless_stopping()?;
            this.apply_retention(None).await
        })
        .await
    }

    /// Deletes a backup's file by hand (any trigger); the record stays with status `deleted`.
    pub async fn delete(&self, id: i64) -> Result<BackupRecord, BackupError> {
        let this = self.clone();
        detached(async move {
            let _lock = this.lock_unless_stopping()?;
            let record = this.inner.catalogue.require(id).await?;
            if !record.has_file() {
                return Err(BackupError::NoFile { id, status: record.status });
            }
            let waiting = record.remote.as_ref().is_some_and(|r| r.state.is_waiting());
            let deleted =
                this.remove_file_of(record, Status::Deleted, EventKind::Deleted, "deleted by hand".into()).await?;
            if waiting {
                // Asked for by a person: the copy is dropped from the queue, without an alarm.
                this.inner
                    .catalogue
                    .mark_upload_failed(id, "deleted by hand before its off-site copy was made", None)
                    .await?;
                return this.inner.catalogue.require(id).await;
            }
            Ok(deleted)
        })
        .await
    }

    /// Keeps the newest N successful backups made by the schedule or on demand (N from
    /// [`BackupEngine::retention`]; 0 keeps all) and prunes the others. `keep` is never pruned.
    /// Safety copies and uploads are left alone. So is an older backup whose off-site copy is
    /// not made yet (it is the only copy), unless `BACKUP_DIR` lacks the room for one more
    /// backup: then it is pruned all the same, and the log, the webhook and the banner say so.
    pub(super) async fn apply_retention(&self, keep: Option<i64>) -> Result<Vec<BackupRecord>, BackupError> {
        let n = self.retention().await?;
        if n == 0 {
            return Ok(Vec::new());
        }
        let prunable: Vec<BackupRecord> = self
            .inner
            .catalogue
            .with_status(Status::Success)
            .await?
            .into_iter()
            .filter(|r| r.trigger.is_prunable())
            .collect();
        let mut pruned = Vec::new();
        let mut short_of_space = None;
        for record in prunable.into_iter().skip(n as usize) {
            if Some(record.id) == keep {
                continue;
            }
            let waiting = record.remote.as_ref().is_some_and(|r| r.state.is_waiting());
            if waiting {
                let short = short_of_space.get_or_insert_with(|| self.space_shortage());
                if short.is_none() {
                    tracing::info!(backup_id = record.id, "kept beyond retention: its off-site copy is not made yet");
                    continue;
                }
            }
            let detail = format!("retention keeps the newest {n}");
            let removed = self.remove_file_of(record.clone(), Status::Pruned, EventKind::Pruned, detail).await?;
            if let (true, Some(Some(why))) = (waiting, &short_of_space) {
                self.lost_before_upload(&removed, why).await;
            }
            pruned.push(self.inner.catalogue.require(removed.id).await?);
        }
        Ok(pruned)
    }

    /// Why `BACKUP_DIR` is short of space (no room for one more backup of the database as it is
    /// now, plus 10 %), or `None` when it is not.
    fn space_shortage(&self) -> Option<String> {
        let (db, wal) = files::database_bytes(self.inner.app_db.path());
        files::check_space(&self.inner.dir, db + wal, || files::describe_database_size(db, wal))
            .err()
            .map(|e| e.to_string())
    }

    /// Deletes a successful backup's file and records it as `status` (pruned or deleted).
    async fn remove_file_of(
        &self,
        record: BackupRecord,
        status: Status,
        kind: EventKind,
        detail: String,
    ) -> Result<BackupRecord, BackupError> {
        let name = BackupName::parse(&record.filename)?;
        let path = self.inner.dir.join(name.as_str());
        match std::fs::remove_file(&path) {
            Ok(()) => {
                let _ = files::sync_dir(&self.inner.dir);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(path = %path.display(), "backup file was already gone");
            }
            Err(e) => return Err(BackupError::failed(&format!("cannot remove {name}"), e)),
        }
        let updated = self.inner.catalogue.mark_removed(record.id, status).await?;
        self.inner.catalogue.add_event(record.id, kind, Some(detail)).await?;
        tracing::info!(backup_id = record.id, filename = %record.filename, "backup {}", status.as_str());
        Ok(updated)
    }
}

/// 0 (keep all) to [`MAX_RETENTION`].
pub fn check_retention(keep: u32) -> Result<(), BackupError> {
    if keep > MAX_RETENTION {
        return Err(BackupError::InvalidRetention { value: keep, max: MAX_RETENTION });
    }
    Ok(())
}
