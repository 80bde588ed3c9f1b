use crate::{
    boot::use_boot,
    client,
    theme::{ThemePanel, state::clear_local_copy},
};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;

/// The site navigation: a top bar or a sidebar, as the theme's layout decides (in CSS).
#[component]
pub fn NavBar() -> impl IntoView {
    let boot = use_boot();
    let panel_open = RwSignal::new(false);
    let log_out = move |_| {
        spawn_local(async move {
            let _ = client::post::<_, ()>(contract::paths::LOGOUT, &()).await;
            clear_local_copy();
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
                <A href="/theme">"Theme"</A>
            </nav>
            <nav class="nav-links end" aria-label="Account">
                <button type="button" class="linklike icon-button" data-testid="open-theme-panel" aria-label="Customize the theme" title="Customize the theme" on:click=move |_| panel_open.update(|o| *o = !*o)>
                    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
                        <path d="M12 3a9 9 0 1 0 0 18c1.1 0 1.6-.8 1.6-1.6 0-.5-.2-.8-.4-1.1-.3-.3-.4-.6-.4-1 0-.9.7-1.6 1.6-1.6H16a5 5 0 0 0 5-5c0-4.2-4-7.7-9-7.7z" />
                        <circle cx="7.5" cy="10.5" r="1" />
                        <circle cx="11" cy="7" r="1" />
                        <circle cx="15.5" cy="8" r="1" />
                    </svg>
                    <span class="icon-label">"Customize"</span>
                </button>
                {user_links}
            </nav>
        </header>
        <ThemePanel open=panel_open />
    }
}
