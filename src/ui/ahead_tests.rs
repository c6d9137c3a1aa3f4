//! `End` while a file loads, on a real capture: the end decoded ahead is shown at the file's
//! last packet, then handed back to the whole file at the same event.

use super::ahead::{self, Ahead};
use super::feed::{Batch, Feed};
use super::model::{Model, Msg, update};
use super::source::AheadInfo;
use super::tests::render;
use super::theme::ThemeName;
use crate::capture;
use crate::decoder::Decoder;
use crate::event::{Event, PktNum};
use crate::tail;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, sync_channel};

fn path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

/// The whole decode of a capture in two batches: packets up to `split`, then the rest.
fn halves(p: &Path, split: PktNum) -> (Batch, Batch) {
    let bytes = std::fs::read(p).unwrap();
    let mut dec = Decoder::new(Default::default());
    let (mut a, mut b) = (Batch::default(), Batch::default());
    capture::read_bytes(&bytes, |pk| {
        let to = if pk.num <= split { &mut a } else { &mut b };
        to.push_packet(pk.num, pk.ts_ns, pk.linktype, pk.orig_len, pk.data);
        dec.packet(&pk, &mut |e| to.events.push(e));
    })
    .unwrap();
    dec.finish(&mut |e| b.events.push(e));
    (a, b)
}

/// What the producer thread sends for the end of `p` (its last `window` packets'
/// connections), made here in the test's thread.
fn ahead_feed(p: &Path, window: PktNum) -> (Stop, Receiver<AheadInfo>, Receiver<Feed>, AheadInfo) {
    let plan = tail::plan(p, window, PktNum::MAX, &Default::default()).unwrap();
    let info = AheadInfo {
        total: plan.total,
        from: plan.feed_from,
        conns: plan.conns(),
        mid_stream: plan.mid_stream,
    };
    let mut dec = plan.decoder(Default::default());
    let mut b = Batch::default();
    let keys = dec.tls_keys();
    tail::feed(p, &plan, keys, &Default::default(), |pk, _| {
        b.push_packet(pk.num, pk.ts_ns, pk.linktype, pk.orig_len, pk.data);
        dec.packet(pk, &mut |e| b.events.push(e));
    })
    .unwrap();
    dec.finish(&mut |e| b.events.push(e));
    let (itx, irx) = sync_channel(1);
    itx.send(info).unwrap();
    let (tx, rx) = sync_channel(4);
    tx.send(Feed::Batch(b)).unwrap();
    tx.send(Feed::Done).unwrap();
    (Stop::default(), irx, rx, info)
}

type Stop = std::sync::Arc<std::sync::atomic::AtomicBool>;

fn press(main: &mut Model, a: &mut Option<Ahead>, code: KeyCode) {
    ahead::key(main, a, KeyEvent::new(code, KeyModifiers::NONE));
}

fn selected(m: &Model) -> Event {
    m.store.event(m.cursor.unwrap()).unwrap()
}

/// A model of the whole file with its first `split` packets in, still loading.
fn loading(p: &Path, split: PktNum) -> (Model, Batch) {
    let (first, rest) = halves(p, split);
    let mut main = Model::new("polling-vs-ws.pcap".into(), ThemeName::Dark, false);
    main.ahead_ok = true;
    update(&mut main, Msg::Resize(100, 30));
    update(&mut main, Msg::Feed(Feed::Batch(first)));
    (main, rest)
}

/// `End` pressed on the whole file with its first `split` packets in, and the end of it
/// (its last packet's connection) on its way: the whole file's model, the rest of its packets,
/// the end's model and what it covers.
fn end_pressed(split: PktNum) -> (Model, Batch, Option<Ahead>, AheadInfo, Stop) {
    let p = path("polling-vs-ws.pcap");
    let (mut main, rest) = loading(&p, split);
    let mut a = None;
    press(&mut main, &mut a, KeyCode::End);
    assert!(main.wants_ahead());
    let (stop, irx, rx, info) = ahead_feed(&p, 1);
    let stopped = stop.clone();
    a = Some(Ahead::new(&mut main, stop, irx, rx));
    (main, rest, a, info, stopped)
}

