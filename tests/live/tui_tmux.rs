//! End to end: run the real binary in a tmux pane, press keys as a teacher would, read the
//! screen. Skipped (with a message) where tmux is not installed.

use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().expect("tmux runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Session(String);

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .output();
    }
}

fn screen(s: &Session) -> String {
    tmux(&["capture-pane", "-p", "-t", &s.0])
}

/// Wait until the screen shows `what` (the UI draws asynchronously).
fn wait_for(s: &Session, what: &str) -> String {
    let start = Instant::now();
    loop {
        let sc = screen(s);
        if sc.contains(what) {
            return sc;
        }
        if start.elapsed() > Duration::from_secs(10) {
            panic!("screen never showed {what:?}; it shows:\n{sc}");
        }
        sleep(Duration::from_millis(50));
    }
}

fn keys(s: &Session, k: &[&str]) {
    for key in k {
        tmux(&["send-keys", "-t", &s.0, key]);
        sleep(Duration::from_millis(60));
    }
}

fn have_tmux() -> bool {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIPPED tui_tmux: tmux is not installed");
        return false;
    }
    true
}

/// Display column where `c` first appears in a screen line.
fn column_of(line: &str, c: char) -> Option<usize> {
    let mut col = 0;
    for ch in line.chars() {
        if ch == c {
            return Some(col);
        }
        col += unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
    }
    None
}

/// The character that starts at display column `col` of a screen line.
fn char_at_column(line: &str, col: usize) -> Option<char> {
    let mut at = 0;
    for ch in line.chars() {
        if at == col {
            return Some(ch);
        }
        at += unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
        if at > col {
            return None;
        }
    }
    None
}

/// The narration pane: the lines below its title, up to the footer.
fn narration_pane(sc: &str, title: &str) -> String {
    let lines: Vec<&str> = sc.lines().collect();
    let Some(start) = lines.iter().position(|l| l.contains(title)) else {
        return String::new();
    };
    lines[start + 1..lines.len().saturating_sub(1)].join("\n")
}

#[test]
fn chinese_narration_explains_the_three_way_handshake() {
    if !have_tmux() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_wslens");
    let name = format!("wslens-e2e-zh-{}", std::process::id());
    let s = Session(name.clone());
    let cmd = format!("{bin} --lang zh");
    let status = Command::new("tmux")
        .args([
            "new-session",
            "-d",
            "-s",
            &name,
            "-x",
            "80",
            "-y",
            "24",
            "-c",
            "/",
        ])
        .arg(&cmd)
        .status()
        .expect("tmux starts");
    assert!(status.success());
    // Each of the three handshake segments is told as 三次握手 step 1, 2, 3 in the pane.
    let sc = wait_for(&s, "三次握手第 1 次");
    assert!(
        narration_pane(&sc, "发生了什么").contains("三次握手第 1 次"),
        "{sc}"
    );
    keys(&s, &["n"]);
    let sc = wait_for(&s, "三次握手第 2 次");
    assert!(sc.contains("SYN,ACK seq=0 ack=1"), "{sc}");
    keys(&s, &["n"]);
    let sc = wait_for(&s, "三次握手第 3 次");
    let pane = narration_pane(&sc, "发生了什么");
    assert!(pane.contains("三次握手"), "{sc}");
    assert!(pane.contains("ESTABLISHED"), "{sc}");
    // No line is wider than the terminal (wide characters count two columns).
    for l in sc.lines() {
        let w = unicode_width::UnicodeWidthStr::width(l);
        assert!(w <= 80, "line of {w} columns: {l}");
    }
    // The comparison overlay keeps its left border even over Chinese narration.
    keys(&s, &["c"]);
    let sc = wait_for(&s, "轮询与 WebSocket 对比");
    let lines: Vec<&str> = sc.lines().collect();
    let top = lines
        .iter()
        .position(|l| l.contains('┌'))
        .expect("overlay top");
    let col = column_of(lines[top], '┌').unwrap();
    let bottom = lines
        .iter()
        .position(|l| l.contains('└'))
        .expect("overlay bottom");
    for l in &lines[top + 1..bottom] {
        assert_eq!(
            char_at_column(l, col),
            Some('│'),
            "border lost in {l:?}\n{sc}"
        );
    }
    assert_eq!(char_at_column(lines[bottom], col), Some('└'), "{sc}");
    keys(&s, &["q"]);
}

#[test]
fn teacher_steps_through_the_classroom_capture() {
    if !have_tmux() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_wslens");
    let name = format!("wslens-e2e-{}", std::process::id());
    let s = Session(name.clone());
    // Run from / to show the capture is built in, not read from the working directory.
    let status = Command::new("tmux")
        .args([
            "new-session",
            "-d",
            "-s",
            &name,
            "-x",
            "120",
            "-y",
            "40",
            "-c",
            "/",
            bin,
        ])
        .status()
        .expect("tmux starts");
    assert!(status.success());

    // Playback starts at the first event: only the SYN has happened.
    let sc = wait_for(&s, "SYN seq=0");
    assert!(sc.contains("SYN_SENT"), "{sc}");
    assert!(
        !sc.contains("SYN,ACK"),
        "the future is hidden in playback:\n{sc}"
    );

    keys(&s, &["n"]);
    let sc = wait_for(&s, "SYN,ACK seq=0 ack=1");
    assert!(sc.contains("SYN_RECEIVED"), "{sc}");
    keys(&s, &["n"]);
    wait_for(&s, "ACK ack=1 ");
    // The client's request: one arrow for the packet, the GET with its segment's numbers.
    keys(&s, &["n"]);
    let sc = wait_for(&s, "len=");
    if sc.contains("GET /chat") {
        assert!(sc.contains("step 2/4 GET /chat"), "{sc}");
        // (At 120 columns the ladder is narrow: the segment's ack gives way first.)
        assert!(sc.contains("GET /chat · seq=1 "), "{sc}");
        assert!(sc.contains("len=198"), "{sc}");
        assert!(!sc.contains("ACK,PSH seq=1 ack=1 len=198"), "{sc}");
        keys(&s, &["n", "n"]);
        let sc = wait_for(&s, "101 Switching Protocols");
        assert!(sc.contains("101"), "{sc}");
        // Frames follow the upgrade.
        keys(&s, &["n", "n", "n", "n", "n"]);
        wait_for(&s, "Text \"Hello\" (masked)");
    } else {
        eprintln!(
            "note: no HTTP events yet (HTTP/WebSocket decoders not merged); TCP steps checked"
        );
    }

    // Help overlay opens and closes; End shows everything including the teardown.
    keys(&s, &["?"]);
    wait_for(&s, "Keys (any key closes)");
    keys(&s, &["x", "End"]);
    let sc = wait_for(&s, "connection closed (fin)");
    assert!(!sc.contains("Keys (any key closes)"), "{sc}");

    // q quits and gives the terminal back.
    keys(&s, &["q"]);
    let start = Instant::now();
    while tmux(&["list-panes", "-t", &name, "-F", "#{pane_current_command}"]).contains("wslens") {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "wslens did not quit"
        );
        sleep(Duration::from_millis(50));
    }
}
