//! What the dashboard and the JSON API exchange about backups. Shared by the server (which builds
//! them from the engine's records) and the WASM client.

use serde::{Deserialize, Serialize};

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
    };
}

wire_enum!(BackupStatus {
    Running => "running",
    Success => "success",
    Failed => "failed",
    Skipped => "skipped",
    Pruned => "pruned",
    Deleted => "deleted",
});

wire_enum!(BackupTrigger {
    Manual => "manual",
    Scheduled => "scheduled",
    Cli => "cli",
    PreRestore => "pre-restore",
    Upload => "upload",
});

/// One backup of the catalogue. Times are RFC 3339 in UTC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupView {
    pub id: i64,
    pub filename: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub size_bytes: Option<u64>,
    pub duration_ms: Option<u64>,
    pub copy_ms: Option<u64>,
    pub verify_ms: Option<u64>,
    pub status: BackupStatus,
    pub error: Option<String>,
    pub trigger: BackupTrigger,
    pub sha256: Option<String>,
    pub integrity_ok: Option<bool>,
    pub pruned_at: Option<String>,
    pub deleted_at: Option<String>,
    pub download_count: u64,
    pub last_downloaded_at: Option<String>,
    pub restored_at: Option<String>,
}

impl BackupView {
    /// Success and its file kept: it can be downloaded or restored.
    pub fn is_available(&self) -> bool {
        self.status == BackupStatus::Success
    }
}

/// `GET /api/backups`: one page of the history, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupPage {
    pub backups: Vec<BackupView>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

impl BackupPage {
    pub fn pages(&self) -> u32 {
        (self.total.div_ceil(u64::from(self.per_page.max(1))) as u32).max(1)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupEventView {
    pub at: String,
    /// created, verified, downloaded, restored, pruned, deleted, failed, …
    pub kind: String,
    pub detail: Option<String>,
}

/// `GET /api/backups/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupDetail {
    pub backup: BackupView,
    pub events: Vec<BackupEventView>,
    pub file_present: bool,
}

/// `GET /api/backups/progress`: the operation running now, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressView {
    /// backup, restore or upload.
    pub operation: String,
    /// e.g. copying, verifying, done, failed.
    pub phase: String,
    pub done: u64,
    pub total: u64,
    /// pages or bytes.
    pub unit: String,
    pub backup_id: Option<i64>,
    pub finished: bool,
    pub error: Option<String>,
}

impl ProgressView {
    /// 0–100.
    pub fn percent(&self) -> u32 {
        if self.finished && self.error.is_none() {
            return 100;
        }
        if self.total == 0 { 0 } else { ((self.done.min(self.total) * 100) / self.total) as u32 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressResponse {
    pub progress: Option<ProgressView>,
}

/// The schedule as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleView {
    /// The cron expression, or `off`.
    pub expression: String,
    pub enabled: bool,
    /// In plain words.
    pub description: String,
    /// The next three run times (RFC 3339, UTC).
    pub next_runs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupSettingsView {
    pub schedule: ScheduleView,
    /// Successful backups kept; 0 keeps all.
    pub retention: u32,
    /// What `BACKUP_SCHEDULE` says (used when the dashboard's setting is cleared).
    pub default_schedule: String,
    pub upload_max_bytes: u64,
}

/// `PUT /api/backups/settings`: each field present is changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSettingsUpdate {
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default)]
    pub retention: Option<u32>,
}

/// The activity cards.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatsView {
    pub last_24h: u64,
    pub successful: u64,
    pub failed: u64,
    pub pruned: u64,
    pub average_duration_ms: Option<u64>,
    pub total_size_bytes: u64,
}

/// A file in `BACKUP_DIR` that the catalogue does not know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrphanFile {
    pub name: String,
    pub size_bytes: u64,
    pub modified_at: Option<String>,
}

/// The Files tab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilesView {
    pub orphans: Vec<OrphanFile>,
    /// Records that say their file is on disk, but it is not.
    pub missing: Vec<BackupView>,
    pub backup_dir: String,
    pub available_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabaseStatsView {
    pub path: String,
    pub file_bytes: u64,
    pub wal_bytes: u64,
    pub page_size: i64,
    pub page_count: i64,
    pub freelist_pages: i64,
    pub sqlite_version: String,
    pub journal_mode: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrityView {
    pub at: String,
    pub ok: bool,
    pub problems: Vec<String>,
    pub duration_ms: u64,
}

/// The Database panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabasePanel {
    pub stats: DatabaseStatsView,
    pub last_check: Option<IntegrityView>,
}

/// The answer of `POST /api/database/{integrity-check|vacuum|checkpoint}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabaseActionResult {
    pub action: String,
    pub ok: bool,
    pub message: String,
    pub duration_ms: u64,
    pub stats: DatabaseStatsView,
}

/// `POST /api/backups/{id}/restore`: the file name, typed again as a confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreRequest {
    pub confirm: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreResult {
    pub restored_from: BackupView,
    pub safety_backup: BackupView,
    pub duration_ms: u64,
    pub message: String,
}

/// Everything `/backups` shows, in one answer (`GET /api/backups/dashboard`), so the server can
/// render the page whole and the client refresh it with one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub settings: BackupSettingsView,
    pub last_success: Option<BackupView>,
    /// The last failure, when no success came after it (the red banner).
    pub last_failure: Option<BackupView>,
    pub progress: Option<ProgressView>,
    pub stats: StatsView,
    pub history: BackupPage,
    /// Only when the Files tab is shown (the page loads the others' data when they open).
    pub files: Option<FilesView>,
    /// Only when the Database tab is shown.
    pub database: Option<DatabasePanel>,
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

/// "850 ms", "1.2 s", "2 min 5 s".
pub fn human_ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// "2026-11-25 14:03:07 UTC" from RFC 3339.
pub fn human_time(rfc3339: &str) -> String {
    if rfc3339.len() >= 19 {
        format!("{} {} UTC", &rfc3339[..10], &rfc3339[11..19])
    } else {
        rfc3339.to_string()
    }
}
