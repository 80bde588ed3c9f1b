//! The Upload tab: a backup file sent to the server, checked like a restore source, kept.

use super::{Ctx, FormNotice};
use contract::format::human_bytes;
#[cfg(feature = "hydrate")]
use contract::paths;
#[cfg(feature = "hydrate")]
use contract::{backup::BackupRecord, error::ErrorBody};
use leptos::prelude::*;

#[component]
pub(super) fn Upload(ctx: Ctx, max: u64) -> impl IntoView {
    let input: NodeRef<leptos::html::Input> = NodeRef::new();
    let percent = RwSignal::new(None::<u32>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        ctx.form_notice.set(None);
        #[cfg(feature = "hydrate")]
        {
            let Some(file) = input.get().and_then(|i| i.files()).and_then(|f| f.get(0)) else {
                ctx.form_notice.set(Some(Err("Choose a file first.".into())));
                return;
            };
            percent.set(Some(0));
            crate::client::upload_with_progress(
                paths::BACKUPS_UPLOAD,
                file,
                move |p| {
                    let _ = percent.try_set(Some(p));
                },
                move |outcome: Result<BackupRecord, ErrorBody>| {
                    if !ctx.alive() {
                        return;
                    }
                    let _ = percent.try_set(None);
                    match outcome {
                        Ok(b) => {
                            ctx.form_notice.set(Some(Ok(format!(
                                "Uploaded and verified: {} is now in the catalogue.",
                                b.filename
                            ))));
                            ctx.reload();
                        }
                        Err(e) => ctx.form_notice.set(Some(Err(format!("The upload was refused. {}", e.error)))),
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
                <div class="actions">
                    <button type="submit" data-testid="upload-submit">"Upload"</button>
                    <FormNotice ctx testid="upload-status" />
                </div>
            </form>
            {move || percent.get().map(|p| view! {
                <div class="progress" role="progressbar" aria-valuenow=p.to_string() aria-valuemin="0" aria-valuemax="100" data-testid="upload-progress">
                    <div class="progress-fill" style=format!("width: {p}%")></div>
                </div>
            })}
        </section>
    }
}
