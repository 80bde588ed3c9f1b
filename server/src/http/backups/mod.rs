//! The staff backup dashboard's JSON API (`/api/backups…`, `/api/database…`) and the file
//! transfers (`/backups/{filename}/download`, `/backups/download-fresh`). All staff only: the
//! routes are on the access guard's list.

mod actions;
mod database;
mod settings;
mod transfer;
mod views;

pub use views::{DEFAULT_PER_PAGE, DashboardTab, MAX_PER_PAGE, dashboard_data, detail_data};

use crate::{http::ApiError, state::AppState};
use axum::{
    Router,
    extract::DefaultBodyLimit,
    response::Redirect,
    routing::{get, post},
};
use engine::backup::BackupError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/backups", get(views::list).post(actions::create))
        .route("/api/backups/dashboard", get(views::dashboard))
        .route("/api/backups/progress", get(views::progress))
        .route("/api/backups/stats", get(views::stats))
        .route("/api/backups/files", get(views::files))
        .route("/api/backups/settings", get(settings::get_settings).put(settings::update))
        .route("/api/backups/schedule-preview", get(settings::preview))
        // The engine enforces BACKUP_UPLOAD_MAX while it streams the body to disk.
        .route("/api/backups/upload", post(transfer::upload).layer(DefaultBodyLimit::disable()))
        .route("/api/backups/{id}", get(views::detail).delete(actions::delete))
        .route("/api/backups/{id}/restore", post(actions::restore))
        .route("/api/database", get(database::panel))
        .route("/api/database/{action}", post(database::action))
        .route("/backups/", get(|| async { Redirect::permanent("/backups") }))
        .route("/backups/download-fresh", post(transfer::download_fresh))
        .route("/backups/{filename}/download", get(transfer::download))
}

/// Ids are positive integers; anything else names no backup.
fn backup_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| ApiError::NotFound(format!("no backup with id {raw:?}")))
}

impl From<BackupError> for ApiError {
    fn from(e: BackupError) -> Self {
        match e {
            BackupError::AlreadyRunning { .. } => ApiError::Conflict { field: String::new(), message: e.to_string() },
            BackupError::NotFound(_) | BackupError::NoFile { .. } => ApiError::NotFound(e.to_string()),
            BackupError::InvalidName { .. } => ApiError::NotFound(e.to_string()),
            BackupError::Invalid { reason } => ApiError::validation("file", reason),
            BackupError::TooLarge { .. } => ApiError::PayloadTooLarge(e.to_string()),
            BackupError::InvalidSchedule(reason) => ApiError::validation("schedule", format!("invalid schedule: {reason}")),
            BackupError::ShuttingDown => ApiError::Unavailable(e.to_string()),
            BackupError::NoSpace { .. } | BackupError::Failed(_) => ApiError::OperationFailed(e.to_string()),
            BackupError::Db(db) => db.into(),
        }
    }
}
