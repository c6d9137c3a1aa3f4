//! Finding the record boundary again after a capture gap (split from `conn.rs`).

use super::{RESYNC_BUF, RESYNC_SEQS, Side, TlsConn, Upper, note};
use crate::event::{Level, Sink};
use crate::tcp::StreamCtx;
use crate::tls::record::{self, ALERT, APPLICATION_DATA, HANDSHAKE};

impl TlsConn {
    /// After a gap: find where a record starts again (a header followed by a plausible next
    /// header, and, with keys, a record that authenticates at a nearby sequence number).
    pub(super) fn resync(
        &mut self,
        cx: StreamCtx,
        data: &[u8],
        sink: &mut dyn Sink,
        up: &mut dyn Upper,
    ) {
        let d = cx.dir.idx();
        let s = &mut self.sides[d];
        let Some(mut buf) = s.resync.take() else {
            return;
        };
        buf.extend_from_slice(data);
        let mut i = 0;
        let found = loop {
            let Some(h) = buf.get(i..i + 5) else {
                break None;
            };
            let h: [u8; 5] = h.try_into().expect("5 bytes");
            let plausible = matches!(h[0], HANDSHAKE | APPLICATION_DATA | ALERT)
                && record::header(&h, 0).is_ok()
                && h[2] <= 4;
            if plausible {
                let end = i + 5 + u16::from_be_bytes([h[3], h[4]]) as usize;
                if end > buf.len() {
                    // Wait for the whole record (and the next header) before deciding.
                    break None;
                }
                let next_ok = match buf.get(end..end + 5) {
                    Some(n) => record::header(&n.try_into().expect("5 bytes"), 0).is_ok(),
                    None => end == buf.len(),
                };
                if next_ok && self.sides[d].try_seq(&h, &buf[i + 5..end]) {
                    break Some(i);
                }
            }
            i += 1;
        };
        let s = &mut self.sides[d];
        match found {
            Some(i) => {
                s.records.offset = s.resync_offset + i as u64;
                let rest = buf.split_off(i);
                note(
                    sink,
                    cx,
                    Level::Info,
                    "tls-resync",
                    format!(
                        "{}: TLS records found again {} bytes after the gap",
                        cx.dir.as_str(),
                        i
                    ),
                );
                self.data(cx, &rest, sink, up);
            }
            None => {
                // Keep the tail that may still start a record.
                if buf.len() > RESYNC_BUF {
                    let cut = buf.len() - RESYNC_BUF;
                    buf.drain(..cut);
                    s.resync_offset += cut as u64;
                }
                let keep = i.min(buf.len());
                if keep > 0 && buf.len() - keep < RESYNC_BUF {
                    buf.drain(..keep);
                    s.resync_offset += keep as u64;
                }
                s.resync = Some(buf);
            }
        }
    }
}

impl Side {
    /// With keys: does this record authenticate at a sequence number near the expected one?
    /// Sets the sequence number when it does. Without keys any plausible record will do.
    fn try_seq(&mut self, h: &[u8; 5], body: &[u8]) -> bool {
        let Some(k) = &mut self.keys else {
            return true;
        };
        if self.failed {
            return true;
        }
        let mut out = std::mem::take(&mut self.plain);
        let start = k.seq;
        let mut ok = false;
        for seq in start..start + RESYNC_SEQS {
            if k.open_at(seq, h, body, &mut out).is_some() {
                k.seq = seq;
                ok = true;
                break;
            }
        }
        self.plain = out;
        ok
    }
}
