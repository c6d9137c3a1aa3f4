//! GraphQL over WebSocket on real recordings: `captures/graphql-ws.pcap` (npm graphql-ws 5.16.2
//! server and client, subprotocol graphql-transport-ws) and `captures/graphql-legacy.pcap`
//! (subscriptions-transport-ws 0.11.0, subprotocol graphql-ws). Both ends logged every message
//! they sent and received; each must be decoded, in order, with the logged type, id and payload,
//! and the answers paired with their operations.

use crate::common;
use common::*;
use serde_json::Value;
use wslens::event::{AppMessage, AppProto, Event};

fn gql(evs: &[Event]) -> Vec<&AppMessage> {
    evs.iter()
        .filter_map(|e| match e {
            Event::App(a) if a.proto == AppProto::GraphqlWs => Some(&**a),
            _ => None,
        })
        .collect()
}

fn log(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(capture(&format!("{name}.peers.ndjson"))).unwrap();
    text.lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn check(name: &str, subprotocol: &str, min: usize) {
    let evs = decode(&capture(&format!("{name}.pcap")));
    let ours = gql(&evs);
    let log = log(name);
    let mut compared = 0;
    for d in ["c2s", "s2c"] {
        // What the sender logged as sent is what the receiver logged as received.
        for (role, action) in [("client", "sent"), ("server", "recv")] {
            let role = if d == "s2c" {
                if role == "client" { "server" } else { "client" }
            } else {
                role
            };
            let want: Vec<&Value> = log
                .iter()
                .filter(|v| v["dir"] == d && v["role"] == role && v["action"] == action)
                .collect();
            let got: Vec<&&AppMessage> = ours.iter().filter(|a| a.dir.as_str() == d).collect();
            assert_eq!(got.len(), want.len(), "{name} {d} {role} {action}: count");
            for (w, a) in want.iter().zip(&got) {
                assert_eq!(a.kind, w["type"].as_str().unwrap(), "{name} {d}");
                assert_eq!(a.id.as_deref(), w["id"].as_str(), "{name} {d} {}", a.kind);
                let payload = w.get("payload").filter(|p| !p.is_null());
                assert_eq!(
                    a.args.as_ref().filter(|p| !p.is_null()),
                    payload,
                    "{name} {d} {}",
                    a.kind
                );
                assert_eq!(a.field("subprotocol"), Some(subprotocol));
                compared += 1;
            }
        }
    }
    assert!(compared >= min, "{name}: {compared} compared");
}

#[test]
fn graphql_transport_ws_matches_both_ends() {
    check("graphql-ws", "graphql-transport-ws", 2 * 20);
}

#[test]
fn legacy_graphql_ws_matches_both_ends() {
    check("graphql-legacy", "graphql-ws", 2 * 20);
}

/// Every result, error and server `complete` is paired with its operation (named by its
/// query's operation), every pong with a ping, the ack with the init; the client's own
/// cancel (`complete` or `stop`) names the operation without being an answer, and results
/// already on their way after it are still paired.
#[test]
fn operations_are_paired_in_both_recordings() {
    for (name, start, cancel) in [
        ("graphql-ws", "subscribe", "complete"),
        ("graphql-legacy", "start", "stop"),
    ] {
        let evs = decode(&capture(&format!("{name}.pcap")));
        let ours = gql(&evs);
        for a in &ours {
            let answer = a.dir.as_str() == "s2c"
                && matches!(
                    a.kind,
                    "next" | "data" | "error" | "complete" | "pong" | "connection_ack"
                );
            if !answer {
                continue;
            }
            let r = a
                .reply
                .as_ref()
                .unwrap_or_else(|| panic!("{name}: {} #{:?} unpaired", a.kind, a.id));
            let req = ours.iter().find(|q| q.pkt == r.pkt).unwrap();
            assert_eq!(req.id, a.id, "{name}: {} paired with another id", a.kind);
            if a.id.is_some() {
                assert_eq!(req.kind, start);
                assert_eq!(a.name, req.name);
            }
        }
        let c = ours
            .iter()
            .find(|a| a.kind == cancel && a.dir.as_str() == "c2s")
            .unwrap();
        assert_eq!(c.name.as_deref(), Some("subscription Long"), "{name}");
        assert!(c.reply.is_none() && c.field("cancels").is_some());
        let late = ours
            .iter()
            .filter(|a| a.pkt > c.pkt && a.name.as_deref() == Some("subscription Long"))
            .count();
        assert!(late >= 1, "{name}: no result after the cancel");
        let names: Vec<&str> = ours
            .iter()
            .filter(|a| a.kind == start)
            .filter_map(|a| a.name.as_deref())
            .collect();
        assert_eq!(
            names,
            [
                "query Greet",
                "subscription Count",
                "query Broken",
                "subscription Long"
            ]
        );
    }
}

#[test]
fn graphql_and_mqtt_are_narrated_in_both_languages() {
    use wslens::teach::{Lang, NarrationContext, narrate};
    for (file, en, zh) in [
        (
            "graphql-ws.pcap",
            [
                "starts operation",
                "The client cancels operation",
                "Keep-alive: pong",
            ],
            ["客户端开始操作", "客户端取消操作", "保活"],
        ),
        (
            "mqtt5.pcap",
            ["QoS 2 (exactly once)", "MQTT PUBREL", "MQTT 5 properties"],
            ["QoS 2（恰好一次）", "MQTT PUBREL", "MQTT 5 属性"],
        ),
    ] {
        let evs = decode(&capture(file));
        for (lang, want) in [(Lang::En, en), (Lang::Zh, zh)] {
            let mut cx = NarrationContext::new();
            let mut text = String::new();
            for e in &evs {
                cx.observe(e);
                if matches!(e, Event::App(_)) {
                    for s in narrate(e, &cx, lang) {
                        text.push_str(&s);
                        text.push('\n');
                    }
                }
            }
            for w in want {
                assert!(text.contains(w), "{file} {lang}: no {w:?} in\n{text}");
            }
        }
    }
}
