use std::{io::Read, path::Path};

/// The 16 bytes every SQLite database file starts with.
pub const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HeaderError {
    #[error("is not a SQLite database (its first bytes are not \"SQLite format 3\")")]
    NotSqlite,
    #[error("has a broken SQLite header ({0})")]
    Broken(&'static str),
    #[error("is empty")]
    Empty,
    #[error("cannot be read: {0}")]
    Io(String),
}

/// Cheap check of a database file's 100-byte header: magic string, page size, and that the file
/// holds a whole number of pages as the header says. An empty file passes (SQLite treats it as a
/// new database), since `DATABASE_PATH` may point at a file just created.
pub fn check_header(path: &Path) -> Result<(), HeaderError> {
    match read_header(path) {
        Err(HeaderError::Empty) => Ok(()),
        other => other.map(|_| ()),
    }
}

/// Like [`check_header`] but an empty file is an error; returns the page size and page count.
pub fn read_header(path: &Path) -> Result<(u32, u32), HeaderError> {
    let mut file = std::fs::File::open(path).map_err(|e| HeaderError::Io(e.to_string()))?;
    let len = file.metadata().map_err(|e| HeaderError::Io(e.to_string()))?.len();
    if len == 0 {
        return Err(HeaderError::Empty);
    }
    let mut header = [0u8; 100];
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => return Err(HeaderError::Io(e.to_string())),
        }
    }
    if read < 16 || &header[..16] != SQLITE_MAGIC {
        return Err(HeaderError::NotSqlite);
    }
    if read < 100 {
        return Err(HeaderError::Broken("the 100-byte header is cut short"));
    }
    let raw_page_size = u16::from_be_bytes([header[16], header[17]]) as u32;
    let page_size = if raw_page_size == 1 { 65_536 } else { raw_page_size };
    if !(512..=65_536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(HeaderError::Broken("invalid page size"));
    }
    if !matches!(header[18], 1 | 2) || !matches!(header[19], 1 | 2) {
        return Err(HeaderError::Broken("unknown file format version"));
    }
    if header[21] != 64 || header[22] != 32 || header[23] != 32 {
        return Err(HeaderError::Broken("invalid payload fractions"));
    }
    if len % page_size as u64 != 0 {
        return Err(HeaderError::Broken("the file is not a whole number of pages (truncated?)"));
    }
    let page_count = u32::from_be_bytes([header[28], header[29], header[30], header[31]]);
    let version_valid_for = u32::from_be_bytes([header[92], header[93], header[94], header[95]]);
    let change_counter = u32::from_be_bytes([header[24], header[25], header[26], header[27]]);
    // The in-header page count is only trusted when it was written by a modern SQLite (as the
    // file format documents); then a file shorter than it says has been truncated.
    if page_count != 0 && version_valid_for == change_counter && (page_count as u64) * (page_size as u64) > len {
        return Err(HeaderError::Broken("the file is shorter than its header says (truncated)"));
    }
    Ok((page_size, (len / page_size as u64) as u32))
}
