//! `wslens export` on real recordings: every exported payload is the one the peers logged
//! (SHA-256 and length), the 3 MiB messages included; the HAR has one entry per upgraded
//! connection with every data message; `--filter` selects.

use crate::common;
use common::*;
use serde_json::Value;
use std::process::Command;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn wslens(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_wslens"))
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Data messages the peers logged as sent, per direction: (len, sha256).
fn logged(name: &str, dir: &str) -> Vec<(u64, String)> {
    let text = std::fs::read_to_string(capture(name).with_extension("peers.ndjson")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["action"] == "sent" && v["dir"] == dir)
        .filter(|v| v["opcode"] == "text" || v["opcode"] == "binary")
        .map(|v| {
            (
                v["len"].as_u64().unwrap(),
                v["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn message_files_and_har_hold_the_whole_payloads() {
    let dir = std::env::temp_dir().join(format!("wslens-export-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let har = dir.with_extension("har");
    let path = capture("echo-node.pcap");
    wslens(&[
        "export",
        path.to_str().unwrap(),
        "--messages",
        dir.to_str().unwrap(),
        "--har",
        har.to_str().unwrap(),
    ]);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for d in ["c2s", "s2c"] {
        let ours: Vec<(u64, String)> = names
            .iter()
            .filter(|n| n.contains(&format!("-{d}-")))
            .map(|n| {
                let b = std::fs::read(dir.join(n)).unwrap();
                (b.len() as u64, hex(&sha(&b)))
            })
            .collect();
        let want = logged("echo-node.pcap", d);
        assert!(
            want.iter().any(|(l, _)| *l == 3 << 20),
            "the 3 MiB message is logged"
        );
        assert_eq!(
            ours, want,
            "{d}: exported payloads differ from the peers' log"
        );
    }
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&har).unwrap()).unwrap();
    assert_eq!(doc["log"]["version"], "1.2");
    let entries = doc["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(e["_resourceType"], "websocket");
    assert_eq!(e["response"]["status"], 101);
    assert!(e["request"]["url"].as_str().unwrap().starts_with("ws://"));
    let msgs = e["_webSocketMessages"].as_array().unwrap();
    assert_eq!(msgs.len(), names.len());
    let sent = msgs.iter().filter(|m| m["type"] == "send").count();
    assert_eq!(sent, logged("echo-node.pcap", "c2s").len());
    // Binary data is base64 of the whole payload.
    use base64::Engine as _;
    let big = msgs
        .iter()
        .find(|m| m["opcode"] == 2 && m["data"].as_str().unwrap().len() > 4_000_000)
        .expect("the 3 MiB binary");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(big["data"].as_str().unwrap())
        .unwrap();
    assert_eq!(bytes.len(), 3 << 20);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&har);
}

#[test]
fn ndjson_export_is_filtered_and_inflated() {
    let path = capture("deflate.pcap");
    let out = wslens(&[
        "export",
        path.to_str().unwrap(),
        "--ndjson",
        "--filter",
        "dir == s2c && ws.opcode != close",
    ]);
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let want = logged("deflate.pcap", "s2c");
    assert_eq!(lines.len(), want.len());
    for (l, (len, sha)) in lines.iter().zip(&want) {
        assert_eq!(l["dir"], "s2c");
        assert_eq!(
            (l["len"].as_u64().unwrap(), l["sha256"].as_str().unwrap()),
            (*len, sha.as_str())
        );
        assert!(l.get("truncated").is_none());
    }
}

#[test]
fn export_needs_something_to_write_and_a_valid_filter() {
    let path = capture("echo-node.pcap");
    let out = Command::new(env!("CARGO_BIN_EXE_wslens"))
        .args(["export", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_wslens"))
        .args([
            "export",
            path.to_str().unwrap(),
            "--ndjson",
            "--filter",
            "ws.len >",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("column 9"));
}
