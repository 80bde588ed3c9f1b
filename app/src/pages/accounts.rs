//! Log in, sign up, first-staff setup and the profile page. Log in, sign up and the profile
//! details are plain HTML forms too: before (or without) the WASM client they post to the server,
//! which answers with a redirect and, on a refusal, the reason in a flash shown here. Once the
//! client runs, they talk to the JSON API; after a login the page is loaded afresh so the server
//! renders the new session (and theme).

use crate::{
    boot::{Flash, FormName, PageData, load_page_data, take_flash, use_boot, use_current_user},
    client,
    pages::Protected,
};
use contract::{
    accounts::{
        LoginRequest, PasswordChangeRequest, ProfileUpdateRequest, SetupLinkStatus, SetupRequest, SignupRequest,
        UserResponse, UserView,
    },
    paths,
};
use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

/// True once the WASM client runs. The forms that have no plain-HTML version (setup, avatar,
/// password) wait for it: submitted without it, the browser would send them as a GET.
fn hydrated() -> ReadSignal<bool> {
    let (ready, set_ready) = signal(false);
    Effect::new(move |_| set_ready.set(true));
    ready
}

/// An account form's state: the server's last refusal (first from the flash of a form posted
/// without JavaScript) and a request in flight.
#[derive(Clone, Copy)]
struct FormState {
    error: RwSignal<Option<String>>,
    pending: RwSignal<bool>,
}

impl FormState {
    fn new(flash: Option<&Flash>) -> Self {
        let error = flash.filter(|f| !f.ok).map(|f| f.message.clone());
        FormState { error: RwSignal::new(error), pending: RwSignal::new(false) }
    }

    fn disabled(self) -> impl Fn() -> bool + Copy {
        move || self.pending.get()
    }

    /// Posts `body` to `url`; on success loads `then` afresh, so the server renders the new
    /// session (and its theme); on a refusal shows the server's reason and re-enables the form.
    fn post_then_go<B: serde::Serialize + 'static>(self, url: &'static str, body: B, then: String) {
        self.pending.set(true);
        self.error.set(None);
        spawn_local(async move {
            match client::post::<_, UserResponse>(url, &body).await {
                Ok(_) => client::go_to(&then),
                Err(e) => {
                    self.error.set(Some(e.error));
                    self.pending.set(false);
                }
            }
        });
    }
}

#[component]
fn ErrorMessage(error: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || error.with(Option::is_some)>
            <p class="alert error" role="alert">{move || error.get()}</p>
        </Show>
    }
}

/// What was typed in a field, back from the flash of a refused form.
fn typed(flash: Option<&Flash>, name: &str) -> RwSignal<String> {
    RwSignal::new(flash.and_then(|f| f.value(name)).unwrap_or_default())
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let flash = take_flash(FormName::Login);
    let username = typed(flash.as_ref(), "username");
    let password = RwSignal::new(String::new());
    let form = FormState::new(flash.as_ref());
    let boot = use_boot();
    let next = query.read_untracked().get("next").unwrap_or_default();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let body = LoginRequest { username: username.get_untracked(), password: password.get_untracked() };
        form.post_then_go(paths::LOGIN, body, paths::safe_next(query.read_untracked().get("next").as_deref()));
    };

    view! {
        <Title text="Log in" />
        <section class="card form">
            <h1>"Log in"</h1>
            <ErrorMessage error=form.error />
            <form method="post" action=paths::LOGIN_FORM on:submit=submit>
                <input type="hidden" name="next" value=next />
                <div class="field">
                    <label for="login-username">"Username or email"</label>
                    <input id="login-username" name="username" type="text" autocomplete="username" required value=username.get_untracked() bind:value=username />
                </div>
                <div class="field">
                    <label for="login-password">"Password"</label>
                    <input id="login-password" name="password" type="password" autocomplete="current-password" required bind:value=password />
                </div>
                <div class="actions">
                    <button type="submit" disabled=form.disabled()>"Log in"</button>
                </div>
            </form>
            {boot.signup_enabled.then(|| view! { <p class="muted">"No account yet? " <A href="/signup">"Sign up"</A></p> })}
        </section>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let boot = use_boot();
    let flash = take_flash(FormName::Signup);
    let username = typed(flash.as_ref(), "username");
    let email = typed(flash.as_ref(), "email");
    let display_name = typed(flash.as_ref(), "display_name");
    let password = RwSignal::new(String::new());
    let form = FormState::new(flash.as_ref());

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let name = display_name.get_untracked();
        let body = SignupRequest {
            username: username.get_untracked(),
            email: email.get_untracked(),
            password: password.get_untracked(),
            display_name: (!name.trim().is_empty()).then_some(name),
        };
        form.post_then_go(paths::SIGNUP, body, "/profile".into());
    };

    view! {
        <Title text="Sign up" />
        <section class="card form">
            <h1>"Sign up"</h1>
            {if !boot.signup_enabled {
                view! { <p class="alert warning" data-testid="signup-disabled">"Sign-up is disabled on this site. Ask a staff member for an account."</p> }.into_any()
            } else {
                view! {
                    <ErrorMessage error=form.error />
                    <form method="post" action=paths::SIGNUP_FORM on:submit=submit>
                        <div class="field">
                            <label for="signup-username">"Username"</label>
                            <input id="signup-username" name="username" type="text" autocomplete="username" required minlength="3" maxlength="150" value=username.get_untracked() bind:value=username />
                            <p class="help">"3–150 letters, digits and . _ -"</p>
                        </div>
                        <div class="field">
                            <label for="signup-email">"Email"</label>
                            <input id="signup-email" name="email" type="email" autocomplete="email" required value=email.get_untracked() bind:value=email />
                        </div>
                        <div class="field">
                            <label for="signup-display-name">"Display name (optional)"</label>
                            <input id="signup-display-name" name="display_name" type="text" autocomplete="name" maxlength="100" value=display_name.get_untracked() bind:value=display_name />
                        </div>
                        <div class="field">
                            <label for="signup-password">"Password"</label>
                            <input id="signup-password" name="password" type="password" autocomplete="new-password" required minlength="8" bind:value=password />
                            <p class="help">"At least 8 characters."</p>
                        </div>
                        <div class="actions">
                            <button type="submit" disabled=form.disabled()>"Create account"</button>
                        </div>
                    </form>
                    <p class="muted">"Already have an account? " <A href="/login">"Log in"</A></p>
                }.into_any()
            }}
        </section>
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    // The server said what the link is worth: a link that cannot work shows why, not the form.
    let status = match load_page_data().as_deref() {
        Some(PageData::SetupLink(status)) => *status,
        _ => SetupLinkStatus::Invalid,
    };
    view! {
        <Title text="Set up" />
        <section class="card form">
            <h1>"Create the first staff account"</h1>
            {if status == SetupLinkStatus::Valid {
                view! { <SetupForm /> }.into_any()
            } else {
                view! { <p class="alert warning" role="alert" data-testid="setup-link-status">{status.message()}</p> }.into_any()
            }}
        </section>
    }
}

