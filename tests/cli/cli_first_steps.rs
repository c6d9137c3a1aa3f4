//! A new user's first steps lead somewhere: `wslens FILE` opens the file, `--lang` before a
//! subcommand applies to it, `open` fails on a bad file exactly like `decode` (before any screen),
//! UI commands without a terminal say so, and `live --text` says its closing note once.

use crate::common;

use common::capture;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn wslens(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wslens"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run wslens")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn bad_files() -> (PathBuf, Vec<PathBuf>) {
    let dir = std::env::temp_dir().join(format!("wslens-first-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let real = std::fs::read(capture("classroom.pcap")).unwrap();
    let mut files = vec![dir.join("missing.pcap")];
    for (name, bytes) in [
        ("empty.pcap", &[][..]),
        (
            "notes.pcap",
            &b"these are my lecture notes, not a capture"[..],
        ),
        ("ten-bytes.pcap", &real[..10]),
        ("header-only.pcap", &real[..24]),
        ("cut.pcap", &real[..60]),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        files.push(p);
    }
    (dir, files)
}

#[test]
fn open_fails_on_a_bad_file_exactly_like_decode() {
    let (dir, files) = bad_files();
    for f in &files {
        let f = f.to_str().unwrap();
        let d = wslens(&["decode", f]);
        for args in [vec!["open", f], vec![f]] {
            let o = wslens(&args);
            assert!(!o.status.success(), "{args:?}");
            assert_eq!(o.status.code(), d.status.code(), "{args:?}");
            assert_eq!(text(&o.stderr), text(&d.stderr), "{args:?}");
            assert_eq!(text(&o.stderr).lines().count(), 1, "{args:?}");
            assert!(o.stdout.is_empty(), "no screen was drawn: {args:?}");
        }
    }
    // The messages read as English a person would write.
    let short = text(&wslens(&["decode", files[3].to_str().unwrap()]).stderr);
    assert!(
        short.ends_with(
            "the file is only 10 bytes long, too short to hold a pcap or pcapng file header\n"
        ),
        "{short}"
    );
    let none = wslens(&["decode", files[4].to_str().unwrap()]);
    assert_eq!(
        none.status.code(),
        Some(1),
        "docs/security.md: header but no packet"
    );
    assert!(text(&none.stderr).contains("holds no packets"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn ui_commands_without_a_terminal_say_so() {
    let file = capture("classroom.pcap");
    let file = file.to_str().unwrap();
    for args in [vec![], vec![file], vec!["open", file], vec!["--lang", "zh"]] {
        let o = wslens(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty(), "no escape codes on stdout: {args:?}");
        let err = text(&o.stderr);
        assert!(err.contains("needs a terminal"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn lang_before_a_subcommand_applies_to_it() {
    let file = capture("classroom.pcap");
    let file = file.to_str().unwrap();
    let before = wslens(&["--lang", "zh", "decode", file]);
    let after = wslens(&["decode", "--lang", "zh", file]);
    assert!(before.status.success());
    assert_eq!(text(&before.stdout), text(&after.stdout));
    assert!(text(&before.stdout).contains("三次握手"));
    // A subcommand's own choice wins.
    let own = wslens(&["--lang", "zh", "decode", "--lang", "en", file]);
    assert!(!text(&own.stdout).contains("三次握手"));
    let stats = wslens(&["--lang", "zh", "stats", file]);
    assert_eq!(
        text(&stats.stdout),
        text(&wslens(&["stats", "--lang", "zh", file]).stdout)
    );
}

#[test]
fn live_text_says_its_closing_note_once() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED: live capture needs root");
        return;
    }
    let o = wslens(&["live", "-p", "22999", "--text", "--duration", "0.3"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert_eq!(out.matches("live capture on lo").count(), 1, "{out}");
}
