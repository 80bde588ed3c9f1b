//! `/backups`: status, actions with live progress, activity cards, history, files, upload,
//! settings and the database panel. Server-rendered whole (the data comes with the page), live
//! once hydrated.

use super::{
    types::{
        BackupPage, BackupSettingsUpdate, BackupSettingsView, BackupStatus, BackupView, Dashboard, DatabaseActionResult,
        DatabasePanel, FilesView, ProgressResponse, ProgressView, RestoreRequest, RestoreResult, ScheduleView, StatsView,
        human_bytes, human_ms, human_time,
    },
};
use crate::{
    api::ApiError,
    client,
    pages::Protected,
    session::{PageData, load_page_data},
};
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};
use std::time::Duration;

/// The tabs of the dashboard (`?tab=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    History,
    Files,
    Upload,
    Settings,
    Database,
}

impl Tab {
    const ALL: [Tab; 5] = [Tab::History, Tab::Files, Tab::Upload, Tab::Settings, Tab::Database];

    fn slug(self) -> &'static str {
        match self {
            Tab::History => "history",
            Tab::Files => "files",
            Tab::Upload => "upload",
            Tab::Settings => "settings",
            Tab::Database => "database",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tab::History => "History",
            Tab::Files => "Files",
            Tab::Upload => "Upload",
            Tab::Settings => "Settings",
            Tab::Database => "Database",
        }
    }

    fn from_query(raw: Option<String>) -> Tab {
        Tab::ALL.into_iter().find(|t| raw.as_deref() == Some(t.slug())).unwrap_or(Tab::History)
    }
}

/// Shared by the parts of the page: the data, and how to reload it.
#[derive(Clone, Copy)]
struct Ctx {
    data: RwSignal<Option<Dashboard>>,
    page: Memo<u32>,
    per_page: Memo<Option<u32>>,
    tab: Memo<Tab>,
    progress: RwSignal<Option<ProgressView>>,
    notice: RwSignal<Option<Result<String, String>>>,
}

impl Ctx {
    fn reload(self) {
        let page = self.page.get_untracked();
        let per_page = self.per_page.get_untracked().map(|n| format!("&per_page={n}")).unwrap_or_default();
        let tab = format!("&tab={}", self.tab.get_untracked().slug());
        spawn_local(async move {
            match client::get::<Dashboard>(&format!("/api/backups/dashboard?page={page}{per_page}{tab}")).await {
                Ok(d) => self.data.set(Some(d)),
                Err(e) => self.notice.set(Some(Err(e.error))),
            }
        });
    }

    /// Polls the progress of the running backup until it ends, then reloads the page's data.
    fn watch_progress(self) {
        spawn_local(async move {
            match client::get::<ProgressResponse>("/api/backups/progress").await {
                Ok(ProgressResponse { progress: Some(p) }) if !p.finished => {
                    self.progress.set(Some(p));
                    set_timeout(move || self.watch_progress(), Duration::from_millis(200));
                }
                Ok(ProgressResponse { progress }) => {
                    if let Some(p) = &progress
                        && let Some(e) = &p.error
                    {
                        self.notice.set(Some(Err(format!("The {} failed: {e}", p.operation))));
                    }
                    self.progress.set(progress);
                    self.reload();
                }
                Err(e) => self.notice.set(Some(Err(e.error))),
            }
        });
    }

    /// Shows the progress of an operation whose request is still running (a restore), until
    /// `pending` turns false; the request's own answer then says how it ended.
    fn follow_while(self, pending: RwSignal<bool>) {
        if !pending.get_untracked() {
            return;
        }
        spawn_local(async move {
            if let Ok(ProgressResponse { progress: Some(p) }) = client::get::<ProgressResponse>("/api/backups/progress").await
                && pending.get_untracked()
                && !p.finished
            {
                self.progress.set(Some(p));
            }
            set_timeout(move || self.follow_while(pending), Duration::from_millis(200));
        });
    }
}

#[component]
pub fn BackupsPage() -> impl IntoView {
    view! {
        <Title text="Backups" />
        <Protected staff=true>
            <DashboardRoot />
        </Protected>
    }
}

