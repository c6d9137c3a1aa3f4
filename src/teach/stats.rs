//! Polling versus WebSocket, in numbers: for the connections that only spoke HTTP (polling) and
//! those that upgraded to WebSocket, how many connections, handshakes, requests, header and
//! payload bytes and how much time each delivered message cost. A pure computation over events,
//! so the command line and the UI show the same figures.

pub use super::stats_render::{render_json, render_text};
use crate::event::*;
use rustc_hash::FxHashMap as HashMap;

/// The figures for one side of the comparison.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PartStats {
    /// TCP connections of this kind.
    pub connections: u32,
    /// Completed three-way handshakes (final ACK seen).
    pub handshakes: u32,
    /// Polling: the poll requests. WebSocket: the upgrade requests.
    pub requests: u32,
    /// Polling: answers to polls. WebSocket: text and binary messages, both directions.
    pub messages: u32,
    /// TCP segments on these connections, handshake, ACKs and teardown included.
    pub segments: u64,
    /// Polling: the polls' HTTP heads. WebSocket: frame header bytes of data frames.
    pub header_bytes: u64,
    /// Polling: the answers' bodies. WebSocket: payload bytes of data frames as on the wire.
    pub payload_bytes: u64,
    /// WebSocket only: the HTTP heads of the upgrade, paid once per connection.
    pub setup_bytes: u64,
    /// Every byte the TCP segments of these connections carried, both directions.
    pub stream_bytes: u64,
    /// How long news waited before reaching the client, summed over `news` items: for polling
    /// the time from one poll's answer to the next (news that appears just after an answer
    /// waits that long); for WebSocket a push's one-way time (its first frame to its delivery).
    pub news_wait_ns: i64,
    pub news: u32,
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
    /// Bytes the TCP connections carried per byte of content.
    pub fn stream_per_payload_byte(&self) -> Option<f64> {
        (self.payload_bytes > 0).then(|| self.stream_bytes as f64 / self.payload_bytes as f64)
    }
    /// The mean wait of news before it reached the client, in milliseconds.
    pub fn news_wait_ms(&self) -> Option<f64> {
        (self.news > 0).then(|| self.news_wait_ns as f64 / 1e6 / f64::from(self.news))
    }
    pub fn is_empty(&self) -> bool {
        self.connections == 0
    }

    fn add_conn(&mut self, c: &ConnAcc) {
        self.connections += 1;
        self.handshakes += c.handshakes;
        self.segments += c.segments;
        self.stream_bytes += c.stream_bytes;
    }
}

/// UDP beside TCP in the same capture: datagrams against segments.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TransportPart {
    pub flows: u32,
    /// UDP datagrams, or TCP segments.
    pub packets: u64,
    /// Of those, the ones that carried no payload (TCP: handshake, pure ACKs, teardown).
    pub empty_packets: u64,
    pub payload_bytes: u64,
    /// Summed over flows that carried payload: time from the flow's first packet to its first
    /// payload byte (TCP: the handshake comes first).
    pub first_payload_ns: i64,
    pub flows_with_payload: u32,
}

impl TransportPart {
    /// Transport header bytes: UDP's is 8 bytes (RFC 768); TCP's at least 20 (RFC 9293; the
    /// options the capture holds would add more, so this is a lower bound).
    pub fn header_bytes(&self, udp: bool) -> u64 {
        self.packets * if udp { 8 } else { 20 }
    }
    pub fn header_per_payload_byte(&self, udp: bool) -> Option<f64> {
        (self.payload_bytes > 0).then(|| self.header_bytes(udp) as f64 / self.payload_bytes as f64)
    }
    pub fn first_payload_ms(&self) -> Option<f64> {
        (self.flows_with_payload > 0)
            .then(|| self.first_payload_ns as f64 / 1e6 / f64::from(self.flows_with_payload))
    }
    fn add(&mut self, c: &ConnAcc) {
        self.flows += 1;
        self.packets += c.segments;
        self.empty_packets += c.empty_segments;
        self.payload_bytes += c.stream_bytes;
        if let (Some(a), Some(b)) = (c.first_ts, c.first_payload_ts) {
            self.flows_with_payload += 1;
            self.first_payload_ns = self
                .first_payload_ns
                .saturating_add(b.0.saturating_sub(a.0));
        }
    }
}

