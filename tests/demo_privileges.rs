//! `wslens demo` run as root keeps root only to open its capture: then every thread of it runs
//! as `nobody` (or the sudo user) with no capability, an empty bounding set and no_new_privs;
//! its server serves only its own client (a stranger's endless line is not read) and the demo
//! still completes. Needs root and loopback capture; otherwise it says why and skips.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Fields of every thread's status: (Uid line, CapPrm, CapEff, CapBnd, CapAmb, NoNewPrivs).
fn threads(pid: u32) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for t in tasks.flatten() {
        let Ok(st) = std::fs::read_to_string(t.path().join("status")) else {
            continue;
        };
        let f = |k: &str| {
            st.lines()
                .find_map(|l| l.strip_prefix(k))
                .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
                .unwrap_or_default()
        };
        out.push(vec![
            f("Uid:"),
            f("CapPrm:"),
            f("CapEff:"),
            f("CapBnd:"),
            f("CapAmb:"),
            f("NoNewPrivs:"),
        ]);
    }
    out
}

#[test]
fn demo_as_root_drops_to_nobody_and_serves_only_its_client() {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED demo_privileges: not root");
        return;
    }
    let rec = std::env::temp_dir().join(format!("wslens-demo-privs-{}.pcap", std::process::id()));
    let _ = std::fs::remove_file(&rec);
    let mut child = Command::new(env!("CARGO_BIN_EXE_wslens"))
        .args(["demo", "--json", "--pace", "0.4", "--record"])
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
    let seen = threads(child.id());
    assert!(seen.len() >= 2, "{seen:?}");
    for t in &seen {
        assert_eq!(t[0], "65534 65534 65534 65534", "uid of a thread: {seen:?}");
        for cap in &t[1..5] {
            assert_eq!(
                cap, "0000000000000000",
                "capabilities of a thread: {seen:?}"
            );
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
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(&rec).unwrap();
    assert_eq!(m.mode() & 0o777, 0o600);
    assert_eq!(
        m.uid(),
        65534,
        "the recording belongs to the user dropped to"
    );
    std::fs::remove_file(&rec).unwrap();
}

/// `--record` does not follow a symbolic link planted where the file is to be written.
#[test]
fn record_refuses_a_symlink() {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED record_refuses_a_symlink: not root");
        return;
    }
    let dir = std::env::temp_dir().join(format!("wslens-link-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("precious");
    std::fs::write(&target, b"keep me").unwrap();
    let link = dir.join("out.pcap");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wslens"))
        .args([
            "live",
            "--json",
            "-i",
            "lo",
            "--duration",
            "0.2",
            "-p",
            "24001",
            "-w",
        ])
        .arg(&link)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot create"), "{err}");
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    std::fs::remove_dir_all(&dir).unwrap();
}
