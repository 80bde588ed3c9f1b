//! Making a backup: copy, verify, checksum, publish under its name, record, then retention.

use super::{
    BackupEngine, BackupError, BackupName, BackupRecord, CurrentBackup, EventKind, FileCheck, Operation, Reporter,
    Status, Trigger, blocking, catalogue::Finished, elapsed_ms, files, sqlite,
};
use chrono::{DateTime, Utc};
use contract::{ClosedSet, format::human_bytes};
use std::{path::Path, time::Instant};
use tokio::{sync::oneshot, task::JoinHandle};

/// A backup that has started: its record (status `running`) and the task that finishes it.
pub struct StartedBackup {
    pub record: BackupRecord,
    /// Completes with the finished record, or why it failed. The backup goes on when this is
    /// dropped.
    pub finished: JoinHandle<Result<BackupRecord, BackupError>>,
    /// True when this start found a backup of this process already running and answers with
    /// that one rather than making a second (a double click on "Backup now").
    pub joined: bool,
}

/// Sets the process's current backup back to idle however the backup ends.
struct CurrentGuard(std::sync::Arc<tokio::sync::watch::Sender<CurrentBackup>>);

impl Drop for CurrentGuard {
    fn drop(&mut self) {
        self.0.send_replace(CurrentBackup::Idle);
    }
}

/// Told of a backup's record as soon as it exists.
pub(super) type OnStart = Box<dyn FnOnce(&BackupRecord) + Send>;

impl BackupEngine {
    /// Makes a backup now and waits for it: copy, verify, checksum, publish, record, then apply
    /// retention. Fails with [`BackupError::AlreadyRunning`] when another one runs; a `Scheduled`
    /// run then records a `skipped` entry.
    pub async fn create(&self, trigger: Trigger) -> Result<BackupRecord, BackupError> {
        let started = self.start(trigger).await?;
        started.finished.await.map_err(|e| BackupError::Failed(format!("the backup stopped unexpectedly: {e}")))?
    }

    /// Starts a backup on a task of its own and returns as soon as its record exists, with that
    /// record: a caller that answers before the copy ends can say which backup it started. When
    /// this process is already making a backup, an unscheduled start joins it (`joined`); a
    /// restore, or a backup of another process, is still [`BackupError::AlreadyRunning`].
    pub async fn start(&self, trigger: Trigger) -> Result<StartedBackup, BackupError> {
        let (on_start, started) = oneshot::channel();
        let this = self.clone();
        let finished = tokio::spawn(async move { this.create_now(trigger, on_start).await });
        match started.await {
            Ok(record) => Ok(StartedBackup { record, finished, joined: false }),
            // The task ended before it made a record: it was refused (busy, stopping, no space…).
            Err(_) => match finished.await {
                Ok(Err(e @ BackupError::AlreadyRunning { .. })) => match self.join_current(trigger).await {
                    Some(joined) => Ok(joined),
                    None => Err(e),
                },
                Ok(Err(e)) => Err(e),
                // Every backup sends its record before it can succeed; kept total all the same.
                Ok(Ok(record)) => Ok(StartedBackup {
                    record: record.clone(),
                    finished: tokio::spawn(async { Ok(record) }),
                    joined: false,
                }),
                Err(e) => Err(BackupError::Failed(format!("the backup stopped unexpectedly: {e}"))),
            },
        }
    }

    /// The backup this process is making, to answer a second start with. A scheduled run does
    /// not join (it records `skipped`).
    async fn join_current(&self, trigger: Trigger) -> Option<StartedBackup> {
        if trigger == Trigger::Scheduled {
            return None;
        }
        let mut current = self.inner.current.subscribe();
        let record = match &*current.wait_for(|c| !matches!(c, CurrentBackup::Starting)).await.ok()? {
            CurrentBackup::Running(record) => (**record).clone(),
            _ => return None,
        };
        let (this, id) = (self.clone(), record.id);
        let finished = tokio::spawn(async move {
            // Ends when that backup's guard sets the process idle (or another backup started).
            let _ = current.wait_for(|c| !matches!(c, CurrentBackup::Running(r) if r.id == id)).await;
            let record = this.get(id).await?;
            match record.status {
                Status::Success => Ok(record),
                _ => Err(BackupError::Failed(
                    record.error.clone().unwrap_or_else(|| format!("backup {id} did not finish")),
                )),
            }
        });
        Some(StartedBackup { record, finished, joined: true })
    }

