//! Extreme workloads and settings into the simulator: whatever the arrivals, lengths, limits and fleet, it
//! returns (a result or an error naming the setting), never panics, accounts for every request once, and keeps
//! its timeline bounded by what it simulates rather than by the span of the arrivals.
//!
//! `PROPTEST_CASES=1000000 cargo test --release -p infercost-sim --test fuzz` runs a million cases.

use infercost_core::{Request, SimTime, Workload};
use infercost_perf::{Deployment, Dtype, GpuCatalog, ModelCatalog};
use infercost_sim::{simulate, Router, SimConfig, Slo};
use proptest::prelude::*;

fn deployment() -> Deployment {
    Deployment::new(
        ModelCatalog::get("llama-3.1-8b").unwrap(),
        GpuCatalog::embedded().get("h100-sxm").unwrap().clone(),
        1,
        Dtype::Bf16,
        Dtype::Bf16,
    )
    .unwrap()
}

/// Arrival times from dense to absurd: microseconds apart, an hour apart, or one stray far-future timestamp.
fn arrival() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..1_000_000_000,
        0u64..3_600_000_000_000,
        Just(1_000_000_000_000_000_000u64),
        Just(u64::MAX / 2),
    ]
}

fn request() -> impl Strategy<Value = (u64, u32, u32)> {
    (
        arrival(),
        prop_oneof![0u32..64, 0u32..40_000, Just(u32::MAX)],
        prop_oneof![0u32..64, 0u32..5_000, Just(10_000_000u32)],
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_workload_simulates_or_is_refused(
        reqs in prop::collection::vec(request(), 0..40),
        replicas in 0u32..4,
        max_model_len in prop_oneof![Just(None), (1u32..70_000).prop_map(Some)],
        ttft in prop_oneof![Just(0.0), 1.0f64..5_000.0, Just(f64::NAN)],
        router in prop_oneof![Just(Router::PowerOfTwo), Just(Router::RoundRobin), Just(Router::Least)],
        step_exact in any::<bool>(),
    ) {
        let dep = deployment();
        let mut w = Workload::new();
        for (t, i, o) in &reqs {
            w.requests.push(Request::new(SimTime(*t), *i, *o));
        }
        w.sort_by_arrival();
        let mut cfg = SimConfig::new(dep.kv_capacity_tokens(0.9, 8192) / 16, replicas);
        cfg.engine.max_model_len = max_model_len;
        cfg.router = router;
        cfg.step_exact = step_exact;
        cfg.slo = Some(Slo { ttft_ms: ttft, tpot_ms: 100.0, percentile: 99.0 });
        match simulate(&dep, &w, &cfg) {
            Ok(r) => {
                prop_assert!(replicas > 0 && ttft > 0.0, "accepted replicas {replicas} ttft {ttft}");
                prop_assert_eq!(r.requests, reqs.len() as u64);
                // Every request is completed, rejected, or unfinished (unservable included): once.
                prop_assert_eq!(r.completed + r.rejected + r.unfinished, r.requests);
                prop_assert!(r.timeline.len() <= 525_601, "timeline of {} buckets", r.timeline.len());
                let att = r.slo_attainment.unwrap_or(0.0);
                prop_assert!((0.0..=1.0).contains(&att));
                if r.rejected > 0 || r.unfinished > 0 {
                    prop_assert!(att < 1.0, "misses must lower attainment");
                }
            }
            Err(e) => {
                // Refused settings name themselves.
                let m = e.to_string();
                prop_assert!(replicas == 0 || !(ttft > 0.0), "refused a valid setting: {m}");
                prop_assert!(m.contains("replicas") || m.contains("SLO"), "{m}");
            }
        }
    }
}
