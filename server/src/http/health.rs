use crate::state::AppState;
use app::api::Health;
use axum::{Json, Router, extract::State, http::StatusCode, routing::get};

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

/// 200 `{"status":"ok","database":"ok"}` after a real query on both databases, else 503.
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let engine = &state.engine;
    let result = match engine.app_db.ping().await {
        Ok(()) => engine.system_db.ping().await,
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
