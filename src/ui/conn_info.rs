//! One connection's summary in the UI's connection list: its ends, both ends' states, running
//! counts, and the indices of its events with the few facts about each that playback needs.
//! A million one-SYN connections cost their summaries, so they are kept small (96 bytes):
//! addresses are numbers into an [`IpTable`], a few events are kept inline, and what only long
//! or upgraded connections need is boxed apart.

use crate::event::{ConnId, Event, Proto, TcpState};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use std::net::{IpAddr, SocketAddr};

/// Every IP address seen, once: a connection keeps the 4-byte number of each of its two.
#[derive(Default)]
pub struct IpTable {
    ips: Vec<IpAddr>,
    index: FxHashMap<IpAddr, u32>,
}

impl IpTable {
    fn intern(&mut self, ip: IpAddr) -> u32 {
        *self.index.entry(ip).or_insert_with(|| {
            self.ips.push(ip);
            (self.ips.len() - 1) as u32
        })
    }

    fn ends(&mut self, client: SocketAddr, server: SocketAddr) -> Ends {
        Ends {
            ips: [self.intern(client.ip()), self.intern(server.ip())],
            ports: [client.port(), server.port()],
        }
    }

    fn addr(&self, e: Ends, side: usize) -> SocketAddr {
        let ip = self.ips.get(e.ips[side] as usize).copied();
        SocketAddr::new(ip.unwrap_or(IpAddr::V4(0.into())), e.ports[side])
    }

    pub fn heap_bytes(&self) -> usize {
        self.ips.capacity() * 17 + self.index.capacity() * 24
    }
}

