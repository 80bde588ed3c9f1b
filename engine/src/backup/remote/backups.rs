//! The backups a remote holds: listed without the local catalogue (a new machine has none),
//! re-verified against their sidecars, deleted with them.

use super::{
    error::RemoteError,
    key::{RemoteKey, Sha256Digest, parse_sidecar},
    store::{BACKUPS, RemoteStore},
    transfer::{Measured, ProgressFn, TransferPhase, backup_key, sidecar_key},
};
use crate::backup::BackupName;
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, stream};
use std::{collections::HashSet, sync::atomic::AtomicBool};

/// Sidecars are small; reading a few at once keeps a listing of hundreds of backups quick.
const SIDECAR_READS: usize = 8;

/// A backup found on the remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteBackup {
    pub name: BackupName,
    /// The object's key in the bucket or folder, with the prefix.
    pub key: String,
    pub size: u64,
    pub last_modified: DateTime<Utc>,
    /// From `<name>.sha256`. `None`: no sidecar, so the upload never finished its verification
    /// (or the sidecar is unreadable: see `sidecar_error`).
    pub sha256: Option<Sha256Digest>,
    pub sidecar_error: Option<String>,
}

impl RemoteBackup {
    /// Uploaded, read back and vouched for by its sidecar.
    pub fn is_complete(&self) -> bool {
        self.sha256.is_some()
    }
}

impl RemoteStore {
    /// Every backup under `backups/`, oldest first, whether or not a local catalogue knows it.
    /// Objects that are not backups or sidecars are left out.
    pub async fn list_backups(&self) -> Result<Vec<RemoteBackup>, RemoteError> {
        let dir = RemoteKey::parse(BACKUPS)?;
        let objects = self.list_raw(&dir).await?;
        let sidecars: HashSet<&str> =
            objects.iter().filter_map(|o| o.key.strip_prefix(&dir)?.strip_suffix(".sha256")).collect();
        // Owned, not borrowed: a closure taking a borrowed argument makes this future fail to be
        // `Send` for every lifetime (rust-lang/rust#102211), and then it cannot run on a spawned
        // task (the server's uploader).
        let found: Vec<(BackupName, super::RemoteObject)> = objects
            .iter()
            .filter_map(|o| Some((BackupName::parse(o.key.strip_prefix(&dir)?).ok()?, o.clone())))
            .collect();
        let mut backups: Vec<RemoteBackup> = stream::iter(found)
            .map(|(name, object)| {
                let has_sidecar = sidecars.contains(name.as_str());
                async move {
                    let (sha256, sidecar_error) = match has_sidecar {
                        false => (None, None),
                        true => match self.sidecar(&name).await {
                            Ok(digest) => (digest, None),
                            Err(e) => (None, Some(e.to_string())),
                        },
                    };
                    RemoteBackup {
                        key: self.full_key(&object.key),
                        size: object.size,
                        last_modified: object.last_modified,
                        sha256,
                        sidecar_error,
                        name,
                    }
                }
            })
            .buffer_unordered(SIDECAR_READS)
            .collect()
            .await;
        backups.sort_by(|a, b| a.name.chronological_key().cmp(&b.name.chronological_key()));
        Ok(backups)
    }

    /// The digest in `<name>.sha256`, or `None` when there is no sidecar.
    pub async fn sidecar(&self, name: &BackupName) -> Result<Option<Sha256Digest>, RemoteError> {
        let key = sidecar_key(name)?;
        let text = match self.get_bytes(&key).await {
            Ok(bytes) => bytes,
            Err(RemoteError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let text = std::str::from_utf8(&text)
            .map_err(|_| RemoteError::Unreadable { what: key.to_string(), detail: "it is not text".into() })?;
        parse_sidecar(text, name.as_str())
            .map(Some)
            .map_err(|detail| RemoteError::Unreadable { what: key.to_string(), detail })
    }

    /// Re-reads `backups/<name>` and checks it against its sidecar: the copy is only as good as
    /// this says. Refused when the sidecar is missing.
    pub async fn verify(
        &self,
        name: &BackupName,
        progress: ProgressFn<'_>,
        cancel: &AtomicBool,
    ) -> Result<Measured, RemoteError> {
        let expected = self.sidecar(name).await?.ok_or_else(|| RemoteError::NoChecksum { name: name.to_string() })?;
        let found = self.measure(&backup_key(name)?, TransferPhase::Download, progress, cancel).await?;
        if found.sha256 != expected {
            return Err(RemoteError::Mismatch {
                name: name.to_string(),
                expected: format!("SHA-256 {expected}"),
                found: found.to_string(),
                after_upload: false,
            });
        }
        Ok(found)
    }

    /// Removes a backup and its sidecar. The sidecar goes first, so an interrupted delete leaves
    /// a copy that no longer claims to be verified rather than a claim without a copy.
    pub async fn delete(&self, name: &BackupName) -> Result<(), RemoteError> {
        self.delete_raw(&sidecar_key(name)?).await?;
        self.delete_raw(&backup_key(name)?).await
    }
}
