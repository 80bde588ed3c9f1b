//! Choosing what a restore needs from a listing alone, before anything is downloaded: the base,
//! and the segments after it up to the last one read at or before the target moment.

use super::{base::BaseInfo, error::RestoreError, names::SegmentName};
use chrono::{DateTime, Utc};

/// The moment to restore to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Everything the replica holds.
    Latest,
    /// The last segment read at or before this moment: every transaction committed more than one
    /// shipping interval before it, and none committed after it.
    At(DateTime<Utc>),
}

/// What to do when the chain breaks (a segment missing, overlapping, altered or out of place).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnBreak {
    /// Refuse: an error naming where the chain breaks and why.
    Refuse,
    /// Stop at the last good point and report it in [`Stopped`].
    StopAtLastGood,
}

/// Where and why a lenient restore stopped short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped {
    /// The segment that could not follow, or the range that is missing.
    pub at: String,
    pub reason: String,
}

/// A base and the segments to apply on it, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestorePlan<'a> {
    pub base: &'a BaseInfo,
    pub segments: Vec<SegmentName>,
    /// The last transaction the restored database will hold.
    pub reaches_txid: u64,
    /// When that state was read: the base's time, or the last segment's read time.
    pub reaches_time: DateTime<Utc>,
    /// Set when [`OnBreak::StopAtLastGood`] stopped before the target.
    pub stopped: Option<Stopped>,
}

/// Picks the base and segments of one generation that reach `target`. A gap between segments is
/// seen here; a missing *last* segment cannot be, so compare `reaches_txid` with the replica's
/// recorded position when restoring to [`Target::Latest`].
pub fn plan_restore<'a>(
    bases: &'a [BaseInfo],
    segments: &[SegmentName],
    target: Target,
    on_break: OnBreak,
) -> Result<RestorePlan<'a>, RestoreError> {
    let base = pick_base(bases, target)?;
    let mut names: Vec<SegmentName> = segments.iter().copied().filter(|s| s.last_txid() > base.txid).collect();
    names.sort();
    let mut plan =
        RestorePlan { base, segments: Vec::new(), reaches_txid: base.txid, reaches_time: base.taken_at, stopped: None };
    for name in names {
        let expected = plan.reaches_txid.saturating_add(1);
        let past_target = matches!(target, Target::At(t) if name.read_at() > t);
        if name.first_txid() != expected {
            let reason = if name.first_txid() > expected {
                format!("transactions {expected}..{} are in no segment", name.first_txid() - 1)
            } else {
                format!(
                    "it starts at transaction {}, inside what is already applied (up to {})",
                    name.first_txid(),
                    expected - 1
                )
            };
            // A gap just past the target still matters: the missing transactions may have been
            // read before the target moment.
            return stop(plan, on_break, name.to_string(), reason);
        }
        if past_target {
            break;
        }
        plan.reaches_txid = name.last_txid();
        plan.reaches_time = name.read_at();
        plan.segments.push(name);
    }
    Ok(plan)
}

fn stop<'a>(
    mut plan: RestorePlan<'a>,
    on_break: OnBreak,
    at: String,
    reason: String,
) -> Result<RestorePlan<'a>, RestoreError> {
    match on_break {
        OnBreak::Refuse => {
            let after = match plan.segments.last() {
                Some(last) => format!("segment {last}"),
                None => format!("the base at transaction {}", plan.base.txid),
            };
            Err(RestoreError::Gap { after, problem: format!("segment {at}: {reason}") })
        }
        OnBreak::StopAtLastGood => {
            plan.stopped = Some(Stopped { at, reason });
            Ok(plan)
        }
    }
}

/// The newest base taken at or before the target (for [`Target::Latest`], the newest), all of
/// one generation.
fn pick_base(bases: &[BaseInfo], target: Target) -> Result<&BaseInfo, RestoreError> {
    let first = bases.first().ok_or_else(|| RestoreError::NoPlan("the replica has no base".into()))?;
    if let Some(other) = bases.iter().find(|b| b.generation != first.generation) {
        return Err(RestoreError::NoPlan(format!(
            "bases of generations {} and {} were given together; plan one generation at a time",
            first.generation, other.generation
        )));
    }
    let eligible = bases.iter().filter(|b| match target {
        Target::Latest => true,
        Target::At(t) => b.taken_at <= t,
    });
    eligible.max_by_key(|b| (b.txid, b.taken_at)).ok_or_else(|| {
        let oldest = bases.iter().map(|b| b.taken_at).min().unwrap_or(first.taken_at);
        let wanted = match target {
            Target::At(t) => t.to_rfc3339(),
            Target::Latest => "latest".into(),
        };
        RestoreError::NoPlan(format!(
            "{wanted} is before the oldest base of generation {}, taken at {}",
            first.generation,
            oldest.to_rfc3339()
        ))
    })
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
