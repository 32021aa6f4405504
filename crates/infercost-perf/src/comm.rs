//! Tensor-parallel communication: the all-reduce time of an iteration as a function of its tokens.
//!
//! Engines pick their all-reduce algorithm by message size: a one-shot kernel for small messages (latency
//! bound), a two-shot one for mid-size ones and NCCL's ring or NVLink-switch reduction for large ones, each
//! with its own latency and bandwidth. No single `latency + bytes / bandwidth` line follows the measured tables
//! (on an 8-GPU H200 node it is 1.6× slow at 128 MiB and up to 2.4× fast near 1 MiB), so the model interpolates the
//! measured times linearly in bytes between knots ([`crate::engine::AllReduceFit::knots`]) and falls back to
//! the ring formula where a GPU count was not measured.

use crate::calibrate::Efficiency;
use crate::engine::{AllReduceFit, KernelFits, USABLE_P90};
use crate::gpu::Gpu;
use crate::model::ModelSpec;

/// Most knots a curve holds.
const MAX_KNOTS: usize = 16;

/// A piecewise-linear, non-decreasing function of tokens: flat below the first knot, linear between knots,
/// and extended with the last segment's slope beyond the last knot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Curve {
    x: [f64; MAX_KNOTS],
    y: [f64; MAX_KNOTS],
    slope: [f64; MAX_KNOTS],
    n: usize,
}

impl Curve {
    /// `fixed + per_token · tokens` from 1 token up.
    pub fn line(fixed: f64, per_token: f64) -> Curve {
        Curve::through(&[(1.0, fixed + per_token), (2.0, fixed + 2.0 * per_token)])
    }

    /// Through the points `(tokens, seconds)`, sorted by tokens; points closer than the first to 1 token are
    /// dropped except the last of them (the curve only matters from 1 token up), as are points past `MAX_KNOTS`.
    fn through(points: &[(f64, f64)]) -> Curve {
        let first = points.iter().rposition(|p| p.0 <= 1.0).unwrap_or(0);
        let pts = &points[first..points.len().min(first + MAX_KNOTS)];
        let mut c = Curve {
            x: [0.0; MAX_KNOTS],
            y: [0.0; MAX_KNOTS],
            slope: [0.0; MAX_KNOTS],
            n: pts.len(),
        };
        for (i, &(x, y)) in pts.iter().enumerate() {
            c.x[i] = x;
            // Measured times are not always monotone at the smallest sizes; the curve is.
            c.y[i] = if i == 0 { y } else { y.max(c.y[i - 1]) };
        }
        for i in 1..c.n {
            c.slope[i - 1] = (c.y[i] - c.y[i - 1]) / (c.x[i] - c.x[i - 1]).max(f64::MIN_POSITIVE);
        }
        if c.n >= 2 {
            c.slope[c.n - 1] = c.slope[c.n - 2];
        }
        c
    }

    /// The value at `tokens`.
    #[inline]
    pub fn at(&self, tokens: f64) -> f64 {
        if self.n == 0 || tokens <= self.x[0] {
            return if self.n == 0 { 0.0 } else { self.y[0] };
        }
        let mut i = 0;
        while i + 1 < self.n && tokens >= self.x[i + 1] {
            i += 1;
        }
        self.y[i] + self.slope[i] * (tokens - self.x[i])
    }

    /// The same curve with every value scaled by `k` and `per_token · tokens + fixed` added.
    pub fn scaled_plus(&self, k: f64, per_token: f64, fixed: f64) -> Curve {
        let mut c = *self;
        for i in 0..c.n {
            c.y[i] = k * c.y[i] + per_token * c.x[i] + fixed;
            c.slope[i] = k * c.slope[i] + per_token;
        }
        if c.n == 0 {
            return Curve::line(fixed, per_token);
        }
        c
    }
}

/// Seconds of one all-reduce over `gpus` GPUs by message bytes, interpolated between the fit's measured knots
/// (None when that GPU count was not measured).
pub fn measured_points(fit: &AllReduceFit, gpus: u32) -> Option<Vec<(f64, f64)>> {
    let pts: Vec<(f64, f64)> = fit
        .knots
        .iter()
        .filter(|k| k[0] as u32 == gpus)
        .map(|k| (k[1], k[2] * 1e-6))
        .collect();
    (pts.len() >= 2).then_some(pts)
}

/// Interpolates measured `(bytes, seconds)` points at `bytes`, as [`Curve::at`] does in tokens.
pub fn interpolate(points: &[(f64, f64)], bytes: f64) -> f64 {
    Curve::through(points).at(bytes)
}

