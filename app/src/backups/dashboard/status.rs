//! The top of the dashboard: the actions, the progress of the running operation, the schedule
//! and last results, and the activity cards.

use super::Ctx;
use crate::client;
use contract::{
    ClosedSet,
    backup::{BackupRecord, BackupSettings, BackupStats},
    format::{human_bytes, human_ms, human_time},
    paths,
};
use leptos::{prelude::*, task::spawn_local};

#[component]
pub(super) fn Actions(ctx: Ctx) -> impl IntoView {
    let running = move || ctx.busy.get() || ctx.progress.with(|p| p.as_ref().is_some_and(|p| !p.is_finished()));
    // Disabled from the click on, not only once progress arrives: a second click in between
    // would otherwise start (the server now joins it to the running backup).
    let backup_now = move |_| {
        ctx.notice.set(None);
        ctx.busy.set(true);
        spawn_local(async move {
            match client::post::<_, BackupRecord>(paths::BACKUPS, &serde_json::json!({})).await {
                Ok(_) => ctx.watch_progress(),
                Err(e) if ctx.alive() => {
                    ctx.busy.set(false);
                    ctx.notice.set(Some(Err(e.error)));
                }
                Err(_) => {}
            }
        });
    };
    view! {
        <div class="actions">
            <button type="button" data-testid="backup-now" disabled=running on:click=backup_now>"Backup now"</button>
            <form method="post" action=paths::BACKUP_DOWNLOAD_FRESH class="inline-form">
                <button type="submit" class="secondary" data-testid="download-fresh">"Download a fresh backup"</button>
            </form>
        </div>
    }
}

#[component]
pub(super) fn ProgressBar(ctx: Ctx) -> impl IntoView {
    move || {
        ctx.progress.get().map(|p| {
            let percent = p.percent();
            let label = format!("{} {}: {percent}%", p.operation.as_str(), p.phase.label());
            view! {
                <div class="progress-block" data-testid="progress" data-phase=p.phase.as_str() data-finished=p.is_finished().to_string()>
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
pub(super) fn StatusHeader(
    settings: BackupSettings,
    last_success: Option<BackupRecord>,
    last_failure: Option<BackupRecord>,
) -> impl IntoView {
    let schedule = settings.schedule;
    view! {
        {last_failure.map(|f| view! {
            <div class="alert error banner" role="alert" data-testid="failure-banner">
                <strong>"The last backup failed"</strong>
                " (" {human_time(f.created_at)} ", " {f.trigger.as_str()} "): "
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
                <span>"Next run: " <strong data-testid="next-run">{schedule.next_runs.first().map(|t| human_time(*t)).unwrap_or_else(|| "—".into())}</strong></span>
                <span>"Last success: " <strong data-testid="last-success">{last_success.map(|b| human_time(b.created_at)).unwrap_or_else(|| "never".into())}</strong></span>
                <span>"Keeping: " <strong>{if settings.retention == 0 { "all".to_string() } else { format!("newest {}", settings.retention) }}</strong></span>
            </div>
        </section>
    }
}

#[component]
pub(super) fn StatCards(stats: BackupStats) -> impl IntoView {
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
