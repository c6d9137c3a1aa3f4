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
    #[arg(long, value_name = "en|zh")]
    pub lang: Option<Lang>,
    /// One JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Count only the events this filter expression lets through (docs/filters.md).
    #[arg(long, value_name = "EXPR", value_parser = super::parse_filter)]
    pub filter: Option<wslens::filter::Filter>,
    #[command(flatten)]
    pub tls: super::tls_keys::TlsKeyArgs,
}

pub fn run(a: StatsArgs) -> anyhow::Result<ExitCode> {
    super::die_on_closed_pipe();
    let mut dec = Decoder::new(DecodeOptions {
        tls_keys: a.tls.store(false)?,
        ..DecodeOptions::default()
    });
    let mut b = StatsBuilder::default();
    let mut filter = a.filter;
    let mut sink = |ev: Event| {
        if filter.as_mut().is_none_or(|f| f.matches(&ev)) {
            b.observe(&ev)
        }
    };
    let code = super::decode::drive(&a.file, &mut dec, &mut sink)?;
    let c = b.finish();
    let name = a.file.display().to_string();
    let out = if a.json {
        render_json(&c, &name) + "\n"
    } else {
        render_text(
            &c,
            &wslens::text::escape_for_terminal(&name),
            a.lang.unwrap_or_default(),
        )
    };
    let mut o = std::io::stdout().lock();
    o.write_all(out.as_bytes())
        .and_then(|_| o.flush())
        .map_err(|e| anyhow::anyhow!("writing the output: {e}"))?;
    Ok(code)
}