/// The two all-reduces per layer of the whole model under tensor parallelism `tp`, in seconds as a function of
/// the iteration's tokens (zero without TP): the engine's measured curve for that GPU count where there is one,
/// else the ring formula `2(k−1)/k · bytes / (link · link_eff) + 2(k−1) · step + fixed` of `eff`.
pub fn all_reduce_curve(
    model: &ModelSpec,
    gpu: &Gpu,
    eff: &Efficiency,
    kernels: &str,
    fits: &KernelFits,
    tp: u32,
) -> Curve {
    if tp <= 1 {
        return Curve::line(0.0, 0.0);
    }
    let allreduces = 2.0 * model.layers as f64;
    // Activations are all-reduced in 16 bits whatever the weights' dtype.
    let bytes_per_token = model.hidden as f64 * 2.0;
    let measured = fits
        .all_reduce(kernels, &gpu.calibrated_on, "graph")
        // A table the ring formula cannot describe either (L40S: its 4- and 8-GPU rows run at a fifth to a tenth of the
        // bus bandwidth its 2-GPU rows reach over the same PCIe links, the measured machine's GPUs having no
        // peer-to-peer path) describes that machine, not the GPU: the formula of the fallback stands in.
        .filter(|f| f.p90 <= USABLE_P90 && f.knots_p90 <= USABLE_P90)
        .and_then(|f| measured_points(f, tp));
    if let Some(pts) = measured {
        let in_tokens: Vec<(f64, f64)> = pts
            .iter()
            .map(|&(b, s)| (b / bytes_per_token, s * allreduces))
            .collect();
        return Curve::through(&in_tokens);
    }
    let t = tp as f64;
    let link = gpu.link_gb_per_s * 1e9 * eff.link;
    Curve::line(
        allreduces * (2.0 * (t - 1.0) * eff.link_latency_s + eff.all_reduce_fixed_s),
        allreduces * 2.0 * (t - 1.0) / t * bytes_per_token / link,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_curve_interpolates_and_extends() {
        let c = Curve::through(&[(0.5, 1.0), (2.0, 2.0), (4.0, 6.0)]);
        assert_eq!(c.at(0.0), 1.0);
        assert_eq!(c.at(0.5), 1.0);
        assert!((c.at(1.25) - 1.5).abs() < 1e-12);
        assert!((c.at(3.0) - 4.0).abs() < 1e-12);
        // Beyond the last knot, the last slope (2 per token).
        assert!((c.at(10.0) - 18.0).abs() < 1e-12);
        let l = Curve::line(3.0, 0.5);
        assert!((l.at(1.0) - 3.5).abs() < 1e-12 && (l.at(8.0) - 7.0).abs() < 1e-12);
        let s = c.scaled_plus(2.0, 1.0, 0.5);
        assert!((s.at(3.0) - (2.0 * 4.0 + 3.0 + 0.5)).abs() < 1e-12);
        assert!((s.at(10.0) - (2.0 * 18.0 + 10.0 + 0.5)).abs() < 1e-12);
    }

    #[test]
    fn tensor_parallel_all_reduces_follow_the_measured_table() {
        use crate::gpu::GpuCatalog;
        use crate::model::ModelCatalog;
        let fits = KernelFits::embedded();
        let model = ModelCatalog::get("llama-3.1-405b").unwrap();
        let gpu = GpuCatalog::embedded().get("h200").unwrap().clone();
        let eff = crate::engine::efficiency(
            crate::engine::EngineCatalog::embedded()
                .get("trtllm")
                .unwrap(),
            &gpu,
            "fp8",
            fits,
        );
        let curve = all_reduce_curve(&model, &gpu, &eff, "trtllm", fits, 8);
        let per_call = |tokens: f64| curve.at(tokens) / (2.0 * model.layers as f64);
        // 2,048 tokens of 16,384 16-bit values are a 64 MiB message: the measured knot itself.
        let fit = fits.all_reduce("trtllm", "h200", "graph").unwrap();
        let knot = fit
            .knots
            .iter()
            .find(|k| k[0] == 8.0 && k[1] == 67_108_864.0)
            .unwrap();
        assert!((per_call(2048.0) - knot[2] * 1e-6).abs() < 1e-12);
        // The ring formula fitted to the same table is far slower there (the large-message regime).
        let t = 8.0;
        let ring = 2.0 * (t - 1.0) / t * 67_108_864.0 / (gpu.link_gb_per_s * 1e9 * eff.link)
            + 2.0 * (t - 1.0) * eff.link_latency_s
            + eff.all_reduce_fixed_s;
        assert!(
            ring > 1.3 * per_call(2048.0),
            "{ring} vs {}",
            per_call(2048.0)
        );
        // No TP, no all-reduce; an unmeasured GPU count falls back to the formula, still growing with tokens.
        assert_eq!(
            all_reduce_curve(&model, &gpu, &eff, "trtllm", fits, 1).at(512.0),
            0.0
        );
        let six = all_reduce_curve(&model, &gpu, &eff, "trtllm", fits, 6);
        assert!(six.at(1024.0) > six.at(16.0) && six.at(16.0) > 0.0);
    }

    #[test]
    fn knots_below_one_token_collapse_and_the_curve_never_falls() {
        let c = Curve::through(&[
            (0.01, 5.0),
            (0.1, 4.0),
            (0.5, 6.0),
            (8.0, 6.0),
            (16.0, 10.0),
        ]);
        assert_eq!(c.at(1.0), 6.0);
        let mut last = 0.0;
        for t in [1.0, 2.0, 8.0, 12.0, 16.0, 64.0] {
            assert!(c.at(t) >= last);
            last = c.at(t);
        }
        assert!((c.at(12.0) - 8.0).abs() < 1e-12);
    }
}
