//! A mixed-GPU point's pools in a plan's result.

use serde::{Deserialize, Serialize};

/// The `gpu` of a mixed-GPU point.
pub const MIX_GPU: &str = "mix";

/// One pool of a mixed-GPU fleet: the requests of its size buckets, routed to it by length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixRow {
    /// GPU type.
    pub gpu: String,
    /// Tensor parallelism.
    pub tp: u32,
    /// Pipeline stages.
    #[serde(default = "one")]
    pub pp: u32,
    /// Replicas at the busiest hour.
    pub replicas: u32,
    /// Its share of the point's requests (the rows' shares sum to 1).
    pub requests_share: f64,
}

fn one() -> u32 {
    1
}
