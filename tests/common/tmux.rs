//! tmux sessions and network namespaces for the end-to-end UI tests: a real terminal, real
//! peers on a loopback of the test's own.

use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

pub fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().expect("tmux runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A network namespace with its loopback up, deleted on drop.
pub struct Netns(pub String);

impl Netns {
    pub fn new(tag: &str) -> Option<Netns> {
        let name = format!("wslens-t-{tag}-{}", std::process::id());
        let ok = Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return None;
        }
        let ns = Netns(name);
        let up = Command::new("ip")
            .args(["netns", "exec", &ns.0, "ip", "link", "set", "lo", "up"])
            .status()
            .is_ok_and(|s| s.success());
        up.then_some(ns)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

pub struct Session(pub String);

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .output();
    }
}

impl Session {
    /// `cmd` in a 100x30 pane; the pane stays after the command exits, to read its last lines.
    pub fn start(name: &str, cmd: &str) -> Session {
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                name,
                "-x",
                "100",
                "-y",
                "30",
                &format!("{cmd}; echo EXIT=$?; sleep 60"),
            ])
            .status()
            .expect("tmux starts");
        assert!(status.success());
        Session(name.to_string())
    }

    pub fn screen(&self) -> String {
        tmux(&["capture-pane", "-p", "-J", "-t", &self.0])
    }

    pub fn wait_for(&self, what: impl Fn(&str) -> bool, why: &str) -> String {
        let start = Instant::now();
        loop {
            let sc = self.screen();
            if what(&sc) {
                return sc;
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!("screen never showed {why}; it shows:\n{sc}");
            }
            sleep(Duration::from_millis(100));
        }
    }

    pub fn keys(&self, k: &[&str]) {
        for key in k {
            tmux(&["send-keys", "-t", &self.0, key]);
            sleep(Duration::from_millis(100));
        }
    }
}

pub fn runnable() -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED: needs root (network namespaces, capture)");
        return false;
    }
    have_tmux()
}

/// tmux is installed; otherwise the test says it is skipped.
pub fn have_tmux() -> bool {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIPPED: tmux is not installed");
        return false;
    }
    true
}
