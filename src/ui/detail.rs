//! The detail pane's content for one event: the packet's layer tree, the event's own fields,
//! and the explanations (frame bit layout, unmasking, Accept computation). Built once when the
//! selection changes, so drawing only copies lines.

use super::detail_app::PayloadTree;
use super::full_payload::{FULL_CAP, FullPayload, FullState};
use super::layers;
use super::payload_rows::{PayloadBody, PayloadRows};
use super::store::{Layer, Store};
use crate::event::{Event, HttpKind, Opcode, PktNum, WsFrame, WsMessage};
use crate::fields::Field;
use crate::teach::catalog::{Msg, say, text as tr};
use crate::teach::{Lang, labels};
use crate::text::{bytes_for_terminal, escape_for_terminal};
use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    Heading,
    Field,
    Text,
    Good,
    Bad,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub depth: u8,
    pub kind: LineKind,
    pub text: String,
    /// Bytes of the shown packet this line describes (highlighted in the bytes pane).
    pub span: Option<Range<usize>>,
    /// The field's stable name (`tcp.seq`, `ws.fin`), empty for text lines.
    pub name: &'static str,
    /// A JSON tree node with children: Enter folds and unfolds it.
    pub foldable: bool,
}

impl Line {
    /// A line of what was captured (payload views, an application message's own fields):
    /// shown as it is in every language.
    pub(super) fn captured(depth: u8, text: impl Into<String>) -> Line {
        Line {
            name: "captured",
            ..Line::new(depth, LineKind::Text, text)
        }
    }

    pub(super) fn new(depth: u8, kind: LineKind, text: impl Into<String>) -> Line {
        Line {
            depth,
            kind,
            text: text.into(),
            span: None,
            name: "",
            foldable: false,
        }
    }
}

/// What the detail and bytes panes show for the selected event.
#[derive(Clone, Debug, Default)]
pub struct Detail {
    pub event: usize,
    /// The packet shown in the bytes pane.
    pub pkt: Option<PktNum>,
    /// The lines shown: `full` without the children of folded tree nodes.
    pub lines: Vec<Line>,
    /// Every line, folded or not (filled by `set_folds`).
    pub(super) full: Vec<Line>,
    /// For each shown line, its index in `full`.
    pub(super) origin: Vec<usize>,
    /// The payload's hex and text or base64 views, below `lines`: rows made when drawn.
    pub(super) rows: Option<Arc<PayloadRows>>,
}

impl Detail {
    /// A detail of these lines only (for tests of the views).
    pub fn from_lines(lines: Vec<Line>) -> Detail {
        Detail {
            lines,
            ..Default::default()
        }
    }

    /// Lines in the pane: `lines`, then the payload views' rows.
    pub fn len(&self) -> usize {
        self.lines.len() + self.rows.as_ref().map_or(0, |r| r.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a payload's hex and text or base64 views follow the lines.
    pub fn has_payload_rows(&self) -> bool {
        self.rows.is_some()
    }

    /// Line `i` of the pane (a payload view's row is made here).
    pub fn line(&self, i: usize) -> Option<Cow<'_, Line>> {
        match self.lines.get(i) {
            Some(l) => Some(Cow::Borrowed(l)),
            None => self
                .rows
                .as_ref()?
                .row(i - self.lines.len())
                .map(Cow::Owned),
        }
    }

    /// The line to select first: the layer the event is about, so the bytes pane opens on it.
    pub fn initial(&self, ev: Option<&Event>) -> Option<usize> {
        let want: &[&str] = match ev {
            Some(Event::Tcp(_)) => &["tcp"],
            Some(Event::Udp(_)) => &["udp"],
            Some(Event::WsFrame(_)) => &["ws.fin"],
            Some(Event::Http(_)) => &["http.request_line", "http.status_line", "tcp.payload"],
            Some(Event::WsMessage(_)) => &["tcp.payload"],
            Some(Event::Tls(_)) => &["tls.handshake", "tls.record"],
            _ => &[],
        };
        want.iter()
            .find_map(|w| {
                self.lines
                    .iter()
                    .position(|l| l.span.is_some() && l.name == *w)
            })
            .or_else(|| self.selectable().next())
    }

    /// The heading of the event's own explanation (below the packet's layer tree).
    pub fn event_heading(&self) -> Option<usize> {
        self.lines
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, l)| l.depth == 0 && l.kind == LineKind::Heading)
            .map(|(i, _)| i)
    }

    /// Lines that can be selected (they describe bytes, or fold a tree node).
    pub fn selectable(&self) -> impl Iterator<Item = usize> + '_ {
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.span.is_some() || l.foldable)
            .map(|(i, _)| i)
    }
}

