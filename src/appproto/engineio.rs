//! Engine.IO packets (protocol v3 and v4) as they travel in WebSocket messages and in HTTP
//! long-polling bodies.
//!
//! A packet is a type digit and data: `0` open (JSON handshake), `1` close, `2` ping, `3` pong,
//! `4` message, `5` upgrade, `6` noop. Over WebSocket each message is one packet; a binary
//! message is a message packet (v3 puts the type byte `4` in front). A polling body holds
//! several: v4 separates them with the record separator `\x1e` and writes binary ones as
//! `b<base64>`; v3 prefixes each with its length in UTF-16 code units and a colon.

use base64::Engine as _;

/// Where an Engine.IO packet's data is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Data {
    Text(String),
    Binary(Vec<u8>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Open,
    Close,
    Ping,
    Pong,
    Message,
    Upgrade,
    Noop,
}

impl Kind {
    pub fn from_digit(c: u8) -> Option<Kind> {
        Some(match c {
            b'0' => Kind::Open,
            b'1' => Kind::Close,
            b'2' => Kind::Ping,
            b'3' => Kind::Pong,
            b'4' => Kind::Message,
            b'5' => Kind::Upgrade,
            b'6' => Kind::Noop,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Open => "open",
            Kind::Close => "close",
            Kind::Ping => "ping",
            Kind::Pong => "pong",
            Kind::Message => "message",
            Kind::Upgrade => "upgrade",
            Kind::Noop => "noop",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    pub kind: Kind,
    pub data: Data,
}

/// One packet from a text WebSocket message (or one polling record).
pub fn parse_text(s: &str) -> Result<Packet, String> {
    let Some(&c) = s.as_bytes().first() else {
        return Err("empty Engine.IO packet".into());
    };
    let kind = Kind::from_digit(c)
        .ok_or_else(|| format!("{:?} is not an Engine.IO packet type (0-6)", c as char))?;
    Ok(Packet {
        kind,
        data: Data::Text(s[1..].to_string()),
    })
}

/// One packet from a binary WebSocket message: v4 sends the bytes as they are, v3 puts the
/// packet type (always `4`, message) as a byte in front.
pub fn parse_binary(b: &[u8], version: u8) -> Result<Packet, String> {
    if version >= 4 {
        return Ok(Packet {
            kind: Kind::Message,
            data: Data::Binary(b.to_vec()),
        });
    }
    match b.split_first() {
        Some((&4, rest)) => Ok(Packet {
            kind: Kind::Message,
            data: Data::Binary(rest.to_vec()),
        }),
        Some((&t, _)) => Err(format!(
            "binary Engine.IO v3 packet of type {t}: only messages (4) are binary"
        )),
        None => Err("empty binary Engine.IO packet".into()),
    }
}

/// The packets of a polling body (request or response).
pub fn parse_payload(body: &[u8], version: u8) -> Result<Vec<Packet>, String> {
    let text = std::str::from_utf8(body).map_err(|_| {
        if version < 4 {
            "binary Engine.IO v3 polling payload (XHR2 framing) is not decoded".to_string()
        } else {
            "polling body is not UTF-8".to_string()
        }
    })?;
    if version >= 4 {
        text.split('\u{1e}').map(record_v4).collect()
    } else {
        payload_v3(text)
    }
}

fn record_v4(rec: &str) -> Result<Packet, String> {
    if let Some(b64) = rec.strip_prefix('b') {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| format!("binary packet's base64 is invalid ({e})"))?;
        return Ok(Packet {
            kind: Kind::Message,
            data: Data::Binary(bytes),
        });
    }
    parse_text(rec)
}

/// `<length>:<packet>` repeated; the length counts UTF-16 code units (a JavaScript string's
/// length), not bytes.
fn payload_v3(mut text: &str) -> Result<Vec<Packet>, String> {
    let mut out = Vec::new();
    while !text.is_empty() {
        let colon = text
            .find(':')
            .ok_or("v3 polling payload without a length prefix")?;
        let n: usize = text[..colon]
            .parse()
            .map_err(|_| format!("v3 length prefix {:?} is not a number", &text[..colon]))?;
        let body = &text[colon + 1..];
        let mut units = 0;
        let mut end = body.len();
        for (i, ch) in body.char_indices() {
            if units == n {
                end = i;
                break;
            }
            units += ch.len_utf16();
        }
        if units < n {
            return Err("v3 polling payload shorter than its length prefix".into());
        }
        let rec = &body[..end];
        if let Some(b64) = rec.strip_prefix('b') {
            // v3 binary in a text payload: `b4<base64>`.
            let b64 = b64.get(1..).unwrap_or("");
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| format!("binary packet's base64 is invalid ({e})"))?;
            out.push(Packet {
                kind: Kind::Message,
                data: Data::Binary(bytes),
            });
        } else {
            out.push(parse_text(rec)?);
        }
        text = &body[end..];
    }
    Ok(out)
}

/// What an Engine.IO URL's query says: `EIO=4&transport=polling&sid=…`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub version: u8,
    pub transport: Option<String>,
    pub sid: Option<String>,
}

/// The Engine.IO parameters of a request target, None when it has no `EIO=`.
pub fn query(target: &str) -> Option<Query> {
    let q = target.split_once('?')?.1;
    let mut version = None;
    let mut transport = None;
    let mut sid = None;
    for pair in q.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "EIO" => version = v.parse::<u8>().ok(),
            "transport" => transport = Some(v.to_string()),
            "sid" => sid = Some(v.to_string()),
            _ => {}
        }
    }
    Some(Query {
        version: version?,
        transport,
        sid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_payload_splits_on_record_separator_and_decodes_base64() {
        let p = parse_payload(b"0{\"sid\":\"a\"}\x1e40\x1ebAQID", 4).unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].kind, Kind::Open);
        assert_eq!(p[1].data, Data::Text("0".into()));
        assert_eq!(p[2].data, Data::Binary(vec![1, 2, 3]));
    }

    #[test]
    fn v3_payload_counts_utf16_units() {
        // "4你好" is 3 UTF-16 units; "😀" is 2.
        let p = parse_payload("3:4你好3:4😀1:2".as_bytes(), 3).unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].data, Data::Text("你好".into()));
        assert_eq!(p[1].data, Data::Text("😀".into()));
        assert_eq!(p[2].kind, Kind::Ping);
        assert!(parse_payload(b"9:4ab", 3).is_err());
        assert!(parse_payload(b"x:4ab", 3).is_err());
    }

    #[test]
    fn bad_packets_are_errors_not_panics() {
        assert!(parse_text("").is_err());
        assert!(parse_text("9x").is_err());
        assert!(parse_binary(&[], 3).is_err());
        assert!(parse_binary(&[2, 1], 3).is_err());
        assert!(parse_payload(b"b!!!", 4).is_err());
        assert!(parse_payload(&[0xff, 0xfe], 4).is_err());
    }

    #[test]
    fn query_reads_version_transport_and_sid() {
        let q = query("/socket.io/?EIO=4&transport=websocket&sid=abc").unwrap();
        assert_eq!(q.version, 4);
        assert_eq!(q.transport.as_deref(), Some("websocket"));
        assert_eq!(q.sid.as_deref(), Some("abc"));
        assert!(query("/chat").is_none());
        assert!(query("/x?EIO=z").is_none());
    }
}
