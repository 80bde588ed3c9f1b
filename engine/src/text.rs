//! One rule for every name a person sees (display names, e-mail addresses, preset names, and
//! usernames, which are ASCII anyway): no control characters or line separators, no characters
//! that reorder the text around them (bidirectional overrides, embeddings, isolates, marks), and
//! no characters that show nothing (fillers, zero-width characters, tag characters…), so a name
//! cannot be blank, pass for another, or turn the text beside it around. The refusal names the
//! character.

/// Why a character is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hidden {
    Control,
    Direction,
    Invisible,
}

/// Characters drawn as pictures, between which a zero width joiner builds one emoji
/// (👩‍💻, 👨‍👩‍👧): there it shows, so it is allowed.
fn pictographic(c: char) -> bool {
    matches!(c, '\u{2600}'..='\u{27BF}' | '\u{2B00}'..='\u{2BFF}' | '\u{FE0F}' | '\u{1F000}'..='\u{1FAFF}')
}

fn classify(c: char, before: Option<char>, after: Option<char>) -> Option<Hidden> {
    match c {
        c if c.is_control() => Some(Hidden::Control),
        '\u{2028}' | '\u{2029}' => Some(Hidden::Control),
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
            Some(Hidden::Direction)
        }
        '\u{200D}' if before.is_some_and(pictographic) && after.is_some_and(pictographic) => None,
        '\u{00AD}'
        | '\u{034F}'
        | '\u{115F}'
        | '\u{1160}'
        | '\u{17B4}'
        | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200D}'
        | '\u{2060}'..='\u{2065}'
        | '\u{206A}'..='\u{206F}'
        | '\u{2800}'
        | '\u{3164}'
        | '\u{FEFF}'
        | '\u{FFA0}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E007F}' => Some(Hidden::Invisible),
        _ => None,
    }
}

/// The Unicode name of the refused characters people meet most.
fn name_of(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{061C}' => "ARABIC LETTER MARK",
        '\u{200E}' => "LEFT-TO-RIGHT MARK",
        '\u{200F}' => "RIGHT-TO-LEFT MARK",
        '\u{202A}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202B}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202C}' => "POP DIRECTIONAL FORMATTING",
        '\u{202D}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202E}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        '\u{00AD}' => "SOFT HYPHEN",
        '\u{034F}' => "COMBINING GRAPHEME JOINER",
        '\u{115F}' => "HANGUL CHOSEONG FILLER",
        '\u{1160}' => "HANGUL JUNGSEONG FILLER",
        '\u{200B}' => "ZERO WIDTH SPACE",
        '\u{200C}' => "ZERO WIDTH NON-JOINER",
        '\u{200D}' => "ZERO WIDTH JOINER",
        '\u{2060}' => "WORD JOINER",
        '\u{2028}' => "LINE SEPARATOR",
        '\u{2029}' => "PARAGRAPH SEPARATOR",
        '\u{2800}' => "BRAILLE PATTERN BLANK",
        '\u{3164}' => "HANGUL FILLER",
        '\u{FEFF}' => "ZERO WIDTH NO-BREAK SPACE",
        '\u{FFA0}' => "HALFWIDTH HANGUL FILLER",
        '\u{E0000}'..='\u{E007F}' => "a tag character",
        _ => return None,
    })
}

/// Checks `value`, a name a person sees that the message calls `what` ("display name"): `Err`
/// names the first refused character, as `U+202E RIGHT-TO-LEFT OVERRIDE`, and says why.
pub fn check_visible(what: &str, value: &str) -> Result<(), String> {
    let chars: Vec<char> = value.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let Some(kind) = classify(c, before, chars.get(i + 1).copied()) else { continue };
        let code = format!("U+{:04X}", c as u32);
        let shown = match name_of(c) {
            Some(name) => format!("{code} {name}"),
            None => code,
        };
        let why = match kind {
            Hidden::Control => "a control character or line break",
            Hidden::Direction => "it reorders the text around it",
            Hidden::Invisible => "it shows nothing",
        };
        return Err(format!("{what} must not contain {shown} ({why})"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_refused_by_name() {
        for (text, named) in [
            ("evil\u{202E}txt", "U+202E RIGHT-TO-LEFT OVERRIDE"),
            ("\u{2067}x", "U+2067 RIGHT-TO-LEFT ISOLATE"),
            ("\u{3164}", "U+3164 HANGUL FILLER"),
            ("a\u{FEFF}", "U+FEFF"),
            ("so\u{00AD}ft", "U+00AD SOFT HYPHEN"),
            ("ad\u{200D}min", "U+200D ZERO WIDTH JOINER"),
            ("\u{200D}🚀", "U+200D"),
            ("x\u{E0041}", "U+E0041 a tag character"),
            ("line\nbreak", "U+000A"),
            ("para\u{2029}graph", "U+2029"),
            ("\u{2800}", "U+2800"),
        ] {
            let err = check_visible("display name", text).unwrap_err();
            assert!(err.contains(named), "{text:?}: {err}");
            assert!(err.starts_with("display name must not contain"), "{err}");
        }
    }

    #[test]
    fn names_in_any_script_and_emoji_pass() {
        for ok in ["Zoë 🚀", "José Ñúñez", "李小龍", "محمد", "👩‍💻 dev", "👨‍👩‍👧", "❤️‍🔥", "O'Brien-Smith", ""]
        {
            assert_eq!(check_visible("display name", ok), Ok(()), "{ok:?}");
        }
    }
}
