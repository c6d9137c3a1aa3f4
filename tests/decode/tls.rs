//! wss:// end to end on real recordings (captures/record.sh: python websockets and node ws
//! over TLS 1.3 and 1.2, each with the client's key log): the clear handshake without keys,
//! decryption from a key log file and from a pcapng's Decryption Secrets Block, agreement with
//! tshark, and bad key logs / damaged record streams giving notes, never panics.

use crate::common;
use common::*;
use std::path::Path;
use wslens::decoder::DecodeOptions;
use wslens::event::{Dir, Event, Opcode, Sink, TlsMsg};
use wslens::tcp::StreamCtx;
use wslens::tls::{KeyStore, TlsConn, Upper};

/// (capture, port, version, cipher)
const TLS: &[(&str, u16, &str, &str)] = &[
    ("tls13-python", 8443, "TLS1.3", "TLS_AES_256_GCM_SHA384"),
    (
        "tls12-gcm",
        8444,
        "TLS1.2",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    ),
    (
        "tls12-chacha",
        8445,
        "TLS1.2",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    ),
    ("tls13-node", 8446, "TLS1.3", "TLS_AES_128_GCM_SHA256"),
    (
        "tls13-chacha",
        8447,
        "TLS1.3",
        "TLS_CHACHA20_POLY1305_SHA256",
    ),
    ("tls13-keyupdate", 8448, "TLS1.3", "TLS_AES_256_GCM_SHA384"),
];

