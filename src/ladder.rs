//! The ladder (sequence) diagram of one connection: client and server lifelines, one arrow per
//! packet, each end's TCP state written where it changes.
//!
//! A data segment whose payload completes an HTTP head, a WebSocket frame or a TLS message is
//! drawn once, as that meaning with the segment's numbers after it (`GET /chat · seq=1 ack=1
//! len=198`): the merged form. The per-layer form ([`LadderOpts::per_layer`]) draws the TCP
//! segment and its meaning as two arrows. Segments that change a state, open, close or reset
//! the connection or are flagged by the TCP analysis always keep their own arrow.
//!
//! The model (events → [`LadderRow`]s) and its plain-text drawing live here rather than in the
//! UI because the `diagram` export reuses them: the text it writes is the text the UI draws.

use crate::event::{ConnId, Dir, Event, HttpKind, Opcode, TcpState, WsMessage};
use crate::teach::catalog::{Msg, say, text as tr};
use crate::text::escape_for_terminal;
use rustc_hash::FxHashMap;

/// How rows are labelled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LadderOpts {
    /// Raw 32-bit sequence/ack numbers instead of relative ones.
    pub raw_seq: bool,
    /// The language of the labels' words (numbers, flags and opcodes read the same in all).
    pub lang: crate::teach::Lang,
    /// One arrow per layer: a data segment and the HTTP head/frame/TLS message it completes
    /// each get a row, instead of one merged row per packet.
    pub per_layer: bool,
}

/// One line of the ladder.
#[derive(Clone, Debug, PartialEq)]
pub struct LadderRow {
    /// Index of the event in the slice the ladder was built from.
    pub event: usize,
    /// Direction of the arrow; None for a remark between the lifelines (handshake result, note).
    pub dir: Option<Dir>,
    pub label: String,
    /// The client's state after this row, when it changed.
    pub client_state: Option<TcpState>,
    /// The server's state after this row, when it changed.
    pub server_state: Option<TcpState>,
}

/// What [`Tracker::observe`] learned about one event in its connection's history.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    pub client_state: Option<TcpState>,
    pub server_state: Option<TcpState>,
    /// For a one-frame message: the frame event whose row shows it (the message has no row).
    pub merged_into: Option<usize>,
    /// For an HTTP head, frame or TLS message completed by a plain data segment: that segment's
    /// event, whose arrow this event's row takes over in the merged form.
    pub absorbs: Option<usize>,
}

#[derive(Default)]
struct ConnTrack {
    states: Option<(TcpState, TcpState)>,
    /// Frame events of the message being assembled, per direction.
    frames: [Vec<usize>; 2],
    /// Per direction: the last data segment that may be merged into its meaning, with its
    /// packet number, until an event of that packet takes it.
    pending: [Option<(usize, crate::event::PktNum)>; 2],
}

/// Follows events in arrival order to find state changes and which message belongs to which
/// frame. Incremental, so a UI can feed it as events arrive.
#[derive(Default)]
pub struct Tracker {
    conns: FxHashMap<ConnId, ConnTrack>,
    /// Closed connections' last states, for the packets that may still come after the close;
    /// the rest of their tracking is let go (a million closed connections cost 16 MiB here).
    closed: FxHashMap<ConnId, (TcpState, TcpState)>,
}

impl Tracker {
    pub fn observe(&mut self, idx: usize, ev: &Event) -> Observed {
        self.observe_after(idx, ev, None)
    }

