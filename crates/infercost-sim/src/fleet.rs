//! The fleet: replicas behind a router, optionally autoscaled, split into independent groups that can be
//! simulated in parallel (and sampled) with identical results for any number of threads.

use crate::metrics::{Bucket, LatencySummary, Metrics, RequestRecord, Slo};
use crate::replica::{EngineConfig, Replica};
use crate::SimError;
use infercost_core::{Rng, SimTime, Workload};
use infercost_perf::Deployment;
use serde::Serialize;

/// How arrivals are spread over replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Router {
    /// In turn.
    #[serde(rename = "rr")]
    RoundRobin,
    /// To the replica with the fewest outstanding tokens.
    Least,
    /// The better of two replicas chosen at random (by outstanding tokens).
    #[serde(rename = "p2c")]
    PowerOfTwo,
}

impl Router {
    /// Parses `rr`, `least` or `p2c`.
    pub fn parse(s: &str) -> Option<Router> {
        match s {
            "rr" | "round-robin" => Some(Router::RoundRobin),
            "least" => Some(Router::Least),
            "p2c" => Some(Router::PowerOfTwo),
            _ => None,
        }
    }
}

/// Target-utilisation autoscaling: every `interval` the replica count moves toward occupancy / target, where
/// occupancy is the time-averaged running sequences over the serving replicas' `max_num_seqs` slots.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Autoscaler {
    /// Busy fraction to aim for.
    pub target_utilization: f64,
    /// Time from ordering a replica to its serving.
    pub provisioning_delay: SimTime,
    /// A replica is kept at least this long.
    pub min_lifetime: SimTime,
    /// Fewest replicas.
    pub min_replicas: u32,
    /// Most replicas.
    pub max_replicas: u32,
    /// Decision period.
    pub interval: SimTime,
}

/// Everything a simulation needs besides the deployment and the workload.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Engine settings of every replica.
    pub engine: EngineConfig,
    /// Replicas (the starting count when autoscaled).
    pub replicas: u32,
    /// Routing policy.
    pub router: Router,
    /// Latency target, for attainment and goodput.
    pub slo: Option<Slo>,
    /// Stop at this time; otherwise drain every request.
    pub horizon: Option<SimTime>,
    /// Step every iteration instead of jumping over decode-only stretches.
    pub step_exact: bool,
    /// Seed of all randomness.
    pub seed: u64,
    /// Timeline bucket width.
    pub bucket: SimTime,
    /// Replicas per independent group (0: one group).
    pub group_size: u32,
    /// Simulate only this many groups and extrapolate.
    pub sample_groups: Option<u32>,
    /// Worker threads for groups (results do not depend on it).
    pub threads: usize,
    /// Keep a record per request.
    pub record_requests: bool,
    /// Optional autoscaler (applies within each group).
    pub autoscaler: Option<Autoscaler>,
    /// One replica's capacity (`capacity::replica_capacity`), requests/s: with it the result reports
    /// `gpu_busy_fraction`, the offered load over the fleet's capacity.
    pub replica_capacity_rps: Option<f64>,
}

impl SimConfig {
    /// Defaults like vLLM's: 256 sequences, 8,192 batched tokens, 16-token blocks; `kv_blocks` from the
    /// deployment's capacity.
    pub fn new(kv_blocks: u64, replicas: u32) -> SimConfig {
        SimConfig {
            engine: EngineConfig::new(kv_blocks),
            replicas,
            router: Router::PowerOfTwo,
            slo: None,
            horizon: None,
            step_exact: false,
            seed: 0,
            bucket: SimTime::from_secs(60),
            group_size: 0,
            sample_groups: None,
            threads: 1,
            record_requests: false,
            autoscaler: None,
            replica_capacity_rps: None,
        }
    }
}

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
    /// Whether the fleet fell behind: work kept queueing long after the last arrival.
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
    /// Per-request records, when asked for.
    #[serde(skip)]
    pub records: Vec<RequestRecord>,
}