/// Most payload bytes shown in the unmasking table.
const UNMASK_ROWS: usize = 8;

pub fn build(store: &Store, idx: usize, bits_per_row: u64, lang: Lang) -> Detail {
    build_full(store, idx, bits_per_row, lang, None, 100)
}

/// The detail of event `idx`, its payload views over `full` (the selected message's whole
/// payload, loaded or being loaded from the file) when given, its rows fitted to a pane
/// `width` columns wide inside its borders.
pub fn build_full(
    store: &Store,
    idx: usize,
    bits_per_row: u64,
    lang: Lang,
    full: Option<&FullState>,
    width: usize,
) -> Detail {
    let mut d = Detail {
        event: idx,
        ..Default::default()
    };
    let Some(ev) = store.event(idx) else {
        return d;
    };
    let ev = &ev;
    let pkt = match ev {
        Event::WsFrame(f) => f.pkts.first().copied(),
        _ => ev.pkt(),
    };
    d.pkt = pkt;
    let packet = pkt.and_then(|n| store.packet(n));
    // What an application message means comes first; the packet that completed it below.
    if let Event::App(a) = ev {
        match full {
            Some(FullState::Ready(p)) if matches!(&**p, FullPayload::App(_)) => {
                if let FullPayload::App(whole) = &**p {
                    super::detail_app::app_lines(whole, &mut d.lines, lang);
                }
            }
            _ => {
                super::detail_app::app_lines(a, &mut d.lines, lang);
                // The message it was read from: the connection's last one that way before it.
                let ci = store.conn(a.conn);
                let earlier = ci.as_deref().map_or(&[][..], |ci| {
                    &ci.events[..ci.events.partition_point(|&e| (e as usize) < idx)]
                });
                if let Some(m) = earlier.iter().rev().find_map(|&e| {
                    if store.meta(e as usize)?.layer != Layer::Ws {
                        return None;
                    }
                    match store.event(e as usize)? {
                        Event::WsMessage(m) if m.dir == a.dir => Some(m),
                        _ => None,
                    }
                }) {
                    let kept = super::detail_app::payload_bytes(&m).len();
                    full_note(m.len, kept, full, &mut d.lines, lang);
                }
            }
        }
    }
    if let (Some(n), Some((rec, data))) = (pkt, &packet) {
        d.lines.push(Line::new(
            0,
            LineKind::Heading,
            say(
                lang,
                Msg::DPacket,
                &[("n", &n), ("len", &rec.len), ("orig", &rec.orig_len)],
            ),
        ));
        let data = &data[..];
        for f in layers::packet_fields(rec.linktype, data) {
            push_field(&mut d.lines, &f, 1, 0, data.len(), lang);
        }
    }
    match ev {
        Event::Tcp(t) => {
            d.lines
                .push(Line::new(0, LineKind::Heading, tr(lang, Msg::DTcpConn)));
            d.lines.push(Line::new(
                1,
                LineKind::Text,
                say(
                    lang,
                    Msg::DStatesAfter,
                    &[("c", &t.client_state), ("s", &t.server_state)],
                ),
            ));
            d.lines.push(Line::new(
                1,
                LineKind::Text,
                format!(
                    "seq={} ack={} (raw {} / {})",
                    t.rel_seq, t.rel_ack, t.seq, t.ack
                ),
            ));
            if let Some(w) = t.win_scaled {
                d.lines.push(Line::new(
                    1,
                    LineKind::Text,
                    say(lang, Msg::DWindow, &[("w", &w)]),
                ));
            }
            let o = t.opts;
            if o.mss.is_some() || o.wscale.is_some() || o.sack_permitted {
                d.lines.push(Line::new(
                    1,
                    LineKind::Text,
                    say(
                        lang,
                        Msg::DOptions,
                        &[
                            ("mss", &o.mss.map_or("-".into(), |v| v.to_string())),
                            ("ws", &o.wscale.map_or("-".into(), |v| v.to_string())),
                            ("sack", &o.sack_permitted),
                        ],
                    ),
                ));
            }
            for n in t.analysis.names() {
                d.lines.push(Line::new(
                    1,
                    LineKind::Bad,
                    say(
                        lang,
                        Msg::DAnalysis,
                        &[("name", &labels::analysis(lang, n))],
                    ),
                ));
            }
        }
        Event::Http(h) => {
            d.lines
                .push(Line::new(0, LineKind::Heading, tr(lang, Msg::DHttpHead)));
            // Where the head starts in the shown packet, found by its first line's bytes (a
            // head split over packets is listed without highlights).
            let data: &[u8] = packet.as_ref().map_or(&[], |(_, b)| &b[..]);
            let first = match &h.kind {
                HttpKind::Request { method, path } => format!("{method} {path} "),
                HttpKind::Response { status, .. } => format!("{} {status}", h.version),
            };
            let base = memchr::memmem::find(data, first.as_bytes());
            for f in layers::http_fields(h) {
                match base {
                    Some(b) => push_field(&mut d.lines, &f, 1, b, data.len(), lang),
                    None => push_field(&mut d.lines, &f, 1, 0, 0, lang),
                }
            }
            accept_for_conn(store, h.conn, &mut d.lines, lang);
        }
        Event::WsHandshake(h) => {
            d.lines
                .push(Line::new(0, LineKind::Heading, tr(lang, Msg::DWsHandshake)));
            for p in &h.problems {
                let p = crate::teach::decoder_words::sentence(lang, p);
                d.lines.push(Line::new(
                    1,
                    LineKind::Bad,
                    escape_for_terminal(&p).into_owned(),
                ));
            }
            if let Some(e) = &h.extensions {
                d.lines.push(Line::new(
                    1,
                    LineKind::Text,
                    say(lang, Msg::DExtensions, &[("e", &escape_for_terminal(e))]),
                ));
            }
            accept_lines(h.key.as_deref(), h.accept.as_deref(), &mut d.lines, lang);
        }
        Event::WsFrame(f) => {
            let data: &[u8] = packet.as_ref().map_or(&[], |(_, b)| &b[..]);
            frame_lines(f, data, bits_per_row, &mut d.lines, lang);
            // The message this frame completes, if it does.
            if let Some(m) = store.message_of(idx) {
                d.rows = message_lines(&m, full, &mut d.lines, lang, width).map(Arc::new);
            }
        }
        Event::WsMessage(m) => {
            d.rows = message_lines(m, full, &mut d.lines, lang, width).map(Arc::new);
        }
        Event::App(_) => {}
        Event::ConnClose(c) => {
            d.lines
                .push(Line::new(0, LineKind::Heading, tr(lang, Msg::DConnClosed)));
            d.lines.push(Line::new(
                1,
                LineKind::Text,
                say(
                    lang,
                    Msg::DHow,
                    &[
                        ("how", &labels::close_how(lang, c.how)),
                        ("c", &c.client_state),
                        ("s", &c.server_state),
                    ],
                ),
            ));
        }
        Event::ConnOpen(o) => {
            d.lines
                .push(Line::new(0, LineKind::Heading, tr(lang, Msg::DNewConn)));
            d.lines.push(Line::new(
                1,
                LineKind::Text,
                format!("{} {} → {}", o.proto.as_str(), o.client, o.server),
            ));
        }
        Event::Udp(_) => {}
        Event::Tls(t) => {
            let data: &[u8] = packet.as_ref().map_or(&[], |(_, b)| &b[..]);
            tls_lines(t, data, &mut d.lines, lang);
        }
        Event::TlsSession(t) => {
            let [head, what, keys] = crate::teach::tls_words::session_lines(lang, t);
            d.lines.push(Line::new(0, LineKind::Heading, head));
            d.lines.push(Line::new(1, LineKind::Text, what));
            let kind = if t.decrypted {
                LineKind::Good
            } else {
                LineKind::Bad
            };
            d.lines.push(Line::new(1, kind, keys));
        }
        Event::Note(n) => {
            d.lines.push(Line::new(
                0,
                LineKind::Heading,
                say(
                    lang,
                    Msg::DNote,
                    &[("level", &n.level.as_str()), ("code", &n.code)],
                ),
            ));
            let t = crate::teach::decoder_words::sentence(lang, &n.text);
            d.lines.push(Line::new(
                1,
                LineKind::Text,
                escape_for_terminal(&t).into_owned(),
            ));
        }
    }
    d
}

