//! Mirroring `MEDIA_ROOT` to `<prefix>/media/…`: incremental (size and modification time first,
//! then SHA-256), deletions kept on the remote for 30 days, and the verified way back.

use super::{
    error::RemoteError,
    key::{RemoteKey, Sha256Digest},
    manifest::{ManifestEntry, MediaManifest},
    rate::Pacer,
    store::RemoteStore,
    transfer::{Download, Expected, TransferPhase, TransferProgress},
};
use crate::backup::TEMP_PREFIX;
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, stream};
use object_store::PutPayload;
use serde::Serialize;
use std::{
    collections::HashSet,
    io::Read,
    path::{Path, PathBuf},
    sync::atomic::AtomicBool,
    time::{Instant, UNIX_EPOCH},
};

/// How long a file deleted locally stays on the remote.
pub const KEEP_DELETED_DAYS: i64 = 30;
const MEDIA: &str = "media";

/// The clock and limits of one sync.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Deletion times are recorded, and compared, against this.
    pub now: DateTime<Utc>,
    pub keep_deleted: chrono::TimeDelta,
    /// Files hashed and transferred at once.
    pub concurrency: usize,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions { now: Utc::now(), keep_deleted: chrono::TimeDelta::days(KEEP_DELETED_DAYS), concurrency: 8 }
    }
}

/// A local file left out of the mirror, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedFile {
    pub path: String,
    pub reason: String,
}

/// What a sync or a restore did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MediaReport {
    /// Local files seen (sync) or files the manifest lists as present (restore).
    pub files: usize,
    /// Uploaded (sync) or downloaded (restore).
    pub transferred: usize,
    pub bytes: u64,
    pub unchanged: usize,
    /// Files read and hashed because their size or modification time changed (sync).
    pub hashed: usize,
    /// Files found deleted locally in this run; their remote copies stay for 30 days.
    pub marked_deleted: usize,
    /// Remote copies removed because their local file was deleted over 30 days ago.
    pub purged: usize,
    pub skipped: Vec<SkippedFile>,
    pub elapsed_ms: u64,
}

struct LocalFile {
    rel: String,
    key: RemoteKey,
    path: PathBuf,
    size: u64,
    mtime_ns: i64,
}

enum Outcome {
    Same(ManifestEntry),
    Uploaded(ManifestEntry),
}

fn noop(_: TransferProgress) {}

/// Copies new and changed files under `media_root` to the remote and updates the manifest. A
/// file whose size and modification time match the manifest is not read; one that differs is
/// hashed, and uploaded only when its digest differs. Files that failed are retried by the next
/// run: the result is then [`RemoteError::Incomplete`], after everything else was done.
pub async fn sync_media(
    store: &RemoteStore,
    media_root: &Path,
    options: &SyncOptions,
) -> Result<MediaReport, RemoteError> {
    let started = Instant::now();
    // A missing folder (an unmounted disk, a wrong MEDIA_ROOT) must not count every remote file
    // as deleted.
    if !media_root.is_dir() {
        return Err(RemoteError::local(media_root, "cannot mirror the media folder", "it does not exist"));
    }
    let root = media_root.to_path_buf();
    let (files, skipped) = tokio::task::spawn_blocking(move || scan(&root))
        .await
        .map_err(|e| RemoteError::local(media_root, "cannot read the media folder", e))??;
    let mut manifest = MediaManifest::load(store).await?;
    let mut report = MediaReport { files: files.len(), skipped, ..MediaReport::default() };
    let present: HashSet<&str> = files.iter().map(|f| f.rel.as_str()).collect();

    // Indexes into `files`, not borrows: see `list_backups` (a closure taking a borrowed
    // argument would keep this future from being `Send`).
    let mut candidates = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let known = manifest.files.get(&file.rel);
        match known {
            Some(e) if e.deleted_at.is_none() && e.size == file.size && e.mtime_ns == file.mtime_ns => {
                report.unchanged += 1
            }
            _ => candidates.push((index, known.cloned())),
        }
    }
    let files = &files;
    // One cap for the whole run, shared by the concurrent uploads of small files.
    let pacer = tokio::sync::Mutex::new(Pacer::new(store.inner.max_rate));
    let pacer = &pacer;
    let results: Vec<_> = stream::iter(candidates)
        .map(|(index, known)| async move {
            let file = &files[index];
            (file, mirror_one(store, file, known, pacer).await)
        })
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    let mut dirty = false;
    let mut failures = Vec::new();
    for (file, result) in results {
        report.hashed += 1;
        match result {
            Ok(Outcome::Same(entry)) => {
                report.unchanged += 1;
                dirty |= manifest.files.insert(file.rel.clone(), entry.clone()).as_ref() != Some(&entry);
            }
            Ok(Outcome::Uploaded(entry)) => {
                report.transferred += 1;
                report.bytes += entry.size;
                manifest.files.insert(file.rel.clone(), entry);
                dirty = true;
            }
            Err(e) => failures.push(format!("{}: {e}", file.rel)),
        }
    }

    let mut purge = Vec::new();
    for (rel, entry) in manifest.files.iter_mut() {
        if present.contains(rel.as_str()) {
            continue;
        }
        match entry.deleted_at {
            None => {
                entry.deleted_at = Some(options.now);
                report.marked_deleted += 1;
                dirty = true;
            }
            Some(at) if options.now - at >= options.keep_deleted => purge.push(rel.clone()),
            Some(_) => {}
        }
    }
    for rel in &purge {
        manifest.files.remove(rel);
        dirty = true;
    }
    // The manifest is saved before the purge: an interrupted purge leaves an unlisted object
    // (harmless), never a listed one that is gone.
    if dirty {
        manifest.save(store).await?;
    }
    for rel in purge {
        match media_key(&rel) {
            Ok(key) => match store.delete_raw(&key).await {
                Ok(()) => report.purged += 1,
                Err(e) => failures.push(format!("{rel}: {e}")),
            },
            Err(e) => failures.push(format!("{rel}: {e}")),
        }
    }
    report.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    incomplete("mirrored", failures, report.files)?;
    Ok(report)
}

