//! The three variables as workload transforms (volume, context length, burstiness) and synthetic workloads.
//!
//! Every transform is a pure function of its inputs and a seed: the same seed gives the same workload.
//! `volume` scales the request count, `context` the token lengths, `burst` the arrival shape, and `synth`
//! builds workloads from distributions; the errors they share live here.

mod burst;
mod context;
pub mod day;
mod synth;
mod volume;

pub use burst::{burst, BURST_CYCLE};
pub use context::{scale_context, scale_output};
pub use synth::{
    ln_gamma, lognormal_params, synth, Arrival, Diurnal, Lengths, Sessions, PREFIX_BLOCK_TOKENS,
};
pub use volume::{scale_volume, VolumeMode};

use thiserror::Error;

/// A transform parameter that makes no sense; the simulation cannot start from it.
#[derive(Debug, Error, PartialEq)]
pub enum TransformError {
    /// A parameter outside its valid range.
    #[error("{name} must be {expected}, got {value}")]
    Invalid {
        /// The parameter's name as the user typed it.
        name: &'static str,
        /// What was expected.
        expected: &'static str,
        /// The value given.
        value: String,
    },
    /// A parameter that would make a result too large to hold: a request past the token limit, a workload past
    /// the memory of any machine.
    #[error("{what} gives {} {unit}, above the limit of {}", big(*value), crate::fmt::int(*limit))]
    TooLarge {
        /// What was being computed, with the parameters that led to it.
        what: String,
        /// The value it would reach.
        value: f64,
        /// The limit.
        limit: f64,
        /// The unit of both.
        unit: &'static str,
    },
}

