//! TLS record framing of one direction's byte stream: 5-byte headers, bodies split across TCP
//! segments or several records per segment, and resynchronisation after a capture gap.

use crate::event::TlsRecordHeader;

/// RFC 8446 §5.2: a protected record's body is at most 2^14 + 256 bytes (TLS 1.2 allows
/// 2^14 + 2048 for its ciphertext; no AEAD suite comes near that).
pub const MAX_RECORD: usize = (1 << 14) + 2048;

pub const CHANGE_CIPHER_SPEC: u8 = 20;
pub const ALERT: u8 = 21;
pub const HANDSHAKE: u8 = 22;
pub const APPLICATION_DATA: u8 = 23;

/// Why the bytes stopped looking like TLS records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// An unknown content type or a version that is not 3.x.
    NotARecord { content_type: u8, version: u16 },
    /// A length above the protocol's limit.
    TooLong(usize),
}

impl Framing {
    pub fn text(self) -> String {
        match self {
            Framing::NotARecord {
                content_type,
                version,
            } => format!(
                "bytes that are not a TLS record header (content type {content_type}, version 0x{version:04x})"
            ),
            Framing::TooLong(n) => format!(
                "a record of {n} bytes, longer than TLS allows ({MAX_RECORD}); the stream is not TLS records from here"
            ),
        }
    }
}

/// Check a record header.
pub fn header(h: &[u8; 5], stream_offset: u64) -> Result<TlsRecordHeader, Framing> {
    let content_type = h[0];
    let version = u16::from_be_bytes([h[1], h[2]]);
    let len = u16::from_be_bytes([h[3], h[4]]);
    if !(CHANGE_CIPHER_SPEC..=24).contains(&content_type) || h[1] != 3 {
        return Err(Framing::NotARecord {
            content_type,
            version,
        });
    }
    if len as usize > MAX_RECORD {
        return Err(Framing::TooLong(len as usize));
    }
    Ok(TlsRecordHeader {
        content_type,
        version,
        len,
        stream_offset,
    })
}

/// Cuts one direction's stream into records, copying only the records that straddle data
/// calls.
#[derive(Default)]
pub struct Records {
    /// A record begun in an earlier data call (header included).
    partial: Vec<u8>,
    /// Stream offset of the next byte fed.
    pub offset: u64,
}

/// One complete record: its header and body.
pub struct Record<'a> {
    pub header: TlsRecordHeader,
    pub raw_header: [u8; 5],
    pub body: &'a [u8],
}

impl Records {
    /// Bytes held for an unfinished record.
    pub fn held(&self) -> usize {
        self.partial.len()
    }

    /// Forget an unfinished record (a gap follows).
    pub fn clear(&mut self) {
        self.partial.clear();
    }

