//! Read-only answers: the dashboard, the history, one backup, progress, stats, files.

use super::backup_id;
use crate::{http::ApiError, state::AppState};
use app::backups::{
    cron_words,
    types::{
        BackupDetail, BackupEventView, BackupPage, BackupSettingsView, BackupStatus, BackupTrigger, BackupView, Dashboard,
        DatabasePanel, DatabaseStatsView, FilesView, IntegrityView, OrphanFile, ProgressResponse, ProgressView, ScheduleView,
        StatsView,
    },
};
use crate::http::ApiQuery;
use axum::{
    Json,
    extract::{Path, State},
};
use chrono::{DateTime, SecondsFormat, Utc};
use engine::backup::{BackupRecord, BackupStats, Schedule, Status, Trigger};
use serde::Deserialize;

pub const DEFAULT_PER_PAGE: u32 = 25;
pub const MAX_PER_PAGE: u32 = 200;

pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn status(s: Status) -> BackupStatus {
    match s {
        Status::Running => BackupStatus::Running,
        Status::Success => BackupStatus::Success,
        Status::Failed => BackupStatus::Failed,
        Status::Skipped => BackupStatus::Skipped,
        Status::Pruned => BackupStatus::Pruned,
        Status::Deleted => BackupStatus::Deleted,
    }
}

fn trigger(t: Trigger) -> BackupTrigger {
    match t {
        Trigger::Manual => BackupTrigger::Manual,
        Trigger::Scheduled => BackupTrigger::Scheduled,
        Trigger::Cli => BackupTrigger::Cli,
        Trigger::PreRestore => BackupTrigger::PreRestore,
        Trigger::Upload => BackupTrigger::Upload,
    }
}

pub fn backup_view(r: &BackupRecord) -> BackupView {
    BackupView {
        id: r.id,
        filename: r.filename.clone(),
        created_at: time(r.created_at),
        finished_at: r.finished_at.map(time),
        size_bytes: r.size_bytes,
        duration_ms: r.duration_ms,
        copy_ms: r.copy_ms,
        verify_ms: r.verify_ms,
        status: status(r.status),
        error: r.error.clone(),
        trigger: trigger(r.trigger),
        sha256: r.sha256.clone(),
        integrity_ok: r.integrity_ok,
        pruned_at: r.pruned_at.map(time),
        deleted_at: r.deleted_at.map(time),
        download_count: r.download_count,
        last_downloaded_at: r.last_downloaded_at.map(time),
        restored_at: r.restored_at.map(time),
    }
}

pub fn schedule_view(schedule: &Schedule) -> ScheduleView {
    ScheduleView {
        expression: schedule.expression().to_string(),
        enabled: !schedule.is_off(),
        description: cron_words::describe(schedule.expression()),
        next_runs: schedule.upcoming(Utc::now(), 3).into_iter().map(time).collect(),
    }
}

pub async fn settings_view(state: &AppState) -> Result<BackupSettingsView, ApiError> {
    let backups = &state.engine.backups;
    Ok(BackupSettingsView {
        schedule: schedule_view(&backups.schedule().await?),
        retention: backups.retention().await?,
        default_schedule: backups.default_schedule().expression().to_string(),
        upload_max_bytes: backups.upload_max(),
    })
}

fn stats_view(s: &BackupStats) -> StatsView {
    StatsView {
        last_24h: s.last_24h,
        successful: s.successful,
        failed: s.failed,
        pruned: s.pruned,
        average_duration_ms: s.average_duration_ms,
        total_size_bytes: s.total_size_bytes,
    }
}

pub fn progress_view(state: &AppState) -> Option<ProgressView> {
    state.engine.backups.progress().map(|p| ProgressView {
        operation: p.operation.as_str().to_string(),
        phase: p.phase.as_str().to_string(),
        done: p.done,
        total: p.total,
        unit: format!("{:?}", p.unit).to_lowercase(),
        backup_id: p.backup_id,
        finished: p.phase.is_finished(),
        error: (p.phase == engine::backup::Phase::Failed).then(|| "see the history for the reason".to_string()),
    })
}

fn page_of(all: &[BackupRecord], page: u32, per_page: u32) -> BackupPage {
    let per_page = per_page.clamp(1, MAX_PER_PAGE);
    let pages = (all.len() as u32).div_ceil(per_page).max(1);
    let page = page.clamp(1, pages);
    let start = ((page - 1) * per_page) as usize;
    BackupPage {
        backups: all.iter().skip(start).take(per_page as usize).map(backup_view).collect(),
        page,
        per_page,
        total: all.len() as u64,
    }
}

async fn files_view(state: &AppState, all: &[BackupRecord]) -> Result<FilesView, ApiError> {
    let backups = &state.engine.backups;
    let files = backups.files_of(all)?;
    let orphans = files
        .iter()
        .filter(|f| f.backup_id.is_none())
        .map(|f| OrphanFile { name: f.name.as_str().to_string(), size_bytes: f.size_bytes, modified_at: f.modified_at.map(time) })
        .collect();
    let missing = all
        .iter()
        .filter(|r| r.has_file() && !files.iter().any(|f| f.backup_id == Some(r.id)))
        .map(backup_view)
        .collect();
    Ok(FilesView { orphans, missing, backup_dir: backups.dir().display().to_string(), available_bytes: backups.available_space()? })
}

