//! Layout choice: the layouts (TP, pipeline stages, expert parallelism, data-parallel attention) a deployment may
//! run at on one GPU type, ranked by the GPUs their measured capacity implies, so the capacity phase sizes the
//! most promising first.

use super::Ctx;
use crate::scenario::{self, Scenario};
use infercost_perf::layout::{fits, FitLimits};
use infercost_perf::{Deployment, Layout};

/// A layout to size, with the GPUs its capacity implies.
pub(super) struct Ranked {
    /// GPUs the load needs at one replica's measured capacity; `None` when the layout serves nothing within the
    /// SLO (it is tried last).
    pub(super) est_gpus: Option<u64>,
    pub(super) dep: Deployment,
    /// One replica's capacity, requests/s.
    pub(super) rps: f64,
}

/// The layouts the planner tries for a deployment whose smallest fitting layout is `base`: that one, wider TP
/// within the node, and for a MoE model each multi-GPU layout with its experts spread over the stage (EP = TP),
/// with and without data-parallel attention, and, when the model spans nodes, one stage of data-parallel
/// attention over all of them. Only those that fit and agree with the parts of the layout the scenario sets
/// (`attention_dp = false` alone still searches TP and EP).
pub(crate) fn layouts(s: &Scenario, d: &scenario::Deployment, base: &Deployment) -> Vec<Layout> {
    let mut out = vec![base.layout];
    let node = base.gpu.gpus_per_node;
    let mut tp = base.layout.tp;
    while base.layout.pp == 1 && tp * 2 <= node {
        tp *= 2;
        out.push(Layout::tp(tp));
    }
    if base.model.moe.is_some() {
        let plain = out.clone();
        for l in plain.iter().filter(|l| l.tp > 1) {
            for attention_dp in [false, true] {
                out.push(Layout {
                    ep: l.tp,
                    attention_dp,
                    ..*l
                });
            }
        }
        let gpus = base.layout.gpus();
        if gpus > node {
            out.push(Layout {
                tp: gpus,
                pp: 1,
                ep: gpus,
                attention_dp: true,
            });
        }
    }
    let e = &s.engine;
    let limits = FitLimits {
        gpu_memory_utilization: e.gpu_memory_utilization,
        max_batched_tokens: e.max_batched_tokens as u64,
        max_model_len: e.max_model_len,
    };
    let asked = |l: &Layout| {
        d.tp.is_none_or(|t| t == l.tp)
            && d.pp.is_none_or(|p| p == l.pp)
            && d.ep.is_none_or(|e| e == l.ep)
            && d.attention_dp.is_none_or(|a| a == l.attention_dp)
    };
    let mut kept = vec![base.layout];
    for l in out.into_iter().skip(1) {
        if !kept.contains(&l)
            && asked(&l)
            && fits(&base.model, &base.gpu, l, base.weights, base.kv, &limits)
        {
            kept.push(l);
        }
    }
    kept
}

/// The deployments of [`layouts`].
pub(super) fn candidates(ctx: &Ctx, dep: &Deployment, d: &scenario::Deployment) -> Vec<Deployment> {
    layouts(ctx.scenario, d, dep)
        .into_iter()
        .filter_map(|l| {
            if l == dep.layout {
                return Some(dep.clone());
            }
            dep.at_layout(l).ok()
        })
        .collect()
}

/// The candidates with their capacity at `context` and the GPUs it implies at `peak_rps`, fewest GPUs first; of
/// layouts that imply as many, the smaller replica, then the one serving more per replica (the headroom that
/// absorbs bursts), then the smaller TP.
pub(super) fn ranked(
    ctx: &Ctx,
    setup_index: usize,
    context: f64,
    peak_rps: f64,
    candidates: Vec<Deployment>,
) -> Vec<Ranked> {
    let mut ranked: Vec<Ranked> = candidates
        .into_iter()
        .map(|dep| {
            let rps = (ctx.capacity)(setup_index, context, dep.layout);
            let est_gpus =
                (rps > 0.0).then(|| ((peak_rps / rps).ceil().max(1.0) as u64) * dep.gpus() as u64);
            Ranked { est_gpus, dep, rps }
        })
        .collect();
    ranked.sort_by(|a, b| {
        let key = |l: &Ranked| (l.est_gpus.is_none(), l.est_gpus, l.dep.gpus());
        key(a)
            .cmp(&key(b))
            .then(b.rps.total_cmp(&a.rps))
            .then(a.dep.layout.cmp(&b.dep.layout))
    });
    ranked
}
