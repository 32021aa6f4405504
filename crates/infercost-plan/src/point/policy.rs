//! Provisioning policies: what each one provisions over the day for a sized fleet, and its bill on a plan. The
//! fleet is billed under whichever policy the plan allows that costs least.

use super::{Ctx, Sizing};
use crate::result::Policy;
use infercost_core::units::HOURS_PER_MONTH;
use infercost_core::Workload;
use infercost_cost::bill::{Segment, Usage};
use infercost_cost::{bill, Bill, Commitment, Plan};

/// The traffic a fleet serves: a share of the point's users, some of them remote.
#[derive(Clone, Copy)]
pub(super) struct Traffic {
    pub(super) volume: f64,
    pub(super) context: f64,
    /// Share of the point's requests.
    pub(super) share: f64,
    /// Share of the point's requests that cross a region boundary to reach this fleet.
    pub(super) remote_share: f64,
}

/// Replicas an autoscaled fleet of `peak` replicas runs in an hour whose load is `weight` of the busiest
/// hour's: at least one.
pub(super) fn autoscaled_replicas(peak: u32, weight: f64) -> u32 {
    ((peak as f64 * weight).ceil() as u32).clamp(1, peak)
}

/// A sized fleet's month, hour by hour of the representative day: what the static and the autoscaled fleet
/// provision, and the requests they carry.
struct Day {
    static_segments: Vec<Segment>,
    autoscaled_segments: Vec<Segment>,
    /// The autoscaled fleet's replicas, hour by hour.
    levels: Vec<u32>,
    requests: f64,
    /// GPUs per replica.
    gpus: f64,
}

/// What a day's bills need of a sized fleet: its replicas at the peak, GPUs per replica and one replica's capacity.
#[derive(Clone, Copy)]
pub(super) struct FleetSize {
    pub(super) replicas: u32,
    /// GPUs per replica (TP × PP).
    pub(super) gpus: u32,
    /// Requests/s one replica carries within the SLO.
    pub(super) rps: f64,
}

impl FleetSize {
    pub(super) fn of(sz: &Sizing) -> FleetSize {
        FleetSize {
            replicas: sz.cap.replicas,
            gpus: sz.dep.gpus(),
            rps: sz.rps,
        }
    }
}

impl Day {
    fn of(ctx: &Ctx, sz: FleetSize, volume: f64) -> Day {
        let r = sz.replicas;
        let gpus = sz.gpus as f64;
        let peak_rps = ctx.pilot_rate * volume;
        let hour_share = HOURS_PER_MONTH / 24.0;
        let mut day = Day {
            static_segments: Vec::with_capacity(24),
            autoscaled_segments: Vec::with_capacity(24),
            levels: Vec::with_capacity(24),
            requests: 0.0,
            gpus,
        };
        for &w in &ctx.weights {
            let load = peak_rps * w;
            // Replicas' worth of capacity the hour's load uses: the bills' busy GPU-hours.
            let need = if sz.rps > 0.0 {
                load / sz.rps
            } else {
                r as f64
            };
            let auto = autoscaled_replicas(r, w);
            day.levels.push(auto);
            day.requests += load * 3600.0 * hour_share;
            day.static_segments.push(Segment {
                hours: hour_share,
                gpus: r as f64 * gpus,
                busy_gpus: need.min(r as f64) * gpus,
            });
            day.autoscaled_segments.push(Segment {
                hours: hour_share,
                gpus: auto as f64 * gpus,
                busy_gpus: need.min(auto as f64) * gpus,
            });
        }
        day
    }
}

impl Policy {
    /// The policies a plan allows, in the order they are tried (a tie goes to the first): the peak fleet all
    /// day on any plan; a fleet that follows the load where the plan bills per use; a committed base with
    /// bursts on its burst plan where a term plan names one. Owned capacity is bought: it cannot follow the day
    /// or burst, so an owned plan bills the peak fleet (in whole servers) all month.
    fn offered(plan: &Plan) -> &'static [Policy] {
        match plan.commitment {
            Commitment::OnDemand | Commitment::Spot => &[Policy::Static, Policy::Autoscaled],
            Commitment::Owned => &[Policy::Static],
            _ if plan.burst_plan.is_some() => &[Policy::Static, Policy::CommittedPlusBurst],
            _ => &[Policy::Static],
        }
    }

    /// What this policy provisions over the day: the hourly GPUs and the GPUs committed for the month, one
    /// choice per commitment level it may take.
    fn provision(self, day: &Day) -> Vec<(&[Segment], Option<f64>)> {
        match self {
            Policy::Static => vec![(&day.static_segments, None)],
            Policy::Autoscaled => vec![(&day.autoscaled_segments, None)],
            Policy::CommittedPlusBurst => {
                // The bill is piecewise linear in the committed GPUs with kinks at the hourly fleet sizes, so the
                // cheapest commitment is one of them: from the quietest hour's fleet to the peak's.
                let mut levels = day.levels.clone();
                levels.sort_unstable();
                levels.dedup();
                levels
                    .into_iter()
                    .map(|level| {
                        (
                            day.autoscaled_segments.as_slice(),
                            Some(level as f64 * day.gpus),
                        )
                    })
                    .collect()
            }
        }
    }

    /// This policy's cheapest bill on `plan` for a fleet's day, or `None` when the plan cannot bill it.
    fn bill(
        self,
        ctx: &Ctx,
        plan: &Plan,
        day: &Day,
        usage: &dyn Fn(&[Segment], Option<f64>) -> Usage,
    ) -> Option<Bill> {
        self.provision(day)
            .into_iter()
            .filter_map(|(segments, commit)| {
                bill(
                    plan,
                    ctx.catalog,
                    &usage(segments, commit),
                    &ctx.scenario.egress_model,
                )
                .ok()
            })
            .min_by_key(|b| b.total_usd_per_month)
    }
}

/// Bills a sized fleet on `plan` under its cheapest provisioning policy.
pub(super) fn bill_fleet(
    ctx: &Ctx,
    plan: &Plan,
    sz: &Sizing,
    t: Traffic,
) -> Option<(Policy, Bill)> {
    bill_size(ctx, plan, FleetSize::of(sz), t)
}

/// Bills a fleet of a given size on `plan` under its cheapest provisioning policy.
pub(super) fn bill_size(
    ctx: &Ctx,
    plan: &Plan,
    sz: FleetSize,
    t: Traffic,
) -> Option<(Policy, Bill)> {
    let s = ctx.scenario;
    let day = Day::of(ctx, sz, t.volume);
    let requests = day.requests;
    let (mean_in, mean_out) = mean_lengths(ctx.pilot, t.context);
    let remote = t.remote_share / t.share.max(1e-12);
    let usage = |segments: &[Segment], commit: Option<f64>| Usage {
        segments: segments.to_vec(),
        commit_gpus: commit,
        requests,
        output_tokens: requests * mean_out,
        inter_region_gb: (s
            .egress_model
            .gb(requests * remote, requests * mean_out * remote)
            + requests * remote * mean_in * s.egress_model.bytes_per_token / 1e9),
        api_usd: 0.0,
    };
    Policy::offered(plan)
        .iter()
        .filter_map(|&policy| policy.bill(ctx, plan, &day, &usage).map(|b| (policy, b)))
        .min_by_key(|(_, b)| b.total_usd_per_month)
}

/// Mean prompt and output tokens of the pilot at a context multiple.
pub(super) fn mean_lengths(pilot: &Workload, context: f64) -> (f64, f64) {
    let n = pilot.len().max(1) as f64;
    (
        pilot.input_tokens() as f64 / n * context,
        pilot.output_tokens() as f64 / n,
    )
}
