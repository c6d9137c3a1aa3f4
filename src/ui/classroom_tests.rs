//! The classroom instrument on the embedded classroom capture (a real recording): chapter keys,
//! the presenter layout, the colourless focus marker and quiz mode.

use super::model::{Focus, LayerFilter, Model, Msg, update};
use super::theme::ThemeName;
use crate::event::{Event, Handshake, Opcode};
use crate::teach::Lang;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn classroom(playback: bool) -> Model {
    let b = super::decode_all(super::EMBEDDED_CAPTURE).expect("classroom.pcap decodes");
    let mut m = Model::new("classroom.pcap".into(), ThemeName::Dark, playback);
    update(&mut m, Msg::Resize(80, 24));
    update(&mut m, Msg::Feed(super::feed::Feed::Batch(b)));
    update(&mut m, Msg::Feed(super::feed::Feed::Done));
    m
}

fn press(m: &mut Model, c: char) {
    update(
        m,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
    );
}

fn at(m: &Model) -> Event {
    m.store
        .event(m.cursor.expect("an event is selected"))
        .expect("the selected event reads back")
}

#[test]
fn keys_one_to_five_jump_to_each_chapter_with_its_banner() {
    let mut m = classroom(false);
    press(&mut m, 'G');
    press(&mut m, '1');
    assert!(matches!(at(&m), Event::Tcp(t) if t.handshake == Some(Handshake::Syn)));
    assert!(m.narration[0].contains("Chapter 1") && m.narration[0].contains("step 1 of 4"));

    press(&mut m, '3');
    match at(&m) {
        Event::Http(h) => assert_eq!(h.header("Upgrade"), Some("websocket")),
        e => panic!("chapter 3 stands on {e:?}"),
    }
    assert!(m.narration[0].contains("step 2 of 4"), "{:?}", m.narration);

    press(&mut m, '4');
    let first_data = match at(&m) {
        Event::WsMessage(x) => x.opcode,
        Event::WsFrame(f) => f.header.opcode,
        e => panic!("chapter 4 stands on {e:?}"),
    };
    assert_eq!(first_data, Opcode::Text);
    let l = m.label(m.cursor.unwrap()).unwrap();
    assert!(l.contains("Hello"), "{l}");
    assert!(m.narration[0].contains("step 4 of 4"));

    press(&mut m, '5');
    let close = match at(&m) {
        Event::WsMessage(x) => x.opcode,
        Event::WsFrame(f) => f.header.opcode,
        e => panic!("chapter 5 stands on {e:?}"),
    };
    assert_eq!(close, Opcode::Close);

    // ws:// has no TLS handshake: the class is told so where it would be (after the ACK).
    press(&mut m, '2');
    assert!(matches!(at(&m), Event::Tcp(t) if t.handshake == Some(Handshake::Ack)));
    assert!(m.narration[0].contains("not encrypted") && m.narration[0].contains("443"));

    // Stepping away leaves the chapter's banner behind.
    press(&mut m, 'n');
    assert!(!m.narration[0].contains("Chapter"));
}

#[test]
fn chapters_work_in_playback_and_through_filters_and_in_chinese() {
    let mut m = classroom(true);
    m.set_lang(Lang::Zh);
    press(&mut m, 'l'); // layer filter: TCP only, which hides the upgrade request
    assert_eq!(m.layer, LayerFilter::Tcp);
    press(&mut m, '3');
    assert_eq!(
        m.layer,
        LayerFilter::All,
        "the filter gives way to the chapter"
    );
    assert!(matches!(at(&m), Event::Http(_)));
    assert!(
        m.playback,
        "still in playback: the story so far is revealed up to here"
    );
    assert!(m.revealed(m.cursor.unwrap()) && !m.revealed(m.cursor.unwrap() + 1));
    assert!(m.narration[0].contains("第 3 章") && m.narration[0].contains("第 2 步"));
}

#[test]
fn presenter_layout_keeps_only_ladder_and_narration() {
    let mut m = classroom(false);
    press(&mut m, 'P');
    assert!(m.presenter);
    let a = m.areas();
    assert!(a.conns.is_empty() && a.detail.is_empty() && a.bytes.is_empty());
    assert!(a.ladder.height >= 8 && a.narration.height >= 8);
    let screen = super::tests::render(&m, 80, 24);
    assert!(
        !screen.contains("Connections") && !screen.contains("Detail"),
        "{screen}"
    );
    assert!(
        screen.contains("What happened") && screen.contains("client|"),
        "{screen}"
    );
    // Tab moves between the two panes on screen only.
    update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)),
    );
    assert_eq!(m.focus, Focus::Narration);
    update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)),
    );
    assert_eq!(m.focus, Focus::Ladder);
    press(&mut m, 'P');
    assert!(!m.areas().conns.is_empty());
}

