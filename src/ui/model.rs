//! The UI's state and how messages (keys, mouse, ticks, arriving data) change it.
//! Nothing here draws; `view` reads the model.

use super::detail::{self, Detail};
use super::feed::Feed;
use super::layout::{self, Areas};
use super::narration::NarrationCache;
use super::store::{Layer, Store};
use super::theme::ThemeName;
use crate::event::{ConnId, Event};
use crate::ladder::{self, LadderOpts};
use crate::teach::Lang;
use crate::teach::chapters::{self, Chapter};
use crate::teach::quiz::{self, Quiz};
use crate::teach::stats::{self, StatsBuilder};
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Conns,
    Ladder,
    Detail,
    /// The narration pane, to scroll sentences that do not fit.
    Narration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerFilter {
    All,
    Tcp,
    Http,
    Ws,
    App,
    Tls,
}

impl LayerFilter {
    pub fn next(self) -> Self {
        match self {
            LayerFilter::All => LayerFilter::Tcp,
            LayerFilter::Tcp => LayerFilter::Http,
            LayerFilter::Http => LayerFilter::Ws,
            LayerFilter::Ws => LayerFilter::App,
            LayerFilter::App => LayerFilter::Tls,
            LayerFilter::Tls => LayerFilter::All,
        }
    }
    /// The layer as the ladder's title names it: the filter's own word in English, the
    /// layer's name in Chinese.
    pub fn name(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::En, l) => l.as_str(),
            (Lang::Zh, LayerFilter::All) => "全部",
            (Lang::Zh, LayerFilter::Tcp) => "TCP",
            (Lang::Zh, LayerFilter::Http) => "HTTP",
            (Lang::Zh, LayerFilter::Ws) => "WebSocket",
            (Lang::Zh, LayerFilter::App) => "应用层",
            (Lang::Zh, LayerFilter::Tls) => "TLS",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            LayerFilter::All => "all",
            LayerFilter::Tcp => "tcp",
            LayerFilter::Http => "http",
            LayerFilter::Ws => "ws",
            LayerFilter::App => "app",
            LayerFilter::Tls => "tls",
        }
    }
    fn admits(self, l: Layer) -> bool {
        match self {
            LayerFilter::All => true,
            LayerFilter::Tcp => l == Layer::Tcp,
            LayerFilter::Http => l == Layer::Http,
            LayerFilter::Ws => l == Layer::Ws,
            LayerFilter::App => l == Layer::App,
            LayerFilter::Tls => l == Layer::Tls,
        }
    }
}

pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// Time passed, for playback.
    Tick {
        ms: u64,
    },
    Feed(Feed),
}

/// Playback speeds offered by `+`/`-`.
pub const SPEEDS: [f64; 9] = [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0, 1000.0];
/// At 1× each event stays at least this long, so a handshake that took 100 µs can be followed.
pub const MIN_STEP_MS: f64 = 600.0;

/// Ladder rows of the selected connection that pass the filters (all of them, not only the
/// ones revealed by playback), extended as events arrive.
#[derive(Default)]
pub struct LadderCache {
    key: Option<(ConnId, LayerFilter, bool, String, bool, bool)>,
    scanned: usize,
    pub rows: Vec<u32>,
}

pub struct Model {
    pub store: Store,
    pub source: String,
    pub done: bool,
    pub error: Option<String>,
    pub dropped: u64,
    pub size: Rect,
    pub theme: ThemeName,
    pub focus: Focus,
    pub show_help: bool,
    pub quit: bool,
    /// The selected event (global index); in playback, also how far the capture has "happened".
    pub cursor: Option<usize>,
    pub playback: bool,
    pub playing: bool,
    pub speed_idx: usize,
    play_wait_ms: f64,
    pub conn: Option<ConnId>,
    pub conn_only: bool,
    pub layer: LayerFilter,
    pub hide_acks: bool,
    pub search: String,
    /// Which events matched `search`, once tested (it is tested again and again otherwise).
    search_memo: std::cell::RefCell<super::search_memo::SearchMemo>,
    /// The search as a filter expression, when it reads as one (else it is plain text).
    pub search_filter: Option<crate::filter::Filter>,
    /// Why the search, which looked like an expression, did not compile.
    pub search_error: Option<String>,
    /// Text being typed after `/`.
    pub search_input: Option<String>,
    pub raw_seq: bool,
    pub ladder: LadderCache,
    pub ladder_offset: usize,
    pub conns_offset: usize,
    pub detail: Detail,
    pub detail_sel: Option<usize>,
    pub detail_offset: usize,
    /// Folded JSON tree nodes of the shown detail (indices among all its lines).
    pub folded: std::collections::HashSet<usize>,
    /// Where whole payloads can be read again from (a finished file, the built-in capture);
    /// None for live sources, whose views keep the preview.
    pub full_origin: Option<super::full_payload::Origin>,
    /// The selected message's whole payload (the event index it belongs to, and its state).
    pub full: Option<(
        usize,
        super::full_payload::Target,
        super::full_payload::FullState,
    )>,
    /// The selected event's sentences, from the teaching layer.
    pub narration: Vec<String>,
    /// First wrapped narration line shown.
    pub narration_offset: usize,
    narrator: NarrationCache,
    /// Polling-versus-WebSocket figures, fed every event as it arrives.
    stats: StatsBuilder,
    /// The comparison overlay is open.
    pub show_compare: bool,
    /// The comparison as rendered for the overlay (refreshed when data arrives while open).
    pub compare_text: String,
    /// The chapter jumped to last (keys 1-5): the event it stands on, which chapter, and
    /// whether the chapter's own event was found. Its banner heads the narration while the
    /// cursor stays there.
    pub chapter: Option<(usize, Chapter, bool)>,
    /// Presenter layout: only the ladder and the narration, for a projector.
    pub presenter: bool,
    /// Quiz mode: at each event, what a student can work out is hidden until Enter.
    pub quiz: bool,
    /// A Δt column in the ladder: the time since the row above.
    pub show_dt: bool,
    /// One arrow per layer (`x`): a data segment and the HTTP head, frame or TLS message it
    /// carries as two rows. Off: one arrow per packet (the merged form).
    pub per_layer: bool,
    /// A teacher-paced demo: `n` at the newest event asks for the next step, `m` types a
    /// message the client sends at once.
    pub stepped_demo: bool,
    /// Commands for the paced demo, taken by the event loop.
    pub outbox: Vec<crate::live::demo::DemoCmd>,
    /// A message being typed after `m`.
    pub msg_input: Option<String>,
    /// Events whose quiz has been answered (revealed).
    pub answered: std::collections::HashSet<usize>,
    /// In playback, how far the story has been revealed when the selected event is an earlier
    /// one (another connection or layer was chosen): changing pane, layer or connection never
    /// takes back what was shown. None: the selected event is the horizon.
    reveal_to: Option<usize>,
    /// A source that is still happening (live capture, demo): what the header says about it.
    pub live: Option<LiveStatus>,
    /// Following the newest event as it arrives (like `less +F`): on while the selection is at
    /// the newest event of a live source; stepping back stops it, End resumes it.
    pub follow: bool,
    /// The last key did nothing: the footer points at `?`.
    pub unknown_key: bool,
    /// The source is a file that can be read a second time: `End` while it loads may have its
    /// end decoded ahead ([`super::ahead`]).
    pub ahead_ok: bool,
    /// `End` was pressed while the file loads, and nothing since took the view elsewhere.
    pub ahead_wanted: bool,
    /// What the header says about the end decoded ahead (instead of "loading…").
    pub ahead_note: Option<String>,
    /// The end of a file decoded ahead ([`super::ahead`]): its events are numbered from its own
    /// first, so only packet numbers are shown.
    pub ahead_view: bool,
    /// Not on screen (the end of a file decoded ahead, until shown): data is filed, but the
    /// selection and the panes are left until [`Model::last`] or the like.
    pub hidden: bool,
}

