//! What the dashboard shows and asks: activity cards, settings, pages of the history, one
//! backup, the Files tab, restore, and the one-answer dashboard with its query.

use super::{BackupEvent, BackupRecord, Progress, RemoteAlert, RemoteView};
use crate::database::DatabasePanel;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use strum::{Display, EnumString, IntoStaticStr, VariantArray};

/// The dashboard's activity cards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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

/// The schedule as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleInfo {
    /// The cron expression, or `off`.
    pub expression: String,
    pub enabled: bool,
    /// In plain words, e.g. "every day at 02:00 UTC".
    pub description: String,
    /// The next three runs.
    pub next_runs: Vec<DateTime<Utc>>,
}

/// Schedule, retention and upload limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupSettings {
    pub schedule: ScheduleInfo,
    /// Successful backups kept; 0 keeps all.
    pub retention: u32,
    /// What `BACKUP_SCHEDULE` says (used when the dashboard's setting is cleared).
    pub default_schedule: String,
    pub upload_max_bytes: u64,
}

/// `PUT /api/backups/settings`: each field present is changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSettingsUpdate {
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default)]
    pub retention: Option<u32>,
}

/// Most backups one page of the history shows, and how many when not asked.
pub const DEFAULT_PER_PAGE: u32 = 25;
pub const MAX_PER_PAGE: u32 = 200;

/// `GET /api/backups`: one page of the history, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupPage {
    pub backups: Vec<BackupRecord>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

impl BackupPage {
    pub fn pages(&self) -> u32 {
        (self.total.div_ceil(u64::from(self.per_page.max(1))) as u32).max(1)
    }
}

/// `GET /api/backups/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupDetail {
    pub backup: BackupRecord,
    pub events: Vec<BackupEvent>,
    pub file_present: bool,
}

/// A backup file found in `BACKUP_DIR`, catalogued or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupFile {
    pub name: String,
    pub size_bytes: u64,
    pub modified_at: Option<DateTime<Utc>>,
    /// The catalogue record with this name, if any.
    pub backup_id: Option<i64>,
}

/// The Files tab: what is on disk and the catalogue disagree about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilesReport {
    /// Backup files with no record.
    pub orphans: Vec<BackupFile>,
    /// Records that say their file is on disk, but it is not.
    pub missing: Vec<BackupRecord>,
    pub backup_dir: String,
    pub available_bytes: u64,
}

/// `POST /api/backups/{id}/restore`: the file name, typed again as a confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreRequest {
    pub confirm: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreResult {
    pub restored_from: BackupRecord,
    pub safety_backup: BackupRecord,
    pub duration_ms: u64,
    pub message: String,
}

/// The tabs of the dashboard (`?tab=`): only the open tab's data comes with the page.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantArray,
    Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum DashboardTab {
    #[default]
    History,
    Files,
    Upload,
    Settings,
    Database,
    Remote,
}

impl DashboardTab {
    pub fn label(self) -> &'static str {
        match self {
            DashboardTab::History => "History",
            DashboardTab::Files => "Files",
            DashboardTab::Upload => "Upload",
            DashboardTab::Settings => "Settings",
            DashboardTab::Database => "Database",
            DashboardTab::Remote => "Remote",
        }
    }
}

/// `?page=`, `?per_page=` and `?tab=` of the dashboard page and of `GET /api/backups…`: a bad
/// value is refused (422 naming it), never silently replaced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardQuery {
    #[serde(default)]
    pub page: Option<u32>,
    #[serde(default)]
    pub per_page: Option<u32>,
    #[serde(default)]
    pub tab: Option<DashboardTab>,
}

/// A query value out of its range: the parameter and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    pub field: &'static str,
    pub message: String,
}

impl DashboardQuery {
    /// The page (from 1) and the page size (1 to [`MAX_PER_PAGE`]).
    pub fn page_and_size(&self) -> Result<(u32, u32), QueryError> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(DEFAULT_PER_PAGE);
        if page == 0 {
            return Err(QueryError { field: "page", message: "page starts at 1".into() });
        }
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(QueryError { field: "per_page", message: format!("per_page must be 1–{MAX_PER_PAGE}") });
        }
        Ok((page, per_page))
    }

    pub fn tab(&self) -> DashboardTab {
        self.tab.unwrap_or_default()
    }
}

/// Everything `/backups` shows, in one answer (`GET /api/backups/dashboard`), so the server can
/// render the page whole and the client refresh it with one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub settings: BackupSettings,
    pub last_success: Option<BackupRecord>,
    /// The last failure, when no success came after it (the red banner).
    pub last_failure: Option<BackupRecord>,
    pub progress: Option<Progress>,
    pub stats: BackupStats,
    pub history: BackupPage,
    /// Only when the Files tab is shown (the page loads the others' data when they open).
    pub files: Option<FilesReport>,
    /// Only when the Database tab is shown.
    pub database: Option<DatabasePanel>,
    /// The off-site side's red banner, when there is something to say.
    pub remote_alert: Option<RemoteAlert>,
    /// Only when the Remote tab is shown.
    pub remote: Option<RemoteView>,
}
