//! Model and render tests on a hand-built conversation (and, where available, real captures).

use super::feed::{Batch, Feed};
use super::model::{Focus, LayerFilter, Model, Msg, update};
use super::theme::ThemeName;
use crate::event::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::net::SocketAddr;

#[allow(clippy::too_many_arguments)]
fn seg(
    pkt: PktNum,
    dir: Dir,
    flags: u8,
    rel_seq: u32,
    rel_ack: u32,
    len: u32,
    c: TcpState,
    s: TcpState,
    hs: Option<Handshake>,
) -> Event {
    Event::Tcp(TcpSegment {
        conn: 1,
        pkt,
        ts: Ts(pkt as i64 * 1_000_000),
        dir,
        flags: TcpFlags(flags),
        seq: rel_seq.wrapping_add(if dir == Dir::C2S {
            1_000_000
        } else {
            7_000_000
        }),
        ack: rel_ack.wrapping_add(if dir == Dir::C2S {
            7_000_000
        } else {
            1_000_000
        }),
        rel_seq,
        rel_ack,
        len,
        win: 512,
        win_scaled: None,
        client_state: c,
        server_state: s,
        handshake: hs,
        analysis: Analysis::default(),
        opts: TcpOpts::default(),
        truncated: false,
    })
}

/// A complete conversation as the decoder would report it.
pub(super) fn conversation() -> Batch {
    use TcpState::*;
    const S: u8 = TcpFlags::SYN;
    const A: u8 = TcpFlags::ACK;
    const P: u8 = TcpFlags::PSH;
    const F: u8 = TcpFlags::FIN;
    let client: SocketAddr = "127.0.0.1:54321".parse().unwrap();
    let server: SocketAddr = "127.0.0.1:8765".parse().unwrap();
    let head = |pkt, dir, kind, headers: &[(&str, &str)]| {
        Event::Http(Box::new(HttpHead {
            conn: 1,
            dir,
            pkt,
            ts: Ts(pkt as i64 * 1_000_000),
            kind,
            version: "HTTP/1.1".into(),
            headers: headers
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            head_len: 100,
            body_len: None,
            layout: HeadLayout::default(),
        }))
    };
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let hello: Vec<u8> = b"Hello"
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ mask[i % 4])
        .collect();
    let mut raw = [0u8; 14];
    raw[..6].copy_from_slice(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d]);
    let frame = |pkt, dir, op, masked: bool, len: u64, preview: Vec<u8>| {
        let mut r = [0u8; 14];
        if masked {
            r = raw;
            r[0] = 0x80 | Opcode::code(op);
            r[1] = 0x80 | len as u8;
        } else {
            r[0] = 0x80 | Opcode::code(op);
            r[1] = len as u8;
        }
        Event::WsFrame(WsFrame {
            conn: 1,
            dir,
            pkts: [pkt][..].into(),
            ts: Ts(pkt as i64 * 1_000_000),
            header: FrameHeader {
                fin: true,
                rsv1: false,
                rsv2: false,
                rsv3: false,
                opcode: op,
                masked,
                mask_key: masked.then_some(mask),
                len_code: len as u8,
                payload_len: len,
                header_len: if masked { 6 } else { 2 },
                raw: r,
            },
            stream_offset: 0,
            heuristic: false,
            preview,
        })
    };
    let msg = |pkt, dir, op, text: Option<&str>, close: Option<u16>| {
        Event::WsMessage(WsMessage {
            conn: 1,
            dir,
            pkt,
            ts: Ts(pkt as i64 * 1_000_000),
            opcode: op,
            frames: 1,
            compressed: false,
            wire_len: text.map_or(2, |t| t.len() as u64),
            len: text.map_or(2, |t| t.len() as u64),
            sha256: [0; 32],
            text: text.map(str::to_string),
            text_truncated: false,
            data: vec![],
            data_truncated: false,
            close_code: close,
            close_reason: close.map(|_| "".into()),
            utf8_error: false,
            inflate_error: None,
            heuristic: false,
        })
    };
    let events = vec![
        Event::ConnOpen(ConnOpen {
            conn: 1,
            proto: Proto::Tcp,
            client,
            server,
            pkt: 1,
            ts: Ts(0),
            guessed: false,
        }),
        seg(
            1,
            Dir::C2S,
            S,
            0,
            0,
            0,
            SynSent,
            Listen,
            Some(Handshake::Syn),
        ),
        seg(
            2,
            Dir::S2C,
            S | A,
            0,
            1,
            0,
            SynSent,
            SynReceived,
            Some(Handshake::SynAck),
        ),
        seg(
            3,
            Dir::C2S,
            A,
            1,
            1,
            0,
            Established,
            Established,
            Some(Handshake::Ack),
        ),
        seg(
            4,
            Dir::C2S,
            P | A,
            1,
            1,
            150,
            Established,
            Established,
            None,
        ),
        head(
            4,
            Dir::C2S,
            HttpKind::Request {
                method: "GET".into(),
                path: "/chat".into(),
            },
            &[
                ("Host", "localhost"),
                ("Upgrade", "websocket"),
                ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ],
        ),
        seg(5, Dir::S2C, A, 1, 151, 0, Established, Established, None),
        seg(
            6,
            Dir::S2C,
            P | A,
            1,
            151,
            129,
            Established,
            Established,
            None,
        ),
        head(
            6,
            Dir::S2C,
            HttpKind::Response {
                status: 101,
                reason: "Switching Protocols".into(),
            },
            &[
                ("Upgrade", "websocket"),
                ("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
            ],
        ),
        Event::WsHandshake(Box::new(WsHandshake {
            conn: 1,
            pkt: 6,
            ts: Ts(6_000_000),
            status: 101,
            key: Some("dGhlIHNhbXBsZSBub25jZQ==".into()),
            accept: Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".into()),
            expected_accept: Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".into()),
            accept_ok: true,
            version: Some("13".into()),
            protocol: None,
            extensions: None,
            deflate: None,
            upgraded: true,
            problems: vec![],
            tls: false,
        })),
        seg(
            7,
            Dir::C2S,
            P | A,
            151,
            130,
            11,
            Established,
            Established,
            None,
        ),
        frame(7, Dir::C2S, Opcode::Text, true, 5, hello),
        msg(7, Dir::C2S, Opcode::Text, Some("Hello"), None),
        seg(
            8,
            Dir::S2C,
            P | A,
            130,
            162,
            7,
            Established,
            Established,
            None,
        ),
        frame(8, Dir::S2C, Opcode::Text, false, 5, b"Hello".to_vec()),
        msg(8, Dir::S2C, Opcode::Text, Some("Hello"), None),
        seg(
            9,
            Dir::C2S,
            P | A,
            162,
            137,
            8,
            Established,
            Established,
            None,
        ),
        frame(9, Dir::C2S, Opcode::Close, true, 2, vec![0x3c, 0x12]),
        msg(9, Dir::C2S, Opcode::Close, None, Some(1000)),
        seg(
            10,
            Dir::S2C,
            F | A,
            137,
            170,
            0,
            Established,
            CloseWait,
            None,
        ),
        seg(11, Dir::C2S, F | A, 170, 138, 0, TimeWait, LastAck, None),
        seg(12, Dir::S2C, A, 138, 171, 0, TimeWait, Closed, None),
        Event::ConnClose(ConnClose {
            conn: 1,
            pkt: 12,
            ts: Ts(12_000_000),
            how: CloseHow::Fin,
            client_state: TimeWait,
            server_state: Closed,
        }),
    ];
    let mut b = Batch::default();
    for n in 1..=12u64 {
        // Stand-in bytes: an all-zero 54-byte header, then for frame packets the frame itself.
        let mut data = vec![0u8; 54];
        if n == 7 {
            data.extend_from_slice(&raw[..6]);
            data.extend_from_slice(b"\x7f\x9f\x4d\x51\x58");
        }
        data[53] = n as u8;
        b.push_packet(n, n as i64 * 1_000_000, 1, data.len() as u32, &data);
    }
    b.events = events;
    b
}

