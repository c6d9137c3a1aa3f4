//! Socket.IO packets (protocol v4 and v5) carried in Engine.IO message packets.
//!
//! Text encoding: a type digit (`0` CONNECT, `1` DISCONNECT, `2` EVENT, `3` ACK, `4`
//! CONNECT_ERROR, `5` BINARY_EVENT, `6` BINARY_ACK); for the binary kinds the number of
//! attachments and `-`; a namespace other than `/` as `/name,`; an ack id in digits; then the
//! JSON payload. A binary packet's attachments follow as the next binary Engine.IO messages of
//! the same direction, each replacing a `{"_placeholder":true,"num":N}` in the payload.

use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Connect,
    Disconnect,
    Event,
    Ack,
    ConnectError,
    BinaryEvent,
    BinaryAck,
}

impl Kind {
    /// The NDJSON `type`: binary events and acks are events and acks with attachments.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Connect => "connect",
            Kind::Disconnect => "disconnect",
            Kind::Event | Kind::BinaryEvent => "event",
            Kind::Ack | Kind::BinaryAck => "ack",
            Kind::ConnectError => "connect_error",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Packet {
    pub kind: Kind,
    pub nsp: String,
    pub id: Option<u64>,
    /// Attachments that follow (binary kinds only).
    pub attachments: usize,
    pub payload: Option<Value>,
    /// Read from a MessagePack binary message (socket.io-msgpack-parser), not from text.
    pub msgpack: bool,
}

/// Parse one Socket.IO packet from an Engine.IO message's text.
pub fn parse(s: &str) -> Result<Packet, String> {
    let b = s.as_bytes();
    let kind = match b.first() {
        Some(b'0') => Kind::Connect,
        Some(b'1') => Kind::Disconnect,
        Some(b'2') => Kind::Event,
        Some(b'3') => Kind::Ack,
        Some(b'4') => Kind::ConnectError,
        Some(b'5') => Kind::BinaryEvent,
        Some(b'6') => Kind::BinaryAck,
        Some(c) => {
            return Err(format!(
                "{:?} is not a Socket.IO packet type (0-6)",
                *c as char
            ));
        }
        None => return Err("empty Socket.IO packet".into()),
    };
    let mut i = 1;
    let mut attachments = 0;
    if matches!(kind, Kind::BinaryEvent | Kind::BinaryAck) {
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if b.get(i) != Some(&b'-') || i == start {
            return Err("binary Socket.IO packet without its attachment count".into());
        }
        attachments = s[start..i]
            .parse::<usize>()
            .map_err(|_| "attachment count too large")?;
        i += 1;
    }
    let mut nsp = "/".to_string();
    if b.get(i) == Some(&b'/') {
        let end = s[i..].find(',').map_or(s.len(), |e| i + e);
        // A namespace may carry a query in v4 (`/admin?token=1,`): the namespace is its path.
        let full = &s[i..end];
        nsp = full.split('?').next().unwrap_or(full).to_string();
        i = (end + 1).min(s.len());
    }
    let start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let id = if i > start {
        Some(s[start..i].parse::<u64>().map_err(|_| "ack id too large")?)
    } else {
        None
    };
    let rest = &s[i..];
    let payload = if rest.is_empty() {
        None
    } else {
        Some(
            serde_json::from_str::<Value>(rest)
                .map_err(|e| format!("Socket.IO payload is not JSON ({e})"))?,
        )
    };
    if attachments > 64 * 1024 {
        return Err("Socket.IO packet claims too many attachments".into());
    }
    check(kind, id, &payload)?;
    Ok(Packet {
        kind,
        nsp,
        id,
        attachments,
        payload,
        msgpack: false,
    })
}

/// What every Socket.IO packet's payload must look like, whichever parser wrote it.
fn check(kind: Kind, id: Option<u64>, payload: &Option<Value>) -> Result<(), String> {
    let named = matches!(payload, Some(Value::Array(a)) if a.first().is_some_and(Value::is_string));
    let listed = matches!(payload, Some(Value::Array(_)));
    match kind {
        Kind::Event | Kind::BinaryEvent if !named => {
            Err("Socket.IO event whose payload is not [\"name\", ...]".into())
        }
        Kind::Ack | Kind::BinaryAck if id.is_none() || !listed => {
            Err("Socket.IO ack without an id or an argument list".into())
        }
        _ => Ok(()),
    }
}

/// A Socket.IO packet written by socket.io-msgpack-parser: one binary Engine.IO message holding
/// the MessagePack map `{type, data, nsp, id}` (binary arguments are MessagePack byte strings
/// inside it, so there are no attachments).
pub fn parse_msgpack(b: &[u8]) -> Result<Packet, String> {
    let Value::Object(mut m) = crate::payload::msgpack(b)? else {
        return Err("MessagePack value is not a map".into());
    };
    let kind = match m.get("type").and_then(Value::as_u64) {
        Some(0) => Kind::Connect,
        Some(1) => Kind::Disconnect,
        Some(2) => Kind::Event,
        Some(3) => Kind::Ack,
        Some(4) => Kind::ConnectError,
        Some(5) => Kind::BinaryEvent,
        Some(6) => Kind::BinaryAck,
        _ => return Err("MessagePack map without a Socket.IO type (0-6)".into()),
    };
    let nsp = match m.remove("nsp") {
        Some(Value::String(n)) => n.split('?').next().unwrap_or("/").to_string(),
        _ => return Err("MessagePack map without a Socket.IO namespace".into()),
    };
    let id = match m.get("id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().ok_or("Socket.IO ack id is not a number")?),
    };
    let mut payload = m.remove("data");
    if let Some(p) = &mut payload {
        strip_undefined(p);
    }
    if payload.as_ref().is_some_and(is_undefined) {
        payload = None;
    }
    check(kind, id, &payload)?;
    Ok(Packet {
        kind,
        nsp,
        id,
        attachments: 0,
        payload,
        msgpack: true,
    })
}

/// notepack.io (the parser's MessagePack codec) writes JavaScript's `undefined` as the
/// extension `d4 00 00`; JSON has no such value.
fn is_undefined(v: &Value) -> bool {
    matches!(v, Value::Object(o) if o.len() == 2
        && o.get("_ext") == Some(&Value::from(0))
        && o.get("_binary") == Some(&Value::from(1)))
}

/// As `JSON.stringify` treats `undefined`: object members dropped, array items null.
fn strip_undefined(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.retain(|_, x| !is_undefined(x));
            o.values_mut().for_each(strip_undefined);
        }
        Value::Array(a) => {
            for x in a.iter_mut() {
                if is_undefined(x) {
                    *x = Value::Null;
                } else {
                    strip_undefined(x);
                }
            }
        }
        _ => {}
    }
}

