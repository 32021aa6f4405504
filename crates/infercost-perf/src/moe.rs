//! The fused MoE layer: routing, the experts' two GEMMs and the combine, timed as one kernel fitted to the fused
//! MoE tables measured inside vLLM and TensorRT-LLM (`data/kernel_fits.toml`, `[[moe]]`).
//!
//! Per GPU, a layer of `T` tokens routed to `k` of `E` experts, each expert (hidden `h`, intermediate `i`) split
//! `s` ways, takes `max(FLOPs / (peak · c), bytes / (bandwidth · memory)) + fixed`, where FLOPs = 2·T·k·3·h·i / s,
//! bytes are the experts the batch touches, `E·(1 − (1 − k/E)^T)·3·h·i` weights / s, and the compute efficiency
//! `c = compute_max · p / (p + half_tokens) · n / (n + half_width)` grows with the tokens each expert sees (`p =
//! T·k/E`) and with the width of its GEMMs on the GPU (`n = 2·i / s`): many small experts fill the tensor cores
//! less than a few large ones. The fixed time is the routing, permutation and combine. The measured kernels hide
//! little of their weight reads behind their compute (each expert's tile is loaded, then multiplied), so the
//! shorter of the two adds on at a fitted `overlap` fraction: `max(c, m) + overlap · min(c, m)`, 0.6–1 in every
//! table (docs/CALIBRATION.md), which halves the fits' median error against a pure roofline's `max`.

use crate::calibrate::{descend, fit_error, score, FitError};
use serde::{Deserialize, Serialize};

/// One measured fused MoE layer (no expert parallelism: each expert split over `tp` GPUs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MoeSample {
    /// Tokens entering the layer.
    pub tokens: f64,
    /// Hidden size.
    pub hidden: f64,
    /// Intermediate size of one expert.
    pub inter: f64,
    /// Routed experts.
    pub experts: f64,
    /// Experts per token.
    pub topk: f64,
    /// GPUs each expert is split over.
    pub tp: f64,
    /// Measured seconds.
    pub seconds: f64,
}

/// A fused MoE fit for one engine's kernels on one GPU in one dtype.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoeFit {
    /// `vllm` or `trtllm`.
    pub engine: String,
    /// The measured GPU.
    pub gpu: String,
    /// `bf16`, `fp8` (per-tensor scales), `fp8_block` (128×128 block scales), `nvfp4`, `w4a16` (fp4 weights,
    /// 16-bit activations) or `int4`.
    pub dtype: String,
    /// Largest achieved fraction of the dtype's peak tensor FLOP/s.
    pub compute_max: f64,
    /// Tokens per expert at half of it.
    pub half_tokens: f64,
    /// Per-GPU width of the gate-and-up GEMM (2·i / split) at half of it.
    pub half_width: f64,
    /// Achieved fraction of HBM bandwidth reading the touched experts.
    pub memory: f64,
    /// Fixed time of one layer (routing, permutation, combine), microseconds.
    pub fixed_us: f64,
    /// Fraction of the shorter of the compute and the weight reads that adds to the longer (0: they overlap
    /// fully, a roofline's max; 1: they add).
    pub overlap: f64,
    /// Samples fitted.
    pub samples: usize,
    /// Median |relative error| of the fit on its samples.
    pub median: f64,
    /// 90th-percentile |relative error|.
    pub p90: f64,
}

/// The peak-FLOP/s field and bytes per weight of a MoE table's dtype.
pub fn moe_dtype(dtype: &str) -> (&'static str, f64) {
    match dtype {
        "fp8" | "fp8_block" => ("fp8", 1.0),
        "nvfp4" => ("fp4", 0.5625),
        "w4a16" => ("bf16", 0.53125),
        "int4" => ("bf16", 0.5),
        _ => ("bf16", 2.0),
    }
}

/// The fitted parameters in the form the model evaluates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MoeParams {
    /// See [`MoeFit`].
    pub compute_max: f64,
    /// See [`MoeFit`].
    pub half_tokens: f64,
    /// See [`MoeFit`].
    pub half_width: f64,
    /// See [`MoeFit`].
    pub memory: f64,
    /// Seconds.
    pub fixed_s: f64,
    /// See [`MoeFit`].
    pub overlap: f64,
}

