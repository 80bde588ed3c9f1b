//! The Remote tab's API: the remote's view (configuration redacted, queue, copies, media), the
//! queue alone (polled while a copy is made), the connection test, "retry now", and a restore
//! from an off-site copy. Each is one engine call.

use crate::{
    http::{ApiError, ApiJson},
    state::AppState,
};
use axum::{Json, body::Bytes, extract::State};
use contract::backup::{RemoteCheckReport, RemoteRestoreRequest, RemoteStatus, RemoteView, RestoreResult};
use contract::format::{human_bytes, human_ms};
use engine::backup::RemoteChoice;

/// These actions take no parameters: an empty body or `{}`; anything else is refused.
fn no_parameters(body: &Bytes, what: &str) -> Result<(), ApiError> {
    let text = String::from_utf8_lossy(body);
    match text.trim() {
        "" | "{}" => Ok(()),
        _ => Err(ApiError::validation("", format!("{what} takes no parameters: send an empty body or {{}}"))),
    }
}

pub async fn view(State(state): State<AppState>) -> Result<Json<RemoteView>, ApiError> {
    let backups = &state.engine.backups;
    Ok(Json(backups.remote_view(&backups.list().await?).await?))
}

pub async fn status(State(state): State<AppState>) -> Result<Json<RemoteStatus>, ApiError> {
    Ok(Json(state.engine.backups.remote_status().await?))
}

/// `POST /api/backups/remote/check`: 200 with the report, `ok: false` naming the failed step
/// and why; 409 when no remote is configured.
pub async fn check(State(state): State<AppState>, body: Bytes) -> Result<Json<RemoteCheckReport>, ApiError> {
    no_parameters(&body, "POST /api/backups/remote/check")?;
    Ok(Json(state.engine.backups.check_remote().await?))
}

/// `POST /api/backups/remote/retry`: failed copies waiting for a retry are tried now.
pub async fn retry(State(state): State<AppState>, body: Bytes) -> Result<Json<RemoteStatus>, ApiError> {
    no_parameters(&body, "POST /api/backups/remote/retry")?;
    let backups = &state.engine.backups;
    backups.retry_uploads().await?;
    Ok(Json(backups.remote_status().await?))
}

/// `POST /api/backups/remote/restore` with `{"name": "db-….sqlite3", "confirm": "db-….sqlite3"}`:
/// downloads the copy (checked against its SHA-256), restores it through the same path as any
/// restore, and brings `media/` back.
pub async fn restore(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RemoteRestoreRequest>,
) -> Result<Json<RestoreResult>, ApiError> {
    let choice = RemoteChoice::parse(&body.name).map_err(|e| ApiError::validation("name", e.to_string()))?;
    if body.confirm.trim() != body.name.trim() {
        return Err(ApiError::validation(
            "confirm",
            format!("the confirmation does not match: type the file name {} exactly to restore it", body.name.trim()),
        ));
    }
    let outcome = state.engine.backups.restore_remote(choice).await?;
    tracing::warn!(key = %outcome.key, safety = %outcome.restore.safety_backup.filename, "database restored from the remote");
    let fetched = match outcome.downloaded {
        Some((bytes, ms)) => format!("downloaded ({}, {}) and verified", human_bytes(bytes), human_ms(ms)),
        None => "identical to the local copy".to_string(),
    };
    let media = match &outcome.media {
        Ok(m) if m.transferred == 0 => "media/ was already complete.".to_string(),
        Ok(m) => format!("{} media file(s) brought back ({}).", m.transferred, human_bytes(m.bytes)),
        Err(e) => format!("media/ could not be fully brought back: {e}"),
    };
    Ok(Json(RestoreResult {
        message: format!(
            "Restored from the off-site copy {} ({fetched}) in {}. The data as it was just before is kept in {}. {media}",
            outcome.record.filename,
            human_ms(outcome.restore.duration_ms),
            outcome.restore.safety_backup.filename
        ),
        restored_from: outcome.record,
        safety_backup: outcome.restore.safety_backup,
        duration_ms: outcome.restore.duration_ms,
    }))
}
