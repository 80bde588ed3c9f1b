use crate::{
    http::{
        ApiError, ApiJson,
        auth::{self, AuthUser},
        client_ip::ClientIp,
    },
    state::AppState,
};
use app::api::{LoginRequest, UserResponse};
use axum::{Extension, Json, extract::State, http::StatusCode};
use chrono::Utc;
use engine::accounts::{AccountError, LockoutStatus};
use tower_sessions::Session;

/// Longest login accepted (an email address can be 254 characters).
const MAX_LOGIN_LEN: usize = 254;

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<UserResponse>, ApiError> {
    let login = body.username.trim();
    if login.is_empty() {
        return Err(ApiError::validation("username", "username is required"));
    }
    if login.chars().count() > MAX_LOGIN_LEN {
        return Err(ApiError::validation("username", format!("username is too long (at most {MAX_LOGIN_LEN} characters)")));
    }
    if body.password.is_empty() {
        return Err(ApiError::validation("password", "password is required"));
    }
    if body.password.chars().count() > engine::accounts::Password::MAX {
        return Err(ApiError::validation("password", "password is too long (at most 1024 characters)"));
    }
    let engine = &state.engine;
    let ip = ip.to_string();
    engine.lockout.ensure_open(login, &ip).await?;
    match engine.accounts.authenticate(login, &body.password).await {
        Ok(user) => {
            engine.lockout.clear(login, &ip).await?;
            engine.accounts.record_login(user.id).await?;
            auth::log_in(&session, &user).await?;
            tracing::info!(user = %user.username, "login");
            Ok(Json(UserResponse { user: auth::model_view(&user) }))
        }
        Err(AccountError::InvalidCredentials) => {
            let status = engine.lockout.record_failure(login, &ip, Utc::now()).await?;
            tracing::warn!(login = %login, ip = %ip, locked = matches!(status, LockoutStatus::Locked { .. }), "failed login");
            Err(ApiError::InvalidCredentials)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn logout(session: Session) -> Result<StatusCode, ApiError> {
    auth::log_out(&session).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(user: Option<Extension<AuthUser>>) -> Result<Json<UserResponse>, ApiError> {
    let Extension(user) = user.ok_or(ApiError::Unauthorized)?;
    Ok(Json(UserResponse { user: user.view() }))
}
