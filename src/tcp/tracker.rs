//! The flow table: one entry per socket pair (protocol, local IP/port, remote IP/port), numbered
//! in order of first appearance, each with both ends' state machines, the sequence analysis,
//! the two reassembled streams and the application layer's state.

use super::analysis::{ConnAna, Seg};
use super::reasm::{Deliver, Reasm, ReasmLimits};
use super::state::Machines;
use super::{StreamCtx, StreamHandler};
use crate::event::*;
use crate::limits::Limits;
use crate::wire::TcpView;
use rustc_hash::FxHashMap;
use std::net::{IpAddr, SocketAddr};

mod budget;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct FlowKey {
    proto: u8,
    lo: (IpAddr, u16),
    hi: (IpAddr, u16),
}

impl FlowKey {
    fn new(proto: u8, a: (IpAddr, u16), b: (IpAddr, u16)) -> Self {
        if a <= b {
            FlowKey {
                proto,
                lo: a,
                hi: b,
            }
        } else {
            FlowKey {
                proto,
                lo: b,
                hi: a,
            }
        }
    }
}

#[derive(Default)]
struct TcpConn {
    m: Machines,
    ana: ConnAna,
    reasm: [Reasm; 2],
    /// Base for relative sequence numbers, per direction.
    base: [Option<u32>; 2],
    syn_seen: bool,
    synack_seen: bool,
    /// A disagreeing overlap was reported in this direction (once is enough to distrust it).
    conflict_noted: [bool; 2],
    handshake_ack_seen: bool,
    fin_seen: [bool; 2],
    /// Sequence number after each direction's FIN.
    fin_end: [Option<u32>; 2],
    /// Each direction's FIN has been acknowledged by the peer.
    fin_acked: [bool; 2],
}

struct Flow<A> {
    id: ConnId,
    key: FlowKey,
    proto: Proto,
    /// The client is `key.lo` (else `key.hi`): the address is not kept twice.
    client_lo: bool,
    last_pkt: PktNum,
    last_ts: Ts,
    closed: bool,
    /// Bytes of decoding state counted for this flow in `Tracker::mem` (reassembly buffers and
    /// the application layer's state), as of its last packet.
    mem: usize,
    tcp: TcpConn,
    app: A,
}

/// Bridges reassembled bytes to the application layer.
struct Bridge<'a, H: StreamHandler> {
    h: &'a mut H,
    st: &'a mut H::Conn,
    cx: StreamCtx,
    sink: &'a mut dyn Sink,
}

impl<H: StreamHandler> Deliver for Bridge<'_, H> {
    fn data(&mut self, bytes: &[u8]) {
        self.h.data(self.st, self.cx, bytes, self.sink);
    }
    fn gap(&mut self, len: u64) {
        self.h.gap(self.st, self.cx, len, self.sink);
    }
}

/// Bytes of one direction were seen twice with different contents: say so, once per direction.
fn conflict_note(
    noted: &mut bool,
    conn: ConnId,
    dir: Dir,
    at: u64,
    pkt: PktNum,
    sink: &mut dyn Sink,
) {
    if std::mem::replace(noted, true) {
        return;
    }
    sink.emit(Event::Note(Note {
        level: Level::Warn,
        code: "tcp-overlap-conflict",
        text: format!(
            "{}: bytes from stream offset {at} were seen twice with different contents (a retransmission or overlap that disagrees: corruption, or an attempt to make a monitor see other bytes than the receiver); the copy delivered first is the one decoded (docs/tcp.md)",
            dir.as_str()
        ),
        conn: Some(conn),
        pkt: Some(pkt),
    }));
}

/// Ports a client is unlikely to have: when the SYN was missed, the side using one is the server.
fn looks_like_server_port(p: u16) -> bool {
    p < 1024 || matches!(p, 3000 | 5000 | 8000 | 8080 | 8443 | 8765 | 8888 | 9000)
}

