//! The theme a visitor chooses: six options as closed sets, colours, and share codes.

mod choice;
pub mod code;
pub mod color;
mod preset;

pub use choice::{
    Accent, ColorMode, Font, Gray, Layout, NamedAccent, Radius, ThemeChoice, ThemeFieldError, ThemeOption,
};
pub use preset::{CreatePresetRequest, PresetView, PresetsResponse, RenamePresetRequest};

/// Name of the cookie that mirrors an anonymous visitor's theme (a share code) for the server.
pub const THEME_COOKIE: &str = "smallstack_theme";

#[cfg(test)]
mod tests;

#[cfg(test)]
mod names {
    use super::*;
    use crate::assert_names_agree;

    #[test]
    fn serde_and_strum_name_every_option_alike() {
        assert_names_agree::<ColorMode>();
        assert_names_agree::<NamedAccent>();
        assert_names_agree::<Font>();
        assert_names_agree::<Gray>();
        assert_names_agree::<Radius>();
        assert_names_agree::<Layout>();
    }
}
