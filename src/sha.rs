//! SHA-256 of message payloads, several messages at a time where the processor allows.
//!
//! Every `ws_message` carries the SHA-256 of its payload, and on bulk traffic that hashing is
//! most of the work. The SHA-NI round instruction has a latency several times its issue rate,
//! so one message's blocks, each depending on the one before, leave the unit idle most of the
//! time. Independent messages compressed in lock step fill those gaps: on the machine measured
//! (docs/performance.md) two double the bytes hashed per second per core.
//! [`update_lanes`] schedules any number of streams onto such lanes.

const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

type Block = [u8; 64];

/// SHA-256 of `bytes`, in one call to the compression function over the whole blocks and one
/// for the padded tail: for the short payloads of most messages several times cheaper than the
/// buffering of a streaming hasher.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut state = IV;
    let (blocks, rest) = bytes.as_chunks::<64>();
    sha2::block_api::compress256(&mut state, blocks);
    finish(state, rest, bytes.len() as u64)
}

/// The digest after the padded tail: `rest` (under 64 bytes), a 1 bit, zeros, and the length in
/// bits; one block, or two when it does not fit.
fn finish(mut state: [u32; 8], rest: &[u8], len: u64) -> [u8; 32] {
    let mut tail = [[0u8; 64]; 2];
    let flat = tail.as_flattened_mut();
    flat[..rest.len()].copy_from_slice(rest);
    flat[rest.len()] = 0x80;
    let n = if rest.len() < 56 { 1 } else { 2 };
    flat[64 * n - 8..64 * n].copy_from_slice(&len.wrapping_mul(8).to_be_bytes());
    sha2::block_api::compress256(&mut state, &tail[..n]);
    let mut out = [0u8; 32];
    for (o, w) in out.chunks_exact_mut(4).zip(state) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// A payload being hashed as its bytes come.
#[derive(Clone)]
pub struct Stream {
    state: [u32; 8],
    /// The bytes of an incomplete block.
    buf: Block,
    buf_len: usize,
    len: u64,
}

impl Default for Stream {
    fn default() -> Self {
        Stream {
            state: IV,
            buf: [0; 64],
            buf_len: 0,
            len: 0,
        }
    }
}

impl Stream {
    pub fn update(&mut self, bytes: &[u8]) {
        let (blocks, _) = self.absorb(bytes, [0; 4]);
        sha2::block_api::compress256(&mut self.state, blocks);
    }

    /// Take `bytes` in, still masked with `mask` (aligned to `bytes[0]`; zeros when not
    /// masked): a partial block is completed from them (and compressed) first, and a tail under
    /// a block is kept for later, both unmasked. The whole blocks in between are returned as
    /// they are, with the mask aligned to their start, for the caller to compress before
    /// anything else goes into this stream.
    fn absorb<'a>(&mut self, bytes: &'a [u8], mut mask: [u8; 4]) -> (&'a [Block], [u8; 4]) {
        self.len += bytes.len() as u64;
        let mut bytes = bytes;
        if self.buf_len > 0 {
            let take = (64 - self.buf_len).min(bytes.len());
            let part = &mut self.buf[self.buf_len..self.buf_len + take];
            part.copy_from_slice(&bytes[..take]);
            crate::ws::unmask(part, mask, 0);
            mask.rotate_left(take % 4);
            self.buf_len += take;
            bytes = &bytes[take..];
            if self.buf_len < 64 {
                return (&[], mask);
            }
            sha2::block_api::compress256(&mut self.state, &[self.buf]);
            self.buf_len = 0;
        }
        let (blocks, rest) = bytes.as_chunks::<64>();
        self.buf[..rest.len()].copy_from_slice(rest);
        // Whole blocks leave the key's alignment as it was.
        crate::ws::unmask(&mut self.buf[..rest.len()], mask, 0);
        self.buf_len = rest.len();
        (blocks, mask)
    }

    pub fn finish(&self) -> [u8; 32] {
        finish(self.state, &self.buf[..self.buf_len], self.len)
    }
}

