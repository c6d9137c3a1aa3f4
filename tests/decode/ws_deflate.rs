//! permessage-deflate (RFC 7692): inflating with and without context takeover, a missing
//! dictionary, and a decompression bomb.

use crate::common;
use common::{messages, note_codes, sha};

use flate2::{Compress, Compression, FlushCompress};

use wslens::event::{DeflateParams, Dir, Event, Opcode, Ts};
use wslens::tcp::StreamCtx;
use wslens::ws::{WsConfig, WsDirection, unmask};

/// One message compressed as permessage-deflate sends it: sync flush, trailer removed.
fn compress(c: &mut Compress, msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(msg.len() + 64);
    let mut input = msg;
    loop {
        let before = c.total_in();
        c.compress_vec(input, &mut out, FlushCompress::Sync)
            .expect("compress");
        input = &input[(c.total_in() - before) as usize..];
        if input.is_empty() && out.len() < out.capacity() {
            break;
        }
        out.reserve(out.capacity().max(1024));
    }
    assert!(
        out.ends_with(&[0, 0, 0xff, 0xff]),
        "sync flush ends with an empty stored block"
    );
    out.truncate(out.len() - 4);
    out
}

/// Frames carrying `payload` split into `parts` fragments, RSV1 on the first.
fn frames(op: u8, rsv1: bool, key: Option<[u8; 4]>, payload: &[u8], parts: usize) -> Vec<u8> {
    let mut wire = Vec::new();
    let size = payload.len().div_ceil(parts.max(1)).max(1);
    let chunks: Vec<&[u8]> = if payload.is_empty() {
        vec![&[][..]]
    } else {
        payload.chunks(size).collect()
    };
    for (i, c) in chunks.iter().enumerate() {
        let fin = i + 1 == chunks.len();
        let mut b0 = if i == 0 { op } else { 0 };
        if fin {
            b0 |= 0x80;
        }
        if i == 0 && rsv1 {
            b0 |= 0x40;
        }
        wire.push(b0);
        let m = if key.is_some() { 0x80 } else { 0 };
        if c.len() < 126 {
            wire.push(m | c.len() as u8);
        } else if c.len() <= 0xffff {
            wire.push(m | 126);
            wire.extend_from_slice(&(c.len() as u16).to_be_bytes());
        } else {
            wire.push(m | 127);
            wire.extend_from_slice(&(c.len() as u64).to_be_bytes());
        }
        let mut p = c.to_vec();
        if let Some(k) = key {
            wire.extend_from_slice(&k);
            unmask(&mut p, k, 0);
        }
        wire.extend_from_slice(&p);
    }
    wire
}

fn decode(dir: Dir, cfg: &WsConfig, wire: &[u8]) -> Vec<Event> {
    let mut evs = Vec::new();
    let mut sink = |e: Event| evs.push(e);
    let mut d = WsDirection::new(dir, cfg);
    // Odd-sized pieces, so frames and deflate blocks straddle feeds.
    for (i, piece) in wire.chunks(1000).enumerate() {
        d.feed(
            StreamCtx {
                conn: 1,
                dir,
                pkt: i as u64 + 1,
                ts: Ts(0),
            },
            piece,
            &mut sink,
        );
    }
    evs
}

fn texts() -> Vec<String> {
    (0..6)
        .map(|i| {
            format!(
                "{{\"type\":\"chat\",\"user\":\"alice\",\"seq\":{i},\"text\":\"hello hello \
                 websocket world, message number {i}\"}}"
            )
        })
        .collect()
}

fn cfg(params: DeflateParams) -> WsConfig {
    WsConfig {
        deflate: Some(params),
        ..Default::default()
    }
}

#[test]
fn context_takeover_inflates_every_message() {
    let mut c = Compress::new(Compression::default(), false);
    let mut wire = Vec::new();
    let msgs = texts();
    let mut compressed_sizes = Vec::new();
    for (i, t) in msgs.iter().enumerate() {
        let z = compress(&mut c, t.as_bytes());
        compressed_sizes.push(z.len());
        wire.extend(frames(1, true, None, &z, 1 + i % 3));
    }
    // Later messages refer back to earlier ones: they are much smaller.
    assert!(compressed_sizes[3] < compressed_sizes[0] / 2);
    let evs = decode(Dir::S2C, &cfg(DeflateParams::default()), &wire);
    assert!(note_codes(&evs).is_empty(), "{evs:?}");
    let ms = messages(&evs);
    assert_eq!(ms.len(), msgs.len());
    for (m, t) in ms.iter().zip(&msgs) {
        assert!(m.compressed);
        assert_eq!(m.text.as_deref(), Some(t.as_str()));
        assert_eq!(m.len, t.len() as u64);
        assert_eq!(m.sha256, sha(t.as_bytes()));
        assert!(m.inflate_error.is_none());
    }
}

