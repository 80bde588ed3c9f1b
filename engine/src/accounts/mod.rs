//! Users (application database), login lockout and the first-staff setup token (system database).

pub mod avatar;
mod lockout;
mod login;
mod password;
mod setup;
mod store;
mod validate;

pub use lockout::{ACCOUNT_LIMIT, ADDRESS_LIMIT, LOCKOUT_WINDOW, LockScope, Lockout, Reservation, account_key};
pub use password::{hash_password, verify_password};
pub use setup::{SETUP_LINK_LIFETIME, SetupLink, SetupTokens};
pub use store::{Accounts, NewUser, ProfileUpdate, session_auth_hash};
pub use validate::{DisplayName, Email, Password, Username};

use crate::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A value failed validation; `field` names it.
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    /// The username or email is taken (in any letter case).
    #[error("this {field} is already taken")]
    Duplicate { field: &'static str },
    #[error("no such user")]
    NotFound,
    #[error("invalid username or password")]
    InvalidCredentials,
    #[error("the current password is wrong")]
    WrongCurrentPassword,
    /// The account or the client address has reached its limit of wrong passwords; nothing
    /// was checked.
    #[error("too many failed logins; try again in {retry_after_secs} seconds")]
    Locked { scope: LockScope, retry_after_secs: u64 },
    /// A password change whose current password was wrong once too often: the caller ends the
    /// session.
    #[error("the current password was wrong too many times; this session has been signed out")]
    GuessesExhausted,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sea_orm::DbErr> for AccountError {
    fn from(e: sea_orm::DbErr) -> Self {
        AccountError::Db(DbError::Sql(e))
    }
}

impl AccountError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        AccountError::Invalid { field, message: message.into() }
    }
}
