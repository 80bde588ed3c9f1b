//! `BACKUP_REMOTE_KEEP`: which off-site copies remote retention keeps, in the manner of restic's
//! `forget` (the newest N, plus the newest of each of the last D days, W weeks and M months that
//! have a copy; a copy kept by any rule is kept), with one more rule of ours: the newest verified
//! copy is never pruned, whatever the policy says.
//!
//! Written here rather than taken from a crate: no crate in the tree does this, and restic's rule
//! is a short loop.

use chrono::{DateTime, Datelike, Utc};
use std::fmt;

/// The largest count a rule accepts: more is surely a typo.
pub const MAX_KEEP: u32 = 100_000;

/// The bucket a copy falls in for one rule, from its time and its place (newest first).
type BucketOf = fn(&DateTime<Utc>, usize) -> (i32, u32);

/// What remote retention keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepPolicy {
    /// `all`: nothing is ever pruned remotely.
    All,
    /// `last=7,daily=14,weekly=8,monthly=12` (any subset, at least one above 0).
    Rules { last: u32, daily: u32, weekly: u32, monthly: u32 },
}

impl Default for KeepPolicy {
    /// Seven newest, then a copy a day for two weeks, a week for two months, a month for a year.
    fn default() -> Self {
        KeepPolicy::Rules { last: 7, daily: 14, weekly: 8, monthly: 12 }
    }
}

impl KeepPolicy {
    /// `all`, or comma-separated `rule=count` with rules `last`, `daily`, `weekly`, `monthly`
    /// (each at most once, counts 0–100000, at least one above 0). Case and spaces around the
    /// parts do not matter. The error says what is wrong, for the server's one-line refusal.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let expected = "expected all, or rules such as last=7,daily=14,weekly=8,monthly=12";
        let text = raw.trim().to_ascii_lowercase();
        if text == "all" {
            return Ok(KeepPolicy::All);
        }
        if text.is_empty() {
            return Err(expected.to_string());
        }
        let mut counts: [Option<u32>; 4] = [None; 4];
        for part in text.split(',') {
            let (rule, count) = part.split_once('=').ok_or_else(|| format!("{:?}: {expected}", part.trim()))?;
            let slot = match rule.trim() {
                "last" => 0,
                "daily" => 1,
                "weekly" => 2,
                "monthly" => 3,
                other => return Err(format!("unknown rule {other:?}: the rules are last, daily, weekly and monthly")),
            };
            if counts[slot].is_some() {
                return Err(format!("the rule {} is given twice", rule.trim()));
            }
            let count: u32 = count.trim().parse().map_err(|_| {
                format!("{}={:?}: the count must be a whole number from 0 to {MAX_KEEP}", rule.trim(), count.trim())
            })?;
            if count > MAX_KEEP {
                return Err(format!("{}={count}: the count must be at most {MAX_KEEP}", rule.trim()));
            }
            counts[slot] = Some(count);
        }
        let [last, daily, weekly, monthly] = counts.map(|c| c.unwrap_or(0));
        if last + daily + weekly + monthly == 0 {
            return Err("this keeps nothing: give one rule a count above 0, or use all".to_string());
        }
        Ok(KeepPolicy::Rules { last, daily, weekly, monthly })
    }

    /// For each copy (newest first, by the time the backup was made), whether it is kept. The
    /// first (newest) is always kept.
    pub fn keep(&self, newest_first: &[DateTime<Utc>]) -> Vec<bool> {
        let KeepPolicy::Rules { last, daily, weekly, monthly } = *self else {
            return vec![true; newest_first.len()];
        };
        // restic: walking from the newest, each rule keeps a copy whose bucket differs from the
        // last one it kept, until its count is spent. `last` puts every copy in a bucket of its own.
        let buckets: [(u32, BucketOf); 4] = [
            (last, |_, i| (i as i32, 0)),
            (daily, |t, _| (t.year(), t.ordinal())),
            (weekly, |t, _| (t.iso_week().year(), t.iso_week().week())),
            (monthly, |t, _| (t.year(), t.month())),
        ];
        let mut left = buckets.map(|(count, _)| count);
        let mut previous: [Option<(i32, u32)>; 4] = [None; 4];
        newest_first
            .iter()
            .enumerate()
            .map(|(i, at)| {
                let mut kept = i == 0;
                for (rule, (_, bucket_of)) in buckets.iter().enumerate() {
                    let bucket = bucket_of(at, i);
                    if left[rule] > 0 && previous[rule] != Some(bucket) {
                        previous[rule] = Some(bucket);
                        left[rule] -= 1;
                        kept = true;
                    }
                }
                kept
            })
            .collect()
    }
}

