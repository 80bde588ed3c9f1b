//! Who may read the server's files: the process creates every file and folder (databases and
//! their WAL and shared-memory files, backups, temporary files, media) through a umask,
//! `FILE_MODE_UMASK` (default `077`: files 0600, folders 0700). SQLite gives a database's `-wal`
//! and `-shm` files the database file's own mode. At start, data that already grants more than
//! the umask allows (left by an older version, or copied in) is reported.

use crate::config::Settings;
use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
};

/// How many entries under the media folder the start-up check looks at, at most.
const MEDIA_CHECK_LIMIT: usize = 10_000;

/// Sets the process's umask. Every command calls it before it creates anything.
pub fn apply_umask(umask: u32) {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(umask));
}

/// Files and folders of the data that grant permissions the umask takes away, with their mode.
pub fn too_open(settings: &Settings) -> Vec<(PathBuf, u32)> {
    let umask = settings.file_mode_umask;
    let mut found = Vec::new();
    let mut check = |path: &Path| {
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & umask != 0 && !meta.file_type().is_symlink() {
                found.push((path.to_path_buf(), mode));
            }
        }
    };
    for db in [&settings.database_path, &settings.system_database_path] {
        if let Some(parent) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
            check(parent);
        }
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = db.as_os_str().to_owned();
            name.push(suffix);
            check(Path::new(&name));
        }
    }
    check(&settings.backup_dir);
    if let Ok(entries) = std::fs::read_dir(&settings.backup_dir) {
        for entry in entries.flatten() {
            check(&entry.path());
        }
    }
    check(&settings.media_root);
    for entry in walkdir::WalkDir::new(&settings.media_root).min_depth(1).into_iter().flatten().take(MEDIA_CHECK_LIMIT)
    {
        check(entry.path());
    }
    found.sort();
    found.dedup();
    found
}

/// Logs one warning naming what others can read, if anything.
pub fn warn_if_too_open(settings: &Settings) {
    let found = too_open(settings);
    if found.is_empty() {
        return;
    }
    let examples: Vec<String> =
        found.iter().take(5).map(|(path, mode)| format!("{} (mode {mode:o})", path.display())).collect();
    let more = if found.len() > 5 { format!(" and {} more", found.len() - 5) } else { String::new() };
    tracing::warn!(
        count = found.len(),
        "data that other users of this machine can read or write: {}{more}; FILE_MODE_UMASK={:03o} allows less \
         (for the default: `chmod -R go-rwx` on the data and media folders)",
        examples.join(", "),
        settings.file_mode_umask
    );
}
