use clap::Parser;
use server::cli::{Cli, run};
use std::process::ExitCode;

/// mimalloc instead of glibc's allocator: a page render allocates many small strings on many
/// threads, where glibc spent a quarter of the server's time (and its arena locks); and mimalloc
/// returns freed memory to the system, where glibc kept the 19 MiB blocks of each argon2id hash
/// (a few hundred logins left the server at 1 GB).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
