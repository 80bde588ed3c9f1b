//! The Remote tab: where off-site copies go (redacted: bucket, prefix, endpoint, masked key id),
//! the connection test, the upload queue with the copy in progress, what the remote holds (a
//! copy with no local file is restorable from here), and the media mirror. Also the history's
//! remote badge and the off-site banner, which the other tabs show.

use super::Ctx;
use crate::client;
use contract::{
    ClosedSet,
    backup::{
        BackupRecord, RemoteAlert, RemoteCheckReport, RemoteCopy, RemoteRestoreRequest, RemoteState, RemoteStatus,
        RemoteView, RestoreResult,
    },
    error::ErrorBody,
    format::{human_bytes, human_ms, human_time, plural},
    paths,
};
use leptos::{prelude::*, task::spawn_local};
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

/// How often the queue is asked for while a copy waits or runs.
const POLL: Duration = Duration::from_millis(400);

fn state_class(state: RemoteState) -> &'static str {
    match state {
        RemoteState::Uploaded => "pill ok",
        RemoteState::Failed => "pill bad",
        RemoteState::Uploading => "pill running",
        RemoteState::Pending | RemoteState::Pruned => "pill off",
    }
}

/// The history row's badge: where the backup's off-site copy stands.
pub(super) fn badge(record: &BackupRecord) -> impl IntoView + use<> {
    record.remote.as_ref().map(|r| {
        let title = r.error.clone().or_else(|| r.key.clone()).unwrap_or_default();
        view! {
            " "
            <span class=state_class(r.state) title=title data-testid="remote-badge" data-remote=r.state.as_str()>
                {r.state.label()}
            </span>
        }
    })
}

/// The off-site banner: a copy that failed with no later success, a backup lost before its
/// copy, or a failed media mirror.
#[component]
pub(super) fn RemoteBanner(alert: Option<RemoteAlert>) -> impl IntoView {
    alert.map(|a| {
        view! {
            <div class="alert error banner" role="alert" data-testid="remote-banner">
                <strong>"Off-site copies need attention"</strong> " (" {human_time(a.at)} "): " {a.message}
            </div>
        }
    })
}

#[component]
pub(super) fn Remote(ctx: Ctx, view: Option<RemoteView>) -> impl IntoView {
    let data = RwSignal::new(view);
    let alive = Arc::new(AtomicBool::new(true));
    {
        let alive = alive.clone();
        on_cleanup(move || alive.store(false, Ordering::Relaxed));
    }
    // The page opened on another tab: fetch the whole view once; then follow the queue.
    Effect::new({
        let alive = alive.clone();
        move |_| {
            if data.get_untracked().is_none() {
                fetch_view(ctx, data, alive.clone());
            } else {
                poll_status(ctx, data, alive.clone(), false);
            }
        }
    });
    move || {
        match data.get() {
        None => view! { <p class="muted">"Loading…"</p> }.into_any(),
        Some(v) if v.config.is_none() => view! {
            <section class="card" data-testid="remote-tab">
                <p data-testid="remote-unconfigured">
                    "No off-site remote is configured: backups stay in the backup folder only. Set "
                    <code>"BACKUP_REMOTE_URL"</code> " (an S3 bucket or a second disk) and restart; see docs/backups.md."
                </p>
            </section>
        }
        .into_any(),
        Some(v) => view! {
            <section class="card" data-testid="remote-tab">
                <Config view=v.clone() />
                <Queue ctx data />
                <Copies ctx copies=v.copies.clone() listing_error=v.listing_error.clone() />
                <Media status=v.status.clone() />
            </section>
        }
        .into_any(),
    }
    }
}

fn fetch_view(ctx: Ctx, data: RwSignal<Option<RemoteView>>, alive: Arc<AtomicBool>) {
    spawn_local(async move {
        match client::get::<RemoteView>(paths::BACKUPS_REMOTE).await {
            Ok(v) if alive.load(Ordering::Relaxed) => {
                data.try_set(Some(v));
                poll_status(ctx, data, alive, false);
            }
            Ok(_) => {}
            Err(e) => ctx.notice.set(Some(Err(e.error))),
        }
    });
}

