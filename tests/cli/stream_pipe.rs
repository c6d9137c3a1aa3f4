//! `wslens decode -` on a pipe fed slowly, as `tcpdump -U -w - | wslens decode -` feeds it: each
//! packet's events are written while the input is still open (not when it ends), the output is
//! the same as decoding the file, and Ctrl-C / SIGTERM end the decode cleanly (open connections
//! summarised, output flushed, exit status 0).

use crate::common;

use common::{all_captures, capture};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// The capture's bytes cut into its file header and one piece per packet (pcap).
fn pieces(name: &str) -> (Vec<u8>, Vec<Vec<u8>>) {
    let bytes = std::fs::read(capture(name)).unwrap();
    let mut lens = Vec::new();
    wslens::capture::read_bytes(&bytes, |p| lens.push(p.data.len())).unwrap();
    let mut at = 24;
    let mut out = Vec::new();
    for n in lens {
        out.push(bytes[at..at + 16 + n].to_vec());
        at += 16 + n;
    }
    assert_eq!(at, bytes.len());
    (bytes[..24].to_vec(), out)
}

fn spawn(args: &[&str]) -> (Child, ChildStdin, Receiver<(Instant, String)>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wslens"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run wslens");
    let stdin = child.stdin.take().unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    (child, stdin, rx)
}

/// Wait for a line satisfying `want`; the time it arrived.
fn wait_for(rx: &Receiver<(Instant, String)>, want: impl Fn(&str) -> bool) -> Option<Instant> {
    let end = Instant::now() + Duration::from_secs(5);
    while let Ok((at, line)) = rx.recv_timeout(end.saturating_duration_since(Instant::now())) {
        if want(&line) {
            return Some(at);
        }
    }
    None
}

/// Feed the handshake one packet at a time, each after the previous one's events were seen;
/// the delay from writing a packet to reading its first event line.
fn delays(args: &[&str], line_of: impl Fn(&str, usize) -> bool) -> Vec<Duration> {
    let (header, packets) = pieces("classroom.pcap");
    let (mut child, mut stdin, rx) = spawn(args);
    stdin.write_all(&header).unwrap();
    let mut delays = Vec::new();
    for (i, p) in packets.iter().take(6).enumerate() {
        std::thread::sleep(Duration::from_millis(30));
        let sent = Instant::now();
        stdin.write_all(p).unwrap();
        stdin.flush().unwrap();
        let at = wait_for(&rx, |l| line_of(l, i + 1)).unwrap_or_else(|| {
            let _ = child.kill();
            panic!(
                "{args:?}: no event for packet {} while the pipe is open",
                i + 1
            )
        });
        delays.push(at - sent);
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
    delays
}

#[test]
fn text_events_are_written_as_packets_arrive() {
    let d = delays(&["decode", "--brief", "-"], |l, n| {
        l.trim_start().starts_with(&format!("#{n} "))
    });
    eprintln!("text delays: {d:?}");
    // Written when the reader catches up, i.e. at once; 100 ms is the promise, and a loaded
    // test machine gets room beyond it.
    assert!(d.iter().all(|d| *d < Duration::from_millis(500)), "{d:?}");
}

#[test]
fn json_events_are_written_as_packets_arrive() {
    let d = delays(&["decode", "--json", "-"], |l, n| {
        l.contains(&format!("\"pkt\":{n},"))
    });
    eprintln!("json delays: {d:?}");
    assert!(d.iter().all(|d| *d < Duration::from_millis(500)), "{d:?}");
}

/// Through a pipe, packet by packet, the output is byte for byte what decoding the file gives.
#[test]
fn a_pipe_decodes_exactly_like_the_file() {
    for path in all_captures() {
        let file = Command::new(env!("CARGO_BIN_EXE_wslens"))
            .args(["decode", "--json"])
            .arg(&path)
            .output()
            .unwrap();
        let (mut child, mut stdin, rx) = spawn(&["decode", "--json", "-"]);
        let bytes = std::fs::read(&path).unwrap();
        let writer = std::thread::spawn(move || {
            // Uneven writes, so blocks straddle reads.
            for c in bytes.chunks(1000) {
                if stdin.write_all(c).is_err() {
                    break;
                }
            }
        });
        writer.join().unwrap();
        let status = child.wait().unwrap();
        let got: Vec<String> = rx.iter().map(|(_, l)| l).collect();
        let want: Vec<String> = String::from_utf8(file.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(
            status.success(),
            file.status.success(),
            "{}",
            path.display()
        );
        assert_eq!(got, want, "{}", path.display());
    }
}

fn signal_ends_cleanly(sig: libc::c_int) {
    let (header, packets) = pieces("classroom.pcap");
    let (mut child, mut stdin, rx) = spawn(&["decode", "--brief", "-"]);
    stdin.write_all(&header).unwrap();
    // The handshake and the upgrade: the connection is open when the signal comes.
    for p in &packets[..8] {
        stdin.write_all(p).unwrap();
    }
    stdin.flush().unwrap();
    assert!(wait_for(&rx, |l| l.contains("#8 ")).is_some());
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, sig) };
    let start = Instant::now();
    let status = child.wait().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "took {:?}",
        start.elapsed()
    );
    let rest: Vec<String> = rx.iter().map(|(_, l)| l).collect();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(status.success(), "{status:?} {err}");
    // The open connection is summarised as incomplete, and that line reached the pipe.
    assert!(
        rest.iter()
            .any(|l| l.contains("conn 1") && l.contains("still open")),
        "{rest:?}"
    );
    assert!(err.contains("stopped by a signal after 8 packets"), "{err}");
    drop(stdin);
}

