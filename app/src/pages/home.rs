//! The landing page: what SmallStack is, and the way in (sign up, log in; the dashboard for
//! staff).

use crate::boot::{use_boot, use_current_user};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn HomePage() -> impl IntoView {
    let boot = use_boot();
    let user = use_current_user().map(|u| u.0.get_untracked()).unwrap_or(boot.user);
    let ways_in = match user {
        Some(user) => {
            let name = if user.display_name.is_empty() { user.username } else { user.display_name };
            view! {
                <p class="muted" data-testid="signed-in-as">"Signed in as " <strong>{name}</strong> "."</p>
                <p class="actions">
                    {user.is_staff.then(|| view! { <A href="/backups" attr:class="button" attr:data-testid="home-dashboard">"Open the backup dashboard"</A> })}
                    <A href="/profile" attr:class=if user.is_staff { "button secondary" } else { "button" }>"Your profile"</A>
                    <A href="/theme" attr:class="button secondary">"Choose your theme"</A>
                </p>
            }
            .into_any()
        }
        None => view! {
            <p class="actions">
                {boot.signup_enabled.then(|| view! { <A href="/signup" attr:class="button" attr:data-testid="home-signup">"Sign up"</A> })}
                <A href="/login" attr:class=if boot.signup_enabled { "button secondary" } else { "button" } attr:data-testid="home-login">"Log in"</A>
                <A href="/about" attr:class="button secondary">"How it works"</A>
            </p>
        }
        .into_any(),
    };
    view! {
        <Title text="" />
        <section class="hero">
            <h1>"SmallStack"</h1>
            <p class="lead">
                "Your web application on one small server with SQLite, as safe and pleasant as a managed database."
            </p>
            {ways_in}
        </section>
        <section class="features" aria-label="What it gives you">
            <div class="card">
                <h2>"SQLite, ready for production"</h2>
                <p>"Write-ahead logging, one writer, readers that never wait, and the settings that keep the data safe when the power goes."</p>
            </div>
            <div class="card">
                <h2>"Backups you can trust"</h2>
                <p>"Scheduled and on demand, each verified before it counts, downloadable, and restored from the browser with a safety copy first."</p>
            </div>
            <div class="card">
                <h2>"A look of your own"</h2>
                <p>"Colours, fonts and six page layouts, previewed as you choose and kept with your account on every device."</p>
            </div>
        </section>
    }
}