/// The TLS connections (wss://, https://): what they negotiated, whether keys opened them,
/// and what crossed the wire encrypted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TlsPart {
    /// Connections that began with a TLS ClientHello.
    pub connections: u32,
    /// Of them, the ones that carried a WebSocket (wss://), seen only when decrypted.
    pub wss: u32,
    /// Of them, the ones decrypted with a key log (and never failing authentication).
    pub decrypted: u32,
    /// Connections per negotiated (version, cipher suite), sorted; a connection whose
    /// handshake was not seen to the end is not in it.
    pub suites: Vec<(String, String, u32)>,
    /// Encrypted records and their bytes (record bodies), client → server and server → client.
    pub records: [u64; 2],
    pub bytes: [u64; 2],
}

impl TlsPart {
    pub fn is_empty(&self) -> bool {
        self.connections == 0
    }

    fn add(&mut self, c: &ConnAcc) {
        let a = c.app_ref();
        let Some(t) = &a.tls else { return };
        self.connections += 1;
        self.wss += a.upgraded as u32;
        self.decrypted += (t.decrypted && !t.failed) as u32;
        if let Some((v, cipher)) = &t.suite {
            match self
                .suites
                .iter_mut()
                .find(|(a, b, _)| a == v && b == cipher)
            {
                Some(e) => e.2 += 1,
                None => {
                    self.suites.push((v.clone(), cipher.clone(), 1));
                    self.suites.sort();
                }
            }
        }
        for d in 0..2 {
            self.records[d] += t.records[d];
            self.bytes[d] += t.bytes[d];
        }
    }
}

/// Both sides of the comparison.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comparison {
    pub polling: PartStats,
    pub websocket: PartStats,
    /// Every UDP flow and every TCP connection, for the connectionless-versus-connected table
    /// (shown when the capture has both).
    pub udp: TransportPart,
    pub tcp: TransportPart,
    /// The TLS connections among the TCP ones (shown when there are any).
    pub tls: TlsPart,
}

/// One answered HTTP request that may be a poll.
#[derive(Clone, Debug)]
struct Exchange {
    /// The path without its query: polls ask for the same thing again and again.
    path: String,
    head_bytes: u64,
    body_bytes: u64,
    answered: Ts,
}

/// What the polls of one path added up to.
#[derive(Clone, Debug, Default, PartialEq)]
struct PathAcc {
    part: PartStats,
    first_answer: Option<Ts>,
    last_answer: Option<Ts>,
}

fn earliest(a: Option<Ts>, b: Option<Ts>) -> Option<Ts> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn latest(a: Option<Ts>, b: Option<Ts>) -> Option<Ts> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

impl PathAcc {
    fn add(&mut self, x: &Exchange) {
        self.part.requests += 1;
        self.part.messages += 1;
        self.part.header_bytes += x.head_bytes;
        self.part.payload_bytes += x.body_bytes;
        self.first_answer = earliest(self.first_answer, Some(x.answered));
        self.last_answer = latest(self.last_answer, Some(x.answered));
    }

    /// Another connection's sums for the same path.
    fn merge(&mut self, o: &PathAcc) {
        let (p, q) = (&mut self.part, &o.part);
        p.connections += q.connections;
        p.handshakes += q.handshakes;
        p.segments += q.segments;
        p.stream_bytes += q.stream_bytes;
        p.requests += q.requests;
        p.messages += q.messages;
        p.header_bytes += q.header_bytes;
        p.payload_bytes += q.payload_bytes;
        self.first_answer = earliest(self.first_answer, o.first_answer);
        self.last_answer = latest(self.last_answer, o.last_answer);
    }
}

/// Distinct paths summed per connection; further ones on the same connection are not counted
/// (memory per connection stays small however many requests a kept-alive connection carries).
const PATHS_PER_CONN: usize = 16;