/// A parameter as the user would have typed it: `4`, `0.5`, `1e30`.
pub(super) fn typed(x: f64) -> String {
    if x != 0.0 && (x.abs() >= 1e9 || x.abs() < 1e-4) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// A count for an error message: digits while they stay readable, scientific notation past that.
pub(super) fn big(x: f64) -> String {
    if x.is_finite() && x.abs() < 1e15 {
        crate::fmt::int(x)
    } else {
        format!("{x:.3e}")
    }
}

pub(super) fn invalid(
    name: &'static str,
    expected: &'static str,
    value: impl ToString,
) -> TransformError {
    TransformError::Invalid {
        name,
        expected,
        value: value.to_string(),
    }
}

/// The most requests a transform builds: 2³¹ requests are 64 GiB of memory, past any machine this runs on.
pub const MAX_REQUESTS: u64 = 1 << 31;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::units::SimTime;
    use crate::workload::{Request, Workload};

    fn pilot(n: u64) -> Workload {
        let mut w = Workload::new();
        let mut rng = Rng::new(3);
        let mut t = 0.0;
        for _ in 0..n {
            t += rng.exp1();
            w.requests.push(Request::new(
                SimTime::from_secs_f64(t),
                1 + rng.below(1000) as u32,
                1 + rng.below(300) as u32,
            ));
        }
        w
    }

    #[test]
    fn integer_volume_multiplies_counts_and_tokens_exactly() {
        let w = pilot(500);
        for mode in [VolumeMode::Users, VolumeMode::Compress] {
            let s = scale_volume(&w, 7.0, mode, 1).unwrap();
            assert_eq!(s.len(), 3500);
            assert_eq!(s.input_tokens(), 7 * w.input_tokens());
            assert_eq!(s.output_tokens(), 7 * w.output_tokens());
            assert!(s.requests.windows(2).all(|p| p[0].arrival <= p[1].arrival));
            let rate = s.len() as f64 / s.span().as_secs_f64();
            let base = w.len() as f64 / w.span().as_secs_f64();
            assert!(
                (rate / base - 7.0).abs() < 0.1,
                "{mode:?}: {rate} vs {base}"
            );
        }
    }

    #[test]
    fn transforms_keep_their_invariants_for_random_inputs() {
        // Property test over seeds and parameters: counts, token sums, mean rate, order and determinism.
        for seed in 0..25u64 {
            let mut rng = Rng::new(seed);
            let w = pilot(100 + rng.below(900));
            let k = 1 + rng.below(20);
            let mode = if seed % 2 == 0 {
                VolumeMode::Users
            } else {
                VolumeMode::Compress
            };
            let s = scale_volume(&w, k as f64, mode, seed).unwrap();
            assert_eq!(s.len() as u64, k * w.len() as u64);
            assert_eq!(s.output_tokens(), k * w.output_tokens());
            assert!(s.requests.windows(2).all(|p| p[0].arrival <= p[1].arrival));
            assert!(s.span() <= w.span() + SimTime::from_secs(1));
            assert_eq!(s, scale_volume(&w, k as f64, mode, seed).unwrap());
            let mut c = s.clone();
            let mult = 0.5 + rng.f64() * 4.0;
            scale_context(&mut c, mult, 0).unwrap();
            let expect: u64 = s
                .requests
                .iter()
                .map(|r| ((r.input_tokens as f64 * mult).round() as u64).max(1))
                .sum();
            assert_eq!(c.input_tokens(), expect);
            let b = 1.0 + rng.f64() * 4.0;
            let mut bursty = s.clone();
            burst(&mut bursty, b, seed).unwrap();
            assert_eq!(bursty.len(), s.len());
            assert_eq!(bursty.input_tokens(), s.input_tokens());
            // The mean rate is kept: arrivals stay within the same cycles, so the span moves by under a cycle.
            assert!(bursty.span().0 <= s.span().0 + BURST_CYCLE.0);
        }
    }

    #[test]
    fn fractional_volume_is_seeded() {
        let w = pilot(1000);
        let a = scale_volume(&w, 2.5, VolumeMode::Users, 9).unwrap();
        let b = scale_volume(&w, 2.5, VolumeMode::Users, 9).unwrap();
        assert_eq!(a, b);
        assert!((a.len() as f64 - 2500.0).abs() < 60.0, "{}", a.len());
        assert!(scale_volume(&w, -1.0, VolumeMode::Users, 1).is_err());
    }

    #[test]
    fn burst_keeps_count_and_span_but_raises_peak() {
        let mut w = pilot(20_000);
        let before = crate::stats::trace_stats(&w, "t", 0);
        let span = w.span();
        burst(&mut w, 3.0, 5).unwrap();
        let after = crate::stats::trace_stats(&w, "t", 0);
        assert_eq!(after.requests, 20_000);
        assert!(w.span() <= span);
        let (b, a) = (
            before.peak_to_mean.unwrap().s60,
            after.peak_to_mean.unwrap().s60,
        );
        assert!(a > 2.2 * b, "peak-to-mean 60 s {b} -> {a}");
    }

    #[test]
    fn synth_poisson_has_rate_and_cv() {
        let l = Lengths::parse_lognormal("lognormal:1000,8000,200,1000").unwrap();
        let w = synth(
            50.0,
            2000.0,
            Arrival::Poisson,
            &l,
            &Diurnal::flat(),
            None,
            2,
        )
        .unwrap();
        let s = crate::stats::trace_stats(&w, "synth", 0);
        assert!((s.mean_rate_rps.unwrap() - 50.0).abs() < 1.5);
        assert!((s.interarrival_cv.unwrap() - 1.0).abs() < 0.03);
        assert!(
            (s.input_tokens.mean - 1000.0).abs() < 40.0,
            "{}",
            s.input_tokens.mean
        );
        let g = synth(
            50.0,
            2000.0,
            Arrival::Gamma { cv: 3.0 },
            &l,
            &Diurnal::flat(),
            None,
            2,
        )
        .unwrap();
        let gs = crate::stats::trace_stats(&g, "synth", 0);
        assert!((gs.interarrival_cv.unwrap() - 3.0).abs() < 0.3);
        let wb = synth(
            50.0,
            2000.0,
            Arrival::Weibull { shape: 0.5 },
            &l,
            &Diurnal::flat(),
            None,
            2,
        )
        .unwrap();
        let ws = crate::stats::trace_stats(&wb, "synth", 0);
        assert!((ws.mean_rate_rps.unwrap() - 50.0).abs() < 3.0);
    }

    #[test]
    fn diurnal_shapes_rate_by_hour() {
        let mut weights = vec![1.0; 24];
        weights[12] = 4.0;
        let d = Diurnal::new(&weights).unwrap();
        let l = Lengths::Empirical(vec![(10, 10)]);
        let w = synth(2.0, 86_400.0, Arrival::Poisson, &l, &d, None, 1).unwrap();
        let by_hour = crate::stats::trace_stats(&w, "s", 0).rate_by_hour.unwrap();
        let ratio = by_hour[12] as f64 / by_hour[3] as f64;
        assert!((ratio - 4.0).abs() < 0.5, "{by_hour:?}");
    }

    #[test]
    fn sessions_carry_history() {
        let l = Lengths::Empirical(vec![(600, 100)]);
        let s = Sessions {
            concurrent: 10,
            mean_turns: 5.0,
            think_time_s: 5.0,
        };
        let w = synth(
            1.0,
            600.0,
            Arrival::Poisson,
            &l,
            &Diurnal::flat(),
            Some(s),
            1,
        )
        .unwrap();
        let st = crate::stats::trace_stats(&w, "s", 0);
        assert!(st.sessions > 10);
        let c = st.concurrent_sessions.unwrap();
        assert!(c.peak <= 10 && c.peak >= 5, "{c:?}");
        // A second turn's prompt holds the first turn's prompt and answer.
        assert!(w.requests.iter().any(|r| r.input_tokens == 600 + 100 + 600));
        assert!(w.requests.iter().any(|r| r.prefix_len >= 2));
    }

    #[test]
    fn lognormal_rejects_impossible_shapes() {
        assert!(lognormal_params(100.0, 50.0).is_err());
        let (mu, s) = lognormal_params(100.0, 500.0).unwrap();
        assert!(((mu + s * s / 2.0).exp() - 100.0).abs() < 1e-9);
        assert!(((mu + 2.326_347_874 * s).exp() - 500.0).abs() < 1e-6);
    }

    #[test]
    fn ln_gamma_is_accurate() {
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
    }
    #[test]
    fn context_and_output_past_the_token_limit_are_errors() {
        let mut w = pilot(10);
        let e = scale_context(&mut w, 1e30, 0).unwrap_err().to_string();
        assert!(
            e.contains("--context-mult 1e30") && e.contains("10,000,000"),
            "{e}"
        );
        let e = scale_context(&mut w, 1.0, 20_000_000)
            .unwrap_err()
            .to_string();
        assert!(e.contains("above the limit"), "{e}");
        let e = scale_output(&mut w, 1e12).unwrap_err().to_string();
        assert!(e.contains("--output-mult"), "{e}");
        // Nothing was changed by the refused calls.
        assert_eq!(w.requests, pilot(10).requests);
        let e = scale_volume(&w, 1e12, VolumeMode::Users, 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("requests"), "{e}");
    }
}
