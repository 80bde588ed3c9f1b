//! Names on the remote: keys that cannot leave the configured prefix, SHA-256 digests, and the
//! `<name>.sha256` sidecar beside each backup.

use std::fmt;

/// S3 allows 1024 bytes per key; the prefix takes some of it, so keys stay well below.
const MAX_KEY_BYTES: usize = 900;

/// Why a key was refused. Keys come from file names under `MEDIA_ROOT` and from callers, so each
/// reason says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the remote key {key:?} is refused: {reason}")]
pub struct InvalidKey {
    pub key: String,
    pub reason: &'static str,
}

/// A key relative to the remote's prefix, such as `media/avatars/7.png`: `/`-separated segments,
/// none empty, `.` or `..`, no backslash, `%`, `#` or control character. Built only through
/// [`RemoteKey::parse`], so an object can never land outside the prefix, whatever the store does
/// with the characters (the file:// store percent-decodes segments and treats `name#N` as its own
/// temporary files, hence `%` and `#`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RemoteKey(String);

impl RemoteKey {
    pub fn parse(raw: &str) -> Result<Self, InvalidKey> {
        let refuse = |reason| Err(InvalidKey { key: raw.chars().take(200).collect(), reason });
        if raw.is_empty() {
            return refuse("it is empty");
        }
        if raw.len() > MAX_KEY_BYTES {
            return refuse("it is longer than 900 bytes");
        }
        if raw.starts_with('/') {
            return refuse("it is absolute: keys are relative to the remote's prefix");
        }
        if let Some(reason) = raw.split('/').find_map(segment_problem) {
            return refuse(reason);
        }
        Ok(RemoteKey(raw.to_string()))
    }

    /// `self/child`, with `child` checked like any key.
    pub fn join(&self, child: &str) -> Result<Self, InvalidKey> {
        RemoteKey::parse(&format!("{}/{child}", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// The part after `prefix/`, when this key lies under `prefix`.
    pub fn strip_prefix(&self, prefix: &RemoteKey) -> Option<&str> {
        self.0.strip_prefix(prefix.as_str())?.strip_prefix('/')
    }
}

/// The first problem of one segment, if any. Also used for the segments of a prefix in
/// `BACKUP_REMOTE_URL`.
pub(crate) fn segment_problem(segment: &str) -> Option<&'static str> {
    if segment.is_empty() {
        return Some("it has an empty segment (a leading, trailing or doubled /)");
    }
    if segment == "." || segment == ".." {
        return Some("it has a . or .. segment");
    }
    if segment.contains('\\') {
        return Some("it contains a backslash");
    }
    if segment.chars().any(char::is_control) {
        return Some("it contains a control character");
    }
    if segment.contains('%') {
        return Some("it contains %, which the file:// store would decode");
    }
    if segment.contains('#') {
        return Some("it contains #, which the file:// store reserves for partial writes");
    }
    None
}

impl fmt::Display for RemoteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A SHA-256 digest as 64 lowercase hexadecimal digits, the form the catalogue stores.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sha256Digest(String);

impl Sha256Digest {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        if trimmed.len() == 64 && trimmed.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Sha256Digest(trimmed.to_ascii_lowercase()))
        } else {
            Err(format!(
                "{:?} is not a SHA-256 digest (64 hexadecimal digits)",
                raw.chars().take(80).collect::<String>()
            ))
        }
    }

    pub fn from_hasher(hasher: sha2::Sha256) -> Self {
        use sha2::Digest;
        Sha256Digest(hex::encode(hasher.finalize()))
    }

    pub fn of(bytes: &[u8]) -> Self {
        use sha2::Digest;
        Sha256Digest(hex::encode(sha2::Sha256::digest(bytes)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Sha256Digest {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Sha256Digest::parse(&value)
    }
}

impl From<Sha256Digest> for String {
    fn from(value: Sha256Digest) -> Self {
        value.0
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The sidecar's content, as `sha256sum` writes it, so `sha256sum -c` checks a downloaded copy.
pub fn sidecar_text(digest: &Sha256Digest, name: &str) -> String {
    format!("{digest}  {name}\n")
}

/// Reads a sidecar written by [`sidecar_text`] (or by `sha256sum`, text or binary mode). The name
/// in it must be `name`: a sidecar copied beside the wrong file must not vouch for it.
pub fn parse_sidecar(text: &str, name: &str) -> Result<Sha256Digest, String> {
    let line = text.strip_suffix('\n').unwrap_or(text);
    let parsed = line
        .split_once("  ")
        .or_else(|| line.split_once(" *"))
        .ok_or_else(|| format!("expected \"<sha256>  {name}\""))?;
    let (digest, named) = parsed;
    if named != name {
        return Err(format!("it names {:?}, not {name:?}", named.chars().take(80).collect::<String>()));
    }
    Sha256Digest::parse(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_leave_the_prefix() {
        for ok in ["media/a.png", "media/avatars/7.png", "replica/000001.wal", "media/café ☕.jpg"] {
            assert_eq!(RemoteKey::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "/media/a.png",
            "media//a.png",
            "media/",
            "media/../secret",
            "..",
            "./media",
            "media\\a.png",
            "media/a\0.png",
            "media/a\n.png",
            "media/a%2F..%2Fb",
            "media/a.png#1",
        ] {
            assert!(RemoteKey::parse(bad).is_err(), "{bad:?} must be refused");
        }
        assert!(RemoteKey::parse(&"a".repeat(901)).is_err());
        let media = RemoteKey::parse("media").unwrap();
        assert!(media.join("../x").is_err());
        assert_eq!(media.join("a/b").unwrap().strip_prefix(&media), Some("a/b"));
        assert_eq!(RemoteKey::parse("mediax/a").unwrap().strip_prefix(&media), None);
    }

    #[test]
    fn digests_and_sidecars() {
        let d = Sha256Digest::of(b"abc");
        assert_eq!(d.as_str(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(Sha256Digest::parse(&d.as_str().to_uppercase()).unwrap(), d);
        assert!(Sha256Digest::parse("abc").is_err());
        assert!(Sha256Digest::parse(&"g".repeat(64)).is_err());
        let name = "db-20261125-020000.sqlite3";
        let text = sidecar_text(&d, name);
        assert_eq!(text, format!("{d}  {name}\n"));
        assert_eq!(parse_sidecar(&text, name).unwrap(), d);
        assert_eq!(parse_sidecar(&format!("{d} *{name}"), name).unwrap(), d);
        assert!(parse_sidecar(&text, "db-20261125-020001.sqlite3").unwrap_err().contains("names"));
        assert!(parse_sidecar("garbage", name).is_err());
    }
}
