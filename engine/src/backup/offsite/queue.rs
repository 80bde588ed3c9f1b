//! The upload queue. Every successful backup is queued (`pending`) as it is recorded; an uploader
//! copies what is due, newest first, and records the outcome. One uploader runs at a time across
//! processes (an exclusive `flock` on `BACKUP_DIR/.remote.lock`): the server's background task,
//! or `smallstack backup create` uploading its own backup. A failure is recorded with its reason,
//! told once per backup (log, webhook, banner) and retried with backoff; a copy cut short by a
//! stop goes back to `pending`, and the next start resumes it.

use super::{Offsite, records::Uploaded};
use crate::backup::{
    BackupEngine, BackupError, BackupName, BackupRecord, EventKind, Operation, RemoteState, detached, elapsed_ms,
    remote::{Expected, RemoteError, Sha256Digest, TransferPhase, TransferProgress},
};
use chrono::{DateTime, Utc};
use contract::{
    backup::{MediaSyncStatus, RemoteProgress},
    format::{human_bytes, human_ms, human_time},
};
use std::{
    fs::{File, OpenOptions, TryLockError},
    future::Future,
    path::Path,
    sync::{Arc, Mutex, atomic::Ordering},
    time::{Duration, Instant},
};

/// The uploader's lock file in `BACKUP_DIR` (not a backup name: never listed nor served).
pub const REMOTE_LOCK_FILE: &str = ".remote.lock";
/// How often an uploader that found the lock taken tries again.
const LOCK_RETRY: Duration = Duration::from_millis(250);

/// Held while this process uploads, prunes the remote or mirrors `media/`. The kernel releases
/// it when the process dies.
struct RemoteLock {
    _file: File,
}

fn try_remote_lock(dir: &Path) -> Result<Option<RemoteLock>, BackupError> {
    std::fs::create_dir_all(dir).map_err(|e| BackupError::failed(&format!("cannot create {}", dir.display()), e))?;
    let path = dir.join(REMOTE_LOCK_FILE);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| BackupError::failed(&format!("cannot open {}", path.display()), e))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(RemoteLock { _file: file })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(BackupError::failed(&format!("cannot lock {}", path.display()), e)),
    }
}

/// What `smallstack backup create` did off-site.
#[derive(Debug, Clone)]
pub struct UploadOutcome {
    /// The backup, its `remote` saying how the copy went.
    pub record: BackupRecord,
    /// Copies that remote retention removed afterwards.
    pub pruned: Vec<String>,
    /// The mirror of `media/` that followed.
    pub media: Option<MediaSyncStatus>,
}

impl BackupEngine {
    /// Queues a backup just recorded as successful for its off-site copy and wakes the uploader.
    /// Without a remote the record is returned as it is. A failure to queue is logged: the
    /// backup itself stands.
    pub(in crate::backup) async fn queue_upload(&self, record: BackupRecord) -> BackupRecord {
        let Some(offsite) = &self.inner.offsite else { return record };
        match self.inner.catalogue.set_remote_pending(record.id).await {
            Ok(queued) => {
                offsite.wake.notify_one();
                queued
            }
            Err(e) => {
                tracing::error!(backup_id = record.id, error = %e, "cannot queue the backup for its off-site copy");
                record
            }
        }
    }

    /// Makes failed copies that wait for a retry due now, and wakes the uploader. Returns how many.
    pub async fn retry_uploads(&self) -> Result<u64, BackupError> {
        let offsite = self.offsite()?;
        let n = self.inner.catalogue.retry_failed_now().await?;
        offsite.wake.notify_one();
        Ok(n)
    }