/// What the header says about a live source while it runs and once it has ended.
#[derive(Clone, Debug, Default)]
pub struct LiveStatus {
    /// E.g. "capturing on lo (pcap) · recording to s.pcap".
    pub running: String,
    /// E.g. "capture ended" or "demo ended".
    pub ended: String,
}

impl Model {
    /// `End` asked for the end of the file still loading, and it may be decoded ahead.
    pub fn wants_ahead(&self) -> bool {
        self.ahead_wanted && self.ahead_ok && !self.done
    }

    pub fn new(source: String, theme: ThemeName, playback: bool) -> Model {
        Model {
            store: Store::default(),
            source,
            done: false,
            error: None,
            dropped: 0,
            size: Rect::new(0, 0, 80, 24),
            theme,
            focus: Focus::Ladder,
            show_help: false,
            quit: false,
            cursor: None,
            playback,
            playing: false,
            speed_idx: 3,
            play_wait_ms: 0.0,
            conn: None,
            conn_only: false,
            layer: LayerFilter::All,
            hide_acks: false,
            search: String::new(),
            search_memo: Default::default(),
            search_filter: None,
            search_error: None,
            search_input: None,
            raw_seq: false,
            ladder: LadderCache::default(),
            ladder_offset: 0,
            conns_offset: 0,
            detail: Detail::default(),
            detail_sel: None,
            detail_offset: 0,
            folded: Default::default(),
            full_origin: None,
            full: None,
            narration: Vec::new(),
            narration_offset: 0,
            narrator: NarrationCache::new(Lang::En),
            stats: StatsBuilder::default(),
            show_compare: false,
            compare_text: String::new(),
            chapter: None,
            presenter: false,
            quiz: false,
            answered: Default::default(),
            show_dt: false,
            per_layer: false,
            stepped_demo: false,
            outbox: Vec::new(),
            msg_input: None,
            reveal_to: None,
            live: None,
            follow: false,
            ahead_ok: false,
            ahead_wanted: false,
            ahead_note: None,
            hidden: false,
            ahead_view: false,
            unknown_key: false,
        }
    }

    /// Show a live source: the header says what it is doing, and the view follows new events.
    pub fn set_live(&mut self, status: LiveStatus) {
        self.live = Some(status);
        self.follow = true;
    }

    /// In playback, the last event that has "happened" (at or after the selected one).
    pub fn horizon(&self) -> Option<usize> {
        match (self.cursor, self.reveal_to) {
            (Some(c), Some(r)) => Some(c.max(r)),
            (c, r) => c.or(r),
        }
    }

    /// The language of the narration and the comparison.
    pub fn lang(&self) -> Lang {
        self.narrator.lang()
    }

    pub fn set_lang(&mut self, lang: Lang) {
        self.narrator.set_lang(lang);
        self.refresh_selection();
        if self.show_compare {
            self.refresh_compare();
        }
    }

    /// Re-render the comparison from the figures gathered so far.
    fn refresh_compare(&mut self) {
        let name = crate::text::escape_for_terminal(&self.source).into_owned();
        self.compare_text = stats::render_text(&self.stats.snapshot(), &name, self.lang());
    }

    /// The narration wrapped to the pane's width (cheap: a few sentences).
    pub fn narration_lines(&self) -> Vec<String> {
        let w = self.areas().narration_text_width();
        super::wrap::wrap_all(&self.narration, w)
    }

    pub fn speed(&self) -> f64 {
        SPEEDS.get(self.speed_idx).copied().unwrap_or(1.0)
    }

    pub fn areas(&self) -> Areas {
        layout::areas(self.size, self)
    }

    pub fn opts(&self) -> LadderOpts {
        LadderOpts {
            raw_seq: self.raw_seq,
            lang: self.lang(),
            per_layer: self.per_layer,
        }
    }

    /// Is the ladder drawn one arrow per packet? Only when every layer is shown: a layer
    /// filter shows that layer's own arrows.
    pub fn merged(&self) -> bool {
        !self.per_layer && self.layer == LayerFilter::All
    }

    /// The data segment whose arrow this event's row takes over in the merged ladder.
    fn absorbed_segment(&self, idx: usize) -> Option<usize> {
        if !self.merged() {
            return None;
        }
        self.store.meta(idx)?.absorbs.map(|a| a as usize)
    }