/// Replace every `{"_placeholder":true,"num":N}` by what `fill(N)` gives.
pub fn fill_placeholders(v: &mut Value, fill: &dyn Fn(usize) -> Option<Value>) {
    match v {
        Value::Object(o) => {
            let num = o.get("num").and_then(Value::as_u64);
            if o.get("_placeholder") == Some(&Value::Bool(true))
                && let Some(n) = num
                && let Some(r) = fill(n as usize)
            {
                *v = r;
                return;
            }
            for x in o.values_mut() {
                fill_placeholders(x, fill);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| fill_placeholders(x, fill)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_of_every_kind() {
        let p = parse("2[\"chat\",\"hi\"]").unwrap();
        assert_eq!((p.kind, p.nsp.as_str(), p.id), (Kind::Event, "/", None));
        let p = parse("2/admin,7[\"stats\",{}]").unwrap();
        assert_eq!((p.nsp.as_str(), p.id), ("/admin", Some(7)));
        let p = parse("31[{\"sum\":5}]").unwrap();
        assert_eq!((p.kind, p.id), (Kind::Ack, Some(1)));
        let p = parse(
            "52-[\"file\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
        )
        .unwrap();
        assert_eq!((p.kind, p.attachments), (Kind::BinaryEvent, 2));
        let p = parse("0/admin,{\"sid\":\"x\"}").unwrap();
        assert_eq!((p.kind, p.nsp.as_str()), (Kind::Connect, "/admin"));
        assert_eq!(parse("1").unwrap().kind, Kind::Disconnect);
        assert_eq!(parse("0/admin?token=1,").unwrap().nsp, "/admin");
    }

    #[test]
    fn malformed_packets_are_errors() {
        for bad in [
            "",
            "9",
            "2",
            "2{\"a\":1}",
            "2[1]",
            "3[1]",
            "5[\"x\"]",
            "2[\"x\"",
            "399999999999999999999999[1]",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn placeholders_are_replaced_where_they_sit() {
        let mut v: Value = serde_json::from_str(
            r#"["up",{"a":{"_placeholder":true,"num":1}},{"_placeholder":true,"num":0}]"#,
        )
        .unwrap();
        fill_placeholders(&mut v, &|n| Some(Value::from(n as u64 + 10)));
        assert_eq!(v, serde_json::json!(["up", {"a": 11}, 10]));
    }
}
