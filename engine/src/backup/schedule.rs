//! When scheduled backups run: a five-field cron expression in UTC (or `off`), and the clock the
//! scheduler reads, which tests replace with a [`ManualClock`].

use super::BackupError;
use chrono::{DateTime, Utc};
use croner::{
    Cron,
    parser::{CronParser, Seconds, Year},
};
use std::{fmt, future::Future, pin::Pin, time::Duration};
use tokio::sync::watch;

/// The schedule used when neither `BACKUP_SCHEDULE` nor the dashboard sets one: 02:00 UTC daily.
pub const DEFAULT_SCHEDULE: &str = "0 2 * * *";

/// When scheduled backups run.
#[derive(Clone)]
pub enum Schedule {
    /// No scheduled backups (`off`).
    Off,
    /// A five-field cron expression (minute hour day-of-month month day-of-week), in UTC.
    Cron { expression: String, cron: Box<Cron> },
}

fn parse_cron(expression: &str) -> Result<Cron, croner::errors::CronError> {
    CronParser::builder().seconds(Seconds::Disallowed).year(Year::Disallowed).build().parse(expression)
}

/// The five fields of a cron expression, with the values each takes.
const FIELDS: [(&str, &str); 5] = [
    ("minute", "0–59"),
    ("hour", "0–23"),
    ("day of the month", "1–31"),
    ("month", "1–12 or JAN–DEC"),
    ("day of the week", "0–7 or SUN–SAT"),
];

/// Why an expression the cron parser refused is wrong, in words (the parser's own messages
/// speak of "patterns" and "components"): the number of fields, or the first field whose value
/// is out of its range.
fn explain(expression: &str) -> String {
    const EXAMPLE: &str = "for example \"0 2 * * *\" is 02:00 every day";
    let fields: Vec<&str> = expression.split_whitespace().collect();
    if expression.starts_with('@') {
        return format!(
            "\"{expression}\" is not a shortcut this schedule knows: use @hourly, @daily, @weekly, @monthly or @yearly"
        );
    }
    if fields.len() != 5 {
        return format!(
            "it has {} {}, and a schedule has five: minute, hour, day of the month, month and day of the week ({EXAMPLE})",
            fields.len(),
            if fields.len() == 1 { "field" } else { "fields" }
        );
    }
    for (i, (name, range)) in FIELDS.iter().enumerate() {
        let probe: Vec<&str> = (0..5).map(|j| if j == i { fields[i] } else { "*" }).collect();
        if parse_cron(&probe.join(" ")).is_err() {
            return format!(
                "the {name} field \"{}\" is not valid: it takes {range}, a list, a range or */step",
                fields[i]
            );
        }
    }
    format!("\"{expression}\" is not a schedule this server understands ({EXAMPLE})")
}

impl Schedule {
    /// `off` (any letter case) or a five-field cron expression; aliases such as `@daily` are
    /// accepted. The error carries the parser's reason.
    pub fn parse(raw: &str) -> Result<Self, BackupError> {
        let trimmed = raw.trim();
        if trimmed.eq_ignore_ascii_case("off") {
            return Ok(Schedule::Off);
        }
        if trimmed.is_empty() {
            return Err(BackupError::InvalidSchedule("it is empty (use \"off\" to disable scheduled backups)".into()));
        }
        let cron = parse_cron(trimmed).map_err(|_| BackupError::InvalidSchedule(explain(trimmed)))?;
        // A pattern can parse and still never match (30 February): refuse it now rather than
        // have the scheduler find out at run time.
        cron.find_next_occurrence(&Utc::now(), false).map_err(|_| {
            BackupError::InvalidSchedule(format!("\"{trimmed}\" never matches a date (like 30 February)"))
        })?;
        let expression = trimmed.split_whitespace().collect::<Vec<_>>().join(" ");
        Ok(Schedule::Cron { expression, cron: Box::new(cron) })
    }

    /// `off` or the expression, as stored and shown.
    pub fn expression(&self) -> &str {
        match self {
            Schedule::Off => "off",
            Schedule::Cron { expression, .. } => expression,
        }
    }

    pub fn is_off(&self) -> bool {
        matches!(self, Schedule::Off)
    }

    /// The first run strictly after `after`, or `None` when off.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Off => None,
            Schedule::Cron { cron, .. } => cron.find_next_occurrence(&after, false).ok(),
        }
    }

    /// The next `n` runs strictly after `after`.
    pub fn upcoming(&self, after: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        let mut out = Vec::with_capacity(n);
        let mut t = after;
        while out.len() < n {
            match self.next_after(t) {
                Some(next) => {
                    out.push(next);
                    t = next;
                }
                None => break,
            }
        }
        out
    }

    /// In words, the one wording the dashboard, the CLI and the log use: "daily at 02:00 UTC",
    /// "not scheduled"; shapes without a short wording get the cron parser's.
    pub fn describe(&self) -> String {
        match self {
            Schedule::Off => "not scheduled".into(),
            Schedule::Cron { expression, cron } => {
                super::cron_words::common_shape(expression).unwrap_or_else(|| format!("{} (UTC)", cron.describe()))
            }
        }
    }
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule::parse(DEFAULT_SCHEDULE).unwrap_or(Schedule::Off)
    }
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Schedule({:?})", self.expression())
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expression())
    }
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.expression() == other.expression()
    }
}