/// One TLS connection's figures.
#[derive(Clone, Debug, Default)]
struct TlsAcc {
    suite: Option<(String, String)>,
    decrypted: bool,
    /// A record failed authentication: decryption stopped there.
    failed: bool,
    records: [u64; 2],
    bytes: [u64; 2],
}

/// One open connection's figures. The counts every connection has stay inline; what only
/// HTTP, WebSocket and TLS connections need is boxed and made with their first such event, so
/// that a connection that never gets that far (a lone SYN: a flood of them in a capture of
/// 1M) costs 72 bytes here instead of 320 (issue 17; `conn_acc_is_small` pins it).
#[derive(Default)]
struct ConnAcc {
    udp: bool,
    handshakes: u32,
    segments: u64,
    empty_segments: u64,
    stream_bytes: u64,
    first_ts: Option<Ts>,
    first_payload_ts: Option<Ts>,
    app: Option<Box<AppAcc>>,
}

/// What a connection's HTTP, WebSocket and TLS events add.
#[derive(Default)]
struct AppAcc {
    /// Began with a TLS ClientHello.
    tls: Option<TlsAcc>,
    upgraded: bool,
    /// Requests waiting for their answer: path, head bytes, and whether it asked to upgrade.
    asked: std::collections::VecDeque<(String, u64, bool)>,
    /// Answered requests that qualify as polls (2xx or 304, no upgrade asked), summed by path
    /// in order of first appearance.
    polls: Vec<(String, PathAcc)>,
    upgrade_requests: u32,
    http_heads: u64,
    ws_messages: u32,
    ws_header: u64,
    ws_payload: u64,
    /// First frame time of the data message being assembled, per direction.
    ws_start: [Option<Ts>; 2],
    /// Client data messages not answered yet: a server message then is an answer, not a push.
    unanswered: u32,
    push_wait_ns: i64,
    pushes: u32,
}

/// A connection without HTTP, WebSocket or TLS events.
static NO_APP: AppAcc = AppAcc {
    tls: None,
    upgraded: false,
    asked: std::collections::VecDeque::new(),
    polls: Vec::new(),
    upgrade_requests: 0,
    http_heads: 0,
    ws_messages: 0,
    ws_header: 0,
    ws_payload: 0,
    ws_start: [None; 2],
    unanswered: 0,
    push_wait_ns: 0,
    pushes: 0,
};

impl ConnAcc {
    fn seen(&mut self, ts: Ts) {
        self.first_ts.get_or_insert(ts);
    }

    fn app(&mut self) -> &mut AppAcc {
        self.app.get_or_insert_with(Box::default)
    }

    fn app_ref(&self) -> &AppAcc {
        self.app.as_deref().unwrap_or(&NO_APP)
    }
}

/// Incremental form of [`compare`]: feed events in order, then [`StatsBuilder::finish`].
#[derive(Default)]
pub struct StatsBuilder {
    conns: HashMap<ConnId, ConnAcc>,
    /// Closed connections' polls, by path (bounded by the number of distinct paths polled).
    paths: HashMap<String, PathAcc>,
    websocket: PartStats,
    udp: TransportPart,
    tcp: TransportPart,
    tls: TlsPart,
}

/// Paths remembered at most: beyond it, further new paths are not counted as polls.
const MAX_PATHS: usize = 4096;

fn path_of(p: &str) -> String {
    p.split(['?', '#']).next().unwrap_or(p).to_string()
}

