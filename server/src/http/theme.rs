//! `/api/theme` (the effective theme; saving it) and `/api/theme/presets`.

use super::{ApiError, ApiJson, auth::{AuthUser, RequireUser}};
use crate::state::AppState;
use app::{
    api::{CreatePresetRequest, PresetView, PresetsResponse, RenamePresetRequest},
    theme::{THEME_COOKIE, ThemeChoice, code, state::theme_from_cookie},
};
use axum::{
    Extension, Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    routing::{get, patch},
};
use engine::themes::{Preset, ThemeError, ThemeValues};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/theme", get(effective).post(save))
        .route("/api/theme/presets", get(list_presets).post(create_preset))
        .route("/api/theme/presets/{id}", patch(rename_preset).delete(delete_preset))
}

pub fn to_values(theme: &ThemeChoice) -> ThemeValues {
    ThemeValues {
        mode: theme.mode.as_str().into(),
        accent: theme.accent.to_value(),
        font: theme.font.as_str().into(),
        gray: theme.gray.as_str().into(),
        radius: theme.radius.as_str().into(),
        layout: theme.layout.as_str().into(),
    }
}

/// A stored theme that no longer parses (written by a newer version, say) counts as absent.
pub fn from_values(v: &ThemeValues) -> Option<ThemeChoice> {
    ThemeChoice::from_strings(&v.mode, &v.accent, &v.font, &v.gray, &v.radius, &v.layout).ok()
}

/// The value of one cookie of the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(name)?.strip_prefix('='))
}

/// The anonymous visitor's theme from their cookie; garbage is ignored.
pub fn cookie_theme(headers: &HeaderMap) -> Option<ThemeChoice> {
    cookie(headers, THEME_COOKIE).and_then(theme_from_cookie)
}

/// What a visitor sees: a signed-in user's saved theme (read with the user at the start of the
/// request), else the browser's cookie, else defaults.
pub fn effective_theme(user: Option<&AuthUser>, headers: &HeaderMap) -> ThemeChoice {
    match user {
        Some(user) => user.theme.as_ref().and_then(from_values).unwrap_or_default(),
        None => cookie_theme(headers).unwrap_or_default(),
    }
}

impl From<ThemeError> for ApiError {
    fn from(e: ThemeError) -> Self {
        match e {
            ThemeError::InvalidName(m) => ApiError::validation("name", m),
            ThemeError::DuplicateName(_) => ApiError::Conflict { field: "name".into(), message: e.to_string() },
            ThemeError::TooManyPresets => ApiError::Conflict { field: "presets".into(), message: e.to_string() },
            ThemeError::NotFound => ApiError::NotFound(e.to_string()),
            ThemeError::Db(db) => db.into(),
        }
    }
}

async fn effective(user: Option<Extension<AuthUser>>, headers: HeaderMap) -> Json<ThemeChoice> {
    Json(effective_theme(user.as_deref(), &headers))
}

async fn save(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    ApiJson(theme): ApiJson<ThemeChoice>,
) -> Result<Json<ThemeChoice>, ApiError> {
    state.engine.themes.save(user.id, &to_values(&theme)).await?;
    Ok(Json(theme))
}

fn preset_view(p: Preset) -> Option<PresetView> {
    let theme = from_values(&p.values)?;
    Some(PresetView { id: p.id, name: p.name, code: code::encode(&theme), theme })
}

async fn list_presets(State(state): State<AppState>, RequireUser(user): RequireUser) -> Result<Json<PresetsResponse>, ApiError> {
    let presets = state.engine.themes.presets(user.id).await?.into_iter().filter_map(preset_view).collect();
    Ok(Json(PresetsResponse { presets }))
}

async fn create_preset(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    ApiJson(body): ApiJson<CreatePresetRequest>,
) -> Result<(StatusCode, Json<PresetView>), ApiError> {
    let preset = state.engine.themes.create_preset(user.id, &body.name, &to_values(&body.theme)).await?;
    let view = preset_view(preset).ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a preset just saved does not parse")))?;
    Ok((StatusCode::CREATED, Json(view)))
}

async fn rename_preset(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RenamePresetRequest>,
) -> Result<Json<PresetView>, ApiError> {
    let id = preset_id(&id)?;
    let preset = state.engine.themes.rename_preset(user.id, id, &body.name).await?;
    let view = preset_view(preset).ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a stored preset does not parse")))?;
    Ok(Json(view))
}

async fn delete_preset(State(state): State<AppState>, RequireUser(user): RequireUser, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    state.engine.themes.delete_preset(user.id, preset_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ids are positive integers; anything else cannot name a preset.
fn preset_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| ApiError::NotFound("no such preset".into()))
}