/// A connection's two ends (client, server): their addresses' numbers in the [`IpTable`] and
/// their ports (in arrays, so no padding sits between an address and its port).
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct Ends {
    ips: [u32; 2],
    ports: [u16; 2],
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConnInfo {
    pub id: ConnId,
    ends: Ends,
    pub proto: Proto,
    pub guessed: bool,
    pub client_state: TcpState,
    pub server_state: TcpState,
    pub upgraded: bool,
    pub closed: bool,
    pub packets: u32,
    pub messages: u32,
    /// TCP/UDP payload bytes, both directions.
    pub bytes: u64,
    /// Indices of this connection's events in the store (a few kept inline: a million
    /// one-SYN connections allocate nothing more).
    pub events: SmallVec<[u32; 4]>,
    /// Per event of `events`: both ends' states after it (4 bits each), whether it is a
    /// message (bit 8) and a packet (bit 9), and the payload bytes it adds (bits 10..,
    /// `BIG_LEN` when they do not fit: then in `Extra::big`).
    facts: SmallVec<[u32; 4]>,
    /// Only for connections of more than `CHECKPOINT` events, with huge segments, upgraded or
    /// over TLS.
    extra: Option<Box<Extra>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Extra {
    /// Running (messages, payload bytes, packets) before event `k * CHECKPOINT`, k ≥ 1.
    marks: Vec<(u32, u64, u32)>,
    /// (position, payload bytes) of events whose length does not fit in `facts`.
    big: Vec<(u32, u32)>,
    /// The event (global index) at which the upgrade happened, so playback can show the
    /// connection as WebSocket only from then on.
    upgraded_at: Option<u32>,
    /// The event (global index) of its first TLS record (the ClientHello): from then on the
    /// connection is TLS, and wss:// once upgraded.
    tls_at: Option<u32>,
}

const CHECKPOINT: usize = 256;
const BIG_LEN: u32 = (1 << 22) - 1;

impl ConnInfo {
    pub(super) fn new(id: ConnId, o: &crate::event::ConnOpen, ips: &mut IpTable) -> Self {
        ConnInfo {
            id,
            ends: ips.ends(o.client, o.server),
            proto: o.proto,
            guessed: o.guessed,
            client_state: TcpState::Closed,
            // Nothing shows a listener before the server answers (UDP has no states at all).
            server_state: TcpState::Closed,
            upgraded: false,
            closed: false,
            packets: 0,
            messages: 0,
            bytes: 0,
            events: SmallVec::new(),
            facts: SmallVec::new(),
            extra: None,
        }
    }

    fn upgraded_at(&self) -> Option<u32> {
        self.extra.as_ref()?.upgraded_at
    }

    fn tls_at(&self) -> Option<u32> {
        self.extra.as_ref()?.tls_at
    }

    pub fn client(&self, ips: &IpTable) -> SocketAddr {
        ips.addr(self.ends, 0)
    }

    pub fn server(&self, ips: &IpTable) -> SocketAddr {
        ips.addr(self.ends, 1)
    }

    /// Take event `idx` (global index) into the summary.
    pub(super) fn observe(&mut self, idx: u32, ev: &Event, ips: &mut IpTable) {
        self.events.push(idx);
        let pos = self.facts.len();
        if pos > 0 && pos.is_multiple_of(CHECKPOINT) {
            let mark = (self.messages, self.bytes, self.packets);
            self.extra.get_or_insert_default().marks.push(mark);
        }
        let mut len = 0;
        let (mut msg, mut pkt) = (false, false);
        match ev {
            Event::ConnOpen(o) => {
                self.proto = o.proto;
                self.ends = ips.ends(o.client, o.server);
                self.guessed = o.guessed;
            }
            Event::Tcp(t) => {
                self.packets += 1;
                self.bytes += u64::from(t.len);
                self.client_state = t.client_state;
                self.server_state = t.server_state;
                (len, pkt) = (t.len, true);
            }
            Event::Udp(u) => {
                self.packets += 1;
                self.bytes += u64::from(u.len);
                (len, pkt) = (u.len, true);
            }
            Event::ConnClose(c) => {
                self.client_state = c.client_state;
                self.server_state = c.server_state;
                self.closed = true;
            }
            Event::WsHandshake(h) => self.upgraded |= h.upgraded,
            Event::WsMessage(_) => {
                self.messages += 1;
                msg = true;
            }
            _ => {}
        }
        if self.upgraded && self.upgraded_at().is_none() {
            self.extra.get_or_insert_default().upgraded_at = Some(idx);
        }
        if self.tls_at().is_none() && matches!(ev, Event::Tls(_) | Event::TlsSession(_)) {
            self.extra.get_or_insert_default().tls_at = Some(idx);
        }
        if len >= BIG_LEN {
            self.extra
                .get_or_insert_default()
                .big
                .push((pos as u32, len));
            len = BIG_LEN;
        }
        self.facts.push(
            u32::from(self.client_state as u8)
                | u32::from(self.server_state as u8) << 4
                | u32::from(msg) << 8
                | u32::from(pkt) << 9
                | len << 10,
        );
    }

    /// Both ends' states after the `p`th of `events`.
    pub fn states_at(&self, p: usize) -> Option<(TcpState, TcpState)> {
        let f = *self.facts.get(p)?;
        Some((
            TcpState::from_index((f & 15) as usize)?,
            TcpState::from_index((f >> 4 & 15) as usize)?,
        ))
    }

    /// Running (messages, payload bytes, packets) after the `p`th of `events`.
    pub fn running_at(&self, p: usize) -> Option<(u32, u64, u32)> {
        self.facts.get(p)?;
        let k = p / CHECKPOINT;
        let (mut m, mut b, mut n) = match k.checked_sub(1) {
            None => (0, 0, 0),
            Some(k) => *self.extra.as_ref()?.marks.get(k)?,
        };
        for q in k * CHECKPOINT..=p {
            let f = self.facts[q];
            m += f >> 8 & 1;
            n += f >> 9 & 1;
            let len = f >> 10;
            b += u64::from(if len == BIG_LEN {
                let big = self.extra.as_ref().map_or(&[][..], |x| &x.big[..]);
                big.binary_search_by_key(&(q as u32), |x| x.0)
                    .map_or(len, |i| big[i].1)
            } else {
                len
            });
        }
        Some((m, b, n))
    }

    /// Had the connection switched to WebSocket by global index `cursor` (None: by now)?
    pub fn upgraded_by(&self, cursor: Option<usize>) -> bool {
        match (self.upgraded_at(), cursor) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(at), Some(c)) => at as usize <= c,
        }
    }

    /// Was the connection known to be TLS by global index `cursor` (None: by now)?
    pub fn tls_by(&self, cursor: Option<usize>) -> bool {
        match (self.tls_at(), cursor) {
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

    /// Bytes of memory it takes beyond its own size (lists grown out of line, the extras).
    pub fn heap_bytes(&self) -> usize {
        let spilled = |cap: usize| if cap > 4 { cap * 4 } else { 0 };
        spilled(self.events.capacity())
            + spilled(self.facts.capacity())
            + self.extra.as_ref().map_or(0, |x| {
                std::mem::size_of::<Extra>() + x.marks.capacity() * 16 + x.big.capacity() * 8
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A million connections that each sent one SYN cost their summaries: keep them small.
    #[test]
    fn a_connection_summary_stays_small() {
        let n = std::mem::size_of::<ConnInfo>();
        assert!(n <= 96, "{n}");
    }

    #[test]
    fn addresses_read_back_through_the_table() {
        let mut ips = IpTable::default();
        let all: Vec<SocketAddr> = [
            "127.0.0.1:80",
            "[::1]:443",
            "[::ffff:10.0.0.1]:8080",
            "10.1.2.3:65535",
            "127.0.0.1:9",
        ]
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
        for pair in all.windows(2) {
            let e = ips.ends(pair[0], pair[1]);
            assert_eq!([ips.addr(e, 0), ips.addr(e, 1)], [pair[0], pair[1]]);
        }
        assert_eq!(ips.ips.len(), 4, "127.0.0.1 kept once");
    }
}
