//! Inflections: changes of regime between adjacent sweep volumes at the pilot's context and burstiness.

use super::best;
use super::describe::InflectionEvent;
use crate::result::{Inflection, Point};
use crate::scenario::Scenario;

/// GPUs in one node of the point's GPU type, from the GPU catalog (`None` for a GPU it does not list).
fn per_node(p: &Point) -> Option<u32> {
    infercost_perf::GpuCatalog::embedded()
        .get(&p.gpu)
        .ok()
        .map(|g| g.gpus_per_node.max(1))
}

/// Nodes at the busiest hour. Nodes are whole per fleet: a split serving rents nodes in each jurisdiction.
fn nodes(p: &Point, per_node: u32) -> u32 {
    if p.serving.is_empty() {
        p.gpus_peak.div_ceil(per_node)
    } else {
        p.serving
            .iter()
            .map(|f| (f.replicas_peak * f.tp * f.pp).div_ceil(per_node))
            .sum()
    }
}

/// Cost per request of a point's cheapest serving.
fn per_request(p: &Point) -> f64 {
    p.cheapest_usd_per_month.unwrap_or(0.0) / p.requests_per_month.max(1.0)
}

/// What changes between two adjacent volumes' cheapest points, in the order the report lists them.
fn events<'a>(p0: &'a Point, p1: &'a Point) -> Vec<InflectionEvent<'a>> {
    let mut out = Vec::new();
    if p0.replicas_peak == 1 && p1.replicas_peak > 1 {
        out.push(InflectionEvent::FloorToLinear {
            gpus: p0.gpus_peak,
            replicas: p1.replicas_peak,
            per_1k_before: per_request(p0) * 1e3,
            per_1k_after: per_request(p1) * 1e3,
        });
    }
    if let (Some(n0), Some(n1)) = (per_node(p0), per_node(p1)) {
        let (before, after) = (nodes(p0, n0), nodes(p1, n1));
        if after > before && after >= 2 {
            out.push(InflectionEvent::NewNode {
                gpus: p1.gpus_peak,
                per_node: n1,
                nodes: after,
            });
        }
    }
    if p0.gpu != p1.gpu {
        out.push(InflectionEvent::GpuChange {
            before: &p0.gpu,
            after: &p1.gpu,
        });
    }
    if p0.cheapest_plan != p1.cheapest_plan {
        out.push(InflectionEvent::PlanChange {
            before: p0.cheapest_plan.as_deref(),
            after: p1.cheapest_plan.as_deref(),
        });
    }
    let ratio = per_request(p1) / per_request(p0).max(1e-12);
    if !(0.5..=2.0).contains(&ratio) {
        out.push(InflectionEvent::RegimeChange {
            ratio,
            per_1k_before: per_request(p0) * 1e3,
            per_1k_after: per_request(p1) * 1e3,
        });
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
            out.extend(events(p0, p1).iter().map(|e| e.inflection(&d.name, v0, v1)));
        }
    }
    out
}