impl MoeParams {
    /// A fit's parameters.
    pub fn of(f: &MoeFit) -> MoeParams {
        MoeParams {
            compute_max: f.compute_max,
            half_tokens: f.half_tokens,
            half_width: f.half_width,
            memory: f.memory,
            fixed_s: f.fixed_us * 1e-6,
            overlap: f.overlap,
        }
    }
}

/// The time of a kernel bound by `compute` and `memory` that hides all but `overlap` of the shorter behind the
/// longer.
#[inline]
pub fn bound(compute: f64, memory: f64, overlap: f64) -> f64 {
    compute.max(memory) + overlap * compute.min(memory)
}

/// Predicted seconds of one measured layer.
pub fn moe_time(s: &MoeSample, p: &MoeParams, peak: f64, bandwidth: f64, bytes: f64) -> f64 {
    let expert = 3.0 * s.hidden * s.inter / s.tp;
    let flops = 2.0 * s.tokens * s.topk * expert;
    let per_expert = s.tokens * s.topk / s.experts;
    let width = 2.0 * s.inter / s.tp;
    let c =
        p.compute_max * per_expert / (per_expert + p.half_tokens) * width / (width + p.half_width);
    let touched = s.experts * (1.0 - (1.0 - s.topk / s.experts).powf(s.tokens));
    let memory = touched * expert * bytes / (bandwidth * p.memory);
    bound(flops / (peak * c), memory, p.overlap) + p.fixed_s
}

/// Fits a MoE table's samples (efficiencies capped at 1, so the fit never beats the roofline).
pub fn fit_moe(
    samples: &[MoeSample],
    peak: f64,
    bandwidth: f64,
    bytes: f64,
) -> (MoeParams, FitError) {
    let with = |r: &[f64]| MoeParams {
        compute_max: r[0],
        half_tokens: r[1],
        half_width: r[2],
        memory: r[3],
        fixed_s: r[4] * 1e-6,
        overlap: r[5],
    };
    let mut r = [0.6, 32.0, 1024.0, 0.8, 20.0, 0.5];
    descend(
        &mut r,
        &[
            (0.05, 1.0),
            (0.0, 2048.0),
            (0.0, 8192.0),
            (0.1, 1.0),
            (0.0, 200.0),
            (0.0, 1.0),
        ],
        &|r| {
            let p = with(r);
            score(
                samples
                    .iter()
                    .map(|s| (moe_time(s, &p, peak, bandwidth, bytes), s.seconds)),
            )
        },
    );
    let p = with(&r);
    let err = fit_error(
        samples
            .iter()
            .map(|s| (moe_time(s, &p, peak, bandwidth, bytes), s.seconds)),
    );
    (p, err)
}

/// One measured expert shape's departure from its dtype's fit: the compact form follows how time grows with
/// tokens, but kernels pick tiles per shape, so at one shape a table can sit a steady 20-40% off the form (TensorRT-
/// LLM's NVFP4 CUTLASS experts of Qwen3-30B-A3B measure 1.21× the fit on B200, Qwen3-235B-A22B's 0.70×). Where the
/// table measured the deployment's own shape, the fit's time is scaled by the shape's median measured / fitted
/// ratio over its token counts; any other shape keeps the fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoeShapeFit {
    /// `vllm` or `trtllm`.
    pub engine: String,
    /// The measured GPU.
    pub gpu: String,
    /// The table's dtype, as [`MoeFit::dtype`].
    pub dtype: String,
    /// The expert shape: hidden size, an expert's intermediate size, routed experts, experts per token and the
    /// GPUs each expert is split over.
    pub hidden: u32,
    /// See `hidden`.
    pub inter: u32,
    /// See `hidden`.
    pub experts: u32,
    /// See `hidden`.
    pub topk: u32,
    /// See `hidden`.
    pub tp: u32,
    /// Median measured / fitted time over the shape's samples.
    pub scale: f64,
    /// Samples of the shape.
    pub samples: usize,
    /// Median |relative error| of the fit on the shape's samples, before and after the scale.
    pub median_fit: f64,
    /// See `median_fit`.
    pub median: f64,
}

