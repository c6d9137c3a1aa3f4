//! The terminal UI: a model, an `update` that applies messages to it, and a pure `view`.
//!
//! Data arrives from a producer thread (file reader or live capture) as [`feed::Feed`]s over a
//! channel, so the first screen shows as soon as the first packets are decoded and the UI stays
//! responsive while the rest streams in. The UI only consumes events and field trees; it never
//! parses packet bytes.

pub mod ahead;
mod chunked;
mod conn_info;
mod conn_table;
pub mod detail;
mod detail_app;
pub mod feed;
mod fold;
pub mod full_payload;
pub mod layers;
pub mod layout;
pub mod model;
pub mod narration;
pub mod oom;
mod packet_index;
mod payload_rows;
mod search_memo;
mod source;
mod spill;
pub mod store;
pub mod theme;
pub mod view;
pub mod wrap;

#[cfg(test)]
mod ahead_tests;
#[cfg(test)]
mod classroom_tests;
#[cfg(test)]
mod full_payload_tests;
#[cfg(test)]
mod tests;

pub use feed::{Batch, Feed, FeedSender, PacketRec};
pub use model::{LiveStatus, Model, Msg, update};
pub use source::decode_all;
pub use theme::ThemeName;
pub use view::view;

use ratatui::crossterm::event::{self as ct, Event as CtEvent};
use ratatui::crossterm::execute;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// The classroom demo capture, compiled in so `wslens` alone works from any directory.
pub static EMBEDDED_CAPTURE: &[u8] = source::EMBEDDED;

/// Where the UI's packets and events come from.
pub enum UiSource {
    /// The built-in classroom capture.
    Embedded,
    /// A .pcap/.pcapng file (read once, decoded on a background thread).
    File(PathBuf),
    /// Any producer (live capture): it sends through the `FeedSender` made by [`feed::channel`].
    Channel { name: String, rx: Receiver<Feed> },
}

#[derive(Clone, Debug)]
pub struct UiOptions {
    pub theme: ThemeName,
    /// Language of the narration pane and the comparison (the teaching layer's catalogues).
    pub lang: crate::teach::Lang,
    /// Start in playback mode at the first event (the classroom demo does).
    pub playback: bool,
    /// Quiz mode: what a student can work out is hidden until Enter (implies playback).
    pub quiz: bool,
    /// A teacher-paced demo (`demo --step`): where the UI sends the teacher's commands.
    pub demo_ctl: Option<std::sync::mpsc::Sender<crate::live::demo::DemoCmd>>,
    /// A live source (capture, demo): the header shows its status and the view follows it.
    pub live: Option<model::LiveStatus>,
    /// TLS secrets for decrypting wss:// in a file (`--tls-keylog`, `SSLKEYLOGFILE`).
    pub tls_keys: crate::tls::KeyStore,
    /// Bytes of memory the UI's indexes may hold; their oldest parts go to a temporary file
    /// beyond it (`--ui-memory`).
    pub ui_memory: usize,
}

/// The UI's index budget unless `--ui-memory` says otherwise.
pub const DEFAULT_UI_MEMORY: usize = 128 << 20;

impl Default for UiOptions {
    fn default() -> Self {
        UiOptions {
            theme: ThemeName::Dark,
            lang: crate::teach::Lang::En,
            playback: false,
            quiz: false,
            demo_ctl: None,
            live: None,
            tls_keys: crate::tls::KeyStore::default(),
            ui_memory: DEFAULT_UI_MEMORY,
        }
    }
}

/// Open the terminal UI on a source and run until the user quits.
pub fn run_ui(source: UiSource, opts: UiOptions) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    // Without a terminal the screen cannot be drawn: say so rather than write escape codes into
    // a file or pipe.
    if !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "the terminal UI needs a terminal, and standard output is not one; \
             `wslens decode FILE` writes a text log (--json: NDJSON) instead"
        );
    }
    let mut file = None;
    let mut full_origin = None;
    // A regular file can be read a second time: its end decoded ahead on `End`.
    let mut ahead_src = None;
    let (name, rx) = match source {
        UiSource::Embedded => {
            // The payloads of the built-in capture are read again from memory.
            full_origin = Some(full_payload::Origin::Bytes(EMBEDDED_CAPTURE));
            (
                "classroom.pcap".to_string(),
                source::spawn_bytes(EMBEDDED_CAPTURE),
            )
        }
        UiSource::File(p) => {
            file = std::fs::File::open(&p).ok();
            // Standard input cannot be read twice: its views keep the preview.
            if p.as_os_str() != "-" {
                full_origin = Some(full_payload::Origin::File(p.clone(), opts.tls_keys.clone()));
            }
            if file
                .as_ref()
                .and_then(|f| f.metadata().ok())
                .is_some_and(|m| m.is_file())
            {
                ahead_src = Some((p.clone(), opts.tls_keys.clone()));
            }
            (
                p.display().to_string(),
                source::spawn_file(p, opts.tls_keys.clone()),
            )
        }
        UiSource::Channel { name, rx } => (name, rx),
    };
    let mut model = Model::new(name, opts.theme, opts.playback || opts.quiz);
    model.store.set_budget(opts.ui_memory);
    model.quiz = opts.quiz;
    model.set_lang(opts.lang);
    if let Some(live) = opts.live {
        model.set_live(live);
    }
    model.store.file = file;
    model.ahead_ok = ahead_src.is_some();
    model.full_origin = full_origin;
    let mut terminal = ratatui::try_init().map_err(|e| {
        ratatui::restore();
        anyhow::anyhow!("cannot start the terminal UI on this terminal: {e}")
    })?;
    install_panic_hook();
    oom::arm();
    crate::capture::before_sigbus_exit(oom::restore_terminal);
    let _ = execute!(std::io::stdout(), ct::EnableMouseCapture);
    model.stepped_demo = opts.demo_ctl.is_some();
    let res = event_loop(
        &mut terminal,
        &mut model,
        &rx,
        opts.demo_ctl.as_ref(),
        ahead_src,
    );
    let _ = execute!(std::io::stdout(), ct::DisableMouseCapture);
    ratatui::restore();
    oom::disarm();
    res
}

