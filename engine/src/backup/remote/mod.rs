//! Off-site copies: backups and `media/` kept in S3-compatible storage or a second disk
//! (`BACKUP_REMOTE_URL`).
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

pub mod config;
mod credentials;
mod key;
mod rate;

pub use config::{
    Credentials, Endpoint, RemoteConfigError, RemoteSettings, RemoteTarget, RemoteUrl, S3Settings, Secret,
};
pub use key::{InvalidKey, RemoteKey, Sha256Digest, parse_sidecar, sidecar_text};
pub use rate::MaxRate;
