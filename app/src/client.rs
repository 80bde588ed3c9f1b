//! Calls from the browser to the JSON API. On the server these are never reached (event handlers
//! only run in the browser), so there they just report that.

use contract::error::ErrorBody;
use serde::{Serialize, de::DeserializeOwned};

fn error(message: impl Into<String>) -> ErrorBody {
    ErrorBody::new(message)
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use gloo_net::http::{Request, RequestBuilder, Response};

    async fn finish<R: DeserializeOwned>(response: Result<Response, gloo_net::Error>) -> Result<R, ErrorBody> {
        let response = response.map_err(|e| {
            error(format!("The server could not be reached ({e}). Check the connection and try again."))
        })?;
        let status = response.status();
        if (200..300).contains(&status) {
            if status == 204 {
                return serde_json::from_str("null").map_err(|e| error(e.to_string()));
            }
            response
                .json::<R>()
                .await
                .map_err(|e| error(format!("The server gave an answer this page cannot read ({e}). Reload the page.")))
        } else {
            match response.json::<ErrorBody>().await {
                Ok(e) => Err(e),
                Err(_) => Err(error(format!("The server answered with an error ({status}). Try again."))),
            }
        }
    }

    pub async fn send_json<B: Serialize, R: DeserializeOwned>(
        builder: RequestBuilder,
        body: &B,
    ) -> Result<R, ErrorBody> {
        let request = builder.json(body).map_err(|e| error(e.to_string()))?;
        finish(request.send().await).await
    }

    pub async fn get<R: DeserializeOwned>(url: &str) -> Result<R, ErrorBody> {
        finish(Request::get(url).send().await).await
    }

    pub async fn post<B: Serialize, R: DeserializeOwned>(url: &str, body: &B) -> Result<R, ErrorBody> {
        send_json(Request::post(url), body).await
    }

    pub async fn patch<B: Serialize, R: DeserializeOwned>(url: &str, body: &B) -> Result<R, ErrorBody> {
        send_json(Request::patch(url), body).await
    }

    pub async fn put<B: Serialize, R: DeserializeOwned>(url: &str, body: &B) -> Result<R, ErrorBody> {
        send_json(Request::put(url), body).await
    }

    pub async fn delete<R: DeserializeOwned>(url: &str) -> Result<R, ErrorBody> {
        finish(Request::delete(url).send().await).await
    }

    /// POSTs a file as the raw request body with XMLHttpRequest, which (unlike fetch) reports
    /// upload progress. `on_progress` gets 0–100; `on_done` the decoded answer.
    pub fn upload_with_progress<R: DeserializeOwned + 'static>(
        url: &str,
        file: web_sys::File,
        on_progress: impl Fn(u32) + 'static,
        on_done: impl Fn(Result<R, ErrorBody>) + 'static,
    ) {
        use wasm_bindgen::{JsCast, closure::Closure};
        let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
            on_done(Err(error("This browser cannot upload files.")));
            return;
        };
        if xhr.open("POST", url).is_err() {
            on_done(Err(error("The upload could not start. Try again.")));
            return;
        }
        let _ = xhr.set_request_header("content-type", "application/octet-stream");
        if let Ok(upload) = xhr.upload() {
            let progress = Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
                if e.length_computable() && e.total() > 0.0 {
                    on_progress(((e.loaded() / e.total()) * 100.0) as u32);
                }
            });
            upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
            progress.forget();
        }
        let done_xhr = xhr.clone();
        let on_done = std::rc::Rc::new(on_done);
        let finished = {
            let on_done = on_done.clone();
            Closure::<dyn Fn()>::new(move || {
                let status = done_xhr.status().unwrap_or(0);
                let text = done_xhr.response_text().ok().flatten().unwrap_or_default();
                if status == 0 {
                    on_done(Err(error("The upload was interrupted: the connection closed. Try again.")));
                } else if (200..300).contains(&status) {
                    on_done(serde_json::from_str::<R>(&text).map_err(|e| {
                        error(format!("The server gave an answer this page cannot read ({e}). Reload the page."))
                    }));
                } else {
                    on_done(Err(serde_json::from_str::<ErrorBody>(&text).unwrap_or_else(|_| {
                        error(format!("The server answered with an error ({status}). Try again."))
                    })));
                }
            })
        };
        xhr.set_onloadend(Some(finished.as_ref().unchecked_ref()));
        finished.forget();
        if xhr.send_with_opt_blob(Some(&file)).is_err() {
            on_done(Err(error("The file could not be sent. Try again.")));
        }
    }

    pub async fn post_form<R: DeserializeOwned>(url: &str, form: web_sys::FormData) -> Result<R, ErrorBody> {
        let request = Request::post(url).body(form).map_err(|e| error(e.to_string()))?;
        finish(request.send().await).await
    }

    /// Full page load, so the server renders the new session (user, theme) into the page.
    pub fn go_to(path: &str) {
        if let Some(window) = web_sys::window() {
            let _ = window.location().assign(path);
        }
    }
}

#[cfg(feature = "hydrate")]
pub use browser::*;

#[cfg(not(feature = "hydrate"))]
mod server_side {
    use super::*;

    const NOT_HERE: &str = "This works only in the browser.";

    pub async fn get<R: DeserializeOwned>(_url: &str) -> Result<R, ErrorBody> {
        Err(error(NOT_HERE))
    }
    pub async fn post<B: Serialize, R: DeserializeOwned>(_url: &str, _body: &B) -> Result<R, ErrorBody> {
        Err(error(NOT_HERE))
    }
    pub async fn patch<B: Serialize, R: DeserializeOwned>(_url: &str, _body: &B) -> Result<R, ErrorBody> {
        Err(error(NOT_HERE))
    }
    pub async fn put<B: Serialize, R: DeserializeOwned>(_url: &str, _body: &B) -> Result<R, ErrorBody> {
        Err(error(NOT_HERE))
    }
    pub async fn delete<R: DeserializeOwned>(_url: &str) -> Result<R, ErrorBody> {
        Err(error(NOT_HERE))
    }
    pub fn go_to(_path: &str) {}
}

#[cfg(not(feature = "hydrate"))]
pub use server_side::*;
