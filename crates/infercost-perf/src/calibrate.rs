//! Fitting the iteration model's efficiencies to measured operator times (Vidur's A100/H100 profiles),
//! and the fitted values the model uses.
//!
//! GEMMs give the achieved compute and memory efficiencies and a launch cost; the small per-layer operators
//! (norms, rotary embedding, activation, residual adds) give a per-layer cost; all-reduce timings give the
//! achieved link bandwidth and latency. `infercost model calibrate --profiling DIR` reruns the fit.

use serde::Serialize;

/// Achieved efficiencies and overheads of one GPU generation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Efficiency {
    /// Largest achieved fraction of peak tensor FLOP/s.
    pub compute_max: f64,
    /// Tokens at which the compute efficiency reaches half its maximum (small GEMMs under-fill the GPU).
    pub compute_half_tokens: f64,
    /// Achieved fraction of peak HBM bandwidth.
    pub memory: f64,
    /// Fixed cost of one GEMM launch, seconds.
    pub gemm_launch_s: f64,
    /// Achieved fraction of peak HBM bandwidth when attention reads the KV cache.
    pub attention_memory: f64,
    /// Fixed time of one attention kernel, seconds.
    pub attention_fixed_s: f64,
    /// Fixed cost of a layer's small operators, seconds.
    pub small_ops_s: f64,
    /// Small operators' cost per token per unit of hidden size, seconds.
    pub small_ops_per_token_hidden_s: f64,
    /// Achieved fraction of the link bandwidth in a ring all-reduce.
    pub link: f64,
    /// Latency of one ring step, seconds.
    pub link_latency_s: f64,
    /// Fixed latency of one all-reduce call, seconds (0 in the Vidur fits, which have no such term).
    pub all_reduce_fixed_s: f64,
    /// Fixed per-iteration cost outside the GPU kernels (scheduling, sampling), seconds. Assumed, not fitted:
    /// the profiles measure kernels only.
    pub iteration_overhead_s: f64,
}

/// Fit on the H100 SXM profiles (see docs/CALIBRATION.md; `infercost model calibrate` reproduces it).
pub const EFFICIENCY_H100: Efficiency = Efficiency {
    compute_max: 0.753,
    compute_half_tokens: 152.0,
    memory: 0.928,
    gemm_launch_s: 6.9e-6,
    attention_memory: 0.928,
    attention_fixed_s: 6.9e-6,
    small_ops_s: 13.8e-6,
    small_ops_per_token_hidden_s: 1.30e-11,
    link: 0.710,
    link_latency_s: 2.9e-6,
    all_reduce_fixed_s: 0.0,
    iteration_overhead_s: 3e-4,
};

/// Fit on the A100 profiles (see docs/CALIBRATION.md; `infercost model calibrate` reproduces it).
pub const EFFICIENCY_A100: Efficiency = Efficiency {
    compute_max: 0.741,
    compute_half_tokens: 83.4,
    memory: 0.801,
    gemm_launch_s: 6.5e-6,
    attention_memory: 0.801,
    attention_fixed_s: 6.5e-6,
    small_ops_s: 15.6e-6,
    small_ops_per_token_hidden_s: 2.49e-11,
    link: 0.494,
    link_latency_s: 4.5e-6,
    all_reduce_fixed_s: 0.0,
    iteration_overhead_s: 3e-4,
};

/// One measured GEMM: shape per GPU and median time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GemmSample {
    /// Tokens (rows).
    pub tokens: f64,
    /// Inner dimension.
    pub k: f64,
    /// Output dimension.
    pub n: f64,
    /// Measured seconds.
    pub seconds: f64,
}

/// One measured layer's small operators.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SmallOpsSample {
    /// Tokens.
    pub tokens: f64,
    /// Hidden size.
    pub hidden: f64,
    /// Measured seconds (both norms, rope, activation, two adds).
    pub seconds: f64,
}

/// One measured all-reduce.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AllReduceSample {
    /// GPUs.
    pub workers: f64,
    /// Message bytes.
    pub bytes: f64,
    /// Measured seconds.
    pub seconds: f64,
}

