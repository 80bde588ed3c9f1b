//! The customizer: every change previews at once (the draft is applied to `<html>`; no reload,
//! no request). Save stores it, Reset previews the defaults, Cancel goes back to the saved theme.
//! It appears on `/theme` (with presets, share link and CSS export) and in a panel that opens
//! from the navigation of every page.
//!
//! Why the page, the panel and the controls share one file: with the page in a module of its own,
//! the linker pooled the format strings of every lazy chunk into one data segment that must stay
//! in the main WASM file (measured: +69 KB raw, +32 KB gzip, over the 250 KB budget of the first
//! load). One module keeps them in their chunks.

use super::{
    ACCENT_MIN_CONTRAST, Accent, ColorMode, Font, Gray, Layout, NamedAccent, Radius, ThemeChoice, ThemeOption,
    accent_contrast,
    palette::Scheme,
    state::{ThemeState, store_locally, use_theme},
};
use super::{code, css::to_css, state::copy_to_clipboard};
use crate::{
    boot::{FormName, take_flash},
    client,
};
use contract::{
    ClosedSet, paths,
    theme::{CreatePresetRequest, PresetView, PresetsResponse, RenamePresetRequest},
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
        match client::post::<_, ThemeChoice>(paths::THEME, &theme).await {
            Ok(saved) => {
                state.saved.set(saved);
                store_locally(&saved);
                status.set(Some(Ok("Saved to your account: every device you sign in on will use it.".into())));
            }
            Err(e) => status.set(Some(Err(e.error))),
        }
    });
}

/// One radio button of a [`ChoiceGroup`].
#[component]
fn Choice<T: Copy + PartialEq + Send + Sync + 'static>(
    group: &'static str,
    value: T,
    label: String,
    get: Signal<T>,
    set: Callback<T>,
    swatch: Option<String>,
    scope: &'static str,
) -> impl IntoView {
    let id = format!("{scope}{group}-{}", label.to_lowercase().replace([' ', '.'], "-"));
    let label_for = id.clone();
    view! {
        <label class="choice" for=label_for>
            // `value` and the `checked` attribute make the radios a plain HTML form too (the
            // page without JavaScript); `prop:checked` follows the draft once the client runs.
            <input
                type="radio"
                id=id
                name=format!("{scope}{group}")
                value=label.clone()
                checked=get.get_untracked() == value
                prop:checked=move || get.get() == value
                on:change=move |_| set.run(value)
            />
            {swatch.map(|color| view! { <span class="swatch" style=format!("background: {color}") aria-hidden="true"></span> })}
            <span>{label}</span>
        </label>
    }
}

/// One option of the theme as a fieldset of radio buttons: its values (each with its label and
/// an optional colour swatch), which one the draft holds, and how to change it. Anything after
/// the buttons (the custom accent) comes as children.
#[component]
fn ChoiceGroup<T: Copy + PartialEq + Send + Sync + 'static>(
    legend: &'static str,
    group: &'static str,
    scope: &'static str,
    choices: Vec<(T, &'static str, Option<String>)>,
    read: fn(&ThemeChoice) -> T,
    write: fn(&mut ThemeChoice, T),
    #[prop(optional)] swatches: bool,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let draft = use_theme().draft;
    let get = Signal::derive(move || read(&draft.get()));
    let set = Callback::new(move |value: T| draft.update(|theme| write(theme, value)));
    view! {
        <fieldset>
            <legend>{legend}</legend>
            <div class=if swatches { "choices swatches" } else { "choices" }>
                {choices.into_iter().map(|(value, label, swatch)| view! {
                    <Choice group scope value label=label.to_string() get set swatch />
                }).collect_view()}
            </div>
            {children.map(|children| children())}
        </fieldset>
    }
}

/// The values of a theme option as [`ChoiceGroup`] lists them, labelled by their names.
fn choices_of<T: ThemeOption>(swatch: impl Fn(T) -> Option<String>) -> Vec<(T, &'static str, Option<String>)> {
    T::all().iter().map(|&v| (v, v.as_str(), swatch(v))).collect()
}

