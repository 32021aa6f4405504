//! Analysis over the sweep's points: Shapley attribution of cost growth, inflections, break-evens, months ahead
//! and placement by region. Pure functions of the points, the scenario and the catalog, so merged shards give
//! the same answer as one run.

use crate::result::*;
use crate::scenario::Scenario;
use crate::sweep::Sweep;
use infercost_core::fmt::{count, int, usd, usd_unit};
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

/// Fills the analysis fields of a result from its points; break-evens and months size fleets between sweep
/// points with `sweep`.
pub fn analyze(r: &mut PlanResult, sweep: &Sweep) {
    let s = r.scenario.clone();
    let catalog = sweep.catalog();
    r.attribution = attribution(&r.points, &s);
    r.inflections = inflections(&r.points, &s);
    r.placement = placement(&r.points, &s);
    let mut apis = Vec::new();
    r.breakevens = breakevens(&r.points, &s, catalog, &r.placement, sweep, &mut apis);
    r.apis_used = apis;
    r.months = months(&r.points, &s, catalog, sweep);
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

/// A volume multiple as people write it: `7×`, `1,000×`, `2.5×`.
fn times(v: f64) -> String {
    if v >= 100.0 || (v - v.round()).abs() < 1e-9 {
        format!("{}×", int(v))
    } else {
        format!("{v:.2}×")
    }
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
            let driver = [("volume", pv), ("context", pc), ("concurrency", pb)]
                .into_iter()
                .filter(|x| x.1.abs() > 1e-6)
                .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
                .map(|x| x.0)
                .unwrap_or("none");
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
                driver: driver.to_string(),
            });
        }
    }
    out
}

/// Regime changes along the volume axis at the pilot's context and burstiness.
pub fn inflections(points: &[Point], s: &Scenario) -> Vec<Inflection> {
    let mut out = Vec::new();
    let mut vols = s.volume.clone();
    vols.sort_by(f64::total_cmp);
    for d in &s.deployments {
        let series: Vec<(f64, &Point)> = vols
            .iter()
            .filter_map(|&v| best(points, &d.name, v, 1.0, 1.0).map(|p| (v, p)))
            .collect();
        for w in series.windows(2) {
            let ((v0, p0), (v1, p1)) = (w[0], w[1]);
            let per_req =
                |p: &Point| p.cheapest_usd_per_month.unwrap_or(0.0) / p.requests_per_month.max(1.0);
            let mut push = |kind: &str, description: String| {
                out.push(Inflection {
                    kind: kind.into(),
                    deployment: d.name.clone(),
                    at_volume: v1,
                    description,
                })
            };
            if p0.replicas_peak == 1 && p1.replicas_peak > 1 {
                push("floor_to_linear", format!(
                    "{}: up to {} one replica ({} GPU{}) carries the load and its floor sets the bill; by {} the fleet grows with the load ({} replicas), and cost per 1,000 requests falls from {} to {}.",
                    d.name, times(v0), p0.gpus_peak, if p0.gpus_peak == 1 { "" } else { "s" }, times(v1), count(p1.replicas_peak as u64), usd_unit(per_req(p0) * 1e3), usd_unit(per_req(p1) * 1e3)
                ));
            }
            let per_node = |p: &Point| {
                infercost_perf::GpuCatalog::embedded()
                    .get(&p.gpu)
                    .map_or(8, |g| g.gpus_per_node.max(1))
            };
            // Nodes are whole per fleet: a split serving rents nodes in each jurisdiction.
            let node = |p: &Point| -> u32 {
                if p.serving.is_empty() {
                    p.gpus_peak.div_ceil(per_node(p))
                } else {
                    p.serving
                        .iter()
                        .map(|f| (f.replicas_peak * f.tp).div_ceil(per_node(p)))
                        .sum()
                }
            };
            if node(p1) > node(p0) && node(p1) >= 2 {
                push("new_node", format!("{}: at {} the busiest hour needs {} GPUs, more than one {}-GPU node ({} nodes).", d.name, times(v1), count(p1.gpus_peak as u64), per_node(p1), count(node(p1) as u64)));
            }
            if p0.gpu != p1.gpu {
                push(
                    "gpu_change",
                    format!(
                        "{}: the cheapest GPU changes from {} at {} to {} at {}.",
                        d.name,
                        p0.gpu,
                        times(v0),
                        p1.gpu,
                        times(v1)
                    ),
                );
            }
            if p0.cheapest_plan != p1.cheapest_plan {
                push(
                    "plan_change",
                    format!(
                        "{}: the cheapest plan changes from {} at {} to {} at {}.",
                        d.name,
                        p0.cheapest_plan.as_deref().unwrap_or("none"),
                        times(v0),
                        p1.cheapest_plan.as_deref().unwrap_or("none"),
                        times(v1)
                    ),
                );
            }
            let ratio = per_req(p1) / per_req(p0).max(1e-12);
            if !(0.5..=2.0).contains(&ratio) {
                push("regime_change", format!("{}: cost per 1,000 requests changes {ratio:.2}× between {} and {} ({} → {}).", d.name, times(v0), times(v1), usd_unit(per_req(p0) * 1e3), usd_unit(per_req(p1) * 1e3)));
            }
        }
    }
    out
}

