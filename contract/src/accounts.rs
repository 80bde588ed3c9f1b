//! Accounts on the wire: the signed-in user as pages and the API show them, and the bodies of
//! login, sign-up, setup and profile changes.

use serde::{Deserialize, Serialize};

/// A signed-in user as the API and the pages show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub is_staff: bool,
    /// `/media/avatars/…` when the user has uploaded one.
    #[serde(default)]
    pub avatar_url: Option<String>,
}

/// `{"user": {...}}`: the answer of `/api/login`, `/api/me`, `/api/signup`, `/api/profile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserResponse {
    pub user: UserView,
}

/// `POST /api/login`. `username` may also be the email address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// `POST /api/signup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    pub username: String,
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// `POST /api/setup`: creates the first staff account with the one-time token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    pub token: String,
    pub username: String,
    pub email: String,
    pub password: String,
}

/// What a setup link (`/setup?token=…`) is worth right now: the page says it before anyone fills
/// the form, and `POST /api/setup` refuses with the same words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetupLinkStatus {
    /// The current link, within its lifetime, and no staff account exists yet.
    Valid,
    /// A staff account exists (made through this link, the CLI or a restore): the link is dead.
    UsedUp,
    /// The link is older than its lifetime (24 hours); the next start makes a new one.
    Expired,
    /// No such link: mistyped, cut short, or replaced by a newer one.
    Invalid,
}

impl SetupLinkStatus {
    /// What the page and the API say when the link cannot be used.
    pub fn message(self) -> &'static str {
        match self {
            SetupLinkStatus::Valid => "This link creates the first staff account.",
            SetupLinkStatus::UsedUp => {
                "This setup link has already been used up: a staff account exists. Log in instead."
            }
            SetupLinkStatus::Expired => {
                "This setup link has expired (a link lasts 24 hours). Get a new one with \
                 `smallstack user setup-link` on the server, or restart the server."
            }
            SetupLinkStatus::Invalid => {
                "This setup link is not valid: check that it was copied whole, or get the current one with \
                 `smallstack user setup-link` on the server."
            }
        }
    }
}

/// `PATCH /api/profile`: each field present is changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdateRequest {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// `POST /api/profile/password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeRequest {
    pub current_password: String,
    pub new_password: String,
}

/// `GET /health`: `{"status": "ok", "database": "ok"}`, or 503 with what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub database: String,
    /// Why the database is unusable, when it is: "the application database: missing table …".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}