#[component]
fn DashboardRoot() -> impl IntoView {
    let query = use_query_map();
    let initial = match load_page_data().as_deref() {
        Some(PageData::Dashboard(d)) => Some(Dashboard::clone(d)),
        _ => None,
    };
    let page = Memo::new(move |_| query.with(|q| q.get("page").and_then(|p| p.parse::<u32>().ok()).unwrap_or(1).max(1)));
    let tab = Memo::new(move |_| Tab::from_query(query.with(|q| q.get("tab"))));
    let per_page = Memo::new(move |_| query.with(|q| q.get("per_page").and_then(|p| p.parse::<u32>().ok())));
    let ctx = Ctx {
        data: RwSignal::new(initial),
        page,
        per_page,
        tab,
        progress: RwSignal::new(None),
        notice: RwSignal::new(None),
    };
    // Data for another page of the history (or a first visit through client-side navigation).
    Effect::new(move |_| {
        let wanted = page.get();
        let loaded = ctx.data.with_untracked(|d| d.as_ref().map(|d| d.history.page));
        if loaded != Some(wanted) {
            ctx.reload();
        }
    });
    // The Files and Database tabs' data comes with the page only when it opens on them.
    Effect::new(move |_| {
        let tab = tab.get();
        let (need_files, need_database) =
            ctx.data.with(|d| d.as_ref().map(|d| (d.files.is_none(), d.database.is_none())).unwrap_or((false, false)));
        if tab == Tab::Files && need_files {
            spawn_local(async move {
                match client::get::<FilesView>("/api/backups/files").await {
                    Ok(f) => ctx.data.update(|d| if let Some(d) = d { d.files = Some(f) }),
                    Err(e) => ctx.notice.set(Some(Err(e.error))),
                }
            });
        }
        if tab == Tab::Database && need_database {
            spawn_local(async move {
                match client::get::<DatabasePanel>("/api/database").await {
                    Ok(p) => ctx.data.update(|d| if let Some(d) = d { d.database = Some(p) }),
                    Err(e) => ctx.notice.set(Some(Err(e.error))),
                }
            });
        }
    });
    // A backup already running when the page opened: follow it.
    Effect::new(move |_| {
        if ctx.data.with_untracked(|d| d.as_ref().is_some_and(|d| d.progress.as_ref().is_some_and(|p| !p.finished))) {
            ctx.watch_progress();
        }
    });

    view! {
        <div class="dashboard" data-testid="dashboard">
            <div class="dashboard-head">
                <h1>"Backups"</h1>
                <Actions ctx />
            </div>
            {move || ctx.notice.get().map(|n| match n {
                Ok(m) => view! { <p class="alert success" role="status" data-testid="notice">{m}</p> }.into_any(),
                Err(m) => view! { <p class="alert error" role="alert" data-testid="notice">{m}</p> }.into_any(),
            })}
            <ProgressBar ctx />
            {move || ctx.data.with(|d| match d {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(d) => view! {
                    <StatusHeader settings=d.settings.clone() last_success=d.last_success.clone() last_failure=d.last_failure.clone() />
                    <StatCards stats=d.stats.clone() />
                }.into_any(),
            })}
            <nav class="tabs" aria-label="Dashboard sections">
                {Tab::ALL.into_iter().map(|t| view! {
                    <a href=format!("/backups?tab={}", t.slug()) class=move || if tab.get() == t { "tab active" } else { "tab" } data-testid=format!("tab-{}", t.slug())>
                        {t.label()}
                    </a>
                }).collect_view()}
            </nav>
            {move || {
                let Some(d) = ctx.data.get() else { return ().into_any() };
                let loading = || view! { <p class="muted">"Loading…"</p> }.into_any();
                match tab.get() {
                    Tab::History => view! { <History ctx history=d.history /> }.into_any(),
                    Tab::Files => d.files.map(|files| view! { <Files files /> }.into_any()).unwrap_or_else(loading),
                    Tab::Upload => view! { <Upload ctx max=d.settings.upload_max_bytes /> }.into_any(),
                    Tab::Settings => view! { <Settings ctx settings=d.settings /> }.into_any(),
                    Tab::Database => d.database.map(|database| view! { <Database database /> }.into_any()).unwrap_or_else(loading),
                }
            }}
        </div>
    }
    .into_any()
}

