//! What the browser and the server agree on: the theme a visitor chose, the records of the
//! backup catalogue, the bodies of the JSON API, its error body and its paths.
//!
//! One definition per concept, used by the engine (which stores and returns these types), the
//! server (which sends them as they are) and the WASM client (which receives them). No Leptos and
//! no database here, so it builds for wasm32 and the host alike.

pub mod access;
pub mod accounts;
pub mod backup;
pub mod database;
pub mod error;
pub mod format;
pub mod paths;
pub mod theme;

use strum::VariantArray;

/// A closed set of values that travel as strings: serde derives the wire form and strum the same
/// name as a `&'static str`, the parser ([`std::str::FromStr`]) and the list of values. Every enum
/// deriving those gets these methods; a test per enum checks that serde and strum agree.
pub trait ClosedSet: Copy + Eq + 'static + VariantArray + std::str::FromStr + Into<&'static str> {
    /// The name stored in databases, written in URLs and `data-*` attributes, and shown.
    fn as_str(self) -> &'static str {
        self.into()
    }

    /// Every value, in declaration order.
    fn all() -> &'static [Self] {
        Self::VARIANTS
    }

    /// Position in [`Self::all`] (share codes store it).
    fn index(self) -> usize {
        Self::VARIANTS.iter().position(|v| *v == self).unwrap_or(0)
    }

    /// "light, dark, system": the values a message lists.
    fn allowed() -> String {
        Self::VARIANTS.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
    }
}

impl<T> ClosedSet for T where T: Copy + Eq + 'static + VariantArray + std::str::FromStr + Into<&'static str> {}

/// For tests of every closed set: serde writes exactly the name strum gives, and parses it back.
#[cfg(test)]
pub(crate) fn assert_names_agree<T>()
where
    T: ClosedSet + serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
{
    for value in T::all() {
        let json = serde_json::to_string(value).unwrap();
        assert_eq!(json, format!("\"{}\"", value.as_str()), "{value:?}");
        assert_eq!(serde_json::from_str::<T>(&json).unwrap(), *value);
        assert!(value.as_str().parse::<T>().is_ok_and(|v| v == *value), "{value:?}");
    }
}
