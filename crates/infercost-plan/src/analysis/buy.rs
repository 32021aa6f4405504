//! Buy vs rent: the volume from which the cheapest serving runs on owned servers — its fleets in the owned plan's
//! jurisdiction bought rather than rented — located by sizing fleets between sweep points.

use super::breakevens::{fleet_replicas, prefetch, walk_down, walk_up};
use super::describe::BreakevenFinding;
use super::VolumeGrid;
use crate::result::{Breakeven, Point};
use crate::scenario::Scenario;
use crate::sweep::Sweep;
use infercost_cost::{Catalog, Commitment, Plan};

/// At one volume of one deployment, over every GPU type's point: the cheapest serving whose fleets run on owned
/// servers wherever `owned` could carry them, and the cheapest whose fleets all rent.
struct Costs {
    owned: f64,
    rented: f64,
    rented_plan: String,
}

impl Costs {
    /// Owning over renting: at or below 1 buying is cheaper.
    fn gap(&self) -> f64 {
        self.owned / self.rented.max(1e-12)
    }
}

/// The costs of `points` (one volume of one deployment): each point's chosen serving with the fleets that `owned`
/// could carry moved onto it, or onto their cheapest rented plan, from the alternatives each fleet recorded.
fn costs(points: &[&Point], owned: &Plan) -> Option<Costs> {
    let mut own: Option<f64> = None;
    let mut rent: Option<(f64, String)> = None;
    for p in points {
        let Some(base) = p.cheapest_usd_per_month else {
            continue;
        };
        let (mut with_owned, mut with_rented, mut ownable) = (base, base, false);
        let mut rented_plan = p.cheapest_plan.clone().unwrap_or_default();
        for s in &p.serving {
            let Some(a) = s
                .buy_or_rent
                .as_ref()
                .filter(|a| a.owned_plan == owned.name)
            else {
                continue;
            };
            let chosen = s.usd_per_month.dollars();
            ownable = true;
            with_owned += a.owned_usd.dollars() - chosen;
            match (&a.rented_plan, a.rented_usd) {
                (Some(plan), Some(usd)) => {
                    with_rented += usd.dollars() - chosen;
                    rented_plan = plan.clone();
                }
                // Nothing rents this fleet here: renting it is not an option.
                _ => with_rented = f64::INFINITY,
            }
        }
        if ownable {
            own = Some(own.map_or(with_owned, |o| o.min(with_owned)));
        }
        if rent.as_ref().is_none_or(|(r, _)| with_rented < *r) {
            rent = Some((with_rented, rented_plan));
        }
    }
    let (rented, rented_plan) = rent.filter(|(r, _)| r.is_finite())?;
    Some(Costs {
        owned: own?,
        rented,
        rented_plan,
    })
}

/// For each deployment and each owned plan its points were billed on, the volume from which buying beats
/// renting in that plan's jurisdiction (context and burst at 1), or that it always or never does over the sweep.
pub(super) fn buy_vs_rent(
    points: &[Point],
    s: &Scenario,
    catalog: &Catalog,
    sweep: &Sweep,
) -> Vec<Breakeven> {
    let mut owned: Vec<&Plan> = catalog
        .plans
        .iter()
        .filter(|p| p.commitment == Commitment::Owned)
        .filter(|p| {
            points
                .iter()
                .any(|pt| pt.bills.iter().any(|b| b.bill.plan == p.name))
        })
        .collect();
    owned.sort_by(|a, b| a.name.cmp(&b.name));
    let mut vols = s.volume.clone();
    vols.sort_by(f64::total_cmp);
    vols.dedup();
    let pairs: Vec<(&str, &Plan)> = s
        .deployments
        .iter()
        .flat_map(|d| owned.iter().map(move |plan| (d.name.as_str(), *plan)))
        .collect();
    // Each pair's walk sizes its own fleets: the walks run side by side, results in the pairs' order.
    sweep
        .map(&pairs, &|&(name, plan)| {
            let at = |v: f64| {
                let here: Vec<&Point> = points
                    .iter()
                    .filter(|p| p.deployment == name && super::same(p.volume, v))
                    .filter(|p| super::same(p.context, 1.0) && super::same(p.burst, 1.0))
                    .collect();
                costs(&here, plan)
            };
            let series: Vec<(f64, Costs)> =
                vols.iter().filter_map(|&v| at(v).map(|c| (v, c))).collect();
            finding(name, plan, &series, sweep).map(|f| f.breakeven())
        })
        .into_iter()
        .flatten()
        .collect()
}

