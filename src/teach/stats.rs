//! Polling versus WebSocket, in numbers: for the connections that only spoke HTTP (polling) and
//! those that upgraded to WebSocket, how many connections, handshakes, requests, header and
//! payload bytes and how much time each delivered message cost. A pure computation over events,
//! so the command line and the UI show the same figures.

use super::catalog::{self, Lang, Msg};
use crate::event::*;
use rustc_hash::FxHashMap as HashMap;

/// The figures for one side of the comparison.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PartStats {
    /// TCP connections of this kind.
    pub connections: u32,
    /// Completed three-way handshakes (final ACK seen).
    pub handshakes: u32,
    pub requests: u32,
    /// Polling: HTTP responses other than 101. WebSocket: text and binary messages.
    pub messages: u32,
    /// TCP segments on these connections, handshake and teardown included.
    pub segments: u64,
    /// Polling: every HTTP head byte. WebSocket: frame header bytes of data frames.
    pub header_bytes: u64,
    /// Polling: HTTP body bytes. WebSocket: payload bytes of data frames as on the wire.
    pub payload_bytes: u64,
    /// WebSocket only: the HTTP heads of the upgrade, paid once per connection.
    pub setup_bytes: u64,
    /// Sum over messages of the time each took, from the first packet it needed (for a poll
    /// on a fresh connection: the SYN) to the packet that completed it.
    pub message_time_ns: i64,
    pub first_ts: Option<Ts>,
    pub last_ts: Option<Ts>,
}

impl PartStats {
    fn per_msg(&self, v: u64) -> Option<f64> {
        (self.messages > 0).then(|| v as f64 / f64::from(self.messages))
    }
    pub fn header_per_message(&self) -> Option<f64> {
        self.per_msg(self.header_bytes)
    }
    pub fn payload_per_message(&self) -> Option<f64> {
        self.per_msg(self.payload_bytes)
    }
    pub fn ms_per_message(&self) -> Option<f64> {
        (self.messages > 0).then(|| self.message_time_ns as f64 / 1e6 / f64::from(self.messages))
    }
    pub fn duration_ms(&self) -> Option<f64> {
        Some(self.last_ts?.0.saturating_sub(self.first_ts?.0) as f64 / 1e6)
    }
    pub fn is_empty(&self) -> bool {
        self.connections == 0
    }

    fn add(&mut self, c: &ConnAcc) {
        self.connections += 1;
        self.handshakes += c.handshakes;
        self.requests += c.requests;
        self.segments += c.segments;
        self.first_ts = match (self.first_ts, c.first_ts) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last_ts = match (self.last_ts, c.last_ts) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if c.upgraded {
            self.messages += c.ws_messages;
            self.header_bytes += c.ws_header;
            self.payload_bytes += c.ws_payload;
            self.setup_bytes += c.http_heads;
            self.message_time_ns = self.message_time_ns.saturating_add(c.ws_time_ns);
        } else {
            self.messages += c.responses;
            self.header_bytes += c.http_heads;
            self.payload_bytes += c.http_bodies;
            self.message_time_ns = self.message_time_ns.saturating_add(c.http_time_ns);
        }
    }
}

/// Both sides of the comparison.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comparison {
    pub polling: PartStats,
    pub websocket: PartStats,
}

impl Comparison {
    fn settle(&mut self, c: &ConnAcc) {
        if c.upgraded {
            self.websocket.add(c);
        } else if c.saw_http {
            self.polling.add(c);
        }
    }
}

#[derive(Default)]
struct ConnAcc {
    upgraded: bool,
    saw_http: bool,
    handshakes: u32,
    requests: u32,
    responses: u32,
    segments: u64,
    http_heads: u64,
    http_bodies: u64,
    /// When the wait for the next HTTP answer began: the connection's first packet, then
    /// each request.
    http_start: Option<Ts>,
    http_time_ns: i64,
    ws_messages: u32,
    ws_header: u64,
    ws_payload: u64,
    /// First frame time of the data message being assembled, per direction.
    ws_start: [Option<Ts>; 2],
    ws_time_ns: i64,
    first_ts: Option<Ts>,
    last_ts: Option<Ts>,
}

impl ConnAcc {
    fn seen(&mut self, ts: Ts) {
        self.first_ts.get_or_insert(ts);
        self.last_ts = Some(self.last_ts.map_or(ts, |l| l.max(ts)));
    }
}

