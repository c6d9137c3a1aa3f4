use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use wslens::teach::Lang;
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
    #[command(flatten)]
    pub tls: super::tls_keys::TlsKeyArgs,
}

/// Open the terminal UI on a file, or on the classroom capture when no file is given.
pub fn run(a: OpenArgs) -> anyhow::Result<ExitCode> {
    let embedded = a.file.is_none();
    let source = match a.file {
        Some(p) => {
            // Fail before the screen switches, so the message stays readable.
            std::fs::metadata(&p)
                .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", p.display()))?;
            UiSource::File(p)
        }
        None => UiSource::Embedded,
    };
    let opts = UiOptions {
        theme: a.theme.unwrap_or(ThemeName::Dark),
        lang: a.lang.unwrap_or_default(),
        playback: embedded,
        tls_keys: a.tls.store(false)?,
    };
    wslens::ui::run_ui(source, opts)?;
    Ok(ExitCode::SUCCESS)
}
