//! `wslens live` uses its capture privileges only to open the capture: run as an ordinary user
//! (uid 65534) from a copy of the binary given `cap_net_raw,cap_net_admin=eip`, it captures
//! loopback traffic, and while it runs no thread of it holds any capability.
//! Needs root (to set file capabilities and switch user); otherwise it says why and skips.

use crate::common::privileges::{NO_CAPS, is_root, setpriv_nobody, thread_status};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn skip(why: &str) {
    eprintln!("SKIPPED live_privileges: {why}");
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn private_copy_of_wslens() -> std::io::Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let dir = Path::new("/tmp").join(format!("wslens-privs-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))?;
    let bin = dir.join("wslens");
    std::fs::copy(env!("CARGO_BIN_EXE_wslens"), &bin)?;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755))?;
    Ok(bin)
}

#[test]
fn live_capture_as_an_ordinary_user_with_file_capabilities() {
    // Root sets file capabilities and switches to an unprivileged user.
    if !is_root("live_privileges") {
        return;
    }
    for tool in ["setcap", "setpriv"] {
        if !have(tool) {
            return skip(&format!("{tool} is not installed"));
        }
    }
    let bin = private_copy_of_wslens().expect("copy the binary");
    let ok = Command::new("setcap")
        .args(["cap_net_raw,cap_net_admin=eip"])
        .arg(&bin)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let _ = std::fs::remove_dir_all(bin.parent().unwrap());
        return skip("setcap failed (file system without extended attributes?)");
    }

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let out = bin.with_file_name("stdout");
    let err = bin.with_file_name("stderr");
    let mut child = setpriv_nobody()
        .arg(&bin)
        .args(["live", "-i", "lo", "--json", "--duration", "3", "-p"])
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("run setpriv");
    let pid = child.id();

    // Give it time to open the socket (and drop its privileges), then talk on the port.
    std::thread::sleep(Duration::from_millis(1200));
    let caps = thread_status(pid, &["Pid:", "CapPrm:", "CapEff:"]);
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (mut s, _) = listener.accept().unwrap();
    c.write_all(b"hello over loopback").unwrap();
    let mut buf = [0u8; 19];
    s.read_exact(&mut buf).unwrap();
    drop(c);
    drop(s);

    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("wslens live did not stop after --duration 3");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = std::fs::read_to_string(&out).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    let _ = std::fs::remove_dir_all(bin.parent().unwrap());

    assert!(status.success(), "exit {status:?}\n{stderr}");
    assert!(
        !caps.is_empty(),
        "the process was gone before it could be inspected"
    );
    for t in &caps {
        assert_eq!(
            t[1..],
            [NO_CAPS, NO_CAPS],
            "thread {} still holds capabilities: {caps:?}",
            t[0]
        );
    }
    assert!(
        stdout.contains("\"event\":\"conn_open\"") && stdout.contains(&format!(":{port}\"")),
        "the connection on port {port} was captured:\n{stdout}\n{stderr}"
    );
}
