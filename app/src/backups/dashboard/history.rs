//! The History tab: one page of the catalogue, newest first, with download, restore (type the
//! name to confirm) and delete.

use super::Ctx;
use crate::client;
use contract::{
    ClosedSet,
    backup::{BackupPage, BackupRecord, RestoreRequest, RestoreResult, Status},
    error::ErrorBody,
    format::{human_bytes, human_ms, human_time, plural},
    paths,
};
use leptos::{prelude::*, task::spawn_local};
use std::time::Duration;

fn status_class(status: Status) -> &'static str {
    match status {
        Status::Success => "pill ok",
        Status::Failed => "pill bad",
        Status::Running => "pill running",
        _ => "pill off",
    }
}

#[component]
pub(super) fn History(ctx: Ctx, history: BackupPage) -> impl IntoView {
    let pages = history.pages();
    let page = history.page;
    let total = history.total;
    // The backup whose restore is being confirmed: one form for the table, not one per row.
    let restoring = RwSignal::new(None::<(i64, String)>);
    let rows = history.backups.into_iter().map(|b| history_row(ctx, restoring, b)).collect_view();
    view! {
        <section class="card">
            <RestoreForm ctx restoring />
            // At 1024 px and wider every column and action fits the card (cells wrap); below,
            // each row is a card of its own, its cells labelled (CSS, from `data-label`).
            <table class="history" data-testid="history">
                <thead>
                    <tr>
                        <th>"Date"</th><th>"File"</th><th>"Size"</th><th>"Duration"</th><th>"Trigger"</th>
                        <th>"Status"</th><th>"Verified"</th><th>"SHA-256"</th><th>"Actions"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            {(total == 0).then(|| view! { <p class="muted">"No backups yet."</p> })}
            <nav class="pager" aria-label="Pages">
                {(page > 1).then(|| view! { <a href=format!("{}?page={}", paths::BACKUPS_PAGE, page - 1) data-testid="page-prev">"← Newer"</a> })}
                <span class="muted" data-testid="page-info">{format!("Page {page} of {pages} · {}", plural(total, "backup", "backups"))}</span>
                {(page < pages).then(|| view! { <a href=format!("{}?page={}", paths::BACKUPS_PAGE, page + 1) data-testid="page-next">"Older →"</a> })}
            </nav>
        </section>
    }
}

/// One row of the history. A plain function, not a component, with no state of its own: the
/// server renders up to 200 of these per page, so each must be cheap. Links are plain anchors
/// (the router still navigates them in the browser).
fn history_row(ctx: Ctx, restoring: RwSignal<Option<(i64, String)>>, backup: BackupRecord) -> impl IntoView {
    let available = backup.has_file();
    let remote_badge = super::remote::badge(&backup);
    let BackupRecord {
        id,
        filename,
        status,
        trigger,
        integrity_ok,
        sha256,
        error,
        created_at,
        size_bytes,
        duration_ms,
        ..
    } = backup;
    let deletable = matches!(status, Status::Success | Status::Failed);
    let sha = sha256.unwrap_or_default();
    let short_sha: String = sha.chars().take(10).collect();
    // The accessible name starts with the text shown, as a name must (WCAG 2.5.3).
    let sha_label = format!("{short_sha}… (copy the SHA-256 of {filename})");
    let actions = (available || deletable).then(|| {
        let (restore_name, delete_name) = (filename.clone(), filename.clone());
        view! {
            {available.then(|| view! {
                <a href=paths::backup_download(&filename) class="button secondary small" download aria-label=format!("Download {filename}")>"Download"</a>
                <button type="button" class="secondary small" aria-label=format!("Restore {filename}") on:click=move |_| restoring.set(Some((id, restore_name.clone())))>"Restore"</button>
            })}
            {deletable.then(|| view! {
                <button type="button" class="danger small" aria-label=format!("Delete {delete_name}") on:click=move |_| delete_backup(ctx, id, &delete_name)>"Delete"</button>
            })}
        }
    });
    let when = human_time(created_at);
    let (day, time) = when.split_once(' ').map(|(d, t)| (d.to_string(), t.to_string())).unwrap_or_default();
    view! {
        <tr data-testid="backup-row" data-filename=filename.clone() data-status=status.as_str()>
            <td data-label="Date"><time datetime=created_at.to_rfc3339() title=when.clone()>{day}" "<span class="time">{time}</span></time></td>
            <td data-label="File" class="file"><a href=paths::backup_page(id)>{filename.clone()}</a></td>
            <td data-label="Size" class="nowrap">{size_bytes.map(human_bytes).unwrap_or_else(|| "—".into())}</td>
            <td data-label="Duration" class="nowrap">{duration_ms.map(human_ms).unwrap_or_else(|| "—".into())}</td>
            <td data-label="Trigger">{trigger.as_str()}</td>
            <td data-label="Status"><span class=status_class(status) title=error.unwrap_or_default()>{status.as_str()}</span>{remote_badge}</td>
            <td data-label="Verified" class="nowrap">{match integrity_ok { Some(true) => "✓ ok", Some(false) => "✗ failed", None => "—" }}</td>
            <td data-label="SHA-256">
                {(!sha.is_empty()).then(|| {
                    let copy = sha.clone();
                    view! {
                        <button type="button" class="linklike sha" title=format!("{sha} (click to copy)") aria-label=sha_label on:click=move |_| crate::theme::state::copy_to_clipboard(&copy)>
                            <code>{short_sha}"…"</code>
                        </button>
                    }
                })}
            </td>
            <td data-label="Actions" class="row-actions">{actions}</td>
        </tr>
    }
}

