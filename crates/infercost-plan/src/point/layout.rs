//! Layout choice: the tensor-parallel widths a deployment may run at on one GPU type, ranked by the GPUs their
//! measured capacity implies, so the capacity phase sizes the most promising first.

use super::Ctx;
use crate::scenario;
use infercost_perf::Deployment;

/// A layout to size, with the GPUs its capacity implies.
pub(super) struct Layout {
    /// GPUs the load needs at one replica's measured capacity; `None` when the layout serves nothing within the
    /// SLO (it is tried last).
    pub(super) est_gpus: Option<u64>,
    pub(super) dep: Deployment,
    /// One replica's capacity, requests/s.
    pub(super) rps: f64,
}

/// Candidate layouts: the smallest TP that fits, and wider ones within the node when the deployment leaves TP
/// to the planner.
pub(super) fn candidates(dep: &Deployment, d: &scenario::Deployment) -> Vec<Deployment> {
    let mut candidates = vec![dep.clone()];
    while d.tp.is_none() {
        let last = &candidates[candidates.len() - 1];
        if last.tp * 2 > last.gpu.gpus_per_node {
            break;
        }
        match Deployment::for_engine(
            last.model.clone(),
            last.gpu.clone(),
            last.tp * 2,
            dep.weights,
            d.kv_dtype,
            &dep.engine,
        ) {
            Ok(w) => candidates.push(w),
            Err(_) => break,
        }
    }
    candidates
}

/// The candidates with their capacity at `context` and the GPUs it implies at `peak_rps`, fewest GPUs first
/// (the smaller TP wins a tie).
pub(super) fn ranked(
    ctx: &Ctx,
    setup_index: usize,
    context: f64,
    peak_rps: f64,
    candidates: Vec<Deployment>,
) -> Vec<Layout> {
    let mut ranked: Vec<Layout> = candidates
        .into_iter()
        .map(|dep| {
            let rps = (ctx.capacity)(setup_index, context, dep.tp);
            let est_gpus =
                (rps > 0.0).then(|| ((peak_rps / rps).ceil().max(1.0) as u64) * dep.tp as u64);
            Layout { est_gpus, dep, rps }
        })
        .collect();
    ranked.sort_by_key(|l| (l.est_gpus.is_none(), l.est_gpus, l.dep.tp));
    ranked
}
