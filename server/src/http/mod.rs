//! The HTTP surface: one router assembled from each module's `router()`, wrapped in the layers
//! every request passes (outermost first):
//!
//! 1. request id: a client's `X-Request-ID` is kept if it is 1–128 visible ASCII characters,
//!    else one is generated (UUID v4); every response carries it back;
//! 2. request log (`layers::trace`): a span with the id, method and path — never the query
//!    string, headers or bodies — and one line per response with status and latency;
//! 3. security headers on every response that has not set its own: `X-Content-Type-Options:
//!    nosniff`, `Referrer-Policy: strict-origin-when-cross-origin`, `X-Frame-Options: DENY`, and
//!    (`csp.rs`) a Content-Security-Policy (pages set theirs with the nonce of their scripts;
//!    every other answer gets one that allows nothing) and a Permissions-Policy;
//! 4. host check (`hosts.rs`, `ALLOWED_HOSTS`): 400 for a name this server does not answer to;
//! 5. request timeout (`REQUEST_TIMEOUT_SECS`): 503, JSON on `/api/`; backup, restore, upload,
//!    download and database-maintenance routes are exempt (`layers::runs_long`);
//! 6. body limit (`REQUEST_BODY_LIMIT`, default 64 KiB): 413; routes that take files set their
//!    own (avatars 5 MB; backup uploads are limited by `BACKUP_UPLOAD_MAX` while streaming);
//! 7. every error under `/api/` as JSON (`layers::api_errors_as_json`);
//! 8. cross-origin check, session, current user, page context;
//! 9. the routes, each group behind the guard of its access level (`routes.rs`, `access.rs`).

pub mod access;
mod accounts;
pub mod auth;
mod backups;
pub mod client_ip;
mod csp;
mod error;
mod extract;
mod forms;
mod health;
mod hosts;
pub mod layers;
pub mod origin;
mod pages;
pub mod routes;
pub mod theme;

pub use access::Access;
pub use error::ApiError;
pub use extract::{ApiJson, ApiQuery, PositiveId};
pub use routes::{RouteEntry, Routes};

use crate::state::AppState;
use axum::{
    Extension, Router,
    extract::DefaultBodyLimit,
    http::{HeaderValue, header},
    middleware,
};
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
};

/// JSON bodies are small: the default of `REQUEST_BODY_LIMIT`. Routes that take files set their
/// own limits.
pub const JSON_BODY_LIMIT: usize = crate::config::DEFAULT_REQUEST_BODY_LIMIT;

/// Every route the server serves, each with its access level: the JSON API, the file transfers
/// and the pages.
pub fn routes(state: &AppState) -> anyhow::Result<Routes> {
    Ok(Routes::new()
        .merge(health::routes())
        .merge(accounts::routes())
        .merge(theme::routes())
        .merge(forms::routes())
        .merge(backups::routes())
        .merge(pages::routes(state)?))
}

/// The table of every (method, path, access level) the server serves.
pub fn route_table(state: &AppState) -> anyhow::Result<Vec<RouteEntry>> {
    Ok(routes(state)?.table().to_vec())
}

pub fn router(state: AppState) -> anyhow::Result<Router> {
    let body_limit = state.settings.request_body_limit;
    let request_timeout = state.settings.request_timeout;
    let (routes, _) = routes(&state)?.into_router(&state);
    // Each `.layer` wraps everything above it: read from the bottom up, this is the list of the
    // module comment.
    Ok(routes
        .fallback(pages::fallback())
        .layer(middleware::from_fn_with_state(state.clone(), pages::boot_context))
        .layer(middleware::from_fn_with_state(state.clone(), auth::resolve_user))
        .layer(auth::session_layer(&state))
        .layer(middleware::from_fn(origin::cross_origin_protection))
        .layer(middleware::from_fn(layers::api_errors_as_json))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(Extension(layers::BodyLimit(body_limit)))
        .layer(middleware::from_fn_with_state(request_timeout, layers::request_timeout))
        .layer(middleware::from_fn_with_state(state.clone(), hosts::check_host))
        .layer(middleware::from_fn(csp::policies))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(layers::trace())
        .layer(PropagateRequestIdLayer::new(layers::X_REQUEST_ID))
        .layer(SetRequestIdLayer::new(layers::X_REQUEST_ID, MakeRequestUuid))
        .layer(middleware::from_fn(layers::drop_unacceptable_request_id))
        .with_state(state))
}
