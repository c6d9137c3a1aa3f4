//! Every container and link type wslens reads decodes the same traffic to the same events.
//! The real classroom recording (pcap, Ethernet, µs) is rewrapped here into big-endian pcap,
//! nanosecond pcap, pcapng with two interfaces of different link types and timestamp
//! resolutions, and the link types raw IP, IPv4, BSD NULL, OpenBSD LOOP, Linux SLL/SLL2 and
//! Ethernet with a VLAN tag; the decoded events must equal the original's. UDP flows are
//! checked against the peers' log of the udp recording.

use crate::common;
use common::*;
use wslens::capture::{self, Packet};
use wslens::decoder::{DecodeOptions, Decoder};
use wslens::event::{Event, Proto};

struct Pkt {
    ts_ns: i64,
    data: Vec<u8>,
}

fn packets(name: &str) -> Vec<Pkt> {
    let mut v = Vec::new();
    capture::read_file(&capture(name), |p: Packet<'_>| {
        v.push(Pkt {
            ts_ns: p.ts_ns,
            data: p.data.to_vec(),
        })
    })
    .unwrap();
    v
}

fn decode_bytes(bytes: &[u8]) -> Vec<Event> {
    let mut events = Vec::new();
    let mut dec = Decoder::new(DecodeOptions::default());
    let mut sink = |e: Event| events.push(e);
    let sum = capture::read_bytes(bytes, |p| dec.packet(&p, &mut sink)).unwrap();
    assert!(sum.error.is_none(), "{:?}", sum.error);
    dec.finish(&mut sink);
    events
}

