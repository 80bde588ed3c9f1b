//! The customizer: every change previews at once (the draft is applied to `<html>`; no reload,
//! no request). Save stores it, Reset previews the defaults, Cancel goes back to the saved theme.
//! It appears on `/theme` and in a panel that opens from the navigation of every page.

use super::{
    ACCENT_MIN_CONTRAST, Accent, ColorMode, Font, Gray, Layout, NamedAccent, Radius, ThemeChoice, accent_contrast, code,
    css::to_css,
    palette::Scheme,
    state::{ThemeState, copy_to_clipboard, store_locally, use_theme},
};
use crate::{
    api::{CreatePresetRequest, PresetView, PresetsResponse, RenamePresetRequest},
    client,
};
use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Stores the draft: on the server for a signed-in user, in this browser otherwise.
fn save(state: ThemeState, status: RwSignal<Option<Result<String, String>>>) {
    let theme = state.draft.get_untracked();
    if !state.signed_in {
        store_locally(&theme);
        state.saved.set(theme);
        status.set(Some(Ok("Saved in this browser.".into())));
        return;
    }
    spawn_local(async move {
        match client::post::<_, ThemeChoice>("/api/theme", &theme).await {
            Ok(saved) => {
                state.saved.set(saved);
                store_locally(&saved);
                status.set(Some(Ok("Saved to your account: every device you sign in on will use it.".into())));
            }
            Err(e) => status.set(Some(Err(e.error))),
        }
    });
}

#[component]
fn Choice<T: Copy + PartialEq + Send + Sync + 'static>(
    group: &'static str,
    value: T,
    label: String,
    get: Signal<T>,
    set: Callback<T>,
    #[prop(optional)] swatch: Option<String>,
    #[prop(optional)] scope: &'static str,
) -> impl IntoView {
    let id = format!("{scope}{group}-{}", label.to_lowercase().replace([' ', '.'], "-"));
    let label_for = id.clone();
    view! {
        <label class="choice" for=label_for>
            <input
                type="radio"
                id=id
                name=format!("{scope}{group}")
                prop:checked=move || get.get() == value
                on:change=move |_| set.run(value)
            />
            {swatch.map(|color| view! { <span class="swatch" style=format!("background: {color}") aria-hidden="true"></span> })}
            <span>{label}</span>
        </label>
    }
}

