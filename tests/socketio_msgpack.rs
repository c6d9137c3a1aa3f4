//! Socket.IO with socket.io-msgpack-parser on both ends (`captures/socketio-msgpack.pcap`: the
//! same session as socketio.pcap, unmodified socket.io 4.8.4 and socket.io-client 4.8.4 with the
//! parser): every Socket.IO packet is one MessagePack binary message (over long-polling a
//! `b`-prefixed base64 packet). Each event, ack and namespace connect the peers logged as sent
//! must be decoded with the same namespace, name and arguments (binary arguments by length and
//! SHA-256, inside the packet: no attachments).

mod common;
use common::*;
use serde_json::Value;
use wslens::event::{AppMessage, AppProto, Dir};

fn log_lines() -> Vec<Value> {
    peer_log("socketio-msgpack.peers.ndjson")
}

type Row = (String, String, String, Option<String>, Value);

#[test]
fn every_msgpack_packet_matches_what_the_peers_sent() {
    let evs = decode(&capture("socketio-msgpack.pcap"));
    let expected: Vec<Row> = log_lines()
        .iter()
        .filter(|v| v["proto"] == "socket.io" && v["action"] == "sent")
        .map(|v| {
            (
                v["dir"].as_str().unwrap().to_string(),
                v["type"].as_str().unwrap().to_string(),
                v["nsp"].as_str().unwrap().to_string(),
                v["name"].as_str().map(str::to_string),
                peer_args(v.get("args").unwrap_or(&Value::Null)),
            )
        })
        .collect();
    let sio: Vec<&AppMessage> = apps(&evs)
        .into_iter()
        .filter(|a| a.proto == AppProto::SocketIo)
        .collect();
    let ours: Vec<Row> = sio
        .iter()
        .filter(|a| !(a.kind == "connect" && a.dir == Dir::S2C) && a.kind != "disconnect")
        .map(|a| {
            (
                a.dir.as_str().to_string(),
                a.kind.to_string(),
                a.nsp.as_deref().unwrap().to_string(),
                a.name.as_deref().map(str::to_string),
                match a.kind {
                    "connect" => Value::Null,
                    _ => a.args.clone().unwrap(),
                },
            )
        })
        .collect();
    for dir in ["c2s", "s2c"] {
        let e: Vec<&Row> = expected.iter().filter(|r| r.0 == dir).collect();
        let o: Vec<&Row> = ours.iter().filter(|r| r.0 == dir).collect();
        assert_eq!(o, e, "{dir}: socket.io packets differ from the peers' log");
    }
    assert!(expected.len() >= 15, "{} packets", expected.len());
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
