//! Without capture rights: a clear message, exit code 2, and the demo plays its recording.
//! Runs the binary as `nobody` (needs root to switch users; skipped otherwise).

use crate::common::privileges::{is_root, setpriv_nobody};
use std::process::Output;

const BIN: &str = env!("CARGO_BIN_EXE_wslens");

fn as_nobody(args: &[&str]) -> Option<Output> {
    // Switching to an unprivileged user needs root.
    if !is_root("live_permission") {
        return None;
    }
    let out = setpriv_nobody()
        .arg(BIN)
        .args(args)
        .current_dir("/")
        .output();
    match out {
        Ok(o) => Some(o),
        Err(e) => {
            println!("SKIPPED: setpriv unavailable ({e})");
            None
        }
    }
}

fn check_refused(backend: &str) {
    let Some(out) = as_nobody(&["live", "--backend", backend, "--json", "-c", "1"]) else {
        return;
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains("no permission to capture"), "{err}");
    assert!(err.contains("CAP_NET_RAW"), "{err}");
    // The line names this very binary, so it works as printed wherever it was installed.
    let bin = std::fs::canonicalize(BIN).unwrap();
    assert!(
        err.contains(&format!(
            "setcap cap_net_raw,cap_net_admin=eip {}",
            bin.display()
        )),
        "{err}"
    );
    assert!(err.contains("run `wslens` with no arguments"), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn live_pnet_without_permission_explains_and_exits_2() {
    check_refused("pnet");
}

#[cfg(feature = "libpcap")]
#[test]
fn live_pcap_without_permission_explains_and_exits_2() {
    check_refused("pcap");
}

#[test]
fn demo_without_permission_plays_the_bundled_recording() {
    let Some(out) = as_nobody(&["demo", "--pace", "0", "--json", "--backend", "pnet"]) else {
        return;
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("bundled recording"), "{err}");
    let text = String::from_utf8(out.stdout).unwrap();
    let messages: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["event"] == "ws_message")
        .collect();
    // The demo's script: hello, binary, fragmented text, ping/pong, push, close both ways.
    assert!(messages.len() >= 10, "{} messages", messages.len());
    assert!(
        messages
            .iter()
            .any(|m| m["frames"] == 3 && m["text"] == "This message was sent in three fragments.")
    );
    assert!(messages.iter().any(|m| m["opcode"] == "pong"));
}

#[test]
fn demo_tls_without_permission_plays_its_bundled_recording_decrypted() {
    let Some(out) = as_nobody(&[
        "demo",
        "--tls",
        "--pace",
        "0",
        "--json",
        "--backend",
        "pnet",
    ]) else {
        return;
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("bundled recording"), "{err}");
    let events: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .collect();
    // The keys come from the recording itself (a Decryption Secrets Block).
    let session = events
        .iter()
        .find(|e| e["event"] == "tls_session")
        .expect("a TLS session");
    assert_eq!(session["decrypted"], true, "{session}");
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "ws_handshake" && e["tls"] == true && e["upgraded"] == true)
    );
    assert!(
        events.iter().any(|e| e["event"] == "ws_message"
            && e["text"] == "This message was sent in three fragments.")
    );
}
