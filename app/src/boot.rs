//! Page boot data: what the server knows when it renders a page (the visitor, settings, and the
//! data of a page it loads itself), handed to the WASM client inside the page so that hydration
//! renders exactly what the server did.

use contract::{
    accounts::{SetupLinkStatus, UserView},
    backup::{BackupDetail, Dashboard},
    theme::ThemeChoice,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The id of the `<script type="application/json">` that carries [`Boot`] to the client.
pub const BOOT_SCRIPT_ID: &str = "smallstack-boot";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Boot {
    pub user: Option<UserView>,
    pub signup_enabled: bool,
    /// The visitor's saved theme: the user's (from the server) or this browser's (its cookie).
    pub theme: ThemeChoice,
    /// What the server said about the HTML form posted just before this page (without
    /// JavaScript, a form posts to the server, which redirects back here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flash: Option<Flash>,
}

/// The forms that also work as plain HTML forms (before or without the WASM client).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FormName {
    Login,
    Signup,
    Profile,
    Theme,
}

/// The outcome of an HTML form post, carried to the page it redirects to (in the session, read
/// once): the message, and what was typed (never a password) to fill the form again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub form: FormName,
    pub ok: bool,
    pub message: String,
    #[serde(default)]
    pub values: Vec<(String, String)>,
}

impl Flash {
    pub fn value(&self, name: &str) -> Option<String> {
        self.values.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }
}

/// The id of the `<script type="application/json">` that carries [`PageData`].
pub const PAGE_SCRIPT_ID: &str = "smallstack-page";

/// Data of the page being rendered, when the server loads it before rendering (the staff
/// dashboard), so the page is whole without JavaScript and hydrates without a request. It
/// travels in its own script element, read only by the (lazily loaded) page that needs it, so
/// the main WASM file carries no code to decode it.

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PageData {
    Dashboard(Box<Dashboard>),
    BackupDetail(Box<BackupDetail>),
    /// The server looked for the page's object and there is none (the page answers 404).
    NotFound(String),
    /// The page's query string holds a value out of range (the page answers 422 saying which).
    Invalid(String),
    /// What the setup link in `/setup?token=…` is worth, so the page says it before anyone
    /// fills the form.
    SetupLink(SetupLinkStatus),
}

impl PageData {
    pub fn to_script_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "null".into()).replace('<', "\\u003c")
    }
}

/// The page's data: on the server, what the middleware loaded; in the browser, what the server
/// wrote into the page.
/// Shared (`Arc`): the request's extensions are cloned wherever the renderer reads them, and a
/// page of 100 backups is too big to copy each time.
pub fn load_page_data() -> Option<Arc<PageData>> {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>().and_then(|parts| parts.extensions.get::<Arc<PageData>>().cloned())
    }
    #[cfg(not(feature = "ssr"))]
    {
        let text = document().get_element_by_id(PAGE_SCRIPT_ID)?.text_content()?;
        serde_json::from_str(&text).ok().map(Arc::new)
    }
}

impl Boot {
    pub fn is_staff(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.is_staff)
    }

    /// JSON safe to put inside a `<script>` element.
    pub fn to_script_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into()).replace('<', "\\u003c")
    }
}

/// On the server: the [`Boot`] the middleware put into the request. In the browser: the one the
/// server wrote into the page.
pub fn load_boot() -> Boot {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Boot>().cloned())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        boot_from_page().unwrap_or_default()
    }
}

#[cfg(not(feature = "ssr"))]
fn boot_from_page() -> Option<Boot> {
    let text = document().get_element_by_id(BOOT_SCRIPT_ID)?.text_content()?;
    serde_json::from_str(&text).ok()
}

pub fn use_boot() -> Boot {
    use_context::<Boot>().unwrap_or_default()
}

/// The flash of `form`, once: the page that shows it first takes it, so a later visit to the
/// same page inside the browser starts clean.
pub fn take_flash(form: FormName) -> Option<Flash> {
    let slot = use_context::<FlashSlot>()?;
    let matches = slot.0.with_value(|f| f.as_ref().is_some_and(|f| f.form == form));
    if matches { slot.0.try_update_value(Option::take).flatten() } else { None }
}

/// Where [`take_flash`] finds the flash of the page (provided by the application root).
#[derive(Clone, Copy)]
pub struct FlashSlot(pub StoredValue<Option<Flash>>);

/// The signed-in user as the page shows them now: it starts as the boot data says and follows
/// changes made on the page (a new display name shows in the top bar at once).
#[derive(Clone, Copy)]
pub struct CurrentUser(pub RwSignal<Option<UserView>>);

pub fn use_current_user() -> Option<CurrentUser> {
    use_context::<CurrentUser>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script() {
        let boot = Boot {
            user: Some(UserView {
                username: "a".into(),
                email: "e@x.io".into(),
                display_name: "</script><b>".into(),
                is_staff: false,
                avatar_url: None,
            }),
            signup_enabled: true,
            theme: Default::default(),
            flash: None,
        };
        assert!(!boot.to_script_json().contains("</script>"));
        assert_eq!(serde_json::from_str::<Boot>(&boot.to_script_json()).unwrap(), boot);
    }
}
