//! Cutting a capture's TCP byte streams into different segment sizes changes nothing above TCP:
//! the WebSocket messages (direction, opcode, length, SHA-256) are the same however the bytes
//! are packetised. Each bundled capture's streams are re-sent, in their original interleaving
//! of directions, as segments of arbitrary sizes and decoded again.

use crate::common;

use proptest::prelude::*;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use wslens::capture::{self, Packet};
use wslens::decoder::{DecodeOptions, Decoder};
use wslens::event::{ConnId, Dir, Event, Sink, Ts};
use wslens::limits::Limits;
use wslens::tcp::tracker::{At, Tracker};
use wslens::tcp::{StreamCtx, StreamHandler};
use wslens::wire::{self, Transport};

/// Per connection: its two ends and the in-order stream bytes, as runs of one direction.
#[derive(Default)]
struct Streams {
    runs: BTreeMap<ConnId, Vec<(Dir, Vec<u8>)>>,
    gaps: u64,
}

impl StreamHandler for Streams {
    type Conn = ();
    fn data(&mut self, _: &mut (), cx: StreamCtx, data: &[u8], _: &mut dyn Sink) {
        let runs = self.runs.entry(cx.conn).or_default();
        match runs.last_mut() {
            Some((d, b)) if *d == cx.dir => b.extend_from_slice(data),
            _ => runs.push((cx.dir, data.to_vec())),
        }
    }
    fn gap(&mut self, _: &mut (), _: StreamCtx, _: u64, _: &mut dyn Sink) {
        self.gaps += 1;
    }
    fn end(&mut self, _: &mut (), _: StreamCtx, _: &mut dyn Sink) {}
}

type Msg = (Dir, String, u64, [u8; 32]);
type Msgs = BTreeMap<ConnId, Vec<Msg>>;
/// Each connection's (client, server).
type Ends = BTreeMap<ConnId, (SocketAddr, SocketAddr)>;

fn messages(events: &[Event]) -> BTreeMap<ConnId, Vec<Msg>> {
    let mut m: BTreeMap<ConnId, Vec<Msg>> = BTreeMap::new();
    for e in events {
        if let Event::WsMessage(w) = e {
            m.entry(w.conn)
                .or_default()
                .push((w.dir, format!("{:?}", w.opcode), w.len, w.sha256));
        }
    }
    m
}

/// The original capture: its messages, and its streams with each connection's two ends.
fn original(name: &str) -> (Msgs, Streams, Ends) {
    let path = common::capture(name);
    let events = common::decode(&path);
    let mut ends = BTreeMap::new();
    for e in &events {
        if let Event::ConnOpen(o) = e {
            ends.insert(o.conn, (o.client, o.server));
        }
    }
    let mut tr = Tracker::new(Streams::default(), Limits::default());
    let mut sink = |_e: Event| {};
    capture::read_file(&path, |p| {
        if let Ok(d) = wire::decode(p.linktype, p.data)
            && let Transport::Tcp(t) = d.transport
        {
            let (src, dst) = (
                SocketAddr::new(d.src, t.src_port),
                SocketAddr::new(d.dst, t.dst_port),
            );
            tr.tcp(
                At {
                    pkt: p.num,
                    ts: Ts(0),
                },
                src,
                dst,
                &t,
                false,
                &mut sink,
            );
        }
    })
    .unwrap();
    tr.finish(&mut sink);
    (messages(&events), tr.handler, ends)
}

fn ip_tcp(src: SocketAddr, dst: SocketAddr, seq: u32, ack: u32, flags: u8, pl: &[u8]) -> Vec<u8> {
    let (SocketAddr::V4(s), SocketAddr::V4(d)) = (src, dst) else {
        panic!("IPv4 captures only");
    };
    let mut p = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0];
    p[2..4].copy_from_slice(&((40 + pl.len()) as u16).to_be_bytes());
    p.extend_from_slice(&s.ip().octets());
    p.extend_from_slice(&d.ip().octets());
    p.extend_from_slice(&s.port().to_be_bytes());
    p.extend_from_slice(&d.port().to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ack.to_be_bytes());
    p.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    p.extend_from_slice(pl);
    p
}