impl fmt::Display for KeepPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeepPolicy::All => f.write_str("all"),
            KeepPolicy::Rules { last, daily, weekly, monthly } => {
                let parts: Vec<String> = [("last", last), ("daily", daily), ("weekly", weekly), ("monthly", monthly)]
                    .into_iter()
                    .filter(|(_, n)| **n > 0)
                    .map(|(rule, n)| format!("{rule}={n}"))
                    .collect();
                f.write_str(&parts.join(","))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).single().unwrap()
    }

    #[test]
    fn policies_parse_and_print() {
        assert_eq!(KeepPolicy::parse("all"), Ok(KeepPolicy::All));
        assert_eq!(KeepPolicy::parse(" ALL "), Ok(KeepPolicy::All));
        let p = KeepPolicy::parse("last=7,daily=14,weekly=8,monthly=12").unwrap();
        assert_eq!(p, KeepPolicy::default());
        assert_eq!(p.to_string(), "last=7,daily=14,weekly=8,monthly=12");
        assert_eq!(
            KeepPolicy::parse(" daily = 3 , last=1").unwrap(),
            KeepPolicy::Rules { last: 1, daily: 3, weekly: 0, monthly: 0 }
        );
        assert_eq!(KeepPolicy::parse("monthly=0,daily=2").unwrap().to_string(), "daily=2");
        for (bad, says) in [
            ("", "expected all"),
            ("forever", "expected all"),
            ("last=7;daily=3", "the count must be a whole number"),
            ("hourly=3", "unknown rule \"hourly\""),
            ("last=-1", "whole number"),
            ("last=seven", "whole number"),
            ("last=1,last=2", "given twice"),
            ("last=0", "keeps nothing"),
            ("daily=0,weekly=0", "keeps nothing"),
            ("last=100001", "at most 100000"),
            ("last=", "whole number"),
        ] {
            let err = KeepPolicy::parse(bad).unwrap_err();
            assert!(err.contains(says), "{bad:?}: {err}");
        }
    }

    #[test]
    fn all_keeps_everything_and_the_newest_is_always_kept() {
        let times: Vec<_> = (0..5).map(|i| at(2026, 11, 25, 10) - Duration::days(i)).collect();
        assert_eq!(KeepPolicy::All.keep(&times), vec![true; 5]);
        let weekly_only = KeepPolicy::Rules { last: 0, daily: 0, weekly: 1, monthly: 0 };
        assert!(weekly_only.keep(&times)[0]);
        assert_eq!(weekly_only.keep(&[]), Vec::<bool>::new());
    }

    #[test]
    fn last_keeps_the_newest_n() {
        let times: Vec<_> = (0..5).map(|i| at(2026, 11, 25, 10) - Duration::hours(i)).collect();
        let p = KeepPolicy::Rules { last: 2, daily: 0, weekly: 0, monthly: 0 };
        assert_eq!(p.keep(&times), [true, true, false, false, false]);
    }

    /// restic's example shape: four backups a day for ten days; daily=3 keeps the newest of each
    /// of the three newest days, whatever the hour.
    #[test]
    fn daily_keeps_the_newest_of_each_day_that_has_a_copy() {
        let mut times = Vec::new();
        for day in (1..=10).rev() {
            for hour in [23, 18, 12, 6] {
                times.push(at(2026, 11, day, hour));
            }
        }
        let p = KeepPolicy::Rules { last: 0, daily: 3, weekly: 0, monthly: 0 };
        let kept: Vec<_> = times.iter().zip(p.keep(&times)).filter(|(_, k)| *k).map(|(t, _)| *t).collect();
        assert_eq!(kept, [at(2026, 11, 10, 23), at(2026, 11, 9, 23), at(2026, 11, 8, 23)]);
        // Days without a copy do not count: a gap of a week still yields three kept days.
        let sparse = [at(2026, 11, 25, 2), at(2026, 11, 18, 2), at(2026, 11, 11, 2), at(2026, 11, 4, 2)];
        assert_eq!(p.keep(&sparse), [true, true, true, false]);
    }

    #[test]
    fn rules_combine_a_copy_kept_by_any_is_kept() {
        // One backup a day at 02:00 for 120 days, newest 2026-11-30.
        let times: Vec<_> = (0..120).map(|i| at(2026, 11, 30, 2) - Duration::days(i)).collect();
        let p = KeepPolicy::parse("last=2,daily=5,weekly=3,monthly=4").unwrap();
        let kept: Vec<_> = times.iter().zip(p.keep(&times)).filter(|(_, k)| *k).map(|(t, _)| t.date_naive()).collect();
        let d = |m, day| chrono::NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        // daily: 30, 29, 28, 27, 26 (last=2 is inside them); weekly: the newest of the ISO weeks
        // of Nov 30 (Mon: its own week), Nov 29 (Sun) and Nov 22 (Sun); monthly: Nov 30, Oct 31,
        // Sep 30, Aug 31.
        assert_eq!(
            kept,
            [d(11, 30), d(11, 29), d(11, 28), d(11, 27), d(11, 26), d(11, 22), d(10, 31), d(9, 30), d(8, 31)]
        );
    }
}
