//! The classroom instrument end to end in a real terminal (tmux): chapter keys and quiz mode on
//! the bundled classroom recording at 80x24, the screen in Chinese, and the teacher-paced demo
//! (`demo --step`) with real peers in a network namespace of the test's own, where a message
//! typed in class goes through every layer. Skipped (with a message) without root or tmux.

use crate::common;

use common::tmux::{Netns, Session, have_tmux, runnable};
use std::process::Command;

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_wslens")
}

/// `cmd` in a pane of `w`x`h` (80x24: the projector size the lesson plans are written for).
fn sized(name: &str, cmd: &str, w: u16, h: u16) -> Session {
    let s = Session::start(name, cmd);
    Command::new("tmux")
        .args([
            "resize-window",
            "-t",
            name,
            "-x",
            &w.to_string(),
            "-y",
            &h.to_string(),
        ])
        .status()
        .expect("tmux resizes");
    s
}

#[test]
fn chapters_and_quiz_at_80x24() {
    if !have_tmux() {
        return;
    }
    let name = format!("wslens-quiz-{}", std::process::id());
    let capture = concat!(env!("CARGO_MANIFEST_DIR"), "/captures/classroom.pcap");
    let s = sized(&name, &format!("{} open --quiz {capture}", exe()), 80, 24);
    s.wait_for(|sc| sc.contains("SYN seq=0"), "the first event");
    // The SYN-ACK's ack is asked, not shown; Enter reveals it.
    s.keys(&["n"]);
    let sc = s.wait_for(|sc| sc.contains("ack=?"), "the question");
    assert!(
        sc.contains("Quiz") && !sc.contains("SYN,ACK seq=0 ack=1"),
        "{sc}"
    );
    s.keys(&["Enter"]);
    s.wait_for(|sc| sc.contains("SYN,ACK seq=0 ack=1"), "the answer");
    // Chapter 3 stands on the upgrade request with its banner.
    s.keys(&["3"]);
    s.wait_for(
        |sc| sc.contains("Chapter 3") && sc.contains("step 2 of 4"),
        "the chapter banner",
    );
    // Chapter 2 on ws://: not encrypted, what wss:// would add.
    s.keys(&["2"]);
    s.wait_for(
        |sc| sc.contains("not encrypted"),
        "the TLS chapter's banner",
    );
}

#[test]
fn the_screen_in_chinese() {
    if !have_tmux() {
        return;
    }
    let name = format!("wslens-zh-{}", std::process::id());
    let s = sized(&name, &format!("{} --lang zh", exe()), 80, 24);
    // Wait for the capture to be loaded, not only for the first (empty) screen.
    let sc = s.wait_for(
        |sc| sc.contains("个数据包") && sc.contains("连接 (1)"),
        "the Chinese screen, loaded",
    );
    for zh in [
        "连接 (1)",
        "本地（客户端）",
        "消息",
        "时序图",
        "发生了什么",
        "退出",
    ] {
        assert!(sc.contains(zh), "no {zh:?} on:\n{sc}");
    }
    for en in [
        "pkts",
        "events",
        "local (client)",
        "msgs",
        "What happened",
        "quit",
    ] {
        assert!(!sc.contains(en), "English {en:?} on:\n{sc}");
    }
    s.keys(&["1"]);
    s.wait_for(|sc| sc.contains("第 1 章"), "the chapter banner in Chinese");
}

/// Lesson 1 and 2 of docs/classroom.md at 160x48 in Chinese: one arrow per packet (the GET
/// with its segment's numbers), `x` for the layers apart, the Accept computation, chapter 4's
/// first frame unmasked, and the quiz's `ack=?`, all in Chinese.
#[test]
fn a_lesson_at_160x48_in_chinese() {
    if !have_tmux() {
        return;
    }
    let name = format!("wslens-zh160-{}", std::process::id());
    let s = sized(&name, &format!("{} --lang zh", exe()), 160, 48);
    s.wait_for(
        |sc| sc.contains("个数据包") && sc.contains("SYN seq=0"),
        "the Chinese screen, loaded",
    );
    // The segment carrying the GET is one arrow: the GET with its seq/ack/len.
    s.keys(&["n", "n", "n"]);
    let sc = s.wait_for(
        |sc| sc.contains("第 2/4 步 GET /chat  Upgrade: websocket · seq=1 ack=1 len=198"),
        "the merged arrow",
    );
    assert!(!sc.contains("ACK,PSH seq=1 ack=1 len=198"), "{sc}");
    // x: the TCP segment and the HTTP head as two arrows, the title says so.
    s.keys(&["x"]);
    let sc = s.wait_for(|sc| sc.contains("分层显示"), "one arrow per layer");
    assert!(
        sc.contains("ACK,PSH seq=1 ack=1 len=198") && sc.contains("第 2/4 步 GET /chat"),
        "{sc}"
    );
    s.keys(&["x"]);
    s.wait_for(|sc| !sc.contains("分层显示"), "one arrow per packet again");
    // The handshake: the Accept computed step by step, in Chinese.
    s.keys(&["n", "n", "n"]);
    let sc = s.wait_for(
        |sc| sc.contains("Accept ✓") && sc.contains("✓ 一致"),
        "the Accept check",
    );
    assert!(sc.contains("258EAFA5-E914-47DA-95CA-C5AB0DC85B11"), "{sc}");
    // Chapter 4: the first frame, unmasked byte by byte, with the chapter banner.
    s.keys(&["4"]);
    let sc = s.wait_for(|sc| sc.contains("第 4 章"), "chapter 4");
    assert!(
        sc.contains("41 ^ 09 = 48  'H'") && sc.contains("去掉掩码"),
        "{sc}"
    );
    // Quiz mode on: the SYN-ACK's ack is asked in Chinese.
    s.keys(&["Q", "1", "n"]);
    let sc = s.wait_for(|sc| sc.contains("ack=?"), "the question");
    assert!(sc.contains("测验"), "{sc}");
    for en in ["pkts", "What happened", "Quiz", "(masked)", "final frame"] {
        assert!(!sc.contains(en), "English {en:?} on:\n{sc}");
    }
}

