//! The HTML forms that work without JavaScript (before the WASM client arrives, or with it
//! off): log in, sign up, log out, profile details and theme. Each posts
//! `application/x-www-form-urlencoded` to the page's own address, calls the same function as its
//! JSON handler, and answers 303: on success to where the person goes next, on a refusal back to
//! the form with the reason (and what they typed, never a password) in a one-time flash that the
//! page shows. Once the client runs, it submits these forms through the JSON API instead.

use super::{
    ApiError, Routes,
    accounts::{clear_theme_cookie, log_out, sign_in, sign_up, update_profile},
    auth::{AuthUser, RequireUser},
    client_ip::ClientIp,
};
use crate::state::AppState;
use app::boot::{Flash, FormName};
use axum::{
    Extension, Form,
    extract::State,
    http::{HeaderMap, HeaderValue, Method, header},
    response::{IntoResponse, Redirect, Response},
};
use contract::{
    accounts::{ProfileUpdateRequest, SignupRequest},
    paths,
    theme::{
        Accent, ColorMode, Font, Gray, Layout, Radius, THEME_COOKIE, ThemeChoice, ThemeFieldError, ThemeOption, code,
    },
};
use serde::Deserialize;
use tower_sessions::Session;

/// The session key of the flash.
const FLASH: &str = "flash";

pub fn routes() -> Routes {
    Routes::new()
        .public(Method::POST, paths::LOGIN_FORM, login)
        .public(Method::POST, paths::SIGNUP_FORM, signup)
        .public(Method::POST, paths::LOGOUT_FORM, logout)
        .signed_in(Method::POST, paths::PROFILE_FORM, profile)
        // Public like the customizer: an anonymous visitor's theme is kept in a cookie.
        .public(Method::POST, paths::THEME_FORM, theme)
}

/// Takes the flash out of the session (it is shown once). Only pages call this.
pub async fn take_flash(session: &Session) -> Option<Flash> {
    session.id()?;
    match session.remove::<Flash>(FLASH).await {
        Ok(flash) => flash,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the flash from the session");
            None
        }
    }
}

/// 303 to `to`, with the flash for the page there.
async fn redirect_with(session: &Session, to: &str, flash: Flash) -> Result<Response, ApiError> {
    session.insert(FLASH, flash).await.map_err(anyhow::Error::from)?;
    Ok(Redirect::to(to).into_response())
}

