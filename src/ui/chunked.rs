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

/// A chunk's contents as written to a spill file and read back.
pub trait Codec: Sized {
    fn encode(&self, out: &mut Vec<u8>);
    fn decode(b: &[u8]) -> Option<Self>;
}

impl<T: Plain> Codec for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        out.reserve(self.len() * T::SIZE);
        for v in self {
            v.put(out);
        }
    }
    fn decode(b: &[u8]) -> Option<Self> {
        Some(b.chunks_exact(T::SIZE).map(T::take).collect())
    }
}

enum Chunk<V> {
    Mem(V),
    /// Written to the spill file: (offset, length).
    Out(u64, u32),
}

/// A chunk as read: in memory, or a cached copy read back from the spill file.
pub enum ChunkRef<'a, V> {
    Mem(&'a V),
    Cached(Rc<V>),
}

impl<V> std::ops::Deref for ChunkRef<'_, V> {
    type Target = V;
    fn deref(&self) -> &V {
        match self {
            ChunkRef::Mem(v) => v,
            ChunkRef::Cached(v) => v,
        }
    }
}

/// Chunks that can go to a temporary [`SpillFile`] and come back: the mechanism shared by the
/// fixed-size indexes ([`Chunked`]) and the connection summaries.
pub struct ChunkStore<V> {
    chunks: Vec<Chunk<V>>,
    /// Where spilled chunks go (made only when the first one is written).
    file: Option<SpillFile>,
    /// Recently read spilled chunks.
    cache: ReadCache<V>,
}

impl<V> Default for ChunkStore<V> {
    fn default() -> Self {
        ChunkStore {
            chunks: Vec::new(),
            file: None,
            cache: ReadCache::new(CACHED),
        }
    }
}

impl<V: Codec> ChunkStore<V> {
    pub fn push(&mut self, v: V) {
        self.chunks.push(Chunk::Mem(v));
    }

    /// The newest chunk, to fill (the newest chunks are never spilled).
    pub fn last_mut(&mut self) -> Option<&mut V> {
        match self.chunks.last_mut()? {
            Chunk::Mem(v) => Some(v),
            Chunk::Out(..) => None,
        }
    }

    /// Chunk `k`, read back if it was spilled.
    pub fn get(&self, k: usize) -> Option<ChunkRef<'_, V>> {
        match self.chunks.get(k)? {
            Chunk::Mem(v) => Some(ChunkRef::Mem(v)),
            &Chunk::Out(off, len) => self
                .cache
                .get_or_load(k, || {
                    let mut buf = Vec::new();
                    if !self.file.as_ref()?.read(off, len as usize, &mut buf) {
                        return None;
                    }
                    V::decode(&buf)
                })
                .map(ChunkRef::Cached),
        }
    }

    /// Chunk `k` to change: a spilled one is brought back into memory first (and spilled
    /// again when the budget asks).
    pub fn get_mut(&mut self, k: usize) -> Option<&mut V>
    where
        V: Clone,
    {
        if let Some(Chunk::Out(..)) = self.chunks.get(k) {
            let v = match self.get(k)? {
                ChunkRef::Cached(rc) => {
                    self.cache.forget(k);
                    Rc::try_unwrap(rc).unwrap_or_else(|rc| (*rc).clone())
                }
                ChunkRef::Mem(_) => return None,
            };
            self.chunks[k] = Chunk::Mem(v);
        }
        match self.chunks.get_mut(k)? {
            Chunk::Mem(v) => Some(v),
            Chunk::Out(..) => None,
        }
    }

    /// Write the oldest chunk in memory that `spillable` allows to the spill file, keeping the
    /// newest `keep`; returns it (now out of memory) for its size to be counted.
    pub fn spill_oldest(&mut self, keep: usize, spillable: impl Fn(&V) -> bool) -> Option<V> {
        let n = self.chunks.len().saturating_sub(keep);
        let k = self.chunks[..n]
            .iter()
            .position(|c| matches!(c, Chunk::Mem(v) if spillable(v)))?;
        let file = self.file.get_or_insert_with(SpillFile::new);
        if !file.can_spill() {
            return None;
        }
        let Chunk::Mem(v) = &self.chunks[k] else {
            return None;
        };
        let at = file.len();
        let off = file.append_with(|out| v.encode(out));
        let len = u32::try_from(file.len() - at).ok()?;
        match std::mem::replace(&mut self.chunks[k], Chunk::Out(off, len)) {
            Chunk::Mem(v) => Some(v),
            Chunk::Out(..) => None,
        }
    }

    /// Is chunk `k` in the spill file (not in memory)?
    pub fn is_spilled(&self, k: usize) -> bool {
        matches!(self.chunks.get(k), Some(Chunk::Out(..)))
    }

    /// Chunks in memory (not counting the cache).
    pub fn in_memory(&self) -> usize {
        self.chunks
            .iter()
            .filter(|c| matches!(c, Chunk::Mem(_)))
            .count()
    }

    /// Bytes of the cached copies, by `size` of each, and of the chunk list itself.
    pub fn overhead_bytes(&self, size: impl Fn(&V) -> usize) -> usize {
        self.cache.bytes(size) + self.chunks.capacity() * std::mem::size_of::<Chunk<V>>()
    }
}

pub struct Chunked<T> {
    chunks: ChunkStore<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: ChunkStore::default(),
            len: 0,
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
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        if let Some(c) = self.chunks.last_mut() {
            c.push(v);
        }
        self.len += 1;
    }

    pub fn get(&self, i: usize) -> Option<T> {
        if i >= self.len {
            return None;
        }
        self.chunks.get(i / CHUNK)?.get(i % CHUNK).copied()
    }

    /// Entry `i` to change; a spilled chunk is brought back into memory first (links are set
    /// on recent events, so this is rare).
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        if i >= self.len {
            return None;
        }
        self.chunks.get_mut(i / CHUNK)?.get_mut(i % CHUNK)
    }

    /// Write the oldest full chunk still in memory to the spill file, keeping the newest
    /// `keep` chunks; returns the bytes of memory freed (0: nothing could be spilled).
    pub fn spill_oldest(&mut self, keep: usize) -> usize {
        self.chunks
            .spill_oldest(keep, |c| c.len() == CHUNK)
            .map_or(0, |_| CHUNK * std::mem::size_of::<T>())
    }

    /// Bytes held in memory, spare room and the cache included.
    pub fn heap_bytes(&self) -> usize {
        self.chunks.in_memory() * CHUNK * std::mem::size_of::<T>()
            + self
                .chunks
                .overhead_bytes(|c| c.len() * std::mem::size_of::<T>())
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
