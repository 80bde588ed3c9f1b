//! The names a replica is stored under: a generation id, and a segment's file name that says
//! which transactions it holds and when they were read. Every name read back from storage goes
//! through `parse()`, which refuses anything that is not exactly the written shape, so a listing
//! can be trusted to sort, and a name can never point outside the replica's folder.

use super::error::NameError;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

const GENERATION_STAMP: &str = "%Y%m%dT%H%M%SZ";
/// `YYYYMMDDTHHMMSSZ`
const GENERATION_STAMP_LEN: usize = 16;
const GENERATION_RANDOM_LEN: usize = 8;
const GENERATION_LEN: usize = GENERATION_STAMP_LEN + 1 + GENERATION_RANDOM_LEN;

/// One unbroken history of the database: a base and the segments that follow it without a gap.
/// A new one starts whenever continuity breaks. `YYYYMMDDTHHMMSSZ-xxxxxxxx` (the UTC start time
/// and 32 random bits), so generations list in the order they began.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GenerationId(String);

impl GenerationId {
    pub fn new(started: DateTime<Utc>) -> Self {
        GenerationId(format!("{}-{:08x}", started.format(GENERATION_STAMP), rand::random::<u32>()))
    }

    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let reject = |reason: &'static str| NameError { kind: "generation id", name: raw.to_string(), reason };
        let shape = "it is not YYYYMMDDTHHMMSSZ-xxxxxxxx (UTC time, 8 lowercase hex digits)";
        if raw.len() != GENERATION_LEN || !raw.is_ascii() {
            return Err(reject(shape));
        }
        let (stamp, rest) = raw.split_at(GENERATION_STAMP_LEN);
        let random = rest.strip_prefix('-').ok_or_else(|| reject(shape))?;
        if !random.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(reject(shape));
        }
        let digits_ok = stamp.bytes().enumerate().all(|(i, b)| match i {
            8 => b == b'T',
            15 => b == b'Z',
            _ => b.is_ascii_digit(),
        });
        if !digits_ok {
            return Err(reject(shape));
        }
        NaiveDateTime::parse_from_str(stamp, GENERATION_STAMP)
            .map_err(|_| reject("its date or time does not exist"))?;
        Ok(GenerationId(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GenerationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for GenerationId {
    type Error = NameError;
    fn try_from(raw: String) -> Result<Self, NameError> {
        GenerationId::parse(&raw)
    }
}

impl From<GenerationId> for String {
    fn from(id: GenerationId) -> String {
        id.0
    }
}

const TXID_DIGITS: usize = 16;
const MS_DIGITS: usize = 13;
const SEGMENT_SUFFIX: &str = ".seg";
const SEGMENT_NAME_LEN: usize = TXID_DIGITS + 1 + TXID_DIGITS + 1 + MS_DIGITS + SEGMENT_SUFFIX.len();
/// 2001-09-09: the first instant with 13 decimal digits of Unix milliseconds.
const MIN_READ_AT_MS: i64 = 1_000_000_000_000;
/// 2286-11-20: the last instant with 13 digits.
const MAX_READ_AT_MS: i64 = 9_999_999_999_999;

/// A segment's file name: `<first txid>-<last txid>-<read at>.seg`, the transaction ids as 16
/// lowercase hex digits and the read time as 13 decimal digits of Unix milliseconds, e.g.
/// `0000000000000001-0000000000000004-1764511500123.seg`. Transaction ids count the commits of a
/// generation from 1; each segment holds a contiguous range of them, so sorting names as plain
/// text sorts them in the order they apply, and a missing range is plain from a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SegmentName {
    first_txid: u64,
    last_txid: u64,
    read_at_ms: i64,
}

impl SegmentName {
    pub fn new(first_txid: u64, last_txid: u64, read_at: DateTime<Utc>) -> Result<Self, NameError> {
        let name = SegmentName { first_txid, last_txid, read_at_ms: read_at.timestamp_millis() };
        name.check().map_err(|reason| NameError { kind: "segment name", name: name.to_string(), reason })?;
        Ok(name)
    }

    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let reject = |reason: &'static str| NameError { kind: "segment name", name: raw.to_string(), reason };
        let shape = "it is not <16 hex digits>-<16 hex digits>-<13 digits of Unix ms>.seg";
        if raw.len() != SEGMENT_NAME_LEN || !raw.is_ascii() {
            return Err(reject(shape));
        }
        let stem = raw.strip_suffix(SEGMENT_SUFFIX).ok_or_else(|| reject(shape))?;
        let mut parts = stem.split('-');
        let (Some(first), Some(last), Some(ms), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(reject(shape));
        };
        let hex = |s: &str| {
            (s.len() == TXID_DIGITS && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
                .then(|| u64::from_str_radix(s, 16).ok())
                .flatten()
        };
        let (Some(first_txid), Some(last_txid)) = (hex(first), hex(last)) else {
            return Err(reject(shape));
        };
        let read_at_ms = (ms.len() == MS_DIGITS && ms.bytes().all(|b| b.is_ascii_digit()))
            .then(|| ms.parse::<i64>().ok())
            .flatten()
            .ok_or_else(|| reject(shape))?;
        let name = SegmentName { first_txid, last_txid, read_at_ms };
        name.check().map_err(reject)?;
        Ok(name)
    }

    fn check(&self) -> Result<(), &'static str> {
        if self.first_txid == 0 {
            return Err("transaction ids start at 1");
        }
        if self.last_txid < self.first_txid {
            return Err("its last transaction id is below its first");
        }
        if !(MIN_READ_AT_MS..=MAX_READ_AT_MS).contains(&self.read_at_ms) {
            return Err("its read time is outside 2001-09-09..2286-11-20");
        }
        Ok(())
    }

    pub fn first_txid(&self) -> u64 {
        self.first_txid
    }

    pub fn last_txid(&self) -> u64 {
        self.last_txid
    }

    /// When the segment's transactions were read from the WAL: each of them committed at or
    /// before this moment.
    pub fn read_at(&self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.read_at_ms).single().unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    pub fn read_at_ms(&self) -> i64 {
        self.read_at_ms
    }

    /// Where the segment lives in the replica: `<generation>/segments/<name>`.
    pub fn key(&self, generation: &GenerationId) -> String {
        format!("{generation}/segments/{self}")
    }
}

