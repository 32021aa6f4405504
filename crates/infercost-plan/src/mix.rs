//! The sweep's mixed-GPU points (`[sweep] mix = true`): one per deployment, volume, context and burst, built from
//! every GPU type's point there once those are sized (see `point::mix` for how). Each GPU type's capacity per
//! request-size bucket is measured once per context and layout, in parallel, before the points; the points are
//! then built in parallel, each seeded by its coordinates, so results are the same for any thread count and a
//! merge of shards gives what one run gives.

use crate::merge::sweep_order;
use crate::point::mix::{buckets, candidates, eval_mix, Buckets, MixInput};
use crate::result::{Point, MIX_GPU};
use crate::seed::point_seed;
use crate::sweep::Sweep;
use infercost_core::par::par_map;
use infercost_perf::Layout;
use std::collections::BTreeMap;

/// One mixed point to build: a deployment's coordinates and its types' points there (setup index, point index).
struct Task {
    deployment: usize,
    coords: (f64, f64, f64),
    singles: Vec<(usize, usize)>,
}

/// A bucket capacity's key: setup, context (as bits), layout and bucket.
type Key = (usize, u64, Layout, usize);

/// Adds the mixed points to `points` (every GPU type's points of the sweep, in sweep order) when the scenario
/// asks for them, each after its deployment's single-type points.
pub(crate) fn add_points(sweep: &Sweep, points: &mut Vec<Point>) {
    let s = sweep.inp.scenario;
    if !s.mix {
        return;
    }
    let tasks = tasks(sweep, points);
    let mut contexts: Vec<f64> = tasks.iter().map(|t| t.coords.1).collect();
    contexts.sort_by(f64::total_cmp);
    contexts.dedup();
    let grids: Vec<(f64, Buckets)> = contexts
        .iter()
        .map(|&c| (c, buckets(sweep.inp.pilot, c)))
        .collect();
    let grid = |c: f64| grids.iter().find(|g| g.0 == c).map(|g| &g.1);
    // Every (setup, context, layout, bucket) capacity the points need, measured once.
    let mut keys: Vec<Key> = Vec::new();
    sweep.with_ctx(|ctx| {
        for t in &tasks {
            let singles: Vec<(usize, &Point)> = t
                .singles
                .iter()
                .map(|&(si, pi)| (si, &points[pi]))
                .collect();
            let Some(b) = grid(t.coords.1) else { continue };
            for c in candidates(ctx, &sweep.setups, &singles) {
                for (k, mix) in b.mixes.iter().enumerate() {
                    let key = (c.setup, t.coords.1.to_bits(), c.dep.layout, k);
                    if !mix.is_empty() && !keys.contains(&key) {
                        keys.push(key);
                    }
                }
            }
        }
    });
    let measured = par_map(&keys, sweep.threads, |_, &(si, c, layout, k)| {
        bucket_capacity(
            sweep,
            si,
            layout,
            grid(f64::from_bits(c)).map(|b| &b.mixes[k]),
        )
    });
    let capacity: BTreeMap<Key, f64> = keys.into_iter().zip(measured).collect();
    let mixed: Vec<Option<Point>> = par_map(&tasks, sweep.threads, |_, t| {
        sweep.with_ctx(|ctx| {
            let singles: Vec<(usize, &Point)> = t
                .singles
                .iter()
                .map(|&(si, pi)| (si, &points[pi]))
                .collect();
            let cands = candidates(ctx, &sweep.setups, &singles);
            let b = grid(t.coords.1)?;
            let caps: Vec<Vec<f64>> = cands
                .iter()
                .map(|c| {
                    (0..b.mixes.len())
                        .map(|k| {
                            let key = (c.setup, t.coords.1.to_bits(), c.dep.layout, k);
                            capacity.get(&key).copied().unwrap_or(0.0)
                        })
                        .collect()
                })
                .collect();
            let input = MixInput {
                setups: &sweep.setups,
                singles: &singles,
                candidates: &cands,
                buckets: b,
                capacity: &caps,
            };
            let (v, _, burst) = t.coords;
            let seed = point_seed(s.seed, &s.deployments[t.deployment].name, MIX_GPU, v, burst);
            Some(eval_mix(ctx, &input, t.coords, seed))
        })
    });
    points.extend(mixed.into_iter().flatten());
    // Stable: the single types' points keep their order, each mixed point follows its deployment's.
    points.sort_by_key(|p| sweep_order(s, p));
}

/// The mixed points to build: one per deployment and coordinates the single types' points cover.
fn tasks(sweep: &Sweep, points: &[Point]) -> Vec<Task> {
    let s = sweep.inp.scenario;
    let mut tasks: Vec<Task> = Vec::new();
    for (pi, p) in points.iter().enumerate().filter(|(_, p)| !p.is_mix()) {
        let Some(di) = s.deployments.iter().position(|d| d.name == p.deployment) else {
            continue;
        };
        let Some(si) = (0..sweep.setups.len())
            .find(|&si| sweep.setups[si].deployment == di && sweep.setups[si].gpu == p.gpu)
        else {
            continue;
        };
        let coords = (p.volume, p.context, p.burst);
        match tasks
            .iter_mut()
            .find(|t| t.deployment == di && t.coords == coords)
        {
            Some(t) => t.singles.push((si, pi)),
            None => tasks.push(Task {
                deployment: di,
                coords,
                singles: vec![(si, pi)],
            }),
        }
    }
    tasks
}

/// One replica's capacity within the SLO for a bucket's length mix, in a layout of a setup (0 when the layout does
/// not exist or the bucket is empty).
fn bucket_capacity(sweep: &Sweep, si: usize, layout: Layout, mix: Option<&Vec<(u32, u32)>>) -> f64 {
    let s = sweep.inp.scenario;
    let setup = &sweep.setups[si];
    let (Some(dep), Some(mix)) = (setup.at_layout(layout), mix) else {
        return 0.0;
    };
    if mix.is_empty() {
        return 0.0;
    }
    infercost_sim::capacity::replica_capacity(&dep, mix, crate::point::engine_for(s, &dep), s.slo)
}
