//! Backup now, delete, restore.

use super::{backup_id, views::backup_view};
use crate::{
    http::{ApiError, ApiJson},
    state::AppState,
};
use app::backups::types::{BackupView, RestoreRequest, RestoreResult};
use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
};
use engine::backup::{Operation, RestoreSource, Trigger};
use std::time::Duration;

/// How long `POST /api/backups` waits for a small backup to finish before answering 202.
const WAIT_FOR_SMALL_BACKUPS: Duration = Duration::from_millis(750);

/// `POST /api/backups`: starts a backup. The body may be empty or `{}`; anything else is refused.
/// 201 with the record when it finished quickly, else 202 with the running record (follow it at
/// `/api/backups/progress`); 409 when one is already running.
pub async fn create(State(state): State<AppState>, body: Bytes) -> Result<(StatusCode, Json<BackupView>), ApiError> {
    let trimmed = String::from_utf8_lossy(&body);
    let trimmed = trimmed.trim();
    if !trimmed.is_empty() && trimmed != "{}" {
        return Err(ApiError::validation("", "POST /api/backups takes no parameters: send an empty body or {}"));
    }
    let engine = state.engine.backups.clone();
    let mut task = tokio::spawn(async move { engine.create(Trigger::Manual).await });
    match tokio::time::timeout(WAIT_FOR_SMALL_BACKUPS, &mut task).await {
        Ok(joined) => {
            let record = joined.map_err(anyhow::Error::from)??;
            Ok((StatusCode::CREATED, Json(backup_view(&record))))
        }
        Err(_) => {
            // Still copying: answer with the running record while the task goes on.
            let running = state
                .engine
                .backups
                .progress()
                .filter(|p| p.operation == Operation::Backup && !p.phase.is_finished())
                .and_then(|p| p.backup_id);
            let record = match running {
                Some(id) => state.engine.backups.get(id).await?,
                None => state.engine.backups.list().await?.into_iter().next().ok_or_else(|| anyhow::anyhow!("no record of the running backup"))?,
            };
            Ok((StatusCode::ACCEPTED, Json(backup_view(&record))))
        }
    }
}

pub async fn delete(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<BackupView>, ApiError> {
    let record = state.engine.backups.delete(backup_id(&id)?).await?;
    Ok(Json(backup_view(&record)))
}

/// `POST /api/backups/{id}/restore` with `{"confirm": "<the file name>"}`.
pub async fn restore(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RestoreRequest>,
) -> Result<Json<RestoreResult>, ApiError> {
    let id = backup_id(&id)?;
    let record = state.engine.backups.get(id).await?;
    if body.confirm.trim() != record.filename {
        return Err(ApiError::validation(
            "confirm",
            format!("the confirmation does not match: type the file name {} exactly to restore it", record.filename),
        ));
    }
    let outcome = state.engine.backups.restore(RestoreSource::Id(id)).await?;
    let restored = state.engine.backups.get(id).await?;
    tracing::warn!(backup = %restored.filename, safety = %outcome.safety_backup.filename, "database restored");
    Ok(Json(RestoreResult {
        message: format!(
            "Restored from {} in {} ms. The data as it was just before is kept in {}.",
            restored.filename, outcome.duration_ms, outcome.safety_backup.filename
        ),
        restored_from: backup_view(&restored),
        safety_backup: backup_view(&outcome.safety_backup),
        duration_ms: outcome.duration_ms,
    }))
}
