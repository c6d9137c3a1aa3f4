//! `wslens demo --tls` end to end: real rustls peers on a loopback of the test's own (a network
//! namespace), captured live. The conversation is decoded decrypted as it happens (the peers'
//! own key log feeds the decoder), the key log file is private, and the recording is a pcapng
//! whose embedded secrets let tshark read the same WebSocket messages. Needs root (namespace,
//! capture); otherwise it says so and skips.

use crate::common;

use common::tmux::Netns;
use common::tshark_fields;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_wslens");

fn events(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON event per line"))
        .collect()
}

fn of<'a>(evs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    evs.iter().filter(|e| e["event"] == kind).collect()
}

/// (direction, opcode, text) of every data message and close, in order.
fn messages(evs: &[Value]) -> Vec<(String, String, String)> {
    of(evs, "ws_message")
        .into_iter()
        .map(|m| {
            (
                m["dir"].as_str().unwrap_or_default().to_string(),
                m["opcode"].as_str().unwrap_or_default().to_string(),
                m["text"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn demo_tls_is_decrypted_live_and_its_recording_opens_in_tshark() {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED demo_tls: needs root (network namespace, live capture)");
        return;
    }
    let Some(ns) = Netns::new("tls") else {
        eprintln!("SKIPPED demo_tls: cannot make a network namespace");
        return;
    };
    let dir = std::env::temp_dir().join(format!("wslens-demo-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Root drops to nobody once the capture is open: the directory must stay reachable.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let rec = dir.join("demo.pcapng");
    let keys = dir.join("demo.keys");
    let out = Command::new("ip")
        .args(["netns", "exec", &ns.0, BIN, "demo", "--tls", "--json"])
        .args(["--pace", "0.1", "--record"])
        .arg(&rec)
        .arg("--keylog")
        .arg(&keys)
        .env_remove("SUDO_UID")
        .env_remove("SUDO_GID")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("wss://"), "{err}");
    let evs = events(&out.stdout);

    // The clear part of the handshake, then everything decrypted with the peers' own keys.
    let hello = of(&evs, "tls");
    assert!(
        hello
            .iter()
            .any(|t| t["type"] == "client_hello" && t["sni"] == "localhost"),
        "{hello:?}"
    );
    let sessions = of(&evs, "tls_session");
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0]["decrypted"], true);
    assert_eq!(sessions[0]["version"], "TLS1.3");
    for kind in ["encrypted_extensions", "certificate", "finished"] {
        assert!(
            hello
                .iter()
                .any(|t| t["type"] == kind && t["encrypted"] == true),
            "{kind} decrypted: {hello:?}"
        );
    }
    // The HTTP Upgrade inside TLS.
    let hs = of(&evs, "ws_handshake");
    assert_eq!(hs.len(), 1);
    assert_eq!(hs[0]["upgraded"], true);
    assert_eq!(hs[0]["accept_ok"], true);
    assert_eq!(hs[0]["tls"], true);
    assert!(
        of(&evs, "http")
            .iter()
            .any(|h| h["method"] == "GET" && h["path"] == "/chat"),
        "the upgrade request, decrypted"
    );
    // The demo's script, every message.
    let live = messages(&evs);
    let texts: Vec<&str> = live.iter().map(|m| m.2.as_str()).collect();
    for t in [
        "Hello, server! This is the client speaking.",
        "echo: Hello, server! This is the client speaking.",
        "got 32 bytes of binary data",
        "This message was sent in three fragments.",
        "echo: This message was sent in three fragments.",
        "server push: still here, and I can talk first too",
    ] {
        assert!(texts.contains(&t), "{t:?} not in {texts:?}");
    }
    assert!(live.iter().any(|m| m.1 == "binary"));
    assert!(live.iter().any(|m| m.1 == "pong"));
    assert_eq!(live.iter().filter(|m| m.1 == "close").count(), 2);
    let notes: Vec<_> = of(&evs, "note")
        .iter()
        .map(|n| n["code"].as_str().unwrap_or_default().to_string())
        .collect();
    for bad in ["tls-auth-failed", "tls-encrypted", "tls-gap", "tls-framing"] {
        assert!(!notes.iter().any(|n| n == bad), "note {bad}: {notes:?}");
    }

    // The key log: private, not root's, NSS lines for this one connection.
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(&keys).unwrap();
    assert_eq!(m.mode() & 0o777, 0o600);
    assert_eq!(m.uid(), 65534, "the key log belongs to the user dropped to");
    let text = std::fs::read_to_string(&keys).unwrap();
    for label in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
    ] {
        assert_eq!(
            text.lines().filter(|l| l.starts_with(label)).count(),
            1,
            "{label} once:\n{text}"
        );
    }
    let m = std::fs::metadata(&rec).unwrap();
    assert_eq!(m.mode() & 0o777, 0o600);

    // The recording decodes to the same messages with no key log given (the keys are inside).
    let dec = Command::new(BIN)
        .args(["decode", "--json"])
        .arg(&rec)
        .env_remove("SSLKEYLOGFILE")
        .output()
        .unwrap();
    assert!(dec.status.success());
    let again = events(&dec.stdout);
    assert_eq!(of(&again, "tls_session")[0]["decrypted"], true);
    assert_eq!(messages(&again), live);

    // tshark reads the Decryption Secrets Block too: the same messages, decrypted.
    let theirs = tshark_texts(&rec, &[]);
    let ours: Vec<(String, String)> = live
        .iter()
        .filter(|m| m.1 == "text")
        .map(|m| (m.0.clone(), m.2.clone()))
        .collect();
    assert_eq!(
        theirs, ours,
        "text messages: tshark with the embedded secrets"
    );
    // And with the key log file instead, on the same packets.
    let klog = format!("tls.keylog_file:{}", keys.display());
    assert_eq!(tshark_texts(&rec, &["-o", &klog]), ours);
    let _ = std::fs::remove_dir_all(&dir);
}

/// (direction, text) of every whole text message tshark decodes (a fragmented message is
/// reassembled by tshark on its last frame).
fn tshark_texts(pcap: &Path, extra: &[&str]) -> Vec<(String, String)> {
    let rows = tshark_fields(
        pcap,
        "websocket.opcode == 1 || (websocket.opcode == 0 && websocket.fin == 1)",
        &["tcp.srcport", "tcp.dstport", "websocket.payload.text"],
        extra,
    );
    assert!(!rows.is_empty(), "tshark decoded no WebSocket frame");
    // The server's port is the lower of the two only by chance: the client sends the first.
    let client_port = rows[0][0].clone();
    rows.into_iter()
        .filter(|r| !r[2].is_empty())
        .map(|r| {
            let dir = if r[0] == client_port { "c2s" } else { "s2c" };
            (dir.to_string(), r[2].clone())
        })
        .collect()
}
