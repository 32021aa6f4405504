//! What a simulation reports: the merged metrics of the simulated groups scaled to the whole fleet, latency
//! summaries, SLO attainment, the timeline, and confidence intervals when groups were sampled.

use super::SimConfig;
use crate::metrics::{Bucket, LatencySummary, Metrics, RequestRecord};
use serde::Serialize;

/// One timeline row.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TimelineRow {
    /// Bucket start, seconds.
    pub t_s: f64,
    /// Mean replicas provisioned over the bucket.
    pub replicas: f64,
    /// Offered load over the bucket's provisioned capacity (needs the replica capacity; 0 without it).
    pub busy_fraction: f64,
    /// Replica-seconds running iterations over provisioned replica-seconds.
    pub engine_active_fraction: f64,
    /// Mean running batch size while busy.
    pub mean_batch: f64,
    /// Mean KV-cache use while provisioned (fraction of blocks).
    pub kv_use: f64,
    /// Requests that arrived.
    pub arrivals: u64,
}

/// A 95% confidence interval from sampled groups.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

/// What a serving benchmark reports of a closed-loop run (`vllm bench serve`, GuideLLM, genai-perf), over its
/// duration: from the first request sent to the last completion.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct ClosedLoopSummary {
    /// Clients, each with one request in flight at a time.
    pub clients: u32,
    /// From the first request sent to the last completion, seconds.
    pub duration_s: f64,
    /// Completed requests per second.
    pub request_throughput: f64,
    /// Output tokens of completed requests per second.
    pub output_token_throughput: f64,
    /// Prompt and output tokens of completed requests per second.
    pub total_token_throughput: f64,
    /// Time to first token, ms (`p50` is the median).
    pub ttft_ms: LatencySummary,
    /// Time per output token after the first, per request, ms.
    pub tpot_ms: LatencySummary,
    /// Inter-token latency, per output token after a request's first, ms.
    pub itl_ms: LatencySummary,
}

/// What a simulation reports.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct SimResult {
    /// Requests offered (extrapolated when groups are sampled).
    pub requests: u64,
    /// Requests completed.
    pub completed: u64,
    /// Requests not completed: too large for one replica, or still in flight at the horizon.
    pub unfinished: u64,
    /// Requests refused because the prompt reaches `max_model_len` (not served; SLO misses).
    pub rejected: u64,
    /// Requests served with their output cut at `max_model_len`.
    pub truncated: u64,
    /// Of those, requests larger than one replica's KV cache.
    pub unservable: u64,
    /// Preemptions (recomputes).
    pub preemptions: u64,
    /// Time to first token, ms.
    pub ttft_ms: LatencySummary,
    /// Time per output token after the first, ms.
    pub tpot_ms: LatencySummary,
    /// End-to-end latency, ms.
    pub e2e_ms: LatencySummary,
    /// Queueing delay before first scheduled, ms.
    pub queue_ms: LatencySummary,
    /// Output tokens per second over the makespan.
    pub output_tokens_per_s: f64,
    /// The fleet's busy fraction as bills use it: offered load over replicas × one replica's capacity within
    /// the SLO (`capacity::replica_capacity`). `None` when no capacity was given (no SLO to measure it by).
    pub gpu_busy_fraction: Option<f64>,
    /// Replica time spent running iterations over provisioned time. Continuous batching iterates whenever any
    /// request is in flight, so this is near 1 under any steady load: it says the engine is awake, not how much
    /// more load the fleet could take.
    pub engine_active_fraction: f64,
    /// Requests per second offered, over the span of arrivals.
    pub offered_rps: f64,
    /// Last completion, seconds.
    pub makespan_s: f64,
    /// Fraction of offered requests served meeting both SLO targets; rejected, unservable and unfinished
    /// requests are misses.
    pub slo_attainment: Option<f64>,
    /// Whether the SLO's percentile of TTFT and of TPOT are within target.
    pub meets_slo: Option<bool>,
    /// Completed requests meeting the SLO per second of makespan.
    pub goodput_rps: Option<f64>,
    /// Whether the fleet fell behind: requests kept waiting for admission long after the last arrival.
    pub overloaded: bool,
    /// Longest queue on one replica.
    pub max_queue: u64,
    /// Replica-seconds provisioned.
    pub replica_seconds: f64,
    /// Replica-seconds busy.
    pub busy_replica_seconds: f64,
    /// Engine iterations simulated (jumped ones included).
    pub iterations: u64,
    /// Replica groups, and how many were simulated.
    pub groups: u32,
    /// Groups simulated.
    pub groups_simulated: u32,
    /// 95% interval of the busy fraction across sampled groups.
    pub busy_fraction_ci: Option<Interval>,
    /// 95% interval of p99 TTFT (ms) across sampled groups.
    pub ttft_p99_ci_ms: Option<Interval>,
    /// Per bucket.
    pub timeline: Vec<TimelineRow>,
    /// The benchmark's figures, when the run was a closed loop of clients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_loop: Option<ClosedLoopSummary>,
    /// Per-request records, when asked for.
    #[serde(skip)]
    pub records: Vec<RequestRecord>,
    /// Replicas the autoscaler ordered (extrapolated when groups are sampled).
    pub scale_ups: u64,
    /// Replicas the autoscaler drained.
    pub scale_downs: u64,
    /// Replicas reclaimed (spot interruptions).
    pub interruptions: u64,
    /// Requests restarted on another replica after theirs was reclaimed.
    pub restarted: u64,
    /// What each hour's arrivals met, when the simulation kept hours (`SimConfig::hourly`).
    #[serde(skip)]
    pub hours: Vec<HourOutcome>,
}