    /// Has this event "happened" yet (always, outside playback)?
    pub fn revealed(&self, idx: usize) -> bool {
        !self.playback || self.horizon().is_some_and(|c| idx <= c)
    }

    /// The ladder rows to draw: the filtered rows, cut at the playback cursor.
    pub fn visible_rows(&self) -> &[u32] {
        let rows = &self.ladder.rows;
        if self.playback {
            let n = match self.horizon() {
                None => 0,
                Some(c) => rows.partition_point(|&r| r as usize <= c),
            };
            &rows[..n]
        } else {
            rows
        }
    }

    /// Connections shown in the list: those opened by now.
    pub fn visible_conns(&self) -> usize {
        let n = self.store.conns.len();
        if !self.playback {
            return n;
        }
        let Some(c) = self.horizon() else { return 0 };
        self.store.conns.opened_by(c)
    }

    /// Does this event pass the layer, ACK and search filters (and has a row to show)?
    pub fn passes(&self, idx: usize) -> bool {
        let Some(m) = self.store.meta(idx) else {
            return false;
        };
        if !m.has_row || !self.layer.admits(m.layer) || (self.hide_acks && m.pure_ack) {
            return false;
        }
        if self.merged() && m.absorbed_by.is_some() {
            // Drawn on the row of the meaning it carries.
            return false;
        }
        if self.search.is_empty() {
            return true;
        }
        let key = super::search_memo::MemoKey {
            raw_seq: self.raw_seq,
            per_layer: self.per_layer,
            lang: self.lang(),
            layer: self.layer,
        };
        if let Some(hit) = self.search_memo.borrow().get(&self.search, key, idx) {
            return hit;
        }
        let hit = self.matches_search(idx);
        self.search_memo
            .borrow_mut()
            .put(&self.search, key, idx, hit);
        hit
    }

    /// Does event `idx` match the search (an expression, else text in its label)?
    fn matches_search(&self, idx: usize) -> bool {
        if let Some(f) = &self.search_filter {
            let Some(ev) = self.store.event(idx) else {
                return false;
            };
            let t = &self.store.conns;
            let ports = ev
                .conn()
                .and_then(|c| t.with(c, |ci| [t.client(ci).port(), t.server(ci).port()]));
            // A merged row is its segment too: `tcp.len > 100` finds the GET's row.
            let seg = self.absorbed_segment(idx).and_then(|s| self.store.event(s));
            return f.test(&ev, ports) || seg.is_some_and(|s| f.test(&s, ports));
        }
        self.label(idx)
            .is_some_and(|l| contains_ci(&l, &self.search))
    }

    /// The ladder label of an event (formatted on demand: cheap, and only for drawn rows).
    pub fn label(&self, idx: usize) -> Option<String> {
        self.label_of(idx, &self.store.event(idx)?)
    }

    /// [`Model::label`] of event `idx` already read back as `ev` (the ladder draws the event
    /// too: one read of the spill file, not two).
    pub fn label_of(&self, idx: usize, ev: &Event) -> Option<String> {
        let mut l = ladder::label(ev, self.store.message_of(idx).as_ref(), self.opts())?;
        if let Some(seg) = self.absorbed_segment(idx).and_then(|s| self.store.event(s)) {
            l.push_str(&ladder::segment_suffix(&seg, self.opts()));
        }
        Some(l)
    }

    fn refresh_ladder(&mut self) {
        let Some(conn) = self.conn else {
            self.ladder = LadderCache::default();
            return;
        };
        let key = (
            conn,
            self.layer,
            self.hide_acks,
            self.search.clone(),
            self.raw_seq,
            self.per_layer,
        );
        if self.ladder.key.as_ref() != Some(&key) {
            self.ladder = LadderCache {
                key: Some(key),
                scanned: 0,
                rows: Vec::new(),
            };
        }
        let Some(ci) = self.store.conn(conn) else {
            return;
        };
        let from = self.ladder.scanned;
        let new: Vec<u32> = ci
            .events
            .get(from..)
            .unwrap_or(&[])
            .iter()
            .copied()
            .filter(|&i| self.passes(i as usize))
            .collect();
        self.ladder.scanned = ci.events.len();
        if self.merged() {
            // A segment drawn before the meaning it carries arrived (live, split batches)
            // gives its row to that meaning.
            for &i in &new {
                // Rows are in event order: a binary search, not a scan per new event (that made
                // loading a big capture quadratic).
                if let Some(seg) = self.absorbed_segment(i as usize)
                    && let Ok(p) = self.ladder.rows.binary_search(&(seg as u32))
                {
                    self.ladder.rows.remove(p);
                }
            }
        }
        self.ladder.rows.extend(new);
    }

    /// Rebuild what depends on the selected event: detail lines, narration, scroll positions.
    fn refresh_selection(&mut self) {
        self.narration_offset = 0;
        let Some(c) = self.cursor else {
            self.detail = Detail::default();
            self.narration.clear();
            return;
        };
        let a = self.areas();
        let per_row = if a.detail.width >= 70 { 32 } else { 16 };
        self.start_full_load(c);
        self.detail = detail::build_full(
            &self.store,
            c,
            per_row,
            self.lang(),
            self.full.as_ref().map(|f| &f.2),
            self.areas().detail.width.saturating_sub(2) as usize,
        );
        self.folded = self.detail.default_folds();
        self.detail.set_folds(&self.folded);
        self.detail_sel = self.detail.initial(self.store.event(c).as_ref());
        // Open the tree at the event's own layer (with its heading just above), not at the
        // Ethernet header: small screens show only a few lines. Events about more than one
        // packet (handshake, close) open at their own explanation below the packet.
        self.detail_offset = match self.store.event(c) {
            Some(Event::WsHandshake(_)) => {
                // A short pane starts at the GUID: the joined key, SHA-1, base64 and the
                // server's value follow without scrolling (80x24).
                let from = self.detail.event_heading().unwrap_or(0);
                let guid = self.detail.lines.iter().position(|l| {
                    l.kind == detail::LineKind::Text && l.text.contains(crate::http::WS_GUID)
                });
                // As much of what comes before as fits, the computation whole.
                let last_page = self.detail.lines.len().saturating_sub(a.detail_rows());
                match guid {
                    Some(g) => from.max(g.min(last_page)),
                    None => from,
                }
            }
            Some(Event::ConnClose(_) | Event::Note(_)) => self.detail.event_heading().unwrap_or(0),
            // An application message's meaning is at the top, above its packet.
            Some(Event::App(_)) => 0,
            _ => self.detail_sel.map_or(0, |s| s.saturating_sub(1)),
        };
        self.narration = match self.quiz_at(c) {
            Some(q) => q.questions,
            None => {
                let mut s = self.narrator.sentences(&self.store, c);
                // A merged row is its segment too: what the TCP numbers say follows the meaning.
                if let Some(seg) = self.absorbed_segment(c) {
                    s.extend(self.narrator.sentences(&self.store, seg));
                }
                s
            }
        };
        if let Some((at, ch, found)) = self.chapter
            && at == c
        {
            self.narration.insert(0, ch.banner(self.lang(), found));
        }
        self.scroll_to_cursor();
    }

