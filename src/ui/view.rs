//! Drawing: a pure function of the model. Only visible rows are formatted.

use super::detail::LineKind;
use super::model::{Focus, Model};
use super::theme::Theme;
use crate::event::Dir;
use crate::ladder::{self, LadderRow};
use crate::teach::catalog::{say, text};
use crate::teach::{Lang, Msg};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn view(m: &Model, f: &mut Frame) {
    let th = Theme::get(m.theme);
    let area = f.area();
    f.render_widget(Block::new().style(th.base), area);
    let a = super::layout::areas(area, m);
    header(m, &th, f, a.header);
    // The presenter layout leaves some panes out (empty areas).
    if !a.conns.is_empty() {
        conns(m, &th, f, a.conns);
    }
    ladder_pane(m, &th, f, a.ladder);
    if !a.detail.is_empty() {
        detail_pane(m, &th, f, a.detail);
    }
    if !a.bytes.is_empty() {
        bytes_pane(m, &th, f, a.bytes);
    }
    narration(m, &th, f, a.narration);
    footer(m, &th, f, a.footer);
    if m.show_compare {
        compare(m, &th, f, area);
    }
    if m.show_help {
        help(m.lang(), &th, f, area);
    }
}

fn pane<'a>(title: String, focused: bool, th: &Theme, left: bool) -> Block<'a> {
    let borders = if left {
        Borders::TOP | Borders::LEFT
    } else {
        Borders::TOP
    };
    // The focused pane is marked without colour too (projectors wash colours out): a ▸ in
    // place of the title's leading space, and the title in bold.
    let (title, style) = match title.strip_prefix(' ') {
        Some(rest) if focused => (format!("▸{rest}"), th.title.add_modifier(Modifier::BOLD)),
        _ => (title, th.title),
    };
    Block::new()
        .borders(borders)
        .border_style(if focused { th.focus_border } else { th.border })
        .title(Span::styled(title, style))
}

fn header(m: &Model, th: &Theme, f: &mut Frame, r: Rect) {
    let mut spans = vec![
        Span::styled(" wslens ", th.title.add_modifier(Modifier::REVERSED)),
        Span::raw(" "),
        Span::styled(
            crate::text::escape_for_terminal(&m.source).into_owned(),
            th.title,
        ),
    ];
    // The end of a file decoded ahead: what the screen shows is not yet the whole file, which
    // a narrow screen must not cut.
    if let Some(note) = &m.ahead_note {
        spans.push(Span::styled(format!("  {note}"), th.key));
    }
    // Playback status first: on a narrow screen the counts are what gets cut.
    if m.playback {
        let pos = m.horizon().map_or(0, |c| c + 1);
        let state = if m.playing { "▶" } else { "⏸" };
        spans.push(Span::styled(
            format!(
                "  {state} {}× {}",
                fmt_speed(m.speed()),
                say(
                    m.lang(),
                    Msg::UiHeadEvent,
                    &[("pos", &pos), ("n", &m.store.len())]
                )
            ),
            th.key,
        ));
    }
    spans.push(Span::styled(
        format!(
            "  {}",
            say(
                m.lang(),
                Msg::UiHeadCounts,
                &[
                    ("p", &m.store.packets.len()),
                    ("e", &m.store.len()),
                    ("c", &m.store.conns.len())
                ]
            )
        ),
        th.dim,
    ));
    if m.dropped > 0 {
        spans.push(Span::styled(
            format!(
                "  {}",
                say(m.lang(), Msg::UiHeadDropped, &[("n", &m.dropped)])
            ),
            th.bad,
        ));
    }
    match &m.live {
        // A live source: whether the view follows, then what it is doing (a long file name
        // is what a narrow screen cuts) or that it has ended.
        Some(live) => {
            let follow = if m.follow {
                Msg::UiFollowing
            } else {
                Msg::UiFollowPaused
            };
            if !m.done || !m.follow {
                let t = text(m.lang(), follow);
                spans.push(Span::styled(format!("  {t}"), th.dim));
            }
            if m.done {
                spans.push(Span::styled(format!("  {}", live.ended), th.key));
            } else {
                spans.push(Span::styled(format!("  ● {}", live.running), th.key));
            }
        }
        None if !m.done && m.ahead_note.is_none() => {
            spans.push(Span::styled(
                format!("  {}", text(m.lang(), Msg::UiLoading)),
                th.dim,
            ));
        }
        None => {}
    }
    if let Some(e) = &m.error {
        spans.push(Span::styled(format!("  error: {e}"), th.bad));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), r);
}

