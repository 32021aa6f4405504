//! Decisions are located where the best choice really changes: at each decision the choice one 5% grid step
//! below is the old one and the choice at it is the new one, both sized afresh by simulation; every change of
//! the cheapest GPU type between adjacent sweep volumes has its decision between them.

use infercost_core::transform::Diurnal;
use infercost_core::Workload;
use infercost_cost::Catalog;
use infercost_io::{read_trace, ReadOptions};
use infercost_perf::ModelCatalog;
use infercost_plan::result::{DecisionAxis, DecisionKind, Point};
use infercost_plan::sweep::{Inputs, Sweep};
use infercost_plan::{plan, Scenario};
use std::path::Path;

const SCENARIO: &str = r#"
[pilot]
trace = "embedded:azure-conv"
users = 10
[[deployment]]
name = "8b"
model = "llama-3.1-8b"
[sweep]
volume = [1, 4, 16]
context = [1, 3]
burst = [1]
gpus = ["l40s", "h100-sxm"]
[slo]
ttft_ms = 2000
tpot_ms = 100
[engine]
max_model_len = 16384
"#;

fn cheapest(points: Vec<Point>) -> Option<Point> {
    points
        .into_iter()
        .filter(|p| p.cheapest_usd_per_month.is_some())
        .min_by(|a, b| {
            a.cheapest_usd_per_month
                .unwrap()
                .total_cmp(&b.cheapest_usd_per_month.unwrap())
        })
}

#[test]
fn each_decision_is_where_the_choice_changes() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/traces/azure_conv_2023.csv");
    let pilot: Workload = read_trace(&p, &ReadOptions::default()).unwrap().0;
    let s = Scenario::parse(SCENARIO, "test.toml").unwrap();
    let models: Vec<_> = s
        .deployments
        .iter()
        .map(|d| ModelCatalog::get(&d.model).unwrap())
        .collect();
    let cat = Catalog::embedded();
    let diurnal = Diurnal::flat();
    let inp = Inputs {
        scenario: &s,
        pilot: &pilot,
        diurnal: &diurnal,
        models: &models,
        catalog: &cat,
    };
    let r = plan(&inp, 2, None, &|_, _| {}).unwrap();
    assert!(
        !r.decisions.is_empty(),
        "a 16× sweep over two GPU types changes something"
    );
    let sweep = Sweep::new(&inp, 2).unwrap();
    let at = |axis: DecisionAxis, x: f64| {
        let (v, c) = match axis {
            DecisionAxis::Volume => (x, 1.0),
            DecisionAxis::Context => (16.0, x),
        };
        cheapest(sweep.points_at("8b", v, c)).unwrap()
    };
    let policy = |p: &Point| {
        let mut v: Vec<String> = p
            .serving
            .iter()
            .map(|f| {
                let c = cat.plan(&f.plan).unwrap().commitment.name();
                match p.serving.len() {
                    1 => format!("{} on {c}", f.policy),
                    _ => format!("{} on {c} in {}", f.policy, f.served_in),
                }
            })
            .collect();
        v.sort();
        v.dedup();
        v.join(" + ")
    };
    for d in &r.decisions {
        let (lo, hi) = match d.variable {
            DecisionAxis::Volume => (1.0, 16.0),
            DecisionAxis::Context => (1.0, 3.0),
        };
        assert!(d.at > lo && d.at <= hi, "{d:?}");
        // The coordinate held is the one the decision was located at, and the sentence names it off the pilot's.
        let held = match d.variable {
            DecisionAxis::Volume => 1.0,
            DecisionAxis::Context => 16.0,
        };
        assert_eq!(d.held, held, "{d:?}");
        if d.variable == DecisionAxis::Context {
            assert!(d.description.contains("context (and 16× volume)"), "{d:?}");
        }
        if d.what == DecisionKind::Api {
            continue;
        }
        // The planner's grid, 1.05^k anchored at 1×: the largest grid point below the decision, or the sweep point.
        let k = ((d.at * (1.0 - 1e-9)).ln() / 1.05f64.ln()).floor();
        let below = (k * 1.05f64.ln()).exp();
        let below = if below <= lo * (1.0 + 1e-9) {
            lo
        } else {
            below
        };
        let (p0, p1) = (at(d.variable, below), at(d.variable, d.at));
        let value = |p: &Point| match d.what {
            DecisionKind::Gpu => p.gpu.clone(),
            DecisionKind::Layout => format!("TP{}", p.tp),
            DecisionKind::Policy => policy(p),
            _ => String::new(),
        };
        assert_eq!(value(&p0), d.from, "one step below {d:?}");
        assert_eq!(value(&p1), d.to, "at {d:?}");
        assert_eq!(p1.cheapest_usd_per_month, Some(d.usd_after), "{d:?}");
        assert!(!d.description.is_empty());
    }
    // Completeness: a change of the cheapest GPU type between sweep volumes has a decision between them.
    let best = |v: f64| {
        r.points
            .iter()
            .filter(|p| p.volume == v && p.context == 1.0 && p.cheapest_usd_per_month.is_some())
            .min_by(|a, b| {
                a.cheapest_usd_per_month
                    .unwrap()
                    .total_cmp(&b.cheapest_usd_per_month.unwrap())
            })
            .map(|p| p.gpu.clone())
    };
    for w in [1.0, 4.0, 16.0].windows(2) {
        if best(w[0]) != best(w[1]) {
            assert!(
                r.decisions.iter().any(|d| d.what == DecisionKind::Gpu
                    && d.variable == DecisionAxis::Volume
                    && d.at > w[0]
                    && d.at <= w[1]),
                "GPU changes between {} and {}: {:?}",
                w[0],
                w[1],
                r.decisions
            );
        }
    }
}