fn validate(cfg: &SimConfig) -> Result<(), SimError> {
    let e = &cfg.engine;
    let bad = |m: String| Err(SimError::Invalid(m));
    if cfg.replicas == 0 {
        return bad("replicas must be at least 1".into());
    }
    if e.max_num_seqs == 0 || e.max_batched_tokens < e.max_num_seqs {
        return bad(format!(
            "max-batched-tokens ({}) must be at least max-num-seqs ({}), which must be positive",
            e.max_batched_tokens, e.max_num_seqs
        ));
    }
    if e.block_size == 0 || e.kv_blocks == 0 {
        return bad("the KV cache has no blocks: the model leaves no memory for it".into());
    }
    if let Some(s) = cfg.slo {
        if !(s.ttft_ms > 0.0 && s.tpot_ms > 0.0 && s.percentile > 0.0 && s.percentile <= 100.0) {
            return bad(format!("SLO targets must be positive and the percentile in (0, 100]; got ttft {} ms, tpot {} ms, p{}", s.ttft_ms, s.tpot_ms, s.percentile));
        }
    }
    if cfg.bucket.0 == 0 {
        return bad("the timeline bucket must be positive".into());
    }
    if let Some(a) = cfg.autoscaler {
        if !(a.target_utilization > 0.0 && a.target_utilization <= 1.0)
            || a.min_replicas == 0
            || a.max_replicas < a.min_replicas
            || a.interval.0 == 0
        {
            return bad("autoscaler: target utilisation in (0, 1], 1 ≤ min ≤ max replicas and a positive interval".into());
        }
    }
    Ok(())
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

/// The most timeline buckets a simulation keeps (a year of minutes).
const MAX_BUCKETS: u64 = 525_600;

/// Splits `replicas` into groups of about `group_size`.
fn group_sizes(replicas: u32, group_size: u32) -> Vec<u32> {
    if group_size == 0 || replicas <= group_size {
        return vec![replicas];
    }
    let groups = replicas.div_ceil(group_size);
    let base = replicas / groups;
    let extra = replicas % groups;
    (0..groups).map(|g| base + u32::from(g < extra)).collect()
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Serving,
    Starting(SimTime),
    Draining,
    Stopped,
}

struct Member<'a> {
    replica: Replica<'a>,
    state: State,
    since: SimTime,
    until: Option<SimTime>,
}