fn pcap(
    pkts: &[Pkt],
    linktype: u32,
    big_endian: bool,
    nanos: bool,
    relink: impl Fn(&[u8]) -> Vec<u8>,
) -> Vec<u8> {
    let w32 = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let w16 = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut out = Vec::new();
    out.extend(w32(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
    out.extend(w16(2));
    out.extend(w16(4));
    out.extend(w32(0));
    out.extend(w32(0));
    out.extend(w32(262_144));
    out.extend(w32(linktype));
    for p in pkts {
        let d = relink(&p.data);
        let secs = (p.ts_ns / 1_000_000_000) as u32;
        let frac = (p.ts_ns % 1_000_000_000) as u32;
        out.extend(w32(secs));
        out.extend(w32(if nanos { frac } else { frac / 1000 }));
        out.extend(w32(d.len() as u32));
        out.extend(w32(d.len() as u32));
        out.extend(d);
    }
    out
}

/// pcapng, little-endian: interface 0 Ethernet (µs), interface 1 raw IP (ns); packets alternate.
fn pcapng_two_interfaces(pkts: &[Pkt]) -> Vec<u8> {
    fn block(out: &mut Vec<u8>, ty: u32, body: &[u8]) {
        let pad = (4 - body.len() % 4) % 4;
        let len = (12 + body.len() + pad) as u32;
        out.extend(ty.to_le_bytes());
        out.extend(len.to_le_bytes());
        out.extend(body);
        out.extend(std::iter::repeat_n(0u8, pad));
        out.extend(len.to_le_bytes());
    }
    let mut out = Vec::new();
    let mut shb = Vec::new();
    shb.extend(0x1a2b_3c4du32.to_le_bytes());
    shb.extend(1u16.to_le_bytes());
    shb.extend(0u16.to_le_bytes());
    shb.extend((-1i64).to_le_bytes());
    block(&mut out, 0x0a0d_0d0a, &shb);
    for (linktype, tsresol) in [(1u16, 6u8), (101, 9)] {
        let mut idb = Vec::new();
        idb.extend(linktype.to_le_bytes());
        idb.extend(0u16.to_le_bytes());
        idb.extend(0u32.to_le_bytes());
        // option if_tsresol (9), length 1, padded; then opt_endofopt
        idb.extend(9u16.to_le_bytes());
        idb.extend(1u16.to_le_bytes());
        idb.extend([tsresol, 0, 0, 0]);
        idb.extend([0u8; 4]);
        block(&mut out, 1, &idb);
    }
    for (i, p) in pkts.iter().enumerate() {
        let iface = (i % 2) as u32;
        let (d, units) = if iface == 0 {
            (p.data.clone(), p.ts_ns as u64 / 1000)
        } else {
            (p.data[14..].to_vec(), p.ts_ns as u64)
        };
        let mut epb = Vec::new();
        epb.extend(iface.to_le_bytes());
        epb.extend(((units >> 32) as u32).to_le_bytes());
        epb.extend((units as u32).to_le_bytes());
        epb.extend((d.len() as u32).to_le_bytes());
        epb.extend((d.len() as u32).to_le_bytes());
        epb.extend(&d);
        epb.extend(std::iter::repeat_n(0u8, (4 - d.len() % 4) % 4));
        block(&mut out, 6, &epb);
    }
    out
}

#[test]
fn every_container_and_link_type_gives_the_same_events() {
    let pkts = packets("classroom.pcap");
    assert!(
        pkts.len() > 20 && pkts.iter().all(|p| p.data[12..14] == [0x08, 0x00]),
        "IPv4 over Ethernet"
    );
    let reference = decode(&capture("classroom.pcap"));
    let ip = |d: &[u8]| d[14..].to_vec();
    let with = |head: &[u8], d: &[u8]| [head, &d[14..]].concat();
    let variants: Vec<(&str, Vec<u8>)> = vec![
        (
            "pcap big-endian",
            pcap(&pkts, 1, true, false, |d| d.to_vec()),
        ),
        (
            "pcap nanoseconds",
            pcap(&pkts, 1, false, true, |d| d.to_vec()),
        ),
        ("raw IP (101)", pcap(&pkts, 101, false, false, ip)),
        ("raw IPv4 (228)", pcap(&pkts, 228, false, false, ip)),
        ("raw IP (12)", pcap(&pkts, 12, true, false, ip)),
        (
            "BSD NULL (0), little-endian family",
            pcap(&pkts, 0, false, false, |d| with(&2u32.to_le_bytes(), d)),
        ),
        (
            "BSD NULL (0), big-endian family",
            pcap(&pkts, 0, true, false, |d| with(&2u32.to_be_bytes(), d)),
        ),
        (
            "OpenBSD LOOP (108)",
            pcap(&pkts, 108, false, false, |d| with(&2u32.to_be_bytes(), d)),
        ),
        (
            "Linux SLL (113)",
            pcap(&pkts, 113, false, false, |d| {
                with(&[0, 0, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00], d)
            }),
        ),
        (
            "Linux SLL2 (276)",
            pcap(&pkts, 276, false, false, |d| {
                with(
                    &[
                        0x08, 0x00, 0, 0, 0, 0, 0, 1, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0,
                    ],
                    d,
                )
            }),
        ),
        (
            "Ethernet with an 802.1Q tag",
            pcap(&pkts, 1, false, false, |d| {
                [&d[..12], &[0x81, 0x00, 0x00, 0x2a], &d[12..]].concat()
            }),
        ),
        (
            "pcapng, two interfaces (Ethernet µs, raw IP ns)",
            pcapng_two_interfaces(&pkts),
        ),
    ];
    for (name, bytes) in variants {
        let got = decode_bytes(&bytes);
        assert_eq!(got.len(), reference.len(), "{name}: event count");
        for (i, (a, b)) in got.iter().zip(&reference).enumerate() {
            assert_eq!(a, b, "{name}: event {i}");
        }
    }
}

#[test]
fn udp_flows_are_connectionless_and_match_the_peers() {
    let events = decode(&capture("udp.pcap"));
    let log = std::fs::read_to_string(capture("udp.peers.ndjson")).unwrap();
    let mut sent = std::collections::BTreeMap::<(String, String, String), Vec<u64>>::new();
    for line in log.lines().skip(1) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["action"] == "sent" && v["proto"] == "udp" {
            let key = (
                v["client"].as_str().unwrap().into(),
                v["server"].as_str().unwrap().into(),
                v["dir"].as_str().unwrap().into(),
            );
            sent.entry(key)
                .or_default()
                .push(v["len"].as_u64().unwrap());
        }
    }
    assert_eq!(
        sent.values().map(Vec::len).sum::<usize>(),
        10,
        "five datagrams each way"
    );
    let mut ends = std::collections::BTreeMap::new();
    let mut got = std::collections::BTreeMap::<(String, String, String), Vec<u64>>::new();
    for e in &events {
        match e {
            Event::ConnOpen(o) => {
                ends.insert(
                    o.conn,
                    (o.proto, o.client.to_string(), o.server.to_string()),
                );
            }
            Event::Udp(u) => {
                let (proto, c, s) = ends[&u.conn].clone();
                assert_eq!(proto, Proto::Udp);
                got.entry((c, s, u.dir.as_str().into()))
                    .or_default()
                    .push(u.len as u64);
            }
            Event::Tcp(t) => assert_eq!(ends[&t.conn].0, Proto::Tcp, "no TCP events on a UDP flow"),
            Event::ConnClose(c) => {
                assert_eq!(ends[&c.conn].0, Proto::Tcp, "UDP flows have no close")
            }
            _ => {}
        }
    }
    assert_eq!(got, sent);
    // The same exchange over TCP needed a handshake and a teardown.
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Tcp(t) if t.handshake.is_some()))
    );
    assert!(events.iter().any(|e| matches!(e, Event::ConnClose(_))));
}

