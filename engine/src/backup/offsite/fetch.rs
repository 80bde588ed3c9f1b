//! Restoring from an off-site copy: pick it (the newest verified one, or by name), download it
//! into `BACKUP_DIR` checked against its `.sha256` (and the catalogue's digest when the catalogue
//! knows it), record it as a backup (trigger `remote`), restore it through the one restore path
//! (validation, safety copy, writes held, no restart), then bring `media/` back. The same
//! function serves the dashboard and `smallstack backup restore --remote`, on a running server's
//! data folder or on a new machine with an empty one.

use super::records::Fetched;
use crate::backup::{
    BackupEngine, BackupError, BackupName, BackupRecord, EventKind, Operation, Phase, Reporter, RestoreOutcome,
    RestoreSource, Unit, blocking, detached, elapsed_ms, files,
    remote::{MediaReport, RemoteBackup, RemoteError, RemoteStore, TransferProgress, restore_media},
};
use contract::format::{human_bytes, human_ms};
use std::{sync::Arc, time::Instant};
use tokio::sync::watch;

/// Which off-site copy to restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteChoice {
    /// The newest copy with its `.sha256`.
    Latest,
    Name(BackupName),
}

impl RemoteChoice {
    /// `latest`, or a backup name; anything else (a path, a key outside `backups/`) is refused
    /// before the remote is asked.
    pub fn parse(raw: &str) -> Result<Self, BackupError> {
        if raw.trim() == "latest" {
            return Ok(RemoteChoice::Latest);
        }
        BackupName::parse(raw.trim()).map(RemoteChoice::Name)
    }
}

/// What a restore from an off-site copy did.
#[derive(Debug, Clone)]
pub struct RemoteRestoreOutcome {
    /// The copy's object key, with the prefix.
    pub key: String,
    /// Bytes downloaded and how long it took, downloading and hashing; `None` when the local
    /// copy was already the same file.
    pub downloaded: Option<(u64, u64)>,
    pub restore: RestoreOutcome,
    /// The restored backup's record (trigger `remote` when it was downloaded).
    pub record: BackupRecord,
    /// `media/` brought back from the mirror, or why not.
    pub media: Result<MediaReport, String>,
}

struct FetchedCopy {
    record: BackupRecord,
    key: String,
    downloaded: Option<(u64, u64)>,
}

impl BackupEngine {
    /// Restores the application database from an off-site copy, then brings `media/` back. A
    /// copy whose bytes differ from its `.sha256` (or from the digest the catalogue recorded) is
    /// refused with both digests named, and nothing is installed.
    pub async fn restore_remote(&self, choice: RemoteChoice) -> Result<RemoteRestoreOutcome, BackupError> {
        let this = self.clone();
        detached(async move { this.restore_remote_now(choice).await }).await
    }

    async fn restore_remote_now(&self, choice: RemoteChoice) -> Result<RemoteRestoreOutcome, BackupError> {
        self.refuse_if_stopping()?;
        let offsite = self.offsite()?.clone();
        let store = offsite.store()?;
        let reporter = self.reporter(Operation::Restore);
        let fetched = match self.fetch_copy(&store, &choice, &reporter).await {
            Ok(fetched) => fetched,
            Err(e) => {
                if e.is_client_error() {
                    tracing::warn!(error = %e, "restore from the remote refused");
                } else {
                    self.report_failure(Operation::Restore, None, &e);
                }
                reporter.finish(false);
                return Err(e);
            }
        };
        let restore = match self.restore(RestoreSource::Id(fetched.record.id)).await {
            Ok(outcome) => outcome,
            Err(e) => {
                if fetched.downloaded.is_some() && matches!(e, BackupError::Invalid { .. }) {
                    // Not a usable backup after all: it must not stay, looking like one.
                    self.discard_fetched(&fetched.record, &e.to_string()).await;
                }
                return Err(e);
            }
        };
        let media = restore_media(&store, &offsite.config.media_root).await.map_err(|e| {
            tracing::error!(error = %e, "media/ could not be fully brought back from the remote");
            e.to_string()
        });
        let record = self.inner.catalogue.require(fetched.record.id).await?;
        Ok(RemoteRestoreOutcome { key: fetched.key, downloaded: fetched.downloaded, restore, record, media })
    }

