//! "Copy CSS": a theme as CSS custom properties, ready to paste into another stylesheet.

use super::{
    Font, Radius, ThemeChoice,
    color::text_on,
    palette::{SHADES, Scheme, gray_scale, page_background, surface, text},
};

pub fn font_stack(font: Font) -> &'static str {
    match font {
        Font::SansSerif => {
            "system-ui, -apple-system, \"Segoe UI\", Roboto, \"Helvetica Neue\", \"DejaVu Sans\", Arial, sans-serif"
        }
        Font::Serif => {
            "\"Iowan Old Style\", \"Palatino Linotype\", Palatino, Georgia, \"DejaVu Serif\", \"Times New Roman\", serif"
        }
        Font::Monospace => {
            "ui-monospace, \"SFMono-Regular\", Menlo, Consolas, \"DejaVu Sans Mono\", \"Liberation Mono\", monospace"
        }
        Font::Comic => "\"Comic Neue\", \"Comic Sans MS\", \"Chalkboard SE\", cursive",
    }
}

pub fn radius_factor(radius: Radius) -> f64 {
    match radius {
        Radius::Zero => 0.0,
        Radius::Half => 0.5,
        Radius::One => 1.0,
        Radius::OneAndHalf => 1.5,
        Radius::Two => 2.0,
    }
}

fn scheme_block(theme: &ThemeChoice, scheme: Scheme) -> String {
    format!(
        "  --bg: {};\n  --surface: {};\n  --text: {};\n",
        page_background(theme.gray, scheme).to_hex(),
        surface(theme.gray, scheme).to_hex(),
        text(theme.gray, scheme).to_hex()
    )
}

pub fn to_css(theme: &ThemeChoice) -> String {
    let accent = theme.accent.rgb();
    let mut css = format!(
        "/* SmallStack theme: mode {}, accent {}, font {}, gray {}, radius {}, layout {} */\n:root {{\n",
        theme.mode,
        theme.accent.to_value(),
        theme.font,
        theme.gray,
        theme.radius,
        theme.layout
    );
    css.push_str(&format!("  --accent: {};\n  --on-accent: {};\n", accent.to_hex(), text_on(accent).to_hex()));
    css.push_str(&format!("  --font: {};\n", font_stack(theme.font)));
    let factor = radius_factor(theme.radius);
    css.push_str(&format!("  --radius: {}px;\n  --radius-lg: {}px;\n", 6.0 * factor, 10.0 * factor));
    for (shade, value) in SHADES.iter().zip(gray_scale(theme.gray)) {
        css.push_str(&format!("  --g-{shade}: #{value:06x};\n"));
    }
    match theme.mode {
        super::ColorMode::Light => css.push_str(&scheme_block(theme, Scheme::Light)),
        super::ColorMode::Dark => css.push_str(&scheme_block(theme, Scheme::Dark)),
        super::ColorMode::System => {
            css.push_str(&scheme_block(theme, Scheme::Light));
            css.push_str("}\n@media (prefers-color-scheme: dark) {\n  :root {\n");
            css.push_str(&scheme_block(theme, Scheme::Dark).replace("  --", "    --"));
            css.push_str("  }\n");
        }
    }
    css.push_str("}\n");
    css
}
