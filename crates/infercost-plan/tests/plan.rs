//! Planner properties on the real Azure conversation trace: exact Shapley sums, monotone cost, no idle under
//! a constant load when autoscaled, determinism for any thread count, and shards that merge to the whole.

use infercost_core::transform::{self, Arrival, Diurnal, Lengths};
use infercost_core::Workload;
use infercost_cost::Catalog;
use infercost_io::{read_trace, ReadOptions};
use infercost_perf::ModelCatalog;
use infercost_plan::merge;
use infercost_plan::result::CostBand;
use infercost_plan::sweep::plan_uncertain;
use infercost_plan::sweep::Inputs;
use infercost_plan::uncertainty::Uncertainty;
use infercost_plan::{plan, PlanResult, Scenario};
use std::path::Path;

fn azure() -> Workload {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/traces/azure_conv_2023.csv");
    read_trace(&p, &ReadOptions::default()).unwrap().0
}

const SMALL: &str = r#"
[pilot]
trace = "embedded:azure-conv"
users = 10
[[deployment]]
name = "8b"
model = "llama-3.1-8b"
[sweep]
volume = [1, 3, 10]
context = [1, 2]
burst = [1, 2]
gpus = ["h100-sxm", "a100-80gb"]
[slo]
ttft_ms = 2000
tpot_ms = 100
[engine]
max_model_len = 16384
[growth]
months = 3
users_end = 100
context_per_month = 0.1
"#;

fn run(
    text: &str,
    pilot: &Workload,
    diurnal: &Diurnal,
    threads: usize,
    shard: Option<(u32, u32)>,
) -> PlanResult {
    let s = Scenario::parse(text, "test.toml").unwrap();
    let models: Vec<_> = s
        .deployments
        .iter()
        .map(|d| ModelCatalog::get(&d.model).unwrap())
        .collect();
    let cat = Catalog::embedded();
    plan(
        &Inputs {
            scenario: &s,
            pilot,
            diurnal,
            models: &models,
            catalog: &cat,
        },
        threads,
        shard,
        &|_, _| {},
    )
    .unwrap()
}

#[test]
fn shapley_parts_sum_to_the_growth_and_cost_grows_with_volume() {
    let r = run(SMALL, &azure(), &Diurnal::flat(), 2, None);
    assert_eq!(r.points.len(), 2 * 3 * 2 * 2);
    assert!(!r.attribution.is_empty());
    for a in &r.attribution {
        let parts = a.volume_usd + a.context_usd + a.concurrency_usd;
        assert!((parts - a.total_growth_usd).abs() < 1e-6, "{a:?}");
        assert!((a.target_usd - a.pilot_usd - a.total_growth_usd).abs() < 1e-6);
        assert!(a.volume_usd > 0.0, "more volume must cost more: {a:?}");
    }
    // For every plan, cost is non-decreasing in volume at a fixed context, burst and GPU.
    for p in &r.points {
        for q in &r.points {
            if p.gpu == q.gpu && p.context == q.context && p.burst == q.burst && p.volume < q.volume
            {
                for b in &p.bills {
                    if let Some(c) = q.bills.iter().find(|c| c.bill.plan == b.bill.plan) {
                        assert!(
                            c.bill.total_usd_per_month >= b.bill.total_usd_per_month,
                            "{} at {} vs {}",
                            b.bill.plan,
                            p.volume,
                            q.volume
                        );
                    }
                }
            }
        }
    }
    assert_eq!(r.months.len(), 3);
    assert!(r
        .months
        .windows(2)
        .all(|m| m[1].usd_per_month >= m[0].usd_per_month));
}