/// Hashes one file and uploads it when its digest is not the manifest's.
async fn mirror_one(
    store: &RemoteStore,
    file: &LocalFile,
    known: Option<ManifestEntry>,
    pacer: &tokio::sync::Mutex<Pacer>,
) -> Result<Outcome, RemoteError> {
    let small = file.size <= store.tuning().part_size as u64;
    let path = file.path.clone();
    // Small files are read once: the bytes hashed are the bytes sent.
    let (body, size, sha256) = tokio::task::spawn_blocking(move || read_and_hash(&path, small))
        .await
        .map_err(|e| RemoteError::local(&file.path, "cannot read it", e))??;
    let entry = ManifestEntry { size, sha256, mtime_ns: file.mtime_ns, deleted_at: None };
    if known.is_some_and(|k| k.size == entry.size && k.sha256 == entry.sha256) {
        return Ok(Outcome::Same(entry));
    }
    match body {
        Some(body) => {
            pacer.lock().await.pace(body.len() as u64).await;
            store.put_raw(&file.key, PutPayload::from(body)).await?
        }
        None => {
            // Large files go as multipart, so, as for backups, they are read back and hashed.
            // They are paced by their own upload, at the same cap.
            let never = AtomicBool::new(false);
            let expected = Expected { size: entry.size, sha256: entry.sha256.clone() };
            let mut handle = tokio::fs::File::open(&file.path)
                .await
                .map_err(|e| RemoteError::local(&file.path, "cannot open it", e))?;
            store.put_multipart(&mut handle, &file.path, &file.key, &expected, &noop, &never).await?;
            store.sync_local(&file.key).await?;
            let found = store.measure(&file.key, TransferPhase::ReadBack, &noop, &never).await?;
            if found.sha256 != entry.sha256 || found.size != entry.size {
                let _ = store.delete_raw(&file.key).await;
                return Err(RemoteError::Mismatch {
                    name: file.rel.clone(),
                    expected: format!("SHA-256 {} ({} bytes)", entry.sha256, entry.size),
                    found: found.to_string(),
                    after_upload: true,
                });
            }
        }
    }
    Ok(Outcome::Uploaded(entry))
}

/// Brings back every file the manifest lists as present, each downloaded to a temporary file,
/// checked against its SHA-256 and only then renamed into place (replacing a different local
/// file). Files already present with the right digest are left alone. Files deleted before the
/// last sync are not brought back.
pub async fn restore_media(store: &RemoteStore, media_root: &Path) -> Result<MediaReport, RemoteError> {
    let started = Instant::now();
    let manifest = MediaManifest::load(store).await?;
    std::fs::create_dir_all(media_root)
        .map_err(|e| RemoteError::local(media_root, "cannot create the media folder", e))?;
    let entries: Vec<(String, ManifestEntry)> =
        manifest.files.into_iter().filter(|(_, entry)| entry.deleted_at.is_none()).collect();
    let mut report = MediaReport { files: entries.len(), ..MediaReport::default() };
    let results: Vec<_> = stream::iter(entries)
        .map(|(rel, entry)| async move {
            let result = restore_one(store, media_root, &rel, &entry).await;
            (rel, entry.size, result)
        })
        .buffer_unordered(SyncOptions::default().concurrency)
        .collect()
        .await;
    let mut failures = Vec::new();
    for (rel, size, result) in results {
        match result {
            Ok(true) => {
                report.transferred += 1;
                report.bytes += size;
            }
            Ok(false) => report.unchanged += 1,
            Err(e) => failures.push(format!("{rel}: {e}")),
        }
    }
    report.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    incomplete("restored", failures, report.files)?;
    Ok(report)
}

