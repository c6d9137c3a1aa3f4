use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use wslens::decoder::{DecodeOptions, Decoder};
use wslens::event::{ConnId, Event};
use wslens::ladder::{self, LadderOpts};
use wslens::teach::catalog::text;
use wslens::teach::diagram::{self, Diagram};
use wslens::teach::{Lang, Msg};

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
    #[arg(long, default_value_t = 100, value_parser = super::limit_parser(40, 1000))]
    pub width: usize,
    /// Raw 32-bit sequence and acknowledgement numbers instead of relative ones.
    #[arg(long)]
    pub raw_seq: bool,
    /// Draw at most this many rows (long connections make very tall images).
    #[arg(long)]
    pub max_rows: Option<usize>,
    /// Language of the labels' words and the lifelines: en or zh (简体中文).
    #[arg(long, value_name = "en|zh")]
    pub lang: Option<Lang>,
    /// Draw only the events this filter expression lets through (docs/filters.md).
    #[arg(long, value_name = "EXPR", value_parser = super::parse_filter)]
    pub filter: Option<wslens::filter::Filter>,
    #[command(flatten)]
    pub tls: super::tls_keys::TlsKeyArgs,
    /// One arrow per layer: a data segment and the HTTP head, frame or TLS message it carries
    /// drawn as two arrows (default: one arrow per packet, the meaning with the segment's
    /// numbers after it).
    #[arg(long)]
    pub per_layer: bool,
}

pub fn run(a: DiagramArgs) -> anyhow::Result<ExitCode> {
    super::die_on_closed_pipe();
    let mut dec = Decoder::new(DecodeOptions {
        tls_keys: a.tls.store(false)?,
        ..DecodeOptions::default()
    });
    let mut events = Vec::new();
    let want = a.conn;
    let mut filter = a.filter.clone();
    let mut sink = |ev: Event| {
        // A connection's opening is kept whatever the filter says: it names the two ends.
        let pass = filter.as_mut().is_none_or(|f| f.matches(&ev));
        if !pass && !matches!(ev, Event::ConnOpen(_)) {
            return;
        }
        // Keep only what the diagram can use; with no connection chosen yet, keep all.
        if want.is_none() || ev.conn() == want {
            events.push(ev);
        }
    };
    let code = super::decode::drive(&a.file, &mut dec, &mut sink)?;
    let conn = match want {
        Some(c) => c,
        None => wslens::teach::worksheet::pick_conn(&events)
            .ok_or_else(|| anyhow::anyhow!("{}: no TCP connection found", a.file.display()))?,
    };
    let (client, server) = events
        .iter()
        .find_map(|e| match e {
            Event::ConnOpen(o) if o.conn == conn => Some((o.client, o.server)),
            _ => None,
        })
        .ok_or_else(|| anyhow::anyhow!("{}: no connection {conn}", a.file.display()))?;
    let mut rows = ladder::build(
        &events,
        conn,
        LadderOpts {
            raw_seq: a.raw_seq,
            lang: a.lang.unwrap_or_default(),
            per_layer: a.per_layer,
        },
    );
    if let Some(n) = a.max_rows {
        rows.truncate(n);
    }
    let lang = a.lang.unwrap_or_default();
    let (client, server) = (
        format!("{} {client}", text(lang, Msg::WClient)),
        format!("{} {server}", text(lang, Msg::WServer)),
    );
    let file = a.file.display().to_string();
    let title = format!(
        "wslens · {} · {}",
        wslens::text::escape_for_terminal(&file),
        match lang {
            Lang::En => format!("conn {conn}"),
            Lang::Zh => format!("连接 {conn}"),
        }
    );
    let d = Diagram {
        rows: &rows,
        client: &client,
        server: &server,
        title: &title,
        lang,
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
            let mut o = std::io::stdout().lock();
            o.write_all(out.as_bytes())
                .and_then(|_| o.flush())
                .map_err(|e| anyhow::anyhow!("writing the output: {e}"))?;
        }
    }
    Ok(code)
}