/// `demo --step` (with `extra` options) in a network namespace of its own, past its first
/// step: nothing happens before the teacher asks, then the TCP handshake and nothing more.
/// None (said why) where it cannot run.
fn paced_demo(tag: &str, extra: &str) -> Option<(Netns, Session)> {
    if !runnable() {
        return None;
    }
    let Some(ns) = Netns::new(tag) else {
        eprintln!("SKIPPED: cannot make a network namespace");
        return None;
    };
    let name = format!("wslens-{tag}-{}", std::process::id());
    let s = Session::start(
        &name,
        &format!("ip netns exec {} {} demo{extra} --step", ns.0, exe()),
    );
    let sc = s.wait_for(|sc| sc.contains("next step"), "the paced demo's footer");
    assert!(
        sc.contains("0 pkts"),
        "nothing happens before the teacher asks:\n{sc}"
    );
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(s.screen().contains("0 pkts"), "the demo did not wait");
    // Step 1: the TCP handshake, and nothing more.
    s.keys(&["n"]);
    let sc = s.wait_for(|sc| sc.contains("ACK ack=1"), "the three-way handshake");
    assert!(!sc.contains("client_hello"), "TLS before its step:\n{sc}");
    assert!(
        !sc.contains("GET /chat"),
        "the upgrade came before its step:\n{sc}"
    );
    Some((ns, s))
}

/// After the upgrade: the first message and its echo; a message typed in class goes through
/// every layer at once; the rest of the script, step by step, to the end of the TCP teardown.
fn type_a_message_and_finish(s: &Session) {
    s.keys(&["n"]);
    s.wait_for(|sc| sc.contains("echo: Hello"), "the first message's echo");
    s.keys(&["m"]);
    s.wait_for(|sc| sc.contains("message:"), "the message prompt");
    s.keys(&["hi class", "Enter"]);
    let sc = s.wait_for(
        |sc| sc.contains("echo: hi class"),
        "the typed message's echo",
    );
    assert!(sc.contains("Text \"hi class\" (masked)"), "{sc}");
    for _ in 0..5 {
        s.keys(&["n"]);
        std::thread::sleep(std::time::Duration::from_millis(400));
    }
    s.wait_for(|sc| sc.contains("demo ended"), "the end of the demo");
    s.keys(&["q"]);
}

#[test]
fn the_paced_demo_waits_for_the_teacher_and_sends_a_typed_message() {
    let Some((ns, s)) = paced_demo("step", "") else {
        return;
    };
    // Step 2: the upgrade; step 3: the first message and its echo.
    s.keys(&["n"]);
    s.wait_for(|sc| sc.contains("101 Switching Protocols"), "the upgrade");
    type_a_message_and_finish(&s);
    drop(ns);
}

/// `demo --tls --step`: the TLS handshake is a step of its own between TCP and the upgrade,
/// shown decrypted (the peers' own key log), and a typed message goes through TLS too.
#[test]
fn the_paced_wss_demo_has_a_tls_step_and_shows_it_decrypted() {
    let Some((ns, s)) = paced_demo("steptls", " --tls") else {
        return;
    };
    // Step 2: the TLS handshake, its encrypted part decrypted; no HTTP yet.
    s.keys(&["n"]);
    let sc = s.wait_for(
        |sc| sc.matches("TLS finished (decrypted)").count() == 2,
        "the TLS handshake, both Finished decrypted",
    );
    assert!(
        !sc.contains("GET /chat"),
        "the upgrade came before its step:\n{sc}"
    );
    assert!(
        sc.contains(" tls "),
        "the connection is listed as TLS:\n{sc}"
    );
    // Step 3: the upgrade, inside TLS; the connection becomes wss.
    s.keys(&["n"]);
    let sc = s.wait_for(|sc| sc.contains("101 Switching Protocols"), "the upgrade");
    assert!(sc.contains("wss"), "the connection is listed as wss:\n{sc}");
    type_a_message_and_finish(&s);
    drop(ns);
}
