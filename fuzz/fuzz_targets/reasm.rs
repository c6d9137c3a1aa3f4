#![no_main]
//! A sequence of segments, acknowledgements and ends built from fuzz bytes, driving
//! `tcp::reasm::Reasm` under small limits: what is held stays bounded, and every delivered
//! byte is in stream order (offsets only grow).
use libfuzzer_sys::fuzz_target;
use wslens::tcp::reasm::{Deliver, Reasm, ReasmLimits};
use wslens_fuzz::Bytes;

#[derive(Default)]
struct Count {
    off: u64,
}
impl Deliver for Count {
    fn data(&mut self, b: &[u8]) {
        assert!(!b.is_empty());
        self.off += b.len() as u64;
    }
    fn gap(&mut self, len: u64) {
        assert!(len > 0);
        self.off += len;
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let lim = ReasmLimits {
        bytes: 1 + b.u16() as usize,
        segments: 1 + (b.u8() % 32) as usize,
    };
    let isn = b.u32();
    let payload = [0x61u8; 4096];
    let mut r = Reasm::default();
    let mut c = Count::default();
    if b.u8() & 1 == 1 {
        r.start(isn);
    }
    while !b.is_empty() {
        let op = b.u8();
        let rel = b.u16() as i16 as i32 * (1 + (op >> 4) as i32);
        let seq = isn.wrapping_add(rel as u32);
        match op & 3 {
            0 | 1 => {
                let len = (b.u16() as usize) % payload.len();
                r.segment(seq, &payload[..len], op & 4 != 0, lim, &mut c);
            }
            2 => r.acked(seq, &mut c),
            _ => r.finish(&mut c),
        }
        assert!(
            r.held_bytes() <= lim.bytes,
            "held {} > {}",
            r.held_bytes(),
            lim.bytes
        );
        assert_eq!(c.off, r.delivered());
    }
    r.finish(&mut c);
    assert_eq!(r.held_bytes(), 0);
});