/// Restore the terminal before the panic message prints, so it is readable and the shell
/// is usable afterwards. (`ratatui::init` installs its own hook too; mouse capture is ours.)
fn install_panic_hook() {
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(std::io::stdout(), ct::DisableMouseCapture);
        ratatui::restore();
        prev(info);
    }));
}

/// Most batches taken from the channel between two draws, so input stays responsive while a
/// large capture streams in.
const BATCHES_PER_FRAME: usize = 8;

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    model: &mut Model,
    rx: &Receiver<Feed>,
    demo_ctl: Option<&std::sync::mpsc::Sender<crate::live::demo::DemoCmd>>,
    ahead_src: Option<(PathBuf, crate::tls::KeyStore)>,
) -> anyhow::Result<()> {
    let size = terminal.size()?;
    update(model, Msg::Resize(size.width, size.height));
    let mut last = Instant::now();
    let mut connected = true;
    // The end of the file decoded ahead, once `End` asked for it while the file loads.
    let mut ahead: Option<ahead::Ahead> = None;
    loop {
        if ahead.is_none()
            && model.wants_ahead()
            && let Some((p, keys)) = &ahead_src
        {
            let (stop, info, arx) = source::spawn_ahead(p.clone(), keys.clone());
            ahead = Some(ahead::Ahead::new(model, stop, info, arx));
        }
        let mut got = 0;
        if let Some(a) = &mut ahead {
            got += a.pump(BATCHES_PER_FRAME);
        }
        // While the end is decoded, the whole file's decode waits (its channel fills).
        let waiting = ahead.as_ref().is_some_and(ahead::Ahead::preparing);
        while connected && !waiting && got < BATCHES_PER_FRAME {
            match rx.try_recv() {
                Ok(f) => {
                    update(model, Msg::Feed(f));
                    got += 1;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    connected = false;
                    if !model.done {
                        update(model, Msg::Feed(Feed::Done));
                    }
                }
            }
        }
        if let Some(a) = &mut ahead
            && !ahead::settle(model, a)
        {
            ahead = None;
        }
        let now = Instant::now();
        let ms = now.duration_since(last).as_millis() as u64;
        last = now;
        update(ahead::active(model, &mut ahead), Msg::Tick { ms });
        // The teacher's commands to a paced demo go out as soon as a key made them.
        for c in model.outbox.drain(..) {
            if let Some(tx) = demo_ctl {
                let _ = tx.send(c);
            }
        }
        let shown = ahead::active(model, &mut ahead);
        terminal.draw(|f| view(shown, f))?;
        let quit = shown.quit;
        if model.quit || quit {
            return Ok(());
        }
        // More batches are already waiting: only look at input, do not sleep. Still loading:
        // short waits, so batches are taken soon after they arrive (input cannot be waited on
        // together with the channel).
        let wait = if got == BATCHES_PER_FRAME {
            Duration::ZERO
        } else if !model.done || ahead.is_some() {
            Duration::from_millis(8)
        } else if model.playing {
            Duration::from_millis(30)
        } else {
            Duration::from_millis(250)
        };
        if ct::poll(wait)? {
            // Drain all pending input before drawing again.
            loop {
                match ct::read()? {
                    CtEvent::Key(k) => ahead::key(model, &mut ahead, k),
                    CtEvent::Mouse(m) => update(ahead::active(model, &mut ahead), Msg::Mouse(m)),
                    CtEvent::Resize(w, h) => {
                        update(model, Msg::Resize(w, h));
                        if let Some(a) = &mut ahead {
                            update(&mut a.model, Msg::Resize(w, h));
                        }
                    }
                    _ => {}
                }
                if model.quit
                    || ahead.as_ref().is_some_and(|a| a.model.quit)
                    || !ct::poll(Duration::ZERO)?
                {
                    break;
                }
            }
        }
    }
}