/// Compress `blocks[i]`, still masked with `masks[i]` (zeros: not masked), into `states[i]`, all
/// lanes together (the slices are as long).
fn compress_lanes<const N: usize>(
    states: [&mut [u32; 8]; N],
    blocks: [&[Block]; N],
    masks: [[u8; 4]; N],
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("sha")
        && std::arch::is_x86_feature_detected!("sse4.1")
        && std::arch::is_x86_feature_detected!("ssse3")
    {
        // SAFETY: the instructions the function is compiled for are present, as just checked.
        unsafe { ni::compress_lanes(states, blocks, masks) };
        return;
    }
    for ((s, b), m) in states.into_iter().zip(blocks).zip(masks) {
        if m == [0; 4] {
            sha2::block_api::compress256(s, b);
            continue;
        }
        for b in b {
            let mut b = *b;
            crate::ws::unmask(&mut b, m, 0);
            sha2::block_api::compress256(s, &[b]);
        }
    }
}

/// Bytes to hash, possibly still masked (RFC 6455 §5.3) with `mask`, aligned to `bytes[0]`
/// (zeros when they are not: XOR with a zero key changes nothing). The compression function
/// unmasks each block as it loads it, so a masked payload is neither copied nor written before
/// it is hashed.
#[derive(Clone, Copy)]
pub struct Piece<'a> {
    pub bytes: &'a [u8],
    pub mask: [u8; 4],
}

impl<'a> From<&'a [u8]> for Piece<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Piece {
            bytes,
            mask: [0; 4],
        }
    }
}

/// A stream and the pieces to feed it, in order.
pub struct Job<'a> {
    pub stream: Stream,
    pieces: std::vec::IntoIter<Piece<'a>>,
    /// Whole blocks taken from the pieces and not yet compressed, and the mask aligned to them.
    ready: &'a [Block],
    mask: [u8; 4],
}

impl<'a> Job<'a> {
    pub fn new(stream: Stream, pieces: Vec<Piece<'a>>) -> Self {
        Job {
            stream,
            pieces: pieces.into_iter(),
            ready: &[],
            mask: [0; 4],
        }
    }

    /// Refill `ready` with the next run of whole blocks straight from the pieces (a block that
    /// straddles two pieces goes through the stream's buffer). False when the pieces are used
    /// up.
    fn refill(&mut self) -> bool {
        while self.ready.is_empty() {
            let Some(piece) = self.pieces.next() else {
                return false;
            };
            (self.ready, self.mask) = self.stream.absorb(piece.bytes, piece.mask);
        }
        true
    }
}

