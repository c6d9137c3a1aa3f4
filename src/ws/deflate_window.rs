//! How far back a permessage-deflate sender reaches. RFC 7692 §7.1.2 lets the peers agree on
//! an LZ77 window smaller than deflate's 32 KiB (`*_max_window_bits` below 15), so that a
//! receiver may keep only that much history. A sender that refers further back breaks the
//! agreement, yet zlib (and zlib-rs, whose window is always 32 KiB) inflates such a stream
//! without complaint: a peer with a smaller window would fail where wslens shows success.
//!
//! This reads the deflate stream's structure (RFC 1951: block headers, Huffman codes, length
//! and distance codes) beside the inflater, produces no output, and remembers the longest
//! distance beyond the window. It runs only on directions that negotiated a window smaller
//! than 32 KiB, so the common case pays nothing. Input arrives in pieces of any size: a unit
//! (a block header, one length/distance pair) that is cut short is read again from its start
//! when more bytes come; only the bytes after the last complete unit are kept.

/// Longest a dynamic block header can be (HLIT 286 + HDIST 30 code lengths at 7 bits plus
/// extra bits, 19 × 3 bits, 14 bits), rounded up: more pending bytes than this without a
/// complete unit means the stream is not deflate.
const MAX_PENDING: usize = 1024;

const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u32; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
/// The order in which a dynamic header lists the code-length code's lengths.
const CL_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// A canonical Huffman code as counts per length and symbols in code order (as zlib's puff
/// decodes it: slow but small, fine for the rare streams checked).
struct Huffman {
    count: [u16; 16],
    symbol: Vec<u16>,
}

impl Huffman {
    /// None: the lengths do not form a usable code (over-subscribed).
    fn new(lengths: &[u8]) -> Option<Huffman> {
        let mut count = [0u16; 16];
        for &l in lengths {
            count[usize::from(l)] += 1;
        }
        let mut left: i32 = 1;
        for &c in &count[1..] {
            left = (left << 1) - i32::from(c);
            if left < 0 {
                return None;
            }
        }
        let mut offs = [0u16; 16];
        for len in 1..15 {
            offs[len + 1] = offs[len] + count[len];
        }
        let mut symbol = vec![0u16; lengths.len()];
        for (sym, &l) in lengths.iter().enumerate() {
            if l != 0 {
                let o = &mut offs[usize::from(l)];
                symbol[usize::from(*o)] = sym as u16;
                *o += 1;
            }
        }
        count[0] = 0;
        Some(Huffman { count, symbol })
    }

    fn fixed() -> (Huffman, Huffman) {
        let mut lit = [8u8; 288];
        lit[144..256].fill(9);
        lit[256..280].fill(7);
        let lit = Huffman::new(&lit).expect("the fixed code is complete");
        let dist = Huffman::new(&[5u8; 30]).expect("the fixed code is complete");
        (lit, dist)
    }
}

/// Why reading stopped inside a unit.
enum Stop {
    /// The unit continues in bytes not yet given.
    More,
    /// The bytes are not a deflate stream (the inflater will say so; checking stops).
    Invalid,
}

/// Bits of the pending bytes, least significant first (RFC 1951 §3.1.1).
struct Bits<'a> {
    data: &'a [u8],
    /// Position in bits from the start of `data`.
    pos: usize,
}

impl Bits<'_> {
    fn bits(&mut self, n: u8) -> Result<u32, Stop> {
        let mut v = 0u32;
        for i in 0..n {
            let byte = *self.data.get(self.pos >> 3).ok_or(Stop::More)?;
            v |= u32::from((byte >> (self.pos & 7)) & 1) << i;
            self.pos += 1;
        }
        Ok(v)
    }

    fn decode(&mut self, h: &Huffman) -> Result<u16, Stop> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= self.bits(1)? as i32;
            let count = i32::from(h.count[len]);
            if code - count < first {
                return h
                    .symbol
                    .get((index + code - first) as usize)
                    .copied()
                    .ok_or(Stop::Invalid);
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err(Stop::Invalid)
    }

    fn align(&mut self) {
        self.pos = (self.pos + 7) & !7;
    }
}

enum State {
    /// At a block header (or, after a final block, at the next stream's first byte).
    Header,
    /// Inside a stored block: this many bytes to pass over.
    Stored(u32),
    /// Inside a compressed block (final or not), with its codes.
    Codes {
        last: bool,
        lit: Huffman,
        dist: Huffman,
    },
    /// The bytes were not deflate: nothing more is checked.
    Off,
}

pub(crate) struct WindowCheck {
    /// The agreed window in bytes (2^bits).
    window: u32,
    pending: Vec<u8>,
    /// Bits of `pending[0]` already read.
    bit: u8,
    state: State,
    /// The longest distance beyond the window since last taken.
    over: u32,
}

