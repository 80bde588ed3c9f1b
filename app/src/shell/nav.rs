//! The site navigation: a top bar or a sidebar, as the theme's layout decides (in CSS). Below
//! the phone breakpoint its links fold into a menu that opens with a checkbox and its label, so
//! it works before the WASM client arrives; the client closes it after a link is followed.

use crate::{
    boot::{CurrentUser, use_boot, use_current_user},
    client,
    theme::{ThemePanel, state::clear_local_copy},
};
use leptos::{ev::SubmitEvent, html, prelude::*, task::spawn_local};
use leptos_router::components::A;

#[component]
pub fn NavBar() -> impl IntoView {
    let boot = use_boot();
    let user = use_current_user().unwrap_or_else(|| CurrentUser(RwSignal::new(boot.user.clone())));
    let panel_open = RwSignal::new(false);
    let opener: NodeRef<html::Button> = NodeRef::new();
    let menu_toggle: NodeRef<html::Input> = NodeRef::new();
    // A plain form (works without JavaScript); the client also clears this browser's copy of
    // the theme.
    let log_out = move |ev: SubmitEvent| {
        ev.prevent_default();
        spawn_local(async move {
            let _ = client::post::<_, ()>(contract::paths::LOGOUT, &()).await;
            clear_local_copy();
            client::go_to("/");
        });
    };
    // A link followed inside the browser keeps the page: fold the menu away.
    let close_menu = move |ev: leptos::ev::MouseEvent| {
        let on_link = event_target::<leptos::web_sys::Element>(&ev).closest("a").ok().flatten().is_some();
        if on_link && let Some(toggle) = menu_toggle.get_untracked() {
            toggle.set_checked(false);
        }
    };
    let signed_in = move || user.0.with(Option::is_some);
    let is_staff = move || user.0.with(|u| u.as_ref().is_some_and(|u| u.is_staff));
    let name = move || {
        user.0.with(|u| {
            u.as_ref()
                .map(|u| if u.display_name.is_empty() { u.username.clone() } else { u.display_name.clone() })
                .unwrap_or_default()
        })
    };
    view! {
        <header class="nav">
            <A href="/" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                " SmallStack"
            </A>
            <input type="checkbox" id="nav-toggle" class="nav-toggle" node_ref=menu_toggle aria-controls="nav-menu" />
            <label for="nav-toggle" class="nav-toggle-button" data-testid="menu-button">
                <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round">
                    <path d="M4 6h16M4 12h16M4 18h16" />
                </svg>
                "Menu"
            </label>
            <div class="nav-menu" id="nav-menu" on:click=close_menu>
                <nav class="nav-links" aria-label="Main">
                    <A href="/">"Home"</A>
                    <A href="/about">"About"</A>
                    <A href="/theme">"Theme"</A>
                    <Show when=is_staff>
                        <A href="/backups">"Backups"</A>
                    </Show>
                </nav>
                <nav class="nav-links end" aria-label="Account">
                    <button type="button" class="linklike icon-button" data-testid="open-theme-panel" aria-haspopup="dialog" title="Customize the theme" node_ref=opener on:click=move |_| panel_open.set(true)>
                        <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
                            <path d="M12 3a9 9 0 1 0 0 18c1.1 0 1.6-.8 1.6-1.6 0-.5-.2-.8-.4-1.1-.3-.3-.4-.6-.4-1 0-.9.7-1.6 1.6-1.6H16a5 5 0 0 0 5-5c0-4.2-4-7.7-9-7.7z" />
                            <circle cx="7.5" cy="10.5" r="1" />
                            <circle cx="11" cy="7" r="1" />
                            <circle cx="15.5" cy="8" r="1" />
                        </svg>
                        <span class="icon-label">"Customize"</span>
                    </button>
                    <Show
                        when=signed_in
                        fallback=move || view! {
                            <A href="/login">"Log in"</A>
                            {boot.signup_enabled.then(|| view! { <A href="/signup">"Sign up"</A> })}
                        }
                    >
                        <A href="/profile" attr:class="nav-user" attr:data-testid="nav-profile" attr:title=name>
                            {name}
                        </A>
                        <form method="post" action=contract::paths::LOGOUT_FORM class="nav-form" on:submit=log_out>
                            <button type="submit" class="linklike" data-testid="logout">"Log out"</button>
                        </form>
                    </Show>
                </nav>
            </div>
        </header>
        <ThemePanel open=panel_open opener />
    }
}
