//! Everything received so far, indexed for cheap rendering: the packets' bytes in one arena,
//! the events in arrival order, per-event facts the lists need, and per-connection summaries.

use super::feed::{Batch, PacketRec};
use crate::event::{ConnId, Event, PktNum, Proto, TcpFlags, TcpState};
use crate::ladder::{Observed, Tracker};
use std::borrow::Cow;
use std::net::SocketAddr;

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

/// Facts about one event computed once on arrival, so filtering never revisits the event.
#[derive(Clone, Copy, Debug)]
pub struct Meta {
    pub layer: Layer,
    pub pure_ack: bool,
    /// Has a ladder row of its own (not merged into a frame row, not a ConnOpen).
    pub has_row: bool,
    pub observed: Observed,
    /// For a frame: the message event shown on its row.
    pub message: Option<u32>,
    /// For a data segment: the HTTP head, frame or TLS message whose row shows it in the
    /// merged ladder (one arrow per packet).
    pub absorbed_by: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct ConnInfo {
    pub id: ConnId,
    pub proto: Proto,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub guessed: bool,
    pub client_state: TcpState,
    pub server_state: TcpState,
    pub packets: u64,
    /// TCP/UDP payload bytes, both directions.
    pub bytes: u64,
    pub messages: u64,
    pub upgraded: bool,
    /// The event (global index) at which the upgrade happened, so playback can show the
    /// connection as WebSocket only from then on.
    pub upgraded_at: Option<u32>,
    /// The event (global index) of its first TLS record (the ClientHello): from then on the
    /// connection is TLS, and wss:// once upgraded.
    pub tls_at: Option<u32>,
    pub closed: bool,
    /// Indices of this connection's events in `Store::events`.
    pub events: Vec<u32>,
    /// Running (messages, payload bytes, packets) after each of `events`, so playback can show
    /// the counts as of its cursor without rescanning.
    pub running: Vec<(u32, u64, u32)>,
    /// Running (client, server) state after each of `events`.
    pub states: Vec<(TcpState, TcpState)>,
}

#[derive(Default)]
pub struct Store {
    pub arena: Vec<u8>,
    /// The capture file, for packets whose bytes were left there (`PacketRec::in_file`): a
    /// large file is not copied into memory, only the selected packet is read back.
    pub file: Option<std::fs::File>,
    pub packets: Vec<PacketRec>,
    pub events: Vec<Event>,
    pub meta: Vec<Meta>,
    pub conns: Vec<ConnInfo>,
    /// Events without a connection (capture-wide notes).
    pub loose: Vec<u32>,
    tracker: Tracker,
    pub first_ts_ns: Option<i64>,
}

impl Store {
    pub fn ingest(&mut self, b: Batch) {
        let base = self.arena.len() as u64;
        self.arena.extend_from_slice(&b.bytes);
        for mut p in b.packets {
            if !p.in_file {
                p.off = p.off.saturating_add(base);
            }
            if self.first_ts_ns.is_none() {
                self.first_ts_ns = Some(p.ts_ns);
            }
            self.packets.push(p);
        }
        for ev in b.events {
            self.push_event(ev);
        }
    }

    pub fn push_event(&mut self, ev: Event) {
        let idx = self.events.len();
        let observed = self.tracker.observe(idx, &ev);
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
        if let Some(f) = observed.merged_into
            && let Some(m) = self.meta.get_mut(f)
        {
            m.message = Some(idx as u32);
        }
        if let Some(seg) = observed.absorbs
            && let Some(m) = self.meta.get_mut(seg)
        {
            m.absorbed_by = Some(idx as u32);
        }
        self.meta.push(Meta {
            layer,
            pure_ack,
            has_row,
            observed,
            message: None,
            absorbed_by: None,
        });
        match ev.conn() {
            Some(c) => {
                if let Event::ConnOpen(o) = &ev {
                    // Connection ids are dense and 1-based; fill any gap defensively.
                    while self.conns.len() < o.conn as usize {
                        let id = self.conns.len() as ConnId + 1;
                        self.conns.push(ConnInfo::new(id, o));
                    }
                }
                if let Some(ci) = self.conn_mut(c) {
                    ci.events.push(idx as u32);
                    ci.observe(&ev);
                    if ci.upgraded && ci.upgraded_at.is_none() {
                        ci.upgraded_at = Some(idx as u32);
                    }
                    if ci.tls_at.is_none() && matches!(ev, Event::Tls(_) | Event::TlsSession(_)) {
                        ci.tls_at = Some(idx as u32);
                    }
                } else {
                    self.loose.push(idx as u32);
                }
            }
            None => self.loose.push(idx as u32),
        }
        self.events.push(ev);
    }

    pub fn conn(&self, id: ConnId) -> Option<&ConnInfo> {
        self.conns.get((id as usize).checked_sub(1)?)
    }
    fn conn_mut(&mut self, id: ConnId) -> Option<&mut ConnInfo> {
        self.conns.get_mut((id as usize).checked_sub(1)?)
    }

