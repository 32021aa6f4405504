//! The scorecard's statistics: median and 90th-percentile absolute error per engine, per GPU and overall, and
//! the rows not modelled counted by reason.

use super::{Scored, Status};
use serde::Serialize;
use std::collections::BTreeMap;

/// The error of a set of modelled rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stat {
    /// Modelled rows.
    pub rows: usize,
    /// Median of |predicted / published − 1| (null when no row is modelled).
    pub median_abs_error: Option<f64>,
    /// 90th percentile (nearest rank) of the same (null when no row is modelled).
    pub p90_abs_error: Option<f64>,
    /// The largest of the same (null when no row is modelled).
    pub max_abs_error: Option<f64>,
}

impl Stat {
    /// The statistics of these errors (signed; their absolute values are ranked).
    pub fn of(errors: &[f64]) -> Stat {
        let mut abs: Vec<f64> = errors.iter().map(|e| e.abs()).collect();
        abs.sort_by(f64::total_cmp);
        Stat {
            rows: abs.len(),
            median_abs_error: median(&abs),
            p90_abs_error: nearest_rank(&abs, 0.9),
            max_abs_error: abs.last().copied(),
        }
    }
}

/// The median of sorted values (the mean of the middle two for an even count; none of none).
fn median(sorted: &[f64]) -> Option<f64> {
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[n / 2]),
        n => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The nearest-rank quantile `q` of sorted values (none of none).
fn nearest_rank(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// `throughput` for a rate (a metric per second), else `latency`.
pub fn metric_kind(metric: &str) -> &'static str {
    if metric.ends_with("_per_s") {
        "throughput"
    } else {
        "latency"
    }
}

/// The scorecard's summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Per engine, over its modelled rows.
    pub by_engine: BTreeMap<String, Stat>,
    /// Per catalog GPU, over its modelled rows.
    pub by_gpu: BTreeMap<String, Stat>,
    /// Per engine release line as the sources state it (`trtllm 1.0`, `vllm n/s`).
    pub by_release: BTreeMap<String, Stat>,
    /// Per kind of metric: `throughput` (tokens or requests per second) or `latency` (TTFT, TPOT, ITL, end to end).
    pub by_metric: BTreeMap<String, Stat>,
    /// Over every modelled row.
    pub overall: Stat,
    /// Rows predicted.
    pub modelled: usize,
    /// Rows listed with a reason instead.
    pub not_modelled: usize,
    /// Rows not modelled, by reason.
    pub reasons: BTreeMap<String, usize>,
}

/// Summarises scored rows.
pub fn summarise(rows: &[Scored]) -> Summary {
    let mut by_engine: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut by_gpu: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut by_release: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut by_metric: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut all = Vec::new();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for r in rows {
        match (r.status, r.error) {
            (Status::Modelled, Some(e)) => {
                by_engine.entry(r.engine.clone()).or_default().push(e);
                by_gpu.entry(r.gpu.clone()).or_default().push(e);
                let release = format!("{} {}", r.engine, r.engine_release);
                by_release.entry(release).or_default().push(e);
                by_metric
                    .entry(metric_kind(&r.metric).into())
                    .or_default()
                    .push(e);
                all.push(e);
            }
            _ => {
                let label = r.reason.as_deref().unwrap_or("unknown");
                let label = label.split(": ").next().unwrap_or(label);
                *reasons.entry(label.to_string()).or_default() += 1;
            }
        }
    }
    let stats = |m: BTreeMap<String, Vec<f64>>| -> BTreeMap<String, Stat> {
        m.into_iter().map(|(k, v)| (k, Stat::of(&v))).collect()
    };
    Summary {
        by_engine: stats(by_engine),
        by_gpu: stats(by_gpu),
        by_release: stats(by_release),
        by_metric: stats(by_metric),
        overall: Stat::of(&all),
        modelled: all.len(),
        not_modelled: rows.len() - all.len(),
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_p90_of_absolute_errors() {
        let s = Stat::of(&[-0.5, 0.1, 0.2, -0.3, 0.05]);
        assert_eq!(s.rows, 5);
        assert_eq!(s.median_abs_error, Some(0.2));
        assert_eq!(s.p90_abs_error, Some(0.5));
        assert_eq!(s.max_abs_error, Some(0.5));
        let even = Stat::of(&[0.1, -0.3]);
        assert!((even.median_abs_error.unwrap() - 0.2).abs() < 1e-12);
        // No rows, no statistic: never a 0% that reads as a perfect score.
        let none = Stat::of(&[]);
        assert_eq!(
            (none.rows, none.median_abs_error, none.p90_abs_error),
            (0, None, None)
        );
    }
}
