//! The Content-Security-Policy of every page: exactly what the app needs. Its own scripts and
//! the hydration script (inline, allowed by the nonce Leptos puts on it, fresh for each
//! response), WebAssembly (`'wasm-unsafe-eval'`), its own stylesheet and fonts, inline `style`
//! attributes (the theme sets custom properties on `<html>`; no `<style>` element is allowed),
//! images from the site and `data:`, requests to the site. Nothing may frame a page, and forms
//! post only to the site.

/// The policy, with the response's script nonce; `None` allows no inline script at all.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let inline = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'{inline} 'wasm-unsafe-eval'; style-src 'self'; \
         style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Puts the policy with this response's nonce on the page being rendered (the response's
/// headers are sent after the shell's first chunk, so this is in time).
#[cfg(feature = "ssr")]
pub fn set_on_response() {
    use leptos::prelude::use_context;
    let (Some(response), Some(nonce)) = (use_context::<leptos_axum::ResponseOptions>(), leptos::nonce::use_nonce())
    else {
        return;
    };
    if let Ok(value) = http::HeaderValue::from_str(&content_security_policy(Some(&nonce))) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}
