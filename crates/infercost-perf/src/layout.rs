//! Choosing a deployment's layout: the tensor-parallel degree and pipeline stages a model runs at on one GPU
//! type, the fewest GPUs that fit unless a layout is asked for. The planner and the CLI choose through here, so
//! they agree.

use crate::gpu::Gpu;
use crate::iteration::{Deployment, Dtype};
use crate::model::ModelSpec;
use crate::parallel::Layout;

/// What a layout must leave room for: the engine's memory share, token budget and longest sequence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitLimits {
    /// Fraction of each GPU's memory the engine may use.
    pub gpu_memory_utilization: f64,
    /// The engine's token budget per iteration (sizes the activation reserve).
    pub max_batched_tokens: u64,
    /// One sequence of this many tokens must fit in the KV cache.
    pub max_model_len: u32,
}

/// The most nodes a replica may span when a layout is searched.
pub const MAX_NODES: u32 = 8;

/// What the user asked of a layout; what is left out the search chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LayoutRequest {
    /// GPUs per stage.
    pub tp: Option<u32>,
    /// Pipeline stages.
    pub pp: Option<u32>,
    /// Expert parallelism (default: the stage's GPUs under data-parallel attention, else 1).
    pub ep: Option<u32>,
    /// Data-parallel attention.
    pub attention_dp: bool,
}

impl LayoutRequest {
    /// Only a TP, as before layouts had more parts.
    pub fn tp(tp: Option<u32>) -> LayoutRequest {
        LayoutRequest {
            tp,
            ..LayoutRequest::default()
        }
    }

    /// The request's EP and attention-DP on a TP × PP base.
    pub fn complete(&self, tp: u32, pp: u32) -> Layout {
        Layout {
            tp,
            pp,
            ep: self.ep.unwrap_or(if self.attention_dp { tp } else { 1 }),
            attention_dp: self.attention_dp,
        }
    }

    /// Candidate layouts, fewest GPUs first: TP 1, 2, 4 … up to a node in one stage (from 2 under data-parallel
    /// attention, which needs a stage of several GPUs), then whole nodes (more pipeline stages of one node each;
    /// under data-parallel attention one wider stage) up to [`MAX_NODES`].
    pub fn candidates(&self, gpu: &Gpu) -> Vec<Layout> {
        let node = gpu.gpus_per_node;
        let first = if self.attention_dp { 2 } else { 1 };
        match (self.tp, self.pp) {
            (Some(tp), Some(pp)) => vec![self.complete(tp, pp)],
            (Some(tp), None) => vec![self.complete(tp, 1)],
            (None, Some(pp)) => std::iter::successors(Some(first), |t| Some(t * 2))
                .take_while(|t| *t <= node)
                .map(|t| self.complete(t, pp))
                .collect(),
            (None, None) => {
                let mut out: Vec<Layout> = std::iter::successors(Some(first), |t| Some(t * 2))
                    .take_while(|t| *t <= node)
                    .map(|t| self.complete(t, 1))
                    .collect();
                for k in 2..=MAX_NODES {
                    out.push(if self.attention_dp {
                        if !k.is_power_of_two() {
                            continue;
                        }
                        self.complete(node * k, 1)
                    } else {
                        self.complete(node, k)
                    });
                }
                out
            }
        }
    }
}

/// A chosen layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayoutChoice {
    /// The layout to deploy: the one asked for, else the smallest that fits, else a whole node (which then fails
    /// the fit check with a hint).
    pub layout: Layout,
    /// The layout with the fewest GPUs that fits, if any: the first candidate of [`LayoutRequest::candidates`]
    /// that fits, with the EP and data-parallel attention asked for; where none does, without the EP asked for,
    /// then without either (what to suggest instead).
    pub smallest_fitting: Option<Layout>,
}

/// Whether `layout` runs and fits one `max_model_len` sequence.
pub fn fits(
    model: &ModelSpec,
    gpu: &Gpu,
    layout: Layout,
    weights: Dtype,
    kv: Dtype,
    limits: &FitLimits,
) -> bool {
    Deployment::with_layout(model.clone(), gpu.clone(), layout, weights, kv).is_ok_and(|d| {
        d.check_fits(
            limits.gpu_memory_utilization,
            limits.max_batched_tokens,
            limits.max_model_len,
            None,
        )
        .is_ok()
    })
}

