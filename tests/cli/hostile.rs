//! Hostile and broken input, end to end: the built `wslens decode` is run on every file the
//! generator in `tests/cli/hostile/gen.rs` makes (corrupt captures, hostile packets, limit bombs,
//! terminal attacks), in both output modes, each with a time limit.

#[path = "hostile/gen.rs"]
mod generate;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wslens::text::is_unsafe_char;

const TIME_LIMIT: Duration = Duration::from_secs(20);

struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
    took: Duration,
}

fn out_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile")
}

/// Run `wslens decode` with a time limit; output goes to files so no pipe can fill and stall.
fn wslens(args: &[&str], file: &Path, tag: &str) -> Run {
    let dir = out_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    let so = dir.join(format!("{name}.{tag}.stdout"));
    let se = dir.join(format!("{name}.{tag}.stderr"));
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wslens"))
        .arg("decode")
        .args(args)
        .arg(file)
        .stdin(Stdio::null())
        .stdout(File::create(&so).unwrap())
        .stderr(File::create(&se).unwrap())
        .spawn()
        .expect("run wslens");
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name} ({tag}): wslens did not finish within {TIME_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        code: status.code(),
        stdout: std::fs::read(&so).unwrap(),
        stderr: String::from_utf8_lossy(&std::fs::read(&se).unwrap()).into_owned(),
        took: start.elapsed(),
    }
}

/// No byte that could act on a terminal: output is UTF-8 with no control character but the
/// line feed, no C1 control (U+009B is an 8-bit CSI), no bidirectional override.
fn assert_terminal_safe(what: &str, out: &[u8]) {
    let s = std::str::from_utf8(out).unwrap_or_else(|e| panic!("{what}: output not UTF-8: {e}"));
    if let Some((i, c)) = s
        .char_indices()
        .find(|&(_, c)| c != '\n' && is_unsafe_char(c))
    {
        let from = (0..=i.saturating_sub(60))
            .rev()
            .find(|&j| s.is_char_boundary(j))
            .unwrap_or(0);
        panic!("{what}: unsafe {c:?} at byte {i}: {:?}", &s[from..i]);
    }
    assert!(!out.contains(&0x1b) && !out.windows(2).any(|w| w == [0xc2, 0x9b]));
}

fn note_codes(ndjson: &[u8]) -> Vec<String> {
    let s = String::from_utf8_lossy(ndjson);
    s.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("each line is JSON"))
        .filter(|v| v["event"] == "note")
        .filter_map(|v| v["code"].as_str().map(str::to_string))
        .collect()
}

fn peak_child_rss_kib() -> i64 {
    // SAFETY: getrusage only writes the struct we hand it.
    unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru);
        ru.ru_maxrss
    }
}

