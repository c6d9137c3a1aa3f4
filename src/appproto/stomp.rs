//! STOMP 1.0, 1.1 and 1.2 over WebSocket (subprotocols `v10.stomp`, `v11.stomp`, `v12.stomp`).
//!
//! A frame is `COMMAND EOL (header EOL)* EOL body NUL`; EOL is LF or CR LF (CR LF from 1.2).
//! The body runs to the first NUL, or for `content-length` bytes (counted in bytes, not
//! characters) when that header is there. Frames ride in text or binary messages; a message may
//! hold several frames and a frame may span messages, so each direction keeps the bytes of an
//! unfinished frame (at most [`MAX_FRAME`]). A bare EOL between frames is a heart-beat, also one
//! that follows a frame's NUL in the same message.
//!
//! Header values are unescaped as 1.1 and 1.2 define (`\r` 1.2 only, `\n`, `\c`, `\\`), except in
//! CONNECT and CONNECTED frames; the first of repeated headers wins. Pairing: a frame with a
//! `receipt` header is answered by the RECEIPT (or ERROR) whose `receipt-id` names it; CONNECTED
//! (or an ERROR before it) answers CONNECT/STOMP; ACK/NACK answer the MESSAGE they acknowledge.

use super::{Origin, note};
use crate::event::{AppMessage, AppProto, AppReply, Dir, Event, PktNum, Ts};
use rustc_hash::FxHashMap;
use serde_json::{Map, Value, json};

/// Longest frame reassembled; a longer one is reported and skipped up to its NUL.
pub const MAX_FRAME: usize = 1 << 20;
const MAX_PENDING: usize = 4096;

/// The commands of STOMP 1.0–1.2 (client frames, then server frames).
const COMMANDS: [&str; 15] = [
    "CONNECT",
    "STOMP",
    "SEND",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "BEGIN",
    "COMMIT",
    "ABORT",
    "ACK",
    "NACK",
    "DISCONNECT",
    "CONNECTED",
    "MESSAGE",
    "RECEIPT",
    "ERROR",
];

/// Headers shown as fields of their own (under the specification's names); others go into one
/// `headers` field as a JSON object.
const KNOWN: [&str; 19] = [
    "accept-version",
    "host",
    "login",
    "passcode",
    "heart-beat",
    "version",
    "session",
    "server",
    "destination",
    "id",
    "ack",
    "receipt",
    "receipt-id",
    "message-id",
    "subscription",
    "transaction",
    "content-type",
    "content-length",
    "message",
];

/// A request's packet, time and label (`SEND /queue/a`), kept until its answer.
type Asked = (PktNum, Ts, Box<str>);

pub struct Stomp {
    buf: [Vec<u8>; 2],
    /// Skipping a frame longer than MAX_FRAME in this direction, up to its NUL.
    skipping: [bool; 2],
    /// Minor version: 0, 1 or 2 (from the subprotocol, then from CONNECTED).
    minor: u8,
    /// Frames that asked for a receipt, by receipt id.
    receipts: FxHashMap<Box<str>, Asked>,
    /// The CONNECT or STOMP frame until CONNECTED (or ERROR) answers it.
    connect: Option<Asked>,
    /// MESSAGE frames by the id an ACK/NACK names (`ack` in 1.2, `message-id` before).
    messages: FxHashMap<Box<str>, Asked>,
    /// The client's latest frame (not heart-beat): an ERROR without a receipt-id most likely
    /// answers it (RabbitMQ never sets receipt-id).
    last_client: Option<Asked>,
}

/// The version a negotiated subprotocol names, if it is STOMP's.
pub fn for_protocol(p: &str) -> Option<Stomp> {
    let minor = match p {
        "v10.stomp" => 0,
        "v11.stomp" => 1,
        "v12.stomp" => 2,
        _ => return None,
    };
    Some(Stomp::new(minor))
}

/// A message that starts a STOMP session (for recognition without a subprotocol).
pub fn looks_like_connect(b: &[u8]) -> bool {
    let b = b
        .strip_prefix(b"CONNECT")
        .or_else(|| b.strip_prefix(b"STOMP"));
    matches!(b, Some([b'\n', ..] | [b'\r', b'\n', ..]))
}

