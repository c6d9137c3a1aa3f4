//! MQTT 3.1, 3.1.1 and 5 over WebSocket (subprotocol `mqtt`): binary messages carry the MQTT
//! byte stream; a packet may span messages and a message may hold several packets, so each
//! direction keeps the bytes of an unfinished packet (at most [`MAX_PACKET`]).
//!
//! Every control packet becomes an `app` event with its fields; answers are paired with what
//! they answer (CONNACK with CONNECT, PUBACK/PUBREC/PUBREL/PUBCOMP with the PUBLISH of the same
//! packet id, SUBACK, UNSUBACK, PINGRESP), with the round-trip time.

use super::{Origin, note};
use crate::event::{AppMessage, AppProto, AppReply, Dir, Event, PktNum, Ts};
use rustc_hash::FxHashMap;
use serde_json::{Map, Value, json};

/// Longest MQTT packet reassembled (larger ones are reported and skipped).
pub const MAX_PACKET: usize = 1 << 20;
const MAX_PENDING: usize = 4096;

#[derive(Default)]
pub struct Mqtt {
    buf: [Vec<u8>; 2],
    /// Bytes still to skip in a direction (a packet longer than MAX_PACKET).
    skip: [usize; 2],
    /// Protocol level from CONNECT (3 = 3.1, 4 = 3.1.1, 5 = 5); 4 until known.
    level: u8,
    /// Requests waiting for their answer: (what, direction it went, packet id).
    pending: FxHashMap<(&'static str, Dir, u16), Asked>,
}

/// A request's packet, time and name (topic, client id), kept until its answer.
type Asked = (PktNum, Ts, Option<Box<str>>);

const NAMES: [&str; 16] = [
    "reserved",
    "connect",
    "connack",
    "publish",
    "puback",
    "pubrec",
    "pubrel",
    "pubcomp",
    "subscribe",
    "suback",
    "unsubscribe",
    "unsuback",
    "pingreq",
    "pingresp",
    "disconnect",
    "auth",
];

/// A binary message that starts an MQTT CONNECT (for recognition without a subprotocol).
pub fn looks_like_connect(b: &[u8]) -> bool {
    b.first() == Some(&0x10) && (b.windows(4).take(8).any(|w| w == b"MQTT" || w == b"MQIs"))
}

struct Rd<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Rd<'a> {
    fn u8(&mut self) -> Result<u8, String> {
        let v = *self.b.get(self.i).ok_or("packet ends early")?;
        self.i += 1;
        Ok(v)
    }
    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_be_bytes([self.u8()?, self.u8()?]))
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_be_bytes([
            self.u8()?,
            self.u8()?,
            self.u8()?,
            self.u8()?,
        ]))
    }
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], String> {
        let s = self.b.get(self.i..self.i + n).ok_or("packet ends early")?;
        self.i += n;
        Ok(s)
    }
    fn bin(&mut self) -> Result<&'a [u8], String> {
        let n = self.u16()? as usize;
        self.bytes(n)
    }
    fn str(&mut self) -> Result<String, String> {
        String::from_utf8(self.bin()?.to_vec()).map_err(|_| "string is not UTF-8".to_string())
    }
    fn varint(&mut self) -> Result<usize, String> {
        let mut v = 0usize;
        for k in 0..4 {
            let b = self.u8()?;
            v |= ((b & 0x7f) as usize) << (7 * k);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("variable byte integer longer than 4 bytes".into())
    }
    fn rest(&self) -> &'a [u8] {
        &self.b[self.i.min(self.b.len())..]
    }
    fn more(&self) -> bool {
        self.i < self.b.len()
    }
}

/// Remaining length of a fixed header: (length, header bytes), None when more bytes are needed.
fn remaining(b: &[u8]) -> Result<Option<(usize, usize)>, String> {
    let mut v = 0usize;
    for k in 0..4 {
        let Some(&c) = b.get(1 + k) else {
            return Ok(None);
        };
        v |= ((c & 0x7f) as usize) << (7 * k);
        if c & 0x80 == 0 {
            return Ok(Some((v, 2 + k)));
        }
    }
    Err("remaining length longer than 4 bytes".into())
}