#[test]
fn ctrl_c_summarises_what_is_open_and_flushes() {
    signal_ends_cleanly(libc::SIGINT);
}

#[test]
fn sigterm_summarises_what_is_open_and_flushes() {
    signal_ends_cleanly(libc::SIGTERM);
}

/// Two files the issue names: a 10-byte file and a header without packets.
#[test]
fn short_and_packetless_inputs_say_so() {
    let bytes = std::fs::read(capture("classroom.pcap")).unwrap();
    let dir = std::env::temp_dir().join(format!("wslens-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let short = dir.join("short.pcap");
    std::fs::write(&short, &bytes[..10]).unwrap();
    let empty = dir.join("header-only.pcap");
    std::fs::write(&empty, &bytes[..24]).unwrap();
    let run = |p: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_wslens"))
            .arg("decode")
            .arg(p)
            .output()
            .unwrap()
    };
    let o = run(&short);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).trim_end(),
        format!(
            "wslens: {}: the file is only 10 bytes long, too short to hold a pcap or pcapng \
             file header",
            short.display()
        )
    );
    let o = run(&empty);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("holds no packets"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A named FIFO is read as a stream too (`mkfifo f; tcpdump -U -w f & wslens decode f`).
#[test]
fn a_fifo_is_decoded_as_packets_arrive() {
    let (header, packets) = pieces("classroom.pcap");
    let dir = std::env::temp_dir().join(format!("wslens-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("capture.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo on a path we own.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let mut child = Command::new(env!("CARGO_BIN_EXE_wslens"))
        .args(["decode", "--brief"])
        .arg(&fifo)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send((Instant::now(), line));
        }
    });
    let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    w.write_all(&header).unwrap();
    w.write_all(&packets[0]).unwrap();
    w.flush().unwrap();
    assert!(
        wait_for(&rx, |l| l.contains("#1 ") && l.contains("[SYN]")).is_some(),
        "the first packet is decoded while the FIFO is still open"
    );
    for p in &packets[1..] {
        w.write_all(p).unwrap();
    }
    drop(w);
    assert!(child.wait().unwrap().success());
    let _ = std::fs::remove_dir_all(&dir);
}
