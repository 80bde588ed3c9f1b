//! The replica's core against real SQLite files in WAL mode: frames read incrementally from a
//! live database's WAL, shipped as segments, and applied to a copy of a base must reproduce the
//! database exactly as of each step, across WAL restarts too. (Torn and damaged WALs are tested
//! next to the reader, in `backup/replica/wal/tests.rs`.)

use engine::backup::replica::{
    BaseInfo, Continuity, GenerationId, OnBreak, ReplicaPosition, RestoreError, Segment, SegmentHeader, SegmentName,
    Target, WalPosition, WalRead, apply_segments, committed_end, integrity_check, plan_restore, read_committed_since,
    write_segment,
};
use rusqlite::{Connection, OpenFlags, params, types::Value};
use sha2::{Digest, Sha256};
use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};
use tempfile::TempDir;

/// A live database in WAL mode that never checkpoints by itself, as the replicator will run it.
struct Live {
    dir: TempDir,
    conn: Connection,
}

impl Live {
    fn new() -> Live {
        let dir = tempfile::tempdir().expect("temp dir");
        let conn = Connection::open(dir.path().join("db.sqlite3")).expect("open");
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; PRAGMA synchronous = NORMAL;
             CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL);
             CREATE INDEX items_name ON items (name);
             CREATE TABLE blobs (id INTEGER PRIMARY KEY AUTOINCREMENT, data BLOB NOT NULL);",
        )
        .expect("schema");
        Live { dir, conn }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("db.sqlite3")
    }

    fn wal(&self) -> PathBuf {
        self.dir.path().join("db.sqlite3-wal")
    }

    /// A second connection holding a read transaction: the WAL cannot restart behind it.
    fn pin(&self) -> Connection {
        let pin = Connection::open(self.db()).expect("open pin");
        pin.execute_batch("BEGIN; SELECT count(*) FROM items;").expect("pin");
        pin
    }

    fn exec(&self, sql: &str) {
        self.conn.execute_batch(sql).expect(sql);
    }

    fn insert(&self, from: i64, count: i64) {
        let tx = self.conn.unchecked_transaction().expect("begin");
        for i in from..from + count {
            tx.execute(
                "INSERT INTO items (id, name, qty) VALUES (?1, ?2, ?3)",
                params![i, format!("item {i:05}"), i * 7],
            )
            .expect("insert");
        }
        tx.commit().expect("commit");
    }

    /// The base: an online page copy taken while nothing writes, and the WAL position then.
    fn base(&self, generation: &GenerationId) -> (PathBuf, BaseInfo) {
        let path = self.dir.path().join("base.sqlite3");
        self.conn.backup("main", &path, None).expect("backup");
        let wal = committed_end(&self.wal()).expect("position");
        let page_size = self.conn.query_row("PRAGMA page_size", [], |r| r.get(0)).expect("page size");
        let info = BaseInfo { generation: generation.clone(), txid: 0, wal, taken_at: chrono::Utc::now(), page_size };
        (path, info)
    }
}

/// Each table's rows in rowid order, hashed: equal maps mean equal databases.
fn table_hashes(conn: &Connection) -> BTreeMap<String, String> {
    let mut tables = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").expect("list");
    let names: Vec<String> = tables.query_map([], |r| r.get(0)).expect("names").map(|n| n.expect("name")).collect();
    names
        .into_iter()
        .map(|table| {
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\" ORDER BY rowid")).expect("select");
            let columns = stmt.column_count();
            let mut rows = stmt.query([]).expect("rows");
            let mut hasher = Sha256::new();
            while let Some(row) = rows.next().expect("row") {
                for i in 0..columns {
                    hasher.update(format!("{:?}|", row.get::<_, Value>(i).expect("value")));
                }
                hasher.update(b"\n");
            }
            (table, format!("{:x}", hasher.finalize()))
        })
        .collect()
}

fn hashes_of_file(path: &Path) -> BTreeMap<String, String> {
    let uri = format!("file:{}?immutable=1", path.display());
    let conn = Connection::open_with_flags(uri, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI)
        .expect("open restored");
    table_hashes(&conn)
}

