//! `/api/theme` (the effective theme; saving it) and `/api/theme/presets`.

use super::{
    ApiError, ApiJson, PositiveId, Routes,
    auth::{AuthUser, RequireUser},
};
use crate::state::AppState;
use axum::{
    Extension, Json,
    extract::{Path, State},
    http::{HeaderMap, Method, StatusCode, header},
};
use contract::{
    paths,
    theme::{CreatePresetRequest, PresetView, PresetsResponse, RenamePresetRequest, THEME_COOKIE, ThemeChoice, code},
};
use engine::themes::ThemeError;

pub fn routes() -> Routes {
    Routes::new()
        // Public: it answers with the effective theme of whoever asks.
        .public(Method::GET, paths::THEME, effective)
        .signed_in(Method::POST, paths::THEME, save)
        .signed_in(Method::GET, paths::PRESETS, list_presets)
        .signed_in(Method::POST, paths::PRESETS, create_preset)
        .signed_in(Method::PATCH, paths::PRESET, rename_preset)
        .signed_in(Method::DELETE, paths::PRESET, delete_preset)
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
    cookie(headers, THEME_COOKIE).and_then(|value| code::decode(value).ok())
}

/// What a visitor sees: a signed-in user's saved theme (read with the user at the start of the
/// request), else the browser's cookie, else defaults.
pub fn effective_theme(user: Option<&AuthUser>, headers: &HeaderMap) -> ThemeChoice {
    match user {
        Some(user) => user.theme.unwrap_or_default(),
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
    state.engine.themes.save(user.id, &theme).await?;
    Ok(Json(theme))
}

async fn list_presets(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
) -> Result<Json<PresetsResponse>, ApiError> {
    Ok(Json(PresetsResponse { presets: state.engine.themes.presets(user.id).await? }))
}

async fn create_preset(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    ApiJson(body): ApiJson<CreatePresetRequest>,
) -> Result<(StatusCode, Json<PresetView>), ApiError> {
    let preset = state.engine.themes.create_preset(user.id, &body.name, &body.theme).await?;
    Ok((StatusCode::CREATED, Json(preset)))
}

async fn rename_preset(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RenamePresetRequest>,
) -> Result<Json<PresetView>, ApiError> {
    let id = PositiveId::parse(&id, "preset")?;
    Ok(Json(state.engine.themes.rename_preset(user.id, id.get(), &body.name).await?))
}

async fn delete_preset(
    State(state): State<AppState>,
    RequireUser(user): RequireUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.themes.delete_preset(user.id, PositiveId::parse(&id, "preset")?.get()).await?;
    Ok(StatusCode::NO_CONTENT)
}
