use super::ApiError;
use axum::{
    extract::{FromRequest, Request, rejection::JsonRejection},
    http::StatusCode,
};
use serde::de::DeserializeOwned;

/// `axum::Json`, but every rejection becomes a JSON `{"error": …}` with a 4xx status that names
/// the problem (malformed JSON, wrong type, missing field, wrong content type, too large).
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
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
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::UnsupportedMediaType("expected a JSON body with `Content-Type: application/json`".into())
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge(format!("request body is larger than the limit of {} bytes", super::JSON_BODY_LIMIT))
        }
        other => ApiError::BadRequest(format!("cannot read the request body: {}", other.body_text())),
    }
}

/// serde_path_to_error-style messages start with the field path ("theme.mode: …") or say
/// "missing field `x`"; pull the field name out of either.
fn field_of(detail: &str) -> String {
    if let Some(rest) = detail.split("missing field `").nth(1) {
        return rest.split('`').next().unwrap_or_default().to_string();
    }
    if let Some(rest) = detail.split("unknown variant `").nth(1) {
        let _ = rest;
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
    }
}
