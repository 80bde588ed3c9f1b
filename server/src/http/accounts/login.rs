use crate::{
    http::{
        ApiError, ApiJson,
        auth::{self, RequireUser},
        client_ip::ClientIp,
    },
    state::AppState,
};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::IntoResponse,
};
use chrono::Utc;
use contract::{
    accounts::{LoginRequest, UserResponse},
    theme::THEME_COOKIE,
};
use engine::{
    accounts::{AccountError, LockoutStatus},
    entities::user,
};
use std::net::IpAddr;
use tower_sessions::Session;

/// Longest login accepted (an email address can be 254 characters).
const MAX_LOGIN_LEN: usize = 254;

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<UserResponse>, ApiError> {
    let user = log_in(&state, ip, &session, &headers, &body).await?;
    Ok(Json(UserResponse { user: auth::model_view(&user) }))
}

/// The login itself, for the JSON API and the HTML form alike: checks the input, the lockout
/// and the password, then starts the session.
pub async fn log_in(
    state: &AppState,
    ip: IpAddr,
    session: &Session,
    headers: &HeaderMap,
    body: &LoginRequest,
) -> Result<user::Model, ApiError> {
    let login = body.username.trim();
    if login.is_empty() {
        return Err(ApiError::validation("username", "username is required"));
    }
    if login.chars().count() > MAX_LOGIN_LEN {
        return Err(ApiError::validation(
            "username",
            format!("username is too long (at most {MAX_LOGIN_LEN} characters)"),
        ));
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
            // The account's theme wins; the anonymous choice is kept only if it has none.
            if let Some(theme) = crate::http::theme::cookie_theme(headers) {
                engine.themes.save_if_absent(user.id, &theme).await?;
            }
            auth::log_in(session, &user).await?;
            tracing::info!(user = %user.username, "login");
            Ok(user)
        }
        Err(AccountError::InvalidCredentials) => {
            let status = engine.lockout.record_failure(login, &ip, Utc::now()).await?;
            tracing::warn!(login = %login, ip = %ip, locked = matches!(status, LockoutStatus::Locked { .. }), "failed login");
            Err(ApiError::InvalidCredentials)
        }
        Err(e) => Err(e.into()),
    }
}

/// Ends the session and clears the browser's copy of the theme.
pub async fn logout(session: Session) -> Result<impl IntoResponse, ApiError> {
    log_out(&session).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear_theme_cookie()?)]))
}

/// The logout itself, for the JSON API and the HTML form alike.
pub async fn log_out(session: &Session) -> Result<(), ApiError> {
    auth::log_out(session).await?;
    Ok(())
}

/// The `Set-Cookie` that clears the browser's copy of the theme at logout.
pub fn clear_theme_cookie() -> Result<HeaderValue, ApiError> {
    let clear = format!("{THEME_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax");
    Ok(HeaderValue::from_str(&clear).map_err(anyhow::Error::from)?)
}

pub async fn me(RequireUser(user): RequireUser) -> Json<UserResponse> {
    Json(UserResponse { user: user.view() })
}
