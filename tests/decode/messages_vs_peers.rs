//! Every WebSocket message of every bundled capture equals what the real peers logged that they
//! sent: same connection, direction, order, opcode, length and SHA-256 — and the frames agree
//! with tshark's WebSocket dissector.

use crate::common;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;
use wslens::event::{Event, Opcode};

type Key = (String, String, &'static str); // client, server, dir
type Msg = (String, u64, String); // opcode, len, sha256 hex

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// What the peers said they sent: data messages and close frames, per connection and direction.
fn peer_log(path: &Path) -> BTreeMap<Key, Vec<Msg>> {
    let log = path.with_extension("peers.ndjson");
    let text = std::fs::read_to_string(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
    let mut m: BTreeMap<Key, Vec<Msg>> = BTreeMap::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["action"] != "sent" {
            continue;
        }
        let op = v["opcode"].as_str().unwrap_or("");
        if !matches!(op, "text" | "binary" | "close") {
            continue;
        }
        let dir = if v["dir"] == "c2s" { "c2s" } else { "s2c" };
        let key = (
            v["client"].as_str().unwrap().to_string(),
            v["server"].as_str().unwrap().to_string(),
            dir,
        );
        m.entry(key).or_default().push((
            op.to_string(),
            v["len"].as_u64().unwrap(),
            v["sha256"].as_str().unwrap().to_string(),
        ));
    }
    m
}

fn decoded(events: &[Event]) -> BTreeMap<Key, Vec<Msg>> {
    let mut ends = BTreeMap::new();
    let mut m: BTreeMap<Key, Vec<Msg>> = BTreeMap::new();
    for e in events {
        match e {
            Event::ConnOpen(o) => {
                ends.insert(o.conn, (o.client.to_string(), o.server.to_string()));
            }
            Event::WsMessage(w)
                if matches!(w.opcode, Opcode::Text | Opcode::Binary | Opcode::Close) =>
            {
                let (c, s) = ends[&w.conn].clone();
                let dir = w.dir.as_str();
                assert!(
                    w.inflate_error.is_none(),
                    "{c}->{s} {dir}: inflate error {:?}",
                    w.inflate_error
                );
                m.entry((c, s, dir)).or_default().push((
                    w.opcode.as_str().to_string(),
                    w.len,
                    hex(&w.sha256),
                ));
            }
            _ => {}
        }
    }
    m
}

#[test]
fn every_message_matches_what_the_peers_sent() {
    let mut checked = 0;
    for path in all_captures() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !path.with_extension("peers.ndjson").exists() {
            // The demo's own recording: its peers are wslens demo's tungstenite threads, whose
            // script is checked by tests/live/live_capture.rs instead.
            assert!(
                name == "demo.pcap" || name == "demo-tls.pcapng",
                "every recording keeps its peers' log: {name}"
            );
            continue;
        }
        if name == "socketio.pcap" || name == "cdp.pcap" || name == "mqtt.pcap" {
            // socketio, mqtt: their peers log Socket.IO / Engine.IO / MQTT packets, not
            // WebSocket messages;
            // cdp: only the client logs (Chromium cannot), what it sent and what it received.
            // They are checked against their logs by tests/decode/appproto.rs and mqtt.rs.
            continue;
        }
        if matches!(
            name.as_str(),
            "socketio-msgpack.pcap"
                | "mqtt5.pcap"
                | "stomp.pcap"
                | "graphql-ws.pcap"
                | "graphql-legacy.pcap"
        ) {
            // Their peers log application messages (Socket.IO packets, paho's MQTT packets,
            // STOMP frames, GraphQL messages), checked against the decoded `app` events by
            // tests/decode/socketio_msgpack.rs, mqtt.rs, stomp.rs and graphql.rs.
            continue;
        }
        let expected = peer_log(&path);
        let got = decoded(&decode(&path));
        for (key, msgs) in &expected {
            let ours = got.get(key).cloned().unwrap_or_default();
            assert_eq!(ours.len(), msgs.len(), "{name} {key:?}: message count");
            for (i, (a, b)) in ours.iter().zip(msgs).enumerate() {
                assert_eq!(a, b, "{name} {key:?}: message {i}");
            }
            checked += msgs.len();
        }
        for key in got.keys() {
            assert!(
                expected.contains_key(key),
                "{name}: decoded messages on {key:?} that no peer logged"
            );
        }
    }
    assert!(checked > 1000, "only {checked} messages checked");
}

#[test]
fn frames_match_tshark() {
    for name in [
        "classroom.pcap",
        "echo-python.pcap",
        "echo-node.pcap",
        "deflate.pcap",
        "chat.pcap",
        "ipv6.pcap",
        "cooked.pcap",
    ] {
        let path = capture(name);
        let events = decode(&path);
        // (last packet, opcode, payload length, masked)
        let mut ours: Vec<(u64, u8, u64, bool)> = events
            .iter()
            .filter_map(|e| match e {
                Event::WsFrame(f) => Some((
                    *f.pkts.last().unwrap(),
                    f.header.opcode.code(),
                    f.header.payload_len,
                    f.header.masked,
                )),
                _ => None,
            })
            .collect();
        ours.sort();
        let rows = tshark_fields(
            &path,
            "websocket",
            &[
                "frame.number",
                "websocket.opcode",
                "websocket.payload_length",
                "websocket.payload_length_ext_16",
                "websocket.payload_length_ext_64",
                "websocket.mask",
            ],
            &["-d", "tcp.port==8765,http", "-d", "tcp.port==8766,http"],
        );
        let mut theirs = Vec::new();
        for r in rows {
            let pkt: u64 = r[0].parse().unwrap();
            let n = r[1].split(',').count();
            let col = |i: usize, k: usize| {
                r.get(i)
                    .and_then(|s| s.split(',').nth(k))
                    .unwrap_or("")
                    .to_string()
            };
            // 16/64-bit lengths appear only for frames that use them: walk the 7-bit codes.
            let (mut i16, mut i64) = (0, 0);
            for k in 0..n {
                let op: u8 = col(1, k).parse().unwrap();
                let code: u64 = col(2, k).parse().unwrap();
                let len = match code {
                    126 => {
                        i16 += 1;
                        col(3, i16 - 1).parse().unwrap()
                    }
                    127 => {
                        i64 += 1;
                        col(4, i64 - 1).parse().unwrap()
                    }
                    c => c,
                };
                let masked = matches!(col(5, k).as_str(), "1" | "True" | "true");
                theirs.push((pkt, op, len, masked));
            }
        }
        theirs.sort();
        assert!(
            theirs.len() >= 10,
            "{name}: tshark found only {} frames",
            theirs.len()
        );
        assert_eq!(
            ours, theirs,
            "{name}: frames (packet, opcode, length, masked)"
        );
    }
}

#[test]
fn cut_previews_are_noted_once_per_direction() {
    let events = decode(&capture("echo-python.pcap"));
    let notes: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Note(n) if n.code == "ws-preview-limit" => Some(n.conn),
            _ => None,
        })
        .collect();
    let cut = events
        .iter()
        .filter(|e| matches!(e, Event::WsMessage(m) if m.text_truncated || m.data_truncated))
        .count();
    assert!(
        cut >= 4,
        "the echo capture has payloads beyond both preview limits"
    );
    // one note per direction that had a cut preview, however many messages were cut
    assert_eq!(notes.len(), 2, "{notes:?}");
}
