//! The narration pane's sentences, from the teaching layer (`teach::narrate`) in the chosen
//! language.
//!
//! A sentence can depend on earlier events of the same connection (initial sequence numbers,
//! whether the upgrade happened, what was already explained), so narrating an event needs the
//! `NarrationContext` as it stood just before it. The context only holds per-connection facts,
//! so replaying *that connection's* events is enough. To keep selection changes cheap on huge
//! captures, contexts are checkpointed every [`CHECKPOINT_EVERY`] events of a connection, built
//! lazily the first time a selection needs them: any selection then replays at most that many
//! events. Nothing here runs while drawing; the model calls it when the selection changes.

use super::store::{ConnInfo, Store};
use crate::event::Event;
use crate::teach::{Lang, NarrationContext, narrate};

/// Events of one connection between two stored contexts.
pub const CHECKPOINT_EVERY: usize = 1024;

#[derive(Default)]
pub struct NarrationCache {
    lang: Lang,
    /// Per connection of more than [`CHECKPOINT_EVERY`] events: the context after
    /// `k * CHECKPOINT_EVERY` of its events (a map, not a list by id: a live flood of short
    /// connections must not grow it).
    checkpoints: rustc_hash::FxHashMap<u32, Vec<NarrationContext>>,
    /// The selection narrated last, so a redraw or resize does not narrate again.
    last: Option<(usize, Vec<String>)>,
    /// The context built last (connection id, events replayed, context): stepping forward
    /// continues from it instead of from the checkpoint, since events are read back from the
    /// store's spill file rather than borrowed.
    near: Option<(u32, usize, NarrationContext)>,
    /// Long connections followed as their events arrive (id → events seen, context), so their
    /// checkpoints are made while the events are at hand instead of read back later.
    following: rustc_hash::FxHashMap<u32, (usize, NarrationContext)>,
}

impl NarrationCache {
    pub fn new(lang: Lang) -> Self {
        NarrationCache {
            lang,
            ..Default::default()
        }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn set_lang(&mut self, lang: Lang) {
        if lang != self.lang {
            // Contexts do not depend on the language; only the sentences do.
            self.lang = lang;
            self.last = None;
        }
    }

    /// The sentences for the event at global index `idx`: a connection's opening is told after
    /// its first segment (it has no row of its own), and a frame's message with the frame that
    /// completed it (they share a row).
    pub fn sentences(&mut self, store: &Store, idx: usize) -> Vec<String> {
        if let Some((i, s)) = &self.last
            && *i == idx
        {
            return s.clone();
        }
        let out = self.compute(store, idx);
        self.last = Some((idx, out.clone()));
        out
    }

    fn compute(&mut self, store: &Store, idx: usize) -> Vec<String> {
        let lang = self.lang;
        let Some(ev) = store.event(idx) else {
            return Vec::new();
        };
        let ev = &ev;
        let Some(ci) = ev.conn().and_then(|c| store.conn(c)) else {
            return narrate(ev, &NarrationContext::new(), lang);
        };
        let Ok(pos) = ci.events.binary_search(&(idx as u32)) else {
            return narrate(ev, &NarrationContext::new(), lang);
        };
        let mut out = Vec::new();
        // A connection's opening has no ladder row: tell it with the event right after it.
        let opened_just_before = pos
            .checked_sub(1)
            .and_then(|p| ci.events.get(p))
            .and_then(|&e| store.event(e as usize))
            .is_some_and(|e| matches!(e, Event::ConnOpen(_)));
        let start = if opened_just_before { pos - 1 } else { pos };
        let mut cx = self.context_at(store, &ci, start);
        // The event's own sentences come first (a small pane shows them without scrolling);
        // what the connection is follows.
        let mut opening = Vec::new();
        if opened_just_before && let Some(open) = store.event(ci.events[start] as usize) {
            opening = narrate(&open, &cx, lang);
            cx.observe(&open);
        }
        out.extend(narrate(ev, &cx, lang));
        // The message a frame completed is shown on the frame's row.
        if let Some(m) = store.meta(idx).and_then(|m| m.message)
            && let Ok(mpos) = ci.events.binary_search(&m)
            && mpos > pos
        {
            for &e in ci.events.get(pos..mpos).unwrap_or(&[]) {
                if let Some(e) = store.event(e as usize) {
                    cx.observe(&e);
                }
            }
            if let Some(msg) = store.event(m as usize) {
                out.extend(narrate(&msg, &cx, lang));
            }
        }
        out.extend(opening);
        out
    }

    /// Called with each event before the store files it: a connection that reaches
    /// [`CHECKPOINT_EVERY`] events is followed from then on (until it closes), its checkpoints
    /// made as its events come. Short connections are not followed: replaying them is cheap,
    /// and a flood of them would cost a context each.
    pub fn follow(&mut self, store: &Store, ev: &Event) {
        // Called for every event: only the two facts needed, without copying a summary.
        let Some(id) = ev.conn() else { return };
        let Some((pos, closed)) = store.conns.with(id, |ci| (ci.events.len(), ci.closed)) else {
            return;
        };
        let cx = match self.following.get_mut(&id) {
            Some((at, _)) if *at != pos => {
                self.following.remove(&id);
                return;
            }
            Some(f) => f,
            None if pos == CHECKPOINT_EVERY && !closed => {
                let Some(ci) = store.conn(id) else { return };
                let cx = self.context_at(store, &ci, pos);
                self.following.entry(id).or_insert((pos, cx))
            }
            None => return,
        };
        if pos.is_multiple_of(CHECKPOINT_EVERY)
            && let Some(cps) = self.checkpoints.get_mut(&id)
            && cps.len() == pos / CHECKPOINT_EVERY
        {
            cps.push(cx.1.clone());
        }
        cx.1.observe(ev);
        cx.0 += 1;
        if matches!(ev, Event::ConnClose(_)) {
            self.following.remove(&id);
        }
    }

    /// The context after the first `pos` events of the connection.
    fn context_at(&mut self, store: &Store, ci: &ConnInfo, pos: usize) -> NarrationContext {
        let want = pos / CHECKPOINT_EVERY;
        let mut fresh = vec![NarrationContext::new()];
        let cps = if want == 0 {
            // Within its first checkpoint's span: nothing to keep for it.
            &mut fresh
        } else {
            self.checkpoints
                .entry(ci.id)
                .or_insert_with(|| vec![NarrationContext::new()])
        };
        while cps.len() <= want {
            let k = cps.len();
            let mut cx = cps[k - 1].clone();
            replay(
                store,
                ci,
                (k - 1) * CHECKPOINT_EVERY..k * CHECKPOINT_EVERY,
                &mut cx,
            );
            cps.push(cx);
        }
        let mut from = want * CHECKPOINT_EVERY;
        let mut cx = match self.near.take() {
            Some((id, at, cx)) if id == ci.id && at <= pos && at > from => {
                from = at;
                cx
            }
            _ => cps[want].clone(),
        };
        replay(store, ci, from..pos, &mut cx);
        self.near = Some((ci.id, pos, cx.clone()));
        cx
    }
}

fn replay(store: &Store, ci: &ConnInfo, range: std::ops::Range<usize>, cx: &mut NarrationContext) {
    for &e in ci.events.get(range).unwrap_or(&[]) {
        if let Some(ev) = store.event(e as usize) {
            cx.observe(&ev);
        }
    }
}