    /// The server's uploader: copies what is due until `shutdown` completes, sleeping until the
    /// next backup is queued, the next retry is due, or [`super::RemoteConfig::poll`] passes (to
    /// notice copies queued by another process). Copies interrupted by an earlier stop are
    /// resumed first. An upload in progress stops at its next block once the engine is shutting
    /// down ([`BackupEngine::begin_shutdown`]).
    pub async fn run_uploads(&self, shutdown: impl Future<Output = ()> + Send) {
        let Some(offsite) = self.inner.offsite.clone() else { return };
        tokio::pin!(shutdown);
        tracing::info!(remote = %offsite.config.settings, keep = %offsite.config.keep, "off-site copies enabled");
        loop {
            if self.inner.stopping.load(Ordering::Relaxed) {
                return;
            }
            let due = self.inner.catalogue.due_uploads(Utc::now()).await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "cannot read the off-site queue");
                Vec::new()
            });
            if due.is_empty() {
                let wait = match self.inner.catalogue.next_retry().await {
                    Ok(Some(at)) => (at - Utc::now()).to_std().unwrap_or(Duration::ZERO).min(offsite.config.poll),
                    _ => offsite.config.poll,
                };
                tokio::select! {
                    () = &mut shutdown => return,
                    () = offsite.wake.notified() => {}
                    () = tokio::time::sleep(wait) => {}
                }
                continue;
            }
            let lock = match try_remote_lock(&self.inner.dir) {
                Ok(Some(lock)) => lock,
                Ok(None) | Err(_) => {
                    // Another process is uploading (the CLI), or the folder is unusable (the
                    // backups themselves say so): look again shortly.
                    tokio::select! {
                        () = &mut shutdown => return,
                        () = tokio::time::sleep(LOCK_RETRY * 8) => {}
                    }
                    continue;
                }
            };
            self.drain(&offsite, due).await;
            drop(lock);
        }
    }

    /// Uploads the given backups (the remote lock held), then prunes the remote and mirrors
    /// `media/` when at least one copy was made.
    async fn drain(&self, offsite: &Arc<Offsite>, due: Vec<BackupRecord>) {
        match self.inner.catalogue.requeue_interrupted_uploads().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(copies = n, "resuming off-site copies interrupted by a stop"),
            Err(e) => tracing::error!(error = %e, "cannot requeue interrupted off-site copies"),
        }
        let mut uploaded = false;
        for record in due {
            if self.inner.stopping.load(Ordering::Relaxed) {
                return;
            }
            match self.upload_one(offsite, record.id).await {
                Ok(r) => uploaded |= r.remote.is_some_and(|x| x.state == RemoteState::Uploaded),
                Err(e) => tracing::error!(backup_id = record.id, error = %e, "cannot make the off-site copy"),
            }
        }
        if uploaded && !self.inner.stopping.load(Ordering::Relaxed) {
            self.after_uploads(offsite).await;
        }
    }

    /// `smallstack backup create`: uploads backup `id` now, waiting for another process's
    /// uploader first if one runs, then prunes the remote and mirrors `media/`. The copy's
    /// failure is in the returned record (and told like the server's), not an `Err`.
    pub async fn upload_copy_now(&self, id: i64) -> Result<UploadOutcome, BackupError> {
        let offsite = self.offsite()?.clone();
        let this = self.clone();
        detached(async move {
            let _lock = loop {
                this.refuse_if_stopping()?;
                if let Some(lock) = try_remote_lock(&this.inner.dir)? {
                    break lock;
                }
                tokio::time::sleep(LOCK_RETRY).await;
            };
            this.inner.catalogue.requeue_interrupted_uploads().await?;
            let record = this.upload_one(&offsite, id).await?;
            let (pruned, media) = match record.remote.as_ref().map(|r| r.state) {
                Some(RemoteState::Uploaded) => this.after_uploads(&offsite).await,
                _ => (Vec::new(), None),
            };
            Ok(UploadOutcome { record, pruned, media })
        })
        .await
    }

    /// Remote retention and the media mirror, each logged on failure (the media mirror also
    /// told once, and shown in the banner, like a failed copy).
    async fn after_uploads(&self, offsite: &Arc<Offsite>) -> (Vec<String>, Option<MediaSyncStatus>) {
        let store = match offsite.store() {
            Ok(store) => store,
            Err(e) => {
                tracing::error!(error = %e, "cannot open the remote");
                return (Vec::new(), None);
            }
        };
        let pruned = self.prune_remote(offsite, &store).await.unwrap_or_else(|e| {
            tracing::error!(error = %e, "remote retention failed");
            Vec::new()
        });
        let media = self.sync_media_now(offsite, &store).await;
        (pruned, media)
    }

    /// One attempt at the off-site copy of backup `id`, when it still waits for one. Returns the
    /// record as it then stands.
    async fn upload_one(&self, offsite: &Offsite, id: i64) -> Result<BackupRecord, BackupError> {
        let catalogue = &self.inner.catalogue;
        let record = catalogue.require(id).await?;
        let Some(remote) =
            record.remote.clone().filter(|r| matches!(r.state, RemoteState::Pending | RemoteState::Failed))
        else {
            return Ok(record);
        };
        let (path, expected, name) = match self.upload_source(&record) {
            Ok(source) => source,
            Err(reason) => return self.give_up(&record, remote.state, &reason).await,
        };
        if !catalogue.claim_upload(id).await? {
            return catalogue.require(id).await;
        }
        let attempt = remote.attempts + 1;
        let started = Instant::now();
        let started_at = Utc::now();
        let read_back_at: Mutex<Option<Instant>> = Mutex::new(None);
        let progress = |p: TransferProgress| {
            if p.phase == TransferPhase::ReadBack
                && let Ok(mut at) = read_back_at.lock()
            {
                at.get_or_insert_with(Instant::now);
            }
            offsite.progress.send_replace(Some(RemoteProgress {
                backup_id: id,
                filename: record.filename.clone(),
                phase: p.phase,
                done: p.done,
                total: p.total,
                started_at,
            }));
        };
        offsite.progress.send_replace(Some(RemoteProgress {
            backup_id: id,
            filename: record.filename.clone(),
            phase: TransferPhase::Upload,
            done: 0,
            total: expected.size,
            started_at,
        }));
        let result = match offsite.store() {
            Ok(store) => store.upload_file(&path, &name, &expected, &progress, &self.inner.stopping).await,
            Err(BackupError::Remote(e)) => Err(e),
            Err(e) => Err(RemoteError::InvalidSettings(e.to_string())),
        };
        offsite.progress.send_replace(None);
        match result {
            Ok(up) => {
                let total_ms = elapsed_ms(started);
                let upload_ms = read_back_at
                    .lock()
                    .ok()
                    .and_then(|at| *at)
                    .map_or(total_ms, |at| u64::try_from(at.duration_since(started).as_millis()).unwrap_or(0));
                let uploaded = Uploaded {
                    key: up.key.clone(),
                    at: up.uploaded_at,
                    upload_ms,
                    verify_ms: total_ms.saturating_sub(upload_ms),
                };
                let done = catalogue.mark_uploaded(id, &uploaded).await?;
                let rate = up.size.saturating_mul(1000) / upload_ms.max(1);
                let detail = format!(
                    "copied to {} ({}) in {} ({}/s), read back and verified in {}; {}",
                    up.key,
                    human_bytes(up.size),
                    human_ms(upload_ms),
                    human_bytes(rate),
                    human_ms(uploaded.verify_ms),
                    if up.parts == 0 { "one request".to_string() } else { format!("{} parts", up.parts) }
                );
                catalogue.add_event(id, EventKind::RemoteUploaded, Some(detail)).await?;
                tracing::info!(backup_id = id, key = %up.key, size = up.size, upload_ms, "off-site copy made");
                Ok(done)
            }
            Err(RemoteError::Cancelled) => {
                tracing::warn!(backup_id = id, "off-site copy interrupted by the stop; it resumes at the next start");
                catalogue.mark_upload_interrupted(id).await
            }
            Err(e) => {
                let next = Utc::now() + chrono::Duration::from_std(offsite.config.backoff(attempt)).unwrap_or_default();
                let failed = catalogue.mark_upload_failed(id, &e.to_string(), Some(next)).await?;
                let detail = format!("attempt {attempt} failed: {e}; next attempt at {}", human_time(next));
                catalogue.add_event(id, EventKind::RemoteFailed, Some(detail)).await?;
                self.tell_upload_failure(&failed, remote.state, BackupError::Remote(e), Some(next));
                Ok(failed)
            }
        }
    }

    /// The local file and what the catalogue knows of it, or why there is nothing to upload.
    fn upload_source(&self, record: &BackupRecord) -> Result<(std::path::PathBuf, Expected, BackupName), String> {
        let path = self
            .file_path(record)
            .map_err(|e| format!("the local file is gone, so no off-site copy can be made: {e}"))?;
        let (Some(size), Some(sha256)) = (record.size_bytes, record.sha256.as_deref()) else {
            return Err("the catalogue has no size or SHA-256 for it, so its copy could not be checked".into());
        };
        let sha256 = Sha256Digest::parse(sha256).map_err(|e| format!("its recorded SHA-256 is unusable: {e}"))?;
        let name = BackupName::parse(&record.filename).map_err(|e| e.to_string())?;
        Ok((path, Expected { size, sha256 }, name))
    }

    /// A copy that can never be made: failed for good, with the reason, told once.
    async fn give_up(
        &self,
        record: &BackupRecord,
        previous: RemoteState,
        reason: &str,
    ) -> Result<BackupRecord, BackupError> {
        let failed = self.inner.catalogue.mark_upload_failed(record.id, reason, None).await?;
        self.inner
            .catalogue
            .add_event(record.id, EventKind::RemoteFailed, Some(format!("{reason}; not retried")))
            .await?;
        self.tell_upload_failure(&failed, previous, BackupError::Failed(reason.to_string()), None);
        Ok(failed)
    }

    /// Log, webhook and banner for the first failure of a copy; later retries that fail again
    /// are only logged, so an outage does not flood the webhook.
    fn tell_upload_failure(
        &self,
        record: &BackupRecord,
        previous: RemoteState,
        error: BackupError,
        next: Option<DateTime<Utc>>,
    ) {
        if previous == RemoteState::Failed {
            tracing::warn!(backup_id = record.id, error = %error, next = ?next, "off-site copy failed again");
        } else {
            self.report_failure(Operation::OffsiteCopy, Some(record), &error);
        }
    }

    /// Local retention removed a backup before its copy was made (the disk was short of space):
    /// it is lost off-site, and everyone is told.
    pub(in crate::backup) async fn lost_before_upload(&self, record: &BackupRecord, why: &str) {
        let reason = format!("removed from the backup folder before its off-site copy was made: {why}");
        tracing::error!(backup_id = record.id, filename = %record.filename, "{reason}");
        // Told even after earlier failed attempts: this is a loss, not one more failure.
        if let Err(e) = self.give_up(record, RemoteState::Pending, &reason).await {
            tracing::error!(backup_id = record.id, error = %e, "cannot record the lost off-site copy");
        }
    }
}
