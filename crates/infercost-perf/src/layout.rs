//! Choosing a deployment's layout: the tensor-parallel degree a model runs at on one GPU type, the smallest
//! that fits unless one is asked for. The planner and the CLI choose through here, so they agree.

use crate::gpu::Gpu;
use crate::iteration::{Deployment, Dtype};
use crate::model::ModelSpec;

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

/// A chosen layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TpChoice {
    /// The tensor-parallel degree to deploy: the one asked for, else the smallest that fits, else a whole node
    /// (which then fails the fit check with a hint).
    pub tp: u32,
    /// The smallest power-of-two TP within one node that fits, if any.
    pub smallest_fitting: Option<u32>,
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
        if let Ok(d) = Deployment::new(model.clone(), gpu.clone(), tp, weights, kv) {
            if d.check_fits(
                limits.gpu_memory_utilization,
                limits.max_batched_tokens,
                limits.max_model_len,
                None,
            )
            .is_ok()
            {
                return Some(tp);
            }
        }
        tp *= 2;
    }
    None
}

/// The TP to deploy `model` at on `gpu`: `requested` when given, otherwise the smallest that fits, otherwise
/// a whole node.
pub fn choose_tp(
    requested: Option<u32>,
    model: &ModelSpec,
    gpu: &Gpu,
    weights: Dtype,
    kv: Dtype,
    limits: &FitLimits,
) -> TpChoice {
    let smallest_fitting = smallest_fitting_tp(model, gpu, weights, kv, limits);
    TpChoice {
        tp: requested.or(smallest_fitting).unwrap_or(gpu.gpus_per_node),
        smallest_fitting,
    }
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
        assert_eq!(
            choose_tp(None, &m, &g, w, kv, &LIMITS),
            TpChoice {
                tp: 2,
                smallest_fitting: Some(2)
            }
        );
        assert_eq!(choose_tp(Some(8), &m, &g, w, kv, &LIMITS).tp, 8);
        // Nothing fits: a whole node, to be refused with a hint.
        let huge = FitLimits {
            max_model_len: u32::MAX,
            ..LIMITS
        };
        assert_eq!(
            choose_tp(None, &m, &g, w, kv, &huge),
            TpChoice {
                tp: 8,
                smallest_fitting: None
            }
        );
    }
}