#[test]
fn every_hostile_file_is_survived_in_both_outputs() {
    let cases = generate::write_all(&out_dir().join("files"));
    let mut failures = Vec::new();
    for (path, case) in &cases {
        let mut args: Vec<&str> = case.args.clone();
        args.push("--json");
        let json = wslens(&args, path, "json");
        let text = wslens(&case.args, path, "text");
        for (mode, r) in [("json", &json), ("text", &text)] {
            let what = format!("{} ({mode})", case.name);
            assert_ne!(r.code, Some(101), "{what}: panicked:\n{}", r.stderr);
            assert!(
                r.code.is_some(),
                "{what}: killed by a signal:\n{}",
                r.stderr
            );
            if case.readable {
                assert_eq!(r.code, Some(0), "{what}: exit status\n{}", r.stderr);
            } else {
                assert_ne!(r.code, Some(0), "{what}: nothing readable must fail");
                assert!(!r.stderr.is_empty(), "{what}: silent failure");
            }
            for s in &case.stderr_has {
                assert!(
                    r.stderr.contains(s),
                    "{what}: stderr lacks {s:?}:\n{}",
                    r.stderr
                );
            }
            assert_terminal_safe(&what, &r.stdout);
            assert_terminal_safe(&format!("{what} stderr"), r.stderr.as_bytes());
            eprintln!("{what}: {:?}, exit {:?}", r.took, r.code);
        }
        let codes = note_codes(&json.stdout);
        for n in &case.notes {
            if !codes.iter().any(|c| c == n) {
                failures.push(format!("{}: note {n} missing (got {codes:?})", case.name));
            }
        }
        for n in &case.absent {
            if codes.iter().any(|c| c == n) {
                failures.push(format!("{}: note {n} must not appear", case.name));
            }
        }
    }
    let rss = peak_child_rss_kib();
    eprintln!("peak RSS of any wslens run: {rss} KiB");
    assert!(rss < 256 << 10, "a hostile file made wslens use {rss} KiB");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn damage_keeps_what_came_before() {
    let dir = out_dir().join("damage");
    let cases = generate::write_all(&dir);
    for name in [
        "truncated-mid-packet.pcap",
        "caplen-4g.pcap",
        "truncated-mid-record-header.pcap",
    ] {
        let (path, _) = cases.iter().find(|(_, c)| c.name == name).unwrap();
        let r = wslens(&["--json"], path, "damage");
        let tcp = String::from_utf8_lossy(&r.stdout)
            .lines()
            .filter(|l| l.contains("\"event\":\"tcp\""))
            .count();
        assert_eq!(
            tcp, 3,
            "{name}: the three packets before the damage are decoded"
        );
        assert_eq!(r.code, Some(0));
    }
}

#[test]
fn a_hostile_file_name_is_escaped_too() {
    let dir = out_dir().join("names");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("\u{1b}]0;pwned\u{7}\u{202e}.pcap");
    std::fs::write(&path, b"not a capture at all, just words").unwrap();
    let r = wslens(&[], &path, "name");
    assert_ne!(r.code, Some(0));
    assert!(r.stderr.contains("pwned"), "{}", r.stderr);
    assert_terminal_safe("stderr", r.stderr.as_bytes());
}

/// The attack strings are shown (escaped), not dropped: the safety check above cannot pass by
/// printing nothing.
#[test]
fn terminal_attacks_are_shown_escaped_in_every_layer() {
    let dir = out_dir().join("attack");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("terminal-attack.pcap");
    std::fs::write(&path, generate::terminal_attack()).unwrap();
    let json = wslens(&["--json"], &path, "attack");
    assert_eq!(json.code, Some(0), "{}", json.stderr);
    assert_terminal_safe("json", &json.stdout);
    let mut kinds: Vec<String> = String::from_utf8_lossy(&json.stdout)
        .lines()
        .filter(|l| l.contains("pwned"))
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["event"].as_str().unwrap_or("?").to_string()
        })
        .collect();
    kinds.sort();
    kinds.dedup();
    for k in ["http", "ws_message"] {
        assert!(
            kinds.iter().any(|x| x == k),
            "no {k} event shows the attack: {kinds:?}"
        );
    }
    let s = String::from_utf8_lossy(&json.stdout);
    assert!(s.contains("\\u001b[2J"), "ESC shown as a JSON escape");
    assert!(
        s.contains("\\u202e") || s.contains("\\u202E"),
        "RLO shown as a JSON escape"
    );

    let text = wslens(&[], &path, "attack");
    assert_eq!(text.code, Some(0), "{}", text.stderr);
    assert_terminal_safe("text", &text.stdout);
    let t = String::from_utf8_lossy(&text.stdout);
    assert!(
        t.contains("pwned\\x1b[2J"),
        "ESC shown as \\x1b in text:\n{t}"
    );
    assert!(t.contains("\\u{9b}"), "8-bit CSI shown escaped in text");
    assert!(t.contains("\\u{202e}"), "RLO shown escaped in text");
}

fn events(ndjson: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(ndjson)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

/// One crafted file of round two, decoded to events.
fn round_two(name: &str) -> Vec<serde_json::Value> {
    let dir = out_dir().join("round-two");
    std::fs::create_dir_all(&dir).unwrap();
    let case = generate::round_two()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap();
    let path = dir.join(name);
    std::fs::write(&path, &case.bytes).unwrap();
    let mut args = case.args.clone();
    args.push("--json");
    let r = wslens(&args, &path, "r2");
    assert_eq!(r.code, Some(0), "{name}: {}", r.stderr);
    events(&r.stdout)
}

fn of<'a>(ev: &'a [serde_json::Value], kind: &str) -> Vec<&'a serde_json::Value> {
    ev.iter().filter(|e| e["event"] == kind).collect()
}

