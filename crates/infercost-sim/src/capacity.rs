//! A replica's capacity: the one number behind every "GPU busy" figure.
//!
//! Capacity is the highest Poisson arrival rate of a length mix that a pool of replicas serves within the SLO,
//! divided by the pool's size: requests per second per replica. A fleet's busy fraction is its load over its
//! replicas times this capacity, so `simulate`, `capacity` and every bill's idle line read the same figure. The
//! pool has `POOL_REPLICAS` replicas behind the default router, like the groups a planned fleet is sized in:
//! routing across replicas absorbs bursts a lone replica cannot, so a pooled replica carries more than a lone
//! one, and a fleet sized in such groups carries at least its replicas times this rate.
//!
//! The probe draws its arrivals from a fixed seed, so the same deployment, mix, engine and SLO always give the
//! same capacity, whoever asks.

use crate::fleet::{simulate, SimConfig};
use crate::metrics::Slo;
use crate::replica::EngineConfig;
use infercost_core::transform::{scale_volume, synth, Arrival, Diurnal, Lengths, VolumeMode};
use infercost_core::{SimTime, Workload};
use infercost_perf::Deployment;
use serde::Serialize;

/// Replicas in the pool a capacity is measured on (the planner's default group size).
pub const POOL_REPLICAS: u32 = 12;
/// Requests offered to each replica of the pool per probe, at least.
const REQUESTS_PER_REPLICA: f64 = 300.0;
/// Seconds of arrivals per probe, at least: long enough for queues to reach their steady state (many times a
/// request's own latency), however fast the pool serves.
const MIN_PROBE_S: f64 = 90.0;
/// Requests per probe, at most: tiny requests served at tens of thousands per second need no more to show a
/// steady state, and the probe's memory and time stay bounded.
const MAX_PROBE_REQUESTS: f64 = 400_000.0;
/// Seconds of arrivals per load-curve probe, at least: a steady state after the pool fills.
const CURVE_PROBE_S: f64 = 300.0;
/// The load-curve probe's timeline bucket, seconds: fine enough to leave out the filling and the draining.
const CURVE_BUCKET_S: u64 = 5;
/// The probe's fixed seed.
const SEED: u64 = 0xCA9A_C17E;

/// The (prompt, output) pairs of a workload with prompts scaled by `context`, the mix a capacity is measured on.
pub fn length_mix(w: &Workload, context: f64) -> Vec<(u32, u32)> {
    let mut pairs: Vec<(u32, u32)> = w
        .requests
        .iter()
        .map(|r| {
            (
                ((r.input_tokens as f64 * context)
                    .round()
                    .min(u32::MAX as f64) as u32)
                    .max(1),
                r.output_tokens.max(1),
            )
        })
        .collect();
    if pairs.is_empty() {
        pairs.push((1, 1));
    }
    pairs
}

