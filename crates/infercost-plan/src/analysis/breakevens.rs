//! Break-evens: the utilisation above which a term plan beats on-demand, the volume from which self-hosting beats
//! a per-token API (located by sizing fleets between sweep points), the volume from which buying servers beats
//! renting them (`buy.rs`), and the volume from which a second region pays for itself.

use super::describe::BreakevenFinding;
use super::{best, cheapest, VolumeGrid};
use crate::result::{Breakeven, Decision, DecisionAxis, DecisionKind, Placement, Point};
use crate::scenario::{self, Scenario};
use crate::sweep::Sweep;
use infercost_cost::{ApiPrice, Catalog, Commitment, Plan};

/// The break-evens located by walking fleets sized between sweep points: self-hosting vs a per-token API per
/// deployment, with the API prices compared with, and buy vs rent.
pub struct Walked {
    /// Self-hosting vs the API, in deployment order.
    pub self_host: Vec<Breakeven>,
    /// The API prices those compared with.
    pub apis: Vec<ApiPrice>,
    /// Buy vs rent, per deployment and owned plan.
    pub buy: Vec<Breakeven>,
}

/// Each deployment's self-hosting vs API walk (the walks run side by side, results in deployment order), with
/// the API prices they compared with.
pub(super) fn self_host_walks(
    points: &[Point],
    s: &Scenario,
    catalog: &Catalog,
    sweep: &Sweep,
) -> (Vec<Breakeven>, Vec<ApiPrice>) {
    let mut vols = s.volume.clone();
    vols.sort_by(f64::total_cmp);
    let walks = sweep.map(&s.deployments, &|d| {
        let series: Vec<&Point> = vols
            .iter()
            .filter_map(|&v| best(points, &d.name, v, 1.0, 1.0))
            .collect();
        let mut used = Vec::new();
        (self_host(d, &series, catalog, sweep, &mut used), used)
    });
    let (mut out, mut apis) = (Vec::new(), Vec::<ApiPrice>::new());
    for (found, used) in walks {
        out.extend(found);
        for api in used {
            if !apis.iter().any(|x| x.name == api.name) {
                apis.push(api);
            }
        }
    }
    (out, apis)
}

/// Committed-vs-on-demand utilisation, the walked break-evens (self-hosting vs a per-token API, buy vs rent) and
/// the second region, in that order.
pub fn breakevens(
    points: &[Point],
    s: &Scenario,
    catalog: &Catalog,
    placement: &[Placement],
    decisions: &[Decision],
    walked: Walked,
) -> Vec<Breakeven> {
    let mut out = committed(points, catalog);
    out.extend(walked.self_host);
    out.extend(walked.buy);
    for d in &s.deployments {
        out.extend(second_region(&d.name, placement, decisions));
    }
    out
}

/// For every term plan the bills used, the utilisation above which it beats its burst plan, or else the
/// cheapest on-demand plan for the same GPU in the same jurisdiction (anywhere, when that jurisdiction has none).
fn committed(points: &[Point], catalog: &Catalog) -> Vec<Breakeven> {
    let mut used: Vec<&str> = points
        .iter()
        .flat_map(|p| p.bills.iter().map(|b| b.bill.plan.as_str()))
        .collect();
    used.sort_unstable();
    used.dedup();
    let on_demand = |plan: &Plan, same_geo: bool| {
        catalog
            .plans
            .iter()
            .filter(|p| {
                p.gpu == plan.gpu
                    && p.commitment == Commitment::OnDemand
                    && used.contains(&p.name.as_str())
                    && (!same_geo || p.geo == plan.geo)
            })
            .min_by(|a, b| a.usd_per_gpu_hour.total_cmp(&b.usd_per_gpu_hour))
    };
    used.iter()
        .filter_map(|name| catalog.plan(name).ok())
        // An owned plan's hourly cost depends on its use; buy vs rent compares it by volume instead.
        .filter(|plan| plan.commitment.is_term() && plan.commitment != Commitment::Owned)
        .filter_map(|plan| {
            let reference = plan
                .burst_plan
                .as_ref()
                .and_then(|b| catalog.plan(b).ok())
                .or_else(|| on_demand(plan, true))
                .or_else(|| on_demand(plan, false))?;
            let finding = BreakevenFinding::Committed {
                plan: &plan.name,
                usd_per_gpu_hour: plan.usd_per_gpu_hour,
                reference: &reference.name,
                reference_usd_per_gpu_hour: reference.usd_per_gpu_hour,
                utilization: infercost_cost::bill::committed_breakeven_utilization(
                    plan.usd_per_gpu_hour,
                    reference.usd_per_gpu_hour,
                ),
            };
            Some(finding.breakeven())
        })
        .collect()
}

/// The base model a deployment's API prices are looked up by: its catalog name or config file's stem.
fn base_model(d: &scenario::Deployment) -> &str {
    d.model
        .rsplit('/')
        .next()
        .unwrap_or(&d.model)
        .trim_end_matches(".json")
}