impl Eq for Schedule {}

impl std::str::FromStr for Schedule {
    type Err = BackupError;
    fn from_str(s: &str) -> Result<Self, BackupError> {
        Schedule::parse(s)
    }
}

pub type BoxFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// The time as the scheduler sees it.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
    /// Completes at or after `deadline` (it may complete earlier only if the caller re-checks
    /// [`Clock::now`], which the scheduler does).
    fn sleep_until(&self, deadline: DateTime<Utc>) -> BoxFuture<'_>;
}

/// The real clock. Sleeps are measured on the monotonic clock and the scheduler re-reads the
/// wall clock at least every minute, so a clock change is noticed within a minute.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> BoxFuture<'_> {
        let wait = (deadline - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        Box::pin(tokio::time::sleep(wait))
    }
}

/// A clock that moves only when told to: tests set it just before a scheduled time, advance it,
/// and see the scheduler fire without sleeping for real.
#[derive(Debug)]
pub struct ManualClock {
    now: watch::Sender<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock { now: watch::Sender::new(start) }
    }

    pub fn set(&self, at: DateTime<Utc>) {
        self.now.send_replace(at);
    }

    pub fn advance(&self, by: chrono::Duration) {
        self.now.send_modify(|t| *t += by);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.borrow()
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> BoxFuture<'_> {
        let mut rx = self.now.subscribe();
        Box::pin(async move {
            let _ = rx.wait_for(|t| *t >= deadline).await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_refused_schedule_says_why_in_words() {
        let reason = |raw: &str| match Schedule::parse(raw) {
            Err(BackupError::InvalidSchedule(reason)) => reason,
            other => panic!("{raw:?}: {:?}", other.map(|s| s.expression().to_string())),
        };
        assert_eq!(
            reason("0 3 * *"),
            "it has 4 fields, and a schedule has five: minute, hour, day of the month, month and day of the week \
             (for example \"0 2 * * *\" is 02:00 every day)"
        );
        assert!(reason("0 0 3 * * *").starts_with("it has 6 fields"));
        assert!(reason("every").starts_with("it has 1 field,"));
        assert_eq!(
            reason("61 * * * *"),
            "the minute field \"61\" is not valid: it takes 0–59, a list, a range or */step"
        );
        assert!(reason("0 25 * * *").starts_with("the hour field \"25\""));
        assert!(reason("0 0 * 13 *").starts_with("the month field \"13\""));
        assert!(reason("0 0 30 2 *").contains("never matches a date"));
        for raw in ["0 3 * *", "61 * * * *", "0 0 30 2 *", "@sometimes"] {
            let r = reason(raw);
            assert!(!r.contains("attern") && !r.contains("omponent") && !r.contains("Cron"), "{raw}: {r}");
        }
    }

    #[test]
    fn five_fields_or_off() {
        assert!(Schedule::parse("off").unwrap().is_off());
        assert!(Schedule::parse(" OFF ").unwrap().is_off());
        assert_eq!(Schedule::parse("0  2 * * *").unwrap().expression(), "0 2 * * *");
        assert_eq!(Schedule::default().expression(), DEFAULT_SCHEDULE);
        assert!(Schedule::parse("@daily").is_ok());
        for bad in ["", "0 2 * *", "0 0 2 * * *", "0 2 * * * 2030", "61 * * * *", "nonsense", "0 2 30 2 *"] {
            let err = Schedule::parse(bad).unwrap_err();
            assert!(matches!(err, BackupError::InvalidSchedule(_)), "{bad:?}: {err}");
        }
        let err = Schedule::parse("0 0 2 * * *").unwrap_err().to_string();
        assert!(err.contains("it has 6 fields, and a schedule has five"), "{err}");
    }

    #[test]
    fn next_runs_are_in_utc() {
        let s = Schedule::parse("0 2 * * *").unwrap();
        let from = Utc.with_ymd_and_hms(2026, 11, 25, 1, 59, 59).unwrap();
        assert_eq!(
            s.upcoming(from, 3),
            vec![
                Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2026, 11, 27, 2, 0, 0).unwrap(),
            ]
        );
        let at_two = Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap();
        assert_eq!(s.next_after(at_two), Some(Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap()));
        assert!(Schedule::Off.upcoming(from, 3).is_empty());
        assert!(s.describe().contains("UTC"));
    }
}