/// The layout with the fewest GPUs that fits among the request's candidates (TP × PP unless asked otherwise).
pub fn smallest_fitting_layout(
    req: &LayoutRequest,
    model: &ModelSpec,
    gpu: &Gpu,
    weights: Dtype,
    kv: Dtype,
    limits: &FitLimits,
) -> Option<Layout> {
    let free = LayoutRequest {
        tp: None,
        pp: None,
        ..*req
    };
    free.candidates(gpu)
        .into_iter()
        .find(|l| fits(model, gpu, *l, weights, kv, limits))
}

/// The layout to deploy `model` at on `gpu`: the one requested when TP and PP are given; otherwise the
/// smallest candidate that fits; otherwise the requested TP or a whole node.
pub fn choose_layout(
    req: &LayoutRequest,
    model: &ModelSpec,
    gpu: &Gpu,
    weights: Dtype,
    kv: Dtype,
    limits: &FitLimits,
) -> LayoutChoice {
    let constrained = smallest_fitting_layout(req, model, gpu, weights, kv, limits);
    // Where nothing fits with the EP or data-parallel attention asked for, the hint names what does.
    let smallest_fitting = constrained
        .or_else(|| {
            let free_ep = LayoutRequest { ep: None, ..*req };
            smallest_fitting_layout(&free_ep, model, gpu, weights, kv, limits)
        })
        .or_else(|| {
            smallest_fitting_layout(&LayoutRequest::default(), model, gpu, weights, kv, limits)
        });
    let asked = match req.pp {
        None => constrained,
        Some(_) => req
            .candidates(gpu)
            .into_iter()
            .find(|l| fits(model, gpu, *l, weights, kv, limits)),
    };
    let fallback = req.complete(req.tp.unwrap_or(gpu.gpus_per_node), req.pp.unwrap_or(1));
    let layout = match (req.tp, req.pp) {
        (Some(_), Some(_)) | (Some(_), None) => fallback,
        _ => asked.unwrap_or(fallback),
    };
    LayoutChoice {
        layout,
        smallest_fitting,
    }
}

/// The smallest power-of-two TP within one node that divides the heads and fits a `max_model_len` sequence.
pub fn smallest_fitting_tp(
    model: &ModelSpec,
    gpu: &Gpu,
    weights: Dtype,
    kv: Dtype,
    limits: &FitLimits,
) -> Option<u32> {
    let mut tp = 1;
    while tp <= gpu.gpus_per_node {
        if fits(model, gpu, Layout::tp(tp), weights, kv, limits) {
            return Some(tp);
        }
        tp *= 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::GpuCatalog;
    use crate::model::ModelCatalog;

    const LIMITS: FitLimits = FitLimits {
        gpu_memory_utilization: 0.9,
        max_batched_tokens: 8192,
        max_model_len: 8192,
    };

    #[test]
    fn the_smallest_fitting_tp_is_chosen_unless_one_is_asked_for() {
        let m = ModelCatalog::get("llama-3.1-70b").unwrap();
        let g = GpuCatalog::embedded().get("h100-sxm").unwrap().clone();
        let (w, kv) = (Dtype::Bf16, Dtype::Bf16);
        assert_eq!(smallest_fitting_tp(&m, &g, w, kv, &LIMITS), Some(2));
        let none = LayoutRequest::default();
        assert_eq!(
            choose_layout(&none, &m, &g, w, kv, &LIMITS),
            LayoutChoice {
                layout: Layout::tp(2),
                smallest_fitting: Some(Layout::tp(2))
            }
        );
        let eight = LayoutRequest::tp(Some(8));
        assert_eq!(
            choose_layout(&eight, &m, &g, w, kv, &LIMITS).layout,
            Layout::tp(8)
        );
        // Nothing fits: a whole node, to be refused with a hint.
        let huge = FitLimits {
            max_model_len: u32::MAX,
            ..LIMITS
        };
        assert_eq!(
            choose_layout(&none, &m, &g, w, kv, &huge),
            LayoutChoice {
                layout: Layout::tp(8),
                smallest_fitting: None
            }
        );
    }
}