    /// [`Tracker::observe`] for a caller that keeps each connection's states itself and
    /// gives them (`prior`: both ends' states before `ev`): nothing is remembered for a
    /// closed connection then.
    pub fn observe_after(
        &mut self,
        idx: usize,
        ev: &Event,
        prior: Option<(TcpState, TcpState)>,
    ) -> Observed {
        let mut out = Observed::default();
        let Some(conn) = ev.conn() else { return out };
        // Taken out and put back only while it holds something: with `prior` given, a million
        // connections that only sent a SYN leave nothing here.
        let mut t = self.conns.remove(&conn).unwrap_or_else(|| ConnTrack {
            states: prior.or_else(|| self.closed.remove(&conn)),
            ..ConnTrack::default()
        });
        if prior.is_some() {
            t.states = prior;
        }
        let t = &mut t;
        let after = match ev {
            Event::Tcp(s) => Some((s.client_state, s.server_state)),
            Event::ConnClose(c) => Some((c.client_state, c.server_state)),
            _ => None,
        };
        if let Some((c, s)) = after {
            // Both ends start CLOSED (no connection yet); a reset shows both ends' states even
            // unchanged, so a refused SYN draws the server's CLOSED where the answer shows it.
            let (pc, ps) = t.states.unwrap_or((TcpState::Closed, TcpState::Closed));
            let rst = matches!(ev, Event::Tcp(s) if s.flags.rst());
            if pc != c || rst {
                out.client_state = Some(c);
            }
            if ps != s || rst {
                out.server_state = Some(s);
            }
            t.states = Some((c, s));
        }
        if let Event::Tcp(seg) = ev {
            let plain = seg.len > 0
                && !seg.flags.syn()
                && !seg.flags.fin()
                && !seg.flags.rst()
                && seg.analysis.names().next().is_none()
                && out.client_state.is_none()
                && out.server_state.is_none();
            t.pending[seg.dir.idx()] = plain.then_some((idx, seg.pkt));
        }
        let meaning = match ev {
            Event::Http(h) => Some((h.dir, h.pkt)),
            Event::WsFrame(f) => f.pkts.last().map(|&p| (f.dir, p)),
            Event::Tls(m) => Some((m.dir, m.pkt)),
            _ => None,
        };
        if let Some((dir, pkt)) = meaning
            && let Some((seg, p)) = t.pending[dir.idx()]
            && p == pkt
        {
            // The first meaning a packet completes takes its arrow; a second frame in the same
            // segment has its own row.
            out.absorbs = Some(seg);
            t.pending[dir.idx()] = None;
        }
        match ev {
            Event::WsFrame(f) => {
                let v = &mut t.frames[f.dir.idx()];
                // Control frames may sit between the fragments of a data message; they complete
                // at once and are remembered only until their own message event.
                if v.len() < 4096 {
                    v.push(idx);
                }
            }
            Event::WsMessage(m) => {
                let v = &mut t.frames[m.dir.idx()];
                if m.opcode.is_control() {
                    if let Some(pos) = v.iter().rposition(|_| true) {
                        out.merged_into = Some(v.remove(pos));
                    }
                } else {
                    if m.frames == 1 && v.len() == 1 {
                        out.merged_into = v.first().copied();
                    }
                    v.clear();
                }
            }
            Event::ConnClose(_) => {
                if let Some(states) = t.states.filter(|_| prior.is_none()) {
                    self.closed.insert(conn, states);
                }
                return out;
            }
            _ => {}
        }
        let holds = t.frames.iter().any(|f| !f.is_empty()) || t.pending.iter().any(Option::is_some);
        if prior.is_none() || holds {
            self.conns.insert(conn, std::mem::take(t));
        }
        out
    }
}

/// What the merged row adds after an event's meaning: the numbers of the segment it absorbed.
pub fn segment_suffix(seg: &Event, opts: LadderOpts) -> String {
    let Event::Tcp(t) = seg else {
        return String::new();
    };
    let (seq, ack) = if opts.raw_seq {
        (t.seq, t.ack)
    } else {
        (t.rel_seq, t.rel_ack)
    };
    if t.flags.ack() {
        format!("{SEGMENT_SEP}seq={seq} ack={ack} len={}", t.len)
    } else {
        format!("{SEGMENT_SEP}seq={seq} len={}", t.len)
    }
}

/// Separates a merged row's meaning from its segment's numbers.
pub const SEGMENT_SEP: &str = " · ";

