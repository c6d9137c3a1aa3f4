//! Passive reassembly of one direction's byte stream.
//!
//! In-order segments (the common case) are handed on without copying. Segments from the future
//! wait in a bounded map keyed by 64-bit stream offset (sequence numbers are unwrapped relative
//! to the delivery point, so wraparound is invisible above this module). Bytes already delivered
//! are trimmed, so retransmissions and overlaps deliver nothing twice (docs/tcp.md says which
//! copy of an overlap is delivered; copies that disagree are reported). When the capture missed bytes for good, the hole is reported as a gap and delivery
//! resumes after it.

use std::collections::BTreeMap;

/// What `Reasm` asks its caller to do, in order.
pub trait Deliver {
    fn data(&mut self, bytes: &[u8]);
    fn gap(&mut self, len: u64);
}

#[derive(Debug, Default)]
pub struct Reasm {
    /// Sequence number of the next byte to deliver (valid once `started`).
    next_seq: u32,
    started: bool,
    /// Stream offset of `next_seq`.
    next_off: u64,
    /// Stream offset at which a FIN was seen.
    fin_off: Option<u64>,
    /// The rest, made when the stream's first bytes arrive: a direction that never carries
    /// any (a lone SYN, a flood of them, a closed connection) costs no more than the fields
    /// above (docs/security.md: bytes per connection).
    more: Option<Box<More>>,
}

/// What a stream with data needs beyond where it is.
#[derive(Debug)]
struct More {
    /// Out-of-order data waiting for the hole before it, by stream offset.
    held: BTreeMap<u64, Vec<u8>>,
    held_bytes: usize,
    /// The last bytes delivered (ending at `next_off`), to compare retransmissions against:
    /// delivered data is not kept, so only a retransmission's overlap with these is checked.
    tail: [u8; TAIL],
    /// The first stream offset seen with two different contents, not yet reported.
    conflict: Option<u64>,
}

impl Default for More {
    fn default() -> Self {
        More {
            held: BTreeMap::new(),
            held_bytes: 0,
            tail: [0; TAIL],
            conflict: None,
        }
    }
}

/// Delivered bytes remembered per direction for the overlap check. Retransmissions repeat the
/// latest segments, so their last bytes fall here; 64 bytes cost little per connection and one
/// short copy per segment.
const TAIL: usize = 64;

fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    if a == b {
        return None;
    }
    a.iter().zip(b).position(|(x, y)| x != y)
}

/// Limits that the caller passes in (from `Limits`).
#[derive(Clone, Copy, Debug)]
pub struct ReasmLimits {
    pub bytes: usize,
    pub segments: usize,
}

/// What happened to a segment, for the caller's notes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SegOutcome {
    /// Held for later because bytes before it are missing.
    pub held: bool,
    /// A hole was given up on to stay within the limits.
    pub overflow: bool,
}

impl Reasm {
    /// The first sequence number of the stream is `seq` (after the SYN, or the first seen).
    pub fn start(&mut self, seq: u32) {
        if !self.started {
            self.started = true;
            self.next_seq = seq;
            self.next_off = 0;
        }
    }

    pub fn started(&self) -> bool {
        self.started
    }

    /// Stream offset of the next byte to deliver.
    pub fn delivered(&self) -> u64 {
        self.next_off
    }

    pub fn next_seq(&self) -> u32 {
        self.next_seq
    }

    pub fn held_bytes(&self) -> usize {
        self.more.as_ref().map_or(0, |m| m.held_bytes)
    }

    #[inline]
    fn more(&mut self) -> &mut More {
        if self.more.is_none() {
            self.make_more();
        }
        self.more.as_deref_mut().expect("made above")
    }

    /// Once per direction with data: kept out of the per-segment path.
    #[cold]
    #[inline(never)]
    fn make_more(&mut self) {
        self.more = Some(Box::default());
    }

    /// No segment is held.
    fn nothing_held(&self) -> bool {
        self.more.as_ref().is_none_or(|m| m.held.is_empty())
    }

    /// The first held segment's offset.
    fn first_held(&self) -> Option<u64> {
        self.more.as_ref()?.held.first_key_value().map(|(&k, _)| k)
    }

    /// The stream offset of bytes seen twice with different contents since last asked (a
    /// retransmission or overlap that disagrees with the copy delivered or held).
    pub fn take_conflict(&mut self) -> Option<u64> {
        self.more.as_mut()?.conflict.take()
    }

    fn conflict_at(&mut self, off: u64) {
        self.more().conflict.get_or_insert(off);
    }

