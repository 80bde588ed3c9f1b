//! `/backups/{id}`: one backup's details and its timeline.

use crate::{
    boot::{PageData, load_page_data},
    client,
    pages::Protected,
};
use contract::{
    ClosedSet,
    backup::BackupDetail,
    format::{human_bytes, human_ms, human_time},
    paths,
};
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};

#[component]
pub fn BackupDetailPage() -> impl IntoView {
    view! {
        <Title text="Backup" />
        <Protected staff=true>
            <DetailRoot />
        </Protected>
    }
}

#[component]
fn DetailRoot() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok())));
    let initial = match load_page_data().as_deref() {
        Some(PageData::BackupDetail(d)) => Some(Ok(BackupDetail::clone(d))),
        Some(PageData::NotFound(message)) => {
            #[cfg(feature = "ssr")]
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(http::StatusCode::NOT_FOUND);
            }
            Some(Err(message.clone()))
        }
        _ => None,
    };
    let detail = RwSignal::new(initial);
    Effect::new(move |_| {
        let wanted = id.get();
        let loaded = detail.with_untracked(|d| d.as_ref().and_then(|d| d.as_ref().ok()).map(|d| d.backup.id));
        if wanted.is_some() && loaded != wanted {
            let id = wanted.unwrap_or_default();
            spawn_local(async move {
                detail.set(Some(client::get::<BackupDetail>(&paths::backup(id)).await.map_err(|e| e.error)));
            });
        }
    });
    view! {
        <p><A href=paths::BACKUPS_PAGE>"← All backups"</A></p>
        {move || match detail.get() {
            None if id.get().is_none() => view! { <p class="alert error">"No such backup."</p> }.into_any(),
            None => view! { <p class="muted">"Loading…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="alert error" role="alert" data-testid="detail-error">{e}</p> }.into_any(),
            Some(Ok(d)) => view! { <Detail detail=d /> }.into_any(),
        }}
    }
    .into_any()
}

#[component]
fn Detail(detail: BackupDetail) -> impl IntoView {
    let b = detail.backup;
    let rows: Vec<(&str, String)> = vec![
        ("Status", b.status.as_str().to_string()),
        ("Trigger", b.trigger.as_str().to_string()),
        ("Created", human_time(b.created_at)),
        ("Finished", b.finished_at.map(human_time).unwrap_or_else(|| "—".into())),
        ("Size", b.size_bytes.map(human_bytes).unwrap_or_else(|| "—".into())),
        ("Duration", b.duration_ms.map(human_ms).unwrap_or_else(|| "—".into())),
        ("Copy", b.copy_ms.map(human_ms).unwrap_or_else(|| "—".into())),
        ("Verification", b.verify_ms.map(human_ms).unwrap_or_else(|| "—".into())),
        (
            "Integrity check",
            match b.integrity_ok {
                Some(true) => "ok".into(),
                Some(false) => "failed".into(),
                None => "—".into(),
            },
        ),
        ("SHA-256", b.sha256.clone().unwrap_or_else(|| "—".into())),
        ("Downloads", b.download_count.to_string()),
        ("File on disk", if detail.file_present { "yes".into() } else { "no".into() }),
    ];
    view! {
        <section class="card" data-testid="backup-detail">
            <h1>{b.filename.clone()}</h1>
            {b.error.clone().map(|e| view! { <p class="alert error">{e}</p> })}
            <dl class="facts">
                {rows.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
            </dl>
            {(b.has_file() && detail.file_present).then(|| view! {
                <a class="button secondary" href=paths::backup_download(&b.filename) download>"Download"</a>
            })}
        </section>
        <section class="card">
            <h2>"Timeline"</h2>
            <ol class="timeline" data-testid="timeline">
                {detail.events.into_iter().map(|e| view! {
                    <li data-kind=e.kind.as_str()>
                        <span class="when">{human_time(e.at)}</span>
                        <strong>{e.kind.as_str()}</strong>
                        {e.detail.map(|d| view! { <span class="muted">" — " {d}</span> })}
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}
