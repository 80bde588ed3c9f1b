//! What can go wrong reading the WAL, coding a segment, and restoring from a replica. Each
//! message names the file or segment, the value found, and what to do about it.

use std::{io, path::PathBuf};

/// A generation id or segment name that is not exactly the shape this module writes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {name:?}: {reason}")]
pub struct NameError {
    pub kind: &'static str,
    pub name: String,
    pub reason: &'static str,
}

/// Why the WAL could not be read, or cannot be trusted to follow the last shipped position.
#[derive(Debug, thiserror::Error)]
pub enum WalError {
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The 32-byte header fails SQLite's own checks. SQLite treats such a WAL as empty; it can be
    /// seen for a moment while SQLite writes a new header, so one failed read is not a break.
    #[error(
        "the WAL header of {} is not valid: {reason}; SQLite ignores such a WAL, so read it again after the next \
         write, and if it stays so, start a new generation from a fresh base",
        path.display()
    )]
    InvalidHeader { path: PathBuf, reason: String },
    /// The WAL no longer follows the last shipped position: frames after it cannot be shipped as
    /// its continuation. The replica needs a new generation from a fresh base.
    #[error("continuity broken in {}: {reason}; start a new generation from a fresh base", path.display())]
    ContinuityBroken { path: PathBuf, reason: String },
    /// A frame read a moment ago no longer holds what it held: the WAL was restarted or rewritten
    /// while it was being read, which a held read transaction prevents. Reading again is safe.
    #[error("{} changed while it was being read: {reason}; read it again", path.display())]
    Changed { path: PathBuf, reason: String },
}

/// Why a segment could not be written or was refused when read back.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    #[error("cannot {op} the segment: {source}")]
    Io {
        op: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("the segment is {len} bytes, shorter than the {min} bytes of an empty one: it was cut short")]
    TooShort { len: u64, min: u64 },
    #[error("the segment starts with {found:?}, not the magic {expected:?}: this is not a SmallStack WAL segment")]
    BadMagic { found: String, expected: String },
    #[error(
        "the segment has format version {found}; this build reads version {supported} only: restore with a newer SmallStack"
    )]
    UnsupportedVersion { found: u16, supported: u16 },
    #[error(
        "the segment's SHA-256 is {computed} but its trailer says {stored}: its bytes were altered or cut short; \
         fetch it again from the remote, or restore to a moment before it"
    )]
    ChecksumMismatch { stored: String, computed: String },
    #[error("the segment header's {field} is not valid: {reason}")]
    Header { field: &'static str, reason: String },
    #[error("the segment's pages cannot be read back: {reason}")]
    Body { reason: String },
    /// A batch read from the WAL does not start where the replica stands (encoding only).
    #[error("the WAL batch does not follow the replica: the replica ends at {expected}, the batch starts at {found}")]
    DoesNotFollow { expected: String, found: String },
    #[error(transparent)]
    Wal(#[from] WalError),
}

/// Why a restore from a base and segments did not happen or stopped.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("segment {segment}: {source}")]
    Segment {
        segment: String,
        #[source]
        source: SegmentError,
    },
    #[error("{0}")]
    Name(#[from] NameError),
    /// The segments do not chain: a segment is missing, altered, or from another history.
    #[error(
        "the chain breaks after {after}: {problem}; restore to a moment before it, or allow stopping at the last good point"
    )]
    Gap { after: String, problem: String },
    #[error("nothing to restore from: {0}")]
    NoPlan(String),
    #[error("{} is not a database this replica can be applied to: {reason}", path.display())]
    Base { path: PathBuf, reason: String },
    #[error("the restored database {} fails integrity_check: {}", path.display(), problems.join("; "))]
    Integrity { path: PathBuf, problems: Vec<String> },
    #[error("cannot check {}: {source}", path.display())]
    Sql {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
}

pub(crate) fn io_err(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> WalError {
    let path = path.into();
    move |source| WalError::Io { op, path, source }
}

pub(crate) fn restore_io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> RestoreError {
    let path = path.into();
    move |source| RestoreError::Io { op, path, source }
}