/// Ships a read as the replicator will: a segment file named from its header, then the new
/// position. Returns the segment's path and header.
fn ship(read: WalRead, at: &mut ReplicaPosition, dir: &Path) -> Option<(PathBuf, SegmentHeader)> {
    let batch = read.batch?;
    let header = SegmentHeader::following(at, &batch).expect("follows");
    let path = dir.join(header.name().expect("name").to_string());
    let mut out = fs::File::create(&path).expect("create segment");
    write_segment(&header, &batch, &mut out).expect("write segment");
    *at = header.end_position();
    Some((path, header))
}

/// Restores the base plus `segments` into a fresh file and returns its row hashes.
fn restore(base: &Path, info: &BaseInfo, segments: &[PathBuf], into: &Path) -> BTreeMap<String, String> {
    fs::copy(base, into).expect("copy base");
    let applied = apply_segments(into, info, segments, OnBreak::Refuse).expect("apply");
    assert_eq!(applied.segments, segments.len());
    integrity_check(into).expect("integrity_check ok");
    hashes_of_file(into)
}

/// One step of writes to the live database.
type Step = Box<dyn Fn(&Live)>;

#[test]
fn incremental_segments_restore_every_step_exactly() {
    let live = Live::new();
    live.insert(1, 50);
    let generation = GenerationId::new(chrono::Utc::now());
    let (base, info) = live.base(&generation);
    let mut at = info.position();
    let segdir = tempfile::tempdir().expect("segment dir");
    let steps: Vec<Step> = vec![
        Box::new(|l| l.insert(51, 300)),
        // Fifty transactions rewriting the same pages: each page stored once in the segment.
        Box::new(|l| {
            for i in 0..50 {
                l.exec(&format!(
                    "BEGIN; UPDATE items SET qty = qty + {i} WHERE id = 7; DELETE FROM items WHERE id = {}; COMMIT;",
                    100 + i
                ));
            }
        }),
        // Blobs spanning overflow pages.
        Box::new(|l| {
            l.exec("INSERT INTO blobs (data) SELECT randomblob(60000) FROM (SELECT 1 UNION SELECT 2 UNION SELECT 3);")
        }),
        Box::new(|l| {
            l.exec("DELETE FROM blobs WHERE id = 2; DELETE FROM items WHERE id > 200; UPDATE items SET name = upper(name);")
        }),
        // VACUUM goes through the WAL like any transaction, and shrinks the file.
        Box::new(|l| l.exec("VACUUM;")),
        // A passive checkpoint behind a pinned reader copies frames but cannot restart the WAL.
        Box::new(|l| {
            let _pin = l.pin();
            l.exec("PRAGMA wal_checkpoint(PASSIVE);");
            l.insert(1000, 20);
        }),
    ];
    let mut shipped = Vec::new();
    let mut expected = vec![table_hashes(&live.conn)];
    for (k, step) in steps.iter().enumerate() {
        step(&live);
        let read = read_committed_since(&live.wal(), at.wal.as_ref()).expect("read");
        assert_eq!(read.continuity, Continuity::Continues, "step {k}");
        let frames = read.batch.as_ref().map(|b| (b.frames(), b.page_count(), b.transactions())).expect("a batch");
        let (path, header) = ship(read, &mut at, segdir.path()).expect("shipped");
        let decoded = Segment::decode(&fs::read(&path).expect("read back")).expect("decodes");
        assert_eq!(decoded.header, header, "the header round-trips");
        let distinct: std::collections::BTreeSet<u32> = decoded.pages.iter().map(|(p, _)| *p).collect();
        assert_eq!(distinct.len(), decoded.pages.len(), "each page once");
        assert_eq!(decoded.pages.len() as u32, frames.1);
        if k == 1 {
            assert_eq!(frames.2, 50, "fifty transactions");
            assert!(frames.0 >= 100 && frames.1 < 10, "{frames:?}: many frames, few distinct pages");
        }
        let again = read_committed_since(&live.wal(), at.wal.as_ref()).expect("read again");
        assert!(again.batch.is_none(), "nothing new: no segment");
        shipped.push((path, header));
        expected.push(table_hashes(&live.conn));
    }
    assert_ne!(expected[0], expected[steps.len()]);
    // The prefix property: base + the first k segments is the live database as of step k.
    let paths: Vec<PathBuf> = shipped.iter().map(|(p, _)| p.clone()).collect();
    for k in 0..=paths.len() {
        let into = segdir.path().join(format!("restored-{k}.sqlite3"));
        assert_eq!(restore(&base, &info, &paths[..k], &into), expected[k], "after {k} segments");
    }
    // Point in time from the names alone: the segments read at or before each read time.
    let names: Vec<SegmentName> = shipped.iter().map(|(_, h)| h.name().expect("name")).collect();
    for (k, (_, header)) in shipped.iter().enumerate() {
        let plan = plan_restore(std::slice::from_ref(&info), &names, Target::At(header.read_at), OnBreak::Refuse)
            .expect("plan");
        assert_eq!(plan.segments, names[..=k], "target = read time of segment {k}");
    }

    // Damage: segment 3 altered. Refused, naming it; or stopped after segment 2, saying where.
    let mut bytes = fs::read(&paths[3]).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    fs::write(&paths[3], &bytes).expect("alter");
    let into = segdir.path().join("damaged.sqlite3");
    fs::copy(&base, &into).expect("copy");
    let err = apply_segments(&into, &info, &paths, OnBreak::Refuse).expect_err("refused");
    assert!(matches!(&err, RestoreError::Segment { segment, .. } if segment.contains(&names[3].to_string())), "{err}");
    fs::copy(&base, &into).expect("copy");
    let applied = apply_segments(&into, &info, &paths, OnBreak::StopAtLastGood).expect("stops");
    assert_eq!(applied.segments, 3);
    assert!(
        applied.stopped.as_ref().is_some_and(|s| s.at.contains(&names[3].to_string()) && s.reason.contains("SHA-256"))
    );
    integrity_check(&into).expect("the last good point is consistent");
    assert_eq!(hashes_of_file(&into), expected[3]);
    // A stale WAL next to the target would be read over the restored pages: refused.
    fs::copy(&base, &into).expect("copy");
    fs::write(segdir.path().join("damaged.sqlite3-wal"), b"stale").expect("stale WAL");
    let err = apply_segments(&into, &info, &paths[..1], OnBreak::Refuse).expect_err("refused");
    assert!(err.to_string().contains("damaged.sqlite3-wal lies next to it"), "{err}");
    fs::remove_file(segdir.path().join("damaged.sqlite3-wal")).expect("remove");
    // A gap: segment 1 left out.
    fs::copy(&base, &into).expect("copy");
    let skipping = [paths[0].clone(), paths[2].clone()];
    let err = apply_segments(&into, &info, &skipping, OnBreak::Refuse).expect_err("gap refused");
    assert!(err.to_string().contains("are missing"), "{err}");
}

