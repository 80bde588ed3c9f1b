//! Periodic clean-up while the server runs: expired sessions and stale lockout counters.

use crate::state::AppState;
use chrono::Utc;
use engine::sessions::SqliteSessionStore;
use std::time::Duration;
use tower_sessions::ExpiredDeletion;

const EVERY: Duration = Duration::from_secs(15 * 60);

pub async fn run(state: AppState) {
    let sessions = SqliteSessionStore::new(state.engine.system_db.clone());
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tick.tick().await;
        if let Err(e) = sessions.delete_expired().await {
            tracing::error!(error = %e, "cannot delete expired sessions");
        }
        if let Err(e) = state.engine.lockout.delete_stale(Utc::now()).await {
            tracing::error!(error = %e, "cannot delete stale login-failure counters");
        }
    }
}
