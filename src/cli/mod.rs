//! Command-line entry points; each subcommand's work lives in its own module.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

mod decode;
mod open;

#[derive(Parser, Debug)]
#[command(
    name = "wslens",
    version,
    about = "Watch a WebSocket conversation happen, layer by layer: TCP, HTTP Upgrade, RFC 6455 frames"
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Decode a .pcap/.pcapng file (or - for standard input) to narrated text or NDJSON.
    Decode(decode::DecodeArgs),
    /// Open the terminal UI on a capture file (no subcommand: the built-in classroom capture).
    Open(open::OpenArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.cmd {
        Some(Cmd::Decode(a)) => decode::run(a),
        Some(Cmd::Open(a)) => open::run(a),
        None => open::run(open::OpenArgs::default()),
    }
}

#[allow(dead_code)]
fn _unused(_: PathBuf) {}