    fn scroll_to_cursor(&mut self) {
        let h = self.areas().ladder_rows();
        if let Some(c) = self.cursor {
            let rows = self.visible_rows();
            let pos = rows.partition_point(|&r| (r as usize) < c);
            if pos < self.ladder_offset {
                self.ladder_offset = pos;
            } else if h > 0 && pos >= self.ladder_offset + h {
                self.ladder_offset = pos + 1 - h;
            }
        }
        let n = self.visible_rows().len();
        if self.playback && n > h {
            // Keep the newest revealed row in sight while stepping.
            self.ladder_offset = self.ladder_offset.max(n - h);
        }
        // Keep the pane full: after End and a search, the earlier matches stay in view above the
        // selected one rather than the list starting at it.
        self.ladder_offset = self.ladder_offset.min(n.saturating_sub(h.max(1)));
        let ch = self.areas().conn_rows();
        if let Some(pos) = self.conn.and_then(|c| self.store.conns.pos(c)) {
            if pos < self.conns_offset {
                self.conns_offset = pos;
            } else if ch > 0 && pos >= self.conns_offset + ch {
                self.conns_offset = pos + 1 - ch;
            }
        }
    }

    /// Select an event, following it to its connection.
    pub fn select(&mut self, idx: usize) {
        if idx >= self.store.len() {
            return;
        }
        // Selecting an earlier event keeps what was revealed (only stepping back takes it back).
        let h = self.horizon();
        self.reveal_to = h.filter(|&h| self.playback && h > idx);
        self.cursor = Some(idx);
        if let Some(c) = self.store.event(idx).as_ref().and_then(Event::conn)
            && self.conn != Some(c)
        {
            self.conn = Some(c);
        }
        self.refresh_ladder();
        self.refresh_selection();
    }

    /// The next (or previous) event that passes the filters.
    fn neighbour(&self, forward: bool) -> Option<usize> {
        if self.conn_only {
            let rows = &self.ladder.rows;
            let c = self.cursor?;
            return if forward {
                let p = rows.partition_point(|&r| r as usize <= c);
                rows.get(p).map(|&r| r as usize)
            } else {
                let p = rows.partition_point(|&r| (r as usize) < c);
                p.checked_sub(1)
                    .and_then(|p| rows.get(p))
                    .map(|&r| r as usize)
            };
        }
        let n = self.store.len();
        match (self.cursor, forward) {
            (None, true) => (0..n).find(|&i| self.passes(i)),
            (None, false) => None,
            (Some(c), true) => (c + 1..n).find(|&i| self.passes(i)),
            (Some(c), false) => (0..c).rev().find(|&i| self.passes(i)),
        }
    }

    pub fn step(&mut self, forward: bool) -> bool {
        match self.neighbour(forward) {
            Some(i) => {
                self.select(i);
                if !forward {
                    // Stepping back is going back in time: what came after is hidden again.
                    self.reveal_to = None;
                }
                true
            }
            None => false,
        }
    }

    /// A step the user asked for: stepping back stops following a live source; stepping
    /// forward onto the newest event resumes it.
    fn user_step(&mut self, forward: bool) -> bool {
        // Stepping through what is loaded: the end decoded ahead is no longer what is wanted.
        self.ahead_wanted = false;
        self.playing = false;
        let moved = self.step(forward);
        if forward {
            self.follow = self.live.is_some() && self.neighbour(true).is_none();
        } else if moved {
            self.follow = false;
        }
        moved
    }

    pub fn first(&mut self) {
        self.cursor = None;
        self.reveal_to = None;
        if !self.step(true) {
            self.refresh_ladder();
        }
    }

    pub fn last(&mut self) {
        let n = self.store.len();
        if let Some(i) = (0..n).rev().find(|&i| self.passes(i)) {
            self.select(i);
        }
    }

    fn set_conn(&mut self, conn: ConnId) {
        if self.store.conn(conn).is_none() {
            return;
        }
        self.conn = Some(conn);
        self.follow = false;
        self.refresh_ladder();
        // Move to the connection's event nearest the place (the latest one shown at or before
        // it, else its first shown), so the panes agree and the place is kept.
        let at = self.horizon().unwrap_or(0);
        let rows = &self.ladder.rows;
        let before = rows.partition_point(|&r| r as usize <= at);
        let pick = before
            .checked_sub(1)
            .and_then(|p| rows.get(p))
            .or_else(|| rows.iter().find(|&&r| self.revealed(r as usize)))
            .copied();
        if let Some(r) = pick {
            self.select(r as usize);
        } else {
            self.refresh_selection();
        }
    }