fn model_with(b: Batch, playback: bool, w: u16, h: u16) -> Model {
    let mut m = Model::new("test".into(), ThemeName::Dark, playback);
    update(&mut m, Msg::Resize(w, h));
    update(&mut m, Msg::Feed(Feed::Batch(b)));
    update(&mut m, Msg::Feed(Feed::Done));
    m
}

fn key(m: &mut Model, code: KeyCode) {
    update(m, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn chars(m: &mut Model, s: &str) {
    for c in s.chars() {
        key(m, KeyCode::Char(c));
    }
}

fn label(m: &Model) -> String {
    m.cursor.and_then(|c| m.label(c)).unwrap_or_default()
}

pub(super) fn render(m: &Model, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| super::view(m, f)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut s = String::new();
    for y in 0..h {
        let mut line = String::new();
        let mut x = 0;
        while x < w {
            let sym = buf[(x, y)].symbol();
            line.push_str(sym);
            // A wide character covers the next cell too; that cell is not text of its own.
            x += super::wrap::width(sym).max(1) as u16;
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

#[test]
fn first_event_selected_when_data_arrives() {
    let m = model_with(conversation(), false, 80, 24);
    assert_eq!(label(&m), "SYN seq=0");
    assert_eq!(m.conn, Some(1));
    // Outside playback every row is shown at once: one arrow per packet, 19 per layer.
    assert_eq!(m.visible_rows().len(), 14);
}

#[test]
fn stepping_reveals_the_story_in_order() {
    let mut m = model_with(conversation(), true, 80, 24);
    assert_eq!(m.visible_rows().len(), 1);
    let mut seen = vec![label(&m)];
    for _ in 0..6 {
        key(&mut m, KeyCode::Char('n'));
        seen.push(label(&m));
    }
    // One arrow per packet: the segments carrying the GET and the 101 are their rows.
    assert_eq!(
        seen[..7],
        [
            "SYN seq=0",
            "SYN,ACK seq=0 ack=1",
            "ACK ack=1",
            "step 2/4 GET /chat  Upgrade: websocket · seq=1 ack=1 len=150",
            "ACK ack=151",
            "step 3/4 101 Switching Protocols · seq=1 ack=151 len=129",
            "step 4/4 WebSocket open, Accept ✓",
        ]
    );
    assert_eq!(m.visible_rows().len(), 7);
    key(&mut m, KeyCode::Char('p'));
    assert_eq!(
        label(&m),
        "step 3/4 101 Switching Protocols · seq=1 ack=151 len=129"
    );
    assert_eq!(
        m.visible_rows().len(),
        6,
        "stepping back hides the future again"
    );
    // Per layer (x), the segment and its meaning are two steps, in the same place.
    key(&mut m, KeyCode::Char('x'));
    assert_eq!(label(&m), "step 3/4 101 Switching Protocols");
    key(&mut m, KeyCode::Char('p'));
    assert_eq!(label(&m), "ACK,PSH seq=1 ack=151 len=129");
    // Back to one arrow per packet, standing on the segment: its row is the 101's.
    key(&mut m, KeyCode::Char('x'));
    assert_eq!(
        label(&m),
        "step 3/4 101 Switching Protocols · seq=1 ack=151 len=129"
    );
    key(&mut m, KeyCode::End);
    assert!(!m.playback);
    assert_eq!(label(&m), "connection closed (fin)");
    key(&mut m, KeyCode::Home);
    assert!(m.playback);
    assert_eq!(label(&m), "SYN seq=0");
}

#[test]
fn play_advances_with_time_and_pauses() {
    let mut m = model_with(conversation(), false, 80, 24);
    key(&mut m, KeyCode::Char(' '));
    assert!(m.playing && m.playback);
    assert_eq!(label(&m), "SYN seq=0");
    update(&mut m, Msg::Tick { ms: 100 });
    assert_eq!(label(&m), "SYN seq=0", "too early for the next event");
    update(
        &mut m,
        Msg::Tick {
            ms: super::model::MIN_STEP_MS as u64,
        },
    );
    assert_eq!(label(&m), "SYN,ACK seq=0 ack=1");
    // Ten times faster: one minimal step now takes a tenth of the time.
    key(&mut m, KeyCode::Char('+'));
    key(&mut m, KeyCode::Char('+'));
    key(&mut m, KeyCode::Char('+'));
    assert_eq!(m.speed(), 10.0);
    update(&mut m, Msg::Tick { ms: 50 });
    assert_eq!(label(&m), "ACK ack=1");
    update(&mut m, Msg::Tick { ms: 50 });
    assert_eq!(label(&m), "ACK ack=1");
    key(&mut m, KeyCode::Char(' '));
    assert!(!m.playing);
    update(&mut m, Msg::Tick { ms: 100_000 });
    assert_eq!(label(&m), "ACK ack=1", "paused playback stays put");
    // Playing to the end stops by itself.
    key(&mut m, KeyCode::Char(' '));
    for _ in 0..100 {
        update(&mut m, Msg::Tick { ms: 1000 });
    }
    assert!(!m.playing);
    assert_eq!(label(&m), "connection closed (fin)");
}

#[test]
fn layer_filter_and_hidden_acks() {
    let mut m = model_with(conversation(), false, 80, 24);
    key(&mut m, KeyCode::Char('l'));
    assert_eq!(m.layer, LayerFilter::Tcp);
    key(&mut m, KeyCode::Char('l'));
    assert_eq!(m.layer, LayerFilter::Http);
    let labels: Vec<String> = m
        .visible_rows()
        .iter()
        .map(|&i| m.label(i as usize).unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "step 2/4 GET /chat  Upgrade: websocket",
            "step 3/4 101 Switching Protocols",
            "step 4/4 WebSocket open, Accept ✓"
        ]
    );
    assert_eq!(
        label(&m),
        "step 2/4 GET /chat  Upgrade: websocket",
        "cursor moved onto a shown event"
    );
    key(&mut m, KeyCode::Char('l'));
    let labels: Vec<String> = m
        .visible_rows()
        .iter()
        .map(|&i| m.label(i as usize).unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "Text \"Hello\" (masked)",
            "Text \"Hello\"",
            "Close 1000 (masked)"
        ]
    );
    key(&mut m, KeyCode::Char('l'));
    assert_eq!(m.layer, LayerFilter::App);
    key(&mut m, KeyCode::Char('l'));
    // A ws:// conversation has no TLS rows.
    assert_eq!(m.layer, LayerFilter::Tls);
    assert!(m.visible_rows().is_empty());
    key(&mut m, KeyCode::Char('l'));
    assert_eq!(m.layer, LayerFilter::All);
    let all = m.visible_rows().len();
    key(&mut m, KeyCode::Char('a'));
    // "ACK ack=151" is the only pure ACK that changes nothing (the handshake ACK and the last
    // ACK change states, so they stay).
    assert_eq!(m.visible_rows().len(), all - 1);
    assert!(
        m.visible_rows()
            .iter()
            .all(|&i| m.label(i as usize).unwrap() != "ACK ack=151")
    );
}

#[test]
fn search_filters_rows_and_escape_clears() {
    let mut m = model_with(conversation(), false, 80, 24);
    key(&mut m, KeyCode::Char('/'));
    chars(&mut m, "fin");
    assert_eq!(m.search_input.as_deref(), Some("fin"));
    key(&mut m, KeyCode::Enter);
    let labels: Vec<String> = m
        .visible_rows()
        .iter()
        .map(|&i| m.label(i as usize).unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "ACK,FIN seq=137 ack=170",
            "ACK,FIN seq=170 ack=138",
            "connection closed (fin)"
        ]
    );
    key(&mut m, KeyCode::Char('n'));
    assert_eq!(label(&m), "ACK,FIN seq=170 ack=138");
    key(&mut m, KeyCode::Esc);
    assert!(m.search.is_empty());
    assert_eq!(m.visible_rows().len(), 14);
}

#[test]
fn raw_sequence_numbers_toggle() {
    let mut m = model_with(conversation(), false, 80, 24);
    key(&mut m, KeyCode::Char('n'));
    assert_eq!(label(&m), "SYN,ACK seq=0 ack=1");
    key(&mut m, KeyCode::Char('r'));
    assert_eq!(label(&m), "SYN,ACK seq=7000000 ack=1000001");
}

#[test]
fn detail_focus_moves_the_byte_highlight() {
    let mut m = model_with(conversation(), false, 80, 24);
    // Select the client's Text frame.
    while !label(&m).starts_with("Text \"Hello\" (masked)") {
        assert!(m.step(true));
    }
    let d = &m.detail;
    assert!(d.lines.iter().any(|l| l.text.contains("XOR")));
    assert!(
        d.lines.iter().any(|l| l.text.contains("7f ^ 37 = 48  'H'")),
        "{:#?}",
        d.lines
    );
    key(&mut m, KeyCode::Tab);
    assert_eq!(m.focus, Focus::Detail);
    let first = m.detail_sel.unwrap();
    assert_eq!(
        m.detail.lines[first].span,
        Some(54..55),
        "FIN sits in the frame's first byte"
    );
    for _ in 0..7 {
        key(&mut m, KeyCode::Down);
    }
    let sel = m.detail_sel.unwrap();
    assert!(m.detail.lines[sel].text.starts_with("Masking key"));
    assert_eq!(m.detail.lines[sel].span, Some(56..60));
}

#[test]
fn theme_cycles_and_help_toggles() {
    let mut m = model_with(conversation(), false, 80, 24);
    key(&mut m, KeyCode::Char('t'));
    assert_eq!(m.theme, ThemeName::Light);
    key(&mut m, KeyCode::Char('t'));
    assert_eq!(m.theme, ThemeName::Contrast);
    key(&mut m, KeyCode::Char('?'));
    assert!(m.show_help);
    key(&mut m, KeyCode::Char('x'));
    assert!(!m.show_help);
    key(&mut m, KeyCode::Char('q'));
    assert!(m.quit);
}

#[test]
fn events_arriving_in_batches_extend_the_ladder() {
    let all = conversation();
    // Cut between the segment carrying the GET and the GET itself, as a live source may.
    assert!(matches!(&all.events[4], Event::Tcp(t) if t.len > 0));
    assert!(matches!(&all.events[5], Event::Http(_)));
    let first = Batch {
        events: all.events[..5].to_vec(),
        ..Batch::default()
    };
    let rest = Batch {
        events: all.events[5..].to_vec(),
        ..Batch::default()
    };
    let mut m = model_with(first, false, 80, 24);
    assert_eq!(
        m.visible_rows().len(),
        4,
        "the segment shows until its meaning arrives"
    );
    // A class standing on that segment (a paced demo) stands on the GET once it arrives.
    let mut on_seg = model_with(
        Batch {
            events: all.events[..5].to_vec(),
            ..Batch::default()
        },
        false,
        80,
        24,
    );
    on_seg.select(4);
    update(
        &mut on_seg,
        Msg::Feed(Feed::Batch(Batch {
            events: all.events[5..].to_vec(),
            ..Batch::default()
        })),
    );
    assert_eq!(on_seg.cursor, Some(5));
    assert!(label(&on_seg).starts_with("step 2/4 GET /chat"));
    update(&mut m, Msg::Feed(Feed::Batch(rest)));
    // One arrow per packet: the five data segments are drawn on their meanings' rows.
    assert_eq!(m.visible_rows().len(), 14);
    assert!(!m.visible_rows().contains(&4));
    assert_eq!(
        label(&m),
        "SYN seq=0",
        "selection stays where the user put it"
    );
    key(&mut m, KeyCode::Char('x'));
    assert_eq!(m.visible_rows().len(), 19, "one arrow per layer");
}

#[test]
fn hostile_strings_never_reach_the_screen_raw() {
    let mut b = conversation();
    if let Some(Event::Http(h)) = b.events.get_mut(5) {
        h.kind = HttpKind::Request {
            method: "GET".into(),
            path: "/\x1b]0;pwned\x07\u{202e}x".into(),
        };
    }
    // Wide enough that the ladder row shows the whole escaped path after "step 2/4 GET ".
    let mut m = model_with(b, false, 160, 40);
    m.step(true);
    let s = render(&m, 160, 40);
    assert!(!s.contains('\x1b') && !s.contains('\u{202e}') && !s.contains('\x07'));
    assert!(s.contains("\\x1b]0;pwned\\x07\\u{202e}x"), "{s}");
}

#[test]
fn tiny_and_huge_terminals_do_not_panic() {
    let m = model_with(conversation(), false, 80, 24);
    for (w, h) in [(1, 1), (10, 5), (40, 12), (80, 24), (300, 100)] {
        let mut m2 = model_with(conversation(), false, w, h);
        update(&mut m2, Msg::Resize(w, h));
        render(&m2, w, h);
    }
    render(&m, 80, 24);
}

#[test]
fn snapshot_ladder_80x24() {
    let mut m = model_with(conversation(), true, 80, 24);
    // To the client's first data packet: one arrow per packet, `Text "Hello"` with its numbers.
    for _ in 0..7 {
        key(&mut m, KeyCode::Char('n'));
    }
    assert!(label(&m).starts_with("Text \"Hello\" (masked) · seq=151"));
    insta::assert_snapshot!(render(&m, 80, 24));
}

#[test]
fn snapshot_frame_detail_160x48() {
    let mut m = model_with(conversation(), false, 160, 48);
    while !label(&m).starts_with("Text \"Hello\" (masked)") {
        assert!(m.step(true));
    }
    key(&mut m, KeyCode::Tab);
    insta::assert_snapshot!(render(&m, 160, 48));
}

#[test]
fn snapshot_handshake_accept_160x48() {
    let mut m = model_with(conversation(), false, 160, 48);
    while !label(&m).starts_with("step 4/4 WebSocket open") {
        assert!(m.step(true));
    }
    insta::assert_snapshot!(render(&m, 160, 48));
}

#[test]
fn snapshot_help_80x24() {
    let mut m = model_with(conversation(), false, 80, 24);
    key(&mut m, KeyCode::Char('?'));
    insta::assert_snapshot!(render(&m, 80, 24));
}

/// The embedded classroom capture, decoded as the UI would.
fn classroom(playback: bool, w: u16, h: u16) -> Model {
    let b = super::decode_all(super::EMBEDDED_CAPTURE).expect("classroom.pcap decodes");
    model_with(b, playback, w, h)
}

#[test]
fn classroom_handshake_steps_in_order() {
    let mut m = classroom(true, 80, 24);
    let mut labels = vec![label(&m)];
    for _ in 0..2 {
        key(&mut m, KeyCode::Char('n'));
        labels.push(label(&m));
    }
    assert!(labels[0].starts_with("SYN seq=0"), "{labels:?}");
    assert!(labels[1].starts_with("SYN,ACK seq=0 ack=1"), "{labels:?}");
    assert!(labels[2].starts_with("ACK ack=1"), "{labels:?}");
    // The detail pane opens on the TCP header, and the bytes pane highlights it.
    let sel = m.detail_sel.expect("a field is selected");
    assert_eq!(m.detail.lines[sel].name, "tcp");
    assert!(
        m.detail.lines[sel]
            .span
            .as_ref()
            .is_some_and(|s| s.start == 34)
    );
}

#[test]
fn snapshot_classroom_80x24() {
    let mut m = classroom(true, 80, 24);
    // To the upgrade request, drawn on the segment that carries it.
    for _ in 0..3 {
        key(&mut m, KeyCode::Char('n'));
    }
    assert!(label(&m).starts_with("step 2/4 GET /chat"));
    insta::assert_snapshot!(render(&m, 80, 24));
}

#[test]
fn snapshot_classroom_160x48() {
    let mut m = classroom(false, 160, 48);
    key(&mut m, KeyCode::End);
    insta::assert_snapshot!(render(&m, 160, 48));
}

#[test]
fn mouse_click_selects_a_ladder_row_and_wheel_scrolls() {
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut m = model_with(conversation(), false, 160, 48);
    let a = m.areas();
    // Third drawn row (below the title and the lifeline heading) is the handshake ACK.
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: a.ladder.x + 20,
        row: a.ladder.y + 2 + 2,
        modifiers: KeyModifiers::NONE,
    };
    update(&mut m, Msg::Mouse(click));
    assert_eq!(label(&m), "ACK ack=1");
    assert_eq!(m.focus, Focus::Ladder);
    let wheel = MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: a.ladder.x + 20,
        row: a.ladder.y + 3,
        modifiers: KeyModifiers::NONE,
    };
    update(&mut m, Msg::Mouse(wheel));
    assert_eq!(m.ladder_offset, 3);
}

