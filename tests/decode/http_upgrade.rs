//! The HTTP layer agrees with tshark on every bundled capture: each request/response head (its
//! packet, method or status, Sec-WebSocket-Key/Accept), and each upgrade attempt's outcome
//! (ws_handshake), also checked against what the peers themselves logged.

use crate::common;
use common::*;
use std::collections::BTreeSet;
use std::path::Path;
use wslens::event::{Event, HttpKind, Proto};

/// (packet, method, status, key, accept) — the columns tshark gives.
type Row = (u64, String, String, String, String);

/// tshark's HTTP heads. Bodies are not reassembled so a head is reported at the packet that
/// completed it, as wslens does; every server port is forced to HTTP since tshark only knows a
/// few ports by default.
fn tshark_heads(path: &Path, ports: &BTreeSet<u16>) -> Vec<(Row, u32)> {
    let mut extra: Vec<String> = vec![
        "-o".into(),
        "http.desegment_body:FALSE".into(),
        "-o".into(),
        "tcp.reassemble_out_of_order:TRUE".into(),
    ];
    // A wss:// recording: tshark decrypts with the same key log and finds HTTP inside TLS.
    let keys = path.with_extension("keys");
    let proto = if keys.exists() {
        extra.push("-o".into());
        extra.push(format!("tls.keylog_file:{}", keys.display()));
        "tls"
    } else {
        "http"
    };
    for p in ports {
        extra.push("-d".into());
        extra.push(format!("tcp.port=={p},{proto}"));
    }
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    tshark_fields(
        path,
        "http.request or http.response",
        &[
            "frame.number",
            "http.request.method",
            "http.response.code",
            "http.sec_websocket_key",
            "http.sec_websocket_accept",
            "tcp.stream",
        ],
        &extra,
    )
    .into_iter()
    .map(|r| {
        let col = |i: usize| r.get(i).cloned().unwrap_or_default();
        (
            (col(0).parse().unwrap(), col(1), col(2), col(3), col(4)),
            col(5).parse().unwrap(),
        )
    })
    .collect()
}

fn our_heads(events: &[Event]) -> Vec<Row> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Http(h) => Some(h),
            _ => None,
        })
        .map(|h| {
            let (m, s) = match &h.kind {
                HttpKind::Request { method, .. } => (method.clone(), String::new()),
                HttpKind::Response { status, .. } => (String::new(), status.to_string()),
            };
            let hv = |n: &str| h.header(n).unwrap_or("").to_string();
            (
                h.pkt,
                m,
                s,
                hv("sec-websocket-key"),
                hv("sec-websocket-accept"),
            )
        })
        .collect()
}

fn server_ports(events: &[Event]) -> BTreeSet<u16> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ConnOpen(o) if o.proto == Proto::Tcp => Some(o.server.port()),
            _ => None,
        })
        .collect()
}

#[test]
fn http_heads_match_tshark_on_every_capture() {
    let mut total = 0;
    for path in all_captures() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let events = decode(&path);
        let mut ours = our_heads(&events);
        let mut theirs: Vec<Row> = tshark_heads(&path, &server_ports(&events))
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs, "{name}: HTTP heads differ from tshark's");
        total += ours.len();
    }
    assert!(
        total > 50,
        "the captures hold many HTTP heads, found {total}"
    );
}

