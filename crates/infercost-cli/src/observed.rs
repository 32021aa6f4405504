//! Latencies a request log recorded (LiteLLM's completion start and end, OTLP span times), as the percentiles
//! `trace stats` prints and `backtest` compares the simulator with.

use serde::Serialize;

/// Exact nearest-rank percentiles of latencies in milliseconds, and how many requests they come from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct Percentiles {
    pub(crate) p50: f64,
    pub(crate) p90: f64,
    pub(crate) p99: f64,
    pub(crate) requests: u64,
}

impl Percentiles {
    /// None for no values: a log without this timing.
    pub(crate) fn of(values: &[f64]) -> Option<Percentiles> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let at = |p: f64| v[((p / 100.0 * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        Some(Percentiles {
            p50: at(50.0),
            p90: at(90.0),
            p99: at(99.0),
            requests: v.len() as u64,
        })
    }
}
