//! What the Remote tab and `smallstack backup remote …` show: the configuration (redacted), the
//! queue, what the remote holds (catalogued or not), the connection test, the verification of
//! every copy, and the off-site banner.

use crate::backup::{
    BackupEngine, BackupError, BackupRecord, EventKind, RemoteState, Status,
    remote::{RemoteTarget, TransferProgress},
};
use contract::{
    backup::{
        CheckStepTime, MediaSyncStatus, RemoteAlert, RemoteCheckReport, RemoteConfigView, RemoteCopy, RemoteKind,
        RemoteStatus, RemoteView,
    },
    format::human_time,
};
use std::collections::HashMap;

/// The result of re-reading one remote copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteVerification {
    pub name: String,
    pub size: u64,
    /// `None`: size and SHA-256 match the `.sha256` (and the catalogue, when it knows the copy).
    pub problem: Option<String>,
}

impl BackupEngine {
    /// The remote's settings as the dashboard shows them: bucket, prefix, endpoint, masked key
    /// id; never a secret.
    pub fn remote_config_view(&self) -> Option<RemoteConfigView> {
        let config = self.remote_config()?;
        let settings = &config.settings;
        let (kind, bucket, prefix, endpoint, region, key_id) = match &settings.target {
            RemoteTarget::S3(s3) => (
                RemoteKind::S3,
                Some(s3.bucket.clone()),
                Some(s3.prefix.clone()).filter(|p| !p.is_empty()),
                Some(s3.endpoint.as_ref().map_or_else(|| "AWS".to_string(), |e| e.to_string())),
                Some(s3.region.clone()),
                Some(s3.credentials.masked_key_id()),
            ),
            RemoteTarget::Folder(_) => (RemoteKind::Folder, None, None, None, None, None),
        };
        Some(RemoteConfigView {
            kind,
            url: settings.url().to_string(),
            bucket,
            prefix,
            endpoint,
            region,
            key_id,
            max_rate: settings.max_rate.map(|r| r.to_string()),
            keep: config.keep.to_string(),
        })
    }

    /// The queue, the copy in progress and the media mirror: from the catalogue alone.
    pub async fn remote_status(&self) -> Result<RemoteStatus, BackupError> {
        let Some(offsite) = &self.inner.offsite else { return Ok(RemoteStatus::default()) };
        // Read before any await: the watch's borrow guard is not Send.
        let progress = offsite.progress.borrow().clone();
        Ok(RemoteStatus {
            queue: self.inner.catalogue.remote_waiting().await?,
            progress,
            media: self.media_status().await?,
        })
    }

