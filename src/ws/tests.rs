//! Unit tests of the decoder state machine with hand-made frames (RFC 6455 §5.7 examples and
//! one test per violation code). Tungstenite-made frames and property tests live in `tests/`.

use super::*;
use crate::event::{Event, Note, Ts};
use sha2::{Digest, Sha256};

pub(crate) fn frame(fin: bool, rsv: u8, op: u8, key: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![(if fin { 0x80 } else { 0 }) | (rsv << 4) | op];
    let m = if key.is_some() { 0x80 } else { 0 };
    let n = payload.len();
    if n < 126 {
        v.push(m | n as u8);
    } else if n <= 0xffff {
        v.push(m | 126);
        v.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        v.push(m | 127);
        v.extend_from_slice(&(n as u64).to_be_bytes());
    }
    let mut p = payload.to_vec();
    if let Some(k) = key {
        v.extend_from_slice(&k);
        unmask(&mut p, k, 0);
    }
    v.extend_from_slice(&p);
    v
}

const K: Option<[u8; 4]> = Some([0x37, 0xfa, 0x21, 0x3d]);

fn cx(dir: Dir, pkt: u64) -> StreamCtx {
    StreamCtx {
        conn: 1,
        dir,
        pkt,
        ts: Ts(pkt as i64 * 1000),
    }
}

/// Feed each chunk as its own packet (numbered from 1), then end the stream.
fn run(dir: Dir, cfg: &WsConfig, chunks: &[&[u8]]) -> Vec<Event> {
    let mut evs = Vec::new();
    let mut sink = |e: Event| evs.push(e);
    let mut d = WsDirection::new(dir, cfg);
    for (i, c) in chunks.iter().enumerate() {
        d.feed(cx(dir, i as u64 + 1), c, &mut sink);
    }
    d.end(cx(dir, chunks.len() as u64 + 1), &mut sink);
    evs
}

fn frames(evs: &[Event]) -> Vec<&WsFrame> {
    evs.iter()
        .filter_map(|e| match e {
            Event::WsFrame(f) => Some(f),
            _ => None,
        })
        .collect()
}

