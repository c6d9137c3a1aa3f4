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
#[path = "stomp_tests.rs"]
mod tests;
