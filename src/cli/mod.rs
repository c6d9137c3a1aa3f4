//! Command-line entry points; each subcommand's work lives in its own module.

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use wslens::teach::Lang;
use wslens::ui::ThemeName;

mod decode;
mod demo;
mod diagram;
mod live;
mod open;
mod stats;
mod tls_keys;

#[derive(Parser, Debug)]
#[command(
    name = "wslens",
    version,
    about = "Watch a WebSocket conversation happen, layer by layer: TCP, HTTP Upgrade, RFC 6455 frames"
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
    /// Language of the narration: en or zh (简体中文). Without a subcommand it applies to the
    /// built-in classroom capture; `open`, `live` and `demo` use it when they are not given one.
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
    /// Compare HTTP polling with WebSocket in a capture: connections, handshakes, bytes, time.
    Stats(stats::StatsArgs),
    /// Export a connection's ladder diagram as text, Mermaid or SVG.
    Diagram(diagram::DiagramArgs),
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let lang = cli.lang;
    match cli.cmd {
        Some(Cmd::Decode(a)) => decode::run(a),
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
        Some(Cmd::Stats(a)) => stats::run(a),
        Some(Cmd::Diagram(a)) => diagram::run(a),
        None => open::run(open::OpenArgs {
            file: None,
            theme: cli.theme,
            lang,
            tls: Default::default(),
        }),
    }
}