/// The per-shape scales of one table's samples under its fitted parameters `p` (see [`MoeShapeFit`]), as
/// (hidden, inter, experts, topk, tp), scale, samples, median error before and after.
pub fn shape_scales(
    samples: &[MoeSample],
    p: &MoeParams,
    peak: f64,
    bandwidth: f64,
    bytes: f64,
) -> Vec<([u32; 5], f64, FitError, FitError)> {
    let key = |s: &MoeSample| [s.hidden, s.inter, s.experts, s.topk, s.tp].map(|x| x as u32);
    let mut keys: Vec<[u32; 5]> = samples.iter().map(key).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|k| {
            let pairs: Vec<(f64, f64)> = samples
                .iter()
                .filter(|s| key(s) == k)
                .map(|s| (moe_time(s, p, peak, bandwidth, bytes), s.seconds))
                .collect();
            let mut ratios: Vec<f64> = pairs.iter().map(|(f, m)| m / f).collect();
            ratios.sort_by(f64::total_cmp);
            let scale = ratios[ratios.len() / 2];
            let before = fit_error(pairs.iter().copied());
            let after = fit_error(pairs.iter().map(|(f, m)| (f * scale, *m)));
            (k, scale, before, after)
        })
        .collect()
}

/// Expert parallelism's imbalance measured at one shape: how much slower the layer runs when its experts are
/// spread over `ep` GPUs under skewed routing than under even routing, relative to the same on one GPU.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpSample {
    /// Routed experts.
    pub experts: f64,
    /// GPU groups the experts are spread over.
    pub ep: f64,
    /// (power-law / balanced time with `ep` groups) / (power-law / balanced time on one GPU).
    pub ratio: f64,
}

/// An engine's expert-parallel imbalance on one GPU: the busiest of `ep` groups holding `experts / ep` experts
/// each carries `1 + cv · z(ep) / √(experts / ep)` times the even share of the routed tokens, `cv` the spread of
/// the experts' loads and `z(ep)` the expected largest of `ep` standard normal draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoeEpFit {
    /// `vllm` or `trtllm`.
    pub engine: String,
    /// The measured GPU.
    pub gpu: String,
    /// Coefficient of variation of the experts' loads.
    pub cv: f64,
    /// Samples fitted.
    pub samples: usize,
    /// Median |relative error| of the predicted slowdown.
    pub median: f64,
    /// 90th-percentile |relative error|.
    pub p90: f64,
}

/// The expected largest of `n` independent standard normal draws (tabulated at powers of two up to 256,
/// interpolated in ln n, extended by 0.3 per unit of ln n beyond); 0 for one draw.
pub fn expected_max_normal(n: f64) -> f64 {
    const TABLE: [(f64, f64); 9] = [
        (1.0, 0.0),
        (2.0, 0.5642),
        (4.0, 1.0294),
        (8.0, 1.4236),
        (16.0, 1.7660),
        (32.0, 2.0697),
        (64.0, 2.3352),
        (128.0, 2.5684),
        (256.0, 2.7779),
    ];
    if n <= 1.0 {
        return 0.0;
    }
    if n >= 256.0 {
        // Past the table, the slope of its last segment: 0.30 per unit of ln n (128 to 256).
        return 2.7779 + 0.3 * (n / 256.0).ln();
    }
    let i = TABLE.iter().rposition(|&(x, _)| x <= n).unwrap_or(0);
    let ((x0, y0), (x1, y1)) = (TABLE[i], TABLE[i + 1]);
    y0 + (y1 - y0) * (n / x0).ln() / (x1 / x0).ln()
}

/// The busiest expert-parallel group's load over the even share (1 without expert parallelism).
pub fn ep_skew(cv: f64, experts: f64, ep: f64) -> f64 {
    if ep <= 1.0 {
        1.0
    } else {
        1.0 + cv * expected_max_normal(ep) / (experts / ep).sqrt()
    }
}

