//! Merging shards: the checks that a set of `plan --shard I/N` results are the whole of one sweep, their points
//! put back in sweep order, and the analysis finished at the prices they were planned with. The caller reads the
//! files and loads the scenario's inputs again; everything else about a merge is here.

use crate::result::{PlanResult, Point, SCHEMA_VERSION};
use crate::scenario::Scenario;
use crate::sweep::{prices_used, Inputs, Sweep};
use crate::{analysis, PlanError};
use infercost_core::stats::trace_stats;
use infercost_core::Workload;
use infercost_cost::Catalog;

/// Shards combined into one result whose analysis is still to be done (see [`finish`]).
pub struct Combined {
    /// Every shard's points in sweep order, no longer a shard.
    pub result: PlanResult,
    /// The price catalogs the shards were planned with.
    pub catalog: Catalog,
    /// The folder the scenario's relative paths resolved against when the shards were planned.
    pub scenario_dir: String,
}

fn invalid(message: String) -> PlanError {
    PlanError::Invalid(message)
}

/// Checks that `shards` (each with the name of the file it came from, for errors; at least one) are every shard
/// of one sweep, once each, planned from the same scenario with the same price catalogs by this schema, and
/// combines their points in sweep order.
pub fn combine(shards: Vec<(String, PlanResult)>) -> Result<Combined, PlanError> {
    for (f, r) in &shards {
        if r.schema_version != SCHEMA_VERSION {
            return Err(invalid(format!(
                "{f}: schema_version {} but this infercost reads {SCHEMA_VERSION}",
                r.schema_version
            )));
        }
    }
    let Some((first_file, first)) = shards.first() else {
        return Err(invalid("give the shard results to merge".into()));
    };
    let n = first
        .shard
        .map(|s| s[1])
        .ok_or_else(|| invalid("the first file is not a shard (no `shard` field)".into()))?;
    let mut seen = vec![false; n as usize];
    for (f, r) in &shards {
        if r.scenario != first.scenario {
            return Err(invalid(format!(
                "{f} was planned from a different scenario"
            )));
        }
        match r.shard {
            Some([i, m]) if m == n && !seen[i as usize] => seen[i as usize] = true,
            _ => return Err(invalid(format!("{f}: not a distinct shard of {n}"))),
        }
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(invalid(format!("shard {missing}/{n} is missing")));
    }
    // The analysis is redone at the prices the shards were planned with, not at whatever catalogs are at hand.
    let no_catalog = |f: &str| {
        invalid(format!(
            "{f} carries no price catalog (planned by an older infercost); plan the shards again"
        ))
    };
    let catalog = first
        .catalog
        .clone()
        .ok_or_else(|| no_catalog(first_file))?;
    for (f, r) in &shards {
        match &r.catalog {
            None => return Err(no_catalog(f)),
            Some(c) if *c != catalog => {
                return Err(invalid(format!(
                    "{f} was planned with different price catalogs (--catalog) than {first_file}"
                )))
            }
            Some(_) => {}
        }
    }
    let mut result = first.clone();
    let scenario_dir = result.scenario_dir.take().unwrap_or_default();
    result.catalog = None;
    result.shard = None;
    let mut points: Vec<Point> = shards.into_iter().flat_map(|(_, r)| r.points).collect();
    points.sort_by_key(|p| sweep_order(&result.scenario, p));
    result.points = points;
    Ok(Combined {
        result,
        catalog,
        scenario_dir,
    })
}

/// A point's place in the sweep: deployment, GPU, volume, context, burst, each by its index in the scenario (a
/// mixed point after every GPU type's).
pub(crate) fn sweep_order(s: &Scenario, p: &Point) -> (usize, usize, usize, usize, usize) {
    let pos = |v: &[f64], x: f64| {
        v.iter()
            .position(|y| (y - x).abs() < 1e-12)
            .unwrap_or(usize::MAX)
    };
    (
        s.deployments
            .iter()
            .position(|d| d.name == p.deployment)
            .unwrap_or(usize::MAX),
        s.gpus
            .iter()
            .position(|g| *g == p.gpu)
            .unwrap_or(usize::MAX),
        pos(&s.volume, p.volume),
        pos(&s.context, p.context),
        pos(&s.burst, p.burst),
    )
}

/// Checks that the pilot loaded again (from `trace`) is the one the shards were planned from: a different file
/// at the same path would finish the analysis on another workload.
pub fn check_pilot(result: &PlanResult, pilot: &Workload, trace: &str) -> Result<(), PlanError> {
    let stats = trace_stats(pilot, &result.scenario.format, 0);
    if stats.requests != result.pilot.requests
        || stats.mean_rate_rps.unwrap_or(0.0) != result.pilot.mean_rate_rps
    {
        return Err(invalid(format!(
            "{trace}: {} requests at {:.3}/s, but the shards were planned from a pilot of {} requests at {:.3}/s; merge needs the same trace",
            stats.requests,
            stats.mean_rate_rps.unwrap_or(0.0),
            result.pilot.requests,
            result.pilot.mean_rate_rps
        )));
    }
    Ok(())
}

/// Finishes a combined result: the prices its bills used and its analysis (attribution, inflections,
/// break-evens, months, placement), with the inputs the shards were planned from, so a merge gives the same
/// answer as one run; analyses that size fleets between sweep points simulate them here.
pub fn finish(result: &mut PlanResult, inp: &Inputs, threads: usize) -> Result<(), PlanError> {
    let sweep = Sweep::new(inp, threads)?;
    if !result.points.iter().any(|p| p.is_mix()) {
        crate::mix::add_points(&sweep, &mut result.points);
    }
    result.prices_used = prices_used(&result.points, sweep.catalog())?;
    analysis::analyze(result, &sweep);
    Ok(())
}
