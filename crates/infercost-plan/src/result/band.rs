//! A point's cost band under `plan --uncertainty`.

use serde::{Deserialize, Serialize};

/// A point's cost over Monte Carlo draws of the model's error, prices, growth and the busiest hour, with the
/// chance its chosen fleet still meets the SLO.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostBand {
    /// Draws taken.
    pub draws: u32,
    /// 10th percentile of the monthly cost (nearest rank), USD.
    pub p10_usd: f64,
    /// Median monthly cost, USD.
    pub p50_usd: f64,
    /// 90th percentile of the monthly cost, USD.
    pub p90_usd: f64,
    /// Share of draws in which the chosen fleet, its capacity scaled by the drawn error, carries the drawn load.
    pub p_slo_met: f64,
}