fn messages(evs: &[Event]) -> Vec<&WsMessage> {
    evs.iter()
        .filter_map(|e| match e {
            Event::WsMessage(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn notes(evs: &[Event]) -> Vec<&Note> {
    evs.iter()
        .filter_map(|e| match e {
            Event::Note(n) => Some(n),
            _ => None,
        })
        .collect()
}

fn has_note(evs: &[Event], code: &str) -> bool {
    notes(evs).iter().any(|n| n.code == code)
}

fn sha(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

#[test]
fn rfc_single_frame_unmasked_text() {
    let evs = run(
        Dir::S2C,
        &WsConfig::default(),
        &[&[0x81, 0x05, b'H', b'e', b'l', b'l', b'o']],
    );
    assert_eq!(evs.len(), 2, "{evs:?}");
    let f = frames(&evs)[0];
    assert_eq!(f.header.opcode, Opcode::Text);
    assert_eq!(f.pkts.as_slice(), [1]);
    assert_eq!(f.stream_offset, 0);
    let m = messages(&evs)[0];
    assert_eq!(m.text.as_deref(), Some("Hello"));
    assert_eq!((m.len, m.wire_len, m.frames), (5, 5, 1));
    assert_eq!(m.sha256, sha(b"Hello"));
    assert!(!m.heuristic && !m.utf8_error);
}

#[test]
fn rfc_single_frame_masked_text() {
    let raw = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    let evs = run(Dir::C2S, &WsConfig::default(), &[&raw]);
    assert!(notes(&evs).is_empty(), "{evs:?}");
    let m = messages(&evs)[0];
    assert_eq!(m.text.as_deref(), Some("Hello"));
}

#[test]
fn rfc_fragmented_text_and_ping_between() {
    let a = [0x01, 0x03, b'H', b'e', b'l'];
    let ping = [0x89, 0x05, b'H', b'e', b'l', b'l', b'o'];
    let b = [0x80, 0x02, b'l', b'o'];
    let evs = run(Dir::S2C, &WsConfig::default(), &[&a, &ping, &b]);
    assert!(notes(&evs).is_empty(), "{evs:?}");
    let ms = messages(&evs);
    assert_eq!(ms.len(), 2);
    assert_eq!(ms[0].opcode, Opcode::Ping);
    assert_eq!(ms[0].data, b"Hello");
    assert_eq!(ms[0].frames, 1);
    assert_eq!(ms[1].text.as_deref(), Some("Hello"));
    assert_eq!(ms[1].frames, 2);
    assert_eq!(ms[1].pkt, 3);
    // Frame offsets in the stream.
    let fs = frames(&evs);
    assert_eq!(
        fs.iter().map(|f| f.stream_offset).collect::<Vec<_>>(),
        vec![0, 5, 12]
    );
    // Each message event comes right after the frame that completed it.
    let names: Vec<_> = evs.iter().map(|e| e.name()).collect();
    assert_eq!(
        names,
        [
            "ws_frame",
            "ws_frame",
            "ws_message",
            "ws_frame",
            "ws_message"
        ]
    );
}

#[test]
fn header_split_over_many_feeds_and_pkts_deduped() {
    let mut payload = vec![0u8; 70000];
    for (i, b) in payload.iter_mut().enumerate() {
        *b = (i % 251) as u8;
    }
    let raw = frame(true, 0, 2, K, &payload);
    // Byte-by-byte for the header, then big pieces.
    let mut chunks: Vec<&[u8]> = raw[..14].chunks(1).collect();
    chunks.extend(raw[14..].chunks(30000));
    let evs = run(Dir::C2S, &WsConfig::default(), &chunks);
    let f = frames(&evs)[0];
    assert_eq!(f.header.payload_len, 70000);
    assert_eq!(f.header.header_len, 14);
    assert_eq!(f.header.raw(), &raw[..14]);
    assert_eq!(
        f.pkts.to_vec(),
        (1..=chunks.len() as u64).collect::<Vec<_>>()
    );
    let m = messages(&evs)[0];
    assert_eq!(m.sha256, sha(&payload));
    // Binary payloads keep only a short preview (the hash covers everything).
    let keep = crate::limits::Limits::default().binary_preview;
    assert_eq!(m.data.len(), keep);
    assert!(m.data_truncated);
    assert_eq!(m.data[..], payload[..keep]);
}

#[test]
fn same_packet_twice_is_listed_once() {
    let raw = frame(true, 0, 2, None, &[1, 2, 3, 4]);
    let mut evs = Vec::new();
    let mut sink = |e: Event| evs.push(e);
    let mut d = WsDirection::new(Dir::S2C, &WsConfig::default());
    d.feed(cx(Dir::S2C, 7), &raw[..3], &mut sink);
    d.feed(cx(Dir::S2C, 7), &raw[3..], &mut sink);
    assert_eq!(frames(&evs)[0].pkts.as_slice(), [7]);
}

#[test]
fn previews_cut_text_on_char_boundary_and_frame_preview_is_masked() {
    let mut cfg = WsConfig::default();
    cfg.limits.message_preview = 4;
    cfg.limits.frame_preview = 3;
    let text = "ab€cd";
    let raw = frame(true, 0, 1, K, text.as_bytes());
    let evs = run(Dir::C2S, &cfg, &[&raw]);
    let m = messages(&evs)[0];
    assert_eq!(m.text.as_deref(), Some("ab"));
    assert!(m.text_truncated && !m.utf8_error);
    assert_eq!(m.len, text.len() as u64);
    assert_eq!(frames(&evs)[0].preview, raw[6..9].to_vec());
}

#[test]
fn zero_length_feed_and_empty_frames() {
    let raw = frame(true, 0, 1, None, b"");
    let evs = run(Dir::S2C, &WsConfig::default(), &[&[], &raw, &[]]);
    let m = messages(&evs)[0];
    assert_eq!(m.text.as_deref(), Some(""));
    assert_eq!(m.sha256, sha(b""));
}

#[test]
fn huge_length_claim_allocates_nothing_and_reports_incomplete() {
    let mut raw = vec![0x82, 127];
    raw.extend_from_slice(&(1u64 << 63).to_be_bytes());
    raw.extend_from_slice(&[0xaa; 1000]);
    let evs = run(Dir::S2C, &WsConfig::default(), &[&raw]);
    assert!(frames(&evs).is_empty());
    assert!(has_note(&evs, "ws-incomplete-frame"));
    // Also with a mask and the maximum value.
    let mut raw = vec![0x82, 0xff];
    raw.extend_from_slice(&u64::MAX.to_be_bytes());
    raw.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7]);
    let evs = run(Dir::C2S, &WsConfig::default(), &[&raw]);
    assert!(has_note(&evs, "ws-incomplete-frame"));
}

#[test]
fn violation_unmasked_client_and_masked_server() {
    let evs = run(
        Dir::C2S,
        &WsConfig::default(),
        &[&frame(true, 0, 1, None, b"x")],
    );
    assert!(has_note(&evs, "ws-unmasked-client-frame"));
    assert!(notes(&evs)[0].text.contains("§5.1"));
    let evs = run(
        Dir::S2C,
        &WsConfig::default(),
        &[&frame(true, 0, 1, K, b"x")],
    );
    assert!(has_note(&evs, "ws-masked-server-frame"));
    assert_eq!(messages(&evs)[0].text.as_deref(), Some("x"));
}

#[test]
fn violation_fragmented_control_and_too_long() {
    let evs = run(
        Dir::S2C,
        &WsConfig::default(),
        &[&frame(false, 0, 9, None, b"p")],
    );
    assert!(has_note(&evs, "ws-fragmented-control"));
    let evs = run(
        Dir::S2C,
        &WsConfig::default(),
        &[&frame(true, 0, 10, None, &[7; 126])],
    );
    assert!(has_note(&evs, "ws-control-too-long"));
    let m = messages(&evs)[0];
    assert_eq!((m.opcode, m.len), (Opcode::Pong, 126));
}

#[test]
fn violation_rsv_without_extension() {
    let evs = run(
        Dir::S2C,
        &WsConfig::default(),
        &[&frame(true, 4, 1, None, b"x")],
    );
    assert!(has_note(&evs, "ws-rsv-without-extension"));
    let evs = run(
        Dir::S2C,
        &WsConfig::default(),
        &[&frame(true, 2, 2, None, b"x")],
    );
    assert!(has_note(&evs, "ws-rsv-without-extension"));
    // With deflate negotiated, RSV1 on a control frame is still wrong.
    let cfg = WsConfig {
        deflate: Some(DeflateParams::default()),
        ..Default::default()
    };
    let evs = run(Dir::S2C, &cfg, &[&frame(true, 4, 9, None, b"")]);
    assert!(has_note(&evs, "ws-rsv-without-extension"));
    assert!(notes(&evs)[0].text.contains("RFC 7692"));
    let evs = run(
        Dir::S2C,
        &WsConfig::default(),
        &[&frame(true, 0, 1, None, b"x")],
    );
    assert!(notes(&evs).is_empty());
}

#[test]
fn violation_reserved_opcode() {
    for op in [3u8, 7, 0xb, 0xf] {
        let evs = run(
            Dir::S2C,
            &WsConfig::default(),
            &[&frame(true, 0, op, None, b"zz")],
        );
        assert!(has_note(&evs, "ws-reserved-opcode"), "op {op}");
        let m = messages(&evs)[0];
        assert_eq!(m.opcode.code(), op);
        assert_eq!(m.data, b"zz");
    }
}

#[test]
fn violation_invalid_utf8_split_across_frames() {
    // "€" = e2 82 ac, split over two fragments: valid.
    let a = frame(false, 0, 1, None, &[b'a', 0xe2]);
    let b = frame(true, 0, 0, None, &[0x82, 0xac]);
    let evs = run(Dir::S2C, &WsConfig::default(), &[&a, &b]);
    assert!(notes(&evs).is_empty(), "{evs:?}");
    assert_eq!(messages(&evs)[0].text.as_deref(), Some("a€"));
    // Truncated character at the end of the message: invalid.
    let b = frame(true, 0, 0, None, &[0x82]);
    let evs = run(Dir::S2C, &WsConfig::default(), &[&a, &b]);
    assert!(has_note(&evs, "ws-invalid-utf8"));
    assert!(messages(&evs)[0].utf8_error);
    // Invalid close reason.
    let evs = run(
        Dir::S2C,
        &WsConfig::default(),
        &[&frame(true, 0, 8, None, &[0x03, 0xe8, 0xff])],
    );
    assert!(has_note(&evs, "ws-invalid-utf8"));
}

#[test]
fn close_code_reason_and_violations() {
    let mut p = 1001u16.to_be_bytes().to_vec();
    p.extend_from_slice("bye ✓".as_bytes());
    let evs = run(Dir::C2S, &WsConfig::default(), &[&frame(true, 0, 8, K, &p)]);
    assert!(notes(&evs).is_empty(), "{evs:?}");
    let m = messages(&evs)[0];
    assert_eq!(m.close_code, Some(1001));
    assert_eq!(m.close_reason.as_deref(), Some("bye ✓"));
    for bad in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
        let evs = run(
            Dir::S2C,
            &WsConfig::default(),
            &[&frame(true, 0, 8, None, &bad.to_be_bytes())],
        );
        assert!(has_note(&evs, "ws-invalid-close-code"), "{bad}");
    }
    for good in [1000u16, 1003, 1007, 1014, 3000, 4999] {
        let evs = run(
            Dir::S2C,
            &WsConfig::default(),
            &[&frame(true, 0, 8, None, &good.to_be_bytes())],
        );
        assert!(notes(&evs).is_empty(), "{good}");
    }
    let evs = run(
        Dir::S2C,
        &WsConfig::default(),
        &[&frame(true, 0, 8, None, &[3])],
    );
    assert!(has_note(&evs, "ws-close-payload-1-byte"));
    assert_eq!(messages(&evs)[0].close_code, None);
}

#[test]
fn violation_data_after_close() {
    let close = frame(true, 0, 8, None, &1000u16.to_be_bytes());
    let text = frame(true, 0, 1, None, b"late");
    let evs = run(Dir::S2C, &WsConfig::default(), &[&close, &text, &text]);
    let n: Vec<_> = notes(&evs)
        .into_iter()
        .filter(|n| n.code == "ws-data-after-close")
        .collect();
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].pkt, Some(2));
    assert_eq!(messages(&evs).len(), 3);
}

