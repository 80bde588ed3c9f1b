//! Read-only answers: the dashboard, the history, one backup, progress, stats, files. They send
//! what the engine returns; the only assembling done here is the dashboard's one-answer view.

use crate::{
    http::{ApiError, ApiQuery, PositiveId},
    state::AppState,
};
use axum::{
    Json,
    extract::{Path, State},
};
use chrono::Utc;
use contract::backup::{
    BackupDetail, BackupPage, BackupStats, Dashboard, DashboardQuery, DashboardTab, FilesReport, ProgressResponse,
    Status,
};
use engine::backup::{last_failure_of, page_of, stats_of};

/// Everything `/backups` shows: the one function behind both the server-rendered page and
/// `GET /api/backups/dashboard`. One read of the catalogue serves the history, the cards and
/// the banner.
pub async fn dashboard_data(
    state: &AppState,
    page: u32,
    per_page: u32,
    tab: DashboardTab,
) -> Result<Dashboard, ApiError> {
    let backups = &state.engine.backups;
    let all = backups.list().await?;
    Ok(Dashboard {
        settings: backups.settings().await?,
        last_success: all.iter().find(|r| r.status == Status::Success).cloned(),
        last_failure: last_failure_of(&all).cloned(),
        progress: backups.progress(),
        stats: stats_of(&all, Utc::now()),
        history: page_of(&all, page, per_page),
        files: if tab == DashboardTab::Files { Some(backups.files_report(&all)?) } else { None },
        database: if tab == DashboardTab::Database { Some(state.engine.database_panel().await?) } else { None },
        remote_alert: backups.remote_alert(&all).await?,
        remote: if tab == DashboardTab::Remote { Some(backups.remote_view(&all).await?) } else { None },
    })
}

pub async fn detail_data(state: &AppState, id: i64) -> Result<BackupDetail, ApiError> {
    let backups = &state.engine.backups;
    let backup = backups.get(id).await?;
    let events = backups.events(id).await?;
    Ok(BackupDetail { file_present: backups.file_path(&backup).is_ok(), backup, events })
}

/// The page and page size of a query, or 422 naming the parameter.
fn checked(query: &DashboardQuery) -> Result<(u32, u32), ApiError> {
    query.page_and_size().map_err(|e| ApiError::validation(e.field, e.message))
}

pub async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<DashboardQuery>,
) -> Result<Json<BackupPage>, ApiError> {
    let (page, per_page) = checked(&q)?;
    Ok(Json(page_of(&state.engine.backups.list().await?, page, per_page)))
}

pub async fn dashboard(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<DashboardQuery>,
) -> Result<Json<Dashboard>, ApiError> {
    let (page, per_page) = checked(&q)?;
    Ok(Json(dashboard_data(&state, page, per_page, q.tab()).await?))
}

pub async fn detail(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<BackupDetail>, ApiError> {
    Ok(Json(detail_data(&state, PositiveId::parse(&id, "backup")?.get()).await?))
}

pub async fn progress(State(state): State<AppState>) -> Json<ProgressResponse> {
    Json(ProgressResponse { progress: state.engine.backups.progress() })
}

pub async fn stats(State(state): State<AppState>) -> Result<Json<BackupStats>, ApiError> {
    Ok(Json(state.engine.backups.stats().await?))
}

pub async fn files(State(state): State<AppState>) -> Result<Json<FilesReport>, ApiError> {
    let backups = &state.engine.backups;
    Ok(Json(backups.files_report(&backups.list().await?)?))
}