/// Asks for the queue while something waits or runs; when it empties, the whole view is read
/// again (the new copy is then on the remote's list).
fn poll_status(ctx: Ctx, data: RwSignal<Option<RemoteView>>, alive: Arc<AtomicBool>, was_busy: bool) {
    let busy = |s: &RemoteStatus| {
        s.progress.is_some()
            || s.queue.iter().any(|r| r.remote.as_ref().is_some_and(|x| x.state != RemoteState::Failed))
    };
    let now_busy = data.try_with_untracked(|d| d.as_ref().is_some_and(|v| busy(&v.status))).unwrap_or(false);
    if !now_busy {
        if was_busy && alive.load(Ordering::Relaxed) {
            fetch_view(ctx, data, alive);
        }
        return;
    }
    set_timeout(
        move || {
            if !alive.load(Ordering::Relaxed) {
                return;
            }
            spawn_local(async move {
                if let Ok(status) = client::get::<RemoteStatus>(paths::BACKUPS_REMOTE_STATUS).await
                    && alive.load(Ordering::Relaxed)
                {
                    data.try_update(|d| {
                        if let Some(v) = d {
                            v.status = status;
                        }
                    });
                }
                poll_status(ctx, data, alive, true);
            });
        },
        POLL,
    );
}

#[component]
fn Config(view: RemoteView) -> impl IntoView {
    let Some(c) = view.config else { return ().into_any() };
    let check = RwSignal::new(None::<Result<RemoteCheckReport, String>>);
    let busy = RwSignal::new(false);
    let run_check = move |_| {
        busy.set(true);
        check.set(None);
        spawn_local(async move {
            let r = client::post::<_, RemoteCheckReport>(paths::BACKUPS_REMOTE_CHECK, &serde_json::json!({})).await;
            check.set(Some(r.map_err(|e| e.error)));
            busy.set(false);
        });
    };
    let fact = |label: &'static str, value: Option<String>, id: &'static str| {
        value.map(|v| view! { <dt>{label}</dt><dd data-testid=id><code>{v}</code></dd> })
    };
    view! {
        <h2>"Where copies go"</h2>
        <dl class="facts">
            {fact("Remote", Some(c.url.clone()), "remote-url")}
            {fact("Bucket", c.bucket.clone(), "remote-bucket")}
            {fact("Prefix", c.prefix.clone(), "remote-prefix")}
            {fact("Endpoint", c.endpoint.clone(), "remote-endpoint")}
            {fact("Region", c.region.clone(), "remote-region")}
            {fact("Key id", c.key_id.clone(), "remote-key-id")}
            {fact("Upload cap", c.max_rate.clone(), "remote-rate")}
            {fact("Remote retention", Some(c.keep.clone()), "remote-keep")}
        </dl>
        <div class="actions">
            <button type="button" class="secondary" data-testid="remote-check" disabled=busy on:click=run_check>"Test the connection"</button>
        </div>
        {move || check.get().map(|r| match r {
            Ok(report) if report.ok => view! {
                <p class="alert success" role="status" data-testid="remote-check-result" data-ok="true">
                    "Connected: write, read, list and delete all work ("
                    {report.steps.iter().map(|s| format!("{} {} ms", s.step.as_str(), s.ms)).collect::<Vec<_>>().join(", ")}
                    ")."
                </p>
            }.into_any(),
            Ok(report) => view! {
                <p class="alert error" role="alert" data-testid="remote-check-result" data-ok="false">{report.error.unwrap_or_default()}</p>
            }.into_any(),
            Err(e) => view! { <p class="alert error" role="alert" data-testid="remote-check-result" data-ok="false">{e}</p> }.into_any(),
        })}
    }
    .into_any()
}

