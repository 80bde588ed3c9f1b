use clap::Parser;
use server::cli::{Cli, run};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("smallstack: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
