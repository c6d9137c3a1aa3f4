//! Engine.IO / Socket.IO decoding of the real recording `captures/socketio.pcap` is checked in
//! tests/decode/appproto.rs against the peers' own logs; these tests cover what a recording cannot
//! easily show (v3 sessions, broken input).

use super::*;
use crate::event::{AppMessage, AppProto};

fn origin(dir: Dir, pkt: PktNum) -> Origin {
    Origin {
        conn: 1,
        pkt,
        ts: Ts(pkt as i64 * 1_000_000),
        dir,
        transport: AppTransport::Polling,
    }
}

fn apps(evs: &[Event]) -> Vec<&AppMessage> {
    evs.iter()
        .filter_map(|e| match e {
            Event::App(a) => Some(&**a),
            _ => None,
        })
        .collect()
}

#[test]
fn v3_polling_payload_with_an_ack_across_two_bodies() {
    let mut layer = AppProtoLayer::default();
    let mut evs = Vec::new();
    let poll = Poll {
        version: 3,
        sid: Some("s1".into()),
        post: true,
    };
    let body = "15:42[\"hello\",\"a\"]14:425[\"sum\",1,2]";
    layer.polling_body(
        &poll,
        origin(Dir::C2S, 1),
        body.as_bytes(),
        None,
        &mut |e| evs.push(e),
    );
    layer.polling_body(&poll, origin(Dir::S2C, 4), b"6:435[3]", None, &mut |e| {
        evs.push(e)
    });
    let a = apps(&evs);
    assert_eq!(a.len(), 3, "{evs:?}");
    assert_eq!(a[0].name.as_deref(), Some("hello"));
    assert_eq!(a[1].id.as_deref(), Some("5"));
    assert_eq!(a[2].kind, "ack");
    let r = a[2].reply.as_ref().expect("paired");
    assert_eq!(
        (r.pkt, r.rtt_ns, r.name.as_deref()),
        (1, 3_000_000, Some("sum"))
    );
}

#[test]
fn broken_input_becomes_notes() {
    let mut layer = AppProtoLayer::default();
    let mut evs = Vec::new();
    let poll = Poll {
        version: 4,
        sid: Some("s".into()),
        post: false,
    };
    for body in [&b"\xff\xfe"[..], b"9", b"bZZZ", b"3:4ab"] {
        layer.polling_body(&poll, origin(Dir::S2C, 1), body, None, &mut |e| evs.push(e));
    }
    layer.polling_body(&poll, origin(Dir::S2C, 2), b"x", Some("gzip"), &mut |e| {
        evs.push(e)
    });
    let notes = evs
        .iter()
        .filter(|e| matches!(e, Event::Note(n) if n.code == "app-undecodable"))
        .count();
    // "3:4ab" is a v3 payload but, read as v4, a pong whose data is ":4ab": a valid packet.
    assert_eq!(notes, 4, "{evs:?}");
}

#[test]
fn plain_engine_io_messages_stay_engine_io() {
    let mut layer = AppProtoLayer::default();
    let mut evs = Vec::new();
    let poll = Poll {
        version: 4,
        sid: Some("s".into()),
        post: true,
    };
    layer.polling_body(
        &poll,
        origin(Dir::C2S, 1),
        b"4hello\x1ebAQI=",
        None,
        &mut |e| evs.push(e),
    );
    let a = apps(&evs);
    assert_eq!(a.len(), 2);
    assert!(
        a.iter()
            .all(|m| m.proto == AppProto::EngineIo && m.kind == "message")
    );
    assert_eq!(a[0].args, Some(serde_json::json!("hello")));
    assert_eq!(a[1].args.as_ref().unwrap()["_binary"], 2);
}

#[test]
fn gzip_polling_bodies_are_inflated() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"42[\"big\",\"x\"]").unwrap();
    let body = gz.finish().unwrap();
    let mut layer = AppProtoLayer::default();
    let mut evs = Vec::new();
    let poll = Poll {
        version: 4,
        sid: Some("s".into()),
        post: false,
    };
    layer.polling_body(&poll, origin(Dir::S2C, 1), &body, Some("gzip"), &mut |e| {
        evs.push(e)
    });
    assert_eq!(apps(&evs)[0].name.as_deref(), Some("big"));
}
