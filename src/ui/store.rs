//! Everything received so far, indexed for cheap rendering (issue 17: memory bounded by what
//! is shown, not by what was seen). The packets' bytes stay in the capture file, or go to a
//! temporary spill file for sources that are not a file; the decoded events go to the spill
//! file too, compactly encoded, and are read back when drawn. Memory holds fixed-size index
//! entries: 20 bytes per packet ([`PacketIndex`]), and per event 8 bytes of list facts
//! ([`Meta`]), a 4-byte spill offset and 8 bytes in its connection's lists ([`ConnInfo`]).

use super::chunked::{Chunked, Plain};
pub use super::conn_info::ConnInfo;
use super::conn_table::ConnTable;
use super::feed::{Batch, PacketRec};
pub use super::packet_index::PacketIndex;
use super::spill::{EventLog, SpillFile};
use crate::event::{ConnId, Event, PktNum, TcpFlags, TcpState};
use crate::ladder::Tracker;
use rustc_hash::FxHashMap;
use std::borrow::Cow;

/// Which layer an event belongs to, for the layer filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    Tcp,
    Http,
    Ws,
    Other,
    /// Above WebSocket: `app` events.
    App,
    Tls,
}

const LAYERS: [Layer; 6] = [
    Layer::Tcp,
    Layer::Http,
    Layer::Ws,
    Layer::Other,
    Layer::App,
    Layer::Tls,
];

/// Facts about one event computed once on arrival, so filtering never revisits the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Meta {
    pub layer: Layer,
    pub pure_ack: bool,
    /// Has a ladder row of its own (not merged into a frame row, not a ConnOpen).
    pub has_row: bool,
    /// The states either end changed to with this event.
    pub client_state: Option<TcpState>,
    pub server_state: Option<TcpState>,
    /// For an HTTP head, frame or TLS message completed by a plain data segment: that
    /// segment's event, whose arrow this event's row takes over in the merged form.
    pub absorbs: Option<u32>,
    /// For a frame: the message event shown on its row.
    pub message: Option<u32>,
    /// For a data segment: the HTTP head, frame or TLS message whose row shows it in the
    /// merged ladder (one arrow per packet).
    pub absorbed_by: Option<u32>,
}

/// [`Meta`] in 8 bytes: flags, states, and the three links as distances from the event
/// (0: none; `FAR`: too far, kept in [`Store::far`]).
#[derive(Clone, Copy, Default)]
struct Packed {
    /// Layer (3 bits), pure ACK, has row.
    flags: u8,
    /// Client state + 1 (low 4 bits, 0: unchanged), server state + 1 (high 4 bits).
    states: u8,
    absorbs: u16,
    message: u16,
    absorbed_by: u16,
}

const FAR: u16 = u16::MAX;

