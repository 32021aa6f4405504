//! Fitting the engine kernel fits (`data/kernel_fits.toml`) to operator times measured inside vLLM and
//! TensorRT-LLM: GEMMs per dtype, all-reduce per backend, and decode attention by the bytes of KV cache it reads. The rows come from the vendored sample `tests/data/profiling/kernels/` (drawn by
//! `tools/sample_kernels.py`); `crates/infercost-io/tests/kernel_fits.rs` refits them and compares with the
//! shipped file and docs/CALIBRATION.md.

use crate::calibrate::{
    descend, fit_all_reduce, fit_attention, fit_error, fit_gemm, score, AllReduceSample,
    AttentionSample, Efficiency, FitError, GemmSample, EFFICIENCY_A100, EFFICIENCY_H100,
};
use crate::comm::interpolate;
use crate::engine::{AllReduceFit, AttentionCheck, ContextAttentionFit, GemmFit, MlaFit};
use crate::gpu::Gpu;
use crate::moe::{
    fit_ep, fit_moe, moe_dtype, shape_scales, EpSample, MoeEpFit, MoeFit, MoeParams, MoeSample,
    MoeShapeFit,
};

/// One measured operator time of the sample.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelRow {
    /// `gemm`, `allreduce` or `decode_attn`.
    pub table: String,
    /// The dtype (GEMM, attention's KV) or backend (all-reduce).
    pub dtype: String,
    /// m; GPUs; batch.
    pub a: f64,
    /// n; message bytes; context.
    pub b: f64,
    /// k; —; query heads.
    pub c: f64,
    /// —; —; KV heads.
    pub d: f64,
    /// Measured seconds.
    pub seconds: f64,
}

/// Bytes per GEMM operand in a measured dtype (NVFP4: half a byte plus one fp8 scale per 16 values).
pub fn operand_bytes(dtype: &str) -> f64 {
    match dtype {
        "fp8" => 1.0,
        "nvfp4" => 0.5625,
        _ => 2.0,
    }
}

/// The peak tensor FLOP/s of a GPU in a measured dtype.
fn peak(gpu: &Gpu, dtype: &str) -> f64 {
    1e12 * match dtype {
        "fp8" => gpu.fp8_tflops,
        "nvfp4" => gpu.fp4_tflops.unwrap_or(gpu.fp8_tflops),
        _ => gpu.bf16_tflops,
    }
}

/// The fits of one engine's sample on one GPU (`measured` is the GPU's table name, `gpu` its catalog entry).
pub fn fit_sample(
    engine: &str,
    measured: &str,
    gpu: &Gpu,
    rows: &[KernelRow],
) -> (Vec<GemmFit>, Vec<AllReduceFit>, Option<AttentionCheck>) {
    let base = if matches!(measured, "a100" | "l40s") {
        EFFICIENCY_A100
    } else {
        EFFICIENCY_H100
    };
    let bw = gpu.hbm_tb_per_s * 1e12;
    let mut gemms = Vec::new();
    for dtype in ["bf16", "fp8", "nvfp4"] {
        let samples: Vec<GemmSample> = rows
            .iter()
            .filter(|r| r.table == "gemm" && r.dtype == dtype)
            .map(|r| GemmSample {
                tokens: r.a,
                n: r.b,
                k: r.c,
                seconds: r.seconds,
            })
            .collect();
        if samples.is_empty() {
            continue;
        }
        let (e, err) = fit_gemm(&samples, peak(gpu, dtype), bw, operand_bytes(dtype), base);
        gemms.push(GemmFit {
            engine: engine.into(),
            gpu: measured.into(),
            dtype: dtype.into(),
            compute_max: round(e.compute_max, 4),
            compute_half_tokens: round(e.compute_half_tokens, 1),
            memory: round(e.memory, 4),
            launch_us: round(e.gemm_launch_s * 1e6, 2),
            samples: err.samples,
            median: round(err.median, 4),
            p90: round(err.p90, 4),
        });
    }
    let mut reduces = Vec::new();
    for backend in ["graph", "eager"] {
        let samples: Vec<AllReduceSample> = rows
            .iter()
            .filter(|r| r.table == "allreduce" && r.dtype == backend)
            .map(|r| AllReduceSample {
                workers: r.a,
                bytes: r.b,
                seconds: r.seconds,
            })
            .collect();
        if samples.is_empty() {
            continue;
        }
        let (e, err) = fit_all_reduce(&samples, gpu.link_gb_per_s * 1e9, base);
        // The GPU side of an eager all-reduce is the graph kernel (`engine::eager_all_reduce_s`): only graph
        // tables get knots.
        let (knots, knots_err) = if backend == "graph" {
            all_reduce_knots(&samples)
        } else {
            (Vec::new(), fit_error(std::iter::empty()))
        };
        reduces.push(AllReduceFit {
            engine: engine.into(),
            gpu: measured.into(),
            backend: backend.into(),
            link: round(e.link, 4),
            step_us: round(e.link_latency_s * 1e6, 2),
            fixed_us: round(e.all_reduce_fixed_s * 1e6, 2),
            samples: err.samples,
            median: round(err.median, 4),
            p90: round(err.p90, 4),
            knots,
            knots_median: round(knots_err.median, 4),
            knots_p90: round(knots_err.p90, 4),
        });
    }
    let attention = attention_fit(engine, measured, bw, base, rows);
    (gemms, reduces, attention)
}

