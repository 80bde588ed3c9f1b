//! Off-site copies, built on the storage layer (`backup::remote`): every successful backup,
//! whatever started it, is queued here and copied to the remote by a background uploader; the
//! catalogue records each copy's state; remote retention (`BACKUP_REMOTE_KEEP`) prunes old
//! copies; `media/` is mirrored after each copy; and a lost server is restored from the remote.
//!
//! - `queue.rs`: queueing, the uploader loop (backoff, resume at start, one uploader at a time
//!   across processes), and the CLI's upload of its own backup;
//! - `keep.rs`: the policy; `prune.rs`: applying it to the remote;
//! - `media.rs`: the mirror of `media/` and its last status;
//! - `fetch.rs`: restoring from an off-site copy (download, verify, catalogue, the one restore
//!   path, media);
//! - `report.rs`: what the dashboard and the CLI show (configuration, queue, listing, check,
//!   verification, the banner);
//! - `records.rs`: the catalogue's `remote_*` columns.
//!
//! The storage layer knows nothing of the catalogue; this module knows nothing of HTTP. Whatever
//! else later shares the remote (WAL segments under `replica/`) goes through
//! [`RemoteStore::put_bytes`] on the same store: [`BackupEngine::remote_store`].

mod fetch;
mod keep;
mod media;
mod prune;
mod queue;
mod records;
mod report;

pub use fetch::{RemoteChoice, RemoteRestoreOutcome};
pub use keep::{KeepPolicy, MAX_KEEP};
pub use queue::UploadOutcome;
pub(super) use records::remote_of;
pub use report::{RemoteVerification, remote_alert_of};

use super::{
    BackupEngine, BackupError,
    remote::{RemoteSettings, RemoteStore, Tuning},
};
use contract::backup::RemoteProgress;
use std::{
    fmt,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::sync::{Notify, watch};

/// The first wait after a failed copy; each further failure doubles it, up to [`MAX_BACKOFF`].
pub const DEFAULT_RETRY_BASE: Duration = Duration::from_secs(60);
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// How often the uploader looks for copies another process queued (`backup create --no-upload`).
pub const DEFAULT_POLL: Duration = Duration::from_secs(15);

/// The remote and how copies are made (from the environment; tests shorten the waits).
#[derive(Clone, Debug)]
pub struct RemoteConfig {
    pub settings: RemoteSettings,
    pub keep: KeepPolicy,
    /// `MEDIA_ROOT`, mirrored after each copy.
    pub media_root: PathBuf,
    pub tuning: Tuning,
    pub retry_base: Duration,
    pub poll: Duration,
}

impl RemoteConfig {
    pub fn new(settings: RemoteSettings, keep: KeepPolicy, media_root: PathBuf) -> Self {
        RemoteConfig {
            settings,
            keep,
            media_root,
            tuning: Tuning::default(),
            retry_base: DEFAULT_RETRY_BASE,
            poll: DEFAULT_POLL,
        }
    }

    /// The wait before attempt `attempts + 1`, after `attempts` failures.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(20));
        self.retry_base.saturating_mul(factor).min(MAX_BACKOFF.max(self.retry_base))
    }
}

/// The engine's off-site state: the configuration, the store (opened on first use, so a second
/// disk that is not mounted yet fails the copies, not the start), and the uploader's wake-up
/// and progress.
pub(super) struct Offsite {
    config: RemoteConfig,
    store: Mutex<Option<RemoteStore>>,
    wake: Notify,
    progress: watch::Sender<Option<RemoteProgress>>,
}

impl fmt::Debug for Offsite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Offsite").field("remote", &self.config.settings.to_string()).finish()
    }
}

impl Offsite {
    pub(super) fn new(config: RemoteConfig) -> Arc<Self> {
        Arc::new(Offsite { config, store: Mutex::new(None), wake: Notify::new(), progress: watch::Sender::new(None) })
    }

    fn store(&self) -> Result<RemoteStore, BackupError> {
        let mut slot = self.store.lock().map_err(|_| BackupError::Failed("the remote store is unusable".into()))?;
        if let Some(store) = slot.as_ref() {
            return Ok(store.clone());
        }
        let store = RemoteStore::open_with(&self.config.settings, self.config.tuning)?;
        *slot = Some(store.clone());
        Ok(store)
    }
}

impl BackupEngine {
    fn offsite(&self) -> Result<&Arc<Offsite>, BackupError> {
        self.inner.offsite.as_ref().ok_or(BackupError::NoRemote)
    }

    /// Whether `BACKUP_REMOTE_URL` is set.
    pub fn remote_configured(&self) -> bool {
        self.inner.offsite.is_some()
    }

    pub fn remote_config(&self) -> Option<&RemoteConfig> {
        self.inner.offsite.as_ref().map(|o| &o.config)
    }

    /// The remote's store, for the CLI's listings and for others sharing the remote (each area
    /// under its own key prefix).
    pub fn remote_store(&self) -> Result<RemoteStore, BackupError> {
        self.offsite()?.store()
    }

    /// The off-site copy being made now, if any (`None` between copies).
    pub fn subscribe_remote_progress(&self) -> Option<watch::Receiver<Option<RemoteProgress>>> {
        self.inner.offsite.as_ref().map(|o| o.progress.subscribe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let settings = RemoteSettings::from_lookup(|n| (n == "BACKUP_REMOTE_URL").then(|| "file:///tmp/x".to_string()))
            .unwrap()
            .unwrap();
        let config = RemoteConfig::new(settings, KeepPolicy::All, PathBuf::from("media"));
        let secs: Vec<u64> = [1, 2, 3, 4, 7, 8, 40].iter().map(|a| config.backoff(*a).as_secs()).collect();
        assert_eq!(secs, [60, 120, 240, 480, 3600, 3600, 3600]);
        assert_eq!(config.backoff(0).as_secs(), 60);
    }
}