/// Add a field and its children; `base` is the byte where the field's buffer starts in the
/// packet, `limit` the packet length (spans beyond it are not highlighted).
fn push_field(out: &mut Vec<Line>, f: &Field, depth: u8, base: usize, limit: usize, lang: Lang) {
    let r = f.byte_range();
    let span = (r.end > r.start)
        .then(|| base.saturating_add(r.start)..base.saturating_add(r.end))
        .filter(|s| s.end <= limit);
    let label = labels::label(lang, f.label);
    let text = if f.label.is_empty() {
        escape_for_terminal(&f.value).into_owned()
    } else if f.value.is_empty() {
        label.into_owned()
    } else if f
        .value
        .strip_prefix(f.label)
        .is_some_and(|rest| rest.starts_with(": "))
    {
        // A header line's value already starts with its name ("Host: …"); say it once.
        escape_for_terminal(&f.value).into_owned()
    } else {
        // What the decoder says about the value, in the reader's language.
        let v = crate::teach::decoder_words::field_value(lang, f.name, &f.value);
        format!("{label}: {}", escape_for_terminal(&v))
    };
    out.push(Line {
        depth,
        kind: LineKind::Field,
        text,
        span,
        name: f.name,
        foldable: false,
    });
    for c in &f.children {
        push_field(out, c, depth.saturating_add(1), base, limit, lang);
    }
}

