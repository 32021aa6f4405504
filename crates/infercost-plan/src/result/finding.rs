//! The analysis' findings in a plan's result: cost growth attributed to the variables, where the cost curve bends
//! and the break-evens.

use serde::{Deserialize, Serialize};

/// Cost growth from the pilot to a target, split over the three variables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    /// Deployment.
    pub deployment: String,
    /// Target volume.
    pub volume: f64,
    /// Target context.
    pub context: f64,
    /// Target burst.
    pub burst: f64,
    /// Pilot monthly cost (volume 1, context 1, burst 1), cheapest lawful plan over GPUs.
    pub pilot_usd: f64,
    /// Target monthly cost.
    pub target_usd: f64,
    /// Shapley share of volume.
    pub volume_usd: f64,
    /// Shapley share of context length.
    pub context_usd: f64,
    /// Shapley share of concurrency (burst).
    pub concurrency_usd: f64,
    /// Growth no single variable explains alone: growth − the three one-at-a-time effects.
    pub interaction_usd: f64,
    /// target − pilot = volume + context + concurrency.
    pub total_growth_usd: f64,
    /// The variable with the largest share.
    pub driver: Driver,
}

/// The variable whose Shapley share of a cost growth is the largest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Driver {
    /// More requests.
    Volume,
    /// Longer prompts.
    Context,
    /// Burstier traffic.
    Concurrency,
    /// No growth, so no driver.
    #[serde(rename = "none")]
    NoGrowth,
}

impl Driver {
    /// The name used in files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Driver::Volume => "volume",
            Driver::Context => "context",
            Driver::Concurrency => "concurrency",
            Driver::NoGrowth => "none",
        }
    }
}

impl std::fmt::Display for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A change of regime or a notable threshold along the volume axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inflection {
    /// What changes.
    pub kind: InflectionKind,
    /// Deployment.
    pub deployment: String,
    /// The volume at which it shows.
    pub at_volume: f64,
    /// A sentence a CFO can read.
    pub description: String,
}

/// What changes at an inflection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InflectionKind {
    /// One replica's floor stops setting the bill: the fleet grows with the load.
    FloorToLinear,
    /// The busiest hour needs more nodes.
    NewNode,
    /// The cheapest GPU type changes.
    GpuChange,
    /// The cheapest plan changes.
    PlanChange,
    /// Cost per request changes by more than 2×.
    RegimeChange,
}

impl InflectionKind {
    /// The name used in files and reports.
    pub fn name(self) -> &'static str {
        match self {
            InflectionKind::FloorToLinear => "floor_to_linear",
            InflectionKind::NewNode => "new_node",
            InflectionKind::GpuChange => "gpu_change",
            InflectionKind::PlanChange => "plan_change",
            InflectionKind::RegimeChange => "regime_change",
        }
    }
}

impl std::fmt::Display for InflectionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A break-even.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breakeven {
    /// Which threshold.
    pub kind: BreakevenKind,
    /// Deployment, when it depends on one.
    pub deployment: Option<String>,
    /// The threshold's value: a utilisation fraction, or a volume multiple.
    pub value: Option<f64>,
    /// Unit of `value`: `utilization` or `volume`, as the kind implies.
    pub unit: String,
    /// A sentence.
    pub description: String,
}

/// Which threshold a break-even is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakevenKind {
    /// The utilisation above which a term plan beats the on-demand one.
    CommittedVsOnDemand,
    /// The volume from which self-hosting beats a per-token API.
    SelfHostVsApi,
    /// The volume from which serving each user group in its own region pays for itself.
    SecondRegion,
    /// The volume from which owned servers cost less than renting the fleet in the same jurisdiction.
    BuyVsRent,
}

impl BreakevenKind {
    /// The name used in files and reports.
    pub fn name(self) -> &'static str {
        match self {
            BreakevenKind::CommittedVsOnDemand => "committed_vs_on_demand",
            BreakevenKind::SelfHostVsApi => "self_host_vs_api",
            BreakevenKind::SecondRegion => "second_region",
            BreakevenKind::BuyVsRent => "buy_vs_rent",
        }
    }

    /// The unit of the threshold's value.
    pub fn unit(self) -> &'static str {
        match self {
            BreakevenKind::CommittedVsOnDemand => "utilization",
            BreakevenKind::SelfHostVsApi
            | BreakevenKind::SecondRegion
            | BreakevenKind::BuyVsRent => "volume",
        }
    }
}

impl std::fmt::Display for BreakevenKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
