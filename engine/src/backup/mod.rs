//! Backups of the application database: online snapshots that never block writers, verified and
//! checksummed before they count, catalogued in the system database, pruned by retention,
//! scheduled in-process, restorable without a restart, and uploadable.
//!
//! [`BackupEngine`] is the one code path: the HTTP handlers, the CLI and the scheduler all call
//! it. One backup, restore, prune or delete runs at a time across processes (an exclusive `flock`
//! in `BACKUP_DIR`, see [`BackupLock`]).

mod catalogue;
mod error;
mod files;
mod name;
mod progress;
mod record;
pub mod remote;
mod restore;
mod schedule;
mod sqlite;
mod upload;

pub use error::BackupError;
pub use files::{BackupLock, LOCK_FILE, TEMP_PREFIX};
pub use name::BackupName;
pub use progress::{Operation, Phase, Progress, Unit};
pub use record::{BackupEvent, BackupRecord, EventKind, Status, Trigger};
pub use restore::{RestoreOutcome, RestoreSource};
pub use schedule::{BoxFuture, Clock, DEFAULT_SCHEDULE, ManualClock, Schedule, SystemClock};
pub use sqlite::FileCheck;

use crate::Database;
use catalogue::{Catalogue, Finished};
use chrono::{DateTime, Utc};
use progress::Reporter;
use serde::Serialize;
use std::{
    fmt,
    future::Future,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Instant,
};
use tokio::sync::watch;

/// How many successful backups retention keeps when `BACKUP_RETENTION` is not set.
pub const DEFAULT_RETENTION: u32 = 14;
/// The largest upload accepted when `BACKUP_UPLOAD_MAX` is not set: 1 GiB.
pub const DEFAULT_UPLOAD_MAX: u64 = 1 << 30;

/// Keys of the settings table that override the configured defaults at run time.
pub const SCHEDULE_SETTING: &str = "backup.schedule";
pub const RETENTION_SETTING: &str = "backup.retention";

/// The scheduler re-reads the schedule and the clock at least this often, so a change made by
/// another process or a jump of the wall clock is noticed within a minute.
const SCHEDULER_RECHECK_SECS: i64 = 60;

/// The settings a [`BackupEngine`] starts with (from the environment).
#[derive(Clone, Debug)]
pub struct BackupConfig {
    /// Successful backups to keep; 0 keeps all.
    pub retention: u32,
    /// The schedule when the settings table does not override it.
    pub schedule: Schedule,
    /// The largest accepted upload, in bytes.
    pub upload_max: u64,
    /// Told about every failure (the server posts it to `BACKUP_WEBHOOK_URL`).
    pub notifier: Option<Notifier>,
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            retention: DEFAULT_RETENTION,
            schedule: Schedule::default(),
            upload_max: DEFAULT_UPLOAD_MAX,
            notifier: None,
        }
    }
}

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

/// The dashboard's activity cards.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BackupStats {
    /// Backups started in the last 24 hours (skipped runs not counted).
    pub last_24h: u64,
    pub successful: u64,
    pub failed: u64,
    pub skipped: u64,
    pub pruned: u64,
    pub deleted: u64,
    pub running: u64,
    /// Mean duration of the backups whose file is kept or was kept.
    pub average_duration_ms: Option<u64>,
    /// Total size of the backups the catalogue says are on disk.
    pub total_size_bytes: u64,
}

/// Space used and free, for the dashboard's configuration tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiskUsage {
    pub backup_dir: PathBuf,
    /// Backup files on disk (names matching the pattern) and their total size.
    pub files: u64,
    pub bytes: u64,
    /// Free space of `BACKUP_DIR`'s filesystem.
    pub available_bytes: u64,
    pub database_bytes: u64,
    pub wal_bytes: u64,
}

/// A backup file found in `BACKUP_DIR`, catalogued or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupFile {
    pub name: BackupName,
    pub size_bytes: u64,
    pub modified_at: Option<DateTime<Utc>>,
    /// The catalogue record with this name, if any.
    pub backup_id: Option<i64>,
}

/// The backup engine. Cheap to clone; every clone shares the same state.
#[derive(Clone)]
pub struct BackupEngine {
    inner: Arc<Inner>,
}

