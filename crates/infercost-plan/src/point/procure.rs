//! The cheapest mix of capacity at one provider, GPU and region: how many GPUs to commit on a term plan, and how
//! much of the rest of the day to run on spot and on demand, with the SLO held over the simulated day.
//!
//! Committed GPUs bill every hour, so a commitment pays for a replica only if the day needs it for more than the
//! committed/on-demand price ratio of the hours: the cheapest commitment is one of the day's fleet sizes (in
//! whole replicas), and every one is tried. Spot covers a share of the fleet above the commitment; the day is
//! simulated with that share's interruptions, and a share whose day misses the SLO is not used. Both the fleet
//! that follows the day and the static peak fleet are tried under every split, so all on demand, all spot and
//! all committed, static or autoscaled, are among the candidates and the mix never costs more than any of them.

use super::day::{Env, SimDay};
use super::policy::{interruptions, levels, Billed, Carry, HOUR_SHARE};
use super::Ctx;
use crate::result::Policy;
use infercost_core::units::HOURS_PER_MONTH;
use infercost_core::{fmt, Usd};
use infercost_cost::mix::{bill_mix, MixPlans, MixSegment, MixUsage};
use infercost_cost::{spot, Bill, Commitment, MixOption, Plan};
use std::rc::Rc;

/// Shares of the fleet above the commitment tried on spot, most first.
const SPOT_SHARES: [f64; 3] = [1.0, 0.5, 0.0];

/// One way to buy the day.
struct Candidate<'a> {
    /// Shared by the candidates priced on it.
    day: Rc<SimDay>,
    target: Option<f64>,
    extra: u32,
    term: Option<&'a Plan>,
    /// Replicas committed.
    commit: f64,
    spot_share: f64,
}

/// The anchor's siblings: the provider's other terms for the same GPU in the same region that the scenario
/// prices.
fn siblings<'c>(ctx: &Ctx<'c>, anchor: &Plan) -> (Vec<&'c Plan>, Option<&'c Plan>) {
    let s = ctx.scenario;
    let same = ctx.catalog.plans.iter().filter(|p| {
        p.provider == anchor.provider
            && p.gpu == anchor.gpu
            && p.region == anchor.region
            && p.name != anchor.name
            && (s.plans.is_empty() || s.plans.contains(&p.name))
    });
    // Owned servers are bought, not rented on a term: they are billed as their own plan, never in a mix.
    let terms = same
        .clone()
        .filter(|p| p.commitment.is_term() && p.commitment != Commitment::Owned)
        .collect();
    let spot = same
        .filter(|p| p.commitment == Commitment::Spot)
        .min_by(|a, b| a.usd_per_gpu_hour.total_cmp(&b.usd_per_gpu_hour));
    (terms, spot)
}

/// The cheapest mix anchored on the on-demand plan `anchor`, or `None` when its provider sells this GPU in this
/// region on no other terms (the plan's own bill is then the whole story) or no mix meets the SLO.
pub(super) fn cheapest(ctx: &Ctx, anchor: &Plan, env: &Env, carry: &Carry) -> Option<Billed> {
    if anchor.commitment != Commitment::OnDemand {
        return None;
    }
    let (terms, spot_plan) = siblings(ctx, anchor);
    if terms.is_empty() && spot_plan.is_none() {
        return None;
    }
    let delay = spot_plan
        .map_or(0, |p| p.lead_time_s)
        .max(anchor.lead_time_s) as f64;
    let spot_rate = spot_plan.map(|p| (p, interruptions(p)));
    let mut candidates = Vec::new();
    let mut spot_missed = None;
    for share in SPOT_SHARES {
        let lambda = spot_rate.map_or(0.0, |(_, l)| l) * share;
        if share > 0.0 && spot_plan.is_none() {
            continue;
        }
        // The fleet that follows the day and the fleet sized for the peak, each with the headroom its day needs
        // at this share's interruptions.
        let days = [
            env.autoscaled_day(lambda, delay)
                .map(|(d, t)| (d, Some(t), 0)),
            env.static_day(lambda, delay)
                .map(|(d, extra)| (d, None, extra)),
        ];
        if days.iter().all(Option::is_none) {
            spot_missed.get_or_insert(share);
        }
        for (day, target, extra) in days.into_iter().flatten() {
            let day = Rc::new(day);
            for term in std::iter::once(None).chain(terms.iter().copied().map(Some)) {
                let commits = if term.is_some() {
                    levels(&day)
                } else {
                    vec![0.0]
                };
                for commit in commits {
                    candidates.push(Candidate {
                        day: Rc::clone(&day),
                        target,
                        extra,
                        term,
                        commit,
                        spot_share: share,
                    });
                }
            }
        }
    }
    let priced: Vec<(Bill, Candidate)> = candidates
        .into_iter()
        .filter_map(|c| Some((price(ctx, anchor, spot_rate, env, carry, &c)?, c)))
        .collect();
    let (i, _) = priced
        .iter()
        .enumerate()
        .min_by_key(|(_, (b, _))| b.total_usd_per_month)?;
    let reason = why(&priced, i, spot_plan, spot_missed, env.target);
    let options = frontier(&priced);
    let (mut bill, c) = priced.into_iter().nth(i)?;
    if let Some(p) = bill.procurement.as_mut() {
        p.reason = Some(reason);
        p.options = options;
    }
    let day = env.record(&c.day, &layers(&c), (c.extra, c.target));
    Some(Billed {
        policy: Policy::Mix,
        bill,
        day,
    })
}