/// Crafted (not a recording): a pcapng file with more interface descriptions than are kept, and
/// every other packet naming an interface never described. Both are counted and reported once,
/// whatever their number (issue 17: one warning string per packet made memory and stderr grow
/// with the file).
#[test]
fn undeclared_interfaces_and_surplus_descriptions_are_counted_once() {
    fn block(out: &mut Vec<u8>, ty: u32, body: &[u8]) {
        let pad = (4 - body.len() % 4) % 4;
        let len = (12 + body.len() + pad) as u32;
        out.extend(ty.to_le_bytes());
        out.extend(len.to_le_bytes());
        out.extend(body);
        out.extend(std::iter::repeat_n(0u8, pad));
        out.extend(len.to_le_bytes());
    }
    let pkts = packets("classroom.pcap");
    let mut out = Vec::new();
    let mut shb = Vec::new();
    shb.extend(0x1a2b_3c4du32.to_le_bytes());
    shb.extend(1u16.to_le_bytes());
    shb.extend(0u16.to_le_bytes());
    shb.extend((-1i64).to_le_bytes());
    block(&mut out, 0x0a0d_0d0a, &shb);
    let descriptions = 5_000;
    for _ in 0..descriptions {
        let mut idb = Vec::new();
        idb.extend(1u16.to_le_bytes());
        idb.extend(0u16.to_le_bytes());
        idb.extend(0u32.to_le_bytes());
        block(&mut out, 1, &idb);
    }
    let copies = 50;
    for c in 0..copies {
        for (i, p) in pkts.iter().enumerate() {
            let iface: u32 = if i % 2 == 0 { 0 } else { 4_999 };
            let units = p.ts_ns as u64 / 1000 + c as u64;
            let mut epb = Vec::new();
            epb.extend(iface.to_le_bytes());
            epb.extend(((units >> 32) as u32).to_le_bytes());
            epb.extend((units as u32).to_le_bytes());
            epb.extend((p.data.len() as u32).to_le_bytes());
            epb.extend((p.data.len() as u32).to_le_bytes());
            epb.extend(&p.data);
            epb.extend(std::iter::repeat_n(0u8, (4 - p.data.len() % 4) % 4));
            block(&mut out, 6, &epb);
        }
    }
    let mut delivered = 0u64;
    let sum = capture::read_bytes(&out, |_| delivered += 1).unwrap();
    let named_undeclared = (copies * (pkts.len() / 2)) as u64;
    assert_eq!(sum.packets, (copies * pkts.len()) as u64);
    assert_eq!(delivered, sum.packets - named_undeclared);
    assert_eq!(sum.warnings.len(), 2, "{:?}", sum.warnings);
    assert!(
        sum.warnings[0].starts_with(&format!(
            "{} interface descriptions beyond",
            descriptions - 4096
        )),
        "{:?}",
        sum.warnings
    );
    assert!(
        sum.warnings[1].starts_with(&format!(
            "{named_undeclared} packets name an interface that was never described (the first: packet 2, interface 4999)"
        )),
        "{:?}",
        sum.warnings
    );
}