#[test]
fn violation_continuation_without_start_and_new_message_before_fin() {
    let evs = run(
        Dir::S2C,
        &WsConfig::default(),
        &[&frame(true, 0, 0, None, b"orphan")],
    );
    assert!(has_note(&evs, "ws-continuation-without-start"));
    let m = messages(&evs)[0];
    assert_eq!(m.opcode, Opcode::Continuation);
    assert_eq!(m.data, b"orphan");

    let a = frame(false, 0, 1, None, b"first");
    let b = frame(true, 0, 2, None, b"second");
    let evs = run(Dir::S2C, &WsConfig::default(), &[&a, &b]);
    assert!(has_note(&evs, "ws-new-message-before-fin"));
    let ms = messages(&evs);
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0].data, b"second");
}

#[test]
fn incomplete_message_at_end() {
    let evs = run(
        Dir::S2C,
        &WsConfig::default(),
        &[&frame(false, 0, 1, None, b"part")],
    );
    assert!(has_note(&evs, "ws-incomplete-message"));
    assert!(!has_note(&evs, "ws-incomplete-frame"));
    let raw = frame(true, 0, 1, None, b"part");
    let evs = run(Dir::S2C, &WsConfig::default(), &[&raw[..1]]);
    assert!(has_note(&evs, "ws-incomplete-frame"));
}