/// The connection row as drawn (first connection), for checks on what it claims.
fn conn_row(m: &Model, w: u16, h: u16) -> String {
    render(m, w, h)
        .lines()
        .find(|l| l.trim_start().starts_with("1 "))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn connection_shows_ws_only_once_playback_reaches_the_handshake() {
    let mut m = classroom(true, 80, 24);
    let mut steps = 0;
    while !label(&m).starts_with("step 4/4 WebSocket open") {
        let row = conn_row(&m, 80, 24);
        assert!(row.contains(" tcp "), "before the handshake: {row}");
        assert!(
            !row.contains(" ws "),
            "the upgrade has not happened yet: {row}"
        );
        assert!(m.step(true));
        steps += 1;
    }
    assert!(steps > 5);
    let row = conn_row(&m, 80, 24);
    assert!(row.contains(" ws "), "after the handshake: {row}");
    // Stepping back before it hides it again; leaving playback shows the whole story.
    key(&mut m, KeyCode::Char('p'));
    assert!(conn_row(&m, 80, 24).contains(" tcp "));
    key(&mut m, KeyCode::End);
    assert!(conn_row(&m, 80, 24).contains(" ws "));
}

#[test]
fn narration_pane_speaks_the_chosen_language() {
    let mut m = classroom(true, 80, 24);
    m.set_lang(crate::teach::Lang::Zh);
    key(&mut m, KeyCode::Char('n'));
    key(&mut m, KeyCode::Char('n'));
    assert_eq!(label(&m), "ACK ack=1");
    assert!(
        m.narration[0].starts_with("三次握手第 3 次"),
        "{:?}",
        m.narration
    );
    let screen = render(&m, 80, 24);
    assert!(screen.contains("发生了什么"), "{screen}");
    assert!(screen.contains("三次握手第 3 次"), "{screen}");
    // Switching back re-narrates the same event.
    m.set_lang(crate::teach::Lang::En);
    assert!(
        m.narration[0].starts_with("Handshake 3/3"),
        "{:?}",
        m.narration
    );
    assert!(render(&m, 80, 24).contains("What happened"));
}

#[test]
fn narration_uses_what_earlier_events_of_the_connection_taught() {
    let mut m = model_with(conversation(), true, 120, 40);
    key(&mut m, KeyCode::Char('n'));
    assert_eq!(label(&m), "SYN,ACK seq=0 ack=1");
    // The SYN,ACK is explained with the client's ISN, known only from the SYN before it.
    assert!(m.narration[0].contains("1000000+1"), "{:?}", m.narration);
    // Jumping straight to it (no stepping) gives the same sentences.
    let here = m.cursor.unwrap();
    key(&mut m, KeyCode::End);
    let mut clicked = model_with(conversation(), false, 120, 40);
    clicked.select(here);
    assert!(clicked.narration[0].contains("1000000+1"));
    // The first segment also tells what the connection is (its opening has no row).
    key(&mut m, KeyCode::Home);
    assert_eq!(label(&m), "SYN seq=0");
    assert!(
        m.narration[0].starts_with("Handshake 1/3"),
        "{:?}",
        m.narration
    );
    assert!(
        m.narration
            .iter()
            .any(|s| s.starts_with("New TCP connection 1")),
        "{:?}",
        m.narration
    );
}

/// A long conversation: the classroom story with many data segments in the middle, so the
/// narration context is rebuilt across several checkpoints.
fn long_conversation(extra: u32) -> Batch {
    let mut b = conversation();
    // After the handshake ACK (index 3: ConnOpen, SYN, SYN,ACK, ACK).
    let tail = b.events.split_off(4);
    for i in 0..extra {
        let dir = if i % 3 == 0 { Dir::S2C } else { Dir::C2S };
        b.events.push(seg(
            4,
            dir,
            TcpFlags::ACK | TcpFlags::PSH,
            1 + i,
            1,
            1,
            TcpState::Established,
            TcpState::Established,
            None,
        ));
    }
    b.events.extend(tail);
    b
}

#[test]
fn checkpointed_narration_equals_a_full_replay() {
    use crate::teach::{Lang, Narrator};
    let extra = 3 * super::narration::CHECKPOINT_EVERY as u32 + 17;
    let b = long_conversation(extra);
    let events = b.events.clone();
    let mut expected = Vec::new();
    let mut n = Narrator::new(Lang::En);
    for ev in &events {
        expected.push(n.next(ev));
    }
    let mut m = model_with(b, false, 120, 40);
    // Out of order on purpose: far, back, across checkpoints, near the start.
    let picks = [
        events.len() - 2,
        2,
        2000,
        1025,
        1024,
        3 * 1024 + 5,
        7,
        4,
        3100,
    ];
    for &i in &picks {
        if !matches!(events[i], Event::Tcp(_)) || i < 2 {
            continue;
        }
        m.select(i);
        assert_eq!(m.narration, expected[i], "event {i}");
    }
    // Only the first data segment per direction explains the piggy-backed ACK: context works.
    // The first one acknowledges only the server's SYN (ack=1): there is no data to confirm.
    assert!(
        expected[4]
            .iter()
            .any(|s| s.contains("has sent no data yet"))
    );
    assert!(
        expected
            .iter()
            .any(|e| e.iter().any(|s| s.contains("rides along")))
    );
    assert!(!expected[2000].iter().any(|s| s.contains("rides along")));
}

#[test]
fn comparison_overlay_counts_the_whole_capture_as_it_arrives() {
    use crate::teach::{Lang, stats};
    let all = conversation();
    let first = Batch {
        events: all.events[..6].to_vec(),
        ..Batch::default()
    };
    let rest = Batch {
        events: all.events[6..].to_vec(),
        ..Batch::default()
    };
    let mut m = model_with(first, false, 100, 30);
    key(&mut m, KeyCode::Char('c'));
    assert!(m.show_compare);
    let before = m.compare_text.clone();
    assert_eq!(
        before,
        stats::render_text(&stats::compare(&all.events[..6]), "test", Lang::En)
    );
    // More events arrive while the overlay is open: it follows them.
    update(&mut m, Msg::Feed(Feed::Batch(rest)));
    assert_eq!(
        m.compare_text,
        stats::render_text(&stats::compare(&all.events), "test", Lang::En)
    );
    assert_ne!(m.compare_text, before);
    let screen = render(&m, 100, 30);
    assert!(screen.contains("Polling vs WebSocket"), "{screen}");
    assert!(screen.contains("messages delivered"), "{screen}");
    // Any key closes it; in Chinese it says the same in Chinese.
    key(&mut m, KeyCode::Char('x'));
    assert!(!m.show_compare);
    m.set_lang(Lang::Zh);
    key(&mut m, KeyCode::Char('c'));
    let screen = render(&m, 100, 30);
    assert!(screen.contains("轮询"), "{screen}");
    assert!(screen.contains("送达的消息"), "{screen}");
}

#[test]
fn comparison_of_the_polling_capture_matches_the_stats_command() {
    use crate::teach::{Lang, stats};
    let Ok(bytes) = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/captures/polling-vs-ws.pcap"
    )) else {
        panic!("captures/polling-vs-ws.pcap is part of the repository");
    };
    let b = super::decode_all(&bytes).expect("decodes");
    let want = stats::compare(&b.events);
    assert!(want.polling.connections > 1 && want.websocket.connections == 1);
    let mut m = model_with(b, false, 80, 24);
    m.set_lang(Lang::Zh);
    key(&mut m, KeyCode::Char('c'));
    assert_eq!(m.compare_text, stats::render_text(&want, "test", Lang::Zh));
    // At 80x24 every line of the table stays inside the screen (CJK counts two columns).
    let screen = render(&m, 80, 24);
    assert!(screen.contains("打开的 TCP 连接"), "{screen}");
    for l in screen.lines() {
        assert!(super::wrap::width(l) <= 80, "{l}");
    }
}

