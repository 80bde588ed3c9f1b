use super::*;
use crate::backup::replica::{names::GenerationId, segment::HEADER_LEN, wal::WalPosition, wal_format::WalChecksum};
use chrono::DateTime;

fn position(salt1: u32, frame_index: u32) -> WalPosition {
    WalPosition {
        salt1,
        salt2: 0xabcd,
        checkpoint_seq: 7,
        frame_index,
        checksum: WalChecksum { s0: frame_index, s1: !frame_index },
        page_size: 1024,
    }
}

fn header(start: Option<WalPosition>, page_count: u32) -> SegmentHeader {
    SegmentHeader {
        generation: GenerationId::parse("20261130T140500Z-3f9a1c2e").expect("valid"),
        first_txid: 5,
        last_txid: 9,
        read_at: DateTime::from_timestamp_millis(1_764_511_500_123).unwrap_or_default(),
        page_size: 1024,
        db_size: 40,
        page_count,
        start,
        end: position(1, 30),
    }
}

/// Pages that compress somewhat, like real ones: a pattern with the page number in it.
fn pages(numbers: &[u32]) -> BTreeMap<u32, Vec<u8>> {
    numbers.iter().map(|&n| (n, (0..1024u32).map(|i| ((i * n) % 251) as u8).collect())).collect()
}

fn encoded(h: &SegmentHeader, p: &BTreeMap<u32, Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    let written = write_segment(h, p, &mut out).expect("writes");
    assert_eq!(written, out.len() as u64);
    out
}

/// Recomputes the trailer after an edit, as a forger (or a bug) would: what the header and body
/// checks behind the checksum must catch on their own.
fn resign(bytes: &mut [u8]) {
    let n = bytes.len() - TRAILER_LEN;
    let digest = Sha256::digest(&bytes[..n]);
    bytes[n..].copy_from_slice(&digest);
}

#[test]
fn round_trips_with_and_without_a_start_position() {
    for start in [Some(position(1, 12)), Some(position(0, 3)), None] {
        let p = pages(&[1, 2, 17, 40]);
        let h = header(start, 4);
        let bytes = encoded(&h, &p);
        let back = Segment::decode(&bytes).expect("decodes");
        assert_eq!(back.header, h);
        assert_eq!(back.pages, p.clone().into_iter().collect::<Vec<_>>());
        assert_eq!(back.header.start_position().txid, 4);
        assert_eq!(back.header.end_position().txid, 9);
        assert_eq!(h.name().expect("named").to_string(), "0000000000000005-0000000000000009-1764511500123.seg");
    }
}

#[test]
fn writing_refuses_pages_that_are_not_once_each_in_order() {
    let h = header(None, 2);
    let mut out = Vec::new();
    let too_many = pages(&[1, 2, 3]);
    assert!(write_segment(&h, &too_many, &mut out).expect_err("refused").to_string().contains("cannot follow page 2"));
    let beyond = pages(&[1, 41]);
    assert!(write_segment(&h, &beyond, &mut Vec::new()).expect_err("refused").to_string().contains("page 41"));
    let too_few = pages(&[1]);
    assert!(
        write_segment(&h, &too_few, &mut Vec::new()).expect_err("refused").to_string().contains("1 pages were given")
    );
    let mut short = pages(&[1, 2]);
    short.insert(2, vec![0; 100]);
    assert!(write_segment(&h, &short, &mut Vec::new()).expect_err("refused").to_string().contains("100 bytes"));
}

#[test]
fn any_flipped_byte_is_refused_and_named() {
    let bytes = encoded(&header(Some(position(1, 12)), 3), &pages(&[3, 4, 5]));
    for at in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[at] ^= 0x20;
        let err = Segment::decode(&bad).expect_err("a flipped byte must be refused").to_string();
        let expected = match at {
            0..8 => "not a SmallStack WAL segment",
            8..10 => "format version",
            _ => "SHA-256",
        };
        assert!(err.contains(expected), "byte {at}: {err}");
    }
    for len in [0, 5, 100, HEADER_LEN + TRAILER_LEN - 1, bytes.len() - 1] {
        assert!(Segment::decode(&bytes[..len]).is_err(), "cut to {len} bytes");
    }
    assert!(Segment::decode(&bytes[..100]).expect_err("short").to_string().contains("cut short"));
}