/// What each crafted capture of round two must decode to, beyond its notes.
#[test]
fn crafted_captures_decode_to_the_truth() {
    // Masked text past the preview: decoded whole (length, valid UTF-8), no debug panic.
    let ev = round_two("masked-long-text.pcap");
    let m = of(&ev, "ws_message");
    assert_eq!(m.len(), 2, "{m:?}");
    let lens: Vec<u64> = m.iter().map(|m| m["len"].as_u64().unwrap()).collect();
    let want = [
        generate::long_text(100_000).len() as u64,
        generate::long_text(70_000).len() as u64,
    ];
    assert_eq!(lens, want);
    assert!(
        m.iter()
            .all(|m| m["text_truncated"] == true && m["utf8_error"].is_null())
    );

    // Port reuse on an open 4-tuple: two connections, two upgrades, both messages.
    let ev = round_two("port-reuse-open.pcap");
    assert_eq!(of(&ev, "conn_open").len(), 2);
    let hs = of(&ev, "ws_handshake");
    assert_eq!(hs.len(), 2);
    assert!(hs.iter().all(|h| h["upgraded"] == true));
    let texts: Vec<&str> = of(&ev, "ws_message")
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(texts, ["first", "second"]);
    assert!(
        !of(&ev, "note")
            .iter()
            .any(|n| n["code"] == "tcp-gap" || n["code"] == "ws-gap"),
        "no fake gap"
    );

    // Pipelined requests, then the upgrade and an eager frame: the frame is WebSocket.
    let ev = round_two("pipelined-then-upgrade.pcap");
    assert_eq!(of(&ev, "http").len(), 6, "three requests, three responses");
    let texts: Vec<&str> = of(&ev, "ws_message")
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(texts, ["eager", "welcome"]);

    // Non-minimal lengths are still decoded as what they say.
    let ev = round_two("ws-length-not-minimal.pcap");
    let lens: Vec<u64> = of(&ev, "ws_message")
        .iter()
        .map(|m| m["len"].as_u64().unwrap())
        .collect();
    assert_eq!(lens, [5, 300]);

    // A reference beyond the agreed window: both messages still inflated, the second flagged.
    let ev = round_two("deflate-beyond-window.pcap");
    let (near, far) = generate::window_messages();
    let msgs = of(&ev, "ws_message");
    let texts: Vec<&str> = msgs.iter().filter_map(|m| m["text"].as_str()).collect();
    assert_eq!(texts, [near.as_str(), far.as_str()]);
    let notes: Vec<_> = of(&ev, "note")
        .into_iter()
        .filter(|n| n["code"] == "ws-deflate-window")
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    let text = notes[0]["text"].as_str().unwrap();
    assert!(
        text.contains("1000 bytes")
            && text.contains("server_max_window_bits=9")
            && text.contains("§7.1.2.1"),
        "{text}"
    );
    assert_eq!(
        notes[0]["pkt"], msgs[1]["pkt"],
        "on the second message's packet"
    );

    // pcapng with a power-of-two resolution: the two packets are 0.25 s apart, at the time set.
    let ev = round_two("tsresol-power-of-two.pcapng");
    let ts: Vec<f64> = of(&ev, "tcp")
        .iter()
        .map(|t| t["ts"].as_f64().unwrap())
        .collect();
    assert_eq!(ts.len(), 2);
    assert!((ts[1] - ts[0] - 0.25).abs() < 1e-6, "{ts:?}");
}

fn run_wslens(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wslens"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run wslens")
}

