use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use wslens::decoder::{DecodeOptions, Decoder};
use wslens::event::{ConnId, Event};
use wslens::limits::Limits;
use wslens::teach::Lang;
use wslens::teach::worksheet::{self, render};
use wslens::text::escape_for_terminal;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Markdown (for notes, wikis, pandoc).
    Md,
    /// A self-contained HTML page that prints with the answer key on its own page.
    Html,
}

#[derive(Args, Debug)]
pub struct WorksheetArgs {
    /// Capture file (.pcap or .pcapng), or - for standard input.
    pub file: PathBuf,
    /// Connection number (default: the first that upgraded to WebSocket, else the first TCP one).
    #[arg(long)]
    pub conn: Option<ConnId>,
    /// Language of the worksheet: en or zh (简体中文).
    #[arg(long, value_name = "en|zh")]
    pub lang: Option<Lang>,
    #[arg(long, value_enum, default_value_t = Format::Md)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
}

pub fn run(a: WorksheetArgs) -> anyhow::Result<ExitCode> {
    // The unmasking exercise needs the first masked bytes of each frame.
    let limits = Limits {
        frame_preview: worksheet::UNMASK_BYTES,
        ..Limits::default()
    };
    let mut dec = Decoder::new(DecodeOptions {
        limits,
        ..Default::default()
    });
    let mut events = Vec::new();
    let want = a.conn;
    let mut sink = |ev: Event| {
        if want.is_none() || ev.conn() == want {
            events.push(ev);
        }
    };
    let code = super::decode::drive(&a.file, &mut dec, &mut sink)?;
    let name = a.file.display().to_string();
    let shown = escape_for_terminal(&name);
    let conn = match want {
        Some(c) => c,
        None => worksheet::pick_conn(&events)
            .ok_or_else(|| anyhow::anyhow!("{shown}: no TCP connection found"))?,
    };
    let file_name = a
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or(name.clone());
    let sheet = worksheet::build(&events, conn, &file_name, a.lang.unwrap_or_default())
        .ok_or_else(|| anyhow::anyhow!("{shown}: no TCP connection {conn}"))?;
    let out = match a.format {
        Format::Md => render::markdown(&sheet),
        Format::Html => render::html(&sheet),
    };
    match &a.output {
        Some(p) => std::fs::write(p, out).map_err(|e| {
            anyhow::anyhow!("{}: {e}", escape_for_terminal(&p.display().to_string()))
        })?,
        None => {
            use std::io::Write;
            let mut o = std::io::stdout().lock();
            o.write_all(out.as_bytes())
                .and_then(|_| o.flush())
                .map_err(|e| anyhow::anyhow!("writing the worksheet: {e}"))?;
        }
    }
    Ok(code)
}
