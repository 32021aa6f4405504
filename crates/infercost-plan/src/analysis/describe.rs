//! The sentences of inflections and break-evens, each written from its typed finding by one function, so the
//! `description` in the JSON always says what the kind and the numbers say.

use crate::result::{Breakeven, BreakevenKind, Inflection, InflectionKind};
use infercost_core::fmt::{count, int, usd, usd_unit};

/// A volume multiple as people write it: `7×`, `1,000×`, `2.5×`.
pub(crate) fn times(v: f64) -> String {
    if v >= 100.0 || (v - v.round()).abs() < 1e-9 {
        format!("{}×", int(v))
    } else {
        format!("{v:.2}×")
    }
}

/// Tokens a month, in millions, billions or trillions.
fn tokens(x: f64) -> String {
    if x >= 1e12 {
        format!("{:.1}T", x / 1e12)
    } else if x >= 1e9 {
        format!("{:.1}B", x / 1e9)
    } else {
        format!("{:.1}M", x / 1e6)
    }
}

/// A change of regime between two adjacent sweep volumes, `from` and `to`, of one deployment.
pub(crate) enum InflectionEvent<'a> {
    /// One replica carried the load at `from`; at `to` the fleet grows with it.
    FloorToLinear {
        gpus: u32,
        replicas: u32,
        per_1k_before: f64,
        per_1k_after: f64,
    },
    /// The busiest hour at `to` needs more nodes than at `from`.
    NewNode {
        gpus: u32,
        per_node: u32,
        nodes: u32,
    },
    /// The cheapest GPU type changes.
    GpuChange { before: &'a str, after: &'a str },
    /// The cheapest plan changes.
    PlanChange {
        before: Option<&'a str>,
        after: Option<&'a str>,
    },
    /// Cost per 1,000 requests changes by `ratio`.
    RegimeChange {
        ratio: f64,
        per_1k_before: f64,
        per_1k_after: f64,
    },
}

impl InflectionEvent<'_> {
    /// The inflection of `deployment` between volumes `from` and `to`, shown at `to`.
    pub(crate) fn inflection(&self, deployment: &str, from: f64, to: f64) -> Inflection {
        let (kind, description) = match *self {
            InflectionEvent::FloorToLinear { gpus, replicas, per_1k_before, per_1k_after } => (
                InflectionKind::FloorToLinear,
                format!(
                    "{deployment}: up to {} one replica ({gpus} GPU{}) carries the load and its floor sets the bill; by {} the fleet grows with the load ({} replicas), and cost per 1,000 requests falls from {} to {}.",
                    times(from), if gpus == 1 { "" } else { "s" }, times(to), count(replicas as u64), usd_unit(per_1k_before), usd_unit(per_1k_after)
                ),
            ),
            InflectionEvent::NewNode { gpus, per_node, nodes } => (
                InflectionKind::NewNode,
                // Fleets in different regions take a node each, however few GPUs they hold.
                match gpus > per_node {
                    true => format!(
                        "{deployment}: at {} the busiest hour needs {} GPUs, more than one {per_node}-GPU node ({} nodes).",
                        times(to), count(gpus as u64), count(nodes as u64)
                    ),
                    false => format!(
                        "{deployment}: at {} the busiest hour needs {} GPUs on {} {per_node}-GPU nodes, one for each region's fleet.",
                        times(to), count(gpus as u64), count(nodes as u64)
                    ),
                },
            ),
            InflectionEvent::GpuChange { before, after } => (
                InflectionKind::GpuChange,
                format!(
                    "{deployment}: the cheapest GPU changes from {before} at {} to {after} at {}.",
                    times(from),
                    times(to)
                ),
            ),
            InflectionEvent::PlanChange { before, after } => (
                InflectionKind::PlanChange,
                format!(
                    "{deployment}: the cheapest plan changes from {} at {} to {} at {}.",
                    before.unwrap_or("none"),
                    times(from),
                    after.unwrap_or("none"),
                    times(to)
                ),
            ),
            InflectionEvent::RegimeChange { ratio, per_1k_before, per_1k_after } => (
                InflectionKind::RegimeChange,
                format!(
                    "{deployment}: cost per 1,000 requests changes {ratio:.2}× between {} and {} ({} → {}).",
                    times(from), times(to), usd_unit(per_1k_before), usd_unit(per_1k_after)
                ),
            ),
        };
        Inflection {
            kind,
            deployment: deployment.to_string(),
            at_volume: to,
            description,
        }
    }
}

