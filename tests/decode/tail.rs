//! The end of a capture decoded ahead of the rest (`wslens::tail`, the UI's End while a large
//! file loads) gives its connections the same events as a decode of the whole capture.

use crate::common::{all_captures, decode};
use std::collections::BTreeSet;
use std::path::Path;
use wslens::decoder::DecodeOptions;
use wslens::event::{ConnId, Event};
use wslens::tail;

fn opts(path: &Path) -> DecodeOptions {
    let keys = path.with_extension("keys");
    let mut o = DecodeOptions::default();
    if keys.exists() {
        o.tls_keys = wslens::tls::KeyStore::open(&keys, false).expect("key log readable");
    }
    o
}

fn tail_events(path: &Path, plan: &tail::TailPlan) -> (Vec<Event>, Vec<u64>) {
    let mut dec = plan.decoder(opts(path));
    let mut evs = Vec::new();
    let mut fed = Vec::new();
    let mut sink = |e: Event| evs.push(e);
    let keys = dec.tls_keys();
    let sum = tail::feed(path, plan, keys, &Default::default(), |p, _| {
        fed.push(p.num);
        dec.packet(p, &mut sink);
    })
    .unwrap();
    // Only the cut file of the last test has damage, at its very end.
    assert!(sum.error.is_none() || path.to_string_lossy().contains("wslens-tail-cut"));
    dec.finish(&mut sink);
    (evs, fed)
}

fn of_conn(evs: &[Event], id: ConnId) -> Vec<&Event> {
    evs.iter().filter(|e| e.conn() == Some(id)).collect()
}

/// On every bundled capture and several window sizes: the connections chosen are exactly those
/// with a packet in the window, and each one's events (numbers, times, states, frames,
/// messages, notes) equal the full decode's.
#[test]
fn the_end_decoded_ahead_matches_the_whole_decode() {
    let mut checked_conns = 0;
    let mut multi = 0;
    for path in all_captures() {
        let full = decode(&path);
        let total = full.iter().filter_map(Event::pkt).max().unwrap_or(0);
        for window in [1, 3, 10, 40] {
            let plan = tail::plan(&path, window, u64::MAX, &Default::default()).unwrap();
            assert_eq!(plan.mid_stream, 0);
            assert!(plan.total >= total, "{}", path.display());
            let want: BTreeSet<ConnId> = full
                .iter()
                .filter(|e| matches!(e, Event::Tcp(_) | Event::Udp(_)))
                .filter(|e| e.pkt().is_some_and(|p| p >= plan.window_from))
                .filter_map(Event::conn)
                .collect();
            assert_eq!(
                plan.conns(),
                want.len(),
                "{} window {window}",
                path.display()
            );
            let (evs, fed) = tail_events(&path, &plan);
            let got: BTreeSet<ConnId> = evs.iter().filter_map(Event::conn).collect();
            assert_eq!(got, want, "{} window {window}", path.display());
            assert!(fed.first().is_none_or(|&f| f >= plan.feed_from));
            for &id in &want {
                let (a, b) = (of_conn(&full, id), of_conn(&evs, id));
                assert_eq!(
                    a.len(),
                    b.len(),
                    "{} window {window} connection {id}",
                    path.display()
                );
                for (x, y) in a.iter().zip(&b) {
                    assert_eq!(x, y, "{} window {window}", path.display());
                }
                checked_conns += 1;
            }
            if want.len() > 1 {
                multi += 1;
            }
        }
    }
    // The captures include ones with several connections at the end (HTTP polling, browsers).
    assert!(multi >= 3, "{multi}");
    assert!(checked_conns >= 100, "{checked_conns}");
}

