//! The operational layers around every request: the request id, the request log line, the
//! request timeout and the body limit's value. The order they are applied in is in `http/mod.rs`.

use super::{ApiError, access::is_api};
use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderName, HeaderValue, Method, Response, StatusCode, header},
    middleware::Next,
    response::IntoResponse,
};
use std::time::Duration;
use tower_http::{
    classify::{ServerErrorsAsFailures, ServerErrorsFailureClass, SharedClassifier},
    trace::{MakeSpan, OnFailure, OnResponse, TraceLayer},
};
use tracing::{Level, Span};

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest `X-Request-ID` accepted from a client.
const REQUEST_ID_MAX: usize = 128;

/// The configured `REQUEST_BODY_LIMIT`, as a request extension: the JSON extractor names it when
/// it refuses a body.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A client's `X-Request-ID` is kept when it is one header of 1 to 128 visible ASCII characters
/// (so it can go into a log line as it is); otherwise it is removed here and the next layer
/// generates one.
pub fn acceptable_request_id(value: &[u8]) -> bool {
    (1..=REQUEST_ID_MAX).contains(&value.len()) && value.iter().all(|b| b.is_ascii_graphic())
}

/// Middleware: drops an `X-Request-ID` that is not [`acceptable_request_id`] (or is repeated).
pub async fn drop_unacceptable_request_id(mut req: Request, next: Next) -> Response<Body> {
    let headers = req.headers_mut();
    let mut values = headers.get_all(&X_REQUEST_ID).iter();
    let keep = match (values.next(), values.next()) {
        (None, _) => true,
        (Some(one), None) => acceptable_request_id(one.as_bytes()),
        (Some(_), Some(_)) => false,
    };
    if !keep {
        headers.remove(&X_REQUEST_ID);
    }
    next.run(req).await
}

/// The request log: one span per request carrying its id, method and path (never the query
/// string: setup tokens and share codes travel there; never headers: cookies travel there; never
/// bodies: passwords travel there), and one line when the response starts, with its status and
/// latency. `/health` is logged at debug level: Docker asks it every 30 seconds.
pub fn trace() -> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, RequestSpan, (), LogResponse, (), (), LogFailure>
{
    TraceLayer::new_for_http()
        .make_span_with(RequestSpan)
        .on_request(())
        .on_response(LogResponse)
        .on_body_chunk(())
        .on_eos(())
        .on_failure(LogFailure)
}

#[derive(Debug, Clone, Copy)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &axum::http::Request<B>) -> Span {
        // Set by the request-id layers outside this one; always present and printable.
        let id = request.headers().get(&X_REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
        let (method, path) = (request.method(), request.uri().path());
        if path == "/health" {
            tracing::debug_span!("request", request_id = %id, %method, path)
        } else {
            tracing::info_span!("request", request_id = %id, %method, path)
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct LogResponse;

impl<B> OnResponse<B> for LogResponse {
    fn on_response(self, response: &Response<B>, latency: Duration, span: &Span) {
        let status = response.status().as_u16();
        let latency_ms = millis(latency);
        if response.status().is_server_error() {
            tracing::warn!(status, latency_ms, "response");
        } else if span.metadata().is_some_and(|m| *m.level() == Level::DEBUG) {
            tracing::debug!(status, latency_ms, "response");
        } else {
            tracing::info!(status, latency_ms, "response");
        }
    }
}

/// Milliseconds to one decimal.
fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

/// 5xx statuses are already logged by [`LogResponse`]; this reports a response body that broke
/// off (a download whose client went away, a connection closed at shutdown).
#[derive(Debug, Clone, Copy)]
pub struct LogFailure;

impl OnFailure<ServerErrorsFailureClass> for LogFailure {
    fn on_failure(&mut self, failure: ServerErrorsFailureClass, latency: Duration, _span: &Span) {
        if let ServerErrorsFailureClass::Error(error) = failure {
            tracing::warn!(error, latency_ms = millis(latency), "response broke off");
        }
    }
}

/// Middleware: a request that takes longer than `REQUEST_TIMEOUT_SECS` is answered 503 (JSON on
/// `/api/`, text elsewhere) and its handler dropped. Writes are transactions, so a dropped handler
/// leaves nothing half-written; backups, restores and uploads run on tasks of their own and are
/// not affected. Routes that legitimately run long ([`runs_long`]) are exempt. (tower-http's
/// `TimeoutLayer` answers with an empty body; API errors must be JSON.)
pub async fn request_timeout(State(limit): State<Duration>, req: Request, next: Next) -> Response<Body> {
    if runs_long(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    let api = is_api(req.uri().path());
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            let secs = limit.as_secs();
            tracing::warn!(timeout_secs = secs, "request timed out");
            let message = format!("the request took longer than {secs} s and was stopped; try again");
            if api {
                ApiError::Unavailable(message).into_response()
            } else {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::RETRY_AFTER, HeaderValue::from_static("5"))],
                    format!("503: {message}\n"),
                )
                    .into_response()
            }
        }
    }
}