/// Incremental form of [`compare`]: feed events in order, then [`StatsBuilder::finish`].
#[derive(Default)]
pub struct StatsBuilder {
    conns: HashMap<ConnId, ConnAcc>,
    done: Comparison,
}

impl StatsBuilder {
    pub fn observe(&mut self, ev: &Event) {
        let Some(id) = ev.conn() else { return };
        if matches!(ev, Event::Note(_) | Event::Udp(_)) {
            return;
        }
        let c = self.conns.entry(id).or_default();
        match ev {
            Event::ConnOpen(o) => {
                c.seen(o.ts);
                c.http_start = Some(o.ts);
            }
            Event::Tcp(s) => {
                c.seen(s.ts);
                c.segments += 1;
                if s.handshake == Some(Handshake::Ack) {
                    c.handshakes += 1;
                }
                c.http_start.get_or_insert(s.ts);
            }
            Event::Http(h) => {
                c.seen(h.ts);
                c.saw_http = true;
                c.http_heads += u64::from(h.head_len);
                c.http_bodies += h.body_len.unwrap_or(0);
                match h.kind {
                    HttpKind::Request { .. } => {
                        c.requests += 1;
                        // A request on a kept-alive connection starts a new wait; the first
                        // one on a fresh connection also paid for the handshake.
                        if c.responses > 0 {
                            c.http_start = Some(h.ts);
                        }
                    }
                    HttpKind::Response { status, .. } => {
                        if status != 101 {
                            c.responses += 1;
                            if let Some(start) = c.http_start {
                                c.http_time_ns = c
                                    .http_time_ns
                                    .saturating_add(h.ts.0.saturating_sub(start.0));
                            }
                        }
                    }
                }
            }
            Event::WsHandshake(h) => {
                c.seen(h.ts);
                c.upgraded |= h.upgraded;
            }
            Event::WsFrame(f) => {
                c.seen(f.ts);
                let op = f.header.opcode;
                if !op.is_control() {
                    c.ws_header += u64::from(f.header.header_len);
                    c.ws_payload = c.ws_payload.saturating_add(f.header.payload_len);
                    let slot = &mut c.ws_start[f.dir.idx()];
                    if op != Opcode::Continuation || slot.is_none() {
                        *slot = Some(f.ts);
                    }
                }
            }
            Event::WsMessage(m) => {
                c.seen(m.ts);
                if matches!(m.opcode, Opcode::Text | Opcode::Binary) {
                    c.ws_messages += 1;
                    if let Some(start) = c.ws_start[m.dir.idx()].take() {
                        c.ws_time_ns = c.ws_time_ns.saturating_add(m.ts.0.saturating_sub(start.0));
                    }
                }
            }
            Event::ConnClose(cl) => c.seen(cl.ts),
            Event::Tls(t) => c.seen(t.ts),
            Event::TlsSession(t) => c.seen(t.ts),
            Event::Note(_) | Event::Udp(_) => {}
        }
        // A closed connection's figures are final: move them out so memory stays bounded by
        // the connections open at once.
        if matches!(ev, Event::ConnClose(_))
            && let Some(acc) = self.conns.remove(&id)
        {
            self.settle(&acc);
        }
    }

    fn settle(&mut self, c: &ConnAcc) {
        self.done.settle(c);
    }

    /// The comparison so far, connections still open included, without ending the build (a
    /// view that keeps receiving events shows this).
    pub fn snapshot(&self) -> Comparison {
        let mut c = self.done.clone();
        let mut open: Vec<(&ConnId, &ConnAcc)> = self.conns.iter().collect();
        open.sort_by_key(|(id, _)| **id);
        for (_, acc) in open {
            c.settle(acc);
        }
        c
    }

    pub fn finish(mut self) -> Comparison {
        let mut rest: Vec<(ConnId, ConnAcc)> =
            std::mem::take(&mut self.conns).into_iter().collect();
        rest.sort_by_key(|(id, _)| *id);
        for (_, c) in &rest {
            self.settle(c);
        }
        self.done
    }
}

/// The comparison over a whole list of events.
pub fn compare<'a>(events: impl IntoIterator<Item = &'a Event>) -> Comparison {
    let mut b = StatsBuilder::default();
    for ev in events {
        b.observe(ev);
    }
    b.finish()
}

