//! The transport layer agrees with tshark on every bundled capture: the connections, every
//! segment's raw seq/ack, the three handshake segments, and the retransmission / out-of-order
//! counts of each connection.

use crate::common;
use common::*;
use std::collections::BTreeMap;
use wslens::event::{Event, Handshake, Proto};

#[derive(Debug, Default, PartialEq)]
struct ConnFacts {
    segments: usize,
    retransmissions: usize,
    out_of_order: usize,
    /// (pkt, seq, ack) of syn, syn-ack, ack
    handshake: Vec<(u64, u32, u32)>,
}

#[test]
fn tcp_facts_match_tshark_on_every_capture() {
    for path in all_captures() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let events = decode(&path);
        // ours, keyed by 0-based stream number in order of first appearance (as tshark numbers them)
        let mut stream_of = BTreeMap::new();
        let mut ours: BTreeMap<u32, ConnFacts> = BTreeMap::new();
        let mut seg_by_pkt = BTreeMap::new();
        for e in &events {
            match e {
                Event::ConnOpen(o) if o.proto == Proto::Tcp => {
                    let n = stream_of.len() as u32;
                    stream_of.insert(o.conn, n);
                }
                Event::Tcp(t) => {
                    let f = ours.entry(stream_of[&t.conn]).or_default();
                    f.segments += 1;
                    f.retransmissions +=
                        t.analysis.has(wslens::event::Analysis::RETRANSMISSION) as usize;
                    f.out_of_order +=
                        t.analysis.has(wslens::event::Analysis::OUT_OF_ORDER) as usize;
                    if let Some(h) = t.handshake {
                        let _ = h == Handshake::Syn;
                        f.handshake.push((t.pkt, t.seq, t.ack));
                    }
                    seg_by_pkt.insert(t.pkt, (stream_of[&t.conn], t.seq, t.ack));
                }
                _ => {}
            }
        }
        let rows = tshark_fields(
            &path,
            "tcp",
            &[
                "frame.number",
                "tcp.stream",
                "tcp.seq_raw",
                "tcp.ack_raw",
                "tcp.flags",
                "tcp.analysis.retransmission",
                "tcp.analysis.out_of_order",
            ],
            &[],
        );
        let mut theirs: BTreeMap<u32, ConnFacts> = BTreeMap::new();
        for r in &rows {
            let pkt: u64 = r[0].parse().unwrap();
            let stream: u32 = r[1].parse().unwrap();
            let seq: u32 = r[2].parse().unwrap();
            let ack: u32 = r[3].parse().unwrap();
            let flags = u16::from_str_radix(r[4].trim_start_matches("0x"), 16).unwrap();
            let f = theirs.entry(stream).or_default();
            f.segments += 1;
            f.retransmissions += !r[5].is_empty() as usize;
            f.out_of_order += !r[6].is_empty() as usize;
            assert_eq!(
                seg_by_pkt.get(&pkt),
                Some(&(stream, seq, ack)),
                "{name}: packet {pkt}: stream/seq/ack differ from tshark"
            );
            let _ = flags;
        }
        // handshake: tshark has no label, so check ours against the packets' own numbers
        for (stream, f) in &ours {
            if f.handshake.len() == 3 {
                let (syn, synack, ack) = (f.handshake[0], f.handshake[1], f.handshake[2]);
                assert_eq!(
                    synack.2,
                    syn.1.wrapping_add(1),
                    "{name} stream {stream}: SYN-ACK ack = j+1"
                );
                assert_eq!(
                    ack.2,
                    synack.1.wrapping_add(1),
                    "{name} stream {stream}: ACK ack = k+1"
                );
            }
        }
        let strip = |m: &BTreeMap<u32, ConnFacts>| -> BTreeMap<u32, (usize, usize, usize)> {
            m.iter()
                .map(|(k, f)| (*k, (f.segments, f.retransmissions, f.out_of_order)))
                .collect()
        };
        assert_eq!(
            strip(&ours),
            strip(&theirs),
            "{name}: (segments, retransmissions, out-of-order) per stream"
        );
    }
}

#[test]
fn handshake_is_labelled_with_real_numbers_on_the_classroom_capture() {
    let events = decode(&capture("classroom.pcap"));
    let hs: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Tcp(t) => t
                .handshake
                .map(|h| (h, t.pkt, t.seq, t.ack, t.client_state, t.server_state)),
            _ => None,
        })
        .collect();
    use wslens::event::TcpState::*;
    assert_eq!(hs.len(), 3);
    assert_eq!(
        (hs[0].0, hs[0].1, hs[0].4, hs[0].5),
        (Handshake::Syn, 1, SynSent, Closed),
        "no listener is claimed before the server answers"
    );
    assert_eq!(
        (hs[1].0, hs[1].1, hs[1].4, hs[1].5),
        (Handshake::SynAck, 2, Established, SynReceived)
    );
    assert_eq!(
        (hs[2].0, hs[2].1, hs[2].4, hs[2].5),
        (Handshake::Ack, 3, Established, Established)
    );
    assert_eq!(hs[1].3, hs[0].2.wrapping_add(1));
    assert_eq!(hs[2].3, hs[1].2.wrapping_add(1));
    let close = events.iter().find_map(|e| match e {
        Event::ConnClose(c) => Some(c.clone()),
        _ => None,
    });
    let close = close.expect("the classroom connection closes");
    assert_eq!(close.how, wslens::event::CloseHow::Fin);
    // The server closed first, so it is the one left in TIME_WAIT.
    assert_eq!((close.client_state, close.server_state), (Closed, TimeWait));
}

#[test]
fn refused_connection_is_reported() {
    let events = decode(&capture("refused.pcap"));
    let close = events.iter().find_map(|e| match e {
        Event::ConnClose(c) => Some(c.how),
        _ => None,
    });
    assert_eq!(close, Some(wslens::event::CloseHow::Refused));
}
