use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct DecodeArgs {
    /// Capture file (.pcap or .pcapng), or - for standard input.
    pub file: PathBuf,
    /// Write NDJSON events, one per line, instead of narrated text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(_a: DecodeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