    /// Compare `bytes`, at stream offset `off`, with what of them was delivered and is still
    /// remembered in the tail.
    fn check_delivered(&mut self, off: u64, bytes: &[u8]) {
        let kept = self.next_off.min(TAIL as u64);
        let from = (self.next_off - kept).max(off);
        let to = self.next_off.min(off + bytes.len() as u64);
        if from >= to {
            return;
        }
        let t0 = (from - (self.next_off - kept)) as usize + (TAIL - kept as usize);
        let n = (to - from) as usize;
        let b0 = (from - off) as usize;
        if let Some(i) = first_difference(&self.more().tail[t0..t0 + n], &bytes[b0..b0 + n]) {
            self.conflict_at(from + i as u64);
        }
    }

    /// Compare `bytes`, at stream offset `off`, with the held copies they overlap.
    fn check_held(&mut self, off: u64, bytes: &[u8]) {
        let end = off + bytes.len() as u64;
        let mut found = None;
        let Some(more) = &self.more else { return };
        // Held copies may overlap each other: look at a few of those starting before the end.
        for (&k, v) in more.held.range(..end).rev().take(8) {
            let (from, to) = (k.max(off), end.min(k + v.len() as u64));
            if from < to {
                let a = &v[(from - k) as usize..(to - k) as usize];
                let b = &bytes[(from - off) as usize..(to - off) as usize];
                if let Some(i) = first_difference(a, b) {
                    let at = from + i as u64;
                    found = Some(found.map_or(at, |f: u64| f.min(at)));
                }
            }
        }
        if let Some(at) = found {
            self.conflict_at(at);
        }
    }

    /// Stream offset for a sequence number near the delivery point.
    fn offset_of(&self, seq: u32) -> i64 {
        self.next_off as i64 + (seq.wrapping_sub(self.next_seq) as i32) as i64
    }

    /// A segment carrying `payload` at `seq`. `fin`: the segment also carries FIN.
    pub fn segment(
        &mut self,
        seq: u32,
        payload: &[u8],
        fin: bool,
        lim: ReasmLimits,
        out: &mut dyn Deliver,
    ) -> SegOutcome {
        let mut outcome = SegOutcome::default();
        if !self.started {
            self.start(seq);
        }
        let off = self.offset_of(seq);
        if fin {
            let end = off + payload.len() as i64;
            if end >= self.next_off as i64 && self.fin_off.is_none() {
                self.fin_off = Some(end as u64);
            }
        }
        if payload.is_empty() {
            return outcome;
        }
        let end = off + payload.len() as i64;
        if end <= self.next_off as i64 {
            // All of it delivered before.
            if end > 0 {
                let from = off.max(0);
                let skip = (from - off) as usize;
                self.check_delivered(from as u64, &payload[skip..]);
            }
            return outcome;
        }
        if off <= self.next_off as i64 {
            let skip = (self.next_off as i64 - off) as usize;
            // (Bytes before the stream's start, at negative offsets, were never delivered.)
            let before = off.min(0).unsigned_abs() as usize;
            if skip > before {
                self.check_delivered(off.max(0) as u64, &payload[before..skip]);
            }
            if !self.nothing_held() {
                self.check_held(self.next_off, &payload[skip..]);
            }
            self.advance(&payload[skip..], out);
            self.drain(out);
            return outcome;
        }
        // From the future: hold a copy, bounded.
        let off = off as u64;
        let full =
            |m: &mut More| m.held.len() >= lim.segments || m.held_bytes + payload.len() > lim.bytes;
        if full(self.more()) {
            outcome.overflow = true;
            self.skip_to_first_held(out);
            if full(self.more()) {
                // Still no room: give up the hole in front of this segment too.
                self.gap_to(off, out);
                self.advance(payload, out);
                self.drain(out);
                return outcome;
            }
        }
        self.check_held(off, payload);
        let m = self.more();
        match m.held.get(&off) {
            Some(v) if v.len() >= payload.len() => {}
            _ => {
                if let Some(old) = m.held.insert(off, payload.to_vec()) {
                    m.held_bytes -= old.len();
                }
                m.held_bytes += payload.len();
            }
        }
        outcome.held = true;
        outcome
    }

    /// The receiver acknowledged up to `ack`: bytes before it that we never saw are lost to the
    /// capture, so stop waiting for them.
    pub fn acked(&mut self, ack: u32, out: &mut dyn Deliver) {
        if !self.started {
            return;
        }
        let off = self.offset_of(ack);
        if off > self.next_off as i64 {
            let mut target = off as u64;
            // A FIN consumes a sequence number but is no byte of the stream.
            if let Some(f) = self.fin_off
                && target > f
            {
                target = f;
            }
            while let Some(first) = self.first_held() {
                if first >= target {
                    break;
                }
                self.gap_to(first, out);
                self.drain(out);
            }
            if target > self.next_off {
                self.gap_to(target, out);
                self.drain(out);
            }
        }
    }

