//! Throughput smoke checks, ignored by default (run with
//! `cargo test --release --test decode ws_perf:: -- --ignored --nocapture`).

use std::time::Instant;
use wslens::event::{Dir, Event, Ts};
use wslens::tcp::StreamCtx;
use wslens::ws::{WsConfig, WsDirection, unmask};

fn masked_frame(op: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    let mut v = vec![0x80 | op];
    if payload.len() < 126 {
        v.push(0x80 | payload.len() as u8);
    } else {
        v.push(0x80 | 127);
        v.extend_from_slice(&(payload.len() as u64).to_be_bytes());
    }
    v.extend_from_slice(&key);
    let mut p = payload.to_vec();
    unmask(&mut p, key, 0);
    v.extend_from_slice(&p);
    v
}

fn cx(pkt: u64) -> StreamCtx {
    StreamCtx {
        conn: 1,
        dir: Dir::C2S,
        pkt,
        ts: Ts(0),
    }
}

#[test]
#[ignore]
fn bulk_64k_binary_throughput() {
    let payload: Vec<u8> = (0..65536u32).map(|i| i as u8).collect();
    let wire = masked_frame(2, &payload, [1, 2, 3, 4]);
    let reps = 3000;
    let mut msgs = 0u64;
    let mut sink = |e: Event| {
        if matches!(e, Event::WsMessage(_)) {
            msgs += 1;
        }
    };
    let mut d = WsDirection::new(Dir::C2S, &WsConfig::default());
    let t = Instant::now();
    let mut pkt = 0;
    for _ in 0..reps {
        for seg in wire.chunks(21845) {
            pkt += 1;
            d.feed(cx(pkt), seg, &mut sink);
        }
    }
    let s = t.elapsed().as_secs_f64();
    let mb = (wire.len() * reps) as f64 / 1e6;
    println!("bulk: {mb:.0} MB in {s:.3} s = {:.2} GB/s", mb / 1e3 / s);
    assert_eq!(msgs, reps as u64);
}

#[test]
#[ignore]
fn chatty_small_text_rate() {
    let frames: Vec<Vec<u8>> = (0..1000)
        .map(|i| {
            let t = format!("{{\"seq\":{i},\"text\":\"hello websocket world\"}}");
            masked_frame(1, t.as_bytes(), [9, 8, 7, i as u8])
        })
        .collect();
    let n = 300_000;
    let mut msgs = 0u64;
    let mut sink = |e: Event| {
        if matches!(e, Event::WsMessage(_)) {
            msgs += 1;
        }
    };
    let mut d = WsDirection::new(Dir::C2S, &WsConfig::default());
    let t = Instant::now();
    for i in 0..n {
        d.feed(cx(i as u64), &frames[i % frames.len()], &mut sink);
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "chatty: {n} frames in {s:.3} s = {:.2} M frames/s",
        n as f64 / s / 1e6
    );
    assert_eq!(msgs, n as u64);
}

/// The parts on their own, to see what bounds the bulk figure.
#[test]
#[ignore]
fn parts_throughput() {
    use sha2::{Digest, Sha256};
    let mut buf = vec![7u8; 16 << 10];
    let reps = 12_000;
    let mb = (buf.len() * reps) as f64 / 1e6;
    let t = Instant::now();
    for i in 0..reps {
        unmask(&mut buf, [1, 2, 3, 4], i as u64);
    }
    let s = t.elapsed().as_secs_f64();
    println!("unmask: {:.2} GB/s ({})", mb / 1e3 / s, buf[5]);
    let t = Instant::now();
    let mut h = Sha256::new();
    for _ in 0..reps {
        h.update(&buf);
    }
    let d = h.finalize();
    let s = t.elapsed().as_secs_f64();
    println!("sha256: {:.2} GB/s ({})", mb / 1e3 / s, d[0]);
}
