//! The decoders in isolation: unmasking and hashing (GB/s), WebSocket frames (frames/s),
//! inflating, TCP reassembly, and the whole pipeline on the bundled classroom capture.
//! `cargo bench`; whole-file comparisons with tshark are in benches/compare.sh.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use flate2::{Compress, Compression, FlushCompress};
use std::hint::black_box;
use wslens::decoder::{DecodeOptions, Decoder};
use wslens::event::{DeflateParams, Dir, Event, PktNum, Ts};
use wslens::sha::{Job, Piece, Stream, sha256, update_lanes};
use wslens::tcp::StreamCtx;
use wslens::tcp::reasm::{Deliver, Reasm, ReasmLimits};
use wslens::ws::{WsConfig, WsDirection, unmask};

fn cx(pkt: PktNum) -> StreamCtx {
    StreamCtx {
        conn: 1,
        dir: Dir::C2S,
        pkt,
        ts: Ts(0),
    }
}

/// A client frame as a browser would send it (FIN, masked).
fn frame(opcode: u8, rsv1: bool, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    let mut f = vec![0x80 | (rsv1 as u8) << 6 | opcode];
    match payload.len() {
        n if n < 126 => f.push(0x80 | n as u8),
        n if n < 65536 => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(0x80 | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(&key);
    let mut p = payload.to_vec();
    unmask(&mut p, key, 0);
    f.extend_from_slice(&p);
    f
}

fn bench_unmask(c: &mut Criterion) {
    let mut g = c.benchmark_group("unmask");
    for size in [64usize, 4096, 1 << 20] {
        let mut buf = vec![0x5au8; size];
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, _| {
            b.iter(|| unmask(black_box(&mut buf), [1, 2, 3, 4], 1))
        });
    }
    g.finish();
}

/// SHA-256 of 64 KiB payloads: one at a time, and two at once on the lanes the writer uses.
fn bench_sha(c: &mut Criterion) {
    let bytes: Vec<u8> = (0..128 << 10).map(|i| (i * 7 + i / 251) as u8).collect();
    let mut g = c.benchmark_group("sha256");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("one stream", |b| {
        b.iter(|| {
            let (x, y) = bytes.split_at(64 << 10);
            (sha256(black_box(x)), sha256(black_box(y)))
        })
    });
    g.bench_function("two lanes", |b| {
        b.iter(|| {
            let (x, y) = black_box(&bytes).split_at(64 << 10);
            let mut jobs = [
                Job::new(Stream::default(), vec![x.into()]),
                Job::new(Stream::default(), vec![y.into()]),
            ];
            update_lanes(&mut jobs);
            (jobs[0].stream.finish(), jobs[1].stream.finish())
        })
    });
    // Uploads as captured: still masked, unmasked by the compression function as it loads.
    g.bench_function("two lanes, masked", |b| {
        b.iter(|| {
            let (x, y) = black_box(&bytes).split_at(64 << 10);
            let masked = |bytes| Piece {
                bytes,
                mask: [0x8e, 0x17, 0x5a, 0xc3],
            };
            let mut jobs = [
                Job::new(Stream::default(), vec![masked(x)]),
                Job::new(Stream::default(), vec![masked(y)]),
            ];
            update_lanes(&mut jobs);
            (jobs[0].stream.finish(), jobs[1].stream.finish())
        })
    });
    g.finish();
}

fn bench_frames(c: &mut Criterion) {
    let mut g = c.benchmark_group("ws_frames");
    // 1,000 small masked text frames, and 16 binary 64 KiB frames, fed in one go.
    let small: Vec<u8> = (0..1000)
        .flat_map(|i| {
            frame(
                1,
                false,
                format!("message number {i}").as_bytes(),
                [9, 8, 7, 6],
            )
        })
        .collect();
    let big: Vec<u8> = (0..16)
        .flat_map(|_| frame(2, false, &vec![0xab; 65536], [1, 2, 3, 4]))
        .collect();
    for (name, data, n) in [
        ("small_text_x1000", &small, 1000u64),
        ("binary_64k_x16", &big, 16),
    ] {
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(format!("{name} ({n} frames)"), |b| {
            b.iter(|| {
                let mut d = WsDirection::new(Dir::C2S, &WsConfig::default());
                let mut count = 0u64;
                let mut sink = |e: Event| count += matches!(e, Event::WsMessage(_)) as u64;
                for (i, chunk) in data.chunks(65536).enumerate() {
                    d.feed(cx(i as u64 + 1), chunk, &mut sink);
                }
                assert_eq!(count, n);
            })
        });
    }
    g.finish();
}

fn bench_inflate(c: &mut Criterion) {
    // 500 similar JSON messages compressed with context takeover, as a chat client would.
    let mut z = Compress::new(Compression::default(), false);
    let mut stream = Vec::new();
    let mut raw_total = 0u64;
    for i in 0..500 {
        let msg = format!(
            "{{\"type\":\"chat\",\"user\":\"student{}\",\"text\":\"hello number {i}\"}}",
            i % 30
        );
        raw_total += msg.len() as u64;
        let mut out = Vec::with_capacity(msg.len() + 64);
        z.compress_vec(msg.as_bytes(), &mut out, FlushCompress::Sync)
            .unwrap();
        out.truncate(out.len() - 4); // the 00 00 ff ff tail is not sent (RFC 7692 §7.2.1)
        stream.extend(frame(1, true, &out, [4, 3, 2, 1]));
    }
    let cfg = WsConfig {
        deflate: Some(DeflateParams::default()),
        ..WsConfig::default()
    };
    let mut g = c.benchmark_group("inflate");
    g.throughput(Throughput::Bytes(raw_total));
    g.bench_function("chat_500_messages_context_takeover", |b| {
        b.iter(|| {
            let mut d = WsDirection::new(Dir::C2S, &cfg);
            let mut ok = 0;
            let mut sink = |e: Event| {
                if let Event::WsMessage(m) = e {
                    ok += m.inflate_error.is_none() as u32;
                }
            };
            d.feed(cx(1), &stream, &mut sink);
            assert_eq!(ok, 500);
        })
    });
    g.finish();
}

struct Count(u64);
impl Deliver for Count {
    fn data(&mut self, b: &[u8]) {
        self.0 += b.len() as u64;
    }
    fn gap(&mut self, _: u64) {}
}

fn bench_reassembly(c: &mut Criterion) {
    let seg = vec![0u8; 1448];
    let lim = ReasmLimits {
        bytes: 4 << 20,
        segments: 1024,
    };
    let mut g = c.benchmark_group("reassembly");
    g.throughput(Throughput::Bytes(1448 * 1000));
    g.bench_function("in_order_1000_segments", |b| {
        b.iter(|| {
            let mut r = Reasm::default();
            let mut out = Count(0);
            r.start(1000);
            for i in 0..1000u32 {
                r.segment(1000 + i * 1448, &seg, false, lim, &mut out);
            }
            assert_eq!(out.0, 1448 * 1000);
        })
    });
    g.bench_function("pairs_swapped_1000_segments", |b| {
        b.iter(|| {
            let mut r = Reasm::default();
            let mut out = Count(0);
            r.start(0);
            for i in (0..1000u32).step_by(2) {
                r.segment((i + 1) * 1448, &seg, false, lim, &mut out);
                r.segment(i * 1448, &seg, false, lim, &mut out);
            }
            assert_eq!(out.0, 1448 * 1000);
        })
    });
    g.finish();
}

fn bench_pipeline(c: &mut Criterion) {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/captures/echo-node.pcap"
    ))
    .unwrap();
    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("echo-node.pcap", |b| {
        b.iter(|| {
            let mut dec = Decoder::new(DecodeOptions::default());
            let mut n = 0u64;
            let mut sink = |_: Event| n += 1;
            wslens::capture::read_bytes(&bytes, |p| dec.packet(&p, &mut sink)).unwrap();
            dec.finish(&mut sink);
            black_box(n)
        })
    });
    g.finish();
}