#[test]
fn narration_pane_scrolls_when_focused() {
    let mut m = classroom(true, 80, 24);
    // The first segment tells the SYN and the connection: more than fits at 80x24.
    let total = m.narration_lines().len();
    let rows = m.areas().narration_rows();
    assert!(total > rows, "{total} lines, {rows} rows");
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Tab);
    assert_eq!(m.focus, Focus::Narration);
    key(&mut m, KeyCode::PageDown);
    assert_eq!(m.narration_offset, (total - rows).min(rows));
    for _ in 0..total {
        key(&mut m, KeyCode::Down);
    }
    assert_eq!(m.narration_offset, total - rows, "stops at the last line");
    let screen = render(&m, 80, 24);
    let last = m.narration_lines().last().cloned().unwrap();
    assert!(screen.contains(last.trim()), "{screen}");
    // A new selection starts at its first sentence.
    key(&mut m, KeyCode::Char('n'));
    assert_eq!(m.narration_offset, 0);
}

#[test]
fn classroom_client_frame_shows_its_unmasking() {
    // The decoder must hand the UI the masked payload bytes it asked for.
    let mut m = classroom(false, 160, 48);
    while !label(&m).starts_with("Text \"Hello\" (masked)") {
        assert!(m.step(true));
    }
    let text: Vec<&str> = m.detail.lines.iter().map(|l| l.text.as_str()).collect();
    assert!(text.iter().any(|l| l.starts_with("Unmasking")), "{text:#?}");
    // 'H' unmasked from the first wire byte with the first key byte.
    assert!(
        text.iter()
            .any(|l| l.starts_with(" 0  ") && l.ends_with("= 48  'H'")),
        "{text:#?}"
    );
}

