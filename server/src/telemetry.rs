use crate::config::LogFormat;
use std::io::IsTerminal;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Logs to standard error; `RUST_LOG` filters (default `info`), `LOG_FORMAT=json` gives JSON lines.
///
/// Each request's lines carry its span (`request_id`, `method`, `path`: see `http::layers`); in
/// JSON in the `spans` list (and as `span` when it is the innermost one). What is never logged:
/// passwords and other request bodies, headers (so no cookies or session ids), query strings
/// (setup tokens, share codes). The one deliberate exception is the one-time `/setup?token=…`
/// link logged at start while there is no staff account: it is how the operator creates the
/// first one, and it stops working once used.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,tower_sessions=warn"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        // Colours only on a terminal: not in `docker logs` files or a log collector.
        LogFormat::Text => {
            let ansi = std::io::stderr().is_terminal();
            registry.with(fmt::layer().with_ansi(ansi).with_writer(std::io::stderr)).try_init()
        }
        LogFormat::Json => registry.with(fmt::layer().json().with_writer(std::io::stderr)).try_init(),
    };
    // A second init (tests start several servers in one process) keeps the first subscriber.
    let _ = result;
}
