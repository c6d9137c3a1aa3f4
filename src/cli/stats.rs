use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use wslens::decoder::{DecodeOptions, Decoder};
use wslens::event::Event;
use wslens::teach::Lang;
use wslens::teach::stats::{StatsBuilder, render_json, render_text};

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Capture file (.pcap or .pcapng), or - for standard input.
    pub file: PathBuf,
    /// Language of the table: en or zh (简体中文).
    #[arg(long, default_value = "en", value_name = "en|zh")]
    pub lang: Lang,
    /// One JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub tls: super::tls_keys::TlsKeyArgs,
}

pub fn run(a: StatsArgs) -> anyhow::Result<ExitCode> {
    let mut dec = Decoder::new(DecodeOptions {
        tls_keys: a.tls.store(false)?,
        ..DecodeOptions::default()
    });
    let mut b = StatsBuilder::default();
    let mut sink = |ev: Event| b.observe(&ev);
    let code = super::decode::drive(&a.file, &mut dec, &mut sink)?;
    let c = b.finish();
    let name = a.file.display().to_string();
    let out = if a.json {
        render_json(&c, &name) + "\n"
    } else {
        render_text(&c, &wslens::text::escape_for_terminal(&name), a.lang)
    };
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(code)
}
