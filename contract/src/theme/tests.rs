//! Every option parses back from its name, share codes round-trip and refuse what was altered,
//! bad values are refused naming the field and the allowed values.

use super::{
    code::{CodeError, decode, encode},
    color::Rgb,
    *,
};
use crate::ClosedSet;

fn all_named_themes() -> impl Iterator<Item = ThemeChoice> {
    ColorMode::all().iter().flat_map(|&mode| {
        NamedAccent::all().iter().flat_map(move |&accent| {
            Font::all().iter().flat_map(move |&font| {
                Gray::all().iter().flat_map(move |&gray| {
                    Radius::all().iter().flat_map(move |&radius| {
                        Layout::all().iter().map(move |&layout| ThemeChoice {
                            mode,
                            accent: Accent::Named(accent),
                            font,
                            gray,
                            radius,
                            layout,
                        })
                    })
                })
            })
        })
    })
}

#[test]
fn every_value_parses_back_from_its_string() {
    for v in ColorMode::all() {
        assert_eq!(ColorMode::parse(v.as_str()), Ok(*v));
    }
    for v in NamedAccent::all() {
        assert_eq!(Accent::parse(v.as_str()), Ok(Accent::Named(*v)));
    }
    for v in Font::all() {
        assert_eq!(Font::parse(v.as_str()), Ok(*v));
    }
    for v in Gray::all() {
        assert_eq!(Gray::parse(v.as_str()), Ok(*v));
    }
    for v in Radius::all() {
        assert_eq!(Radius::parse(v.as_str()), Ok(*v));
    }
    for v in Layout::all() {
        assert_eq!(Layout::parse(v.as_str()), Ok(*v));
    }
    assert_eq!(Accent::parse("#1A2b3C"), Ok(Accent::Custom(Rgb { r: 0x1a, g: 0x2b, b: 0x3c })));
    assert_eq!(Accent::Custom(Rgb { r: 0x1a, g: 0x2b, b: 0x3c }).to_value(), "#1a2b3c");
}

#[test]
fn the_table_strings_and_defaults() {
    let json = serde_json::to_value(ThemeChoice::default()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"mode": "system", "accent": "blue", "font": "sans-serif", "gray": "gray", "radius": "1", "layout": "horizontal"})
    );
    let radius: Vec<&str> = Radius::all().iter().map(|r| r.as_str()).collect();
    assert_eq!(radius, ["0", "0.5", "1", "1.5", "2"]);
    let layouts: Vec<&str> = Layout::all().iter().map(|r| r.as_str()).collect();
    assert_eq!(layouts, ["horizontal", "vertical", "vertical-right", "boxed", "fluid", "condensed"]);
}

#[test]
fn every_theme_round_trips_through_json_and_share_codes() {
    let mut count = 0;
    for theme in all_named_themes() {
        let json = serde_json::to_string(&theme).unwrap();
        assert_eq!(serde_json::from_str::<ThemeChoice>(&json).unwrap(), theme);
        let code = encode(&theme);
        assert_eq!(code.len(), 9, "{code}");
        assert_eq!(decode(&code), Ok(theme), "{code}");
        count += 1;
    }
    assert_eq!(count, 3 * 11 * 4 * 5 * 5 * 6);
    for hex in ["#000000", "#ffffff", "#1a2b3c", "#c0ffee"] {
        let theme = ThemeChoice { accent: Accent::parse(hex).unwrap(), ..Default::default() };
        let code = encode(&theme);
        assert_eq!(code.len(), 15, "{code}");
        assert_eq!(decode(&code), Ok(theme));
        assert_eq!(decode(&code.to_uppercase()), Ok(theme), "codes are case-insensitive");
    }
}

#[test]
fn a_mistyped_or_altered_code_is_refused_not_misread() {
    let samples = [
        ThemeChoice::default(),
        ThemeChoice {
            mode: ColorMode::Dark,
            accent: Accent::Named(NamedAccent::Teal),
            layout: Layout::Boxed,
            ..Default::default()
        },
        ThemeChoice { accent: Accent::parse("#ab12ef").unwrap(), radius: Radius::Two, ..Default::default() },
    ];
    const ALPHABET: &str = "0123456789abcdefghijklmnopqrstuvwxyz";
    for theme in samples {
        let code = encode(&theme);
        // Every single-character substitution.
        for i in 0..code.len() {
            for c in ALPHABET.chars() {
                if code.as_bytes()[i] as char == c {
                    continue;
                }
                let mut altered = code.clone();
                altered.replace_range(i..=i, &c.to_string());
                assert!(decode(&altered).is_err(), "{code} → {altered} was accepted");
            }
        }
        // Every swap of neighbours that changes the code.
        for i in 0..code.len() - 1 {
            let mut bytes = code.clone().into_bytes();
            bytes.swap(i, i + 1);
            let swapped = String::from_utf8(bytes).unwrap();
            if swapped != code {
                assert!(decode(&swapped).is_err(), "{code} → {swapped} was accepted");
            }
        }
        // Truncated at every length.
        for len in 0..code.len() {
            assert!(decode(&code[..len]).is_err(), "{}", &code[..len]);
        }
    }
    assert_eq!(decode(""), Err(CodeError::Empty));
    assert_eq!(decode("1!@#"), Err(CodeError::BadCharacters));
    assert_eq!(decode(&"1".repeat(500)), Err(CodeError::TooLong));
    assert!(matches!(decode("2000000xx"), Err(CodeError::UnknownVersion('2'))));
}

#[test]
fn bad_values_name_the_field_and_the_allowed_values() {
    let e = Font::parse("papyrus").unwrap_err();
    assert_eq!(e.field, "font");
    assert!(e.message.contains("sans-serif, serif, monospace, comic"), "{}", e.message);
    for bad in ["#fff", "#GGGGGG", "#12345", "#1234567", "Red", "maroon", "rgb(1,2,3)", "", &"x".repeat(10_000)] {
        let e = Accent::parse(bad).unwrap_err();
        assert_eq!(e.field, "accent");
        assert!(e.message.len() < 300, "the message must not echo a huge value");
        assert!(e.message.contains("#rrggbb"), "{}", e.message);
    }
    let e = serde_json::from_str::<ThemeChoice>(
        r#"{"mode":"dark","accent":"blue","font":"serif","gray":"gray","radius":1,"layout":"boxed"}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("invalid type"), "{e}");
    let e = serde_json::from_str::<ThemeChoice>(r#"{"mode":"dark"}"#).unwrap_err();
    assert!(e.to_string().contains("missing field"), "{e}");
    let e = serde_json::from_str::<ThemeChoice>(
        r#"{"mode":"dark","accent":"blue","font":"serif","gray":"gray","radius":"1","layout":"boxed","extra":1}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("unknown field"), "{e}");
}