    /// The open question at event `idx`: in quiz mode, at the cursor, until answered.
    pub fn quiz_at(&self, idx: usize) -> Option<Quiz> {
        if !self.quiz || self.cursor != Some(idx) || self.answered.contains(&idx) {
            return None;
        }
        let ev = self.store.event(idx)?;
        let ci = self.store.conn(ev.conn()?)?;
        // Both ends' states just before this event (the question is what they become).
        let p = ci.events.partition_point(|&e| (e as usize) < idx);
        let before = p
            .checked_sub(1)
            .and_then(|p| ci.states_at(p))
            .unwrap_or_default();
        quiz::ask(&ev, before, self.lang())
    }

    /// Quiz mode on or off; on, the future is hidden (playback) from where the class stands.
    fn toggle_quiz(&mut self) {
        self.quiz = !self.quiz;
        if self.quiz && !self.playback {
            self.playing = false;
            self.playback = true;
            if self.cursor.is_none() {
                self.first();
            }
        }
        self.refresh_selection();
    }

    /// Jump to where chapter `n` (1-5) of the selected connection's story begins.
    fn jump_chapter(&mut self, n: u8) {
        let Some(ch) = Chapter::nth(n) else { return };
        self.playing = false;
        let conn = self.conn.or_else(|| self.store.conns.id_at(0));
        let Some(ci) = conn.and_then(|c| self.store.conn(c)) else {
            return;
        };
        let events = ci
            .events
            .iter()
            .filter_map(|&i| Some((i as usize, self.store.event(i as usize)?)));
        let has_row = |i: usize| self.store.meta(i).is_some_and(|m| m.has_row);
        let (at, found) = chapters::find(events, ch, has_row);
        match at {
            Some(i) => {
                self.chapter = Some((i, ch, found));
                if !self.passes(i) {
                    // The chapter is hidden by a filter: show everything rather than nothing.
                    self.layer = LayerFilter::All;
                    self.hide_acks = false;
                    self.search.clear();
                }
                self.select(i);
                self.filters_changed();
            }
            None => {
                // Nothing to stand on: say so where the class already is.
                if let Some(c) = self.cursor {
                    self.chapter = Some((c, ch, false));
                    self.refresh_selection();
                }
            }
        }
    }

    fn filters_changed(&mut self) {
        let h = self.horizon();
        self.refresh_ladder();
        if let Some(c) = self.cursor
            && !self.passes(c)
            && let Some(a) = self.store.meta(c).and_then(|m| m.absorbed_by)
            && self.passes(a as usize)
        {
            // A segment now drawn on its meaning's row: stand on that row.
            self.select(a as usize);
        }
        if let Some(c) = self.cursor
            && !self.passes(c)
            && self.playback
            && let Some(h) = h
            && let Some(t) = (0..=h).rev().find(|&i| self.passes(i))
        {
            // In playback the place is how far the story has happened: stand on the newest
            // shown event by then, so cycling the filters does not drift backwards.
            self.select(t);
            self.reveal_to = Some(h).filter(|&h| h > t);
        }
        if let Some(c) = self.cursor
            && !self.passes(c)
        {
            // Keep the place, on the nearest shown event: in playback an earlier one (nothing
            // new is revealed by a filter), else the next one.
            let order = if self.playback {
                [false, true]
            } else {
                [true, false]
            };
            let moved = order.into_iter().any(|forward| self.step(forward));
            if moved && self.playback {
                self.reveal_to = h.filter(|&h| self.cursor.is_some_and(|c| h > c));
            }
        }
        if self.follow {
            self.last();
        }
        self.scroll_to_cursor();
    }

    fn ingest(&mut self, f: Feed) {
        match f {
            Feed::Batch(b) => {
                self.search_memo.get_mut().events_arrived(self.store.len());
                self.store.ingest_packets(&b);
                for ev in b.events {
                    self.stats.observe(&ev);
                    self.narrator.follow(&self.store, &ev);
                    self.store.push_event(ev);
                }
                self.store.enforce_budget();
                if self.hidden {
                    // Nobody sees it yet: the panes are made when it is shown.
                    return;
                }
                if self.show_compare {
                    self.refresh_compare();
                }
                if self.follow {
                    // At the newest event of a live source: follow it as it comes.
                    self.last();
                } else if self.cursor.is_none() {
                    // First data: select the first event so every pane has content at once.
                    self.first();
                } else {
                    self.refresh_ladder();
                    if let Some(c) = self.cursor
                        && !self.passes(c)
                        && let Some(a) = self.store.meta(c).and_then(|m| m.absorbed_by)
                        && self.passes(a as usize)
                    {
                        // The selected segment's meaning arrived: its row is the meaning's now.
                        self.select(a as usize);
                    } else if !self.playback {
                        self.scroll_to_cursor();
                    }
                }
            }
            Feed::Dropped(n) => self.dropped = n,
            Feed::Done => self.done = true,
            Feed::Error(e) => {
                self.error = Some(crate::text::escape_for_terminal(&e).into_owned());
                self.done = true;
            }
        }
    }

    /// When event `c` is a message whose preview is cut, start loading its whole payload (or
    /// keep the load already made for it); otherwise drop any.
    fn start_full_load(&mut self, c: usize) {
        use super::full_payload::{self as fp, FullState};
        let Some((_, t)) = fp::target(&self.store, c) else {
            self.full = None;
            return;
        };
        if self.full.as_ref().is_some_and(|f| f.1 == t) {
            return;
        }
        let state = match &self.full_origin {
            Some(o) => {
                let packets = fp::conn_packets(&self.store, &t);
                let width = self.areas().detail.width.saturating_sub(2) as usize;
                FullState::Loading(fp::spawn(o.clone(), t, packets, width))
            }
            None => FullState::Unavailable,
        };
        self.full = Some((c, t, state));
    }

    /// Whether the selected message's whole payload has finished loading: then show it.
    fn poll_full_load(&mut self) {
        use super::full_payload::FullState;
        let Some((_, _, FullState::Loading(l))) = &self.full else {
            return;
        };
        if let Some(res) = l.poll() {
            self.show_full_load(res);
        }
    }

    /// Wait until the selected message's whole payload is loaded, and show it (tests).
    pub fn wait_full_payload(&mut self) {
        use super::full_payload::FullState;
        if let Some((_, _, FullState::Loading(l))) = &self.full {
            let res = l.wait();
            self.show_full_load(res);
        }
    }

