use clap::Parser;
use server::cli::{Cli, run};
use std::process::ExitCode;

/// mimalloc instead of glibc's allocator: a page render allocates many small strings on many
/// threads, where glibc spent a quarter of the server's time (and its arena locks).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Commit mimalloc's arena memory when it is used, not when the arena is reserved: with the
/// default (eager commit on Linux) the server started at 31 MiB instead of 18 MiB.
///
/// The option must be set before the first allocation reserves the first arena, which happens
/// inside the Rust runtime before `main`: hence an ELF constructor (`.init_array`), which the
/// loader runs before the runtime starts. libmimalloc-sys does not name the option; its number
/// is mimalloc 3's `mi_option_e` (mimalloc.h), and the assertion stops the build if that enum
/// changes under us.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
mod tune_allocator {
    const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    const _: () = assert!(libmimalloc_sys::_mi_option_last == 47, "mimalloc's option numbers changed");

    extern "C" fn tune() {
        // SAFETY: a setter of an integer option; no other thread exists yet.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0) }
    }

    #[used]
    #[unsafe(link_section = ".init_array")]
    static TUNE: extern "C" fn() = tune;
}

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
