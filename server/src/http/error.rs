use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use contract::{
    error::ErrorBody,
    format::{human_duration, sentence},
};

/// Every error a JSON handler can return. The client sees a status and a message that helps it;
/// internal details are logged, never sent.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("invalid username or password")]
    InvalidCredentials,
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("authentication required")]
    Unauthorized,
    /// The session was ended for a reason worth saying (401).
    #[error("{0}")]
    SignedOut(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{message}")]
    Conflict { field: String, message: String },
    #[error("{message}")]
    TooManyRequests { message: String, retry_after_secs: u64 },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unavailable(String),
    /// A server-side operation failed for a reason worth showing (a backup that ran out of
    /// space, say): 500, with the reason.
    #[error("{0}")]
    OperationFailed(String),
    /// A service the server depends on (the off-site storage) failed or refused: 502, with the
    /// reason (never a secret).
    #[error("{0}")]
    BadGateway(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation { field: field.into(), message: message.into() }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized | ApiError::SignedOut(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::OperationFailed(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<engine::DbError> for ApiError {
    fn from(e: engine::DbError) -> Self {
        match e {
            engine::DbError::WritesHeld => ApiError::Unavailable(e.to_string()),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<engine::accounts::AccountError> for ApiError {
    fn from(e: engine::accounts::AccountError) -> Self {
        use engine::accounts::{AccountError as A, LockScope};
        match e {
            A::Invalid { field, message } => ApiError::validation(field, message),
            A::Duplicate { field } => {
                ApiError::Conflict { field: field.into(), message: format!("this {field} is already taken") }
            }
            A::NotFound => ApiError::NotFound("no such user".into()),
            A::InvalidCredentials => ApiError::InvalidCredentials,
            A::WrongCurrentPassword => ApiError::validation("current_password", "the current password is wrong"),
            A::Locked { scope, retry_after_secs } => ApiError::TooManyRequests {
                message: format!(
                    "too many failed logins {}; try again in {}",
                    match scope {
                        LockScope::Account => "for this account",
                        LockScope::Address => "from your address",
                    },
                    human_duration(retry_after_secs)
                ),
                retry_after_secs,
            },
            A::GuessesExhausted => ApiError::SignedOut(
                "the current password was wrong too many times, so this session has been signed out; \
                 log in again (logins to this account wait 15 minutes)"
                    .into(),
            ),
            A::Db(db) => db.into(),
        }
    }
}

impl ApiError {
    /// What the client is told: a sentence (capital first, full stop last), and the field. An
    /// internal error is logged here and told only as such.
    pub fn body(&self) -> ErrorBody {
        match self {
            ApiError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                ErrorBody { error: "Something went wrong on the server; the error is logged.".into(), field: None }
            }
            ApiError::Validation { field, message } | ApiError::Conflict { field, message } => {
                ErrorBody { error: sentence(message), field: (!field.is_empty()).then(|| field.clone()) }
            }
            other => ErrorBody { error: sentence(&other.to_string()), field: None },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = self.body();
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        if let ApiError::TooManyRequests { retry_after_secs, .. } = &self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        response
    }
}