#[test]
fn the_focused_pane_is_marked_without_colour() {
    let mut m = classroom(false);
    let screen = super::tests::render(&m, 100, 30);
    assert_eq!(screen.matches('▸').count(), 1, "{screen}");
    assert!(screen.contains("▸Ladder"), "{screen}");
    update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)),
    );
    let screen = super::tests::render(&m, 100, 30);
    assert!(
        screen.contains("▸Detail") && !screen.contains("▸Ladder"),
        "{screen}"
    );
}

fn enter(m: &mut Model) {
    update(
        m,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
}

fn label(m: &Model) -> String {
    m.label(m.cursor.unwrap()).unwrap()
}

/// Step until the event at the cursor satisfies `f`.
fn step_to(m: &mut Model, f: impl Fn(&Event) -> bool) {
    for _ in 0..100 {
        if f(&at(m)) {
            return;
        }
        press(m, 'n');
    }
    panic!("never reached");
}

#[test]
fn quiz_hides_what_can_be_worked_out_until_enter() {
    let mut m = classroom(true);
    press(&mut m, 'Q');
    assert!(m.quiz && m.playback);
    step_to(
        &mut m,
        |e| matches!(e, Event::Tcp(t) if t.handshake == Some(Handshake::SynAck)),
    );
    let screen = super::tests::render(&m, 100, 30);
    assert!(screen.contains("ack=?"), "{screen}");
    assert!(
        !screen.contains("ack=1 "),
        "the answer is on screen:\n{screen}"
    );
    assert!(m.narration[0].contains("Quiz") && m.narration.iter().any(|l| l.contains("ack=?")));
    assert!(
        screen.contains("Hidden until the answer is revealed"),
        "{screen}"
    );
    enter(&mut m);
    let screen = super::tests::render(&m, 100, 30);
    assert!(screen.contains("SYN,ACK seq=0 ack=1"), "{screen}");
    assert!(
        m.narration.iter().any(|l| l.contains("j+1")),
        "{:?}",
        m.narration
    );

    press(&mut m, 'n');
    assert!(matches!(at(&m), Event::Tcp(t) if t.handshake == Some(Handshake::Ack)));
    let screen = super::tests::render(&m, 100, 30);
    assert!(screen.contains("ACK ack=?"), "{screen}");

    step_to(&mut m, |e| matches!(e, Event::WsHandshake(_)));
    let screen = super::tests::render(&m, 100, 30);
    assert!(
        screen.contains("Accept ?") && !screen.contains('✓'),
        "{screen}"
    );
    assert!(
        m.narration
            .iter()
            .any(|l| l.contains("JZIKtAqF0HlPWvfOsV3VzQ=="))
    );

    // The first client frame: unmask its first byte (0x41 XOR 0x09 in this recording).
    step_to(
        &mut m,
        |e| matches!(e, Event::WsFrame(f) if f.header.masked),
    );
    let screen = super::tests::render(&m, 100, 30);
    assert!(screen.contains("Text \"?\" (masked)"), "{screen}");
    let q = m.narration.join(" ");
    assert!(q.contains("0x41") && q.contains("0x09"), "{q}");
    enter(&mut m);
    assert!(label(&m).contains("Hello"));

    // Off again: nothing is hidden.
    press(&mut m, 'n');
    press(&mut m, 'Q');
    assert!(!m.quiz);
    assert!(!super::tests::render(&m, 100, 30).contains("=?"));
}

#[test]
fn quiz_asks_for_states_and_hides_them_everywhere_in_chinese_too() {
    let mut m = classroom(true);
    m.set_lang(Lang::Zh);
    press(&mut m, 'Q');
    step_to(&mut m, |e| matches!(e, Event::Tcp(t) if t.flags.fin()));
    let q = m
        .quiz_at(m.cursor.unwrap())
        .expect("a question at the first FIN");
    assert!(q.hide_states);
    assert!(m.narration[0].contains("测验"), "{:?}", m.narration);
    let screen = super::tests::render(&m, 100, 30);
    // Neither the ladder's state column nor the connection list gives the answer.
    assert!(
        !screen.contains("FIN_WAIT_1") && !screen.contains("FIN_WT1"),
        "{screen}"
    );
    enter(&mut m);
    let screen = super::tests::render(&m, 100, 30);
    assert!(
        screen.contains("FIN_WAIT_1") || screen.contains("FIN_WT1"),
        "{screen}"
    );
}

#[test]
fn the_delta_t_column_shows_time_between_rows() {
    let mut m = classroom(false);
    press(&mut m, 'G');
    press(&mut m, '1');
    press(&mut m, 'd');
    let screen = super::tests::render(&m, 100, 30);
    // classroom.pcap: the SYN-ACK came 15 µs after the SYN, the ACK 13 µs after that.
    assert!(
        screen.contains("Δt") && screen.contains("+15µs"),
        "{screen}"
    );
    assert!(screen.contains("+13µs"), "{screen}");
    press(&mut m, 'd');
    assert!(!super::tests::render(&m, 100, 30).contains("Δt"));
}

/// English words left in a Chinese screen text: lower-case ASCII words of three letters or
/// more, outside quotes and parentheses (captured text and the English names kept beside the
/// Chinese ones), after `/` (paths) and outside the protocol's own tokens.
fn english_words(s: &str) -> Vec<String> {
    // A quoted preview may hold quotes of its own (JSON): drop all from the first quote to
    // the last; a preview cut inside a string (an odd number of quotes) runs to the end.
    let s = match (s.find('"'), s.rfind('"')) {
        (Some(a), _) if s.matches('"').count() % 2 == 1 => s[..a].to_string(),
        (Some(a), Some(b)) if b > a => format!("{}{}", &s[..a], &s[b + 1..]),
        _ => s.to_string(),
    };
    let s = s.as_str();
    const TOKENS: &[&str] = &[
        "seq",
        "ack",
        "len",
        "win",
        "mss",
        "wscale",
        "sack",
        "sack_permitted",
        "permessage",
        "deflate",
        "websocket",
        "base",
        "xor",
        "mod",
        "key",
        "tcp",
        "udp",
        "http",
        "fin",
        "rst",
        "upgrade",
        "true",
        "false",
        "null",
        "raw",
        "ws",
        "wss",
        "tls",
        // a host name the capture holds (the demo's certificate and SNI)
        "localhost",
        "sha",
        "guid",
        "utf",
        "client_max_window_bits",
        "server_max_window_bits",
        "server_no_context_takeover",
        "client_no_context_takeover",
        "close",
        "keep",
        "alive",
        "chunked",
        "gzip",
        "identity",
        "text",
        "plain",
        "json",
        "application",
        "html",
        "utf-8",
        "charset",
        "max",
        "age",
        "cache",
        "control",
        "opcode",
        "binary",
        "ping",
        "pong",
        "continuation",
        "wslens",
        "mqtt",
        "graphql",
        "stomp",
    ];
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut in_quote = false;
    let mut word = String::new();
    let mut after_slash = false;
    let flush = |w: &mut String, skip: bool, out: &mut Vec<String>| {
        if !skip
            && w.len() >= 3
            && w.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            && !TOKENS.contains(&w.as_str())
        {
            out.push(w.clone());
        }
        w.clear();
    };
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        // A word ends here: judged by where it stood, before this character changes that.
        let skip = in_quote || depth > 0 || after_slash;
        flush(&mut word, skip, &mut out);
        // A path or query (`/poll?since=0`) runs to the next space.
        after_slash = if c.is_whitespace() {
            false
        } else {
            after_slash && !matches!(c, '：' | '，' | '。')
                || matches!(c, '/' | '.' | ':' | '=' | '-' | '\\')
        };
        match c {
            '"' => in_quote = !in_quote,
            '“' | '（' | '(' | '[' => depth += 1,
            '”' | '）' | ')' | ']' => depth -= 1,
            _ => {}
        }
    }
    let skip = in_quote || depth > 0 || after_slash;
    flush(&mut word, skip, &mut out);
    out
}

