//! Capacity search: the smallest fleet that meets the SLO for a shaped workload, and the most a single replica
//! sustains. Large fleets are sized by group sampling: the busiest hour's traffic is split into equal random
//! shares, one share is simulated on its own group of replicas, and the fleet is that group times the number of
//! shares. Routing within a group of a dozen replicas is nearly as good as across the whole fleet, and rounding
//! the group up to whole replicas overstates the fleet by at most one replica per group.

use infercost_core::transform::{self, VolumeMode};
use infercost_core::{Request, Rng, Workload};
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
    stop_at_miss: bool,
) -> Result<SimResult, infercost_sim::SimError> {
    let mut c = SimConfig::new(cfg.engine.kv_blocks, replicas);
    c.engine = cfg.engine;
    c.slo = Some(cfg.slo);
    c.seed = cfg.seed;
    c.stop_at_miss = stop_at_miss;
    simulate(dep, w, &c)
}

fn ok(r: &SimResult) -> bool {
    r.meets_slo == Some(true) && !r.overloaded
}

/// Runs the simulations of one search, counting them; should the simulator refuse the settings (the caller
/// validated them), the first refusal is kept and the search stops and says so.
struct Probe<'a> {
    dep: &'a Deployment,
    w: Workload,
    cfg: &'a SearchConfig,
    sims: u32,
    refused: Option<String>,
}

impl Probe<'_> {
    /// One group of `replicas` replicas under the group's traffic, stopped as soon as it misses the SLO: a
    /// search keeps only the runs that meet it.
    fn run(&mut self, replicas: u32) -> SimResult {
        self.run_as(replicas, true)
    }

    /// As [`Probe::run`], run to the end even when it misses, for a result that is read.
    fn run_whole(&mut self, replicas: u32) -> SimResult {
        self.run_as(replicas, false)
    }

    fn run_as(&mut self, replicas: u32, stop_at_miss: bool) -> SimResult {
        self.sims += 1;
        run(self.dep, &self.w, self.cfg, replicas, stop_at_miss).unwrap_or_else(|e| {
            self.refused.get_or_insert(e.to_string());
            SimResult::default()
        })
    }

    /// A search that ends without a fleet, for the reason given, with the simulation that shows it.
    fn fail(&self, groups: u32, sim: SimResult, why: String) -> Capacity {
        Capacity {
            replicas: 0,
            groups,
            sim,
            failure: Some(why),
            sims: self.sims,
        }
    }
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
    let all = |_: &Request| true;
    min_replicas_routed(dep, pilot, (volume, context, burst), cfg, estimate, &all)
}

/// As [`min_replicas`], where only a fleet of at most `most` replicas is of interest (another layout already
/// serves the load on fewer GPUs than more would take): `Err(simulations run)` when `most` replicas miss the
/// SLO, found in one or two simulations. A fleet that meets it within `most` is sized as [`min_replicas`] sizes
/// it.
pub fn min_replicas_within(
    dep: &Deployment,
    pilot: &Workload,
    coords: (f64, f64, f64),
    cfg: &SearchConfig,
    estimate: u32,
    most: u32,
) -> Result<Capacity, u32> {
    let all = |_: &Request| true;
    search(dep, pilot, coords, cfg, estimate, &all, Some(most))
}

/// Searches the smallest pool meeting the SLO for the requests a router sends it (`keep`) out of the pilot at
/// `(volume, context, burst)`: each group's traffic is shaped whole, then routed, so the pool sees exactly the
/// requests it would in the fleet. `estimate` is the pool's replica count to start from.
pub fn min_replicas_routed(
    dep: &Deployment,
    pilot: &Workload,
    coords: (f64, f64, f64),
    cfg: &SearchConfig,
    estimate: u32,
    keep: &dyn Fn(&Request) -> bool,
) -> Capacity {
    let unbounded = search(dep, pilot, coords, cfg, estimate, keep, None);
    unbounded.unwrap_or_else(|sims| Capacity {
        replicas: 0,
        groups: 1,
        sim: SimResult::default(),
        failure: Some("no fleet size was searched".to_string()),
        sims,
    })
}