    /// Show a load's result, keeping the pane's scroll position.
    fn show_full_load(&mut self, res: Result<super::full_payload::FullPayload, String>) {
        use super::full_payload::FullState;
        if let Some(f) = &mut self.full {
            f.2 = match res {
                Ok(p) => FullState::Ready(std::sync::Arc::new(p)),
                Err(e) => FullState::Failed(e),
            };
        }
        let Some(c) = self.cursor else { return };
        let (off, sel) = (self.detail_offset, self.detail_sel);
        let per_row = if self.areas().detail.width >= 70 {
            32
        } else {
            16
        };
        self.detail = detail::build_full(
            &self.store,
            c,
            per_row,
            self.lang(),
            self.full.as_ref().map(|f| &f.2),
            self.areas().detail.width.saturating_sub(2) as usize,
        );
        self.folded = self.detail.default_folds();
        self.detail.set_folds(&self.folded);
        self.detail_sel = sel.filter(|&s| s < self.detail.lines.len());
        self.detail_offset = off.min(self.detail.len().saturating_sub(1));
    }

    fn tick(&mut self, ms: u64) {
        self.poll_full_load();
        if !self.playing {
            return;
        }
        // Speed scales how fast capture time passes.
        self.play_wait_ms -= ms as f64 * self.speed();
        // Several events may fall due in one tick at high speed; bound the work per tick.
        for _ in 0..200 {
            if self.play_wait_ms > 0.0 {
                return;
            }
            let before = self.cursor.and_then(|c| ts_of(&self.store.event(c)?));
            if !self.step(true) {
                if self.done {
                    self.playing = false;
                }
                self.play_wait_ms = 0.0;
                return;
            }
            let after = self.cursor.and_then(|c| ts_of(&self.store.event(c)?));
            let gap_ms = match (before, after) {
                (Some(a), Some(b)) => (b - a).max(0) as f64 / 1e6,
                _ => 0.0,
            };
            self.play_wait_ms += gap_ms.clamp(MIN_STEP_MS, 5_000.0);
        }
    }

    fn toggle_play(&mut self) {
        if self.playing {
            self.playing = false;
            return;
        }
        // Playing is stepping through what was captured: it stops following a live source.
        self.follow = false;
        if !self.playback {
            // Playback starts from the beginning so the class sees the story in order.
            self.playback = true;
            self.first();
        } else if self.neighbour(true).is_none() {
            self.first();
        }
        self.playing = true;
        self.play_wait_ms = MIN_STEP_MS;
    }

    /// `/` takes a filter expression (docs/filters.md) or, when the text does not read as one,
    /// words to look for in the rows' labels.
    fn compile_search(&mut self) {
        use crate::filter::Filter;
        self.search_filter = None;
        self.search_error = None;
        let t = self.search.trim();
        if t.is_empty() {
            self.search_memo.get_mut().clear();
            return;
        }
        match Filter::new(t) {
            Ok(f) if Filter::looks_like_expression(t) => self.search_filter = Some(f),
            Ok(_) => {}
            Err(e) => {
                // Operators or a field name mean an expression was meant: say what is wrong.
                let meant = ["==", "!=", "<", ">", "&&", "||", " contains ", " matches "]
                    .iter()
                    .any(|o| t.contains(o));
                if meant {
                    self.search_error = Some(e.to_string());
                }
            }
        }
    }

