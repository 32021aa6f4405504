//! What a simulation measures: latency histograms, SLO attainment, and a timeline of busy time by bucket.

use infercost_core::stats::LogHistogram;
use infercost_core::SimTime;
use serde::{Deserialize, Serialize};

/// A latency target: the P-th percentile of TTFT and of TPOT within these bounds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Slo {
    /// Time-to-first-token target, ms.
    pub ttft_ms: f64,
    /// Time-per-output-token target, ms.
    pub tpot_ms: f64,
    /// The percentile that must meet both (e.g. 99).
    pub percentile: f64,
}

/// Mean and percentiles of a latency, ms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct LatencySummary {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
}

impl LatencySummary {
    /// From a histogram of nanoseconds.
    pub fn of(h: &LogHistogram) -> LatencySummary {
        let ms = |ns: u64| ns as f64 / 1e6;
        LatencySummary {
            mean: h.mean() / 1e6,
            p50: ms(h.percentile(50.0)),
            p90: ms(h.percentile(90.0)),
            p99: ms(h.percentile(99.0)),
        }
    }
}

/// One request's outcome, kept only when asked for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RequestRecord {
    /// Index of the request in the workload.
    pub index: u32,
    /// Replica that served it (within its group).
    pub replica: u32,
    /// Arrival, ns.
    pub arrival_ns: u64,
    /// Waiting before first scheduled, ns.
    pub queue_ns: u64,
    /// Time to first token, ns.
    pub ttft_ns: u64,
    /// Arrival to last token, ns.
    pub e2e_ns: u64,
    /// Prompt tokens.
    pub input_tokens: u32,
    /// Output tokens.
    pub output_tokens: u32,
    /// Times it was preempted.
    pub preemptions: u32,
}

/// One timeline bucket, summed over the replicas of the fleet.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Bucket {
    /// Replica-seconds spent running iterations.
    pub busy_s: f64,
    /// Σ batch size × iteration seconds (divide by `busy_s` for the mean batch).
    pub batch_seq_s: f64,
    /// Σ KV blocks in use × seconds.
    pub kv_block_s: f64,
    /// Replica-seconds provisioned (serving, starting up or draining).
    pub provisioned_s: f64,
    /// Requests that arrived.
    pub arrivals: u64,
    /// Output tokens produced.
    pub output_tokens: u64,
}

/// What the requests that arrived in one hour met, kept when a day is simulated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HourTally {
    /// Requests that arrived in the hour.
    pub requests: u64,
    /// Of those, completed within both SLO targets.
    pub slo_met: u64,
    /// Time to first token of those completed.
    pub ttft: LogHistogram,
}

/// One hour, ns.
const HOUR_NS: u64 = 3_600 * SimTime::NS_PER_S;