    /// The stream ends: deliver what is held, with gaps for what never came.
    pub fn finish(&mut self, out: &mut dyn Deliver) {
        while !self.nothing_held() {
            self.skip_to_first_held(out);
        }
    }

    fn skip_to_first_held(&mut self, out: &mut dyn Deliver) {
        if let Some(first) = self.first_held() {
            self.gap_to(first, out);
            self.drain(out);
        }
    }

    fn gap_to(&mut self, off: u64, out: &mut dyn Deliver) {
        if off > self.next_off {
            let len = off - self.next_off;
            out.gap(len);
            self.next_off = off;
            self.next_seq = self.next_seq.wrapping_add(len as u32);
        }
    }

    fn advance(&mut self, bytes: &[u8], out: &mut dyn Deliver) {
        if bytes.is_empty() {
            return;
        }
        out.data(bytes);
        let tail = &mut self.more().tail;
        if bytes.len() >= TAIL {
            tail.copy_from_slice(&bytes[bytes.len() - TAIL..]);
        } else {
            tail.copy_within(bytes.len().., 0);
            tail[TAIL - bytes.len()..].copy_from_slice(bytes);
        }
        self.next_off += bytes.len() as u64;
        self.next_seq = self.next_seq.wrapping_add(bytes.len() as u32);
    }

