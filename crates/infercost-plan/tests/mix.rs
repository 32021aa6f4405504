//! Mixed-GPU fleets end to end on small synthetic pilots: a mix wins where the cheap GPU serves the short
//! requests and only the large one serves the long ones, no mix is reported where the cheap GPU is not cheap,
//! every mix point's shares sum to 1 and it never costs more than the best single type, and its JSON is the same
//! for any thread count and for merged shards.

use infercost_core::transform::{synth, Arrival, Diurnal, Lengths};
use infercost_core::Workload;
use infercost_cost::Catalog;
use infercost_perf::ModelCatalog;
use infercost_plan::analysis::best;
use infercost_plan::merge;
use infercost_plan::result::Point;
use infercost_plan::sweep::Inputs;
use infercost_plan::{plan, PlanResult, Scenario};

/// Prompt tokens of the long requests: a lone one's prefill takes the L40S past the TTFT target, not the H100.
const LONG: u32 = 24_000;

/// 49 short chat turns with long answers (decode-bound: the L40S's bandwidth at a twentieth of the H100's price)
/// for each long prompt (prefill-bound: only the H100 meets the TTFT target), Poisson, 30 requests/s for two
/// minutes: enough load that the H100 alone needs several replicas.
fn pilot() -> Workload {
    let mut pairs = vec![(300, 400); 49];
    pairs.push((LONG, 100));
    synth(
        30.0,
        120.0,
        Arrival::Poisson,
        &Lengths::Empirical(pairs),
        &Diurnal::flat(),
        None,
        5,
    )
    .unwrap()
}

/// Two GPU types on plans of the given prices ($/GPU-hour), one deployment, volumes 1 and 16.
fn scenario(l40s_usd: f64, h100_usd: f64) -> String {
    let price = |name: &str, gpu: &str, usd: f64| {
        format!(
            r#"
[[price]]
name = "{name}"
provider = "test"
gpu = "{gpu}"
region = "test-1"
geo = "us"
commitment = "on-demand"
usd_per_gpu_hour = {usd}
billing_granularity_s = 1
billing_minimum_s = 60
lead_time_s = 0
egress = "aws"
source = "a price chosen for the test"
as_of = "2026-11-28"
"#
        )
    };
    format!(
        r#"
[pilot]
trace = "embedded:azure-conv"
[[deployment]]
name = "8b"
model = "llama-3.1-8b"
[sweep]
volume = [1, 16]
gpus = ["l40s", "h100-sxm"]
plans = ["test-l40s", "test-h100"]
mix = true
[slo]
ttft_ms = 1500
tpot_ms = 100
[engine]
max_model_len = 32768
{}{}"#,
        price("test-l40s", "l40s", l40s_usd),
        price("test-h100", "h100-sxm", h100_usd)
    )
}

fn run(text: &str, pilot: &Workload, threads: usize, shard: Option<(u32, u32)>) -> PlanResult {
    let s = Scenario::parse(text, "mix.toml").unwrap();
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
        threads,
        shard,
        &|_, _| {},
    )
    .unwrap()
}

/// The best single type's point and the mix point at a volume.
fn at(r: &PlanResult, volume: f64) -> (&Point, &Point) {
    let singles: Vec<Point> = r.points.iter().filter(|p| !p.is_mix()).cloned().collect();
    let single = best(&singles, "8b", volume, 1.0, 1.0).unwrap();
    let single = r
        .points
        .iter()
        .find(|p| p.gpu == single.gpu && p.volume == volume)
        .unwrap();
    let mix = r
        .points
        .iter()
        .find(|p| p.is_mix() && p.volume == volume)
        .unwrap();
    (single, mix)
}

