use clap::{Args, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use wslens::decoder::{DecodeOptions, Decoder};
use wslens::event::Sink;
use wslens::live::{
    self, BackendKind, CaptureError, CaptureHandle, CaptureOptions, CaptureStats, StopReason,
};
use wslens::output::batch;
use wslens::output::json::JsonWriter;
use wslens::output::text::TextWriter;
use wslens::output::text_threads::ThreadedText;
use wslens::teach::catalog::say;
use wslens::teach::{Lang, Msg};
use wslens::ui::{LiveStatus, UiOptions, UiSource};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum BackendArg {
    /// Pure Rust (pnet_datalink on our own AF_PACKET socket).
    Pnet,
    /// libpcap (needs a build with `--features libpcap`).
    Pcap,
}

impl BackendArg {
    pub fn kind(b: Option<BackendArg>) -> BackendKind {
        match b {
            Some(BackendArg::Pnet) => BackendKind::Pnet,
            Some(BackendArg::Pcap) => BackendKind::Pcap,
            None => BackendKind::default_for_build(),
        }
    }
}

#[derive(Args, Debug)]
pub struct LiveArgs {
    /// Interface to capture on.
    #[arg(short = 'i', long = "interface", default_value = "lo")]
    pub iface: String,
    /// Keep only TCP/UDP packets to or from this port (repeatable).
    #[arg(short = 'p', long = "port")]
    pub ports: Vec<u16>,
    /// BPF filter expression (libpcap backend only).
    #[arg(short = 'f', long = "filter", value_name = "BPF")]
    pub bpf: Option<String>,
    /// Write NDJSON events, one per line, as they happen.
    #[arg(long, conflicts_with = "text")]
    pub json: bool,
    /// Write narrated text, one line per event, as it happens (also the default when standard
    /// output is not a terminal; otherwise the terminal UI opens).
    #[arg(long)]
    pub text: bool,
    /// Text output with summary lines only, without the narration under each.
    #[arg(long, conflicts_with = "json")]
    pub brief: bool,
    /// Language of the narration (terminal UI and text): en or zh (简体中文).
    #[arg(long, value_name = "en|zh")]
    pub lang: Option<Lang>,
    /// Also record the raw packets to this .pcap file.
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Stop after this many packets.
    #[arg(short = 'c', long = "count")]
    pub count: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    /// Capture backend (default: pcap when built with it, else pnet).
    #[arg(long, value_enum)]
    pub backend: Option<BackendArg>,
    #[command(flatten)]
    pub tls: super::tls_keys::TlsKeyArgs,
    #[command(flatten)]
    pub ui_memory: super::tls_keys::UiMemoryArgs,
}

/// Exit code when the capture cannot be opened (no permission, no interface, bad filter).
pub const EXIT_CAPTURE: u8 = 2;

pub fn run(a: LiveArgs) -> anyhow::Result<ExitCode> {
    let duration = match a.duration {
        Some(s) if !(s.is_finite() && s >= 0.0) => anyhow::bail!("--duration must be ≥ 0"),
        Some(s) => Some(Duration::from_secs_f64(s.min(1e9))),
        None => None,
    };
    // Re-read as it grows: browsers write keys during each handshake.
    let tls_keys = a.tls.store(true)?;
    let stop = Arc::new(AtomicBool::new(false));
    live::stop_on_signals(&stop)?;
    let opts = CaptureOptions {
        iface: a.iface.clone(),
        backend: BackendArg::kind(a.backend),
        ports: a.ports.clone(),
        bpf: a.bpf.clone(),
        record: a.write.clone(),
        count: a.count,
        duration,
        stop,
        record_secrets: None,
    };
    let handle = match live::start(opts) {
        Ok(h) => h,
        Err(e) => return Ok(capture_failed(&e)),
    };
    if use_ui(a.json, a.text || a.brief) {
        let name = "live".to_string();
        let lang = a.lang.unwrap_or_default();
        let backend = BackendArg::kind(a.backend).as_str();
        let mut running = say(
            lang,
            Msg::UiCapturing,
            &[("iface", &a.iface), ("backend", &backend)],
        );
        if let Some(w) = &a.write {
            let file = w.display();
            running.push_str(" · ");
            running.push_str(&say(lang, Msg::UiRecordingTo, &[("file", &file)]));
        }
        let status = LiveStatus {
            running,
            ended: say(lang, Msg::UiCaptureEnded, &[]),
        };
        let stats = run_in_ui(
            handle,
            name,
            status,
            a.lang.unwrap_or_default(),
            None,
            tls_keys.clone(),
            a.ui_memory.bytes,
        )?;
        if let Some(p) = &a.write {
            pcapng_with_keys(p, &tls_keys);
        }
        // The line left on the terminal once the UI is gone: what was captured, and where to
        // find it again.
        let _ = writeln!(
            std::io::stderr(),
            "wslens: {}",
            closing_line(&stats, a.write.as_deref())
        );
        return Ok(ExitCode::SUCCESS);
    }
    let _ = writeln!(
        std::io::stderr(),
        "wslens: capturing on {} ({}); Ctrl-C to stop",
        a.iface,
        BackendArg::kind(a.backend).as_str()
    );
    let mut dec = Decoder::new(DecodeOptions {
        live: true,
        tls_keys: tls_keys.clone(),
        ..DecodeOptions::default()
    });
    // Output is held and written per batch of packets (decode_live says when), not per event.
    let code = if a.json {
        let mut w = JsonWriter::new(std::io::stdout().lock());
        live::decode_live(handle, &mut dec, &mut w);
        finish_output(w.take_error(), w.flush())
    } else {
        // As for `decode`: the text is made on two threads, behind a writer thread that keeps
        // the narration's context in order. Each time the capture's queue runs dry (and every
        // 50 ms while it does not) the writer is told to write out what it was given, so a
        // line follows its packet within moments on a quiet capture (tests/live_output.rs).
        use std::os::fd::AsFd;
        let out = std::fs::File::from(std::io::stdout().as_fd().try_clone_to_owned()?);
        let out = std::io::BufWriter::with_capacity(1 << 16, out);
        let lang = (!a.brief).then(|| a.lang.unwrap_or_default());
        let w = ThreadedText::new(out, lang, a.lang.unwrap_or_default(), 2);
        let (mut tx, writer) = batch::spawn(w);
        live::decode_live(handle, &mut dec, &mut tx as &mut dyn Sink);
        tx.close();
        let mut w = writer
            .join()
            .map_err(|_| anyhow::anyhow!("the output thread failed"))?;
        finish_output(w.take_error(), w.flush())
    };
    if let Some(p) = &a.write {
        pcapng_with_keys(p, &tls_keys);
    }
    code
}

/// `-w FILE.pcapng`: the recording becomes a pcapng with the keys of its own TLS connections
/// embedded (a Decryption Secrets Block), so it opens decrypted in wslens and Wireshark alike.
fn pcapng_with_keys(path: &std::path::Path, keys: &wslens::tls::KeyStore) {
    if path.extension().and_then(|e| e.to_str()) != Some("pcapng") {
        return;
    }
    let Ok(bytes) = std::fs::read(path) else {
        return;
    };
    // A connection's ClientHello random is in the capture in clear.
    let text = keys.to_text_for(|r| memchr::memmem::find(&bytes, r).is_some());
    drop(bytes);
    match wslens::capture::pcapng::embed_tls_keys(path, text.as_bytes()) {
        Ok(()) if !text.is_empty() => {
            let _ = writeln!(
                std::io::stderr(),
                "wslens: {}: TLS keys embedded ({} lines)",
                wslens::text::escape_for_terminal(&path.display().to_string()),
                text.lines().count()
            );
        }
        Ok(()) => {}
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "wslens: could not write {} as pcapng: {e}",
                wslens::text::escape_for_terminal(&path.display().to_string())
            );
        }
    }
}