#[test]
fn gap_drops_partial_frame_and_resyncs() {
    let a = frame(true, 0, 1, None, b"before");
    let big = frame(true, 0, 2, None, &[9u8; 300]);
    let c = frame(true, 0, 1, None, b"after");
    let d = frame(true, 0, 1, None, b"clean");
    let mut evs = Vec::new();
    let mut sink = |e: Event| evs.push(e);
    let mut dd = WsDirection::new(Dir::S2C, &WsConfig::default());
    dd.feed(cx(Dir::S2C, 1), &a, &mut sink);
    dd.feed(cx(Dir::S2C, 2), &big[..100], &mut sink);
    dd.gap(cx(Dir::S2C, 3), 150, &mut sink);
    // The rest of the big frame, then two whole frames, in one segment.
    let mut seg = big[250..].to_vec();
    seg.extend_from_slice(&c);
    seg.extend_from_slice(&d);
    dd.feed(cx(Dir::S2C, 3), &seg, &mut sink);
    dd.end(cx(Dir::S2C, 4), &mut sink);
    // One note for the gap, saying where frames were found again (no separate resync note).
    assert!(has_note(&evs, "ws-gap"));
    assert!(!has_note(&evs, "ws-resync"));
    let ms = messages(&evs);
    let texts: Vec<_> = ms.iter().map(|m| m.text.as_deref()).collect();
    assert_eq!(texts, vec![Some("before"), Some("after"), Some("clean")]);
    assert!(!ms[0].heuristic && ms[1].heuristic && !ms[2].heuristic);
    let fs = frames(&evs);
    assert_eq!(fs[1].stream_offset, (a.len() + big.len()) as u64);
    assert!(!has_note(&evs, "ws-incomplete-frame"));
}