/// The numbers connections must get, for a decoder fed only some of a capture's connections
/// (the end of a file decoded ahead of the rest, [`crate::tail`]): a flow made for these
/// addresses at or after a connection's first packet gets that connection's number, as in a
/// decode of the whole capture, rather than the next free one.
#[derive(Clone, Debug, Default)]
pub struct ConnIds {
    by_key: FxHashMap<FlowKey, Vec<(PktNum, ConnId)>>,
    max: ConnId,
}

impl ConnIds {
    /// Connection `id` of protocol `proto` (6, 17) between `a` and `b` starts at packet `start`.
    pub fn insert(&mut self, proto: u8, a: SocketAddr, b: SocketAddr, start: PktNum, id: ConnId) {
        let key = FlowKey::new(proto, (a.ip(), a.port()), (b.ip(), b.port()));
        let v = self.by_key.entry(key).or_default();
        v.push((start, id));
        v.sort_unstable();
        self.max = self.max.max(id);
    }

    /// The connection a packet `pkt` between `a` and `b` belongs to, if it is one of these: the
    /// latest to start at or before it (an earlier one on the same addresses is over by then).
    pub fn get(&self, proto: u8, a: SocketAddr, b: SocketAddr, pkt: PktNum) -> Option<ConnId> {
        let key = FlowKey::new(proto, (a.ip(), a.port()), (b.ip(), b.port()));
        self.lookup(&key, pkt)
    }

    fn lookup(&self, key: &FlowKey, pkt: PktNum) -> Option<ConnId> {
        let v = self.by_key.get(key)?;
        let i = v.partition_point(|&(s, _)| s <= pkt);
        i.checked_sub(1).map(|i| v[i].1)
    }

