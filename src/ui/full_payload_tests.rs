//! Whole payloads in the detail pane, on real recordings whose messages are longer than the
//! UI's preview: the loaded bytes are the ones the peers logged (their SHA-256) and the ones
//! `wslens export --messages` writes, and the pane shows the message's last bytes.

use super::full_payload::{FullPayload, FullState, Origin};
use super::model::{Focus, Model, Msg, update};
use super::theme::ThemeName;
use crate::event::{Dir, Event};
use crate::teach::Lang;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::PathBuf;

fn capture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/captures")).join(name)
}

/// The UI on a capture file, as `wslens FILE` opens it (whole payloads read from the file).
fn open(name: &str, w: u16, h: u16) -> Model {
    open_path(capture(name), w, h)
}

/// The UI on a capture file, loaded whole, as `wslens open` does.
fn open_path(p: PathBuf, w: u16, h: u16) -> Model {
    let keys = crate::tls::KeyStore::default();
    let rx = super::source::spawn_file(p.clone(), keys.clone());
    let name = p
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let mut m = Model::new(name, ThemeName::Dark, false);
    update(&mut m, Msg::Resize(w, h));
    m.store.file = std::fs::File::open(&p).ok();
    for f in rx {
        let end = matches!(f, super::feed::Feed::Done | super::feed::Feed::Error(_));
        update(&mut m, Msg::Feed(f));
        if end {
            break;
        }
    }
    m.full_origin = Some(Origin::File(p, keys));
    m
}

fn key(m: &mut Model, k: KeyCode) {
    update(m, Msg::Key(KeyEvent::new(k, KeyModifiers::NONE)));
}

/// The `n`th data message of at least `len` bytes in direction `dir`.
fn long_message(m: &Model, dir: Dir, len: u64) -> usize {
    m.store
        .all_events()
        .iter()
        .position(|e| matches!(e, Event::WsMessage(x) if x.dir == dir && x.len >= len))
        .expect("the capture has a long message")
}

/// The whole payload as the peers' libraries logged it: its SHA-256, in hex.
fn peers_sha(name: &str, dir: Dir, len: u64) -> String {
    let log = std::fs::read_to_string(capture(name)).unwrap();
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["dir"] == dir.as_str() && v["len"] == len && v["action"] == "sent")
        .and_then(|v| v["sha256"].as_str().map(str::to_string))
        .expect("the peers logged the message")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// What `wslens export --messages` writes for this capture (the same code as the command).