/// How the WAL relates to `since`, and the transactions and end position of what is new.
fn read_since(wal: &Path, since: &WalPosition) -> (Continuity, Option<(u32, WalPosition)>) {
    let read = read_committed_since(wal, Some(since)).expect("read");
    (read.continuity, read.batch.map(|b| (b.transactions(), *b.end())))
}

#[test]
fn a_wal_restart_is_reported_and_segments_chain_across_it() {
    let live = Live::new();
    let generation = GenerationId::new(chrono::Utc::now());
    let (base, info) = live.base(&generation);
    let mut at = info.position();
    let segdir = tempfile::tempdir().expect("segment dir");
    let mut shipped = Vec::new();

    live.insert(1, 100);
    let read = read_committed_since(&live.wal(), at.wal.as_ref()).expect("read");
    shipped.push(ship(read, &mut at, segdir.path()).expect("shipped").0);
    let before = at.wal.expect("a position");

    // A pinned reader makes TRUNCATE give up (busy): the WAL keeps its frames.
    {
        let _pin = live.pin();
        live.conn.busy_timeout(Duration::ZERO).expect("no waiting");
        let busy: i64 = live.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0)).expect("checkpoint");
        assert_eq!(busy, 1, "busy behind the pin");
        assert_eq!(read_since(&live.wal(), &before), (Continuity::Continues, None));
        live.conn.busy_timeout(Duration::from_secs(5)).expect("default wait");
    }
    // Unpinned, TRUNCATE empties the file: no WAL, nothing new.
    live.exec("PRAGMA wal_checkpoint(TRUNCATE);");
    assert_eq!(fs::metadata(live.wal()).expect("wal").len(), 0);
    assert_eq!(read_since(&live.wal(), &before), (Continuity::NoWal, None));
    live.insert(200, 10);
    let read = read_committed_since(&live.wal(), at.wal.as_ref()).expect("read");
    let Continuity::Restarted(restart) = &read.continuity else {
        panic!("expected a restart, got {:?}", read.continuity)
    };
    assert!(restart.follows_directly(), "{restart:?}");
    assert_eq!(restart.previous, before);
    assert_ne!((restart.header.salt1, restart.header.salt2), (before.salt1, before.salt2));
    shipped.push(ship(read, &mut at, segdir.path()).expect("shipped").0);

    // RESTART leaves the old frames in the file until the next write starts a new WAL over them.
    let before = at.wal.expect("a position");
    live.exec("PRAGMA wal_checkpoint(RESTART);");
    assert!(fs::metadata(live.wal()).expect("wal").len() > 0);
    assert_eq!(read_since(&live.wal(), &before), (Continuity::Continues, None));
    live.exec("UPDATE items SET qty = -1 WHERE id = 5;");
    let read = read_committed_since(&live.wal(), at.wal.as_ref()).expect("read");
    assert!(matches!(&read.continuity, Continuity::Restarted(r) if r.follows_directly()), "{:?}", read.continuity);
    assert_eq!(read.batch.as_ref().map(|b| b.transactions()), Some(1), "stale frames of the old WAL are not read");
    shipped.push(ship(read, &mut at, segdir.path()).expect("shipped").0);

    let into = segdir.path().join("restored.sqlite3");
    assert_eq!(restore(&base, &info, &shipped, &into), table_hashes(&live.conn));
}

