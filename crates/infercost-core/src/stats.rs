//! Descriptive statistics: exact nearest-rank percentiles for traces, a log-bucketed histogram for simulations,
//! and the `trace stats` summary of a workload.

use crate::units::SimTime;
use crate::workload::{Request, Workload, NO_SESSION};
use serde::Serialize;
use std::collections::BTreeMap;

/// Mean, percentiles, max and total of a set of counts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Summary {
    /// Arithmetic mean.
    pub mean: f64,
    /// Median (nearest rank).
    pub p50: f64,
    /// 90th percentile (nearest rank).
    pub p90: f64,
    /// 99th percentile (nearest rank).
    pub p99: f64,
    /// Largest value.
    pub max: f64,
    /// Sum of all values.
    pub total: f64,
}

/// The nearest-rank percentile `p` (0–100] of sorted values: the smallest value with at least p% at or below it.
pub fn nearest_rank(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let n = sorted.len();
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    sorted[rank.clamp(1, n) - 1]
}

impl Summary {
    /// Exact summary of a set of counts (sorts a copy of them).
    pub fn of_counts(values: &mut [u32]) -> Summary {
        if values.is_empty() {
            return Summary::default();
        }
        values.sort_unstable();
        let total: u64 = values.iter().map(|&v| v as u64).sum();
        Summary {
            mean: total as f64 / values.len() as f64,
            p50: nearest_rank(values, 50.0) as f64,
            p90: nearest_rank(values, 90.0) as f64,
            p99: nearest_rank(values, 99.0) as f64,
            max: *values.last().unwrap_or(&0) as f64,
            total: total as f64,
        }
    }
}

/// A histogram of non-negative integers (nanoseconds, say) with relative bucket width below 1/128,
/// so memory stays constant however many values it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct LogHistogram {
    counts: Vec<u64>,
    n: u64,
    sum: f64,
    max: u64,
}

const SUB_BITS: u32 = 7;
const SUB: u64 = 1 << SUB_BITS;

impl Default for LogHistogram {
    fn default() -> Self {
        LogHistogram::new()
    }
}

impl LogHistogram {
    /// An empty histogram.
    pub fn new() -> LogHistogram {
        LogHistogram {
            counts: vec![0; (64 - SUB_BITS as usize + 1) * SUB as usize],
            n: 0,
            sum: 0.0,
            max: 0,
        }
    }

    fn index(v: u64) -> usize {
        if v < SUB {
            return v as usize;
        }
        let msb = 63 - v.leading_zeros();
        let shift = msb - SUB_BITS;
        let bucket = (shift + 1) as u64;
        let sub = (v >> shift) - SUB;
        (bucket * SUB + sub) as usize
    }

    fn lower(i: usize) -> u64 {
        let bucket = i as u64 / SUB;
        let sub = i as u64 % SUB;
        if bucket == 0 {
            return sub;
        }
        let shift = bucket - 1;
        (SUB + sub) << shift
    }

    fn upper(i: usize) -> u64 {
        let bucket = i as u64 / SUB;
        if bucket == 0 {
            return i as u64;
        }
        Self::lower(i) + (1u64 << (bucket - 1)) - 1
    }

    /// Adds one value.
    pub fn record(&mut self, v: u64) {
        self.counts[Self::index(v)] += 1;
        self.n += 1;
        self.sum += v as f64;
        self.max = self.max.max(v);
    }

    /// Adds `n` copies of one value (a batch's tokens that all waited the same iteration).
    pub fn record_n(&mut self, v: u64, n: u64) {
        if n == 0 {
            return;
        }
        self.counts[Self::index(v)] += n;
        self.n += n;
        self.sum += v as f64 * n as f64;
        self.max = self.max.max(v);
    }

    /// Adds all values of another histogram.
    pub fn merge(&mut self, o: &LogHistogram) {
        for (a, b) in self.counts.iter_mut().zip(&o.counts) {
            *a += b;
        }
        self.n += o.n;
        self.sum += o.sum;
        self.max = self.max.max(o.max);
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// Mean of the values (exact).
    pub fn mean(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.sum / self.n as f64
        }
    }

    /// Largest value (exact).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// Nearest-rank percentile, reported as the upper edge of its bucket (never below the true value,
    /// at most 1/128 above it).
    pub fn percentile(&self, p: f64) -> u64 {
        if self.n == 0 {
            return 0;
        }
        let rank = ((p / 100.0) * self.n as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Self::upper(i).min(self.max);
            }
        }
        self.max
    }

    /// Fraction of values at or below `v` (counting whole buckets whose upper edge is ≤ v).
    pub fn fraction_at_most(&self, v: u64) -> f64 {
        if self.n == 0 {
            return 1.0;
        }
        let mut below = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            if Self::upper(i) <= v {
                below += c;
            } else {
                break;
            }
        }
        below as f64 / self.n as f64
    }
}