/// One frame as read from the stream.
struct Frame {
    command: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Frame {
    fn header(&self, k: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
}

enum Step {
    /// Bytes consumed, and what they held.
    Frame(usize, Result<Frame, String>),
    HeartBeat(usize),
    /// More bytes are needed.
    More,
}

/// Reads the start of `b`: a heart-beat EOL, a whole frame, or nothing yet.
fn step(b: &[u8], minor: u8) -> Step {
    match b {
        [] | [b'\r'] => return Step::More,
        [b'\n', ..] => return Step::HeartBeat(1),
        [b'\r', b'\n', ..] => return Step::HeartBeat(2),
        _ => {}
    }
    // Command and headers: lines up to an empty one.
    let mut lines = Vec::new();
    let mut at = 0;
    loop {
        let Some(nl) = b[at..].iter().position(|&c| c == b'\n') else {
            return Step::More;
        };
        let mut line = &b[at..at + nl];
        at += nl + 1;
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        if line.is_empty() {
            break;
        }
        lines.push(line);
    }
    let head = match head(&lines, minor) {
        Ok(h) => h,
        Err(e) => return skip_to_nul(b, at, e),
    };
    let (command, headers) = head;
    let len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .map(|(_, v)| v.trim().parse::<usize>());
    let body_end = match len {
        Some(Ok(n)) if n > MAX_FRAME => {
            return skip_to_nul(b, at, format!("content-length {n} is over {MAX_FRAME}"));
        }
        Some(Ok(n)) => {
            if b.len() < at + n + 1 {
                return Step::More;
            }
            if b[at + n] != 0 {
                return skip_to_nul(
                    b,
                    at + n,
                    format!("no NUL after the {n} body bytes that content-length announced"),
                );
            }
            at + n
        }
        Some(Err(_)) => return skip_to_nul(b, at, "content-length is not a number".into()),
        None => match b[at..].iter().position(|&c| c == 0) {
            Some(p) => at + p,
            None => return Step::More,
        },
    };
    let frame = Frame {
        command,
        headers,
        body: b[at..body_end].to_vec(),
    };
    Step::Frame(body_end + 1, Ok(frame))
}

/// A broken frame: consumed up to its NUL (or kept until one comes).
fn skip_to_nul(b: &[u8], from: usize, e: String) -> Step {
    match b[from..].iter().position(|&c| c == 0) {
        Some(p) => Step::Frame(from + p + 1, Err(e)),
        None => Step::More,
    }
}

type Head = (String, Vec<(String, String)>);

fn head(lines: &[&[u8]], minor: u8) -> Result<Head, String> {
    let utf8 = |l: &[u8]| String::from_utf8(l.to_vec()).map_err(|_| "a header is not UTF-8");
    let command = utf8(lines[0])?;
    if !COMMANDS.contains(&command.as_str()) {
        return Err(format!(
            "unknown command {:?}",
            command.chars().take(40).collect::<String>()
        ));
    }
    // CONNECT and CONNECTED are read before the version is agreed: never escaped.
    let escaped = minor >= 1 && !matches!(command.as_str(), "CONNECT" | "CONNECTED");
    let mut headers: Vec<(String, String)> = Vec::new();
    for l in &lines[1..] {
        let l = utf8(l)?;
        let (k, v) = l
            .split_once(':')
            .ok_or_else(|| format!("header line without a colon: {l:?}"))?;
        let (k, v) = if escaped {
            (unescape(k, minor)?, unescape(v, minor)?)
        } else {
            (k.to_string(), v.to_string())
        };
        if !headers.iter().any(|(n, _)| *n == k) {
            headers.push((k, v));
        }
    }
    Ok((command, headers))
}

/// Header escapes of STOMP 1.1 (`\n`, `\c`, `\\`) and 1.2 (also `\r`); any other is an error.
fn unescape(s: &str, minor: u8) -> Result<String, String> {
    if !s.contains('\\') {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('c') => out.push(':'),
            Some('\\') => out.push('\\'),
            Some('r') if minor >= 2 => out.push('\r'),
            Some(o) => return Err(format!("undefined header escape \\{o}")),
            None => return Err("header ends with a lone backslash".into()),
        }
    }
    Ok(out)
}

/// A body as JSON: parsed when it is JSON, its text when UTF-8, else its length.
fn body_value(b: &[u8]) -> Value {
    match std::str::from_utf8(b) {
        Ok(t) => match serde_json::from_str::<Value>(t) {
            Ok(v @ (Value::Object(_) | Value::Array(_))) => v,
            _ => json!(t),
        },
        Err(_) => json!({ "_binary": b.len() }),
    }
}

impl Stomp {
    pub fn new(minor: u8) -> Self {
        Stomp {
            buf: Default::default(),
            skipping: [false; 2],
            minor,
            receipts: FxHashMap::default(),
            connect: None,
            messages: FxHashMap::default(),
            last_client: None,
        }
    }

