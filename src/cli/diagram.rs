use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use wslens::decoder::{DecodeOptions, Decoder};
use wslens::event::{ConnId, Event, Proto};
use wslens::ladder::{self, LadderOpts};
use wslens::teach::diagram::{self, Diagram};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Plain text, as the terminal UI draws it.
    Txt,
    /// Mermaid sequenceDiagram source (for Markdown, slides).
    Mermaid,
    /// A self-contained SVG image.
    Svg,
}

#[derive(Args, Debug)]
pub struct DiagramArgs {
    /// Capture file (.pcap or .pcapng), or - for standard input.
    pub file: PathBuf,
    /// Connection number (default: the first that upgraded to WebSocket, else the first TCP one).
    #[arg(long)]
    pub conn: Option<ConnId>,
    #[arg(long, value_enum, default_value_t = Format::Txt)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
    /// Width of the text format in columns.
    #[arg(long, default_value_t = 100)]
    pub width: usize,
    /// Raw 32-bit sequence and acknowledgement numbers instead of relative ones.
    #[arg(long)]
    pub raw_seq: bool,
    /// Draw at most this many rows (long connections make very tall images).
    #[arg(long)]
    pub max_rows: Option<usize>,
    #[command(flatten)]
    pub tls: super::tls_keys::TlsKeyArgs,
}

pub fn run(a: DiagramArgs) -> anyhow::Result<ExitCode> {
    let mut dec = Decoder::new(DecodeOptions {
        tls_keys: a.tls.store(false)?,
        ..DecodeOptions::default()
    });
    let mut events = Vec::new();
    let want = a.conn;
    let mut sink = |ev: Event| {
        // Keep only what the diagram can use; with no connection chosen yet, keep all.
        if want.is_none() || ev.conn() == want {
            events.push(ev);
        }
    };
    let code = super::decode::drive(&a.file, &mut dec, &mut sink)?;
    let conn = match want {
        Some(c) => c,
        None => pick_conn(&events)
            .ok_or_else(|| anyhow::anyhow!("{}: no TCP connection found", a.file.display()))?,
    };
    let (client, server) = events
        .iter()
        .find_map(|e| match e {
            Event::ConnOpen(o) if o.conn == conn => Some((o.client, o.server)),
            _ => None,
        })
        .ok_or_else(|| anyhow::anyhow!("{}: no connection {conn}", a.file.display()))?;
    let mut rows = ladder::build(&events, conn, LadderOpts { raw_seq: a.raw_seq });
    if let Some(n) = a.max_rows {
        rows.truncate(n);
    }
    let (client, server) = (format!("client {client}"), format!("server {server}"));
    let file = a.file.display().to_string();
    let title = format!(
        "wslens · {} · conn {conn}",
        wslens::text::escape_for_terminal(&file)
    );
    let d = Diagram {
        rows: &rows,
        client: &client,
        server: &server,
        title: &title,
    };
    let out = match a.format {
        Format::Txt => diagram::txt(&d, a.width),
        Format::Mermaid => diagram::mermaid(&d),
        Format::Svg => diagram::svg(&d),
    };
    match &a.output {
        Some(p) => std::fs::write(p, out).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
        None => {
            use std::io::Write;
            std::io::stdout().lock().write_all(out.as_bytes())?;
        }
    }
    Ok(code)
}

/// The connection a class most likely wants: the first WebSocket one, else the first TCP one.
fn pick_conn(events: &[Event]) -> Option<ConnId> {
    events
        .iter()
        .find_map(|e| match e {
            Event::WsHandshake(h) if h.upgraded => Some(h.conn),
            _ => None,
        })
        .or_else(|| {
            events.iter().find_map(|e| match e {
                Event::ConnOpen(o) if o.proto == Proto::Tcp => Some(o.conn),
                _ => None,
            })
        })
}
