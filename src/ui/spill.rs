//! Where the UI keeps what it has received but is not looking at: packet bytes and decoded
//! events, appended to an unlinked temporary file (so nothing is left behind, even after a
//! crash) and read back when shown. Memory then holds only small fixed-size index entries per
//! packet and per event, so a capture of millions of packets, or a live capture running for
//! hours, does not grow the UI by its length (issue 17).
//!
//! Events are written in postcard's compact binary form; [`EventLog`] keeps one 4-byte offset
//! per event (relative to its block of 256) and reads a whole block back at a time, so the rows
//! of a screen cost one read.

use super::chunked::ReadCache;
use crate::event::Event;
use std::fs::File;
use std::os::unix::fs::FileExt;

/// Bytes gathered before they are written out.
const FLUSH_AT: usize = 1 << 20;

/// An append-only byte store: an unlinked temporary file behind a write buffer, or memory
/// alone when no temporary file can be made. The file is made when the buffer first fills, so
/// a small capture makes none.
pub struct SpillFile {
    file: Option<File>,
    /// Bytes in the file.
    written: u64,
    /// Bytes after `written`, not yet in the file.
    pending: Vec<u8>,
    /// Written out when `pending` reaches this ([`FLUSH_AT`]; smaller in tests).
    flush_at: usize,
    /// Writing failed once (or no file could be made, or none is wanted): nothing more is
    /// written.
    stuck: bool,
}

impl Default for SpillFile {
    fn default() -> Self {
        SpillFile::new()
    }
}

impl SpillFile {
    /// In `$TMPDIR` (or /tmp), removed from the directory at once so it goes when we do.
    pub fn new() -> Self {
        SpillFile {
            file: None,
            written: 0,
            pending: Vec::new(),
            flush_at: FLUSH_AT,
            stuck: false,
        }
    }

    /// Written out in pieces of `n` bytes (tests: many flush boundaries in a small capture).
    #[cfg(test)]
    pub fn flushing_at(self, n: usize) -> Self {
        SpillFile {
            flush_at: n,
            ..self
        }
    }

    /// Kept in memory only (tests, and the fallback when no temporary file can be made).
    pub fn in_memory() -> Self {
        SpillFile {
            stuck: true,
            ..SpillFile::new()
        }
    }

    pub fn len(&self) -> u64 {
        self.written + self.pending.len() as u64
    }

    /// Whether appending moves bytes out of memory (false: no file, or writing failed).
    pub fn can_spill(&self) -> bool {
        !self.stuck
    }

    /// Whether the bytes go to a file (false: they stay in memory).
    #[cfg(test)]
    pub fn on_disk(&self) -> bool {
        self.file.is_some()
    }

    /// Append `bytes`; returns where they start.
    pub fn append(&mut self, bytes: &[u8]) -> u64 {
        self.append_with(|v| v.extend_from_slice(bytes))
    }

    /// Append what `f` writes into the buffer; returns where it starts.
    pub fn append_with(&mut self, f: impl FnOnce(&mut Vec<u8>)) -> u64 {
        let at = self.len();
        f(&mut self.pending);
        if self.pending.len() >= self.flush_at {
            self.flush();
        }
        at
    }

    fn flush(&mut self) {
        if self.stuck {
            return;
        }
        if self.file.is_none() {
            self.file = temp_file();
        }
        let Some(file) = &self.file else {
            self.stuck = true;
            return;
        };
        match file.write_all_at(&self.pending, self.written) {
            Ok(()) => {
                self.written += self.pending.len() as u64;
                self.pending.clear();
            }
            // A full disk: what is in the file stays readable; the rest stays in memory.
            Err(_) => self.stuck = true,
        }
    }

