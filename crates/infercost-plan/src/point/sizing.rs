//! The capacity phase: the smallest fleet that meets the SLO for a share of the traffic, searched by simulation
//! over the ranked layouts, or why no fleet of any layout can.

use super::layout::{self, Ranked};
use super::{engine_for, Ctx, Setup};
use crate::capacity::{self, SearchConfig};
use crate::scenario::Scenario;
use infercost_perf::Deployment;

/// A fleet sized by simulation for a share of the traffic.
#[derive(Clone)]
pub(crate) struct Sizing {
    pub(crate) dep: Deployment,
    pub(crate) cap: capacity::Capacity,
    /// One replica's capacity at the chosen TP.
    pub(crate) rps: f64,
}

/// A search that found no fleet.
pub(crate) struct Unsized {
    /// The layout it tried last.
    pub(crate) layout: infercost_perf::Layout,
    /// Its simulation, with the reason.
    pub(crate) cap: capacity::Capacity,
    /// Simulations run.
    pub(crate) sims: u32,
}

/// Sizes the smallest fleet for `volume` × the pilot at `context` and `burst` under a TTFT target of `ttft_ms`:
/// the smallest TP that fits, then wider TPs in the node while they need fewer GPUs in all.
pub(crate) fn size(
    ctx: &Ctx,
    setup_index: usize,
    setup: &Setup,
    (volume, context, burst): (f64, f64, f64),
    ttft_ms: f64,
    seed: u64,
) -> Result<Sizing, Box<Unsized>> {
    let s = ctx.scenario;
    let d = &s.deployments[setup.deployment];
    let Some(dep) = &setup.dep else {
        return Err(Box::new(Unsized {
            layout: setup.layout,
            cap: failure(setup.failure.clone().unwrap_or_default()),
            sims: 0,
        }));
    };
    let mut cfg = SearchConfig {
        engine: engine_for(s, dep),
        slo: s.slo,
        seed,
        group_replicas: s.group_replicas,
    };
    cfg.slo.ttft_ms = ttft_ms;
    let peak_rps = ctx.pilot_rate * volume;
    // Each layout's measured capacity bounds the GPUs it needs; simulate the most promising first and stop when
    // no other can need fewer GPUs than the best found (the smaller TP wins a tie).
    let ranked = layout::ranked(
        ctx,
        setup_index,
        context,
        peak_rps,
        layout::candidates(ctx, dep, d),
    );
    search(ctx, ranked, cfg, (volume, context, burst), setup.layout)
}

/// Sizes the ranked layouts in turn, keeping the one that needs the fewest GPUs.
fn search(
    ctx: &Ctx,
    ranked: Vec<Ranked>,
    mut cfg: SearchConfig,
    (volume, context, burst): (f64, f64, f64),
    first: infercost_perf::Layout,
) -> Result<Sizing, Box<Unsized>> {
    let peak_rps = ctx.pilot_rate * volume;
    // Each hour's load over the day, for breaking ties between layouts on as many GPUs at the peak.
    let day: Vec<f64> = ctx.weights.iter().map(|w| peak_rps * w).collect();
    let mut sims = 0;
    let mut best: Option<Sizing> = None;
    let mut failed: Option<(infercost_perf::Layout, capacity::Capacity)> = None;
    for Ranked { est_gpus, dep, rps } in ranked {
        // A layout's estimate is its floor: burstier traffic or a tighter target needs more than the Poisson
        // capacity says, by how much differs between layouts (a layout with more headroom per step absorbs a
        // burst better), so every layout whose floor is below the best found is sized, and one whose floor ties
        // it when it would win the tie.
        if let Some(b) = &best {
            let bg = u64::from(b.cap.replicas * b.dep.gpus());
            match est_gpus {
                None => break,
                Some(est) if est > bg => break,
                Some(est) if est == bg && !wins_tie((&dep, rps), b, &day) => continue,
                Some(_) => {}
            }
        }
        cfg.engine = engine_for(ctx.scenario, &dep);
        let coords = (volume, context, burst);
        let cap = if rps > 0.0 {
            let estimate = ((peak_rps / rps).ceil() as u32).max(1);
            match &best {
                // Only a fleet that beats the best found matters: fewer GPUs, or as many in smaller replicas.
                Some(b) => {
                    let (bg, g) = (b.cap.replicas * b.dep.gpus(), dep.gpus());
                    let most = match wins_tie((&dep, rps), b, &day) {
                        true => bg / g,
                        false => (bg - 1) / g,
                    };
                    match capacity::min_replicas_within(
                        &dep, ctx.pilot, coords, &cfg, estimate, most,
                    ) {
                        Ok(cap) => cap,
                        Err(n) => {
                            sims += n;
                            continue;
                        }
                    }
                }
                None => {
                    capacity::min_replicas(&dep, ctx.pilot, volume, context, burst, &cfg, estimate)
                }
            }
        } else {
            let lone = capacity::lone_requests(&dep, ctx.pilot, context, &cfg);
            sims += 1;
            failure(unmeetable(ctx.scenario, &dep, &lone, cfg.slo.ttft_ms))
        };
        sims += cap.sims;
        if cap.failure.is_some() {
            // The widest layout's reason is the one that says most: not even it meets the SLO.
            failed = Some((dep.layout, cap));
            continue;
        }
        let gpus = cap.replicas * dep.gpus();
        let better = best.as_ref().is_none_or(|b| {
            let bg = b.cap.replicas * b.dep.gpus();
            gpus < bg || (gpus == bg && wins_tie((&dep, rps), b, &day))
        });
        if better {
            best = Some(Sizing { dep, cap, rps });
        }
    }
    match best {
        Some(mut b) => {
            b.cap.sims = sims;
            Ok(b)
        }
        None => {
            let (layout, cap) = failed.unwrap_or((first, failure(String::new())));
            Err(Box::new(Unsized { layout, cap, sims }))
        }
    }
}