#[component]
fn Queue(ctx: Ctx, data: RwSignal<Option<RemoteView>>) -> impl IntoView {
    let retry = move |_| {
        spawn_local(async move {
            match client::post::<_, RemoteStatus>(paths::BACKUPS_REMOTE_RETRY, &serde_json::json!({})).await {
                Ok(s) => {
                    data.try_update(|d| {
                        if let Some(v) = d {
                            v.status = s;
                        }
                    });
                }
                Err(e) => ctx.notice.set(Some(Err(e.error))),
            }
        });
    };
    view! {
        <h2>"Upload queue"</h2>
        {move || {
            let status = data.with(|d| d.as_ref().map(|v| v.status.clone())).unwrap_or_default();
            if status.queue.is_empty() {
                return view! { <p class="muted" data-testid="remote-queue-empty">"Nothing waits: every backup made since the remote was set is off-site."</p> }.into_any();
            }
            let any_failed = status.queue.iter().any(|r| r.remote.as_ref().is_some_and(|x| x.state == RemoteState::Failed));
            let progress = status.progress.clone();
            view! {
                <table data-testid="remote-queue">
                    <thead><tr><th>"Backup"</th><th>"State"</th><th>"Attempts"</th><th>"Progress / last error"</th></tr></thead>
                    <tbody>
                        {status.queue.into_iter().map(|r| queue_row(r, progress.clone())).collect_view()}
                    </tbody>
                </table>
                {any_failed.then(|| view! {
                    <div class="actions"><button type="button" class="secondary" data-testid="remote-retry" on:click=retry>"Retry now"</button></div>
                })}
            }.into_any()
        }}
    }
}

/// One backup waiting for its copy, with the copy's progress when it is the one being made.
fn queue_row(r: BackupRecord, progress: Option<contract::backup::RemoteProgress>) -> impl IntoView {
    let remote = r.remote.clone()?;
    let live = progress.filter(|p| p.backup_id == r.id);
    let detail = match (&live, &remote.error) {
        (Some(p), _) => {
            let percent = p.percent();
            view! {
                <div class="progress-label">{format!("{} {percent}% ({} of {})", p.phase.label(), human_bytes(p.done), human_bytes(p.total))}</div>
                <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=percent.to_string()>
                    <div class="progress-fill" style=format!("width: {percent}%")></div>
                </div>
            }
            .into_any()
        }
        (None, Some(e)) => view! {
            <span>{e.clone()}</span>
            {remote.next_attempt_at.map(|t| view! { <span class="muted">{format!(" Next attempt: {}.", human_time(t))}</span> })}
        }
        .into_any(),
        (None, None) => view! { <span class="muted">"waiting for the uploader"</span> }.into_any(),
    };
    let state = if live.is_some() { RemoteState::Uploading } else { remote.state };
    Some(view! {
        <tr data-testid="remote-queue-row" data-filename=r.filename.clone() data-state=state.as_str()>
            <td><a href=paths::backup_page(r.id)>{r.filename.clone()}</a></td>
            <td><span class=state_class(state)>{state.label()}</span></td>
            <td>{remote.attempts.to_string()}</td>
            <td>{detail}</td>
        </tr>
    })
}

