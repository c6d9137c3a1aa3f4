use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use wslens::decoder::{DecodeOptions, Decoder};
use wslens::event::Event;
use wslens::export::{Har, MessageFiles, full_limits, is_whole, message, ndjson_line};
use wslens::text::escape_for_terminal;

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("what").required(true).multiple(true)
    .args(["har", "messages", "ndjson"])))]
pub struct ExportArgs {
    /// Capture file (.pcap or .pcapng), or - for standard input.
    pub file: PathBuf,
    /// Write a HAR 1.2 file (Chrome's `_webSocketMessages`), one entry per upgraded connection.
    #[arg(long, value_name = "OUT.har")]
    pub har: Option<PathBuf>,
    /// Write each data message's payload to its own file in DIR
    /// (conn<N>-<c2s|s2c>-<index>.txt|bin).
    #[arg(long, value_name = "DIR")]
    pub messages: Option<PathBuf>,
    /// Write one NDJSON line per message with its whole payload to standard output.
    #[arg(long)]
    pub ndjson: bool,
    /// Export only the messages this filter expression lets through (docs/filters.md).
    #[arg(long, value_name = "EXPR", value_parser = super::parse_filter)]
    pub filter: Option<wslens::filter::Filter>,
    /// Longest payload exported whole; longer ones are exported cut and marked.
    #[arg(long, default_value_t = 64 << 20, value_name = "BYTES")]
    pub max_message: usize,
}

pub fn run(a: ExportArgs) -> anyhow::Result<ExitCode> {
    let limits = full_limits(a.max_message);
    let mut dec = Decoder::new(DecodeOptions {
        limits,
        ..Default::default()
    });
    let mut har = a.har.as_ref().map(|_| Har::default());
    let mut files = match &a.messages {
        Some(d) => Some(MessageFiles::new(d).map_err(|e| {
            anyhow::anyhow!("{}: {e}", escape_for_terminal(&d.display().to_string()))
        })?),
        None => None,
    };
    let mut filter = a.filter;
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut line = Vec::new();
    let mut error: Option<anyhow::Error> = None;
    let mut cut = 0u64;
    let mut sink = |ev: Event| {
        if error.is_some() {
            return;
        }
        let pass = filter.as_mut().is_none_or(|f| f.matches(&ev));
        if let Some(h) = &mut har {
            h.event(&ev);
        }
        let Some(m) = message(&ev).filter(|_| pass) else {
            return;
        };
        if !is_whole(m) {
            cut += 1;
        }
        if let Some(h) = &mut har {
            h.message(m);
        }
        if let Some(f) = &mut files
            && let Err(e) = f.message(m)
        {
            error = Some(anyhow::anyhow!("writing a message file: {e}"));
        }
        if a.ndjson {
            line.clear();
            ndjson_line(&mut line, m);
            if let Err(e) = stdout.write_all(&line) {
                error = Some(e.into());
            }
        }
    };
    let code = super::decode::drive(&a.file, &mut dec, &mut sink)?;
    if let Some(e) = error {
        // A closed pipe on standard output ends the export quietly, like `decode`.
        if e.downcast_ref::<std::io::Error>()
            .is_none_or(|e| e.kind() != std::io::ErrorKind::BrokenPipe)
        {
            return Err(e);
        }
    }
    let _ = stdout.flush();
    if let (Some(h), Some(path)) = (har, &a.har) {
        let mut h = h;
        h.base_ns = dec.first_ts_ns().unwrap_or(0);
        let doc = h.finish();
        let text = serde_json::to_string_pretty(&doc)?;
        std::fs::write(path, text + "\n").map_err(|e| {
            anyhow::anyhow!("{}: {e}", escape_for_terminal(&path.display().to_string()))
        })?;
    }
    if cut > 0 {
        eprintln!(
            "wslens: {cut} message(s) longer than --max-message {} (or not inflatable) were exported cut",
            a.max_message
        );
    }
    Ok(code)
}
