//! Backup now, delete, restore.

use crate::{
    http::{ApiError, ApiJson, PositiveId},
    state::AppState,
};
use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
};
use contract::backup::{BackupRecord, RestoreRequest, RestoreResult};
use engine::backup::{RestoreSource, Trigger};
use std::time::Duration;

/// How long `POST /api/backups` waits for a small backup to finish before answering 202.
const WAIT_FOR_SMALL_BACKUPS: Duration = Duration::from_millis(750);

/// `POST /api/backups`: starts a backup. The body may be empty or `{}`; anything else is refused.
/// 201 with the record when it finished quickly, else 202 with the record of the backup it
/// started (follow it at `/api/backups/progress`). While this server is making a backup, a
/// second start answers 202 with that backup's record rather than making another (a double
/// click); 409 while a restore runs, or a backup of another process (the CLI).
pub async fn create(State(state): State<AppState>, body: Bytes) -> Result<(StatusCode, Json<BackupRecord>), ApiError> {
    let trimmed = String::from_utf8_lossy(&body);
    let trimmed = trimmed.trim();
    if !trimmed.is_empty() && trimmed != "{}" {
        return Err(ApiError::validation("", "POST /api/backups takes no parameters: send an empty body or {}"));
    }
    let started = state.engine.backups.start(Trigger::Manual).await?;
    if started.joined {
        return Ok((StatusCode::ACCEPTED, Json(started.record)));
    }
    let mut finished = started.finished;
    match tokio::time::timeout(WAIT_FOR_SMALL_BACKUPS, &mut finished).await {
        Ok(joined) => {
            let record = joined.map_err(anyhow::Error::from)??;
            Ok((StatusCode::CREATED, Json(record)))
        }
        // Still copying: the task goes on; the answer is the record it made.
        Err(_) => Ok((StatusCode::ACCEPTED, Json(started.record))),
    }
}

pub async fn delete(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<BackupRecord>, ApiError> {
    let id = PositiveId::parse(&id, "backup")?;
    Ok(Json(state.engine.backups.delete(id.get()).await?))
}

/// `POST /api/backups/{id}/restore` with `{"confirm": "<the file name>"}`.
pub async fn restore(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RestoreRequest>,
) -> Result<Json<RestoreResult>, ApiError> {
    let id = PositiveId::parse(&id, "backup")?.get();
    let backups = &state.engine.backups;
    let record = backups.get(id).await?;
    if body.confirm.trim() != record.filename {
        return Err(ApiError::validation(
            "confirm",
            format!("the confirmation does not match: type the file name {} exactly to restore it", record.filename),
        ));
    }
    let outcome = backups.restore(RestoreSource::Id(id)).await?;
    let restored = backups.get(id).await?;
    tracing::warn!(backup = %restored.filename, safety = %outcome.safety_backup.filename, "database restored");
    Ok(Json(RestoreResult {
        message: format!(
            "Restored from {} in {} ms. The data as it was just before is kept in {}.",
            restored.filename, outcome.duration_ms, outcome.safety_backup.filename
        ),
        restored_from: restored,
        safety_backup: outcome.safety_backup,
        duration_ms: outcome.duration_ms,
    }))
}
