//! Capacity search: the smallest fleet that meets the SLO for a shaped workload, and the most a single replica
//! sustains. Large fleets are sized by group sampling: the busiest hour's traffic is split into equal random
//! shares, one share is simulated on its own group of replicas, and the fleet is that group times the number of
//! shares. Routing within a group of a dozen replicas is nearly as good as across the whole fleet, and rounding
//! the group up to whole replicas overstates the fleet by at most one replica per group.

use infercost_core::transform::{self, VolumeMode};
use infercost_core::{Rng, Workload};
use infercost_perf::Deployment;
use infercost_sim::{simulate, SimConfig, SimResult, Slo};

/// Engine and simulation settings shared by every search.
#[derive(Debug, Clone, Copy)]
pub struct SearchConfig {
    /// Engine settings (KV blocks from the deployment).
    pub engine: infercost_sim::EngineConfig,
    /// SLO to meet.
    pub slo: Slo,
    /// Seed.
    pub seed: u64,
    /// Group sampling: a fleet larger than about this many replicas is sized by simulating one group of this
    /// many replicas with its share of the traffic.
    pub group_replicas: u32,
}

/// The pilot scaled to a point of the sweep.
pub fn shaped(
    pilot: &Workload,
    volume: f64,
    context: f64,
    burst: f64,
    seed: u64,
) -> Result<Workload, transform::TransformError> {
    let mut w = transform::scale_volume(pilot, volume, VolumeMode::Users, seed)?;
    transform::scale_context(&mut w, context, 0)?;
    transform::burst(&mut w, burst, Rng::derive(seed, 7).next_u64())?;
    Ok(w)
}

/// The smallest fleet found.
#[derive(Debug, Clone)]
pub struct Capacity {
    /// Replicas in the whole fleet (groups × replicas per group).
    pub replicas: u32,
    /// Independent groups the traffic was split into.
    pub groups: u32,
    /// The simulation of one group at the chosen size.
    pub sim: SimResult,
    /// Why the SLO cannot be met, when it cannot.
    pub failure: Option<String>,
    /// Simulations run.
    pub sims: u32,
}

const MAX_REPLICAS_PER_GROUP: u32 = 4096;
/// The most requests one simulated group holds (about a second of simulation).
const MAX_GROUP_REQUESTS: f64 = 1_000_000.0;

fn run(
    dep: &Deployment,
    w: &Workload,
    cfg: &SearchConfig,
    replicas: u32,
) -> Result<SimResult, infercost_sim::SimError> {
    let mut c = SimConfig::new(cfg.engine.kv_blocks, replicas);
    c.engine = cfg.engine;
    c.slo = Some(cfg.slo);
    c.seed = cfg.seed;
    simulate(dep, w, &c)
}

fn ok(r: &SimResult) -> bool {
    r.meets_slo == Some(true) && !r.overloaded
}

