//! A bill's simulated day in a plan's result: the fleet its policy provisioned, hour by hour.

use serde::{Deserialize, Serialize};

/// A fleet's simulated day under its bill's policy: what it provisioned, how busy it was and how much of the
/// traffic met the SLO, over the day and hour by hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillDay {
    /// The day model that simulated it (`derived`: each hour's mean load on the hour's fleet; `fluid`: minute by
    /// minute with the autoscaler's lag).
    pub model: String,
    /// GPU-hours provisioned in the day.
    pub gpu_hours: f64,
    /// GPU-hours' worth of capacity the load used (load over capacity, the meaning the bills use).
    pub busy_gpu_hours: f64,
    /// 1 − busy / provisioned.
    pub idle_fraction: f64,
    /// Share of the day's requests served within the SLO (unserved and rejected requests are misses).
    pub slo_attainment: f64,
    /// Times the fleet grew.
    pub scale_ups: u32,
    /// Times the fleet shrank.
    pub scale_downs: u32,
    /// The headroom the fleet needed to meet the SLO over the day: extra replicas on a static fleet.
    #[serde(default)]
    pub headroom_replicas: u32,
    /// The autoscaler's target utilisation (an autoscaled fleet; lower is more headroom).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale_target: Option<f64>,
    /// The 24 hours.
    pub hourly: Vec<DayHour>,
}

/// One hour of a simulated day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayHour {
    /// Hour of day.
    pub hour: u32,
    /// Mean requests per second.
    pub load_rps: f64,
    /// Mean replicas running.
    pub replicas_mean: f64,
    /// Load over the running fleet's capacity.
    pub busy_fraction: f64,
    /// Share of the hour's requests served within the SLO.
    pub slo_attainment: f64,
    /// p99 TTFT in the hour, where the model measures it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_p99_ms: Option<f64>,
    /// Of `replicas_mean`, replicas on committed capacity.
    #[serde(default)]
    pub committed_replicas: f64,
    /// Of `replicas_mean`, replicas on spot.
    #[serde(default)]
    pub spot_replicas: f64,
    /// Of `replicas_mean`, replicas on demand.
    #[serde(default)]
    pub on_demand_replicas: f64,
}
