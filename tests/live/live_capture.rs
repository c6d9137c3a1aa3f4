//! Live capture end to end: a real tungstenite server and client on this test's own port,
//! `wslens live` as a subprocess, and the decoded messages compared with what the peers sent.
//! Capturing needs root (CI runs as root); without it these tests say so and skip.

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;
use tungstenite::Message;

const BIN: &str = env!("CARGO_BIN_EXE_wslens");

fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

fn skip_unless_root(test: &str) -> bool {
    if is_root() {
        return false;
    }
    println!("SKIPPED {test}: live capture needs root (CAP_NET_RAW)");
    true
}

/// (direction, opcode, len, sha256 hex) of one data message.
type Msg = (String, String, u64, String);

fn digest(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn describe(dir: &str, m: &Message) -> Option<Msg> {
    let (op, data): (&str, &[u8]) = match m {
        Message::Text(t) => ("text", t.as_bytes()),
        Message::Binary(b) => ("binary", b),
        _ => return None,
    };
    Some((dir.into(), op.into(), data.len() as u64, digest(data)))
}

/// The client sends these; the server echoes each back. Returns every data message as sent.
fn run_peers(listener: TcpListener) -> Vec<Msg> {
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let mut ws = tungstenite::accept(s).unwrap();
        let mut sent = Vec::new();
        loop {
            match ws.read() {
                Ok(m @ (Message::Text(_) | Message::Binary(_))) => {
                    sent.extend(describe("s2c", &m));
                    ws.send(m).unwrap();
                }
                Ok(Message::Close(_)) => {
                    // tungstenite queued the close reply; flush it, then wait for the end.
                    let _ = ws.flush();
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        sent
    });
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (mut ws, _) = tungstenite::client(format!("ws://127.0.0.1:{port}/t"), stream).unwrap();
    let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let msgs = vec![
        Message::text("hello from the live test"),
        Message::binary(vec![0u8, 1, 2, 3, 254, 255]),
        Message::text("ünïcödé ✓ ".repeat(500)),
        Message::binary(big),
        Message::text(""),
    ];
    let mut sent = Vec::new();
    for m in msgs {
        sent.extend(describe("c2s", &m));
        ws.send(m).unwrap();
        let echo = ws.read().unwrap();
        assert!(echo.is_text() || echo.is_binary());
    }
    ws.close(None).unwrap();
    while ws.read().is_ok() {}
    let from_server = server.join().unwrap();
    sent.extend(from_server);
    sent
}

/// Start `wslens live` and wait until its capture is open.
fn spawn_live(args: &[&str]) -> Child {
    let mut child = Command::new(BIN)
        .arg("live")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut r = BufReader::new(stderr);
        let mut line = String::new();
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            if line.contains("capturing on") {
                let _ = tx.send(());
            }
            eprint!("[wslens] {line}");
            line.clear();
        }
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("wslens live did not report an open capture");
    child
}

fn sigint_and_collect(mut child: Child) -> (std::process::ExitStatus, Vec<Value>) {
    let mut out = String::new();
    let mut stdout = child.stdout.take().unwrap();
    let reader = thread::spawn(move || {
        stdout.read_to_string(&mut out).unwrap();
        out
    });
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    let out = reader.join().unwrap();
    let events = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON event"))
        .collect();
    (status, events)
}

fn data_messages(events: &[Value]) -> Vec<Msg> {
    events
        .iter()
        .filter(|e| e["event"] == "ws_message")
        .filter(|e| e["opcode"] == "text" || e["opcode"] == "binary")
        .map(|e| {
            (
                e["dir"].as_str().unwrap().to_string(),
                e["opcode"].as_str().unwrap().to_string(),
                e["len"].as_u64().unwrap(),
                e["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn per_dir(m: &[Msg], dir: &str) -> Vec<Msg> {
    m.iter().filter(|x| x.0 == dir).cloned().collect()
}

fn tmp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("wslens-{}-{name}", std::process::id()))
}

fn live_matches_peers(backend: &str) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let pcap = tmp(&format!("{backend}.pcap"));
    let child = spawn_live(&[
        "-p",
        &port,
        "--json",
        "--backend",
        backend,
        "-w",
        pcap.to_str().unwrap(),
    ]);
    let sent = run_peers(listener);
    // The last ACKs of the teardown.
    thread::sleep(Duration::from_millis(500));
    let (status, events) = sigint_and_collect(child);
    assert!(status.success(), "wslens live exited with {status}");
    let got = data_messages(&events);
    for dir in ["c2s", "s2c"] {
        assert_eq!(per_dir(&got, dir), per_dir(&sent, dir), "{dir} messages");
    }
    assert_eq!(got.len(), 10);
    let summary = events
        .iter()
        .find(|e| e["event"] == "note" && e["code"] == "capture-summary")
        .expect("a capture-summary note (no drops)");
    assert!(summary["text"].as_str().unwrap().contains("0 dropped"));
    // Every packet is one of ours: the port filter worked.
    for e in events.iter().filter(|e| e["event"] == "conn_open") {
        let s = e["server"].as_str().unwrap();
        assert!(s.ends_with(&format!(":{port}")), "foreign connection {s}");
    }
    check_recording(&pcap, &events);
    let _ = std::fs::remove_file(&pcap);
}

/// The -w file is complete: tshark reads it, and decoding it yields the same messages.
fn check_recording(pcap: &Path, live_events: &[Value]) {
    if Command::new("tshark").arg("-v").output().is_ok() {
        let t = Command::new("tshark").arg("-r").arg(pcap).output().unwrap();
        assert!(
            t.status.success(),
            "tshark -r failed: {}",
            String::from_utf8_lossy(&t.stderr)
        );
        assert!(!t.stdout.is_empty());
    } else {
        println!("tshark not installed: skipping the tshark check of the -w file");
    }
    let d = Command::new(BIN)
        .args(["decode", "--json"])
        .arg(pcap)
        .output()
        .unwrap();
    assert!(d.status.success());
    let file_events: Vec<Value> = String::from_utf8(d.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let msgs = |ev: &[Value]| -> Vec<Value> {
        ev.iter()
            .filter(|e| e["event"] == "ws_message")
            .cloned()
            .collect()
    };
    assert_eq!(msgs(&file_events), msgs(live_events));
}

#[test]
fn live_pnet_decodes_what_the_peers_sent() {
    if skip_unless_root("live_pnet_decodes_what_the_peers_sent") {
        return;
    }
    live_matches_peers("pnet");
}

#[cfg(feature = "libpcap")]
#[test]
fn live_pcap_decodes_what_the_peers_sent() {
    if skip_unless_root("live_pcap_decodes_what_the_peers_sent") {
        return;
    }
    live_matches_peers("pcap");
}

#[test]
fn live_count_stops_by_itself_and_file_is_complete() {
    if skip_unless_root("live_count_stops_by_itself_and_file_is_complete") {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let pcap = tmp("count.pcap");
    let child = spawn_live(&[
        "-p",
        &port,
        "--json",
        "--backend",
        "pnet",
        "-c",
        "3",
        "-w",
        pcap.to_str().unwrap(),
    ]);
    let _ = run_peers(listener);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let events: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let tcp = events.iter().filter(|e| e["event"] == "tcp").count();
    assert_eq!(tcp, 3, "exactly -c packets decoded");
    // The handshake's three segments, and the connection still open at the end.
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "conn_close" && e["how"] == "incomplete")
    );
    let bytes = std::fs::read(&pcap).unwrap();
    let _ = std::fs::remove_file(&pcap);
    assert_eq!(&bytes[..4], &0xa1b2_3c4du32.to_le_bytes());
    // 24-byte header + 3 records of 16-byte header + a 74-byte SYN/SYN-ACK or 66-byte ACK.
    assert_eq!(bytes.len(), 24 + 3 * 16 + 74 + 74 + 66);
}

#[test]
fn live_duration_stops_an_idle_capture() {
    if skip_unless_root("live_duration_stops_an_idle_capture") {
        return;
    }
    // A port nobody uses on this test's behalf: no traffic at all.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let start = std::time::Instant::now();
    let out = Command::new(BIN)
        .args(["live", "-p", &port, "--json", "--backend", "pnet"])
        .args(["--duration", "0.5"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(start.elapsed() < Duration::from_secs(10));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\"capture-summary\""), "{text}");
    assert!(text.contains("duration reached"), "{text}");
}

#[test]
fn live_bpf_with_pnet_is_a_clear_error() {
    let out = Command::new(BIN)
        .args(["live", "--backend", "pnet", "-f", "tcp port 80", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("libpcap"), "{err}");
    assert!(!err.contains("panicked"));
}