    /// The whole Remote tab; the remote is listed, and a listing that fails is shown as such.
    pub async fn remote_view(&self, records: &[BackupRecord]) -> Result<RemoteView, BackupError> {
        let status = self.remote_status().await?;
        if !self.remote_configured() {
            return Ok(RemoteView { config: None, status, copies: Vec::new(), listing_error: None });
        }
        let (copies, listing_error) = match self.list_remote_of(records).await {
            Ok(copies) => (copies, None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        Ok(RemoteView { config: self.remote_config_view(), status, copies, listing_error })
    }

    /// What the remote holds, oldest first, each matched with the local catalogue.
    pub async fn list_remote(&self) -> Result<Vec<RemoteCopy>, BackupError> {
        self.list_remote_of(&self.inner.catalogue.list().await?).await
    }

    async fn list_remote_of(&self, records: &[BackupRecord]) -> Result<Vec<RemoteCopy>, BackupError> {
        let store = self.remote_store()?;
        // Records come newest first: the first seen of a name is its newest record.
        let mut by_name: HashMap<&str, &BackupRecord> = HashMap::new();
        for r in records.iter().filter(|r| r.status != Status::Skipped) {
            by_name.entry(r.filename.as_str()).or_insert(r);
        }
        Ok(store
            .list_backups()
            .await?
            .into_iter()
            .map(|b| {
                let local = by_name.get(b.name.as_str()).copied();
                RemoteCopy {
                    created_at: b.name.timestamp().unwrap_or(b.last_modified),
                    name: b.name.to_string(),
                    size_bytes: b.size,
                    modified_at: b.last_modified,
                    sha256: b.sha256.map(String::from),
                    sidecar_error: b.sidecar_error,
                    backup_id: local.map(|r| r.id),
                    local_file: local.is_some_and(|r| self.file_path(r).is_ok()),
                    state: local.and_then(|r| r.remote.as_ref()).map(|r| r.state),
                }
            })
            .collect())
    }

    /// The connection test: list, write, read back, list and delete a probe object.
    pub async fn check_remote(&self) -> Result<RemoteCheckReport, BackupError> {
        let store = self.remote_store()?;
        let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Ok(match store.check().await {
            Ok(steps) => RemoteCheckReport {
                ok: true,
                steps: steps.into_iter().map(|(step, d)| CheckStepTime { step, ms: ms(d) }).collect(),
                failed_step: None,
                error: None,
            },
            Err(failure) => RemoteCheckReport {
                ok: false,
                steps: Vec::new(),
                failed_step: Some(failure.step),
                error: Some(failure.to_string()),
            },
        })
    }

    /// Re-reads every complete remote copy and checks its size and SHA-256 against its
    /// `.sha256`, and against the catalogue when it knows the backup. Copies without a sidecar
    /// (uploads that never finished) are reported as such. `progress` hears of each copy's bytes.
    pub async fn verify_remote(
        &self,
        progress: &(dyn Fn(&str, TransferProgress) + Send + Sync),
    ) -> Result<Vec<RemoteVerification>, BackupError> {
        let store = self.remote_store()?;
        let records = self.inner.catalogue.list().await?;
        let mut results = Vec::new();
        for copy in store.list_backups().await? {
            let name = copy.name.to_string();
            let known = records.iter().find(|r| r.filename == name && r.status != Status::Skipped);
            let problem = if let Some(error) = &copy.sidecar_error {
                Some(format!("its {name}.sha256 is unreadable: {error}"))
            } else if copy.sha256.is_none() {
                Some(format!("no {name}.sha256 beside it: an upload that never finished, not a usable copy"))
            } else {
                let report = |p: TransferProgress| progress(&name, p);
                match store.verify(&copy.name, &report, &self.inner.stopping).await {
                    Err(e) => Some(e.to_string()),
                    Ok(found) => match known {
                        Some(r) if r.sha256.as_deref().is_some_and(|s| s != found.sha256.as_str()) => Some(format!(
                            "the remote copy and its .sha256 agree ({found}) but the catalogue recorded SHA-256 {}",
                            r.sha256.as_deref().unwrap_or_default()
                        )),
                        Some(r) if r.size_bytes.is_some_and(|s| s != found.size) => Some(format!(
                            "it has {} bytes, the catalogue recorded {}",
                            found.size,
                            r.size_bytes.unwrap_or_default()
                        )),
                        _ => None,
                    },
                }
            };
            if let Some(r) = known.filter(|_| problem.is_none()) {
                let detail = format!("re-read from {}: size and SHA-256 match", copy.key);
                self.inner.catalogue.add_event(r.id, EventKind::RemoteVerified, Some(detail)).await?;
            }
            results.push(RemoteVerification { name, size: copy.size, problem });
        }
        Ok(results)
    }

    /// The off-site banner (see [`remote_alert_of`]).
    pub async fn remote_alert(&self, records: &[BackupRecord]) -> Result<Option<RemoteAlert>, BackupError> {
        if !self.remote_configured() {
            return Ok(None);
        }
        Ok(remote_alert_of(records, self.media_status().await?.as_ref()))
    }
}

/// The off-site banner, from records newest first: the newest failed copy when no newer copy
/// succeeded (a backup deleted by hand does not count), else a failed media mirror.
pub fn remote_alert_of(records: &[BackupRecord], media: Option<&MediaSyncStatus>) -> Option<RemoteAlert> {
    let state = |r: &BackupRecord| r.remote.as_ref().map(|x| x.state);
    let newest_copy = records
        .iter()
        .filter(|r| matches!(state(r), Some(RemoteState::Uploaded | RemoteState::Pruned)))
        .map(|r| r.id)
        .max();
    let failed = records.iter().find(|r| {
        state(r) == Some(RemoteState::Failed) && r.status != Status::Deleted && newest_copy.is_none_or(|n| r.id > n)
    });
    if let Some(r) = failed.and_then(|r| Some((r, r.remote.as_ref()?))) {
        let (record, remote) = r;
        let when = match remote.next_attempt_at {
            Some(next) => format!("attempt {}; next attempt at {}", remote.attempts, human_time(next)),
            None => "it will not be retried".to_string(),
        };
        return Some(RemoteAlert {
            at: record.finished_at.unwrap_or(record.created_at),
            backup_id: Some(record.id),
            message: format!(
                "The off-site copy of {} failed ({when}): {}",
                record.filename,
                remote.error.as_deref().unwrap_or("no reason recorded")
            ),
        });
    }
    let media = media.filter(|m| !m.ok)?;
    Some(RemoteAlert {
        at: media.at.unwrap_or_default(),
        backup_id: None,
        message: format!("The mirror of media/ failed: {}", media.error.as_deref().unwrap_or("no reason recorded")),
    })
}
