//! A segment: the unit that gets shipped. It holds whole transactions read from the WAL, as the
//! last version of each page they wrote (each page once), compressed, with a SHA-256 over every
//! byte so that a restore refuses a segment altered by even one bit.
//!
//! Layout, format version 1 (integers big-endian):
//!
//! | offset | bytes | field |
//! |---:|---:|---|
//! | 0 | 8 | magic `SSWALSEG` |
//! | 8 | 2 | format version, 1 |
//! | 10 | 1 | compression: 1 = zstd |
//! | 11 | 1 | flags: bit 0 set when there is a start position |
//! | 12 | 4 | page size |
//! | 16 | 4 | database size in pages after the last transaction |
//! | 20 | 4 | pages stored |
//! | 24 | 8 | first transaction id |
//! | 32 | 8 | last transaction id |
//! | 40 | 8 | read at, Unix milliseconds |
//! | 48 | 25 | generation id, ASCII |
//! | 73 | 3 | zero |
//! | 76 | 28 | start WAL position (zero without one): salt-1, salt-2, checkpoint sequence, frame index, checksum s0, s1, page size |
//! | 104 | 28 | end WAL position, the same fields |
//! | 132 | … | zstd frame: for each page in ascending page number, its number (4 bytes) and its bytes |
//! | end − 32 | 32 | SHA-256 of every byte before it |
//!
//! The checksum is a trailer so a segment streams out in one pass: the pages of a large
//! transaction (a `VACUUM` rewrites every page) go from the WAL through the compressor to the
//! output without being held in memory.
//!
//! Writing and reading the bytes is in `segment_file.rs`; compression is zstd level 1, see
//! [`super::codec`] for the measurement behind the choice.

use super::{
    base::ReplicaPosition,
    error::{NameError, SegmentError},
    names::{GenerationId, SegmentName},
    wal::{Batch, WalPosition},
    wal_format::{WalChecksum, valid_page_size},
};
use chrono::{DateTime, Utc};

const MAGIC: &[u8; 8] = b"SSWALSEG";
pub const FORMAT_VERSION: u16 = 1;
const COMPRESSION_ZSTD: u8 = 1;
const FLAG_HAS_START: u8 = 1;
pub(crate) const HEADER_LEN: usize = 132;
const GENERATION_FIELD: std::ops::Range<usize> = 48..73;
const POSITION_LEN: usize = 28;

/// What a segment says about itself: which history, which transactions, the database size and
/// WAL position after them, and when they were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentHeader {
    pub generation: GenerationId,
    pub first_txid: u64,
    pub last_txid: u64,
    /// When the WAL was read, to the millisecond: every transaction here committed by then.
    pub read_at: DateTime<Utc>,
    pub page_size: u32,
    /// The database size in pages after the last transaction: a restore truncates or extends
    /// the file to it.
    pub db_size: u32,
    pub page_count: u32,
    /// The WAL position the segment continues from: the end of the previous segment, or the
    /// base's position.
    pub start: Option<WalPosition>,
    pub end: WalPosition,
}

impl SegmentHeader {
    /// The header of a segment holding `batch`, which must continue from `position` (the end of
    /// the last segment shipped, or the base): a batch read from another position is refused.
    pub fn following(position: &ReplicaPosition, batch: &Batch) -> Result<Self, SegmentError> {
        if batch.start() != position.wal.as_ref() {
            let show = |p: Option<&WalPosition>| p.map_or_else(|| "no WAL".to_string(), |p| p.to_string());
            return Err(SegmentError::DoesNotFollow {
                expected: show(position.wal.as_ref()),
                found: show(batch.start()),
            });
        }
        let header = SegmentHeader {
            generation: position.generation.clone(),
            first_txid: position.txid.saturating_add(1),
            last_txid: position.txid.saturating_add(u64::from(batch.transactions())),
            read_at: batch.read_at(),
            page_size: batch.page_size(),
            db_size: batch.db_size(),
            page_count: batch.page_count(),
            start: batch.start().copied(),
            end: *batch.end(),
        };
        header.check()?;
        Ok(header)
    }

    /// The segment's file name, from its transaction ids and read time.
    pub fn name(&self) -> Result<SegmentName, NameError> {
        SegmentName::new(self.first_txid, self.last_txid, self.read_at)
    }

    /// Where the replica must stand for this segment to apply.
    pub fn start_position(&self) -> ReplicaPosition {
        ReplicaPosition {
            generation: self.generation.clone(),
            txid: self.first_txid.saturating_sub(1),
            wal: self.start,
        }
    }

    /// Where the replica stands after it.
    pub fn end_position(&self) -> ReplicaPosition {
        ReplicaPosition { generation: self.generation.clone(), txid: self.last_txid, wal: Some(self.end) }
    }

