//! The six theme options as closed sets. In JSON and in `<html data-*>` each is the string shown
//! in its `as_str`; parsing refuses anything else with a message naming the field and the
//! allowed values.

use super::color::Rgb;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Why a theme value was refused: the field and a message naming the allowed values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThemeFieldError {
    pub field: &'static str,
    pub message: String,
}

impl fmt::Display for ThemeFieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ThemeFieldError {}

/// Shows at most 40 characters of a refused value, so a 10,000-character string does not come
/// back whole in the error.
fn shown(value: &str) -> String {
    let mut out: String = value.chars().take(40).filter(|c| !c.is_control()).collect();
    if value.chars().count() > 40 {
        out.push('…');
    }
    out
}

macro_rules! closed_set {
    ($(#[$meta:meta])* $name:ident, $field:literal, default = $default:ident, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const FIELD: &'static str = $field;

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(value: &str) -> Result<Self, ThemeFieldError> {
                match value {
                    $($text => Ok($name::$variant),)+
                    other => Err(ThemeFieldError {
                        field: $field,
                        message: format!(
                            "{}: unknown value \"{}\"; allowed values: {}",
                            $field,
                            shown(other),
                            Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    }),
                }
            }

            /// Position in [`Self::ALL`] (used by share codes).
            pub fn index(self) -> usize {
                Self::ALL.iter().position(|v| *v == self).unwrap_or(0)
            }
        }

        impl Default for $name {
            fn default() -> Self { $name::$default }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str(self.as_str()) }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                $name::parse(&raw).map_err(|e| serde::de::Error::custom(e.message))
            }
        }
    };
}

closed_set!(
    /// Light, dark, or following the operating system (`prefers-color-scheme`, live).
    ColorMode, "mode", default = System, {
        Light => "light",
        Dark => "dark",
        System => "system",
    }
);

closed_set!(
    /// The built-in accent colours (the Tabler palette).
    NamedAccent, "accent", default = Blue, {
        Amber => "amber",
        Blue => "blue",
        Azure => "azure",
        Indigo => "indigo",
        Purple => "purple",
        Pink => "pink",
        Red => "red",
        Orange => "orange",
        Green => "green",
        Teal => "teal",
        Cyan => "cyan",
    }
);

closed_set!(
    Font, "font", default = SansSerif, {
        SansSerif => "sans-serif",
        Serif => "serif",
        Monospace => "monospace",
        Comic => "comic",
    }
);

closed_set!(
    Gray, "gray", default = Gray, {
        Slate => "slate",
        Gray => "gray",
        Zinc => "zinc",
        Neutral => "neutral",
        Stone => "stone",
    }
);

closed_set!(
    /// How round corners are: a factor applied to every radius.
    Radius, "radius", default = One, {
        Zero => "0",
        Half => "0.5",
        One => "1",
        OneAndHalf => "1.5",
        Two => "2",
    }
);

closed_set!(
    /// How the page shell is arranged.
    Layout, "layout", default = Horizontal, {
        Horizontal => "horizontal",
        Vertical => "vertical",
        VerticalRight => "vertical-right",
        Boxed => "boxed",
        Fluid => "fluid",
        Condensed => "condensed",
    }
);

impl NamedAccent {
    pub fn rgb(self) -> Rgb {
        let hex = match self {
            NamedAccent::Amber => 0xf59f00,
            NamedAccent::Blue => 0x206bc4,
            NamedAccent::Azure => 0x4299e1,
            NamedAccent::Indigo => 0x4263eb,
            NamedAccent::Purple => 0xae3ec9,
            NamedAccent::Pink => 0xd6336c,
            NamedAccent::Red => 0xd63939,
            NamedAccent::Orange => 0xf76707,
            NamedAccent::Green => 0x2fb344,
            NamedAccent::Teal => 0x0ca678,
            NamedAccent::Cyan => 0x17a2b8,
        };
        Rgb::from_u32(hex)
    }
}

/// A built-in accent or a custom `#rrggbb` colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Accent {
    Named(NamedAccent),
    Custom(Rgb),
}

impl Default for Accent {
    fn default() -> Self {
        Accent::Named(NamedAccent::default())
    }
}

impl Accent {
    pub fn parse(value: &str) -> Result<Self, ThemeFieldError> {
        if value.starts_with('#') {
            return Rgb::parse_hex(value).map(Accent::Custom).ok_or_else(|| ThemeFieldError {
                field: "accent",
                message: format!(
                    "accent: \"{}\" is not a colour; a custom accent is written #rrggbb (six hexadecimal digits, e.g. #1a2b3c)",
                    shown(value)
                ),
            });
        }
        NamedAccent::parse(value).map(Accent::Named).map_err(|e| ThemeFieldError {
            field: "accent",
            message: format!("{}, or a custom colour #rrggbb", e.message),
        })
    }

    /// `blue`, …, or `#1a2b3c`.
    pub fn to_value(self) -> String {
        match self {
            Accent::Named(n) => n.as_str().to_string(),
            Accent::Custom(rgb) => rgb.to_hex(),
        }
    }

    /// What `data-accent` says: the name, or `custom`.
    pub fn data_value(self) -> &'static str {
        match self {
            Accent::Named(n) => n.as_str(),
            Accent::Custom(_) => "custom",
        }
    }

    pub fn rgb(self) -> Rgb {
        match self {
            Accent::Named(n) => n.rgb(),
            Accent::Custom(rgb) => rgb,
        }
    }
}

impl Serialize for Accent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_value())
    }
}

impl<'de> Deserialize<'de> for Accent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Accent::parse(&raw).map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// A whole theme. In JSON: `{"mode", "accent", "font", "gray", "radius", "layout"}`, all strings,
/// all required, nothing else.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeChoice {
    pub mode: ColorMode,
    pub accent: Accent,
    pub font: Font,
    pub gray: Gray,
    pub radius: Radius,
    pub layout: Layout,
}

impl ThemeChoice {
    /// Builds a theme from six strings (as stored in the database), naming the first bad field.
    pub fn from_strings(mode: &str, accent: &str, font: &str, gray: &str, radius: &str, layout: &str) -> Result<Self, ThemeFieldError> {
        Ok(ThemeChoice {
            mode: ColorMode::parse(mode)?,
            accent: Accent::parse(accent)?,
            font: Font::parse(font)?,
            gray: Gray::parse(gray)?,
            radius: Radius::parse(radius)?,
            layout: Layout::parse(layout)?,
        })
    }

    /// The `data-*` attributes of `<html>`, in a fixed order.
    pub fn data_attributes(&self) -> [(&'static str, &'static str); 6] {
        [
            ("data-mode", self.mode.as_str()),
            ("data-accent", self.accent.data_value()),
            ("data-font", self.font.as_str()),
            ("data-gray", self.gray.as_str()),
            ("data-radius", self.radius.as_str()),
            ("data-layout", self.layout.as_str()),
        ]
    }

    /// The inline style `<html>` needs for a custom accent (empty otherwise).
    pub fn inline_style(&self) -> String {
        match self.accent {
            Accent::Custom(rgb) => format!("--accent-custom: {}; --on-accent-custom: {}", rgb.to_hex(), super::color::text_on(rgb).to_hex()),
            Accent::Named(_) => String::new(),
        }
    }
}