impl StatsBuilder {
    pub fn observe(&mut self, ev: &Event) {
        let Some(id) = ev.conn() else { return };
        if let Event::Note(n) = ev {
            // The TLS layer's own figures, for a connection still being counted (its notes
            // come before its close).
            if let Some(t) = self
                .conns
                .get_mut(&id)
                .and_then(|c| c.app.as_mut()?.tls.as_mut())
            {
                match n.code {
                    "tls-records" => {
                        if let Some((dir, records, bytes, _)) =
                            crate::tls::conn::parse_records_note(&n.text)
                        {
                            t.records[dir.idx()] += records;
                            t.bytes[dir.idx()] += bytes;
                        }
                    }
                    "tls-auth-failed" => t.failed = true,
                    _ => {}
                }
            }
            return;
        }
        let c = self.conns.entry(id).or_default();
        match ev {
            Event::ConnOpen(o) => {
                c.seen(o.ts);
                c.udp = o.proto == Proto::Udp;
            }
            Event::Udp(u) => {
                c.seen(u.ts);
                c.udp = true;
                c.segments += 1;
                c.stream_bytes += u64::from(u.len);
                if u.len == 0 {
                    c.empty_segments += 1;
                } else {
                    c.first_payload_ts.get_or_insert(u.ts);
                }
            }
            Event::Tcp(s) => {
                c.seen(s.ts);
                c.segments += 1;
                c.stream_bytes += u64::from(s.len);
                if s.len == 0 {
                    c.empty_segments += 1;
                } else {
                    c.first_payload_ts.get_or_insert(s.ts);
                }
                if s.handshake == Some(Handshake::Ack) {
                    c.handshakes += 1;
                }
            }
            Event::Http(h) => {
                let c = c.app();
                c.http_heads += u64::from(h.head_len);
                match &h.kind {
                    HttpKind::Request { path, .. } => {
                        let up = h.header("upgrade").is_some();
                        c.upgrade_requests += up as u32;
                        if c.asked.len() < 64 {
                            c.asked
                                .push_back((path_of(path), u64::from(h.head_len), up));
                        }
                    }
                    HttpKind::Response { status, .. } => {
                        // Not a poll: an upgrade (accepted or not), an error, a missing page.
                        if let Some((path, req_head, up)) = c.asked.pop_front()
                            && !up
                            && ((200..300).contains(status) || *status == 304)
                        {
                            let x = Exchange {
                                path,
                                head_bytes: req_head + u64::from(h.head_len),
                                body_bytes: h.body_len.unwrap_or(0),
                                answered: h.ts,
                            };
                            match c.polls.iter().position(|(p, _)| *p == x.path) {
                                Some(i) => c.polls[i].1.add(&x),
                                None if c.polls.len() < PATHS_PER_CONN => {
                                    let mut acc = PathAcc::default();
                                    acc.add(&x);
                                    c.polls.push((x.path, acc));
                                }
                                None => {}
                            }
                        }
                    }
                }
            }
            Event::WsHandshake(h) => {
                c.app().upgraded |= h.upgraded;
            }
            Event::WsFrame(f) => {
                let op = f.header.opcode;
                if !op.is_control() {
                    let c = c.app();
                    c.ws_header += u64::from(f.header.header_len);
                    c.ws_payload = c.ws_payload.saturating_add(f.header.payload_len);
                    let slot = &mut c.ws_start[f.dir.idx()];
                    if op != Opcode::Continuation || slot.is_none() {
                        *slot = Some(f.ts);
                    }
                }
            }
            Event::WsMessage(m) => {
                if matches!(m.opcode, Opcode::Text | Opcode::Binary) {
                    let c = c.app();
                    c.ws_messages += 1;
                    let start = c.ws_start[m.dir.idx()].take();
                    match m.dir {
                        Dir::C2S => c.unanswered = c.unanswered.saturating_add(1),
                        Dir::S2C if c.unanswered > 0 => c.unanswered -= 1,
                        // A server message that answers nothing: a push, news as it happens.
                        Dir::S2C => {
                            c.pushes += 1;
                            if let Some(start) = start {
                                c.push_wait_ns = c
                                    .push_wait_ns
                                    .saturating_add(m.ts.0.saturating_sub(start.0));
                            }
                        }
                    }
                }
            }
            Event::ConnClose(cl) => c.seen(cl.ts),
            Event::Tls(t) => {
                c.seen(t.ts);
                if t.kind == "client_hello" && !t.encrypted {
                    c.app().tls.get_or_insert_with(TlsAcc::default);
                }
            }
            Event::TlsSession(t) => {
                c.seen(t.ts);
                let acc = c.app().tls.get_or_insert_with(TlsAcc::default);
                acc.suite = Some((t.version.to_string(), t.cipher.clone()));
                acc.decrypted = t.decrypted;
            }
            Event::Note(_) | Event::App(_) => {}
        }
        // A closed connection's figures are final: move them out so memory stays bounded by
        // the connections open at once (and the paths polled).
        if matches!(ev, Event::ConnClose(_))
            && let Some(acc) = self.conns.remove(&id)
        {
            Self::settle(
                &mut self.paths,
                &mut self.websocket,
                &mut self.udp,
                &mut self.tcp,
                &mut self.tls,
                &acc,
            );
        }
    }

