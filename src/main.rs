use clap::Parser;

mod cli;

/// The system allocator, which puts the terminal back if memory runs out in the UI.
#[global_allocator]
static ALLOC: wslens::ui::oom::RestoringAlloc = wslens::ui::oom::RestoringAlloc;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            // Messages name files (output paths too) and quote captured bytes: escaped, like
            // every string wslens shows.
            let msg = format!("{e:#}");
            eprintln!("wslens: {}", wslens::text::escape_for_terminal(&msg));
            std::process::ExitCode::from(2)
        }
    }
}