/// The per-token API a deployment is compared with: the cheapest for its base model at the token mix of its
/// cheapest point at the smallest swept volume (`first`).
pub(super) fn api_for<'c>(
    d: &scenario::Deployment,
    first: &Point,
    catalog: &'c Catalog,
) -> Option<&'c ApiPrice> {
    let share = first.input_tokens_per_month
        / (first.input_tokens_per_month + first.output_tokens_per_month).max(1.0);
    catalog.cheapest_api(base_model(d), share)
}

/// A point's cost on a per-token API.
pub(super) fn api_cost(api: &ApiPrice, p: &Point) -> f64 {
    (p.input_tokens_per_month * api.usd_per_million_input
        + p.output_tokens_per_month * api.usd_per_million_output)
        / 1e6
}

/// Self-hosting's cost over the API's at a point: at or below 1 self-hosting is cheaper.
fn gap(api: &ApiPrice, p: &Point) -> f64 {
    p.cheapest_usd_per_month.unwrap_or(f64::MAX) / api_cost(api, p).max(1e-12)
}

/// Self-hosting a deployment vs the cheapest per-token API for its base model, over its cheapest points at the
/// swept volumes (`series`, by volume).
fn self_host(
    d: &scenario::Deployment,
    series: &[&Point],
    catalog: &Catalog,
    sweep: &Sweep,
    apis: &mut Vec<ApiPrice>,
) -> Option<Breakeven> {
    let first = *series.first()?;
    let Some(api) = api_for(d, first, catalog) else {
        let finding = BreakevenFinding::NoApiPrice {
            deployment: &d.name,
            base: base_model(d),
        };
        return Some(finding.breakeven());
    };
    if !apis.iter().any(|x| x.name == api.name) {
        apis.push(api.clone());
    }
    let last = series.last().copied().unwrap_or(first);
    let finding = match crossing(&d.name, series, api, sweep) {
        Some(volume) => {
            let tok = first.input_tokens_per_month + first.output_tokens_per_month;
            BreakevenFinding::SelfHostFrom {
                deployment: &d.name,
                api,
                volume,
                tokens_per_month: tok / first.volume.max(1e-12) * volume,
                fine_tuned: d.fine_tuned,
                // Whole replicas make a saw-tooth: self-hosting can win at a swept volume below the break-even
                // and lose again above it.
                also: series
                    .iter()
                    .filter(|p| p.volume < volume && gap(api, p) <= 1.0)
                    .map(|p| p.volume)
                    .collect(),
            }
        }
        None if series.iter().all(|p| gap(api, p) <= 1.0) => BreakevenFinding::SelfHostAlways {
            deployment: &d.name,
            api: &api.name,
            from: first.volume,
            fine_tuned: d.fine_tuned,
        },
        None => BreakevenFinding::ApiStaysCheaper {
            deployment: &d.name,
            api: &api.name,
            largest: last.volume,
            api_usd: api_cost(api, last),
            self_usd: last.cheapest_usd_per_month.unwrap_or(0.0),
            fine_tuned: d.fine_tuned,
        },
    };
    Some(finding.breakeven())
}

/// The volume from which self-hosting stays cheaper than the API, located between sweep points by simulation;
/// `None` when no pair of sweep points brackets a crossing. Never extrapolated past the volumes simulated.
///
/// Whole replicas make the cost a saw-tooth, so self-hosting can dip below the API at one volume and rise above
/// it again a little further on. The break-even is where it starts to stay cheaper: take the last pair of sweep
/// points where the API is cheaper at the lower one and self-hosting at the upper, and walk down from the upper
/// one over a fixed grid of volumes (5% apart, anchored at 1×, seeded by volume) to the last volume where the
/// API is still cheaper. Any sweep that brackets the crossing walks the same grid.
fn crossing(deployment: &str, series: &[&Point], api: &ApiPrice, sweep: &Sweep) -> Option<f64> {
    let w = series
        .windows(2)
        .rev()
        .find(|w| gap(api, w[0]) > 1.0 && gap(api, w[1]) <= 1.0)?;
    let gap_at = |k: i64| {
        cheapest(sweep.points_at(deployment, VolumeGrid::at(k), 1.0))
            .map(|p| (gap(api, &p), fleet_replicas(&p)))
    };
    let ahead = prefetch(sweep, deployment);
    let found = walk_down(w[0].volume, w[1].volume, &gap_at, &ahead);
    let top = series.last().map_or(w[1].volume, |p| p.volume);
    Some(walk_up(w[1].volume, top, &gap_at, &ahead).unwrap_or(found))
}

/// Replicas a point's fleets hold at their peak: how coarse its cost's saw-tooth is (one more replica adds
/// 1/n to it).
pub(super) fn fleet_replicas(p: &Point) -> u32 {
    p.serving.iter().map(|s| s.replicas_peak).sum()
}

/// A grid volume's cost ratio (self-hosted or owned over the alternative) and the replicas behind it.
pub(super) type GapAt<'a> = dyn Fn(i64) -> Option<(f64, u32)> + 'a;