fn bench_json(c: &mut Criterion) {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/captures/lossy.pcap")).unwrap();
    let mut events = Vec::new();
    let mut dec = Decoder::new(DecodeOptions::default());
    let mut sink = |e: Event| events.push(e);
    wslens::capture::read_bytes(&bytes, |p| dec.packet(&p, &mut sink)).unwrap();
    dec.finish(&mut sink);
    let mut out = Vec::with_capacity(1 << 20);
    let mut len = 0u64;
    for e in &events {
        out.clear();
        wslens::output::json::encode(&mut out, e);
        len += out.len() as u64 + 1;
    }
    let mut g = c.benchmark_group("json");
    g.throughput(Throughput::Bytes(len));
    g.bench_function(
        format!("encode lossy.pcap ({} events)", events.len()),
        |b| {
            b.iter(|| {
                for e in &events {
                    if out.len() > 1 << 19 {
                        out.clear();
                    }
                    wslens::output::json::encode(&mut out, e);
                    out.push(b'\n');
                }
                black_box(out.len())
            })
        },
    );
    g.finish();
}

criterion_group!(
    benches,
    bench_json,
    bench_unmask,
    bench_sha,
    bench_frames,
    bench_inflate,
    bench_reassembly,
    bench_pipeline
);
criterion_main!(benches);