/// MQTT 5 properties as a JSON object (names as in the specification, in snake case).
fn properties(r: &mut Rd<'_>) -> Result<Value, String> {
    let len = r.varint()?;
    let mut p = Rd {
        b: r.bytes(len)?,
        i: 0,
    };
    let mut out = Map::new();
    while p.more() {
        let id = p.varint()?;
        let (name, v) = match id {
            0x01 => ("payload_format_indicator", json!(p.u8()?)),
            0x02 => ("message_expiry_interval", json!(p.u32()?)),
            0x03 => ("content_type", json!(p.str()?)),
            0x08 => ("response_topic", json!(p.str()?)),
            0x09 => ("correlation_data", json!(hex(p.bin()?))),
            0x0B => ("subscription_identifier", json!(p.varint()?)),
            0x11 => ("session_expiry_interval", json!(p.u32()?)),
            0x12 => ("assigned_client_identifier", json!(p.str()?)),
            0x13 => ("server_keep_alive", json!(p.u16()?)),
            0x15 => ("authentication_method", json!(p.str()?)),
            0x16 => ("authentication_data", json!(hex(p.bin()?))),
            0x17 => ("request_problem_information", json!(p.u8()?)),
            0x18 => ("will_delay_interval", json!(p.u32()?)),
            0x19 => ("request_response_information", json!(p.u8()?)),
            0x1A => ("response_information", json!(p.str()?)),
            0x1C => ("server_reference", json!(p.str()?)),
            0x1F => ("reason_string", json!(p.str()?)),
            0x21 => ("receive_maximum", json!(p.u16()?)),
            0x22 => ("topic_alias_maximum", json!(p.u16()?)),
            0x23 => ("topic_alias", json!(p.u16()?)),
            0x24 => ("maximum_qos", json!(p.u8()?)),
            0x25 => ("retain_available", json!(p.u8()?)),
            0x26 => {
                let (k, v) = (p.str()?, p.str()?);
                let e = out
                    .entry("user_property")
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(a) = e {
                    a.push(json!([k, v]));
                }
                continue;
            }
            0x27 => ("maximum_packet_size", json!(p.u32()?)),
            0x28 => ("wildcard_subscription_available", json!(p.u8()?)),
            0x29 => ("subscription_identifier_available", json!(p.u8()?)),
            0x2A => ("shared_subscription_available", json!(p.u8()?)),
            other => return Err(format!("unknown MQTT 5 property {other:#x}")),
        };
        out.insert(name.into(), v);
    }
    Ok(Value::Object(out))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A payload as JSON: its text when it is UTF-8, else its length.
fn payload(b: &[u8]) -> Value {
    match std::str::from_utf8(b) {
        Ok(t) => json!(t),
        Err(_) => json!({ "_binary": b.len() }),
    }
}

impl Mqtt {
    pub fn new() -> Self {
        Mqtt {
            level: 4,
            ..Default::default()
        }
    }

    /// The bytes of one binary WebSocket message.
    pub fn bytes(&mut self, o: Origin, data: &[u8], out: &mut Vec<Event>) {
        let d = o.dir.idx();
        let mut data = data;
        if self.skip[d] > 0 {
            let n = self.skip[d].min(data.len());
            self.skip[d] -= n;
            data = &data[n..];
        }
        self.buf[d].extend_from_slice(data);
        let mut at = 0;
        loop {
            let b = &self.buf[d][at..];
            if b.is_empty() {
                break;
            }
            let (len, hl) = match remaining(b) {
                Ok(Some(x)) => x,
                Ok(None) => break,
                Err(e) => {
                    note(out, o, format!("MQTT stream lost: {e}"));
                    self.buf[d].clear();
                    return;
                }
            };
            if len > MAX_PACKET {
                note(
                    out,
                    o,
                    format!("MQTT packet of {len} bytes is longer than {MAX_PACKET}: skipped"),
                );
                let have = b.len() - hl;
                self.skip[d] = len.saturating_sub(have);
                self.buf[d].clear();
                return;
            }
            if b.len() < hl + len {
                break;
            }
            let first = b[0];
            let body = b[hl..hl + len].to_vec();
            at += hl + len;
            if let Err(e) = self.packet(o, first, &body, out) {
                note(
                    out,
                    o,
                    format!("MQTT {} not decoded: {e}", NAMES[(first >> 4) as usize]),
                );
            }
        }
        self.buf[d].drain(..at);
    }

    fn ask(&mut self, what: &'static str, m: &AppMessage, id: u16) {
        if self.pending.len() < MAX_PENDING {
            self.pending
                .insert((what, m.dir, id), (m.pkt, m.ts, m.name.clone()));
        }
    }

    fn answer(&mut self, what: &'static str, m: &mut AppMessage, id: u16, keep: bool) {
        let key = (what, m.dir.flip(), id);
        let hit = if keep {
            self.pending.get(&key).cloned()
        } else {
            self.pending.remove(&key)
        };
        if let Some((pkt, ts, name)) = hit {
            m.reply = Some(AppReply {
                pkt,
                rtt_ns: m.ts.0 - ts.0,
                name: name.clone(),
            });
            if m.name.is_none() {
                m.name = name;
            }
        }
    }

    fn packet(
        &mut self,
        o: Origin,
        first: u8,
        body: &[u8],
        out: &mut Vec<Event>,
    ) -> Result<(), String> {
        let ty = (first >> 4) as usize;
        let flags = first & 0x0f;
        let v5 = self.level >= 5;
        let mut m = AppMessage {
            conn: o.conn,
            pkt: o.pkt,
            ts: o.ts,
            dir: o.dir,
            proto: AppProto::Mqtt,
            kind: NAMES[ty],
            transport: None,
            id: None,
            name: None,
            nsp: None,
            args: None,
            reply: None,
            fields: Vec::new(),
            attachments: Vec::new(),
        };
        let mut r = Rd { b: body, i: 0 };
        let mut props = None;
        match ty {
            1 => {
                let proto = r.str()?;
                let level = r.u8()?;
                let cf = r.u8()?;
                let keepalive = r.u16()?;
                self.level = level;
                if level >= 5 {
                    props = Some(properties(&mut r)?);
                }
                let client_id = r.str()?;
                m.fields
                    .push(("protocol", format!("{proto} level {level}")));
                m.fields.push(("clean_start", (cf & 0x02 != 0).to_string()));
                m.fields.push(("keep_alive", keepalive.to_string()));
                if cf & 0x04 != 0 {
                    m.fields.push(("will_qos", ((cf >> 3) & 3).to_string()));
                }
                m.fields.push(("username", (cf & 0x80 != 0).to_string()));
                m.name = Some(client_id.into());
                self.ask("connect", &m, 0);
            }
            2 => {
                let sp = r.u8()?;
                let code = r.u8()?;
                m.fields
                    .push(("session_present", (sp & 1 != 0).to_string()));
                m.fields.push(("reason_code", code.to_string()));
                if v5 && r.more() {
                    props = Some(properties(&mut r)?);
                }
                self.answer("connect", &mut m, 0, false);
                m.name = None;
            }
            3 => {
                let qos = (flags >> 1) & 3;
                let topic = r.str()?;
                let id = if qos > 0 { Some(r.u16()?) } else { None };
                if v5 {
                    props = Some(properties(&mut r)?);
                }
                m.fields.push(("qos", qos.to_string()));
                m.fields.push(("retain", (flags & 1 != 0).to_string()));
                m.fields.push(("dup", (flags & 8 != 0).to_string()));
                m.name = Some(topic.into());
                m.args = Some(payload(r.rest()));
                if let Some(id) = id {
                    m.id = Some(id.to_string().into());
                    self.ask("publish", &m, id);
                }
            }
            4..=7 => {
                let id = r.u16()?;
                m.id = Some(id.to_string().into());
                if v5 && r.more() {
                    m.fields.push(("reason_code", r.u8()?.to_string()));
                    if r.more() {
                        props = Some(properties(&mut r)?);
                    }
                }
                match ty {
                    // PUBACK and PUBCOMP end a flow; PUBREC and PUBREL are steps within it.
                    4 | 7 => {
                        // PUBCOMP goes the same way as PUBACK would: answer to the PUBLISH.
                        self.answer("publish", &mut m, id, false)
                    }
                    5 => self.answer("publish", &mut m, id, true),
                    _ => {
                        // PUBREL goes the PUBLISH's way: pair it with that PUBLISH's PUBREC.
                        let key = ("publish", m.dir, id);
                        if let Some((pkt, ts, name)) = self.pending.get(&key).cloned() {
                            m.reply = Some(AppReply {
                                pkt,
                                rtt_ns: m.ts.0 - ts.0,
                                name: name.clone(),
                            });
                            m.name = name;
                        }
                    }
                }
            }
            8 | 10 => {
                let id = r.u16()?;
                if v5 {
                    props = Some(properties(&mut r)?);
                }
                let mut topics = Vec::new();
                while r.more() {
                    let t = r.str()?;
                    if ty == 8 {
                        let opts = r.u8()?;
                        topics.push(json!({"topic": t, "qos": opts & 3}));
                    } else {
                        topics.push(json!(t));
                    }
                }
                m.id = Some(id.to_string().into());
                m.name = topics.first().map(|t| {
                    t.get("topic")
                        .and_then(Value::as_str)
                        .or(t.as_str())
                        .unwrap_or("")
                        .into()
                });
                m.args = Some(Value::Array(topics));
                self.ask(if ty == 8 { "subscribe" } else { "unsubscribe" }, &m, id);
            }
            9 | 11 => {
                let id = r.u16()?;
                if v5 {
                    props = Some(properties(&mut r)?);
                }
                m.id = Some(id.to_string().into());
                let codes: Vec<Value> = r.rest().iter().map(|c| json!(c)).collect();
                if !codes.is_empty() {
                    m.args = Some(Value::Array(codes));
                }
                self.answer(
                    if ty == 9 { "subscribe" } else { "unsubscribe" },
                    &mut m,
                    id,
                    false,
                );
            }
            12 => self.ask("ping", &m, 0),
            13 => self.answer("ping", &mut m, 0, false),
            14 | 15 => {
                if r.more() {
                    m.fields.push(("reason_code", r.u8()?.to_string()));
                    if r.more() {
                        props = Some(properties(&mut r)?);
                    }
                }
            }
            _ => return Err("reserved packet type 0".into()),
        }
        if let Some(p) = props.filter(|p| p.as_object().is_some_and(|o| !o.is_empty())) {
            m.fields.push(("properties", p.to_string()));
        }
        out.push(Event::App(Box::new(m)));
        Ok(())
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
            ts: Ts(pkt as i64),
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

    /// MQTT 5 packets as the specification lays them out, split across messages at every byte
    /// (a real MQTT 5 session is checked in tests/decode/mqtt.rs).
    #[test]
    fn mqtt5_connect_publish_with_properties_split_anywhere() {
        let connect = [
            0x10, 0x12, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0x02, 0x00, 0x3c, 0x03, 0x21,
            0x00, 0x14, 0x00, 0x02, b'i', b'd',
        ];
        let publish = [
            0x32, 0x0f, 0x00, 0x03, b'a', b'/', b'b', 0x00, 0x07, 0x04, 0x03, 0x00, 0x01, b'x',
            b'h', b'i', b'!',
        ];
        let stream: Vec<u8> = connect.iter().chain(&publish).copied().collect();
        for cut in 0..stream.len() {
            let mut q = Mqtt::new();
            let mut out = Vec::new();
            q.bytes(o(Dir::C2S, 1), &stream[..cut], &mut out);
            q.bytes(o(Dir::C2S, 2), &stream[cut..], &mut out);
            let a = apps(&out);
            assert_eq!(a.len(), 2, "cut at {cut}: {out:?}");
            assert_eq!(a[0].name.as_deref(), Some("id"));
            assert_eq!(a[0].field("protocol"), Some("MQTT level 5"));
            assert_eq!(a[1].name.as_deref(), Some("a/b"));
            assert_eq!(a[1].id.as_deref(), Some("7"));
            assert_eq!(a[1].field("qos"), Some("1"));
            assert_eq!(a[1].args, Some(json!("hi!")));
            assert!(a[1].field("properties").unwrap().contains("content_type"));
        }
    }

    #[test]
    fn bad_packets_are_notes_and_huge_ones_are_skipped() {
        let mut q = Mqtt::new();
        let mut out = Vec::new();
        q.bytes(o(Dir::S2C, 1), &[0x20, 0x01, 0x00], &mut out); // CONNACK cut short
        q.bytes(o(Dir::S2C, 2), &[0x30, 0xff, 0xff, 0xff, 0x7f], &mut out); // 256 MiB
        let mut q2 = Mqtt::new();
        q2.bytes(
            o(Dir::S2C, 3),
            &[0x30, 0xff, 0xff, 0xff, 0xff, 0x01],
            &mut out,
        );
        let notes = out.iter().filter(|e| matches!(e, Event::Note(_))).count();
        assert_eq!(notes, 3, "{out:?}");
        assert!(q.buf[1].len() < 16);
    }
}