#[test]
fn the_chinese_screen_has_no_untranslated_words() {
    use super::detail::LineKind;
    let mut found = std::collections::BTreeSet::new();
    let mut labels = std::collections::BTreeSet::new();
    for (name, b) in bundled_captures() {
        let mut m = Model::new("x".into(), ThemeName::Dark, false);
        update(&mut m, Msg::Resize(100, 30));
        update(&mut m, Msg::Feed(super::feed::Feed::Batch(b)));
        update(&mut m, Msg::Feed(super::feed::Feed::Done));
        m.set_lang(Lang::Zh);
        // The screen's fixed words: header, list heading, pane titles, footer, help.
        // Under every layer filter and one arrow per layer (`x`), as the titles say.
        for _ in 0..6 {
            let screen = super::tests::render(&m, 100, 30);
            for (i, l) in screen.lines().enumerate() {
                // Row 3 is the first connection's row (addresses); the ladder rows are below.
                if i < 3 || l.starts_with([' ', '▸']) && l.contains('─') {
                    for w in english_words(l) {
                        found.insert(format!("{name}: screen {w:?} in {l:?}"));
                    }
                }
            }
            press(&mut m, 'l');
        }
        assert_eq!(m.layer, LayerFilter::All, "round the whole cycle");
        press(&mut m, 'x');
        for l in super::tests::render(&m, 100, 30).lines().take(8) {
            for w in english_words(l) {
                found.insert(format!("{name}: screen {w:?} in {l:?}"));
            }
        }
        press(&mut m, 'x');
        // Every event: notes, upgrade problems, TLS and the application layer included.
        for i in 0..m.store.len() {
            m.select(i);
            let strip = |t: &str| t.to_string();
            if let Some(l) = m.label(i) {
                for w in english_words(&strip(&l)) {
                    found.insert(format!("{name}: label {w:?} in {l:?}"));
                }
            }
            for l in &m.detail.lines {
                // A field's value: what the decoder says about its number (`1 (final frame
                // of the message)`) and the TLS layer's phrases are words to translate.
                if l.kind == LineKind::Field
                    && let Some((_, value)) = l.text.rsplit_once(": ")
                {
                    let phrase = value
                        .rsplit_once(" (")
                        .and_then(|(_, p)| p.strip_suffix(')'))
                        .filter(|p| p.is_ascii() && p.contains(' '));
                    let mut words = phrase.map(english_words).unwrap_or_default();
                    if l.name.starts_with("tls.") || l.name.starts_with("ws.") {
                        words.extend(english_words(value));
                    }
                    for w in words {
                        found.insert(format!("{name}: field {w:?} in {:?}", l.text));
                    }
                }
                // Field lines are checked by their labels below; the RFC's bit diagram keeps
                // the RFC's own names.
                if l.kind == LineKind::Field
                    || l.name == "captured"
                    || l.text.starts_with(['|', '+'])
                {
                    continue;
                }
                for w in english_words(&strip(&l.text)) {
                    found.insert(format!("{name}: detail {w:?} in {:?}", l.text));
                }
            }
            for l in &m.narration {
                for w in english_words(&strip(l)) {
                    found.insert(format!("{name}: narration {w:?} in {l:?}"));
                }
            }
            if let Some(n) = m.store.event(i).unwrap().pkt()
                && let Some((rec, data)) = m.store.packet(n)
            {
                fn walk(
                    f: &crate::fields::Field,
                    out: &mut std::collections::BTreeSet<&'static str>,
                ) {
                    if !crate::teach::labels::translated(f.label) {
                        out.insert(f.label);
                    }
                    f.children.iter().for_each(|c| walk(c, out));
                }
                for f in super::layers::packet_fields(rec.linktype, &data) {
                    walk(&f, &mut labels);
                }
            }
        }
    }
    assert!(
        labels.is_empty(),
        "field labels without Chinese: {labels:?}"
    );
    let found: Vec<String> = found.into_iter().take(40).collect();
    assert!(found.is_empty(), "untranslated:\n{}", found.join("\n"));
}

