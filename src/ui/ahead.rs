//! `End` while a large file loads: its end, decoded ahead of the rest ([`crate::tail`]), shown
//! at once in a second model until the whole file is in; then the view goes back to the whole
//! file at the same event.
//!
//! While the end is being decoded the file's own decoding waits (its channel is not read), so
//! both cores work on what was asked for. The end's connections are decoded from their first
//! packet (or, begun very long before, picked up mid-way, which the header says), under the
//! numbers and times the whole file gives them, so what the preview shows is what the whole
//! file will show for them.

use super::feed::Feed;
use super::model::{Model, update};
use super::source::AheadInfo;
use crate::event::{ConnId, PktNum};
use crate::teach::Msg;
use crate::teach::catalog::say;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};

/// The end of the file, decoded ahead, and whether it is what the user sees.
pub struct Ahead {
    pub model: Model,
    /// Set when this is dropped: the producer thread stops reading.
    stop: Arc<AtomicBool>,
    info_rx: Receiver<AheadInfo>,
    rx: Receiver<Feed>,
    pub info: Option<AheadInfo>,
    /// The user sees this model (else the whole file's, while this one is still decoded).
    pub shown: bool,
}

impl Ahead {
    /// A model for the end of `main`'s file, fed by `rx` after `info_rx` has said what it
    /// covers (see [`super::source::spawn_ahead`]). It looks like `main` (size, theme,
    /// language, panes, filters).
    pub fn new(
        main: &mut Model,
        stop: Arc<AtomicBool>,
        info_rx: Receiver<AheadInfo>,
        rx: Receiver<Feed>,
    ) -> Ahead {
        let mut m = Model::new(main.source.clone(), main.theme, false);
        m.set_lang(main.lang());
        same_view(main, &mut m);
        m.full_origin = main.full_origin.clone();
        m.hidden = true;
        m.ahead_view = true;
        m.store.file = main.store.file.as_ref().and_then(|f| f.try_clone().ok());
        m.store.first_ts_ns = main.store.first_ts_ns;
        if let Some(b) = main.store.budget() {
            m.store.set_budget(b);
        }
        main.ahead_note = Some(say(main.lang(), Msg::UiAheadPreparing, &[]));
        Ahead {
            model: m,
            stop,
            info_rx,
            rx,
            info: None,
            shown: false,
        }
    }

    /// Take up to `max` batches of the end's decode; how many were taken.
    pub fn pump(&mut self, max: usize) -> usize {
        if self.info.is_none() {
            self.info = self.info_rx.try_recv().ok();
        }
        let mut got = 0;
        while !self.model.done && got < max {
            match self.rx.try_recv() {
                Ok(f) => {
                    update(&mut self.model, super::Msg::Feed(f));
                    got += 1;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    update(&mut self.model, super::Msg::Feed(Feed::Done))
                }
            }
        }
        got
    }

    /// Still decoding: the whole file's decode waits meanwhile.
    pub fn preparing(&self) -> bool {
        !self.model.done
    }

    /// What the header says while this model is shown.
    fn note(&self, main: &Model) -> String {
        let Some(i) = self.info else {
            return String::new();
        };
        let loaded = main.store.packets.len() as u64;
        let pct = (loaded * 100).checked_div(i.total).unwrap_or(100).min(99);
        let mut s = say(main.lang(), Msg::UiAheadShown, &[("pct", &pct)]);
        if i.mid_stream > 0 {
            s.push_str(&say(main.lang(), Msg::UiAheadMid, &[("n", &i.mid_stream)]));
        }
        s
    }
}