/// Requests per second per replica that a pool of `POOL_REPLICAS` replicas of `dep` serves within `slo` for
/// this length mix under Poisson arrivals; 0 when not even a trickle meets the SLO.
pub fn replica_capacity(
    dep: &Deployment,
    mix: &[(u32, u32)],
    engine: EngineConfig,
    slo: Slo,
) -> f64 {
    let lengths = Lengths::Empirical(mix.to_vec());
    let pool = POOL_REPLICAS;
    let meets = |per_replica: f64| {
        let rate = per_replica * pool as f64;
        let duration = (REQUESTS_PER_REPLICA * pool as f64 / rate)
            .max(MIN_PROBE_S)
            .min(MAX_PROBE_REQUESTS / rate);
        let Ok(w) = synth(
            rate,
            duration,
            Arrival::Poisson,
            &lengths,
            &Diurnal::flat(),
            None,
            SEED,
        ) else {
            return false;
        };
        let mut c = SimConfig::new(engine.kv_blocks, pool);
        c.engine = engine;
        c.slo = Some(slo);
        c.seed = SEED;
        simulate(dep, &w, &c).is_ok_and(|r| r.meets_slo == Some(true) && !r.overloaded)
    };
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while meets(hi) {
        lo = hi;
        hi *= 2.0;
        if hi > 1e6 {
            // Past a million requests per second per replica: report what was verified.
            return lo;
        }
    }
    if lo == 0.0 {
        lo = hi / 1024.0;
        if !meets(lo) {
            return 0.0;
        }
    }
    // Bisect on a log scale to about 1%.
    while hi / lo > 1.01 {
        let mid = (lo * hi).sqrt();
        if meets(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// A fleet's busy fraction in the one meaning every report uses: offered load over `replicas` times capacity,
/// capped at 1 (a fleet past its capacity is fully busy and misses the SLO).
pub fn busy_fraction(load_rps: f64, replicas: f64, capacity_rps: f64) -> f64 {
    if replicas > 0.0 && capacity_rps > 0.0 {
        (load_rps / (replicas * capacity_rps)).clamp(0.0, 1.0)
    } else if load_rps > 0.0 {
        1.0
    } else {
        0.0
    }
}

/// Load fractions of capacity at which `load_curve` measures a replica.
pub const LOAD_CURVE_FRACTIONS: [f64; 6] = [0.125, 0.25, 0.5, 0.75, 0.9, 1.0];

/// How a replica looks while it serves a fraction of its capacity: what the autoscaler sees and what a reclaim
/// loses. Both grow faster than the load near capacity (queues and batches lengthen together).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LoadPoint {
    /// Offered load over the replica's capacity within the SLO.
    pub load_fraction: f64,
    /// Batch occupancy: time-averaged running sequences over `max_num_seqs`.
    pub occupancy: f64,
    /// Requests in flight (running or waiting), by Little's law: rate × mean end-to-end latency.
    pub in_flight: f64,
}

/// A pool of `POOL_REPLICAS` replicas of `dep` at `LOAD_CURVE_FRACTIONS` of `capacity_rps` each, offered
/// `arrivals` (the hour the day will see, `transform::day::busy_hour`: its burstiness and length mix) thinned
/// or superposed to each rate (its requests in arrival order): the curve the fluid day model reads. A bursty trace keeps more sequences
/// running than Poisson arrivals at the same mean rate, and the autoscaler sees that.
pub fn load_curve(
    dep: &Deployment,
    engine: EngineConfig,
    slo: Slo,
    capacity_rps: f64,
    arrivals: &Workload,
) -> Vec<LoadPoint> {
    LOAD_CURVE_FRACTIONS
        .iter()
        .map(|&x| load_point(dep, engine, slo, capacity_rps, x, arrivals))
        .collect()
}

/// One point of `load_curve`: the pool at `fraction` of `capacity_rps` per replica.
pub fn load_point(
    dep: &Deployment,
    engine: EngineConfig,
    slo: Slo,
    capacity_rps: f64,
    fraction: f64,
    arrivals: &Workload,
) -> LoadPoint {
    let pool = POOL_REPLICAS;
    let per_replica_rps = capacity_rps * fraction;
    let rate = per_replica_rps * pool as f64;
    let none = LoadPoint {
        load_fraction: fraction,
        occupancy: 0.0,
        in_flight: 0.0,
    };
    let span_s = arrivals.span().as_secs_f64();
    if !(rate > 0.0 && rate.is_finite() && span_s > 0.0) {
        return none;
    }
    let duration = (REQUESTS_PER_REPLICA * pool as f64 / rate)
        .max(CURVE_PROBE_S)
        .min(MAX_PROBE_REQUESTS / rate);
    // The window of the arrivals the probe needs, then thinned or superposed to the rate.
    let source_rate = arrivals.len() as f64 / span_s;
    // Only the window is copied: the hour at a large volume holds millions of requests.
    let end = arrivals.requests[0].arrival + SimTime::from_secs_f64(duration.min(span_s));
    let n = arrivals.requests.partition_point(|r| r.arrival < end);
    let window = Workload {
        requests: arrivals.requests[..n].to_vec(),
        hash_ids: arrivals.hash_ids.clone(),
        regions: arrivals.regions.clone(),
        epoch_origin_s: arrivals.epoch_origin_s,
        has_timestamps: arrivals.has_timestamps,
    };
    let Ok(w) = scale_volume(&window, rate / source_rate, VolumeMode::Users, SEED) else {
        return none;
    };
    let mut c = SimConfig::new(engine.kv_blocks, pool);
    c.engine = engine;
    c.slo = Some(slo);
    c.seed = SEED;
    c.bucket = SimTime::from_secs(CURVE_BUCKET_S);
    let Ok(r) = simulate(dep, &w, &c) else {
        return none;
    };
    // Occupancy in the steady state only: the pool starts empty and drains after the last arrival, and both
    // would read low.
    let (from, to) = (
        w.span().as_secs_f64() / 4.0,
        w.span().as_secs_f64() - CURVE_BUCKET_S as f64,
    );
    let steady = r.timeline.iter().filter(|b| b.t_s >= from && b.t_s < to);
    let (mut seq_s, mut replica_s) = (0.0, 0.0);
    for b in steady {
        seq_s += b.mean_batch * b.engine_active_fraction * b.replicas;
        replica_s += b.replicas;
    }
    LoadPoint {
        load_fraction: fraction,
        occupancy: if replica_s > 0.0 {
            seq_s / (replica_s * engine.max_num_seqs as f64)
        } else {
            0.0
        },
        in_flight: per_replica_rps * r.e2e_ms.mean / 1e3,
    }
}
