//! The theme in the browser: the saved theme, the draft being previewed, applying a theme to
//! `<html>` (no reload, no request), the browser's copy (localStorage + a cookie the server
//! reads), and following changes made in other tabs.

use super::{ThemeChoice, code};
use crate::boot::Boot;
use leptos::prelude::*;

#[derive(Debug, Clone, Copy)]
pub struct ThemeState {
    /// What is stored (on the server for a signed-in user, in this browser otherwise).
    pub saved: RwSignal<ThemeChoice>,
    /// What the page shows now; differs from `saved` while previewing.
    pub draft: RwSignal<ThemeChoice>,
    pub signed_in: bool,
    /// True in the browser when the operating system prefers dark (for `system` mode).
    pub prefers_dark: RwSignal<bool>,
}

impl ThemeState {
    pub fn is_dirty(&self) -> bool {
        self.saved.get() != self.draft.get()
    }
}

pub fn use_theme() -> ThemeState {
    expect_context::<ThemeState>()
}

/// Creates the theme state for the page and, in the browser, keeps `<html>` in step with the
/// draft, listens to other tabs and to the operating system's colour scheme.
pub fn provide_theme_state(boot: &Boot) -> ThemeState {
    let state = ThemeState {
        saved: RwSignal::new(boot.theme),
        draft: RwSignal::new(boot.theme),
        signed_in: boot.user.is_some(),
        prefers_dark: RwSignal::new(false),
    };
    provide_context(state);
    #[cfg(feature = "hydrate")]
    browser::start(state);
    state
}

/// The theme as a cookie value (its share code): short, and checked when read back.
pub fn cookie_value(theme: &ThemeChoice) -> String {
    code::encode(theme)
}

/// Reads the theme cookie; anything that is not a valid code is ignored.
pub fn theme_from_cookie(value: &str) -> Option<ThemeChoice> {
    code::decode(value).ok()
}

#[cfg(feature = "hydrate")]
pub use browser::{apply_to_document, clear_local_copy, copy_to_clipboard, store_locally};

#[cfg(not(feature = "hydrate"))]
pub fn store_locally(_theme: &ThemeChoice) {}
#[cfg(not(feature = "hydrate"))]
pub fn clear_local_copy() {}
#[cfg(not(feature = "hydrate"))]
pub fn copy_to_clipboard(_text: &str) {}

#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use crate::theme::{THEME_COOKIE, THEME_STORAGE_KEY};
    use gloo_storage::{LocalStorage, Storage};
    use wasm_bindgen::{JsCast, closure::Closure};

    pub fn start(state: ThemeState) {
        // Keep the browser's copy equal to what is saved: a signed-in user's theme from the
        // server replaces whatever this browser held; an anonymous visitor whose cookie was lost
        // gets it back from localStorage.
        let saved = state.saved.get_untracked();
        if state.signed_in {
            store_locally(&saved);
        } else if !has_theme_cookie()
            && let Ok(local) = LocalStorage::get::<ThemeChoice>(THEME_STORAGE_KEY)
        {
            state.saved.set(local);
            state.draft.set(local);
            store_locally(&local);
        }

        Effect::new(move |_| apply_to_document(&state.draft.get()));

        if let Some(window) = web_sys::window() {
            if let Ok(Some(query)) = window.match_media("(prefers-color-scheme: dark)") {
                state.prefers_dark.set(query.matches());
                let on_change =
                    Closure::<dyn Fn(web_sys::MediaQueryListEvent)>::new(move |e: web_sys::MediaQueryListEvent| {
                        state.prefers_dark.set(e.matches());
                    });
                let _ = query.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
                on_change.forget();
            }
            // Another tab saved (or cleared) the theme: follow it.
            let on_storage = Closure::<dyn Fn(web_sys::StorageEvent)>::new(move |e: web_sys::StorageEvent| {
                if e.key().as_deref() != Some(THEME_STORAGE_KEY) {
                    return;
                }
                let theme =
                    e.new_value().and_then(|v| serde_json::from_str::<ThemeChoice>(&v).ok()).unwrap_or_default();
                let was_previewing = state.saved.get_untracked() != state.draft.get_untracked();
                state.saved.set(theme);
                if !was_previewing {
                    state.draft.set(theme);
                }
            });
            let _ = window.add_event_listener_with_callback("storage", on_storage.as_ref().unchecked_ref());
            on_storage.forget();
        }
    }

    /// Sets the six `data-*` attributes (and the custom accent's variables) on `<html>`.
    pub fn apply_to_document(theme: &ThemeChoice) {
        let Some(root) = document().document_element() else { return };
        for (name, value) in theme.data_attributes() {
            if root.get_attribute(name).as_deref() != Some(value) {
                let _ = root.set_attribute(name, value);
            }
        }
        let style = theme.inline_style();
        if style.is_empty() {
            let _ = root.remove_attribute("style");
        } else {
            let _ = root.set_attribute("style", &style);
        }
    }

    fn html_document() -> Option<web_sys::HtmlDocument> {
        document().dyn_into::<web_sys::HtmlDocument>().ok()
    }

    fn has_theme_cookie() -> bool {
        html_document()
            .and_then(|d| d.cookie().ok())
            .is_some_and(|c| c.split(';').any(|p| p.trim_start().starts_with(&format!("{THEME_COOKIE}="))))
    }

    /// The browser's copy: localStorage (other tabs see the change) and a cookie (the server
    /// renders an anonymous visitor's theme from it).
    pub fn store_locally(theme: &ThemeChoice) {
        let _ = LocalStorage::set(THEME_STORAGE_KEY, theme);
        if let Some(doc) = html_document() {
            let _ = doc
                .set_cookie(&format!("{THEME_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", cookie_value(theme)));
        }
    }

    pub fn clear_local_copy() {
        LocalStorage::delete(THEME_STORAGE_KEY);
        if let Some(doc) = html_document() {
            let _ = doc.set_cookie(&format!("{THEME_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax"));
        }
    }

    pub fn copy_to_clipboard(text: &str) {
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(text);
        }
    }
}