#[component]
fn Copies(ctx: Ctx, copies: Vec<RemoteCopy>, listing_error: Option<String>) -> impl IntoView {
    let restoring = RwSignal::new(None::<String>);
    let count = copies.len() as u64;
    let rows = copies
        .into_iter()
        .rev()
        .map(|c| {
            let name = c.name.clone();
            let local = match (c.backup_id, c.local_file) {
                (Some(id), true) => view! { <a href=paths::backup_page(id)>"also local"</a> }.into_any(),
                (Some(id), false) => view! { <a href=paths::backup_page(id)>"remote only"</a> }.into_any(),
                (None, _) => view! { <span>"remote only (not in this catalogue)"</span> }.into_any(),
            };
            let verified = match (&c.sha256, &c.sidecar_error) {
                (Some(sha), _) => view! { <span title=sha.clone()>"✓ verified"</span> }.into_any(),
                (None, Some(e)) => view! { <span class="bad" title=e.clone()>"✗ unreadable .sha256"</span> }.into_any(),
                (None, None) => view! { <span class="muted">"unfinished upload"</span> }.into_any(),
            };
            let restorable = !c.local_file && c.is_complete();
            view! {
                <tr data-testid="remote-copy" data-name=c.name.clone() data-verified=c.is_complete().to_string() data-local=c.local_file.to_string()>
                    <td class="nowrap">{human_time(c.created_at)}</td>
                    <td>{c.name.clone()}</td>
                    <td class="nowrap">{human_bytes(c.size_bytes)}</td>
                    <td>{verified}</td>
                    <td>{local}</td>
                    <td class="row-actions">
                        {restorable.then(|| view! {
                            <button type="button" class="secondary small" data-testid="remote-restore" on:click=move |_| restoring.set(Some(name.clone()))>"Restore"</button>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h2>"On the remote"</h2>
        <RestoreForm ctx restoring />
        {listing_error.map(|e| view! { <p class="alert error" role="alert" data-testid="remote-listing-error">{format!("The remote could not be listed: {e}")}</p> })}
        <div class="table-wrap">
            <table data-testid="remote-copies">
                <thead><tr><th>"Made"</th><th>"File"</th><th>"Size"</th><th>"Checked"</th><th>"Here"</th><th>"Actions"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <p class="muted">{plural(count, "copy", "copies")} " on the remote."</p>
    }
}

/// Restoring a remote-only copy: type its name; it is downloaded, checked against its SHA-256,
/// and restored like any backup (a safety copy first), then media/ is brought back.
#[component]
fn RestoreForm(ctx: Ctx, restoring: RwSignal<Option<String>>) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(name) = restoring.get_untracked() else { return };
        let body = RemoteRestoreRequest { name, confirm: typed.get_untracked() };
        ctx.notice.set(None);
        // The restore's state is the page's (`ctx.busy`), not this form's: the form is removed
        // when the restore succeeds, while the progress loop may still run.
        ctx.busy.set(true);
        set_timeout(move || ctx.follow_restore(), Duration::from_millis(150));
        spawn_local(async move {
            let result: Result<RestoreResult, ErrorBody> = client::post(paths::BACKUPS_REMOTE_RESTORE, &body).await;
            if !ctx.alive() {
                return;
            }
            ctx.busy.set(false);
            match result {
                Ok(r) => {
                    ctx.progress.set(None);
                    ctx.notice.set(Some(Ok(r.message)));
                    typed.set(String::new());
                    // Last: this removes the form.
                    restoring.set(None);
                    ctx.reload();
                }
                Err(e) => ctx.notice.set(Some(Err(e.error))),
            }
        });
    };
    move || {
        restoring.get().map(|name| {
            view! {
                <form class="restore-form" on:submit=submit data-testid="remote-restore-form">
                    <label for="remote-restore-confirm">
                        "Restore the database from the off-site copy " <code>{name.clone()}</code>
                        "? It is downloaded and checked first, and a safety copy of the current data is taken. Type its file name to confirm."
                    </label>
                    <div class="actions">
                        <input id="remote-restore-confirm" type="text" autocomplete="off" bind:value=typed data-testid="remote-restore-confirm" />
                        <button type="submit" class="danger" data-testid="remote-restore-submit">"Restore"</button>
                        <button type="button" class="secondary" on:click=move |_| restoring.set(None)>"Cancel"</button>
                    </div>
                </form>
            }
        })
    }
}

#[component]
fn Media(status: RemoteStatus) -> impl IntoView {
    view! {
        <h2>"media/"</h2>
        <div data-testid="remote-media">
            {match status.media {
                None => view! { <p class="muted">"Not mirrored yet: it is after the next off-site copy."</p> }.into_any(),
                Some(m) if m.ok => view! {
                    <p data-ok="true">
                        {format!(
                            "Mirrored {}: {} files, {} sent ({}), {} unchanged, in {}.",
                            m.at.map(human_time).unwrap_or_default(), m.files, m.transferred, human_bytes(m.bytes), m.unchanged, human_ms(m.elapsed_ms)
                        )}
                        {(m.marked_deleted + m.purged > 0).then(|| format!(" {} deleted locally (kept 30 days off-site), {} removed off-site.", m.marked_deleted, m.purged))}
                        {m.first_skipped.map(|s| format!(" {} left out, e.g. {s}.", m.skipped))}
                    </p>
                }.into_any(),
                Some(m) => view! {
                    <p class="alert error" data-ok="false">{format!("The last mirror ({}) failed: {}", m.at.map(human_time).unwrap_or_default(), m.error.unwrap_or_default())}</p>
                }.into_any(),
            }}
        </div>
    }
}