/// The highest windowed rate over the mean rate, by window length.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct PeakToMean {
    /// Over 1-second windows.
    #[serde(rename = "1s")]
    pub s1: f64,
    /// Over 60-second windows.
    #[serde(rename = "60s")]
    pub s60: f64,
    /// Over 3600-second windows.
    #[serde(rename = "3600s")]
    pub s3600: f64,
}

/// Concurrent sessions over time.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Concurrency {
    /// Most sessions open at once (a session is open from its first to its last request).
    pub peak: u64,
    /// Time-averaged number of open sessions.
    pub mean: f64,
}

/// What `trace stats` reports about a workload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceStats {
    /// The format the file was read as.
    pub format: String,
    /// Valid requests read.
    pub requests: u64,
    /// Rows skipped as malformed.
    pub malformed_rows: u64,
    /// Whether the file had arrival times (length-only files do not; time fields are then null).
    pub has_timestamps: bool,
    /// First to last arrival, seconds.
    pub duration_s: Option<f64>,
    /// Requests per second over the duration.
    pub mean_rate_rps: Option<f64>,
    /// Prompt tokens per request.
    pub input_tokens: Summary,
    /// Generated tokens per request.
    pub output_tokens: Summary,
    /// Coefficient of variation of inter-arrival gaps (1 for Poisson).
    pub interarrival_cv: Option<f64>,
    /// Burstiness: the highest windowed rate over the mean.
    pub peak_to_mean: Option<PeakToMean>,
    /// Requests per hour of day, 24 entries (UTC when the trace has wall-clock times, else from the first arrival).
    pub rate_by_hour: Option<Vec<u64>>,
    /// Distinct sessions, when the trace has a session column.
    pub sessions: u64,
    /// Concurrent sessions, when the trace has sessions.
    pub concurrent_sessions: Option<Concurrency>,
    /// Requests per region, when the trace has regions.
    pub regions: BTreeMap<String, u64>,
}