impl Drop for Ahead {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// After each round of feeding: show the end once it is decoded (if `End` is still what was
/// asked for), say how far the whole file is meanwhile, and go back to the whole file once it
/// is in, at the event the end's view stands on. Returns false when `ahead` is finished with
/// (drop it).
pub fn settle(main: &mut Model, ahead: &mut Ahead) -> bool {
    if let Some(i) = ahead.info
        && !ahead.shown
        && !worth_it(i, main.store.packets.len() as PktNum)
    {
        // The end's connections go back nearly as far as the file is loaded: loading the rest
        // is as quick. Not asked again for this file (it only gets less worth it).
        main.ahead_ok = false;
        main.ahead_wanted = false;
        main.ahead_note = None;
        return false;
    }
    if !ahead.shown && (main.done || !main.ahead_wanted) {
        // Another key took the view elsewhere meanwhile (or the file is in): the whole file's
        // decode goes on at once, and the end's stops.
        main.ahead_note = None;
        main.ahead_wanted = false;
        return false;
    }
    if ahead.preparing() {
        return true;
    }
    if let Some(e) = ahead.model.error.take() {
        // Nothing to show ahead: the whole file goes on loading, and the header says why.
        main.ahead_note = None;
        main.ahead_wanted = false;
        main.error = Some(say(main.lang(), Msg::UiAheadFailed, &[("e", &e)]));
        return false;
    }
    if main.done {
        hand_back(main, ahead);
        main.ahead_note = None;
        return false;
    }
    if !ahead.shown {
        ahead.shown = true;
        ahead.model.hidden = false;
        // The whole file's view is chosen anew when it is in (`hand_back`): until then it
        // need not keep to its newest event.
        main.follow = false;
        main.ahead_note = None;
        ahead.model.size = main.size;
        ahead.model.last();
    }
    ahead.model.ahead_note = Some(ahead.note(main));
    true
}

/// Whether decoding the end ahead is much less work than loading the rest of the file, with
/// `loaded` packets of it in.
fn worth_it(i: AheadInfo, loaded: PktNum) -> bool {
    let ahead = i.total.saturating_sub(i.from) + 1;
    let rest = i.total.saturating_sub(loaded);
    ahead.saturating_mul(2) < rest
}

/// The whole file is in: select in it the event the end's view stands on, with the same
/// panes and filters.
fn hand_back(main: &mut Model, ahead: &Ahead) {
    let a = &ahead.model;
    same_view(a, main);
    main.playback = false;
    main.playing = false;
    main.ahead_wanted = false;
    match a.cursor.and_then(|c| same_event(a, main, c)) {
        Some(i) => main.select(i),
        None => main.last(),
    }
}

/// `to` looks like `from`: size, theme, focused pane, filters and ladder options.
fn same_view(from: &Model, to: &mut Model) {
    to.size = from.size;
    to.theme = from.theme;
    to.focus = from.focus;
    to.layer = from.layer;
    to.hide_acks = from.hide_acks;
    to.raw_seq = from.raw_seq;
    to.per_layer = from.per_layer;
    to.show_dt = from.show_dt;
    to.presenter = from.presenter;
}

/// Event `c` of `from` in `to`: the same connection's event at the same packet, counting
/// from the first of that packet's (the two decodes give a connection the same events).
fn same_event(from: &Model, to: &Model, c: usize) -> Option<usize> {
    let ev = from.store.event(c)?;
    let (conn, pkt) = (ev.conn()?, ev.pkt()?);
    let nth = nth_at_packet(from, conn, pkt, c)?;
    let ci = to.store.conn(conn)?;
    let evs = &ci.events;
    let pkt_of = |i: usize| to.store.event(evs[i] as usize).and_then(|e| e.pkt());
    // The connection's events are in packet order: the first at `pkt`, by bisection.
    let (mut lo, mut hi) = (0, evs.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if pkt_of(mid).is_some_and(|p| p < pkt) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let i = lo + nth;
    (i < evs.len() && pkt_of(i) == Some(pkt))
        .then(|| evs[i] as usize)
        .or_else(|| evs.get(lo).map(|&e| e as usize))
}

/// How many of connection `conn`'s events at packet `pkt` come before event `c`.
fn nth_at_packet(m: &Model, conn: ConnId, pkt: PktNum, c: usize) -> Option<usize> {
    let ci = m.store.conn(conn)?;
    let at = ci.events.iter().position(|&e| e as usize == c)?;
    Some(
        ci.events[..at]
            .iter()
            .rev()
            .take_while(|&&e| m.store.event(e as usize).and_then(|e| e.pkt()) == Some(pkt))
            .count(),
    )
}

/// The model the user sees: the end's while it is shown, else the whole file's.
pub fn active<'a>(main: &'a mut Model, ahead: &'a mut Option<Ahead>) -> &'a mut Model {
    match ahead {
        Some(a) if a.shown => &mut a.model,
        _ => main,
    }
}

/// A key: to the model the user sees. `Home` on the end's view goes back to the whole file
/// (what is loaded of it) at its start, as `Home` does there.
pub fn key(main: &mut Model, ahead: &mut Option<Ahead>, k: KeyEvent) {
    if let Some(a) = ahead.as_mut().filter(|a| a.shown) {
        let home = matches!(k.code, KeyCode::Home | KeyCode::Char('g'))
            && a.model.focus != super::model::Focus::Detail
            && a.model.search_input.is_none()
            && a.model.msg_input.is_none();
        if !home {
            update(&mut a.model, super::Msg::Key(k));
            main.quit |= a.model.quit;
            return;
        }
        *ahead = None;
        main.ahead_note = None;
    }
    update(main, super::Msg::Key(k));
}