/// What a break-even found.
pub(crate) enum BreakevenFinding<'a> {
    /// A term plan against the plan it is compared with, and the utilisation above which it is cheaper (1 or
    /// more: never).
    Committed {
        plan: &'a str,
        usd_per_gpu_hour: f64,
        reference: &'a str,
        reference_usd_per_gpu_hour: f64,
        utilization: f64,
    },
    /// No per-token API prices the deployment's base model.
    NoApiPrice { deployment: &'a str, base: &'a str },
    /// Self-hosting beats the API from `volume`, at `tokens_per_month`.
    SelfHostFrom {
        deployment: &'a str,
        api: &'a infercost_cost::ApiPrice,
        volume: f64,
        tokens_per_month: f64,
        fine_tuned: bool,
        /// Swept volumes below `volume` where self-hosting is already cheaper (a tooth of whole replicas).
        also: Vec<f64>,
    },
    /// Self-hosting is cheaper at every swept volume, from `from`.
    SelfHostAlways {
        deployment: &'a str,
        api: &'a str,
        from: f64,
        fine_tuned: bool,
    },
    /// The API is cheaper up to the largest swept volume, where the two cost `api_usd` and `self_usd` a month.
    ApiStaysCheaper {
        deployment: &'a str,
        api: &'a str,
        largest: f64,
        api_usd: f64,
        self_usd: f64,
        fine_tuned: bool,
    },
    /// No lawful fleet at any swept volume.
    NeverServed { deployment: &'a str },
    /// Residency forces more than one region everywhere.
    RegionsForced { deployment: &'a str },
    /// Serving each group at home is cheapest from `volume`.
    SplitPays {
        deployment: &'a str,
        volume: f64,
        /// Located between sweep points by simulation (else `volume` is the first swept volume where it is).
        located: bool,
    },
    /// One region stays cheapest.
    OneRegion { deployment: &'a str },
    /// Buying `plan`'s servers beats renting in `geo` from `volume`; at the swept volume `at` they cost
    /// `owned_usd` against `rented_usd` on `rented_plan`.
    BuyFrom {
        deployment: &'a str,
        plan: &'a str,
        geo: &'a str,
        volume: f64,
        at: f64,
        owned_usd: f64,
        rented_usd: f64,
        rented_plan: &'a str,
    },
    /// Buying is cheaper at every swept volume, from `from`.
    BuyAlways {
        deployment: &'a str,
        plan: &'a str,
        geo: &'a str,
        from: f64,
    },
    /// Renting stays cheaper up to the largest swept volume.
    RentStaysCheaper {
        deployment: &'a str,
        plan: &'a str,
        geo: &'a str,
        largest: f64,
        owned_usd: f64,
        rented_usd: f64,
        rented_plan: &'a str,
    },
}

/// Said of a fine-tuned deployment, whose API serves only the base model.
fn fine_tuned_note(fine_tuned: bool) -> &'static str {
    if fine_tuned {
        " It is fine-tuned, so this API serves only the base model: no fallback exists, shown for information."
    } else {
        ""
    }
}

/// The swept volumes below a break-even where self-hosting already wins, as a sentence (empty when none).
fn teeth(volumes: &[f64]) -> String {
    match volumes {
        [] => String::new(),
        _ => format!(
            " Below it, self-hosting also wins at the sweep point{} {}, where whole replicas run nearly full, and loses again above.",
            if volumes.len() > 1 { "s" } else { "" },
            volumes.iter().map(|&v| times(v)).collect::<Vec<_>>().join(", ")
        ),
    }
}

impl BreakevenFinding<'_> {
    /// The break-even, its description written from the finding.
    pub(crate) fn breakeven(&self) -> Breakeven {
        use BreakevenFinding as F;
        let (kind, deployment, value, description) = match *self {
            F::Committed { plan, usd_per_gpu_hour, reference, reference_usd_per_gpu_hour, utilization } => {
                let description = if utilization < 1.0 {
                    format!("{plan} (${usd_per_gpu_hour:.2}/GPU-h) beats {reference} (${reference_usd_per_gpu_hour:.2}/GPU-h) for any GPU that would be provisioned on demand more than {:.0}% of the month.", utilization * 100.0)
                } else {
                    format!("{plan} (${usd_per_gpu_hour:.2}/GPU-h) never beats {reference} (${reference_usd_per_gpu_hour:.2}/GPU-h): it costs more per hour even when fully used.")
                };
                (BreakevenKind::CommittedVsOnDemand, None, Some(utilization), description)
            }
            F::NoApiPrice { deployment, base } => (
                BreakevenKind::SelfHostVsApi,
                Some(deployment),
                None,
                format!("{deployment}: no per-token API price for {base} in the catalog."),
            ),
            F::SelfHostFrom { deployment, api, volume, tokens_per_month, fine_tuned, ref also } => (
                BreakevenKind::SelfHostVsApi,
                Some(deployment),
                Some(volume),
                format!("{deployment}: self-hosting beats {} ({}/M in, {}/M out) from about {} the pilot's volume ({}/month of tokens), located by sizing fleets between the sweep points.{}{}", api.name, usd_unit(api.usd_per_million_input), usd_unit(api.usd_per_million_output), times(volume), tokens(tokens_per_month), teeth(also), fine_tuned_note(fine_tuned)),
            ),
            F::SelfHostAlways { deployment, api, from, fine_tuned } => (
                BreakevenKind::SelfHostVsApi,
                Some(deployment),
                None,
                format!("{deployment}: self-hosting is cheaper than {api} at every volume swept, from {}.{}", times(from), fine_tuned_note(fine_tuned)),
            ),
            F::ApiStaysCheaper { deployment, api, largest, api_usd, self_usd, fine_tuned } => (
                BreakevenKind::SelfHostVsApi,
                Some(deployment),
                None,
                format!("{deployment}: {api} stays cheaper than self-hosting up to {}, the largest volume simulated ({} vs {} a month); any crossing lies beyond it.{}", times(largest), usd(api_usd), usd(self_usd), fine_tuned_note(fine_tuned)),
            ),
            F::NeverServed { deployment } => (
                BreakevenKind::SecondRegion,
                Some(deployment),
                None,
                format!("{deployment}: no lawful fleet serves every user group at any volume swept; the headline says why."),
            ),
            F::RegionsForced { deployment } => (
                BreakevenKind::SecondRegion,
                Some(deployment),
                None,
                format!("{deployment}: the residency rules require serving from more than one region at every volume."),
            ),
            F::SplitPays {
                deployment,
                volume,
                located,
            } => (
                BreakevenKind::SecondRegion,
                Some(deployment),
                Some(volume),
                if located {
                    format!("{deployment}: serving each user group in its own region pays for itself from about {} the pilot's volume, located by sizing fleets between the sweep points.", times(volume))
                } else {
                    format!("{deployment}: serving each user group in its own region pays for itself from {} on (the smallest swept volume where it is cheapest).", times(volume))
                },
            ),
            F::OneRegion { deployment } => (
                BreakevenKind::SecondRegion,
                Some(deployment),
                None,
                format!("{deployment}: one region stays cheapest at every volume swept; a second region does not pay for itself."),
            ),
            F::BuyFrom { deployment, plan, geo, volume, at, owned_usd, rented_usd, rented_plan } => (
                BreakevenKind::BuyVsRent,
                Some(deployment),
                Some(volume),
                format!("{deployment}: buying servers ({plan}) beats renting in {geo} from about {} the pilot's volume, located by sizing fleets between the sweep points; at {} owning costs {} a month against {} on {rented_plan}.", times(volume), times(at), usd(owned_usd), usd(rented_usd)),
            ),
            F::BuyAlways { deployment, plan, geo, from } => (
                BreakevenKind::BuyVsRent,
                Some(deployment),
                None,
                format!("{deployment}: buying servers ({plan}) is cheaper than renting in {geo} at every volume swept, from {}.", times(from)),
            ),
            F::RentStaysCheaper { deployment, plan, geo, largest, owned_usd, rented_usd, rented_plan } => (
                BreakevenKind::BuyVsRent,
                Some(deployment),
                None,
                format!("{deployment}: renting in {geo} stays cheaper than buying servers ({plan}) up to {}, the largest volume simulated ({} on {rented_plan} vs {} owned a month).", times(largest), usd(rented_usd), usd(owned_usd)),
            ),
        };
        Breakeven {
            kind,
            deployment: deployment.map(str::to_string),
            value,
            unit: kind.unit().to_string(),
            description,
        }
    }
}

