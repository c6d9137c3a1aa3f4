//! Frame headers (RFC 6455 §5.2): parsing, plausibility checks and the bit layout for drawings.

use crate::event::{Dir, FrameHeader, Opcode};
use crate::fields::Field;

/// Header length implied by the first two bytes: 2, plus 2 or 8 for an extended length, plus 4
/// for a masking key.
pub(crate) fn header_len(b1: u8) -> u8 {
    let ext = match b1 & 0x7f {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    2 + ext + if b1 & 0x80 != 0 { 4 } else { 0 }
}

/// Decode a complete header; None when `raw` is shorter than the header it starts.
pub(crate) fn parse(raw: &[u8]) -> Option<FrameHeader> {
    let (&b0, &b1) = (raw.first()?, raw.get(1)?);
    let hlen = header_len(b1) as usize;
    let bytes = raw.get(..hlen)?;
    let len_code = b1 & 0x7f;
    let (payload_len, key_at) = match len_code {
        126 => (u16::from_be_bytes([bytes[2], bytes[3]]) as u64, 4),
        127 => {
            let mut l = [0u8; 8];
            l.copy_from_slice(&bytes[2..10]);
            (u64::from_be_bytes(l), 10)
        }
        n => (n as u64, 2),
    };
    let masked = b1 & 0x80 != 0;
    let mask_key = if masked {
        Some([
            bytes[key_at],
            bytes[key_at + 1],
            bytes[key_at + 2],
            bytes[key_at + 3],
        ])
    } else {
        None
    };
    let mut h = FrameHeader {
        fin: b0 & 0x80 != 0,
        rsv1: b0 & 0x40 != 0,
        rsv2: b0 & 0x20 != 0,
        rsv3: b0 & 0x10 != 0,
        opcode: Opcode::from_u8(b0),
        masked,
        mask_key,
        len_code,
        payload_len,
        header_len: hlen as u8,
        raw: [0; 14],
    };
    h.raw[..hlen].copy_from_slice(bytes);
    Some(h)
}

/// Frames longer than this are treated as implausible when guessing where frames start.
const PLAUSIBLE_MAX_LEN: u64 = 1 << 40;

/// Could a frame header start at `b[0]`? Checks whatever of the header is present (at least two
/// bytes are needed). `deflate` is None when it is unknown whether permessage-deflate is on.
pub(crate) fn plausible(b: &[u8], dir: Dir, deflate: Option<bool>) -> Option<(u64, u8)> {
    let (&b0, &b1) = (b.first()?, b.get(1)?);
    let op = Opcode::from_u8(b0);
    if matches!(op, Opcode::ReservedData(_) | Opcode::ReservedControl(_)) {
        return None;
    }
    if b0 & 0x30 != 0 {
        return None;
    }
    let rsv1 = b0 & 0x40 != 0;
    if rsv1 && (deflate == Some(false) || !matches!(op, Opcode::Text | Opcode::Binary)) {
        return None;
    }
    let masked = b1 & 0x80 != 0;
    if masked != (dir == Dir::C2S) {
        return None;
    }
    let code = b1 & 0x7f;
    if op.is_control() && (b0 & 0x80 == 0 || code > 125) {
        return None;
    }
    let hlen = header_len(b1);
    let len = match parse(b) {
        Some(h) => h.payload_len,
        // Only the first bytes are there: the extended length cannot be checked yet.
        None => return Some((u64::MAX, hlen)),
    };
    // Senders use the shortest length encoding; anything else suggests we are not at a header.
    let minimal = match code {
        126 => len >= 126,
        127 => len > 0xffff,
        _ => true,
    };
    if !minimal || len > PLAUSIBLE_MAX_LEN {
        return None;
    }
    Some((len, hlen))
}

/// Do `b` look like consecutive frames from its first byte on? Every header that starts inside
/// `b` must be plausible; a frame may run past the end.
pub(crate) fn plausible_run(b: &[u8], dir: Dir, deflate: Option<bool>) -> bool {
    let mut pos = 0usize;
    let mut frames = 0;
    loop {
        let rest = match b.get(pos..) {
            Some(r) if !r.is_empty() => r,
            _ => return frames > 0,
        };
        if rest.len() < 2 {
            // One dangling byte after a whole frame: let it be the start of the next.
            return frames > 0;
        }
        let Some((len, hlen)) = plausible(rest, dir, deflate) else {
            return false;
        };
        frames += 1;
        if len == u64::MAX {
            return true;
        }
        let end = (hlen as u64).saturating_add(len);
        if end >= rest.len() as u64 {
            return true;
        }
        pos += end as usize;
        if frames >= 64 {
            return true;
        }
    }
}

/// The RFC 6455 §5.2 bit layout of `h` with its real values, bit positions counted from the
/// first header byte.
pub fn header_fields(h: &FrameHeader) -> Vec<Field> {
    let yes_no = |b: bool| if b { "1" } else { "0" };
    let mut f = vec![
        Field::new(
            "ws.fin",
            "FIN",
            format!(
                "{} ({})",
                yes_no(h.fin),
                if h.fin {
                    "final frame of the message"
                } else {
                    "more frames follow"
                }
            ),
            0..1,
        ),
        Field::new("ws.rsv1", "RSV1", yes_no(h.rsv1).to_string(), 1..2),
        Field::new("ws.rsv2", "RSV2", yes_no(h.rsv2).to_string(), 2..3),
        Field::new("ws.rsv3", "RSV3", yes_no(h.rsv3).to_string(), 3..4),
        Field::new(
            "ws.opcode",
            "Opcode",
            format!("0x{:x} ({})", h.opcode.code(), h.opcode.as_str()),
            4..8,
        ),
        Field::new(
            "ws.mask",
            "MASK",
            format!(
                "{} ({})",
                yes_no(h.masked),
                if h.masked { "masked" } else { "not masked" }
            ),
            8..9,
        ),
    ];
    let len_value = match h.len_code {
        126 => "126 (16-bit extended length follows)".to_string(),
        127 => "127 (64-bit extended length follows)".to_string(),
        n => n.to_string(),
    };
    f.push(Field::new(
        "ws.payload_len",
        "Payload length",
        len_value,
        9..16,
    ));
    let mut next = 16u64;
    let ext_bits = match h.len_code {
        126 => 16,
        127 => 64,
        _ => 0,
    };
    if ext_bits > 0 {
        f.push(Field::new(
            "ws.payload_len_ext",
            "Extended payload length",
            h.payload_len.to_string(),
            next..next + ext_bits,
        ));
        next += ext_bits;
    }
    if let Some(k) = h.mask_key {
        f.push(Field::new(
            "ws.masking_key",
            "Masking key",
            format!("0x{:02x}{:02x}{:02x}{:02x}", k[0], k[1], k[2], k[3]),
            next..next + 32,
        ));
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc_masked_hello() {
        let raw = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f];
        let h = parse(&raw).expect("complete header");
        assert!(h.fin && h.masked);
        assert_eq!(h.opcode, Opcode::Text);
        assert_eq!(h.payload_len, 5);
        assert_eq!(h.header_len, 6);
        assert_eq!(h.mask_key, Some([0x37, 0xfa, 0x21, 0x3d]));
        assert_eq!(h.raw(), &raw[..6]);
        assert!(parse(&raw[..5]).is_none());
    }

    #[test]
    fn fields_cover_64bit_masked_header() {
        let mut raw = vec![0x82, 0xff];
        raw.extend_from_slice(&70000u64.to_be_bytes());
        raw.extend_from_slice(&[1, 2, 3, 4]);
        let h = parse(&raw).unwrap();
        let f = header_fields(&h);
        let by = |n: &str| f.iter().find(|x| x.name == n).unwrap().clone();
        assert_eq!(by("ws.opcode").bits, 4..8);
        assert_eq!(by("ws.payload_len_ext").bits, 16..80);
        assert_eq!(by("ws.payload_len_ext").value, "70000");
        assert_eq!(by("ws.masking_key").bits, 80..112);
        assert_eq!(by("ws.masking_key").value, "0x01020304");
        assert_eq!(f.last().unwrap().bits.end, h.header_len as u64 * 8);
    }

    #[test]
    fn fields_short_unmasked_header() {
        let h = parse(&[0x01, 0x03]).unwrap();
        let f = header_fields(&h);
        assert_eq!(f.len(), 7);
        assert!(f[0].value.starts_with('0'));
        assert_eq!(f[6].bits, 9..16);
        assert_eq!(f[6].value, "3");
    }
}
