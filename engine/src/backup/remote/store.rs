//! [`RemoteStore`]: one interface over an S3-compatible bucket and a local folder, built on
//! `object_store`, with keys that stay under the prefix, errors mapped for people, and the fsync
//! the local store leaves out.

use super::{
    config::{Credentials, RemoteSettings, RemoteTarget, S3Settings},
    error::{ErrorContext, RemoteError, Scrubber},
    key::RemoteKey,
    rate::MaxRate,
};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, TryStreamExt, stream::BoxStream};
use object_store::{
    BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig,
    aws::{AmazonS3Builder, Checksum},
    local::LocalFileSystem,
    path::Path as ObjPath,
};
use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

/// S3's smallest part (except the last one).
pub const MIN_PART_SIZE: usize = 5 << 20;
/// The most a `get_bytes` reads into memory: larger objects go through the streamed transfers.
pub const MAX_GET_BYTES: u64 = 64 << 20;
/// Keys under this area are written only by `upload_file` and removed by `delete`, so nothing
/// unverified can pose as a backup.
pub(crate) const BACKUPS: &str = "backups";

/// How transfers are cut and retried. The defaults keep an upload's memory under
/// [`Tuning::memory_bound`] = (3 + 1) × 8 MiB + 1 MiB = 33 MiB, whatever the file's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// The size of each part of a multipart upload, and the largest file sent in one request.
    pub part_size: usize,
    /// Parts in flight at once.
    pub concurrency: usize,
    /// Retries of one request after a network fault or a 5xx answer, with backoff.
    pub retries: usize,
    pub connect_timeout: Duration,
    /// One request, e.g. one part: generous, since a slow line sends 8 MiB in tens of seconds.
    pub request_timeout: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            part_size: 8 << 20,
            concurrency: 3,
            retries: 3,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(300),
        }
    }
}

/// The file is read in blocks of this size, each hashed and handed to the uploader.
pub(crate) const READ_BLOCK: usize = 1 << 20;

impl Tuning {
    /// The most memory one upload holds: the parts in flight, the part being filled, one block.
    pub fn memory_bound(&self) -> usize {
        (self.concurrency + 1) * self.part_size + READ_BLOCK
    }

    fn check(&self) -> Result<(), RemoteError> {
        if self.part_size < MIN_PART_SIZE || self.part_size > (1 << 30) {
            return Err(RemoteError::InvalidSettings("the part size must be from 5 MiB to 1 GiB".into()));
        }
        if !(1..=16).contains(&self.concurrency) {
            return Err(RemoteError::InvalidSettings("the upload concurrency must be from 1 to 16".into()));
        }
        Ok(())
    }
}

/// An object on the remote, with its key relative to the prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteObject {
    pub key: RemoteKey,
    pub size: u64,
    pub last_modified: DateTime<Utc>,
}

/// A copy store. Cheap to clone.
#[derive(Clone)]
pub struct RemoteStore {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Arc<dyn ObjectStore>,
    prefix: Option<ObjPath>,
    pub(crate) ctx: ErrorContext,
    /// `Some` for a file:// remote, which `object_store` does not fsync.
    pub(crate) folder: Option<PathBuf>,
    pub(crate) tuning: Tuning,
    pub(crate) max_rate: Option<MaxRate>,
    description: String,
}

impl std::fmt::Debug for RemoteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteStore").field("remote", &self.inner.description).finish()
    }
}

impl RemoteStore {
    pub fn open(settings: &RemoteSettings) -> Result<Self, RemoteError> {
        Self::open_with(settings, Tuning::default())
    }

    /// Builds the client; nothing is sent yet (see [`RemoteStore::check`]). A file:// folder
    /// must exist: creating it could write to the empty mount point of a disk that is not there.
    pub fn open_with(settings: &RemoteSettings, tuning: Tuning) -> Result<Self, RemoteError> {
        tuning.check()?;
        let scrubber = Scrubber::new(settings.secrets());
        let (store, prefix, ctx, folder): (Arc<dyn ObjectStore>, _, _, _) = match &settings.target {
            RemoteTarget::Folder(path) => {
                if !path.is_dir() {
                    return Err(RemoteError::FolderMissing { path: path.clone() });
                }
                let store = LocalFileSystem::new_with_prefix(path)
                    .map_err(|e| RemoteError::FolderFailed { path: path.clone(), detail: e.to_string() })?;
                let ctx = ErrorContext {
                    endpoint: format!("file://{}", path.display()),
                    bucket: String::new(),
                    folder: Some(path.clone()),
                    scrubber,
                };
                (Arc::new(store), None, ctx, Some(path.clone()))
            }
            RemoteTarget::S3(s3) => {
                let endpoint = s3
                    .endpoint
                    .as_ref()
                    .map_or_else(|| format!("https://s3.{}.amazonaws.com", s3.region), |e| e.to_string());
                let ctx = ErrorContext { endpoint, bucket: s3.bucket.clone(), folder: None, scrubber };
                let store = build_s3(s3, &tuning).map_err(|e| {
                    RemoteError::InvalidSettings(ctx.scrubber.clean(&format!("cannot set up the S3 client: {e}")))
                })?;
                let prefix = (!s3.prefix.is_empty()).then(|| ObjPath::from(s3.prefix.as_str()));
                (Arc::new(store), prefix, ctx, None)
            }
        };
        Ok(RemoteStore {
            inner: Arc::new(Inner {
                store,
                prefix,
                ctx,
                folder,
                tuning,
                max_rate: settings.max_rate,
                description: settings.to_string(),
            }),
        })
    }

