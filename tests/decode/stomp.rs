//! STOMP over WebSocket on a real recording: `captures/stomp.pcap` (RabbitMQ 3.10 web-stomp;
//! connection 1 is @stomp/stompjs with subprotocol v12.stomp and heart-beats, connection 2 is
//! stomp.py without a subprotocol). Every frame the clients' libraries logged, sent or
//! received, must be decoded in order with the same command and headers; bodies, heart-beats
//! and the pairings must agree with the logs.

use crate::common;
use common::*;
use serde_json::{Map, Value};
use wslens::event::{AppMessage, AppProto, Event};
use wslens::teach::{Lang, NarrationContext, narrate};

fn stomp(evs: &[Event]) -> Vec<&AppMessage> {
    evs.iter()
        .filter_map(|e| match e {
            Event::App(a) if a.proto == AppProto::Stomp => Some(&**a),
            _ => None,
        })
        .collect()
}

fn log() -> Vec<Value> {
    let text = std::fs::read_to_string(capture("stomp.peers.ndjson")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The header a frame's `id` comes from (STOMP 1.2: what names the frame).
fn id_key(a: &AppMessage, logged: &Map<String, Value>) -> &'static str {
    match a.kind {
        "message" => "message-id",
        "receipt" | "error" => "receipt-id",
        "begin" | "commit" | "abort" => "transaction",
        "ack" | "nack" if !logged.contains_key("id") => "message-id",
        _ => "id",
    }
}

/// A decoded frame's headers, put back together from its fields, name and id.
fn headers(a: &AppMessage, logged: &Map<String, Value>) -> Map<String, Value> {
    let mut h = Map::new();
    if let Some(d) = &a.name {
        h.insert("destination".into(), Value::String(d.to_string()));
    }
    if let Some(id) = &a.id {
        h.insert(id_key(a, logged).into(), Value::String(id.to_string()));
    }
    for (k, v) in &a.fields {
        match *k {
            "headers" => {
                let Value::Object(o) = serde_json::from_str(v).unwrap() else {
                    panic!("headers field is not an object: {v}")
                };
                h.extend(o);
            }
            "body_bytes" | "likely_cause" => {}
            k => {
                h.insert(k.to_string(), Value::String(v.clone()));
            }
        }
    }
    h
}

/// A body as the peers logged it, as wslens shows it (JSON objects parsed).
fn body(v: &Value) -> Option<Value> {
    let s = v.as_str().filter(|s| !s.is_empty())?;
    Some(match serde_json::from_str::<Value>(s) {
        Ok(j @ (Value::Object(_) | Value::Array(_))) => j,
        _ => Value::String(s.to_string()),
    })
}

fn conn_of(lib: &str) -> u32 {
    match lib {
        "@stomp/stompjs" => 1,
        "stomp.py" => 2,
        other => panic!("unexpected peer {other}"),
    }
}

#[test]
fn every_frame_matches_the_clients_logs() {
    let evs = decode(&capture("stomp.pcap"));
    let ours = stomp(&evs);
    let log = log();
    let mut checked = 0;
    for lib in ["@stomp/stompjs", "stomp.py"] {
        let conn = conn_of(lib);
        for d in ["c2s", "s2c"] {
            let want: Vec<&Value> = log
                .iter()
                .filter(|v| v["lib"] == lib && v["dir"] == d)
                .filter(|v| matches!(v["action"].as_str(), Some("sent" | "recv")))
                .filter(|v| v["command"] != "heartbeat")
                .collect();
            let got: Vec<&&AppMessage> = ours
                .iter()
                .filter(|a| a.conn == conn && a.dir.as_str() == d && a.kind != "heartbeat")
                .collect();
            assert_eq!(got.len(), want.len(), "{lib} {d}: frame count");
            for (w, a) in want.iter().zip(&got) {
                let cmd = w["command"].as_str().unwrap();
                assert_eq!(a.kind, cmd.to_ascii_lowercase(), "{lib} {d}");
                // stomp.py keeps the content-length it computed as a number.
                let mut wh: Map<String, Value> = w["headers"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| match v {
                        Value::Number(n) => (k.clone(), Value::String(n.to_string())),
                        v => (k.clone(), v.clone()),
                    })
                    .collect();
                let mut ours = headers(a, &wh);
                if lib == "@stomp/stompjs" && d == "s2c" {
                    // stompjs writes the length of the body it read as content-length into its
                    // log line, whether or not the frame had that header.
                    let n = wh.remove("content-length").unwrap();
                    assert_eq!(n, a.field("body_bytes").unwrap_or("0"), "{lib} {d} {cmd}");
                    ours.remove("content-length");
                }
                if lib == "stomp.py"
                    && d == "c2s"
                    && let (Some(n), Some(b)) = (wh.get_mut("content-length"), w["body"].as_str())
                {
                    // stomp.py's on_send sees content-length as the body's length in
                    // characters; it puts the UTF-8 length on the wire ("ünïcödé ✓": 9 → 15).
                    assert_eq!(*n, Value::String(b.chars().count().to_string()));
                    *n = Value::String(b.len().to_string());
                }
                let wh = &wh;
                assert_eq!(&ours, wh, "{lib} {d} {cmd}");
                assert_eq!(
                    a.name.as_deref(),
                    wh.get("destination").and_then(Value::as_str)
                );
                // stomp.py logs every body; stompjs' debug lines have none.
                if let Some(b) = w.get("body") {
                    assert_eq!(a.args, body(b), "{lib} {d} {cmd}");
                }
                // content-length counts bytes.
                if let Some(n) = wh.get("content-length").and_then(Value::as_str) {
                    let bytes = a.field("body_bytes").unwrap_or("0");
                    assert_eq!(bytes, n, "{lib} {d} {cmd}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 35, "only {checked} frames compared");
}

#[test]
fn delivered_bodies_and_the_binary_one_match_stompjs() {
    let evs = decode(&capture("stomp.pcap"));
    let got: Vec<&AppMessage> = stomp(&evs)
        .into_iter()
        .filter(|a| a.conn == 1 && a.kind == "message")
        .collect();
    let want: Vec<Value> = log()
        .into_iter()
        .filter(|v| v["lib"] == "@stomp/stompjs" && v["action"] == "delivered")
        .collect();
    assert_eq!(got.len(), want.len());
    assert_eq!(got.len(), 4);
    for (a, w) in got.iter().zip(&want) {
        assert_eq!(
            a.field("body_bytes"),
            Some(w["body_bytes"].to_string().as_str())
        );
        assert_eq!(a.args, body(&w["body"]));
    }
    // The binary body with a NUL inside was read to its content-length, not to the NUL.
    assert!(
        got.iter()
            .any(|a| a.args == Some(Value::String("ws\0l\n".into())))
    );
}

#[test]
fn heartbeats_match_stompjs_pings_and_pongs() {
    let evs = decode(&capture("stomp.pcap"));
    let ours = stomp(&evs);
    let log = log();
    for (d, what) in [("c2s", "sent"), ("s2c", "recv")] {
        let want = log
            .iter()
            .filter(|v| v["lib"] == "@stomp/stompjs" && v["command"] == "heartbeat")
            .filter(|v| v["action"] == what)
            .count();
        let got = ours
            .iter()
            .filter(|a| a.conn == 1 && a.kind == "heartbeat" && a.dir.as_str() == d)
            .count();
        assert_eq!(got, want, "{d} heart-beats");
        assert!(got >= 2, "{d}: {got} heart-beats");
    }
}

#[test]
fn receipts_acks_and_errors_are_paired() {
    let evs = decode(&capture("stomp.pcap"));
    let ours = stomp(&evs);
    let at = |pkt: u64, conn: u32| {
        ours.iter()
            .find(|a| a.pkt == pkt && a.conn == conn && a.kind != "heartbeat")
            .unwrap()
    };
    let mut receipts = 0;
    for a in &ours {
        match a.kind {
            "receipt" => {
                let r = a.reply.as_ref().expect("RECEIPT unpaired");
                assert_eq!(at(r.pkt, a.conn).field("receipt"), a.id.as_deref());
                receipts += 1;
            }
            "ack" | "nack" => {
                let r = a.reply.as_ref().expect("ACK unpaired");
                assert_eq!(at(r.pkt, a.conn).field("ack"), a.id.as_deref());
            }
            "connected" => assert!(a.reply.is_some()),
            "error" => {
                // RabbitMQ sets no receipt-id: the hint names the frame that caused it.
                assert!(a.reply.is_none());
                let cause = a.field("likely_cause").unwrap();
                assert!(cause.contains("SEND /bogus/x"), "{cause}");
            }
            _ => {}
        }
    }
    assert_eq!(receipts, 4);
}

#[test]
fn stomp_without_a_subprotocol_is_recognised_and_narrated() {
    let evs = decode(&capture("stomp.pcap"));
    let kinds: Vec<&str> = stomp(&evs)
        .iter()
        .filter(|a| a.conn == 2)
        .map(|a| a.kind)
        .take(2)
        .collect();
    assert_eq!(kinds, ["stomp", "connected"]);
    for lang in Lang::ALL {
        let mut cx = NarrationContext::new();
        let mut text = String::new();
        for e in &evs {
            cx.observe(e);
            for s in narrate(e, &cx, lang) {
                text.push_str(&s);
                text.push('\n');
            }
        }
        let want = match lang {
            Lang::En => ["heart-beat", "RECEIPT", "/queue/wslens-js"],
            Lang::Zh => ["心跳", "回执", "/queue/wslens-js"],
        };
        for w in want {
            assert!(text.contains(w), "{lang}: no {w:?}");
        }
    }
}

#[test]
fn the_filter_finds_stomp_frames_by_destination() {
    use wslens::filter::Filter;
    let evs = decode(&capture("stomp.pcap"));
    let count = |expr: &str| {
        let mut f = Filter::new(expr).unwrap();
        evs.iter().filter(|e| f.matches(e)).count()
    };
    let sends = stomp(&evs)
        .iter()
        .filter(|a| a.kind == "send" && a.name.as_deref() == Some("/queue/wslens-js"))
        .count();
    assert_eq!(sends, 4);
    assert_eq!(
        count(
            r#"app.proto == "stomp" && app.type == send && app.destination == "/queue/wslens-js""#
        ),
        sends
    );
    assert_eq!(
        count(r#"app.name == "/queue/wslens-js" && app.type == send"#),
        sends
    );
    // Only STOMP frames have a destination; MQTT's topic is app.topic.
    assert_eq!(count("app.topic"), 0);
    assert!(count("app.proto == stomp && app.type == heartbeat") >= 10);
}