#[test]
fn a_constant_load_has_near_zero_idle_when_autoscaled() {
    // A Poisson pilot with a flat day: the load never varies, so an autoscaled fleet idles only for the rounding
    // to whole replicas and the headroom the SLO needs for a Poisson process's own fluctuations.
    let lengths = Lengths::Empirical(
        azure()
            .requests
            .iter()
            .map(|r| (r.input_tokens, r.output_tokens))
            .collect(),
    );
    let pilot = transform::synth(
        5.0,
        3600.0,
        Arrival::Poisson,
        &lengths,
        &Diurnal::flat(),
        None,
        3,
    )
    .unwrap();
    let text = SMALL
        .replace("volume = [1, 3, 10]", "volume = [1, 100]")
        .replace("context = [1, 2]", "context = [1]")
        .replace("burst = [1, 2]", "burst = [1]")
        .replace(
            "gpus = [\"h100-sxm\", \"a100-80gb\"]",
            "gpus = [\"h100-sxm\"]",
        );
    let r = run(&text, &pilot, &Diurnal::flat(), 2, None);
    let big = r.points.iter().find(|p| p.volume == 100.0).unwrap();
    let od = big
        .bills
        .iter()
        .find(|b| b.bill.plan == "aws-h100-on-demand")
        .unwrap();
    // With a flat day the autoscaler holds the peak fleet all day, so static and autoscaled bill the same.
    assert!(
        od.policy.name() == "autoscaled" || od.policy.name() == "static",
        "{}",
        od.policy
    );
    // The autoscaler of the simulated day holds about the peak fleet all day: deciding on each minute's load at its
    // target, it settles within a tenth of the fleet the busiest hour's simulation sized (which rounds each
    // simulated group up to whole replicas), never following a load that does not move.
    let tenth = big.replicas_peak.div_ceil(10);
    assert!(
        big.hourly
            .iter()
            .all(|h| h.replicas_autoscaled.abs_diff(big.replicas_peak) <= tenth),
        "{:?}",
        big.hourly
            .iter()
            .map(|h| h.replicas_autoscaled)
            .collect::<Vec<_>>()
    );
    let idle = od.bill.idle_usd.dollars() / od.bill.gpu_usd.dollars();
    // What remains is the headroom the p99 SLO needs for Poisson fluctuations within the hour and the rounding
    // to whole replicas per simulated group, measured against one replica's sustainable rate (about 18% here).
    assert!(idle < 0.25, "idle share {idle} on a constant load");
    // The diurnal day adds idle to a static fleet: the same load shaped by ServeGen's day idles more.
    let servegen: Vec<f64> = include_str!("../../../data/diurnal_servegen.csv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("hour"))
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    let shaped = run(&text, &pilot, &Diurnal::new(&servegen).unwrap(), 2, None);
    let p = shaped.points.iter().find(|p| p.volume == 100.0).unwrap();
    let bm = p
        .bills
        .iter()
        .find(|b| b.bill.plan == "baremetal-h100-typical")
        .unwrap();
    assert!(bm.bill.idle_usd.dollars() / bm.bill.gpu_usd.dollars() > idle);
}

#[test]
fn the_same_scenario_gives_the_same_json_for_any_threads_and_shards() {
    let pilot = azure();
    let one = serde_json::to_string(&run(SMALL, &pilot, &Diurnal::flat(), 1, None)).unwrap();
    let two = serde_json::to_string(&run(SMALL, &pilot, &Diurnal::flat(), 2, None)).unwrap();
    assert_eq!(one, two);
    // Shards merged (points in sweep order, analysis redone) equal the whole, in whichever order they come.
    let first = run(SMALL, &pilot, &Diurnal::flat(), 2, Some((0, 2)));
    let other = run(SMALL, &pilot, &Diurnal::flat(), 2, Some((1, 2)));
    assert!(first.attribution.is_empty());
    let combined =
        merge::combine(vec![("1.json".into(), other), ("0.json".into(), first)]).unwrap();
    let mut merged = combined.result;
    // A shard carries the catalog it was planned with; the analysis is finished at those prices.
    assert_eq!(combined.catalog, Catalog::embedded());
    let s = merged.scenario.clone();
    let models: Vec<_> = s
        .deployments
        .iter()
        .map(|d| ModelCatalog::get(&d.model).unwrap())
        .collect();
    let inputs = Inputs {
        scenario: &s,
        pilot: &pilot,
        diurnal: &Diurnal::flat(),
        models: &models,
        catalog: &combined.catalog,
    };
    merge::finish(&mut merged, &inputs, 2).unwrap();
    assert_eq!(serde_json::to_string(&merged).unwrap(), one);
    assert!(
        !one.contains("\"catalog\""),
        "a whole plan carries no catalog"
    );
    assert!(
        !one.contains("\"uncertainty\""),
        "without --uncertainty a point has no band"
    );
    // A result read back checks its scenario again: a tampered one is refused, saying what is wrong.
    let mut tampered: serde_json::Value = serde_json::from_str(&one).unwrap();
    tampered["scenario"]["volume"][1] = serde_json::json!(-3.0);
    let e = serde_json::from_value::<PlanResult>(tampered)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "scenario: sweep.volume: must be a non-empty list of positive numbers, got [1.0, -3.0, 10.0]"
    );
}