fn fmt_speed(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.0}")
    } else {
        format!("{s}")
    }
}

fn conns(m: &Model, th: &Theme, f: &mut Frame, r: Rect) {
    let n = m.visible_conns();
    let l = m.lang();
    let only = if m.conn_only {
        text(l, Msg::UiOnlySelected)
    } else {
        ""
    };
    let title = format!(" {}{only} ", say(l, Msg::UiConns, &[("n", &n)]));
    let block = pane(title, m.focus == Focus::Conns, th, false);
    let inner = block.inner(r);
    f.render_widget(block, r);
    let wide = inner.width >= 116;
    // The id column widens with the ids (a flood has millions), so the columns stay aligned.
    let idw = m
        .store
        .conns
        .max_id()
        .to_string()
        .len()
        .max(if wide { 3 } else { 2 });
    let mut lines = vec![Line::styled(conn_line_head(wide, l, idw), th.dim)];
    let rows = inner.height.saturating_sub(1) as usize;
    let shown = n.saturating_sub(m.conns_offset).min(rows);
    for (i, ci) in (m.conns_offset..).zip(m.store.conns.iter_from(m.conns_offset).take(shown)) {
        let (client, server) = (m.store.conns.client(&ci), m.store.conns.server(&ci));
        // During playback the counts and states are those as of the cursor.
        let (states, counts) = match (m.playback, m.horizon()) {
            (true, Some(c)) => match ci.upto(c) {
                Some(p) => (
                    ci.states_at(p).unwrap_or_default(),
                    ci.running_at(p).unwrap_or_default(),
                ),
                None => Default::default(),
            },
            _ => (
                (ci.client_state, ci.server_state),
                (ci.messages, ci.bytes, ci.packets),
            ),
        };
        // In quiz mode the states being asked about are not given away here either.
        let asked = m
            .cursor
            .and_then(|c| m.quiz_at(c))
            .is_some_and(|q| q.hide_states)
            && m.conn == Some(ci.id);
        // Only what has happened by the cursor: no "ws" before the handshake was reached.
        let by = if m.playback { m.horizon() } else { None };
        let upgraded = ci.upgraded_by(by);
        // Over TLS: `tls` in the protocol column, and `wss` rather than `ws` once upgraded.
        let tls = ci.tls_by(by);
        let label = ci.label_by(by);
        let ip = |a: std::net::SocketAddr| a.ip().to_string();
        // UDP is connectionless: it has no TCP states to show.
        let udp = ci.proto == crate::event::Proto::Udp;
        let (cst, sst) = if udp {
            ("—", "—")
        } else if asked {
            ("?", "?")
        } else {
            (states.0.as_str(), states.1.as_str())
        };
        let (cshort, sshort) = if udp {
            ("—", "—")
        } else if asked {
            ("?", "?")
        } else {
            (short_state(states.0), short_state(states.1))
        };
        let mut s = if wide {
            format!(
                "{:>idw$} {:<4} {:<22} {:>6}  {:<22} {:>6}  {:<12} {:<12} {:>7} {:>9}",
                ci.id,
                if tls { "tls" } else { ci.proto.as_str() },
                ip(client),
                client.port(),
                ip(server),
                server.port(),
                cst,
                sst,
                counts.0,
                counts.1
            )
        } else {
            format!(
                "{:>idw$} {:<3} {:<20} {:<20} {:<9} {:<9} {:>4} {:>5}",
                ci.id,
                label,
                ladder::fit(&client.to_string(), 20),
                ladder::fit(&server.to_string(), 20),
                cshort,
                sshort,
                counts.0,
                human(counts.1)
            )
        };
        if upgraded && wide {
            s.push(' ');
            s.push_str(label);
        }
        let style = if Some(ci.id) == m.conn {
            th.selected
        } else {
            th.base
        };
        let _ = i;
        lines.push(Line::styled(s, style));
    }
    if n == 0 {
        lines.push(Line::styled(text(l, Msg::UiNoConn), th.dim));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// `s` padded with spaces to `w` terminal columns (Chinese takes two per character), on the
/// right (`left` aligned) or on the left.
fn padw(s: &str, w: usize, left: bool) -> String {
    let pad = " ".repeat(w.saturating_sub(ladder::display_width(s)));
    if left {
        format!("{s}{pad}")
    } else {
        format!("{pad}{s}")
    }
}

fn conn_line_head(wide: bool, lang: Lang, idw: usize) -> String {
    let t = |id| text(lang, id);
    if wide {
        format!(
            "{} {} {} {}  {} {}  {} {} {} {}",
            padw("#", idw, false),
            padw(t(Msg::UiColProto), 4, true),
            padw(t(Msg::UiColLocalIp), 22, true),
            padw(t(Msg::UiColPort), 6, false),
            padw(t(Msg::UiColRemoteIp), 22, true),
            padw(t(Msg::UiColPort), 6, false),
            padw(t(Msg::WClient), 12, true),
            padw(t(Msg::WServer), 12, true),
            padw(t(Msg::UiColMsgs), 7, false),
            padw(t(Msg::UiColBytes), 9, false),
        )
    } else {
        format!(
            "{} {:<3} {} {} {} {} {} {}",
            padw("#", idw, false),
            "",
            padw(t(Msg::UiColLocal), 20, true),
            padw(t(Msg::UiColRemote), 20, true),
            padw(t(Msg::WClient), 9, true),
            padw(t(Msg::WServer), 9, true),
            padw(t(Msg::UiColMsgs), 4, false),
            padw(t(Msg::UiColBytes), 5, false),
        )
    }
}

/// State names cut to 9 columns for narrow screens.
fn short_state(s: crate::event::TcpState) -> &'static str {
    use crate::event::TcpState::*;
    match s {
        SynReceived => "SYN_RCVD",
        Established => "ESTAB",
        FinWait1 => "FIN_WAIT1",
        FinWait2 => "FIN_WAIT2",
        CloseWait => "CLOSE_WT",
        other => other.as_str(),
    }
}

/// Columns of the Δt column: `+999.9ms` and a space.
const DT_W: usize = 9;

/// A time difference in nanoseconds, compact: `+15µs`, `+4.1ms`, `+1.25s`.
fn fmt_dt(ns: i64) -> String {
    let sign = if ns < 0 { "-" } else { "+" };
    let n = ns.unsigned_abs() as f64;
    match ns.unsigned_abs() {
        0..1_000_000 => format!("{sign}{:.0}µs ", n / 1e3),
        1_000_000..1_000_000_000 => format!("{sign}{:.1}ms ", n / 1e6),
        _ => format!("{sign}{:.2}s ", n / 1e9),
    }
}

fn human(n: u64) -> String {
    match n {
        0..100_000 => n.to_string(),
        100_000..10_000_000 => format!("{}k", n / 1000),
        _ => format!("{}M", n / 1_000_000),
    }
}

fn ladder_pane(m: &Model, th: &Theme, f: &mut Frame, r: Rect) {
    let mut title = match m.conn {
        Some(c) => format!(" {} ", say(m.lang(), Msg::UiLadderConn, &[("c", &c)])),
        None => format!(" {} ", text(m.lang(), Msg::UiLadder)),
    };
    let mut filt = Vec::new();
    if m.layer != super::model::LayerFilter::All {
        filt.push(say(
            m.lang(),
            Msg::UiFiltLayer,
            &[("l", &m.layer.name(m.lang()))],
        ));
    }
    if m.hide_acks {
        filt.push(text(m.lang(), Msg::UiFiltNoAcks).into());
    }
    if !m.search.is_empty() {
        filt.push(format!("/{}", crate::text::escape_for_terminal(&m.search)));
        if let Some(e) = &m.search_error {
            filt.push(crate::text::escape_for_terminal(e).into_owned());
        }
    }
    if m.raw_seq {
        filt.push(text(m.lang(), Msg::UiFiltRaw).into());
    }
    if m.per_layer {
        filt.push(text(m.lang(), Msg::UiFiltPerLayer).into());
    }
    if !filt.is_empty() {
        title.push_str(&format!("[{}] ", filt.join(", ")));
    }
    let block = pane(title, m.focus == Focus::Ladder, th, false);
    let inner = block.inner(r);
    f.render_widget(block, r);
    if inner.height == 0 {
        return;
    }
    // The optional Δt column (time since the row above) takes its room from the arrows.
    let dt_w = if m.show_dt { DT_W } else { 0 };
    let middle_w = (inner.width as usize).saturating_sub(2 * ladder::STATE_W + 2 + dt_w);
    let (cl, sv) = m
        .conn
        .and_then(|c| m.store.conn(c))
        .map(|ci| {
            let t = &m.store.conns;
            (t.client(&ci).to_string(), t.server(&ci).to_string())
        })
        .unwrap_or_default();
    let ends = ladder::fit(&format!("{cl}  ⇄  {sv}"), middle_w);
    let pad = middle_w.saturating_sub(ladder::display_width(&ends));
    let head = Line::from(vec![
        Span::styled(
            format!("{:>w$}", if m.show_dt { "Δt" } else { "" }, w = dt_w),
            th.dim,
        ),
        Span::styled(
            padw(text(m.lang(), Msg::WClient), ladder::STATE_W, false),
            th.c2s,
        ),
        Span::styled("|", th.dim),
        Span::styled(ends, th.dim),
        Span::styled(
            format!("{}|{}", " ".repeat(pad), text(m.lang(), Msg::WServer)),
            th.s2c,
        ),
    ]);
    let mut lines = vec![head];
    let rows = m.visible_rows();
    let h = inner.height.saturating_sub(1) as usize;
    let ts = |i: u32| {
        m.store
            .event(i as usize)
            .and_then(|e| super::model::ts_of(&e))
    };
    // The time of the row above the first one drawn, for its Δt.
    let mut prev_ts = m
        .ladder_offset
        .checked_sub(1)
        .and_then(|p| rows.get(p))
        .and_then(|&i| ts(i));
    for &idx in rows.iter().skip(m.ladder_offset).take(h) {
        let idx = idx as usize;
        // Each row's event is read back once, for its time, arrow and label.
        let (Some(meta), Some(ev)) = (m.store.meta(idx), m.store.event(idx)) else {
            continue;
        };
        let t = super::model::ts_of(&ev);
        let dt = match (m.show_dt, prev_ts, t) {
            (false, ..) => String::new(),
            (true, Some(a), Some(b)) => format!("{:>w$}", fmt_dt(b - a), w = dt_w),
            (true, ..) => " ".repeat(dt_w),
        };
        if t.is_some() {
            prev_ts = t;
        }
        let quiz = m.quiz_at(idx);
        let label = m.label_of(idx, &ev).unwrap_or_default();
        let row = LadderRow {
            event: idx,
            dir: ladder::arrow_dir(&ev),
            label: match &quiz {
                Some(q) => crate::teach::quiz::hide(&label, q),
                None => label,
            },
            client_state: meta.client_state,
            server_state: meta.server_state,
        };
        let mut p = ladder::row_parts(&row, middle_w);
        if quiz.as_ref().is_some_and(|q| q.hide_states) {
            // The states the student is asked for.
            if row.client_state.is_some() {
                p.left = format!("{:>w$}", "?", w = p.left.chars().count());
            }
            if row.server_state.is_some() {
                p.right = format!("{:<w$}", "?", w = p.right.chars().count());
            }
        }
        let sel = m.cursor == Some(idx);
        let arrow_style = match row.dir {
            Some(Dir::C2S) => th.c2s,
            Some(Dir::S2C) => th.s2c,
            None => th.remark,
        };
        let arrow_style = if sel {
            th.selected
                .patch(arrow_style)
                .add_modifier(Modifier::REVERSED)
        } else {
            arrow_style
        };
        lines.push(Line::from(vec![
            Span::styled(dt, th.dim),
            Span::styled(p.left, th.state),
            Span::styled("|", th.dim),
            Span::styled(p.middle, arrow_style),
            Span::styled("|", th.dim),
            Span::styled(p.right, th.state),
        ]));
    }
    if rows.is_empty() {
        let msg = if m.store.is_empty() {
            text(m.lang(), Msg::UiWaiting)
        } else if m.playback {
            text(m.lang(), Msg::UiPressN)
        } else {
            text(m.lang(), Msg::UiNothing)
        };
        lines.push(Line::styled(msg, th.dim));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn detail_pane(m: &Model, th: &Theme, f: &mut Frame, r: Rect) {
    let title = match m.detail.pkt {
        // The end of a file decoded ahead numbers its events from its own first: only the
        // packet number is the file's.
        Some(p) if m.ahead_view => format!(" {} ", say(m.lang(), Msg::UiDetailAtPkt, &[("p", &p)])),
        Some(p) => {
            let e = m.detail.event + 1;
            let args: [(&str, &dyn std::fmt::Display); 2] = [("e", &e), ("p", &p)];
            format!(" {} ", say(m.lang(), Msg::UiDetailAt, &args))
        }
        None => format!(" {} ", text(m.lang(), Msg::UiDetail)),
    };
    // A payload's views can run to millions of rows: say where in them the pane is.
    let h = r.height.saturating_sub(1) as usize;
    let title = if m.detail.has_payload_rows() && m.detail.len() > h {
        format!("{title}[{}/{}] ", m.detail_offset + 1, m.detail.len())
    } else {
        title
    };
    let block = pane(title, m.focus == Focus::Detail, th, false);
    let inner = block.inner(r);
    f.render_widget(block, r);
    if m.cursor.and_then(|c| m.quiz_at(c)).is_some() {
        // The fields would give the answers away.
        let t = text(m.lang(), Msg::QuizHidden);
        let p = Paragraph::new(Line::styled(t, th.dim)).wrap(ratatui::widgets::Wrap { trim: true });
        f.render_widget(p, inner);
        return;
    }
    // Only the rows on screen are made (a whole payload's views can have millions).
    let lines: Vec<Line> = (m.detail_offset..m.detail.len())
        .take(inner.height as usize)
        .filter_map(|i| m.detail.line(i).map(|l| (i, l)))
        .map(|(i, l)| {
            let style = match l.kind {
                LineKind::Heading => th.title,
                LineKind::Good => th.good,
                LineKind::Bad => th.bad,
                LineKind::Field => th.base,
                LineKind::Text => th.dim,
            };
            let style = if m.detail_sel == Some(i) && (l.span.is_some() || l.foldable) {
                th.highlight
            } else {
                style
            };
            Line::styled(
                format!("{}{}", "  ".repeat(l.depth as usize), l.text),
                style,
            )
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

fn bytes_pane(m: &Model, th: &Theme, f: &mut Frame, r: Rect) {
    let block = pane(
        format!(" {} ", text(m.lang(), Msg::UiBytes)),
        false,
        th,
        true,
    );
    let inner = block.inner(r);
    f.render_widget(block, r);
    let Some((_, data)) = m.detail.pkt.and_then(|p| m.store.packet(p)) else {
        return;
    };
    let hl = m
        .detail_sel
        .and_then(|s| m.detail.lines.get(s))
        .and_then(|l| l.span.clone())
        .unwrap_or(0..0);
    let w = inner.width as usize;
    let per = [16usize, 8, 4]
        .into_iter()
        .find(|&n| 5 + n * 3 + 1 + n <= w)
        .unwrap_or(4);
    let rows = data.len().div_ceil(per);
    let h = inner.height as usize;
    // Scroll so the highlighted bytes are in view.
    let first = if hl.end > 0 && h > 0 {
        let want = hl.start / per;
        if want + 1 > h {
            (want + 1 - h).min(rows.saturating_sub(h))
        } else {
            0
        }
    } else {
        0
    };
    let mut lines = Vec::new();
    for row in first..rows.min(first + h) {
        let start = row * per;
        let chunk = data
            .get(start..(start + per).min(data.len()))
            .unwrap_or(&[]);
        let mut spans = vec![Span::styled(format!("{start:04x} "), th.dim)];
        for (i, b) in chunk.iter().enumerate() {
            let on = hl.contains(&(start + i));
            spans.push(Span::styled(
                format!("{b:02x}"),
                if on { th.highlight } else { th.base },
            ));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::raw("   ".repeat(per - chunk.len())));
        spans.push(Span::raw(" "));
        for (i, b) in chunk.iter().enumerate() {
            let on = hl.contains(&(start + i));
            // Only printable ASCII reaches the terminal; everything else is a dot.
            let c = if b.is_ascii_graphic() || *b == b' ' {
                *b as char
            } else {
                '.'
            };
            spans.push(Span::styled(
                c.to_string(),
                if on { th.highlight } else { th.dim },
            ));
        }
        lines.push(Line::from(spans));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn narration(m: &Model, th: &Theme, f: &mut Frame, r: Rect) {
    let side = r.x > 0;
    let lines = m.narration_lines();
    let h = r.height.saturating_sub(1) as usize;
    let off = m.narration_offset.min(lines.len().saturating_sub(h));
    let mut title = format!(" {} ", text(m.lang(), Msg::UiWhatHappened));
    if lines.len() > h && h > 0 {
        // Say there is more, and how to read it.
        let last = (off + h).min(lines.len());
        let more = if last < lines.len() { " ↓" } else { "" };
        title.push_str(&format!(
            "[{}-{}/{}{more} Tab] ",
            off + 1,
            last,
            lines.len()
        ));
    }
    let block = pane(title, m.focus == Focus::Narration, th, side);
    // Lines are already wrapped by display width (CJK counts two), so nothing is re-wrapped.
    let text: Vec<Line> = lines
        .into_iter()
        .skip(off)
        .take(h)
        .map(|l| Line::styled(l, th.base))
        .collect();
    f.render_widget(Paragraph::new(text).style(th.base).block(block), r);
}

/// The polling-versus-WebSocket table over the whole loaded capture, drawn over the panes.
fn compare(m: &Model, th: &Theme, f: &mut Frame, area: Rect) {
    // As wide as the widest line up to 96 columns (longer sentences wrap), so the tables keep
    // their rows (polling vs WebSocket, then UDP vs TCP) and the overlay does not look empty.
    let table_w = m
        .compare_text
        .lines()
        .map(super::wrap::width)
        .max()
        .unwrap_or(0) as u16;
    let w = (table_w + 4).clamp(40, 96).min(area.width);
    let inner_w = w.saturating_sub(2) as usize;
    let mut lines: Vec<String> = Vec::new();
    for l in m.compare_text.lines() {
        if super::wrap::width(l) < inner_w {
            // Table rows keep their alignment spaces; only long sentences are wrapped.
            lines.push(l.to_string());
        } else {
            lines.extend(super::wrap::wrap(l, inner_w.saturating_sub(1)));
        }
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let h = (lines.len() as u16 + 2).min(area.height);
    let r = centered_overlay(f, area, w, h);
    let title = match m.lang() {
        crate::teach::Lang::Zh => " 轮询与 WebSocket 对比（整个抓包；按任意键关闭） ",
        crate::teach::Lang::En => " Polling vs WebSocket (whole capture; any key closes) ",
    };
    let text: Vec<Line> = lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            // The first line names the file, the second the columns.
            let style = if i < 2 { th.title } else { th.base };
            Line::styled(format!(" {l}"), style)
        })
        .collect();
    f.render_widget(
        Paragraph::new(text).style(th.base).block(
            Block::bordered()
                .border_style(th.focus_border)
                .title(Span::styled(title, th.title)),
        ),
        r,
    );
}

/// The help table: keys (the same in every language) and what they do.
const KEYS: [(&str, Msg); 25] = [
    ("space", Msg::KPlay),
    ("1 - 5", Msg::KChapters),
    ("+ / -", Msg::KSpeed),
    ("n → / p ←", Msg::KStep),
    ("↑ ↓ j k", Msg::KMove),
    ("PgUp PgDn", Msg::KPage),
    ("Home g", Msg::KHome),
    ("End G", Msg::KEnd),
    ("Esc", Msg::KEsc),
    ("Tab", Msg::KTab),
    ("Enter", Msg::KEnter),
    ("c", Msg::KCompare),
    ("o", Msg::KOneConn),
    ("l", Msg::KLayer),
    ("a", Msg::KAcks),
    ("/", Msg::KSearch),
    ("r", Msg::KRaw),
    ("t", Msg::KTheme),
    ("P", Msg::KPresenter),
    ("d", Msg::KDeltaT),
    ("x", Msg::KLayers),
    ("Q", Msg::KQuiz),
    ("mouse", Msg::KMouse),
    ("?", Msg::KHelp),
    ("q", Msg::KQuit),
];

/// The key table in a language, shared with the docs and the help overlay.
pub fn key_table(lang: Lang) -> impl Iterator<Item = (&'static str, &'static str)> {
    KEYS.into_iter().map(move |(k, id)| (k, text(lang, id)))
}

fn footer(m: &Model, th: &Theme, f: &mut Frame, r: Rect) {
    if let Some(input) = &m.msg_input {
        let line = Line::from(vec![
            Span::styled(format!(" {} ", text(m.lang(), Msg::UiMsgPrompt)), th.key),
            Span::raw(crate::text::escape_for_terminal(input).into_owned()),
            Span::styled("█", th.key),
            Span::styled(format!("   {}", text(m.lang(), Msg::UiMsgHint)), th.dim),
        ]);
        f.render_widget(Paragraph::new(line), r);
        return;
    }
    if let Some(input) = &m.search_input {
        let line = Line::from(vec![
            Span::styled(" /", th.key),
            Span::raw(crate::text::escape_for_terminal(input).into_owned()),
            Span::styled("█", th.key),
            Span::styled(format!("   {}", text(m.lang(), Msg::UiSearchHint)), th.dim),
        ]);
        f.render_widget(Paragraph::new(line), r);
        return;
    }
    let l = m.lang();
    if m.unknown_key {
        let line = Line::from(vec![
            Span::styled(" ?", th.key),
            Span::styled(format!(" {}", text(l, Msg::UiUnknownKey)), th.dim),
        ]);
        f.render_widget(Paragraph::new(line), r);
        return;
    }
    // Most useful first: a narrow terminal cuts the end.
    let stepped: &[(&str, &str)] = &[
        ("n", text(l, Msg::FDemoNext)),
        ("m", text(l, Msg::FDemoMsg)),
    ];
    let keys: &[(&str, &str)] = &[
        ("q", text(l, Msg::FQuit)),
        ("?", text(l, Msg::FHelp)),
        (
            "space",
            text(l, if m.playing { Msg::FPause } else { Msg::FPlay }),
        ),
        ("n/p", text(l, Msg::FStep)),
        ("c", text(l, Msg::FCompare)),
        ("Tab", text(l, Msg::FPane)),
        ("l", text(l, Msg::FLayer)),
        ("/", text(l, Msg::FSearch)),
        ("a", text(l, Msg::FAcks)),
        ("o", text(l, Msg::FOneConn)),
        ("r", text(l, Msg::FRawSeq)),
        ("t", text(l, Msg::FTheme)),
        ("+/-", text(l, Msg::FSpeed)),
    ];
    let mut spans = Vec::new();
    let mut used = 0;
    let shown = if m.stepped_demo { stepped } else { &[][..] };
    for (k, d) in shown.iter().chain(keys) {
        let (k, d) = (format!(" {k}"), format!(" {d} "));
        // Whole entries only: half a key hint is worse than none.
        let w = ladder::display_width(&k) + ladder::display_width(&d);
        if used + w > r.width as usize + 1 {
            break;
        }
        used += w;
        spans.push(Span::styled(k, th.key));
        spans.push(Span::styled(d, th.dim));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), r);
}

/// A `w`×`h` rectangle centred in `area`, cleared for an overlay.
fn centered_overlay(f: &mut Frame, area: Rect, w: u16, h: u16) -> Rect {
    let [_, mid, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(h),
        Constraint::Fill(1),
    ])
    .areas(area);
    let [_, r, _] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(w),
        Constraint::Fill(1),
    ])
    .areas(mid);
    clear_overlay(f, r);
    r
}

/// Blank an overlay's area and the column left of it: a wide (CJK) character there would
/// otherwise spill into the overlay's border, and the terminal would lose the border cell.
fn clear_overlay(f: &mut Frame, r: Rect) {
    let x = r.x.saturating_sub(1);
    let wider = Rect::new(x, r.y, r.width + (r.x - x), r.height).intersection(f.area());
    f.render_widget(Clear, wider);
}

fn help(lang: Lang, th: &Theme, f: &mut Frame, area: Rect) {
    let w = area.width.min(66);
    // On a short screen (80x24) the rows a reader needs least give way: the help itself, the
    // mouse, and Enter on the connection list (Tab gets there too).
    let short = KEYS.len() as u16 + 2 > area.height;
    let shown: Vec<(&str, &str)> = KEYS
        .into_iter()
        .filter(|(_, id)| !(short && matches!(id, Msg::KHelp | Msg::KMouse | Msg::KEnter)))
        .map(|(k, id)| (k, text(lang, id)))
        .collect();
    let h = (shown.len() as u16 + 2).min(area.height);
    let r = centered_overlay(f, area, w, h);
    let lines: Vec<Line> = shown
        .into_iter()
        .map(|(k, d)| {
            Line::from(vec![
                Span::styled(format!(" {k:<11}"), th.key),
                Span::styled(d, th.base),
            ])
        })
        .collect();
    f.render_widget(
        Paragraph::new(lines).style(th.base).block(
            Block::bordered()
                .border_style(th.focus_border)
                .title(Span::styled(
                    format!(" {} ", text(lang, Msg::UiKeysTitle)),
                    th.title,
                )),
        ),
        r,
    );
    let _ = Style::new();
}