    /// Where copies go, safe to show (masked key id, never a secret).
    pub fn description(&self) -> &str {
        &self.inner.description
    }

    pub fn tuning(&self) -> Tuning {
        self.inner.tuning
    }

    /// The object's full key in the bucket or folder, as the catalogue records it.
    pub fn full_key(&self, key: &RemoteKey) -> String {
        self.location(key).to_string()
    }

    pub(crate) fn location(&self, key: &RemoteKey) -> ObjPath {
        // Both parts are checked keys, so the parse cannot fail; `from` would only re-encode.
        let full = match &self.inner.prefix {
            Some(prefix) => format!("{prefix}/{key}"),
            None => key.to_string(),
        };
        ObjPath::parse(&full).unwrap_or_else(|_| ObjPath::from(full.as_str()))
    }

    pub(crate) fn map(&self, err: object_store::Error, key: &RemoteKey) -> RemoteError {
        self.inner.ctx.map(err, key.as_str())
    }

    /// Stores `bytes` under `key` (`media/…`, `replica/…`), replacing what was there. Keys under
    /// `backups/` are refused: backups go through `upload_file`, which verifies them.
    pub async fn put_bytes(&self, key: &RemoteKey, bytes: impl Into<Bytes>) -> Result<(), RemoteError> {
        refuse_backups_area(key)?;
        self.put_raw(key, PutPayload::from_bytes(bytes.into())).await
    }

    /// Reads a small object whole (at most 64 MiB).
    pub async fn get_bytes(&self, key: &RemoteKey) -> Result<Bytes, RemoteError> {
        let result = self.inner.store.get(&self.location(key)).await.map_err(|e| self.map(e, key))?;
        if result.meta.size > MAX_GET_BYTES {
            return Err(RemoteError::Unreadable {
                what: key.to_string(),
                detail: format!("it holds {} bytes, more than get_bytes reads into memory", result.meta.size),
            });
        }
        result.bytes().await.map_err(|e| self.map(e, key))
    }

    /// Every object under `dir` (recursively), with keys relative to the prefix.
    pub async fn list_prefix(&self, dir: &RemoteKey) -> Result<Vec<RemoteObject>, RemoteError> {
        self.list_raw(dir).await
    }

    /// Removes `key`; a key already gone is not an error.
    pub async fn delete_key(&self, key: &RemoteKey) -> Result<(), RemoteError> {
        refuse_backups_area(key)?;
        self.delete_raw(key).await
    }

    pub(crate) async fn put_raw(&self, key: &RemoteKey, payload: PutPayload) -> Result<(), RemoteError> {
        self.ensure_folder()?;
        self.inner.store.put(&self.location(key), payload).await.map_err(|e| self.map(e, key))?;
        self.sync_local(key).await
    }

