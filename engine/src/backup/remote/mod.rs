//! Off-site copies: backups and `media/` kept in S3-compatible storage or a second disk
//! (`BACKUP_REMOTE_URL`), behind one interface built on Apache Arrow's `object_store`.
//!
//! Layout under the prefix: `backups/<name>` and `backups/<name>.sha256` (as `sha256sum` writes
//! it, so a copy can be checked without the catalogue), `media/…` mirrored from `MEDIA_ROOT`, and
//! `media-manifest.json` describing the mirror.
//!
//! Nothing here counts as copied until it has been read back or checked: an upload is hashed
//! again from the remote before its sidecar is written, a download is hashed before it is renamed
//! into place, and a remote copy without a sidecar is never used.
//!
//! The settings, read by [`RemoteSettings::from_lookup`] (unset or empty means no remote):
//!
//! | variable | meaning |
//! |---|---|
//! | `BACKUP_REMOTE_URL` | `s3://bucket/optional/prefix` or `file:///absolute/folder` (which must exist) |
//! | `BACKUP_REMOTE_ENDPOINT` | an S3-compatible service (B2, R2, MinIO…); `https://`, or `http://` on loopback only; path-style addressing |
//! | `BACKUP_REMOTE_REGION` | default `us-east-1` |
//! | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` | both required with `s3://`; `AWS_SESSION_TOKEN` optional |
//! | `BACKUP_REMOTE_CREDENTIALS` | `keys` (default) or `instance` for the cloud's instance credentials |
//! | `BACKUP_REMOTE_MAX_RATE` | upload cap in bytes/s: `1500000`, `10MB` (1000-based), `20MiB` (1024-based), optional `/s` |
//!
//! Other `AWS_*` variables (`AWS_ENDPOINT`, `AWS_ALLOW_HTTP`…) are ignored: the S3 client is built
//! from these settings alone.
//!
//! - [`config`]: `RemoteSettings::from_lookup`, validated, with errors naming the variable.
//! - [`RemoteStore`]: `upload_file`, `download_file`, `list_backups`, `verify`, `delete`,
//!   `check`, and `put_bytes`/`get_bytes`/`list_prefix`/`delete_key` for other areas.
//! - [`media`]: `sync_media` and `restore_media`.

mod backups;
mod check;
pub mod config;
mod credentials;
mod error;
mod key;
mod manifest;
pub mod media;
mod rate;
mod store;
mod transfer;

pub use backups::RemoteBackup;
pub use check::{CheckFailure, CheckStep};
pub use config::{
    Credentials, Endpoint, RemoteConfigError, RemoteSettings, RemoteTarget, RemoteUrl, S3Settings, Secret,
};
pub use error::RemoteError;
pub use key::{InvalidKey, RemoteKey, Sha256Digest, parse_sidecar, sidecar_text};
pub use manifest::{ManifestEntry, MediaManifest};
pub use media::{KEEP_DELETED_DAYS, MediaReport, SkippedFile, SyncOptions, restore_media, sync_media};
pub use rate::MaxRate;
pub use store::{MAX_GET_BYTES, MIN_PART_SIZE, RemoteObject, RemoteStore, Tuning};
pub use transfer::{Expected, Measured, ProgressFn, TransferPhase, TransferProgress, UploadedObject};

/// Parses a backup name from outside (the command line, a remote listing) into the name the
/// transfers take, refusing anything but `db-YYYYMMDD-HHMMSS(-N).sqlite3`.
pub fn parse_backup_name(raw: &str) -> Result<crate::backup::BackupName, RemoteError> {
    crate::backup::BackupName::parse(raw).map_err(|e| match e {
        crate::backup::BackupError::InvalidName { name, reason } => {
            RemoteError::InvalidName { name, reason: reason.to_string() }
        }
        other => RemoteError::InvalidName { name: raw.chars().take(200).collect(), reason: other.to_string() },
    })
}