fn tls_msgs(evs: &[Event]) -> Vec<&TlsMsg> {
    evs.iter()
        .filter_map(|e| match e {
            Event::Tls(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect()
}

fn keyed(path: &Path, keys: &Path) -> Vec<Event> {
    decode_with(
        path,
        DecodeOptions {
            tls_keys: KeyStore::open(keys, false).unwrap(),
            ..DecodeOptions::default()
        },
    )
}

fn assert_decrypted(name: &str, evs: &[Event], version: &str, cipher: &str) {
    let sessions: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            Event::TlsSession(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(sessions.len(), 1, "{name}: one tls_session");
    assert!(sessions[0].decrypted, "{name}: decrypted");
    assert_eq!(sessions[0].version, version, "{name}");
    assert_eq!(sessions[0].cipher, cipher, "{name}");
    let hs = evs
        .iter()
        .find_map(|e| match e {
            Event::WsHandshake(h) => Some(h),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{name}: no ws_handshake"));
    assert!(hs.upgraded && hs.accept_ok && hs.tls, "{name}: {hs:?}");
    let codes = note_codes(evs);
    for bad in [
        "tls-auth-failed",
        "tls-framing",
        "tls-gap",
        "tls-truncated-record",
    ] {
        assert!(!codes.contains(&bad), "{name}: note {bad}");
    }
    let kinds: Vec<_> = tls_msgs(evs).iter().map(|t| t.kind).collect();
    for k in ["client_hello", "server_hello", "finished"] {
        assert!(kinds.contains(&k), "{name}: {k} in {kinds:?}");
    }
    // Both sides' Finished were read (TLS 1.3: decrypted from the handshake records).
    let finished: Vec<_> = tls_msgs(evs)
        .into_iter()
        .filter(|t| t.kind == "finished")
        .collect();
    assert_eq!(finished.len(), 2, "{name}");
    assert!(finished.iter().all(|f| f.encrypted));
}

#[test]
fn each_recording_decrypts_with_its_key_log_file() {
    for &(name, _, version, cipher) in TLS {
        // The large recordings are kept only as pcapng (their keys are also inside).
        let mut path = capture(&format!("{name}.pcap"));
        if !path.exists() {
            path = capture(&format!("{name}.pcapng"));
        }
        let evs = keyed(&path, &capture(&format!("{name}.keys")));
        assert_decrypted(name, &evs, version, cipher);
        assert!(messages(&evs).len() >= 6, "{name}: messages");
    }
}

#[test]
fn a_pcapng_with_embedded_secrets_needs_no_key_log() {
    for &(name, _, version, cipher) in TLS {
        let path = capture(&format!("{name}.pcapng"));
        let evs = decode_with(&path, DecodeOptions::default());
        assert_decrypted(name, &evs, version, cipher);
        let pcap = capture(&format!("{name}.pcap"));
        if !pcap.exists() {
            continue;
        }
        // The same messages as from the pcap and the key log file.
        let from_file = keyed(&pcap, &capture(&format!("{name}.keys")));
        let sig = |evs: &[Event]| -> Vec<_> {
            messages(evs)
                .iter()
                .map(|m| (m.dir, m.opcode, m.len, m.sha256))
                .collect()
        };
        assert_eq!(sig(&evs), sig(&from_file), "{name}");
    }
}

#[test]
fn without_keys_the_eavesdropper_view_is_shown() {
    let evs = decode_with(&capture("tls13-chacha.pcap"), DecodeOptions::default());
    let msgs = tls_msgs(&evs);
    let ch = msgs.iter().find(|t| t.kind == "client_hello").unwrap();
    assert_eq!(ch.dir, Dir::C2S);
    assert!(ch.versions.contains(&"TLS1.3"), "{:?}", ch.versions);
    assert!(
        ch.ciphers
            .contains(&"TLS_CHACHA20_POLY1305_SHA256".to_string())
    );
    assert!(!ch.groups.is_empty(), "key_share groups");
    let sh = msgs.iter().find(|t| t.kind == "server_hello").unwrap();
    assert_eq!(sh.version, Some("TLS1.3"));
    assert_eq!(sh.cipher.as_deref(), Some("TLS_CHACHA20_POLY1305_SHA256"));
    // Nothing after the ServerHello is readable: no certificate, no HTTP, no WebSocket.
    assert!(!msgs.iter().any(|t| t.encrypted || t.kind == "certificate"));
    assert!(!evs.iter().any(|e| matches!(
        e,
        Event::Http(_) | Event::WsHandshake(_) | Event::WsFrame(_) | Event::WsMessage(_)
    )));
    let s = evs
        .iter()
        .find_map(|e| match e {
            Event::TlsSession(s) => Some(s),
            _ => None,
        })
        .unwrap();
    assert!(!s.decrypted);
    let codes = note_codes(&evs);
    assert!(codes.contains(&"tls-encrypted"), "{codes:?}");
    assert!(codes.contains(&"tls-records"), "{codes:?}");
    assert!(!codes.contains(&"opaque-stream"), "{codes:?}");
}

#[test]
fn tls12_shows_the_certificate_in_clear() {
    let evs = decode_with(&capture("tls12-gcm.pcap"), DecodeOptions::default());
    let cert = tls_msgs(&evs)
        .into_iter()
        .find(|t| t.kind == "certificate")
        .expect("certificate in clear");
    assert!(!cert.encrypted);
    assert_eq!(cert.certs.len(), 1);
    assert!(
        cert.certs[0].subject.contains("CN=localhost"),
        "{:?}",
        cert.certs
    );
    assert!(!cert.certs[0].not_after.is_empty());
}

#[test]
fn a_wrong_key_log_gives_a_note_and_nothing_decrypted() {
    for &(name, ..) in TLS {
        let text = std::fs::read_to_string(capture(&format!("{name}.keys"))).unwrap();
        // Same client randoms, every secret changed in its last hex digit.
        let wrong: String = text
            .lines()
            .map(|l| {
                let mut l = l.trim_end().to_string();
                let last = l.pop().unwrap();
                l.push(if last == '0' { '1' } else { '0' });
                l + "\n"
            })
            .collect();
        let ks = KeyStore::default();
        ks.add_text(wrong.as_bytes());
        let path = capture(&format!("{name}.pcap"));
        if !path.exists() {
            // Only a pcapng with the right keys inside: skip (the wrong ones would be mixed in).
            continue;
        }
        let evs = decode_with(
            &path,
            DecodeOptions {
                tls_keys: ks,
                ..DecodeOptions::default()
            },
        );
        let codes = note_codes(&evs);
        assert!(codes.contains(&"tls-auth-failed"), "{name}: {codes:?}");
        assert!(messages(&evs).is_empty(), "{name}: nothing passed up");
        assert!(
            !evs.iter().any(|e| matches!(e, Event::Http(_))),
            "{name}: no HTTP"
        );
    }
}

#[test]
fn decrypted_frames_match_tshark() {
    for &(name, port, ..) in TLS {
        let mut pcap = capture(&format!("{name}.pcap"));
        if !pcap.exists() {
            pcap = capture(&format!("{name}.pcapng"));
        }
        let keys = capture(&format!("{name}.keys"));
        let evs = keyed(&pcap, &keys);
        let mut ours: Vec<(u64, u8)> = frames(&evs)
            .iter()
            .map(|f| (*f.pkts.last().unwrap(), f.header.opcode.code()))
            .collect();
        ours.sort();
        let klog = format!("tls.keylog_file:{}", keys.display());
        let dport = format!("tcp.port=={port},tls");
        let rows = tshark_fields(
            &pcap,
            "websocket",
            &["frame.number", "websocket.opcode"],
            &["-o", &klog, "-d", &dport],
        );
        let mut theirs = Vec::new();
        for r in rows {
            let pkt: u64 = r[0].parse().unwrap();
            for op in r[1].split(',') {
                theirs.push((pkt, op.parse::<u8>().unwrap()));
            }
        }
        theirs.sort();
        assert!(
            theirs.len() >= 6,
            "{name}: tshark saw {} frames",
            theirs.len()
        );
        assert_eq!(ours, theirs, "{name}: (packet, opcode) of every frame");
    }
}

/// captures/tls13-keyupdate: openssl s_client sends a KeyUpdate (update_not_requested), later
/// one with update_requested, and the python server answers with its own. The key log holds
/// only the first application secrets: every later generation is derived here ("traffic upd").
/// Each message after each KeyUpdate is decrypted and equals what the peers logged, in order;
/// the frames agree with tshark (decrypted_frames_match_tshark covers this capture too).
#[test]
fn messages_after_key_updates_are_decrypted() {
    let name = "tls13-keyupdate";
    let evs = keyed(
        &capture(&format!("{name}.pcap")),
        &capture(&format!("{name}.keys")),
    );
    assert_decrypted(name, &evs, "TLS1.3", "TLS_AES_256_GCM_SHA384");
    let updates: Vec<_> = tls_msgs(&evs)
        .into_iter()
        .filter(|t| t.kind == "key_update")
        .collect();
    // The client's two, then the server's answer to the second.
    let dirs: Vec<_> = updates.iter().map(|u| u.dir).collect();
    assert_eq!(dirs, [Dir::C2S, Dir::C2S, Dir::S2C], "{updates:?}");
    assert!(updates.iter().all(|u| u.encrypted));
    assert!(
        updates[1]
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("asked to update"))
    );
    assert!(
        !updates[0]
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("asked to update"))
    );

    // The peers' log: what each side sent, in order, and where the client's KeyUpdates fell.
    let log = std::fs::read_to_string(capture(&format!("{name}.peers.ndjson"))).unwrap();
    let mut sent: [Vec<(String, u64, String)>; 2] = Default::default();
    let mut client_before_update = Vec::new();
    for line in log.lines().skip(1) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["action"] != "sent" {
            continue;
        }
        let d = if v["dir"] == "c2s" { 0 } else { 1 };
        if v["tls"] == "key_update" {
            client_before_update.push(sent[0].len());
            continue;
        }
        let Some(op) = v["opcode"].as_str() else {
            continue;
        };
        sent[d].push((
            op.to_string(),
            v["len"].as_u64().unwrap(),
            v["sha256"].as_str().unwrap().to_string(),
        ));
    }
    assert_eq!(client_before_update, [2, 3], "the log's KeyUpdates");
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let mut ours: [Vec<(String, u64, String)>; 2] = Default::default();
    let mut after_update = [0usize; 2];
    for e in &evs {
        match e {
            Event::Tls(t) if t.kind == "key_update" => after_update[t.dir.idx()] = 0,
            Event::WsMessage(m) => {
                let d = m.dir.idx();
                after_update[d] += 1;
                ours[d].push((m.opcode.as_str().to_string(), m.len, hex(&m.sha256)));
            }
            _ => {}
        }
    }
    assert_eq!(ours, sent, "every message, before and after the KeyUpdates");
    // Messages came after the last KeyUpdate of each side: decrypted with derived keys.
    assert_eq!(
        after_update,
        [4, 4],
        "messages after each side's last KeyUpdate"
    );
}

/// Each direction's TCP payload of a clean loopback recording (no loss or reordering in it).
fn tcp_streams(path: &Path, server_port: u16) -> [Vec<u8>; 2] {
    let pcap = std::fs::read(path).unwrap();
    let mut out: [Vec<u8>; 2] = Default::default();
    wslens::capture::read_bytes(&pcap, |p| {
        let s = etherparse::SlicedPacket::from_ethernet(p.data).unwrap();
        if let Some(etherparse::TransportSlice::Tcp(t)) = s.transport {
            let d = if t.destination_port() == server_port {
                0
            } else {
                1
            };
            out[d].extend_from_slice(t.payload());
        }
    })
    .unwrap();
    out
}

#[derive(Default)]
struct Plain([Vec<u8>; 2]);
impl Upper for Plain {
    fn data(&mut self, cx: StreamCtx, plain: &[u8], _: &mut dyn Sink) {
        self.0[cx.dir.idx()].extend_from_slice(plain);
    }
    fn gap(&mut self, _: StreamCtx, _: u64, _: &mut dyn Sink) {}
    fn end(&mut self, _: StreamCtx, _: &mut dyn Sink) {}
}

/// Feed the TLS layer the ClientHello, then the server's whole stream, then the rest of the
/// client's, in pieces of `piece` bytes: one byte (every record straddles data calls) or whole
/// streams (many records per data call, KeyUpdates among them).
fn feed_whole(streams: &[Vec<u8>; 2], keys: &Path, piece: usize) -> (Vec<Event>, Plain) {
    let mut tls = TlsConn::new(KeyStore::open(keys, false).unwrap());
    let mut up = Plain::default();
    let mut evs = Vec::new();
    let mut sink = |e: Event| evs.push(e);
    let hello = 5 + u16::from_be_bytes([streams[0][3], streams[0][4]]) as usize;
    let parts = [
        (Dir::C2S, &streams[0][..hello]),
        (Dir::S2C, &streams[1][..]),
        (Dir::C2S, &streams[0][hello..]),
    ];
    for (i, (dir, bytes)) in parts.into_iter().enumerate() {
        let cx = StreamCtx {
            conn: 1,
            dir,
            pkt: i as u64 + 1,
            ts: Default::default(),
        };
        for b in bytes.chunks(piece) {
            tls.data(cx, b, &mut sink, &mut up);
        }
    }
    (evs, up)
}

/// KeyUpdates among many records of one data call: the records after each are opened with the
/// new keys. The plaintext equals that of the same streams fed one byte at a time.
#[test]
fn key_updates_among_the_records_of_one_data_call() {
    let name = "tls13-keyupdate";
    let streams = tcp_streams(&capture(&format!("{name}.pcap")), 8448);
    let keys = capture(&format!("{name}.keys"));
    let (one_evs, one) = feed_whole(&streams, &keys, 1);
    let (whole_evs, whole) = feed_whole(&streams, &keys, usize::MAX);
    for evs in [&one_evs, &whole_evs] {
        let codes = note_codes(evs);
        assert!(!codes.contains(&"tls-auth-failed"), "{codes:?}");
        let updates = tls_msgs(evs)
            .iter()
            .filter(|t| t.kind == "key_update")
            .count();
        assert_eq!(updates, 3);
    }
    // The 40,000-byte message went both ways, after the KeyUpdates.
    assert!(one.0[0].len() > 40_000 && one.0[1].len() > 40_000);
    assert!(one.0 == whole.0, "the same plaintext either way");
    // The same on a recording without KeyUpdates: 300 messages of up to 20 KB, in 64 KiB pieces.
    let name = "tls13-chacha";
    let streams = tcp_streams(&capture(&format!("{name}.pcap")), 8447);
    let keys = capture(&format!("{name}.keys"));
    let (_, one) = feed_whole(&streams, &keys, 1);
    let (evs, whole) = feed_whole(&streams, &keys, 65_536);
    assert!(!note_codes(&evs).contains(&"tls-auth-failed"));
    assert!(one.0[1].len() > 100_000);
    assert!(one.0 == whole.0);
}

// ---------------------------------------------------------------- damaged record streams
// CRAFTED input (not recordings): a minimal ClientHello record built here, then bytes that
// break the record layer in the ways the issue lists.

#[derive(Default)]
struct Up {
    bytes: usize,
    gaps: usize,
}
impl Upper for Up {
    fn data(&mut self, _: StreamCtx, plain: &[u8], _: &mut dyn Sink) {
        self.bytes += plain.len();
    }
    fn gap(&mut self, _: StreamCtx, _: u64, _: &mut dyn Sink) {
        self.gaps += 1;
    }
    fn end(&mut self, _: StreamCtx, _: &mut dyn Sink) {}
}

fn crafted_client_hello() -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend([7u8; 32]); // random
    body.push(0); // session id
    body.extend([0, 2, 0x13, 0x01]); // one cipher suite
    body.extend([1, 0]); // null compression
    body.extend([0, 0]); // no extensions
    let mut hs = vec![1, 0, (body.len() >> 8) as u8, body.len() as u8];
    hs.extend(body);
    let mut rec = vec![22, 3, 1, (hs.len() >> 8) as u8, hs.len() as u8];
    rec.extend(hs);
    rec
}

fn run(streams: &[(Dir, Vec<u8>)]) -> (Vec<Event>, Up) {
    let mut tls = TlsConn::new(KeyStore::default());
    let mut up = Up::default();
    let mut evs = Vec::new();
    let mut sink = |e: Event| evs.push(e);
    for (i, (dir, bytes)) in streams.iter().enumerate() {
        let cx = StreamCtx {
            conn: 1,
            dir: *dir,
            pkt: i as u64 + 1,
            ts: Default::default(),
        };
        // One byte at a time: records and messages straddle every possible boundary.
        for b in bytes.chunks(1) {
            tls.data(cx, b, &mut sink, &mut up);
        }
    }
    for dir in [Dir::C2S, Dir::S2C] {
        let cx = StreamCtx {
            conn: 1,
            dir,
            pkt: 99,
            ts: Default::default(),
        };
        tls.end(cx, &mut sink, &mut up);
    }
    (evs, up)
}

#[test]
fn garbage_after_a_client_hello_is_a_note() {
    let mut c = crafted_client_hello();
    c.extend(b"GET / HTTP/1.1\r\n\r\n");
    let (evs, up) = run(&[(Dir::C2S, c)]);
    assert_eq!(tls_msgs(&evs)[0].kind, "client_hello");
    assert!(note_codes(&evs).contains(&"tls-framing"));
    assert_eq!(up.bytes, 0);
}

#[test]
fn an_oversized_record_is_a_note() {
    let mut c = crafted_client_hello();
    c.extend([23, 3, 3, 0x48, 0x01]); // 18433 bytes: above 2^14 + 2048
    c.extend(vec![0u8; 100]);
    let (evs, _) = run(&[(Dir::C2S, c)]);
    let n = evs
        .iter()
        .find_map(|e| match e {
            Event::Note(n) if n.code == "tls-framing" => Some(n.text.clone()),
            _ => None,
        })
        .expect("framing note");
    assert!(n.contains("18433"), "{n}");
}

#[test]
fn a_truncated_record_is_a_note() {
    let mut c = crafted_client_hello();
    c.truncate(c.len() - 10);
    let (evs, _) = run(&[(Dir::C2S, c)]);
    assert!(tls_msgs(&evs).is_empty());
    assert!(note_codes(&evs).contains(&"tls-truncated-record"));
}

#[test]
fn a_gap_in_a_decrypted_stream_is_reported_and_decryption_resumes() {
    // Drop one packet carrying application data from the real TLS 1.3 echo recording: the
    // TLS layer reports the gap and finds the next record that authenticates.
    let pcap = std::fs::read(capture("tls13-chacha.pcap")).unwrap();
    let keys = KeyStore::open(&capture("tls13-chacha.keys"), false).unwrap();
    let mut dec = wslens::decoder::Decoder::new(DecodeOptions {
        tls_keys: keys,
        ..DecodeOptions::default()
    });
    let mut evs = Vec::new();
    let mut sink = |e: Event| evs.push(e);
    // Find a large s2c data packet well after the handshake to drop.
    let mut sizes = Vec::new();
    wslens::capture::read_bytes(&pcap, |p| sizes.push((p.num, p.data.len()))).unwrap();
    let drop = sizes
        .iter()
        .skip(40)
        .find(|(_, n)| *n > 10_000)
        .map(|(n, _)| *n)
        .expect("a large packet");
    wslens::capture::read_bytes(&pcap, |p| {
        if p.num != drop {
            dec.packet(&p, &mut sink)
        }
    })
    .unwrap();
    dec.finish(&mut sink);
    let codes = note_codes(&evs);
    assert!(codes.contains(&"tls-gap"), "{codes:?}");
    assert!(codes.contains(&"tls-resync"), "{codes:?}");
    assert!(!codes.contains(&"tls-auth-failed"), "{codes:?}");
    // Messages after the gap are decoded again: the close handshake at the end is seen.
    let ms = messages(&evs);
    assert!(ms.iter().any(|m| m.opcode == wslens::event::Opcode::Close));
}

/// The fuzz target's driver (fuzz/fuzz_targets/tls.rs), replayed on its seed (the start of the
/// real tls12-chacha recording as chunks) and on deterministic mutations of it: flipped
/// bytes, cut chunks, gaps. Nothing panics and every note is terminal-safe.
#[test]
fn mutations_of_a_real_stream_never_panic() {
    let seed = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/tls/tls12-chacha-start"),
    )
    .unwrap();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..300 {
        let mut data = seed.clone();
        let flips = 1 + round % 8;
        for _ in 0..flips {
            let i = (next() as usize) % data.len();
            data[i] ^= 1 << (next() % 8);
        }
        if round % 5 == 0 {
            data.truncate((next() as usize) % data.len());
        }
        let keys = KeyStore::default();
        let (zero, secret) = ("00".repeat(32), "11".repeat(48));
        keys.add_text(format!("CLIENT_RANDOM {zero} {secret}\n").as_bytes());
        let mut tls = TlsConn::new(keys);
        let mut up = Up::default();
        let mut evs = Vec::new();
        let mut sink = |e: Event| evs.push(e);
        let mut rest = &data[..];
        let mut pkt = 0;
        while rest.len() >= 3 {
            pkt += 1;
            let op = rest[0];
            let n = (u16::from_be_bytes([rest[1], rest[2]]) as usize).min(rest.len() - 3);
            let chunk = &rest[3..3 + n];
            rest = &rest[3 + n..];
            let cx = StreamCtx {
                conn: 1,
                dir: if op & 1 == 0 { Dir::C2S } else { Dir::S2C },
                pkt,
                ts: Default::default(),
            };
            if op >> 6 == 0 {
                tls.gap(cx, 1 + n as u64, &mut sink, &mut up);
            } else {
                tls.data(cx, chunk, &mut sink, &mut up);
            }
        }
        for dir in [Dir::C2S, Dir::S2C] {
            let cx = StreamCtx {
                conn: 1,
                dir,
                pkt: pkt + 1,
                ts: Default::default(),
            };
            tls.end(cx, &mut sink, &mut up);
        }
        for e in &evs {
            let line = wslens::output::text::summary(e);
            assert!(
                !line.chars().any(wslens::text::is_unsafe_char),
                "round {round}: {line:?}"
            );
        }
    }
}

// ---------------------------------------------------------------- a real browser over wss://
// captures/record.sh browser-tls: headless Chromium loads an https:// page from a python ssl
// server (self-signed certificate pinned by its SPKI), polls it three times, then talks over
// wss:// with permessage-deflate; the keys are Chromium's own SSLKEYLOGFILE.

const BROWSER_PORT: u16 = 8773;

/// (client, server, dir) → (opcode, len, sha256) of every data message and close the peers
/// say they sent, in order.
type PeerMsgs = std::collections::BTreeMap<(String, String, String), Vec<(String, u64, String)>>;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn browser_peer_log() -> PeerMsgs {
    let text = std::fs::read_to_string(capture("browser-tls.peers.ndjson")).unwrap();
    let mut m = PeerMsgs::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let op = v["opcode"].as_str().unwrap_or("");
        if v["action"] != "sent" || !matches!(op, "text" | "binary" | "close") {
            continue;
        }
        let key = (
            v["client"].as_str().unwrap().to_string(),
            v["server"].as_str().unwrap().to_string(),
            v["dir"].as_str().unwrap().to_string(),
        );
        m.entry(key).or_default().push((
            op.to_string(),
            v["len"].as_u64().unwrap(),
            v["sha256"].as_str().unwrap().to_string(),
        ));
    }
    m
}

