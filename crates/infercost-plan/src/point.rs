//! One point of the sweep: size fleets by simulation, bill them on every plan, and choose the cheapest lawful way
//! to serve every user group — one fleet for everyone, or a fleet per jurisdiction — so that the headline, the
//! placement and every analysis read the same answer.

use crate::capacity::{self, SearchConfig};
use crate::result::*;
use crate::scenario::Scenario;
use infercost_core::units::HOURS_PER_MONTH;
use infercost_core::Workload;
use infercost_cost::bill::{Segment, Usage};
use infercost_cost::{bill, Catalog, Commitment, Plan};
use infercost_perf::Deployment;
use infercost_sim::{EngineConfig, LatencySummary};
use std::collections::BTreeMap;

/// A deployment on one GPU type: the smallest layout that fits, or why none does.
pub(crate) struct Setup {
    pub(crate) deployment: usize,
    pub(crate) gpu: String,
    pub(crate) dep: Option<Deployment>,
    pub(crate) tp: u32,
    pub(crate) failure: Option<String>,
}

/// What every point of a plan shares.
pub(crate) struct Ctx<'a> {
    pub(crate) scenario: &'a Scenario,
    pub(crate) pilot: &'a Workload,
    pub(crate) catalog: &'a Catalog,
    /// One replica's capacity (requests/s) for a setup, context and TP.
    pub(crate) capacity: &'a (dyn Fn(usize, f64, u32) -> f64 + Sync),
    pub(crate) pilot_rate: f64,
    pub(crate) weights: [f64; 24],
}

