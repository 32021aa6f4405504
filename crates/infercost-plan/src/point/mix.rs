//! Mixed-GPU fleets: short requests on cheap GPUs, long ones on GPUs with more memory and bandwidth (Mélange,
//! Griggs et al. 2024). The pilot's requests are cut into size buckets ([`buckets`]), each GPU type's capacity
//! within the SLO is measured per bucket at the TP its own point chose, an integer program picks the cheapest
//! assignment of buckets to types ([`ilp`]), and the chosen pools are verified by simulating the busiest hour
//! behind a length-aware router, growing any pool that misses the SLO. The mix point is reported only when that
//! verified fleet costs less than the best single type; otherwise it is that single type (one row, share 1).

mod buckets;
mod ilp;

pub(crate) use buckets::{buckets, Buckets};

use super::assemble::{self, Fleet};
use super::policy::{bill_fleets, choose, FleetSize, Traffic};
use super::sizing::Sizing;
use super::{engine_for, lawful, plans_for, Ctx, Setup};
use crate::capacity::{min_replicas_routed, SearchConfig};
use crate::result::{MixRow, Point, MIX_GPU};
use infercost_perf::Deployment;
use infercost_sim::fleet::LengthRouter;

/// A GPU type a mix may use: its setup, the layout its point chose and its cheapest lawful hourly price.
pub(crate) struct Candidate {
    pub(crate) setup: usize,
    pub(crate) dep: Deployment,
    /// $ per GPU-hour of the type's cheapest lawful plan.
    pub(crate) usd_per_gpu_hour: f64,
}

/// The GPU types a mix at a point may use, from each type's own point (`singles`: setup index and point): the
/// TP its sizing chose (the smallest that fits when it found no fleet for the whole traffic, which may still
/// serve the short requests), priced at its cheapest lawful plan.
pub(crate) fn candidates(
    ctx: &Ctx,
    setups: &[Setup],
    singles: &[(usize, &Point)],
) -> Vec<Candidate> {
    let s = ctx.scenario;
    let mut out = Vec::new();
    for &(si, p) in singles {
        let setup = &setups[si];
        let layout = if p.cheapest_usd_per_month.is_some() {
            p.layout()
        } else {
            setup.layout
        };
        let Some(dep) = setup.at_layout(layout) else {
            continue;
        };
        let price = plans_for(ctx.catalog, s, &setup.gpu)
            .into_iter()
            .filter(|p| lawful(p, s))
            .map(|p| p.usd_per_gpu_hour)
            .min_by(f64::total_cmp);
        if let Some(usd_per_gpu_hour) = price {
            out.push(Candidate {
                setup: si,
                dep,
                usd_per_gpu_hour,
            });
        }
    }
    out
}

/// One mix point's inputs: the candidates, the buckets at the point's context and each candidate's capacity per
/// bucket (`[candidate][bucket]`, requests/s per replica).
pub(crate) struct MixInput<'a> {
    pub(crate) setups: &'a [Setup],
    pub(crate) singles: &'a [(usize, &'a Point)],
    pub(crate) candidates: &'a [Candidate],
    pub(crate) buckets: &'a Buckets,
    pub(crate) capacity: &'a [Vec<f64>],
}

/// A verified pool: its candidate, sizing, bill and share of the requests.
struct Pool {
    candidate: usize,
    fleet: Fleet,
    share: f64,
}

/// The mix point at `coords`: the verified cheapest mix when it beats the best single type, else that type.
pub(crate) fn eval_mix(ctx: &Ctx, m: &MixInput, coords: (f64, f64, f64), seed: u64) -> Point {
    let best = m
        .singles
        .iter()
        .map(|&(_, p)| p)
        .filter(|p| p.cheapest_usd_per_month.is_some())
        .min_by(|a, b| {
            a.cheapest_usd_per_month
                .unwrap_or(f64::MAX)
                .total_cmp(&b.cheapest_usd_per_month.unwrap_or(f64::MAX))
        });
    let (pools, sims, why) = match mixed_pools(ctx, m, coords, seed) {
        Ok((pools, sims)) => (pools, sims, None),
        Err((sims, why)) => (Vec::new(), sims, Some(why)),
    };
    let total: Option<f64> = (!pools.is_empty()).then(|| {
        pools
            .iter()
            .map(|p| p.fleet.bill.total_usd_per_month.dollars())
            .sum()
    });
    let beats = match (total, best.and_then(|b| b.cheapest_usd_per_month)) {
        (Some(t), Some(b)) => t < b,
        (Some(_), None) => true,
        _ => false,
    };
    if beats {
        return mixed_point(ctx, m, (coords, seed), pools, sims);
    }
    match best {
        Some(b) => {
            let mut p = b.clone();
            p.gpu = MIX_GPU.into();
            p.simulations = sims;
            p.mix = vec![MixRow {
                gpu: b.gpu.clone(),
                tp: b.tp,
                pp: b.pp,
                replicas: b.replicas_peak,
                requests_share: 1.0,
            }];
            p
        }
        None => {
            let mut p = base_point(ctx, m, coords);
            p.simulations = sims;
            p.reason = Some(format!(
                "no GPU type serves the whole traffic and no mix of them does: {}",
                why.unwrap_or_else(|| "no mix was found".into())
            ));
            p
        }
    }
}