fn decoded_msgs(evs: &[Event]) -> PeerMsgs {
    let mut ends = std::collections::HashMap::new();
    let mut m = PeerMsgs::new();
    for e in evs {
        match e {
            Event::ConnOpen(o) => {
                ends.insert(o.conn, (o.client.to_string(), o.server.to_string()));
            }
            Event::WsMessage(w)
                if matches!(w.opcode, Opcode::Text | Opcode::Binary | Opcode::Close) =>
            {
                assert!(w.inflate_error.is_none(), "{w:?}");
                let (c, s) = ends[&w.conn].clone();
                m.entry((c, s, w.dir.as_str().to_string()))
                    .or_default()
                    .push((w.opcode.as_str().to_string(), w.len, hex(&w.sha256)));
            }
            _ => {}
        }
    }
    m
}

#[test]
fn chromium_over_wss_decrypts_every_connection_with_its_own_sslkeylogfile() {
    let pcap = capture("browser-tls.pcap");
    let from_file = keyed(&pcap, &capture("browser-tls.keys"));
    let embedded = decode_with(&capture("browser-tls.pcapng"), DecodeOptions::default());
    let expected = browser_peer_log();
    assert!(!expected.is_empty());
    for (how, evs) in [("key log file", &from_file), ("pcapng", &embedded)] {
        let conns = evs
            .iter()
            .filter(|e| matches!(e, Event::ConnOpen(_)))
            .count();
        let sessions: Vec<_> = evs
            .iter()
            .filter_map(|e| match e {
                Event::TlsSession(s) => Some(s),
                _ => None,
            })
            .collect();
        // The page, its favicon, three polls and the WebSocket: each its own TLS connection.
        assert!(conns >= 6, "{how}: {conns} connections");
        assert_eq!(
            sessions.len(),
            conns,
            "{how}: one TLS session per connection"
        );
        for s in &sessions {
            assert!(s.decrypted, "{how}: {s:?}");
            assert_eq!(s.version, "TLS1.3", "{how}");
        }
        let codes = note_codes(evs);
        for bad in [
            "tls-auth-failed",
            "tls-framing",
            "tls-gap",
            "tls-keys-incomplete",
            "tls-encrypted",
        ] {
            assert!(!codes.contains(&bad), "{how}: note {bad}");
        }
        // Every HTTP request the page made, read inside TLS.
        let paths: Vec<String> = evs
            .iter()
            .filter_map(|e| match e {
                Event::Http(h) => match &h.kind {
                    wslens::event::HttpKind::Request { path, .. } => Some(path.clone()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        for p in [
            "/",
            "/favicon.ico",
            "/poll?n=0",
            "/poll?n=1",
            "/poll?n=2",
            "/ws",
        ] {
            assert!(paths.iter().any(|x| x == p), "{how}: {p} in {paths:?}");
        }
        let hs: Vec<_> = evs
            .iter()
            .filter_map(|e| match e {
                Event::WsHandshake(h) => Some(h),
                _ => None,
            })
            .collect();
        assert_eq!(hs.len(), 1, "{how}");
        assert!(hs[0].upgraded && hs[0].accept_ok && hs[0].tls, "{how}");
        assert!(
            hs[0].deflate.is_some(),
            "{how}: the browser's permessage-deflate"
        );
        // Every message, both ways, as the page and the server logged it.
        assert_eq!(
            decoded_msgs(evs),
            expected,
            "{how}: messages vs the peers' log"
        );
    }
    // What the eavesdropper sees of the WebSocket connection: its ClientHello asks for
    // HTTP/1.1 only (a WebSocket needs it), the page's for h2 too.
    let plain = decode_with(&pcap, DecodeOptions::default());
    let hellos: Vec<_> = tls_msgs(&plain)
        .into_iter()
        .filter(|t| t.kind == "client_hello")
        .collect();
    assert!(hellos.iter().any(|h| h.alpn == ["http/1.1"]), "{hellos:?}");
    assert!(hellos.iter().any(|h| h.alpn.contains(&"h2".to_string())));
    assert!(messages(&plain).is_empty(), "nothing readable without keys");
    // Resumed connections (a session ticket offered) decrypt too, and show no certificate.
    let resumed: Vec<_> = hellos
        .iter()
        .filter(|h| h.resumption)
        .map(|h| h.conn)
        .collect();
    assert!(
        !resumed.is_empty(),
        "Chromium resumes with the server's tickets"
    );
    let certs: Vec<_> = tls_msgs(&from_file)
        .into_iter()
        .filter(|t| t.kind == "certificate")
        .map(|t| t.conn)
        .collect();
    assert!(!certs.is_empty());
    assert!(
        resumed.iter().all(|c| !certs.contains(c)),
        "{resumed:?} {certs:?}"
    );
}

#[test]
fn chromium_over_wss_matches_tshark_with_the_same_key_log() {
    let pcap = capture("browser-tls.pcap");
    let keys = capture("browser-tls.keys");
    let evs = keyed(&pcap, &keys);
    let klog = format!("tls.keylog_file:{}", keys.display());
    let dport = format!("tcp.port=={BROWSER_PORT},tls");
    let rows = tshark_fields(
        &pcap,
        "websocket",
        &["frame.number", "websocket.opcode", "websocket.payload.text"],
        &["-o", &klog, "-d", &dport],
    );
    // Every frame: (packet, opcode).
    let mut ours: Vec<(u64, u8)> = frames(&evs)
        .iter()
        .map(|f| (*f.pkts.last().unwrap(), f.header.opcode.code()))
        .collect();
    ours.sort();
    let mut theirs: Vec<(u64, u8)> = rows
        .iter()
        .map(|r| (r[0].parse().unwrap(), r[1].parse().unwrap()))
        .collect();
    theirs.sort();
    assert!(theirs.len() >= 12, "tshark saw {} frames", theirs.len());
    assert_eq!(ours, theirs, "(packet, opcode) of every frame");
    // Every text message, inflated: tshark decompresses permessage-deflate too.
    let our_texts: Vec<(u64, String)> = messages(&evs)
        .iter()
        .filter(|m| m.opcode == Opcode::Text)
        .map(|m| (m.pkt, m.text.clone().expect("text")))
        .collect();
    let their_texts: Vec<(u64, String)> = rows
        .iter()
        .filter(|r| r[1] == "1")
        .map(|r| (r[0].parse().unwrap(), r[2].clone()))
        .collect();
    assert_eq!(our_texts.len(), their_texts.len());
    for ((pa, a), (pb, b)) in our_texts.iter().zip(&their_texts) {
        assert_eq!(pa, pb);
        // Our text is the message's preview: the start of tshark's whole text.
        assert!(b.starts_with(a.trim_end_matches('…')), "{a:?} vs {b:?}");
    }
}

// ---------------------------------------------------------------- wslens stats on TLS

/// tshark's TLS 1.3 encrypted records (opaque type 23: everything after the ServerHello) per
/// direction: (records, bytes of their bodies), client → server then server → client.
fn tshark_tls13_records(pcap: &Path, port: u16) -> [(u64, u64); 2] {
    let out = std::process::Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .args([
            "-n",
            "-d",
            &format!("tcp.port=={port},tls"),
            "-O",
            "tls",
            "-V",
        ])
        .args(["-Y", "tls"])
        .output()
        .expect("tshark must be installed to run this test");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let mut r = [(0u64, 0u64); 2];
    let (mut dir, mut opaque) = (0, false);
    for line in text.lines() {
        if let Some(p) = line.split("Src Port: ").nth(1) {
            let p: u16 = p
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .parse()
                .unwrap();
            dir = usize::from(p == port);
        }
        if line.contains("Record Layer:") {
            opaque = false;
        }
        if line.contains("Opaque Type: Application Data (23)") {
            opaque = true;
        }
        if let Some(n) = line.trim_start().strip_prefix("Length: ")
            && opaque
        {
            r[dir].0 += 1;
            r[dir].1 += n.trim().parse::<u64>().unwrap();
            opaque = false;
        }
    }
    r
}

fn stats(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wslens"))
        .arg("stats")
        .args(args)
        .env_remove("SSLKEYLOGFILE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn stats_counts_tls_connections_and_their_records_as_tshark_does() {
    let browser = capture("browser-tls.pcap");
    let chacha = capture("tls13-chacha.pcap");
    let chacha_keys = capture("tls13-chacha.keys");
    let b = tshark_tls13_records(&browser, BROWSER_PORT);
    let c = tshark_tls13_records(&chacha, 8447);
    assert!(b[0].0 > 0 && b[1].0 > 0 && c[0].0 > 300, "{b:?} {c:?}");
    let pcapng = capture("browser-tls.pcapng");
    // (arguments, connections, carrying a WebSocket, decrypted, suite, tshark's records)
    type Case<'a> = (
        Vec<&'a str>,
        u64,
        u64,
        u64,
        (&'a str, &'a str),
        [(u64, u64); 2],
    );
    let cases: [Case; 4] = [
        (
            vec![browser.to_str().unwrap()],
            6,
            0,
            0,
            ("TLS1.3", "TLS_AES_256_GCM_SHA384"),
            b,
        ),
        (
            vec![pcapng.to_str().unwrap()],
            6,
            1,
            6,
            ("TLS1.3", "TLS_AES_256_GCM_SHA384"),
            b,
        ),
        (
            vec![chacha.to_str().unwrap()],
            1,
            0,
            0,
            ("TLS1.3", "TLS_CHACHA20_POLY1305_SHA256"),
            c,
        ),
        (
            vec![
                chacha.to_str().unwrap(),
                "--tls-keylog",
                chacha_keys.to_str().unwrap(),
            ],
            1,
            1,
            1,
            ("TLS1.3", "TLS_CHACHA20_POLY1305_SHA256"),
            c,
        ),
    ];
    for (args, conns, wss, decrypted, suite, records) in cases {
        let mut a = args.clone();
        a.push("--json");
        let j: serde_json::Value = serde_json::from_str(&stats(&a)).unwrap();
        let t = &j["tls"];
        assert_eq!(t["connections"], conns, "{args:?}: {t}");
        assert_eq!(t["wss"], wss, "{args:?}: {t}");
        assert_eq!(t["decrypted"], decrypted, "{args:?}: {t}");
        assert_eq!(t["suites"][0]["version"], suite.0, "{args:?}");
        assert_eq!(t["suites"][0]["cipher"], suite.1, "{args:?}");
        assert_eq!(t["suites"][0]["connections"], conns, "{args:?}");
        for (i, dir) in ["c2s", "s2c"].into_iter().enumerate() {
            assert_eq!(t["records"][dir], records[i].0, "{args:?} {dir} records");
            assert_eq!(t["bytes"][dir], records[i].1, "{args:?} {dir} bytes");
        }
        // The same in the table, in English and in Chinese.
        let en = stats(&args);
        assert!(en.contains(&format!("TLS connections: {conns};")), "{en}");
        assert!(
            en.contains(&format!(
                "decrypted with a key log: {decrypted}; not decrypted: {}",
                conns - decrypted
            )),
            "{en}"
        );
        assert!(
            en.contains(&format!("  {} {}: {conns}", suite.0, suite.1)),
            "{en}"
        );
        let row = en
            .lines()
            .find(|l| l.starts_with("encrypted records"))
            .expect("records row");
        let nums: Vec<u64> = row
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        assert_eq!(nums, [records[0].0, records[1].0], "{row}");
        let mut zh_args = args.clone();
        zh_args.extend(["--lang", "zh"]);
        let zh = stats(&zh_args);
        assert!(zh.contains(&format!("TLS 连接：{conns} 个")), "{zh}");
        assert!(
            zh.contains(&format!("用密钥日志解密的：{decrypted} 个")),
            "{zh}"
        );
        assert!(zh.contains("加密记录数"), "{zh}");
        assert!(!zh.contains("encrypted records"), "{zh}");
    }
    // ws:// only: no TLS section.
    let plain = stats(&[capture("classroom.pcap").to_str().unwrap()]);
    assert!(!plain.contains("TLS"), "{plain}");
    let j: serde_json::Value = serde_json::from_str(&stats(&[
        capture("classroom.pcap").to_str().unwrap(),
        "--json",
    ]))
    .unwrap();
    assert_eq!(j["tls"]["connections"], 0);
}
