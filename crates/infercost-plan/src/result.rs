//! The planner's result: what `infercost plan --json` prints and the report reads. Field names are a contract.

mod band;
mod buy;
mod day;
mod decision;
mod finding;
mod mix;

pub use band::CostBand;
pub use buy::BuyOrRent;
pub use day::{BillDay, DayHour};
pub use decision::{Decision, DecisionAxis, DecisionKind};
pub use finding::{Attribution, Breakeven, BreakevenKind, Driver, Inflection, InflectionKind};
pub use mix::{MixRow, MIX_GPU};

use crate::scenario::Scenario;
use infercost_core::Usd;
use infercost_cost::{Bill, Catalog, Commitment};
use infercost_perf::Layout;
use infercost_sim::LatencySummary;
use serde::{Deserialize, Serialize};

/// Version of this JSON layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// One hour of the representative day at a point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hour {
    /// Hour of day.
    pub hour: u32,
    /// Mean requests per second.
    pub load_rps: f64,
    /// Replicas the autoscaled policy provisions.
    pub replicas_autoscaled: u32,
    /// Replicas the static policy provisions (the peak).
    pub replicas_static: u32,
    /// Load over the static fleet's capacity.
    pub busy_fraction_static: f64,
}

/// How a fleet is provisioned over the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Policy {
    /// The peak fleet all day.
    #[serde(rename = "static")]
    Static,
    /// Each hour's fleet follows the hour's load.
    #[serde(rename = "autoscaled")]
    Autoscaled,
    /// A committed base (the day's smallest fleet) and the rest on the plan's burst plan.
    #[serde(rename = "committed-plus-burst")]
    CommittedPlusBurst,
    /// The cheapest mix at one provider, GPU and region: GPUs committed on a term plan, the rest of the day on
    /// spot and on demand, as far as the SLO holds over the simulated day.
    #[serde(rename = "mix")]
    Mix,
}

impl Policy {
    /// The name used in files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Static => "static",
            Policy::Autoscaled => "autoscaled",
            Policy::CommittedPlusBurst => "committed-plus-burst",
            Policy::Mix => "mix",
        }
    }
}

impl std::fmt::Display for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One fleet of a point's chosen serving: the user groups it serves, where, on which plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Serving {
    /// User groups it serves (empty without geography: everyone).
    pub users: Vec<String>,
    /// Jurisdiction it runs in.
    pub served_in: String,
    /// Plan it is billed on.
    pub plan: String,
    /// Provisioning policy.
    pub policy: Policy,
    /// Tensor parallelism.
    pub tp: u32,
    /// Pipeline stages.
    #[serde(default = "one")]
    pub pp: u32,
    /// Expert parallelism (1: none).
    #[serde(default = "one")]
    pub ep: u32,
    /// Data-parallel attention.
    #[serde(default)]
    pub attention_dp: bool,
    /// Replicas at the busiest hour.
    pub replicas_peak: u32,
    /// One replica's capacity within the SLO, requests/s.
    pub max_rps_per_replica: f64,
    /// Its share of the point's requests.
    pub requests_peak_hour_share: f64,
    /// Its monthly bill.
    pub usd_per_month: Usd,
    /// Inter-region transfer in that bill.
    pub transfer_usd: Usd,
    /// That bill, line by line: for a fleet that serves only some user groups it differs from every
    /// whole-traffic bill in the point's `bills`. Absent in results planned before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill: Option<Bill>,
    /// That bill's simulated day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<BillDay>,
    /// The same fleet's bill on each other plan of its jurisdiction (its cheapest policy there, and a mix where
    /// one is priced), so a reader can re-price the choice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<Bill>,
    /// Where the fleet could run on owned servers: its cheapest owned and rented bills there. Absent where no
    /// owned plan prices it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buy_or_rent: Option<BuyOrRent>,
}

/// A bill on one plan under the provisioning policy that is cheapest for that plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointBill {
    /// `static`, `autoscaled`, `committed-plus-burst` or `mix`.
    pub policy: Policy,
    /// Whether this plan may serve every user group under the residency rules.
    pub lawful: bool,
    /// The bill.
    #[serde(flatten)]
    pub bill: Bill,
    /// The simulated day the bill was priced on. Absent in results planned before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<BillDay>,
}