#[test]
fn the_second_region_breakeven_is_the_region_decision() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/traces/azure_conv_2023.csv");
    let pilot: Workload = read_trace(&p, &ReadOptions::default()).unwrap().0;
    let text = r#"
[pilot]
trace = "embedded:azure-conv"
users = 50
[[deployment]]
name = "8b"
model = "llama-3.1-8b"
[sweep]
volume = [1, 10]
context = [1]
burst = [1]
gpus = ["h100-sxm"]
[slo]
ttft_ms = 2000
tpot_ms = 100
[engine]
max_model_len = 16384
[geography]
users = { us = 0.7, eu = 0.3 }
residency = { eu = ["eu"] }
cross_region_rtt_ms = 90
"#;
    let s = Scenario::parse(text, "test.toml").unwrap();
    let models = vec![ModelCatalog::get("llama-3.1-8b").unwrap()];
    let cat = Catalog::embedded();
    let diurnal = Diurnal::flat();
    let r = plan(
        &Inputs {
            scenario: &s,
            pilot: &pilot,
            diurnal: &diurnal,
            models: &models,
            catalog: &cat,
        },
        2,
        None,
        &|_, _| {},
    )
    .unwrap();
    let chosen = |v: f64| {
        r.placement
            .iter()
            .find(|p| p.volume == v)
            .and_then(|p| p.chosen.clone())
    };
    let be = r
        .breakevens
        .iter()
        .find(|b| b.kind == infercost_plan::result::BreakevenKind::SecondRegion)
        .unwrap();
    let region: Vec<_> = r
        .decisions
        .iter()
        .filter(|d| d.what == DecisionKind::Region)
        .collect();
    // At 1× one fleet in the EU serves everyone; at 10× a fleet in each region is cheaper: one decision says
    // where between them, and the break-even agrees.
    assert_eq!(chosen(1.0).as_deref(), Some("all-in-eu"));
    assert_eq!(chosen(10.0).as_deref(), Some("split"));
    assert_eq!(region.len(), 1, "{:?}", r.decisions);
    assert!(region[0].at > 1.0 && region[0].at <= 10.0);
    assert_eq!(
        (region[0].from.as_str(), region[0].to.as_str()),
        ("all-in-eu", "split")
    );
    assert_eq!(be.value, Some(region[0].at), "{}", be.description);
    // No change of provisioning is reported at the split itself.
    assert!(!r
        .decisions
        .iter()
        .any(|d| d.what == DecisionKind::Policy && d.at == region[0].at));
}
