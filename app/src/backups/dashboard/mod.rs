//! `/backups`: status, actions with live progress, activity cards, and one tab at a time
//! (history, files, upload, settings, database; a file each). Server-rendered whole (the data
//! comes with the page), live once hydrated.

mod database;
mod files;
mod history;
mod remote;
mod settings;
mod status;
mod upload;

use crate::{
    boot::{PageData, load_page_data},
    client,
    pages::Protected,
};
use contract::{
    ClosedSet,
    backup::{Dashboard, DashboardQuery, DashboardTab, Progress, ProgressResponse},
    paths,
};
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use std::time::Duration;

/// Shared by the parts of the page: the data, and how to reload it. Every signal here belongs to
/// the page itself, so an answer that arrives after a part of the page was replaced (the restore
/// form, once the restore is done) still finds them; the loops below stop once the page is left.
#[derive(Clone, Copy)]
struct Ctx {
    data: RwSignal<Option<Dashboard>>,
    query: Memo<DashboardQuery>,
    progress: RwSignal<Option<Progress>>,
    notice: RwSignal<Option<Result<String, String>>>,
    /// The answer to the current tab's form (shown next to its button; cleared with the tab).
    form_notice: RwSignal<Option<Result<String, String>>>,
    /// From the click on "Backup now" (or "Restore") until the operation ends: the buttons that
    /// start one wait.
    busy: RwSignal<bool>,
}

/// The answer to a tab's form, beside its button.
#[component]
fn FormNotice(ctx: Ctx, testid: &'static str) -> impl IntoView {
    move || {
        ctx.form_notice.get().map(|n| match n {
            Ok(m) => view! { <p class="form-status ok" role="status" data-testid=testid>{m}</p> }.into_any(),
            Err(m) => view! { <p class="form-status error" role="alert" data-testid=testid>{m}</p> }.into_any(),
        })
    }
}

impl Ctx {
    fn tab(self) -> DashboardTab {
        self.query.get().tab()
    }

    /// False once the page has been left (its signals are gone with it).
    fn alive(self) -> bool {
        !self.data.is_disposed()
    }

    fn reload(self) {
        let query = self.query.get_untracked();
        spawn_local(async move {
            let answer = client::get::<Dashboard>(&paths::backups_dashboard(&query)).await;
            if !self.alive() {
                return;
            }
            match answer {
                Ok(d) => self.data.set(Some(d)),
                Err(e) => self.notice.set(Some(Err(e.error))),
            }
        });
    }

    /// Polls the progress of the running backup until it ends, then reloads the page's data.
    fn watch_progress(self) {
        spawn_local(async move {
            let answer = client::get::<ProgressResponse>(paths::BACKUPS_PROGRESS).await;
            if !self.alive() {
                return;
            }
            match answer {
                Ok(ProgressResponse { progress: Some(p) }) if !p.is_finished() => {
                    self.busy.set(true);
                    self.progress.set(Some(p));
                    set_timeout(move || self.watch_progress(), Duration::from_millis(200));
                }
                Ok(ProgressResponse { progress }) => {
                    if let Some(p) = &progress
                        && p.phase == contract::backup::Phase::Failed
                    {
                        self.notice
                            .set(Some(Err(format!("The {} failed: the history says why.", p.operation.as_str()))));
                    }
                    self.progress.set(progress);
                    self.busy.set(false);
                    self.reload();
                }
                Err(e) => {
                    self.busy.set(false);
                    self.notice.set(Some(Err(e.error)));
                }
            }
        });
    }