    async fn create_now(
        &self,
        trigger: Trigger,
        on_start: oneshot::Sender<BackupRecord>,
    ) -> Result<BackupRecord, BackupError> {
        let _lock = match self.lock_unless_stopping() {
            Ok(lock) => lock,
            Err(e @ BackupError::AlreadyRunning { .. }) => {
                if trigger == Trigger::Scheduled {
                    let reason = e.to_string();
                    tracing::warn!("scheduled backup skipped: {reason}");
                    let record = self
                        .inner
                        .catalogue
                        .insert_final(trigger, Utc::now(), Status::Skipped, None, Some(&reason))
                        .await?;
                    self.inner.catalogue.add_event(record.id, EventKind::Skipped, Some(reason)).await?;
                }
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        // Dropped before the lock: a start that finds the lock free never sees this one's state.
        let current = CurrentGuard(self.inner.current.clone());
        current.0.send_replace(CurrentBackup::Starting);
        let announce = current.0.clone();
        let on_start: OnStart = Box::new(move |record: &BackupRecord| {
            announce.send_replace(CurrentBackup::Running(Box::new(record.clone())));
            // Nobody listening any more is fine: the backup goes on.
            let _ = on_start.send(record.clone());
        });
        let reporter = self.reporter(Operation::Backup);
        let record = self.snapshot(trigger, &reporter, Some(on_start)).await?;
        if trigger.is_prunable()
            && let Err(e) = self.apply_retention(Some(record.id)).await
        {
            tracing::error!(error = %e, "retention failed after backup {}", record.id);
        }
        Ok(record)
    }

    /// The first sequence number whose name is free on disk and in the catalogue.
    pub(super) async fn plan_name(&self, at: DateTime<Utc>) -> Result<(BackupName, u32), BackupError> {
        let mut sequence = 1;
        loop {
            let name = BackupName::for_time(at, sequence);
            if !self.inner.dir.join(name.as_str()).exists() && !self.inner.catalogue.name_taken(name.as_str()).await? {
                return Ok((name, sequence));
            }
            sequence += 1;
        }
    }

    /// One backup, with the lock already held by the caller. `on_start` hears of the record as
    /// soon as it exists.
    pub(super) async fn snapshot(
        &self,
        trigger: Trigger,
        reporter: &Reporter,
        on_start: Option<OnStart>,
    ) -> Result<BackupRecord, BackupError> {
        let started = Instant::now();
        let started_at = Utc::now();
        std::fs::create_dir_all(&self.inner.dir)
            .map_err(|e| BackupError::failed("cannot create the backup folder", e))?;
        let (name, sequence) = self.plan_name(started_at).await?;
        let tmp = files::temp_path(&self.inner.dir, name.as_str());
        let record = self.inner.catalogue.insert_running(name.as_str(), trigger, started_at, &tmp).await?;
        if let Some(on_start) = on_start {
            on_start(&record);
        }
        let reporter = reporter.with_backup_id(record.id);
        match self.snapshot_into(&tmp, started_at, sequence, &reporter).await {
            Ok((filename, copy_ms, check)) => {
                let finished = Finished {
                    filename,
                    size_bytes: check.size_bytes,
                    duration_ms: elapsed_ms(started),
                    copy_ms,
                    verify_ms: check.verify_ms,
                    sha256: check.sha256.clone(),
                };
                let record = self.inner.catalogue.mark_success(record.id, &finished).await?;
                let catalogue = &self.inner.catalogue;
                catalogue
                    .add_event(
                        record.id,
                        EventKind::Created,
                        Some(format!(
                            "{} ({}), copied in {} ms",
                            record.filename,
                            human_bytes(check.size_bytes),
                            copy_ms
                        )),
                    )
                    .await?;
                catalogue
                    .add_event(
                        record.id,
                        EventKind::Verified,
                        Some(format!("integrity_check ok; sha256 {}; {} ms", check.sha256, check.verify_ms)),
                    )
                    .await?;
                // Whatever started it (a restore's safety copy too), it goes off-site.
                let record = self.queue_upload(record).await;
                tracing::info!(
                    backup_id = record.id,
                    filename = %record.filename,
                    size = check.size_bytes,
                    duration_ms = finished.duration_ms,
                    trigger = trigger.as_str(),
                    "backup made"
                );
                reporter.finish(true);
                Ok(record)
            }
            Err((error, integrity_ok)) => {
                files::remove_temp(&tmp);
                let reason = error.to_string();
                let failed =
                    match self.inner.catalogue.mark_failed(record.id, &reason, elapsed_ms(started), integrity_ok).await
                    {
                        Ok(failed) => failed,
                        Err(e) => {
                            tracing::error!(error = %e, "cannot record the failure of backup {}", record.id);
                            record
                        }
                    };
                if let Err(e) = self.inner.catalogue.add_event(failed.id, EventKind::Failed, Some(reason)).await {
                    tracing::error!(error = %e, "cannot record the failure of backup {}", failed.id);
                }
                self.report_failure(Operation::Backup, Some(&failed), &error);
                reporter.finish(false);
                Err(error)
            }
        }
    }

    /// Copy, verification and publication; on error, also whether the integrity check failed.
    async fn snapshot_into(
        &self,
        tmp: &Path,
        started_at: DateTime<Utc>,
        sequence: u32,
        reporter: &Reporter,
    ) -> Result<(String, u64, FileCheck), (BackupError, Option<bool>)> {
        let dir = self.inner.dir.clone();
        let source = self.inner.app_db.path().to_path_buf();
        let (db, wal) = files::database_bytes(&source);
        files::check_space(&dir, db + wal, || files::describe_database_size(db, wal)).map_err(|e| (e, None))?;

        let copy_started = Instant::now();
        let (tmp_owned, cancel, r) = (tmp.to_path_buf(), self.inner.stopping.clone(), reporter.clone());
        blocking(move || sqlite::snapshot(&source, &tmp_owned, &cancel, &r)).await.map_err(|e| (e, None))?;
        let copy_ms = elapsed_ms(copy_started);

        let (tmp_owned, cancel, r) = (tmp.to_path_buf(), self.inner.stopping.clone(), reporter.clone());
        let check =
            blocking(move || sqlite::validate(&tmp_owned, "the new copy", sqlite::Purpose::OwnCopy, &cancel, &r))
                .await
                .map_err(|e| match e {
                    BackupError::Invalid { reason } => {
                        (BackupError::Failed(format!("verification failed: {reason}")), Some(false))
                    }
                    other => (other, None),
                })?;

        let tmp_owned = tmp.to_path_buf();
        let name = blocking(move || files::publish(&tmp_owned, &dir, started_at, sequence))
            .await
            .map_err(|e| (e, Some(true)))?;
        Ok((name.to_string(), copy_ms, check))
    }
}
