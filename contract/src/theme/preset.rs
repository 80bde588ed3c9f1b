//! Saved presets on the wire.

use super::ThemeChoice;
use serde::{Deserialize, Serialize};

/// A saved theme preset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresetView {
    pub id: i64,
    pub name: String,
    pub theme: ThemeChoice,
    /// The share code of the preset's theme (`/theme?t=<code>`).
    pub code: String,
}

/// `GET /api/theme/presets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresetsResponse {
    pub presets: Vec<PresetView>,
}

/// `POST /api/theme/presets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePresetRequest {
    pub name: String,
    pub theme: ThemeChoice,
}

/// `PATCH /api/theme/presets/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenamePresetRequest {
    pub name: String,
}
