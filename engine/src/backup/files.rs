//! Files in `BACKUP_DIR`: the lock, temporary names, free space, publishing a finished file
//! under its final name, and checksums.

use super::{BackupError, BackupName, Phase, Reporter, Unit};
use chrono::{DateTime, Utc};
use contract::format::human_bytes;
use sha2::{Digest, Sha256};
use std::{
    fs::{File, OpenOptions, TryLockError},
    io::{Read, Write},
    path::{Path, PathBuf},
    sync::atomic::{AtomicBool, Ordering},
};

/// The lock file in `BACKUP_DIR`. Its name does not match the backup pattern, so it is never
/// listed nor served.
pub const LOCK_FILE: &str = ".backup.lock";
/// Every temporary file starts with this; a start-up clean-up removes the ones nobody holds.
pub const TEMP_PREFIX: &str = ".tmp-";

/// Held while a backup, restore, prune or delete runs: an exclusive `flock` on
/// `BACKUP_DIR/.backup.lock`. The kernel releases it when the process dies, so a crash never
/// leaves it taken. Dropping the value releases it.
#[derive(Debug)]
pub struct BackupLock {
    _file: File,
}

pub(crate) fn take_lock(dir: &Path) -> Result<BackupLock, BackupError> {
    std::fs::create_dir_all(dir).map_err(|e| BackupError::failed("cannot create the backup folder", e))?;
    let path = dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| BackupError::failed("cannot open the backup lock file", e))?;
    match file.try_lock() {
        Ok(()) => {
            // Who holds it, for the message the next caller gets. Best effort: the lock itself is
            // what matters.
            let _ = file.set_len(0).and_then(|()| file.write_all(format!("{}\n", std::process::id()).as_bytes()));
            Ok(BackupLock { _file: file })
        }
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let pid = file.read_to_string(&mut text).ok().and_then(|_| text.trim().parse().ok());
            Err(BackupError::AlreadyRunning { pid })
        }
        Err(TryLockError::Error(e)) => Err(BackupError::failed("cannot lock the backup lock file", e)),
    }
}

/// A temporary name in `dir` for `what` (`db-…`, `restore-…`, `upload-…`).
pub(crate) fn temp_path(dir: &Path, what: &str) -> PathBuf {
    dir.join(format!("{TEMP_PREFIX}{what}"))
}

/// The files SQLite may create beside a database file.
pub(crate) fn sidecars(path: &Path) -> [PathBuf; 3] {
    ["-journal", "-wal", "-shm"].map(|suffix| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    })
}

/// Removes a temporary file and its SQLite sidecars; missing files are fine.
pub(crate) fn remove_temp(path: &Path) {
    for p in std::iter::once(path.to_path_buf()).chain(sidecars(path)) {
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(path = %p.display(), error = %e, "cannot remove a temporary backup file"),
        }
    }
}

/// Removes the temporary files nobody is writing: each writer holds a lock on its own temporary
/// file (uploads) or the directory lock (backups, restores), so a file whose lock can be taken
/// while the caller holds the directory lock is left over from a crash.
pub(crate) fn remove_stale_temps(dir: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return removed };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with(TEMP_PREFIX) || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let free = match File::open(&path) {
            Ok(f) => match f.try_lock() {
                Ok(()) => true,
                Err(TryLockError::WouldBlock) => false,
                Err(TryLockError::Error(_)) => true,
            },
            Err(_) => true,
        };
        if free {
            match std::fs::remove_file(&path) {
                Ok(()) => removed.push(path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!(path = %path.display(), error = %e, "cannot remove a stale temporary file"),
            }
        }
    }
    removed
}

/// Fails at once when `dir`'s filesystem has less than `bytes` plus 10 % free.
pub(crate) fn check_space(dir: &Path, bytes: u64, what: impl FnOnce() -> String) -> Result<(), BackupError> {
    let needed = bytes.saturating_add(bytes / 10);
    let available = fs4::available_space(dir)
        .map_err(|e| BackupError::failed("cannot read the free space of the backup folder", e))?;
    if available < needed {
        return Err(BackupError::NoSpace { dir: dir.to_path_buf(), needed, available, what: what() });
    }
    Ok(())
}

