//! What the catalogue (the `backups` and `backup_events` tables of the system database) holds,
//! as typed values.

use crate::entities::{backup, backup_event};
use chrono::{DateTime, Utc};
use sea_orm::DbErr;
use serde::Serialize;
use std::{fmt, str::FromStr};

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text stored in the database and shown to people.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(concat!("unknown ", stringify!($name), " {:?}"), other)),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// Where a backup stands.
    Status {
        /// Being made now (or interrupted by a crash, until the next start marks it failed).
        Running => "running",
        /// Made and verified; its file is in `BACKUP_DIR`.
        Success => "success",
        /// Not made; `error` says why. No file.
        Failed => "failed",
        /// A scheduled run that found another backup or restore running. No file.
        Skipped => "skipped",
        /// Removed by retention; `pruned_at` says when.
        Pruned => "pruned",
        /// Removed by hand; `deleted_at` says when.
        Deleted => "deleted",
    }
}

text_enum! {
    /// What started a backup.
    Trigger {
        /// "Backup now" in the dashboard.
        Manual => "manual",
        /// The in-process scheduler.
        Scheduled => "scheduled",
        /// `smallstack backup create`.
        Cli => "cli",
        /// The safety copy a restore takes first.
        PreRestore => "pre-restore",
        /// A file uploaded through the dashboard.
        Upload => "upload",
    }
}

impl Trigger {
    /// Retention prunes only backups made by the schedule or on demand; safety copies and
    /// uploads are removed only by hand.
    pub fn is_prunable(self) -> bool {
        matches!(self, Trigger::Manual | Trigger::Scheduled | Trigger::Cli)
    }
}

text_enum! {
    /// One step in a backup's timeline.
    EventKind {
        Created => "created",
        Verified => "verified",
        Downloaded => "downloaded",
        Restored => "restored",
        Pruned => "pruned",
        Deleted => "deleted",
        Failed => "failed",
        Skipped => "skipped",
    }
}

/// One backup in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupRecord {
    pub id: i64,
    /// `db-YYYYMMDD-HHMMSS(-N).sqlite3`; empty for a skipped run, which never had a file.
    pub filename: String,
    /// When the backup started (or the upload was received).
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub size_bytes: Option<u64>,
    /// Whole operation, copy and verification (integrity check plus checksum), in milliseconds.
    pub duration_ms: Option<u64>,
    pub copy_ms: Option<u64>,
    pub verify_ms: Option<u64>,
    pub status: Status,
    pub error: Option<String>,
    pub trigger: Trigger,
    /// Hex SHA-256 of the file.
    pub sha256: Option<String>,
    /// The result of `PRAGMA integrity_check` on the copy, when it got that far.
    pub integrity_ok: Option<bool>,
    pub pruned_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub download_count: u64,
    pub last_downloaded_at: Option<DateTime<Utc>>,
    /// The last time the live database was restored from this backup.
    pub restored_at: Option<DateTime<Utc>>,
}

impl BackupRecord {
    /// True when the catalogue says the file exists in `BACKUP_DIR`.
    pub fn has_file(&self) -> bool {
        self.status == Status::Success
    }
}

fn unsigned(v: Option<i64>) -> Option<u64> {
    v.map(|v| u64::try_from(v).unwrap_or(0))
}

impl TryFrom<backup::Model> for BackupRecord {
    type Error = DbErr;

    fn try_from(m: backup::Model) -> Result<Self, DbErr> {
        Ok(BackupRecord {
            status: m.status.parse().map_err(|e| DbErr::Custom(format!("backup {}: {e}", m.id)))?,
            trigger: m.trigger.parse().map_err(|e| DbErr::Custom(format!("backup {}: {e}", m.id)))?,
            id: m.id,
            filename: m.filename,
            created_at: m.created_at,
            finished_at: m.finished_at,
            size_bytes: unsigned(m.size_bytes),
            duration_ms: unsigned(m.duration_ms),
            copy_ms: unsigned(m.copy_ms),
            verify_ms: unsigned(m.verify_ms),
            error: m.error,
            sha256: m.sha256,
            integrity_ok: m.integrity_ok,
            pruned_at: m.pruned_at,
            deleted_at: m.deleted_at,
            download_count: u64::try_from(m.download_count).unwrap_or(0),
            last_downloaded_at: m.last_downloaded_at,
            restored_at: m.restored_at,
        })
    }
}

/// One line of a backup's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupEvent {
    pub id: i64,
    pub backup_id: i64,
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    pub detail: Option<String>,
}

impl TryFrom<backup_event::Model> for BackupEvent {
    type Error = DbErr;

    fn try_from(m: backup_event::Model) -> Result<Self, DbErr> {
        Ok(BackupEvent {
            kind: m.kind.parse().map_err(|e| DbErr::Custom(format!("backup event {}: {e}", m.id)))?,
            id: m.id,
            backup_id: m.backup_id,
            at: m.at,
            detail: m.detail,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_round_trip_and_match_the_table_checks() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().unwrap(), *s);
        }
        for t in Trigger::ALL {
            assert_eq!(t.as_str().parse::<Trigger>().unwrap(), *t);
        }
        for k in EventKind::ALL {
            assert_eq!(k.as_str().parse::<EventKind>().unwrap(), *k);
        }
        assert_eq!(Trigger::PreRestore.as_str(), "pre-restore");
        assert_eq!(serde_json::to_string(&Trigger::PreRestore).unwrap(), "\"pre-restore\"");
        assert!("nope".parse::<Status>().is_err());
    }
}