fn peak_over(arrivals: &[Request], window: SimTime, mean_rate: f64) -> f64 {
    if arrivals.is_empty() || mean_rate <= 0.0 {
        return 0.0;
    }
    // A window longer than the trace is the whole trace: its rate is the mean.
    let span = arrivals[arrivals.len() - 1]
        .arrival
        .since(arrivals[0].arrival);
    if window > span {
        return 1.0;
    }
    // Sliding window: the most arrivals in any half-open window of this length.
    let mut best = 0usize;
    let mut lo = 0usize;
    for hi in 0..arrivals.len() {
        while arrivals[hi].arrival.0 - arrivals[lo].arrival.0 >= window.0 {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    let window_s = window.as_secs_f64();
    (best as f64 / window_s) / mean_rate
}

/// Computes the statistics of a workload read from a file of the given format.
pub fn trace_stats(w: &Workload, format: &str, malformed_rows: u64) -> TraceStats {
    let mut ins: Vec<u32> = w.requests.iter().map(|r| r.input_tokens).collect();
    let mut outs: Vec<u32> = w.requests.iter().map(|r| r.output_tokens).collect();
    let input_tokens = Summary::of_counts(&mut ins);
    let output_tokens = Summary::of_counts(&mut outs);
    drop((ins, outs));
    let n = w.requests.len();
    let mut regions = BTreeMap::new();
    for r in &w.requests {
        if let Some(name) = w.regions.get(r.region as usize) {
            *regions.entry(name.clone()).or_insert(0) += 1;
        }
    }
    let sessions = w.session_count() as u64;
    let mut st = TraceStats {
        format: format.to_string(),
        requests: n as u64,
        malformed_rows,
        has_timestamps: w.has_timestamps,
        duration_s: None,
        mean_rate_rps: None,
        input_tokens,
        output_tokens,
        interarrival_cv: None,
        peak_to_mean: None,
        rate_by_hour: None,
        sessions,
        concurrent_sessions: None,
        regions,
    };
    if !w.has_timestamps || n == 0 {
        return st;
    }
    // Computed straight from the requests: no copy of the arrival times.
    let arrivals = &w.requests;
    let duration = w.span();
    let duration_s = duration.as_secs_f64();
    st.duration_s = Some(duration_s);
    // A trace of one instant (an offline batch sent at t=0) has no rate: leave it undefined rather than invent
    // one. The burstiness figures below need a rate too.
    if duration_s > 0.0 {
        rate_figures(&mut st, arrivals, duration_s);
    }
    let origin = w.epoch_origin_s.unwrap_or(0.0);
    let mut by_hour = vec![0u64; 24];
    for r in arrivals {
        let s = origin + r.arrival.as_secs_f64();
        let h = ((s / 3600.0).floor() as i64).rem_euclid(24) as usize;
        by_hour[h] += 1;
    }
    st.rate_by_hour = Some(by_hour);
    if sessions > 0 {
        st.concurrent_sessions = Some(session_concurrency(w));
    }
    st
}

/// The figures that need a rate: mean rate, inter-arrival CV and peak-to-mean. Only for a positive duration.
fn rate_figures(st: &mut TraceStats, arrivals: &[Request], duration_s: f64) {
    let n = arrivals.len();
    let mean_rate = (n as f64 - 1.0).max(1.0) / duration_s;
    st.mean_rate_rps = Some(n as f64 / duration_s);
    if n >= 3 {
        let gaps = || {
            arrivals
                .windows(2)
                .map(|p| (p[1].arrival.0 - p[0].arrival.0) as f64)
        };
        let count = (n - 1) as f64;
        let m = gaps().sum::<f64>() / count;
        if m > 0.0 {
            let var = gaps().map(|g| (g - m) * (g - m)).sum::<f64>() / count;
            st.interarrival_cv = Some(var.sqrt() / m);
        }
    }
    st.peak_to_mean = Some(PeakToMean {
        s1: peak_over(arrivals, SimTime::from_secs(1), mean_rate),
        s60: peak_over(arrivals, SimTime::from_secs(60), mean_rate),
        s3600: peak_over(arrivals, SimTime::from_secs(3600), mean_rate),
    });
}

fn session_concurrency(w: &Workload) -> Concurrency {
    let mut span: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
    for r in &w.requests {
        if r.session == NO_SESSION {
            continue;
        }
        let e = span.entry(r.session).or_insert((r.arrival.0, r.arrival.0));
        e.0 = e.0.min(r.arrival.0);
        e.1 = e.1.max(r.arrival.0);
    }
    // Sweep over open (+1) and close (-1) events; a close sorts after an open at the same instant.
    let mut events: Vec<(u64, i8)> = Vec::with_capacity(span.len() * 2);
    for &(a, b) in span.values() {
        events.push((a, 1));
        events.push((b, -1));
    }
    events.sort_unstable_by_key(|&(t, d)| (t, -d));
    let (mut open, mut peak, mut area) = (0i64, 0i64, 0f64);
    let mut last = events.first().map(|e| e.0).unwrap_or(0);
    for &(t, d) in &events {
        area += open as f64 * (t - last) as f64;
        last = t;
        open += d as i64;
        peak = peak.max(open);
    }
    let total = w.span().0 as f64;
    Concurrency {
        peak: peak as u64,
        mean: if total > 0.0 {
            area / total
        } else {
            peak as f64
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_matches_definition() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(nearest_rank(&v, 50.0), 50);
        assert_eq!(nearest_rank(&v, 99.0), 99);
        assert_eq!(nearest_rank(&v, 100.0), 100);
        assert_eq!(nearest_rank(&[7], 1.0), 7);
    }

    #[test]
    fn recording_n_copies_is_recording_each() {
        let (mut once, mut each) = (LogHistogram::new(), LogHistogram::new());
        for (v, n) in [(5_000u64, 3u64), (70_000, 0), (1_000_000, 2)] {
            once.record_n(v, n);
            for _ in 0..n {
                each.record(v);
            }
        }
        assert_eq!(once, each);
        assert_eq!(once.count(), 5);
        assert_eq!(once.percentile(50.0), each.percentile(50.0));
    }

    #[test]
    fn histogram_percentiles_are_within_one_percent() {
        let mut h = LogHistogram::new();
        for v in 1..=100_000u64 {
            h.record(v * 1000);
        }
        for p in [50.0, 90.0, 99.0] {
            let exact = (p / 100.0 * 100_000.0) * 1000.0;
            let got = h.percentile(p) as f64;
            assert!(
                got >= exact && got <= exact * 1.01,
                "p{p}: {got} vs {exact}"
            );
        }
        assert_eq!(h.count(), 100_000);
        assert!((h.mean() - 50_000_500.0).abs() < 1.0);
    }

    #[test]
    fn bursty_arrivals_have_high_peak_to_mean() {
        let mut w = Workload::new();
        // 1000 requests in the first second, then one every 100 s for 1000 s: gaps of 1 ms and 100 s.
        for i in 0..1000 {
            w.requests
                .push(Request::new(SimTime(i * 1_000_000), 10, 10));
        }
        for i in 1..=10 {
            w.requests
                .push(Request::new(SimTime::from_secs(i * 100), 10, 10));
        }
        let s = trace_stats(&w, "test", 0);
        let p = s.peak_to_mean.unwrap();
        assert!(p.s1 > 500.0, "{p:?}");
        assert!(s.interarrival_cv.unwrap() > 8.0, "{:?}", s.interarrival_cv);
    }
    #[test]
    fn a_batch_at_one_instant_has_no_rate() {
        let mut w = Workload::new();
        for _ in 0..20 {
            w.requests.push(Request::new(SimTime::ZERO, 100, 10));
        }
        let st = trace_stats(&w, "jsonl", 0);
        assert_eq!(st.duration_s, Some(0.0));
        assert_eq!(st.mean_rate_rps, None);
        assert_eq!(st.peak_to_mean, None);
        assert_eq!(st.rate_by_hour.unwrap()[0], 20);
    }
}
