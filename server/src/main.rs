use clap::Parser;
use server::cli::{Cli, run};
use std::process::ExitCode;

fn main() -> ExitCode {
    return_freed_memory_to_the_system();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("smallstack: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Each argon2id hash takes 19 MiB. glibc raises its mmap threshold after such a block is freed,
/// so later ones come from the heap and stay in the process (and per-thread arenas multiply
/// that): a few hundred logins left the server at 1 GB of RSS. A fixed threshold keeps large
/// blocks mmap'd (returned on free), and two arenas bound the fragmentation.
#[allow(unsafe_code)]
fn return_freed_memory_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts allocator tuning parameters; it is called before any thread
    // is started, as glibc requires for M_ARENA_MAX.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
