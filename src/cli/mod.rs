//! Command-line entry points; each subcommand's work lives in its own module.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

mod decode;

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
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.cmd {
        Some(Cmd::Decode(a)) => decode::run(a),
        None => {
            anyhow::bail!("the terminal UI is not built yet; try `wslens decode FILE`")
        }
    }
}

#[allow(dead_code)]
fn _unused(_: PathBuf) {}
