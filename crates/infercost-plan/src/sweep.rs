//! The sweep: every deployment × GPU × volume × context × burst point sized by simulation and billed on every
//! plan, in parallel across points with results in a fixed order (identical for any thread count).

use crate::point::{engine_for, eval_point, Ctx, Setup};
use crate::result::*;
use crate::scenario::Scenario;
use crate::seed::point_seed;
use crate::uncertainty::Uncertainty;
use crate::{analysis, PlanError};
use infercost_core::par::par_map;
use infercost_core::stats::trace_stats;
use infercost_core::transform::Diurnal;
use infercost_core::Workload;
use infercost_cost::Catalog;
use infercost_perf::layout::{choose_layout, FitLimits};
use infercost_perf::{Deployment, GpuCatalog, Layout, ModelSpec, PerfError};

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

pub use crate::point::{lawful, plans_for};

/// The sweep's evaluator: each deployment on each GPU type, one replica's capacity per context and layout
/// (measured once and cached), and the point at any volume and context, on or between sweep points.
pub struct Sweep<'a> {
    pub(crate) inp: &'a Inputs<'a>,
    pub(crate) catalog: Catalog,
    pub(crate) setups: Vec<Setup>,
    capacities: std::sync::Mutex<Vec<(CapacityKey, f64)>>,
    /// Points sized between sweep points, by deployment, volume and context: the analyses walk the same grid
    /// (break-evens, decisions), and a point depends only on its coordinates.
    between: std::sync::Mutex<BetweenCache>,
    pub(crate) pilot_rate: f64,
    pub(crate) weights: [f64; 24],
    /// The pilot's minute-to-minute burstiness (`infercost_sim::minute_factors`), for the day model.
    pub(crate) minute_factors: Vec<f64>,
    pub(crate) threads: usize,
}

