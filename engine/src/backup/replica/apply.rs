//! Restoring: writing segments, in chain order, onto a copy of a base, with plain file writes.
//! Each page goes to `(pgno - 1) * page_size`, and after each segment the file is cut or
//! extended to the database size its last transaction left, so after `k` segments the file is
//! the database exactly as of the end of the `k`-th: a prefix of whole transactions.

use super::{
    base::{BaseInfo, ReplicaPosition},
    error::{RestoreError, SegmentError, restore_io},
    names::SegmentName,
    plan::{OnBreak, Stopped},
    segment_file::SegmentFile,
};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};
use std::{
    fs::{File, OpenOptions},
    os::unix::fs::FileExt,
    path::{Path, PathBuf},
};

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// What a restore applied, and where the result stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The base's position, or the end of the last segment applied.
    pub position: ReplicaPosition,
    pub segments: usize,
    /// The read time of the last segment applied (the base's time when none was).
    pub reaches_time: DateTime<Utc>,
    /// Set when [`OnBreak::StopAtLastGood`] stopped at a segment that could not follow.
    pub stopped: Option<Stopped>,
}

/// Applies the segment files at `segments`, in the order given, to `db_path`, a copy of the
/// base that `base` describes (it is changed in place and fsynced; a non-empty `-wal` file next
/// to it is refused, since SQLite would read it over the restored pages). Each segment is checked whole
/// before any of its pages is written: its name, SHA-256 and header, that it belongs to the
/// base's generation, and that it starts exactly where the previous one ended. A segment that
/// fails is an error naming it, or with [`OnBreak::StopAtLastGood`] the end of the restore, the
/// file left as of the last good segment.
///
/// Run [`integrity_check`] on the result before installing it.
pub fn apply_segments(
    db_path: &Path,
    base: &BaseInfo,
    segments: &[impl AsRef<Path>],
    on_break: OnBreak,
) -> Result<Applied, RestoreError> {
    let file = OpenOptions::new().read(true).write(true).open(db_path).map_err(restore_io("open", db_path))?;
    check_base_file(&file, db_path, base.page_size)?;
    let mut applied = Applied { position: base.position(), segments: 0, reaches_time: base.taken_at, stopped: None };
    for path in segments {
        let path = path.as_ref();
        let segment = match open_in_chain(path, &applied.position, base.page_size) {
            Ok(segment) => segment,
            Err(refusal) => match on_break {
                OnBreak::StopAtLastGood => {
                    applied.stopped = Some(Stopped { at: path.display().to_string(), reason: refusal.to_string() });
                    break;
                }
                OnBreak::Refuse => return Err(refusal),
            },
        };
        write_pages(&file, db_path, &segment)?;
        let header = segment.header();
        applied.position = header.end_position();
        applied.reaches_time = header.read_at;
        applied.segments += 1;
    }
    file.sync_all().map_err(restore_io("fsync", db_path))?;
    Ok(applied)
}

/// Everything that can be known about a segment before writing any of it.
fn open_in_chain(path: &Path, at: &ReplicaPosition, page_size: u32) -> Result<SegmentFile, RestoreError> {
    let shown = path.display().to_string();
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let name = SegmentName::parse(file_name)?;
    let segment = SegmentFile::open(path).map_err(|source| RestoreError::Segment { segment: shown.clone(), source })?;
    let header = segment.header();
    let gap =
        |problem: String| RestoreError::Gap { after: at.to_string(), problem: format!("segment {shown}: {problem}") };
    if header.name().ok() != Some(name) {
        let inside = header.name().map(|n| n.to_string()).unwrap_or_default();
        return Err(gap(format!("its header says it is {inside}: it was renamed")));
    }
    if header.generation != at.generation {
        return Err(gap(format!("it belongs to generation {}", header.generation)));
    }
    let next = at.txid.saturating_add(1);
    if header.first_txid != next {
        let problem = if header.first_txid > next {
            format!("transactions {}..{} are missing", next, header.first_txid - 1)
        } else {
            format!("it starts at transaction {}, already applied", header.first_txid)
        };
        return Err(gap(problem));
    }
    if header.start != at.wal {
        let start = header.start.map_or_else(|| "no WAL".to_string(), |s| s.to_string());
        return Err(gap(format!("it continues from {start}, not from where the replica stands")));
    }
    if header.page_size != page_size {
        return Err(gap(format!("its pages are {} bytes, the base's {page_size}", header.page_size)));
    }
    Ok(segment)
}

fn write_pages(file: &File, db_path: &Path, segment: &SegmentFile) -> Result<(), RestoreError> {
    let header = segment.header();
    let page_size = u64::from(header.page_size);
    let mut write_failed = None;
    let result = segment.for_each_page(&mut |pgno, page| {
        file.write_all_at(page, u64::from(pgno - 1) * page_size).map_err(|e| {
            write_failed = Some(e);
            SegmentError::Body { reason: "write failed".into() }
        })
    });
    if let Some(e) = write_failed {
        return Err(restore_io("write", db_path)(e));
    }
    // The whole file was checked when it was opened, so this means it changed since, or a bug:
    // either way part of it is written and the output is unusable.
    result.map_err(|source| RestoreError::Segment {
        segment: format!("{} (after part of it was written: the output is unusable)", segment.path().display()),
        source,
    })?;
    file.set_len(u64::from(header.db_size) * page_size).map_err(restore_io("resize", db_path))
}

fn check_base_file(file: &File, path: &Path, page_size: u32) -> Result<(), RestoreError> {
    let mut head = [0u8; 100];
    let bad = |reason: String| RestoreError::Base { path: path.to_path_buf(), reason };
    file.read_exact_at(&mut head, 0).map_err(|e| bad(format!("its first 100 bytes cannot be read: {e}")))?;
    if &head[..16] != SQLITE_MAGIC {
        return Err(bad("it does not start with the SQLite header".into()));
    }
    let raw = u16::from_be_bytes([head[16], head[17]]);
    // SQLite stores 65536 as 1: it does not fit in 16 bits.
    let found = if raw == 1 { 65_536 } else { u32::from(raw) };
    if found != page_size {
        return Err(bad(format!("its page size is {found}, the base record says {page_size}")));
    }
    // SQLite would read a WAL left next to the file over the restored pages.
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let wal = PathBuf::from(wal);
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(bad(format!(
            "{} lies next to it, and SQLite would read its frames over the restored pages: \
             remove it, or restore into a fresh path",
            wal.display()
        )));
    }
    Ok(())
}

/// `PRAGMA integrity_check` on a restored file, opened read-only as immutable: nothing is
/// written next to it and no lock is taken. `Ok` only for SQLite's single "ok".
pub fn integrity_check(db_path: &Path) -> Result<(), RestoreError> {
    let sql = |source| RestoreError::Sql { path: db_path.to_path_buf(), source };
    let uri = format!("file:{}?immutable=1", uri_path(db_path));
    let conn =
        Connection::open_with_flags(uri, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI).map_err(sql)?;
    let mut stmt = conn.prepare("PRAGMA integrity_check").map_err(sql)?;
    let problems: Vec<String> =
        stmt.query_map([], |row| row.get::<_, String>(0)).map_err(sql)?.collect::<Result<_, _>>().map_err(sql)?;
    if problems.len() == 1 && problems[0] == "ok" {
        return Ok(());
    }
    Err(RestoreError::Integrity { path: db_path.to_path_buf(), problems })
}

/// The path for a `file:` URI: every byte but unreserved ones and `/` percent-encoded, so a `?`,
/// `#` or `%` in a directory name cannot be read as URI syntax.
fn uri_path(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::new();
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
