//! Provisioning policies: what each one provisions over the simulated day for a sized fleet, and its bill on a
//! plan. A policy whose day misses the SLO gets more headroom until it meets it, or is not offered. The fleet is
//! billed under whichever policy the plan allows that costs least, and, where the plan's provider sells the
//! same GPU in the same region on other terms, also as the cheapest mix of them ([`super::procure`]). Owned
//! servers are bought: they cannot follow the day, so an owned plan bills the peak fleet all month.

use super::day::{Env, SimDay};
use super::{procure, Ctx, Sizing};
use crate::result::{BillDay, BuyOrRent, Policy};
use infercost_core::units::HOURS_PER_MONTH;
use infercost_core::Workload;
use infercost_cost::bill::{Segment, Usage};
use infercost_cost::{bill, spot, Bill, Commitment, Plan};

/// The traffic a fleet serves: a share of the point's users, some of them remote.
#[derive(Clone, Copy)]
pub(super) struct Traffic {
    pub(super) volume: f64,
    pub(super) context: f64,
    /// Share of the point's requests.
    pub(super) share: f64,
    /// Share of the point's requests that cross a region boundary to reach this fleet.
    pub(super) remote_share: f64,
    /// The point's seed: the day model draws from it, so a bill does not depend on the thread count.
    pub(super) seed: u64,
}

/// What a day's bills need of a sized fleet: its replicas at the peak, GPUs per replica and one replica's capacity.
#[derive(Clone, Copy)]
pub(crate) struct FleetSize {
    pub(crate) replicas: u32,
    /// GPUs per replica (TP × PP).
    pub(crate) gpus: u32,
    /// Requests/s one replica carries within the SLO.
    pub(crate) rps: f64,
}

impl FleetSize {
    pub(super) fn of(sz: &Sizing) -> FleetSize {
        FleetSize {
            replicas: sz.cap.replicas,
            gpus: sz.dep.gpus(),
            rps: sz.rps,
        }
    }
}

/// A fleet billed under a policy, with the day it was priced on.
pub(super) struct Billed {
    pub(super) policy: Policy,
    pub(super) bill: Bill,
    pub(super) day: BillDay,
}

/// What a month of the fleet carries besides GPUs: requests, tokens, inter-region gigabytes.
#[derive(Clone, Copy)]
pub(super) struct Carry {
    pub(super) requests: f64,
    pub(super) output_tokens: f64,
    pub(super) inter_region_gb: f64,
}

impl Carry {
    pub(super) fn usage(&self, segments: Vec<Segment>, commit_gpus: Option<f64>) -> Usage {
        Usage {
            segments,
            commit_gpus,
            requests: self.requests,
            output_tokens: self.output_tokens,
            inter_region_gb: self.inter_region_gb,
            api_usd: 0.0,
        }
    }
}

/// Hours of the month one hour of the representative day stands for.
pub(super) const HOUR_SHARE: f64 = HOURS_PER_MONTH / 24.0;

/// Reclaimed replicas per replica-hour on `plan` (spot plans), else 0.
pub(super) fn interruptions(plan: &Plan) -> f64 {
    match plan.commitment {
        Commitment::Spot => spot::rate_for(&plan.provider, &plan.gpu).per_replica_hour,
        _ => 0.0,
    }
}

/// The month's stretches of a simulated day's fleet.
pub(super) fn segments(env: &Env, day: &SimDay) -> Vec<Segment> {
    day.hours
        .iter()
        .map(|h| Segment {
            hours: HOUR_SHARE,
            gpus: h.replicas_mean * env.gpus as f64,
            busy_gpus: env.busy_gpus(h),
        })
        .collect()
}

impl Policy {
    /// The policies a plan allows, in the order they are tried (a tie goes to the first): the peak fleet all
    /// day on any plan; a fleet that follows the load where the plan bills per use; a committed base with
    /// bursts on its burst plan where a term plan names one. Owned capacity is bought: it cannot follow the day
    /// or burst, so an owned plan bills the peak fleet (in whole servers) all month.
    fn offered(plan: &Plan) -> &'static [Policy] {
        match plan.commitment {
            Commitment::OnDemand | Commitment::Spot => &[Policy::Static, Policy::Autoscaled],
            Commitment::Owned => &[Policy::Static],
            _ if plan.burst_plan.is_some() => &[Policy::Static, Policy::CommittedPlusBurst],
            _ => &[Policy::Static],
        }
    }

    /// This policy's cheapest bill on `plan` for the fleet, on a day that meets the SLO, or `None` when no
    /// headroom meets it or the plan cannot bill it.
    fn bill(self, ctx: &Ctx, plan: &Plan, env: &Env, carry: &Carry) -> Option<Billed> {
        let lambda = interruptions(plan);
        let delay = plan.lead_time_s as f64;
        let spot = plan.commitment == Commitment::Spot;
        let term = plan.commitment.is_term();
        let price = |segments: Vec<Segment>, commit: Option<f64>| {
            bill(
                plan,
                ctx.catalog,
                &carry.usage(segments, commit),
                &ctx.scenario.egress_model,
            )
            .ok()
        };
        // Replicas per hour in layers: committed, spot, on-demand.
        let layers = |day: &SimDay, commit: f64| -> Vec<[f64; 3]> {
            day.hours
                .iter()
                .map(|h| {
                    let n = h.replicas_mean;
                    match (term, spot) {
                        (true, _) => [n.min(commit), 0.0, (n - commit).max(0.0)],
                        (_, true) => [0.0, n, 0.0],
                        _ => [0.0, 0.0, n],
                    }
                })
                .collect()
        };
        let (day, mut b, headroom, commit) = match self {
            Policy::Static => {
                let (day, extra) = env.static_day(lambda, delay)?;
                let b = price(segments(env, &day), None)?;
                let commit = b.committed_gpus.unwrap_or(0.0) / env.gpus as f64;
                (day, b, (extra, None), commit)
            }
            Policy::Autoscaled => {
                let (day, target) = env.autoscaled_day(lambda, delay)?;
                (
                    day.clone(),
                    price(segments(env, &day), None)?,
                    (0, Some(target)),
                    0.0,
                )
            }
            Policy::CommittedPlusBurst => {
                let burst_delay = plan
                    .burst_plan
                    .as_deref()
                    .and_then(|b| ctx.catalog.plan(b).ok())
                    .map_or(delay, |b| b.lead_time_s as f64);
                let (day, target) = env.autoscaled_day(0.0, burst_delay)?;
                // The bill is piecewise linear in the committed GPUs with kinks at the hourly fleet sizes, so the
                // cheapest commitment is one of them: from the quietest hour's fleet to the peak's.
                let (level, b) = levels(&day)
                    .into_iter()
                    .filter_map(|l| {
                        Some((l, price(segments(env, &day), Some(l * env.gpus as f64))?))
                    })
                    .min_by_key(|(_, b)| b.total_usd_per_month)?;
                (day, b, (0, Some(target)), level)
            }
            Policy::Mix => return None,
        };
        if let Some(p) = b.procurement.as_mut() {
            let replica_hours: f64 = day.hours.iter().map(|h| h.replicas_mean * HOUR_SHARE).sum();
            p.spot_interruptions_per_month = lambda * replica_hours;
        }
        let day = env.record(&day, &layers(&day, commit), headroom);
        Some(Billed {
            policy: self,
            bill: b,
            day,
        })
    }
}