/// The controls. `scope` keeps the ids of two customizers on one page (panel and page) apart.
#[component]
pub fn Customizer(#[prop(optional)] scope: &'static str) -> impl IntoView {
    let state = use_theme();
    let draft = state.draft;
    // The answer to the form posted without JavaScript, on the page it came back to.
    let flash = if scope.is_empty() { take_flash(FormName::Theme) } else { None };
    let status = RwSignal::new(flash.map(|f| if f.ok { Ok(f.message) } else { Err(f.message) }));
    let custom_text = RwSignal::new(match draft.get_untracked().accent {
        Accent::Custom(rgb) => rgb.to_hex(),
        Accent::Named(_) => String::new(),
    });
    let custom_error = RwSignal::new(None::<String>);
    let accent = Signal::derive(move || draft.get().accent);

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
    let accents: Vec<(Accent, &'static str, Option<String>)> =
        NamedAccent::all().iter().map(|&v| (Accent::Named(v), v.as_str(), Some(v.rgb().to_hex()))).collect();
    let modes = choices_of::<ColorMode>(|_| None);
    let fonts = choices_of::<Font>(|_| None);
    let grays = choices_of::<Gray>(|v| Some(format!("#{:06x}", super::palette::gray_scale(v)[5])));
    let radii = choices_of::<Radius>(|_| None);
    let layouts = choices_of::<Layout>(|_| None);

    // A plain form posting to the server (it saves without JavaScript too); the client saves
    // through the API instead.
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        save(state, status);
    };
    view! {
        <form class="customizer" data-scope=scope method="post" action=paths::THEME_FORM on:submit=submit>
            <ChoiceGroup legend="Colour mode" group=ColorMode::FIELD scope choices=modes read={|t| t.mode} write={|t, v| t.mode = v} />
            <ChoiceGroup legend="Accent" group=NamedAccent::FIELD scope choices=accents read={|t| t.accent} write={|t, v| t.accent = v} swatches=true>
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
                        name=format!("{scope}accent_custom")
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
            </ChoiceGroup>
            <ChoiceGroup legend="Font" group=Font::FIELD scope choices=fonts read={|t| t.font} write={|t, v| t.font = v} />
            <ChoiceGroup legend="Gray shade" group=Gray::FIELD scope choices=grays read={|t| t.gray} write={|t, v| t.gray = v} />
            <ChoiceGroup legend="Radius" group=Radius::FIELD scope choices=radii read={|t| t.radius} write={|t, v| t.radius = v} />
            <ChoiceGroup legend="Page layout" group=Layout::FIELD scope choices=layouts read={|t| t.layout} write={|t, v| t.layout = v} />
            // Next to the Save button, so its answer is where the eye is.
            <div class="actions sticky-actions">
                <button type="submit" data-testid="theme-save">"Save"</button>
                <button type="button" class="secondary" data-testid="theme-reset" on:click=move |_| {
                    status.set(None);
                    draft.set(ThemeChoice::default());
                }>"Reset to defaults"</button>
                <button type="reset" class="secondary" data-testid="theme-cancel" on:click=move |ev| {
                    ev.prevent_default();
                    status.set(None);
                    draft.set(state.saved.get_untracked());
                }>"Cancel"</button>
                <Show when=move || state.is_dirty()>
                    <span class="pill unsaved" data-testid="theme-unsaved">"Unsaved preview"</span>
                </Show>
                {move || status.get().map(|s| match s {
                    Ok(m) => view! { <p class="form-status ok" role="status" data-testid="theme-status">{m}</p> }.into_any(),
                    Err(m) => view! { <p class="form-status error" role="alert" data-testid="theme-status">{m}</p> }.into_any(),
                })}
            </div>
        </form>
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

/// What closing the customizer with an unsaved preview asks.
const DISCARD: &str = "Discard the theme changes you have not saved?";

/// True when the preview may go: nothing unsaved, or the person said to discard it (then the
/// saved theme comes back).
fn may_discard(state: ThemeState) -> bool {
    let saved = state.saved.get_untracked();
    if saved == state.draft.get_untracked() {
        return true;
    }
    if !window().confirm_with_message(DISCARD).unwrap_or(false) {
        return false;
    }
    state.draft.set(saved);
    true
}

/// The slide-over panel opened from the navigation: a modal `<dialog>` (focus moves in and stays
/// there, the page behind is inert, Escape closes it and focus goes back to the button that
/// opened it). The preview belongs to it: closing with unsaved changes asks first.
#[component]
pub fn ThemePanel(open: RwSignal<bool>, opener: NodeRef<leptos::html::Button>) -> impl IntoView {
    let state = use_theme();
    let dialog: NodeRef<leptos::html::Dialog> = NodeRef::new();
    // The controls come in their own chunk, fetched the first time the panel opens.
    let loaded = RwSignal::new(false);
    Effect::new(move |_| {
        let want = open.get();
        let Some(d) = dialog.get() else { return };
        if want && !d.open() {
            loaded.set(true);
            let _ = d.show_modal();
        } else if !want && d.open() {
            d.close();
        }
    });
    let request_close = move || {
        if may_discard(state) {
            open.set(false);
        }
    };
    view! {
        <dialog
            class="theme-panel"
            node_ref=dialog
            aria-modal="true"
            aria-labelledby="theme-panel-title"
            data-testid="theme-panel"
            on:cancel=move |ev: leptos::ev::Event| {
                ev.prevent_default();
                request_close();
            }
            on:close=move |_| {
                open.set(false);
                if let Some(button) = opener.get_untracked() {
                    let _ = button.focus();
                }
            }
            // A click on the backdrop lands on the dialog itself (its body fills the panel).
            on:click=move |ev| {
                if event_target::<leptos::web_sys::Element>(&ev).tag_name() == "DIALOG" {
                    request_close();
                }
            }
        >
            <div class="panel-body">
                <div class="panel-head">
                    <h2 id="theme-panel-title">"Theme"</h2>
                    <button type="button" class="secondary" aria-label="Close the theme panel" data-testid="theme-panel-close" on:click=move |_| request_close()>"✕"</button>
                </div>
                <Show when=move || loaded.get()>
                    <Suspense fallback=|| view! { <p class="muted">"Loading the customizer…"</p> }>
                        {Suspend::new(async { panel_contents().await })}
                    </Suspense>
                </Show>
            </div>
        </dialog>
    }
    .into_any()
}

/// On `/theme` the preview belongs to the page: following a link away or closing the tab with
/// unsaved changes asks first, and the saved theme comes back when the page is left.
fn scope_preview_to_page(state: ThemeState) {
    #[cfg(feature = "hydrate")]
    leave_guard::arm(state);
    on_cleanup(move || {
        #[cfg(feature = "hydrate")]
        leave_guard::disarm();
        if let (Some(saved), Some(draft)) = (state.saved.try_get_untracked(), state.draft.try_get_untracked())
            && saved != draft
        {
            state.draft.set(saved);
        }
    });
}

/// Listeners installed once (in the capture phase, so they see a link click before the router
/// does), active while `/theme` is shown.
#[cfg(feature = "hydrate")]
mod leave_guard {
    use super::ThemeState;
    use leptos::prelude::*;
    use std::cell::Cell;
    use wasm_bindgen::{JsCast, closure::Closure};

    /// What leaving `/theme` with an unsaved preview asks. Not the panel's `DISCARD`: while this
    /// lazy chunk and the main file shared that one string, the data of every lazy chunk stayed
    /// in the main file (measured: +43 KB gzip on the first load of `/`).
    const LEAVE: &str = "Leave this page and discard the theme changes you have not saved?";

    thread_local! {
        static ARMED: Cell<Option<ThemeState>> = const { Cell::new(None) };
        static INSTALLED: Cell<bool> = const { Cell::new(false) };
    }

    fn dirty() -> bool {
        ARMED.with(Cell::get).is_some_and(|s| s.saved.try_get_untracked() != s.draft.try_get_untracked())
    }

    pub fn disarm() {
        ARMED.with(|a| a.set(None));
    }

    pub fn arm(state: ThemeState) {
        ARMED.with(|a| a.set(Some(state)));
        if INSTALLED.with(|i| i.replace(true)) {
            return;
        }
        let on_click = Closure::<dyn Fn(web_sys::MouseEvent)>::new(|ev: web_sys::MouseEvent| {
            let link = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|e| e.closest("a[href]").ok().flatten());
            let Some(link) = link else { return };
            let href = link.get_attribute("href").unwrap_or_default();
            let stays = href.starts_with('#') || href == "/theme" || href.starts_with("/theme?");
            if stays || ev.default_prevented() || !dirty() {
                return;
            }
            if !window().confirm_with_message(LEAVE).unwrap_or(false) {
                ev.prevent_default();
                ev.stop_propagation();
            } else if let Some(state) = ARMED.with(Cell::get) {
                state.draft.set(state.saved.get_untracked());
            }
        });
        let on_unload = Closure::<dyn Fn(web_sys::Event)>::new(|ev: web_sys::Event| {
            if dirty() {
                ev.prevent_default();
            }
        });
        let _ = document().add_event_listener_with_callback_and_bool("click", on_click.as_ref().unchecked_ref(), true);
        let _ = window().add_event_listener_with_callback("beforeunload", on_unload.as_ref().unchecked_ref());
        on_click.forget();
        on_unload.forget();
    }
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
        Some(Err(e)) => {
            Some(format!("This share link cannot be opened: {e}. Ask for the link again; nothing was changed."))
        }
        _ => None,
    };
    let previewing_share = matches!(shared, Some(Ok(_)));
    scope_preview_to_page(state);

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
            match client::get::<PresetsResponse>(paths::PRESETS).await {
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
            match client::post::<_, PresetView>(paths::PRESETS, &body).await {
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
fn PresetRow(
    preset: PresetView,
    state: ThemeState,
    error: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    let id = preset.id;
    let theme = preset.theme;
    let renaming = RwSignal::new(false);
    let new_name = RwSignal::new(preset.name.clone());
    let old_name = StoredValue::new(preset.name.clone());
    let rename = move |ev: SubmitEvent| {
        ev.prevent_default();
        let body = RenamePresetRequest { name: new_name.get_untracked() };
        spawn_local(async move {
            match client::patch::<_, PresetView>(&paths::preset(id), &body).await {
                Ok(_) => {
                    renaming.set(false);
                    reload.run(());
                }
                Err(e) => error.set(Some(e.error)),
            }
        });
    };
    let delete = move |_| {
        let question = format!("Delete the preset {}?", old_name.get_value());
        if !window().confirm_with_message(&question).unwrap_or(false) {
            return;
        }
        spawn_local(async move {
            match client::delete::<()>(&paths::preset(id)).await {
                Ok(()) => reload.run(()),
                Err(e) => error.set(Some(e.error)),
            }
        });
    };
    let name = move || new_name.get();
    view! {
        <li class="preset" data-testid="preset">
            <span class="swatch" style=format!("background: {}", theme.accent.rgb().to_hex()) aria-hidden="true"></span>
            <Show
                when=move || renaming.get()
                fallback=move || view! {
                    <span class="preset-name">{name}</span>
                    <span class="actions">
                        <button type="button" class="secondary" aria-label=move || format!("Apply {}", name()) on:click=move |_| state.draft.set(theme)>"Apply"</button>
                        <button type="button" class="secondary" aria-label=move || format!("Rename {}", name()) on:click=move |_| renaming.set(true)>"Rename"</button>
                        <button type="button" class="secondary" aria-label=move || format!("Delete {}", name()) on:click=delete>"Delete"</button>
                    </span>
                }
            >
                <form class="preset-rename" on:submit=rename>
                    <input type="text" aria-label=format!("New name for {}", preset.name) maxlength="60" required bind:value=new_name />
                    <button type="submit">"Save name"</button>
                    <button type="button" class="secondary" on:click=move |_| {
                        new_name.set(old_name.get_value());
                        renaming.set(false);
                    }>"Cancel"</button>
                </form>
            </Show>
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
