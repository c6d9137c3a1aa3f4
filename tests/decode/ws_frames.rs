//! The WebSocket decoder against frames made by tungstenite, plus property tests: encode →
//! decode round trips, any cutting of the stream, unmasking, hostile bytes.

use crate::common;
use common::{frames, messages, sha};

use proptest::prelude::*;

use tungstenite::Bytes;
use tungstenite::protocol::CloseFrame;
use tungstenite::protocol::frame::coding::{CloseCode, OpCode};
use tungstenite::protocol::frame::{Frame, FrameHeader as TgHeader};
use wslens::event::{DeflateParams, Dir, Event, Opcode, Ts};
use wslens::tcp::StreamCtx;
use wslens::ws::{WsConfig, WsDirection, looks_like_ws, unmask};

fn tg(fin: bool, op: u8, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let h = TgHeader {
        is_final: fin,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode: OpCode::from(op),
        mask,
    };
    let mut out = Vec::new();
    Frame::from_payload(h, Bytes::copy_from_slice(payload))
        .format(&mut out)
        .expect("format to a Vec");
    out
}

fn cx(dir: Dir, pkt: u64) -> StreamCtx {
    StreamCtx {
        conn: 3,
        dir,
        pkt,
        ts: Ts(pkt as i64),
    }
}

/// Feed `bytes` cut at `cuts` (all as packet 1), then end.
fn decode(dir: Dir, cfg: &WsConfig, bytes: &[u8], cuts: &[usize]) -> Vec<Event> {
    let mut evs = Vec::new();
    let mut sink = |e: Event| evs.push(e);
    let mut d = WsDirection::new(dir, cfg);
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(bytes.len())).collect();
    cuts.sort_unstable();
    let mut prev = 0;
    for c in cuts.into_iter().chain(std::iter::once(bytes.len())) {
        d.feed(cx(dir, 1), &bytes[prev..c], &mut sink);
        prev = c;
    }
    d.end(cx(dir, 2), &mut sink);
    evs
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn tungstenite_frames_every_length_class() {
    let lens = [0usize, 1, 125, 126, 127, 1000, 65535, 65536, 70000];
    for &len in &lens {
        for mask in [None, Some([0xde, 0xad, 0xbe, 0xef])] {
            for op in [1u8, 2] {
                let payload = if op == 1 {
                    vec![b'a'; len]
                } else {
                    pattern(len, 7)
                };
                let dir = if mask.is_some() { Dir::C2S } else { Dir::S2C };
                let wire = tg(true, op, mask, &payload);
                let evs = decode(dir, &WsConfig::default(), &wire, &[]);
                assert_eq!(decoded(&evs), 2, "len {len}: {evs:?}");
                let h = frames(&evs)[0].header;
                let (th, tlen) = TgHeader::parse(&mut std::io::Cursor::new(&wire))
                    .expect("tungstenite parses its own frame")
                    .expect("complete");
                assert_eq!(h.payload_len, tlen);
                assert_eq!(h.header_len as usize, th.len(tlen));
                assert_eq!(h.fin, th.is_final);
                assert_eq!(h.opcode.code(), u8::from(th.opcode));
                assert_eq!(h.mask_key, th.mask);
                assert_eq!(h.raw(), &wire[..h.header_len as usize]);
                let expect_code = match len {
                    0..=125 => len as u8,
                    126..=65535 => 126,
                    _ => 127,
                };
                assert_eq!(h.len_code, expect_code);
                let m = messages(&evs)[0];
                assert_eq!(m.sha256, sha(&payload));
                assert_eq!((m.len, m.wire_len), (len as u64, len as u64));
                if op == 1 {
                    assert_eq!(m.text.as_deref().map(str::len), Some(len.min(64 << 10)));
                } else {
                    let keep = wslens::limits::Limits::default().binary_preview;
                    assert!(
                        m.data[..] == payload[..len.min(keep)],
                        "binary preview is the payload's start"
                    );
                }
            }
        }
    }
}

#[test]
fn tungstenite_fragments_with_controls_between() {
    let key = Some([1, 2, 3, 4]);
    let mut wire = tg(false, 1, key, "Grüße, ".as_bytes());
    wire.extend(tg(true, 9, key, b"are you there?"));
    wire.extend(tg(false, 0, key, "W".as_bytes()));
    let mut pong = Frame::pong(Bytes::from_static(b"yes"));
    pong.header_mut().mask = key;
    pong.format(&mut wire).unwrap();
    wire.extend(tg(true, 0, key, "elt ✓".as_bytes()));
    let mut close = Frame::close(Some(CloseFrame {
        code: CloseCode::Away,
        reason: "leaving".into(),
    }));
    close.header_mut().mask = key;
    close.format(&mut wire).unwrap();
    let evs = decode(Dir::C2S, &WsConfig::default(), &wire, &[]);
    assert!(!evs.iter().any(|e| matches!(e, Event::Note(_))), "{evs:?}");
    let ms = messages(&evs);
    let ops: Vec<_> = ms.iter().map(|m| m.opcode).collect();
    assert_eq!(
        ops,
        [Opcode::Ping, Opcode::Pong, Opcode::Text, Opcode::Close]
    );
    assert_eq!(ms[0].data, b"are you there?");
    assert_eq!(ms[1].data, b"yes");
    assert_eq!(ms[2].text.as_deref(), Some("Grüße, Welt ✓"));
    assert_eq!(ms[2].frames, 3);
    assert_eq!(ms[2].sha256, sha("Grüße, Welt ✓".as_bytes()));
    assert_eq!(ms[3].close_code, Some(1001));
    assert_eq!(ms[3].close_reason.as_deref(), Some("leaving"));
    assert_eq!(frames(&evs).len(), 6);
}

