//! `ALLOWED_HOSTS`: a request whose `Host` is not one this server answers to is refused with 400
//! before anything else runs. A DNS-rebinding page (a name of the attacker's that resolves to
//! this server's private address) makes the browser send that name: it never gets an answer,
//! cookies or not. `/health` answers whatever the name, since orchestrators ask it by address.

use super::{ApiError, access::is_api};
use crate::state::AppState;
use axum::{
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use contract::paths;

const REFUSED: &str = "the Host of this request is not a name this server answers to (see ALLOWED_HOSTS)";

pub async fn check_host(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.uri().path() == paths::HEALTH {
        return next.run(req).await;
    }
    // HTTP/1.1 sends `Host`; HTTP/2 the URI's authority.
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    if host.is_some_and(|h| state.settings.allowed_hosts.allows(h)) {
        return next.run(req).await;
    }
    tracing::warn!(host = host.unwrap_or("(none)"), "request for a host not in ALLOWED_HOSTS refused");
    if is_api(req.uri().path()) {
        ApiError::BadRequest(REFUSED.into()).into_response()
    } else {
        (StatusCode::BAD_REQUEST, format!("400: {REFUSED}\n")).into_response()
    }
}
