//! The end of a capture decoded ahead of the rest, so a large file's last packets can be shown
//! within a second or two while the whole file is still being decoded.
//!
//! Decoding a connection's last packets needs all of its earlier ones (its handshake, its
//! negotiated extensions, the compression window of permessage-deflate), and its number
//! depends on every connection before it. So the end is decoded in two passes over the file:
//!
//! 1. [`plan`]: a flow table that only numbers connections, as the full decode does, finds the
//!    connections that have a packet among the last `window` packets, where each one started
//!    and the number it gets.
//! 2. The caller feeds a normal [`Decoder`] (set up by [`TailPlan::decoder`]) only the packets
//!    [`TailPlan::wants`]: those connections' packets, from their first one on. Their events are
//!    then the same as in a decode of the whole capture, connection numbers and times included.
//!
//! A connection that started more than `reach` packets before the end is decoded from there,
//! as if the capture had begun mid-connection (roles and WebSocket framing guessed; see
//! [`TailPlan::mid_stream`]), so the work stays bounded on a capture of one long connection.
//! What can still differ from the full decode: connections evicted there by
//! `--max-connections` or `--memory-budget` (fewer are open at once here), and capture-wide
//! notes (skipped packets, time going backwards), which belong to no connection.

use crate::capture::{self, CaptureError, Packet};
use crate::decoder::{DecodeOptions, Decoder};
use crate::event::{ConnId, Event, PktNum};
use crate::tcp::NoApp;
use crate::tcp::tracker::{At, ConnIds, Tracker};
use crate::wire;
use rustc_hash::FxHashSet;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// What to decode to show a capture's end.
#[derive(Clone, Debug)]
pub struct TailPlan {
    /// Packets in the capture.
    pub total: PktNum,
    /// The first of the last `window` packets, whose connections are decoded.
    pub window_from: PktNum,
    /// The first packet to feed: the earliest start among those connections, or `reach`
    /// packets before the end.
    pub feed_from: PktNum,
    /// Those connections that started before `feed_from` (decoded mid-stream).
    pub mid_stream: usize,
    /// Timestamp of the capture's first packet (events' times count from it).
    pub first_ts_ns: i64,
    ids: ConnIds,
}

/// Where a packet goes in the flow table: its protocol and both ends, when it is TCP or UDP.
fn ends(p: &Packet<'_>) -> Option<(u8, SocketAddr, SocketAddr)> {
    wire::ends(&wire::decode(p.linktype, p.data).ok()?)
}