    fn key(&mut self, k: KeyEvent) {
        if k.kind == KeyEventKind::Release {
            return;
        }
        if let Some(input) = &mut self.msg_input {
            match k.code {
                KeyCode::Enter => {
                    let text = std::mem::take(input);
                    self.msg_input = None;
                    if !text.trim().is_empty() {
                        self.outbox.push(crate::live::demo::DemoCmd::Send(text));
                    }
                }
                KeyCode::Esc => self.msg_input = None,
                KeyCode::Backspace => {
                    input.pop();
                }
                KeyCode::Char(c)
                    if !k.modifiers.contains(KeyModifiers::CONTROL) && input.len() < 500 =>
                {
                    input.push(c)
                }
                _ => {}
            }
            return;
        }
        if let Some(input) = &mut self.search_input {
            match k.code {
                KeyCode::Enter => {
                    self.search = std::mem::take(input);
                    self.search_input = None;
                    self.compile_search();
                    self.filters_changed();
                }
                KeyCode::Esc => self.search_input = None,
                KeyCode::Backspace => {
                    input.pop();
                }
                KeyCode::Char(c)
                    if !k.modifiers.contains(KeyModifiers::CONTROL) && input.len() < 200 =>
                {
                    input.push(c)
                }
                _ => {}
            }
            return;
        }
        if self.show_help || self.show_compare {
            // Any key closes the help or the comparison; q still quits.
            self.show_help = false;
            self.show_compare = false;
            if !matches!(k.code, KeyCode::Char('q')) {
                return;
            }
        }
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        self.unknown_key = false;
        match k.code {
            KeyCode::Char('c') if ctrl => self.quit = true,
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Char('?') | KeyCode::F(1) => self.show_help = true,
            KeyCode::Char(' ') => self.toggle_play(),
            KeyCode::Char('+') | KeyCode::Char('=') => {
                self.speed_idx = (self.speed_idx + 1).min(SPEEDS.len() - 1)
            }
            KeyCode::Char('-') => self.speed_idx = self.speed_idx.saturating_sub(1),
            // A paced demo: past the newest event, the next step happens on the wire.
            KeyCode::Char('n') | KeyCode::Right
                if self.stepped_demo && self.neighbour(true).is_none() =>
            {
                self.playing = false;
                self.outbox.push(crate::live::demo::DemoCmd::Next);
            }
            KeyCode::Char('m') if self.stepped_demo => self.msg_input = Some(String::new()),
            KeyCode::Char('n') | KeyCode::Right => {
                self.user_step(true);
            }
            KeyCode::Char('p') | KeyCode::Left => {
                self.user_step(false);
            }
            KeyCode::Down | KeyCode::Char('j') => self.move_in_focus(1),
            KeyCode::Up | KeyCode::Char('k') => self.move_in_focus(-1),
            KeyCode::PageDown => self.page(true),
            KeyCode::PageUp => self.page(false),
            // In the detail pane: its top and its last page (a long payload's last bytes).
            KeyCode::Home | KeyCode::Char('g') if self.focus == Focus::Detail => {
                self.detail_offset = 0;
            }
            KeyCode::End | KeyCode::Char('G') if self.focus == Focus::Detail => {
                let h = self.areas().detail_rows().max(1);
                self.detail_offset = self.detail.len().saturating_sub(h);
            }
            KeyCode::Home | KeyCode::Char('g') => {
                self.ahead_wanted = false;
                self.playing = false;
                self.playback = true;
                self.follow = false;
                self.first();
            }
            KeyCode::End | KeyCode::Char('G') => {
                self.ahead_wanted = !self.done && self.ahead_ok;
                self.playing = false;
                self.playback = false;
                self.reveal_to = None;
                // A live source, or a file still loading (when its end is not decoded ahead):
                // the view keeps to the newest event as more arrives.
                self.follow = self.live.is_some() || !self.done;
                self.last();
            }
            KeyCode::Esc => {
                if !self.search.is_empty() {
                    self.search.clear();
                    self.compile_search();
                    self.filters_changed();
                } else {
                    self.playing = false;
                    self.playback = false;
                    self.refresh_selection();
                }
            }
            KeyCode::Enter if self.cursor.is_some_and(|c| self.quiz_at(c).is_some()) => {
                if let Some(c) = self.cursor {
                    self.answered.insert(c);
                    self.refresh_selection();
                }
            }
            KeyCode::Char('Q') => self.toggle_quiz(),
            KeyCode::Char(d @ '1'..='5') => self.jump_chapter(d as u8 - b'0'),
            KeyCode::Char('P') => {
                self.presenter = !self.presenter;
                if self.presenter && !matches!(self.focus, Focus::Ladder | Focus::Narration) {
                    self.focus = Focus::Ladder;
                }
                self.refresh_selection();
            }
            KeyCode::Tab | KeyCode::BackTab if self.presenter => {
                // Only two panes are on screen.
                self.focus = match self.focus {
                    Focus::Ladder => Focus::Narration,
                    _ => Focus::Ladder,
                }
            }
            KeyCode::Tab => {
                self.focus = match self.focus {
                    Focus::Conns => Focus::Ladder,
                    Focus::Ladder => Focus::Detail,
                    Focus::Detail => Focus::Narration,
                    Focus::Narration => Focus::Conns,
                }
            }
            KeyCode::BackTab => {
                self.focus = match self.focus {
                    Focus::Conns => Focus::Narration,
                    Focus::Ladder => Focus::Conns,
                    Focus::Detail => Focus::Ladder,
                    Focus::Narration => Focus::Detail,
                }
            }
            KeyCode::Enter if self.focus == Focus::Conns => self.focus = Focus::Ladder,
            KeyCode::Enter if self.focus == Focus::Detail => self.toggle_fold(),
            KeyCode::Char('c') => {
                self.show_compare = true;
                self.refresh_compare();
            }
            KeyCode::Char('o') => {
                self.conn_only = !self.conn_only;
                self.filters_changed();
            }
            KeyCode::Char('l') => {
                self.layer = self.layer.next();
                self.filters_changed();
            }
            KeyCode::Char('a') => {
                self.hide_acks = !self.hide_acks;
                self.filters_changed();
            }
            KeyCode::Char('/') => self.search_input = Some(String::new()),
            KeyCode::Char('r') => {
                self.raw_seq = !self.raw_seq;
                self.filters_changed();
                self.refresh_selection();
            }
            KeyCode::Char('t') => self.theme = self.theme.next(),
            KeyCode::Char('d') => self.show_dt = !self.show_dt,
            KeyCode::Char('x') => {
                self.per_layer = !self.per_layer;
                self.filters_changed();
            }
            KeyCode::Modifier(_) => {}
            _ => self.unknown_key = true,
        }
    }

    fn move_in_focus(&mut self, d: i64) {
        match self.focus {
            Focus::Ladder => {
                self.user_step(d > 0);
            }
            Focus::Conns => {
                let n = self.visible_conns() as i64;
                let cur = self
                    .conn
                    .and_then(|c| self.store.conns.pos(c))
                    .map_or(-1, |p| p as i64);
                let next = (cur + d).clamp(0, (n - 1).max(0));
                if n > 0
                    && let Some(id) = self.store.conns.id_at(next as usize)
                {
                    self.set_conn(id);
                }
            }
            Focus::Narration => self.scroll_narration(d),
            Focus::Detail => {
                let sel: Vec<usize> = self.detail.selectable().collect();
                if sel.is_empty() {
                    // Nothing to highlight: scroll the text instead.
                    self.detail_offset = (self.detail_offset as i64 + d)
                        .clamp(0, self.detail.len().saturating_sub(1) as i64)
                        as usize;
                    return;
                }
                let pos = self
                    .detail_sel
                    .and_then(|s| sel.iter().position(|&x| x == s))
                    .unwrap_or(0) as i64;
                if pos + d > sel.len() as i64 - 1
                    && sel.last().is_some_and(|&l| l + 1 < self.detail.len())
                {
                    // Below the last line that can be selected (a payload's hex, text or base64
                    // rows): scroll on instead.
                    let max = self.detail.len().saturating_sub(1) as i64;
                    self.detail_offset = (self.detail_offset as i64 + d).clamp(0, max) as usize;
                    return;
                }
                if d < 0 && self.detail_sel.is_some_and(|s| s < self.detail_offset) {
                    // Scrolled below the selection: scroll back up first.
                    self.detail_offset = (self.detail_offset as i64 + d).max(0) as usize;
                    return;
                }
                let np = (pos + d).clamp(0, sel.len() as i64 - 1) as usize;
                self.detail_sel = sel.get(np).copied();
                let h = self.areas().detail_rows();
                if let Some(s) = self.detail_sel {
                    if s < self.detail_offset {
                        self.detail_offset = s;
                    } else if h > 0 && s >= self.detail_offset + h {
                        self.detail_offset = s + 1 - h;
                    }
                }
            }
        }
    }

