//! A fleet's month bought three ways at one provider, GPU and region: GPUs committed on a term plan (billed every
//! hour, idle or not), a spot layer and an on-demand layer that follow the day. Each layer is billed by its own
//! plan's rules; the lines add up to the total exactly, as every bill's do.

use crate::bill::{assemble, metered_gpus, Lines, Parts, Procurement, Segment, Usage};
use crate::catalog::{Catalog, Commitment, Plan};
use crate::{Bill, CostError, EgressModel};
use infercost_core::units::HOURS_PER_MONTH;

/// The plans a mix buys from: an on-demand plan (whose name, region and egress the bill carries), and
/// optionally a term plan for the committed GPUs and a spot plan.
#[derive(Debug, Clone, Copy)]
pub struct MixPlans<'a> {
    /// Billed per use for what the other layers do not cover.
    pub on_demand: &'a Plan,
    /// Billed every hour of the month for `MixUsage::committed_gpus`.
    pub committed: Option<&'a Plan>,
    /// Billed per use, with its interruption overhead.
    pub spot: Option<&'a Plan>,
}

/// A stretch of the month with constant layers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MixSegment {
    /// Hours the stretch lasts.
    pub hours: f64,
    /// GPUs running on spot.
    pub spot_gpus: f64,
    /// GPUs running on demand.
    pub on_demand_gpus: f64,
    /// GPUs' worth of busy time over all layers; it fills the committed GPUs first, then spot, then on-demand.
    pub busy_gpus: f64,
}

/// One month of a mixed fleet's usage.
#[derive(Debug, Clone, PartialEq)]
pub struct MixUsage {
    /// The month as stretches; hours should add up to 730.
    pub segments: Vec<MixSegment>,
    /// GPUs committed for the term (running every hour).
    pub committed_gpus: f64,
    /// Requests served in the month.
    pub requests: f64,
    /// Output tokens streamed to users in the month.
    pub output_tokens: f64,
    /// GB moved between regions.
    pub inter_region_gb: f64,
    /// Spot replicas reclaimed in the month.
    pub spot_interruptions_per_month: f64,
}

/// Checks a mix's usage and returns its term plan's rate and the plan (0 and none without a commitment).
fn term<'a>(plans: &MixPlans<'a>, usage: &MixUsage) -> Result<(f64, Option<&'a Plan>), CostError> {
    let c = usage.committed_gpus;
    let bad = |x: f64| !(x.is_finite() && x >= 0.0);
    if bad(c)
        || usage
            .segments
            .iter()
            .any(|s| bad(s.hours) || bad(s.spot_gpus) || bad(s.on_demand_gpus) || bad(s.busy_gpus))
    {
        return Err(CostError::Invalid(format!(
            "mixed usage must be non-negative: committed {c} GPUs, {:?}",
            usage.segments
        )));
    }
    match plans.committed {
        Some(p) if p.commitment.is_term() => Ok((p.usd_per_gpu_hour, Some(p))),
        Some(p) => Err(CostError::Invalid(format!(
            "plan {} is not a term plan",
            p.name
        ))),
        None if c > 0.0 => Err(CostError::Invalid(format!(
            "{c} GPUs committed without a term plan"
        ))),
        None => Ok((0.0, None)),
    }
}

