//! Buy vs rent: the volume from which a fleet of owned servers costs less than renting the same traffic's fleet in
//! the same jurisdiction, located by sizing fleets between sweep points.

use super::breakevens::{walk_down, walk_up};
use super::describe::BreakevenFinding;
use super::VolumeGrid;
use crate::result::{Breakeven, Point};
use crate::scenario::Scenario;
use crate::sweep::Sweep;
use infercost_cost::{Catalog, Commitment, Plan};

/// The cheapest whole-traffic bill at one volume on the owned plan and on any rented plan of its jurisdiction, over
/// every GPU type's point: `(owned, rented, rented plan)`.
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

/// The costs of `points` (one volume of one deployment) on `owned` and on rented plans in its jurisdiction.
fn costs(points: &[&Point], owned: &Plan, catalog: &Catalog) -> Option<Costs> {
    let bills = || points.iter().flat_map(|p| &p.bills);
    let own = bills()
        .filter(|b| b.bill.plan == owned.name)
        .map(|b| b.bill.total_usd_per_month)
        .min()?;
    let rented = bills()
        .filter(|b| {
            catalog
                .plan(&b.bill.plan)
                .is_ok_and(|p| p.commitment != Commitment::Owned && p.geo == owned.geo)
        })
        .min_by_key(|b| b.bill.total_usd_per_month)?;
    Some(Costs {
        owned: own.dollars(),
        rented: rented.bill.total_usd_per_month.dollars(),
        rented_plan: rented.bill.plan.clone(),
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
    let mut out = Vec::new();
    for d in &s.deployments {
        for plan in &owned {
            let at = |v: f64| {
                let here: Vec<&Point> = points
                    .iter()
                    .filter(|p| p.deployment == d.name && super::same(p.volume, v))
                    .filter(|p| super::same(p.context, 1.0) && super::same(p.burst, 1.0))
                    .collect();
                costs(&here, plan, catalog)
            };
            let series: Vec<(f64, Costs)> =
                vols.iter().filter_map(|&v| at(v).map(|c| (v, c))).collect();
            if let Some(finding) = finding(&d.name, plan, &series, catalog, sweep) {
                out.push(finding.breakeven());
            }
        }
    }
    out
}

/// What the series of one deployment on one owned plan shows, with the crossing located between sweep points.
fn finding<'a>(
    deployment: &'a str,
    plan: &'a Plan,
    series: &'a [(f64, Costs)],
    catalog: &Catalog,
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
        costs(&refs, plan, catalog).map(|c| c.gap())
    };
    let (lo, hi) = (&w[0], &w[1]);
    let found = walk_down(lo.0, hi.0, &gap_at);
    let volume = walk_up(hi.0, last.0, &gap_at).unwrap_or(found);
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