/// One arrow per packet on the real classroom recording: the segment carrying the GET is the
/// GET's row; `x` draws the layers apart; the layer filter, a search by the segment's numbers
/// and the chapters all agree with what is drawn.
#[test]
fn one_arrow_per_packet_and_the_filters_agree() {
    let mut m = classroom(false);
    press(&mut m, 'G');
    let get = (0..m.store.len())
        .find(|&i| matches!(m.store.event(i).unwrap(), Event::Http(_)))
        .unwrap();
    let seg = get - 1;
    assert!(matches!(&m.store.event(seg).unwrap(), Event::Tcp(t) if t.len == 198));
    let rows = m.visible_rows().to_vec();
    assert!(rows.contains(&(get as u32)) && !rows.contains(&(seg as u32)));
    assert_eq!(
        m.label(get).unwrap(),
        "step 2/4 GET /chat  Upgrade: websocket · seq=1 ack=1 len=198"
    );
    // Chapter 3 stands on the merged row; its narration tells the segment's numbers too.
    press(&mut m, '3');
    assert_eq!(m.cursor, Some(get));
    assert!(
        m.narration.iter().any(|s| s.contains("198 bytes of data")),
        "{:#?}",
        m.narration
    );
    // A search by the segment's numbers finds the merged row, as text and as an expression.
    for q in ["len=198", "tcp.len == 198"] {
        update(
            &mut m,
            Msg::Key(KeyEvent::new(KeyCode::Char('/'), KeyModifiers::NONE)),
        );
        for c in q.chars() {
            press(&mut m, c);
        }
        update(
            &mut m,
            Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        );
        assert_eq!(m.visible_rows(), [get as u32], "search {q}");
        update(
            &mut m,
            Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
        );
    }
    // The TCP layer filter shows the segment as its own arrow; the HTTP one the bare GET.
    press(&mut m, 'l');
    assert_eq!(m.layer, LayerFilter::Tcp);
    assert!(m.visible_rows().contains(&(seg as u32)));
    assert_eq!(m.label(seg).unwrap(), "ACK,PSH seq=1 ack=1 len=198");
    press(&mut m, 'l');
    assert_eq!(m.layer, LayerFilter::Http);
    assert_eq!(
        m.label(get).unwrap(),
        "step 2/4 GET /chat  Upgrade: websocket"
    );
    while m.layer != LayerFilter::All {
        press(&mut m, 'l');
    }
    // Per layer: both rows, the segment first, and the header says so.
    let merged = m.visible_rows().len();
    press(&mut m, 'x');
    let rows = m.visible_rows().to_vec();
    assert!(rows.contains(&(seg as u32)) && rows.contains(&(get as u32)));
    assert!(rows.len() > merged);
    assert!(super::tests::render(&m, 100, 30).contains("per layer"));
    press(&mut m, 'x');
    assert_eq!(m.visible_rows().len(), merged);
}