/// Sizes the points of some grid volumes ahead of a walk, side by side (they are remembered by the sweep).
pub(super) type Prefetch<'a> = dyn Fn(&[i64]) + 'a;

/// A walk's prefetch for a deployment: every GPU type's point at each grid volume, at context 1.
pub(super) fn prefetch<'a>(sweep: &'a Sweep, deployment: &'a str) -> impl Fn(&[i64]) + 'a {
    move |ks: &[i64]| {
        sweep.map(ks, &|&k| {
            sweep.points_at(deployment, VolumeGrid::at(k), 1.0);
        });
    }
}

/// Walks the grid down from the upper sweep point `hi` towards the lower one `lo` while self-hosting stays
/// cheaper; returns the lowest grid volume where it still is (`hi` itself when none below is).
pub(super) fn walk_down(lo: f64, hi: f64, gap_at: &GapAt, prefetch: &Prefetch) -> f64 {
    let lo = VolumeGrid::below(lo);
    let mut k = VolumeGrid::above(hi);
    let mut found = hi;
    let mut ready = None;
    // Where self-hosting stays clearly cheaper (15% margin) even with one more replica, whole replicas cannot flip
    // the answer within a step, so the walk gallops there and steps one grid point at a time near the crossing. A
    // small fleet's teeth are tall (one replica of three is a third of its cost), so it gallops only far below.
    let mut stride = 1;
    while k - 1 > lo {
        let next = (k - stride).max(lo + 1);
        // Stepping one grid point at a time, two steps are sized side by side (the answer is the same).
        if stride == 1 && ready != Some(next) && next - 1 > lo {
            prefetch(&[next, next - 1]);
            ready = Some(next - 1);
        }
        match gap_at(next) {
            Some((g, n)) if g <= 1.0 => {
                k = next;
                found = VolumeGrid::at(k);
                let tooth = 1.0 + 1.0 / n.max(1) as f64;
                stride = if g * tooth < 0.85 { stride * 2 } else { 1 };
            }
            _ if stride > 1 => stride = 1,
            _ => break,
        }
    }
    found
}

/// Past the upper sweep point `hi` the saw-tooth can still dip above the API: walks up until self-hosting is
/// clearly cheaper (15% margin) three steps running, for at most [`WALK_UP_STEPS`] steps (the teeth of whole
/// replicas are a few steps wide; a gap that hovers near the margin for longer is no saw-tooth), or until the
/// sweep ends at `top`. Returns the grid volume above the last one where the API was cheaper, if any was.
/// The most grid steps (5% each, 63% in all) a walk goes up past the upper sweep point.
const WALK_UP_STEPS: u32 = 10;

pub(super) fn walk_up(hi: f64, top: f64, gap_at: &GapAt, prefetch: &Prefetch) -> Option<f64> {
    let mut k = VolumeGrid::above(hi);
    let mut found = None;
    let (mut clear, mut walked) = (0, 0);
    let mut ready = None;
    while clear < 3 && walked < WALK_UP_STEPS && VolumeGrid::at(k + 1) < top {
        k += 1;
        walked += 1;
        // Two steps sized side by side: the walk's answer is the same, its wall time about halved.
        if ready != Some(k) && walked < WALK_UP_STEPS && VolumeGrid::at(k + 1) < top {
            prefetch(&[k, k + 1]);
            ready = Some(k + 1);
        }
        match gap_at(k).map(|(g, _)| g) {
            Some(g) if g > 1.0 => {
                found = Some(VolumeGrid::at(k + 1));
                clear = 0;
            }
            Some(g) if g < 0.85 => clear += 1,
            Some(_) => clear = 0,
            None => break,
        }
    }
    found
}

/// Whether and from which volume a second region pays for itself, from the placements of one deployment and the
/// region decisions located between sweep points; `None` without geography.
fn second_region(
    deployment: &str,
    placement: &[Placement],
    decisions: &[Decision],
) -> Option<Breakeven> {
    let mine: Vec<&Placement> = placement
        .iter()
        .filter(|p| p.deployment == deployment)
        .collect();
    if mine.is_empty() {
        return None;
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
    let finding = if !served {
        BreakevenFinding::NeverServed { deployment }
    } else if forced {
        BreakevenFinding::RegionsForced { deployment }
    } else if let Some(p) = pays {
        // The first swept volume where the split is cheapest; the decision between it and the swept volume below
        // says where, by simulation, it starts to be.
        let below = mine
            .iter()
            .map(|q| q.volume)
            .filter(|&v| v < p.volume)
            .fold(0.0, f64::max);
        let located = decisions.iter().find(|x| {
            x.deployment == deployment
                && x.what == DecisionKind::Region
                && x.variable == DecisionAxis::Volume
                && Some(&x.to) == p.chosen.as_ref()
                && x.at > below
                && x.at <= p.volume
        });
        BreakevenFinding::SplitPays {
            deployment,
            volume: located.map_or(p.volume, |x| x.at),
            located: located.is_some(),
        }
    } else {
        BreakevenFinding::OneRegion { deployment }
    };
    Some(finding.breakeven())
}
