//! The mirror of `media/` after each off-site copy, and its last status (kept in the settings
//! table, so the dashboard of any process shows it).

use super::Offsite;
use crate::backup::{
    BackupEngine, BackupError, Operation,
    remote::{MediaReport, RemoteStore, SyncOptions, sync_media},
};
use chrono::{DateTime, Utc};
use contract::backup::MediaSyncStatus;

/// The settings key of the last mirror's status (JSON).
const MEDIA_SETTING: &str = "remote.media";

fn status_of(report: &MediaReport, at: DateTime<Utc>) -> MediaSyncStatus {
    MediaSyncStatus {
        at: Some(at),
        ok: true,
        files: report.files as u64,
        transferred: report.transferred as u64,
        bytes: report.bytes,
        unchanged: report.unchanged as u64,
        marked_deleted: report.marked_deleted as u64,
        purged: report.purged as u64,
        skipped: report.skipped.len() as u64,
        first_skipped: report.skipped.first().map(|s| format!("{}: {}", s.path, s.reason)),
        elapsed_ms: report.elapsed_ms,
        error: None,
    }
}

impl BackupEngine {
    /// Mirrors `MEDIA_ROOT` now (only new or changed files travel) and records the outcome. A
    /// failure is logged, and told (webhook, banner) when the previous mirror had succeeded.
    /// Called with the remote lock held.
    pub(super) async fn sync_media_now(&self, offsite: &Offsite, store: &RemoteStore) -> Option<MediaSyncStatus> {
        let previous = self.media_status().await.ok().flatten();
        let at = Utc::now();
        let status = match sync_media(store, &offsite.config.media_root, &SyncOptions::default()).await {
            Ok(report) => {
                tracing::info!(
                    files = report.files,
                    sent = report.transferred,
                    bytes = report.bytes,
                    elapsed_ms = report.elapsed_ms,
                    "media mirrored off-site"
                );
                for skipped in &report.skipped {
                    tracing::warn!(path = %skipped.path, reason = %skipped.reason, "media file left out of the mirror");
                }
                status_of(&report, at)
            }
            Err(e) => {
                if previous.as_ref().is_none_or(|p| p.ok) {
                    self.report_failure(Operation::MediaSync, None, &BackupError::Failed(e.to_string()));
                } else {
                    tracing::warn!(error = %e, "the media mirror failed again");
                }
                MediaSyncStatus { at: Some(at), ok: false, error: Some(e.to_string()), ..MediaSyncStatus::default() }
            }
        };
        match serde_json::to_string(&status) {
            Ok(json) => {
                if let Err(e) = self.inner.catalogue.set_setting(MEDIA_SETTING, &json).await {
                    tracing::error!(error = %e, "cannot record the media mirror's status");
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot record the media mirror's status"),
        }
        Some(status)
    }

    /// The last mirror of `media/`, if any ran.
    pub async fn media_status(&self) -> Result<Option<MediaSyncStatus>, BackupError> {
        let Some(json) = self.inner.catalogue.setting(MEDIA_SETTING).await? else { return Ok(None) };
        Ok(serde_json::from_str(&json).ok())
    }
}
