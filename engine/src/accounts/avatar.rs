//! Avatar images: recognised by their bytes (never by name or the client's content type), checked
//! to be whole, their declared dimensions read from the header (PNG IHDR, JPEG SOFn, WebP
//! VP8/VP8L/VP8X) and kept within [`AVATAR_MAX_SIDE`], and stored under a name the server picks.
//!
//! Why not decode with the `image` crate: decoding a 5 MB picture only to validate it costs far
//! more CPU and compile time than walking the container structure, which is what catches renamed
//! and truncated files; and the dimensions a browser will allocate for are the ones the header
//! declares (a small file can declare 2³¹×2³¹ pixels). Browsers decode the image when they show it.

use std::path::{Path, PathBuf};

pub const AVATAR_MAX_BYTES: usize = 5 * 1024 * 1024;
/// The largest width and height an avatar may declare: plenty for a picture shown at 72 px, and
/// 4096×4096×4 bytes (64 MiB) is as much as a browser should be asked to decode for one.
pub const AVATAR_MAX_SIDE: u32 = 4096;

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

    fn name(self) -> &'static str {
        match self {
            ImageKind::Png => "PNG",
            ImageKind::Jpeg => "JPEG",
            ImageKind::Webp => "WebP",
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
    #[error("the image is {width}×{height} pixels; an avatar may be at most {AVATAR_MAX_SIDE}×{AVATAR_MAX_SIDE}")]
    TooManyPixels { width: u32, height: u32 },
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
    let (kind, (width, height)) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        check_png(bytes)?;
        (ImageKind::Png, png_size(bytes)?)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        if bytes.len() < 4 || !bytes.ends_with(&[0xFF, 0xD9]) {
            return Err(AvatarError::Damaged("JPEG"));
        }
        (ImageKind::Jpeg, jpeg_size(bytes)?)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        let declared = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        if declared + 8 != bytes.len() || bytes.len() < 20 {
            return Err(AvatarError::Damaged("WebP"));
        }
        (ImageKind::Webp, webp_size(bytes)?)
    } else {
        return Err(AvatarError::NotAnImage);
    };
    if width == 0 || height == 0 {
        return Err(AvatarError::Damaged(kind.name()));
    }
    if width > AVATAR_MAX_SIDE || height > AVATAR_MAX_SIDE {
        return Err(AvatarError::TooManyPixels { width, height });
    }
    Ok(kind)
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?)))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
}

/// Width and height from IHDR, the first chunk ([`check_png`] made sure it is there).
fn png_size(bytes: &[u8]) -> Result<(u32, u32), AvatarError> {
    let field = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    field(16).zip(field(20)).ok_or(AvatarError::Damaged("PNG"))
}

/// Width and height from the first start-of-frame segment (SOF0–SOF15 but DHT, JPG and DAC),
/// walking the segments from the start; a JPEG without one before its image data is damaged.
fn jpeg_size(bytes: &[u8]) -> Result<(u32, u32), AvatarError> {
    let damaged = AvatarError::Damaged("JPEG");
    let mut pos = 2;
    loop {
        // Markers may be preceded by fill bytes 0xFF.
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(pos), bytes.get(pos + 1)) else { return Err(damaged) };
        match marker {
            // Markers without a length: TEM, RSTn.
            0x01 | 0xD0..=0xD7 => pos += 2,
            // Start of scan or end of image before any frame header.
            0xDA | 0xD9 => return Err(damaged),
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                let height = be16(bytes, pos + 5).ok_or(AvatarError::Damaged("JPEG"))?;
                let width = be16(bytes, pos + 7).ok_or(AvatarError::Damaged("JPEG"))?;
                return Ok((width, height));
            }
            _ => {
                let length = be16(bytes, pos + 2).ok_or(AvatarError::Damaged("JPEG"))? as usize;
                if length < 2 {
                    return Err(damaged);
                }
                pos += 2 + length;
            }
        }
    }
}

/// Width and height from the first chunk: `VP8 ` (lossy), `VP8L` (lossless) or `VP8X`
/// (extended: the canvas size).
fn webp_size(bytes: &[u8]) -> Result<(u32, u32), AvatarError> {
    let damaged = || AvatarError::Damaged("WebP");
    let chunk = bytes.get(12..16).ok_or_else(damaged)?;
    let data = 20;
    match chunk {
        b"VP8 " => {
            // A 3-byte frame tag, the start code 9d 01 2a, then 14-bit width and height.
            if bytes.get(data + 3..data + 6) != Some(&[0x9d, 0x01, 0x2a]) {
                return Err(damaged());
            }
            let field = |at: usize| bytes.get(at..at + 2).map(|b| u32::from(u16::from_le_bytes([b[0], b[1]]) & 0x3FFF));
            field(data + 6).zip(field(data + 8)).ok_or_else(damaged)
        }
        b"VP8L" => {
            // The signature 0x2f, then width − 1 and height − 1 in 14 bits each.
            if bytes.get(data) != Some(&0x2f) {
                return Err(damaged());
            }
            let b = bytes.get(data + 1..data + 5).ok_or_else(damaged)?;
            let bits = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            Ok(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => {
            let width = le24(bytes, data + 4).ok_or_else(damaged)? + 1;
            let height = le24(bytes, data + 7).ok_or_else(damaged)? + 1;
            Ok((width, height))
        }
        _ => Err(damaged()),
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
        // An APP0 segment, then a baseline frame header of 640×480.
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 1, 2, 0xFF, 0xC0, 0, 11, 8, 0x01, 0xE0, 0x02, 0x80, 1, 1, 0x11, 0, 0xFF, 0xD9,
        ];
        assert_eq!(sniff(&jpeg), Ok(ImageKind::Jpeg));
        assert_eq!(jpeg_size(&jpeg), Ok((640, 480)));
        // A lossless WebP of 100×50: width − 1 and height − 1 in 14 bits each.
        let bits: u32 = 99 | (49 << 14);
        let mut webp = b"RIFF".to_vec();
        webp.extend_from_slice(&(17u32).to_le_bytes());
        webp.extend_from_slice(b"WEBPVP8L\x05\0\0\0\x2f");
        webp.extend_from_slice(&bits.to_le_bytes());
        assert_eq!(sniff(&webp), Ok(ImageKind::Webp));
        assert_eq!(webp_size(&webp), Ok((100, 50)));
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
        // A JPEG whose image data starts before any frame header.
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xDA, 0, 2, 0xFF, 0xD9]), Err(AvatarError::Damaged("JPEG")));
    }

    #[test]
    fn declared_dimensions_are_limited() {
        let mut png = tiny_png();
        png[16..20].copy_from_slice(&(1u32 << 31).to_be_bytes());
        assert_eq!(sniff(&png), Err(AvatarError::TooManyPixels { width: 1 << 31, height: 1 }));
        png[16..20].copy_from_slice(&4096u32.to_be_bytes());
        png[20..24].copy_from_slice(&4096u32.to_be_bytes());
        assert_eq!(sniff(&png), Ok(ImageKind::Png));
        png[20..24].copy_from_slice(&0u32.to_be_bytes());
        assert_eq!(sniff(&png), Err(AvatarError::Damaged("PNG")));
        let message = AvatarError::TooManyPixels { width: 5000, height: 10 }.to_string();
        assert!(message.contains("5000×10") && message.contains("4096×4096"), "{message}");
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
