//! The planner: from a scenario and a pilot workload to the cost at every volume, context and burst, with the
//! attribution of growth, the inflections, break-evens, months ahead and placement.
#![warn(missing_docs)]

pub mod analysis;
pub mod capacity;
pub mod merge;
mod mix;
mod point;
pub mod result;
pub mod scenario;
mod seed;
pub mod sweep;
pub mod uncertainty;
pub mod validate;

pub use result::{PlanResult, SCHEMA_VERSION};
pub use scenario::{Scenario, ScenarioSpec};
/// The planner's entry point: sizes the smallest fleet that meets the SLO at every point of the scenario's sweep
/// (deployment × volume × context × burst × GPU), bills it on every plan, and, for a whole sweep (`shard` is
/// `None`), adds the analysis: attribution, inflections, break-evens, months ahead and placement.
///
/// - `inp`: the scenario, the pilot workload, the day's shape, one model per deployment and the price catalog
///   ([`Inputs`]); the planner reads no files, so the caller loads them.
/// - `threads`: worker threads (at least 1); the result does not depend on it.
/// - `shard`: `Some((i, n))` plans every n-th point from i and leaves the analysis to
///   [`merge::finish`] once the shards are combined ([`merge::combine`]).
/// - `progress`: called with (points done, points in all) as points finish, from worker threads.
///
/// Returns a [`PlanResult`], or a [`PlanError`] for a scenario, price override or shard that cannot be planned.
/// A point where no fleet meets the SLO is a result (`reason` says why), not an error.
///
/// ```no_run
/// # fn doc(inputs: &infercost_plan::Inputs) -> Result<(), infercost_plan::PlanError> {
/// let result = infercost_plan::plan(inputs, 1, None, &|_, _| {})?;
/// for p in &result.points {
///     println!("{} at {}×: {:?} $/month", p.deployment, p.volume, p.cheapest_usd_per_month);
/// }
/// # Ok(()) }
/// ```
///
/// `examples/plan_in_code.rs` builds every input in code and prints the cheapest bill.
#[doc(inline)]
pub use sweep::plan;
/// What [`plan`] reads: the scenario (see [`Scenario::parse`]), the pilot's requests (from a trace reader or
/// `infercost_core::transform::synth`), the day's shape (`Diurnal::flat()` for none), one `ModelSpec` per
/// deployment in order (`infercost_perf::ModelCatalog::get` for the embedded ones) and the price catalog
/// (`infercost_cost::Catalog::embedded()`, plus any of your own); the scenario's `[[price]]` entries are added
/// on top.
#[doc(inline)]
pub use sweep::Inputs;

use thiserror::Error;

/// Errors that stop a plan before it starts.
#[derive(Debug, Error)]
pub enum PlanError {
    /// A scenario file that does not parse or validate.
    #[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Scenario {
        /// The file.
        file: String,
        /// The line, when known.
        line: Option<usize>,
        /// What is wrong, naming the key.
        message: String,
    },
    /// A bad price override.
    #[error(transparent)]
    Cost(#[from] infercost_cost::CostError),
    /// A shard specification that does not make sense.
    #[error("{0}")]
    Invalid(String),
}
