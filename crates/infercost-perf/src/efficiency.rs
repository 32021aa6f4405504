//! The achieved efficiencies a deployment's kernels reach: an engine's measured kernel fits on a GPU where it was
//! measured, the closest generation's operator fit (Vidur's) for the rest, and the engine's host costs.

use crate::calibrate::{Efficiency, EFFICIENCY_A100, EFFICIENCY_H100};
use crate::engine::{EngineProfile, KernelFits, USABLE_P90};
use crate::gpu::Gpu;

/// The achieved efficiencies an engine reaches on a GPU when its GEMMs run in `dtype` (`bf16`, `fp8`,
/// `nvfp4`): the engine's kernel fit where that GPU was measured, the operator fit of the closest measured
/// generation (Vidur's small operators) for the rest, and the engine's per-step overhead.
pub fn efficiency(engine: &EngineProfile, gpu: &Gpu, dtype: &str, fits: &KernelFits) -> Efficiency {
    let measured = gpu.calibrated_on.as_str();
    let mut e = if matches!(measured, "a100" | "l40s") {
        EFFICIENCY_A100
    } else {
        EFFICIENCY_H100
    };
    let gemm = fits
        .gemm(&engine.kernels, measured, dtype)
        .or_else(|| fits.gemm(&engine.kernels, measured, "bf16"))
        .filter(|g| g.p90 <= USABLE_P90);
    if let Some(g) = gemm {
        e.compute_max = g.compute_max;
        e.compute_half_tokens = g.compute_half_tokens;
        e.memory = g.memory;
        e.gemm_launch_s = g.launch_us * 1e-6;
    }
    // Attention reads the KV cache at its own measured bandwidth, with its own fixed time (16-bit tables; the
    // measured fp8-KV rows are in the same fit). Without a usable fit it is timed as a GEMM.
    let usable = |kernels: &str| {
        fits.attention(kernels, measured)
            .filter(|a| a.p90 <= USABLE_P90)
    };
    match usable(&engine.kernels).or_else(|| usable("vllm")) {
        Some(a) => {
            e.attention_memory = a.memory;
            e.attention_fixed_s = a.fixed_us * 1e-6;
        }
        None => {
            e.attention_memory = e.memory;
            e.attention_fixed_s = e.gemm_launch_s;
        }
    }
    let kernels = all_reduce_kernels(engine);
    // The GPU side of an eager all-reduce is the graph kernel; its extra latency is host work (see
    // `eager_all_reduce_s`). A fit whose compact form does not describe its table (p90 error past
    // `USABLE_P90`: L40S, whose 8-GPU all-reduce crosses PCIe roots at a tenth of the 2-GPU bandwidth) is not
    // used; the closest generation's Vidur fit stands in (docs/CALIBRATION.md).
    if let Some(r) = fits
        .all_reduce(kernels, measured, "graph")
        .filter(|r| r.p90 <= USABLE_P90)
    {
        e.link = r.link;
        e.link_latency_s = r.step_us * 1e-6;
        e.all_reduce_fixed_s = r.fixed_us * 1e-6;
    }
    e.iteration_overhead_s = engine.step_overhead_s.value;
    e
}

/// Whose measured all-reduce an engine runs: TensorRT-LLM's own, or vLLM's custom one (SGLang and eager
/// engines included).
pub fn all_reduce_kernels(engine: &EngineProfile) -> &'static str {
    if engine.all_reduce.value == "trtllm" {
        "trtllm"
    } else {
        "vllm"
    }
}

/// Host-side latency of one eager all-reduce over `tp` GPUs (0 without TP or without a measured table).
pub fn eager_all_reduce_s(gpu: &Gpu, tp: u32, fits: &KernelFits) -> f64 {
    if tp <= 1 {
        return 0.0;
    }
    fits.all_reduce("vllm", &gpu.calibrated_on, "eager")
        .filter(|r| r.p90 <= USABLE_P90)
        .map_or(0.0, |r| {
            (r.fixed_us + 2.0 * (tp as f64 - 1.0) * r.step_us) * 1e-6
        })
}
