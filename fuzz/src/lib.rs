//! Shared by the fuzz targets: a sink that renders every event through both output writers and
//! checks the result can never act on a terminal.

use wslens::event::{Event, Sink};
use wslens::text::is_unsafe_char;

#[derive(Default)]
pub struct CheckingSink {
    buf: Vec<u8>,
    pub events: usize,
}

pub fn assert_terminal_safe(out: &[u8]) {
    let s = std::str::from_utf8(out).expect("output is UTF-8");
    assert!(
        !s.chars().any(|c| c != '\n' && is_unsafe_char(c)),
        "unsafe character in output: {s:?}"
    );
}

impl Sink for CheckingSink {
    fn emit(&mut self, ev: Event) {
        self.events += 1;
        self.buf.clear();
        wslens::output::json::encode(&mut self.buf, &ev);
        assert_terminal_safe(&self.buf);
        let line = wslens::output::text::summary(&ev);
        assert_terminal_safe(line.as_bytes());
    }
}

/// A little cursor over fuzz bytes that never fails: past the end it yields zeros.
pub struct Bytes<'a>(pub &'a [u8]);

impl<'a> Bytes<'a> {
    pub fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }
    pub fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Every view for people, on the events of one capture: the terminal UI (rendered at 80x24 and
/// 100x30 after a few keys), the narration in both languages, the ladder as text, SVG and
/// Mermaid for each connection, and the `stats` comparison as text and JSON. Panics on a crash
/// or when anything rendered could act on a terminal (or the SVG is not XML text).
pub fn render_every_view(capture: &[u8], events: &[Event]) {
    use wslens::teach::{Lang, Narrator};
    for lang in [Lang::En, Lang::Zh] {
        let mut n = Narrator::new(lang);
        for ev in events {
            for s in n.next(ev) {
                assert_terminal_safe(s.as_bytes());
            }
        }
    }
    let mut conns: Vec<_> = events.iter().filter_map(|e| e.conn()).collect();
    conns.sort_unstable();
    conns.dedup();
    for &c in conns.iter().take(4) {
        let rows = wslens::ladder::build(events, c, wslens::ladder::LadderOpts::default());
        let d = wslens::teach::diagram::Diagram {
            lang: wslens::teach::Lang::Zh,
            rows: &rows,
            client: "client",
            server: "server",
            title: "fuzz",
        };
        assert_terminal_safe(wslens::teach::diagram::txt(&d, 80).as_bytes());
        assert_terminal_safe(wslens::teach::diagram::mermaid(&d).as_bytes());
        let svg = wslens::teach::diagram::svg(&d);
        assert!(
            svg.chars()
                .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}'
                | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
                    || c as u32 >= 0x10000),
            "a character XML forbids in the SVG"
        );
    }
    let mut st = wslens::teach::stats::StatsBuilder::default();
    for ev in events {
        st.observe(ev);
    }
    let c = st.finish();
    for lang in [Lang::En, Lang::Zh] {
        assert_terminal_safe(wslens::teach::stats::render_text(&c, "fuzz", lang).as_bytes());
    }
    assert_terminal_safe(wslens::teach::stats::render_json(&c, "fuzz").as_bytes());

    // The UI, fed as the file reader feeds it.
    let Ok(batch) = wslens::ui::decode_all(capture) else {
        return;
    };
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use wslens::ui::{Feed, Model, Msg, ThemeName, update};
    for (w, h) in [(80u16, 24u16), (100, 30)] {
        let mut m = Model::new("fuzz".into(), ThemeName::Dark, false);
        update(&mut m, Msg::Resize(w, h));
        update(&mut m, Msg::Feed(Feed::Batch(batch.clone())));
        update(&mut m, Msg::Feed(Feed::Done));
        let keys = [
            KeyCode::Home,
            KeyCode::Down,
            KeyCode::Enter,
            KeyCode::Tab,
            KeyCode::Down,
            KeyCode::End,
            KeyCode::Char('d'),
            KeyCode::Char('l'),
        ];
        render_ui(&m, w, h);
        for k in keys {
            update(&mut m, Msg::Key(KeyEvent::new(k, KeyModifiers::NONE)));
            render_ui(&m, w, h);
        }
    }
}

fn render_ui(m: &wslens::ui::Model, w: u16, h: u16) {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    t.draw(|f| wslens::ui::view(m, f)).unwrap();
    let buf = t.backend().buffer();
    for y in 0..h {
        for x in 0..w {
            assert_terminal_safe(buf[(x, y)].symbol().as_bytes());
        }
    }
}

/// Decode `capture` as `wslens decode` does: from a mapped window (an anonymous mapping holding
/// the bytes), through the batching writer thread, which hashes masked payloads in place
/// (`Sink::hash_masked`) and renders every event through both writers. Returns the events.
pub fn decode_like_the_cli(capture: &[u8]) -> Vec<Event> {
    use std::sync::Arc;
    use wslens::output::WriteEvent;
    struct Keep(Vec<Event>, Vec<u8>);
    impl WriteEvent for Keep {
        fn write_event(&mut self, ev: &Event) {
            self.1.clear();
            wslens::output::json::encode(&mut self.1, ev);
            assert_terminal_safe(&self.1);
            assert_terminal_safe(wslens::output::text::summary(ev).as_bytes());
            if self.0.len() < 20_000 {
                self.0.push(ev.clone());
            }
        }
    }
    let Ok(mut map) = memmap2::MmapMut::map_anon(capture.len().max(1)) else {
        return Vec::new();
    };
    map[..capture.len()].copy_from_slice(capture);
    let Ok(map) = map.make_read_only() else {
        return Vec::new();
    };
    let window: wslens::capture::Backing = Arc::new(map);
    let mut opts = wslens::decoder::DecodeOptions::default();
    // Small limits: previews cut early, so the streamed (hashed-in-place) paths are taken.
    opts.limits.message_preview = 64;
    opts.limits.stream_buffer = 1 << 16;
    let mut dec = wslens::decoder::Decoder::new(opts);
    let (mut tx, handle) = wslens::output::batch::spawn(Keep(Vec::new(), Vec::new()));
    tx.backing(&window);
    let bytes: &[u8] = &window[..capture.len()];
    let _ = wslens::capture::read_bytes(bytes, |p| dec.packet(&p, &mut tx));
    dec.finish(&mut tx);
    tx.close();
    handle.join().expect("writer thread").0
}