    /// Copy `len` bytes from `off` into `buf` (replacing its contents); false if they are not
    /// all there.
    pub fn read(&self, off: u64, len: usize, buf: &mut Vec<u8>) -> bool {
        buf.clear();
        let Some(end) = off.checked_add(len as u64) else {
            return false;
        };
        if end > self.len() {
            return false;
        }
        buf.resize(len, 0);
        let in_file = end.min(self.written).saturating_sub(off) as usize;
        if in_file > 0 {
            let Some(f) = &self.file else { return false };
            if f.read_exact_at(&mut buf[..in_file], off).is_err() {
                return false;
            }
        }
        let rest = len - in_file;
        if rest > 0 {
            // The rest starts at or after the end of the file.
            let from = (off + in_file as u64 - self.written) as usize;
            buf[in_file..].copy_from_slice(&self.pending[from..from + rest]);
        }
        true
    }
}

fn temp_file() -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = std::env::temp_dir();
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = dir.join(format!("wslens-{}-{n}.spill", std::process::id()));
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .ok()?;
    // Unlinked at once: the open descriptor keeps it; nothing is left if we are killed.
    std::fs::remove_file(&path).ok()?;
    Some(f)
}

/// Events per block: one offset base per block, and the unit of reading back.
const BLOCK: usize = 256;
/// A block larger than this is not cached whole; its events are read one by one.
const CACHE_BLOCK_MAX: u64 = 4 << 20;
const CACHE_BLOCKS: usize = 16;

/// Decoded events in arrival order, kept encoded in a [`SpillFile`].
pub struct EventLog {
    bytes: SpillFile,
    /// Where each block's first event starts.
    base: Vec<u64>,
    /// Each event's start, relative to its block's base.
    rel: super::chunked::Chunked<u32>,
    /// Recently read blocks' bytes.
    cache: ReadCache<Vec<u8>>,
    scratch: Vec<u8>,
}

impl Default for EventLog {
    fn default() -> Self {
        EventLog::new(SpillFile::new())
    }
}

impl EventLog {
    pub fn new(bytes: SpillFile) -> Self {
        EventLog {
            bytes,
            base: Vec::new(),
            rel: Default::default(),
            cache: ReadCache::new(CACHE_BLOCKS),
            scratch: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.rel.len()
    }

    pub fn push(&mut self, ev: &Event) {
        let i = self.rel.len();
        self.scratch.clear();
        // Encoding into a Vec cannot fail for these types; an event that somehow did is kept
        // as an empty record and reads back as nothing.
        let scratch = std::mem::take(&mut self.scratch);
        self.scratch = postcard::to_extend(ev, scratch).unwrap_or_default();
        let at = self.bytes.append(&self.scratch);
        if i.is_multiple_of(BLOCK) {
            self.base.push(at);
        }
        let base = self.base[i / BLOCK];
        // A block spans far less than 4 GiB: events are bounded by the decoder's limits.
        self.rel.push(u32::try_from(at - base).unwrap_or(u32::MAX));
    }

    fn start(&self, i: usize) -> Option<u64> {
        Some(self.base.get(i / BLOCK)? + u64::from(self.rel.get(i)?))
    }

    fn end(&self, i: usize) -> u64 {
        self.start(i + 1).unwrap_or(self.bytes.len())
    }

    /// Event `i`, decoded again.
    pub fn get(&self, i: usize) -> Option<Event> {
        let start = self.start(i)?;
        let end = self.end(i);
        let b = i / BLOCK;
        let first = self.base[b];
        let last = self.end(((b + 1) * BLOCK).min(self.len()) - 1);
        if last - first > CACHE_BLOCK_MAX || last > self.bytes.len() {
            // Too large to keep whole: this event alone.
            let mut buf = Vec::new();
            if !self.bytes.read(start, (end - start) as usize, &mut buf) {
                return None;
            }
            return postcard::from_bytes(&buf).ok();
        }
        // The block's events so far (a block still filling is read again when it grows).
        let buf = self.cache.get_or_load(b, || {
            let mut buf = Vec::new();
            self.bytes
                .read(first, (last - first) as usize, &mut buf)
                .then_some(buf)
        })?;
        let (s, e) = ((start - first) as usize, (end - first) as usize);
        match buf.get(s..e) {
            Some(bytes) => postcard::from_bytes(bytes).ok(),
            None => {
                // Cached before this event was appended to its block: read it again.
                self.cache.forget(b);
                self.get(i)
            }
        }
    }

    /// Write the oldest chunk of offsets still in memory out (see [`Chunked::spill_oldest`]).
    ///
    /// [`Chunked::spill_oldest`]: super::chunked::Chunked::spill_oldest
    pub fn spill_oldest(&mut self, keep: usize) -> usize {
        self.rel.spill_oldest(keep)
    }

    /// Bytes of memory the index takes (not counting the file).
    pub fn index_bytes(&self) -> usize {
        self.rel.heap_bytes() + self.base.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event of every bundled capture reads back as it was written, from the file and
    /// from memory, whatever the block and flush boundaries.
    #[test]
    fn every_event_of_every_capture_reads_back_unchanged() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
        let (mut n, mut on_disk) = (0, 0);
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let ext = p.extension().and_then(|x| x.to_str());
            if !matches!(ext, Some("pcap" | "pcapng")) {
                continue;
            }
            let bytes = std::fs::read(&p).unwrap();
            let Ok(b) = crate::ui::source::decode_all(&bytes) else {
                continue;
            };
            let small = SpillFile::new().flushing_at(4096);
            for spill in [small, SpillFile::in_memory()] {
                let mut log = EventLog::new(spill);
                for ev in &b.events {
                    log.push(ev);
                }
                assert_eq!(log.len(), b.events.len());
                // Backwards, so blocks are read before and after others are cached.
                for (i, ev) in b.events.iter().enumerate().rev() {
                    assert_eq!(log.get(i).as_ref(), Some(ev), "{} event {i}", p.display());
                }
                n += b.events.len();
                on_disk += usize::from(log.bytes.on_disk());
            }
        }
        assert!(n > 10_000, "{n} events checked");
        assert!(on_disk > 0, "some captures' events went through the file");
    }

