//! Streamed transfers of backup files: upload (one request or multipart, memory bounded, paced),
//! the read-back that verifies what the service stored, and the verified download.

use super::{
    error::RemoteError,
    key::{RemoteKey, Sha256Digest, sidecar_text},
    rate::Pacer,
    store::{BACKUPS, READ_BLOCK, RemoteStore},
};
use crate::backup::{BackupName, TEMP_PREFIX};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use object_store::{ObjectStoreExt, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use std::{
    io::Write,
    path::{Path, PathBuf},
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, Instant},
};
use tokio::io::AsyncReadExt;

/// What a transfer is doing, for progress bars (shared with the dashboard, hence in `contract`).
pub use contract::backup::TransferPhase;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TransferProgress {
    pub phase: TransferPhase,
    pub done: u64,
    pub total: u64,
}

/// Told of progress after each block; called on the transfer's task, so it must not block.
pub type ProgressFn<'a> = &'a (dyn Fn(TransferProgress) + Send + Sync);

/// What the catalogue knows of a backup file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub size: u64,
    pub sha256: Sha256Digest,
}

/// A backup copied, read back and found identical, with its sidecar written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedObject {
    /// The object's key in the bucket or folder (with the prefix), for the catalogue.
    pub key: String,
    pub size: u64,
    pub sha256: Sha256Digest,
    /// 0 for a single request.
    pub parts: usize,
    pub uploaded_at: DateTime<Utc>,
    /// Upload plus read-back.
    pub elapsed: Duration,
}

/// A size and digest measured by reading every byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measured {
    pub size: u64,
    pub sha256: Sha256Digest,
}

impl std::fmt::Display for Measured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SHA-256 {} ({} bytes)", self.sha256, self.size)
    }
}

pub(crate) fn backup_key(name: &BackupName) -> Result<RemoteKey, RemoteError> {
    Ok(RemoteKey::parse(&format!("{BACKUPS}/{name}"))?)
}

pub(crate) fn sidecar_key(name: &BackupName) -> Result<RemoteKey, RemoteError> {
    Ok(RemoteKey::parse(&format!("{BACKUPS}/{name}.sha256"))?)
}

fn cancelled(cancel: &AtomicBool) -> Result<(), RemoteError> {
    if cancel.load(Ordering::Relaxed) { Err(RemoteError::Cancelled) } else { Ok(()) }
}

impl RemoteStore {
    /// Copies the backup at `local` to `backups/<name>`: in one request up to the part size,
    /// else as a multipart upload holding at most [`super::Tuning::memory_bound`] bytes, each
    /// request with `x-amz-checksum-sha256`, paced by `BACKUP_REMOTE_MAX_RATE`. The object is then
    /// read back and hashed, since neither a multipart checksum (a hash of part hashes) nor any
    /// metadata the client wrote proves the stored bytes; only then is `<name>.sha256` written.
    /// A copy without its sidecar is therefore never a finished upload. The local file must have
    /// `expected`'s size and digest, else nothing is completed.
    pub async fn upload_file(
        &self,
        local: &Path,
        name: &BackupName,
        expected: &Expected,
        progress: ProgressFn<'_>,
        cancel: &AtomicBool,
    ) -> Result<UploadedObject, RemoteError> {
        let started = Instant::now();
        let key = backup_key(name)?;
        self.ensure_folder()?;
        let mut file =
            tokio::fs::File::open(local).await.map_err(|e| RemoteError::local(local, "cannot open the backup", e))?;
        let size = file.metadata().await.map_err(|e| RemoteError::local(local, "cannot read its size", e))?.len();
        if size != expected.size {
            let detail = format!("it has {size} bytes, the catalogue says {}", expected.size);
            return Err(RemoteError::LocalChanged { path: local.to_path_buf(), detail });
        }
        // A listing first: it fails on a missing bucket, which some S3-compatible services would
        // otherwise create on the first write (hiding a typo in BACKUP_REMOTE_URL).
        self.list_raw(&sidecar_key(name)?).await?;
        // A copy counts only once its sidecar is written after this upload's read-back: a sidecar
        // from an earlier attempt must not vouch for the object while it is being replaced.
        self.delete_raw(&sidecar_key(name)?).await?;
        let parts = if size <= self.inner.tuning.part_size as u64 {
            self.put_whole(&mut file, local, &key, expected, progress, cancel).await?;
            0
        } else {
            self.put_multipart(&mut file, local, &key, expected, progress, cancel).await?
        };
        self.sync_local(&key).await?;

        let found = self.measure(&key, TransferPhase::ReadBack, progress, cancel).await?;
        if found.size != expected.size || found.sha256 != expected.sha256 {
            // A damaged copy must not linger looking like a backup; the next attempt re-sends it.
            let _ = self.delete_raw(&key).await;
            return Err(RemoteError::Mismatch {
                name: name.to_string(),
                expected: Measured { size: expected.size, sha256: expected.sha256.clone() }.to_string(),
                found: found.to_string(),
                after_upload: true,
            });
        }
        let sidecar = sidecar_key(name)?;
        self.put_raw(&sidecar, PutPayload::from(sidecar_text(&expected.sha256, name.as_str()))).await?;
        Ok(UploadedObject {
            key: self.full_key(&key),
            size,
            sha256: found.sha256,
            parts,
            uploaded_at: Utc::now(),
            elapsed: started.elapsed(),
        })
    }