    /// Shows the progress of an operation whose request is still running (a restore), while
    /// `busy`; the request's own answer then says how it ended.
    fn follow_restore(self) {
        if !self.alive() || !self.busy.get_untracked() {
            return;
        }
        spawn_local(async move {
            let answer = client::get::<ProgressResponse>(paths::BACKUPS_PROGRESS).await;
            if !self.alive() || !self.busy.get_untracked() {
                return;
            }
            if let Ok(ProgressResponse { progress: Some(p) }) = answer
                && !p.is_finished()
            {
                self.progress.set(Some(p));
            }
            set_timeout(move || self.follow_restore(), Duration::from_millis(200));
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

/// The query string as the page reads it: a value that does not parse is left out here (the
/// server answered the page itself with the refusal).
fn query_of(q: &leptos_router::params::ParamsMap) -> DashboardQuery {
    DashboardQuery {
        page: q.get("page").and_then(|p| p.parse().ok()),
        per_page: q.get("per_page").and_then(|p| p.parse().ok()),
        tab: q.get("tab").and_then(|t| t.parse().ok()),
    }
}

#[component]
fn DashboardRoot() -> impl IntoView {
    let params = use_query_map();
    let (initial, refused) = match load_page_data().as_deref() {
        Some(PageData::Dashboard(d)) => (Some(Dashboard::clone(d)), None),
        Some(PageData::Invalid(message)) => (None, Some(message.clone())),
        _ => (None, None),
    };
    if refused.is_some() {
        #[cfg(feature = "ssr")]
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::UNPROCESSABLE_ENTITY);
        }
    }
    let query = Memo::new(move |_| params.with(query_of));
    let ctx = Ctx {
        data: RwSignal::new(initial),
        query,
        progress: RwSignal::new(None),
        notice: RwSignal::new(refused.map(Err)),
        form_notice: RwSignal::new(None),
        busy: RwSignal::new(false),
    };
    // A success notice belongs to the tab it was given on.
    Effect::new(move |previous: Option<DashboardTab>| {
        let tab = ctx.tab();
        if previous.is_some_and(|p| p != tab) {
            ctx.form_notice.set(None);
            if ctx.notice.with_untracked(|n| matches!(n, Some(Ok(_)))) {
                ctx.notice.set(None);
            }
        }
        tab
    });
    // Data for another page of the history (or a first visit through client-side navigation).
    Effect::new(move |_| {
        let wanted = query.get().page_and_size().map(|(page, _)| page).unwrap_or(1);
        let loaded = ctx.data.with_untracked(|d| d.as_ref().map(|d| d.history.page));
        if loaded != Some(wanted) {
            ctx.reload();
        }
    });
    // The Files and Database tabs' data comes with the page only when it opens on them.
    Effect::new(move |_| {
        let tab = ctx.tab();
        let (need_files, need_database) =
            ctx.data.with(|d| d.as_ref().map(|d| (d.files.is_none(), d.database.is_none())).unwrap_or((false, false)));
        if tab == DashboardTab::Files && need_files {
            spawn_local(async move {
                match client::get(paths::BACKUPS_FILES).await {
                    Ok(f) => ctx.data.update(|d| {
                        if let Some(d) = d {
                            d.files = Some(f)
                        }
                    }),
                    Err(e) => ctx.notice.set(Some(Err(e.error))),
                }
            });
        }
        if tab == DashboardTab::Database && need_database {
            spawn_local(async move {
                match client::get(paths::DATABASE).await {
                    Ok(p) => ctx.data.update(|d| {
                        if let Some(d) = d {
                            d.database = Some(p)
                        }
                    }),
                    Err(e) => ctx.notice.set(Some(Err(e.error))),
                }
            });
        }
    });
    // A backup already running when the page opened: follow it.
    Effect::new(move |_| {
        if ctx
            .data
            .with_untracked(|d| d.as_ref().is_some_and(|d| d.progress.as_ref().is_some_and(|p| !p.is_finished())))
        {
            ctx.watch_progress();
        }
    });

    view! {
        <div class="dashboard" data-testid="dashboard">
            <div class="dashboard-head">
                <h1>"Backups"</h1>
                <status::Actions ctx />
            </div>
            {move || ctx.notice.get().map(|n| match n {
                Ok(m) => view! { <p class="alert success" role="status" data-testid="notice">{m}</p> }.into_any(),
                Err(m) => view! { <p class="alert error" role="alert" data-testid="notice">{m}</p> }.into_any(),
            })}
            <status::ProgressBar ctx />
            {move || ctx.data.with(|d| match d {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(d) => view! {
                    <remote::RemoteBanner alert=d.remote_alert.clone() />
                    <status::StatusHeader settings=d.settings.clone() last_success=d.last_success.clone() last_failure=d.last_failure.clone() />
                    <status::StatCards stats=d.stats.clone() />
                }.into_any(),
            })}
            <nav class="tabs" aria-label="Dashboard sections">
                {DashboardTab::all().iter().map(|&t| view! {
                    <a href=format!("{}?tab={}", paths::BACKUPS_PAGE, t.as_str()) class=move || if ctx.tab() == t { "tab active" } else { "tab" } data-testid=format!("tab-{}", t.as_str())>
                        {t.label()}
                    </a>
                }).collect_view()}
            </nav>
            {move || {
                let Some(d) = ctx.data.get() else { return ().into_any() };
                let loading = || view! { <p class="muted">"Loading…"</p> }.into_any();
                match ctx.tab() {
                    DashboardTab::History => view! { <history::History ctx history=d.history /> }.into_any(),
                    DashboardTab::Files => d.files.map(|files| view! { <files::Files files /> }.into_any()).unwrap_or_else(loading),
                    DashboardTab::Upload => view! { <upload::Upload ctx max=d.settings.upload_max_bytes /> }.into_any(),
                    DashboardTab::Settings => view! { <settings::Settings ctx settings=d.settings /> }.into_any(),
                    DashboardTab::Database => d.database.map(|database| view! { <database::Database database /> }.into_any()).unwrap_or_else(loading),
                    DashboardTab::Remote => view! { <remote::Remote ctx view=d.remote /> }.into_any(),
                }
            }}
        </div>
    }
    .into_any()
}
