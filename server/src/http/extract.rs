use super::ApiError;
use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Query, Request, rejection::JsonRejection},
    http::{HeaderMap, StatusCode, header, request::Parts},
};
use serde::de::{DeserializeOwned, IgnoredAny};

/// An id taken from a path: a positive integer. Anything else names nothing, so it is a 404 that
/// says what was looked for, never a 400 or a 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositiveId(i64);

impl PositiveId {
    /// `what` names the kind of thing in the message: "backup", "preset".
    pub fn parse(raw: &str, what: &'static str) -> Result<Self, ApiError> {
        raw.parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(PositiveId)
            .ok_or_else(|| ApiError::NotFound(format!("{raw:?} is not a {what} number")))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// `axum::Json`, but every rejection becomes a JSON `{"error": …}` with a 4xx status that names
/// the problem (malformed JSON, not an object, wrong type, missing or unknown field, wrong
/// content type, too large).
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let limit = req.extensions().get::<super::layers::BodyLimit>().map_or(super::JSON_BODY_LIMIT, |l| l.0);
        if !json_content_type(req.headers()) {
            return Err(ApiError::UnsupportedMediaType(
                "expected a JSON body with `Content-Type: application/json`".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(format!("request body is larger than the limit of {limit} bytes"))
            } else {
                ApiError::BadRequest(format!("cannot read the request body: {}", r.body_text()))
            }
        })?;
        // Every request body of this API is a JSON object. serde would also fill a struct from
        // an array (by position): refuse that instead of guessing.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(match serde_json::from_slice::<IgnoredAny>(&bytes) {
                Ok(_) => ApiError::validation("", "the request body must be a JSON object"),
                Err(e) if bytes.iter().all(u8::is_ascii_whitespace) => {
                    ApiError::BadRequest(format!("empty body: expected a JSON object ({e})"))
                }
                Err(e) => ApiError::BadRequest(format!("malformed JSON: {e}")),
            });
        }
        axum::Json::<T>::from_bytes(&bytes).map(|axum::Json(value)| ApiJson(value)).map_err(json_rejection)
    }
}

/// `application/json` or any `application/*+json`, with or without parameters.
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => {
            // serde's message names the field and the expected type, e.g.
            // "username: invalid type: integer `5`, expected a string at line 1 column 14".
            let detail = std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or_else(|| e.body_text());
            ApiError::validation(field_of(&detail), format!("invalid request body: {detail}"))
        }
        JsonRejection::JsonSyntaxError(e) => {
            let detail = std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or_else(|| e.body_text());
            ApiError::BadRequest(format!("malformed JSON: {detail}"))
        }
        other => ApiError::BadRequest(format!("cannot read the request body: {}", other.body_text())),
    }
}

/// `axum::extract::Query`, but a query string that does not fit is a 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => {
                let detail = std::error::Error::source(&rejection)
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| rejection.body_text());
                Err(ApiError::validation(field_of(&detail), format!("invalid query string: {detail}")))
            }
        }
    }
}

/// serde messages start with the field path ("theme.mode: …") or say "missing field `x`" or
/// "unknown field `x`"; pull the field name out of either.
fn field_of(detail: &str) -> String {
    for marker in ["missing field `", "unknown field `"] {
        if let Some(rest) = detail.split(marker).nth(1) {
            return rest.split('`').next().unwrap_or_default().to_string();
        }
    }
    match detail.split_once(": ") {
        Some((path, _)) if !path.contains(' ') && path != "." => path.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn finds_the_field_in_serde_messages() {
        assert_eq!(field_of("username: invalid type: integer `5`, expected a string at line 1 column 14"), "username");
        assert_eq!(field_of("missing field `password` at line 1 column 20"), "password");
        assert_eq!(field_of("unknown field `is_staff`, expected one of `username`, `email`"), "is_staff");
        assert_eq!(field_of("page: invalid digit found in string"), "page");
    }
}