    #[test]
    fn a_block_read_while_filling_is_read_again_when_it_grows() {
        let b = crate::ui::source::decode_all(crate::ui::source::EMBEDDED).unwrap();
        let mut log = EventLog::new(SpillFile::in_memory());
        for (i, ev) in b.events.iter().enumerate() {
            log.push(ev);
            assert_eq!(log.get(i).as_ref(), Some(ev));
            assert_eq!(log.get(i / 2).as_ref(), b.events.get(i / 2));
        }
        assert!(log.get(b.events.len()).is_none());
    }

    /// A file that cannot be written (full disk; here a read-only descriptor): the bytes stay
    /// in memory and read back.
    #[test]
    fn a_failed_write_keeps_the_bytes_in_memory() {
        let mut s = SpillFile {
            file: File::open("/dev/null").ok(),
            written: 0,
            pending: Vec::new(),
            flush_at: FLUSH_AT,
            stuck: false,
        };
        let chunk = vec![7u8; FLUSH_AT + 3];
        s.append(&chunk);
        let at = s.append(b"tail");
        assert!(s.stuck);
        let mut buf = Vec::new();
        assert!(s.read(at, 4, &mut buf));
        assert_eq!(buf, b"tail");
        assert!(s.read(0, 5, &mut buf));
        assert_eq!(buf, [7; 5]);
    }

    #[test]
    fn spill_reads_across_the_file_and_the_buffer() {
        let mut s = SpillFile::new();
        assert!(!s.on_disk(), "no file before there is a buffer's worth");
        let chunk: Vec<u8> = (0..=255u8).cycle().take(FLUSH_AT - 7).collect();
        let a = s.append(&chunk);
        let b = s.append(b"0123456789abcdef");
        assert!(s.on_disk(), "a temporary file can be made here");
        assert_eq!((a, b), (0, chunk.len() as u64));
        let mut buf = Vec::new();
        assert!(s.read(b, 16, &mut buf));
        assert_eq!(buf, b"0123456789abcdef");
        assert!(s.read(b - 3, 10, &mut buf));
        assert_eq!(&buf[3..], b"0123456");
        assert!(!s.read(b, 17, &mut buf), "past the end");
        assert!(!s.read(u64::MAX, 2, &mut buf));
    }
}