/// Simulates one group of replicas on the requests given by `indices`.
fn simulate_group(
    dep: &Deployment,
    wl: &Workload,
    indices: &[u32],
    replicas: u32,
    cfg: &SimConfig,
    seed: u64,
) -> Metrics {
    let mut m = Metrics::new(cfg.bucket);
    let mut rng = Rng::new(seed);
    let new_member = |id: u32, since: SimTime, state: State| Member {
        replica: Replica::new(
            dep,
            cfg.engine,
            cfg.slo,
            cfg.step_exact,
            cfg.record_requests,
            id,
        ),
        state,
        since,
        until: None,
    };
    let start_count = match cfg.autoscaler {
        Some(a) => replicas.clamp(a.min_replicas, a.max_replicas),
        None => replicas,
    };
    let mut members: Vec<Member> = (0..start_count)
        .map(|i| new_member(i, SimTime::ZERO, State::Serving))
        .collect();
    let mut serving: Vec<usize> = (0..members.len()).collect();
    let mut rr = 0usize;
    let mut next_decision = cfg.autoscaler.map(|a| a.interval);
    let horizon = cfg.horizon.unwrap_or(SimTime::MAX);
    let mut last_arrival = SimTime::ZERO;
    for &idx in indices {
        let r = &wl.requests[idx as usize];
        let t = r.arrival;
        if t >= horizon {
            break;
        }
        while let (Some(d), Some(a)) = (next_decision, cfg.autoscaler) {
            if d > t {
                break;
            }
            autoscale(
                cfg.engine.max_num_seqs as f64,
                &mut members,
                &mut serving,
                &a,
                d,
                &mut m,
                wl,
                &new_member,
            );
            next_decision = Some(d + a.interval);
        }
        last_arrival = t;
        m.arrival(t);
        // What vLLM does with --max-model-len: a prompt that leaves no room for one output token is rejected
        // at admission; an output that would run past the limit stops there.
        let mut clipped;
        let r = match cfg.engine.max_model_len {
            Some(limit) if r.input_tokens >= limit => {
                m.rejected += 1;
                continue;
            }
            Some(limit) if r.input_tokens as u64 + r.output_tokens as u64 > limit as u64 => {
                m.truncated += 1;
                clipped = *r;
                clipped.output_tokens = limit - r.input_tokens;
                &clipped
            }
            _ => r,
        };
        if !members[0].replica.can_serve(r) {
            m.unservable += 1;
            continue;
        }
        let n = serving.len();
        let k = match cfg.router {
            Router::RoundRobin => {
                rr = (rr + 1) % n;
                serving[rr]
            }
            Router::Least => {
                let mut best = serving[0];
                for &i in &serving {
                    members[i].replica.run_until(t, &mut m, wl);
                    if members[i].replica.outstanding_tokens()
                        < members[best].replica.outstanding_tokens()
                    {
                        best = i;
                    }
                }
                best
            }
            Router::PowerOfTwo => {
                if n == 1 {
                    serving[0]
                } else {
                    let a = rng.below(n as u64) as usize;
                    let mut b = rng.below(n as u64 - 1) as usize;
                    if b >= a {
                        b += 1;
                    }
                    let (a, b) = (serving[a], serving[b]);
                    members[a].replica.run_until(t, &mut m, wl);
                    members[b].replica.run_until(t, &mut m, wl);
                    if members[b].replica.outstanding_tokens()
                        < members[a].replica.outstanding_tokens()
                    {
                        b
                    } else {
                        a
                    }
                }
            }
        };
        members[k].replica.run_until(t, &mut m, wl);
        members[k].replica.enqueue(r, idx, t, &mut m);
    }
    let mut end = SimTime::ZERO;
    for mem in &mut members {
        mem.replica.run_until(horizon, &mut m, wl);
        end = end.max(mem.replica.clock);
    }
    let unfinished: u64 = members.iter().map(|x| x.replica.unfinished()).sum();
    // Provisioned time: each replica from its start to its release (or the end of the run). An iteration under
    // way at the horizon finishes after it, and the replica is provisioned while it runs.
    let run_end = if cfg.horizon.is_some() {
        horizon.max(end)
    } else {
        end.max(last_arrival).max(m.makespan)
    };
    for mem in &members {
        let stop = mem.until.unwrap_or(run_end).min(run_end);
        m.spread(mem.since, stop, |b, s| b.provisioned_s += s);
    }
    // Requests in flight at a horizon are unfinished.
    m.in_flight_at_end += unfinished;
    m
}