/// The point before its fleet: the deployment's coordinates under the name `mix`.
fn base_point(ctx: &Ctx, m: &MixInput, coords: (f64, f64, f64)) -> Point {
    let first = m.singles.first().map_or(0, |s| s.0);
    let mut p = assemble::unsized_point(ctx, &m.setups[first], coords);
    p.gpu = MIX_GPU.into();
    p.fits = m.setups.iter().any(|s| s.dep.is_some());
    p.reason = None;
    p
}

/// The cheapest mix of at least two types, verified by simulation and billed, with the simulations it took; or
/// the simulations and why there is none.
fn mixed_pools(
    ctx: &Ctx,
    m: &MixInput,
    coords: (f64, f64, f64),
    seed: u64,
) -> Result<(Vec<Pool>, u32), (u32, String)> {
    let (volume, _, _) = coords;
    let b = m.buckets;
    let program = ilp::Program {
        load: b
            .shares
            .iter()
            .map(|s| ctx.pilot_rate * volume * s)
            .collect(),
        capacity: m.capacity.to_vec(),
        replica_cost: m
            .candidates
            .iter()
            .map(|c| c.dep.gpus() as f64 * c.usd_per_gpu_hour)
            .collect(),
    };
    let Some(a) = ilp::solve(&program) else {
        return Err((
            0,
            "some requests fit no GPU type's replica within the SLO".into(),
        ));
    };
    let used: Vec<usize> = (0..m.candidates.len())
        .filter(|&c| a.replicas[c] > 0)
        .collect();
    if used.len() < 2 {
        return Err((
            0,
            "the cheapest assignment puts every bucket on one GPU type".into(),
        ));
    }
    let router = LengthRouter {
        buckets: b.grid.clone(),
        pool_of_bucket: a
            .type_of_bucket
            .iter()
            .map(|t| {
                t.and_then(|t| used.iter().position(|&u| u == t))
                    .unwrap_or(0)
            })
            .collect(),
    };
    let mut pools = Vec::new();
    let mut sims = 0;
    for (pool, &c) in used.iter().enumerate() {
        let buckets: Vec<usize> = (0..b.shares.len())
            .filter(|&k| a.type_of_bucket[k] == Some(c))
            .collect();
        let share: f64 = buckets.iter().map(|&k| b.shares[k]).sum();
        // The pool's capacity for its own mix: its load over the replica-equivalents its buckets need.
        let need: f64 = buckets
            .iter()
            .map(|&k| program.load[k] / program.capacity[c][k])
            .sum();
        let rps = ctx.pilot_rate * volume * share / need;
        let keep = |r: &infercost_core::Request| router.pool_of(r) == pool;
        let start = a.replicas[c];
        match verify(ctx, m, c, (coords, seed), (start, rps, share), &keep) {
            Ok((fleet, n)) => {
                sims += n;
                pools.push(Pool {
                    candidate: c,
                    fleet,
                    share,
                });
            }
            Err((n, why)) => return Err((sims + n, why)),
        }
    }
    Ok((pools, sims))
}