#[test]
fn heuristic_start_mid_frame() {
    let a = frame(true, 0, 1, K, b"the tail of something");
    let b = frame(true, 0, 1, K, b"next");
    let mut seg = a[9..].to_vec();
    seg.extend_from_slice(&b);
    let cfg = WsConfig {
        heuristic: true,
        ..Default::default()
    };
    let evs = run(Dir::C2S, &cfg, &[&seg]);
    let ms = messages(&evs);
    assert_eq!(ms.last().unwrap().text.as_deref(), Some("next"));
    assert!(ms.iter().all(|m| m.heuristic));
    assert_eq!(
        frames(&evs).last().unwrap().stream_offset,
        (a.len() - 9) as u64
    );
}

#[test]
fn notes_are_capped_per_code() {
    let f = frame(true, 0, 1, None, b"x");
    let chunks: Vec<&[u8]> = (0..300).map(|_| &f[..]).collect();
    let evs = run(Dir::C2S, &WsConfig::default(), &chunks);
    let n = notes(&evs)
        .iter()
        .filter(|n| n.code == "ws-unmasked-client-frame")
        .count();
    assert_eq!(n as u32, notes::PER_CODE_CAP);
    assert_eq!(messages(&evs).len(), 300);
}

#[test]
fn looks_like_ws_accepts_frames_rejects_http_tls() {
    let mut c2s = frame(true, 0, 1, K, b"hello");
    c2s.extend(frame(true, 0, 9, K, b""));
    assert!(looks_like_ws(&c2s, Dir::C2S));
    assert!(!looks_like_ws(&c2s, Dir::S2C));
    let s2c = frame(true, 0, 2, None, &[0; 1000]);
    assert!(looks_like_ws(&s2c, Dir::S2C));
    assert!(looks_like_ws(&s2c[..2], Dir::S2C));
    assert!(!looks_like_ws(&s2c[..1], Dir::S2C));
    assert!(!looks_like_ws(b"", Dir::S2C));
    for d in [Dir::C2S, Dir::S2C] {
        assert!(!looks_like_ws(b"GET /chat HTTP/1.1\r\nHost: x\r\n\r\n", d));
        assert!(!looks_like_ws(
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            d
        ));
        assert!(!looks_like_ws(b"POST /api HTTP/1.1\r\n\r\n", d));
        // TLS ClientHello and application data records.
        assert!(!looks_like_ws(
            &[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01],
            d
        ));
        assert!(!looks_like_ws(&[0x17, 0x03, 0x03, 0x00, 0x20, 1, 2, 3], d));
    }
}

#[test]
fn looks_like_ws_rejects_random_bytes_mostly() {
    // xorshift: deterministic pseudo-random buffers of 64..576 bytes.
    let mut s = 0x9e3779b97f4a7c15u64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut hits = 0;
    for _ in 0..2000 {
        let len = 64 + (next() % 512) as usize;
        let buf: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if looks_like_ws(&buf, Dir::C2S) || looks_like_ws(&buf, Dir::S2C) {
            hits += 1;
        }
    }
    assert!(hits < 2000 / 20, "{hits} of 2000 random buffers accepted");
}
