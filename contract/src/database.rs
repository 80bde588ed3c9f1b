//! The database panel of the dashboard and `smallstack db`: facts about the application database,
//! the maintenance actions, and the record of the last integrity check.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use strum::{Display, EnumString, IntoStaticStr, VariantArray};

/// Facts about the application database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseStats {
    pub path: String,
    pub file_bytes: u64,
    pub wal_bytes: u64,
    pub page_size: i64,
    pub page_count: i64,
    pub freelist_pages: i64,
    pub sqlite_version: String,
    pub journal_mode: String,
}

/// The outcome of an integrity check of both databases, run from the dashboard or the CLI; the
/// last one is recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityRecord {
    pub at: DateTime<Utc>,
    /// Both databases passed.
    pub ok: bool,
    pub databases: Vec<DatabaseCheck>,
    pub duration_ms: u64,
}

impl IntegrityRecord {
    pub fn problem_count(&self) -> usize {
        self.databases.iter().map(|d| d.problems.len()).sum()
    }
}

/// `PRAGMA integrity_check` of one database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseCheck {
    /// `application` or `system`.
    pub database: String,
    pub path: String,
    /// Empty when the answer was `ok`.
    pub problems: Vec<String>,
    pub duration_ms: u64,
}

/// The database panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabasePanel {
    pub stats: DatabaseStats,
    pub last_check: Option<IntegrityRecord>,
}

/// What the panel's buttons and `smallstack db check|vacuum|checkpoint` run
/// (`POST /api/database/{action}`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumString, IntoStaticStr, VariantArray, Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum MaintenanceAction {
    /// `PRAGMA integrity_check` of both databases, recorded.
    IntegrityCheck,
    /// `VACUUM`, then a checkpoint so the WAL does not keep the old pages.
    Vacuum,
    /// `PRAGMA wal_checkpoint(TRUNCATE)`.
    Checkpoint,
}

/// The outcome of a [`MaintenanceAction`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceReport {
    pub action: MaintenanceAction,
    pub ok: bool,
    /// A sentence saying what happened.
    pub message: String,
    pub duration_ms: u64,
    /// The database's facts afterwards.
    pub stats: DatabaseStats,
    /// The check itself, for [`MaintenanceAction::IntegrityCheck`].
    pub integrity: Option<IntegrityRecord>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn serde_and_strum_name_every_action_alike() {
        crate::assert_names_agree::<super::MaintenanceAction>();
    }
}
