//! `wslens decode --json` runs the decoder and the writer on two threads: hashing moves to the
//! writer (from the events' content, or from payload pieces for large messages), TCP segments
//! travel apart from other events, and buffers come back for reuse. None of that may change a
//! byte of the output: it must equal the events of the plain, single-threaded decoder, encoded
//! one by one.

use crate::common;

use common::{all_captures, decode};
use std::process::Command;
use wslens::event::Event;

fn expected_ndjson(events: &[Event]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        wslens::output::json::encode(&mut out, e);
        out.push(b'\n');
    }
    out
}

#[test]
fn the_threaded_writer_prints_exactly_what_the_decoder_emits() {
    let mut large = 0;
    for path in all_captures() {
        let events = decode(&path);
        large += events
            .iter()
            .filter(|e| matches!(e, Event::WsMessage(m) if m.len >= 16 << 10))
            .count();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wslens"));
        cmd.args(["decode", "--json"]).arg(&path);
        // `decode` uses a wss:// recording's key log: give the command the same one.
        let keys = path.with_extension("keys");
        if keys.exists() {
            cmd.arg("--tls-keylog").arg(keys);
        }
        let run = cmd.output().expect("run wslens");
        assert!(run.status.success(), "{}", path.display());
        let want = expected_ndjson(&events);
        if run.stdout != want {
            let got = String::from_utf8_lossy(&run.stdout);
            let want = String::from_utf8_lossy(&want);
            let first = got
                .lines()
                .zip(want.lines())
                .position(|(g, w)| g != w)
                .unwrap_or(got.lines().count().min(want.lines().count()));
            panic!(
                "{}: line {} differs:\n got {:?}\nwant {:?}",
                path.display(),
                first + 1,
                got.lines().nth(first),
                want.lines().nth(first)
            );
        }
    }
    // The captures include messages large enough to be hashed from pieces by the writer.
    assert!(large > 0, "no message of 16 KiB or more among the captures");
}

/// `wslens decode` makes the narrated text on worker threads from facts the writer thread takes
/// in order (`text_threads`): the log must be byte for byte that of the sequential
/// `TextWriter` fed the same events, narrated in English and Chinese, and brief.
#[test]
fn the_threaded_text_log_is_the_sequential_one() {
    use wslens::output::text::TextWriter;
    use wslens::teach::Lang;
    let mut lines = 0;
    for path in all_captures() {
        let events = decode(&path);
        for (flags, lang) in [
            (&[][..], Some(Lang::En)),
            (&["--lang", "zh"][..], Some(Lang::Zh)),
            (&["--brief"][..], None),
            (&["--brief", "--lang", "zh"][..], None),
        ] {
            let mut w = TextWriter::new(Vec::new());
            if let Some(l) = lang {
                w = w.narrated(l);
            } else if flags.contains(&"zh") {
                w = w.summaries_in(Lang::Zh);
            }
            for e in &events {
                w.write_event(e);
            }
            let want = std::mem::take(w.out_mut());
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_wslens"));
            cmd.arg("decode").args(flags).arg(&path);
            let keys = path.with_extension("keys");
            if keys.exists() {
                cmd.arg("--tls-keylog").arg(keys);
            }
            let run = cmd.output().expect("run wslens");
            assert!(run.status.success(), "{}", path.display());
            if run.stdout != want {
                let got = String::from_utf8_lossy(&run.stdout);
                let want = String::from_utf8_lossy(&want);
                let first = got
                    .lines()
                    .zip(want.lines())
                    .position(|(g, w)| g != w)
                    .unwrap_or(got.lines().count().min(want.lines().count()));
                panic!(
                    "{} {flags:?}: line {} differs:\n got {:?}\nwant {:?}",
                    path.display(),
                    first + 1,
                    got.lines().nth(first),
                    want.lines().nth(first)
                );
            }
            lines += want.iter().filter(|&&b| b == b'\n').count();
        }
    }
    // More than one chunk of events went through the workers.
    assert!(lines > 10_000, "only {lines} lines of text");
}
