//! The planner: from a scenario and a pilot workload to the cost at every volume, context and burst, with the
//! attribution of growth, the inflections, break-evens, months ahead and placement.
#![warn(missing_docs)]

pub mod analysis;
pub mod capacity;
mod point;
pub mod result;
pub mod scenario;
pub mod sweep;

pub use result::{PlanResult, SCHEMA_VERSION};
pub use scenario::Scenario;
pub use sweep::plan;

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