#[allow(clippy::too_many_arguments)]
fn autoscale<'a>(
    slots: f64,
    members: &mut Vec<Member<'a>>,
    serving: &mut Vec<usize>,
    a: &Autoscaler,
    now: SimTime,
    m: &mut Metrics,
    wl: &Workload,
    new_member: &dyn Fn(u32, SimTime, State) -> Member<'a>,
) {
    for mem in members.iter_mut() {
        if mem.state != State::Stopped {
            mem.replica.run_until(now, m, wl);
        }
    }
    // Replicas that finished starting begin to serve; drained ones are released.
    for (i, mem) in members.iter_mut().enumerate() {
        match mem.state {
            State::Starting(ready) if ready <= now => {
                mem.state = State::Serving;
                serving.push(i);
            }
            State::Draining if mem.replica.in_flight() == 0 => {
                mem.state = State::Stopped;
                mem.until = Some(now);
            }
            _ => {}
        }
    }
    let window_start = SimTime(now.0.saturating_sub(a.interval.0));
    // Utilisation is batch occupancy: the time-averaged running sequences over the replicas' max_num_seqs slots.
    // (Engine busy time is no signal: continuous batching iterates whenever anything at all is in flight.)
    let mut busy = 0.0;
    let (w, bw) = (a.interval.as_secs_f64(), m.bucket.as_secs_f64());
    let first = (window_start.0 / m.bucket.0) as usize;
    let last = (now.0.saturating_sub(1) / m.bucket.0) as usize;
    for i in first..=last.min(m.buckets.len().saturating_sub(1)) {
        if i < m.buckets.len() {
            busy += m.buckets[i].batch_seq_s * (w / bw).min(1.0);
        }
    }
    let active = serving.len().max(1) as f64;
    let utilization = busy / (active * w * slots);
    let starting = members
        .iter()
        .filter(|x| matches!(x.state, State::Starting(_)))
        .count() as u32;
    let desired = ((active * utilization / a.target_utilization).ceil() as u32)
        .clamp(a.min_replicas, a.max_replicas);
    let have = serving.len() as u32 + starting;
    if desired > have {
        for _ in 0..desired - have {
            let id = members.len() as u32;
            members.push(new_member(
                id,
                now,
                State::Starting(now + a.provisioning_delay),
            ));
        }
    } else if desired < serving.len() as u32 {
        let mut remove = serving.len() as u32 - desired;
        // Release the newest replicas first, once they have lived their minimum lifetime.
        let mut keep = Vec::with_capacity(serving.len());
        for &i in serving.iter().rev() {
            if remove > 0 && now.since(members[i].since) >= a.min_lifetime {
                members[i].state = State::Draining;
                remove -= 1;
            } else {
                keep.push(i);
            }
        }
        keep.reverse();
        *serving = keep;
    }
}

