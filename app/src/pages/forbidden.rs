//! The 403 page, and the wrapper of pages that need a signed-in user or staff.

use crate::boot::use_boot;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::{A, Redirect},
    hooks::use_location,
};

/// What a signed-in user who is not staff sees on a staff page (the server's staff guard renders
/// the site with it, so the page has the whole top bar).
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
            <p><A href="/">"Back to the home page"</A></p>
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
