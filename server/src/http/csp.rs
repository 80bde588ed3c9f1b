//! The policies every response carries: a page's Content-Security-Policy is set while it
//! renders (`app::shell::csp`, with the nonce of its scripts); any other answer gets one that
//! allows nothing (a JSON body or a file opened on its own runs no script and loads nothing), and
//! every answer a Permissions-Policy that turns off what the app never uses.

use axum::{
    extract::Request,
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};

/// Powerful features the app never uses, off for it and for anything it could embed. Only names
/// browsers know: an unknown one is a console error in Chromium.
pub const PERMISSIONS_POLICY: &str =
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()";

const NOTHING: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub async fn policies(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let html =
            headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
        // An HTML answer that did not come from the page renderer gets the pages' policy
        // without a nonce: no inline script runs.
        let policy = if html { app::shell::csp::content_security_policy(None) } else { NOTHING.to_string() };
        if let Ok(value) = HeaderValue::from_str(&policy) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    headers.insert(
        axum::http::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    response
}