impl WindowCheck {
    /// A check for a sender that agreed to `bits` window bits; None when the window is the
    /// whole of deflate's (15) and nothing can reach beyond it.
    pub fn new(bits: u8) -> Option<WindowCheck> {
        (bits < 15).then(|| WindowCheck {
            window: 1 << bits.max(8),
            pending: Vec::new(),
            bit: 0,
            state: State::Header,
            over: 0,
        })
    }

    /// A new deflate stream starts (the inflater was reset).
    pub fn reset(&mut self) {
        self.pending.clear();
        self.bit = 0;
        if !matches!(self.state, State::Off) {
            self.state = State::Header;
        }
    }

    /// The longest distance beyond the window seen since the last call, if any.
    pub fn take_over(&mut self) -> Option<u32> {
        let o = std::mem::take(&mut self.over);
        (o > 0).then_some(o)
    }

    /// Read the next compressed bytes of the stream.
    pub fn feed(&mut self, input: &[u8]) {
        if matches!(self.state, State::Off) || input.is_empty() {
            return;
        }
        // Stored bytes are passed over without being kept.
        if let State::Stored(left) = &mut self.state
            && self.pending.is_empty()
        {
            let k = (*left as usize).min(input.len());
            *left -= k as u32;
            if *left == 0 {
                self.state = State::Header;
            }
            if k == input.len() {
                return;
            }
            self.pending.extend_from_slice(&input[k..]);
        } else {
            self.pending.extend_from_slice(input);
        }
        let mut pending = std::mem::take(&mut self.pending);
        let mut r = Bits {
            data: &pending,
            pos: usize::from(self.bit),
        };
        let done = self.run(&mut r);
        let used = done >> 3;
        pending.drain(..used.min(pending.len()));
        self.bit = (done & 7) as u8;
        if pending.len() > MAX_PENDING {
            self.state = State::Off;
        }
        if matches!(self.state, State::Off) {
            pending = Vec::new();
        }
        self.pending = pending;
    }

    /// Read whole units; returns the bit position after the last complete one.
    fn run(&mut self, r: &mut Bits) -> usize {
        loop {
            let start = r.pos;
            let step = match std::mem::replace(&mut self.state, State::Off) {
                State::Off => return start,
                State::Header => self.header(r),
                State::Stored(left) => {
                    let have = (r.data.len() - (r.pos >> 3)) as u32;
                    let k = left.min(have);
                    r.pos += 8 * k as usize;
                    self.state = if k == left {
                        State::Header
                    } else {
                        State::Stored(left - k)
                    };
                    if k < left {
                        return r.pos;
                    }
                    Ok(())
                }
                State::Codes { last, lit, dist } => {
                    let res = self.symbol(r, &lit, &dist);
                    match res {
                        Ok(true) => {
                            if last {
                                // The stream ended; what follows starts a new one, on a byte.
                                r.align();
                            }
                            self.state = State::Header;
                        }
                        Ok(false) => self.state = State::Codes { last, lit, dist },
                        Err(Stop::More) => {
                            self.state = State::Codes { last, lit, dist };
                            return start;
                        }
                        Err(Stop::Invalid) => {}
                    }
                    res.map(|_| ())
                }
            };
            match step {
                Ok(()) => {}
                Err(Stop::More) => {
                    if matches!(self.state, State::Off) {
                        self.state = State::Header;
                    }
                    return start;
                }
                Err(Stop::Invalid) => {
                    self.state = State::Off;
                    return start;
                }
            }
        }
    }

    /// One literal, end of block or length/distance pair; Ok(true) at the end of the block.
    fn symbol(&mut self, r: &mut Bits, lit: &Huffman, dist: &Huffman) -> Result<bool, Stop> {
        let sym = r.decode(lit)?;
        if sym < 256 {
            return Ok(false);
        }
        if sym == 256 {
            return Ok(true);
        }
        let l = usize::from(sym - 257);
        r.bits(*LEN_EXTRA.get(l).ok_or(Stop::Invalid)?)?;
        let d = usize::from(r.decode(dist)?);
        let base = *DIST_BASE.get(d).ok_or(Stop::Invalid)?;
        let distance = base + r.bits(DIST_EXTRA[d])?;
        if distance > self.window {
            self.over = self.over.max(distance);
        }
        Ok(false)
    }

    /// A block header; sets the state for the block's body.
    fn header(&mut self, r: &mut Bits) -> Result<(), Stop> {
        let last = r.bits(1)? == 1;
        match r.bits(2)? {
            0 => {
                r.align();
                let len = r.bits(16)?;
                let nlen = r.bits(16)?;
                if len != !nlen & 0xffff {
                    return Err(Stop::Invalid);
                }
                // A final stored block ends the stream on a byte boundary already.
                self.state = State::Stored(len);
            }
            1 => {
                let (lit, dist) = Huffman::fixed();
                self.state = State::Codes { last, lit, dist };
            }
            2 => {
                let (lit, dist) = dynamic_codes(r)?;
                self.state = State::Codes { last, lit, dist };
            }
            _ => return Err(Stop::Invalid),
        }
        Ok(())
    }
}