pub async fn database_panel(state: &AppState) -> Result<DatabasePanel, ApiError> {
    let stats = engine::stats::database_stats(&state.engine.app_db).await?;
    let last = engine::stats::last_integrity_check(&state.engine.system_db).await?;
    Ok(DatabasePanel {
        stats: database_stats_view(stats),
        last_check: last.map(|c| IntegrityView { at: time(c.at), ok: c.ok, problems: c.problems, duration_ms: c.duration_ms }),
    })
}

pub fn database_stats_view(s: engine::stats::DatabaseStats) -> DatabaseStatsView {
    DatabaseStatsView {
        path: s.path,
        file_bytes: s.file_bytes,
        wal_bytes: s.wal_bytes,
        page_size: s.page_size,
        page_count: s.page_count,
        freelist_pages: s.freelist_pages,
        sqlite_version: s.sqlite_version,
        journal_mode: s.journal_mode,
    }
}

/// Which tab of the dashboard is shown: only its data is loaded with the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DashboardTab {
    #[default]
    History,
    Files,
    Upload,
    Settings,
    Database,
}

impl DashboardTab {
    pub fn from_query(value: Option<&str>) -> Self {
        match value {
            Some("files") => DashboardTab::Files,
            Some("upload") => DashboardTab::Upload,
            Some("settings") => DashboardTab::Settings,
            Some("database") => DashboardTab::Database,
            _ => DashboardTab::History,
        }
    }
}

/// Everything `/backups` shows: the one function behind both the server-rendered page and
/// `GET /api/backups/dashboard`. One read of the catalogue serves the history, the cards and
/// the banner.
pub async fn dashboard_data(state: &AppState, page: u32, per_page: u32, tab: DashboardTab) -> Result<Dashboard, ApiError> {
    let all = state.engine.backups.list().await?;
    Ok(Dashboard {
        settings: settings_view(state).await?,
        last_success: all.iter().find(|r| r.status == Status::Success).map(backup_view),
        last_failure: engine::backup::last_failure_of(&all).map(backup_view),
        progress: progress_view(state),
        stats: stats_view(&engine::backup::stats_of(&all, Utc::now())),
        history: page_of(&all, page, per_page),
        files: if tab == DashboardTab::Files { Some(files_view(state, &all).await?) } else { None },
        database: if tab == DashboardTab::Database { Some(database_panel(state).await?) } else { None },
    })
}

pub async fn detail_data(state: &AppState, id: i64) -> Result<BackupDetail, ApiError> {
    let backups = &state.engine.backups;
    let record = backups.get(id).await?;
    let events = backups.events(id).await?;
    Ok(BackupDetail {
        file_present: backups.file_path(&record).is_ok(),
        backup: backup_view(&record),
        events: events
            .into_iter()
            .map(|e| BackupEventView { at: time(e.at), kind: e.kind.as_str().to_string(), detail: e.detail })
            .collect(),
    })
}

/// `?page=` and `?per_page=`: positive integers (a bad value is a 422, not silently page 1);
/// `?tab=` for the dashboard.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    #[serde(default)]
    pub tab: Option<DashboardTab>,
}

fn check_page(q: &PageQuery) -> Result<(u32, u32), ApiError> {
    let page = q.page.unwrap_or(1);
    let per_page = q.per_page.unwrap_or(DEFAULT_PER_PAGE);
    if page == 0 {
        return Err(ApiError::validation("page", "page starts at 1"));
    }
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(ApiError::validation("per_page", format!("per_page must be 1–{MAX_PER_PAGE}")));
    }
    Ok((page, per_page))
}

pub async fn list(State(state): State<AppState>, ApiQuery(q): ApiQuery<PageQuery>) -> Result<Json<BackupPage>, ApiError> {
    let (page, per_page) = check_page(&q)?;
    let all = state.engine.backups.list().await?;
    Ok(Json(page_of(&all, page, per_page)))
}

pub async fn dashboard(State(state): State<AppState>, ApiQuery(q): ApiQuery<PageQuery>) -> Result<Json<Dashboard>, ApiError> {
    let (page, per_page) = check_page(&q)?;
    Ok(Json(dashboard_data(&state, page, per_page, q.tab.unwrap_or_default()).await?))
}

pub async fn detail(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<BackupDetail>, ApiError> {
    Ok(Json(detail_data(&state, backup_id(&id)?).await?))
}

pub async fn progress(State(state): State<AppState>) -> Json<ProgressResponse> {
    Json(ProgressResponse { progress: progress_view(&state) })
}

pub async fn stats(State(state): State<AppState>) -> Result<Json<StatsView>, ApiError> {
    Ok(Json(stats_view(&state.engine.backups.stats().await?)))
}

pub async fn files(State(state): State<AppState>) -> Result<Json<FilesView>, ApiError> {
    let all = state.engine.backups.list().await?;
    Ok(Json(files_view(&state, &all).await?))
}
