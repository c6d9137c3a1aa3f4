//! `wslens demo` run as root keeps root only to open its capture: then every thread of it runs
//! as `nobody` (or the sudo user) with no capability, an empty bounding set and no_new_privs;
//! its server serves only its own client (a stranger's endless line is not read) and the demo
//! still completes. Needs root and loopback capture; otherwise it says why and skips.

use crate::common::privileges::{NO_CAPS, is_root, thread_status};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

#[test]
fn demo_as_root_drops_to_nobody_and_serves_only_its_client() {
    drops_to_nobody(&[], "pcap");
}

/// The same with wss://: the TLS peers (rustls), their key log and the pcapng with the keys
/// embedded are nobody's too.
#[test]
fn demo_tls_as_root_drops_to_nobody_and_serves_only_its_client() {
    drops_to_nobody(&["--tls"], "pcapng");
}

fn drops_to_nobody(extra: &[&str], ext: &str) {
    if !is_root("demo_privileges") {
        return;
    }
    let tls = !extra.is_empty();
    let rec = std::env::temp_dir().join(format!(
        "wslens-demo-privs-{}-{}.{ext}",
        std::process::id(),
        extra.len()
    ));
    let keys = rec.with_extension("keys");
    let _ = std::fs::remove_file(&rec);
    let _ = std::fs::remove_file(&keys);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wslens"));
    cmd.args(["demo", "--json", "--pace", "0.4"]).args(extra);
    if tls {
        cmd.arg("--keylog").arg(&keys);
    }
    let mut child = cmd
        .arg("--record")
        .arg(&rec)
        .env_remove("SUDO_UID")
        .env_remove("SUDO_GID")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let Some(port) = line
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse::<u16>().ok())
    else {
        let _ = child.kill();
        let _ = child.wait();
        eprintln!("SKIPPED demo_privileges: live capture unavailable: {line}");
        return;
    };
    // A stranger on the demo's port, sending a line without end.
    let stranger = std::thread::spawn(move || {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
            return;
        };
        let chunk = vec![b'x'; 1 << 16];
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(3) {
            if s.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    let seen = thread_status(
        child.id(),
        &[
            "Uid:",
            "CapPrm:",
            "CapEff:",
            "CapBnd:",
            "CapAmb:",
            "NoNewPrivs:",
        ],
    );
    assert!(seen.len() >= 2, "{seen:?}");
    for t in &seen {
        assert_eq!(t[0], "65534 65534 65534 65534", "uid of a thread: {seen:?}");
        for cap in &t[1..5] {
            assert_eq!(cap, NO_CAPS, "capabilities of a thread: {seen:?}");
        }
        assert_eq!(t[5], "1", "no_new_privs: {seen:?}");
    }
    let out = child.wait_with_output().unwrap();
    stranger.join().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    let json = String::from_utf8_lossy(&out.stdout);
    assert!(
        json.contains(r#""code":1000"#) || json.contains("class is over"),
        "the demo ran to its close"
    );
    if tls {
        assert!(
            json.contains(r#""decrypted":true"#),
            "decrypted with the peers' keys"
        );
    }
    use std::os::unix::fs::MetadataExt;
    let files = if tls { vec![&rec, &keys] } else { vec![&rec] };
    for f in files {
        let m = std::fs::metadata(f).unwrap();
        assert_eq!(m.mode() & 0o777, 0o600, "{}", f.display());
        assert_eq!(
            m.uid(),
            65534,
            "{} belongs to the user dropped to",
            f.display()
        );
        std::fs::remove_file(f).unwrap();
    }
}

/// `wslens ARGS LINK`, as root, where LINK (named `file`) is a symbolic link planted where the
/// file is to be written: it must fail with `err` in its message and leave the link's target
/// as it was. None (said why) where not root.
fn refuses_a_symlink(test: &str, file: &str, args: &[&str], err: &str) -> Option<Output> {
    if !is_root(test) {
        return None;
    }
    let dir = std::env::temp_dir().join(format!("wslens-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("precious");
    std::fs::write(&target, b"keep me").unwrap();
    let link = dir.join(file);
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wslens"))
        .args(args)
        .arg(&link)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(err), "{stderr}");
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    std::fs::remove_dir_all(&dir).unwrap();
    Some(out)
}

/// `--record` does not follow a symbolic link planted where the file is to be written.
#[test]
fn record_refuses_a_symlink() {
    let args = [
        "live",
        "--json",
        "-i",
        "lo",
        "--duration",
        "0.2",
        "-p",
        "24001",
        "-w",
    ];
    refuses_a_symlink("record-link", "out.pcap", &args, "cannot create");
}

/// `demo --tls --keylog` does not follow a symbolic link planted where the key log is to be
/// written either, and stops before any traffic.
#[test]
fn keylog_refuses_a_symlink() {
    let args = ["demo", "--tls", "--json", "--pace", "0", "--keylog"];
    if let Some(out) = refuses_a_symlink(
        "keylog-link",
        "demo.keys",
        &args,
        "cannot create the key log",
    ) {
        assert!(out.stdout.is_empty(), "no demo ran");
    }
}
