use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wslens::capture;
use wslens::decoder::{DecodeOptions, Decoder};
use wslens::event::Sink;
use wslens::output::batch;
use wslens::output::json::JsonWriter;
use wslens::output::text::TextWriter;
use wslens::teach::Lang;

#[derive(Args, Debug)]
pub struct DecodeArgs {
    /// Capture file (.pcap or .pcapng), or - for standard input.
    pub file: PathBuf,
    /// Write NDJSON events, one per line, instead of narrated text.
    #[arg(long)]
    pub json: bool,
    /// Summary lines only, without the narration under each.
    #[arg(long, conflicts_with = "json")]
    pub brief: bool,
    /// Language of the narration: en or zh (简体中文).
    #[arg(long, default_value = "en", value_name = "en|zh")]
    pub lang: Lang,
    /// Bytes held per direction while waiting for missing TCP data.
    #[arg(long, default_value_t = 4 << 20, value_name = "BYTES")]
    pub stream_buffer: usize,
    /// Connections tracked at once (the longest idle is evicted beyond it).
    #[arg(long, default_value_t = 65_536)]
    pub max_connections: usize,
}

pub fn run(a: DecodeArgs) -> anyhow::Result<ExitCode> {
    let mut opts = DecodeOptions::default();
    opts.limits.stream_buffer = a.stream_buffer;
    opts.limits.connections = a.max_connections;
    let out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
    let mut dec = Decoder::new(opts);
    if a.json {
        let (mut tx, writer) = batch::spawn(JsonWriter::new(out));
        let code = drive(&a.file, &mut dec, &mut tx);
        tx.close();
        let mut w = writer
            .join()
            .map_err(|_| anyhow::anyhow!("the output thread failed"))?;
        let _ = w.flush();
        code
    } else {
        let mut w = TextWriter::new(out);
        if !a.brief {
            w = w.narrated(a.lang);
        }
        let (mut tx, writer) = batch::spawn(w);
        let code = drive(&a.file, &mut dec, &mut tx);
        tx.close();
        let mut w = writer
            .join()
            .map_err(|_| anyhow::anyhow!("the output thread failed"))?;
        let _ = w.flush();
        code
    }
}

/// Read, decode, write; damage to the file is reported after what could be read.
pub(crate) fn drive(
    file: &Path,
    dec: &mut Decoder,
    sink: &mut dyn Sink,
) -> anyhow::Result<ExitCode> {
    let summary = match capture::read_file(file, |p| dec.packet(&p, sink)) {
        Ok(s) => s,
        Err(e) => anyhow::bail!("{}: {e}", file.display()),
    };
    dec.finish(sink);
    for w in &summary.warnings {
        let _ = writeln!(std::io::stderr(), "wslens: {}: {w}", file.display());
    }
    if let Some(e) = &summary.error {
        let _ = writeln!(std::io::stderr(), "wslens: {}: {e}", file.display());
        if summary.packets == 0 {
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}
