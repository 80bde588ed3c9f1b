//! SQLite's write-ahead log on disk (<https://sqlite.org/fileformat2.html#walformat>, and the
//! comment at the top of `wal.c` in the bundled SQLite): a 32-byte header, then frames of a
//! 24-byte frame header and one page. Every integer is stored big-endian; only the checksums are
//! *computed* in the byte order the magic number names.

use serde::{Deserialize, Serialize};

pub(crate) const WAL_HEADER_LEN: usize = 32;
pub(crate) const FRAME_HEADER_LEN: usize = 24;
/// The magic number with the low bit clear: checksums computed little-endian.
const MAGIC_LITTLE: u32 = 0x377f_0682;
/// The magic number with the low bit set: checksums computed big-endian.
const MAGIC_BIG: u32 = 0x377f_0683;
/// The only WAL format version SQLite has ever written (3.7.0).
pub(crate) const WAL_FORMAT_VERSION: u32 = 3_007_000;
pub(crate) const MIN_PAGE_SIZE: u32 = 512;
pub(crate) const MAX_PAGE_SIZE: u32 = 65_536;

/// SQLite's running WAL checksum: two 32-bit sums that every frame extends, so the checksum
/// stored in a frame covers the header and every frame before it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WalChecksum {
    pub s0: u32,
    pub s1: u32,
}

impl WalChecksum {
    /// `walChecksumBytes`: reads `data` as pairs of 32-bit words (x0, x1) and does
    /// `s0 += x0 + s1; s1 += x1 + s0` with wrapping arithmetic. `data.len()` is a multiple of 8
    /// everywhere SQLite uses it (24-byte header prefix minus the checksum, 8 bytes of frame
    /// header, a page); a ragged tail would be a bug here, so it is left out of the sum.
    pub(crate) fn extend(self, big_endian: bool, data: &[u8]) -> Self {
        debug_assert_eq!(data.len() % 8, 0, "WAL checksums cover whole 8-byte pairs");
        let (words, _) = data.as_chunks::<8>();
        // Two monomorphised loops: the byte order is fixed per WAL, so no branch per word.
        if big_endian { sum(self, words, u32::from_be_bytes) } else { sum(self, words, u32::from_le_bytes) }
    }

    fn to_be(self) -> [u8; 8] {
        let mut out = [0; 8];
        out[..4].copy_from_slice(&self.s0.to_be_bytes());
        out[4..].copy_from_slice(&self.s1.to_be_bytes());
        out
    }
}

#[inline(always)]
fn sum(start: WalChecksum, words: &[[u8; 8]], word: impl Fn([u8; 4]) -> u32) -> WalChecksum {
    let (mut s0, mut s1) = (start.s0, start.s1);
    for &[a, b, c, d, e, f, g, h] in words {
        s0 = s0.wrapping_add(word([a, b, c, d])).wrapping_add(s1);
        s1 = s1.wrapping_add(word([e, f, g, h])).wrapping_add(s0);
    }
    WalChecksum { s0, s1 }
}

/// The 32-byte header that starts a WAL file. A new header (salt-1 incremented, salt-2 random,
/// checkpoint sequence + 1) is written each time SQLite restarts the WAL from its first frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalHeader {
    /// Magic 0x377f0683: checksums are computed on big-endian words (else little-endian).
    pub big_endian_checksums: bool,
    pub page_size: u32,
    pub checkpoint_seq: u32,
    pub salt1: u32,
    pub salt2: u32,
    /// The checksum of the first 24 bytes: the seed of the first frame's running checksum.
    pub checksum: WalChecksum,
}

impl WalHeader {
    /// Checks everything SQLite checks before it trusts a WAL: magic, format version, a page size
    /// that is a power of two in 512..=65536, and the header's own checksum. The error is the
    /// reason, for the caller to put next to the file's name.
    pub fn parse(bytes: &[u8; WAL_HEADER_LEN]) -> Result<Self, String> {
        let word = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let magic = word(0);
        let big_endian_checksums = match magic {
            MAGIC_LITTLE => false,
            MAGIC_BIG => true,
            other => {
                return Err(format!(
                    "its magic number is {other:#010x}, not {MAGIC_LITTLE:#010x} or {MAGIC_BIG:#010x}: this is not a SQLite WAL file"
                ));
            }
        };
        let version = word(4);
        if version != WAL_FORMAT_VERSION {
            return Err(format!("its format version is {version}; only {WAL_FORMAT_VERSION} exists"));
        }
        let page_size = word(8);
        if !valid_page_size(page_size) {
            return Err(format!("its page size is {page_size}, not a power of two from 512 to 65536"));
        }
        let stored = WalChecksum { s0: word(24), s1: word(28) };
        let computed = WalChecksum::default().extend(big_endian_checksums, &bytes[..24]);
        if stored != computed {
            return Err(format!(
                "its header checksum is {:08x}{:08x} but the header's bytes sum to {:08x}{:08x} (a torn or damaged header)",
                stored.s0, stored.s1, computed.s0, computed.s1
            ));
        }
        Ok(WalHeader {
            big_endian_checksums,
            page_size,
            checkpoint_seq: word(12),
            salt1: word(16),
            salt2: word(20),
            checksum: stored,
        })
    }

