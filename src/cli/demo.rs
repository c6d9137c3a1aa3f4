use super::live::{BackendArg, capture_failed, run_in_ui, text_writer, use_ui};
use clap::Args;
use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wslens::capture;
use wslens::decoder::{DecodeOptions, Decoder};
use wslens::event::Sink;
use wslens::live::{self, CaptureOptions, demo};
use wslens::output::json::JsonWriter;
use wslens::teach::catalog::say;
use wslens::teach::{Lang, Msg};
use wslens::ui::{UiOptions, UiSource};

/// A recording of `wslens demo` (default pace), played when live capture is not allowed.
static BUNDLED: &[u8] = include_bytes!("../../captures/demo.pcap");
/// The same for `demo --tls`: `demo --tls --record demo-tls.pcapng`, the keys inside.
static BUNDLED_TLS: &[u8] = include_bytes!("../../captures/demo-tls.pcapng");
/// The pace the bundled recordings were made at.
const BUNDLED_PACE: f64 = 0.8;

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Seconds between the steps of the conversation.
    #[arg(long, default_value_t = 0.8, value_name = "SECS")]
    pub pace: f64,
    /// Negotiate permessage-deflate and compress the messages.
    #[arg(long)]
    pub deflate: bool,
    /// The same chat done by HTTP polling (short connections), for contrast.
    #[arg(long, conflicts_with = "deflate")]
    pub polling: bool,
    /// wss://: the same chat inside TLS (a self-signed certificate made at start). The peers
    /// log their own TLS keys, so the conversation is shown decrypted as it happens.
    #[arg(long, conflicts_with = "polling")]
    pub tls: bool,
    /// With --tls: also write the peers' TLS key log (NSS format, as SSLKEYLOGFILE) to FILE,
    /// created private (mode 0600), for Wireshark or `wslens open --tls-keylog FILE`.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub keylog: Option<PathBuf>,
    /// Keep the capture in this .pcap file (with --tls: pcapng, the TLS keys embedded).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Write NDJSON events instead of narrated text.
    #[arg(long, conflicts_with = "text")]
    pub json: bool,
    /// Write narrated text.
    #[arg(long)]
    pub text: bool,
    /// Text output with summary lines only, without the narration under each.
    #[arg(long, conflicts_with = "json")]
    pub brief: bool,
    /// Language of the narration (terminal UI and text): en or zh (简体中文).
    #[arg(long, value_name = "en|zh")]
    pub lang: Option<Lang>,
    /// Capture backend (default: pcap when built with it, else pnet).
    #[arg(long, value_enum)]
    pub backend: Option<BackendArg>,
    /// Teacher-paced: each step of the conversation (connect, upgrade, each message, close)
    /// happens on the wire only when `n` is pressed at the newest event; `m` types a message
    /// the client sends at once. Terminal UI only.
    #[arg(long, conflicts_with_all = ["json", "text", "brief"])]
    pub step: bool,
    #[command(flatten)]
    pub ui_memory: super::tls_keys::UiMemoryArgs,
}