impl<'a> Sweep<'a> {
    /// Checks the inputs, resolves prices and finds each deployment's smallest layout on each GPU type.
    pub fn new(inp: &'a Inputs<'a>, threads: usize) -> Result<Sweep<'a>, PlanError> {
        let s = inp.scenario;
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
        let mut setups = Vec::new();
        let mut others = Vec::new();
        for (di, d) in s.deployments.iter().enumerate() {
            for g in &s.gpus {
                let choices = d.weight_choices();
                let first = setups.len();
                setups.push(setup(s, inp, di, g, choices[0])?);
                for &w in &choices[1..] {
                    others.push((first, setup(s, inp, di, g, w)?));
                }
            }
        }
        for (first, mut alt) in others {
            alt.primary = false;
            let index = setups.len();
            setups[first].alternatives.push(index);
            setups.push(alt);
        }
        let pilot_rate = trace_stats(inp.pilot, &s.format, 0)
            .mean_rate_rps
            .unwrap_or(0.0);
        Ok(Sweep {
            inp,
            catalog,
            setups,
            capacities: std::sync::Mutex::new(Vec::new()),
            between: std::sync::Mutex::new(BetweenCache::new()),
            pilot_rate,
            weights: inp.diurnal.relative_to_peak(),
            minute_factors: infercost_sim::minute_factors(inp.pilot),
            threads: threads.max(1),
        })
    }

    /// Runs `f` over items on the sweep's threads, results in the items' order.
    pub fn map<T: Sync, R: Send>(&self, items: &[T], f: &(dyn Fn(&T) -> R + Sync)) -> Vec<R> {
        par_map(items, self.threads, |_, x| f(x))
    }

    /// The catalog the bills use: the inputs' plus the scenario's own prices.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Layouts the capacity search may try for a setup (see `point::layouts`).
    fn layouts(&self, si: usize) -> Vec<Layout> {
        let setup = &self.setups[si];
        let Some(dep) = &setup.dep else {
            return Vec::new();
        };
        crate::point::layouts(
            self.inp.scenario,
            &self.inp.scenario.deployments[setup.deployment],
            dep,
        )
    }

    /// One replica's capacity for a setup at a context and layout, measured once.
    fn capacity(&self, si: usize, context: f64, layout: Layout) -> f64 {
        let key = (si, context.to_bits(), layout);
        if let Ok(c) = self.capacities.lock() {
            if let Some((_, v)) = c.iter().find(|(k, _)| *k == key) {
                return *v;
            }
        }
        let v = replica_capacity(
            self.inp.scenario,
            &self.setups[si],
            self.inp.pilot,
            context,
            layout,
        );
        if let Ok(mut c) = self.capacities.lock() {
            if !c.iter().any(|(k, _)| *k == key) {
                c.push((key, v));
            }
        }
        v
    }

    /// Measures the capacities a set of points needs, in parallel, before the points are sized.
    fn measure(&self, keys: &[(usize, f64)], threads: usize, tick: &(dyn Fn() + Sync)) {
        let mut all: Vec<(usize, f64, Layout)> = Vec::new();
        for &(si, c) in keys {
            for l in self.layouts(si) {
                if !all.contains(&(si, c, l)) {
                    all.push((si, c, l));
                }
            }
        }
        par_map(&all, threads, |_, &(si, c, l)| {
            self.capacity(si, c, l);
            tick();
        });
    }

    /// What every point shares, with one replica's capacity measured through the sweep's cache.
    pub(crate) fn with_ctx<R>(&self, f: impl FnOnce(&Ctx) -> R) -> R {
        let capacity = |si: usize, c: f64, l: Layout| self.capacity(si, c, l);
        let ctx = Ctx {
            scenario: self.inp.scenario,
            pilot: self.inp.pilot,
            catalog: &self.catalog,
            capacity: &capacity,
            pilot_rate: self.pilot_rate,
            weights: self.weights,
            minute_factors: &self.minute_factors,
            uncertainty: None,
        };
        f(&ctx)
    }

    /// The point of setup `si` at a volume, context and burst.
    fn point(
        &self,
        si: usize,
        (volume, context, burst): (f64, f64, f64),
        seed: u64,
        uncertainty: Option<&Uncertainty>,
    ) -> Point {
        let capacity = |si: usize, c: f64, l: Layout| self.capacity(si, c, l);
        let ctx = Ctx {
            scenario: self.inp.scenario,
            pilot: self.inp.pilot,
            catalog: &self.catalog,
            capacity: &capacity,
            pilot_rate: self.pilot_rate,
            weights: self.weights,
            minute_factors: &self.minute_factors,
            uncertainty,
        };
        let coords = (volume, context, burst);
        let mut best = eval_point(&ctx, si, &self.setups[si], coords, seed);
        for &ai in &self.setups[si].alternatives {
            let p = eval_point(&ctx, ai, &self.setups[ai], coords, seed);
            let sims = best.simulations + p.simulations;
            let cheaper = match (p.cheapest_usd_per_month, best.cheapest_usd_per_month) {
                (Some(a), Some(b)) => a < b,
                (Some(_), None) => true,
                _ => false,
            };
            if cheaper {
                best = p;
            }
            best.simulations = sims;
        }
        best
    }

    /// Every GPU type's point for a deployment at a volume and context (pilot burstiness), sized by simulation
    /// wherever it lies; seeded by its coordinates, so merged shards and one run agree. The analyses read only the
    /// cheapest lawful serving, so GPU types that no placement could serve lawfully ([`crate::point::servable`])
    /// are not sized, unless no type could (then every type's point says why).
    pub fn points_at(&self, deployment: &str, volume: f64, context: f64) -> Vec<Point> {
        let key = (deployment.to_string(), volume.to_bits(), context.to_bits());
        // One cell per coordinates: the analyses' chains run side by side and may ask for the same point at once;
        // the first sizes it and the others wait for it rather than sizing it again.
        let cell = match self.between.lock() {
            Ok(mut c) => std::sync::Arc::clone(c.entry(key).or_default()),
            Err(_) => std::sync::Arc::default(),
        };
        cell.get_or_init(|| {
            let s = self.inp.scenario;
            let mut sis: Vec<usize> = (0..self.setups.len())
                .filter(|&si| {
                    self.setups[si].primary
                        && s.deployments[self.setups[si].deployment].name == deployment
                })
                .collect();
            let lawful: Vec<usize> = sis
                .iter()
                .copied()
                .filter(|&si| crate::point::servable(&self.catalog, s, &self.setups[si].gpu))
                .collect();
            if !lawful.is_empty() {
                sis = lawful;
            }
            par_map(&sis, self.threads, |_, &si| {
                self.point(si, (volume, context, 1.0), self.seed(si, volume, 1.0), None)
            })
        })
        .clone()
    }

    /// A point's seed, from its coordinates alone, its context aside (see [`point_seed`]).
    pub(crate) fn seed(&self, si: usize, volume: f64, burst: f64) -> u64 {
        let setup = &self.setups[si];
        let d = &self.inp.scenario.deployments[setup.deployment];
        point_seed(self.inp.scenario.seed, &d.name, &setup.gpu, volume, burst)
    }
}

/// Points sized between sweep points: (deployment, volume bits, context bits) → every GPU type's point, set once
/// by whichever analysis asks first.
type BetweenCache =
    std::collections::BTreeMap<(String, u64, u64), std::sync::Arc<std::sync::OnceLock<Vec<Point>>>>;

/// A capacity's key: setup, context (as bits) and TP.
type CapacityKey = (usize, u64, Layout);

struct PointTask {
    setup: usize,
    volume: f64,
    context: f64,
    burst: f64,
    index: usize,
}

