//! Continuous replication of the application database, the low-level core: reading committed
//! transactions from the WAL file, packing them into segments to ship, and restoring a base plus
//! segments to any shipped moment. No I/O here but plain file reads and writes (and SQLite for
//! the final `integrity_check`); the replicator task, the remote storage and the clock policy
//! build on it.
//!
//! # How the pieces fit
//!
//! 1. A generation starts with a base: while writes are held, snapshot the database and record
//!    [`committed_end`] of its WAL in a [`BaseInfo`] (transaction id 0).
//! 2. Every interval, [`read_committed_since`] the replica's position. [`Continuity`] says how the
//!    WAL relates to it (continues, restarted, absent); a [`Batch`] holds the complete
//!    transactions after it. [`SegmentHeader::following`] refuses a batch that does not start
//!    where the replica stands, [`write_segment`] streams it out, the segment is stored under
//!    [`SegmentName::key`], and only then does the replica's position become
//!    [`SegmentHeader::end_position`]. No batch, no segment.
//! 3. Before a checkpoint copies shipped frames into the database, [`verify_shipped`] re-reads
//!    them all.
//! 4. A restore: [`plan_restore`] picks the base and segment names from a listing,
//!    [`apply_segments`] writes them onto a copy of the base, [`integrity_check`] checks the
//!    result.
//!
//! # What "restore to a moment" can mean
//!
//! The WAL records no commit times. What is known is when each segment was read: every
//! transaction in a segment committed at or before its read time (the time is taken after the
//! read), and every transaction committed before a read is in that segment or an earlier one. A
//! restore to moment T applies the segments read at or before T, so the result holds every
//! transaction committed before the last read at or before T, none committed after T, and may
//! miss those committed in the last shipping interval before T: the granularity is one shipping
//! interval (1 s by default) plus the time a read takes. The result is always a prefix of whole
//! transactions, never part of one: segments end on commit frames and apply whole.
//!
//! # What keeps it sound, and what it leaves to the caller
//!
//! SQLite restarts the WAL (new salts, frames overwritten from the first) after a checkpoint has
//! copied every frame into the database and no reader uses the WAL. Frames not yet shipped are
//! lost to a restart unless a read transaction pins them, so the replicator holds one at all
//! times; the WAL cannot tell whether a restart it sees came after everything was shipped, so
//! [`Continuity::Restarted`] reports it and the caller, which knows whether it held the pin,
//! decides. Everything the WAL *can* show to be wrong (a shipped frame rewritten, the WAL shorter
//! than the position, a damaged frame with commits after it) is [`WalError::ContinuityBroken`]:
//! a new generation from a fresh base, never a segment that papers over a gap.

mod apply;
mod base;
mod error;
mod names;
mod plan;
mod segment;
mod segment_file;
mod wal;
mod wal_format;

pub use apply::{Applied, apply_segments, integrity_check};
pub use base::{BaseInfo, BaseInfoError, ReplicaPosition};
pub use error::{NameError, RestoreError, SegmentError, WalError};
pub use names::{GenerationId, SegmentName};
pub use plan::{OnBreak, RestorePlan, Stopped, Target, plan_restore};
pub use segment::{FORMAT_VERSION, SegmentHeader};
pub use segment_file::{PageSink, PageSource, Segment, SegmentFile, codec, write_segment};
pub use wal::{
    Batch, Continuity, WalPosition, WalRead, WalRestart, committed_end, read_committed_since, verify_shipped,
};
pub use wal_format::{WalChecksum, WalHeader};