fn refusal(form: FormName, error: &ApiError, values: Vec<(&str, &str)>) -> Flash {
    let values = values.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Flash { form, ok: false, message: error.body().error, values }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    match sign_in(&state, ip, &session, &headers, &form.username, &form.password).await {
        Ok(_) => Ok(Redirect::to(&paths::safe_next(form.next.as_deref())).into_response()),
        Err(e) => {
            let back = match form.next.as_deref() {
                Some(next) if !next.is_empty() => paths::login_with_next(next),
                _ => paths::LOGIN_FORM.to_string(),
            };
            redirect_with(&session, &back, refusal(FormName::Login, &e, vec![("username", form.username.as_str())]))
                .await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SignupForm {
    username: String,
    email: String,
    password: String,
    display_name: String,
}

async fn signup(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<SignupForm>,
) -> Result<Response, ApiError> {
    let display_name = (!form.display_name.trim().is_empty()).then(|| form.display_name.clone());
    let body = SignupRequest { username: form.username, email: form.email, password: form.password, display_name };
    match sign_up(&state, &session, &body).await {
        Ok(_) => Ok(Redirect::to(paths::PROFILE_FORM).into_response()),
        Err(e) => {
            let values = vec![
                ("username", body.username.as_str()),
                ("email", body.email.as_str()),
                ("display_name", form.display_name.as_str()),
            ];
            redirect_with(&session, paths::SIGNUP_FORM, refusal(FormName::Signup, &e, values)).await
        }
    }
}

async fn logout(session: Session) -> Result<Response, ApiError> {
    log_out(&session).await?;
    Ok(([(header::SET_COOKIE, clear_theme_cookie()?)], Redirect::to("/")).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ProfileForm {
    display_name: Option<String>,
    email: Option<String>,
}

async fn profile(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    session: Session,
    Form(form): Form<ProfileForm>,
) -> Result<Response, ApiError> {
    let body = ProfileUpdateRequest { display_name: form.display_name, email: form.email };
    let flash = match update_profile(&state, &user, &body).await {
        Ok(_) => Flash { form: FormName::Profile, ok: true, message: SAVED.into(), values: Vec::new() },
        Err(e) => {
            let values = vec![
                ("display_name", body.display_name.as_deref().unwrap_or_default()),
                ("email", body.email.as_deref().unwrap_or_default()),
            ];
            refusal(FormName::Profile, &e, values)
        }
    };
    redirect_with(&session, paths::PROFILE_FORM, flash).await
}

/// What the profile form says when the details are saved (the client says the same).
pub const SAVED: &str = "Saved.";

/// The customizer's fields: each option by its name; `accent_custom` is the custom colour's box,
/// used when no named accent is picked.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ThemeForm {
    mode: Option<String>,
    accent: Option<String>,
    accent_custom: Option<String>,
    font: Option<String>,
    gray: Option<String>,
    radius: Option<String>,
    layout: Option<String>,
}

impl ThemeForm {
    /// The theme the form describes; a field left out keeps its value in `base`.
    fn apply_to(&self, base: ThemeChoice) -> Result<ThemeChoice, ThemeFieldError> {
        fn pick<T: ThemeOption>(raw: &Option<String>, base: T) -> Result<T, ThemeFieldError> {
            raw.as_deref().filter(|v| !v.is_empty()).map_or(Ok(base), T::parse)
        }
        let accent = match (self.accent.as_deref(), self.accent_custom.as_deref().map(str::trim)) {
            (Some(named), _) if !named.is_empty() => Accent::parse(named)?,
            (_, Some(custom)) if !custom.is_empty() => Accent::parse(custom)?,
            _ => base.accent,
        };
        Ok(ThemeChoice {
            mode: pick::<ColorMode>(&self.mode, base.mode)?,
            accent,
            font: pick::<Font>(&self.font, base.font)?,
            gray: pick::<Gray>(&self.gray, base.gray)?,
            radius: pick::<Radius>(&self.radius, base.radius)?,
            layout: pick::<Layout>(&self.layout, base.layout)?,
        })
    }
}

async fn theme(
    State(state): State<AppState>,
    user: Option<Extension<AuthUser>>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<ThemeForm>,
) -> Result<Response, ApiError> {
    let user = user.map(|Extension(u)| u);
    let base = super::theme::effective_theme(user.as_ref(), &headers);
    let theme = match form.apply_to(base) {
        Ok(theme) => theme,
        Err(e) => {
            let error = ApiError::validation(e.field, e.message);
            return redirect_with(&session, paths::THEME_FORM, refusal(FormName::Theme, &error, Vec::new())).await;
        }
    };
    let message = match &user {
        // The same call as `POST /api/theme`.
        Some(user) => {
            state.engine.themes.save(user.id, &theme).await?;
            "Saved to your account: every device you sign in on will use it."
        }
        None => "Saved in this browser.",
    };
    // The browser's copy, as the client keeps it (the server renders an anonymous visitor's
    // theme from it).
    let cookie = format!("{THEME_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", code::encode(&theme));
    let cookie = HeaderValue::from_str(&cookie).map_err(anyhow::Error::from)?;
    let flash = Flash { form: FormName::Theme, ok: true, message: message.into(), values: Vec::new() };
    let redirect = redirect_with(&session, paths::THEME_FORM, flash).await?;
    Ok(([(header::SET_COOKIE, cookie)], redirect).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_theme_form_changes_what_it_names_and_keeps_the_rest() {
        let base = ThemeChoice { layout: Layout::Boxed, ..ThemeChoice::default() };
        let form = ThemeForm { mode: Some("dark".into()), accent: Some("green".into()), ..Default::default() };
        let theme = form.apply_to(base).unwrap();
        assert_eq!((theme.mode, theme.layout), (ColorMode::Dark, Layout::Boxed));
        assert_eq!(theme.accent.to_value(), "green");

        let custom = ThemeForm { accent_custom: Some(" #1a2b3c ".into()), ..Default::default() };
        assert_eq!(custom.apply_to(base).unwrap().accent.to_value(), "#1a2b3c");
        let bad = ThemeForm { layout: Some("sideways".into()), ..Default::default() };
        assert_eq!(bad.apply_to(base).unwrap_err().field, "layout");
    }
}
