use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn HomePage() -> impl IntoView {
    let (hydrated, set_hydrated) = signal(false);
    let (clicks, set_clicks) = signal(0u32);
    // Effects run only in the browser, so this flips once the WASM client has taken over.
    Effect::new(move |_| set_hydrated.set(true));

    view! {
        <Title text="" />
        <section class="hero">
            <h1>"SmallStack"</h1>
            <p class="lead">
                "A web application for one cheap server and SQLite, as safe and pleasant as a managed database: "
                "SQLite tuned for production, verified backups you can restore from the browser, "
                "and a theme that follows you to every device."
            </p>
            <p>
                <A href="/about" attr:class="button">"How it works"</A>
            </p>
        </section>
        <section class="card">
            <h2>"Interactive check"</h2>
            <p data-testid="hydration-status">
                {move || if hydrated.get() { "Interactive: the WASM client is running." } else { "Server-rendered: waiting for the WASM client." }}
            </p>
            <button
                class="button"
                data-testid="counter"
                disabled=move || !hydrated.get()
                on:click=move |_| set_clicks.update(|n| *n += 1)
            >
                "Clicked " {clicks} {move || if clicks.get() == 1 { " time" } else { " times" }}
            </button>
        </section>
    }
}
