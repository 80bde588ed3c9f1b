//! The Files tab: backup files without a record, and records whose file is gone.

use contract::{
    backup::FilesReport,
    format::{human_bytes, human_time},
    paths,
};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub(super) fn Files(files: FilesReport) -> impl IntoView {
    view! {
        <section class="card" data-testid="files">
            <p class="muted">{format!("{} · {} free", files.backup_dir, human_bytes(files.available_bytes))}</p>
            <h2>"Files with no record"</h2>
            {if files.orphans.is_empty() {
                view! { <p class="muted">"None: every backup file is in the catalogue."</p> }.into_any()
            } else {
                view! {
                    <table>
                        <thead><tr><th>"File"</th><th>"Size"</th><th>"Modified"</th></tr></thead>
                        <tbody>
                            {files.orphans.into_iter().map(|f| view! {
                                <tr><td>{f.name}</td><td>{human_bytes(f.size_bytes)}</td><td>{f.modified_at.map(human_time).unwrap_or_default()}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <h2>"Records whose file is missing"</h2>
            {if files.missing.is_empty() {
                view! { <p class="muted">"None: every successful backup's file is on disk."</p> }.into_any()
            } else {
                view! {
                    <table>
                        <thead><tr><th>"File"</th><th>"Created"</th><th>"Size"</th></tr></thead>
                        <tbody>
                            {files.missing.into_iter().map(|b| view! {
                                <tr><td><A href=paths::backup_page(b.id)>{b.filename}</A></td><td>{human_time(b.created_at)}</td><td>{b.size_bytes.map(human_bytes).unwrap_or_default()}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
