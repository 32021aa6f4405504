//! The sweep: every deployment × GPU × volume × context × burst point sized by simulation and billed on every
//! plan, in parallel across points with results in a fixed order (identical for any thread count).

use crate::capacity::{self, SearchConfig};
use crate::result::*;
use crate::scenario::Scenario;
use crate::{analysis, PlanError};
use infercost_core::stats::trace_stats;
use infercost_core::transform::Diurnal;
use infercost_core::units::HOURS_PER_MONTH;
use infercost_core::{Rng, Workload};
use infercost_cost::bill::{Segment, Usage};
use infercost_cost::{bill, Catalog, Commitment, Plan};
use infercost_perf::{calibrate, iteration::min_tp, Deployment, GpuCatalog, ModelSpec};
use infercost_sim::{EngineConfig, LatencySummary};

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

struct Setup {
    deployment: usize,
    gpu: String,
    dep: Option<Deployment>,
    tp: u32,
    failure: Option<String>,
    kv_blocks: u64,
}

/// Runs `f` on every item with `threads` workers; results keep the items' order.
fn par_map<T: Sync, R: Send>(
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

/// Whether a plan may serve every user group under the scenario's residency rules.
pub fn lawful(plan: &Plan, s: &Scenario) -> bool {
    match &s.geography {
        None => true,
        Some(g) => g
            .users
            .iter()
            .filter(|(_, share)| **share > 0.0)
            .all(|(group, _)| {
                g.residency
                    .get(group)
                    .is_none_or(|allowed| allowed.iter().any(|a| a == &plan.geo))
            }),
    }
}

/// Plans the scenario prices a GPU on.
pub fn plans_for<'c>(catalog: &'c Catalog, s: &Scenario, gpu: &str) -> Vec<&'c Plan> {
    catalog
        .plans
        .iter()
        .filter(|p| p.gpu == gpu && (s.plans.is_empty() || s.plans.contains(&p.name)))
        .collect()
}

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
            let kv_blocks = dep.as_ref().map_or(0, |d| {
                d.kv_capacity_tokens(e.gpu_memory_utilization, e.max_batched_tokens as u64) / 16
            });
            setups.push(Setup {
                deployment: di,
                gpu: g.clone(),
                dep,
                tp,
                failure,
                kv_blocks,
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
    // Phase 1: one replica's capacity for each setup and context.
    // One replica's capacity for every setup, context and TP the search may try (wider TPs within the node when the
    // deployment leaves TP to the planner): computed once, shared by every volume and burst.
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
    let search = |setup: &Setup, seed: u64| SearchConfig {
        engine: EngineConfig {
            max_num_seqs: e.max_num_seqs,
            max_batched_tokens: e.max_batched_tokens,
            block_size: 16,
            kv_blocks: setup.kv_blocks,
            prefix_caching: e.prefix_caching,
            prefix_block_tokens: 512,
        },
        slo: s.slo,
        seed,
        group_replicas: s.group_replicas,
    };
    let rps: Vec<f64> = par_map(&rps_keys, threads, &|_, &(si, context, tp)| {
        let setup = &setups[si];
        let d = &s.deployments[setup.deployment];
        let dep = setup.dep.as_ref().and_then(|dep| {
            if tp == dep.tp {
                Some(dep.clone())
            } else {
                Deployment::new(
                    dep.model.clone(),
                    dep.gpu.clone(),
                    tp,
                    d.weights,
                    d.kv_dtype,
                )
                .ok()
            }
        });
        let r = match dep {
            // Seeded by the setup, context and TP, not by position, so a shard draws what the whole sweep draws.
            Some(dep) => {
                let ci = s.context.iter().position(|c| *c == context).unwrap_or(0) as u64;
                let seed = Rng::derive(s.seed, 10_000 + si as u64 * 1_000 + ci * 16 + tp as u64)
                    .next_u64();
                let mut cfg = search(setup, seed);
                cfg.engine.kv_blocks = dep
                    .kv_capacity_tokens(e.gpu_memory_utilization, e.max_batched_tokens as u64)
                    / 16;
                capacity::max_rps_per_replica(&dep, inp.pilot, context, &cfg)
            }
            None => 0.0,
        };
        tick();
        r
    });
    let pilot_stats = trace_stats(inp.pilot, &s.format, 0);
    let pilot_rate = pilot_stats.mean_rate_rps.unwrap_or(0.0);
    let weights = inp.diurnal.relative_to_peak();
    let points: Vec<Point> = par_map(&tasks, threads, &|_, t| {
        let setup = &setups[t.setup];
        let rps_of = |tp: u32| {
            rps_keys
                .iter()
                .position(|k| *k == (t.setup, t.context, tp))
                .map_or(0.0, |i| rps[i])
        };
        let p = eval_point(
            inp,
            &catalog,
            setup,
            t,
            &rps_of,
            pilot_rate,
            &weights,
            &search(setup, Rng::derive(s.seed, t.index as u64).next_u64()),
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
        points,
        attribution: Vec::new(),
        inflections: Vec::new(),
        breakevens: Vec::new(),
        months: Vec::new(),
        placement: Vec::new(),
        prices_used,
    };
    if shard.is_none() {
        analysis::analyze(&mut result, &catalog);
    }
    Ok(result)
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

#[allow(clippy::too_many_arguments)]
fn eval_point(
    inp: &Inputs,
    catalog: &Catalog,
    setup: &Setup,
    t: &PointTask,
    rps_of: &dyn Fn(u32) -> f64,
    pilot_rate: f64,
    weights: &[f64; 24],
    cfg: &SearchConfig,
) -> Point {
    let s = inp.scenario;
    let d = &s.deployments[setup.deployment];
    let mut point = Point {
        deployment: d.name.clone(),
        volume: t.volume,
        context: t.context,
        burst: t.burst,
        gpu: setup.gpu.clone(),
        tp: setup.tp,
        fits: setup.dep.is_some(),
        slo_met: false,
        reason: setup.failure.clone(),
        replicas_peak: 0,
        gpus_peak: 0,
        groups: 0,
        requests_peak_hour: (inp.pilot.len() as f64 * t.volume).round() as u64,
        max_rps_per_replica: 0.0,
        gpu_hours_per_month: 0.0,
        utilization: 0.0,
        ttft_ms: LatencySummary::default(),
        tpot_ms: LatencySummary::default(),
        requests_per_month: 0.0,
        output_tokens_per_month: 0.0,
        input_tokens_per_month: 0.0,
        hourly: Vec::new(),
        bills: Vec::new(),
        cheapest_plan: None,
        cheapest_usd_per_month: None,
        vs_cheapest: Vec::new(),
        simulations: 0,
    };
    let mut max_rps = rps_of(setup.tp);
    point.max_rps_per_replica = max_rps;
    let Some(dep) = &setup.dep else { return point };
    let peak_rps = pilot_rate * t.volume;
    // A replica that cannot meet the SLO even at a trickle of this traffic cannot be scaled out of it.
    let unloaded = |dep: &Deployment, max_rps: f64| {
        capacity::Capacity {
        replicas: 0,
        groups: 1,
        sim: capacity::lone_requests(dep, inp.pilot, t.context, cfg),
        failure: Some(format!(
            "the SLO (p{} TTFT {} ms, TPOT {} ms) is below the unloaded latency of {}× {} (one replica fails it at any load; max {max_rps:.3} requests/s)",
            s.slo.percentile, s.slo.ttft_ms, s.slo.tpot_ms, dep.tp, dep.gpu.name
        )),
        sims: 12,
    }
    };
    // Try the smallest TP that fits, then wider ones within the node: a wider replica prefills faster, which can
    // meet a TTFT target with fewer GPUs in all. Keep the TP with the fewest GPUs (the smaller TP on a tie).
    let mut best: Option<(Deployment, capacity::Capacity, f64)> = None;
    let mut failed: Option<capacity::Capacity> = None;
    let mut current = dep.clone();
    let mut current_cfg = *cfg;
    let mut current_rps = max_rps;
    loop {
        let estimate = if current_rps > 0.0 {
            (peak_rps / current_rps).ceil() as u32
        } else {
            1
        };
        let cap = if current_rps > 0.0 {
            capacity::min_replicas(
                &current,
                inp.pilot,
                t.volume,
                t.context,
                t.burst,
                &current_cfg,
                estimate.max(1),
            )
        } else {
            unloaded(&current, current_rps)
        };
        point.simulations += cap.sims;
        if cap.failure.is_none() {
            let gpus = cap.replicas * current.tp;
            if best
                .as_ref()
                .is_some_and(|(b, c, _)| c.replicas * b.tp <= gpus)
            {
                break;
            }
            best = Some((current.clone(), cap, current_rps));
        } else if best.is_some() {
            break;
        } else {
            failed = Some(cap);
        }
        if d.tp.is_some() || current.tp * 2 > current.gpu.gpus_per_node {
            break;
        }
        let Ok(wider) = Deployment::new(
            current.model.clone(),
            current.gpu.clone(),
            current.tp * 2,
            d.weights,
            d.kv_dtype,
        ) else {
            break;
        };
        current_cfg.engine.kv_blocks = wider.kv_capacity_tokens(
            s.engine.gpu_memory_utilization,
            s.engine.max_batched_tokens as u64,
        ) / 16;
        current_rps = rps_of(wider.tp);
        current = wider;
    }
    let cap = match best {
        Some((chosen, cap, rps)) => {
            point.tp = chosen.tp;
            max_rps = rps;
            point.max_rps_per_replica = rps;
            cap
        }
        None => {
            let tried = failed.unwrap_or_else(|| unloaded(dep, 0.0));
            point.tp = current.tp;
            tried
        }
    };
    point.simulations += 1;
    point.groups = cap.groups;
    point.ttft_ms = cap.sim.ttft_ms;
    point.tpot_ms = cap.sim.tpot_ms;
    if let Some(why) = cap.failure {
        point.reason = Some(why);
        return point;
    }
    point.slo_met = true;
    let r = cap.replicas;
    let tp = point.tp as f64;
    point.replicas_peak = r;
    point.gpus_peak = r * point.tp;
    let hour_share = HOURS_PER_MONTH / 24.0;
    let mut static_segs = Vec::new();
    let mut auto_segs = Vec::new();
    let (mut requests, mut min_auto) = (0.0, u32::MAX);
    for (h, &w) in weights.iter().enumerate() {
        let load = peak_rps * w;
        let need = if max_rps > 0.0 {
            load / max_rps
        } else {
            r as f64
        };
        let auto = ((r as f64 * w).ceil() as u32).clamp(1, r);
        min_auto = min_auto.min(auto);
        requests += load * 3600.0 * hour_share;
        static_segs.push(Segment {
            hours: hour_share,
            gpus: r as f64 * tp,
            busy_gpus: need.min(r as f64) * tp,
        });
        auto_segs.push(Segment {
            hours: hour_share,
            gpus: auto as f64 * tp,
            busy_gpus: need.min(auto as f64) * tp,
        });
        point.hourly.push(Hour {
            hour: h as u32,
            load_rps: load,
            replicas_autoscaled: auto,
            replicas_static: r,
            busy_fraction_static: (need / r as f64).min(1.0),
        });
    }
    let (mean_in, mean_out) = {
        let n = inp.pilot.len().max(1) as f64;
        (
            inp.pilot.input_tokens() as f64 / n * t.context,
            inp.pilot.output_tokens() as f64 / n,
        )
    };
    point.requests_per_month = requests;
    point.output_tokens_per_month = requests * mean_out;
    point.input_tokens_per_month = requests * mean_in;
    let usage = |segments: Vec<Segment>, commit: Option<f64>| Usage {
        segments,
        commit_gpus: commit,
        requests,
        output_tokens: requests * mean_out,
        inter_region_gb: 0.0,
        api_usd: 0.0,
    };
    for plan in plans_for(catalog, s, &setup.gpu) {
        let mut options: Vec<(&str, Usage)> = vec![("static", usage(static_segs.clone(), None))];
        match plan.commitment {
            Commitment::OnDemand | Commitment::Spot => {
                options.push(("autoscaled", usage(auto_segs.clone(), None)))
            }
            _ if plan.burst_plan.is_some() => options.push((
                "committed-plus-burst",
                usage(auto_segs.clone(), Some(min_auto as f64 * tp)),
            )),
            _ => {}
        }
        let best = options
            .into_iter()
            .filter_map(|(policy, u)| {
                bill(plan, catalog, &u, &s.egress_model)
                    .ok()
                    .map(|b| (policy, b))
            })
            .min_by_key(|(_, b)| b.total_usd_per_month);
        if let Some((policy, b)) = best {
            point.bills.push(PointBill {
                policy: policy.to_string(),
                lawful: lawful(plan, s),
                bill: b,
            });
        }
    }
    let cheapest = point
        .bills
        .iter()
        .filter(|b| b.lawful)
        .min_by_key(|b| b.bill.total_usd_per_month);
    if let Some(c) = cheapest {
        let total = c.bill.total_usd_per_month.dollars();
        point.cheapest_plan = Some(c.bill.plan.clone());
        point.cheapest_usd_per_month = Some(total);
        point.gpu_hours_per_month = c.bill.gpu_hours;
        point.utilization = if c.bill.gpu_hours > 0.0 {
            c.bill.busy_gpu_hours / c.bill.gpu_hours
        } else {
            0.0
        };
        point.vs_cheapest = point
            .bills
            .iter()
            .filter(|b| b.bill.plan != c.bill.plan)
            .map(|b| {
                (
                    b.bill.plan.clone(),
                    b.bill.total_usd_per_month.dollars() / total,
                )
            })
            .collect();
    } else if !point.bills.is_empty() {
        point.reason = Some(format!(
            "no {} plan in the catalog may serve every user group under the residency rules",
            setup.gpu
        ));
    } else {
        point.reason = Some(format!("no plan in the catalog prices {}", setup.gpu));
    }
    point
}
