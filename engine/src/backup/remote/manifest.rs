//! The media manifest: what the remote's `media/` holds, with sizes and digests, kept on the
//! remote itself so any machine (a new one after a disaster) can continue or restore the mirror.

use super::{
    error::RemoteError,
    key::{RemoteKey, Sha256Digest},
    store::RemoteStore,
};
use chrono::{DateTime, Utc};
use object_store::PutPayload;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Beside `media/`, not inside it, so no uploaded file can collide with it.
pub(crate) const MANIFEST_KEY: &str = "media-manifest.json";
const VERSION: u32 = 1;

/// One mirrored file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub size: u64,
    pub sha256: Sha256Digest,
    /// The local modification time (nanoseconds since 1970) when the file was last seen: with
    /// the size, it spares hashing unchanged files. Only a hint: on another machine it differs,
    /// and the digest decides.
    pub mtime_ns: i64,
    /// When the file was first found missing locally; the remote copy goes 30 days later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

/// The whole manifest: paths relative to `MEDIA_ROOT`, `/`-separated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaManifest {
    pub version: u32,
    pub files: BTreeMap<String, ManifestEntry>,
}

impl MediaManifest {
    /// The manifest on the remote, or an empty one when nothing was ever mirrored. An
    /// unreadable manifest is an error, not a fresh start: rebuilding it would forget which
    /// remote files wait for deletion.
    pub async fn load(store: &RemoteStore) -> Result<Self, RemoteError> {
        let key = RemoteKey::parse(MANIFEST_KEY)?;
        let bytes = match store.get_bytes(&key).await {
            Ok(bytes) => bytes,
            Err(RemoteError::NotFound { .. }) => return Ok(MediaManifest { version: VERSION, files: BTreeMap::new() }),
            Err(e) => return Err(e),
        };
        let unreadable = |detail: String| RemoteError::Unreadable {
            what: MANIFEST_KEY.to_string(),
            detail: format!("{detail}; remove it from the remote to rebuild the mirror from scratch"),
        };
        let manifest: MediaManifest = serde_json::from_slice(&bytes).map_err(|e| unreadable(e.to_string()))?;
        if manifest.version != VERSION {
            return Err(unreadable(format!(
                "version {} is not the version {VERSION} this program writes",
                manifest.version
            )));
        }
        Ok(manifest)
    }

    pub(crate) async fn save(&self, store: &RemoteStore) -> Result<(), RemoteError> {
        let key = RemoteKey::parse(MANIFEST_KEY)?;
        let json = serde_json::to_vec(self)
            .map_err(|e| RemoteError::Unreadable { what: MANIFEST_KEY.to_string(), detail: e.to_string() })?;
        store.put_raw(&key, PutPayload::from(json)).await
    }
}