/// Events other than the informational note that a long payload's preview was cut.
fn decoded(evs: &[Event]) -> usize {
    evs.iter()
        .filter(|e| !matches!(e, Event::Note(n) if n.code == "ws-preview-limit"))
        .count()
}

/// A frame description for property tests: fin, opcode, payload length, seed.
fn frame_strategy() -> impl Strategy<Value = (bool, u8, usize, u8)> {
    (
        any::<bool>(),
        prop::sample::select(vec![0u8, 1, 2, 8, 9, 10]),
        prop_oneof![0usize..126, 126usize..=65535, 65536usize..=70000],
        any::<u8>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn roundtrip_any_length_class_and_mask(
        (_, _, len, seed) in frame_strategy(),
        op in prop::sample::select(vec![1u8, 2]),
        key in any::<Option<[u8; 4]>>(),
    ) {
        let payload = if op == 1 { vec![b'z'; len] } else { pattern(len, seed) };
        let dir = if key.is_some() { Dir::C2S } else { Dir::S2C };
        let wire = tg(true, op, key, &payload);
        let evs = decode(dir, &WsConfig::default(), &wire, &[]);
        prop_assert_eq!(decoded(&evs), 2);
        let h = frames(&evs)[0].header;
        prop_assert_eq!(h.payload_len, len as u64);
        prop_assert_eq!(h.mask_key, key);
        prop_assert_eq!(messages(&evs)[0].sha256, sha(&payload));
    }

    #[test]
    fn any_cuts_give_same_events(
        spec in prop::collection::vec(frame_strategy(), 1..6),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
        masked in any::<bool>(),
        preview in 0usize..40,
    ) {
        let mut wire = Vec::new();
        for (i, &(fin, op, len, seed)) in spec.iter().enumerate() {
            // Control frames must be short and final to be well-formed; keep them so.
            let (fin, len) = if op >= 8 { (true, len % 126) } else { (fin, len) };
            let key = masked.then_some([seed, 1, i as u8, 3]);
            wire.extend(tg(fin, op, key, &pattern(len, seed)));
        }
        let dir = if masked { Dir::C2S } else { Dir::S2C };
        let mut cfg = WsConfig::default();
        cfg.limits.message_preview = preview;
        cfg.limits.frame_preview = preview;
        let whole = decode(dir, &cfg, &wire, &[]);
        let cut_at: Vec<usize> = cuts.iter().map(|c| c.index(wire.len() + 1)).collect();
        let pieces = decode(dir, &cfg, &wire, &cut_at);
        prop_assert_eq!(whole, pieces);
    }

    #[test]
    fn unmask_equals_bytewise(
        data in prop::collection::vec(any::<u8>(), 0..100),
        key in any::<[u8; 4]>(),
        offset in any::<u64>(),
    ) {
        let mut fast = data.clone();
        unmask(&mut fast, key, offset);
        let slow: Vec<u8> = data
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ key[((offset as u128 + i as u128) % 4) as usize])
            .collect();
        prop_assert_eq!(fast, slow);
    }

    #[test]
    fn hostile_bytes_never_panic(
        data in prop::collection::vec(any::<u8>(), 0..600),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
        gap_at in any::<Option<prop::sample::Index>>(),
        c2s in any::<bool>(),
        deflate in any::<bool>(),
        heuristic in any::<bool>(),
        preview in 0usize..8,
    ) {
        let dir = if c2s { Dir::C2S } else { Dir::S2C };
        let mut cfg = WsConfig {
            deflate: deflate.then(DeflateParams::default),
            heuristic,
            ..Default::default()
        };
        cfg.limits.message_preview = preview;
        cfg.limits.frame_preview = preview;
        let mut d = WsDirection::new(dir, &cfg);
        let mut n = 0usize;
        let mut sink = |_e: Event| n += 1;
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(data.len() + 1)).collect();
        points.sort_unstable();
        let gap = gap_at.map(|g| g.index(data.len() + 1));
        let mut prev = 0;
        for (i, p) in points.into_iter().chain(std::iter::once(data.len())).enumerate() {
            if gap.is_some_and(|g| g >= prev && g < p) {
                d.gap(cx(dir, i as u64), 1 << 62, &mut sink);
            }
            d.feed(cx(dir, i as u64), &data[prev..p], &mut sink);
            prev = p;
        }
        d.end(cx(dir, 99), &mut sink);
        let _ = looks_like_ws(&data, dir);
    }
}