    fn settle(
        paths: &mut HashMap<String, PathAcc>,
        ws: &mut PartStats,
        udp: &mut TransportPart,
        tcp: &mut TransportPart,
        tls: &mut TlsPart,
        c: &ConnAcc,
    ) {
        if c.udp {
            udp.add(c);
            return;
        }
        tcp.add(c);
        tls.add(c);
        let a = c.app_ref();
        if a.upgraded {
            ws.add_conn(c);
            ws.requests += a.upgrade_requests;
            ws.messages += a.ws_messages;
            ws.header_bytes += a.ws_header;
            ws.payload_bytes += a.ws_payload;
            ws.setup_bytes += a.http_heads;
            ws.news += a.pushes;
            ws.news_wait_ns = ws.news_wait_ns.saturating_add(a.push_wait_ns);
        } else {
            // Each answer counts for its own path; the connection for its first poll's path.
            for (i, (path, acc)) in a.polls.iter().enumerate() {
                if paths.len() >= MAX_PATHS && !paths.contains_key(path) {
                    continue;
                }
                let p = paths.entry(path.clone()).or_default();
                if i == 0 {
                    p.part.add_conn(c);
                }
                p.merge(acc);
            }
        }
    }

    fn result(
        paths: &HashMap<String, PathAcc>,
        ws: &PartStats,
        udp: &TransportPart,
        tcp: &TransportPart,
        tls: &TlsPart,
    ) -> Comparison {
        // Polling is asking for the same thing again and again: a path answered once is a
        // page, a script or an icon, not a poll.
        let mut polling = PartStats::default();
        let mut sorted: Vec<(&String, &PathAcc)> = paths.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        for (_, p) in sorted {
            if p.part.messages < 2 {
                continue;
            }
            let q = &p.part;
            polling.connections += q.connections;
            polling.handshakes += q.handshakes;
            polling.requests += q.requests;
            polling.messages += q.messages;
            polling.segments += q.segments;
            polling.header_bytes += q.header_bytes;
            polling.payload_bytes += q.payload_bytes;
            polling.stream_bytes += q.stream_bytes;
            if let (Some(a), Some(b)) = (p.first_answer, p.last_answer) {
                polling.news_wait_ns = polling.news_wait_ns.saturating_add(b.0.saturating_sub(a.0));
                polling.news += q.messages - 1;
            }
        }
        Comparison {
            polling,
            websocket: ws.clone(),
            udp: udp.clone(),
            tcp: tcp.clone(),
            tls: tls.clone(),
        }
    }

    /// The comparison so far, connections still open included, without ending the build (a
    /// view that keeps receiving events shows this).
    pub fn snapshot(&self) -> Comparison {
        let (mut paths, mut ws, mut udp, mut tcp, mut tls) = (
            self.paths.clone(),
            self.websocket.clone(),
            self.udp.clone(),
            self.tcp.clone(),
            self.tls.clone(),
        );
        let mut open: Vec<(&ConnId, &ConnAcc)> = self.conns.iter().collect();
        open.sort_by_key(|(id, _)| **id);
        for (_, acc) in open {
            Self::settle(&mut paths, &mut ws, &mut udp, &mut tcp, &mut tls, acc);
        }
        Self::result(&paths, &ws, &udp, &tcp, &tls)
    }

