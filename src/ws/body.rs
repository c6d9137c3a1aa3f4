//! A message payload consumed as a stream: hash, length, preview and UTF-8 state, never the whole
//! payload; and the per-direction inflater of permessage-deflate (RFC 7692).

use flate2::{FlushDecompress, Status};
use std::cell::{Cell, RefCell};

use super::utf8::Utf8Check;
use crate::event::Sink;
use crate::sha::Stream;

pub(crate) struct Body {
    hash: Hashing,
    pub len: u64,
    pub preview: Vec<u8>,
    cap: usize,
    /// Bytes were left out of `preview`.
    cut: bool,
    /// Checks UTF-8 as bytes stream past, once the payload has outgrown its preview; until
    /// then the preview is checked whole at the end.
    utf8: Utf8Check,
    check_utf8: bool,
    /// Leading bytes exempt from the UTF-8 check (the status code of a Close).
    utf8_skip: u8,
    /// The check's outcome, once known.
    utf8_valid: Option<bool>,
}

/// Where a payload's SHA-256 is being computed.
enum Hashing {
    /// Not yet: every byte so far is in the preview, and a message that ends that way is hashed
    /// from its event's content by the sink (possibly on another thread).
    Deferred,
    /// Here, since the payload outgrew its preview.
    Here(Stream),
    /// By the sink, fed piece by piece under this ticket (large payloads).
    Away(u64),
}

/// How the finished payload's digest is to be obtained.
pub(crate) enum Digest {
    Done([u8; 32]),
    /// Every byte is in the preview.
    OfPreview,
    Ticket(u64),
}

impl Body {
    pub fn new() -> Self {
        Body {
            hash: Hashing::Deferred,
            len: 0,
            preview: Vec::new(),
            cap: 0,
            cut: false,
            utf8: Utf8Check::default(),
            check_utf8: false,
            utf8_skip: 0,
            utf8_valid: None,
        }
    }

    /// The payload will not be finished: a sink hashing it can forget it.
    pub fn abandon(&mut self, sink: &mut dyn Sink) {
        if let Hashing::Away(t) = self.hash {
            sink.hash_abandon(t);
            self.hash = Hashing::Deferred;
        }
    }

    /// Start a new payload; `ticket` hands its hashing to the sink.
    pub fn reset(
        &mut self,
        cap: usize,
        check_utf8: bool,
        utf8_skip: u8,
        ticket: Option<u64>,
        sink: &mut dyn Sink,
    ) {
        // The previous payload may never have finished.
        self.abandon(sink);
        self.hash = match ticket {
            Some(t) => Hashing::Away(t),
            None => Hashing::Deferred,
        };
        self.len = 0;
        self.preview.clear();
        self.cap = cap;
        self.cut = false;
        self.utf8.reset();
        self.check_utf8 = check_utf8;
        self.utf8_skip = utf8_skip;
        self.utf8_valid = None;
    }

    pub fn feed(&mut self, b: &[u8], sink: &mut dyn Sink) {
        if let Hashing::Away(t) = self.hash {
            sink.hash_piece(t, b);
        }
        self.take(b);
    }

    /// Hand bytes still masked with `key` (`offset` being their position in the frame's
    /// payload) to the sink hashing this payload, if it takes them so. When it did, the body
    /// still has to [`Body::take`] the [`Body::wanted`] ones unmasked, and [`Body::skip`] the
    /// rest.
    pub fn hand_masked(
        &mut self,
        masked: &[u8],
        key: [u8; 4],
        offset: u64,
        sink: &mut dyn Sink,
    ) -> bool {
        match self.hash {
            Hashing::Away(t) => sink.hash_masked(t, masked, key, offset),
            _ => false,
        }
    }

    /// How many of the next `n` bytes matter beyond their hash: those the preview has room
    /// for, or all of them when they are checked for UTF-8.
    pub fn wanted(&self, n: usize) -> usize {
        if self.check_utf8 {
            n
        } else {
            n.min(self.cap.saturating_sub(self.preview.len()))
        }
    }

    /// Count bytes that the sink hashed and nothing else here needs (they follow the
    /// [`Body::wanted`] ones). Bytes checked for UTF-8 are all wanted, so for those `n` is 0.
    pub fn skip(&mut self, n: usize) {
        debug_assert!(n == 0 || (matches!(self.hash, Hashing::Away(_)) && !self.check_utf8));
        if n > 0 {
            self.len += n as u64;
            self.cut = true;
        }
    }

