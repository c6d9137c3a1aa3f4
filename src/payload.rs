//! Self-describing binary payloads read into JSON trees: MessagePack (rmpv) and CBOR
//! (ciborium). Used by the Socket.IO msgpack parser and by the detail pane's payload views.
//!
//! Both decoders bound their recursion, and allocate as bytes actually arrive (a declared
//! length larger than the input fails instead of reserving memory). What JSON cannot say is
//! written as small objects: byte strings `{"_binary":LEN,"sha256":HEX}` (the bytes themselves
//! are in the hex view), MessagePack extensions `{"_ext":TYPE,"_binary":LEN}`, CBOR tags
//! `{"_tag":N,"value":…}`; map keys that are not strings become their JSON text.

use serde_json::{Map, Value, json};

/// Nesting followed at most.
const MAX_DEPTH: usize = 128;

fn bytes(b: &[u8]) -> Value {
    let h: String = crate::event::sha256(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect();
    json!({"_binary": b.len(), "sha256": h})
}

fn key(v: Value) -> String {
    match v {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

fn float(f: f64) -> Value {
    serde_json::Number::from_f64(f).map_or_else(|| Value::String(f.to_string()), Value::Number)
}

/// One whole MessagePack value (trailing bytes are an error: they would be another value).
pub fn msgpack(b: &[u8]) -> Result<Value, String> {
    let mut rd = b;
    let v = rmpv::decode::read_value_with_max_depth(&mut rd, MAX_DEPTH)
        .map_err(|e| format!("not MessagePack: {e}"))?;
    if !rd.is_empty() {
        return Err(format!(
            "not one MessagePack value: {} bytes follow it",
            rd.len()
        ));
    }
    Ok(from_msgpack(v))
}

fn from_msgpack(v: rmpv::Value) -> Value {
    use rmpv::Value as M;
    match v {
        M::Nil => Value::Null,
        M::Boolean(b) => Value::Bool(b),
        M::Integer(i) => match (i.as_u64(), i.as_i64()) {
            (Some(u), _) => json!(u),
            (_, Some(s)) => json!(s),
            _ => Value::String(i.to_string()),
        },
        M::F32(f) => float(f as f64),
        M::F64(f) => float(f),
        M::String(s) => match s.into_str() {
            Some(s) => Value::String(s),
            None => json!({"_invalid_utf8": true}),
        },
        M::Binary(b) => bytes(&b),
        M::Array(a) => Value::Array(a.into_iter().map(from_msgpack).collect()),
        M::Map(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (key(from_msgpack(k)), from_msgpack(v)))
                .collect::<Map<_, _>>(),
        ),
        M::Ext(t, b) => json!({"_ext": t, "_binary": b.len()}),
    }
}

/// One whole CBOR data item.
pub fn cbor(b: &[u8]) -> Result<Value, String> {
    let mut rd = b;
    let v: ciborium::Value = ciborium::de::from_reader_with_recursion_limit(&mut rd, MAX_DEPTH)
        .map_err(|e| format!("not CBOR: {e}"))?;
    if !rd.is_empty() {
        return Err(format!("not one CBOR item: {} bytes follow it", rd.len()));
    }
    Ok(from_cbor(v))
}

fn from_cbor(v: ciborium::Value) -> Value {
    use ciborium::Value as C;
    match v {
        C::Null => Value::Null,
        C::Bool(b) => Value::Bool(b),
        C::Integer(i) => {
            let n = i128::from(i);
            match (u64::try_from(n), i64::try_from(n)) {
                (Ok(u), _) => json!(u),
                (_, Ok(s)) => json!(s),
                _ => Value::String(n.to_string()),
            }
        }
        C::Float(f) => float(f),
        C::Text(s) => Value::String(s),
        C::Bytes(b) => bytes(&b),
        C::Array(a) => Value::Array(a.into_iter().map(from_cbor).collect()),
        C::Map(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (key(from_cbor(k)), from_cbor(v)))
                .collect::<Map<_, _>>(),
        ),
        C::Tag(t, v) => json!({"_tag": t, "value": from_cbor(*v)}),
        _ => Value::String("(unknown CBOR value)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msgpack_values_of_every_kind() {
        // {"type":2,"data":["hi",<bin 2>,1.5,-3],"nsp":"/"} as socket.io-msgpack-parser writes it
        let b = [
            0x83, 0xa4, b't', b'y', b'p', b'e', 0x02, 0xa4, b'd', b'a', b't', b'a', 0x94, 0xa2,
            b'h', b'i', 0xc4, 0x02, 0x01, 0x02, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xfd, 0xa3,
            b'n', b's', b'p', 0xa1, b'/',
        ];
        let v = msgpack(&b).unwrap();
        assert_eq!(v["type"], 2);
        assert_eq!(v["nsp"], "/");
        assert_eq!(v["data"][0], "hi");
        assert_eq!(v["data"][1]["_binary"], 2);
        assert_eq!(v["data"][2], 1.5);
        assert_eq!(v["data"][3], -3);
        assert!(msgpack(&b[..b.len() - 1]).is_err());
        assert!(msgpack(&[0xc0, 0xc0]).is_err(), "two values");
        // A 4 GiB binary declared in 6 bytes fails without reserving it.
        assert!(msgpack(&[0xc6, 0xff, 0xff, 0xff, 0xff, 0x00]).is_err());
        // Nesting deeper than MAX_DEPTH is refused, not a stack overflow.
        assert!(msgpack(&[0x91; 100_000]).is_err());
    }

    #[test]
    fn cbor_values_of_every_kind() {
        // {"a": [1, -2, h'0102', 1.5, true, null], 7: 0("2013-03-21T20:04:00Z")}
        let b = [
            0xa2, 0x61, b'a', 0x86, 0x01, 0x21, 0x42, 0x01, 0x02, 0xf9, 0x3e, 0x00, 0xf5, 0xf6,
            0x07, 0xc0, 0x74, b'2', b'0', b'1', b'3', b'-', b'0', b'3', b'-', b'2', b'1', b'T',
            b'2', b'0', b':', b'0', b'4', b':', b'0', b'0', b'Z',
        ];
        let v = cbor(&b).unwrap();
        assert_eq!(v["a"], json!([1, -2, v["a"][2].clone(), 1.5, true, null]));
        assert_eq!(v["a"][2]["_binary"], 2);
        assert_eq!(v["7"]["_tag"], 0);
        assert!(cbor(&b[..10]).is_err());
        assert!(cbor(&[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(cbor(&[0x81; 100_000]).is_err());
    }

    proptest::proptest! {
        /// Any bytes: a tree or an error, never a panic.
        #[test]
        fn hostile_bytes_never_panic(b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = msgpack(&b);
            let _ = cbor(&b);
        }
    }
}
