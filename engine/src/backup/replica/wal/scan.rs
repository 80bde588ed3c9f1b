//! The reading itself: the WAL header, the frame that anchors the last shipped position, the
//! frames after it in slices, and the check for damage with commits after it.

use super::{Batch, Continuity, FrameRef, WalPosition, WalRead, WalRestart};
use crate::backup::replica::{
    error::{WalError, io_err},
    wal_format::{FRAME_HEADER_LEN, FrameHeader, WAL_HEADER_LEN, WalChecksum, WalHeader, check_frame},
};
use chrono::{DateTime, Utc};
use std::{collections::BTreeMap, fs::File, io, ops::ControlFlow, os::unix::fs::FileExt, path::Path};

/// Frames are read in slices of about this many bytes: few system calls, little memory.
const READ_CHUNK_BYTES: usize = 256 * 1024;

pub(super) enum Attempt {
    Done(WalRead),
    /// A verdict of broken continuity was reached while the header changed under the read.
    HeaderMoved(WalError),
}

pub(super) fn read_once(path: &Path, since: Option<&WalPosition>) -> Result<Attempt, WalError> {
    let Some((file, header, total)) = open_wal(path)? else {
        return Ok(Attempt::Done(WalRead { continuity: Continuity::NoWal, batch: None }));
    };
    let broken = |reason: String| -> Result<Attempt, WalError> {
        let err = WalError::ContinuityBroken { path: path.to_path_buf(), reason };
        let mut now = [0u8; WAL_HEADER_LEN];
        let moved = read_full_at(&file, &mut now, 0).map_err(io_err("read", path))? && now != header.encode();
        if moved { Ok(Attempt::HeaderMoved(err)) } else { Err(err) }
    };
    let (continuity, from, sum) = match since {
        None => (Continuity::FirstRead, 0, header.checksum),
        Some(p) if p.is_in(&header) => {
            if p.checkpoint_seq != header.checkpoint_seq || p.page_size != header.page_size {
                return broken(format!(
                    "the WAL has the salts of {p} but checkpoint sequence {} and page size {} (not {} and {})",
                    header.checkpoint_seq, header.page_size, p.checkpoint_seq, p.page_size
                ));
            }
            if let Some(reason) = anchor_problem(&file, &header, total, p).map_err(io_err("read", path))? {
                return broken(reason);
            }
            (Continuity::Continues, p.frame_index, p.checksum)
        }
        Some(p) => (Continuity::Restarted(WalRestart { previous: *p, header }), 0, header.checksum),
    };
    let scan = scan(&file, &header, from, sum, total).map_err(io_err("read", path))?;
    if let Some(stop) = &scan.stop
        && let Some(reason) = damage_in_the_middle(&file, &header, stop, total).map_err(io_err("read", path))?
    {
        return broken(reason);
    }
    let read_at = ceil_to_millis(Utc::now());
    let batch = scan.committed.map(|(index, checksum)| {
        let mut pages = scan.pages;
        // Pages past the final size were cut off by a later commit (a VACUUM that shrank the file).
        pages.retain(|&pgno, _| pgno <= scan.db_size);
        Batch {
            start: since.copied(),
            end: WalPosition::new(&header, index, checksum),
            db_size: scan.db_size,
            transactions: scan.transactions,
            frames: index - from,
            read_at,
            path: path.to_path_buf(),
            header,
            pages,
        }
    });
    Ok(Attempt::Done(WalRead { continuity, batch }))
}

/// Segments record the read time to the millisecond. Rounding up keeps it true that every
/// transaction read committed at or before it; rounding down could put a commit just after it.
fn ceil_to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    let ms = t.timestamp_millis() + i64::from(!t.timestamp_subsec_nanos().is_multiple_of(1_000_000));
    DateTime::from_timestamp_millis(ms).unwrap_or(t)
}

/// The file, its parsed header and how many whole frames it holds; `None` when there is no WAL
/// or it is shorter than a header.
pub(super) fn open_wal(path: &Path) -> Result<Option<(File, WalHeader, u32)>, WalError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err("open", path)(e)),
    };
    let len = file.metadata().map_err(io_err("read the size of", path))?.len();
    let mut head = [0u8; WAL_HEADER_LEN];
    if len < WAL_HEADER_LEN as u64 || !read_full_at(&file, &mut head, 0).map_err(io_err("read", path))? {
        return Ok(None);
    }
    let header =
        WalHeader::parse(&head).map_err(|reason| WalError::InvalidHeader { path: path.to_path_buf(), reason })?;
    let total = header.whole_frames(len);
    Ok(Some((file, header, total)))
}

