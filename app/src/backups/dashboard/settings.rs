//! The Settings tab: schedule (validated and put into words as you type) and retention.

use super::{Ctx, FormNotice};
use crate::client;
use contract::{
    backup::{BackupSettings, BackupSettingsUpdate, ScheduleInfo},
    format::human_time,
    paths,
};
use leptos::{prelude::*, task::spawn_local};

#[component]
pub(super) fn Settings(ctx: Ctx, settings: BackupSettings) -> impl IntoView {
    let expression = RwSignal::new(settings.schedule.expression.clone());
    let retention = RwSignal::new(settings.retention.to_string());
    let preview = RwSignal::new(Ok::<ScheduleInfo, String>(settings.schedule.clone()));
    let default_schedule = settings.default_schedule.clone();

    // Validate as you type: the server's cron parser answers with the words and next runs.
    let check = move |raw: String| {
        spawn_local(async move {
            let answer = client::get::<ScheduleInfo>(&paths::schedule_preview(&raw)).await;
            // Only the answer for what is still in the box counts (and only while the tab shows).
            if expression.try_get_untracked().as_ref() == Some(&raw) {
                preview.set(answer.map_err(|e| e.error));
            }
        });
    };
    let notice = ctx.form_notice;
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        notice.set(None);
        let retention_value = retention.get_untracked();
        let Ok(keep) = retention_value.trim().parse::<u32>() else {
            notice.set(Some(Err(format!(
                "Keep a whole number of backups (0 keeps them all), not \"{}\".",
                retention_value.trim()
            ))));
            return;
        };
        let body = BackupSettingsUpdate { schedule: Some(expression.get_untracked()), retention: Some(keep) };
        spawn_local(async move {
            let answer = client::put::<_, BackupSettings>(paths::BACKUPS_SETTINGS, &body).await;
            if !ctx.alive() {
                return;
            }
            match answer {
                Ok(s) => {
                    let next = s.schedule.next_runs.first().map(|t| human_time(*t)).unwrap_or_else(|| "never".into());
                    notice.set(Some(Ok(format!(
                        "Settings saved. {}; next run {next}.",
                        capitalise(&s.schedule.description)
                    ))));
                    ctx.reload();
                }
                Err(e) => notice.set(Some(Err(e.error))),
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
                                <ul>{s.next_runs.iter().map(|t| view! { <li>{human_time(*t)}</li> }).collect_view()}</ul>
                            </div>
                        }.into_any(),
                        Err(e) => view! { <p class="field-error" role="alert" data-testid="schedule-error">{e}</p> }.into_any(),
                    }}
                </div>
                <div class="field">
                    <label for="retention">"Keep the newest successful backups (0 keeps all)"</label>
                    <input id="retention" type="number" min="0" step="1" data-testid="retention-input" bind:value=retention />
                </div>
                <div class="actions">
                    <button type="submit" data-testid="settings-save">"Save settings"</button>
                    <FormNotice ctx testid="settings-status" />
                </div>
            </form>
        </section>
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
