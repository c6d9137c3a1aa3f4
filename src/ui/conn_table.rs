//! The connection list's summaries, by connection id, in chunks of 4,096. Under a memory
//! budget (issue 17: a live SYN flood makes a new connection per packet) the oldest chunks are
//! written to a temporary [`SpillFile`] and read back when shown; a spilled connection that
//! gets a new event comes back into memory.

use super::chunked::{ChunkRef, ChunkStore, Chunked, Codec};
use super::conn_info::{ConnInfo, IpTable};
use crate::event::{ConnId, ConnOpen, Event};
use std::borrow::Cow;
use std::net::SocketAddr;

const CHUNK: usize = 4096;
/// A chunk holding a connection of more events than this stays in memory: reading its
/// summary back would copy its whole event list every time it is shown.
const PIN_EVENTS: usize = 4096;

/// Spilled summaries are postcard-encoded, a chunk at a time.
impl Codec for Vec<ConnInfo> {
    fn encode(&self, out: &mut Vec<u8>) {
        // Encoding into a Vec cannot fail for these types.
        let _ = postcard::to_io(self, out);
    }
    fn decode(b: &[u8]) -> Option<Self> {
        postcard::from_bytes(b).ok()
    }
}

#[derive(Default)]
pub struct ConnTable {
    chunks: ChunkStore<Vec<ConnInfo>>,
    len: usize,
    ips: IpTable,
    /// Each connection's first event (`u32::MAX`: none yet), for playback's "opened by now"
    /// without reading summaries back.
    first_event: Chunked<u32>,
    /// Heap bytes of the summaries in memory beyond their own size (lists, extras), kept as
    /// they grow so the budget check costs nothing per connection.
    heap: usize,
    /// When the ids are not 1, 2, 3… (the end of a capture decoded ahead of the rest: only its
    /// last connections, under their own numbers): each one's position, and the id at each
    /// position. Otherwise connection `id` is at position `id - 1`.
    sparse: Option<Sparse>,
}

#[derive(Default)]
struct Sparse {
    pos: rustc_hash::FxHashMap<ConnId, u32>,
    ids: Vec<ConnId>,
}

impl ConnTable {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Where connection `id` is in the list (`id - 1` unless the ids are sparse).
    pub fn pos(&self, id: ConnId) -> Option<usize> {
        match &self.sparse {
            Some(s) => s.pos.get(&id).map(|&p| p as usize),
            None => (id as usize).checked_sub(1).filter(|&i| i < self.len),
        }
    }

    /// The id of the connection at position `pos` of the list.
    pub fn id_at(&self, pos: usize) -> Option<ConnId> {
        match &self.sparse {
            Some(s) => s.ids.get(pos).copied(),
            None => (pos < self.len).then_some(pos as ConnId + 1),
        }
    }

    /// The highest id in the list.
    pub fn max_id(&self) -> ConnId {
        match &self.sparse {
            Some(s) => s.ids.iter().copied().max().unwrap_or(0),
            None => self.len as ConnId,
        }
    }

    /// Connection `id`'s summary, borrowed when in memory.
    pub fn get(&self, id: ConnId) -> Option<Cow<'_, ConnInfo>> {
        self.at(self.pos(id)?)
    }

    /// The summary at position `i` of the list.
    fn at(&self, i: usize) -> Option<Cow<'_, ConnInfo>> {
        match self.chunks.get(i / CHUNK)? {
            ChunkRef::Mem(c) => c.get(i % CHUNK).map(Cow::Borrowed),
            ChunkRef::Cached(c) => c.get(i % CHUNK).cloned().map(Cow::Owned),
        }
    }

    /// What `f` reads from connection `id`'s summary, without copying a spilled one (the
    /// per-event paths: an event's previous states, a filter's ports).
    pub fn with<R>(&self, id: ConnId, f: impl FnOnce(&ConnInfo) -> R) -> Option<R> {
        let i = self.pos(id)?;
        self.chunks.get(i / CHUNK)?.get(i % CHUNK).map(f)
    }

    /// The summaries from position `from` on, in the order they were opened.
    pub fn iter_from(&self, from: usize) -> impl Iterator<Item = Cow<'_, ConnInfo>> {
        (from..self.len).map_while(|i| self.at(i))
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

    /// Open connection `o.conn`. Ids are 1, 2, 3… from a decode of a whole capture; any other
    /// (only some connections decoded) makes the list sparse: positions are then looked up.
    pub fn open(&mut self, o: &ConnOpen) {
        if self.pos(o.conn).is_some() {
            return;
        }
        if self.sparse.is_none() && o.conn as usize != self.len + 1 {
            self.sparse = Some(Sparse {
                pos: (0..self.len as u32).map(|i| (i + 1, i)).collect(),
                ids: (1..=self.len as ConnId).collect(),
            });
        }
        if let Some(s) = &mut self.sparse {
            s.pos.insert(o.conn, self.len as u32);
            s.ids.push(o.conn);
        }
        if self.len.is_multiple_of(CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        let ci = ConnInfo::new(o.conn, o, &mut self.ips);
        if let Some(c) = self.chunks.last_mut() {
            c.push(ci);
        }
        self.first_event.push(u32::MAX);
        self.len += 1;
    }

    /// Take event `idx` into connection `id`'s summary (nothing if there is no such
    /// connection).
    pub fn observe(&mut self, id: ConnId, idx: u32, ev: &Event) {
        let Some(i) = self.pos(id) else {
            return;
        };
        let k = i / CHUNK;
        let spilled = self.chunks.is_spilled(k);
        let Some(c) = self.chunks.get_mut(k) else {
            return;
        };
        if spilled {
            // Read back from the spill file with its new event: its lists count again.
            self.heap += c.iter().map(ConnInfo::heap_bytes).sum::<usize>();
        }
        let Some(ci) = c.get_mut(i % CHUNK) else {
            return;
        };
        let before = ci.heap_bytes();
        ci.observe(idx, ev, &mut self.ips);
        self.heap = (self.heap + ci.heap_bytes()).saturating_sub(before);
        if ci.events.len() == 1
            && let Some(f) = self.first_event.get_mut(i)
        {
            *f = idx;
        }
    }

    /// Write the oldest full chunk in memory to the spill file, keeping the newest `keep`
    /// chunks and any holding a long connection; returns the bytes of memory freed.
    pub fn spill_oldest(&mut self, keep: usize) -> usize {
        // The first events' index goes out in its own larger chunks.
        let firsts = self.first_event.spill_oldest(keep);
        let out = self.chunks.spill_oldest(keep, |v| {
            v.len() == CHUNK && v.iter().all(|ci| ci.events.len() <= PIN_EVENTS)
        });
        let Some(c) = out else { return firsts };
        let heap: usize = c.iter().map(ConnInfo::heap_bytes).sum();
        self.heap = self.heap.saturating_sub(heap);
        firsts + CHUNK * std::mem::size_of::<ConnInfo>() + heap
    }

    /// Bytes held in memory: summaries, their lists, the address table, the cache.
    pub fn heap_bytes(&self) -> usize {
        self.chunks.in_memory() * CHUNK * std::mem::size_of::<ConnInfo>()
            + self
                .chunks
                .overhead_bytes(|c| c.len() * std::mem::size_of::<ConnInfo>())
            + self.heap
            + self.ips.heap_bytes()
            + self.first_event.heap_bytes()
            + self
                .sparse
                .as_ref()
                .map_or(0, |s| s.ids.capacity() * 4 + s.pos.capacity() * 9)
    }
}