#[test]
fn handshakes_match_tshark_on_every_capture() {
    let mut attempts = 0;
    for path in all_captures() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let events = decode(&path);
        let rows = tshark_heads(&path, &server_ports(&events));
        // tshark's pairs: a request with a key, and the next response on its TCP stream.
        let mut expected = Vec::new();
        for (i, (req, stream)) in rows.iter().enumerate() {
            if req.3.is_empty() {
                continue;
            }
            let resp = rows[i + 1..]
                .iter()
                .find(|(r, s)| {
                    s == stream && (r.2 == "101" || (!r.2.is_empty() && !r.2.starts_with('1')))
                })
                .map(|(r, _)| r)
                .unwrap_or_else(|| panic!("{name}: no response to packet {}", req.0));
            expected.push((resp.0, resp.2.clone(), req.3.clone(), resp.4.clone()));
        }
        let hs: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                Event::WsHandshake(h) => Some(h),
                _ => None,
            })
            .collect();
        let ours: Vec<_> = hs
            .iter()
            .map(|h| {
                (
                    h.pkt,
                    h.status.to_string(),
                    h.key.clone().unwrap_or_default(),
                    h.accept.clone().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(ours, expected, "{name}: handshakes differ from tshark's");
        for h in &hs {
            let key = h.key.as_deref().unwrap_or("");
            let right = h.status == 101
                && h.accept.as_deref() == Some(&wslens::http::expected_accept(key)[..]);
            assert_eq!(h.upgraded, right, "{name}: {h:?}");
            assert_eq!(h.upgraded, h.problems.is_empty(), "{name}: {h:?}");
        }
        // A connection that upgraded carries frames; one that did not carries none.
        for h in &hs {
            let frames = events
                .iter()
                .any(|e| matches!(e, Event::WsFrame(f) if f.conn == h.conn));
            if h.upgraded {
                assert!(
                    frames,
                    "{name}: upgraded connection {} has no frames",
                    h.conn
                );
            }
            // ... unless the server answered 101 anyway and went on (bad-accept-ping): then
            // its frames are decoded, with a warning saying so.
            let violation = events.iter().any(
                |e| matches!(e, Event::Note(n) if n.code == "ws-after-failed-upgrade" && n.conn == Some(h.conn)),
            );
            if !h.upgraded {
                assert!(
                    !frames || violation,
                    "{name}: connection {} did not upgrade but has frames",
                    h.conn
                );
            }
        }
        attempts += hs.len();
    }
    assert!(attempts >= 20, "found {attempts} upgrade attempts");
}

/// What the peers logged about the handshake agrees: the bad-accept client computed the expected
/// Accept itself and refused; the rejected capture's upgrade got a 403.
#[test]
fn handshakes_match_the_peers_logs() {
    for name in ["bad-accept", "rejected", "classroom", "tiny-segments"] {
        let events = decode(&capture(&format!("{name}.pcap")));
        let hs: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                Event::WsHandshake(h) => Some(h),
                _ => None,
            })
            .collect();
        let log = std::fs::read_to_string(capture(&format!("{name}.peers.ndjson"))).unwrap();
        let mut responses = 0;
        // Clients whose request asked for WebSocket (a plain GET is no upgrade attempt).
        let mut upgrading = BTreeSet::new();
        for line in log.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            if v["http"] == "request" && v["upgrade"] == true {
                upgrading.insert(v["client"].to_string());
            }
            if v["http"] != "response"
                || v["role"] != "client"
                || v["action"] != "recv"
                || !upgrading.contains(&v["client"].to_string())
            {
                continue;
            }
            responses += 1;
            let status = v["status"].as_u64().unwrap();
            let h = hs
                .iter()
                .find(|h| h.status as u64 == status)
                .unwrap_or_else(|| panic!("{name}: no handshake answered {status}: {hs:?}"));
            if let Some(acc) = v["accept"].as_str() {
                assert_eq!(h.accept.as_deref(), Some(acc), "{name}");
            }
            if let Some(exp) = v["expected_accept"].as_str() {
                assert_eq!(h.expected_accept.as_deref(), Some(exp), "{name}");
            }
            if let Some(ok) = v["accept_ok"].as_bool() {
                assert_eq!(h.accept_ok, ok, "{name}");
                assert_eq!(h.upgraded, ok, "{name}");
            }
        }
        match name {
            "bad-accept" => {
                assert_eq!(hs.len(), 1);
                assert!(!hs[0].upgraded);
                assert!(
                    hs[0].problems.iter().any(|p| p.contains("Accept")),
                    "{:?}",
                    hs[0]
                );
            }
            "rejected" => {
                // Only the request that asked for WebSocket is an upgrade attempt.
                assert_eq!(hs.len(), 1);
                assert_eq!(hs[0].status, 403);
                assert!(!hs[0].upgraded);
            }
            _ => {
                assert_eq!(hs.len(), 1);
                assert!(hs[0].upgraded && hs[0].accept_ok, "{name}: {:?}", hs[0]);
            }
        }
        if name != "classroom" {
            // classroom's peers log only messages; the others log each handshake answer.
            assert_eq!(
                responses,
                hs.len(),
                "{name}: the peers logged each answer once"
            );
        }
    }
}