/// Predicted GEMM time under an efficiency set on a GPU with these peaks (16-bit operands).
pub fn gemm_time(s: &GemmSample, e: &Efficiency, peak_flops: f64, bandwidth: f64) -> f64 {
    gemm_time_dtype(s, e, peak_flops, bandwidth, 2.0)
}

/// Predicted GEMM time with weights and input activations of `operand_bytes` each (1 for fp8, 0.5625 for
/// NVFP4 with its scales) and a 16-bit output.
pub fn gemm_time_dtype(
    s: &GemmSample,
    e: &Efficiency,
    peak_flops: f64,
    bandwidth: f64,
    operand_bytes: f64,
) -> f64 {
    let flops = 2.0 * s.tokens * s.k * s.n;
    let bytes = operand_bytes * (s.k * s.n + s.tokens * s.k) + 2.0 * s.tokens * s.n;
    let ce = e.compute_max * s.tokens / (s.tokens + e.compute_half_tokens);
    (flops / (peak_flops * ce)).max(bytes / (bandwidth * e.memory)) + e.gemm_launch_s
}

/// Predicted small-operator time of one layer.
pub fn small_ops_time(s: &SmallOpsSample, e: &Efficiency) -> f64 {
    e.small_ops_s + e.small_ops_per_token_hidden_s * s.tokens * s.hidden
}

/// Predicted all-reduce time on a link of `link_bytes_per_s`.
pub fn all_reduce_time(s: &AllReduceSample, e: &Efficiency, link_bytes_per_s: f64) -> f64 {
    let k = s.workers;
    2.0 * (k - 1.0) / k * s.bytes / (link_bytes_per_s * e.link)
        + 2.0 * (k - 1.0) * e.link_latency_s
        + e.all_reduce_fixed_s
}

/// Relative errors |predicted − measured| / measured: median, 90th percentile and max.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FitError {
    /// Samples compared.
    pub samples: usize,
    /// Median relative error.
    pub median: f64,
    /// 90th-percentile relative error.
    pub p90: f64,
    /// Largest relative error.
    pub max: f64,
}

/// Error statistics of predictions against measurements.
pub fn fit_error(pairs: impl Iterator<Item = (f64, f64)>) -> FitError {
    let mut e: Vec<f64> = pairs
        .map(|(p, m)| ((p - m) / m).abs())
        .filter(|x| x.is_finite())
        .collect();
    e.sort_by(f64::total_cmp);
    let pick = |q: f64| {
        if e.is_empty() {
            0.0
        } else {
            e[((q * e.len() as f64).ceil() as usize).clamp(1, e.len()) - 1]
        }
    };
    FitError {
        samples: e.len(),
        median: pick(0.5),
        p90: pick(0.9),
        max: e.last().copied().unwrap_or(0.0),
    }
}

pub(crate) fn score(pairs: impl Iterator<Item = (f64, f64)>) -> f64 {
    // Mean absolute log error: symmetric in over- and under-prediction, robust to a few outliers.
    let (mut s, mut n) = (0.0, 0.0);
    for (p, m) in pairs {
        if p > 0.0 && m > 0.0 {
            s += (p / m).ln().abs();
            n += 1.0;
        }
    }
    if n == 0.0 {
        f64::INFINITY
    } else {
        s / n
    }
}

/// Coordinate descent over named parameters with bounds, shrinking the step until it stops improving.
pub(crate) fn descend(
    params: &mut [f64],
    bounds: &[(f64, f64)],
    objective: &dyn Fn(&[f64]) -> f64,
) {
    let mut step: Vec<f64> = bounds.iter().map(|(lo, hi)| (hi - lo) / 8.0).collect();
    let mut best = objective(params);
    for _ in 0..60 {
        let mut improved = false;
        for i in 0..params.len() {
            for dir in [-1.0, 1.0] {
                let old = params[i];
                params[i] = (old + dir * step[i]).clamp(bounds[i].0, bounds[i].1);
                let v = objective(params);
                if v < best {
                    best = v;
                    improved = true;
                } else {
                    params[i] = old;
                }
            }
        }
        if !improved {
            for s in &mut step {
                *s /= 2.0;
            }
        }
    }
}

