#![no_main]
//! Synthesised IPv4/TCP packets between a few hosts and ports (flags, sequence numbers and
//! payloads from the fuzz bytes) through the whole `Decoder` with small limits: TCP tracking,
//! reassembly, HTTP, WebSocket and both output writers.
use libfuzzer_sys::fuzz_target;
use wslens::capture::Packet;
use wslens::decoder::{DecodeOptions, Decoder};
use wslens_fuzz::{Bytes, CheckingSink};

/// Payload fragments worth combining: a WebSocket handshake in pieces and frame starts.
const DICT: [&[u8]; 8] = [
    b"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
    b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58",
    b"\x81\x05Hello",
    b"\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00",
    b"\x88\x02\x03\xe8",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
    b"\x7f\xff\xff\xff\xff\xff\xff\xff\xff",
];

fn packet(src: u8, dst: u8, sp: u16, dp: u16, seq: u32, ack: u32, flags: u8, pl: &[u8]) -> Vec<u8> {
    let mut p = vec![
        0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, src, 10, 0, 0, dst,
    ];
    let total = (40 + pl.len()) as u16;
    p[2..4].copy_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&sp.to_be_bytes());
    p.extend_from_slice(&dp.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ack.to_be_bytes());
    p.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    p.extend_from_slice(pl);
    p
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let mut opts = DecodeOptions::default();
    opts.limits.stream_buffer = 4096;
    opts.limits.ooo_segments = 8;
    opts.limits.connections = 4;
    opts.limits.http_head = 1024;
    opts.limits.http_headers = 16;
    opts.limits.message_preview = 64;
    opts.limits.inflate_per_message = 4096;
    opts.limits.frame_preview = 16;
    let mut dec = Decoder::new(opts);
    let mut sink = CheckingSink::default();
    // Per endpoint pair and direction, the next sequence number: most segments continue the
    // stream so the upper layers get real work.
    let mut next = [[0u32; 2]; 8];
    let mut num = 0;
    while !b.is_empty() && num < 512 {
        num += 1;
        let ctl = b.u8();
        let flags = b.u8();
        let conn = (ctl & 7) as usize;
        let c2s = ctl & 8 == 0;
        let d = (!c2s) as usize;
        let (sp, dp) = (40000 + conn as u16, if conn < 4 { 80 } else { 8080 });
        let (src, dst, sp, dp) = if c2s { (1, 2, sp, dp) } else { (2, 1, dp, sp) };
        let payload: Vec<u8> = match ctl >> 4 {
            0..=7 => DICT[(ctl >> 4) as usize].to_vec(),
            n => b.take(n as usize * 16).to_vec(),
        };
        let seq = match flags >> 6 {
            0 | 1 => next[conn][d],
            2 => next[conn][d].wrapping_add(b.u16() as u32),
            _ => b.u32(),
        };
        let f = flags & 0x3f;
        let ack = next[conn][1 - d];
        next[conn][d] = seq
            .wrapping_add(payload.len() as u32)
            .wrapping_add((f & 3 != 0) as u32);
        let bytes = packet(src, dst, sp, dp, seq, ack, f, &payload);
        dec.packet(
            &Packet {
                num,
                ts_ns: num as i64 * 1000,
                linktype: wslens::wire::LINKTYPE_RAW,
                data: &bytes,
                orig_len: bytes.len() as u32,
            },
            &mut sink,
        );
    }
    dec.finish(&mut sink);
});