#[component]
fn Actions(ctx: Ctx) -> impl IntoView {
    let running = move || ctx.progress.with(|p| p.as_ref().is_some_and(|p| !p.finished));
    let backup_now = move |_| {
        ctx.notice.set(None);
        spawn_local(async move {
            match client::post::<_, BackupView>("/api/backups", &serde_json::json!({})).await {
                Ok(_) => ctx.watch_progress(),
                Err(e) => ctx.notice.set(Some(Err(e.error))),
            }
        });
    };
    view! {
        <div class="actions">
            <button type="button" data-testid="backup-now" disabled=running on:click=backup_now>"Backup now"</button>
            <form method="post" action="/backups/download-fresh" class="inline-form">
                <button type="submit" class="secondary" data-testid="download-fresh">"Download a fresh backup"</button>
            </form>
        </div>
    }
}

#[component]
fn ProgressBar(ctx: Ctx) -> impl IntoView {
    move || {
        ctx.progress.get().map(|p| {
            let percent = p.percent();
            let label = format!("{} {}: {percent}%", p.operation, p.phase);
            view! {
                <div class="progress-block" data-testid="progress" data-phase=p.phase.clone() data-finished=p.finished.to_string()>
                    <div class="progress-label">{label.clone()}</div>
                    <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=percent.to_string() aria-label=label>
                        <div class="progress-fill" style=format!("width: {percent}%")></div>
                    </div>
                </div>
            }
        })
    }
}

#[component]
fn StatusHeader(settings: BackupSettingsView, last_success: Option<BackupView>, last_failure: Option<BackupView>) -> impl IntoView {
    let schedule = settings.schedule;
    view! {
        {last_failure.map(|f| view! {
            <div class="alert error banner" role="alert" data-testid="failure-banner">
                <strong>"The last backup failed"</strong>
                " (" {human_time(&f.created_at)} ", " {f.trigger.as_str()} "): "
                {f.error.clone().unwrap_or_else(|| "no reason recorded".into())}
            </div>
        })}
        <section class="card status-header" data-testid="status-header">
            <div>
                <span class=if schedule.enabled { "pill ok" } else { "pill off" } data-testid="schedule-state">
                    {if schedule.enabled { "Scheduled" } else { "Not scheduled" }}
                </span>
                " "
                <span data-testid="schedule-words">{schedule.description.clone()}</span>
                " "
                <code class="muted">{schedule.expression.clone()}</code>
            </div>
            <div class="status-facts">
                <span>"Next run: " <strong data-testid="next-run">{schedule.next_runs.first().map(|t| human_time(t)).unwrap_or_else(|| "—".into())}</strong></span>
                <span>"Last success: " <strong data-testid="last-success">{last_success.map(|b| human_time(&b.created_at)).unwrap_or_else(|| "never".into())}</strong></span>
                <span>"Keeping: " <strong>{if settings.retention == 0 { "all".to_string() } else { format!("newest {}", settings.retention) }}</strong></span>
            </div>
        </section>
    }
}

#[component]
fn StatCards(stats: StatsView) -> impl IntoView {
    let cards = [
        ("Last 24 h", stats.last_24h.to_string()),
        ("Successful", stats.successful.to_string()),
        ("Failed", stats.failed.to_string()),
        ("Pruned", stats.pruned.to_string()),
        ("Average duration", stats.average_duration_ms.map(human_ms).unwrap_or_else(|| "—".into())),
        ("Total size", human_bytes(stats.total_size_bytes)),
    ];
    view! {
        <div class="stat-cards">
            {cards.into_iter().map(|(label, value)| view! {
                <div class="stat-card" data-testid=format!("stat-{}", label.to_lowercase().replace(' ', "-"))>
                    <div class="stat-value">{value}</div>
                    <div class="stat-label">{label}</div>
                </div>
            }).collect_view()}
        </div>
    }
}

fn status_class(status: BackupStatus) -> &'static str {
    match status {
        BackupStatus::Success => "pill ok",
        BackupStatus::Failed => "pill bad",
        BackupStatus::Running => "pill running",
        _ => "pill off",
    }
}

