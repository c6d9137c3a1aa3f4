//! End to end, live: `wslens live` and `wslens demo` in a tmux pane inside a network namespace
//! made for the test, with real WebSocket peers (the demo's tungstenite server and client) talking
//! on its loopback. The view follows new events while it is at the newest one (like `less +F`),
//! stepping back stops it, End resumes it; the header says what is captured and when it ended;
//! `q` leaves a useful closing line. Skipped (with a message) without root, tmux or `ip`.

use std::process::Command;

use crate::common;

use common::tmux::{Netns, Session, runnable};

/// The header's event count and the event the detail pane shows.
fn counts(sc: &str) -> (usize, usize) {
    let header = sc.lines().next().unwrap_or_default();
    let events = header
        .split("  ")
        .find_map(|p| {
            let w: Vec<&str> = p.split_whitespace().collect();
            let i = w.iter().position(|x| *x == "events")?;
            w.get(i - 1)?.parse().ok()
        })
        .unwrap_or(0);
    let shown = sc
        .lines()
        .find_map(|l| {
            let rest = l.split("Detail: event ").nth(1)?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .unwrap_or(0);
    (events, shown)
}

/// Run the demo's real peers (and its own capture, which does not matter here) in `ns`.
fn peers(ns: &Netns) {
    let out = Command::new("ip")
        .args(["netns", "exec", &ns.0, env!("CARGO_BIN_EXE_wslens")])
        .args(["demo", "--brief", "--pace", "0.05"])
        .output()
        .expect("demo peers run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn live_ui_follows_new_events_and_says_what_it_captures() {
    if !runnable() {
        return;
    }
    let Some(ns) = Netns::new("live") else {
        eprintln!("SKIPPED tui_live: cannot create a network namespace");
        return;
    };
    let rec = std::env::temp_dir().join(format!("wslens-16-live-{}.pcap", std::process::id()));
    let cmd = format!(
        "ip netns exec {} {} live -w {}",
        ns.0,
        env!("CARGO_BIN_EXE_wslens"),
        rec.display()
    );
    let s = Session::start(&format!("wslens-16-live-{}", std::process::id()), &cmd);
    let sc = s.wait_for(|sc| sc.contains("capturing on lo"), "the capture status");
    // The header names the file; a long path is cut at the pane's edge.
    assert!(
        sc.contains("capturing on lo") && sc.contains("recording to /tmp/"),
        "{sc}"
    );
    assert!(!sc.contains("loading"), "{sc}");

    // Real peers talk: the view follows to the newest event.
    peers(&ns);
    let sc = s.wait_for(
        |sc| {
            let (n, shown) = counts(sc);
            n > 20 && shown == n
        },
        "the newest event selected",
    );
    assert!(sc.contains("following"), "{sc}");
    let (n1, _) = counts(&sc);

    // Stepping back stops following; more traffic does not move the view.
    s.keys(&["p"]);
    let sc = s.wait_for(|sc| sc.contains("paused (End follows)"), "paused");
    let (_, held) = counts(&sc);
    assert_eq!(held, n1 - 1, "{sc}");
    peers(&ns);
    let sc = s.wait_for(|sc| counts(sc).0 > n1 + 20, "more events");
    assert_eq!(counts(&sc).1, held, "the place is kept:\n{sc}");

    // End resumes following.
    s.keys(&["End"]);
    let sc = s.wait_for(
        |sc| {
            let (n, shown) = counts(sc);
            shown == n && sc.contains("following")
        },
        "following again",
    );
    let (n2, _) = counts(&sc);
    peers(&ns);
    s.wait_for(
        |sc| {
            let (n, shown) = counts(sc);
            n > n2 + 20 && shown == n
        },
        "following the third conversation",
    );

    // q leaves a closing line that says what was captured and where it was recorded.
    s.keys(&["q"]);
    let sc = s.wait_for(|sc| sc.contains("EXIT="), "the program's exit");
    assert!(sc.contains("EXIT=0"), "{sc}");
    let last = sc
        .lines()
        .rfind(|l| l.starts_with("wslens: "))
        .unwrap_or_default()
        .to_string();
    assert!(last.contains("live capture on lo"), "{sc}");
    assert!(last.contains("packets captured"), "{sc}");
    assert!(
        last.contains(&format!("recorded to {}", rec.display())),
        "{sc}"
    );
    assert!(!sc.contains("Ctrl-C to stop"), "{sc}");
    let _ = std::fs::remove_file(&rec);
}

#[test]
fn demo_ui_follows_the_conversation_and_says_when_it_ended() {
    if !runnable() {
        return;
    }
    let Some(ns) = Netns::new("demo") else {
        eprintln!("SKIPPED tui_live: cannot create a network namespace");
        return;
    };
    let cmd = format!(
        "ip netns exec {} {} demo --pace 0.05",
        ns.0,
        env!("CARGO_BIN_EXE_wslens")
    );
    let s = Session::start(&format!("wslens-16-demo-{}", std::process::id()), &cmd);
    let sc = s.wait_for(|sc| sc.contains("demo ended"), "the end of the demo");
    let (n, shown) = counts(&sc);
    assert!(n > 20, "{sc}");
    // The last event is the capture's summary note (its detail has no event number) or the
    // connection's close.
    assert!(
        shown == n || sc.contains("Note (info, capture-summary)"),
        "the view followed to the last event:\n{sc}"
    );
    assert!(!sc.contains("loading"), "{sc}");
    assert!(!sc.contains("demo running"), "{sc}");
    s.keys(&["q"]);
    s.wait_for(|sc| sc.contains("EXIT=0"), "a clean exit");
}
