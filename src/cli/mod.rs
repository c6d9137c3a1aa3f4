//! Command-line entry points; each subcommand's work lives in its own module.

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use wslens::teach::Lang;
use wslens::ui::ThemeName;

mod decode;
mod demo;
mod diagram;
mod export;
mod live;
mod open;
mod stats;
mod tls_keys;
mod worksheet;

/// `--filter EXPR` for every subcommand that takes one: compiled when the arguments are read,
/// so a malformed expression is refused at once with a caret under the error.
pub(crate) fn parse_filter(s: &str) -> Result<wslens::filter::Filter, String> {
    wslens::filter::Filter::new(s).map_err(|e| format!("\n{}", e.pointed(s)))
}

#[derive(Parser, Debug)]
#[command(
    name = "wslens",
    version,
    about = "Watch a WebSocket conversation happen, layer by layer: TCP, HTTP Upgrade, RFC 6455 frames"
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
    /// A capture file to open in the terminal UI (`wslens FILE.pcap` is `wslens open FILE.pcap`).
    #[arg(value_name = "FILE")]
    pub file: Option<std::path::PathBuf>,
    /// Language of the narration: en or zh (简体中文). Given before a subcommand, it applies to
    /// that subcommand unless the subcommand is given one of its own.
    #[arg(long, value_name = "en|zh")]
    pub lang: Option<Lang>,
    /// Colours (without a subcommand): dark, light or contrast.
    #[arg(long, value_enum)]
    pub theme: Option<ThemeName>,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Decode a .pcap/.pcapng file (or - for standard input) to narrated text or NDJSON.
    Decode(decode::DecodeArgs),
    /// Open the terminal UI on a capture file (no subcommand: the built-in classroom capture).
    Open(open::OpenArgs),
    /// Capture live (default: loopback) and decode as packets arrive.
    Live(live::LiveArgs),
    /// A real WebSocket server and client on loopback, captured and explained step by step.
    Demo(demo::DemoArgs),
    /// Compare HTTP polling with WebSocket in a capture: connections, handshakes, bytes, news wait (and UDP beside TCP).
    Stats(stats::StatsArgs),
    /// Export a connection's ladder diagram as text, Mermaid or SVG.
    Diagram(diagram::DiagramArgs),
    /// A printable fill-in worksheet for one connection, with an answer key (Markdown or HTML).
    Worksheet(worksheet::WorksheetArgs),
    /// Export WebSocket messages with their whole payloads: HAR, one file each, or NDJSON.
    Export(export::ExportArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let lang = cli.lang;
    match cli.cmd {
        Some(Cmd::Decode(mut a)) => {
            a.lang = a.lang.or(lang);
            decode::run(a)
        }
        Some(Cmd::Open(mut a)) => {
            a.lang = a.lang.or(lang);
            a.theme = a.theme.or(cli.theme);
            open::run(a)
        }
        Some(Cmd::Live(mut a)) => {
            a.lang = a.lang.or(lang);
            live::run(a)
        }
        Some(Cmd::Demo(mut a)) => {
            a.lang = a.lang.or(lang);
            demo::run(a)
        }
        Some(Cmd::Stats(mut a)) => {
            a.lang = a.lang.or(lang);
            stats::run(a)
        }
        Some(Cmd::Diagram(mut a)) => {
            a.lang = a.lang.or(lang);
            diagram::run(a)
        }
        Some(Cmd::Worksheet(mut a)) => {
            a.lang = a.lang.or(lang);
            worksheet::run(a)
        }
        Some(Cmd::Export(a)) => export::run(a),
        None => open::run(open::OpenArgs {
            file: cli.file,
            theme: cli.theme,
            lang,
            ..Default::default()
        }),
    }
}

/// A parser for a numeric limit given on the command line: a range check with a clear message,
/// so no value given can make wslens allocate (or overflow computing) more than it means to.
pub(crate) fn limit_parser(
    min: usize,
    max: usize,
) -> impl Fn(&str) -> Result<usize, String> + Clone + Send + Sync + 'static {
    move |s: &str| {
        let v: u128 = s
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not a whole number"))?;
        if v < min as u128 || v > max as u128 {
            return Err(format!("must be between {min} and {max} (got {v})"));
        }
        Ok(v as usize)
    }
}

/// Let a closed pipe end the process as it ends `cat` or `tcpdump -r` (SIGPIPE, status 141,
/// no message), at once, instead of decoding the rest of a capture nobody reads (Rust ignores
/// SIGPIPE, so writes would only fail with EPIPE). Only for the offline commands, which hold
/// no socket and no file being recorded that an early end could cut short.
pub(crate) fn die_on_closed_pipe() {
    // SAFETY: setting a signal's disposition to the default is always valid.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