/// The whole-replica fleet sizes of a day (each hour's mean rounded down and up), smallest first: where a
/// commitment's bill can turn.
pub(super) fn levels(day: &SimDay) -> Vec<f64> {
    let mut v: Vec<f64> = day
        .hours
        .iter()
        .flat_map(|h| [h.replicas_mean.floor(), h.replicas_mean.ceil()])
        .collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v
}

/// Bills a sized fleet on each of `plans`: under each plan's cheapest provisioning policy and, where a plan
/// anchors a mix of its provider's terms for this GPU and region, as that mix too. A plan on which no policy
/// meets the SLO gives nothing. The plans share the fleet's simulated days.
pub(super) fn bill_fleets<'p>(
    ctx: &Ctx,
    plans: &[&'p Plan],
    sz: FleetSize,
    t: Traffic,
) -> Vec<(&'p Plan, Billed)> {
    let s = ctx.scenario;
    let env = Env::of(ctx, sz, t.volume, t.seed);
    let requests: f64 = env.hourly_rps.iter().map(|l| l * 3600.0 * HOUR_SHARE).sum();
    let (mean_in, mean_out) = mean_lengths(ctx.pilot, t.context);
    let remote = t.remote_share / t.share.max(1e-12);
    let carry = Carry {
        requests,
        output_tokens: requests * mean_out,
        inter_region_gb: (s
            .egress_model
            .gb(requests * remote, requests * mean_out * remote)
            + requests * remote * mean_in * s.egress_model.bytes_per_token / 1e9),
    };
    let mut out = Vec::new();
    for &plan in plans {
        let single = Policy::offered(plan)
            .iter()
            .filter_map(|&policy| policy.bill(ctx, plan, &env, &carry))
            .min_by_key(|b| b.bill.total_usd_per_month);
        for b in single
            .into_iter()
            .chain(procure::cheapest(ctx, plan, &env, &carry))
        {
            out.push((plan, b));
        }
    }
    out
}

/// A fleet's cheapest bill among its bills on the plans of one place, with the others as its alternatives and
/// its cheapest owned and rented bills where it could be owned.
pub(super) struct Chosen {
    pub(super) billed: Billed,
    pub(super) alternatives: Vec<Bill>,
    pub(super) buy_or_rent: Option<BuyOrRent>,
}

/// The cheapest of `bills` (a tie goes to the first), or `None` when there is none.
pub(super) fn choose(bills: Vec<(&Plan, Billed)>) -> Option<Chosen> {
    let buy_or_rent = BuyOrRent::among(
        bills
            .iter()
            .map(|(p, b)| (&b.bill, p.commitment == Commitment::Owned)),
    );
    let i = (0..bills.len()).min_by_key(|&i| bills[i].1.bill.total_usd_per_month)?;
    let mut billed: Vec<Billed> = bills.into_iter().map(|(_, b)| b).collect();
    let chosen = billed.remove(i);
    Some(Chosen {
        billed: chosen,
        alternatives: billed.into_iter().map(|b| b.bill).collect(),
        buy_or_rent,
    })
}

/// Bills a fleet of a given size on `plan`: its cheapest bill on the plan alone or as the mix the plan anchors,
/// on the fleet's simulated day; `None` when no policy meets the SLO.
pub(super) fn bill_size(ctx: &Ctx, plan: &Plan, sz: FleetSize, t: Traffic) -> Option<Billed> {
    bill_fleets(ctx, &[plan], sz, t)
        .into_iter()
        .map(|(_, b)| b)
        .min_by_key(|b| b.bill.total_usd_per_month)
}

/// Mean prompt and output tokens of the pilot at a context multiple.
pub(super) fn mean_lengths(pilot: &Workload, context: f64) -> (f64, f64) {
    let n = pilot.len().max(1) as f64;
    (
        pilot.input_tokens() as f64 / n * context,
        pilot.output_tokens() as f64 / n,
    )
}