/// At 80x24 the Accept computation is readable without scrolling: the GUID whole, the key
/// and GUID joined, the SHA-1, the base64 and the server's value with its verdict.
#[test]
fn the_accept_computation_fits_80x24() {
    for lang in [Lang::En, Lang::Zh] {
        let mut m = classroom(false);
        m.set_lang(lang);
        let hs = (0..m.store.len())
            .find(|&i| matches!(m.store.event(i).unwrap(), Event::WsHandshake(_)))
            .unwrap();
        m.select(hs);
        let screen = super::tests::render(&m, 80, 24);
        for want in [
            "2 + GUID    258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
            "= JZIKtAqF0HlPWvfOsV3VzQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
            "3 SHA-1     c2f727ac8af7d71f6af84d4357a98b94d45ff9ba",
            "4 base64    wvcnrIr31x9q+E1DV6mLlNRf+bo=",
        ] {
            assert!(screen.contains(want), "{lang}: no {want:?} in\n{screen}");
        }
        assert!(
            screen.contains("wvcnrIr31x9q+E1DV6mLlNRf+bo= ✓"),
            "{lang}: the server's value and verdict\n{screen}"
        );
    }
}

/// Every bundled capture (file name, decoded).
fn bundled_captures() -> Vec<(String, super::feed::Batch)> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/captures")).unwrap() {
        let p = e.unwrap().path();
        if matches!(
            p.extension().and_then(|x| x.to_str()),
            Some("pcap" | "pcapng")
        ) {
            let b = super::decode_all(&std::fs::read(&p).unwrap()).unwrap();
            v.push((p.file_name().unwrap().to_string_lossy().into_owned(), b));
        }
    }
    v
}

/// `decode --lang zh` (and `--brief --lang zh`): the summary line of every event of every
/// capture is Chinese but for the protocol's tokens and captured text, as the screen is.
#[test]
fn the_chinese_text_log_has_no_untranslated_words() {
    use crate::output::text::TextWriter;
    let mut found = std::collections::BTreeSet::new();
    let mut lines = 0;
    for (name, b) in bundled_captures() {
        let mut w = TextWriter::new(Vec::new()).summaries_in(Lang::Zh);
        for ev in &b.events {
            w.write_event(ev);
        }
        let text = String::from_utf8(std::mem::take(w.out_mut())).unwrap();
        for l in text.lines() {
            lines += 1;
            for word in english_words(l) {
                found.insert(format!("{name}: {word:?} in {l:?}"));
            }
        }
    }
    assert!(lines > 10_000, "{lines} summary lines");
    assert!(
        found.is_empty(),
        "untranslated:\n{}",
        found.into_iter().take(60).collect::<Vec<_>>().join("\n")
    );
}