#[test]
fn a_model_that_does_not_fit_is_a_result_not_a_crash() {
    let text = SMALL
        .replace(
            "model = \"llama-3.1-8b\"",
            "model = \"llama-3.1-405b\"\ntp = 8",
        )
        .replace("gpus = [\"h100-sxm\", \"a100-80gb\"]", "gpus = [\"l40s\"]")
        .replace("volume = [1, 3, 10]", "volume = [1]")
        .replace("context = [1, 2]", "context = [1]")
        .replace("burst = [1, 2]", "burst = [1]");
    let r = run(&text, &azure(), &Diurnal::flat(), 1, None);
    let p = &r.points[0];
    assert!(!p.fits && !p.slo_met);
    assert!(
        p.reason.as_deref().unwrap_or("").contains("does not fit"),
        "{:?}",
        p.reason
    );
}

#[test]
fn a_list_of_weights_keeps_the_cheapest_and_the_point_names_it() {
    let base = SMALL
        .replace("volume = [1, 3, 10]", "volume = [1]")
        .replace("users = 10", "users = 100")
        .replace("context = [1, 2]", "context = [1]")
        .replace("burst = [1, 2]", "burst = [1]")
        .replace(
            "gpus = [\"h100-sxm\", \"a100-80gb\"]",
            "gpus = [\"h100-sxm\"]",
        )
        .replace(
            "[growth]\nmonths = 3\nusers_end = 100\ncontext_per_month = 0.1\n",
            "",
        );
    let with = |w: &str| {
        base.replace(
            "model = \"llama-3.1-8b\"",
            &format!("model = \"llama-3.1-8b\"\ntp = 1\nweights = {w}"),
        )
    };
    let pilot = azure();
    let cost = |w: &str| {
        let r = run(&with(w), &pilot, &Diurnal::flat(), 1, None);
        let p = r.points[0].clone();
        (p.cheapest_usd_per_month.unwrap(), p.weights)
    };
    let (bf16, wb) = cost("\"bf16\"");
    let (fp8, wf) = cost("\"fp8\"");
    assert_eq!((wb.as_str(), wf.as_str()), ("bf16", "fp8"));
    let (both, chosen) = cost("[\"bf16\", \"fp8\"]");
    assert_eq!(both, bf16.min(fp8));
    let expected = if fp8 < bf16 { "fp8" } else { "bf16" };
    assert_eq!(chosen, expected, "bf16 {bf16}, fp8 {fp8}");
}

/// A tiny sweep for the cost bands: one GPU, two volumes, one month of growth from the scenario.
const TINY: &str = r#"
[pilot]
trace = "embedded:azure-conv"
users = 10
[[deployment]]
name = "8b"
model = "llama-3.1-8b"
[sweep]
volume = [1, 6]
context = [1]
burst = [1]
gpus = ["a100-80gb"]
[slo]
ttft_ms = 2000
tpot_ms = 100
[growth]
months = 3
users_end = 100
context_per_month = 0.1
"#;

fn run_uncertain(pilot: &Workload, threads: usize, u: &Uncertainty) -> PlanResult {
    let s = Scenario::parse(TINY, "tiny.toml").unwrap();
    let models: Vec<_> = s
        .deployments
        .iter()
        .map(|d| ModelCatalog::get(&d.model).unwrap())
        .collect();
    let cat = Catalog::embedded();
    let inputs = Inputs {
        scenario: &s,
        pilot,
        diurnal: &Diurnal::flat(),
        models: &models,
        catalog: &cat,
    };
    plan_uncertain(&inputs, threads, None, &|_, _| {}, Some(u)).unwrap()
}

/// The priced points of a result with their plain cost and band.
fn bands(r: &PlanResult) -> Vec<(f64, f64, CostBand)> {
    let out: Vec<_> = r
        .points
        .iter()
        .filter_map(|p| Some((p.volume, p.cheapest_usd_per_month?, p.uncertainty.clone()?)))
        .collect();
    assert_eq!(out.len(), 2, "both points are priced and carry a band");
    out
}

