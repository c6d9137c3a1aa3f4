#![no_main]
//! Capture file bytes → `capture::read_bytes`, every packet then decoded by the whole pipeline.
use libfuzzer_sys::fuzz_target;
use wslens::decoder::{DecodeOptions, Decoder};
use wslens_fuzz::CheckingSink;

fuzz_target!(|data: &[u8]| {
    let mut dec = Decoder::new(DecodeOptions::default());
    let mut sink = CheckingSink::default();
    let mut n = 0u64;
    if let Ok(sum) = wslens::capture::read_bytes(data, |p| {
        n += 1;
        assert!(p.data.len() <= data.len());
        dec.packet(&p, &mut sink);
    }) {
        assert!(sum.packets >= n);
        if let Some(e) = sum.error {
            assert!(!e.to_string().is_empty());
        }
    }
    dec.finish(&mut sink);
});
