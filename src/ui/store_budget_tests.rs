//! The store under a memory budget (issue 17: live capture for hours, a SYN flood): its oldest
//! index chunks and connection summaries go to temporary files, and everything reads back
//! exactly as from a store that kept it all in memory.

use super::*;

const SERVER_PORT: [u16; 2] = [8799, 8765];

/// The packet with its client port replaced (Ethernet, IPv4, TCP), so each copy of a real
/// recording is a new connection (as benches/replicate.py makes them).
fn with_client_port(data: &[u8], port: u16) -> Vec<u8> {
    let mut d = data.to_vec();
    let t = 14 + (d[14] as usize & 0x0f) * 4;
    let src = u16::from_be_bytes([d[t], d[t + 1]]);
    let at = if SERVER_PORT.contains(&src) { t + 2 } else { t };
    d[at..at + 2].copy_from_slice(&port.to_be_bytes());
    d
}

/// A pcap of `n` copies of each named capture, one after another, client ports from `port`.
fn copies(parts: &[(&str, usize, u16)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_3c4du32.to_le_bytes()); // nanosecond pcap
    out.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&65_535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    let mut t: i64 = 1_000_000_000_000_000_000;
    for &(name, n, port) in parts {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("captures")
            .join(name);
        let mut rec = Vec::new();
        crate::capture::read_file(&path, |p| rec.push((p.ts_ns, p.data.to_vec()))).unwrap();
        let t0 = rec[0].0;
        for i in 0..n {
            for (ts, d) in &rec {
                let at = t + ts - t0;
                let d = with_client_port(d, port + i as u16);
                out.extend_from_slice(&((at / 1_000_000_000) as u32).to_le_bytes());
                out.extend_from_slice(&((at % 1_000_000_000) as u32).to_le_bytes());
                out.extend_from_slice(&(d.len() as u32).to_le_bytes());
                out.extend_from_slice(&(d.len() as u32).to_le_bytes());
                out.extend_from_slice(&d);
            }
            t += rec.last().unwrap().0 - t0 + 1_000_000;
        }
    }
    out
}

fn fill(store: &mut Store, b: &Batch) {
    store.ingest_packets(b);
    store.enforce_budget();
    for part in b.events.chunks(8192) {
        for ev in part {
            store.push_event(ev.clone());
        }
        store.enforce_budget();
    }
}

/// 13,000 refused connections (a SYN, a RST) then 1,100 permessage-deflate conversations:
/// under a budget of nothing the store spills all it may, and reads every packet, event, list
/// fact and connection summary back as the store that kept everything.
#[test]
fn a_store_over_its_budget_reads_back_what_it_spilled() {
    let pcap = copies(&[
        ("refused.pcap", 13_000, 20_000),
        ("deflate.pcap", 1_100, 40_000),
    ]);
    let b = crate::ui::source::decode_all(&pcap).unwrap();
    let mut all = Store::in_memory();
    all.bytes = SpillFile::new();
    fill(&mut all, &b);
    let mut spilled = Store::default();
    spilled.set_budget(0);
    spilled.keep = 1;
    fill(&mut spilled, &b);

    assert!(b.packets.len() > 2 * 65_536 && b.events.len() > 2 * 65_536);
    assert_eq!(spilled.conns.len(), 14_100);
    // All but the newest chunk of each index went out, and the three full chunks of
    // connection summaries (the newest, still filling, holds the conversations).
    let halved = |name: &str, s: usize, a: usize| assert!(s * 2 < a, "{name}: {s} of {a}");
    halved(
        "packets",
        spilled.packets.heap_bytes(),
        all.packets.heap_bytes(),
    );
    halved("meta", spilled.meta.heap_bytes(), all.meta.heap_bytes());
    halved(
        "events",
        spilled.events.index_bytes(),
        all.events.index_bytes(),
    );
    let summaries = 3 * 4096 * std::mem::size_of::<ConnInfo>();
    assert!(spilled.conns.heap_bytes() + summaries <= all.conns.heap_bytes());

    assert_eq!(spilled.len(), all.len());
    for i in (0..all.len()).chain((0..all.len()).rev().step_by(7)) {
        assert_eq!(spilled.meta(i), all.meta(i), "meta {i}");
    }
    for i in (0..all.len()).step_by(3) {
        assert_eq!(spilled.event(i), all.event(i), "event {i}");
    }
    assert_eq!(spilled.packets.len(), all.packets.len());
    for i in 0..all.packets.len() {
        assert_eq!(spilled.packets.at(i), all.packets.at(i), "packet {i}");
    }
    for n in (1..=all.packets.len() as u64).step_by(11) {
        assert_eq!(spilled.packet(n), all.packet(n), "packet {n}'s bytes");
    }
    let summary = |st: &Store, id: ConnId| {
        let ci = st.conn(id).unwrap();
        let per_event: Vec<_> = (0..ci.events.len())
            .map(|p| (ci.states_at(p), ci.running_at(p)))
            .collect();
        let ends = (st.conns.client(&ci), st.conns.server(&ci));
        (format!("{ci:?}"), per_event, ends, ci.label_by(None))
    };
    for id in 1..=all.conns.len() as ConnId {
        assert_eq!(summary(&spilled, id), summary(&all, id), "connection {id}");
    }
    for c in [0, 100, 500_000, usize::MAX] {
        assert_eq!(spilled.conns.opened_by(c), all.conns.opened_by(c), "{c}");
    }

    // A spilled connection that gets another event comes back into memory with it.
    let before = all.conn(1).unwrap().events.len();
    let close = all.event(all.conn(1).unwrap().events[1] as usize).unwrap();
    all.push_event(close.clone());
    spilled.push_event(close);
    for id in [1, 2, 4096, 4097] {
        assert_eq!(summary(&spilled, id), summary(&all, id), "connection {id}");
    }
    assert_eq!(spilled.conn(1).unwrap().events.len(), before + 1);
}
