use super::BackupError;
use chrono::{DateTime, NaiveDateTime, Utc};
use std::fmt;

const PREFIX: &str = "db-";
const SUFFIX: &str = ".sqlite3";
const STAMP: &str = "%Y%m%d-%H%M%S";
/// `YYYYMMDD-HHMMSS`
const STAMP_LEN: usize = 15;
/// Far more than two backups in one second can ever need; keeps names short.
const MAX_SEQUENCE_DIGITS: usize = 6;

/// The file name of a backup: `db-YYYYMMDD-HHMMSS.sqlite3` (UTC), with `-2`, `-3`… when several
/// are made in one second. Every name that comes from outside (a URL, a form, the command line)
/// goes through [`BackupName::parse`] before any file is opened, so a name can never reach
/// outside `BACKUP_DIR`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct BackupName(String);

impl BackupName {
    pub fn parse(raw: &str) -> Result<Self, BackupError> {
        let reject = |reason: &'static str| BackupError::InvalidName { name: raw.to_string(), reason };
        if raw.is_empty() {
            return Err(reject("it is empty"));
        }
        if raw.contains('\0') {
            return Err(reject("it contains a NUL byte"));
        }
        if raw.contains('/') || raw.contains('\\') {
            return Err(reject("it contains a path separator"));
        }
        if raw.contains("..") {
            return Err(reject("it contains \"..\""));
        }
        let pattern = "it does not match db-YYYYMMDD-HHMMSS.sqlite3";
        let middle = raw.strip_prefix(PREFIX).and_then(|r| r.strip_suffix(SUFFIX)).ok_or_else(|| reject(pattern))?;
        if middle.len() < STAMP_LEN || !middle.is_char_boundary(STAMP_LEN) {
            return Err(reject(pattern));
        }
        let (stamp, rest) = middle.split_at(STAMP_LEN);
        let well_formed = stamp.bytes().enumerate().all(|(i, b)| if i == 8 { b == b'-' } else { b.is_ascii_digit() });
        if !well_formed {
            return Err(reject(pattern));
        }
        NaiveDateTime::parse_from_str(stamp, STAMP).map_err(|_| reject("its date or time does not exist"))?;
        if !rest.is_empty() {
            let seq = rest.strip_prefix('-').ok_or_else(|| reject(pattern))?;
            let digits_ok = !seq.is_empty()
                && seq.len() <= MAX_SEQUENCE_DIGITS
                && seq.bytes().all(|b| b.is_ascii_digit())
                && !seq.starts_with('0');
            if !digits_ok || seq == "1" {
                return Err(reject("its sequence number must be 2 or more, without leading zeros"));
            }
        }
        Ok(BackupName(raw.to_string()))
    }

    /// The name for a backup made at `at`; `sequence` 1 is the plain name, 2 adds `-2`, and so on.
    pub fn for_time(at: DateTime<Utc>, sequence: u32) -> Self {
        let stamp = at.format(STAMP);
        if sequence <= 1 {
            BackupName(format!("{PREFIX}{stamp}{SUFFIX}"))
        } else {
            BackupName(format!("{PREFIX}{stamp}-{sequence}{SUFFIX}"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 1 for the plain name, N for `-N`.
    pub fn sequence(&self) -> u32 {
        let middle = &self.0[PREFIX.len() + STAMP_LEN..self.0.len() - SUFFIX.len()];
        middle.strip_prefix('-').and_then(|n| n.parse().ok()).unwrap_or(1)
    }

    /// Orders names by the time they record, then by sequence (plain text order would put
    /// `-2` before the plain name).
    pub fn chronological_key(&self) -> (&str, u32) {
        (&self.0[PREFIX.len()..PREFIX.len() + STAMP_LEN], self.sequence())
    }

    /// The UTC second the name records.
    pub fn timestamp(&self) -> Option<DateTime<Utc>> {
        let stamp = self.0.get(PREFIX.len()..PREFIX.len() + STAMP_LEN)?;
        NaiveDateTime::parse_from_str(stamp, STAMP).ok().map(|t| t.and_utc())
    }
}

impl fmt::Display for BackupName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for BackupName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn accepts_the_pattern_only() {
        for ok in ["db-20261125-020000.sqlite3", "db-20261125-020000-2.sqlite3", "db-20240229-235959-17.sqlite3"] {
            assert_eq!(BackupName::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "db-20261125-020000.sqlite3\0",
            "../db-20261125-020000.sqlite3",
            "db-20261125-020000.sqlite3/..",
            "sub/db-20261125-020000.sqlite3",
            "sub\\db-20261125-020000.sqlite3",
            "db-20261125-020000..sqlite3",
            "db-20261125-020000.sqlite",
            "db-2026112-020000.sqlite3",
            "db-20261125_020000.sqlite3",
            "db-20261325-020000.sqlite3",
            "db-20261125-250000.sqlite3",
            "db-20261125-020000-1.sqlite3",
            "db-20261125-020000-02.sqlite3",
            "db-20261125-020000-.sqlite3",
            "db-20261125-020000-x.sqlite3",
            ".tmp-db-20261125-020000.sqlite3",
            "db-20261125-020000.sqlite3.tmp",
            "db-２0261125-020000.sqlite3",
            "db-20261125-020000-1234567.sqlite3",
        ] {
            assert!(BackupName::parse(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn names_are_utc_and_sequenced() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 7).unwrap();
        assert_eq!(BackupName::for_time(at, 1).as_str(), "db-20261125-020007.sqlite3");
        assert_eq!(BackupName::for_time(at, 3).as_str(), "db-20261125-020007-3.sqlite3");
        assert_eq!(BackupName::for_time(at, 3).timestamp(), Some(at));
        assert_eq!(BackupName::for_time(at, 3).sequence(), 3);
        assert_eq!(BackupName::for_time(at, 1).sequence(), 1);
        assert!(BackupName::for_time(at, 1).chronological_key() < BackupName::for_time(at, 2).chronological_key());
    }
}