/// Decode attention fitted as the iteration model times it: the KV cache read at an achieved bandwidth plus one
/// kernel's fixed time (head size 128; fp8 rows read one byte per value).
fn attention_fit(
    engine: &str,
    measured: &str,
    bw: f64,
    base: Efficiency,
    rows: &[KernelRow],
) -> Option<AttentionCheck> {
    let samples: Vec<AttentionSample> = rows
        .iter()
        .filter(|r| r.table == "decode_attn")
        .map(|r| {
            let kv_bytes = if r.dtype == "fp8" { 1.0 } else { 2.0 };
            AttentionSample {
                bytes: r.a * r.b * 2.0 * r.d * 128.0 * kv_bytes,
                seconds: r.seconds,
            }
        })
        .collect();
    if samples.is_empty() {
        return None;
    }
    let (e, err) = fit_attention(&samples, bw, base);
    Some(AttentionCheck {
        engine: engine.into(),
        gpu: measured.into(),
        memory: round(e.attention_memory, 4),
        fixed_us: round(e.attention_fixed_s * 1e6, 2),
        samples: err.samples,
        median: round(err.median, 4),
        p90: round(err.p90, 4),
    })
}

/// The all-reduce knots of a sample: per GPU count, every second measured size from the smallest (sizes 4× apart
/// in a table measured at each power of two) and the largest, `[gpus, bytes, microseconds]`, each
/// the median of its size's time and its neighbours'; and the error of interpolating between them at the sizes
/// left out.
fn all_reduce_knots(samples: &[AllReduceSample]) -> (Vec<[f64; 3]>, FitError) {
    let mut counts: Vec<f64> = samples.iter().map(|s| s.workers).collect();
    counts.sort_by(f64::total_cmp);
    counts.dedup();
    let (mut knots, mut held_out) = (Vec::new(), Vec::new());
    for k in counts {
        let mut of: Vec<&AllReduceSample> = samples.iter().filter(|s| s.workers == k).collect();
        of.sort_by(|a, b| a.bytes.total_cmp(&b.bytes));
        let last = of.len() - 1;
        let mut points = Vec::new();
        for (i, s) in of.iter().enumerate() {
            if i % 2 == 0 || i == last {
                // The median of the knot's size and its two neighbours: the time of a monotone table, without
                // an isolated spike of one measurement.
                let mut near = [i.saturating_sub(1), i, (i + 1).min(last)].map(|j| of[j].seconds);
                near.sort_by(f64::total_cmp);
                let us = round(near[1] * 1e6, 3);
                knots.push([k, s.bytes, us]);
                points.push((s.bytes, us * 1e-6));
            }
        }
        for (i, s) in of.iter().enumerate() {
            if i % 2 == 1 && i != last {
                held_out.push((interpolate(&points, s.bytes), s.seconds));
            }
        }
    }
    (knots, fit_error(held_out.into_iter()))
}