impl fmt::Display for SegmentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}-{:016x}-{:013}{SEGMENT_SUFFIX}", self.first_txid, self.last_txid, self.read_at_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(ms).single().expect("a valid instant")
    }

    #[test]
    fn segment_names_round_trip_and_sort_in_apply_order() {
        let name = SegmentName::new(1, 4, at(1_764_511_500_123)).expect("valid");
        assert_eq!(name.to_string(), "0000000000000001-0000000000000004-1764511500123.seg");
        assert_eq!(SegmentName::parse(&name.to_string()).expect("parses"), name);
        let generation = GenerationId::parse("20261130T140500Z-3f9a1c2e").expect("valid");
        assert_eq!(
            name.key(&generation),
            "20261130T140500Z-3f9a1c2e/segments/0000000000000001-0000000000000004-1764511500123.seg"
        );

        // Ranges that would sort wrongly as decimal (9 < 10 < 255 < 4096) and a later clock that
        // went backwards: text order must still be transaction order.
        let names = [
            SegmentName::new(1, 9, at(1_764_511_500_000)),
            SegmentName::new(10, 10, at(1_764_511_501_000)),
            SegmentName::new(11, 255, at(1_764_511_499_000)),
            SegmentName::new(256, 4096, at(1_764_511_502_000)),
            SegmentName::new(4097, u64::MAX, at(1_764_511_503_000)),
        ]
        .map(|n| n.expect("valid"));
        let mut text: Vec<String> = names.iter().rev().map(|n| n.to_string()).collect();
        text.sort();
        let parsed: Vec<SegmentName> = text.iter().map(|t| SegmentName::parse(t).expect("parses")).collect();
        assert_eq!(parsed, names);
    }

    #[test]
    fn bad_segment_names_are_refused_with_a_reason() {
        for (bad, why) in [
            ("", "is not"),
            ("0000000000000001-0000000000000004-1764511500123.seg.tmp", "is not"),
            ("0000000000000001-0000000000000004-1764511500123.SEG", "is not"),
            ("000000000000000A-0000000000000004-1764511500123.seg", "is not"),
            ("0000000000000001-0000000000000004-176451150012x.seg", "is not"),
            ("0000000000000001_0000000000000004_1764511500123.seg", "is not"),
            ("../00000000001-0000000000000004-1764511500123.seg", "is not"),
            ("0000000000000001-0000000000000004--764511500123.seg", "is not"),
            ("00000000000000001-000000000000004-1764511500123.seg", "is not"),
            ("0000000000000000-0000000000000004-1764511500123.seg", "start at 1"),
            ("0000000000000005-0000000000000004-1764511500123.seg", "below its first"),
            ("0000000000000001-0000000000000004-0000000000123.seg", "read time"),
        ] {
            let err = SegmentName::parse(bad).expect_err(bad);
            assert!(err.to_string().contains(why), "{bad}: {err}");
            assert!(err.to_string().contains(bad), "the error names the input: {err}");
        }
        assert!(SegmentName::new(3, 2, at(1_764_511_500_000)).is_err());
        assert!(SegmentName::new(1, 2, at(0)).is_err());
    }

    #[test]
    fn generation_ids_parse_strictly() {
        let id = GenerationId::new(at(1_764_511_500_000));
        assert!(id.as_str().starts_with("20251130T140500Z-"), "{id}");
        assert_eq!(GenerationId::parse(id.as_str()).expect("parses"), id);
        for bad in [
            "",
            "20261130T140500Z-3f9a1c2",
            "20261130T140500Z-3F9A1C2E",
            "20261130T140500Z_3f9a1c2e",
            "20261131T140500Z-3f9a1c2e",
            "2026113OT140500Z-3f9a1c2e",
            "../1130T140500Z-3f9a1c2e",
            "20261130T140500Z-3f9a1c2é",
        ] {
            assert!(GenerationId::parse(bad).is_err(), "{bad:?} must be refused");
        }
        let json = serde_json::to_string(&id).expect("serialises");
        assert_eq!(serde_json::from_str::<GenerationId>(&json).expect("deserialises"), id);
        assert!(serde_json::from_str::<GenerationId>("\"nope\"").is_err());
    }

    #[test]
    fn random_strings_never_panic_the_parsers() {
        let alphabet = b"0123456789abcdefTZ-.seg/xA\xc3\xa9";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..5000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 60) as usize;
            let bytes: Vec<u8> =
                (0..len).map(|i| alphabet[((state >> (i % 56)) as usize + i) % alphabet.len()]).collect();
            let raw = String::from_utf8_lossy(&bytes);
            let _ = SegmentName::parse(&raw);
            let _ = GenerationId::parse(&raw);
        }
    }
}