fn summarize(
    m: &Metrics,
    cfg: &SimConfig,
    groups: u32,
    simulated: u32,
    scale: f64,
    per_group: &[(f64, f64)],
    replica_blocks: u64,
) -> SimResult {
    let sc = |x: u64| (x as f64 * scale).round() as u64;
    let replica_seconds: f64 = m.buckets.iter().map(|b| b.provisioned_s).sum();
    let busy: f64 = m.buckets.iter().map(|b| b.busy_s).sum();
    let makespan_s = m.makespan.as_secs_f64();
    let ttft_ms = LatencySummary::of(&m.ttft);
    let tpot_ms = LatencySummary::of(&m.tpot);
    // The SLO's percentile over every offered request, a rejected one counting as infinitely late: the P-th
    // percentile over all N requests is the (P·N/C)-th over the C completed ones.
    let meets = cfg.slo.map(|s| {
        let share = s.percentile * m.requests as f64 / m.completed.max(1) as f64;
        let p = |h: &infercost_core::stats::LogHistogram| h.percentile(share) as f64 / 1e6;
        m.completed > 0
            && share <= 100.0
            && p(&m.ttft) <= s.ttft_ms
            && p(&m.tpot) <= s.tpot_ms
            && m.in_flight_at_end == 0
            && m.unservable == 0
    });
    let arrival_span_s = m.last_arrival.since(m.first_arrival).as_secs_f64();
    let offered_rps = if arrival_span_s > 0.0 {
        m.requests as f64 * scale / arrival_span_s
    } else {
        0.0
    };
    // The fleet the load met: its size when static, its time-averaged size over the run when autoscaled.
    let run_s = m.last_arrival.max(m.makespan).as_secs_f64();
    let fleet = if cfg.autoscaler.is_some() && run_s > 0.0 {
        replica_seconds * scale / run_s
    } else {
        cfg.replicas as f64
    };
    let last_arrival_bucket = m.buckets.iter().rposition(|b| b.arrivals > 0).unwrap_or(0);
    let last_arrival_s = (last_arrival_bucket as u64 + 1) as f64 * cfg.bucket.as_secs_f64();
    // Falling behind shows as a drain long after the last arrival: more than a quarter of the arrival span.
    let overloaded = makespan_s > last_arrival_s * 1.25 + 60.0;
    let ci = |xs: Vec<f64>| -> Option<Interval> {
        if xs.len() < 2 || simulated == groups {
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
    };
    SimResult {
        requests: sc(m.requests),
        completed: sc(m.completed),
        unfinished: sc(m.unservable + m.in_flight_at_end),
        rejected: sc(m.rejected),
        truncated: sc(m.truncated),
        unservable: sc(m.unservable),
        preemptions: sc(m.preemptions),
        ttft_ms,
        tpot_ms,
        e2e_ms: LatencySummary::of(&m.e2e),
        queue_ms: LatencySummary::of(&m.queue),
        output_tokens_per_s: if makespan_s > 0.0 {
            m.output_tokens as f64 * scale / makespan_s
        } else {
            0.0
        },
        gpu_busy_fraction: cfg
            .replica_capacity_rps
            .map(|cap| crate::capacity::busy_fraction(offered_rps, fleet, cap)),
        engine_active_fraction: if replica_seconds > 0.0 {
            busy / replica_seconds
        } else {
            0.0
        },
        offered_rps,
        makespan_s,
        slo_attainment: cfg.slo.map(|_| {
            if m.requests > 0 {
                m.slo_met as f64 / m.requests as f64
            } else {
                0.0
            }
        }),
        meets_slo: meets,
        goodput_rps: cfg.slo.map(|_| {
            if makespan_s > 0.0 {
                m.slo_met as f64 * scale / makespan_s
            } else {
                0.0
            }
        }),
        overloaded,
        max_queue: m.max_queue,
        replica_seconds: replica_seconds * scale,
        busy_replica_seconds: busy * scale,
        iterations: m.iterations,
        groups,
        groups_simulated: simulated,
        busy_fraction_ci: ci(per_group.iter().map(|x| x.0).collect()),
        ttft_p99_ci_ms: ci(per_group.iter().map(|x| x.1).collect()),
        timeline: m
            .buckets
            .iter()
            .enumerate()
            .map(|(i, b): (usize, &Bucket)| {
                let w = cfg.bucket.as_secs_f64();
                TimelineRow {
                    t_s: i as f64 * w,
                    replicas: b.provisioned_s * scale / w,
                    busy_fraction: match cfg.replica_capacity_rps {
                        Some(cap) if b.provisioned_s > 0.0 => crate::capacity::busy_fraction(
                            b.arrivals as f64 / w,
                            b.provisioned_s / w,
                            cap,
                        ),
                        _ => 0.0,
                    },
                    engine_active_fraction: if b.provisioned_s > 0.0 {
                        b.busy_s / b.provisioned_s
                    } else {
                        0.0
                    },
                    mean_batch: if b.busy_s > 0.0 {
                        b.batch_seq_s / b.busy_s
                    } else {
                        0.0
                    },
                    kv_use: if b.provisioned_s > 0.0 {
                        b.kv_block_s / (b.provisioned_s * replica_blocks as f64)
                    } else {
                        0.0
                    },
                    arrivals: (b.arrivals as f64 * scale).round() as u64,
                }
            })
            .collect(),
        records: m.records.clone(),
    }
}

/// Replays `wl` on a fleet of `cfg.replicas` replicas of `dep`.
pub fn simulate(dep: &Deployment, wl: &Workload, cfg: &SimConfig) -> Result<SimResult, SimError> {
    validate(cfg)?;
    // Memory follows what is simulated, not the span: a trace stretched over years by one stray timestamp, or a
    // horizon years away (provisioned time runs to it), gets wider timeline buckets instead of billions of empty
    // ones.
    let widened;
    let span_end = cfg
        .horizon
        .or_else(|| wl.requests.last().map(|r| r.arrival));
    let cfg = match span_end {
        Some(end) if end.0 / cfg.bucket.0 >= MAX_BUCKETS => {
            let mut c = cfg.clone();
            // The smallest width that puts the end in the last bucket, not one past it.
            c.bucket = SimTime(end.0 / MAX_BUCKETS + 1);
            if let Some(a) = c.autoscaler.as_mut() {
                a.interval = a.interval.max(c.bucket);
            }
            widened = c;
            &widened
        }
        _ => cfg,
    };
    let sizes = group_sizes(cfg.replicas, cfg.group_size);
    let groups = sizes.len() as u32;
    // Choose the groups to simulate (all, or a seeded sample).
    let mut chosen: Vec<u32> = (0..groups).collect();
    if let Some(s) = cfg.sample_groups {
        if s == 0 {
            return Err(SimError::Invalid("sample-groups must be at least 1".into()));
        }
        if s < groups {
            let mut rng = Rng::derive(cfg.seed, 0x5A);
            rng.shuffle(&mut chosen);
            chosen.truncate(s as usize);
            chosen.sort_unstable();
        }
    }
    // Assign each request to a group with probability proportional to the group's replicas.
    let mut starts = Vec::with_capacity(sizes.len());
    let mut acc = 0u64;
    for &s in &sizes {
        starts.push(acc);
        acc += s as u64;
    }
    let mut slot_of_group = vec![usize::MAX; groups as usize];
    for (i, &g) in chosen.iter().enumerate() {
        slot_of_group[g as usize] = i;
    }
    let mut indices: Vec<Vec<u32>> = vec![Vec::new(); chosen.len()];
    if groups == 1 {
        indices[0] = (0..wl.len() as u32).collect();
    } else {
        let mut rng = Rng::derive(cfg.seed, 0xA11);
        for i in 0..wl.len() as u32 {
            let u = rng.below(acc);
            let g = starts.partition_point(|&s| s <= u) - 1;
            let slot = slot_of_group[g];
            if slot != usize::MAX {
                indices[slot].push(i);
            }
        }
    }
    let threads = cfg.threads.max(1).min(chosen.len());
    let mut results: Vec<Option<Metrics>> = (0..chosen.len()).map(|_| None).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let out = std::sync::Mutex::new(&mut results);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= chosen.len() {
                    break;
                }
                let g = chosen[i];
                let metrics = simulate_group(
                    dep,
                    wl,
                    &indices[i],
                    sizes[g as usize],
                    cfg,
                    Rng::derive(cfg.seed, 1000 + g as u64).next_u64(),
                );
                if let Ok(mut o) = out.lock() {
                    o[i] = Some(metrics);
                }
            });
        }
    });
    let mut total = Metrics::new(cfg.bucket);
    let mut per_group = Vec::new();
    for m in results.into_iter().flatten() {
        let prov: f64 = m.buckets.iter().map(|b| b.provisioned_s).sum();
        let busy: f64 = m.buckets.iter().map(|b| b.busy_s).sum();
        per_group.push((
            if prov > 0.0 { busy / prov } else { 0.0 },
            m.ttft.percentile(99.0) as f64 / 1e6,
        ));
        total.merge(&m);
    }
    // Requests still draining after the last arrival can reach past the last bucket; the timeline stays
    // within its bound by merging buckets, and the result reads the merged width.
    total.coarsen(MAX_BUCKETS as usize);
    let coarsened;
    let cfg = if total.bucket != cfg.bucket {
        let mut c = cfg.clone();
        c.bucket = total.bucket;
        coarsened = c;
        &coarsened
    } else {
        cfg
    };
    let simulated_replicas: u32 = chosen.iter().map(|&g| sizes[g as usize]).sum();
    let scale = cfg.replicas as f64 / simulated_replicas as f64;
    Ok(summarize(
        &total,
        cfg,
        groups,
        chosen.len() as u32,
        scale,
        &per_group,
        cfg.engine.kv_blocks,
    ))
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
