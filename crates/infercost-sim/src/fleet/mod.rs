//! The fleet: replicas behind a router, optionally autoscaled, split into independent groups that can be
//! simulated in parallel (and sampled) with identical results for any number of threads.
//!
//! `config` holds what a simulation is asked to do, `group` simulates one group (with `route` choosing
//! replicas and `autoscale` sizing them), and `summary` turns the merged metrics into the result.

mod autoscale;
mod closed;
mod config;
mod group;
mod reclaim;
mod route;
mod summary;

pub use config::{Autoscaler, Reclaims, Router, SimConfig};
pub use route::{LengthBuckets, LengthRouter};
pub use summary::{ClosedLoopSummary, HourOutcome, Interval, SimResult, TimelineRow};

use crate::metrics::Metrics;
use crate::SimError;
use infercost_core::par::par_map;
use infercost_core::{Rng, SimTime, Workload};
use infercost_perf::Deployment;
use summary::Sampling;

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

/// Replays `wl` on a fleet of `cfg.replicas` replicas of `dep`.
pub fn simulate(dep: &Deployment, wl: &Workload, cfg: &SimConfig) -> Result<SimResult, SimError> {
    config::validate(cfg)?;
    let widened = widen_buckets(wl, cfg);
    let cfg = widened.as_ref().unwrap_or(cfg);
    let sizes = group_sizes(cfg.replicas, cfg.group_size);
    let groups = sizes.len() as u32;
    let chosen = choose_groups(groups, cfg)?;
    let indices = assign_requests(wl, &sizes, &chosen, cfg.seed);
    // A miss in one group of several says nothing of the whole fleet's percentile.
    let stop_at_miss = cfg.stop_at_miss && chosen.len() == 1;
    let results = par_map(&chosen, cfg.threads, |i, &g| {
        let seed = Rng::derive(cfg.seed, 1000 + g as u64).next_u64();
        let size = sizes[g as usize];
        match cfg.clients {
            // Validation keeps a closed loop to one group: its clients share the whole fleet.
            Some(n) => closed::simulate_closed_loop(dep, wl, &indices[i], size, cfg, seed, n),
            None => group::simulate_group(dep, wl, &indices[i], size, cfg, seed, stop_at_miss),
        }
    });
    let mut total = Metrics::new(cfg.bucket);
    let mut per_group = Vec::new();
    for m in &results {
        let prov: f64 = m.buckets.iter().map(|b| b.provisioned_s).sum();
        let busy: f64 = m.buckets.iter().map(|b| b.busy_s).sum();
        per_group.push((
            if prov > 0.0 { busy / prov } else { 0.0 },
            m.ttft.percentile(99.0) as f64 / 1e6,
        ));
        total.merge(m);
    }
    // Requests still draining after the last arrival can reach past the last bucket; the timeline stays
    // within its bound by merging buckets, and the result reads the merged width.
    total.coarsen(MAX_BUCKETS as usize);
    let coarsened = (total.bucket != cfg.bucket).then(|| SimConfig {
        bucket: total.bucket,
        ..cfg.clone()
    });
    let cfg = coarsened.as_ref().unwrap_or(cfg);
    let simulated_replicas: u32 = chosen.iter().map(|&g| sizes[g as usize]).sum();
    let sampling = Sampling {
        groups,
        simulated: chosen.len() as u32,
        scale: cfg.replicas as f64 / simulated_replicas as f64,
        per_group: &per_group,
    };
    Ok(summary::summarize(
        &total,
        cfg,
        &sampling,
        cfg.engine.kv_blocks,
    ))
}

/// Memory follows what is simulated, not the span: a trace stretched over years by one stray timestamp, or a
/// horizon years away (provisioned time runs to it), gets wider timeline buckets instead of billions of empty
/// ones. `None`: the buckets asked for are fine.
fn widen_buckets(wl: &Workload, cfg: &SimConfig) -> Option<SimConfig> {
    let end = cfg
        .horizon
        .or_else(|| wl.requests.last().map(|r| r.arrival))?;
    if end.0 / cfg.bucket.0 < MAX_BUCKETS {
        return None;
    }
    let mut c = cfg.clone();
    // The smallest width that puts the end in the last bucket, not one past it.
    c.bucket = SimTime(end.0 / MAX_BUCKETS + 1);
    if let Some(a) = c.autoscaler.as_mut() {
        a.interval = a.interval.max(c.bucket);
    }
    Some(c)
}

/// The groups to simulate, in order: all of them, or a seeded sample.
fn choose_groups(groups: u32, cfg: &SimConfig) -> Result<Vec<u32>, SimError> {
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
    Ok(chosen)
}

/// Each chosen group's requests (indices into the workload): every request goes to a group with probability
/// proportional to the group's replicas, and is kept when that group is simulated.
fn assign_requests(wl: &Workload, sizes: &[u32], chosen: &[u32], seed: u64) -> Vec<Vec<u32>> {
    let mut indices: Vec<Vec<u32>> = vec![Vec::new(); chosen.len()];
    if sizes.len() == 1 {
        indices[0] = (0..wl.len() as u32).collect();
        return indices;
    }
    let mut starts = Vec::with_capacity(sizes.len());
    let mut acc = 0u64;
    for &s in sizes {
        starts.push(acc);
        acc += s as u64;
    }
    let mut slot_of_group = vec![None; sizes.len()];
    for (i, &g) in chosen.iter().enumerate() {
        slot_of_group[g as usize] = Some(i);
    }
    let mut rng = Rng::derive(seed, 0xA11);
    for i in 0..wl.len() as u32 {
        let u = rng.below(acc);
        let g = starts.partition_point(|&s| s <= u) - 1;
        if let Some(slot) = slot_of_group[g] {
            indices[slot].push(i);
        }
    }
    indices
}