struct Inner {
    app_db: Database,
    catalogue: Catalogue,
    dir: PathBuf,
    config: BackupConfig,
    progress: Arc<watch::Sender<Option<Progress>>>,
    /// Bumped whenever the schedule setting changes, to wake the scheduler.
    schedule_version: watch::Sender<u64>,
    /// Set when the process stops: running copies stop between steps, new operations are refused.
    stopping: Arc<AtomicBool>,
}

impl fmt::Debug for BackupEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackupEngine").field("dir", &self.inner.dir).field("config", &self.inner.config).finish()
    }
}

/// "1.5 MiB", "512 B".
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Runs blocking work on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, BackupError> + Send + 'static,
) -> Result<T, BackupError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| BackupError::Failed(format!("the operation stopped unexpectedly: {e}")))?
}

/// Runs an operation on a task of its own, so it finishes (or cleans up) even when the caller
/// stops waiting, e.g. an HTTP client that disconnects: a half-done operation must never lose its
/// lock while its copy is still running.
async fn detached<T: Send + 'static>(
    fut: impl Future<Output = Result<T, BackupError>> + Send + 'static,
) -> Result<T, BackupError> {
    tokio::spawn(fut).await.map_err(|e| BackupError::Failed(format!("the operation stopped unexpectedly: {e}")))?
}