fn accept_for_conn(store: &Store, conn: crate::event::ConnId, out: &mut Vec<Line>, lang: Lang) {
    let Some(ci) = store.conn(conn) else { return };
    let hs = ci
        .events
        .iter()
        .filter(|&&i| {
            store
                .meta(i as usize)
                .is_some_and(|m| m.layer == Layer::Http)
        })
        .find_map(|&i| match store.event(i as usize) {
            Some(Event::WsHandshake(h)) => Some(h),
            _ => None,
        });
    if let Some(h) = hs {
        accept_lines(h.key.as_deref(), h.accept.as_deref(), out, lang);
    }
}

/// A step's name padded to a column, by display width (Chinese counts two per character).
fn step(name: &str) -> String {
    let w = crate::ladder::display_width(name);
    format!("{name}{}", " ".repeat(12usize.saturating_sub(w)))
}

/// The Accept computation step by step, ending in ✓ or ✗ against what the server sent.
fn accept_lines(key: Option<&str>, accept: Option<&str>, out: &mut Vec<Line>, lang: Lang) {
    out.push(Line::new(0, LineKind::Heading, tr(lang, Msg::DAcceptTitle)));
    let Some(key) = key else {
        out.push(Line::new(1, LineKind::Bad, tr(lang, Msg::DNoKey)));
        return;
    };
    let st = layers::accept_steps(key);
    let hex: String = st.sha1.iter().map(|b| format!("{b:02x}")).collect();
    out.push(Line::new(
        1,
        LineKind::Text,
        format!(
            "{}{}",
            step(tr(lang, Msg::DStepKey)),
            escape_for_terminal(&st.key)
        ),
    ));
    out.push(Line::new(
        1,
        LineKind::Text,
        format!("{}258EAFA5-E914-47DA-95CA-C5AB0DC85B11", step("2 + GUID")),
    ));
    // Less indented than the steps so the 60 characters fit a 64-column pane.
    out.push(Line::new(
        0,
        LineKind::Text,
        format!("  = {}", escape_for_terminal(&st.concatenated)),
    ));
    out.push(Line::new(
        1,
        LineKind::Text,
        format!("{}{hex}", step("3 SHA-1")),
    ));
    out.push(Line::new(
        1,
        LineKind::Text,
        format!("{}{}", step("4 base64"), st.base64),
    ));
    let server = step(tr(lang, Msg::DStepServer));
    match accept {
        Some(a) if a.trim() == st.base64 => out.push(Line::new(
            1,
            LineKind::Good,
            format!(
                "{server}{} {}",
                escape_for_terminal(a),
                tr(lang, Msg::DMatch)
            ),
        )),
        Some(a) => out.push(Line::new(
            1,
            LineKind::Bad,
            format!(
                "{server}{} {}",
                escape_for_terminal(a),
                tr(lang, Msg::DMismatch)
            ),
        )),
        None => out.push(Line::new(1, LineKind::Bad, tr(lang, Msg::DNoAccept))),
    }
}