/// What the series of one deployment on one owned plan shows, with the crossing located between sweep points.
fn finding<'a>(
    deployment: &'a str,
    plan: &'a Plan,
    series: &'a [(f64, Costs)],
    sweep: &Sweep,
) -> Option<BreakevenFinding<'a>> {
    let (first, last) = (series.first()?, series.last()?);
    let window = series
        .windows(2)
        .rev()
        .find(|w| w[0].1.gap() > 1.0 && w[1].1.gap() <= 1.0);
    let Some(w) = window else {
        return Some(if series.iter().all(|(_, c)| c.gap() <= 1.0) {
            BreakevenFinding::BuyAlways {
                deployment,
                plan: &plan.name,
                geo: &plan.geo,
                from: first.0,
            }
        } else {
            BreakevenFinding::RentStaysCheaper {
                deployment,
                plan: &plan.name,
                geo: &plan.geo,
                largest: last.0,
                owned_usd: last.1.owned,
                rented_usd: last.1.rented,
                rented_plan: &last.1.rented_plan,
            }
        });
    };
    let gap_at = |k: i64| {
        let pts = sweep.points_at(deployment, VolumeGrid::at(k), 1.0);
        let refs: Vec<&Point> = pts.iter().collect();
        let replicas = pts.iter().map(fleet_replicas).max().unwrap_or(0);
        costs(&refs, plan).map(|c| (c.gap(), replicas))
    };
    let (lo, hi) = (&w[0], &w[1]);
    let ahead = prefetch(sweep, deployment);
    let found = walk_down(lo.0, hi.0, &gap_at, &ahead);
    let volume = walk_up(hi.0, last.0, &gap_at, &ahead).unwrap_or(found);
    Some(BreakevenFinding::BuyFrom {
        deployment,
        plan: &plan.name,
        geo: &plan.geo,
        volume,
        at: hi.0,
        owned_usd: hi.1.owned,
        rented_usd: hi.1.rented,
        rented_plan: &hi.1.rented_plan,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::{BuyOrRent, Policy, Serving};
    use infercost_core::Usd;

    /// A point on `gpu` whose chosen serving is one fleet costing `chosen`, with its owned and rented alternatives.
    fn point(gpu: &str, chosen: f64, alt: Option<(f64, f64)>) -> Point {
        let mut p: Point = serde_json::from_value(serde_json::json!({
            "deployment": "d", "volume": 1.0, "context": 1.0, "burst": 1.0, "gpu": gpu, "tp": 1, "fits": true,
            "slo_met": true, "reason": null, "replicas_peak": 1, "gpus_peak": 1, "groups": 1,
            "requests_peak_hour": 1, "max_rps_per_replica": 1.0, "gpu_hours_per_month": 730.0, "utilization": 0.5,
            "ttft_ms": infercost_sim::LatencySummary::default(), "tpot_ms": infercost_sim::LatencySummary::default(),
            "requests_per_month": 1.0, "output_tokens_per_month": 1.0, "input_tokens_per_month": 1.0, "hourly": [],
            "bills": [], "cheapest_plan": "rent", "cheapest_usd_per_month": chosen, "vs_cheapest": [],
            "simulations": 1
        }))
        .unwrap();
        p.serving = vec![Serving {
            users: Vec::new(),
            served_in: "us".into(),
            plan: "rent".into(),
            policy: Policy::Static,
            tp: 1,
            pp: 1,
            ep: 1,
            attention_dp: false,
            replicas_peak: 1,
            max_rps_per_replica: 1.0,
            requests_peak_hour_share: 1.0,
            usd_per_month: Usd::from_dollars(chosen),
            transfer_usd: Usd::ZERO,
            bill: None,
            day: None,
            alternatives: Vec::new(),
            buy_or_rent: alt.map(|(owned, rented)| BuyOrRent {
                owned_plan: "own".into(),
                owned_usd: Usd::from_dollars(owned),
                rented_plan: Some("rent".into()),
                rented_usd: Some(Usd::from_dollars(rented)),
            }),
        }];
        p
    }

    #[test]
    fn buying_is_compared_with_the_cheapest_rented_serving_over_gpu_types() {
        let mut plan = infercost_cost::Catalog::embedded().plans[0].clone();
        plan.name = "own".into();
        // H100 could be owned for 900 against 1,000 rented; an L40S fleet rents for 950: owning wins by 900/950.
        let h100 = point("h100-sxm", 1000.0, Some((900.0, 1000.0)));
        let l40s = point("l40s", 950.0, None);
        let c = costs(&[&h100, &l40s], &plan).unwrap();
        assert_eq!((c.owned, c.rented), (900.0, 950.0));
        assert!(c.gap() < 1.0);
        // An L40S fleet at 850 rents for less than owning H100s.
        let cheap = point("l40s", 850.0, None);
        assert!(costs(&[&h100, &cheap], &plan).unwrap().gap() > 1.0);
        // No fleet that could be owned: no comparison.
        assert!(costs(&[&l40s], &plan).is_none());
    }
}