impl Plain for Packed {
    const SIZE: usize = 8;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[self.flags, self.states]);
        for v in [self.absorbs, self.message, self.absorbed_by] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    fn take(b: &[u8]) -> Self {
        let u = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        Packed {
            flags: b[0],
            states: b[1],
            absorbs: u(2),
            message: u(4),
            absorbed_by: u(6),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Link {
    Absorbs,
    Message,
    AbsorbedBy,
}

fn state_code(s: Option<TcpState>) -> u8 {
    s.map_or(0, |s| s as u8 + 1)
}

fn state_of(code: u8) -> Option<TcpState> {
    TcpState::from_index(usize::from(code).checked_sub(1)?)
}

#[derive(Default)]
pub struct Store {
    /// Packet bytes that are not in a capture file (live capture, the built-in capture).
    bytes: SpillFile,
    /// The capture file, for packets whose bytes were left there (`PacketRec::in_file`): a
    /// large file is not copied into memory, only the selected packet is read back.
    pub file: Option<std::fs::File>,
    pub packets: PacketIndex,
    events: EventLog,
    meta: Chunked<Packed>,
    /// Links too far for [`Packed`].
    far: FxHashMap<(u32, Link), u32>,
    pub conns: ConnTable,
    tracker: Tracker,
    pub first_ts_ns: Option<i64>,
    /// Bytes the indexes may hold in memory before their oldest parts are spilled (None: no
    /// limit).
    budget: Option<usize>,
    /// The newest chunks of each index that stay in memory under a budget (links and states
    /// are set on recent events).
    keep: usize,
}

impl Store {
    /// A store that keeps everything in memory (tests; no temporary files).
    pub fn in_memory() -> Self {
        Store {
            bytes: SpillFile::in_memory(),
            events: EventLog::new(SpillFile::in_memory()),
            ..Store::default()
        }
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.meta.len()
    }

    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }

    /// Event `idx`, read back.
    pub fn event(&self, idx: usize) -> Option<Event> {
        self.events.get(idx)
    }

    /// Every event, read back (tests).
    #[cfg(test)]
    pub fn all_events(&self) -> Vec<Event> {
        (0..self.len()).filter_map(|i| self.event(i)).collect()
    }

    /// The facts the lists need about event `idx`.
    pub fn meta(&self, idx: usize) -> Option<Meta> {
        let p = self.meta.get(idx)?;
        let i = idx as u32;
        let link = |d: u16, l: Link, fwd: bool| -> Option<u32> {
            match d {
                0 => None,
                FAR => self.far.get(&(i, l)).copied(),
                d if fwd => i.checked_add(u32::from(d)),
                d => i.checked_sub(u32::from(d)),
            }
        };
        Some(Meta {
            layer: LAYERS[usize::from(p.flags & 7).min(LAYERS.len() - 1)],
            pure_ack: p.flags & 8 != 0,
            has_row: p.flags & 16 != 0,
            client_state: state_of(p.states & 15),
            server_state: state_of(p.states >> 4),
            absorbs: link(p.absorbs, Link::Absorbs, false),
            message: link(p.message, Link::Message, true),
            absorbed_by: link(p.absorbed_by, Link::AbsorbedBy, true),
        })
    }

    fn set_link(&mut self, idx: usize, l: Link, to: usize) {
        let d = to.abs_diff(idx);
        let code = if d < usize::from(FAR) {
            d as u16
        } else {
            self.far.insert((idx as u32, l), to as u32);
            FAR
        };
        if let Some(p) = self.meta.get_mut(idx) {
            match l {
                Link::Absorbs => p.absorbs = code,
                Link::Message => p.message = code,
                Link::AbsorbedBy => p.absorbed_by = code,
            }
        }
    }

    pub fn ingest(&mut self, b: Batch) {
        self.ingest_packets(&b);
        for ev in b.events {
            self.push_event(ev);
        }
        self.enforce_budget();
    }

    /// The packets of a batch (its events are pushed one by one after).
    pub fn ingest_packets(&mut self, b: &Batch) {
        for &p in &b.packets {
            let mut p = p;
            if !p.in_file {
                let (s, e) = (p.off as usize, p.off as usize + p.len as usize);
                p.off = self.bytes.append(b.bytes.get(s..e).unwrap_or(&[]));
            }
            if self.first_ts_ns.is_none() {
                self.first_ts_ns = Some(p.ts_ns);
            }
            self.packets.push(&p);
        }
    }

    pub fn push_event(&mut self, ev: Event) {
        let idx = self.meta.len();
        let conn = ev.conn();
        // The states before this event, as the connection list keeps them (both CLOSED before
        // its first event).
        let prior = conn.map(|c| {
            self.conns
                .with(c, |ci| (ci.client_state, ci.server_state))
                .unwrap_or((TcpState::Closed, TcpState::Closed))
        });
        let observed = self.tracker.observe_after(idx, &ev, prior);
        let layer = match &ev {
            Event::Tcp(_) | Event::ConnOpen(_) | Event::ConnClose(_) | Event::Udp(_) => Layer::Tcp,
            Event::Http(_) | Event::WsHandshake(_) => Layer::Http,
            Event::WsFrame(_) | Event::WsMessage(_) => Layer::Ws,
            Event::Tls(_) | Event::TlsSession(_) => Layer::Tls,
            Event::Note(_) => Layer::Other,
            Event::App(_) => Layer::App,
        };
        let pure_ack = matches!(&ev, Event::Tcp(t) if t.flags.0 & !TcpFlags::PSH == TcpFlags::ACK
            && t.len == 0 && t.handshake.is_none() && observed.client_state.is_none()
            && observed.server_state.is_none());
        let has_row = observed.merged_into.is_none() && !matches!(ev, Event::ConnOpen(_));
        let layer_code = LAYERS.iter().position(|&l| l == layer).unwrap_or(0) as u8;
        self.meta.push(Packed {
            flags: layer_code | u8::from(pure_ack) << 3 | u8::from(has_row) << 4,
            states: state_code(observed.client_state) | state_code(observed.server_state) << 4,
            ..Packed::default()
        });
        if let Some(f) = observed.merged_into {
            self.set_link(f, Link::Message, idx);
        }
        if let Some(seg) = observed.absorbs {
            self.set_link(idx, Link::Absorbs, seg);
            self.set_link(seg, Link::AbsorbedBy, idx);
        }
        if let Event::ConnOpen(o) = &ev {
            self.conns.open(o);
        }
        // Events without a connection (capture-wide notes) are in the main list only.
        if let Some(c) = conn {
            self.conns.observe(c, idx as u32, &ev);
        }
        self.events.push(&ev);
    }

    pub fn conn(&self, id: ConnId) -> Option<Cow<'_, ConnInfo>> {
        self.conns.get(id)
    }

    /// The captured bytes of a packet, found by number.
    pub fn packet(&self, num: PktNum) -> Option<(PacketRec, Vec<u8>)> {
        let rec = self.packets.get(num)?;
        let mut buf = Vec::new();
        if rec.in_file {
            use std::os::unix::fs::FileExt;
            // A file changed since it was read gives no bytes rather than wrong ones.
            buf.resize(rec.len as usize, 0);
            self.file.as_ref()?.read_exact_at(&mut buf, rec.off).ok()?;
        } else if !self.bytes.read(rec.off, rec.len as usize, &mut buf) {
            return None;
        }
        Some((rec, buf))
    }

    /// The message shown on a frame's row, if any.
    pub fn message_of(&self, idx: usize) -> Option<crate::event::WsMessage> {
        match self.event(self.meta(idx)?.message? as usize)? {
            Event::WsMessage(m) => Some(m),
            _ => None,
        }
    }

    /// Bytes of memory the store's indexes take (not the spilled bytes), for the tests and
    /// the memory figures.
    pub fn index_bytes(&self) -> usize {
        self.packets.heap_bytes()
            + self.events.index_bytes()
            + self.meta.heap_bytes()
            + self.far.capacity() * 16
            + self.conns.heap_bytes()
    }

    /// The bytes the indexes may hold ([`Store::set_budget`]); None: no limit.
    pub fn budget(&self) -> Option<usize> {
        self.budget
    }

    /// Keep the indexes within `bytes` of memory from now on, spilling their oldest parts to
    /// temporary files (live capture and demos run for hours).
    pub fn set_budget(&mut self, bytes: usize) {
        self.budget = Some(bytes);
        self.keep = 2;
    }

    /// Over the budget: write the oldest chunk of each index out, round after round, until
    /// under it (or nothing more can go: the newest chunks and long connections stay). Called
    /// once per batch.
    pub fn enforce_budget(&mut self) {
        let Some(budget) = self.budget else { return };
        let keep = self.keep;
        while self.index_bytes() > budget {
            let freed = self.conns.spill_oldest(keep)
                + self.meta.spill_oldest(keep)
                + self.events.spill_oldest(keep)
                + self.packets.spill_oldest(keep);
            if freed == 0 {
                break;
            }
        }
    }
}

