//! The six theme options as closed sets. In JSON and in `<html data-*>` each is the string its
//! `as_str` gives; parsing refuses anything else with a message naming the field and the allowed
//! values.

use super::color::{Rgb, text_on};
use crate::ClosedSet;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use strum::{Display, EnumString, IntoStaticStr, VariantArray};

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

/// A theme option: a closed set whose values travel as strings (serde and strum derive the same
/// names; a test checks they agree), with the field it fills in a [`ThemeChoice`].
pub trait ThemeOption: ClosedSet + Default {
    /// The field's name in JSON, in `data-*` attributes and in messages.
    const FIELD: &'static str;

    /// Parses a stored or typed value, naming the field and the allowed values when it is none
    /// of them.
    fn parse(value: &str) -> Result<Self, ThemeFieldError> {
        value.parse().map_err(|_| ThemeFieldError {
            field: Self::FIELD,
            message: format!(
                "{}: unknown value \"{}\"; allowed values: {}",
                Self::FIELD,
                shown(value),
                Self::allowed()
            ),
        })
    }
}

/// Light, dark, or following the operating system (`prefers-color-scheme`, live).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantArray,
    Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ColorMode {
    Light,
    Dark,
    #[default]
    System,
}

impl ThemeOption for ColorMode {
    const FIELD: &'static str = "mode";
}

/// The built-in accent colours (the Tabler palette).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantArray,
    Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum NamedAccent {
    Amber,
    #[default]
    Blue,
    Azure,
    Indigo,
    Purple,
    Pink,
    Red,
    Orange,
    Green,
    Teal,
    Cyan,
}

impl ThemeOption for NamedAccent {
    const FIELD: &'static str = "accent";
}

#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantArray,
    Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Font {
    #[default]
    SansSerif,
    Serif,
    Monospace,
    Comic,
}

impl ThemeOption for Font {
    const FIELD: &'static str = "font";
}

#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantArray,
    Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Gray {
    Slate,
    #[default]
    Gray,
    Zinc,
    Neutral,
    Stone,
}

impl ThemeOption for Gray {
    const FIELD: &'static str = "gray";
}

/// How round corners are: a factor applied to every radius.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantArray,
    Display,
)]
pub enum Radius {
    #[serde(rename = "0")]
    #[strum(serialize = "0")]
    Zero,
    #[serde(rename = "0.5")]
    #[strum(serialize = "0.5")]
    Half,
    #[default]
    #[serde(rename = "1")]
    #[strum(serialize = "1")]
    One,
    #[serde(rename = "1.5")]
    #[strum(serialize = "1.5")]
    OneAndHalf,
    #[serde(rename = "2")]
    #[strum(serialize = "2")]
    Two,
}

impl ThemeOption for Radius {
    const FIELD: &'static str = "radius";
}

/// How the page shell is arranged.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    EnumString,
    IntoStaticStr,
    VariantArray,
    Display,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Layout {
    #[default]
    Horizontal,
    Vertical,
    VerticalRight,
    Boxed,
    Fluid,
    Condensed,
}

impl ThemeOption for Layout {
    const FIELD: &'static str = "layout";
}

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
    #[serde(deserialize_with = "option")]
    pub mode: ColorMode,
    pub accent: Accent,
    #[serde(deserialize_with = "option")]
    pub font: Font,
    #[serde(deserialize_with = "option")]
    pub gray: Gray,
    #[serde(deserialize_with = "option")]
    pub radius: Radius,
    #[serde(deserialize_with = "option")]
    pub layout: Layout,
}

/// Reads an option of a theme sent by a client through [`ThemeOption::parse`], so a refusal
/// says "unknown value …; allowed values: …" in words rather than serde's "unknown variant".
fn option<'de, D: Deserializer<'de>, T: ThemeOption>(d: D) -> Result<T, D::Error> {
    let raw = String::deserialize(d)?;
    T::parse(&raw).map_err(|e| serde::de::Error::custom(e.message))
}

impl ThemeChoice {
    /// Builds a theme from six strings (as stored in the database), naming the first bad field.
    pub fn from_strings(
        mode: &str,
        accent: &str,
        font: &str,
        gray: &str,
        radius: &str,
        layout: &str,
    ) -> Result<Self, ThemeFieldError> {
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
            Accent::Custom(rgb) => {
                format!("--accent-custom: {}; --on-accent-custom: {}", rgb.to_hex(), text_on(rgb).to_hex())
            }
            Accent::Named(_) => String::new(),
        }
    }
}
