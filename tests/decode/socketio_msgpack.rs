//! Socket.IO with socket.io-msgpack-parser on both ends (`captures/socketio-msgpack.pcap`: the
//! same session as socketio.pcap, unmodified socket.io 4.8.4 and socket.io-client 4.8.4 with the
//! parser): every Socket.IO packet is one MessagePack binary message (over long-polling a
//! `b`-prefixed base64 packet). Each event, ack and namespace connect the peers logged as sent
//! must be decoded with the same namespace, name and arguments (binary arguments by length and
//! SHA-256, inside the packet: no attachments).

use crate::common;
use common::*;
use wslens::event::{AppMessage, AppProto, Dir};

#[test]
fn every_msgpack_packet_matches_what_the_peers_sent() {
    let evs = decode(&capture("socketio-msgpack.pcap"));
    let n = socketio_matches_what_the_peers_sent(&evs, "socketio-msgpack.peers.ndjson");
    assert!(n >= 15, "{n} packets");
    let sio: Vec<&AppMessage> = apps(&evs)
        .into_iter()
        .filter(|a| a.proto == AppProto::SocketIo)
        .collect();
    // Every Socket.IO packet came from the msgpack parser, over both transports.
    assert!(sio.iter().all(|a| a.field("parser") == Some("msgpack")));
    for t in ["polling", "websocket"] {
        assert!(
            sio.iter()
                .any(|a| a.transport.map(|x| x.as_str()) == Some(t))
        );
    }
    // Binary arguments are inside their packet: no attachments, no stray engine.io binaries.
    assert!(sio.iter().all(|a| a.attachments.is_empty()));
    let up = sio
        .iter()
        .find(|a| a.name.as_deref() == Some("upload"))
        .unwrap();
    assert_eq!(up.args.as_ref().unwrap()[1]["_binary"], 1000);
    assert!(
        !apps(&evs)
            .iter()
            .any(|m| m.proto == AppProto::EngineIo && m.kind == "message")
    );
    // The server's namespace connects carry the socket id, without notepack's `undefined`.
    let ok: Vec<&&AppMessage> = sio
        .iter()
        .filter(|a| a.kind == "connect" && a.dir == Dir::S2C)
        .collect();
    assert_eq!(ok.len(), 2);
    for a in ok {
        let args = a.args.as_ref().unwrap().as_object().unwrap();
        assert!(
            args["sid"].is_string() && !args.contains_key("pid"),
            "{args:?}"
        );
    }
    // Client connects without auth have no arguments at all.
    assert!(
        sio.iter()
            .filter(|a| a.kind == "connect" && a.dir == Dir::C2S)
            .all(|a| a.args.is_none())
    );
}

#[test]
fn msgpack_acks_are_paired() {
    let evs = decode(&capture("socketio-msgpack.pcap"));
    let a = apps(&evs);
    let acks: Vec<&&AppMessage> = a.iter().filter(|m| m.kind == "ack").collect();
    assert_eq!(acks.len(), 3);
    for ack in acks {
        let r = ack.reply.as_ref().expect("paired");
        let ev = a
            .iter()
            .find(|m| m.kind == "event" && m.pkt == r.pkt)
            .unwrap();
        assert_eq!(
            (ev.id.as_deref(), ev.dir),
            (ack.id.as_deref(), ack.dir.flip())
        );
    }
}