/// Committed-vs-on-demand utilisation, self-hosting vs a per-token API, and the second region.
pub fn breakevens(
    points: &[Point],
    s: &Scenario,
    catalog: &Catalog,
    placement: &[Placement],
    sweep: &Sweep,
    apis: &mut Vec<infercost_cost::ApiPrice>,
) -> Vec<Breakeven> {
    let mut out = Vec::new();
    let used: Vec<&str> = {
        let mut v: Vec<&str> = points
            .iter()
            .flat_map(|p| p.bills.iter().map(|b| b.bill.plan.as_str()))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    for name in &used {
        let Ok(plan) = catalog.plan(name) else {
            continue;
        };
        if !plan.commitment.is_term() {
            continue;
        }
        // Against its burst plan, or the cheapest on-demand plan for the same GPU in the same jurisdiction
        // (anywhere, when that jurisdiction has none).
        let on_demand = |same_geo: bool| {
            catalog
                .plans
                .iter()
                .filter(|p| {
                    p.gpu == plan.gpu
                        && p.commitment == infercost_cost::Commitment::OnDemand
                        && used.contains(&p.name.as_str())
                        && (!same_geo || p.geo == plan.geo)
                })
                .min_by(|a, b| a.usd_per_gpu_hour.total_cmp(&b.usd_per_gpu_hour))
        };
        let reference = plan
            .burst_plan
            .as_ref()
            .and_then(|b| catalog.plan(b).ok())
            .or_else(|| on_demand(true))
            .or_else(|| on_demand(false));
        if let Some(od) = reference {
            let u = infercost_cost::bill::committed_breakeven_utilization(
                plan.usd_per_gpu_hour,
                od.usd_per_gpu_hour,
            );
            let description = if u < 1.0 {
                format!("{} (${:.2}/GPU-h) beats {} (${:.2}/GPU-h) for any GPU that would be provisioned on demand more than {:.0}% of the month.", plan.name, plan.usd_per_gpu_hour, od.name, od.usd_per_gpu_hour, u * 100.0)
            } else {
                format!("{} (${:.2}/GPU-h) never beats {} (${:.2}/GPU-h): it costs more per hour even when fully used.", plan.name, plan.usd_per_gpu_hour, od.name, od.usd_per_gpu_hour)
            };
            out.push(Breakeven {
                kind: "committed_vs_on_demand".into(),
                deployment: None,
                value: Some(u),
                unit: "utilization".into(),
                description,
            });
        }
    }
    let mut vols = s.volume.clone();
    vols.sort_by(f64::total_cmp);
    for d in &s.deployments {
        let base = d
            .model
            .rsplit('/')
            .next()
            .unwrap_or(&d.model)
            .trim_end_matches(".json");
        let series: Vec<&Point> = vols
            .iter()
            .filter_map(|&v| best(points, &d.name, v, 1.0, 1.0))
            .collect();
        let Some(first) = series.first() else {
            continue;
        };
        let share = first.input_tokens_per_month
            / (first.input_tokens_per_month + first.output_tokens_per_month).max(1.0);
        let api = catalog.cheapest_api(base, share);
        if let Some(a) = api {
            if !apis.iter().any(|x| x.name == a.name) {
                apis.push(a.clone());
            }
        }
        let Some(api) = api else {
            out.push(Breakeven {
                kind: "self_host_vs_api".into(),
                deployment: Some(d.name.clone()),
                value: None,
                unit: "volume".into(),
                description: format!(
                    "{}: no per-token API price for {base} in the catalog.",
                    d.name
                ),
            });
            continue;
        };
        let api_cost = |p: &Point| {
            (p.input_tokens_per_month * api.usd_per_million_input
                + p.output_tokens_per_month * api.usd_per_million_output)
                / 1e6
        };
        // Self-hosting wins where its cost falls below the API's. Find the first swept volume where it does, then
        // close in on the crossing by sizing fleets between the two sweep points (bisection in log-volume, by
        // simulation); never extrapolate past the volumes simulated.
        let per_token = |p: &Point| {
            let tok = p.input_tokens_per_month + p.output_tokens_per_month;
            (api_cost(p) / tok.max(1.0), tok / p.volume.max(1e-12))
        };
        let gap = |p: &Point| p.cheapest_usd_per_month.unwrap_or(f64::MAX) / api_cost(p).max(1e-12);
        // Whole replicas make the cost a saw-tooth, so self-hosting can dip below the API at one volume and rise
        // above it again a little further on. The break-even is where it starts to stay cheaper: take the last
        // pair of sweep points where the API is cheaper at the lower one and self-hosting at the upper, and walk
        // down from the upper one over a fixed grid of volumes (5% apart, anchored at 1×, seeded by volume) to the
        // last volume where the API is still cheaper. Any sweep that brackets the crossing walks the same grid.
        let mut crossing = None;
        if let Some(w) = series
            .windows(2)
            .rev()
            .find(|w| gap(w[0]) > 1.0 && gap(w[1]) <= 1.0)
        {
            let step = 1.05f64.ln();
            let at = |k: i64| (k as f64 * step).exp();
            let lo = (w[0].volume.ln() / step).floor() as i64;
            let mut k = (w[1].volume.ln() / step).ceil() as i64;
            let mut found = w[1].volume;
            // Where self-hosting is clearly cheaper (15% margin) whole replicas cannot flip the answer within a
            // step, so the walk gallops there and steps one grid point at a time near the crossing.
            let mut stride = 1;
            while k - 1 > lo {
                let next = (k - stride).max(lo + 1);
                match cheapest(sweep.points_at(&d.name, at(next), 1.0)) {
                    Some(p) if gap(&p) <= 1.0 => {
                        k = next;
                        found = at(k);
                        stride = if gap(&p) < 0.85 { stride * 2 } else { 1 };
                    }
                    _ if stride > 1 => stride = 1,
                    _ => break,
                }
            }
            // Past the upper sweep point the saw-tooth can still dip above the API: walk up until self-hosting
            // is clearly cheaper (15% margin) three steps running, or the sweep ends.
            let top = series.last().map_or(w[1].volume, |p| p.volume);
            let mut k = (w[1].volume.ln() / step).ceil() as i64;
            let (mut clear, mut walked) = (0, 0);
            while clear < 3 && walked < 40 && at(k + 1) < top {
                k += 1;
                walked += 1;
                match cheapest(sweep.points_at(&d.name, at(k), 1.0)) {
                    Some(p) if gap(&p) > 1.0 => {
                        found = at(k + 1);
                        clear = 0;
                    }
                    Some(p) if gap(&p) < 0.85 => clear += 1,
                    Some(_) => clear = 0,
                    None => break,
                }
            }
            crossing = Some(found);
        }
        let self_always = series.iter().all(|p| gap(p) <= 1.0);
        let last = series.last().copied().unwrap_or(first);
        let note = if d.fine_tuned {
            " It is fine-tuned, so this API serves only the base model: no fallback exists, shown for information."
        } else {
            ""
        };
        let (_, tokens_per_volume) = per_token(first);
        let description = match crossing {
            Some(v) => format!("{}: self-hosting beats {} ({}/M in, {}/M out) from about {} the pilot's volume ({}/month of tokens), located by sizing fleets between the sweep points.{note}", d.name, api.name, usd_unit(api.usd_per_million_input), usd_unit(api.usd_per_million_output), times(v), tokens(tokens_per_volume * v)),
            None if self_always => format!("{}: self-hosting is cheaper than {} at every volume swept, from {}.{note}", d.name, api.name, times(first.volume)),
            None => format!("{}: {} stays cheaper than self-hosting up to {}, the largest volume simulated ({} vs {} a month); any crossing lies beyond it.{note}", d.name, api.name, times(last.volume), usd(api_cost(last)), usd(last.cheapest_usd_per_month.unwrap_or(0.0))),
        };
        out.push(Breakeven {
            kind: "self_host_vs_api".into(),
            deployment: Some(d.name.clone()),
            value: crossing,
            unit: "volume".into(),
            description,
        });
    }
    // The second region, from placement.
    for d in &s.deployments {
        let mine: Vec<&Placement> = placement
            .iter()
            .filter(|p| p.deployment == d.name)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let forced = mine.iter().filter(|p| p.chosen.is_some()).all(|p| {
            p.options.iter().filter(|o| o.allowed).all(|o| {
                o.routes
                    .iter()
                    .map(|r| &r.served_in)
                    .collect::<std::collections::BTreeSet<_>>()
                    .len()
                    > 1
            })
        });
        let pays = mine.iter().find(|p| p.chosen.as_deref() == Some("split"));
        let served = mine.iter().any(|p| p.chosen.is_some());
        let (value, description) = if !served {
            (None, format!("{}: no lawful fleet serves every user group at any volume swept; the headline says why.", d.name))
        } else if forced {
            (None, format!("{}: the residency rules require serving from more than one region at every volume.", d.name))
        } else if let Some(p) = pays {
            (
                Some(p.volume),
                format!(
                    "{}: serving each user group in its own region pays for itself from {} on (the smallest swept volume where it is cheapest).",
                    d.name, times(p.volume)
                ),
            )
        } else {
            (None, format!("{}: one region stays cheapest at every volume swept; a second region does not pay for itself.", d.name))
        };
        out.push(Breakeven {
            kind: "second_region".into(),
            deployment: Some(d.name.clone()),
            value,
            unit: "volume".into(),
            description,
        });
    }
    out
}

fn tokens(x: f64) -> String {
    if x >= 1e12 {
        format!("{:.1}T", x / 1e12)
    } else if x >= 1e9 {
        format!("{:.1}B", x / 1e9)
    } else {
        format!("{:.1}M", x / 1e6)
    }
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
