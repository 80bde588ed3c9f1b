//! The reader against real WAL files written by SQLite: copies of a live database's WAL,
//! torn, damaged and cut, classified as the module documentation says.

use super::*;
use rusqlite::{Connection, params};
use std::{fs, path::Path};
use tempfile::TempDir;

/// A live database in WAL mode that never checkpoints by itself.
struct Live {
    dir: TempDir,
    conn: Connection,
}

impl Live {
    fn new() -> Live {
        let dir = tempfile::tempdir().expect("temp dir");
        let conn = Connection::open(dir.path().join("db.sqlite3")).expect("open");
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
             CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
             CREATE INDEX items_name ON items (name);",
        )
        .expect("schema");
        Live { dir, conn }
    }

    fn wal(&self) -> PathBuf {
        self.dir.path().join("db.sqlite3-wal")
    }

    fn insert(&self, from: i64, count: i64) {
        let tx = self.conn.unchecked_transaction().expect("begin");
        for i in from..from + count {
            tx.execute("INSERT INTO items (id, name) VALUES (?1, ?2)", params![i, format!("item {i:05}")])
                .expect("insert");
        }
        tx.commit().expect("commit");
    }
}

/// Writes two transactions and returns the positions before, between and after them.
fn two_transactions(live: &Live) -> [WalPosition; 3] {
    let p0 = committed_end(&live.wal()).expect("p0").expect("a WAL");
    live.insert(10_000, 400);
    let p1 = committed_end(&live.wal()).expect("p1").expect("a WAL");
    live.insert(20_000, 400);
    let p2 = committed_end(&live.wal()).expect("p2").expect("a WAL");
    assert!(p2.frame_index - p1.frame_index >= 3, "the second transaction spans several frames");
    [p0, p1, p2]
}

/// A copy of the live WAL to damage freely.
fn wal_copy(live: &Live, name: &str) -> PathBuf {
    let path = live.dir.path().join(name);
    fs::copy(live.wal(), &path).expect("copy WAL");
    path
}

fn frame_offset(p: &WalPosition, index: u32) -> u64 {
    32 + u64::from(index - 1) * (24 + u64::from(p.page_size))
}

fn read_since(wal: &Path, since: &WalPosition) -> Result<(Continuity, Option<(u32, WalPosition)>), WalError> {
    let read = read_committed_since(wal, Some(since))?;
    Ok((read.continuity, read.batch.map(|b| (b.transactions(), *b.end()))))
}

#[test]
fn a_torn_tail_returns_only_whole_transactions() {
    let live = Live::new();
    let [p0, p1, p2] = two_transactions(&live);
    // Cut inside the last frame, inside the second transaction, and append garbage.
    for cut in [frame_offset(&p2, p2.frame_index) + 100, frame_offset(&p2, p1.frame_index + 2) + 10] {
        let wal = wal_copy(&live, "torn.wal");
        fs::OpenOptions::new().write(true).open(&wal).expect("open").set_len(cut).expect("cut");
        assert_eq!(read_since(&wal, &p0).expect("read"), (Continuity::Continues, Some((1, p1))));
        assert_eq!(read_since(&wal, &p1).expect("read"), (Continuity::Continues, None));
    }
    let wal = wal_copy(&live, "garbage.wal");
    let mut bytes = fs::read(&wal).expect("read");
    bytes.extend((0..10_000u32).map(|i| (i * 31 % 256) as u8));
    fs::write(&wal, bytes).expect("append");
    assert_eq!(read_since(&wal, &p0).expect("read"), (Continuity::Continues, Some((2, p2))));
}

#[test]
fn damaged_frames_are_classified_by_where_they_are() {
    let live = Live::new();
    let [p0, p1, p2] = two_transactions(&live);
    let flip = |name: &str, offset: u64| {
        let wal = wal_copy(&live, name);
        let mut bytes = fs::read(&wal).expect("read");
        bytes[offset as usize] ^= 0x01;
        fs::write(&wal, bytes).expect("write");
        wal
    };
    // The tail: the last transaction's commit frame is damaged. Nothing after it, so it is not
    // returned (it cannot be told from a frame being written).
    let wal = flip("tail.wal", frame_offset(&p2, p2.frame_index) + 24 + 9);
    assert_eq!(read_since(&wal, &p1).expect("read"), (Continuity::Continues, None));
    assert_eq!(read_since(&wal, &p0).expect("read"), (Continuity::Continues, Some((1, p1))));
    // The middle: a frame of the second transaction is damaged but its commit frame chains on:
    // SQLite committed it and the database sees it, so continuity is broken.
    let wal = flip("middle.wal", frame_offset(&p2, p1.frame_index + 1) + 24 + 9);
    let err = read_since(&wal, &p1).expect_err("broken");
    assert!(
        matches!(&err, WalError::ContinuityBroken { reason, .. } if reason.contains(&format!("frame {}", p1.frame_index + 1))),
        "{err}"
    );
    // Already shipped: the frame the position ends on stores another checksum.
    let wal = flip("anchor.wal", frame_offset(&p2, p2.frame_index) + 17);
    assert!(matches!(read_since(&wal, &p2), Err(WalError::ContinuityBroken { .. })));
    // Already shipped, inside a page: a read does not re-read shipped pages; verify_shipped does.
    let wal = flip("shipped.wal", frame_offset(&p2, 1) + 24 + 100);
    assert_eq!(read_since(&wal, &p2).expect("read"), (Continuity::Continues, None));
    let err = verify_shipped(&wal, &p2).expect_err("found");
    assert!(err.to_string().contains("shipped frame 1 no longer passes its checksum"), "{err}");
    verify_shipped(&live.wal(), &p2).expect("the intact WAL verifies");
    // Shorter than the shipped position with the same salts.
    let wal = wal_copy(&live, "short.wal");
    fs::OpenOptions::new()
        .write(true)
        .open(&wal)
        .expect("open")
        .set_len(frame_offset(&p2, p1.frame_index + 1))
        .expect("cut");
    let err = read_since(&wal, &p2).expect_err("broken");
    assert!(err.to_string().contains("truncated or replaced"), "{err}");
    // No WAL, or an empty one: nothing to read.
    assert_eq!(read_since(&live.dir.path().join("none.wal"), &p2).expect("read"), (Continuity::NoWal, None));
}