    /// Deliver held segments that have become contiguous.
    fn drain(&mut self, out: &mut dyn Deliver) {
        loop {
            let next_off = self.next_off;
            let Some(m) = self.more.as_mut() else { return };
            let Some(entry) = m.held.first_entry() else {
                return;
            };
            let off = *entry.key();
            if off > next_off {
                break;
            }
            let bytes = entry.remove();
            m.held_bytes -= bytes.len();
            let end = off + bytes.len() as u64;
            let skip = (self.next_off - off) as usize;
            self.check_delivered(off, &bytes[..skip.min(bytes.len())]);
            if end > self.next_off {
                self.advance(&bytes[skip..], out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Default, Debug, PartialEq)]
    struct Collect {
        bytes: Vec<u8>,
        gaps: Vec<u64>,
    }
    impl Deliver for Collect {
        fn data(&mut self, b: &[u8]) {
            self.bytes.extend_from_slice(b);
        }
        fn gap(&mut self, len: u64) {
            self.gaps.push(len);
            self.bytes.extend(std::iter::repeat_n(b'?', len as usize));
        }
    }

    const LIM: ReasmLimits = ReasmLimits {
        bytes: 1 << 20,
        segments: 1000,
    };

    #[test]
    fn in_order_out_of_order_and_retransmitted() {
        let mut r = Reasm::default();
        let mut c = Collect::default();
        r.start(1000);
        r.segment(1000, b"hello ", false, LIM, &mut c);
        let o = r.segment(1011, b"!", false, LIM, &mut c);
        assert!(o.held);
        r.segment(1006, b"world", false, LIM, &mut c);
        r.segment(1000, b"hello world", false, LIM, &mut c);
        assert_eq!(c.bytes, b"hello world!");
        assert!(c.gaps.is_empty());
    }

    /// A direction that carries no data (a lone SYN, bare ACKs, a FIN) boxes nothing: the
    /// flow table's entry is all it costs. Its first bytes make the box.
    #[test]
    fn a_stream_without_data_boxes_nothing() {
        let mut r = Reasm::default();
        let mut c = Collect::default();
        r.start(1000);
        r.acked(1000, &mut c);
        r.segment(1000, b"", true, LIM, &mut c);
        r.finish(&mut c);
        assert!(r.more.is_none());
        assert_eq!((r.held_bytes(), r.take_conflict()), (0, None));
        // An acknowledgement beyond bytes never seen is a gap, still with nothing boxed.
        let mut r = Reasm::default();
        r.start(1000);
        r.acked(1010, &mut c);
        assert_eq!(c.gaps, [10]);
        assert!(r.more.is_none());
        r.segment(1010, b"x", false, LIM, &mut c);
        assert!(r.more.is_some());
    }

    #[test]
    fn sequence_numbers_wrap_around() {
        let mut r = Reasm::default();
        let mut c = Collect::default();
        let isn = u32::MAX - 3;
        r.start(isn);
        r.segment(isn.wrapping_add(6), b"ghij", false, LIM, &mut c);
        r.segment(isn, b"abcdef", false, LIM, &mut c);
        assert_eq!(c.bytes, b"abcdefghij");
        assert_eq!(r.delivered(), 10);
    }

    #[test]
    fn ack_beyond_missing_bytes_reports_a_gap_and_resyncs() {
        let mut r = Reasm::default();
        let mut c = Collect::default();
        r.start(0);
        r.segment(0, b"ab", false, LIM, &mut c);
        r.segment(5, b"fg", false, LIM, &mut c);
        r.acked(7, &mut c);
        assert_eq!(c.gaps, vec![3]);
        assert_eq!(c.bytes, b"ab???fg");
        r.segment(7, b"h", false, LIM, &mut c);
        assert_eq!(c.bytes, b"ab???fgh");
    }

    #[test]
    fn limits_bound_what_is_held() {
        let mut r = Reasm::default();
        let mut c = Collect::default();
        let lim = ReasmLimits {
            bytes: 8,
            segments: 2,
        };
        r.start(0);
        for i in 0..100u32 {
            r.segment(10 + i * 4, b"xxxx", false, lim, &mut c);
            assert!(r.held_bytes() <= 8);
        }
        r.finish(&mut c);
        assert!(!c.gaps.is_empty());
    }

    /// Overlaps that disagree are found against delivered bytes (in the tail), against held
    /// ones, and when held ones are trimmed; which copy wins is what docs/tcp.md says.
    #[test]
    fn disagreeing_overlaps_are_reported_and_the_documented_copy_wins() {
        // A retransmission of delivered bytes: the first copy stays.
        let mut r = Reasm::default();
        let mut c = Collect::default();
        r.start(0);
        r.segment(0, b"GET /aaaa", false, LIM, &mut c);
        assert_eq!(r.take_conflict(), None);
        r.segment(0, b"GET /bbbbbbbb", false, LIM, &mut c);
        assert_eq!(r.take_conflict(), Some(5));
        assert_eq!(c.bytes, b"GET /aaaabbbb");
        // The same bytes again: no conflict.
        r.segment(2, b"T /aaaabb", false, LIM, &mut c);
        assert_eq!(r.take_conflict(), None);

        // Two held copies: the one starting earlier wins where they overlap, whatever the
        // order they came in; and arriving in-order data wins over a held copy.
        let mut r = Reasm::default();
        let mut c = Collect::default();
        r.start(0);
        r.segment(6, b"XYZW", false, LIM, &mut c);
        r.segment(4, b"efgh", false, LIM, &mut c);
        assert_eq!(r.take_conflict(), Some(6));
        r.segment(0, b"abcde", false, LIM, &mut c);
        // Trimming the later held copy meets the same disagreement again.
        assert_eq!(r.take_conflict(), Some(6));
        r.finish(&mut c);
        assert_eq!(c.bytes, b"abcdefghZW");
        let mut r = Reasm::default();
        let mut c = Collect::default();
        r.start(0);
        r.segment(3, b"XXXX", false, LIM, &mut c);
        r.segment(0, b"abcdef", false, LIM, &mut c);
        assert_eq!(r.take_conflict(), Some(3));
        r.finish(&mut c);
        assert_eq!(c.bytes, b"abcdefX");
    }

    proptest! {
        /// Whatever the order, duplication and overlap of segments, the stream is the same.
        #[test]
        fn any_order_yields_the_same_stream(
            data in proptest::collection::vec(any::<u8>(), 1..400),
            cuts in proptest::collection::vec((0usize..400, 1usize..60), 1..40),
            isn in any::<u32>(),
            seed in any::<u64>(),
        ) {
            // segments: a cover of the data plus random overlapping pieces
            let mut segs: Vec<(usize, usize)> = Vec::new();
            let mut pos = 0;
            for &(_, len) in &cuts {
                if pos >= data.len() { break; }
                let end = (pos + len).min(data.len());
                segs.push((pos, end));
                pos = end;
            }
            if pos < data.len() { segs.push((pos, data.len())); }
            for &(start, len) in &cuts {
                let s = start % data.len();
                segs.push((s, (s + len).min(data.len())));
            }
            // shuffle deterministically
            let mut x = seed | 1;
            for i in (1..segs.len()).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                segs.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let mut r = Reasm::default();
            let mut c = Collect::default();
            r.start(isn);
            for (s, e) in segs {
                r.segment(isn.wrapping_add(s as u32), &data[s..e], false, LIM, &mut c);
                // Copies of the same bytes never disagree, however they overlap.
                prop_assert_eq!(r.take_conflict(), None);
            }
            r.finish(&mut c);
            prop_assert!(c.gaps.is_empty());
            prop_assert_eq!(c.bytes, data);
        }
    }
}
