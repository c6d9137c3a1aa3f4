use clap::Args;
use std::io::Write;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use wslens::capture::{self, Arrival};
use wslens::decoder::{DecodeOptions, Decoder};
use wslens::event::Sink;
use wslens::limits::Limits;
use wslens::output::json::JsonWriter;
use wslens::output::text_threads::ThreadedText;
use wslens::output::{Filtered, WriteEvent, batch};
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
    #[arg(long, value_name = "en|zh")]
    pub lang: Option<Lang>,
    /// Bytes held per direction while waiting for missing TCP data.
    #[arg(long, default_value_t = 4 << 20, value_name = "BYTES",
          value_parser = super::limit_parser(1, 1 << 40))]
    pub stream_buffer: usize,
    /// Connections tracked at once (the longest idle is evicted beyond it).
    #[arg(long, default_value_t = 65_536, value_parser = super::limit_parser(1, 1 << 24))]
    pub max_connections: usize,
    /// Out-of-order TCP segments held per direction while waiting for a hole to fill.
    #[arg(long, default_value_t = 1024, value_name = "SEGMENTS",
          value_parser = super::limit_parser(1, 1 << 24))]
    pub max_ooo_segments: usize,
    /// Longest HTTP head (request/status line and headers) accepted.
    #[arg(long, default_value_t = 64 << 10, value_name = "BYTES",
          value_parser = super::limit_parser(16, 1 << 30))]
    pub max_http_head: usize,
    /// Most headers accepted in one HTTP head.
    #[arg(long, default_value_t = 128, value_name = "COUNT",
          value_parser = super::limit_parser(1, 1 << 20))]
    pub max_http_headers: usize,
    /// Payload bytes of each WebSocket message kept for its text/data preview.
    #[arg(long, default_value_t = 64 << 10, value_name = "BYTES",
          value_parser = super::limit_parser(0, 1 << 30))]
    pub message_preview: usize,
    /// Inflated (permessage-deflate) bytes allowed per message before inflating stops.
    #[arg(long, default_value_t = 1 << 30, value_name = "BYTES")]
    pub max_inflate: u64,
    /// Decoding state (inflate windows, out-of-order segments, held HTTP bytes, previews) of
    /// all open connections together; beyond it the longest-idle connections stop being
    /// decoded, with a note. Default 256 MiB. Accepts a suffix: 512M, 1G, 1GiB.
    #[arg(long, default_value_t = wslens::limits::DEFAULT_MEMORY_BUDGET, value_name = "BYTES",
          value_parser = parse_size)]
    pub memory_budget: usize,
    /// Show only the events this filter expression lets through (docs/filters.md), e.g.
    /// 'ws.opcode == binary && dir == s2c'.
    #[arg(long, value_name = "EXPR", value_parser = super::parse_filter)]
    pub filter: Option<wslens::filter::Filter>,
    #[command(flatten)]
    pub tls: super::tls_keys::TlsKeyArgs,
}

/// A byte count, optionally with a binary suffix (K, M, G, with or without `iB`/`B`).
pub(super) fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(digits);
    let n: usize = n
        .parse()
        .map_err(|_| format!("{s:?} is not a byte count (e.g. 268435456, 512M, 1G)"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("{s:?}: unknown unit (use K, M or G)")),
    };
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("{s:?} is too large"))
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
            memory_budget: self.memory_budget,
            ..Limits::default()
        }
    }
}

pub fn run(a: DecodeArgs) -> anyhow::Result<ExitCode> {
    super::die_on_closed_pipe();
    let opts = DecodeOptions {
        limits: a.limits(),
        tls_keys: a.tls.store(false)?,
        ..DecodeOptions::default()
    };
    let mut dec = Decoder::new(opts);
    if a.json {
        // The JSON writer writes large chunks itself: straight to the descriptor, past the
        // standard output's line buffer.
        let out = std::fs::File::from(std::io::stdout().as_fd().try_clone_to_owned()?);
        if let Some(filter) = a.filter {
            let w = Filtered {
                filter,
                inner: JsonWriter::new(out),
            };
            let (code, mut w) = drive_threaded(&a.file, &mut dec, w)?;
            let flushed = w.0.inner.flush();
            return finish(code, flushed);
        }
        let (code, mut w) = drive_threaded(&a.file, &mut dec, JsonWriter::new(out))?;
        let flushed = w.0.flush();
        finish(code, flushed)
    } else {
        // The text is made on two threads beside the writer's (it costs several times what
        // NDJSON does); the writer thread keeps the narration's context in order.
        let out = std::fs::File::from(std::io::stdout().as_fd().try_clone_to_owned()?);
        let out = std::io::BufWriter::with_capacity(1 << 16, out);
        let lang = (!a.brief).then(|| a.lang.unwrap_or_default());
        let w = ThreadedText::new(out, lang, a.lang.unwrap_or_default(), 2);
        if let Some(filter) = a.filter {
            let w = Filtered { filter, inner: w };
            let (code, mut w) = drive_threaded(&a.file, &mut dec, w)?;
            let flushed = w.0.inner.flush();
            return finish(code, flushed);
        }
        let (code, mut w) = drive_threaded(&a.file, &mut dec, w)?;
        let flushed = w.0.flush();
        finish(code, flushed)
    }
}