/// A bundled capture decoded as the UI would.
fn bundled(name: &str, playback: bool, w: u16, h: u16) -> Model {
    let path = format!("{}/captures/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(path).expect("bundled capture");
    model_with(super::decode_all(&bytes).expect("decodes"), playback, w, h)
}

/// Classroom lesson 1: `End`, `/FIN`, Enter shows the whole teardown, not only the last match.
#[test]
fn search_after_end_keeps_the_earlier_matches_in_view() {
    for (w, h) in [(80, 24), (100, 30)] {
        let mut m = classroom(true, w, h);
        key(&mut m, KeyCode::End);
        key(&mut m, KeyCode::Char('/'));
        chars(&mut m, "FIN");
        key(&mut m, KeyCode::Enter);
        let rows = m.ladder.rows.clone();
        assert!(rows.len() >= 2, "both FINs match: {rows:?}");
        assert!(rows.len() <= m.areas().ladder_rows(), "they fit the pane");
        assert_eq!(m.visible_rows().len(), rows.len());
        assert_eq!(m.ladder_offset, 0, "the pane starts at the first match");
        let screen = render(&m, w, h);
        let fin_lines = screen.lines().filter(|l| l.contains("FIN")).count();
        assert!(fin_lines >= rows.len(), "{screen}");
        // The selection is the last match, still in view.
        assert_eq!(m.cursor, rows.last().map(|&r| r as usize));
    }
}

/// ↓ in the Connections pane selects the next connection where the story is, not at its start.
#[test]
fn choosing_a_connection_keeps_the_playback_place() {
    let mut m = bundled("polling-vs-ws.pcap", true, 100, 30);
    assert!(m.store.conns.len() >= 3);
    for _ in 0..60 {
        key(&mut m, KeyCode::Char('n'));
    }
    let place = m.horizon().unwrap();
    let conns = m.visible_conns();
    assert!(conns >= 2, "several connections opened by event {place}");
    key(&mut m, KeyCode::BackTab);
    assert_eq!(m.focus, Focus::Conns);
    let before = m.conn.unwrap() as usize;
    let (k, want) = if before < conns {
        (KeyCode::Down, before + 1)
    } else {
        (KeyCode::Up, before - 1)
    };
    key(&mut m, k);
    assert_eq!(m.conn, Some(want as ConnId));
    assert_eq!(m.horizon(), Some(place), "the place in the story is kept");
    assert_eq!(m.visible_conns(), conns, "no connection disappears");
    assert!(m.cursor.unwrap() <= place);
    let header = render(&m, 100, 30).lines().next().unwrap().to_string();
    assert!(
        header.contains(&format!("event {}/", place + 1)),
        "{header}"
    );
    // The selected event is the new connection's, so the panes agree.
    let c = m.cursor.unwrap();
    assert_eq!(m.store.event(c).unwrap().conn(), m.conn);
    // Stepping on continues from the place, not from that connection's first event.
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Char('n'));
    assert!(m.horizon().unwrap() >= place);
}