fn delete_backup(ctx: Ctx, id: i64, filename: &str) {
    if !window()
        .confirm_with_message(&format!("Delete {filename}? The file is removed; the record stays."))
        .unwrap_or(false)
    {
        return;
    }
    spawn_local(async move {
        let answer = client::delete::<BackupRecord>(&paths::backup(id)).await;
        if !ctx.alive() {
            return;
        }
        match answer {
            Ok(b) => {
                ctx.notice.set(Some(Ok(format!("Deleted {}.", b.filename))));
                ctx.reload();
            }
            Err(e) => ctx.notice.set(Some(Err(e.error))),
        }
    });
}

/// The confirmation of a restore: type the file name, then the restore runs with its progress
/// shown; on a refusal the form stays to try again.
///
/// The restore's state is the page's (`ctx.busy`), not this form's: the form is removed as soon
/// as the restore succeeds, while the progress loop may still be running (a flag owned by the
/// form was read after it was disposed: the "disposed reactive value" panic).
#[component]
fn RestoreForm(ctx: Ctx, restoring: RwSignal<Option<(i64, String)>>) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some((id, _)) = restoring.get_untracked() else { return };
        let body = RestoreRequest { confirm: typed.get_untracked() };
        ctx.notice.set(None);
        ctx.busy.set(true);
        set_timeout(move || ctx.follow_restore(), Duration::from_millis(150));
        spawn_local(async move {
            let result: Result<RestoreResult, ErrorBody> = client::post(&paths::backup_restore(id), &body).await;
            if !ctx.alive() {
                return;
            }
            ctx.busy.set(false);
            match result {
                Ok(r) => {
                    ctx.progress.set(None);
                    ctx.notice.set(Some(Ok(r.message)));
                    // Last: this removes the form (and, with the reload, the table it is in).
                    restoring.set(None);
                    ctx.reload();
                }
                Err(e) => ctx.notice.set(Some(Err(e.error))),
            }
        });
    };
    move || {
        restoring.get().map(|(_, filename)| {
            typed.set(String::new());
            view! {
                <form class="restore-form" on:submit=submit data-testid="restore-form">
                    <label for="restore-confirm">
                        "Restore the database to " <code>{filename.clone()}</code> "? Type its file name to confirm. "
                        "A safety copy of the current data is taken first."
                    </label>
                    <div class="actions">
                        <input id="restore-confirm" type="text" autocomplete="off" bind:value=typed data-testid="restore-confirm" />
                        <button type="submit" class="danger" data-testid="restore-submit" disabled=move || ctx.busy.get()>"Restore"</button>
                        <button type="button" class="secondary" on:click=move |_| restoring.set(None)>"Cancel"</button>
                    </div>
                </form>
            }
        })
    }
}
