//! Helpers shared by the integration tests: decoding the bundled captures and asking tshark.
#![allow(dead_code)]

pub mod privileges;
pub mod tmux;

use std::path::{Path, PathBuf};
use std::process::Command;
use wslens::capture;
use wslens::decoder::{DecodeOptions, Decoder};
use wslens::event::{Event, WsFrame, WsMessage};

pub fn captures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures")
}

pub fn capture(name: &str) -> PathBuf {
    captures_dir().join(name)
}

/// Every .pcap / .pcapng in captures/, sorted.
pub fn all_captures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(captures_dir())
        .expect("captures/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng")
            )
        })
        .collect();
    v.sort();
    assert!(v.len() >= 10, "expected the bundled captures in captures/");
    v
}

/// Decode with `opts`; keys embedded in a pcapng (Decryption Secrets Blocks) are added to
/// `opts.tls_keys` as `wslens decode` does.
pub fn decode_with(path: &Path, opts: DecodeOptions) -> Vec<Event> {
    let mut events = Vec::new();
    let keys = opts.tls_keys.clone();
    let mut dec = Decoder::new(opts);
    let mut sink = |e: Event| events.push(e);
    let sum = capture::with_secrets(
        move |ty, text| {
            if ty == wslens::tls::DSB_TLS_KEY_LOG {
                keys.add_text(text)
            }
        },
        || capture::read_file(path, |p| dec.packet(&p, &mut sink)),
    )
    .expect("capture readable");
    assert!(sum.error.is_none(), "{}: {:?}", path.display(), sum.error);
    dec.finish(&mut sink);
    events
}

/// Decode a bundled capture; a wss:// recording's key log (NAME.keys) is used when present.
pub fn decode(path: &Path) -> Vec<Event> {
    let keys = path.with_extension("keys");
    let mut opts = DecodeOptions::default();
    if keys.exists() {
        opts.tls_keys = wslens::tls::KeyStore::open(&keys, false).expect("key log readable");
    }
    decode_with(path, opts)
}

/// tshark's fields for every packet matching `filter`, one Vec per packet (occurrences joined
/// by ','). Panics with a clear message when tshark is missing: CI installs it.
pub fn tshark_fields(
    path: &Path,
    filter: &str,
    fields: &[&str],
    extra: &[&str],
) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(path).args([
        "-n",
        "-2",
        "-Y",
        filter,
        "-T",
        "fields",
        "-E",
        "separator=\t",
        "-E",
        "occurrence=a",
    ]);
    cmd.args(extra);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd
        .output()
        .expect("tshark must be installed to run this test (apt-get install -y tshark)");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

pub fn frames(evs: &[Event]) -> Vec<&WsFrame> {
    evs.iter()
        .filter_map(|e| match e {
            Event::WsFrame(f) => Some(f),
            _ => None,
        })
        .collect()
}

pub fn messages(evs: &[Event]) -> Vec<&WsMessage> {
    evs.iter()
        .filter_map(|e| match e {
            Event::WsMessage(m) => Some(m),
            _ => None,
        })
        .collect()
}

pub fn note_codes(evs: &[Event]) -> Vec<&'static str> {
    evs.iter()
        .filter_map(|e| match e {
            Event::Note(n) => Some(n.code),
            _ => None,
        })
        .collect()
}

pub fn sha(b: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(b).into()
}

/// The application messages among `evs`.
pub fn apps(evs: &[Event]) -> Vec<&wslens::event::AppMessage> {
    evs.iter()
        .filter_map(|e| match e {
            Event::App(a) => Some(&**a),
            _ => None,
        })
        .collect()
}

/// Socket.IO peers log a binary argument as `{"binary":n,"sha256":h}`; wslens writes
/// `{"_binary":n,"sha256":h}`.
pub fn peer_args(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(o) if o.contains_key("binary") && o.contains_key("sha256") => {
            serde_json::json!({"_binary": o["binary"], "sha256": o["sha256"]})
        }
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), peer_args(v))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(peer_args).collect()),
        other => other.clone(),
    }
}

/// A recording's peer log (`NAME.peers.ndjson`), without its first line (the description).
pub fn peer_log(name: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(capture(name)).unwrap();
    text.lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Every Socket.IO event, ack and namespace connect the peers logged as sent (`log`, a
/// `NAME.peers.ndjson`) is one decoded from `evs`, with the same direction, type, namespace,
/// name and arguments (binary arguments by length and SHA-256); each direction in its own order,
/// as the two peers' lines interleave by their clocks. Returns how many packets were compared.
pub fn socketio_matches_what_the_peers_sent(evs: &[Event], log: &str) -> usize {
    use serde_json::Value;
    use wslens::event::{AppProto, Dir};
    type Row = (String, String, String, Option<String>, Value); // dir, type, nsp, name, args
    let expected: Vec<Row> = peer_log(log)
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
    let ours: Vec<Row> = apps(evs)
        .iter()
        .filter(|a| a.proto == AppProto::SocketIo)
        // The server's answer to a namespace connect is not an event its peer logs as sent.
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
        assert_eq!(
            o, e,
            "{log}, {dir}: socket.io packets differ from the peers' log"
        );
    }
    expected.len()
}
