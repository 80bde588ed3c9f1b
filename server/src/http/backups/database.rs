//! The dashboard's database panel: facts, and the maintenance actions (the same engine function
//! as `smallstack db check|vacuum|checkpoint`).

use crate::{http::ApiError, state::AppState};
use axum::{
    Json,
    extract::{Path, State},
};
use contract::{
    ClosedSet,
    database::{DatabasePanel, MaintenanceAction, MaintenanceReport},
};

pub async fn panel(State(state): State<AppState>) -> Result<Json<DatabasePanel>, ApiError> {
    Ok(Json(state.engine.database_panel().await?))
}

/// `POST /api/database/{integrity-check|vacuum|checkpoint}`.
pub async fn action(
    State(state): State<AppState>,
    Path(action): Path<String>,
) -> Result<Json<MaintenanceReport>, ApiError> {
    let action: MaintenanceAction = action.parse().map_err(|_| {
        ApiError::NotFound(format!("there is no database action {action:?}: use {}", MaintenanceAction::allowed()))
    })?;
    Ok(Json(state.engine.maintain(action).await?))
}