/// One point of the sweep on one GPU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Deployment name.
    pub deployment: String,
    /// Volume multiple.
    pub volume: f64,
    /// Context multiple.
    pub context: f64,
    /// Burst multiple.
    pub burst: f64,
    /// GPU.
    pub gpu: String,
    /// Tensor parallelism (GPUs per pipeline stage). This and `pp`, `ep` and `attention_dp` are the layout of
    /// the point's largest fleet; with a fleet per jurisdiction each fleet's is in `serving`.
    pub tp: u32,
    /// Pipeline stages.
    #[serde(default = "one")]
    pub pp: u32,
    /// Expert parallelism (1: none).
    #[serde(default = "one")]
    pub ep: u32,
    /// Data-parallel attention.
    #[serde(default)]
    pub attention_dp: bool,
    /// Whether the model fits.
    pub fits: bool,
    /// Whether the SLO was met at the busiest hour.
    pub slo_met: bool,
    /// Why not, when the point has no fleet.
    pub reason: Option<String>,
    /// Replicas at the busiest hour.
    pub replicas_peak: u32,
    /// GPUs at the busiest hour.
    pub gpus_peak: u32,
    /// Traffic groups simulated (group sampling when above 1).
    pub groups: u32,
    /// Requests in the busiest hour.
    pub requests_peak_hour: u64,
    /// Of those, requests the engine refuses: the prompt reaches `max_model_len` (SLO misses).
    #[serde(default)]
    pub rejected_peak_hour: u64,
    /// Of those, requests whose output is cut at `max_model_len`.
    #[serde(default)]
    pub truncated_peak_hour: u64,
    /// One replica's capacity within the SLO, requests/s (`infercost_sim::capacity::replica_capacity`): a
    /// pooled replica's share of the highest Poisson rate of this length mix served within the SLO.
    pub max_rps_per_replica: f64,
    /// GPU-hours a month of the chosen serving.
    pub gpu_hours_per_month: f64,
    /// Busy over billed GPU-hours of the chosen serving, busy being load over capacity.
    pub utilization: f64,
    /// TTFT at the busiest hour, ms.
    pub ttft_ms: LatencySummary,
    /// TPOT at the busiest hour, ms.
    pub tpot_ms: LatencySummary,
    /// Requests a month.
    pub requests_per_month: f64,
    /// Output tokens a month.
    pub output_tokens_per_month: f64,
    /// Input tokens a month.
    pub input_tokens_per_month: f64,
    /// The day, hour by hour.
    pub hourly: Vec<Hour>,
    /// One bill per plan for this GPU, each for the whole traffic on that plan (`lawful` says whether the
    /// residency rules allow it).
    pub bills: Vec<PointBill>,
    /// The plan(s) of the cheapest lawful serving, joined by " + " when user groups are served apart.
    pub cheapest_plan: Option<String>,
    /// The weight precision of this point's fleet: the scenario's, or the cheapest of those it lists.
    #[serde(default)]
    pub weights: String,
    /// The cheapest lawful way to serve every user group on this GPU type, $/month: the headline.
    pub cheapest_usd_per_month: Option<f64>,
    /// How each plan's whole-traffic bill compares with the headline, as a ratio (plan → total / headline).
    pub vs_cheapest: Vec<(String, f64)>,
    /// The fleets of the cheapest lawful serving.
    #[serde(default)]
    pub serving: Vec<Serving>,
    /// Every way of placing the user groups that was priced (with geography).
    #[serde(default)]
    pub placement: Vec<PlacementOption>,
    /// Simulations run for this point.
    pub simulations: u32,
    /// A mixed-GPU point's (`gpu = "mix"`) pools, one row per GPU type; empty (and absent from the JSON) on a
    /// single type's point.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mix: Vec<MixRow>,
    /// The cost band of `plan --uncertainty N`; absent without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<CostBand>,
}

impl Point {
    /// Whether this is a mixed-GPU point (`gpu = "mix"`).
    pub fn is_mix(&self) -> bool {
        self.gpu == MIX_GPU
    }

    /// The layout of the point's largest fleet (each fleet's is in `serving`).
    pub fn layout(&self) -> Layout {
        layout(self.tp, self.pp, self.ep, self.attention_dp)
    }
}

impl Serving {
    /// The fleet's layout.
    pub fn layout(&self) -> Layout {
        layout(self.tp, self.pp, self.ep, self.attention_dp)
    }
}

/// A layout from the fields a point and a fleet record it in.
fn layout(tp: u32, pp: u32, ep: u32, attention_dp: bool) -> Layout {
    Layout {
        tp,
        pp,
        ep,
        attention_dp,
    }
}

/// One month ahead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Month {
    /// Deployment.
    pub deployment: String,
    /// Month index (1 = next month).
    pub month: u32,
    /// Users.
    pub users: f64,
    /// Volume multiple of the pilot.
    pub volume: f64,
    /// Context multiple.
    pub context: f64,
    /// Monthly cost of the cheapest lawful serving, sized by simulation at this month's volume and context;
    /// `None` when no fleet is feasible (see `reason`).
    pub usd_per_month: Option<f64>,
    /// GPUs at the busiest hour: whole replicas of the chosen layout.
    pub gpus_peak: f64,
    /// The GPU type chosen.
    #[serde(default)]
    pub gpu: Option<String>,
    /// Replicas at the busiest hour.
    #[serde(default)]
    pub replicas_peak: u32,
    /// The plan(s).
    pub plan: Option<String>,
    /// Days from now by which to order the capacity this month needs, given the plan's lead time.
    pub order_by_day: f64,
    /// Why the month has no fleet, when it has none.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Where each user group is served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// User jurisdiction.
    pub users: String,
    /// Share of traffic.
    pub share: f64,
    /// Serving plan.
    pub plan: String,
    /// Serving jurisdiction.
    pub served_in: String,
    /// Added round trip, ms.
    pub added_rtt_ms: f64,
}

