//! Integration tests of the library on the bundled real captures, in-process: every layer
//! checked against tshark and against what the peers logged, property tests, fuzz regressions
//! and the decoder's memory accounting. One test binary (each former `tests/NAME.rs` is the
//! module `NAME` here): linking the whole crate once instead of once per file is what keeps the
//! test build short. Run one module with `cargo test --all-features --test decode NAME::`.

#[path = "../common/mod.rs"]
mod common;

mod appproto;
mod containers;
mod failed_upgrade;
mod fuzz_regressions;
mod gaps;
mod graphql;
mod http_upgrade;
mod memory_bounds;
mod messages_vs_peers;
mod mqtt;
mod resegment;
mod socketio_msgpack;
mod stomp;
mod tail;
mod tcp_states;
mod tcp_vs_tshark;
mod tls;
mod tls_aead;
mod ws_deflate;
mod ws_frames;
mod ws_perf;