/// Searches the smallest fleet meeting the SLO for the pilot at `volume`, `context`, `burst`.
/// `estimate` is a replica count to start from (the throughput bound), for speed only.
pub fn min_replicas(
    dep: &Deployment,
    pilot: &Workload,
    volume: f64,
    context: f64,
    burst: f64,
    cfg: &SearchConfig,
    estimate: u32,
) -> Capacity {
    // Split the traffic into groups of about `group_replicas` replicas each; one group is simulated. However
    // wrong the estimate, no simulated group holds more than MAX_GROUP_REQUESTS requests.
    let total = pilot.len() as f64 * volume;
    let groups = (estimate / cfg.group_replicas.max(1))
        .max(((total / MAX_GROUP_REQUESTS).ceil() as u32).max(1));
    let share = volume / groups as f64;
    let w = match shaped(pilot, share, context, burst, cfg.seed) {
        Ok(w) => w,
        Err(e) => {
            return Capacity {
                replicas: 0,
                groups,
                sim: SimResult::default(),
                failure: Some(e.to_string()),
                sims: 1,
            }
        }
    };
    let mut sims = 0;
    // The caller validated the settings; should the simulator still refuse them, the search stops and says so.
    let refused: std::cell::RefCell<Option<String>> = std::cell::RefCell::new(None);
    let mut probe = |r: u32| {
        sims += 1;
        run(dep, &w, cfg, r).unwrap_or_else(|e| {
            refused.borrow_mut().get_or_insert(e.to_string());
            SimResult::default()
        })
    };
    let start = (estimate.div_ceil(groups)).clamp(1, MAX_REPLICAS_PER_GROUP);
    let first = probe(start);
    let refusal = refused.borrow_mut().take();
    if let Some(e) = refusal {
        return Capacity {
            replicas: 0,
            groups,
            sim: first,
            failure: Some(format!("the simulator refused the settings: {e}")),
            sims,
        };
    }
    // Rejections at max_model_len do not shrink with more replicas: too many of them and no fleet meets the SLO.
    if first.requests > 0
        && first.rejected as f64 > first.requests as f64 * (1.0 - cfg.slo.percentile / 100.0)
    {
        let why = format!(
            "{:.1}% of the prompts reach max_model_len {} and are rejected, more than the SLO's p{} allows at any fleet size; raise max_model_len",
            first.rejected as f64 / first.requests as f64 * 100.0,
            cfg.engine.max_model_len.unwrap_or(0),
            cfg.slo.percentile
        );
        return Capacity {
            replicas: 0,
            groups,
            sim: first,
            failure: Some(why),
            sims,
        };
    }
    // Gallop away from the estimate (which comes from the measured capacity and is usually within a replica or
    // two), then bisect: two or three simulations where a search from scratch would take five or more.
    let (mut lo, mut hi, mut best) = if ok(&first) {
        let (mut hi, mut step) = (start, 1u32);
        let mut lo = 0;
        let mut found = None;
        while hi > 1 {
            let r = hi.saturating_sub(step).max(1);
            let res = probe(r);
            if ok(&res) {
                hi = r;
                found = Some(res);
                step *= 2;
            } else {
                lo = r;
                break;
            }
        }
        (lo, hi, found.unwrap_or(first))
    } else {
        (start, 0, first)
    };
    if hi == 0 {
        // Grow until the SLO is met.
        let mut step = 1u32;
        let mut r = start;
        loop {
            if r >= MAX_REPLICAS_PER_GROUP {
                let why = if best.unservable > 0 {
                    format!(
                        "{} requests are larger than one replica's KV cache",
                        best.unservable
                    )
                } else {
                    format!(
                        "the SLO (p{} TTFT {} ms, TPOT {} ms) is not met even with {} replicas per group: it is below the unloaded latency (p{} TTFT {:.0} ms, TPOT {:.1} ms)",
                        cfg.slo.percentile, cfg.slo.ttft_ms, cfg.slo.tpot_ms, MAX_REPLICAS_PER_GROUP, cfg.slo.percentile, best.ttft_ms.p99, best.tpot_ms.p99
                    )
                };
                return Capacity {
                    replicas: 0,
                    groups,
                    sim: best,
                    failure: Some(why),
                    sims,
                };
            }
            lo = r;
            r = r.saturating_add(step).min(MAX_REPLICAS_PER_GROUP);
            step = step.saturating_mul(2);
            let res = probe(r);
            let good = ok(&res);
            best = res;
            if good {
                hi = r;
                break;
            }
        }
    }
    // Binary search in (lo, hi]: hi meets the SLO, lo does not (or is 0).
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let res = probe(mid);
        if ok(&res) {
            hi = mid;
            best = res;
        } else {
            lo = mid;
        }
    }
    if best.replica_seconds > 0.0 && !ok(&best) {
        best = probe(hi);
    }
    Capacity {
        replicas: hi * groups,
        groups,
        sim: best,
        failure: None,
        sims,
    }
}

/// The pilot's length mix served one request at a time on one replica: the unloaded latency.
pub fn lone_requests(
    dep: &Deployment,
    pilot: &Workload,
    context: f64,
    cfg: &SearchConfig,
) -> SimResult {
    let mut w = Workload::new();
    // Spread the pilot's requests far apart so none waits for another.
    for (i, r) in pilot.requests.iter().take(2000).enumerate() {
        let mut q = *r;
        q.arrival = infercost_core::SimTime::from_secs(i as u64 * 600);
        q.input_tokens = ((r.input_tokens as f64 * context).round() as u32).max(1);
        q.prefix_len = 0;
        w.requests.push(q);
    }
    run(dep, &w, cfg, 1).unwrap_or_default()
}

/// A simulation result with nothing in it, for a search that never ran one.
pub fn empty_result() -> SimResult {
    SimResult::default()
}
