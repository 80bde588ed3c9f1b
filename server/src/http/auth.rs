//! Sessions (tower-sessions on the system database) and the signed-in user of each request.

use crate::state::AppState;
use axum::{
    extract::{FromRequestParts, Request, State},
    http::request::Parts,
    middleware::Next,
    response::Response,
};
use chrono::Utc;
use contract::{accounts::UserView, theme::ThemeChoice};
use engine::{accounts::session_auth_hash, entities::user, sessions::SqliteSessionStore};
use tower_sessions::{
    Expiry, Session, SessionManagerLayer,
    cookie::{SameSite, time::Duration},
};

pub const SESSION_COOKIE: &str = "smallstack_session";
const USER_ID: &str = "user_id";
const AUTH_HASH: &str = "auth_hash";
/// Unix seconds of the last expiry renewal: the session is saved again at most once a day.
const RENEWED_AT: &str = "renewed_at";
const RENEW_EVERY_SECS: i64 = 24 * 3600;

/// The cookie as the issue wants it: HttpOnly, SameSite=Lax, `Secure` only when configured,
/// expiring after `SESSION_TTL_DAYS` without a visit.
pub fn session_layer(state: &AppState) -> SessionManagerLayer<SqliteSessionStore> {
    let store = SqliteSessionStore::new(state.engine.system_db.clone());
    SessionManagerLayer::new(store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.settings.secure_cookies)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(Duration::days(state.settings.session_ttl_days.into())))
}

/// The signed-in user of a request (a request extension set by [`resolve_user`]).
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub is_staff: bool,
    pub avatar: Option<String>,
    /// Their saved theme, read with them (every page needs it).
    pub theme: Option<ThemeChoice>,
}

impl From<&user::Model> for AuthUser {
    fn from(u: &user::Model) -> Self {
        AuthUser {
            id: u.id,
            username: u.username.clone(),
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            is_staff: u.is_staff,
            avatar: u.avatar.clone(),
            theme: None,
        }
    }
}

impl AuthUser {
    pub fn view(&self) -> UserView {
        user_view(&self.username, &self.email, &self.display_name, self.is_staff, self.avatar.as_deref())
    }
}

pub fn user_view(username: &str, email: &str, display_name: &str, is_staff: bool, avatar: Option<&str>) -> UserView {
    UserView {
        username: username.to_string(),
        email: email.to_string(),
        display_name: display_name.to_string(),
        is_staff,
        avatar_url: avatar.map(|a| format!("/media/avatars/{a}")),
    }
}

pub fn model_view(u: &user::Model) -> UserView {
    user_view(&u.username, &u.email, &u.display_name, u.is_staff, u.avatar.as_deref())
}

/// Middleware: looks the session's user up and checks that the session still belongs to them
/// (same id, same password-hash fingerprint, still active). A stale session is destroyed.
pub async fn resolve_user(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if let Some(session) = req.extensions().get::<Session>().cloned() {
        match current_user(&state, &session).await {
            Ok(Some(user)) => {
                req.extensions_mut().insert(user);
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "cannot read the session"),
        }
    }
    next.run(req).await
}

async fn current_user(state: &AppState, session: &Session) -> anyhow::Result<Option<AuthUser>> {
    if session.id().is_none() {
        return Ok(None);
    }
    let Some(user_id) = session.get::<i64>(USER_ID).await? else { return Ok(None) };
    let fingerprint = session.get::<String>(AUTH_HASH).await?;
    let found = state.engine.accounts.get_with_theme(user_id).await?;
    match found {
        Some((u, theme))
            if u.is_active && fingerprint.as_deref() == Some(session_auth_hash(&u.password_hash).as_str()) =>
        {
            let now = Utc::now().timestamp();
            let renewed = session.get::<i64>(RENEWED_AT).await?.unwrap_or(0);
            if now - renewed > RENEW_EVERY_SECS {
                session.insert(RENEWED_AT, now).await?;
            }
            Ok(Some(AuthUser { theme: theme.as_ref().and_then(engine::themes::theme_of), ..AuthUser::from(&u) }))
        }
        _ => {
            session.flush().await?;
            Ok(None)
        }
    }
}

/// Starts a signed-in session: a new session id (no fixation), bound to the user and to their
/// password-hash fingerprint.
pub async fn log_in(session: &Session, user: &user::Model) -> anyhow::Result<()> {
    session.cycle_id().await?;
    session.insert(USER_ID, user.id).await?;
    session.insert(AUTH_HASH, session_auth_hash(&user.password_hash)).await?;
    session.insert(RENEWED_AT, Utc::now().timestamp()).await?;
    Ok(())
}

/// After the user's own password change: keep this session (with the new fingerprint and a new
/// id); every other session of theirs stops matching.
pub async fn rebind(session: &Session, user: &user::Model) -> anyhow::Result<()> {
    log_in(session, user).await
}

/// Ends the session on the server (the row is deleted) and clears the cookie.
pub async fn log_out(session: &Session) -> anyhow::Result<()> {
    session.flush().await?;
    Ok(())
}

/// Extractor for handlers of signed-in routes: the user the guard let through. (The guard has
/// answered anonymous requests already; on a public route this answers 401 itself.)
pub struct RequireUser(pub AuthUser);

impl<S: Send + Sync> FromRequestParts<S> for RequireUser {
    type Rejection = super::ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<AuthUser>().cloned().map(RequireUser).ok_or(super::ApiError::Unauthorized)
    }
}