    /// A message's bytes are unknown: forget the unfinished frame of its direction; frames
    /// usually start with a message, so reading goes on with the next one.
    pub fn lose(&mut self, dir: Dir) {
        self.buf[dir.idx()].clear();
        self.skipping[dir.idx()] = false;
    }

    /// The payload of one WebSocket message (text or binary: STOMP allows both).
    pub fn bytes(&mut self, o: Origin, data: &[u8], out: &mut Vec<Event>) {
        let d = o.dir.idx();
        let mut data = data;
        if self.skipping[d] {
            match data.iter().position(|&c| c == 0) {
                Some(p) => {
                    self.skipping[d] = false;
                    data = &data[p + 1..];
                }
                None => return,
            }
        }
        self.buf[d].extend_from_slice(data);
        let mut at = 0;
        loop {
            let b = &self.buf[d][at..];
            match step(b, self.minor) {
                Step::More => break,
                Step::HeartBeat(n) => {
                    at += n;
                    out.push(Event::App(Box::new(self.message(o, "heartbeat"))));
                }
                Step::Frame(n, frame) => {
                    at += n;
                    match frame {
                        Ok(f) => self.frame(o, f, out),
                        Err(e) => note(out, o, format!("STOMP frame not decoded: {e}")),
                    }
                }
            }
        }
        self.buf[d].drain(..at);
        if self.buf[d].len() > MAX_FRAME {
            note(
                out,
                o,
                format!("STOMP frame longer than {MAX_FRAME} bytes: skipped up to its NUL"),
            );
            let nul = self.buf[d].contains(&0);
            self.buf[d].clear();
            self.skipping[d] = !nul;
        }
    }

    fn message(&self, o: Origin, kind: &'static str) -> AppMessage {
        AppMessage {
            conn: o.conn,
            pkt: o.pkt,
            ts: o.ts,
            dir: o.dir,
            proto: AppProto::Stomp,
            kind,
            transport: None,
            id: None,
            name: None,
            nsp: None,
            args: None,
            reply: None,
            fields: Vec::new(),
            attachments: Vec::new(),
        }
    }

