//! The HTML document, the application root with its routes, and the page frame around every page.

mod nav;

use crate::{
    pages::{AboutPage, HomePage, LoginPage, NotFound, ProfilePage, SetupPage, SignupPage},
    session::{BOOT_SCRIPT_ID, Boot, load_boot},
};
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    StaticSegment,
    components::{Route, Router, Routes},
};

/// The attributes of `<html>` that depend on the visitor, known before the first byte is sent.
#[derive(Debug, Clone, Default)]
pub struct HtmlAttributes {
    pairs: Vec<(&'static str, String)>,
}

impl HtmlAttributes {
    pub fn from_boot(_boot: &Boot) -> Self {
        HtmlAttributes::default()
    }

    /// ` name="value"` pairs, escaped, for documents written by hand.
    pub fn render(&self) -> String {
        self.pairs
            .iter()
            .map(|(k, v)| format!(" {k}=\"{}\"", v.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;")))
            .collect()
    }
}

/// The whole HTML document, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let boot = load_boot();
    let boot_json = boot.to_script_json();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <script id=BOOT_SCRIPT_ID type="application/json" inner_html=boot_json></script>
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(load_boot());
    view! {
        <Stylesheet id="smallstack" href="/pkg/smallstack.css" />
        <Title formatter=|title: String| if title.is_empty() { "SmallStack".to_string() } else { format!("{title} · SmallStack") } />
        <Router>
            <div class="page">
                <nav::NavBar />
                <main class="content" id="content">
                    <Routes fallback=|| view! { <NotFound /> }>
                        <Route path=StaticSegment("") view=HomePage />
                        <Route path=StaticSegment("about") view=AboutPage />
                        <Route path=StaticSegment("login") view=LoginPage />
                        <Route path=StaticSegment("signup") view=SignupPage />
                        <Route path=StaticSegment("setup") view=SetupPage />
                        <Route path=StaticSegment("profile") view=ProfilePage />
                    </Routes>
                </main>
            </div>
        </Router>
    }
}
