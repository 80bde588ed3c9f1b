use super::*;
use crate::backup::replica::names::GenerationId;

const T0: i64 = 1_764_511_500_000;

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn base(txid: u64, taken_ms: i64) -> BaseInfo {
    BaseInfo {
        generation: GenerationId::parse("20261130T140500Z-3f9a1c2e").expect("valid"),
        txid,
        wal: None,
        taken_at: at(taken_ms),
        page_size: 4096,
    }
}

/// Segments of transactions 1-3, 4-4, 5-9, 10-12, read one second apart from T0 + 1 s.
fn chain() -> Vec<SegmentName> {
    [(1, 3), (4, 4), (5, 9), (10, 12)]
        .iter()
        .enumerate()
        .map(|(i, &(a, b))| SegmentName::new(a, b, at(T0 + 1000 * (i as i64 + 1))).expect("valid"))
        .collect()
}

fn firsts(plan: &RestorePlan<'_>) -> Vec<u64> {
    plan.segments.iter().map(|s| s.first_txid()).collect()
}

#[test]
fn picks_the_prefix_read_at_or_before_the_target() {
    let bases = [base(0, T0)];
    let mut shuffled = chain();
    shuffled.reverse();
    for (target_ms, expected, txid) in [
        (T0, vec![], 0),
        (T0 + 999, vec![], 0),
        (T0 + 1000, vec![1], 3),
        (T0 + 2500, vec![1, 4], 4),
        (T0 + 3000, vec![1, 4, 5], 9),
        (T0 + 60_000, vec![1, 4, 5, 10], 12),
    ] {
        let plan = plan_restore(&bases, &shuffled, Target::At(at(target_ms)), OnBreak::Refuse).expect("plans");
        assert_eq!(firsts(&plan), expected, "target T0+{}ms", target_ms - T0);
        assert_eq!(plan.reaches_txid, txid);
        assert!(plan.reaches_time <= at(target_ms));
    }
    let latest = plan_restore(&bases, &shuffled, Target::Latest, OnBreak::Refuse).expect("plans");
    assert_eq!((firsts(&latest), latest.reaches_time), (vec![1, 4, 5, 10], at(T0 + 4000)));
}

#[test]
fn starts_from_the_newest_base_before_the_target() {
    let bases = [base(0, T0), base(4, T0 + 2500), base(12, T0 + 4500)];
    let plan = plan_restore(&bases, &chain(), Target::At(at(T0 + 3000)), OnBreak::Refuse).expect("plans");
    assert_eq!((plan.base.txid, firsts(&plan)), (4, vec![5]));
    let plan = plan_restore(&bases, &chain(), Target::At(at(T0 + 2000)), OnBreak::Refuse).expect("plans");
    assert_eq!((plan.base.txid, firsts(&plan)), (0, vec![1, 4]));
    let plan = plan_restore(&bases, &chain(), Target::Latest, OnBreak::Refuse).expect("plans");
    assert_eq!((plan.base.txid, firsts(&plan)), (12, vec![]));
    let err = plan_restore(&bases, &chain(), Target::At(at(T0 - 1)), OnBreak::Refuse).expect_err("too early");
    assert!(err.to_string().contains("before the oldest base"), "{err}");
    let err = plan_restore(&[], &chain(), Target::Latest, OnBreak::Refuse).expect_err("no base");
    assert!(err.to_string().contains("no base"), "{err}");
}

#[test]
fn a_gap_is_refused_or_stops_at_the_last_good_point() {
    let bases = [base(0, T0)];
    let mut gapped = chain();
    let missing = gapped.remove(1);
    assert_eq!(missing.first_txid(), 4);
    let err = plan_restore(&bases, &gapped, Target::Latest, OnBreak::Refuse).expect_err("gap");
    let text = err.to_string();
    assert!(text.contains("transactions 4..4 are in no segment"), "{text}");
    assert!(text.contains("after segment 0000000000000001-0000000000000003"), "{text}");

    let plan = plan_restore(&bases, &gapped, Target::Latest, OnBreak::StopAtLastGood).expect("stops");
    assert_eq!((firsts(&plan), plan.reaches_txid), (vec![1], 3));
    let stopped = plan.stopped.expect("says where it stopped");
    assert!(stopped.at.starts_with("0000000000000005-0000000000000009"), "{stopped:?}");

    // Transactions 5..9 missing, read at some moment between T0+2s and T0+4s: a target before
    // that stretch is unaffected; a target inside it is refused, since the missing transactions
    // may have been read before it.
    let mut later_gap = chain();
    later_gap.remove(2);
    let plan = plan_restore(&bases, &later_gap, Target::At(at(T0 + 1500)), OnBreak::Refuse).expect("plans");
    assert_eq!(firsts(&plan), vec![1]);
    for inside in [T0 + 2000, T0 + 2500, T0 + 4000] {
        assert!(
            plan_restore(&bases, &later_gap, Target::At(at(inside)), OnBreak::Refuse).is_err(),
            "T0+{}",
            inside - T0
        );
    }
}

#[test]
fn overlapping_segments_and_a_missing_first_one_are_refused() {
    let bases = [base(0, T0)];
    let mut overlapping = chain();
    overlapping.push(SegmentName::new(4, 6, at(T0 + 5000)).expect("valid"));
    let err = plan_restore(&bases, &overlapping, Target::Latest, OnBreak::Refuse).expect_err("overlap");
    assert!(err.to_string().contains("inside what is already applied"), "{err}");

    let headless: Vec<SegmentName> = chain().into_iter().skip(1).collect();
    let err = plan_restore(&bases, &headless, Target::Latest, OnBreak::Refuse).expect_err("missing head");
    assert!(err.to_string().contains("after the base at transaction 0"), "{err}");
    assert!(err.to_string().contains("transactions 1..3 are in no segment"), "{err}");
}

#[test]
fn bases_of_two_generations_are_refused() {
    let mut other = base(0, T0);
    other.generation = GenerationId::parse("20261201T000000Z-00000001").expect("valid");
    let err = plan_restore(&[base(0, T0), other], &chain(), Target::Latest, OnBreak::Refuse).expect_err("mixed");
    assert!(err.to_string().contains("one generation at a time"), "{err}");
}