#[component]
fn SetupForm() -> impl IntoView {
    let query = use_query_map();
    let username = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let form = FormState::new(None);
    let ready = hydrated();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let body = SetupRequest {
            token: query.read_untracked().get("token").unwrap_or_default(),
            username: username.get_untracked(),
            email: email.get_untracked(),
            password: password.get_untracked(),
        };
        form.post_then_go(paths::SETUP, body, "/".into());
    };

    view! {
            <p class="muted">"This one-time link (from `smallstack user setup-link`) stops working once a staff account exists, and after 24 hours."</p>
            <ErrorMessage error=form.error />
            <form on:submit=submit>
                <div class="field">
                    <label for="setup-username">"Username"</label>
                    <input id="setup-username" type="text" autocomplete="username" required bind:value=username />
                </div>
                <div class="field">
                    <label for="setup-email">"Email"</label>
                    <input id="setup-email" type="email" autocomplete="email" required bind:value=email />
                </div>
                <div class="field">
                    <label for="setup-password">"Password"</label>
                    <input id="setup-password" type="password" autocomplete="new-password" required minlength="8" bind:value=password />
                </div>
                <div class="actions">
                    <button type="submit" disabled=move || form.disabled()() || !ready.get()>"Create staff account"</button>
                </div>
            </form>
    }
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    view! {
        <Title text="Profile" />
        <Protected>
            <ProfileForms />
        </Protected>
    }
}

#[component]
fn ProfileForms() -> impl IntoView {
    let boot = use_boot();
    let Some(initial) = boot.user.clone() else { return ().into_any() };
    let user = RwSignal::new(initial.clone());
    // The top bar shows the new name and avatar at once.
    if let Some(current) = use_current_user() {
        Effect::new(move |_| {
            let changed = user.get();
            if current.0.with_untracked(|u| u.as_ref() != Some(&changed)) {
                current.0.set(Some(changed));
            }
        });
    }
    view! {
        <section class="card profile-head">
            <Avatar user />
            <div>
                <h1 data-testid="profile-name">{move || user.with(|u| if u.display_name.is_empty() { u.username.clone() } else { u.display_name.clone() })}</h1>
                <p class="muted">"@" {move || user.with(|u| u.username.clone())} {move || user.with(|u| u.is_staff).then_some(" · staff")}</p>
            </div>
        </section>
        <DetailsForm user initial />
        <AvatarForm user />
        <PasswordForm />
    }
    .into_any()
}

#[component]
fn Avatar(user: RwSignal<UserView>) -> impl IntoView {
    move || match user.with(|u| u.avatar_url.clone()) {
        Some(url) => {
            view! { <img class="avatar" src=url alt="Your avatar" data-testid="avatar" width="72" height="72" /> }
                .into_any()
        }
        None => {
            let initial = user.with(|u| u.username.chars().next().unwrap_or('?').to_ascii_uppercase());
            view! { <span class="avatar avatar-initial" aria-hidden="true">{initial.to_string()}</span> }.into_any()
        }
    }
}

