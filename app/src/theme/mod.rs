//! The theme in the interface: palettes and contrast rules, CSS export, the browser's copy, and
//! the customizer. The options themselves, colours and share codes are shared with the server
//! (`contract::theme`).

pub mod css;
mod customizer;
pub mod palette;
pub mod state;

pub use contract::theme::{
    Accent, ColorMode, Font, Gray, Layout, NamedAccent, Radius, THEME_COOKIE, ThemeChoice, ThemeFieldError,
    ThemeOption, code, color,
};
pub use customizer::{Customizer, ThemePage, ThemePanel};

use color::{contrast, text_on};
use palette::{Scheme, page_background};

/// localStorage key of the browser's copy of the theme.
pub const THEME_STORAGE_KEY: &str = "smallstack.theme";

/// The contrast a custom accent should reach against the page background.
pub const ACCENT_MIN_CONTRAST: f64 = 3.0;
/// The contrast text on an accent-coloured button always reaches.
pub const BUTTON_TEXT_MIN_CONTRAST: f64 = 4.5;

/// The contrast of the accent against the page background in the given scheme.
pub fn accent_contrast(theme: &ThemeChoice, scheme: Scheme) -> f64 {
    contrast(theme.accent.rgb(), page_background(theme.gray, scheme))
}

/// Contrast of the text on an accent-coloured button.
pub fn button_text_contrast(theme: &ThemeChoice) -> f64 {
    let accent = theme.accent.rgb();
    contrast(text_on(accent), accent)
}

#[cfg(test)]
mod tests;