    /// The header's bytes, with the checksum recomputed: what SQLite writes for these values.
    pub fn encode(&self) -> [u8; WAL_HEADER_LEN] {
        let mut out = [0u8; WAL_HEADER_LEN];
        let magic = if self.big_endian_checksums { MAGIC_BIG } else { MAGIC_LITTLE };
        for (i, v) in [magic, WAL_FORMAT_VERSION, self.page_size, self.checkpoint_seq, self.salt1, self.salt2]
            .into_iter()
            .enumerate()
        {
            out[i * 4..i * 4 + 4].copy_from_slice(&v.to_be_bytes());
        }
        let sum = WalChecksum::default().extend(self.big_endian_checksums, &out[..24]);
        out[24..].copy_from_slice(&sum.to_be());
        out
    }

    pub(crate) fn frame_len(&self) -> u64 {
        FRAME_HEADER_LEN as u64 + u64::from(self.page_size)
    }

    /// Byte offset of frame `index` (1-based, as SQLite counts them).
    pub(crate) fn frame_offset(&self, index: u32) -> u64 {
        WAL_HEADER_LEN as u64 + u64::from(index.saturating_sub(1)) * self.frame_len()
    }

    /// How many whole frames a WAL file of `len` bytes holds (a torn last frame does not count).
    pub(crate) fn whole_frames(&self, len: u64) -> u32 {
        let frames = len.saturating_sub(WAL_HEADER_LEN as u64) / self.frame_len();
        u32::try_from(frames).unwrap_or(u32::MAX)
    }
}

pub(crate) fn valid_page_size(size: u32) -> bool {
    size.is_power_of_two() && (MIN_PAGE_SIZE..=MAX_PAGE_SIZE).contains(&size)
}

/// The 24-byte header in front of each page in the WAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    pub pgno: u32,
    /// The database size in pages after the commit, on a commit frame; 0 on every other frame.
    pub db_size: u32,
    pub salt1: u32,
    pub salt2: u32,
    pub checksum: WalChecksum,
}

impl FrameHeader {
    pub fn parse(bytes: &[u8; FRAME_HEADER_LEN]) -> Self {
        let word = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        FrameHeader {
            pgno: word(0),
            db_size: word(4),
            salt1: word(8),
            salt2: word(12),
            checksum: WalChecksum { s0: word(16), s1: word(20) },
        }
    }

    pub fn salts_match(&self, header: &WalHeader) -> bool {
        self.salt1 == header.salt1 && self.salt2 == header.salt2
    }
}

/// Checks one frame the way SQLite's `walDecodeFrame` does, given the running checksum of
/// everything before it: salts equal to the header's, a page number above zero, and a stored
/// checksum equal to the running checksum extended over the first 8 header bytes and the page.
/// Returns the running checksum after the frame when it is valid.
pub(crate) fn check_frame(header: &WalHeader, before: WalChecksum, frame: &[u8]) -> Option<(FrameHeader, WalChecksum)> {
    let head: &[u8; FRAME_HEADER_LEN] = frame.get(..FRAME_HEADER_LEN)?.try_into().ok()?;
    let page = frame.get(FRAME_HEADER_LEN..)?;
    let fh = FrameHeader::parse(head);
    if !fh.salts_match(header) || fh.pgno == 0 || page.len() != header.page_size as usize {
        return None;
    }
    let after = before.extend(header.big_endian_checksums, &head[..8]).extend(header.big_endian_checksums, page);
    (after == fh.checksum).then_some((fh, after))
}