/// The label of an event's row, or None when the event has no row of its own.
/// `msg` is the message shown on a frame's row (one-frame messages and control frames).
pub fn label(ev: &Event, msg: Option<&WsMessage>, opts: LadderOpts) -> Option<String> {
    use std::fmt::Write;
    let mut s = String::new();
    match ev {
        Event::Tcp(t) => {
            let _ = write!(s, "{}", t.flags);
            if s.is_empty() {
                s.push_str(tr(opts.lang, Msg::LNoFlags));
            }
            let (seq, ack) = if opts.raw_seq {
                (t.seq, t.ack)
            } else {
                (t.rel_seq, t.rel_ack)
            };
            if t.flags.syn() || t.flags.fin() || t.flags.rst() || t.len > 0 || !t.flags.ack() {
                let _ = write!(s, " seq={seq}");
            }
            if t.flags.ack() {
                let _ = write!(s, " ack={ack}");
            }
            if t.len > 0 {
                let _ = write!(s, " len={}", t.len);
            }
            if let Some(mss) = t.opts.mss {
                let _ = write!(s, " mss={mss}");
            }
            if let Some(name) = t.analysis.names().next() {
                let _ = write!(s, " [{}]", crate::teach::labels::analysis(opts.lang, name));
            }
        }
        Event::Http(h) => match &h.kind {
            HttpKind::Request { method, path } => {
                // The tutorial's four steps of a WebSocket: 1 TCP, 2 this request, 3 the answer,
                // 4 frames over the same connection.
                if h.header("upgrade")
                    .is_some_and(|u| u.to_ascii_lowercase().contains("websocket"))
                {
                    s.push_str(tr(opts.lang, Msg::LStep2));
                }
                let _ = write!(
                    s,
                    "{} {}",
                    escape_for_terminal(method),
                    escape_for_terminal(path)
                );
                if let Some(u) = h.header("upgrade") {
                    let _ = write!(s, "  Upgrade: {}", escape_for_terminal(u));
                }
            }
            HttpKind::Response { status, reason } => {
                if *status == 101 {
                    s.push_str(tr(opts.lang, Msg::LStep3));
                }
                let _ = write!(s, "{status} {}", escape_for_terminal(reason));
            }
        },
        Event::WsHandshake(h) => {
            if h.upgraded {
                s.push_str(tr(opts.lang, Msg::LWsOpen));
            } else {
                s.push_str(tr(opts.lang, Msg::LUpgradeFailed));
            }
            if h.accept.is_some() {
                s.push_str(tr(
                    opts.lang,
                    if h.accept_ok {
                        Msg::LAcceptOk
                    } else {
                        Msg::LAcceptBad
                    },
                ));
            }
            if let Some(p) = h.problems.first() {
                let p = crate::teach::decoder_words::sentence(opts.lang, p);
                let colon = if opts.lang == crate::teach::Lang::Zh {
                    "："
                } else {
                    ": "
                };
                let _ = write!(s, "{colon}{}", escape_for_terminal(&p));
            }
        }
        Event::WsFrame(f) => {
            let h = &f.header;
            s.push_str(opcode_name(h.opcode));
            let masked = if h.masked {
                tr(opts.lang, Msg::LMasked)
            } else {
                ""
            };
            match msg {
                Some(m) if m.opcode == Opcode::Close => {
                    if let Some(c) = m.close_code {
                        let _ = write!(s, " {c}");
                    }
                    if let Some(r) = m.close_reason.as_deref().filter(|r| !r.is_empty()) {
                        let _ = write!(s, " \"{}\"", escape_for_terminal(r));
                    }
                    s.push_str(masked);
                }
                Some(m) => {
                    push_payload(&mut s, m);
                    s.push_str(masked);
                    if m.compressed {
                        let _ = write!(s, " deflate {}→{}B", m.wire_len, m.len);
                    }
                }
                None => {
                    if !h.fin {
                        s.push_str(" FIN=0");
                    }
                    let _ = write!(s, " {}B{masked}", h.payload_len);
                }
            }
        }
        Event::WsMessage(m) => {
            s.push_str(&say(
                opts.lang,
                Msg::LMessage,
                &[("op", &opcode_name(m.opcode))],
            ));
            push_payload(&mut s, m);
            s.push_str(&say(opts.lang, Msg::LFrames, &[("n", &m.frames)]));
        }
        Event::ConnClose(c) => {
            s.push_str(&say(
                opts.lang,
                Msg::LClosed,
                &[("how", &crate::teach::labels::close_how(opts.lang, c.how))],
            ));
        }
        Event::Note(n) => {
            let t = crate::teach::decoder_words::sentence(opts.lang, &n.text);
            let _ = write!(s, "! {}", escape_for_terminal(&t));
        }
        Event::Tls(t) => {
            let _ = write!(s, "TLS {}", crate::teach::tls_words::summary(opts.lang, t));
        }
        Event::TlsSession(t) => {
            s.push_str(&crate::teach::tls_words::session_label(opts.lang, t));
        }
        Event::Udp(u) => {
            let _ = write!(s, "UDP len={}", u.len);
        }
        Event::ConnOpen(_) => return None,
        Event::App(a) => s.push_str(&crate::teach::app_words::label(opts.lang, a)),
    }
    Some(s)
}

