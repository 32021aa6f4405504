//! The sweep: every deployment × GPU × volume × context × burst point sized by simulation and billed on every
//! plan, in parallel across points with results in a fixed order (identical for any thread count).

use crate::point::{engine_for, eval_point, Ctx, Setup};
use crate::result::*;
use crate::scenario::Scenario;
use crate::{analysis, PlanError};
use infercost_core::stats::trace_stats;
use infercost_core::transform::Diurnal;
use infercost_core::{Rng, Workload};
use infercost_cost::Catalog;
use infercost_perf::{calibrate, iteration::min_tp, Deployment, GpuCatalog, ModelSpec};

/// Everything the planner reads; the caller loads files.
pub struct Inputs<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// The pilot's requests.
    pub pilot: &'a Workload,
    /// The day's shape.
    pub diurnal: &'a Diurnal,
    /// One model per deployment, in order.
    pub models: &'a [ModelSpec],
    /// Prices (embedded plus user catalogs); the scenario's own prices are added on top.
    pub catalog: &'a Catalog,
}

/// Runs `f` on every item with `threads` workers; results keep the items' order.
pub(crate) fn par_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: &(dyn Fn(usize, &T) -> R + Sync),
) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<R>>> =
        items.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads.max(1).min(items.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= items.len() {
                    break;
                }
                let r = f(i, &items[i]);
                if let Ok(mut slot) = slots[i].lock() {
                    *slot = Some(r);
                }
            });
        }
    });
    slots
        .into_iter()
        .filter_map(|m| m.into_inner().ok().flatten())
        .collect()
}

pub use crate::point::{lawful, plans_for};

struct PointTask {
    setup: usize,
    volume: f64,
    context: f64,
    burst: f64,
    index: usize,
}

