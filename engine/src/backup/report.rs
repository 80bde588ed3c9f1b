//! What the dashboard shows of the catalogue: the activity cards, the failure banner, pages of
//! the history, and the Files tab (what is on disk against what the catalogue says).

use super::{BackupEngine, BackupError, BackupFile, BackupName, BackupRecord, BackupStats, FilesReport, Status, files};
use chrono::{DateTime, Utc};
use contract::backup::BackupPage;
use serde::Serialize;
use std::path::PathBuf;

/// Space used and free, for the CLI and the dashboard.
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

impl BackupEngine {
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
            Err(e) => return Err(BackupError::failed("cannot list the backup folder", e)),
        };
        let mut named = Vec::new();
        for entry in entries.flatten() {
            let Some(name) = entry.file_name().to_str().and_then(|n| BackupName::parse(n).ok()) else { continue };
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let backup_id = records.iter().find(|r| r.filename == name.as_str() && r.has_file()).map(|r| r.id);
            named.push((name, meta.len(), meta.modified().ok().map(DateTime::<Utc>::from), backup_id));
        }
        named.sort_by(|a, b| b.0.chronological_key().cmp(&a.0.chronological_key()));
        for (name, size_bytes, modified_at, backup_id) in named {
            out.push(BackupFile { name: name.to_string(), size_bytes, modified_at, backup_id });
        }
        Ok(out)
    }

    /// The Files tab: files with no record, and records whose file is gone.
    pub fn files_report(&self, records: &[BackupRecord]) -> Result<FilesReport, BackupError> {
        let files = self.files_of(records)?;
        let missing = records
            .iter()
            .filter(|r| r.has_file() && !files.iter().any(|f| f.backup_id == Some(r.id)))
            .cloned()
            .collect();
        Ok(FilesReport {
            orphans: files.into_iter().filter(|f| f.backup_id.is_none()).collect(),
            missing,
            backup_dir: self.inner.dir.display().to_string(),
            available_bytes: self.available_space()?,
        })
    }

    /// Free space of `BACKUP_DIR`'s filesystem.
    pub fn available_space(&self) -> Result<u64, BackupError> {
        fs4::available_space(&self.inner.dir)
            .map_err(|e| BackupError::failed("cannot read the free space of the backup folder", e))
    }

    /// Space used by backups and free in `BACKUP_DIR`, and the database's size.
    pub async fn disk_usage(&self) -> Result<DiskUsage, BackupError> {
        let files = self.files().await?;
        let (database_bytes, wal_bytes) = files::database_bytes(self.inner.app_db.path());
        Ok(DiskUsage {
            backup_dir: self.inner.dir.clone(),
            files: files.len() as u64,
            bytes: files.iter().map(|f| f.size_bytes).sum(),
            available_bytes: self.available_space()?,
            database_bytes,
            wal_bytes,
        })
    }
}

/// One page of a history (newest first), for a page and size already checked. A page past the
/// end (the history shrank since the link was made) shows the last one.
pub fn page_of(all: &[BackupRecord], page: u32, per_page: u32) -> BackupPage {
    let per_page = per_page.max(1);
    let pages = (all.len() as u32).div_ceil(per_page).max(1);
    let page = page.clamp(1, pages);
    BackupPage {
        backups: all.iter().skip(((page - 1) * per_page) as usize).take(per_page as usize).cloned().collect(),
        page,
        per_page,
        total: all.len() as u64,
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
