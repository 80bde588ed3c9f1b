//! `/api/login`, `/api/logout`, `/api/me`, `/api/signup`, `/api/setup`, `/api/profile…`:
//! one file per action.

mod avatar;
mod login;
mod profile;
mod signup;

pub use avatar::{AVATAR_MAX_BYTES, serve_avatar};

use crate::state::AppState;
use axum::{
    Router,
    extract::DefaultBodyLimit,
    routing::{get, patch, post},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/login", post(login::login))
        .route("/api/logout", post(login::logout))
        .route("/api/me", get(login::me))
        .route("/api/signup", post(signup::signup))
        .route("/api/setup", post(signup::setup))
        .route("/api/profile", patch(profile::update))
        .route("/api/profile/password", post(profile::change_password))
        .route(
            "/api/profile/avatar",
            // Room for the multipart framing around a file of the maximum size.
            post(avatar::upload).layer(DefaultBodyLimit::max(AVATAR_MAX_BYTES + 64 * 1024)),
        )
        .route("/media/avatars/{name}", get(serve_avatar))
}
