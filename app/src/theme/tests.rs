use super::*;
use crate::theme::{
    color::{Rgb, contrast, text_on},
    palette::{Scheme, gray_scale},
};
use contract::ClosedSet;

#[test]
fn every_built_in_accent_button_text_reaches_4_5_to_1_in_both_modes() {
    for accent in NamedAccent::all() {
        for mode in [ColorMode::Light, ColorMode::Dark] {
            for gray in Gray::all() {
                let theme = ThemeChoice { mode, accent: Accent::Named(*accent), gray: *gray, ..Default::default() };
                let ratio = button_text_contrast(&theme);
                assert!(ratio >= BUTTON_TEXT_MIN_CONTRAST, "{accent} in {mode}: {ratio:.2}");
            }
        }
    }
}

#[test]
fn custom_accents_get_readable_button_text_and_low_contrast_is_measured() {
    for hex in [0x000000u32, 0xffffff, 0x777777, 0x808080, 0xff0000, 0x00ff00, 0x0000ff, 0xffff00, 0x3366ff] {
        let rgb = Rgb::from_u32(hex);
        assert!(contrast(text_on(rgb), rgb) >= 4.5, "#{hex:06x}");
    }
    let pale = ThemeChoice { accent: Accent::parse("#f5f5f5").unwrap(), ..Default::default() };
    assert!(accent_contrast(&pale, Scheme::Light) < ACCENT_MIN_CONTRAST);
    assert!(accent_contrast(&pale, Scheme::Dark) > ACCENT_MIN_CONTRAST);
}

/// The stylesheet's values must be the ones the contrast rules were checked with.
#[test]
fn the_stylesheet_agrees_with_these_tables() {
    let css = include_str!("../../../style/main.css");
    for accent in NamedAccent::all() {
        let selector = format!("html[data-accent=\"{}\"]", accent.as_str());
        let start = css.find(&selector).unwrap_or_else(|| panic!("{selector} missing"));
        let rule = &css[start..start + css[start..].find('}').unwrap()];
        assert!(rule.contains(&format!("--accent: {};", accent.rgb().to_hex())), "{rule}");
        assert!(rule.contains(&format!("--on-accent: {};", text_on(accent.rgb()).to_hex())), "{rule}");
    }
    for gray in Gray::all() {
        let selector = format!("html[data-gray=\"{}\"]", gray.as_str());
        let start = css.find(&selector).unwrap_or_else(|| panic!("{selector} missing"));
        let rule = &css[start..start + css[start..].find('}').unwrap()];
        for (shade, value) in palette::SHADES.iter().zip(gray_scale(*gray)) {
            assert!(rule.contains(&format!("--g-{shade}: #{value:06x};")), "{gray} {shade}: {rule}");
        }
    }
}

#[test]
fn css_export_carries_the_theme() {
    let theme = ThemeChoice {
        mode: ColorMode::Dark,
        accent: Accent::Named(NamedAccent::Teal),
        font: Font::Serif,
        ..Default::default()
    };
    let css = css::to_css(&theme);
    assert!(css.contains("--accent: #0ca678;"));
    assert!(css.contains("--on-accent: #000000;"));
    assert!(css.contains("Georgia"));
    assert!(css.contains("--bg: #030712;"));
    let system = css::to_css(&ThemeChoice::default());
    assert!(system.contains("@media (prefers-color-scheme: dark)"));
}