#[component]
fn DetailsForm(user: RwSignal<UserView>, initial: UserView) -> impl IntoView {
    let flash = take_flash(FormName::Profile);
    let refused = flash.as_ref().filter(|f| !f.ok);
    let display_name = RwSignal::new(refused.and_then(|f| f.value("display_name")).unwrap_or(initial.display_name));
    let email = RwSignal::new(refused.and_then(|f| f.value("email")).unwrap_or(initial.email));
    let error = RwSignal::new(refused.map(|f| f.message.clone()));
    let saved = RwSignal::new(flash.as_ref().is_some_and(|f| f.ok));
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        saved.set(false);
        let body = ProfileUpdateRequest {
            display_name: Some(display_name.get_untracked()),
            email: Some(email.get_untracked()),
        };
        spawn_local(async move {
            match client::patch::<_, UserResponse>(paths::PROFILE, &body).await {
                Ok(r) => {
                    user.set(r.user);
                    saved.set(true);
                }
                Err(e) => error.set(Some(e.error)),
            }
        });
    };
    view! {
        <section class="card form">
            <h2>"Details"</h2>
            <ErrorMessage error />
            <form method="post" action=paths::PROFILE_FORM on:submit=submit>
                <div class="field">
                    <label for="profile-display-name">"Display name"</label>
                    <input id="profile-display-name" name="display_name" type="text" maxlength="100" value=display_name.get_untracked() bind:value=display_name />
                </div>
                <div class="field">
                    <label for="profile-email">"Email"</label>
                    <input id="profile-email" name="email" type="email" required value=email.get_untracked() bind:value=email />
                </div>
                <div class="actions">
                    <button type="submit">"Save details"</button>
                    <Show when=move || saved.get()><p class="form-status ok" role="status" data-testid="details-saved">"Saved."</p></Show>
                </div>
            </form>
        </section>
    }
}

#[component]
fn AvatarForm(user: RwSignal<UserView>) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let uploaded = RwSignal::new(false);
    let ready = hydrated();
    let input: NodeRef<leptos::html::Input> = NodeRef::new();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        uploaded.set(false);
        #[cfg(feature = "hydrate")]
        {
            let Some(file) = input.get().and_then(|i| i.files()).and_then(|f| f.get(0)) else {
                error.set(Some("Choose an image first.".into()));
                return;
            };
            let Ok(form) = web_sys::FormData::new() else { return };
            if form.append_with_blob("avatar", &file).is_err() {
                return;
            }
            pending.set(true);
            spawn_local(async move {
                match client::post_form::<UserResponse>(paths::PROFILE_AVATAR, form).await {
                    Ok(r) => {
                        user.set(r.user);
                        uploaded.set(true);
                    }
                    Err(e) => error.set(Some(e.error)),
                }
                pending.set(false);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (input, user, pending, uploaded);
    };
    view! {
        <section class="card form">
            <h2>"Avatar"</h2>
            <ErrorMessage error />
            <form on:submit=submit>
                <div class="field">
                    <label for="profile-avatar">"Image (PNG, JPEG or WebP, at most 5 MB)"</label>
                    <input id="profile-avatar" type="file" accept="image/png,image/jpeg,image/webp" node_ref=input />
                </div>
                <div class="actions">
                    <button type="submit" disabled=move || pending.get() || !ready.get()>"Upload avatar"</button>
                    <Show when=move || uploaded.get()><p class="form-status ok" role="status" data-testid="avatar-saved">"Avatar uploaded."</p></Show>
                </div>
            </form>
        </section>
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let ready = hydrated();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        saved.set(false);
        let body =
            PasswordChangeRequest { current_password: current.get_untracked(), new_password: new.get_untracked() };
        spawn_local(async move {
            match client::post::<_, UserResponse>(paths::PROFILE_PASSWORD, &body).await {
                Ok(_) => {
                    saved.set(true);
                    current.set(String::new());
                    new.set(String::new());
                }
                Err(e) => error.set(Some(e.error)),
            }
        });
    };
    view! {
        <section class="card form">
            <h2>"Password"</h2>
            <ErrorMessage error />
            <Show when=move || saved.get()><p class="alert success" role="status">"Password changed. Your other sessions are signed out."</p></Show>
            <form on:submit=submit>
                <div class="field">
                    <label for="profile-current-password">"Current password"</label>
                    <input id="profile-current-password" type="password" autocomplete="current-password" required bind:value=current />
                </div>
                <div class="field">
                    <label for="profile-new-password">"New password"</label>
                    <input id="profile-new-password" type="password" autocomplete="new-password" required minlength="8" bind:value=new />
                </div>
                <button type="submit" disabled=move || !ready.get()>"Change password"</button>
            </form>
        </section>
    }
}
