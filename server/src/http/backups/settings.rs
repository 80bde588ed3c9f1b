//! Schedule and retention: read, preview (validated as you type), change without a restart.

use super::views::{schedule_view, settings_view};
use crate::{
    http::{ApiError, ApiJson, ApiQuery},
    state::AppState,
};
use app::backups::types::{BackupSettingsUpdate, BackupSettingsView, ScheduleView};
use axum::{Json, extract::State};
use engine::backup::Schedule;
use serde::Deserialize;

pub async fn get_settings(State(state): State<AppState>) -> Result<Json<BackupSettingsView>, ApiError> {
    Ok(Json(settings_view(&state).await?))
}

/// Largest retention accepted: more is surely a typo.
const MAX_RETENTION: u32 = 100_000;

/// `PUT /api/backups/settings`: both values are checked before either is applied, so a bad one
/// changes nothing.
pub async fn update(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<BackupSettingsUpdate>,
) -> Result<Json<BackupSettingsView>, ApiError> {
    if body.schedule.is_none() && body.retention.is_none() {
        return Err(ApiError::validation("", "nothing to change: send schedule and/or retention"));
    }
    let schedule = body.schedule.as_deref().map(Schedule::parse).transpose()?;
    if let Some(keep) = body.retention
        && keep > MAX_RETENTION
    {
        return Err(ApiError::validation("retention", format!("retention must be 0 (keep all) to {MAX_RETENTION}")));
    }
    let backups = &state.engine.backups;
    if let Some(schedule) = schedule {
        backups.set_schedule(schedule.expression()).await?;
    }
    if let Some(keep) = body.retention {
        backups.set_retention(keep).await?;
    }
    Ok(Json(settings_view(&state).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewQuery {
    expression: String,
}

/// `GET /api/backups/schedule-preview?expression=…`: the expression in words and its next three
/// runs, or 422 with the parser's reason.
pub async fn preview(ApiQuery(q): ApiQuery<PreviewQuery>) -> Result<Json<ScheduleView>, ApiError> {
    if q.expression.len() > 200 {
        return Err(ApiError::validation("expression", "a cron expression is at most 200 characters"));
    }
    match Schedule::parse(&q.expression) {
        Ok(schedule) => Ok(Json(schedule_view(&schedule))),
        Err(engine::backup::BackupError::InvalidSchedule(reason)) => {
            Err(ApiError::validation("expression", format!("invalid schedule: {reason}")))
        }
        Err(e) => Err(e.into()),
    }
}