/// The engine a deployment runs with under the scenario's settings.
pub(crate) fn engine_for(s: &Scenario, dep: &Deployment) -> EngineConfig {
    let e = &s.engine;
    EngineConfig::for_deployment(dep, e.gpu_memory_utilization, e.max_batched_tokens)
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

/// A fleet sized by simulation for a share of the traffic.
#[derive(Clone)]
pub(crate) struct Sizing {
    pub(crate) dep: Deployment,
    pub(crate) cap: capacity::Capacity,
    /// One replica's capacity at the chosen TP.
    pub(crate) rps: f64,
}

/// Sizes the smallest fleet for `volume` × the pilot at `context` and `burst` under a TTFT target of `ttft_ms`:
/// the smallest TP that fits, then wider TPs in the node while they need fewer GPUs in all.
pub(crate) fn size(
    ctx: &Ctx,
    setup_index: usize,
    setup: &Setup,
    (volume, context, burst): (f64, f64, f64),
    ttft_ms: f64,
    seed: u64,
) -> Result<Sizing, Box<Unsized>> {
    let s = ctx.scenario;
    let d = &s.deployments[setup.deployment];
    let Some(dep) = &setup.dep else {
        return Err(Box::new((
            setup.tp,
            failure(setup.failure.clone().unwrap_or_default()),
            0,
        )));
    };
    let mut cfg = SearchConfig {
        engine: engine_for(s, dep),
        slo: s.slo,
        seed,
        group_replicas: s.group_replicas,
    };
    cfg.slo.ttft_ms = ttft_ms;
    let peak_rps = ctx.pilot_rate * volume;
    // Candidate layouts: the smallest TP that fits, and wider ones within the node when the deployment leaves TP
    // to the planner. Each one's measured capacity bounds the GPUs it needs; simulate the most promising first
    // and stop when no other can need fewer GPUs than the best found (the smaller TP wins a tie).
    let mut candidates = vec![dep.clone()];
    while d.tp.is_none() {
        let last = &candidates[candidates.len() - 1];
        if last.tp * 2 > last.gpu.gpus_per_node {
            break;
        }
        match Deployment::new(
            last.model.clone(),
            last.gpu.clone(),
            last.tp * 2,
            d.weights,
            d.kv_dtype,
        ) {
            Ok(w) => candidates.push(w),
            Err(_) => break,
        }
    }
    let mut ranked: Vec<(u64, Deployment, f64)> = candidates
        .into_iter()
        .map(|c| {
            let rps = (ctx.capacity)(setup_index, context, c.tp);
            let est = if rps > 0.0 {
                ((peak_rps / rps).ceil().max(1.0) as u64) * c.tp as u64
            } else {
                u64::MAX
            };
            (est, c, rps)
        })
        .collect();
    ranked.sort_by_key(|(est, c, _)| (*est, c.tp));
    let mut sims = 0;
    let mut best: Option<Sizing> = None;
    let mut failed: Option<(u32, capacity::Capacity)> = None;
    // Simulated over estimated GPUs of the first layout sized: burstier traffic or a tighter target needs more
    // than the Poisson capacity says, about equally for every layout.
    let mut ratio = 1.0f64;
    for (est, current, rps) in ranked {
        if best
            .as_ref()
            .is_some_and(|b| (b.cap.replicas * b.dep.tp) as f64 <= est as f64 * ratio)
        {
            break;
        }
        cfg.engine = engine_for(s, &current);
        let cap = if rps > 0.0 {
            let estimate = ((peak_rps / rps).ceil() as u32).max(1);
            capacity::min_replicas(&current, ctx.pilot, volume, context, burst, &cfg, estimate)
        } else {
            let lone = capacity::lone_requests(&current, ctx.pilot, context, &cfg);
            sims += 1;
            failure(unmeetable(s, &current, &lone, ttft_ms))
        };
        sims += cap.sims;
        if cap.failure.is_none() {
            let gpus = cap.replicas * current.tp;
            let better = best.as_ref().is_none_or(|b| {
                let bg = b.cap.replicas * b.dep.tp;
                gpus < bg || (gpus == bg && current.tp < b.dep.tp)
            });
            if best.is_none() && est < u64::MAX {
                ratio = (gpus as f64 / est as f64).max(1.0);
            }
            if better {
                best = Some(Sizing {
                    dep: current,
                    cap,
                    rps,
                });
            }
        } else {
            // The widest layout's reason is the one that says most: not even it meets the SLO.
            failed = Some((current.tp, cap));
        }
    }
    match best {
        Some(mut b) => {
            b.cap.sims = sims;
            Ok(b)
        }
        None => {
            let (tp, cap) = failed.unwrap_or((setup.tp, failure(String::new())));
            Err(Box::new((tp, cap, sims)))
        }
    }
}

/// A search that found no fleet: the layout it tried last, its simulation with the reason, the simulations run.
type Unsized = (u32, capacity::Capacity, u32);

fn failure(why: String) -> capacity::Capacity {
    capacity::Capacity {
        replicas: 0,
        groups: 1,
        sim: capacity::empty_result(),
        failure: Some(why),
        sims: 0,
    }
}

/// Why no fleet of this layout meets the SLO at any size, in the terms that matter: a lone request already
/// misses it.
fn unmeetable(
    s: &Scenario,
    dep: &Deployment,
    lone: &infercost_sim::SimResult,
    ttft: f64,
) -> String {
    let p = s.slo.percentile;
    if lone.requests > 0 && lone.rejected as f64 > lone.requests as f64 * (1.0 - p / 100.0) {
        return format!(
            "{:.1}% of the prompts reach [engine] max_model_len {} at this context and are rejected, more than the SLO's p{p} allows; raise max_model_len",
            lone.rejected as f64 / lone.requests as f64 * 100.0,
            s.engine.max_model_len
        );
    }
    if lone.completed == 0 {
        return format!(
            "no request of this mix can be served on {}× {}: {} of {} were rejected (prompt at or past max_model_len {}) or too large for one replica's KV cache",
            dep.tp, dep.gpu.name, lone.rejected + lone.unservable, lone.requests, s.engine.max_model_len
        );
    }
    let mut parts = Vec::new();
    if lone.ttft_ms.p99 > ttft {
        parts.push(format!(
            "a lone request's p{p} TTFT is {} (the longest prompts' prefill), above the {} target",
            infercost_core::fmt::ms(lone.ttft_ms.p99),
            infercost_core::fmt::ms(ttft)
        ));
    }
    if lone.tpot_ms.p99 > s.slo.tpot_ms {
        parts.push(format!(
            "a lone request's p{p} TPOT is {}, above the {} target",
            infercost_core::fmt::ms(lone.tpot_ms.p99),
            infercost_core::fmt::ms(s.slo.tpot_ms)
        ));
    }
    if parts.is_empty() {
        parts.push(format!(
            "the SLO (p{p} TTFT {}, TPOT {}) is missed even by requests served one at a time",
            infercost_core::fmt::ms(ttft),
            infercost_core::fmt::ms(s.slo.tpot_ms)
        ));
    }
    format!(
        "{}× {} cannot meet the SLO at any fleet size: {}",
        dep.tp,
        dep.gpu.name,
        parts.join("; ")
    )
}

/// The traffic a fleet serves: a share of the point's users, some of them remote.
#[derive(Clone, Copy)]
struct Traffic {
    volume: f64,
    context: f64,
    /// Share of the point's requests.
    share: f64,
    /// Share of the point's requests that cross a region boundary to reach this fleet.
    remote_share: f64,
}

/// Bills a sized fleet on `plan` under its cheapest provisioning policy.
fn bill_fleet(
    ctx: &Ctx,
    plan: &Plan,
    sz: &Sizing,
    t: Traffic,
) -> Option<(Policy, infercost_cost::Bill)> {
    let s = ctx.scenario;
    let r = sz.cap.replicas;
    let tp = sz.dep.tp as f64;
    let peak_rps = ctx.pilot_rate * t.volume;
    let hour_share = HOURS_PER_MONTH / 24.0;
    let (mut static_segs, mut auto_segs) = (Vec::new(), Vec::new());
    let mut requests = 0.0;
    let mut levels: Vec<u32> = Vec::with_capacity(24);
    for &w in &ctx.weights {
        let load = peak_rps * w;
        // Replicas' worth of capacity the hour's load uses: the bills' busy GPU-hours.
        let need = if sz.rps > 0.0 {
            load / sz.rps
        } else {
            r as f64
        };
        let auto = ((r as f64 * w).ceil() as u32).clamp(1, r);
        levels.push(auto);
        requests += load * 3600.0 * hour_share;
        static_segs.push(Segment {
            hours: hour_share,
            gpus: r as f64 * tp,
            busy_gpus: need.min(r as f64) * tp,
        });
        auto_segs.push(Segment {
            hours: hour_share,
            gpus: auto as f64 * tp,
            busy_gpus: need.min(auto as f64) * tp,
        });
    }
    let (mean_in, mean_out) = mean_lengths(ctx.pilot, t.context);
    let remote = t.remote_share / t.share.max(1e-12);
    let usage = |segments: Vec<Segment>, commit: Option<f64>| Usage {
        segments,
        commit_gpus: commit,
        requests,
        output_tokens: requests * mean_out,
        inter_region_gb: (s
            .egress_model
            .gb(requests * remote, requests * mean_out * remote)
            + requests * remote * mean_in * s.egress_model.bytes_per_token / 1e9),
        api_usd: 0.0,
    };
    let mut options = vec![(Policy::Static, usage(static_segs, None))];
    match plan.commitment {
        Commitment::OnDemand | Commitment::Spot => {
            options.push((Policy::Autoscaled, usage(auto_segs, None)))
        }
        _ if plan.burst_plan.is_some() => {
            // The bill is piecewise linear in the committed GPUs with kinks at the hourly fleet sizes, so the
            // cheapest commitment is one of them: from the quietest hour's fleet to the peak's.
            levels.sort_unstable();
            levels.dedup();
            for level in levels {
                options.push((
                    Policy::CommittedPlusBurst,
                    usage(auto_segs.clone(), Some(level as f64 * tp)),
                ));
            }
        }
        _ => {}
    }
    options
        .into_iter()
        .filter_map(|(policy, u)| {
            bill(plan, ctx.catalog, &u, &s.egress_model)
                .ok()
                .map(|b| (policy, b))
        })
        .min_by_key(|(_, b)| b.total_usd_per_month)
}

fn mean_lengths(pilot: &Workload, context: f64) -> (f64, f64) {
    let n = pilot.len().max(1) as f64;
    (
        pilot.input_tokens() as f64 / n * context,
        pilot.output_tokens() as f64 / n,
    )
}

/// The day, hour by hour, of a sized fleet carrying `volume` × the pilot.
fn hours(ctx: &Ctx, sz: &Sizing, volume: f64) -> Vec<Hour> {
    let r = sz.cap.replicas;
    ctx.weights
        .iter()
        .enumerate()
        .map(|(h, &w)| {
            let load = ctx.pilot_rate * volume * w;
            Hour {
                hour: h as u32,
                load_rps: load,
                replicas_autoscaled: ((r as f64 * w).ceil() as u32).clamp(1, r),
                replicas_static: r,
                busy_fraction_static: infercost_sim::capacity::busy_fraction(
                    load, r as f64, sz.rps,
                ),
            }
        })
        .collect()
}

/// A user group, its share of requests and its jurisdiction.
struct Group {
    name: String,
    share: f64,
}

/// Evaluates one point: the whole traffic on every plan, then the cheapest lawful serving.
pub(crate) fn eval_point(
    ctx: &Ctx,
    setup_index: usize,
    setup: &Setup,
    (volume, context, burst): (f64, f64, f64),
    seed: u64,
) -> Point {
    let s = ctx.scenario;
    let d = &s.deployments[setup.deployment];
    let mut point = Point {
        deployment: d.name.clone(),
        volume,
        context,
        burst,
        gpu: setup.gpu.clone(),
        tp: setup.tp,
        fits: setup.dep.is_some(),
        slo_met: false,
        reason: setup.failure.clone(),
        replicas_peak: 0,
        gpus_peak: 0,
        groups: 0,
        requests_peak_hour: (ctx.pilot.len() as f64 * volume).round() as u64,
        rejected_peak_hour: 0,
        truncated_peak_hour: 0,
        max_rps_per_replica: 0.0,
        gpu_hours_per_month: 0.0,
        utilization: 0.0,
        ttft_ms: LatencySummary::default(),
        tpot_ms: LatencySummary::default(),
        requests_per_month: 0.0,
        output_tokens_per_month: 0.0,
        input_tokens_per_month: 0.0,
        hourly: Vec::new(),
        bills: Vec::new(),
        cheapest_plan: None,
        cheapest_usd_per_month: None,
        vs_cheapest: Vec::new(),
        serving: Vec::new(),
        placement: Vec::new(),
        simulations: 0,
    };
    if setup.dep.is_none() {
        return point;
    }
    let whole = match size(
        ctx,
        setup_index,
        setup,
        (volume, context, burst),
        s.slo.ttft_ms,
        seed,
    ) {
        Ok(sz) => sz,
        Err(u) => {
            let (tp, cap, sims) = *u;
            point.tp = tp;
            point.simulations = sims;
            point.ttft_ms = cap.sim.ttft_ms;
            point.tpot_ms = cap.sim.tpot_ms;
            point.reason = cap.failure;
            return point;
        }
    };
    point.simulations += whole.cap.sims;
    point.slo_met = true;
    point.tp = whole.dep.tp;
    point.max_rps_per_replica = whole.rps;
    point.groups = whole.cap.groups;
    point.ttft_ms = whole.cap.sim.ttft_ms;
    point.tpot_ms = whole.cap.sim.tpot_ms;
    // The sizing simulated one of `groups` equal shares of the hour.
    point.rejected_peak_hour = whole.cap.sim.rejected * whole.cap.groups as u64;
    point.truncated_peak_hour = whole.cap.sim.truncated * whole.cap.groups as u64;
    let (mean_in, mean_out) = mean_lengths(ctx.pilot, context);
    let requests: f64 = ctx
        .weights
        .iter()
        .map(|w| ctx.pilot_rate * volume * w * 3600.0 * HOURS_PER_MONTH / 24.0)
        .sum();
    point.requests_per_month = requests;
    point.output_tokens_per_month = requests * mean_out;
    point.input_tokens_per_month = requests * mean_in;
    let all = Traffic {
        volume,
        context,
        share: 1.0,
        remote_share: 0.0,
    };
    for plan in plans_for(ctx.catalog, s, &setup.gpu) {
        if let Some((policy, b)) = bill_fleet(ctx, plan, &whole, all) {
            point.bills.push(PointBill {
                policy,
                lawful: lawful(plan, s),
                bill: b,
            });
        }
    }
    if point.bills.is_empty() {
        point.reason = Some(format!("no plan in the catalog prices {}", setup.gpu));
        return point;
    }
    let mut notes = Vec::new();
    let chosen = match &s.geography {
        None => one_fleet(ctx, &point, &whole, volume),
        Some(_) => {
            let (p, chosen) = placements(
                ctx,
                setup_index,
                setup,
                &whole,
                (volume, context, burst),
                seed,
            );
            point.simulations += p.sims;
            point.placement = p.options;
            notes = p.notes;
            chosen
        }
    };
    let Some(fleets) = chosen else {
        // The groups that cannot be served here at all say it best; otherwise each option's reason.
        let mut why = notes;
        if why.is_empty() {
            why = point
                .placement
                .iter()
                .filter_map(|o| o.reason.as_ref().map(|r| format!("{}: {r}", o.name)))
                .collect();
        }
        point.reason = Some(format!(
            "no lawful way to serve every user group on {}: {}",
            setup.gpu,
            why.join("; ")
        ));
        return point;
    };
    finish(ctx, &mut point, fleets, volume);
    point
}

/// One fleet carrying everything on the cheapest plan (no geography).
fn one_fleet(ctx: &Ctx, point: &Point, whole: &Sizing, volume: f64) -> Option<Vec<Fleet>> {
    let b = point
        .bills
        .iter()
        .filter(|b| b.lawful)
        .min_by_key(|b| b.bill.total_usd_per_month)?;
    Some(vec![Fleet {
        users: Vec::new(),
        served_in: ctx
            .catalog
            .plan(&b.bill.plan)
            .map(|p| p.geo.clone())
            .unwrap_or_default(),
        policy: b.policy,
        bill: b.bill.clone(),
        sizing: whole.clone(),
        volume,
    }])
}

/// A fleet of the chosen serving.
struct Fleet {
    users: Vec<String>,
    served_in: String,
    policy: Policy,
    bill: infercost_cost::Bill,
    sizing: Sizing,
    volume: f64,
}

/// Writes the chosen fleets into the point: its headline cost, plan, size and day.
fn finish(ctx: &Ctx, point: &mut Point, fleets: Vec<Fleet>, volume: f64) {
    let total: f64 = fleets
        .iter()
        .map(|f| f.bill.total_usd_per_month.dollars())
        .sum();
    let mut plans: Vec<&str> = fleets.iter().map(|f| f.bill.plan.as_str()).collect();
    plans.dedup();
    point.cheapest_plan = Some(plans.join(" + "));
    point.cheapest_usd_per_month = Some(total);
    point.gpu_hours_per_month = fleets.iter().map(|f| f.bill.gpu_hours).sum();
    let busy: f64 = fleets.iter().map(|f| f.bill.busy_gpu_hours).sum();
    point.utilization = if point.gpu_hours_per_month > 0.0 {
        busy / point.gpu_hours_per_month
    } else {
        0.0
    };
    point.replicas_peak = fleets.iter().map(|f| f.sizing.cap.replicas).sum();
    point.gpus_peak = fleets
        .iter()
        .map(|f| f.sizing.cap.replicas * f.sizing.dep.tp)
        .sum();
    // The day of the largest fleet, with every fleet's replicas and load added in.
    let main = fleets
        .iter()
        .max_by_key(|f| f.sizing.cap.replicas * f.sizing.dep.tp)
        .map(|f| (f.sizing.dep.tp, f.sizing.rps));
    if let Some((tp, rps)) = main {
        point.tp = tp;
        point.max_rps_per_replica = rps;
    }
    let mut day: Vec<Hour> = Vec::new();
    for f in &fleets {
        let h = hours(ctx, &f.sizing, f.volume);
        if day.is_empty() {
            day = h;
        } else {
            for (a, b) in day.iter_mut().zip(h) {
                a.load_rps += b.load_rps;
                a.replicas_autoscaled += b.replicas_autoscaled;
                a.replicas_static += b.replicas_static;
            }
        }
    }
    // Busy in the one meaning: load over the fleets' capacity.
    let capacity: f64 = fleets
        .iter()
        .map(|f| f.sizing.cap.replicas as f64 * f.sizing.rps)
        .sum();
    for h in &mut day {
        h.busy_fraction_static = infercost_sim::capacity::busy_fraction(h.load_rps, 1.0, capacity);
    }
    point.hourly = day;
    let _ = volume;
    point.vs_cheapest = point
        .bills
        .iter()
        .map(|b| {
            (
                b.bill.plan.clone(),
                b.bill.total_usd_per_month.dollars() / total,
            )
        })
        .collect();
    point.serving = fleets
        .into_iter()
        .map(|f| Serving {
            users: f.users,
            served_in: f.served_in,
            plan: f.bill.plan.clone(),
            policy: f.policy,
            tp: f.sizing.dep.tp,
            replicas_peak: f.sizing.cap.replicas,
            max_rps_per_replica: f.sizing.rps,
            requests_peak_hour_share: f.volume / point.volume,
            usd_per_month: f.bill.total_usd_per_month.dollars(),
            transfer_usd: f.bill.transfer_usd.dollars(),
            bill: Some(f.bill),
        })
        .collect();
}

/// Every way to assign user groups to jurisdictions (each group where residency allows; a group served away from
/// home pays the round trip against its TTFT target and the transfer), priced with fleets sized per
/// jurisdiction. Returns the options (with the simulations they ran) and the cheapest allowed one's fleets.
fn placements(
    ctx: &Ctx,
    setup_index: usize,
    setup: &Setup,
    whole: &Sizing,
    (volume, context, burst): (f64, f64, f64),
    seed: u64,
) -> (Placements, Option<Vec<Fleet>>) {
    let s = ctx.scenario;
    let Some(geo) = &s.geography else {
        return (
            Placements {
                options: Vec::new(),
                notes: Vec::new(),
                sims: 0,
            },
            None,
        );
    };
    let groups: Vec<Group> = geo
        .users
        .iter()
        .filter(|(_, sh)| **sh > 0.0)
        .map(|(n, sh)| Group {
            name: n.clone(),
            share: *sh,
        })
        .collect();
    let plans = plans_for(ctx.catalog, s, &setup.gpu);
    let mut jurisdictions: Vec<String> = plans.iter().map(|p| p.geo.clone()).collect();
    jurisdictions.sort();
    jurisdictions.dedup();
    // Fleets sized once per (set of groups, whether any is remote).
    let mut sized: BTreeMap<(u64, bool), Option<Sizing>> = BTreeMap::new();
    let mut sims = 0;
    let mut sizing = |mask: u64, remote: bool| -> Option<Sizing> {
        if let Some(x) = sized.get(&(mask, remote)) {
            return x.clone();
        }
        let share: f64 = groups
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, g)| g.share)
            .sum();
        let ttft = if remote {
            s.slo.ttft_ms - geo.cross_region_rtt_ms
        } else {
            s.slo.ttft_ms
        };
        let full = mask == (1u64 << groups.len()) - 1;
        let r = if full && !remote {
            Some(whole.clone())
        } else if ttft <= 0.0 {
            None
        } else {
            // Every sizing of a point draws from the point's seed (common random numbers): the fleet for
            // everyone under a tighter target sees the same traffic as the one under the plain target, so the
            // two differ by the target alone and not by the draw.
            match size(
                ctx,
                setup_index,
                setup,
                (volume * share, context, burst),
                ttft,
                seed,
            ) {
                Ok(sz) => {
                    sims += sz.cap.sims;
                    Some(sz)
                }
                Err(u) => {
                    let n = u.2;
                    sims += n;
                    None
                }
            }
        };
        sized.insert((mask, remote), r.clone());
        r
    };
    // Assignments: each group to one jurisdiction; at most a few hundred are priced.
    let n = jurisdictions.len();
    let count = (n as u64)
        .checked_pow(groups.len() as u32)
        .unwrap_or(u64::MAX);
    let mut assignments: Vec<Vec<usize>> = Vec::new();
    if n > 0 && count <= 512 {
        for k in 0..count {
            let mut a = Vec::with_capacity(groups.len());
            let mut x = k;
            for _ in &groups {
                a.push((x % n as u64) as usize);
                x /= n as u64;
            }
            assignments.push(a);
        }
    } else {
        for j in 0..n {
            assignments.push(vec![j; groups.len()]);
        }
    }
    let mut options = Vec::new();
    let mut notes = Vec::new();
    // A group whose residency leaves it no jurisdiction with a plan for this GPU cannot be served on it at all.
    for g in &groups {
        if !jurisdictions.iter().any(|j| allowed(s, &g.name, j)) {
            notes.push(format!(
                "{} users must be served in {}, where the catalog prices no {}",
                g.name,
                geo.residency
                    .get(&g.name)
                    .map(|v| v.join(" or "))
                    .unwrap_or_default(),
                setup.gpu
            ));
        }
    }
    let mut best: Option<(f64, Vec<Fleet>)> = None;
    for a in &assignments {
        let single = a.iter().all(|&j| j == a[0]);
        let mut reasons = Vec::new();
        for (gi, g) in groups.iter().enumerate() {
            let j = &jurisdictions[a[gi]];
            if !allowed(s, &g.name, j) {
                reasons.push(format!(
                    "{} users must be served in {}",
                    g.name,
                    geo.residency
                        .get(&g.name)
                        .map(|v| v.join(" or "))
                        .unwrap_or_default()
                ));
            }
        }
        // Only single-jurisdiction options are shown when not allowed: they say what the law costs.
        if !reasons.is_empty() && !single {
            continue;
        }
        let mut fleets = Vec::new();
        let mut routes = Vec::new();
        let mut feasible = true;
        for (ji, j) in jurisdictions.iter().enumerate() {
            let members: Vec<usize> = (0..groups.len()).filter(|&gi| a[gi] == ji).collect();
            if members.is_empty() {
                continue;
            }
            let mask = members.iter().fold(0u64, |m, &gi| m | (1 << gi));
            let remote_groups: Vec<&Group> = members
                .iter()
                .map(|&gi| &groups[gi])
                .filter(|g| &g.name != j)
                .collect();
            let share: f64 = members.iter().map(|&gi| groups[gi].share).sum();
            let remote_share: f64 = remote_groups.iter().map(|g| g.share).sum();
            let Some(sz) = sizing(mask, !remote_groups.is_empty()) else {
                feasible = false;
                if !remote_groups.is_empty() {
                    reasons.push(format!(
                        "no fleet in {j} meets the TTFT target with {} added for remote users",
                        infercost_core::fmt::ms(geo.cross_region_rtt_ms)
                    ));
                } else {
                    reasons.push(format!("no fleet in {j} meets the SLO"));
                }
                continue;
            };
            let t = Traffic {
                volume: volume * share,
                context,
                share,
                remote_share,
            };
            let cheapest = plans
                .iter()
                .filter(|p| &p.geo == j)
                .filter_map(|p| bill_fleet(ctx, p, &sz, t))
                .min_by_key(|(_, b)| b.total_usd_per_month);
            let Some((policy, b)) = cheapest else {
                feasible = false;
                reasons.push(format!("no plan prices {} in {j}", setup.gpu));
                continue;
            };
            for &gi in &members {
                let g = &groups[gi];
                routes.push(Route {
                    users: g.name.clone(),
                    share: g.share,
                    plan: b.plan.clone(),
                    served_in: j.clone(),
                    added_rtt_ms: if &g.name == j {
                        0.0
                    } else {
                        geo.cross_region_rtt_ms
                    },
                });
            }
            fleets.push(Fleet {
                users: members.iter().map(|&gi| groups[gi].name.clone()).collect(),
                served_in: j.clone(),
                policy,
                bill: b,
                sizing: sz,
                volume: volume * share,
            });
        }
        routes.sort_by(|x, y| x.users.cmp(&y.users));
        let usd: f64 = fleets
            .iter()
            .map(|f| f.bill.total_usd_per_month.dollars())
            .sum();
        let transfer: f64 = fleets.iter().map(|f| f.bill.transfer_usd.dollars()).sum();
        let name = if single {
            format!("all-in-{}", jurisdictions[a[0]])
        } else if groups
            .iter()
            .enumerate()
            .all(|(gi, g)| jurisdictions[a[gi]] == g.name)
        {
            "split".to_string()
        } else {
            routes
                .iter()
                .map(|r| format!("{}→{}", r.users, r.served_in))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !feasible {
            notes.push(format!("{name}: {}", reasons.join("; ")));
            continue;
        }
        let ok = reasons.is_empty();
        options.push(PlacementOption {
            name,
            routes,
            usd_per_month: usd,
            transfer_usd: transfer,
            allowed: ok,
            reason: (!ok).then(|| reasons.join("; ")),
        });
        if ok && best.as_ref().is_none_or(|(b, _)| usd < *b) {
            best = Some((usd, fleets));
        }
    }
    (
        Placements {
            options,
            notes,
            sims,
        },
        best.map(|(_, f)| f),
    )
}

/// The placements priced at a point, and why the others could not be.
struct Placements {
    options: Vec<PlacementOption>,
    notes: Vec<String>,
    sims: u32,
}