    /// Take bytes in, except for hashing them by the sink.
    pub fn take(&mut self, b: &[u8]) {
        self.len += b.len() as u64;
        let room = self.cap.saturating_sub(self.preview.len());
        if !self.cut && b.len() <= room {
            // Still whole in the preview: hashing and the UTF-8 check wait for the end.
            self.preview.extend_from_slice(b);
            return;
        }
        if !self.cut {
            // Outgrown: catch up on what the preview holds, then follow the stream.
            self.cut = true;
            if let Hashing::Deferred = self.hash {
                let mut h = Stream::default();
                h.update(&self.preview);
                self.hash = Hashing::Here(h);
            }
            if self.check_utf8 {
                let held = std::mem::take(&mut self.preview);
                self.check_stream(&held);
                self.preview = held;
            }
            self.preview.extend_from_slice(&b[..room]);
        }
        if let Hashing::Here(h) = &mut self.hash {
            h.update(b);
        }
        if self.check_utf8 {
            self.check_stream(b);
        }
    }

    fn check_stream(&mut self, b: &[u8]) {
        let skip = (self.utf8_skip as usize).min(b.len());
        self.utf8_skip -= skip as u8;
        self.utf8.feed(&b[skip..]);
    }

    pub fn truncated(&self) -> bool {
        self.cut
    }

    /// Whether the UTF-8 check passed (true when no check was asked for).
    pub fn utf8_ok(&mut self) -> bool {
        if let Some(v) = self.utf8_valid {
            return v;
        }
        let v = if !self.check_utf8 {
            true
        } else if self.cut {
            self.utf8.finish()
        } else {
            let checked = self.preview.get(self.utf8_skip as usize..).unwrap_or(&[]);
            std::str::from_utf8(checked).is_ok()
        };
        self.utf8_valid = Some(v);
        v
    }

    /// The whole payload as a string, checked once, when it is all in the preview, checked for
    /// UTF-8 from its first byte, and valid; the preview continues in a spare buffer then.
    pub fn take_text(&mut self, sink: &mut dyn Sink) -> Option<String> {
        if self.cut || !self.check_utf8 || self.utf8_skip != 0 || self.utf8_valid.is_some() {
            return None;
        }
        match String::from_utf8(std::mem::replace(&mut self.preview, sink.spare_buffer())) {
            Ok(s) => {
                self.utf8_valid = Some(true);
                Some(s)
            }
            Err(e) => {
                self.preview = e.into_bytes();
                self.utf8_valid = Some(false);
                None
            }
        }
    }

    /// The finished payload's digest, or where it will come from.
    pub fn digest(&mut self) -> Digest {
        match std::mem::replace(&mut self.hash, Hashing::Deferred) {
            Hashing::Deferred => Digest::OfPreview,
            Hashing::Here(h) => Digest::Done(h.finish()),
            Hashing::Away(t) => Digest::Ticket(t),
        }
    }
}

/// Why inflating a message stopped early.
pub(crate) enum InflateStop {
    Error(String),
    Limit,
}

/// Output buffer per inflate call; small enough to stay in cache, large enough for few calls.
const OUT_CHUNK: usize = 32 << 10;

/// Memory of one inflater, as counted against the budget: zlib-rs 0.6 allocates its state
/// (tables and bookkeeping, about 8 KiB) and a 32 KiB window in one block whatever the
/// window bits, and a block recycled from freed memory is resident whole, so the whole
/// allocation is counted (measured: 5,000 open connections compressing both ways take
/// 28–31 KiB per inflater).
pub(crate) const INFLATER_MEM: usize = 41 << 10;

thread_local! {
    /// The inflaters' output buffer, one per decoding thread rather than one per direction of
    /// every connection: an inflater's output is consumed before the call returns.
    static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// Inflaters alive on this thread (what tests check a closed connection lets go of).
    static LIVE: Cell<usize> = const { Cell::new(0) };
}

/// Inflaters (permessage-deflate states) alive on this thread.
pub fn live_inflaters() -> usize {
    LIVE.get()
}

pub(crate) struct Inflater {
    /// The zlib state; None while parked between messages (see `park`).
    z: Option<super::park::Active>,
    /// The output its window holds, to restore a parked state from.
    hist: super::park::History,
    bits: u8,
    /// Watches the distances the sender uses when it agreed to a window under 32 KiB.
    check: Option<Box<super::deflate_window::WindowCheck>>,
    /// The sliding window lacks history (capture began mid-stream, bytes missed, or an error):
    /// messages that refer back into it will fail until one inflates without it.
    pub broken: bool,
}

