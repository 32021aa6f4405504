//! One point of the sweep: size fleets by simulation, bill them on every plan, and choose the cheapest lawful way
//! to serve every user group — one fleet for everyone, or a fleet per jurisdiction — so that the headline, the
//! placement and every analysis read the same answer.
//!
//! A point is sized in phases, one module each: the layouts (TP, PP, EP, attention-DP) to try ([`layout`]), the capacity phase that
//! sizes them by simulation ([`sizing`]), the simulated day a fleet is priced on ([`day`]), the provisioning
//! policies and their bills ([`policy`]), the cheapest mix of committed, spot and on-demand capacity ([`procure`]),
//! the placements of user groups on jurisdictions ([`placement`]) and the point's result ([`assemble`]). A
//! mixed-GPU point is built from the single types' points ([`mix`]).

mod assemble;
mod day;
mod layout;
pub(crate) mod mix;
mod placement;
mod policy;
mod procure;
mod sizing;
mod uncertain;

use crate::result::*;
use crate::scenario::Scenario;
use crate::uncertainty::Uncertainty;
use infercost_core::{Rng, Workload};
use infercost_cost::{Catalog, Plan};
use infercost_perf::{Deployment, Layout};
use infercost_sim::EngineConfig;
use sizing::{size, Sizing};

/// A deployment on one GPU type: the smallest layout that fits, or why none does.
pub(crate) struct Setup {
    pub(crate) deployment: usize,
    pub(crate) gpu: String,
    /// The weight dtype of this setup.
    pub(crate) weights: infercost_perf::Dtype,
    /// The setups of the other weight dtypes the scenario lists for this deployment and GPU (only on the
    /// first one's setup; the point keeps the cheapest).
    pub(crate) alternatives: Vec<usize>,
    /// Whether this is the first listed dtype's setup (the one points are planned for).
    pub(crate) primary: bool,
    pub(crate) dep: Option<Deployment>,
    pub(crate) layout: Layout,
    pub(crate) failure: Option<String>,
}

impl Setup {
    /// The setup's deployment in `layout` (its own when `layout` is its layout), in the setup's weight dtype and
    /// served by its engine; `None` when it has none or that layout does not exist.
    pub(crate) fn at_layout(&self, layout: Layout) -> Option<Deployment> {
        let dep = self.dep.as_ref()?;
        if layout == dep.layout {
            return Some(dep.clone());
        }
        dep.at_layout(layout).ok()
    }
}

pub(crate) use layout::layouts;

/// Records a layout in a point's `tp`, `pp`, `ep` and `attention_dp`.
pub(crate) fn set_layout(point: &mut Point, l: Layout) {
    point.tp = l.tp;
    point.pp = l.pp;
    point.ep = l.ep;
    point.attention_dp = l.attention_dp;
}

/// What every point of a plan shares.
pub(crate) struct Ctx<'a> {
    pub(crate) scenario: &'a Scenario,
    pub(crate) pilot: &'a Workload,
    pub(crate) catalog: &'a Catalog,
    /// One replica's capacity (requests/s) for a setup, context and layout.
    pub(crate) capacity: &'a (dyn Fn(usize, f64, Layout) -> f64 + Sync),
    pub(crate) pilot_rate: f64,
    pub(crate) weights: [f64; 24],
    /// The pilot's minute-to-minute burstiness (`infercost_sim::minute_factors`), for the day model.
    pub(crate) minute_factors: &'a [f64],
    /// The Monte Carlo draws to take around the point, if any (`plan --uncertainty`).
    pub(crate) uncertainty: Option<&'a Uncertainty>,
}

/// The fraction of all GPU memory the scenario's engine uses on a deployment (TensorRT-LLM's setting is a
/// fraction of what the weights leave).
pub(crate) fn memory_fraction(s: &Scenario, dep: &Deployment) -> f64 {
    let e = &s.engine;
    infercost_perf::engine::total_memory_fraction(
        dep,
        e.gpu_memory_utilization,
        e.max_batched_tokens as u64,
    )
}

/// The engine a deployment runs with under the scenario's settings.
pub(crate) fn engine_for(s: &Scenario, dep: &Deployment) -> EngineConfig {
    let e = &s.engine;
    EngineConfig::for_deployment(dep, memory_fraction(s, dep), e.max_batched_tokens)
        .with_max_num_seqs(e.max_num_seqs)
        .with_prefix_caching(e.prefix_caching)
        .with_max_model_len(Some(e.max_model_len))
}

/// Whether a plan may serve every user group under the scenario's residency rules.
pub fn lawful(plan: &Plan, s: &Scenario) -> bool {
    match &s.geography {
        None => true,
        Some(g) => g
            .users
            .iter()
            .filter(|(_, share)| **share > 0.0)
            .all(|(group, _)| allowed(s, group, &plan.geo)),
    }
}