#[test]
fn header_fields_are_checked_behind_the_checksum() {
    let good = encoded(&header(Some(position(1, 12)), 2), &pages(&[3, 4]));
    let cases: [(usize, &[u8], &str); 10] = [
        (10, &[2], "compression"),
        (11, &[3], "flags"),
        (12, &3000u32.to_be_bytes(), "3000 is not a power of two"),
        (16, &0u32.to_be_bytes(), "database size"),
        (16, &1u32.to_be_bytes(), "2 pages stored in a database of 1"),
        (24, &0u64.to_be_bytes(), "transaction ids"),
        (32, &4u64.to_be_bytes(), "transaction ids"),
        (48, b"../", "generation id"),
        (74, &[1], "reserved"),
        (104 + 12, &0u32.to_be_bytes(), "end position"),
    ];
    for (at, value, expected) in cases {
        let mut bad = good.clone();
        bad[at..at + value.len()].copy_from_slice(value);
        resign(&mut bad);
        let err = Segment::decode(&bad).expect_err(expected).to_string();
        assert!(err.contains(expected), "{expected}: {err}");
    }
    // The end must be after the start in the same WAL.
    let mut bad = good.clone();
    bad[76 + 12..76 + 16].copy_from_slice(&30u32.to_be_bytes());
    resign(&mut bad);
    assert!(Segment::decode(&bad).expect_err("refused").to_string().contains("not after the start"));
}

#[test]
fn body_records_are_checked_behind_the_checksum() {
    let good = encoded(&header(None, 2), &pages(&[3, 4]));
    // The header claims three pages; the body has two.
    let mut bad = good.clone();
    bad[20..24].copy_from_slice(&3u32.to_be_bytes());
    resign(&mut bad);
    assert!(Segment::decode(&bad).expect_err("refused").to_string().contains("ends after 2 of 3 pages"));
    // The header claims one page; the body has two.
    let mut bad = good.clone();
    bad[20..24].copy_from_slice(&1u32.to_be_bytes());
    resign(&mut bad);
    assert!(Segment::decode(&bad).expect_err("refused").to_string().contains("data follows the 1 pages"));
    // A body that is not zstd.
    let mut bad = good.clone();
    let end = bad.len() - TRAILER_LEN;
    bad[HEADER_LEN..end].fill(0x55);
    resign(&mut bad);
    assert!(Segment::decode(&bad).expect_err("refused").to_string().contains("zstd"));
}

#[test]
fn files_are_verified_when_opened_and_stream_their_pages() {
    let dir = tempfile::tempdir().expect("temp dir");
    let h = header(Some(position(1, 12)), 3);
    let p = pages(&[1, 2, 40]);
    let bytes = encoded(&h, &p);
    let path = dir.path().join(h.name().expect("named").to_string());
    std::fs::write(&path, &bytes).expect("written");
    let file = SegmentFile::open(&path).expect("opens");
    assert_eq!(file.header(), &h);
    let mut seen = Vec::new();
    file.for_each_page(&mut |pgno, page| {
        seen.push((pgno, page.to_vec()));
        Ok(())
    })
    .expect("streams");
    assert_eq!(seen, p.into_iter().collect::<Vec<_>>());

    let mut bad = bytes.clone();
    bad[HEADER_LEN + 5] ^= 1;
    std::fs::write(&path, &bad).expect("written");
    assert!(SegmentFile::open(&path).expect_err("refused").to_string().contains("SHA-256"));
    std::fs::write(&path, &bytes[..HEADER_LEN]).expect("written");
    assert!(SegmentFile::open(&path).expect_err("refused").to_string().contains("cut short"));
    std::fs::write(&path, b"PK\x03\x04 a zip file").expect("written");
    assert!(SegmentFile::open(&path).expect_err("refused").to_string().contains("not a SmallStack WAL segment"));
}

#[test]
fn random_bytes_never_panic_the_decoder() {
    let good = encoded(&header(None, 2), &pages(&[3, 4]));
    let mut state = 0x853c_49e6_748f_ea9bu64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..3000 {
        let mut bytes = if round % 2 == 0 { good.clone() } else { (0..next() % 600).map(|_| next() as u8).collect() };
        for _ in 0..(next() % 4) {
            if !bytes.is_empty() {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = next() as u8;
            }
        }
        if round % 3 == 0 && bytes.len() > TRAILER_LEN {
            resign(&mut bytes);
        }
        let _ = Segment::decode(&bytes);
    }
}