/// Only the connections' own packets are fed, so on a capture of many connections the end
/// costs a fraction of the whole.
#[test]
fn only_the_end_connections_packets_are_fed() {
    let path = crate::common::capture("polling-vs-ws.pcap");
    let plan = tail::plan(&path, 1, u64::MAX, &Default::default()).unwrap();
    let (evs, fed) = tail_events(&path, &plan);
    assert_eq!(plan.conns(), 1);
    assert!(
        (fed.len() as u64) < plan.total / 2,
        "{} of {}",
        fed.len(),
        plan.total
    );
    assert!(fed.contains(&plan.total));
    let ids: BTreeSet<ConnId> = evs.iter().filter_map(Event::conn).collect();
    assert_eq!(ids.len(), 1);
    // Not connection 1: the numbers are the whole capture's.
    let full = decode(&path);
    let last = full
        .iter()
        .filter(|e| e.pkt() == Some(plan.total))
        .find_map(Event::conn)
        .unwrap();
    assert_eq!(ids.into_iter().next(), Some(last));
}

/// A connection that began more than `reach` packets before the end is decoded from there on,
/// mid-stream, under its own number.
#[test]
fn a_connection_older_than_the_reach_is_decoded_mid_stream() {
    let path = crate::common::capture("chat.pcap");
    let full = decode(&path);
    let plan = tail::plan(&path, 2, 6, &Default::default()).unwrap();
    assert_eq!(plan.mid_stream, 1);
    assert_eq!(plan.feed_from, plan.total - 5);
    let (evs, fed) = tail_events(&path, &plan);
    let open = evs
        .iter()
        .find_map(|e| match e {
            Event::ConnOpen(o) => Some(o.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(Some(&open.pkt), fed.first());
    let full_conn = full
        .iter()
        .filter(|e| e.pkt() == Some(plan.total))
        .find_map(Event::conn)
        .unwrap();
    assert_eq!(open.conn, full_conn);
    // Fed: that connection's packets from `feed_from` on, and nothing else.
    let mut theirs: Vec<u64> = full
        .iter()
        .filter(|e| matches!(e, Event::Tcp(_)) && e.conn() == Some(full_conn))
        .filter_map(Event::pkt)
        .filter(|&p| p >= plan.feed_from)
        .collect();
    theirs.dedup();
    assert_eq!(fed, theirs);
    assert!(fed.len() >= 4, "{fed:?}");
    // The same TCP states and sequence numbers for the packets it saw.
    let tcp = |v: &[Event]| -> Vec<(u64, u32, u32)> {
        v.iter()
            .filter_map(|e| match e {
                Event::Tcp(t) if t.pkt >= plan.feed_from && t.conn == full_conn => {
                    Some((t.pkt, t.seq, t.ack))
                }
                _ => None,
            })
            .collect()
    };
    assert_eq!(tcp(&full), tcp(&evs));
}

/// A file cut short in its last packet: the end is what can be read, decoded as the whole
/// decode of the same bytes decodes it.
#[test]
fn a_file_cut_short_has_its_end_where_it_can_be_read() {
    let src = crate::common::capture("socketio.pcap");
    let bytes = std::fs::read(&src).unwrap();
    let cut = std::env::temp_dir().join(format!("wslens-tail-cut-{}.pcap", std::process::id()));
    std::fs::write(&cut, &bytes[..bytes.len() - 7]).unwrap();
    let plan = tail::plan(&cut, 3, u64::MAX, &Default::default()).unwrap();
    let whole = tail::plan(&src, 3, u64::MAX, &Default::default()).unwrap();
    assert_eq!(plan.total, whole.total - 1);
    let (evs, fed) = tail_events(&cut, &plan);
    let _ = std::fs::remove_file(&cut);
    assert_eq!(fed.last(), Some(&plan.total));
    assert!(!evs.is_empty());
}

/// One made-up segment: which of three socket pairs, from which end, flags, and a sequence
/// number from a few (so a new SYN sometimes brings another initial number: port reuse).
fn frame(pair: u8, from_client: bool, flags: u8, seq: u8, len: u8) -> Vec<u8> {
    let (c, s) = ([10, 0, 0, 1 + pair], [10, 0, 0, 100]);
    let (cp, sp) = (40_000 + u16::from(pair), 8765);
    let (src, dst, sport, dport) = if from_client {
        (c, s, cp, sp)
    } else {
        (s, c, sp, cp)
    };
    let b = etherparse::PacketBuilder::ethernet2([2; 6], [4; 6])
        .ipv4(src, dst, 64)
        .tcp(sport, dport, u32::from(seq) * 1000, 512);
    let b = if flags & 0x10 != 0 { b.ack(7) } else { b };
    let b = if flags & 0x02 != 0 { b.syn() } else { b };
    let b = if flags & 0x01 != 0 { b.fin() } else { b };
    let b = if flags & 0x04 != 0 { b.rst() } else { b };
    let payload = vec![b'x'; usize::from(len)];
    let mut out = Vec::new();
    b.write(&mut out, &payload).unwrap();
    out
}

/// Write made-up segments `(pair, from_client, flags, seq, len / 10)` as a pcap file.
fn write_segments(path: &Path, segs: &[(u8, bool, u8, u8, u8)]) {
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut w = wslens::capture::write::PcapWriter::new(file, 1, 65535).unwrap();
    for (i, &(pair, from_client, flags, seq, len)) in segs.iter().enumerate() {
        let data = frame(pair, from_client, flags, seq, len * 10);
        w.write(&wslens::capture::Packet {
            num: i as u64 + 1,
            ts_ns: i as i64 * 1_000_000,
            linktype: 1,
            data: &data,
            orig_len: data.len() as u32,
        })
        .unwrap();
    }
    w.flush().unwrap();
}

/// A reset closes a connection for the numbering too: a server's bare RST, then the client's
/// SYN on the same addresses, is two connections (the SYN's direction had no sequence number
/// yet, so only the close tells them apart).
#[test]
fn a_reset_then_a_syn_is_two_connections_for_the_numbering_too() {
    let path = std::env::temp_dir().join(format!("wslens-tail-rst-{}.pcap", std::process::id()));
    write_segments(
        &path,
        &[
            (0, false, 0x04, 1, 0),
            (0, true, 0x02, 2, 0),
            (0, false, 0x12, 0, 0),
        ],
    );
    let full = decode(&path);
    let plan = tail::plan(&path, 2, u64::MAX, &Default::default()).unwrap();
    let (evs, _) = tail_events(&path, &plan);
    let _ = std::fs::remove_file(&path);
    let ids = |v: &[Event]| -> Vec<ConnId> {
        v.iter()
            .filter_map(|e| match e {
                Event::ConnOpen(o) => Some(o.conn),
                _ => None,
            })
            .collect()
    };
    assert_eq!(ids(&full), vec![1, 2]);
    assert_eq!(ids(&evs), vec![2]);
    assert_eq!(of_conn(&full, 2), of_conn(&evs, 2));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
    /// Made-up traffic with resets, FINs, retransmitted and new SYNs on three socket pairs:
    /// the numbering pass numbers connections as the whole decode does, and the end's events
    /// are the whole decode's.
    #[test]
    fn numbering_alone_agrees_with_the_whole_decode(
        segs in proptest::collection::vec(
            (0u8..3, proptest::bool::ANY,
             proptest::sample::select(vec![0x02u8, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14]),
             0u8..3, 0u8..4),
            1..60),
        window in 1u64..20,
    ) {
        let path = std::env::temp_dir().join(format!(
            "wslens-tail-prop-{}-{:?}.pcap",
            std::process::id(),
            std::thread::current().id()
        ));
        write_segments(&path, &segs);
        let full = decode(&path);
        let plan = tail::plan(&path, window, u64::MAX, &Default::default()).unwrap();
        let (evs, _) = tail_events(&path, &plan);
        let _ = std::fs::remove_file(&path);
        let want: BTreeSet<ConnId> = full
            .iter()
            .filter(|e| matches!(e, Event::Tcp(_)))
            .filter(|e| e.pkt().is_some_and(|p| p >= plan.window_from))
            .filter_map(Event::conn)
            .collect();
        let got: BTreeSet<ConnId> = evs.iter().filter_map(Event::conn).collect();
        proptest::prop_assert_eq!(&got, &want);
        for id in want {
            let (a, b) = (of_conn(&full, id), of_conn(&evs, id));
            proptest::prop_assert_eq!(a, b, "connection {}", id);
        }
    }
}