/// The controls. `scope` keeps the ids of two customizers on one page (panel and page) apart.
#[component]
pub fn Customizer(#[prop(optional)] scope: &'static str) -> impl IntoView {
    let state = use_theme();
    let draft = state.draft;
    let status = RwSignal::new(None::<Result<String, String>>);
    let custom_text = RwSignal::new(match draft.get_untracked().accent {
        Accent::Custom(rgb) => rgb.to_hex(),
        Accent::Named(_) => String::new(),
    });
    let custom_error = RwSignal::new(None::<String>);

    let mode = Signal::derive(move || draft.get().mode);
    let font = Signal::derive(move || draft.get().font);
    let gray = Signal::derive(move || draft.get().gray);
    let radius = Signal::derive(move || draft.get().radius);
    let layout = Signal::derive(move || draft.get().layout);
    let accent = Signal::derive(move || draft.get().accent);

    let set_mode = Callback::new(move |v: ColorMode| draft.update(|t| t.mode = v));
    let set_font = Callback::new(move |v: Font| draft.update(|t| t.font = v));
    let set_gray = Callback::new(move |v: Gray| draft.update(|t| t.gray = v));
    let set_radius = Callback::new(move |v: Radius| draft.update(|t| t.radius = v));
    let set_layout = Callback::new(move |v: Layout| draft.update(|t| t.layout = v));
    let set_accent = Callback::new(move |v: Accent| draft.update(|t| t.accent = v));

    let apply_custom = move |raw: String| {
        custom_text.set(raw.clone());
        match Accent::parse(raw.trim()) {
            Ok(accent @ Accent::Custom(_)) => {
                custom_error.set(None);
                draft.update(|t| t.accent = accent);
            }
            Ok(_) | Err(_) => custom_error.set(Some("Write the colour as #rrggbb, e.g. #1a2b3c.".into())),
        }
    };

    let warning = move || {
        let theme = draft.get();
        let Accent::Custom(_) = theme.accent else { return None };
        let scheme = Scheme::of(theme.mode, state.prefers_dark.get());
        let ratio = accent_contrast(&theme, scheme);
        (ratio < ACCENT_MIN_CONTRAST).then(|| {
            format!(
                "Low contrast: this accent reaches {ratio:.2}:1 against the {} page background (at least {ACCENT_MIN_CONTRAST}:1 is needed to tell it apart). Buttons keep readable text either way.",
                if scheme == Scheme::Dark { "dark" } else { "light" }
            )
        })
    };

    view! {
        <div class="customizer" data-scope=scope>
            <fieldset>
                <legend>"Colour mode"</legend>
                <div class="choices">
                    {ColorMode::ALL.iter().map(|v| view! { <Choice group="mode" scope value=*v label=v.as_str().to_string() get=mode set=set_mode /> }).collect_view()}
                </div>
            </fieldset>
            <fieldset>
                <legend>"Accent"</legend>
                <div class="choices swatches">
                    {NamedAccent::ALL.iter().map(|v| view! {
                        <Choice group="accent" scope value=Accent::Named(*v) label=v.as_str().to_string() get=accent set=set_accent swatch=v.rgb().to_hex() />
                    }).collect_view()}
                </div>
                <div class="custom-accent">
                    <label for=format!("{scope}accent-custom")>"Custom"</label>
                    <input
                        type="color"
                        aria-label="Pick a custom accent colour"
                        prop:value=move || accent.get().rgb().to_hex()
                        on:input=move |ev| apply_custom(event_target_value(&ev))
                    />
                    <input
                        type="text"
                        id=format!("{scope}accent-custom")
                        placeholder="#1a2b3c"
                        maxlength="7"
                        prop:value=move || custom_text.get()
                        on:change=move |ev| apply_custom(event_target_value(&ev))
                    />
                </div>
                <Show when=move || custom_error.with(Option::is_some)>
                    <p class="field-error" role="alert">{move || custom_error.get()}</p>
                </Show>
                <Show when=move || warning().is_some()>
                    <p class="alert warning" data-testid="contrast-warning">{warning}</p>
                </Show>
            </fieldset>
            <fieldset>
                <legend>"Font"</legend>
                <div class="choices">
                    {Font::ALL.iter().map(|v| view! { <Choice group="font" scope value=*v label=v.as_str().to_string() get=font set=set_font /> }).collect_view()}
                </div>
            </fieldset>
            <fieldset>
                <legend>"Gray shade"</legend>
                <div class="choices">
                    {Gray::ALL.iter().map(|v| view! {
                        <Choice group="gray" scope value=*v label=v.as_str().to_string() get=gray set=set_gray swatch=format!("#{:06x}", super::palette::gray_scale(*v)[5]) />
                    }).collect_view()}
                </div>
            </fieldset>
            <fieldset>
                <legend>"Radius"</legend>
                <div class="choices">
                    {Radius::ALL.iter().map(|v| view! { <Choice group="radius" scope value=*v label=v.as_str().to_string() get=radius set=set_radius /> }).collect_view()}
                </div>
            </fieldset>
            <fieldset>
                <legend>"Page layout"</legend>
                <div class="choices">
                    {Layout::ALL.iter().map(|v| view! { <Choice group="layout" scope value=*v label=v.as_str().to_string() get=layout set=set_layout /> }).collect_view()}
                </div>
            </fieldset>
            <div class="actions sticky-actions">
                <button type="button" data-testid="theme-save" on:click=move |_| save(state, status)>"Save"</button>
                <button type="button" class="secondary" data-testid="theme-reset" on:click=move |_| {
                    status.set(None);
                    draft.set(ThemeChoice::default());
                }>"Reset to defaults"</button>
                <button type="button" class="secondary" data-testid="theme-cancel" on:click=move |_| {
                    status.set(None);
                    draft.set(state.saved.get_untracked());
                }>"Cancel"</button>
                <Show when=move || state.is_dirty()>
                    <span class="muted" data-testid="theme-unsaved">"Unsaved changes"</span>
                </Show>
            </div>
            {move || status.get().map(|s| match s {
                Ok(m) => view! { <p class="alert success" role="status" data-testid="theme-status">{m}</p> }.into_any(),
                Err(m) => view! { <p class="alert error" role="alert" data-testid="theme-status">{m}</p> }.into_any(),
            })}
        </div>
    }
    .into_any()
}