    /// Fold or unfold the selected JSON tree node of the detail pane.
    fn toggle_fold(&mut self) {
        let Some(sel) = self.detail_sel else { return };
        if !self.detail.lines.get(sel).is_some_and(|l| l.foldable) {
            return;
        }
        let Some(full) = self.detail.full_index(sel) else {
            return;
        };
        if !self.folded.remove(&full) {
            self.folded.insert(full);
        }
        self.detail.set_folds(&self.folded);
        self.detail_sel = self.detail.shown_index(full);
        let last = self.detail.len().saturating_sub(1);
        self.detail_offset = self.detail_offset.min(last);
    }

    fn scroll_narration(&mut self, d: i64) {
        let n = self.narration_lines().len();
        let h = self.areas().narration_rows();
        let max = n.saturating_sub(h);
        self.narration_offset = (self.narration_offset as i64 + d).clamp(0, max as i64) as usize;
    }

    fn page(&mut self, down: bool) {
        match self.focus {
            Focus::Narration => {
                let h = self.areas().narration_rows().max(1) as i64;
                self.scroll_narration(if down { h } else { -h });
            }
            Focus::Detail => {
                let h = self.areas().detail_rows().max(1);
                self.detail_offset = if down {
                    (self.detail_offset + h).min(self.detail.len().saturating_sub(1))
                } else {
                    self.detail_offset.saturating_sub(h)
                };
            }
            _ => {
                let h = self.areas().ladder_rows().max(1);
                for _ in 0..h {
                    if !self.user_step(down) {
                        break;
                    }
                }
            }
        }
    }

    fn mouse(&mut self, m: MouseEvent) {
        let a = self.areas();
        let p = Position::new(m.column, m.row);
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                if a.conns.contains(p) {
                    self.focus = Focus::Conns;
                    let row = (m.row.saturating_sub(a.conns.y + 2)) as usize + self.conns_offset;
                    if m.row >= a.conns.y + 2
                        && row < self.visible_conns()
                        && let Some(id) = self.store.conns.id_at(row)
                    {
                        self.set_conn(id);
                    }
                } else if a.ladder.contains(p) {
                    self.focus = Focus::Ladder;
                    let first = a.ladder.y + 2;
                    if m.row >= first {
                        let row = (m.row - first) as usize + self.ladder_offset;
                        if let Some(&r) = self.visible_rows().get(row) {
                            self.playing = false;
                            self.follow = false;
                            self.select(r as usize);
                        }
                    }
                } else if a.narration.contains(p) {
                    self.focus = Focus::Narration;
                } else if a.detail.contains(p) {
                    self.focus = Focus::Detail;
                    if m.row > a.detail.y {
                        let line = (m.row - a.detail.y - 1) as usize + self.detail_offset;
                        if self
                            .detail
                            .lines
                            .get(line)
                            .is_some_and(|l| l.span.is_some() || l.foldable)
                        {
                            // A second click on a tree node folds or unfolds it.
                            let again = self.detail_sel == Some(line);
                            self.detail_sel = Some(line);
                            if again {
                                self.toggle_fold();
                            }
                        }
                    }
                }
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let down = m.kind == MouseEventKind::ScrollDown;
                if a.narration.contains(p) {
                    self.scroll_narration(if down { 1 } else { -1 });
                } else if a.detail.contains(p) || a.bytes.contains(p) {
                    self.detail_offset = if down {
                        (self.detail_offset + 3).min(self.detail.len().saturating_sub(1))
                    } else {
                        self.detail_offset.saturating_sub(3)
                    };
                } else if a.conns.contains(p) {
                    let n = self.visible_conns();
                    self.conns_offset = if down {
                        (self.conns_offset + 1).min(n.saturating_sub(1))
                    } else {
                        self.conns_offset.saturating_sub(1)
                    };
                } else {
                    let n = self.visible_rows().len();
                    self.ladder_offset = if down {
                        (self.ladder_offset + 3).min(n.saturating_sub(1))
                    } else {
                        self.ladder_offset.saturating_sub(3)
                    };
                }
            }
            _ => {}
        }
    }
}

pub fn update(m: &mut Model, msg: Msg) {
    match msg {
        Msg::Key(k) => m.key(k),
        Msg::Mouse(e) => m.mouse(e),
        Msg::Resize(w, h) => {
            m.size = Rect::new(0, 0, w, h);
            m.refresh_selection();
        }
        Msg::Tick { ms } => m.tick(ms),
        Msg::Feed(f) => m.ingest(f),
    }
}

pub(crate) fn ts_of(ev: &Event) -> Option<i64> {
    ev.ts().map(|t| t.0)
}

/// Does `hay` contain `needle`, ignoring case? An ASCII needle (the usual search) is compared
/// byte by byte without lowercasing copies: a search tests every label of a connection.
fn contains_ci(hay: &str, needle: &str) -> bool {
    if needle.is_ascii() {
        let n = needle.as_bytes();
        return n.is_empty()
            || hay
                .as_bytes()
                .windows(n.len())
                .any(|w| w.eq_ignore_ascii_case(n));
    }
    hay.to_lowercase().contains(&needle.to_lowercase())
}

#[cfg(test)]
mod contains_ci_tests {
    use super::contains_ci;

    #[test]
    fn ignores_case_in_ascii_and_beyond() {
        assert!(contains_ci("Close 1000 \"bench done\"", "BENCH DONE"));
        assert!(contains_ci("GET /chat HTTP/1.1", "get /CHAT"));
        assert!(!contains_ci("GET /chat", "post"));
        assert!(contains_ci("短", ""));
        assert!(contains_ci("客户端 SYN seq=0", "syn"));
        assert!(contains_ci("Straße ÄRGER", "äRger"));
        assert!(!contains_ci("ab", "abc"));
    }
}
