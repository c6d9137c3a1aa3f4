//! MQTT over WebSocket on real recordings, against the paho-mqtt client's own log:
//! `captures/mqtt.pcap` (MQTT 3.1.1, the aedes broker) and `captures/mqtt5.pcap` (protocol
//! MQTTv5 against Debian's mosquitto 2.0.11 behind a websocket-stream listener that passes the
//! bytes unchanged). Every control packet paho logged, sent or received, must be decoded in
//! order per direction with its type, packet id, topic and QoS; MQTT 5 properties must be read;
//! every answer must be paired.

use crate::common;
use common::*;
use serde_json::Value;
use wslens::event::{AppMessage, AppProto};

/// The MQTT packets decoded from `NAME.pcap`, each checked against its line of paho's log
/// (`NAME.peers.ndjson`); `publish(dir, packet, log line)` adds checks of a recording's own.
/// Every answer has its question.
fn mqtt_matches_pahos_log(
    name: &str,
    mut publish: impl FnMut(&str, &AppMessage, &str),
) -> Vec<AppMessage> {
    let evs = decode(&capture(&format!("{name}.pcap")));
    let log = peer_log(&format!("{name}.peers.ndjson"));
    let ours: Vec<AppMessage> = apps(&evs)
        .into_iter()
        .filter(|a| a.proto == AppProto::Mqtt)
        .cloned()
        .collect();
    assert!(log.len() >= 20);
    for d in ["c2s", "s2c"] {
        let l: Vec<&Value> = log.iter().filter(|v| v["dir"] == d).collect();
        let o: Vec<&AppMessage> = ours.iter().filter(|a| a.dir.as_str() == d).collect();
        assert_eq!(o.len(), l.len(), "{name}, {d}: packet count");
        for (lv, a) in l.iter().zip(o) {
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
                // paho logs a message id for QoS 0 too; only QoS 1 and 2 put one on the wire.
                if qos != '0' {
                    assert_eq!(
                        a.id.as_deref().map(str::to_string),
                        lv["id"].as_u64().map(|i| i.to_string()),
                        "{line}"
                    );
                }
                publish(d, a, line);
            } else if let Some(id) = lv["id"].as_u64() {
                assert_eq!(a.id.as_deref(), Some(id.to_string().as_str()), "{line}");
            }
        }
    }
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
            assert!(a.reply.is_some(), "{name}: {} #{:?} unpaired", a.kind, a.id);
        }
    }
    ours
}

/// `captures/mqtt.pcap`: paho-mqtt (MQTT 3.1.1 over WebSocket) against the aedes broker; the
/// QoS 1 and 2 flows are paired.
#[test]
fn mqtt_packets_match_pahos_log() {
    let ours = mqtt_matches_pahos_log("mqtt", |_, _, _| {});
    assert!(ours.iter().any(|a| a.kind == "pubcomp"), "a QoS 2 flow");
}

#[test]
fn mqtt5_packets_match_pahos_log() {
    let log = peer_log("mqtt5.peers.ndjson");
    assert!(log.iter().all(|v| v["level"] == 5));
    let mut with_props = 0;
    let ours = mqtt_matches_pahos_log("mqtt5", |d, a, line| {
        // The properties paho reported receiving (it logs none it sends), as wslens reads
        // them: the three QoS publishes carry them, the retained one does not.
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
    });
    // Three publishes each way: sent by paho, delivered back by mosquitto.
    assert_eq!(with_props, 6);
    assert_eq!(ours[0].field("protocol"), Some("MQTT level 5"));
    // MQTT 5 answers carry a reason code (CONNACK, SUBACK, UNSUBACK: in their own way).
    let connacks: Vec<&AppMessage> = ours.iter().filter(|a| a.kind == "connack").collect();
    assert!(!connacks.is_empty());
    for a in connacks {
        assert_eq!(a.field("reason_code"), Some("0"));
        assert!(a.field("properties").unwrap().contains("receive_maximum"));
    }
}