pub fn run(a: DemoArgs) -> anyhow::Result<ExitCode> {
    if !(a.pace.is_finite() && (0.0..=60.0).contains(&a.pace)) {
        anyhow::bail!("--pace must be between 0 and 60 seconds");
    }
    let pace = Duration::from_secs_f64(a.pace);
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let stop = Arc::new(AtomicBool::new(false));
    live::stop_on_signals(&stop)?;
    // Run as root, the demo keeps root only to open its capture: then it becomes the user who
    // ran sudo (or nobody), so its peers and decoders never run privileged.
    live::drop_root_when_open(live::Unprivileged::from_env());
    // wss://: where the peers' TLS keys go. The key log file is created now, like the
    // recording, before privileges are given up.
    let tls_keys = wslens::tls::KeyStore::new();
    let record_secrets = (a.tls && a.record.is_some()).then(live::SecretsFeed::default);
    let keylog_file = match &a.keylog {
        Some(p) => Some(live::create_private(p).map_err(|e| {
            anyhow::anyhow!(
                "cannot create the key log {}: {e}",
                wslens::text::escape_for_terminal(&p.display().to_string())
            )
        })?),
        None => None,
    };
    let opts = CaptureOptions {
        iface: "lo".into(),
        backend: BackendArg::kind(a.backend),
        ports: vec![port],
        bpf: None,
        record: a.record.clone(),
        count: None,
        duration: None,
        stop: stop.clone(),
        record_secrets: record_secrets.clone(),
    };
    let handle = match live::start(opts) {
        Ok(h) => h,
        Err(e) if e.is_permission() && a.step => {
            // A recording cannot wait for the teacher: say what is needed instead.
            anyhow::bail!(
                "demo --step runs real peers captured live, and capturing is not allowed here: {e}"
            );
        }
        Err(e) if e.is_permission() => {
            let _ = writeln!(
                std::io::stderr(),
                "wslens: the demo captures its own traffic live, and that is not allowed here.\n\
                 {e}\nPlaying the bundled recording of the same demo instead.\n"
            );
            return replay_bundled(&a);
        }
        Err(e) => return Ok(capture_failed(&e)),
    };
    let _ = writeln!(
        std::io::stderr(),
        "wslens demo: {} on 127.0.0.1:{port}, captured live on lo ({}){}",
        if a.polling {
            "HTTP polling chat"
        } else if a.tls && a.deflate {
            "WebSocket chat over TLS (wss://) with permessage-deflate"
        } else if a.tls {
            "WebSocket chat over TLS (wss://)"
        } else if a.deflate {
            "WebSocket chat with permessage-deflate"
        } else {
            "WebSocket chat"
        },
        BackendArg::kind(a.backend).as_str(),
        match &a.record {
            Some(p) => format!(
                ", recorded to {}",
                wslens::text::escape_for_terminal(&p.display().to_string())
            ),
            None => String::new(),
        }
    );
    let dopts = demo::DemoOptions {
        pace,
        deflate: a.deflate,
        stepped: a.step,
    };
    // With --step the teacher's keys, not the clock, move the peers on.
    let (demo_ctl, peer_pace) = if a.step {
        let (tx, rx) = std::sync::mpsc::channel();
        (Some(tx), demo::Pace::Teacher(rx))
    } else {
        (None, demo::Pace::Timed(pace))
    };
    if let Some(p) = a
        .record
        .as_ref()
        .filter(|p| a.tls && p.extension().and_then(|e| e.to_str()) != Some("pcapng"))
    {
        let _ = writeln!(
            std::io::stderr(),
            "wslens demo: {} is written as pcapng (with --tls the keys are embedded in it)",
            wslens::text::escape_for_terminal(&p.display().to_string())
        );
    }
    // Made now that privileges are given up: nothing of TLS runs privileged.
    let tls = if a.tls {
        let sinks = demo::tls::KeySinks {
            store: tls_keys.clone(),
            record: record_secrets,
            file: keylog_file,
        };
        Some(demo::tls::DemoTls::new(sinks).map_err(|e| anyhow::anyhow!("demo --tls: {e}"))?)
    } else {
        None
    };
    let polling = a.polling;
    let stop_peers = stop.clone();
    let peers = std::thread::spawn(move || {
        let r = if polling {
            demo::run_polling(listener, dopts, peer_pace)
        } else {
            demo::run_ws(listener, dopts, peer_pace, tls)
        };
        // Let the last ACKs of the teardown reach the capture before it stops.
        std::thread::sleep(Duration::from_millis(300));
        stop_peers.store(true, Ordering::SeqCst);
        r.map_err(|e| e.to_string())
    });
    if use_ui(a.json, a.text || a.brief) {
        let lang = a.lang.unwrap_or_default();
        let backend = BackendArg::kind(a.backend).as_str();
        let mut running = say(lang, Msg::UiDemoRunning, &[("backend", &backend)]);
        if let Some(w) = &a.record {
            let file = w.display();
            running.push_str(" · ");
            running.push_str(&say(lang, Msg::UiRecordingTo, &[("file", &file)]));
        }
        let status = wslens::ui::LiveStatus {
            running,
            ended: say(lang, Msg::UiDemoEnded, &[]),
        };
        run_in_ui(
            handle,
            format!("demo: 127.0.0.1:{port}"),
            status,
            a.lang.unwrap_or_default(),
            demo_ctl,
            tls_keys,
            a.ui_memory.bytes,
        )?;
        stop.store(true, Ordering::SeqCst);
        return Ok(ExitCode::SUCCESS);
    }
    let mut dec = Decoder::new(DecodeOptions {
        live: true,
        tls_keys,
        ..DecodeOptions::default()
    });
    let stats = with_sink(&a, |sink| live::decode_live(handle, &mut dec, sink))?;
    if stats.captured == 0 {
        let _ = writeln!(std::io::stderr(), "wslens demo: nothing was captured");
    }
    if stop.load(Ordering::SeqCst) && !peers.is_finished() {
        // Interrupted by the user: the peers are left to the end of the process.
        return Ok(ExitCode::SUCCESS);
    }
    match peers.join() {
        Ok(Ok(())) => Ok(ExitCode::SUCCESS),
        Ok(Err(e)) => anyhow::bail!("demo peers failed: {e}"),
        Err(_) => anyhow::bail!("demo peers panicked"),
    }
}