#[component]
fn History(ctx: Ctx, history: BackupPage) -> impl IntoView {
    let pages = history.pages();
    let page = history.page;
    let total = history.total;
    // The backup whose restore is being confirmed: one form for the table, not one per row.
    let restoring = RwSignal::new(None::<(i64, String)>);
    let rows = history.backups.into_iter().map(|b| history_row(ctx, restoring, b)).collect_view();
    view! {
        <section class="card">
            <RestoreForm ctx restoring />
            <div class="table-wrap">
                <table class="history" data-testid="history">
                    <thead>
                        <tr>
                            <th>"Date"</th><th>"File"</th><th>"Size"</th><th>"Duration"</th><th>"Trigger"</th>
                            <th>"Status"</th><th>"Verified"</th><th>"SHA-256"</th><th>"Actions"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {(total == 0).then(|| view! { <p class="muted">"No backups yet."</p> })}
            <nav class="pager" aria-label="Pages">
                {(page > 1).then(|| view! { <a href=format!("/backups?page={}", page - 1) data-testid="page-prev">"← Newer"</a> })}
                <span class="muted" data-testid="page-info">{format!("Page {page} of {pages} · {total} backups")}</span>
                {(page < pages).then(|| view! { <a href=format!("/backups?page={}", page + 1) data-testid="page-next">"Older →"</a> })}
            </nav>
        </section>
    }
}

/// One row of the history. A plain function, not a component, with no state of its own: the
/// server renders up to 200 of these per page, so each must be cheap. Links are plain anchors
/// (the router still navigates them in the browser).
fn history_row(ctx: Ctx, restoring: RwSignal<Option<(i64, String)>>, backup: BackupView) -> impl IntoView {
    let available = backup.is_available();
    let BackupView { id, filename, status, trigger, integrity_ok, sha256, error, created_at, size_bytes, duration_ms, .. } = backup;
    let deletable = matches!(status, BackupStatus::Success | BackupStatus::Failed);
    let sha = sha256.unwrap_or_default();
    let short_sha: String = sha.chars().take(12).collect();
    let actions = (available || deletable).then(|| {
        let (restore_name, delete_name) = (filename.clone(), filename.clone());
        view! {
            {available.then(|| view! {
                <a href=format!("/backups/{filename}/download") class="button secondary small" download>"Download"</a>
                <button type="button" class="secondary small" on:click=move |_| restoring.set(Some((id, restore_name.clone())))>"Restore"</button>
            })}
            {deletable.then(|| view! {
                <button type="button" class="danger small" on:click=move |_| delete_backup(ctx, id, &delete_name)>"Delete"</button>
            })}
        }
    });
    view! {
        <tr data-testid="backup-row" data-filename=filename.clone() data-status=status.as_str()>
            <td class="nowrap">{human_time(&created_at)}</td>
            <td><a href=format!("/backups/{id}")>{filename.clone()}</a></td>
            <td class="nowrap">{size_bytes.map(human_bytes).unwrap_or_else(|| "—".into())}</td>
            <td class="nowrap">{duration_ms.map(human_ms).unwrap_or_else(|| "—".into())}</td>
            <td>{trigger.as_str()}</td>
            <td><span class=status_class(status) title=error.unwrap_or_default()>{status.as_str()}</span></td>
            <td>{match integrity_ok { Some(true) => "✓ ok", Some(false) => "✗ failed", None => "—" }}</td>
            <td>
                {(!sha.is_empty()).then(|| {
                    let copy = sha.clone();
                    view! {
                        <button type="button" class="linklike sha" title=format!("{sha} (click to copy)") on:click=move |_| crate::theme::state::copy_to_clipboard(&copy)>
                            <code>{short_sha}</code>
                        </button>
                    }
                })}
            </td>
            <td class="row-actions">{actions}</td>
        </tr>
    }
}

