//! The layer above WebSocket on a real recording: `captures/socketio.pcap` (unmodified
//! socket.io 4.8.4 server and socket.io-client, default transports: long-polling, then the
//! upgrade to WebSocket). Every Socket.IO event, ack and namespace connect the peers logged
//! as sent must be decoded, in order, with the same namespace, name and arguments (binary
//! attachments by length and SHA-256); heartbeats must match the client's engine.io log.

use crate::common;
use common::*;
use serde_json::Value;
use wslens::event::{AppMessage, AppProto, AppTransport, Dir, Event};
use wslens::teach::{Lang, NarrationContext, narrate};

fn log_lines() -> Vec<Value> {
    peer_log("socketio.peers.ndjson")
}

#[test]
fn every_socketio_message_matches_what_the_peers_sent() {
    let evs = decode(&capture("socketio.pcap"));
    let n = socketio_matches_what_the_peers_sent(&evs, "socketio.peers.ndjson");
    assert!(n >= 15, "the recording holds {n} messages");
    // Namespace disconnects: what the server reports receiving.
    let left = log_lines()
        .iter()
        .filter(|v| v["type"] == "disconnect" && v["action"] == "recv")
        .count();
    let ours = apps(&evs).iter().filter(|a| a.kind == "disconnect").count();
    assert_eq!(ours, left);
}

#[test]
fn acks_are_paired_with_their_events() {
    let evs = decode(&capture("socketio.pcap"));
    let a = apps(&evs);
    let acks: Vec<&&AppMessage> = a.iter().filter(|m| m.kind == "ack").collect();
    // add (c2s), upload (c2s), question (s2c): each answered once.
    assert_eq!(acks.len(), 3);
    for ack in acks {
        let r = ack
            .reply
            .as_ref()
            .expect("every ack of the recording has its event");
        let ev = a
            .iter()
            .find(|m| m.kind == "event" && m.pkt == r.pkt)
            .expect("the paired event");
        assert_eq!(ev.id, ack.id);
        assert_eq!(ev.dir, ack.dir.flip());
        assert_eq!(ev.name.as_deref(), r.name.as_deref());
        assert_eq!(r.rtt_ns, ack.ts.0 - ev.ts.0);
        assert!(r.rtt_ns > 0);
    }
}

#[test]
fn binary_events_are_joined_with_their_attachments() {
    let evs = decode(&capture("socketio.pcap"));
    let a = apps(&evs);
    let up = a
        .iter()
        .find(|m| m.name.as_deref() == Some("upload"))
        .unwrap();
    assert_eq!(up.attachments, vec![1000]);
    let file = a
        .iter()
        .find(|m| m.name.as_deref() == Some("file"))
        .unwrap();
    assert_eq!(file.attachments, vec![300, 5]);
    // No attachment left over as a plain engine.io message.
    assert!(
        !a.iter()
            .any(|m| m.proto == AppProto::EngineIo && m.kind == "message")
    );
}

#[test]
fn the_upgrade_dance_and_heartbeats() {
    let evs = decode(&capture("socketio.pcap"));
    let a = apps(&evs);
    let open = a.iter().find(|m| m.kind == "open").unwrap();
    assert_eq!(open.transport, Some(AppTransport::Polling));
    let sid = open.id.clone().unwrap();
    assert!(log_lines().iter().all(|v| v["sid"] == *sid));
    // 2probe, 3probe, 5 on the WebSocket, in that order, on one connection.
    let dance: Vec<(&str, Dir, u32)> = a
        .iter()
        .filter(|m| m.field("probe").is_some() || m.kind == "upgrade")
        .map(|m| (m.kind, m.dir, m.conn))
        .collect();
    let ws = dance[0].2;
    assert_eq!(
        dance,
        vec![
            ("ping", Dir::C2S, ws),
            ("pong", Dir::S2C, ws),
            ("upgrade", Dir::C2S, ws)
        ]
    );
    assert!(
        a.iter()
            .any(|m| m.kind == "noop" && m.transport == Some(AppTransport::Polling))
    );
    // The first event travelled in a long-polling response.
    let welcome = a
        .iter()
        .find(|m| m.name.as_deref() == Some("welcome"))
        .unwrap();
    assert_eq!(welcome.transport, Some(AppTransport::Polling));
    // Heartbeats: as many as the client's engine.io socket reports.
    let log = log_lines();
    let count = |ty: &str, action: &str| {
        log.iter()
            .filter(|v| v["proto"] == "engine.io" && v["role"] == "client")
            .filter(|v| v["type"] == ty && v["action"] == action)
            .count()
    };
    let ours = |ty: &str| {
        a.iter()
            .filter(|m| m.kind == ty && m.field("probe").is_none())
            .count()
    };
    assert_eq!(ours("ping"), count("ping", "recv"));
    assert_eq!(ours("pong"), count("pong", "sent"));
    assert!(ours("ping") >= 3);
}

#[test]
fn the_upgrade_dance_is_narrated_in_both_languages() {
    let evs = decode(&capture("socketio.pcap"));
    let mut cx = NarrationContext::new();
    let mut en = Vec::new();
    let mut zh = Vec::new();
    for e in &evs {
        cx.observe(e);
        if matches!(e, Event::App(_)) {
            en.extend(narrate(e, &cx, Lang::En));
            zh.extend(narrate(e, &cx, Lang::Zh));
        }
    }
    let en = en.join("\n");
    let zh = zh.join("\n");
    assert!(en.contains("2probe") && en.contains("3probe") && en.contains("upgrade (5)"));
    assert!(en.contains("Socket.IO ack 0 from the server: the answer to event \"add\""));
    assert!(zh.contains("2probe") && zh.contains("升级过程第 1 步"));
    assert!(zh.contains("回应事件 \"add\""));
}