    async fn put_whole(
        &self,
        file: &mut tokio::fs::File,
        local: &Path,
        key: &RemoteKey,
        expected: &Expected,
        progress: ProgressFn<'_>,
        cancel: &AtomicBool,
    ) -> Result<(), RemoteError> {
        cancelled(cancel)?;
        let mut body = Vec::with_capacity(usize::try_from(expected.size).unwrap_or(0));
        file.read_to_end(&mut body).await.map_err(|e| RemoteError::local(local, "cannot read the backup", e))?;
        check_local(local, body.len() as u64, Sha256Digest::of(&body), expected)?;
        Pacer::new(self.inner.max_rate).pace(body.len() as u64).await;
        cancelled(cancel)?;
        let sent = body.len() as u64;
        self.inner.store.put(&self.location(key), PutPayload::from(body)).await.map_err(|e| self.map(e, key))?;
        progress(TransferProgress { phase: TransferPhase::Upload, done: sent, total: expected.size });
        Ok(())
    }

    /// Returns the number of parts. On any failure the multipart upload is aborted (when the
    /// service can still be reached), so no part of it ever becomes an object.
    pub(crate) async fn put_multipart(
        &self,
        file: &mut tokio::fs::File,
        local: &Path,
        key: &RemoteKey,
        expected: &Expected,
        progress: ProgressFn<'_>,
        cancel: &AtomicBool,
    ) -> Result<usize, RemoteError> {
        let tuning = self.inner.tuning;
        let upload = self.inner.store.put_multipart(&self.location(key)).await.map_err(|e| self.map(e, key))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, tuning.part_size);
        let mut pacer = Pacer::new(self.inner.max_rate);
        let mut hasher = Sha256::new();
        let mut block = vec![0u8; READ_BLOCK];
        let mut sent = 0u64;
        let outcome: Result<(), RemoteError> = async {
            loop {
                cancelled(cancel)?;
                let n =
                    file.read(&mut block).await.map_err(|e| RemoteError::local(local, "cannot read the backup", e))?;
                if n == 0 {
                    break;
                }
                hasher.update(&block[..n]);
                pacer.pace(n as u64).await;
                writer.wait_for_capacity(tuning.concurrency).await.map_err(|e| self.map(e, key))?;
                writer.write(&block[..n]);
                sent += n as u64;
                progress(TransferProgress { phase: TransferPhase::Upload, done: sent, total: expected.size });
            }
            check_local(local, sent, Sha256Digest::from_hasher(hasher), expected)
        }
        .await;
        if let Err(e) = outcome {
            let _ = writer.abort().await;
            return Err(e);
        }
        let parts = usize::try_from(sent.div_ceil(tuning.part_size as u64)).unwrap_or(usize::MAX);
        writer.finish().await.map_err(|e| self.map(e, key))?;
        Ok(parts)
    }

    /// Reads the whole object and hashes it.
    pub(crate) async fn measure(
        &self,
        key: &RemoteKey,
        phase: TransferPhase,
        progress: ProgressFn<'_>,
        cancel: &AtomicBool,
    ) -> Result<Measured, RemoteError> {
        self.stream_into(key, phase, progress, cancel, |_| Ok(())).await
    }

    /// Streams the object through `sink` while hashing it.
    async fn stream_into(
        &self,
        key: &RemoteKey,
        phase: TransferPhase,
        progress: ProgressFn<'_>,
        cancel: &AtomicBool,
        mut sink: impl FnMut(&[u8]) -> Result<(), RemoteError>,
    ) -> Result<Measured, RemoteError> {
        let (total, mut stream) = self.get_stream(key).await?;
        let mut hasher = Sha256::new();
        let mut done = 0u64;
        while let Some(chunk) = stream.next().await {
            cancelled(cancel)?;
            let chunk = chunk?;
            hasher.update(&chunk);
            sink(&chunk)?;
            done += chunk.len() as u64;
            progress(TransferProgress { phase, done, total });
        }
        Ok(Measured { size: done, sha256: Sha256Digest::from_hasher(hasher) })
    }

    /// Downloads `backups/<name>` to `dest` through a temporary file beside it, checks it against
    /// `expected` (or, when `None`, the `<name>.sha256` sidecar; with neither it is refused), and
    /// only then renames it into place. `dest` must not exist. On a mismatch the temporary file is
    /// removed and the error names both digests.
    pub async fn download_file(
        &self,
        name: &BackupName,
        dest: &Path,
        expected: Option<&Sha256Digest>,
        progress: ProgressFn<'_>,
        cancel: &AtomicBool,
    ) -> Result<Measured, RemoteError> {
        let key = backup_key(name)?;
        let expected = match expected {
            Some(digest) => digest.clone(),
            None => self.sidecar(name).await?.ok_or_else(|| RemoteError::NoChecksum { name: name.to_string() })?,
        };
        let download = Download { key: &key, name: name.as_str(), dest, expected: &expected, replace: false };
        self.download_to(download, progress, cancel).await
    }

    /// Streams an object into a temporary file beside `dest`, hashing it, and renames it into
    /// place only when the digest is the expected one; otherwise the temporary file is removed.
    pub(crate) async fn download_to(
        &self,
        download: Download<'_>,
        progress: ProgressFn<'_>,
        cancel: &AtomicBool,
    ) -> Result<Measured, RemoteError> {
        let Download { key, name, dest, expected, replace } = download;
        let dir = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let temp = tempfile::Builder::new()
            .prefix(&format!("{TEMP_PREFIX}download-"))
            .tempfile_in(dir)
            .map_err(|e| RemoteError::local(dir, "cannot create a temporary file", e))?;
        let temp_path = temp.path().to_path_buf();
        let mut writer = std::io::BufWriter::with_capacity(READ_BLOCK, temp.as_file());
        let write = |bytes: &[u8]| -> Result<(), RemoteError> {
            writer.write_all(bytes).map_err(|e| RemoteError::local(&temp_path, "cannot write the download", e))
        };
        // Blocking writes of at most one buffer each: a short pause of this task, never of others.
        let found = self.stream_into(key, TransferPhase::Download, progress, cancel, write).await?;
        writer.flush().map_err(|e| RemoteError::local(&temp_path, "cannot write the download", e))?;
        drop(writer);
        if found.sha256 != *expected {
            return Err(RemoteError::Mismatch {
                name: name.to_string(),
                expected: format!("SHA-256 {expected}"),
                found: found.to_string(),
                after_upload: false,
            });
        }
        temp.as_file().sync_all().map_err(|e| RemoteError::local(&temp_path, "cannot flush the download", e))?;
        let placed = if replace { temp.persist(dest) } else { temp.persist_noclobber(dest) };
        placed.map_err(|e| RemoteError::local(dest, "cannot move the download into place", e.error))?;
        sync_parent(dest)?;
        Ok(found)
    }
}

/// Where a verified download goes.
pub(crate) struct Download<'a> {
    pub key: &'a RemoteKey,
    /// For messages: the backup's name or the media file's path.
    pub name: &'a str,
    pub dest: &'a Path,
    pub expected: &'a Sha256Digest,
    /// Whether an existing `dest` is replaced (media) or the download refused (backups).
    pub replace: bool,
}

/// The bytes read from the local backup must be the catalogue's, else the upload stops.
fn check_local(local: &Path, size: u64, digest: Sha256Digest, expected: &Expected) -> Result<(), RemoteError> {
    if size != expected.size || digest != expected.sha256 {
        let detail = format!(
            "read {size} bytes with SHA-256 {digest}, the catalogue says {} bytes with SHA-256 {}",
            expected.size, expected.sha256
        );
        return Err(RemoteError::LocalChanged { path: local.to_path_buf(), detail });
    }
    Ok(())
}

fn sync_parent(path: &Path) -> Result<(), RemoteError> {
    let dir: PathBuf = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    std::fs::File::open(&dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| RemoteError::local(&dir, "cannot flush the folder to disk", e))
}
