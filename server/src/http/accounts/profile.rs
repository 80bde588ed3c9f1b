use crate::{
    http::{
        ApiError, ApiJson,
        auth::{self, AuthUser, RequireUser},
        client_ip::ClientIp,
    },
    state::AppState,
};
use axum::{Json, extract::State};
use contract::accounts::{PasswordChangeRequest, ProfileUpdateRequest, UserResponse};
use engine::{
    accounts::{AccountError, DisplayName, Email, Password, ProfileUpdate},
    entities::user,
};
use tower_sessions::Session;

pub async fn update(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    ApiJson(body): ApiJson<ProfileUpdateRequest>,
) -> Result<Json<UserResponse>, ApiError> {
    let updated = update_profile(&state, &user, &body).await?;
    Ok(Json(UserResponse { user: auth::model_view(&updated) }))
}

/// The profile change itself, for the JSON API and the HTML form alike.
pub async fn update_profile(
    state: &AppState,
    user: &AuthUser,
    body: &ProfileUpdateRequest,
) -> Result<user::Model, ApiError> {
    if body.display_name.is_none() && body.email.is_none() {
        return Err(ApiError::validation("", "nothing to change: send display_name and/or email"));
    }
    let update = ProfileUpdate {
        display_name: body.display_name.as_deref().map(DisplayName::parse).transpose()?,
        email: body.email.as_deref().map(Email::parse).transpose()?,
    };
    Ok(state.engine.accounts.update_profile(user.id, update).await?)
}

/// Changes the password (after checking the current one). This session stays signed in; every
/// other session of the user stops working, because it carries the old hash's fingerprint. The
/// current password counts against the account's lockout like a login: at the limit this
/// session ends (401), since whoever keeps guessing it holds a session that is not theirs.
pub async fn change_password(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    ClientIp(ip): ClientIp,
    session: Session,
    ApiJson(body): ApiJson<PasswordChangeRequest>,
) -> Result<Json<UserResponse>, ApiError> {
    if body.current_password.is_empty() {
        return Err(ApiError::validation("current_password", "the current password is required"));
    }
    let new = Password::parse_field(&body.new_password, "new_password")?;
    let changed = state.engine.change_password(user.id, &body.current_password, &new, &ip.to_string()).await;
    let updated = match changed {
        Err(AccountError::GuessesExhausted) => {
            auth::log_out(&session).await?;
            return Err(AccountError::GuessesExhausted.into());
        }
        other => other?,
    };
    auth::rebind(&session, &updated).await?;
    tracing::info!(user = %updated.username, "password changed");
    Ok(Json(UserResponse { user: auth::model_view(&updated) }))
}