/// The search behind [`min_replicas_routed`] and [`min_replicas_within`]: with a bound `most` on the fleet's
/// replicas, `Err(simulations run)` when the bound misses the SLO.
fn search(
    dep: &Deployment,
    pilot: &Workload,
    (volume, context, burst): (f64, f64, f64),
    cfg: &SearchConfig,
    estimate: u32,
    keep: &dyn Fn(&Request) -> bool,
    most: Option<u32>,
) -> Result<Capacity, u32> {
    // Split the traffic into groups of about `group_replicas` replicas each; one group is simulated. However
    // wrong the estimate, no simulated group holds more than MAX_GROUP_REQUESTS requests.
    let total = pilot.len() as f64 * volume;
    let groups = (estimate / cfg.group_replicas.max(1))
        .max(((total / MAX_GROUP_REQUESTS).ceil() as u32).max(1));
    let share = volume / groups as f64;
    // The most replicas per group that keep the fleet within the bound.
    let within = most.map(|m| (m / groups).min(MAX_REPLICAS_PER_GROUP));
    if within == Some(0) {
        return Err(0);
    }
    let w = match shaped(pilot, share, context, burst, cfg.seed) {
        Ok(mut w) => {
            w.requests.retain(|r| keep(r));
            w
        }
        Err(e) => {
            return Ok(Capacity {
                replicas: 0,
                groups,
                sim: SimResult::default(),
                failure: Some(e.to_string()),
                sims: 1,
            })
        }
    };
    let mut probe = Probe {
        dep,
        w,
        cfg,
        sims: 0,
        refused: None,
    };
    // Under a bound the bound itself is simulated first: one simulation rules out a layout that cannot beat it.
    let start = within.unwrap_or((estimate.div_ceil(groups)).clamp(1, MAX_REPLICAS_PER_GROUP));
    // The first run's rejections are read below, so it runs to the end, unless a miss only rules the layout out.
    let first = match within {
        Some(_) => probe.run(start),
        None => probe.run_whole(start),
    };
    if let Some(e) = probe.refused.take() {
        return Ok(probe.fail(
            groups,
            first,
            format!("the simulator refused the settings: {e}"),
        ));
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
        return Ok(probe.fail(groups, first, why));
    }
    // Gallop away from the estimate (which comes from the measured capacity and is usually within a replica or
    // two), then bisect: two or three simulations where a search from scratch would take five or more.
    let (lo, hi, best) = if ok(&first) {
        gallop_down(&mut probe, start, first)
    } else if within.is_some() {
        return Err(probe.sims);
    } else {
        match grow(&mut probe, start, first) {
            Ok(bracket) => bracket,
            Err(unmet) => {
                let (sim, why) = *unmet;
                return Ok(probe.fail(groups, sim, why));
            }
        }
    };
    let (hi, best) = bisect(&mut probe, lo, hi, best);
    Ok(Capacity {
        replicas: hi * groups,
        groups,
        sim: best,
        failure: None,
        sims: probe.sims,
    })
}

/// From a size that meets the SLO, shrinks in doubling steps until one does not: returns (lo, hi, the
/// simulation at hi), hi meeting the SLO and lo not (or 0).
fn gallop_down(probe: &mut Probe, start: u32, first: SimResult) -> (u32, u32, SimResult) {
    let (mut hi, mut step) = (start, 1u32);
    let mut lo = 0;
    let mut found = None;
    while hi > 1 {
        let r = hi.saturating_sub(step).max(1);
        let res = probe.run(r);
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
}

/// From a size that misses the SLO, grows in doubling steps until one meets it: returns (lo, hi, the
/// simulation at hi), or the last simulation and why no group size up to MAX_REPLICAS_PER_GROUP does.
fn grow(
    probe: &mut Probe,
    start: u32,
    first: SimResult,
) -> Result<(u32, u32, SimResult), Box<(SimResult, String)>> {
    let mut best = first;
    let mut step = 1u32;
    let mut r = start;
    loop {
        if r >= MAX_REPLICAS_PER_GROUP {
            let cfg = probe.cfg;
            let why = if best.unservable > 0 {
                format!(
                    "{} requests are larger than one replica's KV cache",
                    best.unservable
                )
            } else {
                format!(
                    "the SLO (p{} TTFT {} ms, TPOT {} ms) is not met even with {} replicas per group: it is below the unloaded latency (p99 TTFT {:.0} ms, TPOT {:.1} ms)",
                    cfg.slo.percentile, cfg.slo.ttft_ms, cfg.slo.tpot_ms, MAX_REPLICAS_PER_GROUP, best.ttft_ms.p99, best.tpot_ms.p99
                )
            };
            return Err(Box::new((best, why)));
        }
        let lo = r;
        r = r.saturating_add(step).min(MAX_REPLICAS_PER_GROUP);
        step = step.saturating_mul(2);
        // The largest group's run is the one a failure reports: run it to the end.
        let res = match r {
            MAX_REPLICAS_PER_GROUP => probe.run_whole(r),
            _ => probe.run(r),
        };
        let good = ok(&res);
        best = res;
        if good {
            return Ok((lo, r, best));
        }
    }
}

/// Binary search in (lo, hi]: hi meets the SLO, lo does not (or is 0). Returns the smallest size that meets it
/// and its simulation.
fn bisect(probe: &mut Probe, mut lo: u32, mut hi: u32, mut best: SimResult) -> (u32, SimResult) {
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let res = probe.run(mid);
        if ok(&res) {
            hi = mid;
            best = res;
        } else {
            lo = mid;
        }
    }
    if best.replica_seconds > 0.0 && !ok(&best) {
        best = probe.run(hi);
    }
    (hi, best)
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
    run(dep, &w, cfg, 1, false).unwrap_or_default()
}

/// A simulation result with nothing in it, for a search that never ran one.
pub fn empty_result() -> SimResult {
    SimResult::default()
}
