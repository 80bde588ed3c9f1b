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
use contract::{
    accounts::{LoginRequest, UserResponse},
    theme::THEME_COOKIE,
};
use engine::entities::user;
use std::net::IpAddr;
use tower_sessions::Session;

/// Longest login accepted (an email address can be 254 characters).
const MAX_LOGIN_LEN: usize = 254;

/// Signs a visitor in: checks the login's shape, then the engine's one login check (lockout
/// included), then starts the session and keeps an anonymous theme choice. Every way of
/// logging in (the JSON API, the HTML form) goes through here.
pub async fn sign_in(
    state: &AppState,
    ip: IpAddr,
    session: &Session,
    headers: &HeaderMap,
    login: &str,
    password: &str,
) -> Result<user::Model, ApiError> {
    let login = login.trim();
    if login.is_empty() {
        return Err(ApiError::validation("username", "username is required"));
    }
    if login.chars().count() > MAX_LOGIN_LEN {
        return Err(ApiError::validation(
            "username",
            format!("username is too long (at most {MAX_LOGIN_LEN} characters)"),
        ));
    }
    if password.is_empty() {
        return Err(ApiError::validation("password", "password is required"));
    }
    if password.chars().count() > engine::accounts::Password::MAX {
        return Err(ApiError::validation("password", "password is too long (at most 1024 characters)"));
    }
    let engine = &state.engine;
    let user = engine.log_in(login, password, &ip.to_string()).await?;
    // The account's theme wins; the anonymous choice is kept only if it has none.
    if let Some(theme) = crate::http::theme::cookie_theme(headers) {
        engine.themes.save_if_absent(user.id, &theme).await?;
    }
    auth::log_in(session, &user).await?;
    tracing::info!(user = %user.username, "login");
    Ok(user)
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<UserResponse>, ApiError> {
    let user = sign_in(&state, ip, &session, &headers, &body.username, &body.password).await?;
    Ok(Json(UserResponse { user: auth::model_view(&user) }))
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