/// Run `f` with the chosen line-buffered view on standard output.
fn with_sink<T>(a: &DemoArgs, f: impl FnOnce(&mut dyn Sink) -> T) -> anyhow::Result<T> {
    let out = std::io::stdout().lock();
    if a.json {
        let mut w = JsonWriter::new(out);
        w.line_buffered = true;
        let r = f(&mut w);
        let flushed = w.flush();
        written(w.take_error(), flushed).map(|_| r)
    } else {
        let mut w = text_writer(out, a.brief, a.lang);
        w.line_buffered = true;
        let r = f(&mut w);
        let flushed = w.flush();
        written(w.take_error(), flushed).map(|_| r)
    }
}

/// A write error is reported (status 2); a closed pipe (`| head`) is a normal way to stop.
fn written(err: Option<std::io::Error>, flushed: std::io::Result<()>) -> anyhow::Result<()> {
    match err.map(Err).unwrap_or(flushed) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::anyhow!("writing the output: {e}"))
        }
        _ => Ok(()),
    }
}

/// Sleep as long as the recording waited between two packets, scaled to the asked pace.
struct Pacer {
    scale: f64,
    prev: Option<i64>,
}

impl Pacer {
    fn new(pace: f64) -> Pacer {
        Pacer {
            scale: pace / BUNDLED_PACE,
            prev: None,
        }
    }
    fn wait(&mut self, ts_ns: i64) {
        if let Some(t) = self.prev {
            let gap = ts_ns.saturating_sub(t).clamp(0, 5_000_000_000) as f64 * self.scale;
            std::thread::sleep(Duration::from_nanos(gap as u64));
        }
        self.prev = Some(ts_ns);
    }
}

/// Where a bundled recording's embedded TLS keys (Decryption Secrets Blocks) go.
fn secrets_to(keys: wslens::tls::KeyStore) -> impl FnMut(u32, &[u8]) + 'static {
    move |ty, text| {
        if ty == wslens::tls::DSB_TLS_KEY_LOG {
            keys.add_text(text)
        }
    }
}

/// Decode the bundled recording, paced by its own timestamps scaled to `--pace`.
fn replay_bundled(a: &DemoArgs) -> anyhow::Result<ExitCode> {
    let bundled = if a.tls { BUNDLED_TLS } else { BUNDLED };
    if use_ui(a.json, a.text || a.brief) {
        let (mut tx, rx) = wslens::ui::feed::channel();
        let pace = a.pace;
        std::thread::spawn(move || {
            let mut opts = DecodeOptions::default();
            opts.limits.frame_preview = live::UI_FRAME_PREVIEW;
            let mut dec = Decoder::new(opts);
            let mut pacer = Pacer::new(pace);
            let r = capture::with_secrets(secrets_to(dec.tls_keys()), || {
                capture::read_bytes(bundled, |p| {
                    if !tx.is_open() {
                        return;
                    }
                    pacer.wait(p.ts_ns);
                    tx.packet(p.num, p.ts_ns, p.linktype, p.orig_len, p.data);
                    dec.packet(&p, &mut tx);
                    tx.flush();
                })
            });
            dec.finish(&mut tx);
            match r {
                Ok(_) => tx.done(),
                Err(e) => tx.error(e.to_string()),
            }
        });
        let name = "demo (bundled recording)".to_string();
        let opts = UiOptions {
            lang: a.lang.unwrap_or_default(),
            live: Some(wslens::ui::LiveStatus {
                running: say(a.lang.unwrap_or_default(), Msg::UiDemoReplaying, &[]),
                ended: say(a.lang.unwrap_or_default(), Msg::UiDemoEnded, &[]),
            }),
            ui_memory: a.ui_memory.bytes,
            ..UiOptions::default()
        };
        wslens::ui::run_ui(UiSource::Channel { name, rx }, opts)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut dec = Decoder::new(DecodeOptions::default());
    let mut pacer = Pacer::new(a.pace);
    with_sink(a, |sink| {
        let r = capture::with_secrets(secrets_to(dec.tls_keys()), || {
            capture::read_bytes(bundled, |p| {
                pacer.wait(p.ts_ns);
                dec.packet(&p, sink);
            })
        });
        dec.finish(sink);
        r.map(|_| ())
    })?
    .map_err(|e| anyhow::anyhow!("bundled recording: {e}"))?;
    Ok(ExitCode::SUCCESS)
}