/// Sizes one pool by simulating the requests the router sends it at the busiest hour, from the program's replica
/// count (kept when it meets the SLO, grown until it does, shrunk while it still does), in each jurisdiction a
/// lawful plan for the type runs in, and bills it there under its cheapest policy; keeps the cheapest.
fn verify(
    ctx: &Ctx,
    m: &MixInput,
    c: usize,
    (coords, seed): ((f64, f64, f64), u64),
    (start, rps, share): (u32, f64, f64),
    keep: &dyn Fn(&infercost_core::Request) -> bool,
) -> Result<(Fleet, u32), (u32, String)> {
    let s = ctx.scenario;
    let cand = &m.candidates[c];
    let setup = &m.setups[cand.setup];
    let plans: Vec<_> = plans_for(ctx.catalog, s, &setup.gpu)
        .into_iter()
        .filter(|p| lawful(p, s))
        .collect();
    let mut places: Vec<&str> = plans.iter().map(|p| p.geo.as_str()).collect();
    places.sort_unstable();
    places.dedup();
    let (volume, context, _) = coords;
    let mut sims = 0;
    let mut best: Option<Fleet> = None;
    let mut why = format!("no {} pool meets the SLO", setup.gpu);
    for place in places {
        // Users away from the place the pool runs in reach it over the inter-region round trip.
        let remote: f64 = s.geography.as_ref().map_or(0.0, |g| {
            g.users
                .iter()
                .filter(|(group, _)| group.as_str() != place)
                .map(|(_, share)| share)
                .sum()
        });
        let mut cfg = SearchConfig {
            engine: engine_for(s, &cand.dep),
            slo: s.slo,
            seed,
            group_replicas: s.group_replicas,
        };
        if remote > 0.0 {
            cfg.slo.ttft_ms -= s.geography.as_ref().map_or(0.0, |g| g.cross_region_rtt_ms);
        }
        if cfg.slo.ttft_ms <= 0.0 {
            continue;
        }
        let cap = min_replicas_routed(&cand.dep, ctx.pilot, coords, &cfg, start.max(1), keep);
        sims += cap.sims;
        if let Some(f) = &cap.failure {
            why = format!("the {} pool in {place}: {f}", setup.gpu);
            continue;
        }
        let sizing = Sizing {
            dep: cand.dep.clone(),
            cap,
            rps,
        };
        let traffic = Traffic {
            volume: volume * share,
            context,
            share,
            remote_share: share * remote,
            seed,
        };
        // The pool is priced on its own simulated day, like any fleet: its plans here, each alone or as the mix
        // of terms it anchors.
        let here: Vec<_> = plans.iter().copied().filter(|p| p.geo == place).collect();
        let bills = bill_fleets(ctx, &here, FleetSize::of(&sizing), traffic);
        if let Some(c) = choose(bills) {
            let bill = c.billed.bill;
            if best
                .as_ref()
                .is_none_or(|f| bill.total_usd_per_month < f.bill.total_usd_per_month)
            {
                best = Some(Fleet {
                    users: Vec::new(),
                    served_in: place.to_string(),
                    policy: c.billed.policy,
                    bill,
                    day: Some(c.billed.day),
                    alternatives: c.alternatives,
                    sizing,
                    volume: volume * share,
                    traffic,
                    // Buy vs rent is read from the single types' points.
                    buy_or_rent: None,
                });
            }
        }
    }
    best.map(|f| (f, sims)).ok_or((sims, why))
}

/// The point of a verified mix: its pools as the serving, priced and sized like any other point's fleets.
fn mixed_point(
    ctx: &Ctx,
    m: &MixInput,
    (coords, seed): ((f64, f64, f64), u64),
    pools: Vec<Pool>,
    sims: u32,
) -> Point {
    let mut p = base_point(ctx, m, coords);
    let whole = pools[0].fleet.sizing.clone();
    assemble::record_whole(ctx, &mut p, &whole);
    p.simulations = sims;
    p.groups = pools.iter().map(|x| x.fleet.sizing.cap.groups).sum();
    let scaled = |x: &Pool, n: u64| n * x.fleet.sizing.cap.groups as u64;
    p.rejected_peak_hour = pools
        .iter()
        .map(|x| scaled(x, x.fleet.sizing.cap.sim.rejected))
        .sum();
    p.truncated_peak_hour = pools
        .iter()
        .map(|x| scaled(x, x.fleet.sizing.cap.sim.truncated))
        .sum();
    // Each pool meets the percentile target, so the fleet does; its latency is the slowest pool's.
    let slowest = |f: &dyn Fn(&Pool) -> f64| {
        pools
            .iter()
            .max_by(|a, b| f(a).total_cmp(&f(b)))
            .map(|x| x.fleet.sizing.cap.sim.clone())
    };
    if let Some(sim) = slowest(&|x| x.fleet.sizing.cap.sim.ttft_ms.p99) {
        p.ttft_ms = sim.ttft_ms;
    }
    if let Some(sim) = slowest(&|x| x.fleet.sizing.cap.sim.tpot_ms.p99) {
        p.tpot_ms = sim.tpot_ms;
    }
    p.mix = pools
        .iter()
        .map(|x| MixRow {
            gpu: m.setups[m.candidates[x.candidate].setup].gpu.clone(),
            tp: x.fleet.sizing.dep.layout.tp,
            pp: x.fleet.sizing.dep.layout.pp,
            replicas: x.fleet.sizing.cap.replicas,
            requests_share: x.share,
        })
        .collect();
    assemble::finish(
        ctx,
        &mut p,
        pools.into_iter().map(|x| x.fleet).collect(),
        seed,
    );
    p
}
