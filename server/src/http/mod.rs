//! The HTTP surface: one router assembled from each module's `router()`, wrapped in the layers
//! every request passes (outermost first): cross-origin check, session, current user, page
//! context, access guard.

mod accounts;
mod backups;
pub mod auth;
pub mod client_ip;
mod error;
mod extract;
pub mod guard;
mod health;
pub mod origin;
mod pages;
pub mod theme;

pub use error::{ApiError, human_duration};
pub use extract::ApiJson;

use crate::state::AppState;
use axum::{Router, extract::DefaultBodyLimit, middleware};

/// JSON bodies are small; routes that take files set their own limits.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(accounts::router())
        .merge(theme::router())
        .merge(backups::router())
        .route("/api", axum::routing::any(error::api_not_found))
        .route("/api/", axum::routing::any(error::api_not_found))
        .route("/api/{*rest}", axum::routing::any(error::api_not_found))
        .merge(pages::router(&state))
        .layer(middleware::from_fn_with_state(state.clone(), guard::access_guard))
        .layer(middleware::from_fn_with_state(state.clone(), pages::boot_context))
        .layer(middleware::from_fn_with_state(state.clone(), auth::resolve_user))
        .layer(auth::session_layer(&state))
        .layer(middleware::from_fn(origin::cross_origin_protection))
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .with_state(state)
}
