//! `BACKUP_REMOTE_MAX_RATE`, and the pacing that keeps an upload under it.
//!
//! Written here rather than taken from a crate: the one rate limiter in common use (`governor`)
//! counts cells per period and is not in the tree, and an upload needs only "do not get ahead of
//! rate × elapsed", which is a few lines.

use std::{fmt, time::Duration};
use tokio::time::Instant;

/// The lowest cap accepted: below 1 KiB/s a backup would take days, which is surely a typo.
const MIN_RATE: u64 = 1024;

/// An upload cap in bytes per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxRate(u64);

impl MaxRate {
    /// A plain number of bytes per second (`1500000`), or a number with a unit: `KB`, `MB`, `GB`
    /// (powers of 1000, as network speeds are counted) or `KiB`, `MiB`, `GiB` (powers of 1024),
    /// case-insensitive, optionally followed by `/s`: `10MB`, `20 MiB/s`, `1.5mb`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let expected = "expected bytes per second: a number, or with a unit such as 10MB or 20MiB (KB/MB/GB are 1000-based, KiB/MiB/GiB 1024-based)";
        let text = raw.trim();
        let text = text.strip_suffix("/s").or_else(|| text.strip_suffix("/S")).unwrap_or(text).trim_end();
        let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "kb" | "k" => 1000,
            "mb" | "m" => 1000 * 1000,
            "gb" | "g" => 1000 * 1000 * 1000,
            "kib" => 1 << 10,
            "mib" => 1 << 20,
            "gib" => 1 << 30,
            _ => return Err(expected.to_string()),
        };
        let bytes = if let Some((whole, fraction)) = number.split_once('.') {
            // Decimal fractions without floating point: "1.5" MB → 15 × 10^5.
            if whole.is_empty() || fraction.is_empty() || fraction.contains('.') || fraction.len() > 9 {
                return Err(expected.to_string());
            }
            let scale = 10u64.pow(fraction.len() as u32);
            let joined: u64 = format!("{whole}{fraction}").parse().map_err(|_| expected.to_string())?;
            joined.checked_mul(multiplier).map(|v| v / scale)
        } else {
            number.parse::<u64>().map_err(|_| expected.to_string())?.checked_mul(multiplier)
        };
        match bytes {
            None => Err("is too large".to_string()),
            Some(b) if b < MIN_RATE => Err("is below the lowest cap of 1 KiB/s: unset it for no cap".to_string()),
            Some(b) => Ok(MaxRate(b)),
        }
    }

    pub fn bytes_per_second(self) -> u64 {
        self.0
    }
}

impl fmt::Display for MaxRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/s", contract::format::human_bytes(self.0))
    }
}

/// Holds a transfer back so that, from its start, no more than `rate × elapsed` bytes have been
/// handed on. Bursts are bounded by what the caller hands over at once (one read block).
pub(crate) struct Pacer {
    rate: Option<MaxRate>,
    start: Instant,
    sent: u64,
}

impl Pacer {
    pub(crate) fn new(rate: Option<MaxRate>) -> Self {
        Pacer { rate, start: Instant::now(), sent: 0 }
    }

    /// Counts `bytes` and sleeps until they are due.
    pub(crate) async fn pace(&mut self, bytes: u64) {
        self.sent = self.sent.saturating_add(bytes);
        let Some(rate) = self.rate else { return };
        let due = Duration::from_secs_f64(self.sent as f64 / rate.0 as f64);
        // Beyond what an Instant can hold (centuries), waiting a day at a time is the same.
        let until = self.start.checked_add(due).unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400));
        tokio::time::sleep_until(until).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_with_units() {
        for (raw, bytes) in [
            ("1500000", 1_500_000),
            ("10MB", 10_000_000),
            ("10mb", 10_000_000),
            ("20MiB", 20 << 20),
            ("20 MiB/s", 20 << 20),
            ("1.5MB", 1_500_000),
            ("2GB/s", 2_000_000_000),
            ("64KiB", 65536),
            ("1024", 1024),
        ] {
            assert_eq!(MaxRate::parse(raw).unwrap().bytes_per_second(), bytes, "{raw}");
        }
        for bad in ["", "fast", "10 XB", "-5", "1.2.3MB", ".5MB", "5.MB", "0", "1000", "99999999999999999999GB"] {
            assert!(MaxRate::parse(bad).is_err(), "{bad:?} must be refused");
        }
        assert_eq!(MaxRate::parse("20MiB").unwrap().to_string(), "20.0 MiB/s");
    }

    #[tokio::test]
    async fn the_pacer_holds_a_transfer_to_its_rate() {
        let mut pacer = Pacer::new(Some(MaxRate::parse("1MiB").unwrap()));
        let start = Instant::now();
        for _ in 0..4 {
            pacer.pace(64 * 1024).await;
        }
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(245) && elapsed < Duration::from_secs(2), "{elapsed:?}");
        let mut free = Pacer::new(None);
        free.pace(u64::MAX).await;
    }
}