fn delete_backup(ctx: Ctx, id: i64, filename: &str) {
    if !window().confirm_with_message(&format!("Delete {filename}? The file is removed; the record stays.")).unwrap_or(false) {
        return;
    }
    spawn_local(async move {
        match client::delete::<BackupView>(&format!("/api/backups/{id}")).await {
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
#[component]
fn RestoreForm(ctx: Ctx, restoring: RwSignal<Option<(i64, String)>>) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some((id, _)) = restoring.get_untracked() else { return };
        let body = RestoreRequest { confirm: typed.get_untracked() };
        ctx.notice.set(None);
        let pending = RwSignal::new(true);
        set_timeout(move || ctx.follow_while(pending), Duration::from_millis(150));
        spawn_local(async move {
            let result: Result<RestoreResult, ApiError> = client::post(&format!("/api/backups/{id}/restore"), &body).await;
            pending.set(false);
            match result {
                Ok(r) => {
                    restoring.set(None);
                    typed.set(String::new());
                    ctx.progress.set(None);
                    ctx.notice.set(Some(Ok(r.message)));
                    ctx.reload();
                }
                Err(e) => ctx.notice.set(Some(Err(e.error))),
            }
        });
    };
    move || {
        restoring.get().map(|(_, filename)| {
            view! {
                <form class="restore-form" on:submit=submit data-testid="restore-form">
                    <label for="restore-confirm">
                        "Restore the database to " <code>{filename.clone()}</code> "? Type its file name to confirm. "
                        "A safety copy of the current data is taken first."
                    </label>
                    <div class="actions">
                        <input id="restore-confirm" type="text" autocomplete="off" bind:value=typed data-testid="restore-confirm" />
                        <button type="submit" class="danger" data-testid="restore-submit">"Restore"</button>
                        <button type="button" class="secondary" on:click=move |_| restoring.set(None)>"Cancel"</button>
                    </div>
                </form>
            }
        })
    }
}

#[component]
fn Files(files: FilesView) -> impl IntoView {
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
                                <tr><td>{f.name}</td><td>{human_bytes(f.size_bytes)}</td><td>{f.modified_at.map(|t| human_time(&t)).unwrap_or_default()}</td></tr>
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
                                <tr><td><A href=format!("/backups/{}", b.id)>{b.filename}</A></td><td>{human_time(&b.created_at)}</td><td>{b.size_bytes.map(human_bytes).unwrap_or_default()}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Upload(ctx: Ctx, max: u64) -> impl IntoView {
    let input: NodeRef<leptos::html::Input> = NodeRef::new();
    let percent = RwSignal::new(None::<u32>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        ctx.notice.set(None);
        #[cfg(feature = "hydrate")]
        {
            let Some(file) = input.get().and_then(|i| i.files()).and_then(|f| f.get(0)) else {
                ctx.notice.set(Some(Err("Choose a backup file first.".into())));
                return;
            };
            percent.set(Some(0));
            client::upload_with_progress(
                "/api/backups/upload",
                file,
                move |p| percent.set(Some(p)),
                move |outcome: Result<BackupView, ApiError>| {
                    percent.set(None);
                    match outcome {
                        Ok(b) => {
                            ctx.notice.set(Some(Ok(format!("Uploaded and verified: {} is now in the catalogue.", b.filename))));
                            ctx.reload();
                        }
                        Err(e) => ctx.notice.set(Some(Err(format!("The upload was refused: {}", e.error)))),
                    }
                },
            );
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (input, percent, ctx);
    };
    view! {
        <section class="card form" data-testid="upload">
            <h2>"Upload a backup"</h2>
            <p class="muted">{format!(
                "A SQLite file made by SmallStack (at most {}). It is checked like a restore source — header, integrity_check, schema version — before it is kept.",
                human_bytes(max)
            )}</p>
            <form on:submit=submit>
                <div class="field">
                    <label for="upload-file">"Backup file"</label>
                    <input id="upload-file" type="file" accept=".sqlite3,.sqlite,.db,application/x-sqlite3" node_ref=input />
                </div>
                <button type="submit" data-testid="upload-submit">"Upload"</button>
            </form>
            {move || percent.get().map(|p| view! {
                <div class="progress" role="progressbar" aria-valuenow=p.to_string() aria-valuemin="0" aria-valuemax="100" data-testid="upload-progress">
                    <div class="progress-fill" style=format!("width: {p}%")></div>
                </div>
            })}
        </section>
    }
}

#[component]
fn Settings(ctx: Ctx, settings: BackupSettingsView) -> impl IntoView {
    let expression = RwSignal::new(settings.schedule.expression.clone());
    let retention = RwSignal::new(settings.retention.to_string());
    let preview = RwSignal::new(Ok::<ScheduleView, String>(settings.schedule.clone()));
    let default_schedule = settings.default_schedule.clone();

    // Validate as you type: the server's cron parser answers with the words and next runs.
    let check = move |raw: String| {
        spawn_local(async move {
            let url = format!("/api/backups/schedule-preview?expression={}", encode(&raw));
            let answer = client::get::<ScheduleView>(&url).await;
            // Only the answer for what is still in the box counts.
            if expression.get_untracked() == raw {
                preview.set(answer.map_err(|e| e.error));
            }
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        ctx.notice.set(None);
        let retention_value = retention.get_untracked();
        let Ok(keep) = retention_value.trim().parse::<u32>() else {
            ctx.notice.set(Some(Err(format!("Retention must be a whole number (0 keeps all), not {retention_value:?}."))));
            return;
        };
        let body = BackupSettingsUpdate { schedule: Some(expression.get_untracked()), retention: Some(keep) };
        spawn_local(async move {
            match client::put::<_, BackupSettingsView>("/api/backups/settings", &body).await {
                Ok(s) => {
                    let next = s.schedule.next_runs.first().map(|t| human_time(t)).unwrap_or_else(|| "never".into());
                    ctx.notice.set(Some(Ok(format!("Settings saved. {}; next run {next}.", capitalise(&s.schedule.description)))));
                    ctx.reload();
                }
                Err(e) => ctx.notice.set(Some(Err(e.error))),
            }
        });
    };
    view! {
        <section class="card form" data-testid="settings">
            <h2>"Schedule and retention"</h2>
            <form on:submit=save>
                <div class="field">
                    <label for="schedule">"Schedule (five-field cron, UTC; off disables)"</label>
                    <input
                        id="schedule"
                        type="text"
                        autocomplete="off"
                        data-testid="schedule-input"
                        prop:value=move || expression.get()
                        on:input=move |ev| {
                            let raw = event_target_value(&ev);
                            expression.set(raw.clone());
                            check(raw);
                        }
                    />
                    <p class="help">{format!("Default from BACKUP_SCHEDULE: {default_schedule}")}</p>
                    {move || match preview.get() {
                        Ok(s) => view! {
                            <div class="schedule-preview" data-testid="schedule-preview">
                                <strong>{capitalise(&s.description)}</strong>
                                <ul>{s.next_runs.iter().map(|t| view! { <li>{human_time(t)}</li> }).collect_view()}</ul>
                            </div>
                        }.into_any(),
                        Err(e) => view! { <p class="field-error" role="alert" data-testid="schedule-error">{e}</p> }.into_any(),
                    }}
                </div>
                <div class="field">
                    <label for="retention">"Keep the newest successful backups (0 keeps all)"</label>
                    <input id="retention" type="number" min="0" step="1" data-testid="retention-input" bind:value=retention />
                </div>
                <button type="submit" data-testid="settings-save">"Save settings"</button>
            </form>
        </section>
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
fn Database(database: DatabasePanel) -> impl IntoView {
    let panel = RwSignal::new(database);
    let result = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let run = move |action: &'static str| {
        busy.set(true);
        result.set(None);
        spawn_local(async move {
            match client::post::<_, DatabaseActionResult>(&format!("/api/database/{action}"), &serde_json::json!({})).await {
                Ok(r) => {
                    let text = format!("{} ({})", r.message, human_ms(r.duration_ms));
                    panel.update(|p| p.stats = r.stats.clone());
                    result.set(Some(if r.ok { Ok(text) } else { Err(text) }));
                    if action == "integrity-check"
                        && let Ok(p) = client::get::<DatabasePanel>("/api/database").await
                    {
                        panel.set(p);
                    }
                }
                Err(e) => result.set(Some(Err(e.error))),
            }
            busy.set(false);
        });
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
                            Some(c) => format!("{} — {} ({})", human_time(&c.at), if c.ok { "ok".to_string() } else { format!("{} problem(s)", c.problems.len()) }, human_ms(c.duration_ms)),
                            None => "never".into(),
                        }}</dd>
                    </dl>
                }
            }}
            <div class="actions">
                <button type="button" class="secondary" data-testid="db-integrity-check" disabled=busy on:click=move |_| run("integrity-check")>"Run integrity check"</button>
                <button type="button" class="secondary" data-testid="db-vacuum" disabled=busy on:click=move |_| run("vacuum")>"VACUUM"</button>
                <button type="button" class="secondary" data-testid="db-checkpoint" disabled=busy on:click=move |_| run("checkpoint")>"WAL checkpoint"</button>
            </div>
            {move || result.get().map(|r| match r {
                Ok(m) => view! { <p class="alert success" role="status" data-testid="db-result">{m}</p> }.into_any(),
                Err(m) => view! { <p class="alert error" role="alert" data-testid="db-result">{m}</p> }.into_any(),
            })}
        </section>
    }
}