/// The text view as `decode` makes it: narrated in `lang` unless `brief`.
pub fn text_writer<W: Write>(out: W, brief: bool, lang: Option<Lang>) -> TextWriter<W> {
    let w = TextWriter::new(out);
    if brief {
        w.summaries_in(lang.unwrap_or_default())
    } else {
        w.narrated(lang.unwrap_or_default())
    }
}

/// The UI unless a stream format was asked for or standard output is not a terminal.
pub fn use_ui(json: bool, text: bool) -> bool {
    !json && !text && std::io::stdout().is_terminal()
}

/// What a live capture shown in the UI did, in one line: for the terminal after the UI quits.
pub fn closing_line(s: &CaptureStats, record: Option<&std::path::Path>) -> String {
    let lost = s.dropped_by_us + s.kernel_drops.unwrap_or(0);
    let mut line = format!(
        "live capture on {} ({}) ended: {} packets captured, {}",
        s.iface,
        s.backend.as_str(),
        s.captured,
        if lost == 0 {
            "none lost".to_string()
        } else {
            format!("{lost} lost")
        }
    );
    if let StopReason::Error(e) = &s.reason {
        line.push_str(&format!(" (stopped by an error: {e})"));
    }
    if let Some(p) = record {
        let p = wslens::text::escape_for_terminal(&p.display().to_string()).into_owned();
        line.push_str(&format!(
            "; recorded to {p} (`wslens open {p}` shows it again)"
        ));
    } else if s.captured > 0 {
        line.push_str("; add -w FILE.pcap to keep the packets");
    }
    line
}

/// Decode on a producer thread into the terminal UI until the user quits it; the capture's
/// figures once it has stopped.
pub fn run_in_ui(
    handle: CaptureHandle,
    name: String,
    status: LiveStatus,
    lang: Lang,
    demo_ctl: Option<std::sync::mpsc::Sender<wslens::live::demo::DemoCmd>>,
    tls_keys: wslens::tls::KeyStore,
    ui_memory: usize,
) -> anyhow::Result<CaptureStats> {
    let (mut tx, rx) = wslens::ui::feed::channel();
    let stop = handle.stop.clone();
    let producer = std::thread::spawn(move || {
        let mut opts = DecodeOptions {
            live: true,
            tls_keys,
            ..DecodeOptions::default()
        };
        opts.limits.frame_preview = live::UI_FRAME_PREVIEW;
        let mut dec = Decoder::new(opts);
        live::feed_ui(handle, &mut dec, &mut tx)
    });
    let opts = UiOptions {
        lang,
        live: Some(status),
        demo_ctl,
        ui_memory,
        ..UiOptions::default()
    };
    let r = wslens::ui::run_ui(UiSource::Channel { name, rx }, opts);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let stats = producer
        .join()
        .map_err(|_| anyhow::anyhow!("the decoding thread failed"))?;
    r.map(|()| stats)
}

fn finish_output(
    err: Option<std::io::Error>,
    flushed: std::io::Result<()>,
) -> anyhow::Result<ExitCode> {
    match err.map(Err).unwrap_or(flushed) {
        // A closed pipe (`| head`) is a normal way to stop reading.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// Explain a capture that could not start, and exit with code 2 (no stack trace).
pub fn capture_failed(e: &CaptureError) -> ExitCode {
    // It may name a file (`-w`, `--record`): escaped like every path.
    let msg = e.to_string();
    let _ = writeln!(
        std::io::stderr(),
        "wslens: {}",
        wslens::text::escape_for_terminal(&msg)
    );
    ExitCode::from(EXIT_CAPTURE)
}