/// `captures/cdp.pcap`: headless Chromium driven over the DevTools Protocol by the python
/// websockets client, which logged every message it sent and received. Each WebSocket message
/// is the logged one (length, SHA-256), and each decodes to a JSON-RPC-shaped app event with the
/// logged id and method; every response and error is paired with its request.
#[test]
fn cdp_messages_match_the_clients_log() {
    let evs = decode(&capture("cdp.pcap"));
    let text = std::fs::read_to_string(capture("cdp.peers.ndjson")).unwrap();
    let log: Vec<Value> = text
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &Value| v["opcode"] == "text")
        .collect();
    let msgs: Vec<_> = messages(&evs)
        .into_iter()
        .filter(|m| m.opcode == wslens::event::Opcode::Text)
        .collect();
    let rpc: Vec<&AppMessage> = apps(&evs)
        .into_iter()
        .filter(|a| a.proto == AppProto::JsonRpc)
        .collect();
    assert!(log.len() >= 20, "{} messages logged", log.len());
    assert_eq!(msgs.len(), log.len());
    assert_eq!(rpc.len(), log.len(), "one app event per message");
    for d in ["c2s", "s2c"] {
        let l: Vec<&Value> = log.iter().filter(|v| v["dir"] == d).collect();
        let m: Vec<_> = msgs.iter().filter(|m| m.dir.as_str() == d).collect();
        let r: Vec<_> = rpc.iter().filter(|a| a.dir.as_str() == d).collect();
        for ((lv, mv), rv) in l.iter().zip(&m).zip(&r) {
            let hex: String = mv.sha256.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(
                (mv.len, hex.as_str()),
                (lv["len"].as_u64().unwrap(), lv["sha256"].as_str().unwrap())
            );
            assert_eq!(
                rv.id.as_deref().map(str::to_string),
                lv["cdp_id"].as_u64().map(|i| i.to_string())
            );
            if let Some(method) = lv["cdp_method"].as_str() {
                assert_eq!(rv.name.as_deref(), Some(method));
                assert!(matches!(rv.kind, "request" | "notification"));
            } else {
                assert!(matches!(rv.kind, "response" | "error"));
                let r = rv.reply.as_ref().expect("paired with its request");
                assert!(r.rtt_ns > 0);
            }
            assert_eq!(rv.field("dialect"), Some("cdp"));
        }
    }
    assert_eq!(rpc.iter().filter(|a| a.kind == "error").count(), 1);
}

/// `captures/jsonrpc.pcap`: a JSON-RPC 2.0 service (jsonrpcserver behind a python websockets
/// server) and jsonrpcclient's messages from a python websockets client, unmodified. Every
/// JSON-RPC object either peer logged — requests, a notification, errors, a batch — is decoded
/// in order with its kind, id and method; every answer is paired with its request.
#[test]
fn jsonrpc_objects_match_both_peers_logs() {
    let evs = decode(&capture("jsonrpc.pcap"));
    let ours: Vec<&AppMessage> = apps(&evs)
        .into_iter()
        .filter(|a| a.proto == AppProto::JsonRpc)
        .collect();
    type Obj = (String, String, Option<String>, Option<String>); // dir, kind, id, method
    let got: Vec<Obj> = ours
        .iter()
        .map(|a| {
            let asked = matches!(a.kind, "request" | "notification");
            (
                a.dir.as_str().to_string(),
                a.kind.to_string(),
                a.id.as_deref().map(str::to_string),
                a.name.as_deref().filter(|_| asked).map(str::to_string),
            )
        })
        .collect();
    let log = peer_log("jsonrpc.peers.ndjson");
    for role in ["client", "server"] {
        let want: Vec<Obj> = log
            .iter()
            .filter(|l| l["role"] == role && l["opcode"] == "text")
            .flat_map(|l| {
                let dir = l["dir"].as_str().unwrap().to_string();
                l["rpc"].as_array().unwrap().iter().map(move |r| {
                    (
                        dir.clone(),
                        r[0].as_str().unwrap().to_string(),
                        (!r[1].is_null()).then(|| r[1].to_string()),
                        r[2].as_str().map(str::to_string),
                    )
                })
            })
            .collect();
        assert_eq!(got, want, "{role}'s log");
    }
    assert_eq!(got.len(), 16);
    for a in ours
        .iter()
        .filter(|a| matches!(a.kind, "response" | "error"))
    {
        let r = a
            .reply
            .as_ref()
            .expect("every answer paired with its request");
        assert!(r.pkt < a.pkt && a.name.is_some(), "{a:?}");
    }
    let codes: Vec<i64> = ours
        .iter()
        .filter(|a| a.kind == "error")
        .map(|a| a.args.as_ref().unwrap()["code"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [-32601, -32602, 1]);
    let batched: Vec<&str> = ours.iter().filter_map(|a| a.field("batch")).collect();
    assert_eq!(batched, ["3", "3", "3", "2", "2"]);
}