/// FLOPs and latent bytes per (sequence, context token) of absorbed MLA decode attention with `heads` query heads
/// (DeepSeek-V3's 512-wide latent plus 64 rope dims), KV values of `kv_bytes` each.
pub fn mla_per_pair(heads: f64, kv_bytes: f64) -> (f64, f64) {
    (2.0 * heads * (2.0 * 512.0 + 64.0), 576.0 * kv_bytes)
}

/// The MLA decode-attention fits of one engine's sample on one GPU, one per KV dtype measured.
pub fn fit_mla_sample(engine: &str, measured: &str, gpu: &Gpu, rows: &[KernelRow]) -> Vec<MlaFit> {
    let (peak, bw) = (gpu.bf16_tflops * 1e12, gpu.hbm_tb_per_s * 1e12);
    let mut fits = Vec::new();
    for kv in ["bf16", "fp8"] {
        let samples: Vec<(f64, f64, f64)> = rows
            .iter()
            .filter(|r| r.table == "mla_decode" && r.dtype == kv)
            .map(|r| {
                let (f, b) = mla_per_pair(r.c, if kv == "fp8" { 1.0 } else { 2.0 });
                (r.a * r.b * f, r.a * r.b * b, r.seconds)
            })
            .collect();
        if samples.is_empty() {
            continue;
        }
        let time = |p: &[f64], s: &(f64, f64, f64)| {
            (s.0 / (peak * p[0])).max(s.1 / (bw * p[1])) + p[2] * 1e-6
        };
        let mut p = [0.5, 0.8, 10.0];
        descend(&mut p, &[(0.05, 1.0), (0.1, 1.0), (0.0, 100.0)], &|p| {
            score(samples.iter().map(|s| (time(p, s), s.2)))
        });
        let err = fit_error(samples.iter().map(|s| (time(&p, s), s.2)));
        fits.push(MlaFit {
            engine: engine.into(),
            gpu: measured.into(),
            kv: kv.into(),
            compute: round(p[0], 4),
            memory: round(p[1], 4),
            fixed_us: round(p[2], 2),
            samples: err.samples,
            median: round(err.median, 4),
            p90: round(err.p90, 4),
        });
    }
    fits
}

/// FLOPs of causal attention over one prompt of `s` tokens, per head of width `head_dim`: scores and values,
/// a multiply-add each, over the s·(s+1)/2 query-key pairs.
pub fn context_flops(s: f64, head_dim: f64) -> f64 {
    4.0 * s * (s + 1.0) / 2.0 * head_dim
}

/// The prefill-attention fits of one engine's sample on one GPU, per attention dtype: rows `context_attn` with
/// a = batch, b = prompt length, c = query heads (head_dim 128).
pub fn fit_context_sample(
    engine: &str,
    measured: &str,
    gpu: &Gpu,
    rows: &[KernelRow],
) -> Vec<ContextAttentionFit> {
    let peak = gpu.bf16_tflops * 1e12;
    let mut fits = Vec::new();
    for dtype in ["bf16", "fp8"] {
        // (FLOPs, prompt length, seconds)
        let samples: Vec<(f64, f64, f64)> = rows
            .iter()
            .filter(|r| r.table == "context_attn" && r.dtype == dtype)
            .map(|r| (r.a * r.c * context_flops(r.b, 128.0), r.b, r.seconds))
            .collect();
        if samples.is_empty() {
            continue;
        }
        let time =
            |p: &[f64], s: &(f64, f64, f64)| p[2] * 1e-6 + s.0 * (s.1 + p[1]) / (peak * p[0] * s.1);
        let mut p = [0.6, 1024.0, 10.0];
        descend(&mut p, &[(0.05, 1.0), (0.0, 16384.0), (0.0, 100.0)], &|p| {
            score(samples.iter().map(|s| (time(p, s), s.2)))
        });
        let err = fit_error(samples.iter().map(|s| (time(&p, s), s.2)));
        fits.push(ContextAttentionFit {
            engine: engine.into(),
            gpu: measured.into(),
            dtype: dtype.into(),
            compute: round(p[0], 4),
            half_len: round(p[1], 1),
            fixed_us: round(p[2], 2),
            samples: err.samples,
            median: round(err.median, 4),
            p90: round(err.p90, 4),
        });
    }
    fits
}

