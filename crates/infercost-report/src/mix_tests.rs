//! A mixed-GPU point (`gpu = "mix"`) rendered everywhere a point goes: the terminal summary, the Markdown and HTML
//! reports, the explorer's data and the FOCUS export.

use crate::fixture::small;
use crate::focus::{focus_csv, FocusOptions, Period};
use infercost_core::Usd;
use infercost_plan::result::{MixRow, PlanResult, Point, Serving, MIX_GPU};
use infercost_plan::Scenario;

/// The fixture with `mix = true` and, at its largest volume (context 1×, burst 1×), a mixed point whose two pools
/// carry the bills of the smallest volume's fleet: cheaper than the best single type there.
fn with_mix() -> (PlanResult, f64) {
    let mut r = small();
    let mut spec = r.scenario.clone().into_spec();
    spec.mix = true;
    spec.gpus.push("l40s".into());
    r.scenario = Scenario::try_from(spec).unwrap();
    let at = |p: &&Point, v: f64| p.volume == v && p.context == 1.0 && p.burst == 1.0;
    let small_bill = r.points.iter().find(|p| at(p, 1.0)).unwrap().bills[0].clone();
    let top = r.points.iter().find(|p| at(p, 1000.0)).unwrap().clone();
    let pool = |share: f64| Serving {
        users: Vec::new(),
        served_in: "eu".into(),
        plan: small_bill.bill.plan.clone(),
        policy: small_bill.policy,
        tp: 1,
        pp: 1,
        ep: 1,
        attention_dp: false,
        replicas_peak: 3,
        max_rps_per_replica: 10.0,
        requests_peak_hour_share: share,
        usd_per_month: small_bill.bill.total_usd_per_month,
        transfer_usd: Usd::ZERO,
        bill: Some(small_bill.bill.clone()),
        buy_or_rent: None,
    };
    let mut m = top.clone();
    m.gpu = MIX_GPU.into();
    m.bills = Vec::new();
    m.vs_cheapest = Vec::new();
    m.placement = Vec::new();
    // The renderers read the pools' bills (H100 bills from the fixture) and the `mix` rows' GPUs.
    m.serving = vec![pool(0.9), pool(0.1)];
    m.mix = vec![
        MixRow {
            gpu: "l40s".into(),
            tp: 1,
            pp: 1,
            replicas: 3,
            requests_share: 0.9,
        },
        MixRow {
            gpu: "h100-sxm".into(),
            tp: 1,
            pp: 1,
            replicas: 3,
            requests_share: 0.1,
        },
    ];
    let total = 2.0 * small_bill.bill.total_usd_per_month.dollars();
    m.cheapest_usd_per_month = Some(total);
    r.points.push(m);
    (r, top.cheapest_usd_per_month.unwrap() - total)
}

#[test]
fn a_mixed_point_renders_in_every_report() {
    let (r, saving) = with_mix();
    assert!(saving > 0.0);
    // The JSON round trip keeps the rows; a single type's point has no `mix` key at all.
    let json = serde_json::to_string(&r).unwrap();
    let back: PlanResult = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
    assert_eq!(json.matches("\"mix\":[").count(), 1);
    let summary = crate::summary(&r).join("\n");
    assert!(summary.contains("Mixed GPU fleets"), "{summary}");
    assert!(
        summary.contains("3×1 l40s (90% of requests) + 3×1 h100-sxm (10% of requests)"),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("saves {}", infercost_core::fmt::usd(saving))),
        "{summary}"
    );
    let md = crate::markdown(&r);
    assert!(
        md.contains("3×1 l40s + 3×1 h100-sxm"),
        "the headline names the pools"
    );
    let html = crate::html(&r);
    assert!(html.contains("3×1 l40s + 3×1 h100-sxm"));
    assert!(
        html.contains("\"g\":\"mix\""),
        "the explorer offers the mixed point"
    );
    let focus = focus_csv(
        &r,
        &FocusOptions {
            period: Period::new(2026, 12).unwrap(),
            all_plans: false,
        },
    );
    assert!(focus.skipped.is_empty(), "{:?}", focus.skipped);
    let single = small();
    let single_bills = focus_csv(
        &single,
        &FocusOptions {
            period: Period::new(2026, 12).unwrap(),
            all_plans: false,
        },
    )
    .bills;
    assert_eq!(focus.bills, single_bills + 2, "one bill per pool");
}