    async fn fetch_copy(
        &self,
        store: &RemoteStore,
        choice: &RemoteChoice,
        reporter: &Reporter,
    ) -> Result<FetchedCopy, BackupError> {
        let copies = store.list_backups().await?;
        let copy = match choice {
            RemoteChoice::Latest => copies.iter().rev().find(|c| c.is_complete()).ok_or_else(|| {
                BackupError::NotFound(format!("the remote {} holds no verified backup", store.description()))
            })?,
            RemoteChoice::Name(name) => copies
                .iter()
                .find(|c| c.name == *name)
                .ok_or_else(|| BackupError::NotFound(format!("there is no backup named {name} on the remote")))?,
        };
        let expected = expected_digest(copy)?;
        let name = &copy.name;
        let local = self.inner.catalogue.by_name(name.as_str()).await?;
        if let Some(recorded) = local.as_ref().and_then(|r| r.sha256.as_deref()).filter(|r| *r != expected.as_str()) {
            return Err(BackupError::invalid(format!(
                "the remote copy {name} does not match the catalogue: its {name}.sha256 says SHA-256 {expected}, \
                 the catalogue recorded {recorded} when the backup was made; it is not restored"
            )));
        }
        // The same bytes on disk already (known by the catalogue): no download needed.
        if let Some(record) = local.filter(|r| self.file_path(r).is_ok()) {
            return Ok(FetchedCopy { record, key: copy.key.clone(), downloaded: None });
        }
        let dest = self.inner.dir.join(name.as_str());
        let started = Instant::now();
        let downloaded = if dest.exists() {
            // Left by an earlier attempt that stopped before recording it: usable if identical.
            let (path, cancel) = (dest.clone(), self.inner.stopping.clone());
            let quiet = Reporter::new(Arc::new(watch::Sender::new(None)), Operation::Restore);
            let found = blocking(move || files::sha256_file(&path, &cancel, &quiet)).await?;
            if found != expected.as_str() {
                return Err(BackupError::invalid(format!(
                    "{} already exists and is not the remote copy (SHA-256 {found}, the remote's is {expected}): \
                     move it away, or restore it with `smallstack backup restore {}`",
                    dest.display(),
                    dest.display()
                )));
            }
            None
        } else {
            std::fs::create_dir_all(&self.inner.dir)
                .map_err(|e| BackupError::failed(&format!("cannot create {}", self.inner.dir.display()), e))?;
            files::check_space(&self.inner.dir, copy.size, || format!("the download {}", human_bytes(copy.size)))?;
            let progress =
                |p: TransferProgress| reporter.report(Phase::Download, p.done, p.total.max(copy.size), Unit::Bytes);
            let measured = store.download_file(name, &dest, Some(&expected), &progress, &self.inner.stopping).await?;
            Some((measured.size, elapsed_ms(started)))
        };
        let record = self
            .inner
            .catalogue
            .insert_fetched(&Fetched {
                filename: name.as_str(),
                created_at: name.timestamp().unwrap_or(copy.last_modified),
                size_bytes: copy.size,
                sha256: expected.as_str(),
                duration_ms: elapsed_ms(started),
                key: &copy.key,
                uploaded_at: copy.last_modified,
            })
            .await?;
        let how = match downloaded {
            Some((bytes, ms)) => format!("downloaded {} ({}) in {}", copy.key, human_bytes(bytes), human_ms(ms)),
            None => format!("found in the backup folder, identical to {}", copy.key),
        };
        let detail = format!("{how}; SHA-256 {expected} matches {name}.sha256");
        self.inner.catalogue.add_event(record.id, EventKind::RemoteFetched, Some(detail)).await?;
        tracing::info!(backup_id = record.id, key = %copy.key, "off-site copy fetched for a restore");
        Ok(FetchedCopy { record, key: copy.key.clone(), downloaded })
    }

    async fn discard_fetched(&self, record: &BackupRecord, reason: &str) {
        if let Ok(name) = BackupName::parse(&record.filename) {
            let _ = std::fs::remove_file(self.inner.dir.join(name.as_str()));
        }
        if let Err(e) = self.inner.catalogue.mark_fetched_unusable(record.id, reason).await {
            tracing::error!(backup_id = record.id, error = %e, "cannot record the unusable off-site copy");
        }
    }
}

/// The digest a copy must have: its sidecar's. A copy without a readable sidecar is never used.
fn expected_digest(copy: &RemoteBackup) -> Result<crate::backup::remote::Sha256Digest, BackupError> {
    match (&copy.sha256, &copy.sidecar_error) {
        (Some(digest), _) => Ok(digest.clone()),
        (None, Some(error)) => Err(BackupError::invalid(format!(
            "the remote copy {} cannot be checked: its {}.sha256 is unreadable ({error}), so it is not used",
            copy.name, copy.name
        ))),
        (None, None) => Err(RemoteError::NoChecksum { name: copy.name.to_string() }.into()),
    }
}
