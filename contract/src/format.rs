//! Sizes, durations and times as people read them, the same on the page, in the CLI and in
//! messages.

use chrono::{DateTime, Utc};

/// "1.5 MiB", "512 B".
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// "850 ms", "1.2 s", "2 min 5 s".
pub fn human_ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// "2026-11-25 14:03:07 UTC".
pub fn human_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// "14 minutes", "1 minute", "40 seconds".
pub fn human_duration(secs: u64) -> String {
    if secs >= 120 {
        format!("{} minutes", secs.div_ceil(60))
    } else if secs >= 60 {
        "1 minute".into()
    } else {
        format!("{secs} seconds")
    }
}

/// "1 backup", "3 backups".
pub fn plural(count: u64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// A message as a sentence: a capital letter first and a full stop last. A message that starts
/// with a name (a file, `integrity_check`, a path) keeps it as written.
pub fn sentence(message: &str) -> String {
    let message = message.trim();
    let first_word = message.split([' ', ':', ',', ';']).next().unwrap_or_default();
    let mut out = if !first_word.is_empty() && first_word.chars().all(|c| c.is_ascii_lowercase()) {
        let mut chars = message.chars();
        chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
    } else {
        message.to_string()
    };
    if out.chars().last().is_some_and(|c| !matches!(c, '.' | '!' | '?' | '…' | ':')) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn sizes_durations_and_times() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(1 << 30), "1.0 GiB");
        assert_eq!(human_ms(850), "850 ms");
        assert_eq!(human_ms(1_250), "1.2 s");
        assert_eq!(human_ms(125_000), "2 min 5 s");
        assert_eq!(human_time(Utc.with_ymd_and_hms(2026, 11, 25, 14, 3, 7).unwrap()), "2026-11-25 14:03:07 UTC");
        assert_eq!(human_duration(40), "40 seconds");
        assert_eq!(human_duration(61), "1 minute");
        assert_eq!(human_duration(840), "14 minutes");
        assert_eq!(plural(1, "backup", "backups"), "1 backup");
        assert_eq!(plural(0, "backup", "backups"), "0 backups");
    }

    #[test]
    fn messages_become_sentences() {
        assert_eq!(sentence("invalid username or password"), "Invalid username or password.");
        assert_eq!(sentence("Saved."), "Saved.");
        assert_eq!(sentence("try again in 3 minutes (or ask staff)"), "Try again in 3 minutes (or ask staff).");
        // Names stay as they are written.
        assert_eq!(sentence("db-20260101-000000.sqlite3 is damaged"), "db-20260101-000000.sqlite3 is damaged.");
        assert_eq!(sentence("/srv/x.sqlite3: is empty"), "/srv/x.sqlite3: is empty.");
        assert_eq!(sentence("integrity_check failed"), "integrity_check failed.");
        assert_eq!(sentence(""), "");
    }
}
