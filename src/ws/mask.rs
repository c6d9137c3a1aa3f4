//! Unmasking (RFC 6455 §5.3), a word at a time.

/// XOR `buf` with the masking key, `offset` being the position of `buf[0]` in the frame payload
/// (so the key phase is right when a payload arrives in pieces). Applying it twice restores the
/// input.
pub fn unmask(buf: &mut [u8], key: [u8; 4], offset: u64) {
    let phase = (offset & 3) as usize;
    // The key rotated so that its first byte lines up with buf[0].
    let k = [
        key[phase],
        key[(phase + 1) & 3],
        key[(phase + 2) & 3],
        key[(phase + 3) & 3],
    ];
    let k64 = u64::from_ne_bytes([k[0], k[1], k[2], k[3], k[0], k[1], k[2], k[3]]);
    let (words, tail) = buf.as_chunks_mut::<8>();
    for w in words {
        *w = (u64::from_ne_bytes(*w) ^ k64).to_ne_bytes();
    }
    // The tail starts at a multiple of 8 from buf[0], so the phase is still k[0].
    for (b, m) in tail.iter_mut().zip(k.iter().cycle()) {
        *b ^= m;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(buf: &mut [u8], key: [u8; 4], offset: u64) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b ^= key[((offset + i as u64) % 4) as usize];
        }
    }

    #[test]
    fn unmask_matches_bytewise_for_all_phases_and_lengths() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        for off in 0..8u64 {
            for len in 0..40usize {
                let src: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
                let mut a = src.clone();
                let mut b = src.clone();
                unmask(&mut a, key, off);
                reference(&mut b, key, off);
                assert_eq!(a, b, "offset {off} len {len}");
            }
        }
    }

    #[test]
    fn rfc_example_hello() {
        // RFC 6455 §5.7: a masked "Hello".
        let mut p = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
        unmask(&mut p, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(&p, b"Hello");
    }

    #[test]
    fn split_unmask_equals_whole() {
        let key = [1, 2, 3, 4];
        let src: Vec<u8> = (0..100u8).collect();
        let mut whole = src.clone();
        unmask(&mut whole, key, 0);
        let mut parts = src.clone();
        let (a, b) = parts.split_at_mut(13);
        unmask(a, key, 0);
        unmask(b, key, 13);
        assert_eq!(whole, parts);
    }
}
