//! Writing a segment's bytes and reading them back: the header, the pages through the
//! compressor, the SHA-256 trailer; and on the way back the checks, in the order that names the
//! problem best (magic, version, checksum, header fields, page records).

use super::{
    error::SegmentError,
    segment::{HEADER_LEN, SegmentHeader, check_magic_and_version},
    wal::Batch,
};
use sha2::{Digest, Sha256};
use std::{
    collections::BTreeMap,
    fs::File,
    io::{self, BufReader, Read, Write},
    path::{Path, PathBuf},
};

const TRAILER_LEN: usize = 32;
/// What receives a segment's pages, one at a time: page number and bytes.
pub type PageSink<'a> = dyn FnMut(u32, &[u8]) -> Result<(), SegmentError> + 'a;

/// Where a segment's pages come from when it is written: a [`Batch`] (pages read from the WAL)
/// or pages held in memory.
pub trait PageSource {
    fn for_each_page(&self, f: &mut PageSink<'_>) -> Result<(), SegmentError>;
}

impl PageSource for Batch {
    fn for_each_page(&self, f: &mut PageSink<'_>) -> Result<(), SegmentError> {
        Batch::for_each_page(self, |pgno, page| f(pgno, page))
    }
}

impl PageSource for BTreeMap<u32, Vec<u8>> {
    fn for_each_page(&self, f: &mut PageSink<'_>) -> Result<(), SegmentError> {
        self.iter().try_for_each(|(&pgno, page)| f(pgno, page))
    }
}

/// Writes a segment: the header, the pages compressed, the SHA-256 trailer. The pages must be
/// exactly `header.page_count` distinct pages in ascending order within the database size.
/// Returns the number of bytes written. An error leaves a partial segment in `out`: write to a
/// temporary name and rename it once this returns `Ok`.
pub fn write_segment<W: Write>(header: &SegmentHeader, pages: &dyn PageSource, out: W) -> Result<u64, SegmentError> {
    header.check()?;
    let mut out = HashingWriter { inner: out, hasher: Sha256::new(), written: 0 };
    out.write_all(&header.encode()).map_err(write_err)?;
    let mut body = codec::compressor(out).map_err(write_err)?;
    let mut stored = 0u32;
    let mut last = 0u32;
    pages.for_each_page(&mut |pgno, page| {
        let in_order = pgno > last && pgno <= header.db_size && stored < header.page_count;
        if !in_order || page.len() != header.page_size as usize {
            return Err(misplaced(header, pgno, last, page.len()));
        }
        body.write_all(&pgno.to_be_bytes()).and_then(|()| body.write_all(page)).map_err(write_err)?;
        stored += 1;
        last = pgno;
        Ok(())
    })?;
    if stored != header.page_count {
        return Err(SegmentError::Body {
            reason: format!("{stored} pages were given for a header of {}", header.page_count),
        });
    }
    let mut out = body.finish().map_err(write_err)?;
    let digest = out.hasher.finalize_reset();
    out.inner.write_all(&digest).and_then(|()| out.inner.flush()).map_err(write_err)?;
    Ok(out.written + TRAILER_LEN as u64)
}

fn misplaced(header: &SegmentHeader, pgno: u32, last: u32, len: usize) -> SegmentError {
    let rule = format!(
        "pages go once each, ascending, {} in all, numbered up to {}, of {} bytes",
        header.page_count, header.db_size, header.page_size
    );
    SegmentError::Body { reason: format!("page {pgno} ({len} bytes) cannot follow page {last}: {rule}") }
}

fn write_err(source: io::Error) -> SegmentError {
    SegmentError::Io { op: "write", source }
}

struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A segment decoded in memory: for tests, inspection, and callers that hold small segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub header: SegmentHeader,
    pub pages: Vec<(u32, Vec<u8>)>,
}

impl Segment {
    /// Checks the magic, version and SHA-256, then the header, then every page record.
    pub fn decode(bytes: &[u8]) -> Result<Segment, SegmentError> {
        let header = verify_bytes(bytes)?;
        let body = &bytes[HEADER_LEN..bytes.len() - TRAILER_LEN];
        let mut pages = Vec::new();
        decode_body(&header, body, &mut |pgno, page| {
            pages.push((pgno, page.to_vec()));
            Ok(())
        })?;
        Ok(Segment { header, pages })
    }
}

fn verify_bytes(bytes: &[u8]) -> Result<SegmentHeader, SegmentError> {
    let min = (HEADER_LEN + TRAILER_LEN) as u64;
    if (bytes.len() as u64) < min {
        check_magic_and_version(bytes)?;
        return Err(SegmentError::TooShort { len: bytes.len() as u64, min });
    }
    check_magic_and_version(bytes)?;
    let (content, trailer) = bytes.split_at(bytes.len() - TRAILER_LEN);
    check_digest(&Sha256::digest(content), trailer)?;
    let head: &[u8; HEADER_LEN] = bytes.first_chunk().ok_or(SegmentError::TooShort { len: bytes.len() as u64, min })?;
    SegmentHeader::parse(head)
}

fn check_digest(computed: &[u8], stored: &[u8]) -> Result<(), SegmentError> {
    if computed == stored {
        return Ok(());
    }
    Err(SegmentError::ChecksumMismatch { stored: hex(stored), computed: hex(computed) })
}

/// A segment file checked whole (SHA-256 and header) when opened; its pages are then streamed
/// from the file, so applying a large segment needs no memory for its pages.
#[derive(Debug)]
pub struct SegmentFile {
    path: PathBuf,
    header: SegmentHeader,
    len: u64,
}

