//! The gray scales and the colours each mode derives from them. `style/main.css` holds the same
//! values (a test checks that they agree); these serve the contrast checks and "Copy CSS".

use super::{ColorMode, Gray, color::Rgb};

/// Shades 50, 100, 200, …, 900, 950.
pub const SHADES: [u16; 11] = [50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 950];

pub fn gray_scale(gray: Gray) -> [u32; 11] {
    match gray {
        Gray::Gray => [
            0xf9fafb, 0xf3f4f6, 0xe5e7eb, 0xd1d5db, 0x9ca3af, 0x6b7280, 0x4b5563, 0x374151, 0x1f2937, 0x111827,
            0x030712,
        ],
        Gray::Slate => [
            0xf8fafc, 0xf1f5f9, 0xe2e8f0, 0xcbd5e1, 0x94a3b8, 0x64748b, 0x475569, 0x334155, 0x1e293b, 0x0f172a,
            0x020617,
        ],
        Gray::Zinc => [
            0xfafafa, 0xf4f4f5, 0xe4e4e7, 0xd4d4d8, 0xa1a1aa, 0x71717a, 0x52525b, 0x3f3f46, 0x27272a, 0x18181b,
            0x09090b,
        ],
        Gray::Neutral => [
            0xfafafa, 0xf5f5f5, 0xe5e5e5, 0xd4d4d4, 0xa3a3a3, 0x737373, 0x525252, 0x404040, 0x262626, 0x171717,
            0x0a0a0a,
        ],
        Gray::Stone => [
            0xfafaf9, 0xf5f5f4, 0xe7e5e4, 0xd6d3d1, 0xa8a29e, 0x78716c, 0x57534e, 0x44403c, 0x292524, 0x1c1917,
            0x0c0a09,
        ],
    }
}

pub fn shade(gray: Gray, shade: u16) -> Rgb {
    let i = SHADES.iter().position(|s| *s == shade).unwrap_or(5);
    Rgb::from_u32(gray_scale(gray)[i])
}

/// Light or dark, once `system` is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Light,
    Dark,
}

impl Scheme {
    /// `system` follows the browser; without one (on the server) it counts as light.
    pub fn of(mode: ColorMode, prefers_dark: bool) -> Scheme {
        match mode {
            ColorMode::Light => Scheme::Light,
            ColorMode::Dark => Scheme::Dark,
            ColorMode::System if prefers_dark => Scheme::Dark,
            ColorMode::System => Scheme::Light,
        }
    }
}

/// The page background of a scheme (what `body` is painted with).
pub fn page_background(gray: Gray, scheme: Scheme) -> Rgb {
    match scheme {
        Scheme::Light => shade(gray, 100),
        Scheme::Dark => shade(gray, 950),
    }
}

/// The surface (cards) of a scheme.
pub fn surface(gray: Gray, scheme: Scheme) -> Rgb {
    match scheme {
        Scheme::Light => Rgb::from_u32(0xffffff),
        Scheme::Dark => shade(gray, 900),
    }
}

pub fn text(gray: Gray, scheme: Scheme) -> Rgb {
    match scheme {
        Scheme::Light => shade(gray, 900),
        Scheme::Dark => shade(gray, 50),
    }
}