fn opcode_name(op: Opcode) -> &'static str {
    match op {
        Opcode::Continuation => "Continuation",
        Opcode::Text => "Text",
        Opcode::Binary => "Binary",
        Opcode::Close => "Close",
        Opcode::Ping => "Ping",
        Opcode::Pong => "Pong",
        Opcode::ReservedData(_) | Opcode::ReservedControl(_) => "Reserved",
    }
}

/// Text previews longer than this are cut in labels; the detail pane has the rest.
const LABEL_TEXT: usize = 40;

fn push_payload(s: &mut String, m: &WsMessage) {
    use std::fmt::Write;
    if let Some(t) = &m.text {
        // The first LABEL_TEXT characters, borrowed (a search formats every label).
        let end = t.char_indices().nth(LABEL_TEXT).map_or(t.len(), |(i, _)| i);
        let cut = &t[..end];
        let more = if end < t.len() || m.text_truncated {
            "…"
        } else {
            ""
        };
        let _ = write!(s, " \"{}{more}\"", escape_for_terminal(cut));
    } else {
        let _ = write!(s, " {}B", m.len);
    }
}

/// The direction an event's arrow points, if it has one.
pub fn arrow_dir(ev: &Event) -> Option<Dir> {
    match ev {
        Event::Tcp(t) => Some(t.dir),
        Event::Http(h) => Some(h.dir),
        Event::WsFrame(f) => Some(f.dir),
        Event::WsMessage(m) => Some(m.dir),
        Event::Udp(u) => Some(u.dir),
        Event::App(a) => Some(a.dir),
        Event::Tls(t) => Some(t.dir),
        _ => None,
    }
}

/// The rows of one connection's ladder, from a whole list of events in arrival order.
pub fn build(events: &[Event], conn: ConnId, opts: LadderOpts) -> Vec<LadderRow> {
    let mut tracker = Tracker::default();
    let mut observed: Vec<(usize, Observed)> = Vec::new();
    let mut merged: FxHashMap<usize, usize> = FxHashMap::default();
    let mut absorbed = rustc_hash::FxHashSet::default();
    for (i, ev) in events.iter().enumerate() {
        if ev.conn() != Some(conn) {
            continue;
        }
        let o = tracker.observe(i, ev);
        if let Some(f) = o.merged_into {
            merged.insert(f, i);
        }
        if let Some(seg) = o.absorbs.filter(|_| !opts.per_layer) {
            absorbed.insert(seg);
        }
        observed.push((i, o));
    }
    let mut rows = Vec::new();
    for (i, o) in observed {
        if o.merged_into.is_some() || absorbed.contains(&i) {
            continue;
        }
        let msg = merged.get(&i).and_then(|&m| match events.get(m) {
            Some(Event::WsMessage(m)) => Some(m),
            _ => None,
        });
        let Some(ev) = events.get(i) else { continue };
        if let Some(mut label) = label(ev, msg, opts) {
            if let Some(seg) = o.absorbs.filter(|_| !opts.per_layer)
                && let Some(seg) = events.get(seg)
            {
                label.push_str(&segment_suffix(seg, opts));
            }
            rows.push(LadderRow {
                event: i,
                dir: arrow_dir(ev),
                label,
                client_state: o.client_state,
                server_state: o.server_state,
            });
        }
    }
    rows
}

/// Width of the state columns beside the lifelines (`SYN_RECEIVED` is the longest name).
pub const STATE_W: usize = 12;

