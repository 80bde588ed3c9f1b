//! Share codes: a theme in a short, versioned, checksummed string, e.g. `1210212k7` (built-in
//! accent) or `1b0212a1b2c3dx9` (custom accent).
//!
//! Layout: version `1`, then one base-36 digit per option (mode, accent, font, gray, radius,
//! layout; accent `b` means custom and is followed by six hex digits), then two check characters:
//! a Luhn mod 36 digit (catches every single mistyped character and most swaps of neighbours) and
//! a digit derived from a CRC-32 of everything before it (catches most other alterations).
//! Written here because no crate offers a checksum over a base-36 alphabet.

use super::{
    choice::{Accent, ThemeChoice},
    color::Rgb,
};
use crate::ClosedSet;

const VERSION: char = '1';
const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const CUSTOM_ACCENT: usize = 11;
pub const MAX_CODE_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("the share code is empty")]
    Empty,
    #[error("the share code is too long to be one")]
    TooLong,
    #[error("the share code has characters that cannot be in one (only 0–9 and a–z)")]
    BadCharacters,
    #[error("the share code was made by a newer version of SmallStack (version {0})")]
    UnknownVersion(char),
    #[error("the share code is incomplete or has extra characters")]
    WrongLength,
    #[error("the share code's checksum does not match: it was mistyped or altered")]
    Checksum,
    #[error("the share code holds a value that no theme has")]
    OutOfRange,
}

fn digit(c: u8) -> Option<usize> {
    ALPHABET.iter().position(|a| *a == c)
}

fn luhn36(payload: &str) -> char {
    // Luhn mod N over the base-36 digits, from the right, doubling every other one.
    let mut sum = 0usize;
    let mut double = true;
    for c in payload.bytes().rev() {
        let mut v = digit(c).unwrap_or(0);
        if double {
            v *= 2;
            v = v / 36 + v % 36;
        }
        sum += v;
        double = !double;
    }
    ALPHABET[(36 - sum % 36) % 36] as char
}

fn crc_char(payload: &str) -> char {
    let mut crc: u32 = 0xffff_ffff;
    for b in payload.bytes() {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    ALPHABET[(!crc % 36) as usize] as char
}

pub fn encode(theme: &ThemeChoice) -> String {
    let accent_index = match theme.accent {
        Accent::Named(n) => n.index(),
        Accent::Custom(_) => CUSTOM_ACCENT,
    };
    let mut payload = String::with_capacity(16);
    payload.push(VERSION);
    for i in [
        theme.mode.index(),
        accent_index,
        theme.font.index(),
        theme.gray.index(),
        theme.radius.index(),
        theme.layout.index(),
    ] {
        payload.push(ALPHABET[i] as char);
    }
    if let Accent::Custom(rgb) = theme.accent {
        payload.push_str(&rgb.to_hex()[1..]);
    }
    let luhn = luhn36(&payload);
    payload.push(luhn);
    let crc = crc_char(&payload);
    payload.push(crc);
    payload
}

/// The value at position `i` of a closed set.
fn pick<T: ClosedSet>(i: usize) -> Result<T, CodeError> {
    T::all().get(i).copied().ok_or(CodeError::OutOfRange)
}

pub fn decode(code: &str) -> Result<ThemeChoice, CodeError> {
    let code = code.trim();
    if code.is_empty() {
        return Err(CodeError::Empty);
    }
    if code.len() > MAX_CODE_LEN {
        return Err(CodeError::TooLong);
    }
    let code = code.to_ascii_lowercase();
    if !code.bytes().all(|b| digit(b).is_some()) {
        return Err(CodeError::BadCharacters);
    }
    let version = code.chars().next().unwrap_or(VERSION);
    if version != VERSION {
        return Err(CodeError::UnknownVersion(version));
    }
    if code.len() != 9 && code.len() != 15 {
        return Err(CodeError::WrongLength);
    }
    let (body, checks) = code.split_at(code.len() - 2);
    let with_luhn = &code[..code.len() - 1];
    if luhn36(body) != checks.chars().next().unwrap_or(' ')
        || crc_char(with_luhn) != checks.chars().nth(1).unwrap_or(' ')
    {
        return Err(CodeError::Checksum);
    }
    let d: Vec<usize> = body.bytes().skip(1).take(6).filter_map(digit).collect();
    let accent = if d[1] == CUSTOM_ACCENT {
        if body.len() != 13 {
            return Err(CodeError::WrongLength);
        }
        Accent::Custom(Rgb::parse_hex(&format!("#{}", &body[7..13])).ok_or(CodeError::OutOfRange)?)
    } else {
        if body.len() != 7 {
            return Err(CodeError::WrongLength);
        }
        Accent::Named(pick(d[1])?)
    };
    Ok(ThemeChoice {
        mode: pick(d[0])?,
        accent,
        font: pick(d[2])?,
        gray: pick(d[3])?,
        radius: pick(d[4])?,
        layout: pick(d[5])?,
    })
}
