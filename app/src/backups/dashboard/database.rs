//! The Database tab: facts about the application database, and integrity check, VACUUM and WAL
//! checkpoint on demand (the same engine functions as `smallstack db`).

use crate::client;
use contract::{
    ClosedSet,
    database::{DatabasePanel, MaintenanceAction, MaintenanceReport},
    format::{human_bytes, human_ms, human_time, plural},
    paths,
};
use leptos::{prelude::*, task::spawn_local};

#[component]
pub(super) fn Database(database: DatabasePanel) -> impl IntoView {
    let panel = RwSignal::new(database);
    let result = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let run = move |action: MaintenanceAction| {
        busy.set(true);
        result.set(None);
        spawn_local(async move {
            match client::post::<_, MaintenanceReport>(&paths::database_action(action), &serde_json::json!({})).await {
                Ok(r) => {
                    let text = format!("{} ({})", r.message, human_ms(r.duration_ms));
                    panel.update(|p| {
                        p.stats = r.stats.clone();
                        if let Some(check) = r.integrity.clone() {
                            p.last_check = Some(check);
                        }
                    });
                    result.set(Some(if r.ok { Ok(text) } else { Err(text) }));
                }
                Err(e) => result.set(Some(Err(e.error))),
            }
            busy.set(false);
        });
    };
    let button = move |action: MaintenanceAction, label: &'static str| {
        view! {
            <button type="button" class="secondary" data-testid=format!("db-{}", action.as_str()) disabled=busy on:click=move |_| run(action)>{label}</button>
        }
    };
    view! {
        <section class="card" data-testid="database">
            <h2>"Application database"</h2>
            {move || {
                let p = panel.get();
                let s = p.stats;
                view! {
                    <dl class="facts">
                        <dt>"Path"</dt><dd><code>{s.path}</code></dd>
                        <dt>"File size"</dt><dd data-testid="db-file-size">{human_bytes(s.file_bytes)}</dd>
                        <dt>"WAL size"</dt><dd data-testid="db-wal-size">{human_bytes(s.wal_bytes)}</dd>
                        <dt>"Page size"</dt><dd>{format!("{} B", s.page_size)}</dd>
                        <dt>"Pages"</dt><dd>{s.page_count.to_string()}</dd>
                        <dt>"Free pages"</dt><dd>{s.freelist_pages.to_string()}</dd>
                        <dt>"SQLite"</dt><dd>{s.sqlite_version}</dd>
                        <dt>"Journal mode"</dt><dd>{s.journal_mode}</dd>
                        <dt>"Last integrity check"</dt>
                        <dd data-testid="last-check">{match p.last_check {
                            Some(c) => format!("{} — {} ({})", human_time(c.at), if c.ok { "ok".to_string() } else { plural(c.problem_count() as u64, "problem", "problems") }, human_ms(c.duration_ms)),
                            None => "never".into(),
                        }}</dd>
                    </dl>
                }
            }}
            <div class="actions">
                {button(MaintenanceAction::IntegrityCheck, "Run integrity check")}
                {button(MaintenanceAction::Vacuum, "VACUUM")}
                {button(MaintenanceAction::Checkpoint, "WAL checkpoint")}
            </div>
            {move || result.get().map(|r| match r {
                Ok(m) => view! { <p class="alert success" role="status" data-testid="db-result">{m}</p> }.into_any(),
                Err(m) => view! { <p class="alert error" role="alert" data-testid="db-result">{m}</p> }.into_any(),
            })}
        </section>
    }
}