/// Whether a layout (its deployment and one replica's capacity) beats the best found on as many GPUs at the peak:
/// it needs fewer GPU-hours over the day when the fleet follows the load (each hour's replicas at one replica's
/// measured capacity: the quieter hours are where replicas of different sizes and speeds differ, and where
/// autoscaled and committed bills part), then it serves more per GPU (headroom for bursts), then it is the
/// smaller replica.
fn wins_tie((dep, rps): (&Deployment, f64), best: &Sizing, day: &[f64]) -> bool {
    if rps <= 0.0 || best.rps <= 0.0 {
        return false;
    }
    let gpu_hours = |gpus: u32, rps: f64| -> f64 {
        day.iter()
            .map(|&load| (load / rps).ceil().max(1.0) * f64::from(gpus))
            .sum()
    };
    let (mine, theirs) = (
        gpu_hours(dep.gpus(), rps),
        gpu_hours(best.dep.gpus(), best.rps),
    );
    if mine != theirs {
        return mine < theirs;
    }
    let (per_gpu, best_per_gpu) = (rps / dep.gpus() as f64, best.rps / best.dep.gpus() as f64);
    let margin = 1e-9 * best_per_gpu.abs();
    per_gpu > best_per_gpu + margin
        || (per_gpu >= best_per_gpu - margin
            && (dep.gpus(), dep.layout) < (best.dep.gpus(), best.dep.layout))
}

/// A capacity that found no fleet, for the reason given.
pub(super) fn failure(why: String) -> capacity::Capacity {
    capacity::Capacity {
        replicas: 0,
        groups: 1,
        sim: capacity::empty_result(),
        failure: Some(why),
        sims: 0,
    }
}

/// Why no fleet of this layout meets the SLO at any size, in the terms that matter: a lone request already
/// misses it.
fn unmeetable(
    s: &Scenario,
    dep: &Deployment,
    lone: &infercost_sim::SimResult,
    ttft: f64,
) -> String {
    let p = s.slo.percentile;
    if lone.requests > 0 && lone.rejected as f64 > lone.requests as f64 * (1.0 - p / 100.0) {
        return format!(
            "{:.1}% of the prompts reach [engine] max_model_len {} at this context and are rejected, more than the SLO's p{p} allows; raise max_model_len",
            lone.rejected as f64 / lone.requests as f64 * 100.0,
            s.engine.max_model_len
        );
    }
    if lone.completed == 0 {
        return format!(
            "no request of this mix can be served on {}× {}: {} of {} were rejected (prompt at or past max_model_len {}) or too large for one replica's KV cache",
            dep.tp, dep.gpu.name, lone.rejected + lone.unservable, lone.requests, s.engine.max_model_len
        );
    }
    let mut parts = Vec::new();
    if lone.ttft_ms.p99 > ttft {
        parts.push(format!(
            "a lone request's p{p} TTFT is {} (the longest prompts' prefill), above the {} target",
            infercost_core::fmt::ms(lone.ttft_ms.p99),
            infercost_core::fmt::ms(ttft)
        ));
    }
    if lone.tpot_ms.p99 > s.slo.tpot_ms {
        parts.push(format!(
            "a lone request's p{p} TPOT is {}, above the {} target",
            infercost_core::fmt::ms(lone.tpot_ms.p99),
            infercost_core::fmt::ms(s.slo.tpot_ms)
        ));
    }
    if parts.is_empty() {
        parts.push(format!(
            "the SLO (p{p} TTFT {}, TPOT {}) is missed even by requests served one at a time",
            infercost_core::fmt::ms(ttft),
            infercost_core::fmt::ms(s.slo.tpot_ms)
        ));
    }
    format!(
        "{}× {} cannot meet the SLO at any fleet size: {}",
        dep.tp,
        dep.gpu.name,
        parts.join("; ")
    )
}