impl BackupEngine {
    pub fn new(app_db: Database, system_db: Database, backup_dir: PathBuf, config: BackupConfig) -> Self {
        BackupEngine {
            inner: Arc::new(Inner {
                app_db,
                catalogue: Catalogue::new(system_db),
                dir: backup_dir,
                config,
                progress: Arc::new(watch::Sender::new(None)),
                schedule_version: watch::Sender::new(0),
                stopping: Arc::new(AtomicBool::new(false)),
            }),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    pub fn config(&self) -> &BackupConfig {
        &self.inner.config
    }

    pub fn upload_max(&self) -> u64 {
        self.inner.config.upload_max
    }

    /// Takes the lock that lets one backup, restore, prune or delete run at a time across
    /// processes, or fails at once with [`BackupError::AlreadyRunning`]. The engine's operations
    /// take it themselves; this is for maintenance and tests.
    pub fn lock(&self) -> Result<BackupLock, BackupError> {
        files::take_lock(&self.inner.dir)
    }

    fn refuse_if_stopping(&self) -> Result<(), BackupError> {
        if self.inner.stopping.load(Ordering::Relaxed) { Err(BackupError::ShuttingDown) } else { Ok(()) }
    }

    /// Called when the process starts stopping: a running backup stops at its next step (its
    /// record says failed, its temporary file is removed) and new operations are refused. A
    /// restore that already holds writes finishes.
    pub fn begin_shutdown(&self) {
        self.inner.stopping.store(true, Ordering::Relaxed);
    }

    /// Live progress of the running operation (`None` before the first one). The last value
    /// stays after it ends, with phase `Done` or `Failed`.
    pub fn subscribe_progress(&self) -> watch::Receiver<Option<Progress>> {
        self.inner.progress.subscribe()
    }

    pub fn progress(&self) -> Option<Progress> {
        self.inner.progress.borrow().clone()
    }

    fn reporter(&self, operation: Operation) -> Reporter {
        Reporter::new(self.inner.progress.clone(), operation)
    }

    /// Logs a failure at error level and hands it to the notifier. Cancellation at shutdown is
    /// only a warning.
    fn report_failure(&self, operation: Operation, record: Option<&BackupRecord>, error: &BackupError) {
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

    /// Marks backups left `running` by a process that died as failed and removes their temporary
    /// files, along with any other temporary file nobody holds. Called at every start of the
    /// server and the CLI. When another process holds the lock, its backup is alive and nothing
    /// is touched. Returns the ids marked failed.
    pub async fn recover_interrupted(&self) -> Result<Vec<i64>, BackupError> {
        let _lock = match self.lock() {
            Ok(lock) => lock,
            Err(BackupError::AlreadyRunning { pid }) => {
                tracing::info!(?pid, "a backup or restore is running in another process; not recovering");
                return Ok(Vec::new());
            }
            Err(e) => return Err(e),
        };
        let mut recovered = Vec::new();
        for record in self.inner.catalogue.with_status(Status::Running).await? {
            let reason = "interrupted: the process stopped before the backup finished";
            let duration = (Utc::now() - record.created_at).num_milliseconds().max(0) as u64;
            let failed = self.inner.catalogue.mark_failed(record.id, reason, duration, None).await?;
            self.inner.catalogue.add_event(record.id, EventKind::Failed, Some(reason.into())).await?;
            self.report_failure(Operation::Backup, Some(&failed), &BackupError::Failed(reason.into()));
            recovered.push(record.id);
        }
        for path in files::remove_stale_temps(&self.inner.dir) {
            tracing::info!(path = %path.display(), "removed a temporary file left by an interrupted operation");
        }
        Ok(recovered)
    }

    /// Makes a backup now: copy, verify, checksum, publish, record, then apply retention. Fails
    /// with [`BackupError::AlreadyRunning`] when another one runs; a `Scheduled` run then records
    /// a `skipped` entry.
    pub async fn create(&self, trigger: Trigger) -> Result<BackupRecord, BackupError> {
        let this = self.clone();
        detached(async move { this.create_now(trigger).await }).await
    }

    async fn create_now(&self, trigger: Trigger) -> Result<BackupRecord, BackupError> {
        self.refuse_if_stopping()?;
        let _lock = match self.lock() {
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
        let reporter = self.reporter(Operation::Backup);
        let record = self.snapshot(trigger, &reporter).await?;
        if trigger.is_prunable()
            && let Err(e) = self.apply_retention(Some(record.id)).await
        {
            tracing::error!(error = %e, "retention failed after backup {}", record.id);
        }
        Ok(record)
    }

    /// The first sequence number whose name is free on disk and in the catalogue.
    async fn plan_name(&self, at: DateTime<Utc>) -> Result<(BackupName, u32), BackupError> {
        let mut sequence = 1;
        loop {
            let name = BackupName::for_time(at, sequence);
            if !self.inner.dir.join(name.as_str()).exists() && !self.inner.catalogue.name_taken(name.as_str()).await? {
                return Ok((name, sequence));
            }
            sequence += 1;
        }
    }

    /// One backup, with the lock already held by the caller.
    async fn snapshot(&self, trigger: Trigger, reporter: &Reporter) -> Result<BackupRecord, BackupError> {
        let started = Instant::now();
        let started_at = Utc::now();
        std::fs::create_dir_all(&self.inner.dir)
            .map_err(|e| BackupError::failed(&format!("cannot create {}", self.inner.dir.display()), e))?;
        let (name, sequence) = self.plan_name(started_at).await?;
        let tmp = files::temp_path(&self.inner.dir, name.as_str());
        let record = self.inner.catalogue.insert_running(name.as_str(), trigger, started_at, &tmp).await?;
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
            blocking(move || sqlite::validate(&tmp_owned, "the new copy", &cancel, &r)).await.map_err(|e| match e {
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

    /// Applies retention: keeps the newest N successful backups made by the schedule or on demand
    /// (N from [`BackupEngine::retention`]; 0 keeps all) and prunes the others. `keep` is never
    /// pruned. Safety copies and uploads are left alone.
    async fn apply_retention(&self, keep: Option<i64>) -> Result<Vec<BackupRecord>, BackupError> {
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
        for record in prunable.into_iter().skip(n as usize) {
            if Some(record.id) == keep {
                continue;
            }
            let detail = format!("retention keeps the newest {n}");
            pruned.push(self.remove_file_of(record, Status::Pruned, EventKind::Pruned, detail).await?);
        }
        Ok(pruned)
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
            Err(e) => return Err(BackupError::failed(&format!("cannot remove {}", path.display()), e)),
        }
        let updated = self.inner.catalogue.mark_removed(record.id, status).await?;
        self.inner.catalogue.add_event(record.id, kind, Some(detail)).await?;
        tracing::info!(backup_id = record.id, filename = %record.filename, "backup {}", status.as_str());
        Ok(updated)
    }

    /// Applies retention now (`smallstack backup prune`). Returns the backups pruned.
    pub async fn prune(&self) -> Result<Vec<BackupRecord>, BackupError> {
        let this = self.clone();
        detached(async move {
            this.refuse_if_stopping()?;
            let _lock = this.lock()?;
            this.apply_retention(None).await
        })
        .await
    }

    /// Deletes a backup's file by hand (any trigger); the record stays with status `deleted`.
    pub async fn delete(&self, id: i64) -> Result<BackupRecord, BackupError> {
        let this = self.clone();
        detached(async move {
            let _lock = this.lock()?;
            let record = this.inner.catalogue.require(id).await?;
            if !record.has_file() {
                return Err(BackupError::NoFile { id, status: record.status });
            }
            this.remove_file_of(record, Status::Deleted, EventKind::Deleted, "deleted by hand".into()).await
        })
        .await
    }

    /// Newest first.
    pub async fn list(&self) -> Result<Vec<BackupRecord>, BackupError> {
        self.inner.catalogue.list().await
    }

    pub async fn get(&self, id: i64) -> Result<BackupRecord, BackupError> {
        self.inner.catalogue.require(id).await
    }

    /// The backup with this file name. The name is checked before anything else.
    pub async fn find_by_name(&self, name: &str) -> Result<BackupRecord, BackupError> {
        let name = BackupName::parse(name)?;
        self.inner
            .catalogue
            .by_name(name.as_str())
            .await?
            .ok_or_else(|| BackupError::NotFound(format!("no backup named {name}")))
    }

    /// The timeline of a backup, oldest first.
    pub async fn events(&self, id: i64) -> Result<Vec<BackupEvent>, BackupError> {
        self.inner.catalogue.require(id).await?;
        self.inner.catalogue.events(id).await
    }

    /// The file of a successful backup, for a download. Checks that it is still on disk.
    pub fn file_path(&self, record: &BackupRecord) -> Result<PathBuf, BackupError> {
        if !record.has_file() {
            return Err(BackupError::NoFile { id: record.id, status: record.status });
        }
        let name = BackupName::parse(&record.filename)?;
        let path = self.inner.dir.join(name.as_str());
        if !path.is_file() {
            return Err(BackupError::NotFound(format!(
                "the file of backup {} ({name}) is missing from {}",
                record.id,
                self.inner.dir.display()
            )));
        }
        Ok(path)
    }

    /// Resolves a download by name: the name is validated first (a bad one is
    /// [`BackupError::InvalidName`], never opened), then the catalogue and the file.
    pub async fn download_path(&self, name: &str) -> Result<(BackupRecord, PathBuf), BackupError> {
        let record = self.find_by_name(name).await?;
        let path = self.file_path(&record)?;
        Ok((record, path))
    }

    /// Counts a download and adds it to the timeline.
    pub async fn record_download(&self, id: i64) -> Result<BackupRecord, BackupError> {
        self.inner.catalogue.require(id).await?;
        self.inner.catalogue.count_download(id).await?;
        self.inner.catalogue.add_event(id, EventKind::Downloaded, None).await?;
        self.inner.catalogue.require(id).await
    }

    /// Verifies any database file as a restore would (header, integrity check, SmallStack
    /// migrations not newer than this binary) and computes its checksum. When the file is a
    /// catalogued backup in `BACKUP_DIR`, its checksum must also match the recorded one, and the
    /// check is added to its timeline. Never writes to the file.
    pub async fn verify_file(&self, path: &Path) -> Result<FileCheck, BackupError> {
        let owned = path.to_path_buf();
        let label = path.display().to_string();
        let reporter = Reporter::new(Arc::new(watch::Sender::new(None)), Operation::Backup);
        let check = blocking(move || sqlite::validate(&owned, &label, &AtomicBool::new(false), &reporter)).await?;
        if let Some(record) = self.catalogued(path).await? {
            if let Some(recorded) = record.sha256.as_deref().filter(|s| *s != check.sha256) {
                return Err(BackupError::invalid(format!(
                    "{}: its SHA-256 {} differs from the one recorded when backup {} was made ({recorded}): the file has changed",
                    path.display(),
                    check.sha256,
                    record.id
                )));
            }
            self.inner
                .catalogue
                .add_event(
                    record.id,
                    EventKind::Verified,
                    Some("re-verified: integrity_check ok, checksum matches".into()),
                )
                .await?;
        }
        Ok(check)
    }

    /// The successful catalogue record of a file, when `path` is a backup in `BACKUP_DIR`.
    async fn catalogued(&self, path: &Path) -> Result<Option<BackupRecord>, BackupError> {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
            return Ok(None);
        };
        let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
        let same_dir = match (parent.canonicalize(), self.inner.dir.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if !same_dir || BackupName::parse(name).is_err() {
            return Ok(None);
        }
        Ok(self.inner.catalogue.by_name(name).await?.filter(|r| r.has_file()))
    }

    /// The schedule in force: the dashboard's setting when there is one, else the configured
    /// default (`BACKUP_SCHEDULE`).
    pub async fn schedule(&self) -> Result<Schedule, BackupError> {
        match self.inner.catalogue.setting(SCHEDULE_SETTING).await? {
            Some(raw) => Ok(Schedule::parse(&raw).unwrap_or_else(|e| {
                tracing::error!(error = %e, "the stored backup schedule is invalid; using the configured one");
                self.inner.config.schedule.clone()
            })),
            None => Ok(self.inner.config.schedule.clone()),
        }
    }

    pub fn default_schedule(&self) -> &Schedule {
        &self.inner.config.schedule
    }

    /// Changes the schedule at run time (applies without restart). An invalid expression is
    /// refused with the parser's reason and the schedule stays as it was.
    pub async fn set_schedule(&self, expression: &str) -> Result<Schedule, BackupError> {
        let schedule = Schedule::parse(expression)?;
        self.inner.catalogue.set_setting(SCHEDULE_SETTING, schedule.expression()).await?;
        self.inner.schedule_version.send_modify(|v| *v += 1);
        tracing::info!(schedule = schedule.expression(), "backup schedule changed");
        Ok(schedule)
    }

    /// Drops the run-time schedule; the configured default applies again.
    pub async fn reset_schedule(&self) -> Result<Schedule, BackupError> {
        self.inner.catalogue.remove_setting(SCHEDULE_SETTING).await?;
        self.inner.schedule_version.send_modify(|v| *v += 1);
        Ok(self.inner.config.schedule.clone())
    }

    /// The next `n` scheduled runs from now (empty when off).
    pub async fn next_runs(&self, n: usize) -> Result<Vec<DateTime<Utc>>, BackupError> {
        Ok(self.schedule().await?.upcoming(Utc::now(), n))
    }

    /// How many successful backups retention keeps (0: all): the setting, else `BACKUP_RETENTION`.
    pub async fn retention(&self) -> Result<u32, BackupError> {
        match self.inner.catalogue.setting(RETENTION_SETTING).await? {
            Some(raw) => Ok(raw.parse().unwrap_or_else(|_| {
                tracing::error!(value = %raw, "the stored backup retention is invalid; using the configured one");
                self.inner.config.retention
            })),
            None => Ok(self.inner.config.retention),
        }
    }

    pub async fn set_retention(&self, keep: u32) -> Result<(), BackupError> {
        self.inner.catalogue.set_setting(RETENTION_SETTING, &keep.to_string()).await
    }

    /// Runs scheduled backups until `shutdown` completes. The schedule is re-read after every
    /// change and at least every minute; a run that finds another backup running is recorded as
    /// skipped. Times missed while the process was down are not caught up.
    pub async fn run_scheduler(&self, clock: Arc<dyn Clock>, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        let mut changes = self.inner.schedule_version.subscribe();
        loop {
            changes.borrow_and_update();
            let schedule = match self.schedule().await {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the backup schedule; using the configured one");
                    self.inner.config.schedule.clone()
                }
            };
            let now = clock.now();
            let next = schedule.next_after(now);
            let recheck = now + chrono::Duration::seconds(SCHEDULER_RECHECK_SECS);
            let wake = next.map_or(recheck, |n| n.min(recheck));
            tokio::select! {
                _ = &mut shutdown => return,
                _ = changes.changed() => continue,
                _ = clock.sleep_until(wake) => {}
            }
            let Some(next) = next else { continue };
            if clock.now() < next {
                continue;
            }
            tracing::info!(at = %next, "scheduled backup starting");
            // A failure is logged (and recorded as skipped or failed) by `create` itself.
            if let Ok(record) = self.create(Trigger::Scheduled).await {
                tracing::info!(backup_id = record.id, "scheduled backup done");
            }
        }
    }

    /// The most recent failed backup newer than the last successful one: what the dashboard's
    /// banner shows until a backup succeeds again.
    pub async fn last_failure(&self) -> Result<Option<BackupRecord>, BackupError> {
        Ok(last_failure_of(&self.inner.catalogue.list().await?).cloned())
    }

    /// Counts for the dashboard's activity cards.
    pub async fn stats(&self) -> Result<BackupStats, BackupError> {
        Ok(stats_of(&self.inner.catalogue.list().await?, Utc::now()))
    }

    /// Backup files on disk (names matching the pattern only), newest name first, with their
    /// catalogue ids.
    pub async fn files(&self) -> Result<Vec<BackupFile>, BackupError> {
        self.files_of(&self.inner.catalogue.list().await?)
    }

    /// [`Self::files`] matched against records already read.
    pub fn files_of(&self, records: &[BackupRecord]) -> Result<Vec<BackupFile>, BackupError> {
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(&self.inner.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(BackupError::failed(&format!("cannot list {}", self.inner.dir.display()), e)),
        };
        for entry in entries.flatten() {
            let Some(name) = entry.file_name().to_str().and_then(|n| BackupName::parse(n).ok()) else { continue };
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let backup_id = records.iter().find(|r| r.filename == name.as_str() && r.has_file()).map(|r| r.id);
            out.push(BackupFile {
                size_bytes: meta.len(),
                modified_at: meta.modified().ok().map(DateTime::<Utc>::from),
                backup_id,
                name,
            });
        }
        out.sort_by(|a, b| b.name.chronological_key().cmp(&a.name.chronological_key()));
        Ok(out)
    }

    /// Free space of `BACKUP_DIR`'s filesystem.
    pub fn available_space(&self) -> Result<u64, BackupError> {
        fs4::available_space(&self.inner.dir).map_err(|e| {
            BackupError::failed(&format!("cannot read the free space of {}", self.inner.dir.display()), e)
        })
    }

    /// Space used by backups and free in `BACKUP_DIR`, and the database's size.
    pub async fn disk_usage(&self) -> Result<DiskUsage, BackupError> {
        let files = self.files().await?;
        let (database_bytes, wal_bytes) = files::database_bytes(self.inner.app_db.path());
        let available_bytes = fs4::available_space(&self.inner.dir).map_err(|e| {
            BackupError::failed(&format!("cannot read the free space of {}", self.inner.dir.display()), e)
        })?;
        Ok(DiskUsage {
            backup_dir: self.inner.dir.clone(),
            files: files.len() as u64,
            bytes: files.iter().map(|f| f.size_bytes).sum(),
            available_bytes,
            database_bytes,
            wal_bytes,
        })
    }
}

/// The most recent failure when no backup succeeded after it (the dashboard's red banner), from
/// a list of records newest first.
pub fn last_failure_of(all: &[BackupRecord]) -> Option<&BackupRecord> {
    let last_success = all
        .iter()
        .filter(|r| matches!(r.status, Status::Success | Status::Pruned | Status::Deleted))
        .map(|r| r.id)
        .max();
    all.iter().find(|r| r.status == Status::Failed && last_success.is_none_or(|s| r.id > s))
}

/// The dashboard's activity cards, from a list of records.
pub fn stats_of(all: &[BackupRecord], now: DateTime<Utc>) -> BackupStats {
    let since = now - chrono::Duration::hours(24);
    let mut stats = BackupStats::default();
    let (mut duration_sum, mut duration_count) = (0u64, 0u64);
    for r in all {
        if r.created_at >= since && r.status != Status::Skipped {
            stats.last_24h += 1;
        }
        match r.status {
            Status::Running => stats.running += 1,
            Status::Success => {
                stats.successful += 1;
                stats.total_size_bytes += r.size_bytes.unwrap_or(0);
            }
            Status::Failed => stats.failed += 1,
            Status::Skipped => stats.skipped += 1,
            Status::Pruned => stats.pruned += 1,
            Status::Deleted => stats.deleted += 1,
        }
        if matches!(r.status, Status::Success | Status::Pruned | Status::Deleted)
            && let Some(d) = r.duration_ms
        {
            duration_sum += d;
            duration_count += 1;
        }
    }
    stats.average_duration_ms = (duration_count > 0).then(|| duration_sum / duration_count);
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(DEFAULT_UPLOAD_MAX), "1.0 GiB");
    }
}
