//! Backups of the application database: online snapshots that never block writers, verified and
//! checksummed before they count, catalogued in the system database, pruned by retention,
//! scheduled in-process, restorable without a restart, and uploadable.
//!
//! [`BackupEngine`] is the one code path: the HTTP handlers, the CLI and the scheduler all call
//! it. One backup, restore, prune or delete runs at a time across processes (an exclusive `flock`
//! in `BACKUP_DIR`, see [`BackupLock`]). This file holds the engine itself (its state, the lock,
//! progress, lookups); each operation lives in a file of its own:
//!
//! - `create.rs`: making a backup; `upload.rs`: receiving one; `restore.rs`: restoring one;
//! - `retention.rs`: pruning and deleting; `scheduler.rs`: the schedule setting and the loop that
//!   runs it (`schedule.rs` is the cron expression itself, `cron_words.rs` puts it into words);
//! - `report.rs`: what the dashboard's cards, banner, history and Files tab show;
//! - `notify.rs`: telling someone about a failure; `catalogue.rs`: the records in the system
//!   database; `files.rs` and `sqlite.rs`: the work on files and SQLite, on blocking threads;
//! - `offsite/`: the off-site copies (queue, uploader, remote retention, media mirror, restore
//!   from the remote), built on the storage layer in `remote/`.

mod catalogue;
mod create;
mod cron_words;
mod error;
mod files;
mod name;
mod notify;
mod offsite;
mod progress;
pub mod remote;
pub mod replica;
mod report;
mod restore;
mod retention;
mod schedule;
mod scheduler;
mod sqlite;
mod upload;

pub use contract::backup::{
    BackupEvent, BackupFile, BackupRecord, BackupSettings, BackupStats, EventKind, FilesReport, Operation, Phase,
    Progress, RemoteRecord, RemoteState, ScheduleInfo, Status, Trigger, Unit,
};
pub use create::StartedBackup;
pub use error::BackupError;
pub use files::{BackupLock, LOCK_FILE, TEMP_PREFIX};
pub use name::BackupName;
pub use notify::{FailureNotice, Notifier};
pub use offsite::{
    DEFAULT_POLL, DEFAULT_RETRY_BASE, KeepPolicy, MAX_BACKOFF, MAX_KEEP, RemoteChoice, RemoteConfig,
    RemoteRestoreOutcome, RemoteVerification, UploadOutcome, remote_alert_of,
};
pub use report::{DiskUsage, last_failure_of, page_of, stats_of};
pub use restore::{RestoreOutcome, RestoreSource};
pub use retention::MAX_RETENTION;
pub use schedule::{BoxFuture, Clock, DEFAULT_SCHEDULE, ManualClock, Schedule, SystemClock};
pub use sqlite::FileCheck;

use crate::Database;
use catalogue::Catalogue;
use progress::Reporter;
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
    /// Where off-site copies go (`BACKUP_REMOTE_URL`…); `None`: backups stay local only.
    pub remote: Option<RemoteConfig>,
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            retention: DEFAULT_RETENTION,
            schedule: Schedule::default(),
            upload_max: DEFAULT_UPLOAD_MAX,
            notifier: None,
            remote: None,
        }
    }
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
    /// The backup this process is making (not a restore's safety copy), so a second start can
    /// answer with it instead of making another.
    current: Arc<watch::Sender<CurrentBackup>>,
    /// Bumped whenever the schedule setting changes, to wake the scheduler.
    schedule_version: watch::Sender<u64>,
    /// Set when the process stops: running copies stop between steps, new operations are refused.
    stopping: Arc<AtomicBool>,
    /// The off-site copies, when a remote is configured.
    offsite: Option<Arc<offsite::Offsite>>,
}

impl fmt::Debug for BackupEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackupEngine").field("dir", &self.inner.dir).field("config", &self.inner.config).finish()
    }
}

/// Where this process's own backup stands.
#[derive(Debug, Clone)]
enum CurrentBackup {
    Idle,
    /// It holds the lock and is making its record (a moment).
    Starting,
    /// Boxed: a record is large, and the other states carry nothing.
    Running(Box<BackupRecord>),
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
                progress: Arc::new(watch::Sender::new(None)),
                current: Arc::new(watch::Sender::new(CurrentBackup::Idle)),
                schedule_version: watch::Sender::new(0),
                stopping: Arc::new(AtomicBool::new(false)),
                offsite: config.remote.clone().map(offsite::Offsite::new),
                config,
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

    /// Every operation that changes backups starts here (create, restore, prune, delete): refused
    /// while the process stops, else it holds the lock until the returned guard is dropped.
    fn lock_unless_stopping(&self) -> Result<BackupLock, BackupError> {
        self.refuse_if_stopping()?;
        self.lock()
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
            let duration = (chrono::Utc::now() - record.created_at).num_milliseconds().max(0) as u64;
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
            .ok_or_else(|| BackupError::NotFound(format!("there is no backup named {name}")))
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
                "the file of backup {} ({name}) is missing from the backup folder",
                record.id
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
        let check = blocking(move || {
            sqlite::validate(&owned, &label, sqlite::Purpose::Source, &AtomicBool::new(false), &reporter)
        })
        .await?;
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
}