/// Fits `cv` to measured imbalances (between 0 and 4).
pub fn fit_ep(samples: &[EpSample]) -> (f64, FitError) {
    let pairs = |cv: f64| {
        samples
            .iter()
            .map(move |s| (ep_skew(cv, s.experts, s.ep), s.ratio))
    };
    let mut r = [1.0];
    descend(&mut r, &[(0.0, 4.0)], &|r| score(pairs(r[0])));
    (r[0], fit_error(pairs(r[0])))
}

/// The routed experts' kernel of a deployment on one GPU, ready to evaluate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MoeKernel {
    /// FLOP/s with every expert full: peak × compute_max × the width factor (× the weight-only scale where the
    /// fit is not of the deployment's own dtype), over the busiest expert-parallel group's skew.
    flops_max: f64,
    /// Tokens per expert at half of it.
    half_tokens: f64,
    /// Fewest tokens per expert the efficiency is taken at (1 for the dense-GEMM stand-in, which was fitted on
    /// whole rows; 0 for a MoE fit, fitted on the routed share itself).
    floor: f64,
    /// Bytes/s reading the touched experts.
    bandwidth: f64,
    /// Fixed seconds per MoE layer.
    pub fixed_s: f64,
    /// See [`MoeFit`] (0 for the dense-GEMM stand-in, a roofline).
    pub overlap: f64,
    /// Whether a fused MoE fit is used (else the dense GEMM fit stands in).
    pub measured: bool,
}

impl MoeKernel {
    /// The kernel of `gpu`'s routed experts under engine kernels `kernels`: the fused MoE fit of the table the
    /// weights run in (`bf16`, `fp8`, `nvfp4`, `w4a16`, `int4`; a weight-only dtype without its own table uses the
    /// bf16 fit at the weight-only scale) where one is usable, else the dense GEMM fit `dense` as before. `width`
    /// is the per-GPU width of an expert's gate-and-up GEMM (2 · intermediate / the ways each expert is split);
    /// `(experts, ep)` the routed experts and the groups expert parallelism spreads them over; `shape` the expert
    /// shape as [`MoeShapeFit`] keys it (hidden, intermediate, experts, top-k, ways split), whose measured scale
    /// applies where the table has one.
    #[allow(clippy::too_many_arguments)]
    pub fn of(
        fits: &crate::engine::KernelFits,
        kernels: &str,
        gpu: &crate::gpu::Gpu,
        weights: crate::dtype::Dtype,
        fp8_block: bool,
        peak: f64,
        scale: f64,
        width: f64,
        (experts, ep): (f64, f64),
        shape: [u32; 5],
        dense: &crate::calibrate::Efficiency,
    ) -> MoeKernel {
        use crate::dtype::Dtype;
        let own = match weights {
            Dtype::Bf16 => "bf16",
            Dtype::Fp8 if weights.weight_only_on(gpu) => "bf16",
            Dtype::Fp8 if fp8_block => "fp8_block",
            Dtype::Fp8 => "fp8",
            Dtype::Fp4 => "nvfp4",
            Dtype::Fp4Wo => "w4a16",
            Dtype::Int4 => "int4",
        };
        let usable = |engine: &str, dtype: &str| {
            fits.moe
                .iter()
                .find(|f| f.engine == engine && f.gpu == gpu.calibrated_on && f.dtype == dtype)
                .filter(|f| f.p90 <= crate::engine::USABLE_P90)
        };
        let pick = |dtype: &str| usable(kernels, dtype).or_else(|| usable("vllm", dtype));
        // A block-scaled checkpoint on an engine without that table runs as per-tensor fp8.
        let found = pick(own)
            .or_else(|| (own == "fp8_block").then(|| pick("fp8")).flatten())
            .map(|f| (f, 1.0))
            .or_else(|| {
                // A weight-only dtype computes in bf16 after dequantising.
                (own != "bf16" && weights.weight_only_on(gpu))
                    .then(|| pick("bf16").map(|f| (f, scale)))
                    .flatten()
            });
        let bandwidth = gpu.hbm_tb_per_s * 1e12;
        // Under expert parallelism the group holding the hottest experts computes more than its even share.
        let skew = fits
            .moe_ep
            .iter()
            .find(|f| f.engine == kernels && f.gpu == gpu.calibrated_on)
            .or_else(|| {
                fits.moe_ep
                    .iter()
                    .find(|f| f.engine == "vllm" && f.gpu == gpu.calibrated_on)
            })
            .filter(|f| f.p90 <= crate::engine::USABLE_P90)
            .map_or(1.0, |f| ep_skew(f.cv, experts, ep));
        match found {
            Some((f, k)) => {
                // The shape's measured departure from the form scales the whole time (compute, reads, fixed).
                let at = fits
                    .moe_shape
                    .iter()
                    .find(|m| {
                        (&m.engine, &m.gpu, &m.dtype) == (&f.engine, &f.gpu, &f.dtype)
                            && [m.hidden, m.inter, m.experts, m.topk, m.tp] == shape
                    })
                    .map_or(1.0, |m| m.scale);
                MoeKernel {
                    flops_max: peak * k * f.compute_max * width
                        / (width + f.half_width)
                        / skew
                        / at,
                    half_tokens: f.half_tokens,
                    floor: 0.0,
                    bandwidth: bandwidth * f.memory / at,
                    fixed_s: f.fixed_us * 1e-6 * at,
                    overlap: f.overlap,
                    measured: true,
                }
            }
            None => MoeKernel {
                flops_max: peak * scale * dense.compute_max / skew,
                half_tokens: dense.compute_half_tokens,
                floor: 1.0,
                bandwidth: bandwidth * dense.memory,
                fixed_s: 0.0,
                overlap: 0.0,
                measured: false,
            },
        }
    }

