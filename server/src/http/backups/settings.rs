//! Schedule and retention: read, preview (validated as you type), change without a restart.

use crate::{
    http::{ApiError, ApiJson, ApiQuery},
    state::AppState,
};
use axum::{Json, extract::State};
use chrono::Utc;
use contract::backup::{BackupSettings, BackupSettingsUpdate, ScheduleInfo};
use engine::backup::{BackupError, Schedule};
use serde::Deserialize;

pub async fn get_settings(State(state): State<AppState>) -> Result<Json<BackupSettings>, ApiError> {
    Ok(Json(state.engine.backups.settings().await?))
}

/// `PUT /api/backups/settings`: both values are checked (by the engine) before either is
/// applied, so a bad one changes nothing.
pub async fn update(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<BackupSettingsUpdate>,
) -> Result<Json<BackupSettings>, ApiError> {
    Ok(Json(state.engine.backups.update_settings(body.schedule.as_deref(), body.retention).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewQuery {
    expression: String,
}

/// `GET /api/backups/schedule-preview?expression=…`: the expression in words and its next three
/// runs, or 422 with the parser's reason.
pub async fn preview(ApiQuery(q): ApiQuery<PreviewQuery>) -> Result<Json<ScheduleInfo>, ApiError> {
    if q.expression.len() > 200 {
        return Err(ApiError::validation("expression", "a cron expression is at most 200 characters"));
    }
    match Schedule::parse(&q.expression) {
        Ok(schedule) => Ok(Json(schedule.info(Utc::now()))),
        Err(BackupError::InvalidSchedule(reason)) => {
            Err(ApiError::validation("expression", format!("invalid schedule: {reason}")))
        }
        Err(e) => Err(e.into()),
    }
}