    pub(crate) fn check(&self) -> Result<(), SegmentError> {
        let bad = |field: &'static str, reason: String| Err(SegmentError::Header { field, reason });
        if !valid_page_size(self.page_size) {
            return bad("page size", format!("{} is not a power of two from 512 to 65536", self.page_size));
        }
        if self.db_size == 0 {
            return bad("database size", "0 pages: a database has at least one".into());
        }
        if self.page_count > self.db_size {
            return bad("pages stored", format!("{} pages stored in a database of {}", self.page_count, self.db_size));
        }
        if self.first_txid == 0 || self.last_txid < self.first_txid {
            return bad(
                "transaction ids",
                format!("{}..{} is not a range starting at 1 or more", self.first_txid, self.last_txid),
            );
        }
        self.name().map_err(|e| SegmentError::Header { field: "read at", reason: e.reason.to_string() })?;
        for (field, position) in [("start position", self.start.as_ref()), ("end position", Some(&self.end))] {
            if let Some(p) = position
                && p.page_size != self.page_size
            {
                return bad(field, format!("page size {} differs from the segment's {}", p.page_size, self.page_size));
            }
        }
        if self.end.frame_index == 0 {
            return bad("end position", "frame 0: a segment ends on a commit frame".into());
        }
        if let Some(start) = &self.start
            && start.salt1 == self.end.salt1
            && start.salt2 == self.end.salt2
            && start.frame_index >= self.end.frame_index
        {
            return bad(
                "end position",
                format!("frame {} is not after the start, frame {}", self.end.frame_index, start.frame_index),
            );
        }
        Ok(())
    }

    pub(crate) fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..8].copy_from_slice(MAGIC);
        out[8..10].copy_from_slice(&FORMAT_VERSION.to_be_bytes());
        out[10] = COMPRESSION_ZSTD;
        out[11] = if self.start.is_some() { FLAG_HAS_START } else { 0 };
        out[12..16].copy_from_slice(&self.page_size.to_be_bytes());
        out[16..20].copy_from_slice(&self.db_size.to_be_bytes());
        out[20..24].copy_from_slice(&self.page_count.to_be_bytes());
        out[24..32].copy_from_slice(&self.first_txid.to_be_bytes());
        out[32..40].copy_from_slice(&self.last_txid.to_be_bytes());
        out[40..48].copy_from_slice(&self.read_at.timestamp_millis().to_be_bytes());
        out[GENERATION_FIELD].copy_from_slice(self.generation.as_str().as_bytes());
        if let Some(start) = &self.start {
            put_position(&mut out[76..76 + POSITION_LEN], start);
        }
        put_position(&mut out[104..104 + POSITION_LEN], &self.end);
        out
    }

    pub(crate) fn parse(bytes: &[u8; HEADER_LEN]) -> Result<Self, SegmentError> {
        let bad = |field: &'static str, reason: String| SegmentError::Header { field, reason };
        let u32_at = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let u64_at = |i: usize| (u64::from(u32_at(i)) << 32) | u64::from(u32_at(i + 4));
        check_magic_and_version(bytes)?;
        if bytes[10] != COMPRESSION_ZSTD {
            return Err(bad("compression", format!("{} is unknown; 1 (zstd) is the only one", bytes[10])));
        }
        if bytes[11] & !FLAG_HAS_START != 0 {
            return Err(bad("flags", format!("{:#04x} has bits this version does not know", bytes[11])));
        }
        if bytes[73..76] != [0, 0, 0] || (bytes[11] & FLAG_HAS_START == 0 && bytes[76..104].iter().any(|&b| b != 0)) {
            return Err(bad("reserved bytes", "they are not zero".into()));
        }
        let generation = std::str::from_utf8(&bytes[GENERATION_FIELD])
            .map_err(|_| bad("generation id", "it is not ASCII".into()))
            .and_then(|g| GenerationId::parse(g).map_err(|e| bad("generation id", e.to_string())))?;
        let read_ms = u64_at(40) as i64;
        let read_at = DateTime::<Utc>::from_timestamp_millis(read_ms)
            .ok_or_else(|| bad("read at", format!("{read_ms} ms is not a representable time")))?;
        let header = SegmentHeader {
            generation,
            first_txid: u64_at(24),
            last_txid: u64_at(32),
            read_at,
            page_size: u32_at(12),
            db_size: u32_at(16),
            page_count: u32_at(20),
            start: (bytes[11] & FLAG_HAS_START != 0).then(|| get_position(&bytes[76..76 + POSITION_LEN])),
            end: get_position(&bytes[104..104 + POSITION_LEN]),
        };
        header.check()?;
        Ok(header)
    }
}

pub(crate) fn check_magic_and_version(bytes: &[u8]) -> Result<(), SegmentError> {
    if bytes.get(..8) != Some(&MAGIC[..]) {
        let found = bytes.iter().take(8).map(|&b| std::ascii::escape_default(b).to_string()).collect();
        return Err(SegmentError::BadMagic { found, expected: String::from_utf8_lossy(MAGIC).into_owned() });
    }
    let found = u16::from_be_bytes([bytes.get(8).copied().unwrap_or(0), bytes.get(9).copied().unwrap_or(0)]);
    if found != FORMAT_VERSION {
        return Err(SegmentError::UnsupportedVersion { found, supported: FORMAT_VERSION });
    }
    Ok(())
}

fn put_position(out: &mut [u8], p: &WalPosition) {
    let words = [p.salt1, p.salt2, p.checkpoint_seq, p.frame_index, p.checksum.s0, p.checksum.s1, p.page_size];
    for (chunk, word) in out.chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
}

fn get_position(bytes: &[u8]) -> WalPosition {
    let w = |i: usize| u32::from_be_bytes([bytes[i * 4], bytes[i * 4 + 1], bytes[i * 4 + 2], bytes[i * 4 + 3]]);
    WalPosition {
        salt1: w(0),
        salt2: w(1),
        checkpoint_seq: w(2),
        frame_index: w(3),
        checksum: WalChecksum { s0: w(4), s1: w(5) },
        page_size: w(6),
    }
}
