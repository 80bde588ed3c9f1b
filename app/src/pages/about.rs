use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AboutPage() -> impl IntoView {
    view! {
        <Title text="About" />
        <article class="card prose">
            <h1>"How SmallStack works"</h1>
            <p>
                "Everything lives on one server: two SQLite files in WAL mode (the application's data, and a "
                "system database for sessions and the backup catalogue), uploads in " <code>"media/"</code>
                ", and verified backups in " <code>"data/backups/"</code> "."
            </p>
            <h2>"SQLite, tuned"</h2>
            <ul>
                <li>"WAL journal, " <code>"synchronous=NORMAL"</code> ", memory temp store, 128 MiB mmap."</li>
                <li>"One writer connection; every multi-statement write begins IMMEDIATE, so \"database is locked\" cannot happen."</li>
                <li>"A pool of read-only connections serves the pages."</li>
            </ul>
            <h2>"Backups you can trust"</h2>
            <p>"Online copies that never block writers, checked with " <code>"integrity_check"</code> " and SHA-256 before they count."</p>
        </article>
    }
}
