//! Analysis over the sweep's points: Shapley attribution of cost growth, inflections, break-evens, months ahead
//! and placement by region. Pure functions of the points, the scenario and the catalog, so merged shards give
//! the same answer as one run.

mod breakevens;
mod buy;
mod decisions;
mod describe;
mod inflections;

pub use breakevens::breakevens;
pub use decisions::{bisected, finish};
pub use inflections::inflections;

use crate::result::*;
use crate::scenario::Scenario;
use crate::sweep::Sweep;
use describe::times;
use infercost_cost::Catalog;

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// The cheapest lawful point over GPUs for a deployment at (volume, context, burst).
pub fn best<'a>(
    points: &'a [Point],
    deployment: &str,
    v: f64,
    c: f64,
    b: f64,
) -> Option<&'a Point> {
    points
        .iter()
        .filter(|p| {
            p.deployment == deployment
                && same(p.volume, v)
                && same(p.context, c)
                && same(p.burst, b)
        })
        .filter(|p| p.cheapest_usd_per_month.is_some())
        .min_by(|x, y| {
            x.cheapest_usd_per_month
                .unwrap_or(f64::MAX)
                .total_cmp(&y.cheapest_usd_per_month.unwrap_or(f64::MAX))
        })
}

fn cost(points: &[Point], d: &str, v: f64, c: f64, b: f64) -> Option<f64> {
    best(points, d, v, c, b).and_then(|p| p.cheapest_usd_per_month)
}

/// Interpolates y(x) on log–log axes through sorted (x, y) pairs; below the first x it holds the first y (a fleet
/// does not shrink below its floor), above the last it extends the last segment.
pub fn interpolate(curve: &[(f64, f64)], x: f64) -> Option<f64> {
    let pts: Vec<(f64, f64)> = curve
        .iter()
        .copied()
        .filter(|(a, b)| *a > 0.0 && *b > 0.0)
        .collect();
    match pts.len() {
        0 => None,
        1 => Some(pts[0].1),
        _ => {
            if x <= pts[0].0 {
                return Some(pts[0].1);
            }
            let i = pts
                .windows(2)
                .position(|w| x <= w[1].0)
                .unwrap_or(pts.len() - 2);
            let ((x0, y0), (x1, y1)) = (pts[i], pts[i + 1]);
            let t = (x.ln() - x0.ln()) / (x1.ln() - x0.ln());
            Some((y0.ln() + t * (y1.ln() - y0.ln())).exp())
        }
    }
}

/// The fixed grid of volumes that analyses size fleets on between sweep points: 5% apart, anchored at 1×, so any
/// two sweeps that bracket a volume walk the same grid (and, points being seeded by their coordinates, simulate
/// the same fleets there).
struct VolumeGrid;

impl VolumeGrid {
    /// The log of the grid's ratio from one volume to the next.
    fn step() -> f64 {
        1.05f64.ln()
    }

    /// The `k`-th grid volume (the 0th is 1×).
    fn at(k: i64) -> f64 {
        (k as f64 * Self::step()).exp()
    }

    /// The index of the last grid volume at or below `v`.
    fn below(v: f64) -> i64 {
        (v.ln() / Self::step()).floor() as i64
    }

    /// The index of the first grid volume at or above `v`.
    fn above(v: f64) -> i64 {
        (v.ln() / Self::step()).ceil() as i64
    }
}

/// Fills the analysis fields of a result from its points; break-evens and months size fleets between sweep
/// points with `sweep`.
pub fn analyze(r: &mut PlanResult, sweep: &Sweep) {
    let s = r.scenario.clone();
    let catalog = sweep.catalog();
    // The analysis reads the single types' points: between sweep points it sizes single types (a mixed point is
    // reported beside them, and its saving in the summary).
    let points: Vec<Point> = r.points.iter().filter(|p| !p.is_mix()).cloned().collect();
    r.attribution = attribution(&points, &s);
    r.inflections = inflections(&points, &s);
    r.placement = placement(&points, &s);
    let located = bisected(&points, &s, catalog, sweep);
    let mut apis = Vec::new();
    r.breakevens = breakevens(
        &points,
        &s,
        catalog,
        &r.placement,
        sweep,
        &located,
        &mut apis,
    );
    r.apis_used = apis;
    r.decisions = finish(located, &points, &s, sweep, catalog, &r.breakevens);
    r.months = months(&points, &s, catalog, sweep);
}

/// The cheapest point over GPU types among `points`.
fn cheapest(points: Vec<Point>) -> Option<Point> {
    points
        .into_iter()
        .filter(|p| p.cheapest_usd_per_month.is_some())
        .min_by(|a, b| {
            a.cheapest_usd_per_month
                .unwrap_or(f64::MAX)
                .total_cmp(&b.cheapest_usd_per_month.unwrap_or(f64::MAX))
        })
}

fn max_of(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::MIN, f64::max)
}