/// Find the connections of the capture's last `window` packets (pass 1 above). Decoding them
/// goes back at most `reach` packets from the end (`reach` ≥ `window`). One read of the file,
/// through a flow table that only numbers connections ([`Tracker::numbering`]).
///
/// Setting `stop` ends the reading early (the result is then of no use).
pub fn plan(
    path: &Path,
    window: PktNum,
    reach: PktNum,
    stop: &AtomicBool,
) -> Result<TailPlan, CaptureError> {
    let window = window.max(1);
    let mut tracker = Tracker::numbering(NoApp, crate::limits::Limits::default());
    // Where each connection started, by number (numbers are handed out 1, 2, 3…).
    let mut starts: Vec<PktNum> = Vec::new();
    let mut sink = |ev: Event| {
        if let Event::ConnOpen(o) = ev {
            starts.resize(o.conn as usize, 0);
            starts[o.conn as usize - 1] = o.pkt;
        }
    };
    // The connections of the last `window` packets so far, as runs of packets of one
    // connection (most packets belong to the connection of the one before): each run's first
    // packet, its connection (0: none) and addresses, oldest first.
    let mut runs: VecDeque<(PktNum, ConnId, u8, SocketAddr, SocketAddr)> = VecDeque::new();
    let mut push = |num: PktNum, id: ConnId, proto: u8, src: SocketAddr, dst: SocketAddr| {
        if runs.back().is_some_and(|r| r.1 == id) {
            return;
        }
        runs.push_back((num, id, proto, src, dst));
        // Runs that ended before the last `window` packets (counting this one) go.
        while runs.len() >= 2 && runs[1].0 + window <= num + 1 {
            runs.pop_front();
        }
    };
    let mut total = 0;
    let mut first_ts_ns = None;
    // A file cut short (or damaged) ends where it can be read: its end is what was read (the
    // whole file's decode reports the damage when it gets there).
    capture::read_file_offsets_until(path, Some(stop), |p, _| {
        total = p.num;
        first_ts_ns.get_or_insert(p.ts_ns);
        let Ok(d) = wire::decode(p.linktype, p.data) else {
            push(p.num, 0, 0, UNSPECIFIED, UNSPECIFIED);
            return;
        };
        let at = At {
            pkt: p.num,
            ts: crate::event::Ts(0),
        };
        let (id, proto, src, dst) = match tracker.packet(at, &d, p.truncated(), &mut sink) {
            Some((proto, src, dst)) => (tracker.last_conn().unwrap_or(0), proto, src, dst),
            None => (0, 0, UNSPECIFIED, UNSPECIFIED),
        };
        push(p.num, id, proto, src, dst);
    })?;
    let window_from = total.saturating_sub(window) + 1;
    let reach_from = total.saturating_sub(reach.max(window)) + 1;
    let mut ids = ConnIds::default();
    let mut feed_from = window_from;
    let mut mid_stream = 0;
    let mut done: FxHashSet<ConnId> = FxHashSet::default();
    for (i, &(_, id, proto, a, b)) in runs.iter().enumerate() {
        let ends_at = runs.get(i + 1).map_or(total, |r| r.0 - 1);
        if id == 0 || ends_at < window_from || !done.insert(id) {
            continue;
        }
        let start = starts.get(id as usize - 1).copied().unwrap_or(window_from);
        if start < reach_from {
            mid_stream += 1;
        }
        let start = start.max(reach_from);
        feed_from = feed_from.min(start);
        ids.insert(proto, a, b, start, id);
    }
    Ok(TailPlan {
        total,
        window_from,
        feed_from,
        mid_stream,
        first_ts_ns: first_ts_ns.unwrap_or(0),
        ids,
    })
}

const UNSPECIFIED: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0);

impl TailPlan {
    /// Connections decoded.
    pub fn conns(&self) -> usize {
        self.ids.len()
    }

    /// Whether packet `p` is one to feed the decoder.
    pub fn wants(&self, p: &Packet<'_>) -> bool {
        p.num >= self.feed_from
            && ends(p).is_some_and(|(proto, a, b)| self.ids.get(proto, a, b, p.num).is_some())
    }

    /// A decoder that numbers and times the connections as a decode of the whole capture does.
    pub fn decoder(&self, opts: DecodeOptions) -> Decoder {
        let mut dec = Decoder::new(opts);
        dec.set_conn_ids(self.ids.clone());
        dec.set_first_ts(self.first_ts_ns);
        dec
    }
}

/// Pass 2: read the file again and give `f` each packet the plan wants, with where its bytes
/// are in the file; `f` feeds them to a decoder made by [`TailPlan::decoder`] (and keeps what
/// else it needs). Keys in the capture's Decryption Secrets Blocks go to `keys` (the
/// decoder's store), as in a full decode.
///
/// Setting `stop` ends the reading early.
pub fn feed(
    path: &Path,
    plan: &TailPlan,
    keys: crate::tls::KeyStore,
    stop: &AtomicBool,
    mut f: impl FnMut(&Packet<'_>, Option<u64>),
) -> Result<capture::ReadSummary, CaptureError> {
    capture::with_secrets(
        move |ty, text| {
            if ty == crate::tls::DSB_TLS_KEY_LOG {
                keys.add_text(text)
            }
        },
        || {
            capture::read_file_offsets_until(path, Some(stop), |p, at| {
                if plan.wants(&p) {
                    f(&p, at);
                }
            })
        },
    )
}