/// Routes exempt from the request timeout: they copy whole databases or files and take as long
/// as that takes (a download's body is streamed after its handler returned, so only its start
/// would be cut anyway).
pub fn runs_long(method: &Method, path: &str) -> bool {
    let path = if path.len() > 1 { path.trim_end_matches('/') } else { path };
    let one_segment = |prefix: &str, suffix: &str| {
        path.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(suffix))
            .is_some_and(|middle| !middle.is_empty() && !middle.contains('/'))
    };
    match *method {
        Method::POST => {
            path == "/api/backups/upload"
                || path == "/backups/download-fresh"
                || one_segment("/api/backups/", "/restore")
                || one_segment("/api/database/", "")
        }
        Method::GET | Method::HEAD => one_segment("/backups/", "/download"),
        _ => false,
    }
}

/// Under `/api/`, every error answer is JSON. axum's own rejections — a path segment that is not
/// UTF-8, a method the route does not take, a body over the limit read by a plain extractor —
/// come as plain text or with no body; they are rewritten to `{"error": …}` with their status.
pub async fn api_errors_as_json(req: Request, next: Next) -> Response<Body> {
    if !is_api(req.uri().path()) {
        return next.run(req).await;
    }
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 16 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    let message = if !text.is_empty() {
        text
    } else if status == StatusCode::METHOD_NOT_ALLOWED {
        let allowed = parts.headers.get(header::ALLOW).and_then(|v| v.to_str().ok()).unwrap_or_default();
        format!("method not allowed; this endpoint accepts {allowed}")
    } else {
        status.canonical_reason().unwrap_or("error").to_lowercase()
    };
    let body = serde_json::json!({ "error": message }).to_string();
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_short_and_printable() {
        assert!(acceptable_request_id(b"abc-123"));
        assert!(acceptable_request_id(b"0f8fad5b-d9cb-469f-a165-70867728950e"));
        assert!(acceptable_request_id(&[b'x'; 128]));
        assert!(!acceptable_request_id(&[b'x'; 129]));
        assert!(!acceptable_request_id(b""));
        assert!(!acceptable_request_id(b"two words"));
        assert!(!acceptable_request_id(b"line\nbreak"));
        assert!(!acceptable_request_id("caf\u{e9}".as_bytes()));
    }

    #[test]
    fn only_file_and_database_routes_run_long() {
        for (method, path) in [
            (Method::POST, "/api/backups/upload"),
            (Method::POST, "/api/backups/12/restore"),
            (Method::POST, "/api/database/vacuum"),
            (Method::POST, "/api/database/check/"),
            (Method::POST, "/backups/download-fresh"),
            (Method::GET, "/backups/db-20250101-020000.sqlite3/download"),
            (Method::HEAD, "/backups/db-20250101-020000.sqlite3/download"),
        ] {
            assert!(runs_long(&method, path), "{method} {path}");
        }
        for (method, path) in [
            (Method::POST, "/api/backups"),
            (Method::GET, "/api/backups/12/restore"),
            (Method::POST, "/api/backups//restore"),
            (Method::POST, "/api/backups/1/2/restore"),
            (Method::GET, "/api/database"),
            (Method::POST, "/api/database"),
            (Method::POST, "/api/login"),
            (Method::GET, "/backups"),
            (Method::GET, "/backups/download"),
            (Method::DELETE, "/backups/x/download"),
        ] {
            assert!(!runs_long(&method, path), "{method} {path}");
        }
    }
}