/// What the requests that arrived in one hour met.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct HourOutcome {
    /// Requests that arrived (extrapolated when groups are sampled).
    pub requests: u64,
    /// Fraction of them served within both SLO targets.
    pub slo_attainment: f64,
    /// p99 time to first token of those completed, ms; `None` when none completed.
    pub ttft_p99_ms: Option<f64>,
}

/// The 97.5th percentile of Student's t with `df` degrees of freedom: the half-width factor of a 95% interval
/// from a few sampled groups (4.30 from three groups, where the normal 1.96 would claim far too much).
fn student_t_975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        d if d <= T.len() => T[d - 1],
        // Beyond 30 degrees of freedom: the Cornish–Fisher expansion around the normal quantile.
        d => {
            let (z, n) = (1.959_964f64, d as f64);
            z + (z.powi(3) + z) / (4.0 * n)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * n * n)
        }
    }
}

/// How many groups there were and were simulated, the factor from simulated to whole fleet, and each simulated
/// group's (busy fraction, p99 TTFT ms) for the intervals.
pub(super) struct Sampling<'a> {
    pub(super) groups: u32,
    pub(super) simulated: u32,
    pub(super) scale: f64,
    pub(super) per_group: &'a [(f64, f64)],
}

impl Sampling<'_> {
    /// The 95% interval of a per-group figure, when groups were sampled (none when all were simulated).
    fn interval(&self, xs: Vec<f64>) -> Option<Interval> {
        if xs.len() < 2 || self.simulated == self.groups {
            return None;
        }
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let half = student_t_975(xs.len() - 1) * sd / n.sqrt();
        Some(Interval {
            low: mean - half,
            high: mean + half,
        })
    }
}

/// Whether the SLO's percentile of TTFT and of TPOT are within target, over every offered request, a rejected
/// one counting as infinitely late: the P-th percentile over all N requests is the (P·N/C)-th over the C
/// completed ones.
fn meets_slo(m: &Metrics, cfg: &SimConfig) -> Option<bool> {
    cfg.slo.map(|s| {
        let share = s.percentile * m.requests as f64 / m.completed.max(1) as f64;
        let p = |h: &infercost_core::stats::LogHistogram| h.percentile(share) as f64 / 1e6;
        !m.stopped
            && m.completed > 0
            && share <= 100.0
            && p(&m.ttft) <= s.ttft_ms
            && p(&m.tpot) <= s.tpot_ms
            && m.in_flight_at_end == 0
            && m.unservable == 0
    })
}

/// `x / y`, or 0 where `y` is not positive.
#[inline]
fn ratio_or_zero(x: f64, y: f64) -> f64 {
    if y > 0.0 {
        x / y
    } else {
        0.0
    }
}

