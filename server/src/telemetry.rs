use crate::config::LogFormat;
use std::{fmt::Write as _, io::IsTerminal};
use tracing_subscriber::{
    EnvFilter,
    field::MakeExt,
    fmt::{self, format},
    prelude::*,
};

/// Logs to standard error; `RUST_LOG` filters (default `info`), `LOG_FORMAT=json` gives JSON lines.
///
/// Each request's lines carry its span (`request_id`, `method`, `path`: see `http::layers`); in
/// JSON in the `spans` list (and as `span` when it is the innermost one). What is never logged:
/// passwords and other request bodies, headers (so no cookies or session ids), query strings
/// (setup tokens, share codes), the setup link.
///
/// Values from requests (a login name, a host) reach some lines: in JSON they are JSON strings;
/// in text every field is written through [`escape`], so a value with a line break or terminal
/// escape sequences cannot start a line of its own or rewrite the ones on screen.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,tower_sessions=warn"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        // Colours only on a terminal: not in `docker logs` files or a log collector.
        LogFormat::Text => {
            let ansi = std::io::stderr().is_terminal();
            let fields = format::debug_fn(|writer, field, value| {
                let text = escape(&format!("{value:?}"));
                if field.name() == "message" { writer.write_str(&text) } else { write!(writer, "{field}={text}") }
            })
            .delimited(" ");
            registry.with(fmt::layer().with_ansi(ansi).fmt_fields(fields).with_writer(std::io::stderr)).try_init()
        }
        LogFormat::Json => registry.with(fmt::layer().json().with_writer(std::io::stderr)).try_init(),
    };
    // A second init (tests start several servers in one process) keeps the first subscriber.
    let _ = result;
}

/// A value as one line of plain text: line breaks, control characters (terminal escapes start
/// with one) and characters that reorder text are written as escapes (`\n`, `\u{1b}`).
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}')
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') =>
            {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn a_value_stays_on_its_line_and_cannot_drive_the_terminal() {
        assert_eq!(escape("plain Zoë"), "plain Zoë");
        assert_eq!(escape("a\nb\r\tc"), "a\\nb\\r\\tc");
        assert_eq!(escape("\u{1b}[2K\u{7}x\u{202E}"), "\\u{1b}[2K\\u{7}x\\u{202e}");
        assert!(!escape("x\u{85}y\u{2028}z").chars().any(|c| c.is_control() || c == '\u{2028}'));
    }
}