    pub(crate) async fn list_raw(&self, dir: &RemoteKey) -> Result<Vec<RemoteObject>, RemoteError> {
        let location = self.location(dir);
        let mut objects = Vec::new();
        let mut listing = self.inner.store.list(Some(&location));
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(|e| self.map(e, dir))?;
            let relative: Option<Vec<String>> = match &self.inner.prefix {
                Some(prefix) => {
                    meta.location.prefix_match(prefix).map(|parts| parts.map(|p| p.as_ref().to_string()).collect())
                }
                None => Some(meta.location.parts().map(|p| p.as_ref().to_string()).collect()),
            };
            // An object whose key this crate would refuse was not written by it: leave it alone.
            let key = relative.and_then(|parts| RemoteKey::parse(&parts.join("/")).ok());
            if let Some(key) = key {
                objects.push(RemoteObject { key, size: meta.size, last_modified: meta.last_modified });
            } else {
                tracing::debug!(key = %meta.location, "ignoring a remote object with an unexpected key");
            }
        }
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(objects)
    }

    pub(crate) async fn delete_raw(&self, key: &RemoteKey) -> Result<(), RemoteError> {
        // A key already gone is fine; a bucket that is gone is not (S3 says 404 for both).
        match self.inner.store.delete(&self.location(key)).await.map_err(|e| self.map(e, key)) {
            Ok(()) | Err(RemoteError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        // The folder of a key that never existed may not exist either: nothing to flush then.
        if let Some(path) = self.local_path(key).and_then(|p| p.parent().map(Path::to_path_buf)).filter(|p| p.is_dir())
        {
            sync_dir(&path).await?;
        }
        Ok(())
    }

    /// The object's bytes as a stream; errors mapped.
    pub(crate) async fn get_stream(
        &self,
        key: &RemoteKey,
    ) -> Result<(u64, BoxStream<'static, Result<Bytes, RemoteError>>), RemoteError> {
        let result = self.inner.store.get(&self.location(key)).await.map_err(|e| self.map(e, key))?;
        let size = result.meta.size;
        let ctx = self.inner.ctx.clone();
        let name = key.to_string();
        Ok((size, result.into_stream().map_err(move |e| ctx.map(e, &name)).boxed()))
    }

    /// Refuses to write when a file:// folder has gone (an unmounted disk): `object_store` would
    /// create the missing folders on whatever disk holds the mount point.
    pub(crate) fn ensure_folder(&self) -> Result<(), RemoteError> {
        match &self.inner.folder {
            Some(path) if !path.is_dir() => Err(RemoteError::FolderMissing { path: path.clone() }),
            _ => Ok(()),
        }
    }

    pub(crate) fn local_path(&self, key: &RemoteKey) -> Option<PathBuf> {
        let folder = self.inner.folder.as_ref()?;
        Some(key.segments().fold(folder.clone(), |path, segment| path.join(segment)))
    }

    /// For a file:// remote: flushes the file and its folder to disk, so a copy that was
    /// reported written survives a power cut.
    pub(crate) async fn sync_local(&self, key: &RemoteKey) -> Result<(), RemoteError> {
        let Some(path) = self.local_path(key) else { return Ok(()) };
        let file = path.clone();
        tokio::task::spawn_blocking(move || std::fs::File::open(&file).and_then(|f| f.sync_all()))
            .await
            .map_err(|e| RemoteError::local(&path, "cannot flush it to disk", e))?
            .map_err(|e| RemoteError::local(&path, "cannot flush it to disk", e))?;
        match path.parent() {
            Some(parent) => sync_dir(parent).await,
            None => Ok(()),
        }
    }
}

fn refuse_backups_area(key: &RemoteKey) -> Result<(), RemoteError> {
    if key.segments().next() == Some(BACKUPS) {
        return Err(super::key::InvalidKey {
            key: key.to_string(),
            reason: "backups/ is written only by upload_file, which verifies each copy",
        }
        .into());
    }
    Ok(())
}

async fn sync_dir(path: &Path) -> Result<(), RemoteError> {
    let dir = path.to_path_buf();
    tokio::task::spawn_blocking(move || std::fs::File::open(&dir).and_then(|f| f.sync_all()))
        .await
        .map_err(|e| RemoteError::local(path, "cannot flush the folder to disk", e))?
        .map_err(|e| RemoteError::local(path, "cannot flush the folder to disk", e))
}

/// The S3 client, from the settings alone: `AmazonS3Builder::new()`, never `from_env()`, so
/// `AWS_ENDPOINT`, `AWS_ALLOW_HTTP` and the like cannot change where or how it connects.
fn build_s3(s3: &S3Settings, tuning: &Tuning) -> Result<object_store::aws::AmazonS3, object_store::Error> {
    let allow_http = s3.endpoint.as_ref().is_some_and(|e| e.is_http());
    let options = ClientOptions::new()
        .with_allow_http(allow_http)
        .with_connect_timeout(tuning.connect_timeout)
        .with_timeout(tuning.request_timeout);
    let retry = RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            base: 2.0,
        },
        max_retries: tuning.retries,
        retry_timeout: Duration::from_secs(60),
    };
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(&s3.bucket)
        .with_region(&s3.region)
        .with_checksum_algorithm(Checksum::SHA256)
        .with_client_options(options)
        .with_retry(retry);
    builder = match &s3.endpoint {
        // S3-compatible services rarely support virtual-hosted names on custom endpoints.
        Some(endpoint) => builder.with_endpoint(endpoint.as_str()).with_virtual_hosted_style_request(false),
        // AWS prefers virtual-hosted names, but a dotted bucket name breaks their TLS certificate.
        None => builder.with_virtual_hosted_style_request(!s3.bucket.contains('.')),
    };
    if let Credentials::Keys { access_key_id, secret_access_key, session_token } = &s3.credentials {
        builder = builder.with_access_key_id(access_key_id).with_secret_access_key(secret_access_key.expose());
        if let Some(token) = session_token {
            builder = builder.with_token(token.expose());
        }
    }
    builder.build()
}