    pub fn len(&self) -> usize {
        self.by_key.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

/// When a packet was seen: its number and relative time.
#[derive(Clone, Copy, Debug)]
pub struct At {
    pub pkt: PktNum,
    pub ts: Ts,
}

pub struct Tracker<H: StreamHandler> {
    pub handler: H,
    limits: Limits,
    /// Slots by key (u32: the table holds at most `--max-connections`, at most 2^24).
    index: FxHashMap<FlowKey, u32>,
    /// The flow found last: the next packet most often belongs to it, and comparing keys is
    /// cheaper than hashing one.
    last: Option<(FlowKey, usize)>,
    slots: Vec<Option<Flow<H::Conn>>>,
    free: Vec<usize>,
    next_id: ConnId,
    live: usize,
    /// Decoding state of all flows together (the sum of their `mem`), held to
    /// `limits.memory_budget`.
    mem: usize,
    /// Highest `mem` seen.
    mem_peak: usize,
    /// Connections no longer decoded because the budget was reached.
    budget_evictions: u64,
    /// Numbers given in advance (see [`ConnIds`]).
    ids: Option<ConnIds>,
    /// Keep only what decides which connection a packet belongs to ([`Tracker::numbering`]).
    numbering: bool,
    /// The connection the last packet went to (read by [`Tracker::last_conn`]).
    last_conn: Option<ConnId>,
}

impl<H: StreamHandler> Tracker<H> {
    pub fn new(handler: H, limits: Limits) -> Self {
        Tracker {
            handler,
            limits,
            index: FxHashMap::default(),
            last: None,
            slots: Vec::new(),
            free: Vec::new(),
            next_id: 1,
            live: 0,
            mem: 0,
            mem_peak: 0,
            budget_evictions: 0,
            ids: None,
            numbering: false,
            last_conn: None,
        }
    }

    /// A flow table that only numbers connections, as the full one does, at a fraction of its
    /// cost ([`crate::tail`] finds a capture's last connections with it): for each packet it
    /// keeps what decides which connection the packets after it belong to (the addresses, the
    /// initial sequence numbers a new SYN is compared with, the close on a reset or on both
    /// FINs acknowledged, the table's room) and nothing else: no state machines, analysis,
    /// reassembly or per-segment events. Only the memory budget's evictions are not
    /// reproduced (nothing is held to count).
    pub fn numbering(handler: H, limits: Limits) -> Self {
        Tracker {
            numbering: true,
            ..Self::new(handler, limits)
        }
    }

    /// A decoded packet, to its TCP or UDP flow. Returns its protocol and both ends; None (and
    /// nothing done) for another IP protocol.
    pub fn packet(
        &mut self,
        at: At,
        d: &crate::wire::Decoded<'_>,
        captured_short: bool,
        sink: &mut dyn Sink,
    ) -> Option<(u8, SocketAddr, SocketAddr)> {
        let (proto, src, dst) = crate::wire::ends(d)?;
        match &d.transport {
            crate::wire::Transport::Tcp(t) => {
                self.tcp(at, src, dst, t, d.truncated || captured_short, sink)
            }
            crate::wire::Transport::Udp { len, .. } => {
                self.udp(at.pkt, at.ts, src, dst, *len, sink)
            }
            crate::wire::Transport::Other(_) => {}
        }
        Some((proto, src, dst))
    }

    /// The connection the last packet given to [`Tracker::tcp`] or [`Tracker::udp`] went to.
    pub fn last_conn(&self) -> Option<ConnId> {
        self.last_conn
    }

    /// Number the connections of `ids` as it says; any other gets a number above them all.
    pub fn set_ids(&mut self, ids: ConnIds) {
        self.next_id = self.next_id.max(ids.max.saturating_add(1));
        self.ids = Some(ids);
    }

    /// Connections seen so far.
    pub fn connections(&self) -> u32 {
        self.next_id - 1
    }

    fn reasm_limits(&self) -> ReasmLimits {
        ReasmLimits {
            bytes: self.limits.stream_buffer,
            segments: self.limits.ooo_segments,
        }
    }

    fn insert(&mut self, flow: Flow<H::Conn>) -> usize {
        let key = flow.key;
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s] = Some(flow);
                s
            }
            None => {
                self.slots.push(Some(flow));
                self.slots.len() - 1
            }
        };
        self.index.insert(key, slot as u32);
        self.last = None;
        self.live += 1;
        slot
    }

    fn remove(&mut self, slot: usize) {
        if let Some(f) = self.slots[slot].take() {
            self.mem -= f.mem;
            if self.index.get(&f.key) == Some(&(slot as u32)) {
                self.index.remove(&f.key);
            }
            self.last = None;
            self.free.push(slot);
            self.live -= 1;
        }
    }

    fn lookup(&mut self, key: &FlowKey) -> Option<usize> {
        if let Some((k, s)) = &self.last
            && k == key
        {
            return Some(*s);
        }
        let s = *self.index.get(key)? as usize;
        self.last = Some((*key, s));
        Some(s)
    }

    /// Keep the table within its limit: close the longest-idle eighth as incomplete.
    fn make_room(&mut self, pkt: PktNum, sink: &mut dyn Sink) {
        if self.live < self.limits.connections.max(1) {
            return;
        }
        let mut idle: Vec<(PktNum, usize)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.as_ref().map(|f| (f.last_pkt, i)))
            .collect();
        // Partition, not sort: O(live) work that frees an eighth of the table keeps eviction
        // O(1) amortised per new connection (a SYN flood costs no more per packet).
        let n = (self.live / 8).max(1).min(idle.len());
        if n < idle.len() {
            idle.select_nth_unstable(n);
        }
        // Left unsorted (still deterministic): ordering the notes would cost O(log n) each.
        idle.truncate(n);
        for &(_, slot) in &idle {
            if let Some(f) = self.slots[slot].as_mut() {
                let id = f.id;
                if !f.closed {
                    Self::close(&mut self.handler, f, CloseHow::Incomplete, sink);
                }
                if !self.numbering {
                    sink.emit(Event::Note(Note {
                        level: Level::Warn,
                        code: "conn-evicted",
                        text: format!(
                            "more than {} connections at once: stopped tracking connection {id}, idle the longest",
                            self.limits.connections
                        ),
                        conn: Some(id),
                        pkt: Some(pkt),
                    }));
                }
            }
            self.remove(slot);
        }
    }

    fn new_flow(
        &mut self,
        key: FlowKey,
        proto: Proto,
        (client, server, guessed): (SocketAddr, SocketAddr, bool),
        at: At,
        sink: &mut dyn Sink,
    ) -> usize {
        let At { pkt, ts } = at;
        self.make_room(pkt, sink);
        let id = match self.ids.as_ref().and_then(|m| m.lookup(&key, pkt)) {
            Some(id) => id,
            None => {
                self.next_id += 1;
                self.next_id - 1
            }
        };
        sink.emit(Event::ConnOpen(ConnOpen {
            conn: id,
            proto,
            client,
            server,
            pkt,
            ts,
            guessed,
        }));
        self.insert(Flow {
            id,
            key,
            proto,
            client_lo: (client.ip(), client.port()) == key.lo,
            last_pkt: pkt,
            last_ts: ts,
            closed: false,
            mem: 0,
            tcp: TcpConn::default(),
            app: H::Conn::default(),
        })
    }

    pub fn udp(
        &mut self,
        pkt: PktNum,
        ts: Ts,
        src: SocketAddr,
        dst: SocketAddr,
        len: u32,
        sink: &mut dyn Sink,
    ) {
        let key = FlowKey::new(17, (src.ip(), src.port()), (dst.ip(), dst.port()));
        let slot = match self.lookup(&key) {
            Some(s) => s,
            None => self.new_flow(key, Proto::Udp, (src, dst, false), At { pkt, ts }, sink),
        };
        let Some(f) = self.slots[slot].as_mut() else {
            return;
        };
        f.last_pkt = pkt;
        f.last_ts = ts;
        self.last_conn = Some(f.id);
        let dir = Self::dir_of(f, src);
        sink.emit(Event::Udp(UdpDatagram {
            conn: f.id,
            pkt,
            ts,
            dir,
            len,
        }));
    }

    pub fn tcp(
        &mut self,
        at: At,
        src: SocketAddr,
        dst: SocketAddr,
        t: &TcpView<'_>,
        truncated: bool,
        sink: &mut dyn Sink,
    ) {
        let At { pkt, ts } = at;
        let key = FlowKey::new(6, (src.ip(), src.port()), (dst.ip(), dst.port()));
        let fl = t.flags;
        let fresh_syn = fl.syn() && !fl.ack();
        let slot = match self.lookup(&key) {
            // A new SYN (another initial sequence number) on a connection's addresses starts a
            // new connection (port reuse), as tshark does, whether or not the old one was seen
            // to end: merged, the new bytes would land gigabytes away in the old sequence space.
            Some(s)
                if fresh_syn
                    && self.slots[s].as_ref().is_some_and(|f| {
                        let base = f.tcp.base[Self::dir_of(f, src).idx()];
                        if f.closed {
                            base != Some(t.seq)
                        } else {
                            base.is_some_and(|b| b != t.seq)
                        }
                    }) =>
            {
                if let Some(f) = self.slots[s].as_mut()
                    && !f.closed
                {
                    let (id, old) = (f.id, f.tcp.base[Self::dir_of(f, src).idx()]);
                    f.last_pkt = pkt;
                    f.last_ts = ts;
                    Self::close(&mut self.handler, f, CloseHow::Incomplete, sink);
                    sink.emit(Event::Note(Note {
                        level: Level::Warn,
                        code: "tcp-port-reused",
                        text: format!(
                            "a new SYN (initial sequence number {}) on the addresses of connection {id}, which never ended (its was {}): connection {id} is closed as incomplete and a new connection starts (port reuse)",
                            t.seq,
                            old.unwrap_or(0)
                        ),
                        conn: Some(id),
                        pkt: Some(pkt),
                    }));
                }
                self.remove(s);
                self.open_tcp(key, src, dst, t, at, sink)
            }
            Some(s) => s,
            None => self.open_tcp(key, src, dst, t, at, sink),
        };
        let lim = self.reasm_limits();
        let Some(f) = self.slots[slot].as_mut() else {
            return;
        };
        f.last_pkt = pkt;
        f.last_ts = ts;
        let dir = Self::dir_of(f, src);
        let d = dir.idx();
        let c = &mut f.tcp;

        if c.base[d].is_none() {
            c.base[d] = Some(if fl.syn() {
                t.seq
            } else {
                t.seq.wrapping_sub(1)
            });
        }
        if fl.ack() && c.base[1 - d].is_none() {
            c.base[1 - d] = Some(t.ack.wrapping_sub(1));
        }
        self.last_conn = Some(f.id);
        if self.numbering {
            // What the port-reuse test above and the close below read, and nothing more.
            let seq_len = t.payload_len + fl.syn() as u32 + fl.fin() as u32;
            if fl.fin() {
                c.fin_seen[d] = true;
                c.fin_end[d] = Some(t.seq.wrapping_add(seq_len));
            }
            if fl.ack() && c.fin_end[1 - d].is_some_and(|e| (t.ack.wrapping_sub(e) as i32) >= 0) {
                c.fin_acked[1 - d] = true;
            }
            if !f.closed && (fl.rst() || c.fin_acked == [true, true]) {
                let how = if fl.rst() {
                    CloseHow::Rst
                } else {
                    CloseHow::Fin
                };
                Self::close(&mut self.handler, f, how, sink);
            }
            return;
        }
        let rel_seq = t.seq.wrapping_sub(c.base[d].unwrap_or(t.seq));
        let rel_ack = if fl.ack() {
            t.ack.wrapping_sub(c.base[1 - d].unwrap_or(t.ack))
        } else {
            0
        };

        let analysis = c.ana.segment(
            d,
            Seg {
                flags: fl,
                seq: t.seq,
                ack: t.ack,
                len: t.payload_len,
                win: t.win,
                wscale_opt: t.opts.wscale,
                ts,
            },
        );
        let seq_len = t.payload_len + fl.syn() as u32 + fl.fin() as u32;
        c.m.segment(d, fl, t.seq, t.ack, seq_len);

        let handshake = if fl.syn() && !fl.ack() && dir == Dir::C2S {
            c.syn_seen = true;
            Some(Handshake::Syn)
        } else if fl.syn() && fl.ack() && dir == Dir::S2C {
            c.synack_seen = true;
            Some(Handshake::SynAck)
        } else if dir == Dir::C2S
            && fl.ack()
            && !fl.syn()
            && !fl.fin()
            && !fl.rst()
            && c.synack_seen
            && !c.handshake_ack_seen
            && c.base[1].is_some_and(|b| t.ack == b.wrapping_add(1))
        {
            c.handshake_ack_seen = true;
            Some(Handshake::Ack)
        } else {
            None
        };
        if fl.fin() {
            c.fin_seen[d] = true;
            c.fin_end[d] = Some(t.seq.wrapping_add(seq_len));
        }
        if fl.ack() && c.fin_end[1 - d].is_some_and(|e| (t.ack.wrapping_sub(e) as i32) >= 0) {
            c.fin_acked[1 - d] = true;
        }
        let (client_state, server_state) = c.m.states();
        let scale = if fl.syn() { None } else { c.ana.scale(d) };
        let win_scaled = c.ana.dir[d]
            .win_scale
            .map(|_| (t.win as u32) << scale.unwrap_or(0).min(14));
        sink.emit(Event::Tcp(TcpSegment {
            conn: f.id,
            pkt,
            ts,
            dir,
            flags: fl,
            seq: t.seq,
            ack: t.ack,
            rel_seq,
            rel_ack,
            len: t.payload_len,
            win: t.win,
            win_scaled,
            client_state,
            server_state,
            handshake,
            analysis,
            opts: t.opts,
            truncated,
        }));
        if truncated {
            sink.emit(Event::Note(Note {
                level: Level::Warn,
                code: "truncated-packet",
                text: format!(
                    "packet cut short by the capture's snap length: {} of {} payload bytes captured",
                    t.payload.len(),
                    t.payload_len
                ),
                conn: Some(f.id),
                pkt: Some(pkt),
            }));
        }

        if f.closed {
            return;
        }
        self.stream(slot, at, dir, t, lim, sink);
        self.account(slot, pkt, sink);
    }

    /// A segment's payload and acknowledgement, for the application layer; then, if the
    /// connection is over, its close.
    fn stream(
        &mut self,
        slot: usize,
        at: At,
        dir: Dir,
        t: &TcpView<'_>,
        lim: ReasmLimits,
        sink: &mut dyn Sink,
    ) {
        let At { pkt, ts } = at;
        let fl = t.flags;
        let d = dir.idx();
        let Some(f) = self.slots[slot].as_mut() else {
            return;
        };
        // Application data, in order, then what the peer's acknowledgement says was missed.
        let cx = StreamCtx {
            conn: f.id,
            dir,
            pkt,
            ts,
        };
        let c = &mut f.tcp;
        if fl.syn() {
            c.reasm[d].start(t.seq.wrapping_add(1));
        }
        if !t.payload.is_empty() || fl.fin() {
            let data_seq = t.seq.wrapping_add(fl.syn() as u32);
            let mut br = Bridge {
                h: &mut self.handler,
                st: &mut f.app,
                cx,
                sink: &mut *sink,
            };
            let out = c.reasm[d].segment(data_seq, t.payload, fl.fin(), lim, &mut br);
            if let Some(at) = c.reasm[d].take_conflict() {
                conflict_note(&mut c.conflict_noted[d], f.id, dir, at, pkt, sink);
            }
            if out.overflow {
                sink.emit(Event::Note(Note {
                    level: Level::Warn,
                    code: "reassembly-overflow",
                    text: format!(
                        "more than {} bytes or {} segments waiting for missing data: gave up on the hole",
                        lim.bytes, lim.segments
                    ),
                    conn: Some(f.id),
                    pkt: Some(pkt),
                }));
            }
        }
        if fl.ack() && !fl.rst() && c.reasm[1 - d].started() {
            let rcx = StreamCtx {
                conn: f.id,
                dir: dir.flip(),
                pkt,
                ts,
            };
            let mut br = Bridge {
                h: &mut self.handler,
                st: &mut f.app,
                cx: rcx,
                sink: &mut *sink,
            };
            c.reasm[1 - d].acked(t.ack, &mut br);
            if let Some(at) = c.reasm[1 - d].take_conflict() {
                conflict_note(
                    &mut c.conflict_noted[1 - d],
                    f.id,
                    dir.flip(),
                    at,
                    pkt,
                    sink,
                );
            }
        }

        // Is the connection over?
        let how = if fl.rst() {
            let refused = !c.synack_seen && c.syn_seen && dir == Dir::S2C;
            Some(if refused {
                CloseHow::Refused
            } else {
                CloseHow::Rst
            })
        } else if c.fin_acked == [true, true] {
            Some(CloseHow::Fin)
        } else {
            None
        };
        if let Some(how) = how {
            Self::close(&mut self.handler, f, how, sink);
        }
    }

    fn dir_of(f: &Flow<H::Conn>, src: SocketAddr) -> Dir {
        let (ip, port) = if f.client_lo { f.key.lo } else { f.key.hi };
        // Ports first: they differ between the two ends far more often than addresses do.
        if src.port() == port && src.ip() == ip {
            Dir::C2S
        } else {
            Dir::S2C
        }
    }

    fn open_tcp(
        &mut self,
        key: FlowKey,
        src: SocketAddr,
        dst: SocketAddr,
        t: &TcpView<'_>,
        at: At,
        sink: &mut dyn Sink,
    ) -> usize {
        let fl = t.flags;
        let (client, server, guessed) = if fl.syn() && !fl.ack() {
            (src, dst, false)
        } else if fl.syn() && fl.ack() {
            (dst, src, false)
        } else if looks_like_server_port(src.port()) && !looks_like_server_port(dst.port()) {
            (dst, src, true)
        } else if (looks_like_server_port(dst.port()) && !looks_like_server_port(src.port()))
            || src.port() >= dst.port()
        {
            (src, dst, true)
        } else {
            (dst, src, true)
        };
        let slot = self.new_flow(key, Proto::Tcp, (client, server, guessed), at, sink);
        if let Some(f) = self.slots[slot].as_mut() {
            let m = &mut f.tcp.m;
            // A fresh SYN leaves both sides CLOSED: the server's answer tells whether it listened.
            if fl.syn() && fl.ack() {
                // The SYN was not captured: the client must have sent it.
                m.side[0].state = TcpState::SynSent;
                m.side[0].syn_end = Some(t.ack);
                f.tcp.syn_seen = true;
            } else if !fl.syn() {
                m.side[0].state = TcpState::Established;
                m.side[1].state = TcpState::Established;
                m.side[0].peer_syn = true;
                m.side[1].peer_syn = true;
            }
        }
        slot
    }

    fn close(h: &mut H, f: &mut Flow<H::Conn>, how: CloseHow, sink: &mut dyn Sink) {
        if f.closed {
            return;
        }
        f.closed = true;
        if f.proto != Proto::Tcp {
            return;
        }
        for dir in [Dir::C2S, Dir::S2C] {
            let cx = StreamCtx {
                conn: f.id,
                dir,
                pkt: f.last_pkt,
                ts: f.last_ts,
            };
            let mut br = Bridge {
                h: &mut *h,
                st: &mut f.app,
                cx,
                sink: &mut *sink,
            };
            f.tcp.reasm[dir.idx()].finish(&mut br);
            h.end(&mut f.app, cx, sink);
        }
        // Nothing more will be decoded: let go of every buffer and inflate window at once (the
        // flow itself stays, small, for the packets that may still come).
        f.app = H::Conn::default();
        f.tcp.reasm = Default::default();
        let (client_state, server_state) = f.tcp.m.states();
        sink.emit(Event::ConnClose(ConnClose {
            conn: f.id,
            pkt: f.last_pkt,
            ts: f.last_ts,
            how,
            client_state,
            server_state,
        }));
    }

    /// End of input: every connection still open is reported as incomplete, in id order.
    pub fn finish(&mut self, sink: &mut dyn Sink) {
        let mut open: Vec<usize> = (0..self.slots.len())
            .filter(|&i| {
                self.slots[i]
                    .as_ref()
                    .is_some_and(|f| !f.closed && f.proto == Proto::Tcp)
            })
            .collect();
        open.sort_by_key(|&i| self.slots[i].as_ref().map(|f| f.id));
        for i in open {
            if let Some(f) = self.slots[i].as_mut() {
                let how = if f.tcp.fin_seen == [true, true] {
                    CloseHow::Fin
                } else {
                    CloseHow::Incomplete
                };
                Self::close(&mut self.handler, f, how, sink);
            }
        }
    }
}

#[cfg(test)]
mod size_tests {
    use std::mem::size_of;

    /// The flow table's entries stay small: a capture of 1M lone SYNs keeps
    /// `--max-connections` (65,536) of them at once, and every closed connection keeps its
    /// entry; docs/security.md states the bound per connection. What only a connection with
    /// data needs is boxed and made with its first bytes (`Reasm`'s tail and held segments,
    /// the bytes held to recognise the protocol), and let go at the close. 720 bytes before
    /// issue 17's third round, 456 after.
    #[test]
    fn a_flow_is_small() {
        let n = size_of::<super::Flow<crate::app::AppConn>>();
        assert!(n <= 456, "flow: {n} bytes");
        assert!(size_of::<super::Reasm>() <= 40);
        assert!(size_of::<crate::app::AppConn>() <= 16);
    }
}
