//! Reading the committed transactions of `db.sqlite3-wal` with plain positioned reads: never
//! through SQLite, never opening the database or its `-shm` file, so a read can neither take a
//! lock nor trigger a checkpoint.
//!
//! What a read trusts is what SQLite's own recovery trusts: a frame counts only if its salts equal
//! the header's and the running checksum of the header and every frame before it holds, and a
//! transaction counts only once its commit frame (non-zero "database size") does. The first frame
//! that fails ends what can be read, exactly as SQLite ends the log there after a crash. Frames
//! after the last commit frame (a transaction still being written, or torn by a crash) are left
//! for a later read: a read returns whole transactions only.
//!
//! Damage, decided as follows:
//! - At the tail: a frame that fails its checksum with nothing committed after it cannot be told
//!   from one being written, so its transaction is simply not returned (yet).
//! - In the middle: a frame that fails its checksum while a later commit frame chains correctly
//!   from the checksum stored in it means SQLite wrote that transaction and the database sees it,
//!   but its bytes are gone: [`WalError::ContinuityBroken`].
//! - Already shipped: each read re-reads the frame the last position ended on; if its salts or
//!   stored running checksum differ, the WAL was truncated, replaced or rewritten behind the
//!   replica: [`WalError::ContinuityBroken`]. Bytes inside earlier shipped frames are not re-read
//!   on every read (that would cost the whole WAL each interval); [`verify_shipped`] re-reads them
//!   all, and is meant to run before each checkpoint copies them into the database.

mod scan;

use super::{
    error::{WalError, io_err},
    wal_format::{FRAME_HEADER_LEN, WalChecksum, WalHeader, check_frame},
};
use chrono::{DateTime, Utc};
use scan::{Attempt, for_each_frame, frame_len, open_wal, read_full_at, read_once};
use serde::{Deserialize, Serialize};
use std::{
    collections::BTreeMap,
    fmt,
    fs::File,
    ops::ControlFlow,
    path::{Path, PathBuf},
};

/// A read that finds the WAL header changed under it (SQLite restarted the WAL at that moment)
/// starts over; more than this many changes in a row is reported.
const READ_ATTEMPTS: usize = 3;

/// A point in the WAL: just after frame `frame_index` of the WAL whose header carries these salts
/// (0 is just after the header). The running checksum there is what the next frame must extend,
/// and what the frame at `frame_index` must still store for the WAL to follow this position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WalPosition {
    pub salt1: u32,
    pub salt2: u32,
    pub checkpoint_seq: u32,
    /// Frames consumed in this WAL, counted from 1 as SQLite counts them.
    pub frame_index: u32,
    pub checksum: WalChecksum,
    pub page_size: u32,
}

impl WalPosition {
    fn new(header: &WalHeader, frame_index: u32, checksum: WalChecksum) -> Self {
        WalPosition {
            salt1: header.salt1,
            salt2: header.salt2,
            checkpoint_seq: header.checkpoint_seq,
            frame_index,
            checksum,
            page_size: header.page_size,
        }
    }

    /// True when the position is in the WAL that `header` starts (the same salts).
    pub fn is_in(&self, header: &WalHeader) -> bool {
        self.salt1 == header.salt1 && self.salt2 == header.salt2
    }
}

impl fmt::Display for WalPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "frame {} of WAL {:08x}-{:08x} (checkpoint {}, checksum {:08x}{:08x})",
            self.frame_index, self.salt1, self.salt2, self.checkpoint_seq, self.checksum.s0, self.checksum.s1
        )
    }
}

/// How the WAL relates to the position a read started from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Continuity {
    /// No position was given: the read started at the first frame of the WAL there is.
    FirstRead,
    /// The same WAL, still ending the shipped chain where the position says.
    Continues,
    /// SQLite restarted the WAL since the position (new salts): its frames were overwritten from
    /// the first. Harmless only if everything up to the end of the old WAL had been shipped
    /// before the restart, which the WAL can no longer show; the caller decides (see
    /// [`WalRestart::follows_directly`]).
    Restarted(WalRestart),
    /// No WAL file, or one shorter than its header (after `wal_checkpoint(TRUNCATE)`, or with the
    /// database closed): nothing to read. The next WAL shows up as [`Continuity::Restarted`].
    NoWal,
}

/// The WAL restarted: the position was in one WAL, the file now starts another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalRestart {
    pub previous: WalPosition,
    pub header: WalHeader,
}

impl WalRestart {
    /// True when exactly one restart happened: SQLite increments salt-1 and the checkpoint
    /// sequence by one at each. False means at least one whole WAL went by unseen, or the file
    /// comes from another history (a restart of the process also re-seeds them).
    pub fn follows_directly(&self) -> bool {
        self.header.salt1 == self.previous.salt1.wrapping_add(1)
            && self.header.checkpoint_seq == self.previous.checkpoint_seq.wrapping_add(1)
    }
}

/// The outcome of a read: how the WAL relates to the position, and the complete transactions
/// committed after it, if any.
#[must_use = "a read says whether the WAL restarted; ship the batch, or start a new generation"]
#[derive(Debug)]
pub struct WalRead {
    pub continuity: Continuity,
    pub batch: Option<Batch>,
}

/// Complete transactions read from the WAL, as the latest version of each page they wrote. The
/// pages themselves stay in the WAL until [`Batch::for_each_page`] reads them (each checked
/// again), so a large transaction costs no memory beyond an index.
#[derive(Debug)]
pub struct Batch {
    start: Option<WalPosition>,
    end: WalPosition,
    db_size: u32,
    transactions: u32,
    frames: u32,
    read_at: DateTime<Utc>,
    path: PathBuf,
    header: WalHeader,
    pages: BTreeMap<u32, FrameRef>,
}