/// `l` cycles the layer filter without moving the playback place backwards.
#[test]
fn the_layer_filter_never_moves_playback_backwards() {
    let mut m = classroom(true, 80, 24);
    for _ in 0..12 {
        key(&mut m, KeyCode::Char('n'));
    }
    let place = m.horizon().unwrap();
    let cursor = m.cursor;
    // Round the whole cycle (however many layers there are) back to "all".
    for _ in 0..10 {
        key(&mut m, KeyCode::Char('l'));
        assert!(m.horizon().unwrap() >= place, "layer {:?}", m.layer);
        assert!(m.visible_rows().iter().all(|&r| r as usize <= place));
        if m.layer == LayerFilter::All {
            break;
        }
    }
    assert_eq!(m.layer, LayerFilter::All);
    assert_eq!(m.horizon(), Some(place));
    // Back on "all", the selection is near where it was (the nearest shown event).
    assert!(m.cursor.unwrap() <= place && m.cursor.unwrap() + 3 >= cursor.unwrap());
}

fn live_model() -> Model {
    let mut m = Model::new("live".into(), ThemeName::Dark, false);
    m.set_live(super::LiveStatus {
        running: "capturing on lo (pnet) · recording to s.pcap".into(),
        ended: "capture ended".into(),
    });
    update(&mut m, Msg::Resize(100, 30));
    m
}

