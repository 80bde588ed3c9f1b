use crate::boot::use_boot;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Redirect, hooks::use_location};

/// What a signed-in user who is not staff sees on a staff page.
#[component]
pub fn Forbidden() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::FORBIDDEN);
    }
    view! {
        <Title text="Forbidden" />
        <section class="card" data-testid="forbidden">
            <h1>"403 · Staff only"</h1>
            <p>"This page is for staff members. Ask a staff member of this site if you need access."</p>
            <p><a href="/">"Back to the home page"</a></p>
        </section>
    }
}

/// Wraps a page that needs a signed-in user (or staff). The server's access guard has already
/// answered requests for these pages; this covers navigation inside the browser.
#[component]
pub fn Protected(#[prop(optional)] staff: bool, children: ChildrenFn) -> impl IntoView {
    let boot = use_boot();
    let location = use_location();
    move || match &boot.user {
        None => {
            let here = format!("{}{}", location.pathname.get(), location.search.get());
            let target = contract::paths::login_with_next(&here);
            view! { <Redirect path=target /> }.into_any()
        }
        Some(user) if staff && !user.is_staff => view! { <Forbidden /> }.into_any(),
        Some(_) => children().into_any(),
    }
}

/// The whole 403 document the server's access guard sends for a staff page: static HTML in the
/// site's look, without the client (there is nothing to interact with).
#[cfg(feature = "ssr")]
pub fn forbidden_document<B>(req: &http::Request<B>) -> String {
    use crate::boot::Boot;
    let boot = req.extensions().get::<Boot>().cloned().unwrap_or_default();
    let owner = Owner::new();
    owner.with(|| {
        provide_context(boot.clone());
        let attrs = crate::shell::HtmlAttributes::from_boot(&boot);
        let body = view! {
            <div class="page">
                <header class="nav">
                    <a href="/" class="brand"><span class="brand-mark" aria-hidden="true">"◆"</span>" SmallStack"</a>
                    <nav class="nav-links" aria-label="Main">
                        <a href="/">"Home"</a>
                        <a href="/profile">"Profile"</a>
                    </nav>
                </header>
                <main class="content">
                    <section class="card" data-testid="forbidden">
                        <h1>"403 · Staff only"</h1>
                        <p>"This page is for staff members. Ask a staff member of this site if you need access."</p>
                        <p><a href="/">"Back to the home page"</a></p>
                    </section>
                </main>
            </div>
        }
        .to_html();
        format!(
            "<!DOCTYPE html><html lang=\"en\"{}><head><meta charset=\"utf-8\"/>\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
             <title>Forbidden · SmallStack</title><link rel=\"stylesheet\" href=\"/pkg/smallstack.css\"/>\
             <link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\"/></head><body>{body}</body></html>",
            attrs.render()
        )
    })
}