/// Columns a string takes in a terminal: CJK and full-width characters take two.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let u = c as u32;
            if (0x1100..=0x115f).contains(&u)
                || (0x2e80..=0xa4cf).contains(&u)
                || (0xac00..=0xd7a3).contains(&u)
                || (0xf900..=0xfaff).contains(&u)
                || (0xfe30..=0xfe4f).contains(&u)
                || (0xff00..=0xff60).contains(&u)
                || (0xffe0..=0xffe6).contains(&u)
            {
                2
            } else {
                1
            }
        })
        .sum()
}

fn pad(s: &str, w: usize) -> String {
    let mut out = s.to_string();
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(width(s))));
    out
}

fn num(v: Option<f64>) -> String {
    match v {
        // Below 1, one decimal would show a WebSocket message's fraction of a millisecond as 0.0.
        Some(x) if x.is_finite() && x != 0.0 && x.abs() < 1.0 => format!("{x:.2}"),
        Some(x) if x.is_finite() => format!("{x:.1}"),
        _ => "-".into(),
    }
}

/// The comparison as a table for people, polling and WebSocket side by side.
pub fn render_text(c: &Comparison, file: &str, lang: Lang) -> String {
    let t = |id| catalog::text(lang, id);
    let (p, w) = (&c.polling, &c.websocket);
    let rows: Vec<(Msg, String, String)> = vec![
        (
            Msg::StatConnections,
            p.connections.to_string(),
            w.connections.to_string(),
        ),
        (
            Msg::StatHandshakes,
            p.handshakes.to_string(),
            w.handshakes.to_string(),
        ),
        (
            Msg::StatRequests,
            p.requests.to_string(),
            w.requests.to_string(),
        ),
        (
            Msg::StatMessages,
            p.messages.to_string(),
            w.messages.to_string(),
        ),
        (
            Msg::StatSegments,
            p.segments.to_string(),
            w.segments.to_string(),
        ),
        (Msg::StatSetup, "-".into(), w.setup_bytes.to_string()),
        (
            Msg::StatHeaderBytes,
            p.header_bytes.to_string(),
            w.header_bytes.to_string(),
        ),
        (
            Msg::StatPayloadBytes,
            p.payload_bytes.to_string(),
            w.payload_bytes.to_string(),
        ),
        (
            Msg::StatHeaderPerMsg,
            num(p.header_per_message()),
            num(w.header_per_message()),
        ),
        (
            Msg::StatPayloadPerMsg,
            num(p.payload_per_message()),
            num(w.payload_per_message()),
        ),
        (
            Msg::StatTimePerMsg,
            num(p.ms_per_message()),
            num(w.ms_per_message()),
        ),
        (
            Msg::StatDuration,
            num(p.duration_ms()),
            num(w.duration_ms()),
        ),
    ];
    let lw = rows.iter().map(|r| width(t(r.0))).max().unwrap_or(0) + 2;
    let cw = [t(Msg::StatPolling), t(Msg::StatWs)]
        .iter()
        .map(|s| width(s))
        .chain(rows.iter().flat_map(|r| [r.1.len(), r.2.len()]))
        .max()
        .unwrap_or(0)
        + 2;
    let right = |s: &str| format!("{}{s}", " ".repeat(cw.saturating_sub(width(s))));
    let mut out = catalog::say(lang, Msg::StatTitle, &[("file", &file)]);
    out.push('\n');
    out.push_str(&pad("", lw));
    out.push_str(&right(t(Msg::StatPolling)));
    out.push_str(&right(t(Msg::StatWs)));
    out.push('\n');
    for (id, a, b) in &rows {
        out.push_str(&pad(t(*id), lw));
        out.push_str(&right(a));
        out.push_str(&right(b));
        out.push('\n');
    }
    out.push('\n');
    if p.is_empty() {
        out.push_str(t(Msg::StatNoPolling));
        out.push('\n');
    }
    if w.is_empty() {
        out.push_str(t(Msg::StatNoWs));
        out.push('\n');
    }
    if !p.is_empty() && !w.is_empty() {
        let (phdr, whdr) = (num(p.header_per_message()), num(w.header_per_message()));
        out.push_str(&catalog::say(
            lang,
            Msg::StatVerdict,
            &[
                ("pconn", &p.connections),
                ("phs", &p.handshakes),
                ("pmsg", &p.messages),
                ("phdr", &phdr),
                ("wconn", &w.connections),
                ("wmsg", &w.messages),
                ("whdr", &whdr),
            ],
        ));
        out.push('\n');
    }
    out
}