/// A drawn row in three parts: the client's state, what lies between the lifelines, the
/// server's state. The text format is `left|middle|right`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowParts {
    pub left: String,
    pub middle: String,
    pub right: String,
}

/// Draw a row's parts with `middle_w` columns between the lifelines.
pub fn row_parts(row: &LadderRow, middle_w: usize) -> RowParts {
    let left = match row.client_state {
        Some(s) => format!("{:>w$}", s.as_str(), w = STATE_W),
        None => " ".repeat(STATE_W),
    };
    let right = match row.server_state {
        Some(s) => format!("{:<w$}", s.as_str(), w = STATE_W),
        None => " ".repeat(STATE_W),
    };
    RowParts {
        left,
        middle: arrow(row.dir, &row.label, middle_w),
        right,
    }
}

/// `-- label -->`, `<-- label --` or ` label ` centred, exactly `w` columns wide.
pub fn arrow(dir: Option<Dir>, label: &str, w: usize) -> String {
    let (head_l, head_r, fill) = match dir {
        Some(Dir::C2S) => ("", ">", '-'),
        Some(Dir::S2C) => ("<", "", '-'),
        None => ("", "", ' '),
    };
    // At least two fill characters each side so the direction reads at a glance.
    let room = w.saturating_sub(head_l.len() + head_r.len() + 6);
    let label = fit_label(label, room);
    let lw = display_width(&label);
    let used = head_l.len() + head_r.len() + lw + 2;
    let pad = w.saturating_sub(used);
    let before = pad / 2;
    let after = pad - before;
    let mut s = String::with_capacity(w + 8);
    s.push_str(head_l);
    s.extend(std::iter::repeat_n(fill, before));
    s.push(' ');
    s.push_str(&label);
    s.push(' ');
    s.extend(std::iter::repeat_n(fill, after));
    s.push_str(head_r);
    s
}

/// A label cut to `w` columns keeping its facts: when it holds a quoted payload preview, the
/// preview gives way first (`Text "{"type":…" (masked) deflate 73→83B` keeps `deflate 73→83B`);
/// only when the facts alone do not fit is the end cut.
pub fn fit_label(s: &str, w: usize) -> String {
    if display_width(s) <= w {
        return s.to_string();
    }
    // An upgrade request's `Upgrade:` header is what `step 2/4` already says: on a narrow
    // screen it gives way before the segment's numbers.
    if let Some(a) = s.find("  Upgrade: ") {
        let b = s[a..].find(SEGMENT_SEP).map_or(s.len(), |e| a + e);
        return fit_label(&format!("{}{}", &s[..a], &s[b..]), w);
    }
    // A merged row: the meaning's own facts come first (`(masked) deflate 73→83B` after a
    // preview); the segment's numbers follow as far as they fit: all, then without the ack,
    // then none (`x` shows the segment's own arrow).
    if let Some(p) = s.rfind(SEGMENT_SEP) {
        let (meaning, numbers) = (&s[..p], &s[p..]);
        let short = without_ack(numbers);
        for nums in [numbers, short.as_str()] {
            let nw = display_width(nums);
            if nw < w && least_width(meaning) <= w - nw {
                return format!("{}{nums}", fit_label(meaning, w - nw));
            }
        }
        return fit_label(meaning, w);
    }
    if let (Some(a), Some(b)) = (s.find('"'), s.rfind('"'))
        && b > a + 1
    {
        let (head, quoted, tail) = (&s[..=a], &s[a + 1..b], &s[b..]);
        let fixed = display_width(head) + display_width(tail);
        // Room for at least a few characters of the preview and its ellipsis.
        if fixed + 4 <= w {
            return format!("{head}{}{tail}", fit(quoted, w - fixed));
        }
    }
    fit(s, w)
}

/// The fewest columns a label can take without losing a fact: a quoted preview shrinks to a
/// few characters; other labels may lose their end past the first 20 columns (a reason phrase,
/// a cipher suite's name).
fn least_width(s: &str) -> usize {
    if let (Some(a), Some(b)) = (s.find('"'), s.rfind('"'))
        && b > a + 1
    {
        return display_width(&s[..=a]) + display_width(&s[b..]) + 4;
    }
    display_width(s).min(20)
}