    pub fn finish(self) -> Comparison {
        self.snapshot()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::teach::Lang;
    use crate::teach::stats_render::width;

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

    fn answer(conn: ConnId, ts: i64, status: u16, body: u64) -> Event {
        let mut e = head(conn, ts, false, 80, Some(body));
        if let Event::Http(h) = &mut e {
            h.kind = HttpKind::Response {
                status,
                reason: "x".into(),
            };
        }
        e
    }

    fn get(conn: ConnId, ts: i64, path: &str) -> Event {
        let mut e = head(conn, ts, true, 100, None);
        if let Event::Http(h) = &mut e {
            h.kind = HttpKind::Request {
                method: "GET".into(),
                path: path.into(),
            };
        }
        e
    }

    #[test]
    fn only_repeated_answered_requests_are_polling() {
        let ev = vec![
            open(1, 0),
            get(1, 1_000_000, "/"),
            answer(1, 2_000_000, 200, 500),
            open(2, 3_000_000),
            get(2, 4_000_000, "/favicon.ico"),
            answer(2, 5_000_000, 404, 10),
            open(3, 10_000_000),
            get(3, 11_000_000, "/poll?n=0"),
            answer(3, 12_000_000, 200, 10),
            open(4, 110_000_000),
            get(4, 111_000_000, "/poll?n=1"),
            answer(4, 112_000_000, 200, 20),
        ];
        let c = compare(&ev);
        let p = &c.polling;
        assert_eq!((p.connections, p.requests, p.messages), (2, 2, 2));
        assert_eq!(p.header_bytes, 360);
        assert_eq!(p.payload_bytes, 30);
        // News that appeared just after the first answer waited 100 ms for the next one.
        assert_eq!(p.news_wait_ms(), Some(100.0));
        assert!(c.websocket.is_empty());
        let j = render_json(&c, "x.pcap");
        assert!(
            j.contains("\"polling\":{\"connections\":2,") && j.contains("\"news_wait_ms\":100.000"),
            "{j}"
        );
        // One page, one icon: no polling, no moral.
        let c = compare(&ev[..6]);
        assert!(c.polling.is_empty());
        assert!(render_text(&c, "f", Lang::En).contains("No HTTP polling"));
    }

    /// The builder keeps an entry per open connection (the UI keeps a builder: on a capture of
    /// 1M lone SYNs, 65,536 connections are open at once). What only HTTP, WebSocket and TLS
    /// connections need is boxed with their first such event, so a connection that never gets
    /// that far costs 72 bytes (320 before issue 17's third round).
    #[test]
    fn conn_acc_is_small() {
        let n = std::mem::size_of::<ConnAcc>();
        assert!(n <= 72, "{n} bytes");
        let mut b = StatsBuilder::default();
        b.observe(&open(1, 0));
        assert!(b.conns[&1].app.is_none());
        b.observe(&get(1, 1_000_000, "/p"));
        assert!(b.conns[&1].app.is_some());
    }

    #[test]
    fn snapshot_counts_open_connections_and_equals_finish() {
        let ev = [
            open(1, 0),
            get(1, 1_000_000, "/p"),
            answer(1, 2_000_000, 200, 10),
            get(1, 3_000_000, "/p"),
            answer(1, 4_000_000, 200, 10),
        ];
        let mut b = StatsBuilder::default();
        for e in &ev[..4] {
            b.observe(e);
        }
        assert_eq!(
            b.snapshot().polling.messages,
            0,
            "one answer is not polling yet"
        );
        b.observe(&ev[4]);
        let snap = b.snapshot();
        assert_eq!((snap.polling.connections, snap.polling.messages), (1, 2));
        assert_eq!(snap, b.finish());
    }

    #[test]
    fn text_table_aligns_in_chinese_and_keeps_one_decimal() {
        let c = compare(&[
            open(1, 0),
            get(1, 1, "/p"),
            answer(1, 2, 200, 10),
            get(1, 3, "/p"),
            answer(1, 4, 200, 10),
        ]);
        let t = render_text(&c, "f", Lang::Zh);
        let lines: Vec<&str> = t.lines().skip(1).take(13).collect();
        let w0 = width(lines[0]);
        assert!(lines.iter().all(|l| width(l) == w0), "{t}");
        assert!(t.contains("没有 WebSocket"));
        assert!(!t.contains("0.00") && t.contains("<0.1"), "{t}");
    }
}