/// A placement of users on serving regions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlacementOption {
    /// Short name.
    pub name: String,
    /// Routes.
    pub routes: Vec<Route>,
    /// Monthly cost, GPU fleets plus inter-region transfer.
    pub usd_per_month: f64,
    /// Inter-region transfer in it.
    pub transfer_usd: f64,
    /// Whether it obeys the residency rules and the SLO with the added latency.
    pub allowed: bool,
    /// Why not, when not.
    pub reason: Option<String>,
}

/// Placement at one volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    /// Deployment.
    pub deployment: String,
    /// Volume.
    pub volume: f64,
    /// The options considered.
    pub options: Vec<PlacementOption>,
    /// The cheapest allowed option.
    pub chosen: Option<String>,
}

/// The performance model's calibration, for the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationNote {
    /// Measured GPU.
    pub gpu: String,
    /// Median relative error of GEMM times.
    pub gemm_median_error: f64,
    /// 90th percentile.
    pub gemm_p90_error: f64,
    /// Median relative error of all-reduce times.
    pub all_reduce_median_error: f64,
    /// Where it is documented.
    pub reference: String,
}

/// A summary of the pilot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pilot {
    /// Trace reference.
    pub trace: String,
    /// Requests.
    pub requests: u64,
    /// Seconds from first to last request.
    pub duration_s: f64,
    /// Mean rate.
    pub mean_rate_rps: f64,
    /// Mean prompt tokens.
    pub input_tokens_mean: f64,
    /// Mean output tokens.
    pub output_tokens_mean: f64,
    /// Busiest minute over the mean.
    pub peak_to_mean_60s: f64,
    /// The day's shape relative to the busiest hour (24 values, max 1).
    pub diurnal: Vec<f64>,
}

/// What `infercost plan` answers, and what [`crate::plan`] returns; `plan --json` prints it and `report` reads it.
///
/// Where to look: `points` holds one [`Point`] per deployment × volume × context × burst × GPU, each with a
/// whole-traffic [`PointBill`] per plan in `bills` and the fleets of its cheapest lawful serving in `serving`
/// (each with its own bill); `infercost_plan::analysis::best` picks the cheapest point over GPUs. The analysis
/// (`attribution`, `inflections`, `breakevens`, `months`, `placement`) is empty in a shard. Money in bills is
/// integer micro-dollars (`infercost_core::Usd`), so a bill's lines add up to its total exactly; the other
/// dollar figures are `f64`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanResult {
    /// Layout version.
    pub schema_version: u32,
    /// Program version.
    pub infercost_version: String,
    /// The scenario as validated.
    pub scenario: Scenario,
    /// The pilot.
    pub pilot: Pilot,
    /// Calibration error of the performance model.
    pub calibration: Vec<CalibrationNote>,
    /// Shard `[i, n]` when this is one slice of a sweep.
    pub shard: Option<[u32; 2]>,
    /// In a shard, the price catalogs it was planned with: the embedded catalog and every `--catalog` file, before
    /// the scenario's own `[[price]]` entries (which `scenario` carries). `merge` finishes the analysis at these
    /// prices, whatever catalogs are at hand where it runs. Absent in a whole plan and in older shards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<Catalog>,
    /// In a shard, the folder the scenario's relative paths (pilot trace, day shape, model files) resolved against
    /// when it was planned, as given on the command line; `merge` loads those files from there again. Absent in a
    /// whole plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_dir: Option<String>,
    /// Every point.
    pub points: Vec<Point>,
    /// Growth attribution per target.
    pub attribution: Vec<Attribution>,
    /// Inflections.
    pub inflections: Vec<Inflection>,
    /// Break-evens.
    pub breakevens: Vec<Breakeven>,
    /// Where the best choice changes along the volume and context axes, located by bisection with simulation.
    #[serde(default)]
    pub decisions: Vec<Decision>,
    /// Months ahead.
    pub months: Vec<Month>,
    /// Placement by region.
    pub placement: Vec<Placement>,
    /// The price plans the bills used, with sources and dates.
    pub prices_used: Vec<PriceRef>,
    /// The per-token API prices the break-evens compare with, with sources and dates.
    #[serde(default)]
    pub apis_used: Vec<infercost_cost::ApiPrice>,
}

/// A price the bills used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceRef {
    /// Plan.
    pub plan: String,
    /// Price.
    pub usd_per_gpu_hour: f64,
    /// Commitment.
    pub commitment: Commitment,
    /// Source.
    pub source: String,
    /// Date.
    pub as_of: String,
}

/// One, the default of a layout degree absent from older results.
fn one() -> u32 {
    1
}