fn part(all: &Batch, r: std::ops::Range<usize>) -> Feed {
    Feed::Batch(Batch {
        events: all.events[r].to_vec(),
        ..Batch::default()
    })
}

/// A live source is followed while the view is at its newest event, like `less +F`.
#[test]
fn a_live_source_is_followed_until_the_user_steps_back() {
    let all = conversation();
    let n = all.events.len();
    let mut m = live_model();
    update(&mut m, Msg::Feed(part(&all, 0..4)));
    assert_eq!(m.cursor, Some(3), "at the newest event");
    update(&mut m, Msg::Feed(part(&all, 4..8)));
    assert_eq!(m.cursor, Some(7), "followed");
    let header = render(&m, 100, 30).lines().next().unwrap().to_string();
    assert!(
        header.contains("capturing on lo (pnet) · recording to s.pcap"),
        "{header}"
    );
    assert!(header.contains("following"), "{header}");
    assert!(!header.contains("loading"), "{header}");
    // Stepping back stops following.
    key(&mut m, KeyCode::Char('p'));
    let held = m.cursor;
    update(&mut m, Msg::Feed(part(&all, 8..12)));
    assert_eq!(m.cursor, held, "the user's place is kept");
    assert!(render(&m, 100, 30).contains("paused (End follows)"));
    // End resumes it.
    key(&mut m, KeyCode::End);
    assert_eq!(m.cursor, Some(11));
    update(&mut m, Msg::Feed(part(&all, 12..n)));
    assert_eq!(m.cursor, Some(n - 1));
    // Stepping forward onto the newest event also resumes it.
    key(&mut m, KeyCode::Char('p'));
    assert!(!m.follow);
    key(&mut m, KeyCode::Char('n'));
    assert!(m.follow);
    update(&mut m, Msg::Feed(Feed::Done));
    let header = render(&m, 100, 30).lines().next().unwrap().to_string();
    assert!(header.contains("capture ended"), "{header}");
    assert!(!header.contains("capturing on"), "{header}");
}

