//! Avatar images: recognised by their bytes (never by name or the client's content type), checked
//! to be whole, and stored under a name the server picks.
//!
//! Why not decode with the `image` crate: decoding a 5 MB picture only to validate it costs far
//! more CPU and compile time than walking the container structure, which is what catches renamed
//! and truncated files. Browsers decode the image when they show it.

use std::path::{Path, PathBuf};

pub const AVATAR_MAX_BYTES: usize = 5 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Webp,
}

impl ImageKind {
    pub fn extension(self) -> &'static str {
        match self {
            ImageKind::Png => "png",
            ImageKind::Jpeg => "jpg",
            ImageKind::Webp => "webp",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Webp => "image/webp",
        }
    }

    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext {
            "png" => Some(ImageKind::Png),
            "jpg" => Some(ImageKind::Jpeg),
            "webp" => Some(ImageKind::Webp),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AvatarError {
    #[error("the file is empty")]
    Empty,
    #[error("the image is larger than 5 MB")]
    TooLarge,
    #[error("the file is not a PNG, JPEG or WebP image")]
    NotAnImage,
    #[error("the {0} image is damaged or cut short")]
    Damaged(&'static str),
    #[error("cannot store the avatar: {0}")]
    Io(String),
}

/// Identifies the image by its magic bytes and checks its structure to the end.
pub fn sniff(bytes: &[u8]) -> Result<ImageKind, AvatarError> {
    if bytes.is_empty() {
        return Err(AvatarError::Empty);
    }
    if bytes.len() > AVATAR_MAX_BYTES {
        return Err(AvatarError::TooLarge);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        check_png(bytes)?;
        Ok(ImageKind::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        if bytes.len() < 4 || !bytes.ends_with(&[0xFF, 0xD9]) {
            return Err(AvatarError::Damaged("JPEG"));
        }
        Ok(ImageKind::Jpeg)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        let declared = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        if declared + 8 != bytes.len() || bytes.len() < 20 {
            return Err(AvatarError::Damaged("WebP"));
        }
        Ok(ImageKind::Webp)
    } else {
        Err(AvatarError::NotAnImage)
    }
}

/// Walks the chunks: IHDR first, each chunk whole, IEND last and exactly at the end.
fn check_png(bytes: &[u8]) -> Result<(), AvatarError> {
    let damaged = || AvatarError::Damaged("PNG");
    let mut pos = 8;
    let mut first = true;
    loop {
        let header = bytes.get(pos..pos + 8).ok_or_else(damaged)?;
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = &header[4..8];
        if first && kind != b"IHDR" {
            return Err(damaged());
        }
        first = false;
        let end = pos.checked_add(12).and_then(|p| p.checked_add(len)).ok_or_else(damaged)?;
        if end > bytes.len() {
            return Err(damaged());
        }
        if kind == b"IEND" {
            return if end == bytes.len() { Ok(()) } else { Err(damaged()) };
        }
        pos = end;
    }
}

/// Writes the image under a random name in `media_root/avatars/` (via a temporary file and a
/// rename) and returns the file name.
pub fn store(media_root: &Path, bytes: &[u8]) -> Result<String, AvatarError> {
    let kind = sniff(bytes)?;
    let dir = avatars_dir(media_root);
    std::fs::create_dir_all(&dir).map_err(|e| AvatarError::Io(e.to_string()))?;
    let mut random = [0u8; 16];
    rand::Rng::fill(&mut rand::rng(), &mut random);
    let name = format!("{}.{}", random.iter().map(|b| format!("{b:02x}")).collect::<String>(), kind.extension());
    let tmp = dir.join(format!(".tmp-{name}"));
    std::fs::write(&tmp, bytes).map_err(|e| AvatarError::Io(e.to_string()))?;
    std::fs::rename(&tmp, dir.join(&name)).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        AvatarError::Io(e.to_string())
    })?;
    Ok(name)
}

pub fn avatars_dir(media_root: &Path) -> PathBuf {
    media_root.join("avatars")
}

/// The path of a stored avatar, if `name` is one the server could have chosen
/// (32 hex digits and a known extension); anything else is refused without touching the disk.
pub fn stored_path(media_root: &Path, name: &str) -> Option<(PathBuf, ImageKind)> {
    let (stem, ext) = name.split_once('.')?;
    let kind = ImageKind::from_extension(ext)?;
    if stem.len() != 32 || !stem.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    Some((avatars_dir(media_root).join(name), kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_png() -> Vec<u8> {
        // A 1×1 PNG.
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend_from_slice(&[0, 0, 0, 13]);
        png.extend_from_slice(b"IHDR");
        png.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]);
        png.extend_from_slice(&[0x1f, 0x15, 0xc4, 0x89]);
        png.extend_from_slice(&[0, 0, 0, 0]);
        png.extend_from_slice(b"IEND");
        png.extend_from_slice(&[0xae, 0x42, 0x60, 0x82]);
        png
    }

    #[test]
    fn recognises_images_by_their_bytes() {
        assert_eq!(sniff(&tiny_png()), Ok(ImageKind::Png));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 0xFF, 0xD9]), Ok(ImageKind::Jpeg));
        let mut webp = b"RIFF".to_vec();
        webp.extend_from_slice(&(12u32).to_le_bytes());
        webp.extend_from_slice(b"WEBPVP8L\0\0\0\0");
        assert_eq!(sniff(&webp), Ok(ImageKind::Webp));
    }

    #[test]
    fn refuses_what_is_not_a_whole_image() {
        assert_eq!(sniff(b""), Err(AvatarError::Empty));
        assert_eq!(sniff(b"hello, I am text pretending to be a .png"), Err(AvatarError::NotAnImage));
        let png = tiny_png();
        assert_eq!(sniff(&png[..png.len() - 5]), Err(AvatarError::Damaged("PNG")));
        assert_eq!(sniff(&png[..20]), Err(AvatarError::Damaged("PNG")));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 1, 2]), Err(AvatarError::Damaged("JPEG")));
        let mut big = tiny_png();
        big.resize(AVATAR_MAX_BYTES + 1, 0);
        assert_eq!(sniff(&big), Err(AvatarError::TooLarge));
    }

    #[test]
    fn only_server_chosen_names_map_to_paths() {
        let root = Path::new("/m");
        assert!(stored_path(root, "0123456789abcdef0123456789abcdef.png").is_some());
        for bad in [
            "../etc/passwd",
            "x.png",
            "0123456789abcdef0123456789abcdef.svg",
            "0123456789ABCDEF0123456789abcdef.png",
            "0123456789abcdef0123456789abcdef.png/..",
            "",
        ] {
            assert!(stored_path(root, bad).is_none(), "{bad}");
        }
    }
}