/// Shapley values of volume, context and concurrency over the 2³ corners from the pilot to each target.
pub fn attribution(points: &[Point], s: &Scenario) -> Vec<Attribution> {
    let (c1, b1) = (max_of(&s.context), max_of(&s.burst));
    let mut out = Vec::new();
    for d in &s.deployments {
        for &v1 in s.volume.iter().filter(|v| !same(**v, 1.0)) {
            // f over subsets {V, C, B} by bit mask.
            let mut f = [0.0; 8];
            let mut complete = true;
            for (mask, slot) in f.iter_mut().enumerate() {
                let v = if mask & 1 != 0 { v1 } else { 1.0 };
                let c = if mask & 2 != 0 { c1 } else { 1.0 };
                let b = if mask & 4 != 0 { b1 } else { 1.0 };
                match cost(points, &d.name, v, c, b) {
                    Some(x) => *slot = x,
                    None => complete = false,
                }
            }
            if !complete {
                continue;
            }
            let shapley = |i: usize| -> f64 {
                let bit = 1 << i;
                let mut phi = 0.0;
                for mask in 0..8usize {
                    if mask & bit != 0 {
                        continue;
                    }
                    let size = mask.count_ones();
                    let weight = match size {
                        0 | 2 => 1.0 / 3.0,
                        _ => 1.0 / 6.0,
                    };
                    phi += weight * (f[mask | bit] - f[mask]);
                }
                phi
            };
            let (pv, pc, pb) = (shapley(0), shapley(1), shapley(2));
            let total = f[7] - f[0];
            let singles = (f[1] - f[0]) + (f[2] - f[0]) + (f[4] - f[0]);
            // No growth has no driver.
            let driver = [
                (Driver::Volume, pv),
                (Driver::Context, pc),
                (Driver::Concurrency, pb),
            ]
            .into_iter()
            .filter(|x| x.1.abs() > 1e-6)
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .map_or(Driver::NoGrowth, |x| x.0);
            out.push(Attribution {
                deployment: d.name.clone(),
                volume: v1,
                context: c1,
                burst: b1,
                pilot_usd: f[0],
                target_usd: f[7],
                volume_usd: pv,
                context_usd: pc,
                concurrency_usd: pb,
                interaction_usd: total - singles,
                total_growth_usd: total,
                driver,
            });
        }
    }
    out
}

/// The bill month by month under growth: each month's volume and context sized by simulation on every GPU type,
/// whole replicas, the cheapest lawful serving; a month whose context has no feasible fleet says so.
pub fn months(points: &[Point], s: &Scenario, catalog: &Catalog, sweep: &Sweep) -> Vec<Month> {
    let _ = points;
    let Some(g) = s.growth else { return Vec::new() };
    let mut jobs = Vec::new();
    for d in &s.deployments {
        for m in 1..=g.months {
            jobs.push((d, m));
        }
    }
    sweep.map(&jobs, &|&(d, m)| {
        let users = s.users * (g.users_end / s.users).powf(m as f64 / g.months as f64);
        let volume = users / s.users;
        let context = (1.0 + g.context_per_month).powi(m as i32);
        let candidates = sweep.points_at(&d.name, volume, context);
        let reason = candidates
            .iter()
            .filter_map(|p| p.reason.as_ref().map(|r| format!("{}: {r}", p.gpu)))
            .collect::<Vec<_>>()
            .join("; ");
        let best = cheapest(candidates);
        let lead_days = best.as_ref().map_or(0.0, |p| {
            p.serving
                .iter()
                .filter_map(|f| catalog.plan(&f.plan).ok())
                .map(|pl| pl.lead_time_s as f64 / 86_400.0)
                .fold(0.0, f64::max)
        });
        Month {
            deployment: d.name.clone(),
            month: m,
            users,
            volume,
            context,
            usd_per_month: best.as_ref().and_then(|p| p.cheapest_usd_per_month),
            gpus_peak: best.as_ref().map_or(0.0, |p| p.gpus_peak as f64),
            gpu: best.as_ref().map(|p| p.gpu.clone()),
            replicas_peak: best.as_ref().map_or(0, |p| p.replicas_peak),
            plan: best.as_ref().and_then(|p| p.cheapest_plan.clone()),
            order_by_day: ((m as f64 - 1.0) * 365.0 / 12.0 - lead_days).max(0.0),
            reason: best.is_none().then(|| {
                format!(
                    "no feasible fleet at {} volume and {context:.2}× context: {reason}",
                    times(volume)
                )
            }),
        }
    })
}

/// Placement of user groups on serving jurisdictions at each volume (pilot context and burstiness): the options
/// priced at the cheapest GPU type's point, so the chosen option's cost is that point's headline.
pub fn placement(points: &[Point], s: &Scenario) -> Vec<Placement> {
    if s.geography.is_none() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut vols = s.volume.clone();
    vols.sort_by(f64::total_cmp);
    vols.dedup();
    for d in &s.deployments {
        for &v in &vols {
            let p = best(points, &d.name, v, 1.0, 1.0);
            let options = p.map(|p| p.placement.clone()).unwrap_or_default();
            let chosen = options
                .iter()
                .filter(|o| o.allowed)
                .min_by(|a, b| a.usd_per_month.total_cmp(&b.usd_per_month))
                .map(|o| o.name.clone());
            out.push(Placement {
                deployment: d.name.clone(),
                volume: v,
                options,
                chosen,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_holds_the_floor_and_is_log_linear() {
        let c = [(1.0, 100.0), (10.0, 100.0), (100.0, 1000.0)];
        assert_eq!(interpolate(&c, 0.3), Some(100.0));
        let mid = interpolate(&c, 31.622_776_601_683_793).unwrap();
        assert!((mid - 316.227_766).abs() < 1e-3, "{mid}");
        assert!((interpolate(&c, 1000.0).unwrap() - 10_000.0).abs() < 1e-6);
    }
}