/// The result of fitting one GPU's profiles.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    /// The fitted efficiencies.
    pub efficiency: Efficiency,
    /// GEMM fit error.
    pub gemm: FitError,
    /// Small-operator fit error.
    pub small_ops: FitError,
    /// All-reduce fit error.
    pub all_reduce: FitError,
}

/// Fits efficiencies to one GPU's samples. Compute and memory efficiencies are capped at 1, so the fitted
/// model can never beat the roofline.
pub fn fit(
    gemms: &[GemmSample],
    small: &[SmallOpsSample],
    reduce: &[AllReduceSample],
    peak_flops: f64,
    bandwidth: f64,
    link: f64,
    base: Efficiency,
) -> Calibration {
    let (mut e, _) = fit_gemm(gemms, peak_flops, bandwidth, 2.0, base);
    let mut q = [e.small_ops_s * 1e6, e.small_ops_per_token_hidden_s * 1e12];
    descend(&mut q, &[(0.0, 200.0), (0.0, 200.0)], &|q| {
        let e = Efficiency {
            small_ops_s: q[0] * 1e-6,
            small_ops_per_token_hidden_s: q[1] * 1e-12,
            ..base
        };
        score(small.iter().map(|s| (small_ops_time(s, &e), s.seconds)))
    });
    e.small_ops_s = q[0] * 1e-6;
    e.small_ops_per_token_hidden_s = q[1] * 1e-12;
    let mut r = [e.link, e.link_latency_s * 1e6];
    descend(&mut r, &[(0.05, 1.0), (0.0, 50.0)], &|r| {
        let e = Efficiency {
            link: r[0],
            link_latency_s: r[1] * 1e-6,
            ..base
        };
        score(
            reduce
                .iter()
                .map(|s| (all_reduce_time(s, &e, link), s.seconds)),
        )
    });
    e.link = r[0];
    e.link_latency_s = r[1] * 1e-6;
    evaluate(gemms, small, reduce, peak_flops, bandwidth, link, e)
}

/// Fits the GEMM efficiencies (`compute_max`, `compute_half_tokens`, `memory`, `gemm_launch_s`) to one table of
/// one dtype whose operands take `operand_bytes` each; returns them with the fit's error.
pub fn fit_gemm(
    gemms: &[GemmSample],
    peak_flops: f64,
    bandwidth: f64,
    operand_bytes: f64,
    base: Efficiency,
) -> (Efficiency, FitError) {
    let with = |p: &[f64]| Efficiency {
        compute_max: p[0],
        compute_half_tokens: p[1],
        memory: p[2],
        gemm_launch_s: p[3] * 1e-6,
        ..base
    };
    let time = |s: &GemmSample, e: &Efficiency| {
        gemm_time_dtype(s, e, peak_flops, bandwidth, operand_bytes)
    };
    let mut p = [
        base.compute_max,
        base.compute_half_tokens,
        base.memory,
        base.gemm_launch_s * 1e6,
    ];
    descend(
        &mut p,
        &[(0.2, 1.0), (0.0, 512.0), (0.2, 1.0), (0.0, 50.0)],
        &|p| {
            let e = with(p);
            score(gemms.iter().map(|s| (time(s, &e), s.seconds)))
        },
    );
    let e = with(&p);
    let err = fit_error(gemms.iter().map(|s| (time(s, &e), s.seconds)));
    (e, err)
}

/// One measured decode-attention kernel: the KV-cache bytes it reads and its time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttentionSample {
    /// KV-cache bytes read (batch × context × 2 × KV heads × head size × bytes per value).
    pub bytes: f64,
    /// Measured seconds.
    pub seconds: f64,
}