#[cfg(test)]
#[path = "store_budget_tests.rs"]
mod budget_tests;

#[cfg(test)]
mod compact_tests {
    use super::*;

    /// What the store holds in memory per event is its index entries, whatever the events
    /// carry: the events of real captures (big messages, many small segments), ingested over
    /// and over until there are hundreds of thousands.
    #[test]
    fn memory_per_event_is_the_index_not_the_event() {
        for name in ["echo-node.pcap", "lossy.pcap"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("captures")
                .join(name);
            let b = crate::ui::source::decode_all(&std::fs::read(&path).unwrap()).unwrap();
            let mut store = Store::default();
            let per_copy = b.events.len();
            let copies = 300_000 / per_copy + 1;
            for _ in 0..copies {
                for ev in &b.events {
                    store.push_event(ev.clone());
                }
            }
            let events = store.len();
            assert_eq!(events, per_copy * copies);
            // One 64 Ki-entry chunk of slack per index; per event 8 bytes (meta) + 4 (offset)
            // + 8 (its connection's lists), which grow by doubling: 16 more at worst.
            let bound = (1 << 16) * (8 + 4) + events * (8 + 4 + 16) + (1 << 20);
            let index = store.index_bytes();
            assert!(
                index <= bound,
                "{name}: {index} bytes of index for {events} events, bound {bound}"
            );
            // And everything reads back.
            assert_eq!(store.event(events - 1).as_ref(), b.events.last());
        }
    }