/// Plans the scenario. With `shard = Some((i, n))` only every n-th point from i is evaluated and the analysis
/// is left to `merge`.
pub fn plan(
    inp: &Inputs,
    threads: usize,
    shard: Option<(u32, u32)>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<PlanResult, PlanError> {
    let s = inp.scenario;
    if let Some((i, n)) = shard {
        if n == 0 || i >= n {
            return Err(PlanError::Invalid(format!(
                "shard {i}/{n}: expected I/N with 0 ≤ I < N"
            )));
        }
    }
    let mut catalog = inp.catalog.clone();
    catalog.extend(Catalog {
        plans: s.prices.clone(),
        egress: Vec::new(),
        apis: Vec::new(),
    });
    catalog.check_references("scenario [[price]]")?;
    for name in &s.plans {
        catalog.plan(name)?;
    }
    let gpus = GpuCatalog::embedded();
    let e = &s.engine;
    let mut setups = Vec::new();
    for (di, d) in s.deployments.iter().enumerate() {
        for g in &s.gpus {
            let gpu = gpus
                .get(g)
                .map_err(|e| PlanError::Invalid(e.to_string()))?
                .clone();
            let model = inp.models[di].clone();
            let fit_tp = min_tp(
                &model,
                &gpu,
                d.weights,
                d.kv_dtype,
                e.gpu_memory_utilization,
                e.max_batched_tokens as u64,
                e.max_model_len,
            );
            let tp = d.tp.or(fit_tp).unwrap_or(gpu.gpus_per_node);
            let built =
                Deployment::new(model, gpu.clone(), tp, d.weights, d.kv_dtype).and_then(|dep| {
                    dep.check_fits(
                        e.gpu_memory_utilization,
                        e.max_batched_tokens as u64,
                        e.max_model_len,
                        fit_tp,
                    )
                    .map(|_| dep)
                });
            let (dep, failure) = match built {
                Ok(dep) => (Some(dep), None),
                Err(err) => (None, Some(err.to_string())),
            };
            setups.push(Setup {
                deployment: di,
                gpu: g.clone(),
                dep,
                tp,
                failure,
            });
        }
    }
    let mut tasks = Vec::new();
    for (si, _) in setups.iter().enumerate() {
        for &volume in &s.volume {
            for &context in &s.context {
                for &burst in &s.burst {
                    let index = tasks.len();
                    tasks.push(PointTask {
                        setup: si,
                        volume,
                        context,
                        burst,
                        index,
                    });
                }
            }
        }
    }
    if let Some((i, n)) = shard {
        tasks.retain(|t| t.index as u32 % n == i);
    }
    // Phase 1: one replica's capacity for every setup, context and TP the search may try (wider TPs within the
    // node when the deployment leaves TP to the planner): computed once, shared by every volume and burst.
    let mut rps_keys: Vec<(usize, f64, u32)> = Vec::new();
    for t in &tasks {
        let setup = &setups[t.setup];
        let Some(dep) = &setup.dep else { continue };
        let mut tp = setup.tp;
        loop {
            if !rps_keys.contains(&(t.setup, t.context, tp)) {
                rps_keys.push((t.setup, t.context, tp));
            }
            if s.deployments[setup.deployment].tp.is_some() || tp * 2 > dep.gpu.gpus_per_node {
                break;
            }
            tp *= 2;
        }
    }
    let total = rps_keys.len() + tasks.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let tick = || {
        progress(
            done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
            total,
        )
    };
    let rps: Vec<f64> = par_map(&rps_keys, threads, &|_, &(si, context, tp)| {
        let r = replica_capacity(s, &setups[si], inp.pilot, context, tp);
        tick();
        r
    });
    let capacity_of = |si: usize, context: f64, tp: u32| -> f64 {
        match rps_keys.iter().position(|k| *k == (si, context, tp)) {
            Some(i) => rps[i],
            None => replica_capacity(s, &setups[si], inp.pilot, context, tp),
        }
    };
    let pilot_stats = trace_stats(inp.pilot, &s.format, 0);
    let pilot_rate = pilot_stats.mean_rate_rps.unwrap_or(0.0);
    let weights = inp.diurnal.relative_to_peak();
    let ctx = Ctx {
        scenario: s,
        pilot: inp.pilot,
        catalog: &catalog,
        capacity: &capacity_of,
        pilot_rate,
        weights,
    };
    let points: Vec<Point> = par_map(&tasks, threads, &|_, t| {
        let p = eval_point(
            &ctx,
            t.setup,
            &setups[t.setup],
            (t.volume, t.context, t.burst),
            Rng::derive(s.seed, t.index as u64).next_u64(),
        );
        tick();
        p
    });
    let mut prices_used: Vec<PriceRef> = Vec::new();
    for p in &points {
        for b in &p.bills {
            if !prices_used.iter().any(|x| x.plan == b.bill.plan) {
                prices_used.push(PriceRef {
                    plan: b.bill.plan.clone(),
                    usd_per_gpu_hour: b.bill.usd_per_gpu_hour,
                    commitment: b.bill.commitment.clone(),
                    source: b.bill.source.clone(),
                    as_of: b.bill.as_of.clone(),
                });
            }
        }
    }
    prices_used.sort_by(|a, b| a.plan.cmp(&b.plan));
    let mut result = PlanResult {
        schema_version: SCHEMA_VERSION,
        infercost_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: s.clone(),
        pilot: Pilot {
            trace: s.trace.clone(),
            requests: pilot_stats.requests,
            duration_s: pilot_stats.duration_s.unwrap_or(0.0),
            mean_rate_rps: pilot_rate,
            input_tokens_mean: pilot_stats.input_tokens.mean,
            output_tokens_mean: pilot_stats.output_tokens.mean,
            peak_to_mean_60s: pilot_stats.peak_to_mean.as_ref().map_or(0.0, |p| p.s60),
            diurnal: weights.to_vec(),
        },
        calibration: calibration_notes(),
        shard: shard.map(|(i, n)| [i, n]),
        catalog: shard.map(|_| inp.catalog.clone()),
        scenario_dir: None,
        points,
        attribution: Vec::new(),
        inflections: Vec::new(),
        breakevens: Vec::new(),
        months: Vec::new(),
        placement: Vec::new(),
        prices_used,
    };
    if shard.is_none() {
        finish(&mut result, inp, threads)?;
    }
    Ok(result)
}

/// Fills a result's analysis (attribution, inflections, break-evens, months, placement) from its points. `plan`
/// calls it on a whole sweep and `merge` on the union of shards, with the inputs the shards were planned from, so
/// both give the same answer; analyses that size fleets between sweep points simulate them here.
pub fn finish(result: &mut PlanResult, inp: &Inputs, threads: usize) -> Result<(), PlanError> {
    let _ = threads;
    let mut catalog = inp.catalog.clone();
    catalog.extend(Catalog {
        plans: inp.scenario.prices.clone(),
        egress: Vec::new(),
        apis: Vec::new(),
    });
    analysis::analyze(result, &catalog);
    Ok(result).map(|_| ())
}

/// The calibration error of the shipped efficiencies (see docs/CALIBRATION.md).
pub fn calibration_notes() -> Vec<CalibrationNote> {
    let _ = calibrate::EFFICIENCY_H100;
    vec![
        CalibrationNote {
            gpu: "h100-sxm".into(),
            gemm_median_error: 0.066,
            gemm_p90_error: 0.195,
            all_reduce_median_error: 0.156,
            reference: "docs/CALIBRATION.md (Vidur H100 operator profiles)".into(),
        },
        CalibrationNote {
            gpu: "a100-80gb".into(),
            gemm_median_error: 0.049,
            gemm_p90_error: 0.133,
            all_reduce_median_error: 0.147,
            reference: "docs/CALIBRATION.md (Vidur A100 operator profiles)".into(),
        },
    ]
}

/// One replica's capacity for a setup at a context and TP (0 when the layout does not exist or fit).
pub(crate) fn replica_capacity(
    s: &Scenario,
    setup: &Setup,
    pilot: &Workload,
    context: f64,
    tp: u32,
) -> f64 {
    let Some(dep) = &setup.dep else { return 0.0 };
    let d = &s.deployments[setup.deployment];
    let dep = if tp == dep.tp {
        dep.clone()
    } else {
        match Deployment::new(
            dep.model.clone(),
            dep.gpu.clone(),
            tp,
            d.weights,
            d.kv_dtype,
        ) {
            Ok(x) => x,
            Err(_) => return 0.0,
        }
    };
    infercost_sim::capacity::replica_capacity(
        &dep,
        &infercost_sim::capacity::length_mix(pilot, context),
        engine_for(s, &dep),
        s.slo,
    )
}
