#![no_main]
//! The TLS layer on fuzz bytes: chunks of either direction, gaps and ends, driving
//! `tls::TlsConn` with a key log that has (wrong) secrets for a zero ClientHello random, so the
//! decryption, resynchronisation and handshake paths run. Nothing may panic, every event must
//! render terminal-safe, and what is passed up is bounded by what was fed.
use libfuzzer_sys::fuzz_target;
use wslens::event::{Dir, Sink};
use wslens::tcp::StreamCtx;
use wslens::tls::{KeyStore, TlsConn, Upper};
use wslens_fuzz::{Bytes, CheckingSink};

#[derive(Default)]
struct Up {
    bytes: u64,
}
impl Upper for Up {
    fn data(&mut self, _: StreamCtx, plain: &[u8], _: &mut dyn Sink) {
        self.bytes += plain.len() as u64;
    }
    fn gap(&mut self, _: StreamCtx, _: u64, _: &mut dyn Sink) {}
    fn end(&mut self, _: StreamCtx, _: &mut dyn Sink) {}
}

fuzz_target!(|data: &[u8]| {
    let keys = KeyStore::default();
    let zero = "00".repeat(32);
    let secret = "11".repeat(48);
    keys.add_text(
        format!(
            "CLIENT_RANDOM {zero} {secret}\nCLIENT_HANDSHAKE_TRAFFIC_SECRET {zero} {secret}\n\
             SERVER_HANDSHAKE_TRAFFIC_SECRET {zero} {secret}\nCLIENT_TRAFFIC_SECRET_0 {zero} {secret}\n\
             SERVER_TRAFFIC_SECRET_0 {zero} {secret}\n"
        )
        .as_bytes(),
    );
    let mut tls = TlsConn::new(keys);
    let mut sink = CheckingSink::default();
    let mut up = Up::default();
    let mut b = Bytes(data);
    let mut fed = 0u64;
    let mut pkt = 0;
    while !b.0.is_empty() {
        pkt += 1;
        let op = b.u8();
        let dir = if op & 1 == 0 { Dir::C2S } else { Dir::S2C };
        let cx = StreamCtx {
            conn: 1,
            dir,
            pkt,
            ts: Default::default(),
        };
        match op >> 6 {
            0 => tls.gap(cx, 1 + b.u16() as u64, &mut sink, &mut up),
            _ => {
                let n = (b.u16() as usize).min(b.0.len());
                let (chunk, rest) = b.0.split_at(n);
                b.0 = rest;
                fed += chunk.len() as u64;
                tls.data(cx, chunk, &mut sink, &mut up);
            }
        }
    }
    for dir in [Dir::C2S, Dir::S2C] {
        let cx = StreamCtx {
            conn: 1,
            dir,
            pkt: pkt + 1,
            ts: Default::default(),
        };
        tls.end(cx, &mut sink, &mut up);
    }
    assert!(up.bytes <= fed);
});
