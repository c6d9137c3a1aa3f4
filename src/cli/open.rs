use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use wslens::teach::Lang;
use wslens::text::escape_for_terminal;
use wslens::ui::{ThemeName, UiOptions, UiSource};

#[derive(Args, Debug, Default)]
pub struct OpenArgs {
    /// Capture file (.pcap or .pcapng). Without it, the built-in classroom capture opens.
    pub file: Option<PathBuf>,
    /// Colours: dark or light terminal, or high contrast for projectors (`t` cycles them).
    #[arg(long, value_enum)]
    pub theme: Option<ThemeName>,
    /// Language of the narration pane and the comparison: en or zh (简体中文).
    #[arg(long, value_name = "en|zh")]
    pub lang: Option<Lang>,
    /// Quiz mode: step through the capture with what a student can work out hidden until
    /// Enter (acks, states, the Accept, unmasked bytes); `Q` toggles it in the UI.
    #[arg(long)]
    pub quiz: bool,
    #[command(flatten)]
    pub tls: super::tls_keys::TlsKeyArgs,
    #[command(flatten)]
    pub ui_memory: super::tls_keys::UiMemoryArgs,
}

/// Open the terminal UI on a file, or on the classroom capture when no file is given.
pub fn run(a: OpenArgs) -> anyhow::Result<ExitCode> {
    let embedded = a.file.is_none();
    let source = match a.file {
        Some(p) => {
            // Fail before the screen switches, with the message and status `decode` gives.
            if let Err(e) = wslens::capture::check_file(&p) {
                let name = escape_for_terminal(&p.display().to_string()).into_owned();
                let msg = escape_for_terminal(&e.after_name()).into_owned();
                let _ = writeln!(std::io::stderr(), "wslens: {name}: {msg}");
                return Ok(ExitCode::from(if e.is_unreadable() { 2 } else { 1 }));
            }
            UiSource::File(p)
        }
        None => UiSource::Embedded,
    };
    let opts = UiOptions {
        theme: a.theme.unwrap_or(ThemeName::Dark),
        lang: a.lang.unwrap_or_default(),
        playback: embedded,
        quiz: a.quiz,
        live: None,
        demo_ctl: None,
        tls_keys: a.tls.store(false)?,
        ui_memory: a.ui_memory.bytes,
    };
    wslens::ui::run_ui(source, opts)?;
    Ok(ExitCode::SUCCESS)
}