/// The decoding's exit status, unless the output could not be written to the end.
fn finish(
    code: anyhow::Result<ExitCode>,
    flushed: std::io::Result<()>,
) -> anyhow::Result<ExitCode> {
    match flushed {
        Ok(()) => code,
        Err(e) => {
            if let Err(c) = &code {
                let _ = writeln!(
                    std::io::stderr(),
                    "wslens: {}",
                    escape_for_terminal(&format!("{c:#}"))
                );
            }
            // Status 1, as when a write fails midway (`StopOnError`).
            let _ = writeln!(std::io::stderr(), "wslens: writing the output: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

/// A writer that ends the process the moment its output fails (a full disk, `/dev/full`, an
/// I/O error): decoding on to the end of a large capture would only waste time, and the
/// output is already cut short. Status 1, with the reason on standard error. (A closed pipe
/// never gets here: `die_on_closed_pipe` lets SIGPIPE end the process first.)
struct StopOnError<S>(S);

impl<S: WriteEvent> StopOnError<S> {
    fn check(&mut self) {
        if let Some(e) = self.0.take_error() {
            let _ = writeln!(std::io::stderr(), "wslens: writing the output: {e}");
            std::process::exit(1);
        }
    }
}

impl<S: WriteEvent> WriteEvent for StopOnError<S> {
    fn write_event(&mut self, ev: &wslens::event::Event) {
        self.0.write_event(ev);
        self.check();
    }

    /// The input caught up (a pipe waits for more): what is held goes out now.
    fn flush_out(&mut self) {
        self.0.flush_out();
        self.check();
    }
}

/// `drive` with the writer on its own thread; gives the writer back for flushing.
fn drive_threaded<S: WriteEvent + Send + 'static>(
    file: &Path,
    dec: &mut Decoder,
    writer: S,
) -> anyhow::Result<(anyhow::Result<ExitCode>, StopOnError<S>)> {
    let (mut tx, handle) = batch::spawn(StopOnError(writer));
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
    let mut stopped = false;
    // Decryption Secrets Blocks of a pcapng feed the TLS key store as they are read.
    let keys = dec.tls_keys();
    let on_secret = move |ty, text: &[u8]| {
        if ty == wslens::tls::DSB_TLS_KEY_LOG {
            keys.add_text(text)
        }
    };
    let read = match open_stream(file) {
        Some(input) => {
            // Events are written as packets arrive; Ctrl-C and SIGTERM end the decode after what
            // was already sent, with open connections summarised (a second one exits at once).
            let input = input.map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            let stop = Arc::new(AtomicBool::new(false));
            wslens::live::stop_on_signals(&stop)?;
            capture::with_secrets(on_secret, || {
                capture::read_stream(input, &stop, &mut stopped, |a| match a {
                    Arrival::Packet(p) => dec.packet(&p, sink),
                    Arrival::CaughtUp => sink.caught_up(),
                })
            })
        }
        None => capture::with_secrets(on_secret, || {
            capture::read_file_mapped(file, |p, window| {
                if let Some(w) = window {
                    sink.backing(w);
                }
                dec.packet(&p, sink)
            })
        }),
    };
    let summary = match read {
        Ok(s) => s,
        Err(e) => anyhow::bail!("{name}: {}", escape_for_terminal(&e.after_name())),
    };
    dec.finish(sink);
    sink.caught_up();
    for w in &summary.warnings {
        let _ = writeln!(std::io::stderr(), "wslens: {name}: {w}");
    }
    if stopped {
        let _ = writeln!(
            std::io::stderr(),
            "wslens: {name}: stopped by a signal after {} packets (connections still open are \
             summarised as such)",
            summary.packets
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(e) = &summary.error {
        let _ = writeln!(std::io::stderr(), "wslens: {name}: {e}");
        // A file shrinking under the reader is not damage in the file: what was decoded was
        // written, but the run did not see the whole capture.
        if summary.packets == 0 || matches!(e, capture::CaptureError::Shrunk { .. }) {
            return Ok(ExitCode::from(1));
        }
    } else if summary.packets == 0 {
        // docs/security.md: a valid file header and no packet is exit status 1.
        let e = capture::CaptureError::NoPackets;
        let _ = writeln!(std::io::stderr(), "wslens: {name}: {e}");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// The input as a stream when it is one (standard input or a named file that is a pipe, FIFO,
/// terminal or socket), so it is decoded as it arrives; None for a file read to its end.
fn open_stream(file: &Path) -> Option<std::io::Result<std::fs::File>> {
    if file.as_os_str() == "-" {
        let stdin = std::io::stdin();
        if !capture::is_stream(&stdin) {
            return None;
        }
        return Some(stdin.as_fd().try_clone_to_owned().map(std::fs::File::from));
    }
    use std::os::unix::fs::FileTypeExt;
    let t = std::fs::metadata(file).ok()?.file_type();
    if t.is_fifo() || t.is_char_device() || t.is_socket() {
        Some(std::fs::File::open(file))
    } else {
        None
    }
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

    #[test]
    fn memory_budget_takes_a_suffix() {
        let budget = |v: &str| {
            T::try_parse_from(["t", "--memory-budget", v, "x"]).map(|t| t.a.memory_budget)
        };
        assert_eq!(budget("1000").unwrap(), 1000);
        assert_eq!(budget("512M").unwrap(), 512 << 20);
        assert_eq!(budget("1GiB").unwrap(), 1 << 30);
        assert_eq!(budget("64kb").unwrap(), 64 << 10);
        assert!(budget("lots").is_err());
        assert!(budget("5T").is_err());
        assert!(budget("99999999999999999999G").is_err());
    }
}