#[test]
fn no_context_takeover_resets_per_message_masked_client() {
    let key = Some([9, 8, 7, 6]);
    let mut wire = Vec::new();
    let msgs = texts();
    for t in &msgs {
        let mut c = Compress::new(Compression::default(), false);
        wire.extend(frames(1, true, key, &compress(&mut c, t.as_bytes()), 2));
    }
    // An uncompressed message in between must not disturb the inflater.
    wire.extend(frames(2, false, key, b"raw bytes", 1));
    let params = DeflateParams {
        client_no_context_takeover: true,
        client_max_window_bits: 9,
        ..Default::default()
    };
    let evs = decode(Dir::C2S, &cfg(params), &wire);
    assert!(note_codes(&evs).is_empty(), "{evs:?}");
    let ms = messages(&evs);
    for (m, t) in ms.iter().zip(&msgs) {
        assert_eq!(m.text.as_deref(), Some(t.as_str()));
    }
    assert!(!ms[6].compressed);
    assert_eq!(ms[6].data, b"raw bytes");
}

#[test]
fn small_window_bits_inflate() {
    let mut c = Compress::new_with_window_bits(Compression::best(), false, 9);
    let big: Vec<u8> = (0..20000u32).map(|i| (i % 700) as u8).collect();
    let mut wire = frames(2, true, None, &compress(&mut c, &big), 4);
    wire.extend(frames(2, true, None, &compress(&mut c, &big), 1));
    let params = DeflateParams {
        server_max_window_bits: 9,
        ..Default::default()
    };
    let evs = decode(Dir::S2C, &cfg(params), &wire);
    // Only the (informational) note that the 20,000-byte binary previews are cut.
    assert_eq!(note_codes(&evs), vec!["ws-preview-limit"]);
    for m in messages(&evs) {
        assert_eq!(m.sha256, sha(&big));
        assert_eq!(m.len, big.len() as u64);
        assert!(
            m.data[..] == big[..m.data.len()],
            "the preview is the payload's start"
        );
    }
}

#[test]
fn missing_dictionary_reports_error_never_garbage() {
    let mut c = Compress::new(Compression::default(), false);
    let msgs = texts();
    let mut per_msg = Vec::new();
    for t in &msgs {
        per_msg.push(frames(1, true, None, &compress(&mut c, t.as_bytes()), 1));
    }
    // The capture missed the first message: its text is the dictionary of the others.
    let wire: Vec<u8> = per_msg[1..3].concat();
    // A stored (uncompressed) deflate block refers to nothing: it inflates without context.
    let stored_text = b"stored block";
    let mut stored = vec![0x00];
    stored.extend_from_slice(&(stored_text.len() as u16).to_le_bytes());
    stored.extend_from_slice(&(!(stored_text.len() as u16)).to_le_bytes());
    stored.extend_from_slice(stored_text);
    let mut wire2 = wire.clone();
    wire2.extend(frames(1, true, None, &stored, 1));
    let evs = decode(Dir::S2C, &cfg(DeflateParams::default()), &wire2);
    let ms = messages(&evs);
    assert_eq!(ms.len(), 3);
    for m in &ms[..2] {
        assert!(m.inflate_error.is_some(), "{m:?}");
        assert_eq!(m.sha256, [0; 32]);
        assert_eq!(m.text, None);
        assert!(m.compressed);
    }
    assert_eq!(
        note_codes(&evs),
        ["ws-inflate-error", "ws-inflate-error"],
        "one note per failing message"
    );
    assert_eq!(ms[2].text.as_deref(), Some("stored block"));
    assert_eq!(ms[2].sha256, sha(stored_text));
}

#[test]
fn decompression_bomb_hits_limit() {
    let zeros = vec![0u8; 4 << 20];
    let mut wire = Vec::new();
    let mut c = Compress::new(Compression::best(), false);
    wire.extend(frames(2, true, None, &compress(&mut c, &zeros), 3));
    let mut c = Compress::new(Compression::best(), false);
    wire.extend(frames(1, true, None, &compress(&mut c, b"small"), 1));
    let mut config = cfg(DeflateParams {
        server_no_context_takeover: true,
        ..Default::default()
    });
    config.limits.inflate_per_message = 1 << 20;
    let evs = decode(Dir::S2C, &config, &wire);
    assert_eq!(note_codes(&evs), ["ws-inflate-limit"]);
    let ms = messages(&evs);
    assert!(ms[0].inflate_error.is_some());
    assert_eq!(ms[0].sha256, [0; 32]);
    assert!(ms[0].len <= 1 << 20);
    assert!(ms[0].wire_len < 100_000);
    assert_eq!(ms[1].text.as_deref(), Some("small"));
    assert_eq!(ms[1].opcode, Opcode::Text);
}

#[test]
fn corrupt_deflate_data_is_an_error() {
    // Block type 3 is invalid in every deflate stream.
    let wire = frames(1, true, None, &[0xff, 0xff, 0xff], 1);
    let evs = decode(Dir::S2C, &cfg(DeflateParams::default()), &wire);
    assert_eq!(note_codes(&evs), ["ws-inflate-error"]);
    assert!(messages(&evs)[0].inflate_error.is_some());
}

#[test]
fn real_peers_keeping_to_small_windows_are_not_flagged() {
    // python-websockets negotiated client_max_window_bits=10 and server_max_window_bits=11 and
    // compressed 86 messages within them: the window scanner reads them all and claims nothing.
    let evs = common::decode(&common::capture("deflate-window.pcap"));
    let compressed = messages(&evs).iter().filter(|m| m.compressed).count();
    assert!(compressed >= 80, "{compressed}");
    assert!(!note_codes(&evs).contains(&"ws-deflate-window"));
    assert!(
        messages(&evs).iter().all(|m| m.inflate_error.is_none()),
        "every message inflated"
    );
}
