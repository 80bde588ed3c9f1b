//! Cross-origin protection for state-changing requests, in the manner of Go's
//! `net/http.CrossOriginProtection`: browsers say where a request comes from (`Sec-Fetch-Site`,
//! `Origin`); a request from another site is refused. Requests with neither header (curl,
//! scripts) are not from a browser page and pass.

use super::ApiError;
use axum::{
    extract::Request,
    http::{Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

pub async fn cross_origin_protection(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    match verdict(&req) {
        Ok(()) => next.run(req).await,
        Err(reason) => ApiError::Forbidden(format!("cross-origin request refused: {reason}")).into_response(),
    }
}

fn verdict(req: &Request) -> Result<(), &'static str> {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        return match site.as_bytes() {
            b"same-origin" | b"none" => Ok(()),
            b"cross-site" | b"same-site" => Err("Sec-Fetch-Site says the request comes from another site"),
            _ => Err("unrecognised Sec-Fetch-Site"),
        };
    }
    let Some(origin) = headers.get(header::ORIGIN) else { return Ok(()) };
    let origin = origin.to_str().map_err(|_| "unreadable Origin header")?;
    let origin_host = origin.split_once("://").map(|(_, rest)| rest).ok_or("Origin is not a URL")?;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .ok_or("no Host header to compare the Origin with")?;
    if origin_host.eq_ignore_ascii_case(host) { Ok(()) } else { Err("Origin does not match Host") }
}