    fn frame(&mut self, o: Origin, f: Frame, out: &mut Vec<Event>) {
        let idx = COMMANDS.iter().position(|c| *c == f.command).unwrap_or(0);
        let kind = LOWER[idx];
        let mut m = self.message(o, kind);
        m.name = f.header("destination").map(Into::into);
        // The header that names this frame becomes `id`; with `destination` (the name) it is
        // not repeated among the fields, so the NDJSON has no key twice.
        let id_key = match f.command.as_str() {
            "MESSAGE" => "message-id",
            "RECEIPT" | "ERROR" => "receipt-id",
            "BEGIN" | "COMMIT" | "ABORT" => "transaction",
            "ACK" | "NACK" if f.header("id").is_none() => "message-id",
            _ => "id",
        };
        m.id = f.header(id_key).map(Into::into);
        let mut rest = Map::new();
        for (k, v) in &f.headers {
            if k == "destination" || k == id_key {
                continue;
            }
            match KNOWN.iter().find(|n| **n == k) {
                Some(n) if *n != "id" => m.fields.push((n, v.clone())),
                _ => {
                    rest.insert(k.clone(), json!(v));
                }
            }
        }
        if !rest.is_empty() {
            m.fields.push(("headers", Value::Object(rest).to_string()));
        }
        if !f.body.is_empty() {
            m.fields.push(("body_bytes", f.body.len().to_string()));
            m.args = Some(body_value(&f.body));
        }
        let what: Box<str> = match &m.name {
            Some(n) => format!("{} {n}", f.command).into(),
            None => f.command.as_str().into(),
        };
        let (pkt, ts) = (m.pkt, m.ts);
        let asked = || (pkt, ts, what.clone());
        match f.command.as_str() {
            "CONNECT" | "STOMP" => self.connect = Some(asked()),
            "CONNECTED" => {
                if let Some(v) = f.header("version") {
                    self.minor = match v.trim() {
                        "1.0" => 0,
                        "1.1" => 1,
                        _ => 2,
                    };
                }
                answer(&mut m, self.connect.take());
            }
            "MESSAGE" => {
                let key = if self.minor >= 2 {
                    f.header("ack")
                } else {
                    f.header("message-id")
                };
                if let Some(k) = key
                    && self.messages.len() < MAX_PENDING
                {
                    self.messages.insert(k.into(), asked());
                }
            }
            "ACK" | "NACK" => {
                if let Some(id) = &m.id {
                    let hit = self.messages.remove(id);
                    answer(&mut m, hit);
                }
            }
            "RECEIPT" | "ERROR" => {
                let hit = match f.header("receipt-id") {
                    Some(r) => self.receipts.remove(r),
                    // An ERROR without a receipt-id answers a CONNECT still waiting.
                    None if f.command == "ERROR" => self.connect.take(),
                    None => None,
                };
                if hit.is_none()
                    && f.command == "ERROR"
                    && let Some((pkt, _, what)) = &self.last_client
                {
                    // Not certain: the server did not say. Shown as a hint, not as a pairing.
                    m.fields.push(("likely_cause", format!("#{pkt} {what}")));
                }
                answer(&mut m, hit);
            }
            _ => {}
        }
        if o.dir == Dir::C2S {
            self.last_client = Some(asked());
        }
        if o.dir == Dir::C2S
            && let Some(r) = f.header("receipt")
            && self.receipts.len() < MAX_PENDING
        {
            self.receipts.insert(r.into(), asked());
        }
        out.push(Event::App(Box::new(m)));
    }
}

/// `kind` of each command: its name in lower case.
const LOWER: [&str; 15] = [
    "connect",
    "stomp",
    "send",
    "subscribe",
    "unsubscribe",
    "begin",
    "commit",
    "abort",
    "ack",
    "nack",
    "disconnect",
    "connected",
    "message",
    "receipt",
    "error",
];

fn answer(m: &mut AppMessage, hit: Option<Asked>) {
    if let Some((pkt, ts, what)) = hit {
        m.reply = Some(AppReply {
            pkt,
            rtt_ns: m.ts.0 - ts.0,
            name: Some(what),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::AppTransport;

    fn o(dir: Dir, pkt: PktNum) -> Origin {
        Origin {
            conn: 1,
            pkt,
            ts: Ts(pkt as i64 * 1_000_000),
            dir,
            transport: AppTransport::WebSocket,
        }
    }

    fn apps(evs: &[Event]) -> Vec<&AppMessage> {
        evs.iter()
            .filter_map(|e| match e {
                Event::App(a) => Some(&**a),
                _ => None,
            })
            .collect()
    }

    /// Frames as the 1.2 specification lays them out, the stream cut at every byte: a frame
    /// with a NUL inside its body (content-length), CR LF line ends, escaped headers, and
    /// heart-beats between and after frames.
    #[test]
    fn frames_split_anywhere_with_content_length_escapes_and_heartbeats() {
        let stream: &[u8] = b"SEND\r\ndestination:/queue/a\\cb\r\nreceipt:7\r\ncontent-length:5\r\n\r\nh\0\xc3\xa9!\0\n\nSUBSCRIBE\nid:0\ndestination:/topic/t\nx-key:a\\nb\n\n\0\r\n";
        for cut in 0..stream.len() {
            let mut s = Stomp::new(2);
            let mut out = Vec::new();
            s.bytes(o(Dir::C2S, 1), &stream[..cut], &mut out);
            s.bytes(o(Dir::C2S, 2), &stream[cut..], &mut out);
            let a = apps(&out);
            let kinds: Vec<&str> = a.iter().map(|m| m.kind).collect();
            assert_eq!(
                kinds,
                ["send", "heartbeat", "heartbeat", "subscribe", "heartbeat"],
                "cut at {cut}: {out:?}"
            );
            assert_eq!(a[0].name.as_deref(), Some("/queue/a:b"));
            assert_eq!(a[0].field("body_bytes"), Some("5"));
            assert_eq!(a[0].args, Some(json!("h\0é!")));
            assert_eq!(a[3].id.as_deref(), Some("0"));
            assert_eq!(a[3].field("headers"), Some(r#"{"x-key":"a\nb"}"#));
        }
    }

    #[test]
    fn receipts_errors_connect_and_acks_are_paired() {
        let mut s = Stomp::new(2);
        let mut out = Vec::new();
        let frames: [(Dir, &[u8]); 7] = [
            (Dir::C2S, b"CONNECT\naccept-version:1.2\nhost:/\n\n\0"),
            (Dir::S2C, b"CONNECTED\nversion:1.2\n\n\0"),
            (
                Dir::C2S,
                b"SUBSCRIBE\nid:s1\ndestination:/q\nreceipt:r1\n\n\0",
            ),
            (Dir::S2C, b"RECEIPT\nreceipt-id:r1\n\n\0"),
            (
                Dir::S2C,
                b"MESSAGE\nsubscription:s1\nmessage-id:m1\nack:a1\ndestination:/q\n\nhi\0",
            ),
            (Dir::C2S, b"ACK\nid:a1\n\n\0"),
            (Dir::C2S, b"SEND\ndestination:/nowhere\nreceipt:r2\n\n\0"),
        ];
        for (i, (d, f)) in frames.iter().enumerate() {
            s.bytes(o(*d, i as u64 + 1), f, &mut out);
        }
        s.bytes(
            o(Dir::S2C, 8),
            b"ERROR\nreceipt-id:r2\nmessage:no such queue\ncontent-type:text/plain\ncontent-length:4\n\noops\0",
            &mut out,
        );
        let a = apps(&out);
        assert_eq!(a.len(), 8);
        let reply = |i: usize| a[i].reply.as_ref().map(|r| (r.pkt, r.name.as_deref()));
        assert_eq!(reply(1), Some((1, Some("CONNECT"))));
        assert_eq!(reply(3), Some((3, Some("SUBSCRIBE /q"))));
        assert_eq!(reply(5), Some((5, Some("MESSAGE /q"))));
        assert_eq!(reply(7), Some((7, Some("SEND /nowhere"))));
        assert_eq!(a[7].field("message"), Some("no such queue"));
        assert_eq!(a[7].args, Some(json!("oops")));
        assert_eq!(a[4].args, Some(json!("hi")));
    }

    #[test]
    fn broken_frames_are_notes_and_the_stream_goes_on() {
        let mut s = Stomp::new(2);
        let mut out = Vec::new();
        s.bytes(o(Dir::C2S, 1), b"HELLO\n\n\0", &mut out);
        s.bytes(o(Dir::C2S, 2), b"SEND\nx:\\t\n\n\0", &mut out);
        s.bytes(o(Dir::C2S, 3), b"SEND\ncontent-length:zz\n\n\0", &mut out);
        s.bytes(o(Dir::C2S, 4), b"SEND\ncontent-length:1\n\nab\0", &mut out);
        s.bytes(o(Dir::C2S, 5), b"DISCONNECT\n\n\0", &mut out);
        let notes = out.iter().filter(|e| matches!(e, Event::Note(_))).count();
        assert_eq!(notes, 4, "{out:?}");
        assert_eq!(apps(&out).last().map(|a| a.kind), Some("disconnect"));
        // An endless frame is dropped at MAX_FRAME and the next one is read again.
        let mut s = Stomp::new(2);
        let mut out = Vec::new();
        s.bytes(o(Dir::C2S, 1), b"SEND\n\n", &mut out);
        let big = vec![b'x'; MAX_FRAME + 1];
        s.bytes(o(Dir::C2S, 2), &big, &mut out);
        assert!(s.buf[0].is_empty());
        s.bytes(o(Dir::C2S, 3), b"xx\0SEND\n\n\0", &mut out);
        assert_eq!(apps(&out).len(), 1);
    }

    #[test]
    fn connect_headers_are_not_unescaped_and_version_1_0_has_no_escapes() {
        let mut s = Stomp::new(2);
        let mut out = Vec::new();
        s.bytes(o(Dir::C2S, 1), b"CONNECT\nlogin:a\\cb\n\n\0", &mut out);
        assert_eq!(apps(&out)[0].field("login"), Some("a\\cb"));
        let mut s = Stomp::new(0);
        let mut out = Vec::new();
        s.bytes(o(Dir::C2S, 1), b"SEND\ndestination:a\\tb\n\n\0", &mut out);
        assert_eq!(apps(&out)[0].name.as_deref(), Some("a\\tb"));
        assert!(looks_like_connect(b"CONNECT\r\n"));
        assert!(looks_like_connect(b"STOMP\naccept-version:1.2\n"));
        assert!(!looks_like_connect(b"CONNECTED\n"));
    }

    proptest::proptest! {
        /// Any bytes, in any messages, in either direction: events or notes, never a panic,
        /// and the unfinished frame stays bounded.
        #[test]
        fn hostile_bytes_never_panic(
            msgs in proptest::collection::vec(
                (proptest::bool::ANY, proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)),
                0..20,
            ),
            minor in 0u8..3,
        ) {
            let mut s = Stomp::new(minor);
            let mut out = Vec::new();
            for (i, (c2s, b)) in msgs.iter().enumerate() {
                let d = if *c2s { Dir::C2S } else { Dir::S2C };
                s.bytes(o(d, i as u64 + 1), b, &mut out);
            }
            proptest::prop_assert!(s.buf.iter().all(|b| b.len() <= MAX_FRAME));
        }
    }
}