/// The priced ways of buying the day that no other beats at every price: each one's GPU-hours per plan.
fn frontier(priced: &[(Bill, Candidate)]) -> Vec<MixOption> {
    let all: Vec<MixOption> = priced
        .iter()
        .filter_map(|(b, _)| {
            let p = b.procurement.as_ref()?;
            Some(MixOption {
                committed_plan: p.committed_plan.clone(),
                committed_gpu_hours: p.committed_gpus * HOURS_PER_MONTH,
                spot_gpu_hours: p.spot_gpu_hours,
                on_demand_gpu_hours: p.on_demand_gpu_hours,
            })
        })
        .collect();
    let mut kept: Vec<MixOption> = Vec::new();
    for (i, o) in all.iter().enumerate() {
        // Dominated by another (an exact tie keeps the first).
        let beaten = all
            .iter()
            .enumerate()
            .any(|(j, x)| j != i && o.dominated_by(x) && (!x.dominated_by(o) || j < i));
        if !beaten {
            kept.push(o.clone());
        }
    }
    kept
}

/// Replicas per hour in layers (committed, spot, on-demand): the commitment runs all day, spot takes its share
/// of the replicas above it (whole replicas), on-demand the rest.
fn layers(c: &Candidate) -> Vec<[f64; 3]> {
    c.day
        .hours
        .iter()
        .map(|h| {
            let above = (h.replicas_mean - c.commit).max(0.0);
            let spot = (above * c.spot_share).floor();
            [c.commit, spot, above - spot]
        })
        .collect()
}

fn price(
    ctx: &Ctx,
    anchor: &Plan,
    spot_rate: Option<(&Plan, f64)>,
    env: &Env,
    carry: &Carry,
    c: &Candidate,
) -> Option<Bill> {
    let tp = env.gpus as f64;
    let layers = layers(c);
    let segments: Vec<MixSegment> = c
        .day
        .hours
        .iter()
        .zip(&layers)
        .map(|(h, [committed, spot, od])| {
            let running = committed + spot + od;
            MixSegment {
                hours: HOUR_SHARE,
                spot_gpus: spot * tp,
                on_demand_gpus: od * tp,
                busy_gpus: (h.load_rps / env.busy_rps.max(1e-12)).min(running) * tp,
            }
        })
        .collect();
    let spot_replica_hours: f64 = layers.iter().map(|l| l[1] * HOUR_SHARE).sum();
    let usage = MixUsage {
        segments,
        committed_gpus: c.commit * tp,
        requests: carry.requests,
        output_tokens: carry.output_tokens,
        inter_region_gb: carry.inter_region_gb,
        spot_interruptions_per_month: spot_rate.map_or(0.0, |(_, l)| l) * spot_replica_hours,
    };
    let uses_spot = spot_replica_hours > 0.0;
    let plans = MixPlans {
        on_demand: anchor,
        committed: c.term,
        spot: spot_rate.map(|(p, _)| p).filter(|_| uses_spot),
    };
    bill_mix(&plans, ctx.catalog, &usage, &ctx.scenario.egress_model).ok()
}

/// Why the chosen mix: what committing and spot would have saved or cost against the best candidate without
/// them, and whether spot's interruptions kept the SLO.
fn why(
    priced: &[(Bill, Candidate)],
    chosen: usize,
    spot_plan: Option<&Plan>,
    missed: Option<f64>,
    target: f64,
) -> String {
    let (best, c) = &priced[chosen];
    let best_where = |f: &dyn Fn(&Candidate) -> bool| {
        priced
            .iter()
            .filter(|(_, x)| f(x))
            .map(|(b, _)| b.total_usd_per_month)
            .min()
    };
    let diff = |other: Usd| fmt::usd((other - best.total_usd_per_month).dollars().abs());
    let mut parts = Vec::new();
    if c.term.is_some() {
        if let Some(o) = best_where(&|x| x.term.is_none()) {
            parts.push(format!(
                "the commitment saves {} a month over the best mix without one",
                diff(o)
            ));
        }
    } else if let Some(o) = best_where(&|x| x.term.is_some()) {
        parts.push(format!(
            "no commitment: the best mix with one costs {} more a month",
            diff(o)
        ));
    }
    if let Some(sp) = spot_plan {
        let rate = spot::rate_for(&sp.provider, &sp.gpu);
        let band = format!(
            "{:.0}% of spot capacity reclaimed a month",
            rate.share_per_month * 100.0
        );
        if c.spot_share > 0.0 {
            parts.push(format!(
                "spot for {:.0}% of the fleet above the commitment: at {band} the day keeps {:.2}% within the SLO",
                c.spot_share * 100.0,
                c.day.attainment() * 100.0
            ));
        } else if let Some(share) = missed {
            parts.push(format!(
                "no spot: at {band}, spot for {:.0}% of the fleet pushes the day below {:.1}% within the SLO",
                share * 100.0,
                target * 100.0
            ));
        } else if let Some(o) = best_where(&|x| x.spot_share > 0.0) {
            parts.push(format!("no spot: it would cost {} more a month", diff(o)));
        }
    }
    parts.join("; ")
}
