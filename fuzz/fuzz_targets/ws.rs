#![no_main]
//! One direction's WebSocket decoder (`ws::WsDirection`) fed arbitrary chunks and gaps, with or
//! without permessage-deflate (context takeover or not, any window bits), handshake seen or not.
use libfuzzer_sys::fuzz_target;
use wslens::event::{DeflateParams, Dir, Ts};
use wslens::limits::Limits;
use wslens::tcp::StreamCtx;
use wslens::ws::{WsConfig, WsDirection};
use wslens_fuzz::{Bytes, CheckingSink};

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let cfg_byte = b.u8();
    let dir = if cfg_byte & 1 == 0 {
        Dir::C2S
    } else {
        Dir::S2C
    };
    let deflate = (cfg_byte & 2 != 0).then(|| DeflateParams {
        server_no_context_takeover: cfg_byte & 4 != 0,
        client_no_context_takeover: cfg_byte & 8 != 0,
        server_max_window_bits: 8 + (cfg_byte >> 4) % 8,
        client_max_window_bits: 8 + (cfg_byte >> 4) % 8,
    });
    let cfg = WsConfig {
        deflate,
        heuristic: cfg_byte & 0x80 != 0 && cfg_byte & 0x40 != 0,
        limits: Limits {
            message_preview: 64,
            inflate_per_message: 1 << 16,
            frame_preview: 16,
            ..Limits::default()
        },
    };
    let mut ws = WsDirection::new(dir, &cfg);
    let mut sink = CheckingSink::default();
    let mut pkt = 0;
    while !b.is_empty() {
        pkt += 1;
        let cx = StreamCtx {
            conn: 1,
            dir,
            pkt,
            ts: Ts(pkt as i64),
        };
        let op = b.u8();
        if op == 0xff {
            ws.gap(cx, b.u8() as u64 + 1, &mut sink);
        } else {
            let chunk = b.take(op as usize + 1);
            ws.feed(cx, chunk, &mut sink);
        }
    }
    ws.end(
        StreamCtx {
            conn: 1,
            dir,
            pkt,
            ts: Ts(0),
        },
        &mut sink,
    );
});