/// The comparison as one JSON object (keys are stable; numbers per message are null when
/// there were no messages).
pub fn render_json(c: &Comparison, file: &str) -> String {
    use std::fmt::Write;
    fn opt(v: Option<f64>) -> String {
        match v {
            Some(x) if x.is_finite() => format!("{x:.3}"),
            _ => "null".into(),
        }
    }
    fn part(s: &mut String, p: &PartStats) {
        let _ = write!(
            s,
            "{{\"connections\":{},\"handshakes\":{},\"requests\":{},\"messages\":{},\"segments\":{},\"header_bytes\":{},\"payload_bytes\":{},\"setup_bytes\":{},\"header_bytes_per_message\":{},\"payload_bytes_per_message\":{},\"ms_per_message\":{},\"duration_ms\":{}}}",
            p.connections,
            p.handshakes,
            p.requests,
            p.messages,
            p.segments,
            p.header_bytes,
            p.payload_bytes,
            p.setup_bytes,
            opt(p.header_per_message()),
            opt(p.payload_per_message()),
            opt(p.ms_per_message()),
            opt(p.duration_ms()),
        );
    }
    let mut name = Vec::new();
    crate::output::json::string(&mut name, file);
    let mut s = String::from("{\"file\":");
    s.push_str(&String::from_utf8_lossy(&name));
    s.push_str(",\"polling\":");
    part(&mut s, &c.polling);
    s.push_str(",\"websocket\":");
    part(&mut s, &c.websocket);
    s.push('}');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(conn: ConnId, ts: i64, req: bool, head_len: u32, body: Option<u64>) -> Event {
        Event::Http(Box::new(HttpHead {
            conn,
            dir: if req { Dir::C2S } else { Dir::S2C },
            pkt: 1,
            ts: Ts(ts),
            kind: if req {
                HttpKind::Request {
                    method: "GET".into(),
                    path: "/poll".into(),
                }
            } else {
                HttpKind::Response {
                    status: 200,
                    reason: "OK".into(),
                }
            },
            version: "HTTP/1.1".into(),
            headers: vec![],
            head_len,
            body_len: body,
            layout: Default::default(),
        }))
    }

    fn open(conn: ConnId, ts: i64) -> Event {
        Event::ConnOpen(ConnOpen {
            conn,
            proto: Proto::Tcp,
            client: "127.0.0.1:5000".parse().unwrap(),
            server: "127.0.0.1:80".parse().unwrap(),
            pkt: 1,
            ts: Ts(ts),
            guessed: false,
        })
    }

    #[test]
    fn keep_alive_requests_time_from_the_request_and_fresh_ones_from_the_syn() {
        let ev = vec![
            open(1, 0),
            head(1, 1_000_000, true, 100, None),
            head(1, 3_000_000, false, 80, Some(10)),
            head(1, 10_000_000, true, 100, None),
            head(1, 11_000_000, false, 80, Some(20)),
        ];
        let c = compare(&ev);
        let p = &c.polling;
        assert_eq!((p.connections, p.requests, p.messages), (1, 2, 2));
        assert_eq!(p.header_bytes, 360);
        assert_eq!(p.payload_bytes, 30);
        // 3 ms from the connection's start, then 1 ms from the second request.
        assert_eq!(p.message_time_ns, 4_000_000);
        assert_eq!(p.ms_per_message(), Some(2.0));
        assert!(c.websocket.is_empty());
        let j = render_json(&c, "x.pcap");
        assert!(
            j.contains("\"polling\":{\"connections\":1,") && j.contains("\"ms_per_message\":2.000")
        );
    }

    #[test]
    fn snapshot_counts_open_connections_and_equals_finish() {
        let ev = [
            open(1, 0),
            head(1, 1_000_000, true, 100, None),
            head(1, 2_000_000, false, 80, Some(10)),
        ];
        let mut b = StatsBuilder::default();
        for e in &ev[..2] {
            b.observe(e);
        }
        assert_eq!(b.snapshot().polling.messages, 0);
        b.observe(&ev[2]);
        let snap = b.snapshot();
        assert_eq!((snap.polling.connections, snap.polling.messages), (1, 1));
        assert_eq!(snap, b.finish());
    }

    #[test]
    fn text_table_aligns_in_chinese() {
        let c = compare(&[open(1, 0), head(1, 1, true, 10, None)]);
        let t = render_text(&c, "f", Lang::Zh);
        let lines: Vec<&str> = t.lines().skip(1).take(13).collect();
        let w0 = width(lines[0]);
        assert!(lines.iter().all(|l| width(l) == w0), "{t}");
        assert!(t.contains("没有 WebSocket"));
    }
}
