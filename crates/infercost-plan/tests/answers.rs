//! The planner's answers do not depend on how the question was asked: break-evens do not move with the sweep
//! grid, months are whole fleets sized at their own volume and context, and a month with no feasible fleet says
//! so instead of pricing another context.

use infercost_core::transform::Diurnal;
use infercost_core::Workload;
use infercost_cost::Catalog;
use infercost_io::{read_trace, ReadOptions};
use infercost_perf::ModelCatalog;
use infercost_plan::sweep::Inputs;
use infercost_plan::{plan, PlanResult, Scenario};
use std::path::Path;

fn azure() -> Workload {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/traces/azure_conv_2023.csv");
    read_trace(&p, &ReadOptions::default()).unwrap().0
}

fn scenario(volume: &str, growth: &str) -> String {
    format!(
        r#"
[pilot]
trace = "embedded:azure-conv"
users = 10
[[deployment]]
name = "70b"
model = "llama-3.1-70b"
[sweep]
volume = {volume}
context = [1]
burst = [1]
gpus = ["h100-sxm"]
plans = ["aws-h100-committed-3y"]
[slo]
ttft_ms = 2000
tpot_ms = 100
[engine]
max_model_len = 16384
{growth}
"#
    )
}

fn run(text: &str, pilot: &Workload) -> PlanResult {
    let s = Scenario::parse(text, "test.toml").unwrap();
    let models: Vec<_> = s
        .deployments
        .iter()
        .map(|d| ModelCatalog::get(&d.model).unwrap())
        .collect();
    plan(
        &Inputs {
            scenario: &s,
            pilot,
            diurnal: &Diurnal::flat(),
            models: &models,
            catalog: &Catalog::embedded(),
        },
        2,
        None,
        &|_, _| {},
    )
    .unwrap()
}

fn api_breakeven(r: &PlanResult) -> Option<f64> {
    r.breakevens
        .iter()
        .find(|b| b.kind == infercost_plan::result::BreakevenKind::SelfHostVsApi)
        .and_then(|b| b.value)
}

#[test]
fn the_api_breakeven_does_not_move_with_the_sweep_grid() {
    let pilot = azure();
    let coarse = run(&scenario("[1, 30]", ""), &pilot);
    let fine = run(&scenario("[1, 3, 10, 30]", ""), &pilot);
    let (a, b) = (
        api_breakeven(&coarse).expect("the crossing lies inside [1, 30]"),
        api_breakeven(&fine).expect("the crossing lies inside [1, 30]"),
    );
    // Both are located by sizing fleets between the bracketing sweep points, on the same grid of 5% steps, so they agree to a step.
    assert!(
        (a / b - 1.0).abs() < 0.06,
        "crossing at {a}× on a coarse grid but {b}× on a fine one"
    );
    // A grid that stops short of the crossing says it lies beyond, instead of extrapolating to a number.
    let short = run(&scenario("[1, 1.5]", ""), &pilot);
    let be = short
        .breakevens
        .iter()
        .find(|b| b.kind == infercost_plan::result::BreakevenKind::SelfHostVsApi)
        .unwrap();
    if a > 1.5 {
        assert_eq!(be.value, None, "{}", be.description);
        assert!(be.description.contains("beyond"), "{}", be.description);
    }
}

#[test]
fn months_are_whole_fleets_and_say_when_none_is_feasible() {
    let pilot = azure();
    // Context doubles each month: by month 3 (8×) most prompts no longer fit a 16k window.
    let r = run(
        &scenario(
            "[1, 3]",
            "[growth]\nmonths = 3\nusers_end = 20\ncontext_per_month = 1.0",
        ),
        &pilot,
    );
    assert_eq!(r.months.len(), 3);
    let m1 = &r.months[0];
    let cost = m1.usd_per_month.expect("month 1 (2× context) is feasible");
    assert_eq!(m1.gpus_peak.fract(), 0.0, "whole GPUs: {}", m1.gpus_peak);
    assert!(m1.gpus_peak >= 4.0, "a 70B replica needs 4 H100s");
    assert_eq!(
        m1.gpus_peak as u32 % 4,
        0,
        "whole replicas of TP 4: {}",
        m1.gpus_peak
    );
    // The bill of that fleet: committed GPUs at $3.10/h, at least the GPUs times the hours they are provisioned.
    assert!(cost >= m1.gpus_peak * 3.10 * 730.0, "{cost}");
    let last = &r.months[2];
    assert!(
        last.usd_per_month.is_none(),
        "8× context must not be priced: {last:?}"
    );
    let why = last.reason.as_deref().unwrap_or_default();
    assert!(why.contains("max_model_len"), "{why}");
}

#[test]
fn a_point_without_a_fleet_gives_the_real_reason() {
    let pilot = azure();
    // Llama-3.1-70B in bf16 needs about 141 GB of weights: pinned to one 80 GB H100 it does not fit.
    let too_big = scenario("[1]", "").replace(
        "model = \"llama-3.1-70b\"",
        "model = \"llama-3.1-70b\"\ntp = 1",
    );
    let r = run(&too_big, &pilot);
    let p = &r.points[0];
    assert!(!p.fits && p.cheapest_usd_per_month.is_none());
    let why = p.reason.as_deref().unwrap_or_default();
    assert!(why.contains("does not fit"), "{why}");
    // A TTFT target below what the longest prompts' prefill takes on any layout says exactly that.
    let tight = scenario("[1]", "").replace("ttft_ms = 2000", "ttft_ms = 60");
    let r = run(&tight, &pilot);
    let p = &r.points[0];
    assert!(p.cheapest_usd_per_month.is_none());
    let why = p.reason.as_deref().unwrap_or_default();
    assert!(
        why.contains("cannot meet the SLO at any fleet size") && why.contains("TTFT"),
        "{why}"
    );
    assert!(!why.contains("residency"), "{why}");
}