/// Accumulates everything a replica group measures.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    /// Time to first token.
    pub ttft: LogHistogram,
    /// Time per output token after the first.
    pub tpot: LogHistogram,
    /// End-to-end latency.
    pub e2e: LogHistogram,
    /// Queueing delay.
    pub queue: LogHistogram,
    /// Inter-token latency: one value per output token after a request's first, the length of the iteration
    /// that produced it (a closed-form stretch records its mean iteration for each of its tokens).
    pub itl: LogHistogram,
    /// Requests seen.
    pub requests: u64,
    /// Requests completed.
    pub completed: u64,
    /// Requests that can never be served (larger than one replica's KV cache).
    pub unservable: u64,
    /// Requests refused because the prompt reaches the engine's `max_model_len`.
    pub rejected: u64,
    /// Requests whose output was cut at `max_model_len`.
    pub truncated: u64,
    /// Preemptions.
    pub preemptions: u64,
    /// Prompt tokens of completed requests.
    pub input_tokens: u64,
    /// Output tokens of completed requests.
    pub output_tokens: u64,
    /// Completed requests meeting both SLO targets.
    pub slo_met: u64,
    /// Completed requests whose time to first token is over the SLO's target.
    pub late_ttft: u64,
    /// Completed requests of two or more output tokens whose time per output token is over the SLO's target.
    pub late_tpot: u64,
    /// The run stopped once it could no longer meet the SLO (`SimConfig::stop_at_miss`): every other figure
    /// covers only what ran until then.
    pub stopped: bool,
    /// Timeline.
    pub buckets: Vec<Bucket>,
    /// Bucket width.
    pub bucket: SimTime,
    /// Last completion.
    pub makespan: SimTime,
    /// First arrival seen.
    pub first_arrival: SimTime,
    /// Last arrival seen.
    pub last_arrival: SimTime,
    /// When a request last left a waiting queue for a batch (first admitted, or again after a preemption): long
    /// after the last arrival it means a backlog that grew; decoding long outputs does not move it.
    pub last_admission: SimTime,
    /// Longest waiting queue seen on any replica.
    pub max_queue: u64,
    /// Iterations executed (jumped ones counted).
    pub iterations: u64,
    /// Requests still queued or running when the run stopped at its horizon.
    pub in_flight_at_end: u64,
    /// Per-request records, when asked for.
    pub records: Vec<RequestRecord>,
    /// Per hour of arrival, when asked for (`track_hours`).
    pub hours: Vec<HourTally>,
    /// Whether `hours` is kept.
    pub track_hours: bool,
    /// Replicas the autoscaler ordered.
    pub scale_ups: u64,
    /// Replicas the autoscaler drained.
    pub scale_downs: u64,
    /// Replicas reclaimed (spot interruptions).
    pub interruptions: u64,
    /// Requests restarted on another replica after their replica was reclaimed.
    pub restarted: u64,
}

impl Metrics {
    /// Empty metrics with this bucket width.
    pub fn new(bucket: SimTime) -> Metrics {
        Metrics {
            ttft: LogHistogram::new(),
            tpot: LogHistogram::new(),
            e2e: LogHistogram::new(),
            queue: LogHistogram::new(),
            itl: LogHistogram::new(),
            requests: 0,
            completed: 0,
            unservable: 0,
            rejected: 0,
            truncated: 0,
            preemptions: 0,
            input_tokens: 0,
            output_tokens: 0,
            slo_met: 0,
            late_ttft: 0,
            late_tpot: 0,
            stopped: false,
            buckets: Vec::new(),
            bucket,
            makespan: SimTime::ZERO,
            first_arrival: SimTime::MAX,
            last_arrival: SimTime::ZERO,
            last_admission: SimTime::ZERO,
            max_queue: 0,
            iterations: 0,
            in_flight_at_end: 0,
            records: Vec::new(),
            hours: Vec::new(),
            track_hours: false,
            scale_ups: 0,
            scale_downs: 0,
            interruptions: 0,
            restarted: 0,
        }
    }

    /// The tally of the hour in which `arrival` falls, when hours are kept.
    #[inline]
    pub fn hour_mut(&mut self, arrival: SimTime) -> Option<&mut HourTally> {
        if !self.track_hours {
            return None;
        }
        let h = (arrival.0 / HOUR_NS) as usize;
        if self.hours.len() <= h {
            self.hours.resize(h + 1, HourTally::default());
        }
        Some(&mut self.hours[h])
    }

    fn bucket_mut(&mut self, i: usize) -> &mut Bucket {
        if self.buckets.len() <= i {
            self.buckets.resize(i + 1, Bucket::default());
        }
        &mut self.buckets[i]
    }

    /// Spreads a quantity accrued uniformly over [start, end) across the buckets it spans.
    pub fn spread(&mut self, start: SimTime, end: SimTime, mut f: impl FnMut(&mut Bucket, f64)) {
        if end <= start {
            return;
        }
        let w = self.bucket.0;
        // Most spans (one iteration) lie within one bucket.
        let first = start.0 / w;
        if end.0 <= (first + 1).saturating_mul(w) {
            f(
                self.bucket_mut(first as usize),
                (end.0 - start.0) as f64 / 1e9,
            );
            return;
        }
        let mut t = start.0;
        while t < end.0 {
            let i = (t / w) as usize;
            // Saturating: the last bucket of a run that ends near `SimTime::MAX` has its edge past it.
            let edge = ((i as u64 + 1).saturating_mul(w)).min(end.0);
            f(self.bucket_mut(i), (edge - t) as f64 / 1e9);
            t = edge;
        }
    }