    /// The captured bytes of a packet, found by number.
    pub fn packet(&self, num: PktNum) -> Option<(&PacketRec, Cow<'_, [u8]>)> {
        // Numbers are normally dense from 1, so look there first; fall back to a search.
        let rec = match self.packets.get((num as usize).wrapping_sub(1)) {
            Some(r) if r.num == num => r,
            _ => {
                let i = self.packets.binary_search_by_key(&num, |p| p.num).ok()?;
                self.packets.get(i)?
            }
        };
        if rec.in_file {
            use std::os::unix::fs::FileExt;
            // A file changed since it was read gives no bytes rather than wrong ones.
            let mut buf = vec![0; rec.len as usize];
            self.file.as_ref()?.read_exact_at(&mut buf, rec.off).ok()?;
            return Some((rec, Cow::Owned(buf)));
        }
        let start = usize::try_from(rec.off).ok()?;
        let end = start.checked_add(rec.len as usize)?;
        Some((rec, Cow::Borrowed(self.arena.get(start..end)?)))
    }

    /// The message shown on a frame's row, if any.
    pub fn message_of(&self, idx: usize) -> Option<&crate::event::WsMessage> {
        let m = self.meta.get(idx)?.message?;
        match self.events.get(m as usize)? {
            Event::WsMessage(m) => Some(m),
            _ => None,
        }
    }
}

impl ConnInfo {
    fn new(id: ConnId, o: &crate::event::ConnOpen) -> Self {
        ConnInfo {
            id,
            proto: o.proto,
            client: o.client,
            server: o.server,
            guessed: o.guessed,
            client_state: TcpState::Closed,
            // Nothing shows a listener before the server answers (UDP has no states at all).
            server_state: TcpState::Closed,
            packets: 0,
            bytes: 0,
            messages: 0,
            upgraded: false,
            upgraded_at: None,
            tls_at: None,
            closed: false,
            events: Vec::new(),
            running: Vec::new(),
            states: Vec::new(),
        }
    }
    fn observe(&mut self, ev: &Event) {
        match ev {
            Event::ConnOpen(o) => {
                self.proto = o.proto;
                self.client = o.client;
                self.server = o.server;
                self.guessed = o.guessed;
            }
            Event::Tcp(t) => {
                self.packets += 1;
                self.bytes += u64::from(t.len);
                self.client_state = t.client_state;
                self.server_state = t.server_state;
            }
            Event::Udp(u) => {
                self.packets += 1;
                self.bytes += u64::from(u.len);
            }
            Event::ConnClose(c) => {
                self.client_state = c.client_state;
                self.server_state = c.server_state;
                self.closed = true;
            }
            Event::WsHandshake(h) => self.upgraded |= h.upgraded,
            Event::WsMessage(_) => self.messages += 1,
            _ => {}
        }
        self.running
            .push((self.messages as u32, self.bytes, self.packets as u32));
        self.states.push((self.client_state, self.server_state));
    }

    /// Had the connection switched to WebSocket by global index `cursor` (None: by now)?
    pub fn upgraded_by(&self, cursor: Option<usize>) -> bool {
        match (self.upgraded_at, cursor) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(at), Some(c)) => at as usize <= c,
        }
    }

    /// Was the connection known to be TLS by global index `cursor` (None: by now)?
    pub fn tls_by(&self, cursor: Option<usize>) -> bool {
        match (self.tls_at, cursor) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(at), Some(c)) => at as usize <= c,
        }
    }

    /// What it carries as of `cursor`, as the connection list names it: `tcp`/`udp`, `tls`
    /// once a TLS handshake is seen, `ws` or `wss` once upgraded.
    pub fn label_by(&self, cursor: Option<usize>) -> &'static str {
        match (self.tls_by(cursor), self.upgraded_by(cursor)) {
            (true, true) => "wss",
            (false, true) => "ws",
            (true, false) => "tls",
            (false, false) => self.proto.as_str(),
        }
    }

    /// Position in `events` of the last event at or before global index `cursor`.
    pub fn upto(&self, cursor: usize) -> Option<usize> {
        let n = self.events.partition_point(|&e| e as usize <= cursor);
        n.checked_sub(1)
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
        assert!(store.arena.is_empty(), "no packet bytes copied");
        assert_eq!(store.packets.len(), want.len());
        assert!(store.packets.iter().all(|p| p.in_file));
        for (i, w) in want.iter().enumerate() {
            let (_, got) = store.packet(i as u64 + 1).unwrap();
            assert_eq!(&got[..], &w[..], "packet {}", i + 1);
        }
        // Without the file (it went away), no bytes rather than wrong ones.
        store.file = None;
        assert!(store.packet(1).is_none());
    }
}
