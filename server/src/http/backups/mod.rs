//! The staff backup dashboard's JSON API (`/api/backups…`, `/api/database…`) and the file
//! transfers (`/backups/{filename}/download`, `/backups/download-fresh`). Staff only: every route
//! here is declared with `Access::Staff`.

mod actions;
mod database;
mod remote;
mod settings;
mod transfer;
mod views;

pub use views::{dashboard_data, detail_data};

use crate::http::{Access, ApiError, Routes};
use axum::{extract::DefaultBodyLimit, http::Method, routing::post};
use contract::paths;
use engine::backup::{BackupError, remote::RemoteError};

pub fn routes() -> Routes {
    Routes::new()
        .staff(Method::GET, paths::BACKUPS, views::list)
        .staff(Method::POST, paths::BACKUPS, actions::create)
        .staff(Method::GET, paths::BACKUPS_DASHBOARD, views::dashboard)
        .staff(Method::GET, paths::BACKUPS_PROGRESS, views::progress)
        .staff(Method::GET, paths::BACKUPS_STATS, views::stats)
        .staff(Method::GET, paths::BACKUPS_FILES, views::files)
        .staff(Method::GET, paths::BACKUPS_SETTINGS, settings::get_settings)
        .staff(Method::PUT, paths::BACKUPS_SETTINGS, settings::update)
        .staff(Method::GET, paths::BACKUPS_SCHEDULE_PREVIEW, settings::preview)
        // The engine enforces BACKUP_UPLOAD_MAX while it streams the body to disk.
        .route(
            Access::Staff,
            Method::POST,
            paths::BACKUPS_UPLOAD,
            post(transfer::upload).layer(DefaultBodyLimit::disable()),
        )
        .staff(Method::GET, paths::BACKUPS_REMOTE, remote::view)
        .staff(Method::GET, paths::BACKUPS_REMOTE_STATUS, remote::status)
        .staff(Method::POST, paths::BACKUPS_REMOTE_CHECK, remote::check)
        .staff(Method::POST, paths::BACKUPS_REMOTE_RETRY, remote::retry)
        .staff(Method::POST, paths::BACKUPS_REMOTE_RESTORE, remote::restore)
        .staff(Method::GET, paths::BACKUP, views::detail)
        .staff(Method::DELETE, paths::BACKUP, actions::delete)
        .staff(Method::POST, paths::BACKUP_RESTORE, actions::restore)
        .staff(Method::GET, paths::DATABASE, database::panel)
        .staff(Method::POST, paths::DATABASE_ACTION, database::action)
        .staff(Method::POST, paths::BACKUP_DOWNLOAD_FRESH, transfer::download_fresh)
        .staff(Method::GET, paths::BACKUP_DOWNLOAD, transfer::download)
}

impl From<BackupError> for ApiError {
    fn from(e: BackupError) -> Self {
        match e {
            BackupError::AlreadyRunning { .. } => ApiError::Conflict { field: String::new(), message: e.to_string() },
            BackupError::NotFound(_) | BackupError::NoFile { .. } => ApiError::NotFound(e.to_string()),
            BackupError::InvalidName { .. } => ApiError::NotFound(e.to_string()),
            BackupError::Invalid { reason } => ApiError::validation("file", reason),
            BackupError::Duplicate { .. } => ApiError::Conflict { field: "file".into(), message: e.to_string() },
            BackupError::TooLarge { .. } => ApiError::PayloadTooLarge(e.to_string()),
            BackupError::InvalidSchedule(reason) => {
                ApiError::validation("schedule", format!("invalid schedule: {reason}"))
            }
            BackupError::InvalidRetention { .. } => ApiError::validation("retention", e.to_string()),
            BackupError::NothingToChange => ApiError::validation("", e.to_string()),
            BackupError::ShuttingDown => ApiError::Unavailable(e.to_string()),
            BackupError::NoSpace { .. } | BackupError::Failed(_) => ApiError::OperationFailed(e.to_string()),
            BackupError::NoRemote => ApiError::Conflict { field: String::new(), message: e.to_string() },
            BackupError::Remote(remote) => remote_error(remote),
            BackupError::Db(db) => db.into(),
        }
    }
}

/// A copy that is not there is 404; a bad name or a copy that fails its checksum is 422 (nothing
/// was installed); the storage service failing or refusing is 502; a stop in the middle is 503.
fn remote_error(e: RemoteError) -> ApiError {
    match e {
        RemoteError::NotFound { .. } => ApiError::NotFound(e.to_string()),
        RemoteError::InvalidName { .. } | RemoteError::InvalidKey(_) => ApiError::validation("name", e.to_string()),
        RemoteError::Mismatch { .. } | RemoteError::NoChecksum { .. } => ApiError::validation("name", e.to_string()),
        RemoteError::Cancelled => ApiError::Unavailable(e.to_string()),
        RemoteError::Local { .. } | RemoteError::LocalChanged { .. } => ApiError::OperationFailed(e.to_string()),
        _ => ApiError::BadGateway(e.to_string()),
    }
}