#[test]
fn cost_bands_are_ordered_centred_and_collapse_without_spread() {
    let pilot = azure();
    // No spread at all: every draw is the plain plan, so the band has no width and sits on the plain cost.
    for (_, plain, b) in bands(&run_uncertain(&pilot, 2, &Uncertainty::none(8, 3))) {
        assert_eq!(
            (b.p10_usd, b.p50_usd, b.p90_usd),
            (plain, plain, plain),
            "{b:?}"
        );
        assert_eq!(b.p_slo_met, 1.0);
    }
    // Symmetric model errors only (capacity 20% lower, right, or 25% higher, equally likely): the plain cost is
    // inside the band, the middle draw is the plain plan, and the fleet misses the SLO only when capacity is low.
    let sym = Uncertainty {
        capacity_factors: vec![0.8, 1.0, 1.25],
        ..Uncertainty::none(48, 5)
    };
    for (volume, plain, b) in bands(&run_uncertain(&pilot, 2, &sym)) {
        assert!(b.p10_usd <= b.p50_usd && b.p50_usd <= b.p90_usd, "{b:?}");
        assert!(
            b.p10_usd <= plain && plain <= b.p90_usd,
            "{volume}×: {plain} outside {b:?}"
        );
        assert!(
            (b.p50_usd - plain).abs() < 1e-6,
            "{volume}×: {plain} vs {b:?}"
        );
        assert!(b.p_slo_met >= 0.5 && b.p_slo_met <= 1.0, "{b:?}");
        if volume > 1.0 {
            assert!(
                b.p90_usd > b.p10_usd,
                "more replicas make the band wide at {volume}×: {b:?}"
            );
        }
    }
    // Every source of spread: ordered percentiles, and the same JSON for any thread count.
    let u = Uncertainty::new(32, 11).unwrap();
    let one = run_uncertain(&pilot, 1, &u);
    for (_, _, b) in bands(&one) {
        assert!(b.p10_usd <= b.p50_usd && b.p50_usd <= b.p90_usd, "{b:?}");
        assert!((0.0..=1.0).contains(&b.p_slo_met) && b.draws == 32);
    }
    let two = run_uncertain(&pilot, 2, &u);
    assert_eq!(
        serde_json::to_string(&one).unwrap(),
        serde_json::to_string(&two).unwrap()
    );
}

#[test]
fn deepseek_v3_in_fp8_is_planned_across_two_h100_nodes() {
    // 671 GB of fp8 weights do not fit one node of 8 × 80 GiB: the planner must span two nodes.
    let text = SMALL
        .replace(
            "model = \"llama-3.1-8b\"",
            "model = \"deepseek-v3\"\nweights = \"fp8\"",
        )
        .replace(
            "gpus = [\"h100-sxm\", \"a100-80gb\"]",
            "gpus = [\"h100-sxm\"]",
        )
        .replace("volume = [1, 3, 10]", "volume = [1]")
        .replace("context = [1, 2]", "context = [1]")
        .replace("burst = [1, 2]", "burst = [1]")
        .replace("max_model_len = 16384", "max_model_len = 8192");
    let r = run(&text, &azure(), &Diurnal::flat(), 2, None);
    let p = &r.points[0];
    assert!(p.fits && p.slo_met, "{:?}", p.reason);
    let gpus = p.tp * p.pp;
    assert!(
        gpus >= 16 && gpus % 8 == 0,
        "a whole-node layout across nodes: {p:?}"
    );
    assert_eq!(p.gpus_peak, p.replicas_peak * gpus);
    assert!(p.cheapest_usd_per_month.is_some());
}

