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

/// 200 `{"status":"ok","database":"ok"}` after reading both databases' schemas and finding
/// everything the app needs there, else 503 with the problem (a table missing, say: a database
/// changed by hand) in `problem`.
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let mut problem = None;
    for (name, db) in
        [("the application database", &state.engine.app_db), ("the system database", &state.engine.system_db)]
    {
        match db.missing_parts().await {
            Ok(missing) if missing.is_empty() => {}
            Ok(missing) => {
                problem = Some(format!("{name}: {}", engine::db::schema::describe(&missing, 5)));
                break;
            }
            Err(e) => {
                tracing::error!(error = %e, "health check failed");
                problem = Some(format!("{name} cannot be read"));
                break;
            }
        }
    }
    match problem {
        None => (StatusCode::OK, Json(Health { status: "ok".into(), database: "ok".into(), problem: None })),
        Some(problem) => {
            tracing::error!(problem, "health check failed");
            let health = Health { status: "error".into(), database: "error".into(), problem: Some(problem) };
            (StatusCode::SERVICE_UNAVAILABLE, Json(health))
        }
    }
}