fn allowed(s: &Scenario, group: &str, geo: &str) -> bool {
    s.geography.as_ref().is_none_or(|g| {
        g.residency
            .get(group)
            .is_none_or(|a| a.iter().any(|x| x == geo))
    })
}

/// Plans the scenario prices a GPU on.
pub fn plans_for<'c>(catalog: &'c Catalog, s: &Scenario, gpu: &str) -> Vec<&'c Plan> {
    catalog
        .plans
        .iter()
        .filter(|p| p.gpu == gpu && (s.plans.is_empty() || s.plans.contains(&p.name)))
        .collect()
}

/// Whether some placement could serve every user group on `gpu` lawfully: every group with users has a plan for
/// the GPU in a jurisdiction it may be served in (without geography, any plan for it). A necessary condition,
/// read without simulating: a GPU type that fails it is never a point's cheapest lawful serving.
pub(crate) fn servable(catalog: &Catalog, s: &Scenario, gpu: &str) -> bool {
    let plans = plans_for(catalog, s, gpu);
    match &s.geography {
        None => !plans.is_empty(),
        Some(g) => g
            .users
            .iter()
            .filter(|(_, share)| **share > 0.0)
            .all(|(group, _)| plans.iter().any(|p| allowed(s, group, &p.geo))),
    }
}

/// Evaluates one point: the whole traffic on every plan, then the cheapest lawful serving.
pub(crate) fn eval_point(
    ctx: &Ctx,
    setup_index: usize,
    setup: &Setup,
    coords: (f64, f64, f64),
    seed: u64,
) -> Point {
    let s = ctx.scenario;
    let mut point = assemble::unsized_point(ctx, setup, coords);
    if setup.dep.is_none() {
        return point;
    }
    let whole = match size(ctx, setup_index, setup, coords, s.slo.ttft_ms, seed) {
        Ok(sz) => sz,
        Err(u) => {
            set_layout(&mut point, u.layout);
            point.simulations = u.sims;
            point.ttft_ms = u.cap.sim.ttft_ms;
            point.tpot_ms = u.cap.sim.tpot_ms;
            point.reason = u.cap.failure;
            return point;
        }
    };
    assemble::record_whole(ctx, &mut point, &whole);
    let (volume, context, _) = coords;
    let all = policy::Traffic {
        volume,
        context,
        share: 1.0,
        remote_share: 0.0,
        seed,
    };
    let plans = plans_for(ctx.catalog, s, &setup.gpu);
    for (plan, b) in policy::bill_fleets(ctx, &plans, policy::FleetSize::of(&whole), all) {
        point.bills.push(PointBill {
            policy: b.policy,
            lawful: lawful(plan, s),
            bill: b.bill,
            day: Some(b.day),
        });
    }
    if point.bills.is_empty() {
        point.reason = Some(format!("no plan in the catalog prices {}", setup.gpu));
        return point;
    }
    let mut notes = Vec::new();
    let chosen = match &s.geography {
        None => assemble::one_fleet(ctx, &point, &whole, all),
        Some(_) => {
            let (p, chosen) = placement::placements(ctx, setup_index, setup, &whole, coords, seed);
            point.simulations += p.sims;
            point.placement = p.options;
            notes = p.notes;
            chosen
        }
    };
    match chosen {
        Some(fleets) => {
            if let Some(u) = ctx.uncertainty {
                // Seeded by the draws' seed and the point's own seed (its coordinates), so any thread order and any
                // shard draws the same.
                let draw_seed = Rng::derive(u.seed, seed).next_u64();
                point.uncertainty = Some(uncertain::band(ctx, &fleets, u, draw_seed));
            }
            assemble::finish(ctx, &mut point, fleets, seed)
        }
        None => point.reason = Some(assemble::no_serving_reason(&point, notes)),
    }
    point
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gpu_is_servable_only_where_every_user_group_may_be_served() {
        let text = crate::scenario::DEFAULT_SCENARIO;
        let s = Scenario::parse(text, "scenario-default.toml").unwrap();
        let catalog = Catalog::embedded();
        // EU users must stay in the EU, where the catalog prices H100s but no A100 or L40S.
        assert!(servable(&catalog, &s, "h100-sxm"));
        assert!(!servable(&catalog, &s, "a100-80gb"));
        assert!(!servable(&catalog, &s, "l40s"));
        // Every lawful placement needs a plan per group: the predicate agrees with the plans' jurisdictions.
        let eu_a100 = plans_for(&catalog, &s, "a100-80gb")
            .iter()
            .any(|p| p.geo == "eu");
        assert!(!eu_a100);
        let mut spec = s.into_spec();
        spec.geography = None;
        let s = Scenario::try_from(spec).unwrap();
        assert!(servable(&catalog, &s, "a100-80gb"));
        assert!(!servable(&catalog, &s, "no-such-gpu"));
    }
}