/// Re-send every stream with segment sizes taken in turn from `sizes`, and decode that.
fn resegmented(
    s: &Streams,
    ends: &BTreeMap<ConnId, (SocketAddr, SocketAddr)>,
    sizes: &[usize],
) -> BTreeMap<ConnId, Vec<Msg>> {
    let mut events = Vec::new();
    let mut dec = Decoder::new(DecodeOptions::default());
    let mut sink = |e: Event| events.push(e);
    let mut num = 0;
    let mut send = |dec: &mut Decoder, sink: &mut dyn Sink, bytes: Vec<u8>| {
        num += 1;
        let p = Packet {
            num,
            ts_ns: num as i64 * 1000,
            linktype: wire::LINKTYPE_RAW,
            data: &bytes,
            orig_len: bytes.len() as u32,
        };
        dec.packet(&p, sink);
    };
    let mut k = 0;
    for (conn, runs) in &s.runs {
        let (c, sv) = ends[conn];
        let mut seq = [1000u32, 9000u32];
        send(&mut dec, &mut sink, ip_tcp(c, sv, seq[0], 0, 0x02, b""));
        send(
            &mut dec,
            &mut sink,
            ip_tcp(sv, c, seq[1], seq[0] + 1, 0x12, b""),
        );
        seq = [seq[0] + 1, seq[1] + 1];
        send(
            &mut dec,
            &mut sink,
            ip_tcp(c, sv, seq[0], seq[1], 0x10, b""),
        );
        for (dir, bytes) in runs {
            let d = dir.idx();
            let (a, b) = if d == 0 { (c, sv) } else { (sv, c) };
            let mut rest = &bytes[..];
            while !rest.is_empty() {
                let n = sizes[k % sizes.len()].clamp(1, rest.len());
                k += 1;
                let (now, later) = rest.split_at(n);
                send(
                    &mut dec,
                    &mut sink,
                    ip_tcp(a, b, seq[d], seq[1 - d], 0x18, now),
                );
                seq[d] = seq[d].wrapping_add(n as u32);
                rest = later;
            }
        }
        send(
            &mut dec,
            &mut sink,
            ip_tcp(c, sv, seq[0], seq[1], 0x11, b""),
        );
        send(
            &mut dec,
            &mut sink,
            ip_tcp(sv, c, seq[1], seq[0] + 1, 0x11, b""),
        );
        send(
            &mut dec,
            &mut sink,
            ip_tcp(c, sv, seq[0] + 1, seq[1] + 1, 0x10, b""),
        );
    }
    dec.finish(&mut sink);
    // Connection ids are given in order of appearance: renumber to the original ids.
    let ids: Vec<ConnId> = s.runs.keys().copied().collect();
    messages(&events)
        .into_iter()
        .map(|(i, m)| (ids[(i - 1) as usize], m))
        .collect()
}

const CAPTURES: [&str; 4] = [
    "classroom.pcap",
    "deflate.pcap",
    "chat.pcap",
    "tiny-segments.pcap",
];

#[test]
fn the_originals_carry_messages_and_no_gaps() {
    for name in CAPTURES {
        let (msgs, streams, _) = original(name);
        assert!(
            msgs.values().map(Vec::len).sum::<usize>() >= 2,
            "{name}: messages decoded"
        );
        assert_eq!(streams.gaps, 0, "{name}: complete streams");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn any_segmentation_yields_the_same_messages(
        which in 0..CAPTURES.len(),
        sizes in proptest::collection::vec(prop_oneof![1usize..4, 1usize..100, 1usize..1460, 1000usize..20000], 1..16),
    ) {
        let (want, streams, ends) = original(CAPTURES[which]);
        // Only connections that carried any stream bytes are re-sent.
        let want: BTreeMap<ConnId, Vec<Msg>> = want.into_iter().filter(|(c, _)| streams.runs.contains_key(c)).collect();
        let got = resegmented(&streams, &ends, &sizes);
        prop_assert_eq!(got, want);
    }
}