impl SegmentFile {
    pub fn open(path: &Path) -> Result<Self, SegmentError> {
        let io = |op| move |source| SegmentError::Io { op, source };
        let mut file = File::open(path).map_err(io("open"))?;
        let len = file.metadata().map_err(io("read the size of"))?.len();
        let min = (HEADER_LEN + TRAILER_LEN) as u64;
        let mut head = [0u8; HEADER_LEN];
        let got = read_up_to(&mut file, &mut head).map_err(io("read"))?;
        check_magic_and_version(&head[..got])?;
        if len < min || got < HEADER_LEN {
            return Err(SegmentError::TooShort { len, min });
        }
        let mut hasher = Sha256::new();
        hasher.update(head);
        let mut rest = (&mut file).take(len - min);
        io::copy(&mut rest, &mut hasher).map_err(io("read"))?;
        let mut trailer = [0u8; TRAILER_LEN];
        file.read_exact(&mut trailer).map_err(io("read"))?;
        check_digest(&hasher.finalize(), &trailer)?;
        let header = SegmentHeader::parse(&head)?;
        Ok(SegmentFile { path: path.to_path_buf(), header, len })
    }

    pub fn header(&self) -> &SegmentHeader {
        &self.header
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Streams the pages in ascending order, each checked against the header.
    pub fn for_each_page(&self, f: &mut PageSink<'_>) -> Result<(), SegmentError> {
        let io = |op| move |source| SegmentError::Io { op, source };
        let mut file = File::open(&self.path).map_err(io("open"))?;
        io::copy(&mut (&mut file).take(HEADER_LEN as u64), &mut io::sink()).map_err(io("read"))?;
        let body = BufReader::new(file.take(self.len - (HEADER_LEN + TRAILER_LEN) as u64));
        decode_body(&self.header, body, f)
    }
}

fn decode_body(header: &SegmentHeader, body: impl Read, f: &mut PageSink<'_>) -> Result<(), SegmentError> {
    let broken = |reason: String| SegmentError::Body { reason };
    let mut pages = codec::decompressor(body).map_err(|e| broken(format!("the zstd stream does not start: {e}")))?;
    let mut record = vec![0u8; 4 + header.page_size as usize];
    let mut last = 0u32;
    for n in 0..header.page_count {
        pages
            .read_exact(&mut record)
            .map_err(|e| broken(format!("the zstd stream ends after {n} of {} pages: {e}", header.page_count)))?;
        let pgno = u32::from_be_bytes([record[0], record[1], record[2], record[3]]);
        if pgno <= last || pgno > header.db_size {
            return Err(broken(format!("page {pgno} follows page {last} in a database of {} pages", header.db_size)));
        }
        f(pgno, &record[4..])?;
        last = pgno;
    }
    let mut extra = [0u8; 1];
    match pages.read(&mut extra) {
        Ok(0) => Ok(()),
        Ok(_) => Err(broken(format!("data follows the {} pages the header counts", header.page_count))),
        Err(e) => Err(broken(format!("the zstd stream does not end cleanly: {e}"))),
    }
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The compression of segment bodies: zstd at level 1.
///
/// Measured on real SQLite pages (this machine: 2 cores, shared with other builds while it ran,
/// so the speeds are low-side), first on all 2,551 pages of a 10 MB database shaped like
/// SmallStack's (20,000 users with argon2 hashes, their themes and presets), then on the 305
/// distinct pages that 3,000 theme saves wrote to the WAL:
///
/// | codec | ratio | compress MB/s | decompress MB/s |
/// |---|---|---|---|
/// | zstd 1 (chosen) | 3.11 / 3.14 | 231 / 223 | 721 / 639 |
/// | zstd 3 | 3.23 / 3.51 | 105 / 138 | 717 / 1004 |
/// | lz4_flex 0.11 | 2.27 / 2.11 | 304 / 269 | 1970 / 1369 |
/// | deflate 1 (flate2, already in the tree) | 2.50 / 2.33 | 117 / 101 | 216 / 258 |
///
/// A replica ships all day, so its bytes are upload bandwidth and storage every hour: zstd 1
/// makes them about a third smaller than lz4_flex at nearly the same compression speed, and
/// decompresses fast enough that a restore is bound by its writes. The price is building
/// libzstd's C once per clean target directory: 44 s of CPU (73 s wall on the 2 shared cores)
/// with default features off, against about 1 s for pure-Rust lz4_flex.
pub mod codec {
    use std::io::{self, Read, Write};

    /// Level 1: most of zstd's ratio at its highest speed; level 3 took twice the time for 4 to
    /// 12 % more on the pages measured above.
    pub const LEVEL: i32 = 1;

    pub(super) fn compressor<W: Write>(out: W) -> io::Result<zstd::stream::write::Encoder<'static, W>> {
        let mut encoder = zstd::stream::write::Encoder::new(out, LEVEL)?;
        // zstd's own checksum of the decompressed pages: a second check, behind the SHA-256, that
        // what is applied is what was compressed.
        encoder.include_checksum(true)?;
        Ok(encoder)
    }

    pub(super) fn decompressor<R: Read>(body: R) -> io::Result<impl Read> {
        let mut decoder = zstd::stream::read::Decoder::new(body)?;
        decoder = decoder.single_frame();
        Ok(decoder)
    }
}

#[cfg(test)]
#[path = "segment_tests.rs"]
mod tests;