/// Predicted decode-attention time: the KV cache read at the attention's achieved bandwidth plus its fixed time.
pub fn attention_time(s: &AttentionSample, e: &Efficiency, bandwidth: f64) -> f64 {
    s.bytes / (bandwidth * e.attention_memory) + e.attention_fixed_s
}

/// Fits a decode-attention table: the achieved fraction of HBM bandwidth and a fixed time per kernel.
pub fn fit_attention(
    samples: &[AttentionSample],
    bandwidth: f64,
    base: Efficiency,
) -> (Efficiency, FitError) {
    let with = |p: &[f64]| Efficiency {
        attention_memory: p[0],
        attention_fixed_s: p[1] * 1e-6,
        ..base
    };
    let mut p = [base.attention_memory, base.attention_fixed_s * 1e6];
    descend(&mut p, &[(0.05, 1.0), (0.0, 100.0)], &|p| {
        let e = with(p);
        score(
            samples
                .iter()
                .map(|s| (attention_time(s, &e, bandwidth), s.seconds)),
        )
    });
    let e = with(&p);
    let err = fit_error(
        samples
            .iter()
            .map(|s| (attention_time(s, &e, bandwidth), s.seconds)),
    );
    (e, err)
}

/// Fits an all-reduce table: the link efficiency, the latency per ring step and a fixed latency per call.
pub fn fit_all_reduce(
    reduce: &[AllReduceSample],
    link: f64,
    base: Efficiency,
) -> (Efficiency, FitError) {
    let with = |r: &[f64]| Efficiency {
        link: r[0],
        link_latency_s: r[1] * 1e-6,
        all_reduce_fixed_s: r[2] * 1e-6,
        ..base
    };
    let mut r = [
        base.link,
        base.link_latency_s * 1e6,
        base.all_reduce_fixed_s * 1e6,
    ];
    descend(&mut r, &[(0.05, 1.0), (0.0, 20.0), (0.0, 50.0)], &|r| {
        let e = with(r);
        score(
            reduce
                .iter()
                .map(|s| (all_reduce_time(s, &e, link), s.seconds)),
        )
    });
    let e = with(&r);
    let err = fit_error(
        reduce
            .iter()
            .map(|s| (all_reduce_time(s, &e, link), s.seconds)),
    );
    (e, err)
}

/// How the shipped efficiencies score on one GPU's samples.
pub fn evaluate(
    gemms: &[GemmSample],
    small: &[SmallOpsSample],
    reduce: &[AllReduceSample],
    peak_flops: f64,
    bandwidth: f64,
    link: f64,
    e: Efficiency,
) -> Calibration {
    Calibration {
        efficiency: e,
        gemm: fit_error(
            gemms
                .iter()
                .map(|s| (gemm_time(s, &e, peak_flops, bandwidth), s.seconds)),
        ),
        small_ops: fit_error(small.iter().map(|s| (small_ops_time(s, &e), s.seconds))),
        all_reduce: fit_error(
            reduce
                .iter()
                .map(|s| (all_reduce_time(s, &e, link), s.seconds)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_recovers_known_efficiencies_from_synthetic_samples() {
        let truth = Efficiency {
            compute_max: 0.7,
            compute_half_tokens: 64.0,
            memory: 0.85,
            gemm_launch_s: 6e-6,
            ..EFFICIENCY_H100
        };
        let (peak, bw) = (989e12, 3.35e12);
        let mut gemms = Vec::new();
        for t in [1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0] {
            for (k, n) in [(4096.0, 6144.0), (4096.0, 28672.0), (14336.0, 4096.0)] {
                let mut s = GemmSample {
                    tokens: t,
                    k,
                    n,
                    seconds: 0.0,
                };
                s.seconds = gemm_time(&s, &truth, peak, bw);
                gemms.push(s);
            }
        }
        let c = fit(&gemms, &[], &[], peak, bw, 450e9, EFFICIENCY_H100);
        assert!(c.gemm.median < 0.01, "{:?}", c.gemm);
        assert!(
            (c.efficiency.memory - 0.85).abs() < 0.03,
            "{:?}",
            c.efficiency
        );
    }
}