/// Builds the result from the merged metrics of the simulated groups.
pub(super) fn summarize(
    m: &Metrics,
    cfg: &SimConfig,
    sampling: &Sampling,
    replica_blocks: u64,
) -> SimResult {
    let scale = sampling.scale;
    let sc = |x: u64| (x as f64 * scale).round() as u64;
    let replica_seconds: f64 = m.buckets.iter().map(|b| b.provisioned_s).sum();
    let busy: f64 = m.buckets.iter().map(|b| b.busy_s).sum();
    let makespan_s = m.makespan.as_secs_f64();
    let arrival_span_s = m.last_arrival.since(m.first_arrival).as_secs_f64();
    let offered_rps = ratio_or_zero(m.requests as f64 * scale, arrival_span_s);
    // The fleet the load met: its size when static, its time-averaged size over the run when autoscaled.
    let run_s = m.last_arrival.max(m.makespan).as_secs_f64();
    let fleet = if cfg.autoscaler.is_some() && run_s > 0.0 {
        replica_seconds * scale / run_s
    } else {
        cfg.replicas as f64
    };
    let last_arrival_bucket = m.buckets.iter().rposition(|b| b.arrivals > 0).unwrap_or(0);
    let last_arrival_s = (last_arrival_bucket as u64 + 1) as f64 * cfg.bucket.as_secs_f64();
    // Falling behind shows as a backlog: requests still waiting for a place in a batch long after the last
    // arrival (more than a quarter of the arrival span), new ones or ones preempted for want of KV cache (a
    // replica that admits every short prompt at once and then thrashes is behind too). The makespan would not
    // do: long outputs keep decoding long after a short trace ends on a fleet that keeps up.
    // A closed loop sends only as fast as the fleet answers: it cannot fall behind.
    let overloaded =
        cfg.clients.is_none() && m.last_admission.as_secs_f64() > last_arrival_s * 1.25 + 60.0;
    SimResult {
        requests: sc(m.requests),
        completed: sc(m.completed),
        unfinished: sc(m.unservable + m.in_flight_at_end),
        rejected: sc(m.rejected),
        truncated: sc(m.truncated),
        unservable: sc(m.unservable),
        preemptions: sc(m.preemptions),
        ttft_ms: LatencySummary::of(&m.ttft),
        tpot_ms: LatencySummary::of(&m.tpot),
        e2e_ms: LatencySummary::of(&m.e2e),
        queue_ms: LatencySummary::of(&m.queue),
        output_tokens_per_s: ratio_or_zero(m.output_tokens as f64 * scale, makespan_s),
        gpu_busy_fraction: cfg
            .replica_capacity_rps
            .map(|cap| crate::capacity::busy_fraction(offered_rps, fleet, cap)),
        engine_active_fraction: ratio_or_zero(busy, replica_seconds).min(1.0),
        offered_rps,
        makespan_s,
        slo_attainment: cfg
            .slo
            .map(|_| ratio_or_zero(m.slo_met as f64, m.requests as f64)),
        meets_slo: meets_slo(m, cfg),
        goodput_rps: cfg
            .slo
            .map(|_| ratio_or_zero(m.slo_met as f64 * scale, makespan_s)),
        overloaded,
        max_queue: m.max_queue,
        replica_seconds: replica_seconds * scale,
        busy_replica_seconds: busy * scale,
        iterations: m.iterations,
        groups: sampling.groups,
        groups_simulated: sampling.simulated,
        busy_fraction_ci: sampling.interval(sampling.per_group.iter().map(|x| x.0).collect()),
        ttft_p99_ci_ms: sampling.interval(sampling.per_group.iter().map(|x| x.1).collect()),
        timeline: timeline(m, cfg, scale, replica_blocks),
        closed_loop: cfg
            .clients
            .map(|clients| closed_loop(m, clients, makespan_s)),
        records: m.records.clone(),
        scale_ups: sc(m.scale_ups),
        scale_downs: sc(m.scale_downs),
        interruptions: sc(m.interruptions),
        restarted: sc(m.restarted),
        hours: m
            .hours
            .iter()
            .map(|h| HourOutcome {
                requests: sc(h.requests),
                slo_attainment: ratio_or_zero(h.slo_met as f64, h.requests as f64),
                ttft_p99_ms: (h.ttft.count() > 0).then(|| h.ttft.percentile(99.0) as f64 / 1e6),
            })
            .collect(),
    }
}

/// A closed loop's benchmark figures; its clients all start at time zero, so the makespan is its duration.
fn closed_loop(m: &Metrics, clients: u32, makespan_s: f64) -> ClosedLoopSummary {
    ClosedLoopSummary {
        clients,
        duration_s: makespan_s,
        request_throughput: ratio_or_zero(m.completed as f64, makespan_s),
        output_token_throughput: ratio_or_zero(m.output_tokens as f64, makespan_s),
        total_token_throughput: ratio_or_zero(
            (m.input_tokens + m.output_tokens) as f64,
            makespan_s,
        ),
        ttft_ms: LatencySummary::of(&m.ttft),
        tpot_ms: LatencySummary::of(&m.tpot),
        itl_ms: LatencySummary::of(&m.itl),
    }
}

/// One row per timeline bucket, scaled to the whole fleet.
fn timeline(m: &Metrics, cfg: &SimConfig, scale: f64, replica_blocks: u64) -> Vec<TimelineRow> {
    let w = cfg.bucket.as_secs_f64();
    m.buckets
        .iter()
        .enumerate()
        .map(|(i, b): (usize, &Bucket)| TimelineRow {
            t_s: i as f64 * w,
            replicas: b.provisioned_s * scale / w,
            busy_fraction: match cfg.replica_capacity_rps {
                Some(cap) if b.provisioned_s > 0.0 => {
                    crate::capacity::busy_fraction(b.arrivals as f64 / w, b.provisioned_s / w, cap)
                }
                _ => 0.0,
            },
            // A bucket's busy and provisioned seconds are sums of the same spans cut at its edges; their ratio
            // can round a few ulps above 1 when the engine never idled.
            engine_active_fraction: ratio_or_zero(b.busy_s, b.provisioned_s).min(1.0),
            mean_batch: ratio_or_zero(b.batch_seq_s, b.busy_s),
            kv_use: if b.provisioned_s > 0.0 {
                b.kv_block_s / (b.provisioned_s * replica_blocks as f64)
            } else {
                0.0
            },
            arrivals: (b.arrivals as f64 * scale).round() as u64,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::student_t_975;

    #[test]
    fn t_quantiles_widen_small_samples() {
        assert!((student_t_975(2) - 4.303).abs() < 1e-3);
        assert!((student_t_975(30) - 2.042).abs() < 1e-3);
        // Past the table the expansion joins it smoothly and tends to the normal quantile.
        assert!(
            (student_t_975(31) - 2.040).abs() < 2e-3,
            "{}",
            student_t_975(31)
        );
        assert!((student_t_975(1000) - 1.962).abs() < 1e-3);
    }
}
