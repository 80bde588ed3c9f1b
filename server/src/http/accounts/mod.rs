//! `/api/login`, `/api/logout`, `/api/me`, `/api/signup`, `/api/setup`, `/api/profile…`:
//! one file per action.

mod avatar;
mod login;
mod profile;
mod signup;

pub use avatar::{AVATAR_MAX_BYTES, serve_avatar};
// What the HTML forms (`super::forms`) call: the same functions as the JSON handlers.
pub(super) use login::{clear_theme_cookie, log_out, sign_in};
pub(super) use profile::update_profile;
pub(super) use signup::sign_up;

use super::{Access, Routes};
use axum::{extract::DefaultBodyLimit, http::Method, routing::post};
use contract::paths;

pub fn routes() -> Routes {
    Routes::new()
        .public(Method::POST, paths::LOGIN, login::login)
        .public(Method::POST, paths::LOGOUT, login::logout)
        .public(Method::POST, paths::SIGNUP, signup::signup)
        .public(Method::POST, paths::SETUP, signup::setup)
        .public(Method::GET, paths::AVATAR_FILE, serve_avatar)
        .signed_in(Method::GET, paths::ME, login::me)
        .signed_in(Method::PATCH, paths::PROFILE, profile::update)
        .signed_in(Method::POST, paths::PROFILE_PASSWORD, profile::change_password)
        .route(
            Access::SignedIn,
            Method::POST,
            paths::PROFILE_AVATAR,
            // Room for the multipart framing around a file of the maximum size.
            post(avatar::upload).layer(DefaultBodyLimit::max(AVATAR_MAX_BYTES + 64 * 1024)),
        )
}