impl Drop for Inflater {
    fn drop(&mut self) {
        LIVE.set(LIVE.get() - 1);
    }
}

impl Inflater {
    /// `bits`: the sender's negotiated `*_max_window_bits` (8 is read as 9, like zlib does: a
    /// raw inflate window is 2^9 bytes at least).
    pub fn new(broken: bool, bits: u8) -> Self {
        LIVE.set(LIVE.get() + 1);
        Inflater {
            z: Some(super::park::Active::new(bits.clamp(9, 15))),
            hist: super::park::History::new(bits.clamp(9, 15)),
            bits: bits.clamp(9, 15),
            check: super::deflate_window::WindowCheck::new(bits).map(Box::new),
            broken,
        }
    }

    /// The longest distance beyond the agreed window the sender used since last asked.
    pub fn take_over_window(&mut self) -> Option<u32> {
        self.check.as_mut().and_then(|c| c.take_over())
    }

    /// Bytes of memory this inflater takes ([`INFLATER_MEM`]). A window smaller than 2^15
    /// makes zlib refuse a sender reaching further back than it agreed to, but saves nothing
    /// with zlib-rs 0.6, which allocates 32 KiB whatever the bits.
    /// While parked, only the history is held.
    pub fn mem(&self) -> usize {
        // The window check holds its Huffman tables and a unit's worth of pending bytes.
        self.z.as_ref().map_or(0, |_| INFLATER_MEM)
            + self.hist.mem()
            + if self.check.is_some() { 2 << 10 } else { 0 }
    }

    pub fn reset(&mut self) {
        if let Some(z) = &mut self.z {
            z.0.reset(false);
        }
        self.hist.clear();
        if let Some(c) = self.check.as_mut() {
            c.reset();
        }
    }

    /// A message ended (its deflate tail inflated): when too many inflaters hold a zlib state
    /// on this thread, give this one's up and keep only its window's bytes.
    pub fn message_done(&mut self) {
        if self.z.is_some() && super::park::Active::crowded() {
            self.z = None;
            self.hist.shrink();
        }
    }

    /// Inflate `input` (part of a compressed message) into `body`, stopping at `limit` inflated
    /// bytes for the message.
    pub fn inflate(
        &mut self,
        input: &[u8],
        body: &mut Body,
        limit: u64,
        sink: &mut dyn Sink,
    ) -> Result<(), InflateStop> {
        OUT.with_borrow_mut(|out| {
            if out.len() < OUT_CHUNK {
                out.resize(OUT_CHUNK, 0);
            }
            if self.z.is_none() {
                self.z = Some(self.hist.restore(self.bits, out));
            }
            self.inflate_into(out, input, body, limit, sink)
        })
    }

    #[inline]
    fn inflate_into(
        &mut self,
        out_buf: &mut [u8],
        input: &[u8],
        body: &mut Body,
        limit: u64,
        sink: &mut dyn Sink,
    ) -> Result<(), InflateStop> {
        let mut input = input;
        if let Some(c) = self.check.as_mut() {
            c.feed(input);
        }
        let Some(z) = &mut self.z else {
            return Ok(());
        };
        loop {
            let z = &mut z.0;
            let (in0, out0) = (z.total_in(), z.total_out());
            let status = z
                .decompress(input, out_buf, FlushDecompress::Sync)
                .map_err(|e| {
                    InflateStop::Error(e.message().unwrap_or("invalid deflate data").to_string())
                })?;
            let used = (z.total_in() - in0) as usize;
            let made = (z.total_out() - out0) as usize;
            input = input.get(used..).unwrap_or(&[]);
            if made > 0 {
                self.hist.push(out_buf.get(..made).unwrap_or(&[]));
                let room = limit.saturating_sub(body.len);
                let out = out_buf.get(..made).unwrap_or(&[]);
                if made as u64 > room {
                    body.feed(&out[..room as usize], sink);
                    return Err(InflateStop::Limit);
                }
                body.feed(out, sink);
            }
            if status == Status::StreamEnd {
                // The sender closed the deflate stream (BFINAL); what follows starts a new one.
                // (The window check has read the same bytes and found the stream's end itself.)
                z.reset(false);
                self.hist.clear();
                if input.is_empty() {
                    return Ok(());
                }
                continue;
            }
            if input.is_empty() && made < out_buf.len() {
                return Ok(());
            }
            if used == 0 && made == 0 {
                return Ok(());
            }
        }
    }
}
