#![no_main]
//! The HTTP head parser on raw bytes, then the application layer (HTTP until an upgrade, then
//! WebSocket) fed arbitrary chunks, gaps and ends of both directions of one connection.
use libfuzzer_sys::fuzz_target;
use wslens::app::{AppConn, AppLayer};
use wslens::event::Dir;
use wslens::limits::Limits;
use wslens::tcp::{StreamCtx, StreamHandler};
use wslens_fuzz::{Bytes, CheckingSink};

fuzz_target!(|data: &[u8]| {
    let _ = wslens::http::parse_head(data, Dir::C2S, 16);
    let _ = wslens::http::parse_head(data, Dir::S2C, 16);
    let _ = wslens::http::sniff(data);

    let mut b = Bytes(data);
    let limits = Limits {
        stream_buffer: 4096,
        http_head: 512 + b.u8() as usize * 8,
        http_headers: 1 + (b.u8() % 32) as usize,
        message_preview: 64,
        inflate_per_message: 4096,
        frame_preview: 8,
        ..Limits::default()
    };
    let mut app = AppLayer::new(limits);
    let mut st = AppConn::default();
    let mut sink = CheckingSink::default();
    let mut pkt = 0;
    while !b.is_empty() {
        pkt += 1;
        let op = b.u8();
        let dir = if op & 1 == 0 { Dir::C2S } else { Dir::S2C };
        let cx = StreamCtx {
            conn: 1,
            dir,
            pkt,
            ts: wslens::event::Ts(pkt as i64),
        };
        match (op >> 1) & 7 {
            0 => app.gap(&mut st, cx, b.u16() as u64 + 1, &mut sink),
            1 if op & 0x80 != 0 => app.end(&mut st, cx, &mut sink),
            _ => {
                let n = (op >> 4) as usize * 13 + b.u8() as usize;
                let chunk = b.take(n);
                app.data(&mut st, cx, chunk, &mut sink);
            }
        }
    }
    for dir in [Dir::C2S, Dir::S2C] {
        let cx = StreamCtx {
            conn: 1,
            dir,
            pkt,
            ts: wslens::event::Ts(0),
        };
        app.end(&mut st, cx, &mut sink);
    }
});