/// A file still being read says "loading…"; once read, it does not.
#[test]
fn loading_shows_only_while_a_file_is_read() {
    let mut m = Model::new("f.pcap".into(), ThemeName::Dark, false);
    update(&mut m, Msg::Resize(100, 30));
    update(&mut m, Msg::Feed(part(&conversation(), 0..4)));
    assert!(
        render(&m, 100, 30)
            .lines()
            .next()
            .unwrap()
            .contains("loading…")
    );
    update(&mut m, Msg::Feed(Feed::Done));
    assert!(!render(&m, 100, 30).contains("loading"));
}

#[test]
fn an_unknown_key_points_at_help() {
    let mut m = classroom(true, 80, 24);
    let before = m.cursor;
    key(&mut m, KeyCode::Char('z'));
    let screen = render(&m, 80, 24);
    assert!(
        screen
            .lines()
            .last()
            .unwrap()
            .contains("press ? for the keys"),
        "{screen}"
    );
    assert_eq!(m.cursor, before);
    key(&mut m, KeyCode::Char('n'));
    assert!(!render(&m, 80, 24).contains("press ? for the keys"));
}

/// Playing a live source's events from the start does not jump to the newest as they arrive.
#[test]
fn playing_stops_following() {
    let all = conversation();
    let mut m = live_model();
    update(&mut m, Msg::Feed(part(&all, 0..6)));
    key(&mut m, KeyCode::Char(' '));
    assert!(m.playing && !m.follow);
    let at = m.cursor;
    update(&mut m, Msg::Feed(part(&all, 6..12)));
    assert_eq!(m.cursor, at);
}

/// A TLS connection is listed as `tls` from its ClientHello on, and as `wss` once the
/// (decrypted) upgrade is reached, not as `tcp` and `ws`; at 80 and at 120 columns.
#[test]
fn a_tls_connection_is_listed_as_tls_then_wss() {
    let conn_row = |screen: &str| -> String {
        screen
            .lines()
            .find(|l| l.contains("127.0.0.1") && l.trim_start().starts_with('1'))
            .unwrap_or_else(|| panic!("no connection row:\n{screen}"))
            .to_string()
    };
    for (w, h) in [(80, 24), (120, 30)] {
        let mut m = bundled("demo-tls.pcapng", true, w, h);
        let row = conn_row(&render(&m, w, h));
        assert!(row.contains(" tcp "), "before the ClientHello: {row}");
        while !label(&m).contains("client_hello") {
            assert!(m.step(true));
        }
        let row = conn_row(&render(&m, w, h));
        assert!(row.contains(" tls "), "after the ClientHello: {row}");
        assert!(!row.contains("wss"), "{row}");
        key(&mut m, KeyCode::End);
        let row = conn_row(&render(&m, w, h));
        assert!(row.contains("wss"), "after the upgrade: {row}");
        assert!(!row.contains(" ws ") && !row.ends_with(" ws"), "{row}");
    }
    // A plain ws:// connection keeps its names.
    let m = bundled("classroom.pcap", false, 120, 30);
    let row = conn_row(&render(&m, 120, 30));
    assert!(row.contains(" tcp ") && row.ends_with(" ws"), "{row}");
}

/// A search's remembered matches give the rows a fresh test gives, also after the labels
/// change under it (raw sequence numbers, one arrow per layer, a layer filter) and back.
#[test]
fn remembered_search_results_follow_what_the_labels_say() {
    let mut m = bundled("lossy.pcap", false, 100, 30);
    key(&mut m, KeyCode::Char('/'));
    chars(&mut m, "seq=1 ");
    key(&mut m, KeyCode::Enter);
    let fresh = |m: &Model| -> Vec<usize> {
        let n = m.store.len();
        let mut t = bundled("lossy.pcap", false, 100, 30);
        t.conn = m.conn;
        t.raw_seq = m.raw_seq;
        t.per_layer = m.per_layer;
        t.layer = m.layer;
        t.search = m.search.clone();
        (0..n).filter(|&i| t.passes(i)).collect()
    };
    let mut seen = Vec::new();
    for k in ['r', 'x', 'l', 'r', 'x', 'l', 'l', 'l', 'l', 'l'] {
        let now: Vec<usize> = (0..m.store.len()).filter(|&i| m.passes(i)).collect();
        assert_eq!(now, fresh(&m), "after {seen:?}");
        seen.push(k);
        key(&mut m, KeyCode::Char(k));
    }
    assert!(!fresh(&m).is_empty(), "the search finds rows");
}