/// Where the latest version of a page is in the WAL, and the running checksum before that frame,
/// so reading it back can check it again.
#[derive(Debug, Clone, Copy)]
struct FrameRef {
    index: u32,
    before: WalChecksum,
}

impl Batch {
    /// The position the batch continues from (the `since` of the read).
    pub fn start(&self) -> Option<&WalPosition> {
        self.start.as_ref()
    }
    /// The position just after the batch's last commit frame: the `since` of the next read once
    /// the batch is safely shipped.
    pub fn end(&self) -> &WalPosition {
        &self.end
    }
    /// The database size in pages after the last transaction.
    pub fn db_size(&self) -> u32 {
        self.db_size
    }
    pub fn transactions(&self) -> u32 {
        self.transactions
    }
    /// WAL frames the batch consumed, pages written more than once included.
    pub fn frames(&self) -> u32 {
        self.frames
    }
    /// When the WAL was read (taken after the read): every transaction in the batch committed at
    /// or before this moment.
    pub fn read_at(&self) -> DateTime<Utc> {
        self.read_at
    }
    pub fn page_size(&self) -> u32 {
        self.header.page_size
    }
    /// Distinct pages, each counted once however often it was written.
    pub fn page_count(&self) -> u32 {
        u32::try_from(self.pages.len()).unwrap_or(u32::MAX)
    }
    pub fn page_numbers(&self) -> impl Iterator<Item = u32> + '_ {
        self.pages.keys().copied()
    }

    /// Reads the latest version of each page, in page order, and hands it to `f`. Each frame is
    /// checked again against the chain; one that changed since the batch was read gives
    /// [`WalError::Changed`] (the WAL restarted under a reader that did not hold a read
    /// transaction).
    pub fn for_each_page<E: From<WalError>>(&self, mut f: impl FnMut(u32, &[u8]) -> Result<(), E>) -> Result<(), E> {
        let file = File::open(&self.path).map_err(io_err("open", &self.path))?;
        let mut frame = vec![0u8; frame_len(&self.header)];
        for (&pgno, at) in &self.pages {
            let whole = read_full_at(&file, &mut frame, self.header.frame_offset(at.index))
                .map_err(io_err("read", &self.path))?;
            let same = whole && check_frame(&self.header, at.before, &frame).is_some_and(|(fh, _)| fh.pgno == pgno);
            if !same {
                let reason = format!("frame {} (page {pgno}) no longer holds what was read", at.index);
                return Err(WalError::Changed { path: self.path.clone(), reason }.into());
            }
            f(pgno, &frame[FRAME_HEADER_LEN..])?;
        }
        Ok(())
    }
}

/// Reads the transactions committed in the WAL at `wal_path` after `since` (from the first frame
/// when `None`), up to the last commit frame. A missing or empty WAL is not an error: there is
/// nothing new.
pub fn read_committed_since(wal_path: &Path, since: Option<&WalPosition>) -> Result<WalRead, WalError> {
    let mut outcome = read_once(wal_path, since)?;
    for _ in 1..READ_ATTEMPTS {
        match outcome {
            Attempt::Done(read) => return Ok(read),
            Attempt::HeaderMoved(_) => outcome = read_once(wal_path, since)?,
        }
    }
    match outcome {
        Attempt::Done(read) => Ok(read),
        Attempt::HeaderMoved(err) => Err(err),
    }
}

/// The position after the last commit frame of the WAL as it is now (the header's own position
/// when nothing is committed in it; `None` without a WAL). A base snapshot records this, read
/// while writes are held, as the point its segments continue from.
pub fn committed_end(wal_path: &Path) -> Result<Option<WalPosition>, WalError> {
    let read = read_committed_since(wal_path, None)?;
    if let Some(batch) = read.batch {
        return Ok(Some(batch.end));
    }
    match open_wal(wal_path)? {
        Some((_, header, _)) => Ok(Some(WalPosition::new(&header, 0, header.checksum))),
        None => Ok(None),
    }
}

/// Re-reads every frame from the start of the WAL up to `shipped` and checks that the chain still
/// holds and still ends in the checksum `shipped` records: the frames about to be checkpointed
/// into the database are the ones that were shipped. The WAL must be the one `shipped` is in.
pub fn verify_shipped(wal_path: &Path, shipped: &WalPosition) -> Result<(), WalError> {
    let broken = |reason: String| WalError::ContinuityBroken { path: wal_path.to_path_buf(), reason };
    let Some((file, header, total)) = open_wal(wal_path)? else {
        return Err(broken(format!("there is no WAL, but {shipped} was shipped from it")));
    };
    if !shipped.is_in(&header) {
        return Err(broken(format!(
            "the WAL now starts with salts {:08x}-{:08x}, not those of {shipped}",
            header.salt1, header.salt2
        )));
    }
    if shipped.frame_index > total {
        return Err(broken(format!(
            "the WAL holds {total} whole frames, fewer than the {} shipped",
            shipped.frame_index
        )));
    }
    let mut sum = header.checksum;
    let mut failed = None;
    for_each_frame(&file, &header, 0, shipped.frame_index, |index, frame| match check_frame(&header, sum, frame) {
        Some((_, after)) => {
            sum = after;
            ControlFlow::Continue(())
        }
        None => {
            failed = Some(index);
            ControlFlow::Break(())
        }
    })
    .map_err(io_err("read", wal_path))?;
    match failed {
        Some(index) => Err(broken(format!(
            "shipped frame {index} no longer passes its checksum: the WAL was damaged after it was shipped"
        ))),
        None if sum != shipped.checksum => {
            Err(broken(format!("the chain up to {shipped} now ends in checksum {:08x}{:08x}", sum.s0, sum.s1)))
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