fn frame_lines(f: &WsFrame, packet: &[u8], per_row: u64, out: &mut Vec<Line>, lang: Lang) {
    let h = &f.header;
    // The frame header's position in the shown packet, found by its bytes; without it the
    // fields are listed but not highlighted.
    let raw = h.raw();
    let base = if raw.is_empty() {
        None
    } else {
        memchr::memmem::find_iter(packet, raw).last()
    };
    out.push(Line::new(
        0,
        LineKind::Heading,
        say(
            lang,
            Msg::DFrame,
            &[
                ("op", &h.opcode.as_str()),
                ("len", &h.payload_len),
                (
                    "heur",
                    &if f.heuristic {
                        tr(lang, Msg::DHeuristic)
                    } else {
                        ""
                    },
                ),
            ],
        ),
    ));
    let fields = layers::frame_fields(h);
    for fl in &fields {
        match base {
            Some(b) => push_field(out, fl, 1, b, packet.len(), lang),
            None => push_field(out, fl, 1, 0, 0, lang),
        }
    }
    out.push(Line::new(0, LineKind::Heading, tr(lang, Msg::DLayout)));
    for l in bit_layout(&fields, u64::from(h.header_len) * 8, per_row) {
        out.push(Line::new(1, LineKind::Text, l));
    }
    match h.mask_key {
        Some(key) if !f.preview.is_empty() => {
            out.push(Line::new(0, LineKind::Heading, tr(lang, Msg::DUnmaskTitle)));
            let n = f.preview.len().min(UNMASK_ROWS);
            let mut plain = f.preview[..n].to_vec();
            layers::unmask(&mut plain, key, 0);
            for (i, (w, p)) in f.preview.iter().zip(&plain).enumerate().take(n) {
                let k = key[i % 4];
                let ch = bytes_for_terminal(&[*p]);
                out.push(Line::new(
                    1,
                    LineKind::Text,
                    format!("{i:>2}  {w:02x} ^ {k:02x} = {p:02x}  '{ch}'"),
                ));
            }
            if f.preview.len() > n || h.payload_len > n as u64 {
                out.push(Line::new(1, LineKind::Text, "    …"));
            }
        }
        Some(_) => {}
        None => out.push(Line::new(1, LineKind::Text, tr(lang, Msg::DNotMasked))),
    }
}

/// The message's fields and its payload views (the rows of its hex and text or base64 views
/// are returned, to be made when drawn). `full` is its whole payload, loaded or being loaded.
fn message_lines(
    m: &WsMessage,
    full: Option<&FullState>,
    out: &mut Vec<Line>,
    lang: Lang,
    width: usize,
) -> Option<PayloadRows> {
    out.push(Line::new(
        0,
        LineKind::Heading,
        say(
            lang,
            Msg::DMessage,
            &[("op", &m.opcode.as_str()), ("n", &m.frames)],
        ),
    ));
    if m.compressed {
        out.push(Line::new(
            1,
            LineKind::Text,
            say(
                lang,
                Msg::DDeflate,
                &[("wire", &m.wire_len), ("len", &m.len)],
            ),
        ));
    } else {
        out.push(Line::new(
            1,
            LineKind::Text,
            say(lang, Msg::DBytes, &[("n", &m.len)]),
        ));
    }
    if let Some(e) = &m.inflate_error {
        out.push(Line::new(
            1,
            LineKind::Bad,
            say(lang, Msg::DInflateErr, &[("e", &escape_for_terminal(e))]),
        ));
    }
    if m.opcode == Opcode::Close {
        out.push(Line::new(
            1,
            LineKind::Text,
            say(
                lang,
                Msg::DClose,
                &[
                    (
                        "code",
                        &m.close_code
                            .map_or(tr(lang, Msg::DNone).to_string(), |c| c.to_string()),
                    ),
                    (
                        "reason",
                        &escape_for_terminal(m.close_reason.as_deref().unwrap_or("")),
                    ),
                ],
            ),
        ));
    }
    if let Some(t) = &m.text {
        out.push(Line::new(
            1,
            LineKind::Text,
            say(
                lang,
                Msg::DText,
                &[
                    ("t", &escape_for_terminal(t)),
                    ("more", &if m.text_truncated { "…" } else { "" }),
                ],
            ),
        ));
    } else if !m.data.is_empty() {
        let hex: Vec<String> = m.data.iter().take(32).map(|b| format!("{b:02x}")).collect();
        out.push(Line::new(
            1,
            LineKind::Text,
            say(lang, Msg::DData, &[("hex", &hex.join(" "))]),
        ));
    }
    if m.utf8_error {
        out.push(Line::new(1, LineKind::Bad, tr(lang, Msg::DBadUtf8)));
    }
    let body = full_note(
        m.len,
        super::detail_app::payload_bytes(m).len(),
        full,
        out,
        lang,
    );
    super::detail_app::payload_lines(m, body, out, lang, width)
}