pub(crate) fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// The space a copy of the database at `path` needs: the file plus its WAL (before the +10 %).
pub(crate) fn database_bytes(path: &Path) -> (u64, u64) {
    (file_len(path), file_len(&crate::db::wal_path(path)))
}

pub(crate) fn describe_database_size(db: u64, wal: u64) -> String {
    format!("the database {} + its WAL {} + 10 %", human_bytes(db), human_bytes(wal))
}

/// Makes a rename or new file in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| BackupError::failed("cannot sync the backup folder", e))
}

pub(crate) fn sync_file(path: &Path) -> Result<(), BackupError> {
    OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| BackupError::failed("cannot sync the new file to disk", e))
}

/// Gives the finished temporary file its final name: `db-…` for `at`, with the first free
/// sequence number at or after `first`. A hard link never replaces an existing file, so a name
/// is never taken twice, even by another process; filesystems without hard links fall back to a
/// rename after an existence check. Then the folder is synced.
pub(crate) fn publish(tmp: &Path, dir: &Path, at: DateTime<Utc>, first: u32) -> Result<BackupName, BackupError> {
    let mut sequence = first.max(1);
    loop {
        let name = BackupName::for_time(at, sequence);
        let target = dir.join(name.as_str());
        match std::fs::hard_link(tmp, &target) {
            Ok(()) => {
                std::fs::remove_file(tmp).map_err(|e| BackupError::failed("cannot remove the temporary name", e))?;
                sync_dir(dir)?;
                return Ok(name);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => sequence += 1,
            Err(_) if !target.exists() => {
                std::fs::rename(tmp, &target).map_err(|e| {
                    BackupError::failed(&format!("cannot give the backup its name {}", name.as_str()), e)
                })?;
                sync_dir(dir)?;
                return Ok(name);
            }
            Err(_) => sequence += 1,
        }
        if sequence > 100_000 {
            return Err(BackupError::Failed("no free backup name for this second".into()));
        }
    }
}

/// Hex SHA-256 of a file, reporting bytes hashed.
pub(crate) fn sha256_file(path: &Path, cancel: &AtomicBool, reporter: &Reporter) -> Result<String, BackupError> {
    let mut file = File::open(path).map_err(|e| BackupError::failed("cannot read the file to checksum it", e))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0u64;
    reporter.report(Phase::Checksum, 0, total, Unit::Bytes);
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(BackupError::ShuttingDown);
        }
        let n = file.read(&mut buf).map_err(|e| BackupError::failed("cannot read the file to checksum it", e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        done += n as u64;
        reporter.report(Phase::Checksum, done, total, Unit::Bytes);
    }
    Ok(hex(&hasher.finalize()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_little_space_fails_at_once_with_both_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let huge = 1u64 << 60;
        let err = check_space(dir.path(), huge, || describe_database_size(huge, 0)).unwrap_err();
        let BackupError::NoSpace { needed, available, .. } = &err else { panic!("{err:?}") };
        assert_eq!(*needed, huge + huge / 10);
        let message = err.to_string();
        assert!(message.contains(&needed.to_string()) && message.contains(&available.to_string()), "{message}");
        assert!(message.contains("+ 10 %"), "{message}");
        check_space(dir.path(), 1024, String::new).unwrap();
    }

    #[test]
    fn publishing_never_replaces_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let at = chrono::Utc::now();
        std::fs::write(dir.path().join(BackupName::for_time(at, 1).as_str()), b"first").unwrap();
        let tmp = temp_path(dir.path(), "db-x");
        std::fs::write(&tmp, b"second").unwrap();
        let name = publish(&tmp, dir.path(), at, 1).unwrap();
        assert_eq!(name, BackupName::for_time(at, 2));
        assert_eq!(std::fs::read(dir.path().join(BackupName::for_time(at, 1).as_str())).unwrap(), b"first");
        assert_eq!(std::fs::read(dir.path().join(name.as_str())).unwrap(), b"second");
        assert!(!tmp.exists());
    }

    #[test]
    fn the_lock_is_exclusive_and_names_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let held = take_lock(dir.path()).unwrap();
        let err = take_lock(dir.path()).unwrap_err();
        assert!(matches!(err, BackupError::AlreadyRunning { pid: Some(pid) } if pid == std::process::id()), "{err:?}");
        drop(held);
        take_lock(dir.path()).unwrap();
    }
}