/// Printed, not asserted: how fast frames are read and segments written on a few thousand
/// pages of rows shaped like SmallStack's users table. `--nocapture` shows it.
#[test]
fn measurement_reading_and_encoding() {
    let live = Live::new();
    live.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT, hash TEXT);");
    let (_, info) = live.base(&GenerationId::new(chrono::Utc::now()));
    let insert = "INSERT INTO users (name, email, hash) VALUES (?1, ?2, ?3)";
    for chunk in 0..20i64 {
        let tx = live.conn.unchecked_transaction().expect("begin");
        for i in chunk * 2000..(chunk + 1) * 2000 {
            let hash = format!("$argon2id$v=19$m=19456,t=2,p=1${:x}", Sha256::digest(i.to_le_bytes()));
            let name = format!("user{i:05}");
            tx.execute(insert, params![name, format!("{name}@example.com"), hash]).expect("insert");
        }
        tx.commit().expect("commit");
    }

    let started = Instant::now();
    let read = read_committed_since(&live.wal(), info.wal.as_ref()).expect("read");
    let read_secs = started.elapsed().as_secs_f64();
    let batch = read.batch.expect("a batch");
    let header = SegmentHeader::following(&info.position(), &batch).expect("follows");
    let started = Instant::now();
    let mut out = Vec::new();
    write_segment(&header, &batch, &mut out).expect("encode");
    let encode_secs = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let decoded = Segment::decode(&out).expect("decode");
    let decode_secs = started.elapsed().as_secs_f64();
    assert_eq!(decoded.pages.len() as u32, batch.page_count());

    let mb = f64::from(batch.page_count()) * f64::from(batch.page_size()) / 1e6;
    let frames = f64::from(batch.frames());
    println!("replica measurement:");
    println!("  read {frames} frames in {:.1} ms: {:.0} frames/s", read_secs * 1e3, frames / read_secs);
    println!(
        "  {} distinct pages ({mb:.1} MB) encoded in {:.1} ms: {:.0} MB/s, ratio {:.2}",
        batch.page_count(),
        encode_secs * 1e3,
        mb / encode_secs,
        mb * 1e6 / out.len() as f64
    );
    println!("  decoded in {:.1} ms: {:.0} MB/s", decode_secs * 1e3, mb / decode_secs);
}