    /// Feed the next bytes; `f` gets each complete record. Stops at bytes that are not a
    /// record and returns why (the rest of this call's data is not looked at).
    pub fn feed(&mut self, mut data: &[u8], f: &mut dyn FnMut(Record<'_>)) -> Result<(), Framing> {
        if !self.partial.is_empty() {
            if self.partial.len() < 5 {
                let take = (5 - self.partial.len()).min(data.len());
                self.partial.extend_from_slice(&data[..take]);
                data = &data[take..];
                self.offset += take as u64;
                if self.partial.len() < 5 {
                    return Ok(());
                }
                let h: [u8; 5] = self.partial[..5].try_into().expect("5 bytes");
                if let Err(e) = header(&h, self.offset - 5) {
                    self.partial.clear();
                    return Err(e);
                }
            }
            let h: [u8; 5] = self.partial[..5].try_into().expect("5 bytes");
            let want = 5 + u16::from_be_bytes([h[3], h[4]]) as usize;
            let take = (want - self.partial.len()).min(data.len());
            self.partial.extend_from_slice(&data[..take]);
            data = &data[take..];
            self.offset += take as u64;
            if self.partial.len() < want {
                return Ok(());
            }
            let partial = std::mem::take(&mut self.partial);
            let hdr = header(&h, self.offset - want as u64)?;
            f(Record {
                header: hdr,
                raw_header: h,
                body: &partial[5..],
            });
            // Keep the allocation for the next straddling record.
            self.partial = partial;
            self.partial.clear();
        }
        while !data.is_empty() {
            let Some(h) = data.get(..5) else {
                self.partial.extend_from_slice(data);
                self.offset += data.len() as u64;
                return Ok(());
            };
            let h: [u8; 5] = h.try_into().expect("5 bytes");
            let hdr = header(&h, self.offset)?;
            let end = 5 + hdr.len as usize;
            if data.len() < end {
                self.partial.extend_from_slice(data);
                self.offset += data.len() as u64;
                return Ok(());
            }
            f(Record {
                header: hdr,
                raw_header: h,
                body: &data[5..end],
            });
            data = &data[end..];
            self.offset += end as u64;
        }
        Ok(())
    }
}

/// Is this the start of a TLS ClientHello? None: too few bytes to tell.
pub fn looks_like_client_hello(b: &[u8]) -> Option<bool> {
    if b.len() < 6 {
        // Decide early on what is already impossible.
        let ok = b.first().is_none_or(|&t| t == HANDSHAKE)
            && b.get(1).is_none_or(|&v| v == 3)
            && b.get(2).is_none_or(|&v| v <= 4);
        return if ok { None } else { Some(false) };
    }
    let len = u16::from_be_bytes([b[3], b[4]]) as usize;
    Some(
        b[0] == HANDSHAKE && b[1] == 3 && b[2] <= 4 && (4..=MAX_RECORD).contains(&len) && b[5] == 1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(ty: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![ty, 3, 3];
        v.extend_from_slice(&(body.len() as u16).to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    /// (content type, body, stream offset) of each record cut.
    type Cut = Vec<(u8, Vec<u8>, u64)>;

    fn cut(r: &mut Records, data: &[u8]) -> (Cut, Result<(), Framing>) {
        let mut out = Vec::new();
        let res = r.feed(data, &mut |rec| {
            out.push((
                rec.header.content_type,
                rec.body.to_vec(),
                rec.header.stream_offset,
            ))
        });
        (out, res)
    }

    #[test]
    fn records_split_anywhere_come_out_whole() {
        let mut stream = rec(22, b"hello");
        stream.extend(rec(23, &[7; 300]));
        stream.extend(rec(21, &[1, 0]));
        for step in [1, 2, 3, 5, 6, 7, 64, 1000] {
            let mut r = Records::default();
            let mut got = Vec::new();
            for c in stream.chunks(step) {
                let (o, res) = cut(&mut r, c);
                res.unwrap();
                got.extend(o);
            }
            assert_eq!(got.len(), 3, "step {step}");
            assert_eq!(got[0], (22, b"hello".to_vec(), 0));
            assert_eq!(got[1].1, vec![7; 300]);
            assert_eq!(got[2], (21, vec![1, 0], 10 + 305));
        }
    }

    #[test]
    fn oversized_and_garbage_headers_are_refused() {
        let mut r = Records::default();
        let (_, res) = cut(&mut r, &[23, 3, 3, 0xff, 0xff]);
        assert_eq!(res, Err(Framing::TooLong(0xffff)));
        let mut r = Records::default();
        let (_, res) = cut(&mut r, b"GET / HTTP/1.1\r\n");
        assert!(matches!(res, Err(Framing::NotARecord { .. })));
    }

    #[test]
    fn client_hello_is_recognised_by_content() {
        assert_eq!(looks_like_client_hello(&[22, 3, 1, 0, 200, 1]), Some(true));
        assert_eq!(looks_like_client_hello(&[22, 3]), None);
        assert_eq!(looks_like_client_hello(b"GET"), Some(false));
        assert_eq!(looks_like_client_hello(&[22, 3, 1, 0, 200, 2]), Some(false));
    }
}
