//! A point's Monte Carlo draws: its chosen fleets re-sized and re-billed under a drawn model error, price, growth
//! and busiest hour, without simulating again. A replica's capacity under a throughput error is its simulated
//! capacity times the error's factor, so the fleet a draw needs is the simulated fleet scaled by the load over the
//! capacity, rounded up to whole replicas; only the bills are recomputed.

use super::assemble::Fleet;
use super::policy::{bill_size, FleetSize};
use super::Ctx;
use crate::result::CostBand;
use crate::uncertainty::Uncertainty;
use infercost_core::Rng;
use infercost_cost::Plan;

/// One draw's view of the world.
struct Draw {
    /// True capacity over predicted.
    capacity: f64,
    /// Volume over the planned one (growth path).
    growth: f64,
    /// The busiest hour's load over the planned one.
    burst: f64,
    /// A uniform number picking each fleet's price among its plan's peers.
    price_pick: f64,
}

/// The scenario's monthly growth factor of users, 1 without growth.
fn monthly_growth(ctx: &Ctx) -> f64 {
    let s = ctx.scenario;
    match &s.growth {
        Some(g) if g.months > 0 && s.users > 0.0 && g.users_end > 0.0 => {
            (g.users_end / s.users).powf(1.0 / g.months as f64)
        }
        _ => 1.0,
    }
}

impl Draw {
    fn new(rng: &mut Rng, u: &Uncertainty, monthly: f64) -> Draw {
        let n = u.capacity_factors.len().max(1) as u64;
        let capacity = u
            .capacity_factors
            .get(rng.below(n) as usize)
            .copied()
            .unwrap_or(1.0);
        let mut sym = || 2.0 * rng.f64() - 1.0;
        // Off by up to `growth_months` of growth either way: a forecast early or late by that much.
        let growth = monthly.powf(u.growth_months * sym());
        let burst = 1.0 + u.burst_spread * sym();
        Draw {
            capacity,
            growth,
            burst,
            price_pick: rng.f64(),
        }
    }
}

/// The price ratio a draw gives a plan: a peer's price (same GPU and commitment, any provider in the catalog) over
/// the peers' median. The plan's own price stays the middle of its draws; the peers say how far a quote may be.
fn price_ratio(ctx: &Ctx, plan: &Plan, pick: f64) -> f64 {
    let mut peers: Vec<f64> = ctx
        .catalog
        .plans
        .iter()
        .filter(|p| p.gpu == plan.gpu && p.commitment == plan.commitment)
        .map(|p| p.usd_per_gpu_hour)
        .collect();
    peers.sort_by(f64::total_cmp);
    let median = nearest_rank(&peers, 0.5);
    let i = ((pick * peers.len() as f64) as usize).min(peers.len().saturating_sub(1));
    match peers.get(i) {
        Some(&peer) if median > 0.0 => peer / median,
        _ => 1.0,
    }
}

/// One fleet under a draw: its monthly cost and whether the fleet as sized still carries the drawn load.
fn fleet_cost(ctx: &Ctx, u: &Uncertainty, f: &Fleet, d: &Draw) -> Option<(f64, bool)> {
    let plan = ctx.catalog.plan(&f.bill.plan).ok()?;
    let r = f.sizing.cap.replicas;
    // The load in replicas' worth that the simulated fleet of `r` was the smallest to carry: between r − 1 and r.
    let peak = ctx.pilot_rate * f.traffic.volume;
    let planned = if f.sizing.rps > 0.0 {
        peak / f.sizing.rps
    } else {
        r as f64
    };
    let planned = planned.clamp((r as f64 - 1.0 + 1e-6).max(1e-6), r as f64);
    let need = planned * d.growth * d.burst / d.capacity;
    let met = need <= r as f64 * (1.0 + 1e-9);
    let size = FleetSize {
        replicas: (need - 1e-9).ceil().max(1.0) as u32,
        gpus: f.sizing.dep.gpus(),
        rps: f.sizing.rps * d.capacity,
    };
    let mut traffic = f.traffic;
    traffic.volume *= d.growth;
    let (_, b) = bill_size(ctx, plan, size, traffic)?;
    let ratio = if u.price_spread {
        price_ratio(ctx, plan, d.price_pick)
    } else {
        1.0
    };
    let rest = b.total_usd_per_month - b.gpu_usd;
    Some((b.gpu_usd.dollars() * ratio + rest.dollars(), met))
}

/// The nearest-rank quantile `q` of sorted values.
fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted
        .get(rank.min(sorted.len()).saturating_sub(1))
        .copied()
        .unwrap_or(0.0)
}

/// The cost band of a point's chosen fleets over `u.draws` draws seeded by `seed`.
pub(super) fn band(ctx: &Ctx, fleets: &[Fleet], u: &Uncertainty, seed: u64) -> CostBand {
    let monthly = monthly_growth(ctx);
    let mut costs = Vec::with_capacity(u.draws as usize);
    let mut met = 0u32;
    for i in 0..u.draws {
        let mut rng = Rng::derive(seed, i as u64);
        let d = Draw::new(&mut rng, u, monthly);
        let mut total = 0.0;
        let mut all_met = true;
        for f in fleets {
            match fleet_cost(ctx, u, f, &d) {
                Some((usd, ok)) => {
                    total += usd;
                    all_met &= ok;
                }
                None => all_met = false,
            }
        }
        costs.push(total);
        met += all_met as u32;
    }
    costs.sort_by(f64::total_cmp);
    CostBand {
        draws: u.draws,
        p10_usd: nearest_rank(&costs, 0.1),
        p50_usd: nearest_rank(&costs, 0.5),
        p90_usd: nearest_rank(&costs, 0.9),
        p_slo_met: met as f64 / u.draws.max(1) as f64,
    }
}
