//! Parking inflaters: a permessage-deflate inflater costs a 41 KiB block in zlib-rs whatever
//! its window, and thousands of connections compressing at once would each keep two. Between
//! messages an inflater's whole state is its window — the last 2^bits bytes it produced (a
//! message ends with an empty stored block, RFC 7692 §7.2.1, so no block is half read) — and
//! that is often far less than 41 KiB. So each inflater keeps its recent output ([`History`]);
//! when more than [`ACTIVE_MAX`] inflaters are alive on a decoding thread, one whose message has
//! ended drops its zlib state and keeps only the history, and gets a new state primed with it
//! (fed as a stored block, whose output is discarded) when its next compressed message begins.
//!
//! (flate2 has no `inflateSetDictionary` for the zlib-rs backend; a stored block is the
//! portable way to put bytes into a raw inflater's window.)

use flate2::{Decompress, FlushDecompress};
use std::cell::Cell;

/// Inflaters with their zlib state kept on one decoding thread before those whose messages
/// end give theirs up (about 10 MiB of zlib state): a few busy connections never park.
pub(crate) const ACTIVE_MAX: usize = 256;

thread_local! {
    /// Inflaters on this thread holding a zlib state.
    static ACTIVE: Cell<usize> = const { Cell::new(0) };
}

/// A zlib state, counted while it lives.
pub(crate) struct Active(pub Decompress);

impl Active {
    pub fn new(bits: u8) -> Self {
        ACTIVE.set(ACTIVE.get() + 1);
        Active(Decompress::new_with_window_bits(false, bits))
    }

    /// More inflaters hold a zlib state on this thread than [`ACTIVE_MAX`].
    pub fn crowded() -> bool {
        ACTIVE.get() > ACTIVE_MAX
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        ACTIVE.set(ACTIVE.get() - 1);
    }
}

/// An inflater's output since its stream began, at most its window's last `max` bytes (kept
/// in a buffer of up to twice that, so trimming costs one move per `max` bytes).
#[derive(Default)]
pub(crate) struct History {
    buf: Vec<u8>,
    max: usize,
}

impl History {
    pub fn new(bits: u8) -> Self {
        History {
            buf: Vec::new(),
            max: 1 << bits,
        }
    }

    // Inlined into the inflating loop whichever codegen unit each lands in (per message on
    // chatty traffic; issue 17's third round found it called out of line after an unrelated
    // change moved code between units).
    #[inline]
    pub fn push(&mut self, out: &[u8]) {
        if out.len() >= self.max {
            self.buf.clear();
            self.buf.extend_from_slice(&out[out.len() - self.max..]);
            return;
        }
        if self.buf.len() + out.len() > 2 * self.max {
            let keep = self.max - out.len();
            let from = self.buf.len() - keep;
            self.buf.drain(..from);
        }
        self.buf.extend_from_slice(out);
    }

    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// The window's bytes: the last `max` pushed.
    fn window(&self) -> &[u8] {
        &self.buf[self.buf.len().saturating_sub(self.max)..]
    }

    /// Keep only the window, in a buffer no larger than it needs (the inflater is parked).
    pub fn shrink(&mut self) {
        let from = self.buf.len().saturating_sub(self.max);
        self.buf.drain(..from);
        self.buf.shrink_to_fit();
    }

    pub fn mem(&self) -> usize {
        self.buf.capacity()
    }

    /// A new zlib state whose window holds this history: the history is inflated from a
    /// stored block into `scratch` and the output dropped.
    pub fn restore(&self, bits: u8, scratch: &mut [u8]) -> Active {
        let mut z = Active::new(bits);
        let w = self.window();
        if w.is_empty() {
            return z;
        }
        // max ≤ 2^15, so the window fits one stored block (at most 65,535 bytes): its 5-byte
        // header (BFINAL=0, BTYPE=00, padding to the byte, LEN, NLEN), then the bytes as they are.
        let len = w.len() as u16;
        let [l0, l1] = len.to_le_bytes();
        let [n0, n1] = (!len).to_le_bytes();
        for part in [&[0, l0, l1, n0, n1][..], w] {
            let mut input = part;
            while !input.is_empty() {
                let before = z.0.total_in();
                if z.0
                    .decompress(input, scratch, FlushDecompress::None)
                    .is_err()
                {
                    return z;
                }
                let used = (z.0.total_in() - before) as usize;
                if used == 0 {
                    return z;
                }
                input = &input[used..];
            }
        }
        z
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compress, Compression, FlushCompress};

    fn deflate_sync(c: &mut Compress, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() + 64);
        c.compress_vec(data, &mut out, FlushCompress::Sync).unwrap();
        // permessage-deflate drops the 00 00 ff ff tail and the receiver appends it again.
        out
    }

    fn inflate(z: &mut Decompress, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 << 20);
        z.decompress_vec(data, &mut out, FlushDecompress::Sync)
            .unwrap();
        out
    }

    /// A message that refers back into earlier ones inflates the same after the state was
    /// dropped and restored from the history, whatever the window bits.
    #[test]
    fn a_restored_window_inflates_back_references() {
        for bits in [9u8, 12, 15] {
            let mut c = Compress::new_with_window_bits(Compression::best(), false, bits);
            let mut z = Decompress::new_with_window_bits(false, bits);
            let mut hist = History::new(bits);
            let text: Vec<u8> = (0..3000u32)
                .flat_map(|i| format!("tick {} price {} ", i % 97, i % 13).into_bytes())
                .collect();
            for chunk in text.chunks(700) {
                let out = inflate(&mut z, &deflate_sync(&mut c, chunk));
                assert_eq!(out, chunk);
                hist.push(&out);
            }
            // The same message again: deflate sends it almost all as back-references.
            let last = text.chunks(700).last().unwrap();
            let msg = deflate_sync(&mut c, last);
            assert!(msg.len() < last.len() / 4, "{bits}: not back-referenced");
            let mut scratch = vec![0; 32 << 10];
            let mut restored = hist.restore(bits, &mut scratch);
            assert_eq!(inflate(&mut restored.0, &msg), last, "{bits} bits");
            // Without the history the message cannot be inflated.
            let mut fresh = Decompress::new_with_window_bits(false, bits);
            let mut out = Vec::with_capacity(1 << 16);
            let r = fresh.decompress_vec(&msg, &mut out, FlushDecompress::Sync);
            assert!(
                r.is_err() || out != last,
                "{bits}: inflated without history"
            );
        }
    }

    #[test]
    fn history_keeps_the_window() {
        let mut h = History::new(9);
        for i in 0..2000u32 {
            h.push(&[(i % 251) as u8; 3]);
        }
        assert_eq!(h.window().len(), 512);
        assert!(h.mem() <= 1024 + 64);
        h.shrink();
        assert_eq!(h.buf.len(), 512);
        assert_eq!(h.window().last(), Some(&((1999 % 251) as u8)));
    }
}