/// Invisible characters are shown escaped in text and diagrams (kept as they are in NDJSON),
/// bytes that are not UTF-8 are shown as `\xNN`, and the SVG stays well-formed XML.
#[test]
fn invisible_characters_and_invalid_bytes_are_shown() {
    let dir = out_dir().join("invisible");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("invisible-and-invalid.pcap");
    std::fs::write(&path, generate::invisible_and_invalid()).unwrap();
    let f = path.to_str().unwrap();

    let text = run_wslens(&["decode", f]);
    assert!(text.status.success());
    let t = String::from_utf8(text.stdout).unwrap();
    for want in [
        "/pay\\u{200d}pal",
        "pay\\u{200d}pal \\u{200b}\\u{2060}\\u{feff}\\u{e0041}\\u{3164}\\u{180e} \\u{fffe}\\u{ffff}",
        "bad \\xff\\xfe bytes",
        "bye\\u{fffe}\\u{200d}",
    ] {
        assert!(t.contains(want), "text lacks {want:?}:\n{t}");
    }
    assert!(!t.contains('\u{200d}') && !t.contains('\u{fffd}'), "{t}");

    let json = run_wslens(&["decode", "--json", f]);
    let j = String::from_utf8(json.stdout).unwrap();
    assert!(j.contains("pay\u{200d}pal"), "NDJSON keeps the real string");
    assert!(j.contains(r#"bad \\xff\\xfe bytes"#), "{j}");
    assert!(
        j.contains(r#"ab\\xff\\xfecd"#),
        "header bytes as \\xNN: {j}"
    );

    let svg_path = dir.join("out.svg");
    let svg = run_wslens(&[
        "diagram",
        f,
        "--format",
        "svg",
        "-o",
        svg_path.to_str().unwrap(),
    ]);
    assert!(
        svg.status.success(),
        "{}",
        String::from_utf8_lossy(&svg.stderr)
    );
    let v = std::fs::read_to_string(&svg_path).unwrap();
    let bad = v.chars().find(|&c| {
        !matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
            && (c as u32) < 0x10000
    });
    assert_eq!(bad, None, "a character XML forbids in the SVG");
    assert!(
        v.contains("pay\\u{200d}pal"),
        "the diagram shows the joiner"
    );

    let txt = run_wslens(&["diagram", f]);
    let d = String::from_utf8(txt.stdout).unwrap();
    assert!(!d.contains('\u{200d}') && !d.contains('\u{fffe}'), "{d}");
}

/// Output that cannot be written is an error with a message; a closed pipe ends decoding at once.
#[test]
fn write_errors_are_reported_and_a_closed_pipe_stops_decoding() {
    let cases = generate::write_all(&out_dir().join("write"));
    let (big, _) = cases
        .iter()
        .find(|(_, c)| c.name == "deflate-bomb.pcap")
        .unwrap();
    let f = big.to_str().unwrap();
    for args in [
        vec!["decode", f],
        vec!["decode", "--json", f],
        vec!["stats", f],
        vec!["diagram", f],
    ] {
        let full = File::options().write(true).open("/dev/full").unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_wslens"))
            .args(&args)
            .stdout(full)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} to /dev/full succeeded");
        assert!(err.contains("No space left"), "{args:?}: {err}");
    }

    // A reader that stops after a few bytes: wslens ends at once (SIGPIPE), whatever is left.
    let chatty = out_dir().join("write").join("chatty.pcap");
    std::fs::write(&chatty, generate::chatty(100_000)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wslens"))
        .args(["decode", "--json", chatty.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 10];
    std::io::Read::read_exact(&mut out, &mut first).unwrap();
    drop(out);
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < TIME_LIMIT,
            "wslens kept decoding into a closed pipe"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGPIPE), "{status:?}");
}

/// Limits given on the command line are checked, with a message naming the range.
#[test]
fn absurd_limits_are_refused_with_a_clear_message() {
    for args in [
        vec![
            "decode",
            "--max-http-headers",
            "18446744073709551615",
            "x.pcap",
        ],
        vec!["decode", "--max-http-headers", "10000000", "x.pcap"],
        vec![
            "decode",
            "--stream-buffer",
            "99999999999999999999999",
            "x.pcap",
        ],
        vec!["decode", "--max-connections", "0", "x.pcap"],
        vec!["diagram", "--width", "18446744073709551615", "x.pcap"],
    ] {
        let out = run_wslens(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("must be between"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // A large limit that is allowed allocates by what arrives, not by the limit.
    let cases = generate::write_all(&out_dir().join("limits"));
    let (p, _) = cases
        .iter()
        .find(|(_, c)| c.name == "ten-thousand-headers.pcap")
        .unwrap();
    let r = wslens(
        &[
            "--max-http-headers",
            "1000000",
            "--max-http-head",
            "1000000",
        ],
        p,
        "many",
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

/// A capture file cut short by another program while `decode` reads it (mapped): what was
/// decoded is written out whole (the output ends with a complete line), then the message, and
/// exit status 1 — not a crash and not a cut line.
#[test]
fn a_file_shrinking_while_decoded_keeps_what_was_decoded() {
    let dir = out_dir().join("shrink");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("shrinking.pcap");
    let bytes = generate::chatty(300_000);
    std::fs::write(&path, &bytes).unwrap();
    let out_path = dir.join("shrinking.out");
    let child = Command::new(env!("CARGO_BIN_EXE_wslens"))
        .args(["decode", "--brief"])
        .arg(&path)
        .stdout(File::create(&out_path).unwrap())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(bytes.len() as u64 / 3)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let written = std::fs::read(&out_path).unwrap();
    if out.status.code() == Some(0) {
        eprintln!("SKIPPED: the decode finished before the file was cut ({err})");
        return;
    }
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cut short while it was being read, after packet"),
        "{err}"
    );
    assert!(
        !written.is_empty() && written.ends_with(b"\n"),
        "decoded events flushed whole"
    );
}