/// The panel's contents, in their own WASM chunk: fetched the first time the panel opens.
#[lazy]
async fn panel_contents() -> AnyView {
    view! {
        <Customizer scope="panel-" />
        <p class="muted"><a href="/theme">"Presets, share links and CSS export →"</a></p>
    }
    .into_any()
}

/// The slide-over panel opened from the navigation.
#[component]
pub fn ThemePanel(open: RwSignal<bool>) -> impl IntoView {
    view! {
        <Show when=move || open.get()>
            <div class="panel-backdrop" on:click=move |_| open.set(false)></div>
            <aside class="theme-panel" role="dialog" aria-label="Theme" data-testid="theme-panel">
                <div class="panel-head">
                    <h2>"Theme"</h2>
                    <button type="button" class="secondary" aria-label="Close" on:click=move |_| open.set(false)>"✕"</button>
                </div>
                <Suspense fallback=|| view! { <p class="muted">"Loading the customizer…"</p> }>
                    {Suspend::new(async { panel_contents().await })}
                </Suspense>
            </aside>
        </Show>
    }
    .into_any()
}

/// `/theme`: the customizer, a shared-theme preview (`?t=`), share link, CSS export, presets.
#[component]
pub fn ThemePage() -> impl IntoView {
    let state = use_theme();
    let query = use_query_map();
    let shared = query.with_untracked(|q| q.get("t")).map(|t| code::decode(&t));
    if let Some(Ok(theme)) = &shared {
        state.draft.set(*theme);
    }
    let share_error = match &shared {
        Some(Err(e)) => Some(format!("This share link cannot be opened: {e}. Ask for the link again; nothing was changed.")),
        _ => None,
    };
    let previewing_share = matches!(shared, Some(Ok(_)));

    view! {
        <Title text="Theme" />
        <h1>"Theme"</h1>
        {share_error.map(|e| view! { <p class="alert error" role="alert" data-testid="share-error">{e}</p> })}
        {previewing_share.then(|| view! {
            <p class="alert warning" data-testid="share-preview">
                "You are previewing a shared theme. Nothing is saved until you press Save; Cancel goes back to yours."
            </p>
        })}
        <div class="theme-layout">
            <section class="card">
                <Customizer />
            </section>
            <div>
                <SharePanel />
                {state.signed_in.then(|| view! { <Presets /> })}
                <PreviewSample />
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn SharePanel() -> impl IntoView {
    let state = use_theme();
    let share_link = RwSignal::new(None::<String>);
    let css = RwSignal::new(None::<String>);
    let copy_link = move |_| {
        let code = code::encode(&state.draft.get_untracked());
        let origin = window().location().origin().unwrap_or_default();
        let link = format!("{origin}/theme?t={code}");
        copy_to_clipboard(&link);
        share_link.set(Some(link));
    };
    let copy_css = move |_| {
        let text = to_css(&state.draft.get_untracked());
        copy_to_clipboard(&text);
        css.set(Some(text));
    };
    view! {
        <section class="card">
            <h2>"Share and export"</h2>
            <div class="actions">
                <button type="button" class="secondary" data-testid="copy-share-link" on:click=copy_link>"Copy share link"</button>
                <button type="button" class="secondary" data-testid="copy-css" on:click=copy_css>"Copy CSS"</button>
            </div>
            {move || share_link.get().map(|link| view! {
                <p class="muted">"Copied: " <input type="text" readonly class="code-input" data-testid="share-link" prop:value=link /></p>
            })}
            {move || css.get().map(|text| view! { <textarea readonly rows="10" class="code-block" data-testid="css-export">{text}</textarea> })}
        </section>
    }
    .into_any()
}

#[component]
fn Presets() -> impl IntoView {
    let state = use_theme();
    let presets = RwSignal::new(Vec::<PresetView>::new());
    let error = RwSignal::new(None::<String>);
    let name = RwSignal::new(String::new());
    let reload = move || {
        spawn_local(async move {
            match client::get::<PresetsResponse>("/api/theme/presets").await {
                Ok(r) => presets.set(r.presets),
                Err(e) => error.set(Some(e.error)),
            }
        });
    };
    Effect::new(move |_| reload());

    let create = move |ev: SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let body = CreatePresetRequest { name: name.get_untracked(), theme: state.draft.get_untracked() };
        spawn_local(async move {
            match client::post::<_, PresetView>("/api/theme/presets", &body).await {
                Ok(_) => {
                    name.set(String::new());
                    reload();
                }
                Err(e) => error.set(Some(e.error)),
            }
        });
    };

    view! {
        <section class="card" data-testid="presets">
            <h2>"Presets"</h2>
            <p class="muted">"Up to 20 named themes, kept in your account."</p>
            <Show when=move || error.with(Option::is_some)>
                <p class="alert error" role="alert">{move || error.get()}</p>
            </Show>
            <form class="actions" on:submit=create>
                <input type="text" aria-label="Preset name" placeholder="Name of this theme" maxlength="60" bind:value=name />
                <button type="submit">"Save as preset"</button>
            </form>
            <ul class="preset-list">
                <For each=move || presets.get() key=|p| (p.id, p.name.clone()) let:preset>
                    <PresetRow preset state error reload=Callback::new(move |_| reload()) />
                </For>
            </ul>
        </section>
    }
    .into_any()
}

#[component]
fn PresetRow(preset: PresetView, state: ThemeState, error: RwSignal<Option<String>>, reload: Callback<()>) -> impl IntoView {
    let id = preset.id;
    let theme = preset.theme;
    let renaming = RwSignal::new(false);
    let new_name = RwSignal::new(preset.name.clone());
    let rename = move |ev: SubmitEvent| {
        ev.prevent_default();
        let body = RenamePresetRequest { name: new_name.get_untracked() };
        spawn_local(async move {
            match client::patch::<_, PresetView>(&format!("/api/theme/presets/{id}"), &body).await {
                Ok(_) => {
                    renaming.set(false);
                    reload.run(());
                }
                Err(e) => error.set(Some(e.error)),
            }
        });
    };
    let delete = move |_| {
        if !window().confirm_with_message("Delete this preset?").unwrap_or(false) {
            return;
        }
        spawn_local(async move {
            match client::delete::<()>(&format!("/api/theme/presets/{id}")).await {
                Ok(()) => reload.run(()),
                Err(e) => error.set(Some(e.error)),
            }
        });
    };
    view! {
        <li class="preset" data-testid="preset">
            <span class="swatch" style=format!("background: {}", theme.accent.rgb().to_hex()) aria-hidden="true"></span>
            <Show
                when=move || renaming.get()
                fallback=move || view! { <span class="preset-name">{move || new_name.get()}</span> }
            >
                <form class="inline" on:submit=rename>
                    <input type="text" aria-label="New name" maxlength="60" bind:value=new_name />
                    <button type="submit">"Rename"</button>
                </form>
            </Show>
            <span class="actions">
                <button type="button" class="secondary" on:click=move |_| state.draft.set(theme)>"Apply"</button>
                <button type="button" class="secondary" on:click=move |_| renaming.update(|r| *r = !*r)>"Rename"</button>
                <button type="button" class="secondary" on:click=delete>"Delete"</button>
            </span>
        </li>
    }
    .into_any()
}

/// A few elements to judge the theme by.
#[component]
fn PreviewSample() -> impl IntoView {
    view! {
        <section class="card preview-sample">
            <h2>"Preview"</h2>
            <p>"Body text, " <a href="#">"a link"</a> ", and " <code>"code"</code> "."</p>
            <div class="actions">
                <button type="button" data-testid="sample-button">"Primary"</button>
                <button type="button" class="secondary">"Secondary"</button>
            </div>
            <div class="field">
                <label for="sample-input">"A form field"</label>
                <input id="sample-input" type="text" placeholder="Form controls follow the colour mode" />
            </div>
        </section>
    }
    .into_any()
}

