//! End-to-end tests that need root, a terminal or a network of their own: live capture on
//! loopback, privilege dropping (`nobody`, file capabilities), network namespaces with real
//! peers, and the TUI in tmux. Each says why and skips where it cannot run (not root, no tmux,
//! no `ip`). One test binary; each former `tests/NAME.rs` is the module `NAME`:
//! `cargo test --all-features --test live NAME::`.

#[path = "../common/mod.rs"]
mod common;

mod demo_privileges;
mod demo_tls;
mod live_capture;
mod live_output;
mod live_permission;
mod live_privileges;
mod tui_classroom;
mod tui_live;
mod tui_tmux;
