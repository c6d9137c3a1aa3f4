use clap::Args;
use std::io::Write;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wslens::capture;
use wslens::decoder::{DecodeOptions, Decoder};
use wslens::event::Sink;
use wslens::limits::Limits;
use wslens::output::json::JsonWriter;
use wslens::output::text::TextWriter;
use wslens::output::{WriteEvent, batch};
use wslens::teach::Lang;
use wslens::text::escape_for_terminal;

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
    /// Out-of-order TCP segments held per direction while waiting for a hole to fill.
    #[arg(long, default_value_t = 1024, value_name = "SEGMENTS")]
    pub max_ooo_segments: usize,
    /// Longest HTTP head (request/status line and headers) accepted.
    #[arg(long, default_value_t = 64 << 10, value_name = "BYTES")]
    pub max_http_head: usize,
    /// Most headers accepted in one HTTP head.
    #[arg(long, default_value_t = 128, value_name = "COUNT")]
    pub max_http_headers: usize,
    /// Payload bytes of each WebSocket message kept for its text/data preview.
    #[arg(long, default_value_t = 64 << 10, value_name = "BYTES")]
    pub message_preview: usize,
    /// Inflated (permessage-deflate) bytes allowed per message before inflating stops.
    #[arg(long, default_value_t = 1 << 30, value_name = "BYTES")]
    pub max_inflate: u64,
    #[command(flatten)]
    pub tls: super::tls_keys::TlsKeyArgs,
}

impl DecodeArgs {
    fn limits(&self) -> Limits {
        Limits {
            stream_buffer: self.stream_buffer,
            ooo_segments: self.max_ooo_segments,
            connections: self.max_connections,
            http_head: self.max_http_head,
            http_headers: self.max_http_headers,
            message_preview: self.message_preview,
            inflate_per_message: self.max_inflate,
            ..Limits::default()
        }
    }
}

pub fn run(a: DecodeArgs) -> anyhow::Result<ExitCode> {
    let opts = DecodeOptions {
        limits: a.limits(),
        tls_keys: a.tls.store(false)?,
    };
    let mut dec = Decoder::new(opts);
    if a.json {
        // The JSON writer writes large chunks itself: straight to the descriptor, past the
        // standard output's line buffer.
        let out = std::fs::File::from(std::io::stdout().as_fd().try_clone_to_owned()?);
        let (code, mut w) = drive_threaded(&a.file, &mut dec, JsonWriter::new(out))?;
        let _ = w.flush();
        code
    } else {
        let out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
        let mut w = TextWriter::new(out);
        if !a.brief {
            w = w.narrated(a.lang);
        }
        let (code, mut w) = drive_threaded(&a.file, &mut dec, w)?;
        let _ = w.flush();
        code
    }
}

/// `drive` with the writer on its own thread; gives the writer back for flushing.
fn drive_threaded<S: WriteEvent + Send + 'static>(
    file: &Path,
    dec: &mut Decoder,
    writer: S,
) -> anyhow::Result<(anyhow::Result<ExitCode>, S)> {
    let (mut tx, handle) = batch::spawn(writer);
    let code = drive(file, dec, &mut tx);
    tx.close();
    let w = handle
        .join()
        .map_err(|_| anyhow::anyhow!("the output thread failed"))?;
    Ok((code, w))
}

/// Read, decode, write; damage to the file is reported after what could be read.
pub(crate) fn drive(
    file: &Path,
    dec: &mut Decoder,
    sink: &mut dyn Sink,
) -> anyhow::Result<ExitCode> {
    // A file name is chosen by whoever named the file: escape it like captured bytes.
    let name = file.display().to_string();
    let name = escape_for_terminal(&name);
    let keys = dec.tls_keys();
    let read = capture::with_secrets(
        move |ty, text| {
            if ty == wslens::tls::DSB_TLS_KEY_LOG {
                keys.add_text(text)
            }
        },
        || {
            capture::read_file_mapped(file, |p, window| {
                if let Some(w) = window {
                    sink.backing(w);
                }
                dec.packet(&p, sink)
            })
        },
    );
    let summary = match read {
        Ok(s) => s,
        Err(e) => anyhow::bail!("{name}: {}", escape_for_terminal(&e.to_string())),
    };
    dec.finish(sink);
    for w in &summary.warnings {
        let _ = writeln!(std::io::stderr(), "wslens: {name}: {w}");
    }
    if let Some(e) = &summary.error {
        let _ = writeln!(std::io::stderr(), "wslens: {name}: {e}");
        if summary.packets == 0 {
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        a: DecodeArgs,
    }

    /// The flags' defaults are the library's: a change to `Limits` cannot silently diverge.
    #[test]
    fn flag_defaults_are_the_library_limits() {
        let t = T::try_parse_from(["t", "x.pcap"]).unwrap();
        let (a, b) = (t.a.limits(), Limits::default());
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        let t =
            T::try_parse_from(["t", "--max-inflate", "7", "--max-http-headers", "3", "x"]).unwrap();
        assert_eq!(t.a.limits().inflate_per_message, 7);
        assert_eq!(t.a.limits().http_headers, 3);
    }
}