fn exported(name: &str) -> std::collections::BTreeMap<String, Vec<u8>> {
    use crate::decoder::{DecodeOptions, Decoder};
    let dir = std::env::temp_dir().join(format!("wslens-f26-{}-{name}", std::process::id()));
    let mut files = crate::export::MessageFiles::new(&dir).unwrap();
    let mut dec = Decoder::new(DecodeOptions {
        limits: crate::export::full_limits(64 << 20),
        ..Default::default()
    });
    let keys = dec.tls_keys();
    let mut sink = |ev: Event| {
        if let Some(m) = crate::export::message(&ev) {
            files.message(m).unwrap();
        }
    };
    crate::capture::with_secrets(
        move |ty, t| {
            if ty == crate::tls::DSB_TLS_KEY_LOG {
                keys.add_text(t)
            }
        },
        || crate::capture::read_file(&capture(name), |p| dec.packet(&p, &mut sink)),
    )
    .unwrap();
    dec.finish(&mut sink);
    let mut out = std::collections::BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        out.insert(
            p.file_name().unwrap().to_string_lossy().into_owned(),
            std::fs::read(&p).unwrap(),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// The whole payload loaded for the selected message.
fn loaded(m: &Model) -> Vec<u8> {
    match m.full.as_ref().map(|f| &f.2) {
        Some(FullState::Ready(p)) => match &**p {
            FullPayload::Msg { body, .. } => body.bytes.to_vec(),
            _ => panic!("not a message"),
        },
        _ => panic!("not loaded"),
    }
}

/// Whether the screen shows the hex row of the payload's last bytes, as the hex view prints
/// it at any of its widths (16, 8, 4 or 2 bytes to a row).
fn shows_last_hex_row(screen: &str, b: &[u8]) -> bool {
    let digits = format!("{:x}", b.len() - 1).len().max(4);
    [16, 8, 4, 2].iter().any(|n| {
        let at = (b.len() - 1) / n * n;
        let row: Vec<String> = b[at..].iter().map(|x| format!("{x:02x}")).collect();
        screen.contains(&format!("{at:0digits$x}  {}", row.join(" ")))
    })
}

/// Whether the screen shows the base64 view's last row (rows of 3 to 48 bytes).
fn shows_last_base64_row(screen: &str, b: &[u8]) -> bool {
    use base64::Engine as _;
    (1..=16).any(|k| {
        let per = 3 * k;
        let at = (b.len() - 1) / per * per;
        screen.contains(&base64::engine::general_purpose::STANDARD.encode(&b[at..]))
    })
}

#[test]
fn a_long_tls_message_is_loaded_whole_and_its_last_bytes_shown() {
    // wss:// with KeyUpdates: a 40,000-byte binary message each way (the client's masked),
    // decrypted with the keys embedded in the pcapng.
    let name = "tls13-keyupdate.pcapng";
    let files = exported(name);
    for (dir, file) in [
        (Dir::C2S, "conn1-c2s-000005.bin"),
        (Dir::S2C, "conn1-s2c-000005.bin"),
    ] {
        for (w, h) in [(80, 24), (100, 30)] {
            let mut m = open(name, w, h);
            let i = long_message(&m, dir, 40_000);
            // Only the connection's packets are decoded again, read by their offsets.
            let (_, t) = super::full_payload::target(&m.store, i).unwrap();
            assert!(super::full_payload::conn_packets(&m.store, &t).is_some());
            m.select(i);
            // Before the load finishes the pane says so, with the preview's views.
            let screen = super::tests::render(&m, w, h);
            assert!(
                m.full.is_some() && matches!(m.full.as_ref().unwrap().2, FullState::Loading(_)),
                "a cut preview starts a load"
            );
            let _ = screen;
            m.wait_full_payload();
            let whole = loaded(&m);
            assert_eq!(whole.len(), 40_000);
            let peers = peers_sha("tls13-keyupdate.peers.ndjson", dir, 40_000);
            assert_eq!(hex(&crate::sha::sha256(&whole)), peers);
            assert_eq!(
                files.get(file),
                Some(&whole),
                "as export --messages writes it"
            );
            // End in the detail pane: the last rows, the payload's last bytes among them.
            m.focus = Focus::Detail;
            key(&mut m, KeyCode::End);
            let screen = super::tests::render(&m, w, h);
            // The base64 view is last; its last row encodes the last bytes.
            assert!(shows_last_base64_row(&screen, &whole), "{screen}");
            assert!(!screen.contains("first 256"), "{screen}");
        }
    }
}

#[test]
fn a_three_mib_message_is_shown_whole_and_scrolls_to_its_end() {
    // node's ws echoing 3 MiB: the detail has ~200k hex rows and ~65k base64 rows, made only
    // when drawn.
    let name = "echo-node.pcap";
    let len = 3 * 1024 * 1024;
    let mut m = open(name, 100, 30);
    let i = long_message(&m, Dir::S2C, len);
    m.select(i);
    m.wait_full_payload();
    let whole = loaded(&m);
    assert_eq!(
        hex(&crate::sha::sha256(&whole)),
        peers_sha("echo-node.peers.ndjson", Dir::S2C, len)
    );
    assert!(m.detail.len() > (len / 16) as usize);
    m.focus = Focus::Detail;
    // Page down from the top reaches the hex rows (scrolling past the selectable lines).
    for _ in 0..20 {
        key(&mut m, KeyCode::Down);
    }
    assert!(m.detail_offset > 0);
    key(&mut m, KeyCode::End);
    let screen = super::tests::render(&m, 100, 30);
    // The base64 view comes last: its last row encodes the last bytes.
    assert!(shows_last_base64_row(&screen, &whole), "{screen}");
    // Back up to the hex view's last row: just above the base64 heading.
    let b64 = (0..m.detail.len())
        .rev()
        .find(|&k| m.detail.line(k).unwrap().text == "Payload as base64")
        .unwrap();
    m.detail_offset = b64 - 5;
    let screen = super::tests::render(&m, 100, 30);
    assert!(shows_last_hex_row(&screen, &whole), "{screen}");
}

#[test]
fn chinese_notes_and_a_live_source_keeps_the_preview_with_a_note() {
    let name = "tls13-keyupdate.pcapng";
    let mut m = open(name, 100, 30);
    m.set_lang(Lang::Zh);
    // No file to read again (a live capture): the preview, and why.
    m.full_origin = None;
    let i = long_message(&m, Dir::S2C, 40_000);
    m.select(i);
    assert!(matches!(
        m.full.as_ref().map(|f| &f.2),
        Some(FullState::Unavailable)
    ));
    let all: String = (0..m.detail.len())
        .map(|k| m.detail.line(k).unwrap().text.clone() + "\n")
        .collect();
    assert!(all.contains("实时抓包"), "{all}");
    assert!(all.contains("40000 字节中的前 256 字节"), "{all}");
    // From the file: loading, then the whole payload.
    let mut m = open(name, 100, 30);
    m.set_lang(Lang::Zh);
    m.select(i);
    let all: String = (0..m.detail.len())
        .map(|k| m.detail.line(k).unwrap().text.clone() + "\n")
        .collect();
    assert!(
        all.contains("正在从文件读取完整载荷（40000 字节）"),
        "{all}"
    );
    m.wait_full_payload();
    let all: String = (0..m.detail.len())
        .map(|k| m.detail.line(k).unwrap().text.clone() + "\n")
        .collect();
    assert!(!all.contains("正在从文件读取"), "{all}");
    assert!(all.contains("载荷（base64）"));
    assert!(!all.contains("字节中的前"), "{all}");
}

#[test]
fn a_short_message_starts_no_load() {
    let mut m = open("tls13-keyupdate.pcapng", 100, 30);
    let i = m
        .store
        .all_events()
        .iter()
        .position(|e| matches!(e, Event::WsMessage(x) if x.len < 100 && x.len > 0))
        .unwrap();
    m.select(i);
    assert!(m.full.is_none());
}

/// The UI on a capture decoded with smaller previews than its own (`text` bytes of text,
/// `binary` of binary), so that the messages of a recording longer than them are cut as a
/// longer message would be with the UI's previews.
fn open_cut(name: &str, text: usize, binary: usize) -> Model {
    use crate::decoder::{DecodeOptions, Decoder};
    let p = capture(name);
    let mut opts = DecodeOptions::default();
    opts.limits.message_preview = text;
    opts.limits.binary_preview = binary;
    opts.limits.frame_preview = 64;
    let mut dec = Decoder::new(opts);
    let keys = dec.tls_keys();
    let mut b = super::feed::Batch::default();
    let mut events = Vec::new();
    crate::capture::with_secrets(
        move |ty, t| {
            if ty == crate::tls::DSB_TLS_KEY_LOG {
                keys.add_text(t)
            }
        },
        || {
            crate::capture::read_file(&p, |pk| {
                b.push_packet(pk.num, pk.ts_ns, pk.linktype, pk.orig_len, pk.data);
                dec.packet(&pk, &mut |ev| events.push(ev));
            })
        },
    )
    .unwrap();
    dec.finish(&mut |ev| events.push(ev));
    b.events = events;
    let mut m = Model::new(name.into(), ThemeName::Dark, false);
    update(&mut m, Msg::Resize(100, 30));
    update(&mut m, Msg::Feed(super::feed::Feed::Batch(b)));
    update(&mut m, Msg::Feed(super::feed::Feed::Done));
    m.full_origin = Some(Origin::File(p, crate::tls::KeyStore::default()));
    m
}

#[test]
fn inflated_messages_come_out_whole_in_plain_and_tls_captures() {
    // permessage-deflate: a 4000-byte text message compressed on the wire, in the clear and
    // inside TLS 1.2; with a 1000-byte preview it is cut, and loaded whole it is what the
    // peers sent (the client's frames masked, then compressed, then decrypted).
    for (name, log) in [
        ("deflate.pcap", "deflate.peers.ndjson"),
        ("tls12-gcm.pcapng", "tls12-gcm.peers.ndjson"),
    ] {
        let files = exported(name);
        for dir in [Dir::C2S, Dir::S2C] {
            let mut m = open_cut(name, 1000, 16);
            let i = long_message(&m, dir, 4000);
            let Event::WsMessage(pre) = &m.store.event(i).unwrap() else {
                unreachable!()
            };
            assert!(
                pre.compressed && pre.text_truncated,
                "{name}: cut and inflated"
            );
            m.select(i);
            m.wait_full_payload();
            let whole = loaded(&m);
            assert_eq!(whole.len(), 4000, "{name}");
            assert_eq!(hex(&crate::sha::sha256(&whole)), peers_sha(log, dir, 4000));
            assert!(
                files.values().any(|f| *f == whole),
                "{name}: as export writes it"
            );
            // The text view's last row is the text's end.
            m.focus = Focus::Detail;
            key(&mut m, KeyCode::End);
            let screen = super::tests::render(&m, 100, 30);
            let text = String::from_utf8(whole.clone()).unwrap();
            let tail: String = text
                .chars()
                .rev()
                .take(8)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            assert!(
                screen.contains(tail.trim_end()),
                "{name}: {tail:?} not in\n{screen}"
            );
            assert!(
                (0..m.detail.len()).any(|k| m.detail.line(k).unwrap().text == "Payload as text")
            );
            // The note that the view shows only the first 1000 bytes is gone.
            assert!(!screen.contains("first 1000"), "{screen}");
        }
    }
}

#[test]
fn an_application_message_over_a_cut_message_is_decoded_whole() {
    // Socket.IO with the msgpack parser: a 1061-byte binary event. With 300-byte previews the
    // event cannot be read from the preview; loaded whole it is the event the UI shows with its
    // own (64 KiB) previews, arguments and all.
    let name = "socketio-msgpack.pcap";
    let mut m = open_cut(name, 300, 16);
    let (i, pkt) = m
        .store
        .all_events()
        .iter()
        .enumerate()
        .find_map(|(i, e)| match e {
            Event::WsMessage(x) if x.len == 1061 => Some((i, x.pkt)),
            _ => None,
        })
        .unwrap();
    let app = (i..m.store.len())
        .find(|&k| matches!(&m.store.event(k).unwrap(), Event::App(a) if a.pkt == pkt))
        .unwrap();
    m.select(app);
    m.wait_full_payload();
    let Some(FullState::Ready(p)) = m.full.as_ref().map(|f| &f.2) else {
        panic!("loaded")
    };
    let FullPayload::App(whole) = &**p else {
        panic!("an application message")
    };
    // The same event as with the UI's own previews.
    let b = super::decode_all(&std::fs::read(capture(name)).unwrap()).unwrap();
    let want = b
        .events
        .iter()
        .find_map(|e| match e {
            Event::App(a) if a.pkt == pkt => Some(a),
            _ => None,
        })
        .unwrap();
    assert_eq!(whole.kind, want.kind);
    assert_eq!(whole.name, want.name);
    assert_eq!(whole.args, want.args);
    // From the preview alone it was not that event.
    let Event::App(cut) = &m.store.event(app).unwrap() else {
        unreachable!()
    };
    assert_ne!((cut.kind, &cut.name), (want.kind, &want.name));
    let all: String = (0..m.detail.len())
        .map(|k| m.detail.line(k).unwrap().text.clone() + "\n")
        .collect();
    assert!(
        all.contains(&format!("name: {}", want.name.as_deref().unwrap())),
        "{all}"
    );
    // And the message itself, selected, has its MessagePack tree whole.
    m.select(i);
    m.wait_full_payload();
    let all: String = (0..m.detail.len())
        .map(|k| m.detail.line(k).unwrap().text.clone() + "\n")
        .collect();
    assert!(all.contains("Payload as MessagePack"), "{all}");
}

/// Time to load the last long message of a large capture, both ways (run by hand, in release:
/// `WSLENS_FULL_BENCH=FILE cargo test --release --lib full_payload_tests::measure -- --ignored
/// --nocapture`).
#[test]
#[ignore]
fn measure_load_times() {
    let Ok(path) = std::env::var("WSLENS_FULL_BENCH") else {
        return;
    };
    let p = PathBuf::from(&path);
    let t0 = std::time::Instant::now();
    let mut m = open_path(p.clone(), 100, 30);
    eprintln!("opened in {:?}", t0.elapsed());
    let i = m
        .store
        .all_events()
        .iter()
        .rposition(|e| matches!(e, Event::WsMessage(x) if super::full_payload::is_cut(x)))
        .unwrap();
    let (_, t) = super::full_payload::target(&m.store, i).unwrap();
    let packets = super::full_payload::conn_packets(&m.store, &t);
    let n = packets.as_ref().map_or(0, Vec::len);
    let origin = Origin::File(p.clone(), crate::tls::KeyStore::default());
    let t0 = std::time::Instant::now();
    let r = super::full_payload::spawn(origin.clone(), t, packets, 58).wait();
    assert!(matches!(r, Ok(FullPayload::Msg { .. })));
    eprintln!("its connection's {n} packets: {:?}", t0.elapsed());
    let t0 = std::time::Instant::now();
    let r = super::full_payload::spawn(origin, t, None, 58).wait();
    assert!(matches!(r, Ok(FullPayload::Msg { .. })));
    eprintln!("the file up to it: {:?}", t0.elapsed());
    // Drawing a page of its views, at the end.
    m.select(i);
    m.wait_full_payload();
    m.focus = Focus::Detail;
    key(&mut m, KeyCode::End);
    let t0 = std::time::Instant::now();
    for _ in 0..100 {
        let _ = super::tests::render(&m, 100, 30);
    }
    eprintln!("one frame at the payload's end: {:?}", t0.elapsed() / 100);
}