    /// The links between rows survive packing, near and far.
    #[test]
    fn links_read_back_near_and_far() {
        let mut store = Store::in_memory();
        for _ in 0..70_000 {
            store.meta.push(Packed::default());
        }
        store.set_link(5, Link::Message, 6);
        store.set_link(69_999, Link::Absorbs, 1);
        store.set_link(1, Link::AbsorbedBy, 69_999);
        assert_eq!(store.meta(5).unwrap().message, Some(6));
        assert_eq!(store.meta(69_999).unwrap().absorbs, Some(1));
        assert_eq!(store.meta(1).unwrap().absorbed_by, Some(69_999));
        assert_eq!(store.meta(2).unwrap().message, None);
    }

    #[test]
    fn states_pack_both_ways() {
        let all: Vec<TcpState> = (0..).map_while(TcpState::from_index).collect();
        assert_eq!(all.len(), 11);
        for (i, &s) in all.iter().enumerate() {
            assert_eq!(s as usize, i, "the table is in declaration order");
            assert_eq!(state_of(state_code(Some(s))), Some(s));
        }
        assert_eq!(state_of(state_code(None)), None);
    }
}

#[cfg(test)]
mod file_backed_tests {
    use super::*;
    use crate::ui::feed::Feed;

    /// A file opened in the UI is not copied: packets are read back from it, byte for byte
    /// what the capture holds (echo-node.pcap: 3 MiB messages in many segments).
    #[test]
    fn packets_of_a_file_are_read_back_not_kept() {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("captures")
            .join("echo-node.pcap");
        let mut want = Vec::new();
        crate::capture::read_file(&path, |p| want.push(p.data.to_vec())).unwrap();
        let rx = crate::ui::source::spawn_file(path.clone(), Default::default());
        let mut store = Store {
            file: std::fs::File::open(&path).ok(),
            ..Store::default()
        };
        for f in rx {
            match f {
                Feed::Batch(b) => store.ingest(b),
                Feed::Done => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(store.bytes.len(), 0, "no packet bytes copied");
        assert_eq!(store.packets.len(), want.len());
        assert!((0..want.len()).all(|i| store.packets.at(i).is_some_and(|p| p.in_file)));
        for (i, w) in want.iter().enumerate() {
            let (_, got) = store.packet(i as u64 + 1).unwrap();
            assert_eq!(&got[..], &w[..], "packet {}", i + 1);
        }
        // Without the file (it went away), no bytes rather than wrong ones.
        store.file = None;
        assert!(store.packet(1).is_none());
    }
}