/// Take the end's whole decode.
fn decoded(a: &mut Option<Ahead>) -> &mut Ahead {
    let ah = a.as_mut().unwrap();
    while ah.preparing() {
        ah.pump(8);
    }
    ah
}

#[test]
fn end_shows_the_end_decoded_ahead_then_the_whole_file_at_the_same_event() {
    let (mut main, rest, mut a, info, _) = end_pressed(10);
    // The WebSocket connection, the last of six, starts at packet 51 of 72.
    assert_eq!((info.from, info.total, info.conns), (51, 72, 1));
    assert!(render(&main, 100, 30).contains("End: decoding the end of the file ahead"));
    let ah = decoded(&mut a);
    assert!(ahead::settle(&mut main, ah));
    assert!(ah.shown);
    // The file's last packet, in the connection the whole file numbers 6.
    let last = selected(&ah.model);
    assert_eq!((last.pkt(), last.conn()), (Some(72), Some(6)));
    let screen = render(&ah.model, 100, 30);
    assert!(
        screen.contains("end decoded ahead · file 13% loaded"),
        "{screen}"
    );
    assert!(screen.contains("Detail: packet 72"), "{screen}");
    assert!(screen.contains("Ladder: connection 6"), "{screen}");
    assert!(!screen.contains("Detail: event"), "{screen}");
    // Keys go to the end's view: three steps back.
    for _ in 0..3 {
        press(&mut main, &mut a, KeyCode::Char('p'));
    }
    let there = selected(&a.as_ref().unwrap().model);
    assert!(there.pkt() < Some(72));
    // The rest of the file arrives: the whole file's view takes over at the same event.
    update(&mut main, Msg::Feed(Feed::Batch(rest)));
    update(&mut main, Msg::Feed(Feed::Done));
    assert!(!ahead::settle(&mut main, a.as_mut().unwrap()));
    assert_eq!(selected(&main), there);
    let screen = render(&main, 100, 30);
    assert!(!screen.contains("decoded ahead"), "{screen}");
    assert!(screen.contains("Connections (6)"), "{screen}");
}

#[test]
fn home_on_the_end_goes_back_to_the_start_of_the_whole_file() {
    let (mut main, _, mut a, _, _) = end_pressed(10);
    ahead::settle(&mut main, decoded(&mut a));
    press(&mut main, &mut a, KeyCode::Home);
    assert!(a.is_none());
    assert!(main.playback && !main.ahead_wanted && main.ahead_note.is_none());
    assert_eq!(selected(&main).pkt(), Some(1));
}

/// Stepping in the loaded part while the end is decoded: the end is not shown after all.
#[test]
fn moving_meanwhile_cancels_the_end() {
    let (mut main, _, mut a, _, stopped) = end_pressed(10);
    press(&mut main, &mut a, KeyCode::Char('p'));
    // Whether or not the end is decoded yet, it is let go at once.
    let ah = a.as_mut().unwrap();
    assert!(!ahead::settle(&mut main, ah));
    assert!(!ah.shown && main.ahead_note.is_none());
    a = None;
    assert!(a.is_none() && stopped.load(std::sync::atomic::Ordering::Relaxed));
}

/// When the end's connections go back about as far as what is loaded, it is not worth it.
#[test]
fn an_end_reaching_back_to_the_loaded_part_is_not_decoded_ahead() {
    let (mut main, rest, mut a, _, _) = end_pressed(40);
    let ah = a.as_mut().unwrap();
    ah.pump(0);
    assert!(!ahead::settle(&mut main, ah));
    assert!(!main.ahead_ok && main.ahead_note.is_none());
    // Not asked again, not even by another End.
    assert!(!main.wants_ahead());
    a = None;
    press(&mut main, &mut a, KeyCode::End);
    assert!(!main.wants_ahead() && a.is_none());
    // `End` still means the end: the view keeps to the newest event as the file loads.
    update(&mut main, Msg::Feed(Feed::Batch(rest)));
    update(&mut main, Msg::Feed(Feed::Done));
    assert_eq!(selected(&main).pkt(), Some(72));
}