/// The expert-parallel imbalance fit of one engine's sample on one GPU (None without EP rows).
pub fn fit_moe_ep_sample(engine: &str, measured: &str, rows: &[EpSample]) -> Option<MoeEpFit> {
    if rows.is_empty() {
        return None;
    }
    let (cv, err) = fit_ep(rows);
    Some(MoeEpFit {
        engine: engine.into(),
        gpu: measured.into(),
        cv: round(cv, 3),
        samples: err.samples,
        median: round(err.median, 4),
        p90: round(err.p90, 4),
    })
}

/// The fused MoE fits of one engine's sample on one GPU, one per dtype measured.
pub fn fit_moe_sample(
    engine: &str,
    measured: &str,
    gpu: &Gpu,
    rows: &[(String, MoeSample)],
) -> Vec<MoeFit> {
    let mut dtypes: Vec<&str> = rows.iter().map(|(d, _)| d.as_str()).collect();
    dtypes.sort();
    dtypes.dedup();
    let mut fits = Vec::new();
    for dtype in dtypes {
        let samples: Vec<MoeSample> = rows
            .iter()
            .filter(|(d, _)| d == dtype)
            .map(|(_, s)| *s)
            .collect();
        let (peak, bytes) = moe_peak(gpu, dtype);
        let (p, err) = fit_moe(&samples, peak, gpu.hbm_tb_per_s * 1e12, bytes);
        fits.push(MoeFit {
            engine: engine.into(),
            gpu: measured.into(),
            dtype: dtype.into(),
            compute_max: round(p.compute_max, 4),
            half_tokens: round(p.half_tokens, 2),
            half_width: round(p.half_width, 1),
            memory: round(p.memory, 4),
            fixed_us: round(p.fixed_s * 1e6, 2),
            overlap: round(p.overlap, 3),
            samples: err.samples,
            median: round(err.median, 4),
            p90: round(err.p90, 4),
        });
    }
    fits
}

/// The peak FLOP/s a MoE table's dtype computes at on `gpu`, and its bytes per weight.
fn moe_peak(gpu: &Gpu, dtype: &str) -> (f64, f64) {
    let (peak_of, bytes) = moe_dtype(dtype);
    let tflops = match peak_of {
        "fp8" => gpu.fp8_tflops,
        "fp4" => gpu.fp4_tflops.unwrap_or(gpu.fp8_tflops),
        _ => gpu.bf16_tflops,
    };
    (1e12 * tflops, bytes)
}

/// The measured expert shapes' scales on the shipped (rounded) fits `fits` of the same engine and GPU, for the
/// shapes whose median departs from the fit by more than 5% (the others keep the fit).
pub fn fit_moe_shapes(
    gpu: &Gpu,
    rows: &[(String, MoeSample)],
    fits: &[MoeFit],
) -> Vec<MoeShapeFit> {
    let mut out = Vec::new();
    for f in fits {
        let samples: Vec<MoeSample> = rows
            .iter()
            .filter(|(d, _)| *d == f.dtype)
            .map(|(_, s)| *s)
            .collect();
        let (peak, bytes) = moe_peak(gpu, &f.dtype);
        let p = MoeParams::of(f);
        for (k, scale, before, after) in
            shape_scales(&samples, &p, peak, gpu.hbm_tb_per_s * 1e12, bytes)
        {
            if (scale - 1.0).abs() <= 0.05 {
                continue;
            }
            out.push(MoeShapeFit {
                engine: f.engine.clone(),
                gpu: f.gpu.clone(),
                dtype: f.dtype.clone(),
                hidden: k[0],
                inter: k[1],
                experts: k[2],
                topk: k[3],
                tp: k[4],
                scale: round(scale, 3),
                samples: after.samples,
                median_fit: round(before.median, 4),
                median: round(after.median, 4),
            });
        }
    }
    out
}

fn round(x: f64, digits: i32) -> f64 {
    let m = 10f64.powi(digits);
    (x * m).round() / m
}
