//! Bills priced on the simulated day: every bill carries its day and how its GPU time was bought, its lines add
//! up, its day meets the SLO, and the cheapest mix of committed, spot and on-demand capacity never costs more than
//! any single way of buying the same provider's GPU in the same region, nor than its on-demand fleet priced by
//! hand from its simulated day.

use infercost_core::transform::Diurnal;
use infercost_core::units::HOURS_PER_MONTH;
use infercost_core::Usd;
use infercost_cost::Catalog;
use infercost_io::{read_trace, ReadOptions};
use infercost_perf::ModelCatalog;
use infercost_plan::result::Policy;
use infercost_plan::sweep::Inputs;
use infercost_plan::{plan, PlanResult, Scenario};
use std::path::Path;

const SCENARIO: &str = r#"
[pilot]
trace = "embedded:azure-conv"
users = 10
[[deployment]]
name = "8b"
model = "llama-3.1-8b"
[sweep]
volume = [1, 20]
context = [1]
burst = [1]
gpus = ["h100-sxm"]
[slo]
ttft_ms = 2000
tpot_ms = 100
[engine]
max_model_len = 16384
"#;

fn servegen() -> Diurnal {
    let w: Vec<f64> = include_str!("../../../data/diurnal_servegen.csv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("hour"))
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    Diurnal::new(&w).unwrap()
}

fn run(diurnal: &Diurnal) -> PlanResult {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/traces/azure_conv_2023.csv");
    let pilot = read_trace(&p, &ReadOptions::default()).unwrap().0;
    let s = Scenario::parse(SCENARIO, "test.toml").unwrap();
    let models: Vec<_> = s
        .deployments
        .iter()
        .map(|d| ModelCatalog::get(&d.model).unwrap())
        .collect();
    let cat = Catalog::embedded();
    let inputs = Inputs {
        scenario: &s,
        pilot: &pilot,
        diurnal,
        models: &models,
        catalog: &cat,
    };
    plan(&inputs, 2, None, &|_, _| {}).unwrap()
}

#[test]
fn every_bill_carries_a_day_that_meets_the_slo_and_the_mix_is_never_dearer() {
    let cat = Catalog::embedded();
    let mut mixes = 0;
    for diurnal in [servegen(), Diurnal::flat()] {
        let r = run(&diurnal);
        for p in r.points.iter().filter(|p| !p.bills.is_empty()) {
            for b in &p.bills {
                let bill = &b.bill;
                assert_eq!(
                    bill.committed_usd + bill.on_demand_usd + bill.spot_usd,
                    bill.gpu_usd,
                    "{}",
                    bill.plan
                );
                assert_eq!(
                    bill.gpu_usd + bill.egress_usd + bill.transfer_usd + bill.api_usd,
                    bill.total_usd_per_month
                );
                let day = b.day.as_ref().expect("every bill carries its day");
                assert_eq!(day.hourly.len(), 24);
                assert!(
                    day.slo_attainment >= 0.99,
                    "{} {}: {}",
                    bill.plan,
                    b.policy,
                    day.slo_attainment
                );
                assert!(
                    (day.idle_fraction - (1.0 - day.busy_gpu_hours / day.gpu_hours)).abs() < 1e-9
                );
                // The month's GPU-hours are the day's, 730/24 times over (no per-stretch rounding at 1 s billing
                // except the spot overhead).
                if bill.commitment == "on-demand" && b.policy != Policy::Mix {
                    assert!(
                        (bill.gpu_hours - day.gpu_hours * HOURS_PER_MONTH / 24.0).abs()
                            < 1e-6 * bill.gpu_hours
                    );
                }
                for h in &day.hourly {
                    let layers = h.committed_replicas + h.spot_replicas + h.on_demand_replicas;
                    assert!(
                        layers >= h.replicas_mean - 1e-9,
                        "{} {}: layers {layers} < {}",
                        bill.plan,
                        b.policy,
                        h.replicas_mean
                    );
                }
                assert!(bill.procurement.is_some());
            }
            for m in p.bills.iter().filter(|b| b.policy == Policy::Mix) {
                mixes += 1;
                let group = |plan: &str| {
                    cat.plan(plan).is_ok_and(|q| {
                        q.provider == m.bill.provider
                            && q.region == m.bill.region
                            && q.gpu == m.bill.gpu
                    })
                };
                // Never dearer than any single way of buying the group's capacity: on demand (static or
                // autoscaled), all spot, all committed (static or with bursts).
                for b in p
                    .bills
                    .iter()
                    .filter(|b| b.policy != Policy::Mix && group(&b.bill.plan))
                {
                    assert!(
                        m.bill.total_usd_per_month <= b.bill.total_usd_per_month,
                        "mix {} > {} {} {}",
                        m.bill.total_usd_per_month,
                        b.bill.plan,
                        b.policy,
                        b.bill.total_usd_per_month
                    );
                }
                // And not dearer than the anchor's on-demand fleet priced here by hand from its simulated day:
                // each hour's mean replicas × GPUs per replica × the hour's share of the month × the price.
                let od = cat.plan(&m.bill.plan).unwrap();
                let own = p
                    .bills
                    .iter()
                    .find(|b| b.policy != Policy::Mix && b.bill.plan == m.bill.plan)
                    .unwrap();
                let hand: f64 = own
                    .day
                    .as_ref()
                    .unwrap()
                    .hourly
                    .iter()
                    .map(|h| {
                        h.replicas_mean * (p.tp * p.pp) as f64 * HOURS_PER_MONTH / 24.0
                            * od.usd_per_gpu_hour
                    })
                    .sum();
                assert!(
                    (own.bill.gpu_usd.dollars() - hand).abs() < 1e-3 * hand,
                    "{} vs {hand}",
                    own.bill.gpu_usd
                );
                assert!(
                    m.bill.gpu_usd <= Usd::from_dollars(hand * (1.0 + 1e-9)),
                    "{} vs {hand}",
                    m.bill.gpu_usd
                );
                let proc = m.bill.procurement.as_ref().unwrap();
                assert!(proc.reason.as_deref().is_some_and(|r| !r.is_empty()));
            }
        }
        // The static peak fleet idles through the quiet hours of a shaped day.
        if diurnal.relative_to_peak().iter().any(|&w| w < 0.9) {
            let big = r.points.iter().find(|p| p.volume == 20.0).unwrap();
            let bm = big
                .bills
                .iter()
                .find(|b| b.bill.plan == "baremetal-h100-typical")
                .unwrap();
            // Sized for the peak, a fleet idles at least the day's trough below the peak: 1 − mean / peak load.
            let w = diurnal.relative_to_peak();
            let floor = 1.0 - w.iter().sum::<f64>() / 24.0;
            let s = bm.day.as_ref().unwrap();
            assert!(
                s.idle_fraction >= floor - 1e-9,
                "static idle {} below {floor}",
                s.idle_fraction
            );
            assert!(s.idle_fraction > 0.2, "{}", s.idle_fraction);
        }
    }
    assert!(mixes >= 4, "mixes priced: {mixes}");
}