/// Plans the scenario. With `shard = Some((i, n))` only every n-th point from i is evaluated and the analysis
/// is left to [`crate::merge`].
pub fn plan(
    inp: &Inputs,
    threads: usize,
    shard: Option<(u32, u32)>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<PlanResult, PlanError> {
    plan_uncertain(inp, threads, shard, progress, None)
}

/// [`plan`], and with `uncertainty` a cost band around every sweep point from Monte Carlo draws that re-price the
/// point's sized fleets (no further simulation).
pub fn plan_uncertain(
    inp: &Inputs,
    threads: usize,
    shard: Option<(u32, u32)>,
    progress: &(dyn Fn(usize, usize) + Sync),
    uncertainty: Option<&Uncertainty>,
) -> Result<PlanResult, PlanError> {
    let s = inp.scenario;
    if let Some((i, n)) = shard {
        if n == 0 || i >= n {
            return Err(PlanError::Invalid(format!(
                "shard {i}/{n}: expected I/N with 0 ≤ I < N"
            )));
        }
    }
    let sweep = Sweep::new(inp, threads)?;
    let mut tasks = Vec::new();
    for si in (0..sweep.setups.len()).filter(|&si| sweep.setups[si].primary) {
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
    let mut keys: Vec<(usize, f64)> = Vec::new();
    for t in &tasks {
        if !keys.contains(&(t.setup, t.context)) {
            keys.push((t.setup, t.context));
        }
    }
    // Progress counts the points planned; measuring capacities first shows as zero of them done.
    let total = tasks.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let tick = || {
        progress(
            done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
            total,
        )
    };
    progress(0, total);
    // Phase 1: one replica's capacity for every setup, context and layout, shared by every volume and burst.
    sweep.measure(&keys, threads, &|| {});
    // Phase 2: every point, sized by simulation and billed.
    let points: Vec<Point> = par_map(&tasks, threads, |_, t| {
        let p = sweep.point(
            t.setup,
            (t.volume, t.context, t.burst),
            sweep.seed(t.setup, t.volume, t.burst),
            uncertainty,
        );
        tick();
        p
    });
    // Phase 3: the mixed-GPU points, from every type's point (a shard has only some of them: `merge` adds them).
    let mut points = points;
    if shard.is_none() {
        crate::mix::add_points(&sweep, &mut points);
    }
    let mut result = assemble(inp, &sweep, points, shard)?;
    if shard.is_none() {
        analysis::analyze(&mut result, &sweep);
    }
    Ok(result)
}

/// The result around the points: the pilot, the calibration and the prices the bills used.
fn assemble(
    inp: &Inputs,
    sweep: &Sweep,
    points: Vec<Point>,
    shard: Option<(u32, u32)>,
) -> Result<PlanResult, PlanError> {
    let s = inp.scenario;
    let pilot_stats = trace_stats(inp.pilot, &s.format, 0);
    let prices_used = prices_used(&points, &sweep.catalog)?;
    Ok(PlanResult {
        schema_version: SCHEMA_VERSION,
        infercost_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: s.clone(),
        pilot: Pilot {
            trace: s.trace.clone(),
            requests: pilot_stats.requests,
            duration_s: pilot_stats.duration_s.unwrap_or(0.0),
            mean_rate_rps: sweep.pilot_rate,
            input_tokens_mean: pilot_stats.input_tokens.mean,
            output_tokens_mean: pilot_stats.output_tokens.mean,
            peak_to_mean_60s: pilot_stats.peak_to_mean.as_ref().map_or(0.0, |p| p.s60),
            diurnal: sweep.weights.to_vec(),
        },
        calibration: calibration_notes(),
        shard: shard.map(|(i, n)| [i, n]),
        catalog: shard.map(|_| inp.catalog.clone()),
        scenario_dir: None,
        points,
        attribution: Vec::new(),
        inflections: Vec::new(),
        breakevens: Vec::new(),
        decisions: Vec::new(),
        months: Vec::new(),
        placement: Vec::new(),
        prices_used,
        apis_used: Vec::new(),
    })
}

/// The price plans the bills of `points` used, by name, with their sources and dates; `catalog` is the one the
/// bills were made with (the inputs' plus the scenario's prices), and names each plan's commitment.
pub(crate) fn prices_used(points: &[Point], catalog: &Catalog) -> Result<Vec<PriceRef>, PlanError> {
    let mut used: Vec<PriceRef> = Vec::new();
    // A mixed point's pools have no whole-traffic bill: their own bills name their plans.
    let bills = points.iter().flat_map(|p| {
        p.bills
            .iter()
            .map(|b| &b.bill)
            .chain(p.serving.iter().filter_map(|s| s.bill.as_ref()))
    });
    for b in bills {
        if used.iter().any(|x| x.plan == b.plan) {
            continue;
        }
        used.push(PriceRef {
            plan: b.plan.clone(),
            usd_per_gpu_hour: b.usd_per_gpu_hour,
            commitment: catalog.plan(&b.plan)?.commitment,
            source: b.source.clone(),
            as_of: b.as_of.clone(),
        });
    }
    used.sort_by(|a, b| a.plan.cmp(&b.plan));
    Ok(used)
}

/// The calibration error of the shipped kernel fits (vLLM's bf16 GEMMs and CUDA-graph all-reduce per measured
/// GPU; see docs/CALIBRATION.md).
pub fn calibration_notes() -> Vec<CalibrationNote> {
    let fits = infercost_perf::engine::KernelFits::embedded();
    let catalog_name = |measured: &str| -> String {
        match measured {
            "h100" => "h100-sxm".into(),
            "a100" => "a100-80gb".into(),
            other => other.into(),
        }
    };
    fits.gemm
        .iter()
        .filter(|g| g.engine == "vllm" && g.dtype == "bf16")
        .filter_map(|g| {
            let r = fits.all_reduce("vllm", &g.gpu, "graph")?;
            Some(CalibrationNote {
                gpu: catalog_name(&g.gpu),
                gemm_median_error: g.median,
                gemm_p90_error: g.p90,
                all_reduce_median_error: r.median,
                reference: format!(
                    "docs/CALIBRATION.md (operator times measured inside vLLM on {})",
                    g.gpu
                ),
            })
        })
        .collect()
}

/// A deployment on one GPU type in one weight dtype under the scenario's engine: the smallest layout that fits,
/// or why none does.
fn setup(
    s: &Scenario,
    inp: &Inputs,
    di: usize,
    g: &str,
    weights: infercost_perf::Dtype,
) -> Result<Setup, PlanError> {
    let d = &s.deployments[di];
    let e = &s.engine;
    let gpu = GpuCatalog::embedded()
        .get(g)
        .map_err(|e| PlanError::Invalid(e.to_string()))?
        .clone();
    let model = inp.models[di].clone();
    let limits = FitLimits {
        gpu_memory_utilization: e.gpu_memory_utilization,
        max_batched_tokens: e.max_batched_tokens as u64,
        max_model_len: e.max_model_len,
    };
    let req = d.layout_request();
    let choice = choose_layout(&req, &model, &gpu, weights, d.kv_dtype, &limits);
    let (layout, fit) = (choice.layout, choice.smallest_fitting);
    let built = Deployment::for_engine(model, gpu, layout, weights, d.kv_dtype, e.profile())
        .and_then(|dep| {
            dep.check_fits(
                crate::point::memory_fraction(s, &dep),
                e.max_batched_tokens as u64,
                e.max_model_len,
                fit,
            )
            .map(|_| dep)
        });
    let (dep, failure) = match built {
        Ok(dep) => (Some(dep), None),
        // A layout the scenario fixes and the model cannot take is bad input, not a GPU that does not fit.
        Err(PerfError::Deployment(why)) if !d.layout_free() => {
            return Err(PlanError::Invalid(format!(
                "deployment {:?} ({}) on {g}: {}",
                d.name,
                layout_keys(d),
                scenario_terms(&why)
            )))
        }
        Err(err) => (None, Some(err.to_string())),
    };
    Ok(Setup {
        deployment: di,
        gpu: g.to_string(),
        weights,
        alternatives: Vec::new(),
        primary: true,
        dep,
        layout,
        failure,
    })
}

/// The layout keys a deployment sets, as written in the scenario: `tp = 2, ep = 2`.
fn layout_keys(d: &crate::scenario::Deployment) -> String {
    let mut keys = Vec::new();
    for (key, v) in [("tp", d.tp), ("pp", d.pp), ("ep", d.ep)] {
        if let Some(v) = v {
            keys.push(format!("{key} = {v}"));
        }
    }
    if let Some(a) = d.attention_dp {
        keys.push(format!("attention_dp = {a}"));
    }
    keys.join(", ")
}

/// A layout error in the scenario's terms: the performance model names the command line's flags.
fn scenario_terms(why: &str) -> String {
    why.replace("--attention-dp", "attention_dp = true")
        .replace("--tp", "tp")
        .replace("--pp", "pp")
        .replace("--ep", "ep")
        .replace("--weights", "weights =")
}

/// One replica's capacity for a setup at a context and layout (0 when the layout does not exist or fit).
fn replica_capacity(
    s: &Scenario,
    setup: &Setup,
    pilot: &Workload,
    context: f64,
    layout: Layout,
) -> f64 {
    let Some(dep) = setup.at_layout(layout) else {
        return 0.0;
    };
    infercost_sim::capacity::replica_capacity(
        &dep,
        &infercost_sim::capacity::length_mix(pilot, context),
        engine_for(s, &dep),
        s.slo,
    )
}
