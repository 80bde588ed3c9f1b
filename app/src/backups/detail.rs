//! `/backups/{id}`: one backup's details, its timeline, and what can be done with it: download,
//! restore (type the name to confirm, as in the history) and delete.

use crate::{
    boot::{PageData, load_page_data},
    client,
    pages::Protected,
};
use contract::{
    ClosedSet,
    backup::{BackupDetail, BackupRecord, RestoreRequest, RestoreResult, Status},
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
    // The answer to a restore or delete: it stays when the details are loaded again after it.
    let result = RwSignal::new(None::<Result<String, String>>);
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
            Some(Ok(d)) => view! { <Detail detail=d reload=Callback::new(move |()| refetch(detail)) result /> }.into_any(),
        }}
    }
    .into_any()
}

/// Loads the page's backup again (after a restore or a delete changed it).
fn refetch(detail: RwSignal<Option<Result<BackupDetail, String>>>) {
    let Some(id) = detail.with_untracked(|d| d.as_ref().and_then(|d| d.as_ref().ok()).map(|d| d.backup.id)) else {
        return;
    };
    spawn_local(async move {
        let answer = client::get::<BackupDetail>(&paths::backup(id)).await.map_err(|e| e.error);
        let _ = detail.try_set(Some(answer));
    });
}

#[component]
fn Detail(
    detail: BackupDetail,
    reload: Callback<()>,
    result: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    let b = detail.backup;
    let restorable = b.has_file() && detail.file_present;
    let deletable = matches!(b.status, Status::Success | Status::Failed);
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
            <Actions id=b.id filename=b.filename.clone() restorable deletable reload result />
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

/// Download, restore and delete for this backup. A restore asks for the file name, as the
/// history does; a delete asks to confirm.
#[component]
fn Actions(
    id: i64,
    filename: String,
    restorable: bool,
    deletable: bool,
    reload: Callback<()>,
    result: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let typed = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let restore = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = RestoreRequest { confirm: typed.get_untracked() };
        busy.set(true);
        result.set(None);
        spawn_local(async move {
            let answer = client::post::<_, RestoreResult>(&paths::backup_restore(id), &body).await;
            let _ = busy.try_set(false);
            match answer {
                Ok(r) => {
                    let _ = result.try_set(Some(Ok(r.message)));
                    let _ = confirming.try_set(false);
                    reload.run(());
                }
                Err(e) => {
                    let _ = result.try_set(Some(Err(e.error)));
                }
            }
        });
    };
    let name = filename.clone();
    let delete = move |_| {
        if !window()
            .confirm_with_message(&format!("Delete {name}? The file is removed; the record stays."))
            .unwrap_or(false)
        {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let answer = client::delete::<BackupRecord>(&paths::backup(id)).await;
            let _ = busy.try_set(false);
            match answer {
                Ok(b) => {
                    let _ = result.try_set(Some(Ok(format!("Deleted {}.", b.filename))));
                    reload.run(());
                }
                Err(e) => {
                    let _ = result.try_set(Some(Err(e.error)));
                }
            }
        });
    };
    let shown = filename.clone();
    view! {
        <div class="actions">
            {restorable.then(|| view! {
                <a class="button secondary" href=paths::backup_download(&filename) download>"Download"</a>
                <button type="button" class="secondary" data-testid="detail-restore" on:click=move |_| confirming.set(true)>"Restore"</button>
            })}
            {deletable.then(|| view! {
                <button type="button" class="danger" data-testid="detail-delete" disabled=busy on:click=delete>"Delete"</button>
            })}
        </div>
        <Show when=move || confirming.get()>
            <form class="restore-form" on:submit=restore data-testid="restore-form">
                <label for="restore-confirm">
                    "Restore the database to " <code>{shown.clone()}</code> "? Type its file name to confirm. "
                    "A safety copy of the current data is taken first."
                </label>
                <div class="actions">
                    <input id="restore-confirm" type="text" autocomplete="off" bind:value=typed data-testid="restore-confirm" />
                    <button type="submit" class="danger" data-testid="restore-submit" disabled=busy>"Restore"</button>
                    <button type="button" class="secondary" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            </form>
        </Show>
        {move || result.get().map(|r| match r {
            Ok(m) => view! { <p class="alert success" role="status" data-testid="detail-result">{m}</p> }.into_any(),
            Err(m) => view! { <p class="alert error" role="alert" data-testid="detail-result">{m}</p> }.into_any(),
        })}
    }
}
