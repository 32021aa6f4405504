//! Result assembly: a point before any sizing, what the whole-traffic sizing records in it, and the chosen fleets
//! written into its headline cost, plan, size and day.

use super::day::Env;
use super::policy::{mean_lengths, FleetSize, Traffic};
use super::{Ctx, Setup, Sizing};
use crate::result::{BillDay, BuyOrRent, Hour, Point, Policy, Serving};
use infercost_core::units::HOURS_PER_MONTH;
use infercost_cost::Bill;
use infercost_sim::LatencySummary;

/// A fleet of the chosen serving.
pub(super) struct Fleet {
    pub(super) users: Vec<String>,
    pub(super) served_in: String,
    pub(super) policy: Policy,
    pub(super) bill: Bill,
    pub(super) day: Option<BillDay>,
    /// Its bills on the other plans of its jurisdiction.
    pub(super) alternatives: Vec<Bill>,
    pub(super) sizing: Sizing,
    pub(super) volume: f64,
    /// The traffic it was billed for.
    pub(super) traffic: Traffic,
    /// Its cheapest bills on owned and on rented plans, where it could be owned.
    pub(super) buy_or_rent: Option<BuyOrRent>,
}

/// The point before it is sized: what the setup says, with no fleet.
pub(super) fn unsized_point(
    ctx: &Ctx,
    setup: &Setup,
    (volume, context, burst): (f64, f64, f64),
) -> Point {
    Point {
        deployment: ctx.scenario.deployments[setup.deployment].name.clone(),
        volume,
        context,
        burst,
        gpu: setup.gpu.clone(),
        tp: setup.layout.tp,
        pp: setup.layout.pp,
        ep: setup.layout.ep,
        attention_dp: setup.layout.attention_dp,
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
        weights: setup.weights.name().to_string(),
        cheapest_usd_per_month: None,
        vs_cheapest: Vec::new(),
        serving: Vec::new(),
        placement: Vec::new(),
        simulations: 0,
        mix: Vec::new(),
        uncertainty: None,
    }
}

/// Records the fleet sized for the whole traffic: its layout, latency, engine limits and the month's traffic.
pub(super) fn record_whole(ctx: &Ctx, point: &mut Point, whole: &Sizing) {
    point.simulations += whole.cap.sims;
    point.slo_met = true;
    super::set_layout(point, whole.dep.layout);
    point.max_rps_per_replica = whole.rps;
    point.groups = whole.cap.groups;
    point.ttft_ms = whole.cap.sim.ttft_ms;
    point.tpot_ms = whole.cap.sim.tpot_ms;
    // The sizing simulated one of `groups` equal shares of the hour.
    point.rejected_peak_hour = whole.cap.sim.rejected * whole.cap.groups as u64;
    point.truncated_peak_hour = whole.cap.sim.truncated * whole.cap.groups as u64;
    let (mean_in, mean_out) = mean_lengths(ctx.pilot, point.context);
    let requests: f64 = ctx
        .weights
        .iter()
        .map(|w| ctx.pilot_rate * point.volume * w * 3600.0 * HOURS_PER_MONTH / 24.0)
        .sum();
    point.requests_per_month = requests;
    point.output_tokens_per_month = requests * mean_out;
    point.input_tokens_per_month = requests * mean_in;
}

/// One fleet carrying everything on the cheapest plan (no geography).
pub(super) fn one_fleet(
    ctx: &Ctx,
    point: &Point,
    whole: &Sizing,
    traffic: Traffic,
) -> Option<Vec<Fleet>> {
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
        day: b.day.clone(),
        alternatives: Vec::new(),
        sizing: whole.clone(),
        volume: point.volume,
        traffic,
        buy_or_rent: BuyOrRent::among(point.bills.iter().filter(|b| b.lawful).map(|b| {
            let owned = ctx
                .catalog
                .plan(&b.bill.plan)
                .is_ok_and(|p| p.commitment == infercost_cost::Commitment::Owned);
            (&b.bill, owned)
        })),
    }])
}

/// Why a point has no lawful serving: the groups that cannot be served on its GPU at all say it best; otherwise
/// each placement option's reason.
pub(super) fn no_serving_reason(point: &Point, notes: Vec<String>) -> String {
    let mut why = notes;
    if why.is_empty() {
        why = point
            .placement
            .iter()
            .filter_map(|o| o.reason.as_ref().map(|r| format!("{}: {r}", o.name)))
            .collect();
    }
    format!(
        "no lawful way to serve every user group on {}: {}",
        point.gpu,
        why.join("; ")
    )
}

/// Writes the chosen fleets into the point: its headline cost, plan, size and day.
pub(super) fn finish(ctx: &Ctx, point: &mut Point, fleets: Vec<Fleet>, seed: u64) {
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
        .map(|f| f.sizing.cap.replicas * f.sizing.dep.gpus())
        .sum();
    // The day of the largest fleet, with every fleet's replicas and load added in.
    let main = fleets
        .iter()
        .max_by_key(|f| f.sizing.cap.replicas * f.sizing.dep.gpus())
        .map(|f| (f.sizing.dep.layout, f.sizing.rps));
    if let Some((layout, rps)) = main {
        super::set_layout(point, layout);
        point.max_rps_per_replica = rps;
    }
    point.hourly = day(ctx, &fleets, seed);
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
            pp: f.sizing.dep.layout.pp,
            ep: f.sizing.dep.layout.ep,
            attention_dp: f.sizing.dep.layout.attention_dp,
            replicas_peak: f.sizing.cap.replicas,
            max_rps_per_replica: f.sizing.rps,
            requests_peak_hour_share: f.volume / point.volume,
            usd_per_month: f.bill.total_usd_per_month,
            transfer_usd: f.bill.transfer_usd,
            bill: Some(f.bill),
            day: f.day,
            alternatives: f.alternatives,
            buy_or_rent: f.buy_or_rent,
        })
        .collect();
}

/// The chosen fleets' day, hour by hour: their loads and replicas added up, busy as load over their capacity.
fn day(ctx: &Ctx, fleets: &[Fleet], seed: u64) -> Vec<Hour> {
    let mut day: Vec<Hour> = Vec::new();
    for f in fleets {
        let h = hours(ctx, &f.sizing, f.volume, seed);
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
    day
}

/// The day, hour by hour, of a sized fleet carrying `volume` × the pilot: the static and the autoscaled fleet of
/// the simulated day, each with the headroom it needs to meet the SLO (on-demand capacity, no interruptions,
/// the catalog's usual 10-minute provisioning).
fn hours(ctx: &Ctx, sz: &Sizing, volume: f64, seed: u64) -> Vec<Hour> {
    const DELAY_S: f64 = 600.0;
    let env = Env::of(ctx, FleetSize::of(sz), volume, seed);
    let fixed = env
        .static_day(0.0, DELAY_S)
        .map_or(sz.cap.replicas, |(_, extra)| sz.cap.replicas + extra);
    let auto = env.autoscaled_day(0.0, DELAY_S);
    env.hourly_rps
        .iter()
        .enumerate()
        .map(|(h, &load)| Hour {
            hour: h as u32,
            load_rps: load,
            replicas_autoscaled: auto
                .as_ref()
                .map_or(fixed, |(d, _)| d.hours[h].replicas_mean.round() as u32),
            replicas_static: fixed,
            busy_fraction_static: infercost_sim::capacity::busy_fraction(
                load,
                fixed as f64,
                sz.rps,
            ),
        })
        .collect()
}
