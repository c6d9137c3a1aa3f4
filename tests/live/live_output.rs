//! `wslens live --json` / `--text` write their output per batch of packets, as the packets come:
//! events show up while the capture still runs (not when it ends), and with far fewer `write`
//! calls than events (counted with strace where it is installed). Real peers (the demo's
//! tungstenite client and server) talk in a network namespace made for the test. Needs root.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_wslens");

struct Netns(String);

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn netns(tag: &str) -> Option<Netns> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED: needs root");
        return None;
    }
    let name = format!("wslens-16-{tag}-{}", std::process::id());
    let ok = |args: &[&str]| {
        Command::new("ip")
            .args(args)
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ok(&["netns", "add", &name]) {
        eprintln!("SKIPPED: cannot create a network namespace");
        return None;
    }
    let ns = Netns(name);
    ok(&["netns", "exec", &ns.0, "ip", "link", "set", "lo", "up"]).then_some(ns)
}

fn peers(ns: &Netns) {
    let out = Command::new("ip")
        .args([
            "netns", "exec", &ns.0, BIN, "demo", "--brief", "--pace", "0.005",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The process that runs `wslens` (strace's child when traced).
fn wslens_pid(child: &Child, traced: bool) -> libc::pid_t {
    if !traced {
        return child.id() as libc::pid_t;
    }
    let start = Instant::now();
    loop {
        let out = Command::new("pgrep")
            .args(["-P", &child.id().to_string()])
            .output()
            .unwrap();
        if let Some(pid) = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .and_then(|p| p.parse().ok())
        {
            return pid;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "no wslens under strace"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn run(format: &str) {
    let Some(ns) = netns(&format[2..]) else {
        return;
    };
    let traced = Command::new("strace").arg("-V").output().is_ok();
    let trace = std::env::temp_dir().join(format!(
        "wslens-16-trace-{}-{}",
        &format[2..],
        std::process::id()
    ));
    let mut cmd = if traced {
        let mut c = Command::new("strace");
        c.args(["-f", "-e", "trace=write", "-o"])
            .arg(&trace)
            .arg("ip");
        c
    } else {
        eprintln!("strace is not installed: write calls are not counted");
        Command::new("ip")
    };
    let mut child = cmd
        .args(["netns", "exec", &ns.0, BIN, "live", format])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = channel();
    let reader = std::thread::spawn(move || {
        // Events: NDJSON lines, or the text's summary lines (narration lines are indented).
        let mut n = 0usize;
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if n == 0 {
                let _ = tx.send(Instant::now());
            }
            if !line.starts_with("          ") {
                n += 1;
            }
        }
        n
    });
    let pid = wslens_pid(&child, traced);
    std::thread::sleep(Duration::from_millis(500));
    peers(&ns);
    let done = Instant::now();
    // The events come while the capture still runs.
    let first = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("events are written while the capture runs");
    assert!(first <= done + Duration::from_secs(1));
    std::thread::sleep(Duration::from_millis(300));
    // Ctrl-C. Under strace a signal sent while the tracee is between ptrace stops has been seen
    // to get lost (no `--- SIGINT` in the trace, nothing pending): send it again after a while
    // rather than wait forever. wslens stops within 100 ms of the first one it receives.
    let mut status = None;
    for _ in 0..4 {
        // SAFETY: kill(2) on the wslens process we started.
        unsafe { libc::kill(pid, libc::SIGINT) };
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            if let Some(s) = child.try_wait().unwrap() {
                status = Some(s);
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if status.is_some() {
            break;
        }
    }
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("wslens live did not stop on SIGINT");
    };
    assert!(status.success(), "{status:?}");
    let events = reader.join().unwrap();
    assert!(events > 40, "{events} events");
    if traced {
        let t = std::fs::read_to_string(&trace).unwrap();
        // Standard output, or (text, written by its own thread) a duplicate of it: every
        // write but those to standard error.
        let writes = t
            .lines()
            .filter(|l| l.contains(" write(") && !l.contains(" write(2,"))
            .count();
        eprintln!("{format}: {events} events in {writes} writes");
        // One write per event would be `events` writes.
        assert!(
            writes > 0 && writes * 3 <= events,
            "{events} events in {writes} writes"
        );
        let _ = std::fs::remove_file(&trace);
    }
}

#[test]
fn live_json_is_written_per_batch_while_capturing() {
    run("--json");
}

#[test]
fn live_text_is_written_per_batch_while_capturing() {
    run("--text");
}

/// The README's own example, end to end: `tcpdump -i lo -U -w - | wslens decode -` prints the
/// conversation while it happens, and Ctrl-C (SIGINT to the whole pipeline, as a terminal sends
/// it) ends both programs cleanly with everything written.
#[test]
fn tcpdump_piped_into_decode_follows_and_stops_on_ctrl_c() {
    let Some(ns) = netns("pipe") else {
        return;
    };
    if Command::new("tcpdump").arg("--version").output().is_err() {
        eprintln!("SKIPPED: tcpdump is not installed");
        return;
    }
    let script = format!(
        "ip netns exec {ns} tcpdump -i lo -U -w - 2>/dev/null | {BIN} decode --brief -",
        ns = ns.0
    );
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    std::thread::sleep(Duration::from_millis(800));
    peers(&ns);
    // The whole conversation, to its teardown, is printed while both programs still run.
    let end = Instant::now() + Duration::from_secs(10);
    let mut lines = Vec::new();
    while !lines.iter().any(|l: &String| l.contains("closed")) {
        match rx.recv_timeout(end.saturating_duration_since(Instant::now())) {
            Ok(l) => lines.push(l),
            Err(_) => panic!("the teardown was not printed while running: {lines:#?}"),
        }
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the pipeline still runs"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("WebSocket upgrade succeeded"))
    );
    // Ctrl-C: SIGINT to both programs of the pipeline, as a terminal sends it to the foreground
    // job (not to `sh`, which an interactive shell would not be either).
    let out = Command::new("pgrep")
        .args(["-P", &child.id().to_string()])
        .output()
        .unwrap();
    let pids: Vec<libc::pid_t> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    assert_eq!(pids.len(), 2, "tcpdump and wslens: {pids:?}");
    for pid in pids {
        // SAFETY: kill(2) on processes of the pipeline we started.
        unsafe { libc::kill(pid, libc::SIGINT) };
    }
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(status.success(), "{status:?}: {err}");
    assert!(err.contains("stopped by a signal"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// `live --text` makes its text on worker threads behind a writer thread (as `decode` does);
/// on a quiet capture a packet's line must still show up at once, not when a chunk fills: a
/// UDP datagram every 200 ms, each line read within 100 ms of its datagram (the median; a
/// loaded machine may delay one now and then, so each within 400 ms), narrated and brief.
#[test]
fn live_text_line_follows_its_packet_promptly() {
    for (tag, brief) in [("prompt", false), ("promptb", true)] {
        let Some(ns) = netns(tag) else {
            return;
        };
        let mut args = vec!["netns", "exec", &ns.0, BIN, "live", "--text"];
        if brief {
            args.push("--brief");
        }
        let mut child = Command::new("ip")
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        // wslens says it captures once the capture is open.
        let (started_tx, started) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if line.contains("capturing on") {
                    let _ = started_tx.send(());
                }
            }
        });
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send((Instant::now(), line));
            }
        });
        started
            .recv_timeout(Duration::from_secs(10))
            .expect("the capture starts");
        std::thread::sleep(Duration::from_millis(300));
        // Send from a thread that joined the test's network namespace.
        let ns_path = format!("/var/run/netns/{}", ns.0);
        let sender = std::thread::spawn(move || {
            use std::os::fd::AsRawFd;
            let f = std::fs::File::open(&ns_path).unwrap();
            // SAFETY: setns(2) on this thread with a namespace file descriptor we hold open.
            let r = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
            assert_eq!(r, 0, "setns: {}", std::io::Error::last_os_error());
            let to = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            let from = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            let mut sent = Vec::new();
            for len in 101..=110 {
                std::thread::sleep(Duration::from_millis(200));
                from.send_to(&vec![b'x'; len], to.local_addr().unwrap())
                    .unwrap();
                sent.push((len, Instant::now()));
            }
            sent
        });
        let sent = sender.join().unwrap();
        std::thread::sleep(Duration::from_millis(500));
        let lines: Vec<(Instant, String)> = rx.try_iter().collect();
        let mut delays: Vec<Duration> = sent
            .iter()
            .map(|&(len, at)| {
                let want = format!("UDP datagram len={len}");
                let (seen, _) = lines
                    .iter()
                    .find(|(_, l)| l.contains(&want))
                    .unwrap_or_else(|| panic!("no line for the datagram of {len} bytes"));
                seen.saturating_duration_since(at)
            })
            .collect();
        // SAFETY: kill(2) on the `ip netns exec` process we started (it execs wslens).
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
        let status = child.wait().unwrap();
        assert!(status.success(), "{status:?}");
        eprintln!(
            "live --text{}: delays {delays:?}",
            if brief { " --brief" } else { "" }
        );
        delays.sort();
        assert!(
            delays[delays.len() / 2] <= Duration::from_millis(100),
            "{delays:?}"
        );
        assert!(
            delays.iter().all(|d| *d <= Duration::from_millis(400)),
            "{delays:?}"
        );
        if !brief {
            // Narrated: the sentence under the line came with it.
            assert!(
                lines
                    .iter()
                    .any(|(_, l)| l.starts_with("          ") && l.contains("101")),
                "{lines:#?}"
            );
        }
    }
}
