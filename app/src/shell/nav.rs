use crate::{client, session::use_boot};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;

/// The site navigation: a top bar or a sidebar, as the theme's layout decides (in CSS).
#[component]
pub fn NavBar() -> impl IntoView {
    let boot = use_boot();
    let log_out = move |_| {
        spawn_local(async move {
            let _ = client::post::<_, ()>("/api/logout", &()).await;
            client::go_to("/");
        });
    };
    let user_links = match boot.user.clone() {
        Some(user) => view! {
            {user.is_staff.then(|| view! { <A href="/backups">"Backups"</A> })}
            <A href="/profile" attr:data-testid="nav-profile">
                {if user.display_name.is_empty() { user.username.clone() } else { user.display_name.clone() }}
            </A>
            <button type="button" class="linklike" data-testid="logout" on:click=log_out>"Log out"</button>
        }
        .into_any(),
        None => view! {
            <A href="/login">"Log in"</A>
            {boot.signup_enabled.then(|| view! { <A href="/signup">"Sign up"</A> })}
        }
        .into_any(),
    };
    view! {
        <header class="nav" role="banner">
            <A href="/" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                " SmallStack"
            </A>
            <nav class="nav-links" aria-label="Main">
                <A href="/">"Home"</A>
                <A href="/about">"About"</A>
            </nav>
            <nav class="nav-links end" aria-label="Account">{user_links}</nav>
        </header>
    }
}