    /// Counts an arrival.
    pub fn arrival(&mut self, t: SimTime) {
        self.requests += 1;
        self.first_arrival = self.first_arrival.min(t);
        self.last_arrival = self.last_arrival.max(t);
        let i = (t.0 / self.bucket.0) as usize;
        self.bucket_mut(i).arrivals += 1;
        if let Some(h) = self.hour_mut(t) {
            h.requests += 1;
        }
    }

    /// Counts output tokens produced at time `t`.
    pub fn tokens_out(&mut self, t: SimTime, n: u64) {
        let i = (t.0 / self.bucket.0) as usize;
        self.bucket_mut(i).output_tokens += n;
    }

    /// Merges adjacent timeline buckets, `k` at a time, until there are at most `max`: a run whose requests
    /// drain past its last bucket still reports a bounded timeline. Every bucket quantity is a sum, so merging
    /// adds them and widens the bucket by the same factor.
    pub fn coarsen(&mut self, max: usize) {
        if self.buckets.len() <= max || max == 0 {
            return;
        }
        let k = self.buckets.len().div_ceil(max);
        self.buckets = self
            .buckets
            .chunks(k)
            .map(|c| {
                c.iter().fold(Bucket::default(), |a, b| Bucket {
                    busy_s: a.busy_s + b.busy_s,
                    batch_seq_s: a.batch_seq_s + b.batch_seq_s,
                    kv_block_s: a.kv_block_s + b.kv_block_s,
                    provisioned_s: a.provisioned_s + b.provisioned_s,
                    arrivals: a.arrivals + b.arrivals,
                    output_tokens: a.output_tokens + b.output_tokens,
                })
            })
            .collect();
        self.bucket = SimTime(self.bucket.0.saturating_mul(k as u64));
    }

    /// Adds another group's metrics.
    pub fn merge(&mut self, o: &Metrics) {
        self.ttft.merge(&o.ttft);
        self.tpot.merge(&o.tpot);
        self.e2e.merge(&o.e2e);
        self.queue.merge(&o.queue);
        self.itl.merge(&o.itl);
        self.requests += o.requests;
        self.completed += o.completed;
        self.unservable += o.unservable;
        self.rejected += o.rejected;
        self.truncated += o.truncated;
        self.preemptions += o.preemptions;
        self.input_tokens += o.input_tokens;
        self.output_tokens += o.output_tokens;
        self.slo_met += o.slo_met;
        self.late_ttft += o.late_ttft;
        self.late_tpot += o.late_tpot;
        self.stopped |= o.stopped;
        if self.buckets.len() < o.buckets.len() {
            self.buckets.resize(o.buckets.len(), Bucket::default());
        }
        for (a, b) in self.buckets.iter_mut().zip(&o.buckets) {
            a.busy_s += b.busy_s;
            a.batch_seq_s += b.batch_seq_s;
            a.kv_block_s += b.kv_block_s;
            a.provisioned_s += b.provisioned_s;
            a.arrivals += b.arrivals;
            a.output_tokens += b.output_tokens;
        }
        self.makespan = self.makespan.max(o.makespan);
        self.first_arrival = self.first_arrival.min(o.first_arrival);
        self.last_arrival = self.last_arrival.max(o.last_arrival);
        self.last_admission = self.last_admission.max(o.last_admission);
        self.max_queue = self.max_queue.max(o.max_queue);
        self.iterations += o.iterations;
        self.in_flight_at_end += o.in_flight_at_end;
        self.records.extend_from_slice(&o.records);
        if self.hours.len() < o.hours.len() {
            self.hours.resize(o.hours.len(), HourTally::default());
        }
        for (a, b) in self.hours.iter_mut().zip(&o.hours) {
            a.requests += b.requests;
            a.slo_met += b.slo_met;
            a.ttft.merge(&b.ttft);
        }
        self.track_hours |= o.track_hours;
        self.scale_ups += o.scale_ups;
        self.scale_downs += o.scale_downs;
        self.interruptions += o.interruptions;
        self.restarted += o.restarted;
    }
}
