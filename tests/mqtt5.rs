//! MQTT 5 on a real recording: `captures/mqtt5.pcap`, the paho-mqtt client (protocol MQTTv5,
//! over WebSocket) against Debian's mosquitto 2.0.11 behind a websocket-stream listener that
//! passes the bytes unchanged. Every control packet paho logged, sent or received, must be
//! decoded in order with its type, packet id, topic and QoS; MQTT 5 properties must be read;
//! every answer must be paired.

mod common;
use common::*;
use serde_json::Value;
use wslens::event::{AppMessage, AppProto, Event};

#[test]
fn mqtt5_packets_match_pahos_log() {
    let evs = decode(&capture("mqtt5.pcap"));
    let text = std::fs::read_to_string(capture("mqtt5.peers.ndjson")).unwrap();
    let log: Vec<Value> = text
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ours: Vec<&AppMessage> = evs
        .iter()
        .filter_map(|e| match e {
            Event::App(a) if a.proto == AppProto::Mqtt => Some(&**a),
            _ => None,
        })
        .collect();
    assert!(log.len() >= 20);
    let mut with_props = 0;
    assert!(log.iter().all(|v| v["level"] == 5));
    for d in ["c2s", "s2c"] {
        let l: Vec<&Value> = log.iter().filter(|v| v["dir"] == d).collect();
        let o: Vec<&&AppMessage> = ours.iter().filter(|a| a.dir.as_str() == d).collect();
        assert_eq!(o.len(), l.len(), "{d}: packet count");
        for (lv, a) in l.iter().zip(&o) {
            let line = lv["line"].as_str().unwrap();
            assert_eq!(a.kind, lv["type"].as_str().unwrap(), "{d}: {line}");
            if a.kind == "publish" {
                assert_eq!(a.name.as_deref(), lv["topic"].as_str(), "{line}");
                let qos = line
                    .split("q")
                    .nth(1)
                    .and_then(|s| s.chars().next())
                    .unwrap();
                assert_eq!(a.field("qos"), Some(qos.to_string().as_str()), "{line}");
                if qos != '0' {
                    assert_eq!(
                        a.id.as_deref().map(str::to_string),
                        lv["id"].as_u64().map(|i| i.to_string())
                    );
                }
                // The properties paho reported receiving (it logs none it sends), as wslens
                // reads them: the three QoS publishes carry them, the retained one does not.
                let props = a.field("properties");
                if d == "s2c" {
                    assert_eq!(props.is_some(), line.contains("ContentType"), "{line}");
                }
                if let Some(p) = props {
                    let p: Value = serde_json::from_str(p).unwrap();
                    assert_eq!(p["content_type"], "text/plain", "{line}");
                    assert_eq!(p["user_property"], serde_json::json!([["lang", "en"]]));
                    with_props += 1;
                }
            } else if let Some(id) = lv["id"].as_u64() {
                assert_eq!(a.id.as_deref(), Some(id.to_string().as_str()), "{line}");
            }
        }
    }
    // Three publishes each way: sent by paho, delivered back by mosquitto.
    assert_eq!(with_props, 6);
    assert_eq!(ours[0].field("protocol"), Some("MQTT level 5"));
    for a in &ours {
        if matches!(
            a.kind,
            "connack"
                | "puback"
                | "pubrec"
                | "pubrel"
                | "pubcomp"
                | "suback"
                | "unsuback"
                | "pingresp"
        ) {
            assert!(a.reply.is_some(), "{} #{:?} unpaired", a.kind, a.id);
        }
        // MQTT 5 answers carry a reason code (CONNACK, SUBACK, UNSUBACK: in their own way).
        if a.kind == "connack" {
            assert_eq!(a.field("reason_code"), Some("0"));
            assert!(a.field("properties").unwrap().contains("receive_maximum"));
        }
    }
}
