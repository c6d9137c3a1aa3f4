//! A growable array in fixed-size chunks: pushing never copies what is stored and never holds
//! more than one chunk of spare room, where a `Vec` doubling towards tens of millions of
//! entries may hold almost as much spare as used (the UI's per-packet and per-event indexes).
//!
//! Under a memory budget (live capture running for hours, issue 17) the oldest full chunks can
//! be written to a temporary [`SpillFile`] and dropped from memory; reading an entry there
//! brings its chunk back into a small cache, so everything stays navigable.

use super::spill::SpillFile;
use std::cell::RefCell;
use std::rc::Rc;

const CHUNK: usize = 1 << 16;
/// Chunks read back from the file and kept decoded (an index is read in runs: the rows of a
/// screen, a scan forwards or backwards).
const CACHED: usize = 2;

/// An entry of fixed size that can be written out and read back as bytes (no `unsafe`: the
/// few index types write their fields in little-endian order).
pub trait Plain: Copy + Default {
    const SIZE: usize;
    fn put(&self, out: &mut Vec<u8>);
    fn take(b: &[u8]) -> Self;
}

impl Plain for u32 {
    const SIZE: usize = 4;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn take(b: &[u8]) -> Self {
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }
}

impl<const N: usize> Plain for [u32; N]
where
    [u32; N]: Default,
{
    const SIZE: usize = 4 * N;
    fn put(&self, out: &mut Vec<u8>) {
        for v in self {
            v.put(out);
        }
    }
    fn take(b: &[u8]) -> Self {
        std::array::from_fn(|k| u32::take(&b[4 * k..]))
    }
}

/// Chunks read back from a spill file, decoded, the most recent last (shared by the indexes
/// here and the connection summaries).
pub struct ReadCache<V> {
    entries: RefCell<Vec<(usize, Rc<V>)>>,
    cap: usize,
}

impl<V> ReadCache<V> {
    pub fn new(cap: usize) -> Self {
        ReadCache {
            entries: RefCell::new(Vec::new()),
            cap,
        }
    }

    /// Chunk `k`, from the cache or else from `load` (then cached, the oldest going).
    pub fn get_or_load(&self, k: usize, load: impl FnOnce() -> Option<V>) -> Option<Rc<V>> {
        let mut cache = self.entries.borrow_mut();
        if cache.last().is_some_and(|(n, _)| *n == k) {
            // The chunk read last (the usual case): nothing to reorder.
        } else if let Some(p) = cache.iter().position(|(n, _)| *n == k) {
            let hit = cache.remove(p);
            cache.push(hit);
        } else {
            let v = Rc::new(load()?);
            if cache.len() >= self.cap {
                cache.remove(0);
            }
            cache.push((k, v));
        }
        cache.last().map(|(_, v)| v.clone())
    }

    /// Chunk `k` changed (it is back in memory): drop the cached copy.
    pub fn forget(&self, k: usize) {
        self.entries.borrow_mut().retain(|(n, _)| *n != k);
    }

    /// What the cached chunks take, by `size` of each.
    pub fn bytes(&self, size: impl Fn(&V) -> usize) -> usize {
        self.entries.borrow().iter().map(|(_, v)| size(v)).sum()
    }
}

enum Chunk<T> {
    Mem(Vec<T>),
    /// Written to the spill file at this offset (always a full chunk).
    Out(u64),
}

pub struct Chunked<T> {
    chunks: Vec<Chunk<T>>,
    len: usize,
    /// Where spilled chunks go (made only when the first one is written).
    file: Option<SpillFile>,
    /// Recently read spilled chunks.
    cache: ReadCache<Vec<T>>,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
            file: None,
            cache: ReadCache::new(CACHED),
        }
    }
}