impl crate::result::Decision {
    /// The decision in one sentence, from its fields.
    pub(crate) fn sentence(&self) -> String {
        use crate::result::{DecisionAxis, DecisionKind};
        let at = match self.variable {
            DecisionAxis::Volume => format!("at {} volume", times(self.at)),
            DecisionAxis::Context => {
                format!(
                    "at {} context (and {} volume)",
                    times(self.at),
                    times(self.held)
                )
            }
        };
        let what = match self.what {
            DecisionKind::Gpu => format!("move from {} to {}", self.from, self.to),
            DecisionKind::Layout => format!("change the layout from {} to {}", self.from, self.to),
            DecisionKind::Policy => format!("provision {} instead of {}", self.to, self.from),
            DecisionKind::Api => format!(
                "self-host instead of the per-token {}",
                self.from.trim_start_matches("api ")
            ),
            DecisionKind::Region => format!("serve users {} instead of {}", self.to, self.from),
        };
        format!(
            "{}: {at} {what} ({} a month one step below, {} at it)",
            self.deployment,
            usd(self.usd_before),
            usd(self.usd_after)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_break_even_names_the_sweep_points_below_it_where_self_hosting_already_wins() {
        let catalog = infercost_cost::Catalog::embedded();
        let api = &catalog.apis[0];
        let finding = |also: Vec<f64>| BreakevenFinding::SelfHostFrom {
            deployment: "d",
            api,
            volume: 17.79,
            tokens_per_month: 3.09e11,
            fine_tuned: false,
            also,
        };
        let plain = finding(Vec::new()).breakeven();
        assert_eq!(plain.value, Some(17.79));
        assert!(
            !plain.description.contains("Below it"),
            "{}",
            plain.description
        );
        let teeth = finding(vec![10.0]).breakeven().description;
        assert!(
            teeth.contains("from about 17.79×")
                && teeth.contains("also wins at the sweep point 10×,"),
            "{teeth}"
        );
        let two = finding(vec![5.0, 10.0]).breakeven().description;
        assert!(two.contains("at the sweep points 5×, 10×,"), "{two}");
    }
}