    /// Seconds of the routed experts' `flops` when each expert sees `per_expert` tokens.
    #[inline]
    pub fn compute_s(&self, flops: f64, per_expert: f64) -> f64 {
        let p = per_expert.max(self.floor).max(f64::MIN_POSITIVE);
        flops * (p + self.half_tokens) / (self.flops_max * p)
    }

    /// Seconds of a layer's routed experts computing for `compute` and reading weights for `memory` seconds.
    #[inline]
    pub fn bound_s(&self, compute: f64, memory: f64) -> f64 {
        bound(compute, memory, self.overlap)
    }

    /// Seconds reading `bytes` of expert weights.
    #[inline]
    pub fn memory_s(&self, bytes: f64) -> f64 {
        bytes / self.bandwidth
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deployment_times_its_experts_with_the_fit_of_its_dtype() {
        use crate::dtype::Dtype;
        use crate::engine::{efficiency, EngineCatalog, KernelFits};
        use crate::gpu::GpuCatalog;
        let fits = KernelFits::embedded();
        let gpu = GpuCatalog::embedded().get("h100-sxm").unwrap().clone();
        let vllm = EngineCatalog::embedded().get("vllm").unwrap().clone();
        let dense = efficiency(&vllm, &gpu, "bf16", fits);
        let (peak, bw) = (gpu.bf16_tflops * 1e12, gpu.hbm_tb_per_s * 1e12);
        // Mixtral 8x7B's experts on one GPU: the kernel evaluates exactly the fitted formula.
        let (h, i, e, k) = (4096.0, 14336.0, 8.0, 2.0);
        let of_shape = |shape| {
            MoeKernel::of(
                fits,
                "vllm",
                &gpu,
                Dtype::Bf16,
                false,
                peak,
                1.0,
                2.0 * i,
                (e, 1.0),
                shape,
                &dense,
            )
        };
        let kernel = of_shape([4096, 14336, 8, 2, 1]);
        assert!(kernel.measured);
        let fit = MoeParams::of(fits.moe("vllm", "h100", "bf16").unwrap());
        // Its shape was measured: the fit's time at the shape's scale (the kernel at an unmeasured shape is the fit).
        let scale = fits
            .moe_shape
            .iter()
            .find(|m| {
                (m.engine.as_str(), m.gpu.as_str(), m.dtype.as_str()) == ("vllm", "h100", "bf16")
                    && [m.hidden, m.inter, m.experts, m.topk, m.tp] == [4096, 14336, 8, 2, 1]
            })
            .map(|m| m.scale)
            .expect("Mixtral 8x7B's experts are in vLLM's H100 table");
        assert!((scale - 1.0).abs() > 0.05);
        let plain = of_shape([0; 5]);
        assert!((kernel.memory_s(1e9) / plain.memory_s(1e9) - scale).abs() < 1e-12);
        assert!((kernel.compute_s(1e12, 64.0) / plain.compute_s(1e12, 64.0) - scale).abs() < 1e-12);
        for t in [1.0, 64.0, 4096.0] {
            let s = MoeSample {
                tokens: t,
                hidden: h,
                inter: i,
                experts: e,
                topk: k,
                tp: 1.0,
                seconds: 0.0,
            };
            let expected = scale * moe_time(&s, &fit, peak, bw, 2.0);
            let expert = 3.0 * h * i;
            let touched = e * (1.0 - (1.0 - k / e).powf(t));
            let got = kernel.bound_s(
                kernel.compute_s(2.0 * t * k * expert, t * k / e),
                kernel.memory_s(touched * expert * 2.0),
            ) + kernel.fixed_s;
            assert!(
                (got - expected).abs() < 1e-9 * expected,
                "{t}: {got} vs {expected}"
            );
        }
        // MXFP4 weights on H100 run their own measured table; a GPU without MoE tables keeps the dense fit.
        let wo = MoeKernel::of(
            fits,
            "vllm",
            &gpu,
            Dtype::Fp4Wo,
            false,
            peak,
            0.85,
            2.0 * i,
            (e, 1.0),
            [0; 5],
            &dense,
        );
        assert!(wo.measured);
        let mut other = gpu.clone();
        other.calibrated_on = "mi300x".into();
        let stand_in = MoeKernel::of(
            fits,
            "vllm",
            &other,
            Dtype::Bf16,
            false,
            peak,
            1.0,
            2.0 * i,
            (e, 1.0),
            [0; 5],
            &dense,
        );
        assert!(!stand_in.measured && stand_in.fixed_s == 0.0 && stand_in.overlap == 0.0);
        // Block-scaled fp8 experts (DeepSeek-V3) run slower than per-tensor ones at large batches on TensorRT-LLM.
        let trtllm = EngineCatalog::embedded().get("trtllm").unwrap().clone();
        let fp8 = efficiency(&trtllm, &gpu, "fp8", fits);
        let fp8_peak = gpu.fp8_tflops * 1e12;
        let of = |block, ep| {
            MoeKernel::of(
                fits,
                "trtllm",
                &gpu,
                Dtype::Fp8,
                block,
                fp8_peak,
                1.0,
                4096.0,
                (256.0, ep),
                [0; 5],
                &fp8,
            )
        };
        let (tensor, block) = (of(false, 1.0), of(true, 1.0));
        assert!(tensor.measured && block.measured);
        assert!(block.compute_s(1e15, 512.0) > 1.3 * tensor.compute_s(1e15, 512.0));
        // Spread over 8 GPUs, the group with the hottest experts computes its skew more; memory is unchanged.
        let cv = fits
            .moe_ep
            .iter()
            .find(|f| f.engine == "trtllm" && f.gpu == "h100")
            .unwrap()
            .cv;
        let ep8 = of(true, 8.0);
        let ratio = ep8.compute_s(1e15, 512.0) / block.compute_s(1e15, 512.0);
        assert!((ratio - ep_skew(cv, 256.0, 8.0)).abs() < 1e-9, "{ratio}");
        assert_eq!(ep8.memory_s(1e9), block.memory_s(1e9));
    }

    #[test]
    fn a_shape_off_the_form_gets_its_median_ratio() {
        let p = MoeParams {
            compute_max: 0.6,
            half_tokens: 16.0,
            half_width: 2048.0,
            memory: 0.8,
            fixed_s: 20e-6,
            overlap: 0.5,
        };
        let (peak, bw) = (989e12, 3.35e12);
        // Two shapes: one on the form, one measuring 1.3x it at every token count but one outlier.
        let mut samples = Vec::new();
        for (inter, k) in [(768.0, 1.0), (1536.0, 1.3)] {
            for (n, t) in [1.0, 16.0, 256.0, 4096.0, 16384.0].into_iter().enumerate() {
                let mut s = MoeSample {
                    tokens: t,
                    hidden: 2048.0,
                    inter,
                    experts: 128.0,
                    topk: 8.0,
                    tp: 1.0,
                    seconds: 0.0,
                };
                let outlier = if n == 0 && k > 1.0 { 2.0 } else { 1.0 };
                s.seconds = k * outlier * moe_time(&s, &p, peak, bw, 1.0);
                samples.push(s);
            }
        }
        let out = shape_scales(&samples, &p, peak, bw, 1.0);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].0, [2048, 768, 128, 8, 1]);
        assert!((out[0].1 - 1.0).abs() < 1e-12 && out[0].3.median < 1e-12);
        assert!((out[1].1 - 1.3).abs() < 1e-12, "{}", out[1].1);
        assert!(out[1].2.median > 0.2 && out[1].3.median < 1e-12);
    }

    #[test]
    fn expert_parallel_groups_wait_for_the_busiest() {
        // The expected largest of n normals grows with n and matches its tabulated values.
        assert_eq!(expected_max_normal(1.0), 0.0);
        assert!((expected_max_normal(8.0) - 1.4236).abs() < 1e-12);
        let mut last = 0.0;
        for n in [2.0, 3.0, 6.0, 8.0, 12.0, 64.0, 200.0, 256.0, 512.0] {
            let z = expected_max_normal(n);
            assert!(z > last, "{n}: {z}");
            last = z;
        }
        // One group, or one GPU, is even; fewer experts per group are more skewed.
        assert_eq!(ep_skew(1.5, 256.0, 1.0), 1.0);
        assert!(ep_skew(1.5, 8.0, 8.0) > ep_skew(1.5, 256.0, 8.0));
        assert!((ep_skew(1.5, 256.0, 8.0) - (1.0 + 1.5 * 1.4236 / 32f64.sqrt())).abs() < 1e-12);
        // The fit recovers the spread that made a set of imbalances.
        let samples: Vec<EpSample> = [(8.0, 2.0), (8.0, 8.0), (128.0, 4.0), (256.0, 8.0)]
            .iter()
            .map(|&(experts, ep)| EpSample {
                experts,
                ep,
                ratio: ep_skew(1.6, experts, ep),
            })
            .collect();
        let (cv, err) = fit_ep(&samples);
        assert!(
            (cv - 1.6).abs() < 0.01 && err.median < 0.005,
            "{cv} {err:?}"
        );
    }

    #[test]
    fn the_fit_recovers_known_parameters_and_never_beats_the_roofline() {
        let truth = MoeParams {
            compute_max: 0.7,
            half_tokens: 16.0,
            half_width: 2000.0,
            memory: 0.8,
            fixed_s: 30e-6,
            overlap: 0.7,
        };
        let (peak, bw) = (989e12, 3.35e12);
        let mut samples = Vec::new();
        for (h, i, e, k) in [(4096.0, 14336.0, 8.0, 2.0), (7168.0, 2048.0, 256.0, 8.0)] {
            for tp in [1.0, 2.0, 8.0] {
                for t in [1.0, 8.0, 64.0, 512.0, 4096.0, 16384.0] {
                    let mut s = MoeSample {
                        tokens: t,
                        hidden: h,
                        inter: i,
                        experts: e,
                        topk: k,
                        tp,
                        seconds: 0.0,
                    };
                    s.seconds = moe_time(&s, &truth, peak, bw, 2.0);
                    let flops = 2.0 * t * k * 3.0 * h * i / tp;
                    assert!(s.seconds > flops / peak);
                    samples.push(s);
                }
            }
        }
        let (p, err) = fit_moe(&samples, peak, bw, 2.0);
        assert!(err.median < 0.02, "{err:?} {p:?}");
        assert!((p.memory - 0.8).abs() < 0.05, "{p:?}");
        assert!((p.overlap - 0.7).abs() < 0.1, "{p:?}");
    }

    #[test]
    fn the_shorter_bound_adds_its_unhidden_part() {
        assert_eq!(bound(2.0, 1.0, 0.0), 2.0);
        assert_eq!(bound(1.0, 2.0, 1.0), 3.0);
        assert!((bound(3.0, 1.0, 0.4) - 3.4).abs() < 1e-12);
    }
}