impl<T: Plain> Chunked<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push(&mut self, v: T) {
        if self.len.is_multiple_of(CHUNK) {
            self.chunks.push(Chunk::Mem(Vec::with_capacity(CHUNK)));
        }
        if let Some(Chunk::Mem(c)) = self.chunks.last_mut() {
            c.push(v);
        }
        self.len += 1;
    }

    pub fn get(&self, i: usize) -> Option<T> {
        if i >= self.len {
            return None;
        }
        let k = i / CHUNK;
        match self.chunks.get(k)? {
            Chunk::Mem(c) => c.get(i % CHUNK).copied(),
            Chunk::Out(off) => self.read_back(k, *off)?.get(i % CHUNK).copied(),
        }
    }

    fn read_back(&self, k: usize, off: u64) -> Option<Rc<Vec<T>>> {
        self.cache.get_or_load(k, || {
            let mut buf = Vec::new();
            if !self.file.as_ref()?.read(off, CHUNK * T::SIZE, &mut buf) {
                return None;
            }
            Some(buf.chunks_exact(T::SIZE).map(T::take).collect())
        })
    }

    /// Entry `i` to change; a spilled chunk is brought back into memory first (links are set
    /// on recent events, so this is rare).
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        if i >= self.len {
            return None;
        }
        let k = i / CHUNK;
        if let Chunk::Out(off) = self.chunks[k] {
            let c = self.read_back(k, off)?.to_vec();
            self.cache.forget(k);
            self.chunks[k] = Chunk::Mem(c);
        }
        match &mut self.chunks[k] {
            Chunk::Mem(c) => c.get_mut(i % CHUNK),
            Chunk::Out(_) => None,
        }
    }

    /// Write the oldest chunk still in memory to the spill file, keeping the newest `keep`
    /// chunks; returns the bytes of memory freed (0: nothing could be spilled).
    pub fn spill_oldest(&mut self, keep: usize) -> usize {
        let n = self.chunks.len().saturating_sub(keep);
        let Some(k) = self.chunks[..n]
            .iter()
            .position(|c| matches!(c, Chunk::Mem(v) if v.len() == CHUNK))
        else {
            return 0;
        };
        let file = self.file.get_or_insert_with(SpillFile::new);
        if !file.can_spill() {
            return 0;
        }
        let Chunk::Mem(c) = &self.chunks[k] else {
            return 0;
        };
        let off = file.append_with(|out| {
            out.reserve(CHUNK * T::SIZE);
            for v in c {
                v.put(out);
            }
        });
        self.chunks[k] = Chunk::Out(off);
        CHUNK * std::mem::size_of::<T>()
    }

    /// Bytes held in memory, spare room and the cache included.
    pub fn heap_bytes(&self) -> usize {
        let mem = self
            .chunks
            .iter()
            .filter(|c| matches!(c, Chunk::Mem(_)))
            .count();
        mem * CHUNK * std::mem::size_of::<T>()
            + self.cache.bytes(|c| c.len() * std::mem::size_of::<T>())
            + self.chunks.capacity() * std::mem::size_of::<Chunk<T>>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_and_reads_across_chunks() {
        let mut c = Chunked::default();
        for i in 0..(3 * CHUNK + 5) as u32 {
            c.push(i);
        }
        assert_eq!(c.len(), 3 * CHUNK + 5);
        assert_eq!(c.get(CHUNK), Some(CHUNK as u32));
        assert_eq!(c.get(3 * CHUNK + 4), Some(3 * CHUNK as u32 + 4));
        assert_eq!(c.get(3 * CHUNK + 5), None);
        *c.get_mut(7).unwrap() = 70;
        assert_eq!(c.get(7), Some(70));
        assert_eq!(
            c.heap_bytes() / (CHUNK * 4),
            4,
            "four chunks, no more: {}",
            c.heap_bytes()
        );
    }

    /// Spilled chunks read back as they were, through a cache of two, and one changed after
    /// spilling comes back into memory with its change.
    #[test]
    fn spilled_chunks_read_back() {
        let mut c: Chunked<[u32; 5]> = Chunked::default();
        let entry = |i: u32| [i, !i, i.wrapping_mul(7), i >> 3, 5];
        for i in 0..(4 * CHUNK + 9) as u32 {
            c.push(entry(i));
        }
        let before = c.heap_bytes();
        let one = CHUNK * 20;
        assert_eq!(c.spill_oldest(2), one);
        assert_eq!(c.spill_oldest(2), one);
        assert_eq!(c.spill_oldest(2), one, "the third full chunk");
        assert_eq!(c.spill_oldest(2), 0, "the newest two stay");
        assert_eq!(c.heap_bytes(), before - 3 * one);
        // Read every chunk, forwards then backwards.
        for i in (0..c.len()).chain((0..c.len()).rev()).step_by(97) {
            assert_eq!(c.get(i), Some(entry(i as u32)), "entry {i}");
        }
        assert!(c.heap_bytes() <= before - one, "at most two chunks cached");
        *c.get_mut(CHUNK + 3).unwrap() = [1, 2, 3, 4, 5];
        assert_eq!(c.get(CHUNK + 3), Some([1, 2, 3, 4, 5]));
        assert_eq!(c.get(CHUNK + 4), Some(entry(CHUNK as u32 + 4)));
        assert_eq!(c.spill_oldest(2), one, "spilled again");
        assert_eq!(c.get(CHUNK + 3), Some([1, 2, 3, 4, 5]));
    }
}