#[test]
fn a_layout_the_model_cannot_take_is_refused_with_the_deployment_named() {
    let text = SMALL.replace(
        "model = \"llama-3.1-8b\"",
        "model = \"llama-3.1-8b\"\ntp = 2\nep = 2",
    );
    let s = Scenario::parse(&text, "test.toml").unwrap();
    let models = vec![ModelCatalog::get("llama-3.1-8b").unwrap()];
    let cat = Catalog::embedded();
    let (pilot, diurnal) = (azure(), Diurnal::flat());
    let inputs = Inputs {
        scenario: &s,
        pilot: &pilot,
        diurnal: &diurnal,
        models: &models,
        catalog: &cat,
    };
    let e = plan(&inputs, 1, None, &|_, _| {}).unwrap_err().to_string();
    assert!(
        e.contains("deployment \"8b\" (tp = 2, ep = 2) on h100-sxm")
            && e.contains("expert parallelism needs a mixture-of-experts model"),
        "{e}"
    );
    // The error speaks the scenario's keys, not the command line's flags.
    let text = SMALL.replace(
        "model = \"llama-3.1-8b\"",
        "model = \"qwen3-30b-a3b\"\ntp = 2\nep = 4",
    );
    let s = Scenario::parse(&text, "test.toml").unwrap();
    let models = vec![ModelCatalog::get("qwen3-30b-a3b").unwrap()];
    let inputs = Inputs {
        scenario: &s,
        models: &models,
        ..inputs
    };
    let e = plan(&inputs, 1, None, &|_, _| {}).unwrap_err().to_string();
    assert!(
        e.contains("(ep at most tp; each expert is split tp/ep ways)") && !e.contains("--"),
        "{e}"
    );
    // Data-parallel attention on a stage of one GPU is refused where the file says so.
    let text = SMALL.replace(
        "model = \"llama-3.1-8b\"",
        "model = \"qwen3-30b-a3b\"\ntp = 1\nattention_dp = true",
    );
    let e = Scenario::parse(&text, "test.toml").unwrap_err().to_string();
    let line = text
        .lines()
        .position(|l| l.starts_with("attention_dp"))
        .unwrap()
        + 1;
    assert!(
        e.starts_with(&format!("test.toml:{line}: deployment.attention_dp:")),
        "{e}"
    );
}

/// gpt-oss-120b in fp8 (weights and KV cache) on H100 for 50 users at the pilot's volume and burst, at the
/// contexts given.
fn gpt_oss_at_the_pilots_volume(contexts: &str, max_model_len: u32) -> String {
    SMALL
        .replace(
            "model = \"llama-3.1-8b\"",
            "model = \"gpt-oss-120b\"\nweights = \"fp8\"\nkv_dtype = \"fp8\"",
        )
        .replace(
            "gpus = [\"h100-sxm\", \"a100-80gb\"]",
            "gpus = [\"h100-sxm\"]",
        )
        .replace("users = 10", "users = 50")
        .replace("volume = [1, 3, 10]", "volume = [1]")
        .replace("context = [1, 2]", &format!("context = {contexts}"))
        .replace("burst = [1, 2]", "burst = [1]")
        .replace(
            "max_model_len = 16384",
            &format!("max_model_len = {max_model_len}"),
        )
}

#[test]
fn the_layout_search_keeps_the_fewest_gpus_of_any_layout() {
    // gpt-oss-120b in fp8 on H100 runs at TP2 or TP4, with or without its experts spread and attention
    // data-parallel. The layouts' measured capacities rank them, and one ranked behind another can need fewer
    // GPUs once simulated (TP4 serves this load on 4 GPUs, TP2 on 6; a search that pruned by the first layout's
    // shortfall kept TP2). The free search must find the fewest that any one layout, planned alone, needs.
    let free = gpt_oss_at_the_pilots_volume("[1]", 8192);
    let pilot = azure();
    let found = &run(&free, &pilot, &Diurnal::flat(), 2, None).points[0];
    assert!(found.slo_met, "{:?}", found.reason);
    let mut alone = Vec::new();
    for (tp, ep, attention_dp) in [
        (1, 1, false),
        (2, 1, false),
        (4, 1, false),
        (2, 2, false),
        (4, 4, false),
        (2, 2, true),
        (4, 4, true),
    ] {
        let fixed = free.replace(
            "kv_dtype = \"fp8\"",
            &format!("kv_dtype = \"fp8\"\ntp = {tp}\nep = {ep}\nattention_dp = {attention_dp}"),
        );
        let p = &run(&fixed, &pilot, &Diurnal::flat(), 2, None).points[0];
        if p.slo_met {
            let per_gpu = p.max_rps_per_replica / f64::from(tp);
            alone.push((p.gpus_peak, tp, ep, attention_dp, per_gpu));
        }
    }
    let fewest = alone.iter().map(|a| a.0).min().unwrap();
    assert!(
        alone.len() >= 3,
        "several layouts serve the load: {alone:?}"
    );
    assert_eq!(
        found.gpus_peak, fewest,
        "the search chose TP{} EP{} attention-DP {} on {} GPUs; alone: {alone:?}",
        found.tp, found.ep, found.attention_dp, found.gpus_peak
    );
    // Of the layouts on that many GPUs, the one that serves the most per GPU: its headroom is billed.
    let most = alone
        .iter()
        .filter(|a| a.0 == fewest)
        .map(|a| a.4)
        .fold(0.0, f64::max);
    let per_gpu = found.max_rps_per_replica / f64::from(found.tp * found.pp);
    assert!(
        per_gpu >= most * (1.0 - 1e-9),
        "{per_gpu} per GPU, {most} possible; alone: {alone:?}"
    );
    // `attention_dp = false` alone narrows the search to the layouts without it, TP and EP still searched.
    let narrowed = free.replace(
        "kv_dtype = \"fp8\"",
        "kv_dtype = \"fp8\"\nattention_dp = false",
    );
    let p = &run(&narrowed, &pilot, &Diurnal::flat(), 2, None).points[0];
    let fewest_without = alone.iter().filter(|a| !a.3).map(|a| a.0).min().unwrap();
    assert!(!p.attention_dp && p.gpus_peak == fewest_without, "{p:?}");
}