/// ` · seq=1 ack=1 len=198` without its ack.
fn without_ack(numbers: &str) -> String {
    numbers
        .split(' ')
        .filter(|w| !w.starts_with("ack="))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Columns a string takes in a terminal: CJK and other wide characters take two, so a label
/// with Chinese payload text still ends at the server's lifeline.
pub fn display_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Cut to `w` columns with an ellipsis (never splitting a wide character over the edge).
pub fn fit(s: &str, w: usize) -> String {
    if display_width(s) <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw > w - 1 {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    out
}

/// The ladder as plain text, `width` columns wide, with a heading naming both ends.
pub fn render_text(rows: &[LadderRow], client: &str, server: &str, width: usize) -> String {
    let middle_w = width.saturating_sub(2 * STATE_W + 2).max(20);
    let mut out = String::new();
    // Padded by display width: a Chinese head takes two columns a character.
    let c = fit(client, STATE_W);
    let head = format!(
        "{}{c}|{}|{}\n",
        " ".repeat(STATE_W.saturating_sub(display_width(&c))),
        " ".repeat(middle_w),
        fit(server, STATE_W),
    );
    out.push_str(&head);
    for r in rows {
        let p = row_parts(r, middle_w);
        out.push_str(&p.left);
        out.push('|');
        out.push_str(&p.middle);
        out.push('|');
        out.push_str(p.right.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::*;

    #[allow(clippy::too_many_arguments)]
    fn seg(
        conn: ConnId,
        dir: Dir,
        flags: u8,
        rel_seq: u32,
        rel_ack: u32,
        len: u32,
        c: TcpState,
        s: TcpState,
    ) -> Event {
        Event::Tcp(TcpSegment {
            conn,
            pkt: 1,
            ts: Ts(0),
            dir,
            flags: TcpFlags(flags),
            seq: rel_seq.wrapping_add(1000),
            ack: rel_ack.wrapping_add(5000),
            rel_seq,
            rel_ack,
            len,
            win: 100,
            win_scaled: None,
            client_state: c,
            server_state: s,
            handshake: None,
            analysis: Analysis::default(),
            opts: TcpOpts::default(),
            truncated: false,
        })
    }

    fn handshake() -> Vec<Event> {
        use TcpState::*;
        vec![
            seg(1, Dir::C2S, TcpFlags::SYN, 0, 0, 0, SynSent, Closed),
            seg(
                1,
                Dir::S2C,
                TcpFlags::SYN | TcpFlags::ACK,
                0,
                1,
                0,
                Established,
                SynReceived,
            ),
            seg(
                1,
                Dir::C2S,
                TcpFlags::ACK,
                1,
                1,
                0,
                Established,
                Established,
            ),
        ]
    }

    #[test]
    fn handshake_labels_and_state_changes() {
        let rows = build(&handshake(), 1, LadderOpts::default());
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["SYN seq=0", "SYN,ACK seq=0 ack=1", "ACK ack=1"]);
        assert_eq!(rows[0].client_state, Some(TcpState::SynSent));
        assert_eq!(
            rows[0].server_state, None,
            "no state is claimed for the server before it answers"
        );
        assert_eq!(rows[1].client_state, Some(TcpState::Established));
        assert_eq!(rows[1].server_state, Some(TcpState::SynReceived));
        assert_eq!(
            rows[2].client_state, None,
            "unchanged state is not repeated"
        );
        assert_eq!(rows[2].server_state, Some(TcpState::Established));
    }

    #[test]
    fn raw_numbers_on_request() {
        let rows = build(
            &handshake(),
            1,
            LadderOpts {
                raw_seq: true,
                ..Default::default()
            },
        );
        assert_eq!(rows[1].label, "SYN,ACK seq=1000 ack=5001");
    }

    #[test]
    fn other_connections_are_left_out() {
        let mut ev = handshake();
        ev.push(seg(
            2,
            Dir::C2S,
            TcpFlags::SYN,
            0,
            0,
            0,
            TcpState::SynSent,
            TcpState::Closed,
        ));
        assert_eq!(build(&ev, 1, LadderOpts::default()).len(), 3);
        assert_eq!(build(&ev, 2, LadderOpts::default()).len(), 1);
    }

    fn frame(dir: Dir, op: Opcode, fin: bool, len: u64) -> Event {
        let masked = dir == Dir::C2S;
        Event::WsFrame(WsFrame {
            conn: 1,
            dir,
            pkts: [4][..].into(),
            ts: Ts(0),
            header: FrameHeader {
                fin,
                rsv1: false,
                rsv2: false,
                rsv3: false,
                opcode: op,
                masked,
                mask_key: masked.then_some([1, 2, 3, 4]),
                len_code: len as u8,
                payload_len: len,
                header_len: if masked { 6 } else { 2 },
                raw: [0; 14],
            },
            stream_offset: 0,
            heuristic: false,
            preview: vec![],
        })
    }

    fn message(dir: Dir, op: Opcode, frames: u32, text: Option<&str>, close: Option<u16>) -> Event {
        Event::WsMessage(WsMessage {
            conn: 1,
            dir,
            pkt: 4,
            ts: Ts(0),
            opcode: op,
            frames,
            compressed: false,
            wire_len: 5,
            len: 5,
            sha256: [0; 32],
            text: text.map(str::to_string),
            text_truncated: false,
            data: vec![],
            data_truncated: false,
            close_code: close,
            close_reason: None,
            utf8_error: false,
            inflate_error: None,
            heuristic: false,
        })
    }

    #[test]
    fn one_frame_message_is_shown_on_its_frame() {
        let ev = vec![
            frame(Dir::C2S, Opcode::Text, true, 5),
            message(Dir::C2S, Opcode::Text, 1, Some("hello"), None),
            frame(Dir::S2C, Opcode::Close, true, 2),
            message(Dir::S2C, Opcode::Close, 1, None, Some(1000)),
        ];
        let rows = build(&ev, 1, LadderOpts::default());
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["Text \"hello\" (masked)", "Close 1000"]);
    }

    #[test]
    fn fragmented_message_keeps_frame_rows_and_its_own() {
        let ev = vec![
            frame(Dir::C2S, Opcode::Text, false, 3),
            frame(Dir::C2S, Opcode::Ping, true, 0),
            message(Dir::C2S, Opcode::Ping, 1, None, None),
            frame(Dir::C2S, Opcode::Continuation, true, 2),
            message(Dir::C2S, Opcode::Text, 2, Some("hello"), None),
        ];
        let rows = build(&ev, 1, LadderOpts::default());
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Text FIN=0 3B (masked)",
                "Ping 5B (masked)",
                "Continuation 2B (masked)",
                "⇒ Text message \"hello\" (2 frames)"
            ]
        );
    }

    #[test]
    fn hostile_text_is_escaped_in_labels() {
        let ev = vec![
            frame(Dir::S2C, Opcode::Text, true, 5),
            message(Dir::S2C, Opcode::Text, 1, Some("\x1b[31mred\u{202e}"), None),
        ];
        let rows = build(&ev, 1, LadderOpts::default());
        assert_eq!(rows[0].label, "Text \"\\x1b[31mred\\u{202e}\"");
    }

    #[test]
    fn arrows_point_and_fit() {
        let a = arrow(Some(Dir::C2S), "SYN seq=0", 20);
        assert_eq!(a.chars().count(), 20);
        assert!(a.ends_with("->") && a.contains(" SYN seq=0 "));
        let b = arrow(Some(Dir::S2C), "a very long label that cannot fit", 20);
        assert_eq!(b.chars().count(), 20);
        assert!(b.starts_with("<--") && b.contains('…'));
    }

    #[test]
    fn wide_characters_count_two_columns_in_arrows() {
        for w in [20, 21, 40] {
            let a = arrow(Some(Dir::C2S), "Text \"你好，WebSocket\" (masked)", w);
            assert_eq!(display_width(&a), w, "{a}");
            assert!(a.ends_with("->"));
        }
        // Cutting never leaves half a character: 5 columns hold two CJK characters and "…".
        assert_eq!(fit("你好世界", 5), "你好…");
        // Facts after a long preview survive; the preview gives way.
        let l = "Text \"{\"type\":\"chat\",\"room\":\"general\"}\" (masked) deflate 73→83B";
        let f = fit_label(l, 40);
        assert!(f.ends_with("\" (masked) deflate 73→83B"), "{f}");
        assert!(
            f.starts_with("Text \"{\"type") && display_width(&f) <= 40,
            "{f}"
        );
        assert_eq!(fit_label("Close 1000", 40), "Close 1000");
        assert_eq!(fit("你好世界", 6), "你好…");
    }

    #[test]
    fn text_rendering_has_lifelines_and_states() {
        let rows = build(&handshake(), 1, LadderOpts::default());
        let t = render_text(&rows, "client", "server", 60);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[1].starts_with("    SYN_SENT|"));
        // No listener is claimed before the server's answer shows one.
        assert!(lines[1].contains("SYN seq=0") && lines[1].trim_end().ends_with("->|"));
        assert!(lines[2].starts_with(" ESTABLISHED|") && lines[2].ends_with("|SYN_RECEIVED"));
        assert!(lines[3].starts_with("            |") && lines[3].ends_with("|ESTABLISHED"));
    }

    /// The real classroom recording: the segment carrying the GET is one arrow with the GET
    /// and the segment's numbers; per layer it is two; the handshake is the same either way.
    #[test]
    fn one_arrow_per_packet_on_a_real_capture() {
        let b = crate::ui::decode_all(crate::ui::EMBEDDED_CAPTURE).unwrap();
        let merged = build(&b.events, 1, LadderOpts::default());
        let layers = build(
            &b.events,
            1,
            LadderOpts {
                per_layer: true,
                ..Default::default()
            },
        );
        let labels = |r: &[LadderRow]| r.iter().map(|r| r.label.clone()).collect::<Vec<_>>();
        let (m, l) = (labels(&merged), labels(&layers));
        assert_eq!(m[..3], l[..3], "the three-way handshake is unchanged");
        assert_eq!(m[0], "SYN seq=0 mss=65495");
        assert_eq!(m[1], "SYN,ACK seq=0 ack=1 mss=65495");
        assert_eq!(m[2], "ACK ack=1");
        assert_eq!(
            m[3],
            "step 2/4 GET /chat  Upgrade: websocket · seq=1 ack=1 len=198"
        );
        assert_eq!(l[3], "ACK,PSH seq=1 ack=1 len=198");
        assert_eq!(l[4], "step 2/4 GET /chat  Upgrade: websocket");
        assert!(
            m.iter()
                .any(|x| x == "Text \"Hello\" (masked) · seq=199 ack=204 len=11"),
            "{m:#?}"
        );
        // Every data segment is either merged or has its own row; nothing is lost.
        let data = b
            .events
            .iter()
            .filter(|e| matches!(e, Event::Tcp(t) if t.conn == 1 && t.len > 0))
            .count();
        let with_numbers = m.iter().filter(|x| x.contains("len=")).count();
        assert_eq!(with_numbers, data);
        assert!(merged.len() + data <= layers.len() + 1);
        assert!(merged.len() < layers.len());
        // On a narrow screen the Upgrade header gives way, the numbers stay.
        assert_eq!(
            fit_label(&m[3], 45),
            "step 2/4 GET /chat · seq=1 ack=1 len=198"
        );
        // A compressed frame keeps `(masked) deflate a→bB`; the numbers give way first.
        let l = "Text \"{\"type\":\"chat\",\"room\":\"general\"}\" (masked) deflate 73→79B · seq=265 ack=250 len=79";
        let f = fit_label(l, 45);
        assert!(f.ends_with("(masked) deflate 73→79B"), "{f}");
        let f = fit_label(l, 52);
        assert!(
            f.ends_with("(masked) deflate 73→79B · seq=265 len=79"),
            "{f}"
        );
        let f = fit_label(l, 70);
        assert!(
            f.ends_with("deflate 73→79B · seq=265 ack=250 len=79"),
            "{f}"
        );
        assert!(f.starts_with("Text \"{"), "{f}");
    }
}