/// Prices a month of a mixed fleet. The bill is named after the on-demand plan and carries the term's commitment
/// (or `on-demand`); `procurement` names the term and spot plans.
pub fn bill_mix(
    plans: &MixPlans,
    catalog: &Catalog,
    usage: &MixUsage,
    egress_model: &EgressModel,
) -> Result<Bill, CostError> {
    let c = usage.committed_gpus;
    let (term_rate, term_name) = term(plans, usage)?;
    // Busy time fills the committed GPUs, then spot, then on-demand.
    let layer = |gpus: &dyn Fn(&MixSegment) -> f64, below: &dyn Fn(&MixSegment) -> f64| {
        let segments = usage
            .segments
            .iter()
            .map(|s| Segment {
                hours: s.hours,
                gpus: gpus(s),
                busy_gpus: (s.busy_gpus - below(s)).clamp(0.0, gpus(s)),
            })
            .collect::<Vec<_>>();
        let busy: f64 = segments.iter().map(|s| s.hours * s.busy_gpus).sum();
        (segments, busy)
    };
    let (spot_segments, spot_busy) = layer(&|s| s.spot_gpus, &|_| c);
    let (od_segments, od_busy) = layer(&|s| s.on_demand_gpus, &|s| c + s.spot_gpus);
    let committed_busy: f64 = usage
        .segments
        .iter()
        .map(|s| s.hours * s.busy_gpus.min(c))
        .sum();
    let metered = |plan: &Plan, segments: Vec<Segment>, busy: f64| {
        let u = Usage {
            segments,
            commit_gpus: None,
            requests: 0.0,
            output_tokens: 0.0,
            inter_region_gb: 0.0,
            api_usd: 0.0,
        };
        metered_gpus(plan, &u, busy)
    };
    let spot = match plans.spot {
        Some(p) if p.commitment == Commitment::Spot => Some(metered(p, spot_segments, spot_busy)),
        Some(p) => {
            return Err(CostError::Invalid(format!(
                "plan {} is not a spot plan",
                p.name
            )))
        }
        None if spot_segments.iter().any(|s| s.gpus > 0.0) => {
            return Err(CostError::Invalid("spot GPUs without a spot plan".into()))
        }
        None => None,
    };
    let od = metered(plans.on_demand, od_segments, od_busy);
    let committed_hours = c * HOURS_PER_MONTH;
    let committed_dollars = committed_hours * term_rate;
    let (spot_dollars, spot_idle, spot_hours) = spot
        .as_ref()
        .map_or((0.0, 0.0, 0.0), |g| (g.dollars, g.idle, g.hours));
    let lines = Lines {
        gpu: committed_dollars + spot_dollars + od.dollars,
        idle: (committed_hours - committed_busy).max(0.0) * term_rate + spot_idle + od.idle,
        committed: committed_dollars,
        spot: spot_dollars,
    };
    let procurement = Procurement {
        committed_gpus: c,
        on_demand_gpu_hours: od.hours,
        spot_gpu_hours: spot_hours,
        spot_interruptions_per_month: usage.spot_interruptions_per_month,
        committed_plan: term_name.map(|p| p.name.clone()),
        spot_plan: plans.spot.map(|p| p.name.clone()),
        reason: None,
        options: Vec::new(),
    };
    let parts = Parts {
        lines,
        gpu_hours: committed_hours + spot_hours + od.hours,
        busy_hours: usage.segments.iter().map(|s| s.hours * s.busy_gpus).sum(),
        committed: term_name.map(|_| c),
        procurement,
        owned: None,
    };
    let carrier = Usage {
        segments: Vec::new(),
        commit_gpus: None,
        requests: usage.requests,
        output_tokens: usage.output_tokens,
        inter_region_gb: usage.inter_region_gb,
        api_usd: 0.0,
    };
    let mut b = assemble(plans.on_demand, catalog, &carrier, egress_model, parts)?;
    if let Some(t) = term_name {
        b.commitment = t.commitment.name().to_string();
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(hours: f64, spot: f64, od: f64, busy: f64) -> MixSegment {
        MixSegment {
            hours,
            spot_gpus: spot,
            on_demand_gpus: od,
            busy_gpus: busy,
        }
    }

    #[test]
    fn each_layer_is_priced_by_its_plan_and_the_lines_add_up() {
        let cat = Catalog::embedded();
        let od = cat.plan("aws-h100-on-demand").unwrap();
        let spot = cat.plan("aws-h100-spot").unwrap();
        let term = cat.plan("aws-h100-committed-3y").unwrap();
        // 8 committed all month; half the month 8 more on spot and 4 on demand, all of it busy but 2 GPUs.
        let usage = MixUsage {
            segments: vec![flat(365.0, 8.0, 4.0, 18.0), flat(365.0, 0.0, 0.0, 6.0)],
            committed_gpus: 8.0,
            requests: 1e6,
            output_tokens: 2e8,
            inter_region_gb: 0.0,
            spot_interruptions_per_month: 1.5,
        };
        let plans = MixPlans {
            on_demand: od,
            committed: Some(term),
            spot: Some(spot),
        };
        let b = bill_mix(&plans, &cat, &usage, &EgressModel::default()).unwrap();
        let committed = 8.0 * 730.0 * term.usd_per_gpu_hour;
        let spot_usd = 8.0 * 365.0 * (1.0 + spot.interruption_overhead) * spot.usd_per_gpu_hour;
        let od_usd = 4.0 * 365.0 * od.usd_per_gpu_hour;
        assert!((b.committed_usd.dollars() - committed).abs() < 1e-5);
        assert!((b.spot_usd.dollars() - spot_usd).abs() < 1e-5);
        assert!((b.on_demand_usd.dollars() - od_usd).abs() < 1e-5);
        assert_eq!(b.committed_usd + b.on_demand_usd + b.spot_usd, b.gpu_usd);
        assert_eq!(
            b.gpu_usd + b.egress_usd + b.transfer_usd + b.api_usd,
            b.total_usd_per_month
        );
        // Idle: committed 8×730 − (8×365 + 6×365) busy; spot's 10% overhead and 2 idle spot... the top layer
        // (on-demand) holds the 2 idle GPUs of the busy half.
        let idle = (8.0 * 730.0 - 14.0 * 365.0) * term.usd_per_gpu_hour
            + 8.0 * 365.0 * spot.interruption_overhead * spot.usd_per_gpu_hour
            + 2.0 * 365.0 * od.usd_per_gpu_hour;
        assert!(
            (b.idle_usd.dollars() - idle).abs() < 1e-5,
            "{} vs {idle}",
            b.idle_usd
        );
        assert_eq!(b.commitment, "committed-3y");
        let p = b.procurement.unwrap();
        assert_eq!(p.committed_plan.as_deref(), Some("aws-h100-committed-3y"));
        assert!((p.spot_gpu_hours - 8.0 * 365.0 * 1.1).abs() < 1e-9);
    }

    #[test]
    fn commitment_or_spot_without_their_plan_is_refused() {
        let cat = Catalog::embedded();
        let od = cat.plan("aws-h100-on-demand").unwrap();
        let mut usage = MixUsage {
            segments: vec![flat(730.0, 0.0, 4.0, 2.0)],
            committed_gpus: 2.0,
            requests: 0.0,
            output_tokens: 0.0,
            inter_region_gb: 0.0,
            spot_interruptions_per_month: 0.0,
        };
        let plans = MixPlans {
            on_demand: od,
            committed: None,
            spot: None,
        };
        assert!(bill_mix(&plans, &cat, &usage, &EgressModel::default()).is_err());
        usage.committed_gpus = 0.0;
        usage.segments[0].spot_gpus = 1.0;
        assert!(bill_mix(&plans, &cat, &usage, &EgressModel::default()).is_err());
        let wrong = MixPlans {
            committed: Some(od),
            ..plans
        };
        assert!(bill_mix(&wrong, &cat, &usage, &EgressModel::default()).is_err());
    }
}