/// Builds a valid frame (header and page) for tests: what SQLite would append after `before`.
#[cfg(test)]
pub(crate) fn encode_frame(
    header: &WalHeader,
    before: WalChecksum,
    pgno: u32,
    db_size: u32,
    page: &[u8],
) -> (Vec<u8>, WalChecksum) {
    let mut frame = Vec::with_capacity(FRAME_HEADER_LEN + page.len());
    for v in [pgno, db_size, header.salt1, header.salt2] {
        frame.extend_from_slice(&v.to_be_bytes());
    }
    let after = before.extend(header.big_endian_checksums, &frame[..8]).extend(header.big_endian_checksums, page);
    frame.extend_from_slice(&after.to_be());
    frame.extend_from_slice(page);
    (frame, after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(big: bool) -> WalHeader {
        WalHeader {
            big_endian_checksums: big,
            page_size: 4096,
            checkpoint_seq: 3,
            salt1: 0x1234_5678,
            salt2: 0x9abc_def0,
            checksum: WalChecksum::default(),
        }
    }

    #[test]
    fn checksum_matches_the_documented_recurrence() {
        // x = [1, 2, 3, 4] little-endian: s0 = 1, s1 = 2 + 1 = 3; s0 = 1 + 3 + 3 = 7, s1 = 3 + 4 + 7 = 14.
        let data: Vec<u8> = [1u32, 2, 3, 4].iter().flat_map(|w| w.to_le_bytes()).collect();
        assert_eq!(WalChecksum::default().extend(false, &data), WalChecksum { s0: 7, s1: 14 });
        let data: Vec<u8> = [1u32, 2, 3, 4].iter().flat_map(|w| w.to_be_bytes()).collect();
        assert_eq!(WalChecksum::default().extend(true, &data), WalChecksum { s0: 7, s1: 14 });
        // Wrapping, not overflowing: s0 = 1 + MAX + 2 = 2, then s1 = 2 + MAX + 2 = 3 (mod 2^32).
        let data: Vec<u8> = [u32::MAX, u32::MAX].iter().flat_map(|w| w.to_le_bytes()).collect();
        assert_eq!(WalChecksum { s0: 1, s1: 2 }.extend(false, &data), WalChecksum { s0: 2, s1: 3 });
    }

    #[test]
    fn header_round_trips_in_both_byte_orders() {
        for big in [false, true] {
            let bytes = header(big).encode();
            let parsed = WalHeader::parse(&bytes).expect("a header we encoded parses");
            assert_eq!(parsed.big_endian_checksums, big);
            assert_eq!(
                (parsed.page_size, parsed.checkpoint_seq, parsed.salt1, parsed.salt2),
                (4096, 3, 0x1234_5678, 0x9abc_def0)
            );
            assert_eq!(parsed.encode(), bytes);
        }
    }

    #[test]
    fn header_refusals_name_the_problem() {
        let good = header(false).encode();
        let with = |at: usize, value: u32| {
            let mut b = good;
            b[at..at + 4].copy_from_slice(&value.to_be_bytes());
            WalHeader::parse(&b).expect_err("must be refused")
        };
        assert!(with(0, 0xdead_beef).contains("magic number is 0xdeadbeef"));
        assert!(with(4, 3_007_001).contains("format version is 3007001"));
        assert!(with(8, 1000).contains("page size is 1000"));
        assert!(with(8, 131_072).contains("page size is 131072"));
        assert!(with(16, 1).contains("header checksum"));
    }

    #[test]
    fn frames_check_salts_page_number_and_chain() {
        let h = header(false);
        let page = vec![7u8; 4096];
        let (frame, after) = encode_frame(&h, h.checksum, 5, 0, &page);
        assert_eq!(check_frame(&h, h.checksum, &frame).map(|(f, c)| (f.pgno, c)), Some((5, after)));
        // Another running checksum before it: the chain does not hold.
        assert!(check_frame(&h, WalChecksum { s0: 1, s1: 0 }, &frame).is_none());
        // Page number zero is never valid.
        let (zero, _) = encode_frame(&h, h.checksum, 0, 0, &page);
        assert!(check_frame(&h, h.checksum, &zero).is_none());
        // Other salts: a frame left over from an earlier WAL.
        let other = WalHeader { salt2: 1, ..h };
        assert!(check_frame(&other, h.checksum, &frame).is_none());
        // One flipped byte in the page.
        let mut flipped = frame.clone();
        flipped[100] ^= 1;
        assert!(check_frame(&h, h.checksum, &flipped).is_none());
        // Short input.
        assert!(check_frame(&h, h.checksum, &frame[..100]).is_none());
    }

    #[test]
    fn random_bytes_never_panic_the_parsers() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let h = header(true);
        for _ in 0..2000 {
            let mut bytes = [0u8; WAL_HEADER_LEN];
            bytes.iter_mut().for_each(|b| *b = next() as u8);
            let _ = WalHeader::parse(&bytes);
            let len = (next() % 5000) as usize;
            let frame: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let _ = check_frame(&h, h.checksum, &frame);
        }
    }
}