/// What every mix point satisfies: shares sum to 1, never dearer than the best single type, its bill lines
/// (one per pool) add up to its headline, and a mix of more than one type met the SLO in simulation.
fn check_invariants(r: &PlanResult) {
    let mixes: Vec<&Point> = r.points.iter().filter(|p| p.is_mix()).collect();
    assert_eq!(mixes.len(), r.scenario.volume.len());
    for m in mixes {
        let (single, _) = at(r, m.volume);
        let share: f64 = m.mix.iter().map(|x| x.requests_share).sum();
        assert!((share - 1.0).abs() < 1e-9, "{share}");
        let (mc, sc) = (
            m.cheapest_usd_per_month.unwrap(),
            single.cheapest_usd_per_month.unwrap(),
        );
        assert!(mc <= sc, "mix {mc} vs best single {sc}");
        let pools: f64 = m.serving.iter().map(|s| s.usd_per_month.dollars()).sum();
        assert!((pools - mc).abs() < 1e-6);
        if m.mix.len() > 1 {
            assert!(m.slo_met && m.simulations > 0);
            assert!(mc < sc);
            assert_eq!(m.serving.len(), m.mix.len());
            for (row, s) in m.mix.iter().zip(&m.serving) {
                assert_eq!(row.replicas, s.replicas_peak);
                assert!((row.requests_share - s.requests_peak_hour_share).abs() < 1e-12);
            }
        } else {
            assert_eq!(m.mix[0].gpu, single.gpu);
            assert_eq!(m.mix[0].replicas, single.replicas_peak);
            assert_eq!(mc, sc);
        }
    }
}

#[test]
fn a_mix_wins_where_the_cheap_gpu_serves_short_requests_and_only_the_large_one_serves_long_ones() {
    let pilot = pilot();
    let text = scenario(0.2, 4.0);
    let r = run(&text, &pilot, 2, None);
    check_invariants(&r);
    // At 16× the long prompts keep more than a dozen H100s busy, so their pool absorbs its own bursts (at 1× a
    // pool of one or two H100s for them alone needs more headroom than the whole traffic on H100s does).
    let v = 16.0;
    let (single, mix) = at(&r, v);
    // The L40S alone misses the TTFT target on the long prompts; the H100 serves everything.
    assert_eq!(single.gpu, "h100-sxm");
    let l40s = r
        .points
        .iter()
        .find(|p| p.gpu == "l40s" && p.volume == v)
        .unwrap();
    assert!(l40s.cheapest_usd_per_month.is_none(), "{:?}", l40s.reason);
    let rows: Vec<(&str, f64)> = mix
        .mix
        .iter()
        .map(|x| (x.gpu.as_str(), x.requests_share))
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let share_of = |g: &str| rows.iter().find(|x| x.0 == g).unwrap().1;
    // The long prompts (a fiftieth of the pilot's requests, counted here from the pilot) go to the H100.
    let long = pilot
        .requests
        .iter()
        .filter(|q| q.input_tokens == LONG)
        .count() as f64
        / pilot.len() as f64;
    assert!((share_of("h100-sxm") - long).abs() < 1e-12);
    assert!((share_of("l40s") - (1.0 - long)).abs() < 1e-12);
    // The same JSON for any thread count, and from merged shards.
    let one = serde_json::to_string(&run(&text, &pilot, 1, None)).unwrap();
    assert_eq!(one, serde_json::to_string(&r).unwrap());
    let shards = vec![
        ("0.json".to_string(), run(&text, &pilot, 1, Some((0, 2)))),
        ("1.json".to_string(), run(&text, &pilot, 2, Some((1, 2)))),
    ];
    assert!(shards
        .iter()
        .all(|(_, r)| r.points.iter().all(|p| !p.is_mix())));
    let combined = merge::combine(shards).unwrap();
    let mut merged = combined.result;
    let s = merged.scenario.clone();
    let models = vec![ModelCatalog::get("llama-3.1-8b").unwrap()];
    let inputs = Inputs {
        scenario: &s,
        pilot: &pilot,
        diurnal: &Diurnal::flat(),
        models: &models,
        catalog: &combined.catalog,
    };
    merge::finish(&mut merged, &inputs, 2).unwrap();
    assert_eq!(serde_json::to_string(&merged).unwrap(), one);
}

#[test]
fn no_mix_is_reported_where_the_cheap_gpu_is_not_cheap() {
    // Short requests only, so both types serve everything; the L40S at ten times its price loses every bucket.
    let short = synth(
        30.0,
        120.0,
        Arrival::Poisson,
        &Lengths::Empirical(vec![(300, 150), (900, 60)]),
        &Diurnal::flat(),
        None,
        6,
    )
    .unwrap();
    let r = run(&scenario(40.0, 4.0), &short, 2, None);
    check_invariants(&r);
    for v in [1.0, 16.0] {
        let (single, mix) = at(&r, v);
        assert_eq!(single.gpu, "h100-sxm");
        assert_eq!(mix.mix.len(), 1);
        assert_eq!(mix.mix[0].requests_share, 1.0);
        assert_eq!(mix.cheapest_usd_per_month, single.cheapest_usd_per_month);
    }
}