/// A line saying how much of a cut payload the views show (loading, loaded but over the cap,
/// not loadable), and the whole payload's body and tree when it is loaded.
fn full_note<'a>(
    len: u64,
    kept: usize,
    full: Option<&'a FullState>,
    out: &mut Vec<Line>,
    lang: Lang,
) -> Option<(Arc<PayloadBody>, Option<&'a PayloadTree>)> {
    let cap_mib = FULL_CAP >> 20;
    let (kind, text) = match full? {
        FullState::Loading(_) => (
            LineKind::Text,
            say(lang, Msg::DFullLoading, &[("len", &len)]),
        ),
        FullState::Unavailable => (
            LineKind::Text,
            say(lang, Msg::DFullLive, &[("n", &kept), ("len", &len)]),
        ),
        FullState::Failed(e) => (
            LineKind::Bad,
            say(lang, Msg::DFullFailed, &[("e", &escape_for_terminal(e))]),
        ),
        FullState::Ready(p) => match &**p {
            FullPayload::Msg { body, tree, .. } => {
                if (body.bytes.len() as u64) < len {
                    out.push(Line::new(
                        1,
                        LineKind::Text,
                        say(lang, Msg::DFullCap, &[("len", &len), ("cap", &cap_mib)]),
                    ));
                }
                return Some((body.clone(), tree.as_ref()));
            }
            FullPayload::App(_) => return None,
            FullPayload::Missing => (
                LineKind::Text,
                say(lang, Msg::DFullMissing, &[("n", &kept), ("len", &len)]),
            ),
        },
    };
    out.push(Line::new(1, kind, text));
    None
}

/// The header drawn as RFC 6455 draws it: bit numbers, then cells with each field's name and
/// this frame's value, `per_row` bits (16 or 32) to a row.
pub fn bit_layout(fields: &[Field], header_bits: u64, per_row: u64) -> Vec<String> {
    let per_row = per_row.max(8);
    let mut out = Vec::new();
    let tens: String = (0..per_row)
        .map(|i| {
            if i % 10 == 0 {
                format!(" {}", i / 10)
            } else {
                "  ".into()
            }
        })
        .collect();
    let units: String = (0..per_row).map(|i| format!(" {}", i % 10)).collect();
    out.push(tens.trim_end().to_string());
    out.push(units);
    let rows = header_bits.div_ceil(per_row);
    for r in 0..rows {
        let lo = r * per_row;
        let hi = (lo + per_row).min(header_bits);
        let mut border = String::from("+");
        let mut names = String::from("|");
        let mut values = String::from("|");
        for f in fields {
            let s = f.bits.start.max(lo);
            let e = f.bits.end.min(hi);
            if s >= e {
                continue;
            }
            let w = ((e - s) * 2 - 1) as usize;
            border.push_str(&"-".repeat(w));
            border.push('+');
            let cont = f.bits.start < lo;
            let name = if w <= 3 {
                short_name(f)
            } else if cont {
                format!("{} (cont.)", f.label)
            } else {
                f.label.to_string()
            };
            names.push_str(&center(&name, w));
            names.push('|');
            // Values like `1 (final frame of the message)` keep only their number when the
            // cell is too small for the explanation.
            let value = if cont {
                String::new()
            } else if f.value.chars().count() <= w {
                f.value.clone()
            } else {
                f.value.split(" (").next().unwrap_or("").to_string()
            };
            values.push_str(&center(&value, w));
            values.push('|');
        }
        out.push(border);
        out.push(names);
        out.push(values);
    }
    if let Some(last) = out.get(2).cloned().filter(|_| rows > 0) {
        // Close the bottom with the last row's cell boundaries.
        let bottom = out.iter().rev().nth(2).cloned().unwrap_or(last);
        out.push(bottom);
    }
    out
}