/// Why the WAL does not end the shipped chain at `p` any more, if it does not. SQLite never
/// rewrites a committed frame in place (only frames of the transaction it is writing), so the
/// frame at the position must still store the running checksum the position recorded.
fn anchor_problem(file: &File, header: &WalHeader, total: u32, p: &WalPosition) -> io::Result<Option<String>> {
    if p.frame_index == 0 {
        return Ok((p.checksum != header.checksum).then(|| format!("the WAL header no longer matches {p}")));
    }
    if p.frame_index > total {
        return Ok(Some(format!(
            "the WAL holds {total} whole frames but {p} was shipped: it was truncated or replaced"
        )));
    }
    let mut head = [0u8; FRAME_HEADER_LEN];
    if !read_full_at(file, &mut head, header.frame_offset(p.frame_index))? {
        return Ok(Some(format!("the WAL ends before {p}")));
    }
    let frame = FrameHeader::parse(&head);
    Ok((!frame.salts_match(header) || frame.checksum != p.checksum).then(|| {
        format!(
            "frame {} now stores salts {:08x}-{:08x} and checksum {:08x}{:08x}, not those of {p}: the WAL was rewritten behind the replica",
            p.frame_index, frame.salt1, frame.salt2, frame.checksum.s0, frame.checksum.s1
        )
    }))
}

#[derive(Debug, Default)]
struct Scan {
    /// Frame index and running checksum just after the last commit frame.
    committed: Option<(u32, WalChecksum)>,
    db_size: u32,
    transactions: u32,
    pages: BTreeMap<u32, FrameRef>,
    /// The first frame that failed, if one did before the end of the file.
    stop: Option<Stop>,
}

#[derive(Debug)]
struct Stop {
    index: u32,
    before: WalChecksum,
}

fn scan(file: &File, header: &WalHeader, from: u32, start: WalChecksum, total: u32) -> io::Result<Scan> {
    let mut out = Scan::default();
    let mut sum = start;
    let mut open: Vec<(u32, FrameRef)> = Vec::new();
    for_each_frame(file, header, from, total, |index, frame| match check_frame(header, sum, frame) {
        None => {
            out.stop = Some(Stop { index, before: sum });
            ControlFlow::Break(())
        }
        Some((fh, after)) => {
            open.push((fh.pgno, FrameRef { index, before: sum }));
            sum = after;
            if fh.db_size != 0 {
                out.pages.extend(open.drain(..));
                out.committed = Some((index, sum));
                out.db_size = fh.db_size;
                out.transactions += 1;
            }
            ControlFlow::Continue(())
        }
    })?;
    Ok(out)
}

/// Whether a commit frame chains correctly from the checksum stored in the failed frame: then
/// SQLite wrote the failed frame whole and committed after it, and its bytes were damaged since.
/// A torn or unfinished write has nothing committed after it, and a frame left over from an
/// earlier WAL has other salts. The failed frame is read once more before concluding, because a
/// frame can be caught half-written by a read racing SQLite's writer.
fn damage_in_the_middle(file: &File, header: &WalHeader, stop: &Stop, total: u32) -> io::Result<Option<String>> {
    let mut frame = vec![0u8; frame_len(header)];
    if !read_full_at(file, &mut frame, header.frame_offset(stop.index))? {
        return Ok(None);
    }
    let Some(head) = frame.first_chunk::<FRAME_HEADER_LEN>() else {
        return Ok(None);
    };
    let failed = FrameHeader::parse(head);
    if !failed.salts_match(header) {
        return Ok(None);
    }
    let mut sum = failed.checksum;
    let mut commit = None;
    for_each_frame(file, header, stop.index, total, |index, frame| match check_frame(header, sum, frame) {
        Some((fh, after)) => {
            sum = after;
            if fh.db_size != 0 {
                commit = Some(index);
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
        None => ControlFlow::Break(()),
    })?;
    let Some(commit) = commit else {
        return Ok(None);
    };
    if !read_full_at(file, &mut frame, header.frame_offset(stop.index))?
        || check_frame(header, stop.before, &frame).is_some()
    {
        return Ok(None);
    }
    Ok(Some(format!(
        "frame {} (page {}) fails its checksum, yet commit frame {commit} chains on from it: the WAL was damaged after SQLite wrote it",
        stop.index, failed.pgno
    )))
}

pub(super) fn frame_len(header: &WalHeader) -> usize {
    FRAME_HEADER_LEN + header.page_size as usize
}

/// Calls `f` with each whole frame after frame `from` up to frame `total` (1-based indexes),
/// reading a slice of frames at a time. Stops early at a short read: the file shrank.
pub(super) fn for_each_frame(
    file: &File,
    header: &WalHeader,
    from: u32,
    total: u32,
    mut f: impl FnMut(u32, &[u8]) -> ControlFlow<()>,
) -> io::Result<()> {
    let len = frame_len(header);
    let per_read = (READ_CHUNK_BYTES / len).max(1);
    let mut buf = vec![0u8; per_read * len];
    let mut done = from;
    while done < total {
        let want = per_read.min((total - done) as usize);
        let got = read_up_to_at(file, &mut buf[..want * len], header.frame_offset(done + 1))?;
        let whole = got / len;
        for frame in buf[..whole * len].chunks_exact(len) {
            done += 1;
            if f(done, frame).is_break() {
                return Ok(());
            }
        }
        if whole < want {
            return Ok(());
        }
    }
    Ok(())
}

/// Fills `buf` from `offset`; false if the file ends first.
pub(super) fn read_full_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<bool> {
    Ok(read_up_to_at(file, buf, offset)? == buf.len())
}

fn read_up_to_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
