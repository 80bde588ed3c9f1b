use crate::{
    http::{ApiError, ApiJson, auth},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chrono::Utc;
use contract::accounts::{SetupLinkStatus, SetupRequest, SignupRequest, UserResponse};
use engine::{
    accounts::{DisplayName, Email, NewUser, Password, Username},
    entities::user,
};
use tower_sessions::Session;

pub async fn signup(
    State(state): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<SignupRequest>,
) -> Result<(StatusCode, Json<UserResponse>), ApiError> {
    let user = sign_up(&state, &session, &body).await?;
    Ok((StatusCode::CREATED, Json(UserResponse { user: auth::model_view(&user) })))
}

/// The sign-up itself, for the JSON API and the HTML form alike: creates the account and signs
/// it in.
pub async fn sign_up(state: &AppState, session: &Session, body: &SignupRequest) -> Result<user::Model, ApiError> {
    if !state.settings.signup_enabled {
        return Err(ApiError::Forbidden("sign-up is disabled on this site".into()));
    }
    let new = NewUser {
        username: Username::parse(&body.username)?,
        email: Email::parse(&body.email)?,
        password: Password::parse(&body.password)?,
        display_name: DisplayName::parse(body.display_name.as_deref().unwrap_or_default())?,
        is_staff: false,
    };
    let user = state.engine.accounts.create(new).await?;
    auth::log_in(session, &user).await?;
    tracing::info!(user = %user.username, "sign-up");
    Ok(user)
}

/// Creates the first staff account with the one-time link (`smallstack user setup-link`).
pub async fn setup(
    State(state): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<SetupRequest>,
) -> Result<(StatusCode, Json<UserResponse>), ApiError> {
    let engine = &state.engine;
    let refused = |status: SetupLinkStatus| ApiError::Forbidden(status.message().into());
    if body.token.len() > 128 {
        return Err(refused(SetupLinkStatus::Invalid));
    }
    let status = engine.setup_tokens.status(&body.token, Utc::now()).await?;
    if status != SetupLinkStatus::Valid {
        return Err(refused(status));
    }
    let new = NewUser {
        username: Username::parse(&body.username)?,
        email: Email::parse(&body.email)?,
        password: Password::parse(&body.password)?,
        display_name: DisplayName::parse("")?,
        is_staff: true,
    };
    // Use the link up first, so two requests racing with it cannot both create an account.
    let (status, made) = engine.setup_tokens.consume(&body.token, Utc::now()).await?;
    let Some(made) = made else { return Err(refused(status)) };
    let user = match engine.accounts.create(new).await {
        Ok(user) => user,
        Err(e) => {
            engine.setup_tokens.restore(&body.token, made).await?;
            return Err(e.into());
        }
    };
    auth::log_in(&session, &user).await?;
    tracing::info!(user = %user.username, "first staff account created through the setup link");
    Ok((StatusCode::CREATED, Json(UserResponse { user: auth::model_view(&user) })))
}