/// `FIN` → `F`, `RSV1` → `R`, `MASK` → `M`: what fits in a one-bit cell.
fn short_name(f: &Field) -> String {
    f.label.chars().next().map(String::from).unwrap_or_default()
}

fn center(s: &str, w: usize) -> String {
    let s = crate::ladder::fit(s, w);
    let n = s.chars().count();
    let pad = w.saturating_sub(n);
    let l = pad / 2;
    format!("{}{s}{}", " ".repeat(l), " ".repeat(pad - l))
}

/// A TLS message: the record header and handshake header as field trees, highlighted where
/// the record header is found in the shown packet.
fn tls_lines(t: &crate::event::TlsMsg, packet: &[u8], out: &mut Vec<Line>, lang: Lang) {
    out.push(Line::new(
        0,
        LineKind::Heading,
        crate::teach::tls_words::heading(lang, t),
    ));
    let raw = crate::tls::fields::record_bytes(&t.record);
    let base = memchr::memmem::find(packet, &raw);
    for f in crate::tls::fields::msg_fields(t) {
        match base {
            Some(b) => push_field(out, &f, 1, b, packet.len(), lang),
            None => push_field(out, &f, 1, 0, 0, lang),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{FrameHeader, Opcode};

    fn header(len_code: u8, payload_len: u64, masked: bool) -> FrameHeader {
        FrameHeader {
            fin: true,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode: Opcode::Text,
            masked,
            mask_key: masked.then_some([0x37, 0xfa, 0x21, 0x3d]),
            len_code,
            payload_len,
            header_len: 2
                + if masked { 4 } else { 0 }
                + match len_code {
                    126 => 2,
                    127 => 8,
                    _ => 0,
                },
            raw: [0; 14],
        }
    }

    #[test]
    fn layout_rows_line_up_with_bits() {
        let h = header(5, 5, true);
        let lines = bit_layout(&layers::frame_fields(&h), 48, 16);
        // two number lines, three lines per 16-bit row (3 rows), a closing border
        assert_eq!(lines.len(), 2 + 3 * 3 + 1);
        let width = lines[1].len() + 1;
        for l in &lines[2..] {
            assert_eq!(l.chars().count(), width, "{l:?}");
        }
        assert!(lines[3].starts_with("|F|R|R|R|"), "{}", lines[3]);
        assert!(lines[4].starts_with("|1|0|0|0|"), "{}", lines[4]);
        assert!(lines.iter().any(|l| l.contains("0x37fa213d")));
    }

    #[test]
    fn extended_length_spans_rows_at_32_bits() {
        let h = header(127, 70_000, false);
        let lines = bit_layout(&layers::frame_fields(&h), 80, 32);
        assert!(lines.iter().any(|l| l.contains("70000")));
        assert!(lines.iter().any(|l| l.contains("(cont.)")));
    }

    #[test]
    fn accept_steps_check_rfc_example() {
        let mut out = Vec::new();
        accept_lines(
            Some("dGhlIHNhbXBsZSBub25jZQ=="),
            Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
            &mut out,
            Lang::En,
        );
        assert!(
            out.iter()
                .any(|l| l.kind == LineKind::Good && l.text.contains('✓'))
        );
        assert!(
            out.iter()
                .any(|l| l.text.contains("b37a4f2cc0624f1690f64606cf385945b2bec4ea"))
        );
        let mut bad = Vec::new();
        accept_lines(
            Some("dGhlIHNhbXBsZSBub25jZQ=="),
            Some("wrong="),
            &mut bad,
            Lang::En,
        );
        assert!(
            bad.iter()
                .any(|l| l.kind == LineKind::Bad && l.text.contains('✗'))
        );
    }
}
