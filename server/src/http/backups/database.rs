//! The dashboard's database panel: facts, and integrity check, VACUUM and WAL checkpoint on demand.

use super::views::{database_panel, database_stats_view};
use crate::{http::ApiError, state::AppState};
use app::backups::types::{DatabaseActionResult, DatabasePanel};
use axum::{
    Json,
    extract::{Path, State},
};
use std::time::Instant;

pub async fn panel(State(state): State<AppState>) -> Result<Json<DatabasePanel>, ApiError> {
    Ok(Json(database_panel(&state).await?))
}

/// `POST /api/database/{integrity-check|vacuum|checkpoint}`.
pub async fn action(State(state): State<AppState>, Path(action): Path<String>) -> Result<Json<DatabaseActionResult>, ApiError> {
    let engine = &state.engine;
    let started = Instant::now();
    let (ok, message) = match action.as_str() {
        "integrity-check" => {
            let record = engine::stats::run_integrity_check(&engine.app_db, &engine.system_db).await?;
            if record.ok {
                (true, "Integrity check: ok.".to_string())
            } else {
                (false, format!("Integrity check found {} problem(s): {}", record.problems.len(), record.problems.join("; ")))
            }
        }
        "vacuum" => {
            let before = engine::stats::database_stats(&engine.app_db).await?.file_bytes;
            engine.app_db.vacuum().await?;
            let after = engine::stats::database_stats(&engine.app_db).await?.file_bytes;
            (true, format!("VACUUM done: {} → {}.", app::backups::types::human_bytes(before), app::backups::types::human_bytes(after)))
        }
        "checkpoint" => {
            let (busy, log, done) = engine.app_db.checkpoint().await?;
            (busy == 0, format!("WAL checkpoint (TRUNCATE): {done} of {log} frames written back{}.", if busy != 0 { "; some readers kept it from finishing" } else { "" }))
        }
        other => return Err(ApiError::NotFound(format!("no database action {other:?}: use integrity-check, vacuum or checkpoint"))),
    };
    let stats = engine::stats::database_stats(&engine.app_db).await?;
    Ok(Json(DatabaseActionResult {
        action,
        ok,
        message,
        duration_ms: started.elapsed().as_millis() as u64,
        stats: database_stats_view(stats),
    }))
}
