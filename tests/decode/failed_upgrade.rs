//! `captures/bad-accept-ping.pcap`: a raw-socket server answers 101 with a wrong
//! Sec-WebSocket-Accept and goes on with a ping frame. The upgrade is reported failed, a
//! warning says why the next bytes are read as frames, and the ping is the one the server
//! logged — not a bogus HTTP head.

use crate::common;
use common::*;
use serde_json::Value;
use wslens::event::{Event, Opcode};

#[test]
fn frames_after_a_failed_upgrade_are_decoded_with_a_violation_note() {
    let evs = decode(&capture("bad-accept-ping.pcap"));
    let hs = evs
        .iter()
        .find_map(|e| match e {
            Event::WsHandshake(h) => Some(h),
            _ => None,
        })
        .unwrap();
    assert!(!hs.upgraded && !hs.accept_ok);
    let codes = note_codes(&evs);
    assert!(codes.contains(&"ws-after-failed-upgrade"), "{codes:?}");
    assert!(!codes.contains(&"http-bad-head"), "{codes:?}");
    let msgs = messages(&evs);
    assert_eq!(msgs.len(), 1);
    let log = std::fs::read_to_string(capture("bad-accept-ping.peers.ndjson")).unwrap();
    let ping: Value = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["opcode"] == "ping")
        .unwrap();
    assert_eq!(msgs[0].opcode, Opcode::Ping);
    assert_eq!(msgs[0].len, ping["len"].as_u64().unwrap());
    let hex: String = msgs[0].sha256.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, ping["sha256"].as_str().unwrap());
}
