//! Integration tests of the built `wslens` command on files and pipes (no privileges needed):
//! first steps, export, hostile input, the README's examples, streaming from a pipe, the
//! threaded writer, narration, diagrams and worksheets. One test binary; each former
//! `tests/NAME.rs` is the module `NAME`: `cargo test --all-features --test cli NAME::`.

#[path = "../common/mod.rs"]
mod common;

mod cli_first_steps;
mod export;
mod hostile;
mod readme;
mod stream_pipe;
mod teach;
mod threaded_output;
mod worksheet;
