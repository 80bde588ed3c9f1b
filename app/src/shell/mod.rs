//! The HTML document, the application root with its routes, and the page frame around every page.

pub mod csp;
mod nav;
mod routes;

use crate::{
    boot::{BOOT_SCRIPT_ID, Boot, CurrentUser, FlashSlot, PAGE_SCRIPT_ID, load_boot, load_page_data},
    pages::{AboutPage, HomePage, NotFound},
    theme::{ThemeChoice, state::provide_theme_state},
};
use contract::access::Access;
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    Lazy, ParamSegment, StaticSegment,
    components::{Route, Router, Routes},
};
use routes::{BackupDetailRoute, BackupsRoute, LoginRoute, ProfileRoute, SetupRoute, SignupRoute, ThemeRoute};

/// The attributes of `<html>` that depend on the visitor, known before the first byte is sent.
#[derive(Debug, Clone, Default)]
pub struct HtmlAttributes {
    pairs: Vec<(&'static str, String)>,
}

impl HtmlAttributes {
    pub fn from_boot(boot: &Boot) -> Self {
        Self::from_theme(&boot.theme)
    }

    pub fn from_theme(theme: &ThemeChoice) -> Self {
        let mut pairs: Vec<(&'static str, String)> =
            theme.data_attributes().iter().map(|(k, v)| (*k, v.to_string())).collect();
        let style = theme.inline_style();
        if !style.is_empty() {
            pairs.push(("style", style));
        }
        HtmlAttributes { pairs }
    }

    fn get(&self, name: &str) -> Option<String> {
        self.pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
    }

    /// ` name="value"` pairs, escaped, for documents written by hand.
    pub fn render(&self) -> String {
        self.pairs
            .iter()
            .map(|(k, v)| format!(" {k}=\"{}\"", v.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;")))
            .collect()
    }
}

/// The theme the first paint must show: a shared theme being previewed on `/theme?t=…`, else
/// the visitor's saved one.
#[cfg(feature = "ssr")]
fn first_paint_theme(boot: &Boot) -> ThemeChoice {
    let shared = use_context::<http::request::Parts>().and_then(|parts| {
        (parts.uri.path() == "/theme").then_some(())?;
        let query = parts.uri.query()?;
        let code = query.split('&').find_map(|pair| pair.strip_prefix("t="))?;
        crate::theme::code::decode(code).ok()
    });
    shared.unwrap_or(boot.theme)
}

#[cfg(not(feature = "ssr"))]
fn first_paint_theme(boot: &Boot) -> ThemeChoice {
    boot.theme
}

/// The whole HTML document, rendered on the server only. The theme's attributes are on `<html>`
/// from the first byte, so the first paint is right on every device, with no script.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // A fresh nonce for this response: Leptos puts it on the hydration script, and the policy
    // allows exactly that inline script.
    #[cfg(feature = "ssr")]
    {
        leptos::nonce::provide_nonce();
        csp::set_on_response();
    }
    let boot = load_boot();
    let boot_json = boot.to_script_json();
    let page_json = load_page_data().map(|page| page.to_script_json());
    let attrs = HtmlAttributes::from_theme(&first_paint_theme(&boot));
    view! {
        <!DOCTYPE html>
        <html
            lang="en"
            data-mode=attrs.get("data-mode")
            data-accent=attrs.get("data-accent")
            data-font=attrs.get("data-font")
            data-gray=attrs.get("data-gray")
            data-radius=attrs.get("data-radius")
            data-layout=attrs.get("data-layout")
            style=attrs.get("style")
        >
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <script id=BOOT_SCRIPT_ID type="application/json" inner_html=boot_json></script>
                {page_json.map(|json| view! { <script id=PAGE_SCRIPT_ID type="application/json" inner_html=json></script> })}
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Who may see each page of [`App`], by its route pattern. The server mounts each page behind
/// the guard of its level and refuses to start when a page is missing here; the pages themselves
/// also check (`Protected`) for navigation inside the browser.
pub const PAGE_ACCESS: &[(&str, Access)] = &[
    ("/", Access::Public),
    ("/about", Access::Public),
    ("/login", Access::Public),
    ("/signup", Access::Public),
    ("/setup", Access::Public),
    ("/profile", Access::SignedIn),
    ("/theme", Access::Public),
    ("/backups", Access::Staff),
    ("/backups/{id}", Access::Staff),
];

/// The access level of a page route as the server lists it (`None`: undeclared).
pub fn page_access(path: &str) -> Option<Access> {
    PAGE_ACCESS.iter().find(|(p, _)| *p == path).map(|(_, a)| *a)
}

/// The skip link moves the focus itself: the router takes a click on a link for a navigation and
/// would leave the focus where it was.
fn skip_to_content(ev: leptos::ev::MouseEvent) {
    use leptos::wasm_bindgen::JsCast;
    ev.prevent_default();
    if let Some(main) = document().get_element_by_id("content") {
        let _ = main.unchecked_into::<leptos::web_sys::HtmlElement>().focus();
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let boot = load_boot();
    provide_theme_state(&boot);
    provide_context(FlashSlot(StoredValue::new(boot.flash.clone())));
    provide_context(CurrentUser(RwSignal::new(boot.user.clone())));
    provide_context(boot);
    view! {
        <Stylesheet id="smallstack" href="/pkg/smallstack.css" />
        <Title formatter=|title: String| if title.is_empty() { "SmallStack".to_string() } else { format!("{title} · SmallStack") } />
        <Router>
            <a class="skip-link" href="#content" on:click=skip_to_content>"Skip to content"</a>
            <div class="page">
                <nav::NavBar />
                <main class="content" id="content" tabindex="-1">
                    <Routes fallback=|| view! { <NotFound /> }>
                        <Route path=StaticSegment("") view=HomePage />
                        <Route path=StaticSegment("about") view=AboutPage />
                        <Route path=StaticSegment("login") view={Lazy::<LoginRoute>::new()} />
                        <Route path=StaticSegment("signup") view={Lazy::<SignupRoute>::new()} />
                        <Route path=StaticSegment("setup") view={Lazy::<SetupRoute>::new()} />
                        <Route path=StaticSegment("profile") view={Lazy::<ProfileRoute>::new()} />
                        <Route path=StaticSegment("theme") view={Lazy::<ThemeRoute>::new()} />
                        <Route path=StaticSegment("backups") view={Lazy::<BackupsRoute>::new()} />
                        <Route path=(StaticSegment("backups"), ParamSegment("id")) view={Lazy::<BackupDetailRoute>::new()} />
                    </Routes>
                </main>
            </div>
        </Router>
    }
}
