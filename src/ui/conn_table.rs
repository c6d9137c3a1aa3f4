//! The connection list's summaries, by connection id, in chunks of 4,096. Under a memory
//! budget (issue 17: a live SYN flood makes a new connection per packet) the oldest chunks are
//! written to a temporary [`SpillFile`] and read back when shown; a spilled connection that
//! gets a new event comes back into memory.

use super::chunked::{Chunked, ReadCache};
use super::conn_info::{ConnInfo, IpTable};
use super::spill::SpillFile;
use crate::event::{ConnId, ConnOpen, Event};
use std::borrow::Cow;
use std::net::SocketAddr;
use std::rc::Rc;

const CHUNK: usize = 4096;
/// Spilled chunks kept decoded (the list shows a screen of neighbours).
const CACHED: usize = 2;
/// A chunk holding a connection of more events than this stays in memory: reading its
/// summary back would copy its whole event list every time it is shown.
const PIN_EVENTS: usize = 4096;

enum Chunk {
    Mem(Vec<ConnInfo>),
    /// postcard-encoded in the spill file: (offset, length).
    Out(u64, u32),
}

pub struct ConnTable {
    chunks: Vec<Chunk>,
    len: usize,
    ips: IpTable,
    /// Each connection's first event (`u32::MAX`: none yet), for playback's "opened by now"
    /// without reading summaries back.
    first_event: Chunked<u32>,
    file: Option<SpillFile>,
    cache: ReadCache<Vec<ConnInfo>>,
    /// Heap bytes of the summaries in memory beyond their own size (lists, extras), kept as
    /// they grow so the budget check costs nothing per connection.
    heap: usize,
}

impl Default for ConnTable {
    fn default() -> Self {
        ConnTable {
            chunks: Vec::new(),
            len: 0,
            ips: IpTable::default(),
            first_event: Chunked::default(),
            file: None,
            cache: ReadCache::new(CACHED),
            heap: 0,
        }
    }
}

impl ConnTable {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Connection `id`'s summary (1-based ids), borrowed when in memory.
    pub fn get(&self, id: ConnId) -> Option<Cow<'_, ConnInfo>> {
        let i = (id as usize).checked_sub(1)?;
        if i >= self.len {
            return None;
        }
        match self.chunks.get(i / CHUNK)? {
            Chunk::Mem(c) => c.get(i % CHUNK).map(Cow::Borrowed),
            &Chunk::Out(off, len) => {
                let c = self.read_back(i / CHUNK, off, len)?;
                c.get(i % CHUNK).cloned().map(Cow::Owned)
            }
        }
    }

    /// The summaries from position `from` on, in id order.
    pub fn iter_from(&self, from: usize) -> impl Iterator<Item = Cow<'_, ConnInfo>> {
        (from..self.len).map_while(|i| self.get(i as ConnId + 1))
    }

    /// How many connections had their first event at or before global index `cursor`.
    pub fn opened_by(&self, cursor: usize) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.first_event.get(mid) {
                Some(e) if e != u32::MAX && e as usize <= cursor => lo = mid + 1,
                _ => hi = mid,
            }
        }
        lo
    }

    pub fn client(&self, ci: &ConnInfo) -> SocketAddr {
        ci.client(&self.ips)
    }

    pub fn server(&self, ci: &ConnInfo) -> SocketAddr {
        ci.server(&self.ips)
    }

    fn read_back(&self, k: usize, off: u64, len: u32) -> Option<Rc<Vec<ConnInfo>>> {
        self.cache.get_or_load(k, || {
            let mut buf = Vec::new();
            if !self.file.as_ref()?.read(off, len as usize, &mut buf) {
                return None;
            }
            postcard::from_bytes(&buf).ok()
        })
    }

    /// Open connections up to `o.conn` (ids are dense and 1-based; a gap is filled
    /// defensively).
    pub fn open(&mut self, o: &ConnOpen) {
        while self.len < o.conn as usize {
            let id = self.len as ConnId + 1;
            if self.len.is_multiple_of(CHUNK) {
                self.chunks.push(Chunk::Mem(Vec::with_capacity(CHUNK)));
            }
            let ci = ConnInfo::new(id, o, &mut self.ips);
            if let Some(Chunk::Mem(c)) = self.chunks.last_mut() {
                c.push(ci);
            }
            self.first_event.push(u32::MAX);
            self.len += 1;
        }
    }

    /// Take event `idx` into connection `id`'s summary; false if there is no such connection.
    pub fn observe(&mut self, id: ConnId, idx: u32, ev: &Event) -> bool {
        let Some(i) = (id as usize).checked_sub(1).filter(|&i| i < self.len) else {
            return false;
        };
        let k = i / CHUNK;
        if let Chunk::Out(off, len) = self.chunks[k] {
            // Back into memory with its new event; spilled again when the budget asks.
            let Some(c) = self.read_back(k, off, len) else {
                return false;
            };
            self.cache.forget(k);
            let c = Rc::try_unwrap(c).unwrap_or_else(|c| (*c).clone());
            self.heap += c.iter().map(ConnInfo::heap_bytes).sum::<usize>();
            self.chunks[k] = Chunk::Mem(c);
        }
        let Chunk::Mem(c) = &mut self.chunks[k] else {
            return false;
        };
        let Some(ci) = c.get_mut(i % CHUNK) else {
            return false;
        };
        let before = ci.heap_bytes();
        ci.observe(idx, ev, &mut self.ips);
        self.heap = (self.heap + ci.heap_bytes()).saturating_sub(before);
        if ci.events.len() == 1
            && let Some(f) = self.first_event.get_mut(i)
        {
            *f = idx;
        }
        true
    }

    /// Write the oldest full chunk in memory to the spill file, keeping the newest `keep`
    /// chunks and any holding a long connection; returns the bytes of memory freed.
    pub fn spill_oldest(&mut self, keep: usize) -> usize {
        // The first events' index goes out in its own larger chunks.
        let firsts = self.first_event.spill_oldest(keep);
        let n = self.chunks.len().saturating_sub(keep);
        let Some(k) = self.chunks[..n].iter().position(|c| {
            matches!(c, Chunk::Mem(v) if v.len() == CHUNK
                && v.iter().all(|ci| ci.events.len() <= PIN_EVENTS))
        }) else {
            return firsts;
        };
        let file = self.file.get_or_insert_with(SpillFile::new);
        if !file.can_spill() {
            return firsts;
        }
        let Chunk::Mem(c) = &self.chunks[k] else {
            return firsts;
        };
        let Ok(bytes) = postcard::to_allocvec(c) else {
            return firsts;
        };
        let Ok(len) = u32::try_from(bytes.len()) else {
            return firsts;
        };
        let heap: usize = c.iter().map(ConnInfo::heap_bytes).sum();
        let off = file.append(&bytes);
        self.chunks[k] = Chunk::Out(off, len);
        self.heap = self.heap.saturating_sub(heap);
        firsts + CHUNK * std::mem::size_of::<ConnInfo>() + heap
    }

    /// Bytes held in memory: summaries, their lists, the address table, the cache.
    pub fn heap_bytes(&self) -> usize {
        let mem = self
            .chunks
            .iter()
            .filter(|c| matches!(c, Chunk::Mem(_)))
            .count();
        let cached = self
            .cache
            .bytes(|c| c.len() * std::mem::size_of::<ConnInfo>());
        mem * CHUNK * std::mem::size_of::<ConnInfo>()
            + self.heap
            + cached
            + self.ips.heap_bytes()
            + self.first_event.heap_bytes()
            + self.chunks.capacity() * std::mem::size_of::<Chunk>()
    }
}
