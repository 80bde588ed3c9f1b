use super::Routes;
use crate::state::AppState;
use axum::{
    Json,
    extract::State,
    http::{Method, StatusCode},
};
use contract::{accounts::Health, paths};

pub fn routes() -> Routes {
    Routes::new().public(Method::GET, paths::HEALTH, health)
}

/// 200 `{"status":"ok","database":"ok"}` after a real query on both databases, else 503.
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let result = match state.engine.app_db.ping().await {
        Ok(()) => state.engine.system_db.ping().await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => (StatusCode::OK, Json(Health { status: "ok".into(), database: "ok".into() })),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "error".into(), database: "error".into() }))
        }
    }
}
