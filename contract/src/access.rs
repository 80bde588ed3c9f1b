//! Who may use a route. The server mounts every route behind the guard of its level, and the
//! app declares the level of each page, so a route can only exist with a level.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// A signed-in user; anonymous visitors get 401 (API) or the login page (pages).
    SignedIn,
    /// Staff only; other users get 403.
    Staff,
}