/// `Ok(true)` when downloaded, `Ok(false)` when the local file already had the digest.
async fn restore_one(store: &RemoteStore, root: &Path, rel: &str, entry: &ManifestEntry) -> Result<bool, RemoteError> {
    // The manifest comes from the remote: its paths are checked like any key before use.
    let key = media_key(rel)?;
    let dest = rel.split('/').fold(root.to_path_buf(), |path, segment| path.join(segment));
    let existing = dest.clone();
    let same = tokio::task::spawn_blocking(move || match std::fs::symlink_metadata(&existing) {
        Ok(meta) if meta.is_file() => read_and_hash(&existing, false).map(|(_, size, sha)| Some((size, sha))),
        _ => Ok(None),
    })
    .await
    .map_err(|e| RemoteError::local(&dest, "cannot read it", e))??;
    if same.is_some_and(|(size, sha)| size == entry.size && sha == entry.sha256) {
        return Ok(false);
    }
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(|e| RemoteError::local(parent, "cannot create the folder", e))?;
    }
    let never = AtomicBool::new(false);
    let download = Download { key: &key, name: rel, dest: &dest, expected: &entry.sha256, replace: true };
    store.download_to(download, &noop, &never).await?;
    Ok(true)
}

fn media_key(rel: &str) -> Result<RemoteKey, RemoteError> {
    Ok(RemoteKey::parse(&format!("{MEDIA}/{rel}"))?)
}

fn incomplete(what: &'static str, failures: Vec<String>, total: usize) -> Result<(), RemoteError> {
    match failures.first() {
        None => Ok(()),
        Some(first) => Err(RemoteError::Incomplete { what, failed: failures.len(), total, first: first.clone() }),
    }
}

/// The file's size and digest, and its bytes when `keep` (read in one go for small files).
fn read_and_hash(path: &Path, keep: bool) -> Result<(Option<Vec<u8>>, u64, Sha256Digest), RemoteError> {
    use sha2::{Digest, Sha256};
    let failed = |e: std::io::Error| RemoteError::local(path, "cannot read it", e);
    if keep {
        let body = std::fs::read(path).map_err(failed)?;
        let digest = Sha256Digest::of(&body);
        let size = body.len() as u64;
        return Ok((Some(body), size, digest));
    }
    let mut file = std::fs::File::open(path).map_err(failed)?;
    let mut hasher = Sha256::new();
    let mut block = vec![0u8; super::store::READ_BLOCK];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut block).map_err(failed)?;
        if n == 0 {
            break;
        }
        hasher.update(&block[..n]);
        size += n as u64;
    }
    Ok((None, size, Sha256Digest::from_hasher(hasher)))
}

/// Every regular file under `root`, with its key. A folder that cannot be read fails the scan:
/// its files would otherwise look deleted.
fn scan(root: &Path) -> Result<(Vec<LocalFile>, Vec<SkippedFile>), RemoteError> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for entry in walkdir::WalkDir::new(root).follow_links(false).min_depth(1) {
        let entry = entry.map_err(|e| RemoteError::local(root, "cannot read the media folder", e))?;
        let file_type = entry.file_type();
        if file_type.is_dir() {
            continue;
        }
        let relative = entry.path().strip_prefix(root).unwrap_or(entry.path());
        let Some(rel) = relative.iter().map(|s| s.to_str()).collect::<Option<Vec<_>>>().map(|parts| parts.join("/"))
        else {
            let path = relative.to_string_lossy().to_string();
            skipped.push(SkippedFile { path, reason: "its name is not valid UTF-8".into() });
            continue;
        };
        if !file_type.is_file() {
            skipped
                .push(SkippedFile { path: rel, reason: "not a regular file (a symbolic link or special file)".into() });
            continue;
        }
        if entry.file_name().to_str().is_some_and(|n| n.starts_with(TEMP_PREFIX)) {
            continue; // a download in progress, or left by an interrupted one
        }
        let key = match media_key(&rel) {
            Ok(key) => key,
            Err(e) => {
                skipped.push(SkippedFile { path: rel, reason: e.to_string() });
                continue;
            }
        };
        let meta = entry.metadata().map_err(|e| RemoteError::local(entry.path(), "cannot read its size", e))?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_nanos()).ok())
            .unwrap_or(0);
        files.push(LocalFile { rel, key, path: entry.into_path(), size: meta.len(), mtime_ns });
    }
    Ok((files, skipped))
}
