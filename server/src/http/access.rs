//! The guards of signed-in and staff routes. They are layered on the routes of their level when
//! the router is assembled ([`super::routes::Routes`]), so they run for every method of those
//! routes, HEAD and OPTIONS included, before any extractor reads a body.

use super::{ApiError, auth::AuthUser};
use crate::state::AppState;
use axum::{
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use contract::paths;

pub use contract::access::Access;

pub fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Lets signed-in users through; anonymous requests get 401 (API) or the login page.
pub async fn require_signed_in(req: Request, next: Next) -> Response {
    match req.extensions().get::<AuthUser>() {
        Some(_) => next.run(req).await,
        None => to_login(&req),
    }
}

/// Lets staff through; other users get 403 (the site's 403 page for a page), anonymous requests
/// 401 (API) or the login page.
pub async fn require_staff(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match req.extensions().get::<AuthUser>() {
        Some(user) if user.is_staff => next.run(req).await,
        Some(_) if is_api(req.uri().path()) => {
            ApiError::Forbidden("this is for staff members only".into()).into_response()
        }
        Some(_) if is_page(req.uri().path()) => super::pages::forbidden_page(&state, req).await,
        // A staff route that is no page (a download, a form post): the site rendered at this
        // address would say "page not found", so the refusal is said in words instead.
        Some(_) => (StatusCode::FORBIDDEN, "This is for staff members only.").into_response(),
        None => to_login(&req),
    }
}

/// Whether `path` is one of the app's pages (`app::shell::PAGE_ACCESS`, `{param}` matching one
/// non-empty segment).
fn is_page(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    app::shell::PAGE_ACCESS.iter().any(|(pattern, _)| {
        let parts: Vec<&str> = pattern.trim_end_matches('/').split('/').collect();
        parts.len() == segments.len()
            && parts.iter().zip(&segments).all(|(p, s)| if p.starts_with('{') { !s.is_empty() } else { p == s })
    })
}

fn to_login(req: &Request) -> Response {
    if is_api(req.uri().path()) {
        return ApiError::Unauthorized.into_response();
    }
    let target = req.uri().path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
    let location = paths::login_with_next(target);
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}