#[test]
fn a_longer_context_never_needs_fewer_gpus() {
    // Points that differ only in prompt length draw the same traffic, so the fleet follows the prompts: over a
    // fine context sweep the GPUs never fall as the context grows. (Drawn afresh per context, gpt-oss-120b at
    // 100× needed 34 replicas at 3.56× the pilot's prompts and 32 at 3.6×.)
    let text = SMALL
        .replace(
            "model = \"llama-3.1-8b\"",
            "model = \"gpt-oss-120b\"\nweights = \"fp8\"",
        )
        .replace(
            "gpus = [\"h100-sxm\", \"a100-80gb\"]",
            "gpus = [\"h100-sxm\"]",
        )
        .replace("users = 10", "users = 50")
        .replace("volume = [1, 3, 10]", "volume = [1, 100]")
        .replace(
            "context = [1, 2]",
            "context = [1, 3.4, 3.5, 3.5557, 3.6, 3.8]",
        )
        .replace("burst = [1, 2]", "burst = [1]")
        .replace("max_model_len = 16384", "max_model_len = 32768");
    let r = run(&text, &azure(), &Diurnal::flat(), 2, None);
    for volume in [1.0, 100.0] {
        let mut line: Vec<(f64, u32)> = r
            .points
            .iter()
            .filter(|p| p.volume == volume && p.slo_met)
            .map(|p| (p.context, p.gpus_peak))
            .collect();
        line.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(line.len() == 6, "{line:?}");
        assert!(
            line.windows(2).all(|w| w[1].1 >= w[0].1),
            "GPUs along the context at {volume}× volume: {line:?}"
        );
    }
}

#[test]
fn of_layouts_on_as_many_gpus_the_one_the_day_needs_least_of_is_kept() {
    // gpt-oss-120b in fp8 at 4× the pilot's prompts on H100 peaks at 8 GPUs as one TP8 EP8 replica or two TP4
    // EP4 ones, both with data-parallel attention; TP8 serves a little more per GPU, but the two TP4 replicas
    // follow the quiet hours down to one. The day's shape decides, and the point costs no more than either
    // layout planned alone.
    let servegen: Vec<f64> = include_str!("../../../data/diurnal_servegen.csv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("hour"))
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    let diurnal = Diurnal::new(&servegen).unwrap();
    let free = gpt_oss_at_the_pilots_volume("[1, 4]", 32768);
    let pilot = azure();
    let at4 = |r: PlanResult| r.points.into_iter().find(|p| p.context == 4.0).unwrap();
    let found = at4(run(&free, &pilot, &diurnal, 2, None));
    let mut alone = Vec::new();
    for tp in [4, 8] {
        let fixed = free.replace(
            "kv_dtype = \"fp8\"",
            &format!("kv_dtype = \"fp8\"\ntp = {tp}\nep = {tp}\nattention_dp = true"),
        );
        let p = at4(run(&fixed, &pilot, &diurnal, 2, None));
        alone.push((tp, p.gpus_peak, p.cheapest_usd_per_month.unwrap()));
    }
    assert_eq!(
        alone[0].1, alone[1].1,
        "both peak on as many GPUs: {alone:?}"
    );
    let cheapest = alone.iter().map(|a| a.2).fold(f64::MAX, f64::min);
    assert!(
        found.cheapest_usd_per_month.unwrap() <= cheapest,
        "TP{} at {:?}; alone: {alone:?}",
        found.tp,
        found.cheapest_usd_per_month
    );
}