/// The literal/length and distance codes of a dynamic block (RFC 1951 §3.2.7).
fn dynamic_codes(r: &mut Bits) -> Result<(Huffman, Huffman), Stop> {
    let nlen = r.bits(5)? as usize + 257;
    let ndist = r.bits(5)? as usize + 1;
    let ncode = r.bits(4)? as usize + 4;
    if nlen > 286 || ndist > 30 {
        return Err(Stop::Invalid);
    }
    let mut cl = [0u8; 19];
    for &i in &CL_ORDER[..ncode] {
        cl[i] = r.bits(3)? as u8;
    }
    let clcode = Huffman::new(&cl).ok_or(Stop::Invalid)?;
    let mut lengths = vec![0u8; nlen + ndist];
    let mut i = 0;
    while i < nlen + ndist {
        let sym = r.decode(&clcode)?;
        let (value, times) = match sym {
            0..=15 => (sym as u8, 1),
            16 => {
                let prev = *lengths.get(i.wrapping_sub(1)).ok_or(Stop::Invalid)?;
                (prev, 3 + r.bits(2)? as usize)
            }
            17 => (0, 3 + r.bits(3)? as usize),
            _ => (0, 11 + r.bits(7)? as usize),
        };
        let end = i + times;
        lengths.get_mut(i..end).ok_or(Stop::Invalid)?.fill(value);
        i = end;
    }
    let lit = Huffman::new(&lengths[..nlen]).ok_or(Stop::Invalid)?;
    let dist = Huffman::new(&lengths[nlen..]).ok_or(Stop::Invalid)?;
    Ok((lit, dist))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compress, Compression, FlushCompress};

    /// Raw deflate of `data` as one sync-flushed piece, with a 32 KiB window.
    fn deflate(z: &mut Compress, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() + 1024);
        z.compress_vec(data, &mut out, FlushCompress::Sync)
            .expect("deflate");
        out
    }

    /// Bytes no compressor can shorten, so a repeat of them must be a long back-reference.
    fn noise(n: usize, seed: u32) -> Vec<u8> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    }

    fn check_in_pieces(stream: &[u8], bits: u8, piece: usize) -> Option<u32> {
        let mut c = WindowCheck::new(bits).unwrap();
        for p in stream.chunks(piece) {
            c.feed(p);
        }
        c.take_over()
    }

    #[test]
    fn a_reference_beyond_the_window_is_found_in_any_split() {
        let mut z = Compress::new(Compression::default(), false);
        let head = noise(3000, 7);
        let mut msg = head.clone();
        msg.extend_from_slice(&head[..200]);
        let stream = deflate(&mut z, &msg);
        for piece in [1, 2, 3, 7, 64, 4096] {
            let over = check_in_pieces(&stream, 10, piece).expect("seen");
            assert_eq!(over, 3000, "piece {piece}");
        }
        // With a window the distance fits in, nothing is claimed.
        assert_eq!(check_in_pieces(&stream, 12, 5), None);
    }

    #[test]
    fn references_within_the_window_are_not_flagged() {
        let mut z = Compress::new_with_window_bits(Compression::best(), false, 9);
        let mut c = WindowCheck::new(9).unwrap();
        for i in 0..20 {
            let mut msg = noise(400, i);
            msg.extend_from_slice(&msg.clone()[..300]);
            msg.extend_from_slice(b"the same words again and again and again");
            c.feed(&deflate(&mut z, &msg));
        }
        assert_eq!(c.take_over(), None);
        assert!(!matches!(c.state, State::Off), "read to the end");
    }

    #[test]
    fn a_reference_into_an_earlier_message_counts_its_distance() {
        // Context takeover: the second message repeats the first, 2,000 bytes back.
        let mut z = Compress::new(Compression::default(), false);
        let first = noise(2000, 3);
        let mut c = WindowCheck::new(9).unwrap();
        c.feed(&deflate(&mut z, &first));
        assert_eq!(c.take_over(), None);
        c.feed(&deflate(&mut z, &first[..100]));
        assert_eq!(c.take_over(), Some(2000));
    }

    #[test]
    fn garbage_turns_the_check_off_without_claims() {
        let mut c = WindowCheck::new(10).unwrap();
        c.feed(&[0xff; 2000]);
        assert_eq!(c.take_over(), None);
        assert!(matches!(c.state, State::Off));
        assert!(c.pending.is_empty());
        c.feed(&[1, 2, 3]);
        assert!(c.pending.is_empty());
    }

    #[test]
    fn a_full_window_needs_no_check() {
        assert!(WindowCheck::new(15).is_none());
    }

    proptest::proptest! {
        /// Any bytes in any split: no panic, and what is kept stays bounded.
        #[test]
        fn any_bytes_are_read_safely(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..4000),
            piece in 1usize..600,
            bits in 8u8..15,
        ) {
            let mut c = WindowCheck::new(bits).unwrap();
            for p in bytes.chunks(piece) {
                c.feed(p);
                proptest::prop_assert!(c.pending.len() <= MAX_PENDING);
            }
            let _ = c.take_over();
        }
    }
}