/// Feed every job its pieces, two jobs at a time. Two lanes double the throughput of
/// one; three add about a tenth on blocks in cache, but made decoding bench-bulk slower, not
/// faster (docs/performance.md).
pub fn update_lanes(jobs: &mut [Job<'_>]) {
    // Lanes take jobs in order; a lane whose job runs dry takes the next one.
    let mut next = 0;
    let mut lanes: [Option<usize>; 2] = [None; 2];
    loop {
        for lane in &mut lanes {
            while let Some(i) = *lane {
                if jobs[i].refill() {
                    break;
                }
                *lane = None;
            }
            while lane.is_none() && next < jobs.len() {
                if jobs[next].refill() {
                    *lane = Some(next);
                }
                next += 1;
            }
        }
        match lanes {
            [None, None] => return,
            [Some(i), None] | [None, Some(i)] => run_lanes([&mut jobs[i]]),
            [Some(i), Some(j)] => run_lanes(
                jobs.get_disjoint_mut([i, j])
                    .expect("lanes hold distinct jobs"),
            ),
        }
    }
}

/// Compress as many blocks as every lane's job has ready.
fn run_lanes<const N: usize>(mut jobs: [&mut Job<'_>; N]) {
    let n = jobs.iter().map(|j| j.ready.len()).min().unwrap_or(0);
    let blocks: [&[Block]; N] = std::array::from_fn(|i| &jobs[i].ready[..n]);
    let masks: [[u8; 4]; N] = std::array::from_fn(|i| jobs[i].mask);
    if N == 1 && masks[0] == [0; 4] {
        sha2::block_api::compress256(&mut jobs[0].stream.state, blocks[0]);
    } else {
        compress_lanes(jobs.each_mut().map(|j| &mut j.stream.state), blocks, masks);
    }
    for j in jobs {
        j.ready = &j.ready[n..];
    }
}

#[cfg(target_arch = "x86_64")]
mod ni {
    //! The paired compression function on the SHA-NI instructions: the usual four rounds per
    //! step (Intel's reference arrangement of the state as ABEF/CDGH), written once per lane
    //! and interleaved so that each lane's rounds issue while the other's are in flight.

    use super::Block;
    use core::arch::x86_64::*;

    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];

    #[inline(always)]
    unsafe fn load(s: &[u32; 8]) -> (__m128i, __m128i) {
        unsafe {
            let dcba = _mm_loadu_si128(s.as_ptr().cast());
            let hgfe = _mm_loadu_si128(s.as_ptr().add(4).cast());
            let cdab = _mm_shuffle_epi32(dcba, 0xB1);
            let efgh = _mm_shuffle_epi32(hgfe, 0x1B);
            (
                _mm_alignr_epi8(cdab, efgh, 8),
                _mm_blend_epi16(efgh, cdab, 0xF0),
            )
        }
    }

    #[inline(always)]
    unsafe fn store(s: &mut [u32; 8], abef: __m128i, cdgh: __m128i) {
        unsafe {
            let feba = _mm_shuffle_epi32(abef, 0x1B);
            let dchg = _mm_shuffle_epi32(cdgh, 0xB1);
            _mm_storeu_si128(s.as_mut_ptr().cast(), _mm_blend_epi16(feba, dchg, 0xF0));
            _mm_storeu_si128(s.as_mut_ptr().add(4).cast(), _mm_alignr_epi8(dchg, feba, 8));
        }
    }

    /// Message words 4g..4g+3; from g = 4 on they are computed from the four groups before,
    /// which `w` holds in a ring.
    #[inline(always)]
    unsafe fn schedule(w: &mut [__m128i; 4], g: usize) -> __m128i {
        if g < 4 {
            return w[g];
        }
        unsafe {
            let s0 = _mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]);
            let w9 = _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4);
            let n = _mm_sha256msg2_epu32(_mm_add_epi32(s0, w9), w[(g + 3) & 3]);
            w[g & 3] = n;
            n
        }
    }

    // Lanes and blocks are indexed: each step touches the same position of several arrays.
    #[allow(clippy::needless_range_loop)]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    pub(super) unsafe fn compress_lanes<const N: usize>(
        states: [&mut [u32; 8]; N],
        blocks: [&[Block]; N],
        masks: [[u8; 4]; N],
    ) {
        let swap = _mm_set_epi64x(0x0c0d_0e0f_0809_0a0b, 0x0405_0607_0001_0203);
        let n = blocks.iter().map(|b| b.len()).min().unwrap_or(0);
        // SAFETY (loads and stores): every pointer is into a block or state of known size.
        unsafe {
            let mut s0 = [_mm_setzero_si128(); N];
            let mut s1 = [_mm_setzero_si128(); N];
            for l in 0..N {
                (s0[l], s1[l]) = load(states[l]);
            }
            for b in 0..n {
                let (saved0, saved1) = (s0, s1);
                let mut w = [[_mm_setzero_si128(); 4]; N];
                for l in 0..N {
                    let block = blocks[l][b].as_ptr();
                    // Unmasked as loaded: the key repeats every four bytes, and a block is 64.
                    let mask = _mm_set1_epi32(i32::from_ne_bytes(masks[l]));
                    for (i, w) in w[l].iter_mut().enumerate() {
                        let m = _mm_xor_si128(_mm_loadu_si128(block.add(16 * i).cast()), mask);
                        *w = _mm_shuffle_epi8(m, swap);
                    }
                }
                // Written out sixteen times rather than looped, so that the ring indices are
                // constants and all lanes' steps can be scheduled together.
                macro_rules! step {
                    ($($g:literal)*) => {$({
                        let k = _mm_loadu_si128(K.as_ptr().add(4 * $g).cast());
                        let mut m = [_mm_setzero_si128(); N];
                        for l in 0..N {
                            m[l] = _mm_add_epi32(schedule(&mut w[l], $g), k);
                        }
                        for l in 0..N {
                            s1[l] = _mm_sha256rnds2_epu32(s1[l], s0[l], m[l]);
                        }
                        for l in 0..N {
                            let hi = _mm_shuffle_epi32(m[l], 0x0E);
                            s0[l] = _mm_sha256rnds2_epu32(s0[l], s1[l], hi);
                        }
                    })*};
                }
                step!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
                for l in 0..N {
                    s0[l] = _mm_add_epi32(s0[l], saved0[l]);
                    s1[l] = _mm_add_epi32(s1[l], saved1[l]);
                }
            }
            for (l, s) in states.into_iter().enumerate() {
                store(s, s0[l], s1[l]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sha2::Digest as _;

    fn reference(b: &[u8]) -> [u8; 32] {
        sha2::Sha256::digest(b).into()
    }

    fn data(n: usize, seed: u8) -> Vec<u8> {
        (0..n)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 8) as u8)
            .collect()
    }

    #[test]
    fn one_shot_matches_the_streaming_hasher_at_every_tail_length() {
        let d = data(300, 1);
        for n in 0..d.len() {
            assert_eq!(sha256(&d[..n]), reference(&d[..n]), "length {n}");
        }
    }

    #[test]
    fn lanes_match_single_ones() {
        for blocks in [1, 2, 7, 64] {
            let d: Vec<Vec<u8>> = (0..3).map(|i| data(64 * blocks, 3 + i)).collect();
            let b: Vec<&[Block]> = d.iter().map(|x| x.as_chunks::<64>().0).collect();
            let mut want = [IV; 3];
            for (s, b) in want.iter_mut().zip(&b) {
                sha2::block_api::compress256(s, b);
            }
            let (mut p, mut q, mut r) = (IV, IV, IV);
            compress_lanes([&mut p, &mut q], [b[0], b[1]], [[0; 4]; 2]);
            assert_eq!([p, q], want[..2], "two lanes, {blocks} blocks");
            let (mut p, mut q) = (IV, IV);
            compress_lanes([&mut p, &mut q, &mut r], [b[0], b[1], b[2]], [[0; 4]; 3]);
            assert_eq!([p, q, r], want, "three lanes, {blocks} blocks");
        }
    }

    #[test]
    fn stream_matches_at_every_split() {
        let d = data(200, 5);
        for cut in 0..d.len() {
            let mut s = Stream::default();
            s.update(&d[..cut]);
            s.update(&d[cut..]);
            assert_eq!(s.finish(), reference(&d), "cut at {cut}");
        }
    }

    proptest! {
        /// Any number of payloads, cut into pieces of any size and interleaved in one buffer,
        /// some begun earlier: each digest is that of its payload.
        #[test]
        fn lanes_match_the_reference(
            lens in prop::collection::vec(0usize..700, 0..6),
            cuts in prop::collection::vec(1usize..150, 1..12),
            started in prop::collection::vec(0usize..130, 6),
            keys in prop::collection::vec(prop::option::of(any::<[u8; 4]>()), 6),
        ) {
            let payloads: Vec<Vec<u8>> =
                lens.iter().enumerate().map(|(i, &n)| data(n, i as u8)).collect();
            // Round-robin pieces of each payload into one buffer, as a batch holds them; a
            // payload with a key is held masked (RFC 6455 §5.3), as on the wire.
            let mut bytes = Vec::new();
            type Held = (std::ops::Range<usize>, [u8; 4]);
            let mut pieces: Vec<Vec<Held>> = vec![Vec::new(); payloads.len()];
            let mut streams = Vec::new();
            let mut at = Vec::new();
            for (i, p) in payloads.iter().enumerate() {
                let head = started[i].min(p.len());
                let mut s = Stream::default();
                s.update(&p[..head]);
                streams.push(s);
                at.push(head);
            }
            let mut c = 0;
            while at.iter().zip(&payloads).any(|(a, p)| *a < p.len()) {
                for (i, p) in payloads.iter().enumerate() {
                    let n = cuts[c % cuts.len()].min(p.len() - at[i]);
                    c += 1;
                    if n > 0 {
                        let start = bytes.len();
                        bytes.extend_from_slice(&p[at[i]..at[i] + n]);
                        let mask = keys[i].map_or([0; 4], |mut k| {
                            crate::ws::unmask(&mut bytes[start..], k, at[i] as u64);
                            k.rotate_left(at[i] % 4);
                            k
                        });
                        pieces[i].push((start..bytes.len(), mask));
                        at[i] += n;
                    }
                }
            }
            let mut jobs: Vec<Job> = streams
                .into_iter()
                .zip(&pieces)
                .map(|(s, p)| {
                    let p = p.iter().map(|(r, mask)| Piece { bytes: &bytes[r.clone()], mask: *mask });
                    Job::new(s, p.collect())
                })
                .collect();
            update_lanes(&mut jobs);
            for (j, p) in jobs.iter().zip(&payloads) {
                prop_assert_eq!(j.stream.finish(), reference(p));
            }
        }
    }
}
