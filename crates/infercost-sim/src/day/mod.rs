//! A day of serving: the fast fluid model of a fleet through 24 hours of load, and the same summary read from a
//! full request-by-request simulation of the day, so the two can be compared figure by figure.
//!
//! `fluid` steps the day a minute (or an autoscaler interval) at a time with load as a rate, replicas as
//! counts and the SLO as "served within capacity"; it takes well under a millisecond per day, so a planner can
//! call it for every fleet it prices. `full` builds the same `DaySummary` from a `SimResult` over the day.

mod fluid;
mod full;

pub use fluid::{fluid_day, start_replicas};
pub use full::day_summary;

use crate::capacity::LoadPoint;
use crate::fleet::Autoscaler;
use infercost_core::{SimTime, Workload};
use serde::Serialize;

/// Seconds in the simulated day.
pub const DAY_S: u64 = 86_400;

/// The fleet that serves the day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DayFleet {
    /// A fixed count of replicas; a reclaimed one is replaced after `replacement_delay`.
    Static {
        /// Replicas provisioned all day.
        replicas: u32,
        /// Time from a replica's loss to its replacement's serving.
        replacement_delay: SimTime,
    },
    /// The target-utilisation autoscaler (`fleet::Autoscaler`); a reclaimed replica is replaced after its
    /// provisioning delay.
    Autoscaled(Autoscaler),
}

/// What the fluid model needs to run a day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayInputs<'a> {
    /// Offered requests per second in each hour of the day (hour 0 first).
    pub hourly_rps: [f64; 24],
    /// Burstiness: each minute's arrival rate over the mean (mean 1), cycled through each hour
    /// (`minute_factors`). Empty means a steady rate.
    pub minute_factors: &'a [f64],
    /// One replica's capacity within the SLO (`capacity::replica_capacity`), requests/s.
    pub replica_rps: f64,
    /// How a replica looks at fractions of that capacity (`capacity::load_curve`): its batch occupancy, the
    /// autoscaler's signal, and its requests in flight, what a reclaim restarts. Read piecewise linearly from
    /// zero; past the last point in proportion to load. Empty: occupancy is the load fraction and a reclaim
    /// loses nothing.
    pub load_curve: &'a [LoadPoint],
    /// GPUs per replica: the summary counts GPU-hours.
    pub gpus_per_replica: u32,
    /// The fleet.
    pub fleet: DayFleet,
    /// Spot reclaims per replica-hour (0 for on-demand or committed capacity).
    pub interruptions_per_replica_hour: f64,
    /// Seed of the reclaims.
    pub seed: u64,
}

/// One hour of the day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DayHour {
    /// Hour of the day, 0–23.
    pub hour: u32,
    /// Offered requests per second over the hour.
    pub load_rps: f64,
    /// Mean replicas provisioned (serving, starting or draining).
    pub replicas_mean: f64,
    /// Capacity-equivalent busy: offered load over one replica's SLO capacity, capped at the replicas
    /// provisioned, over the replicas provisioned.
    pub busy_fraction: f64,
    /// Requests that arrived in the hour and met the SLO, over those that arrived.
    pub slo_attainment: f64,
    /// p99 time to first token of the hour's requests, ms (none from the fluid model, which has no latencies).
    pub ttft_p99_ms: Option<f64>,
}

/// What a day of serving costs in GPU time and delivers in SLO.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DaySummary {
    /// GPU-hours provisioned over the day (replica-hours × GPUs per replica).
    pub gpu_hours: f64,
    /// GPU-hours busy in the capacity-equivalent sense the bills use.
    pub busy_gpu_hours: f64,
    /// 1 − busy_gpu_hours / gpu_hours.
    pub idle_fraction: f64,
    /// Requests meeting the SLO over requests offered, over the day; rejected, unserved and unfinished
    /// requests are misses.
    pub slo_attainment: f64,
    /// Replicas the autoscaler added (replacements of reclaimed replicas not counted).
    pub scale_ups: u32,
    /// Replicas the autoscaler drained.
    pub scale_downs: u32,
    /// Replicas reclaimed (spot interruptions).
    pub interruptions: u32,
    /// The 24 hours.
    pub hourly: Vec<DayHour>,
}

/// The arrival rate of each minute of a workload over its mean (mean 1), from its first arrival: the
/// burstiness the fluid model applies within each hour. Pass the hour as it is simulated (the pilot at the
/// planned volume, `transform::day::busy_hour`), since superposing users smooths the pilot's bursts. Whole
/// minutes only: arrivals in a last partial minute count in the minute before it (a looped hour ends a fraction
/// of a second past 60 minutes). A workload shorter than a minute gives `[1.0]`.
pub fn minute_factors(w: &Workload) -> Vec<f64> {
    let Some(first) = w.requests.first() else {
        return vec![1.0];
    };
    let minute = 60 * SimTime::NS_PER_S;
    let minutes = (w.span().0 / minute).max(1) as usize;
    let mut counts = vec![0.0f64; minutes];
    for r in &w.requests {
        let m = (r.arrival.since(first.arrival).0 / minute) as usize;
        counts[m.min(minutes - 1)] += 1.0;
    }
    let mean = counts.iter().sum::<f64>() / minutes as f64;
    counts.iter().map(|c| c / mean).collect()
}

/// `x / y`, or `empty` where `y` is not positive.
fn ratio(x: f64, y: f64, empty: f64) -> f64 {
    if y > 0.0 {
        x / y
    } else {
        empty
    }
}

/// Totals of the day from its hours and counts.
fn summarize(
    hours: Vec<DayHour>,
    replica_s: &[f64; 24],
    busy_s: &[f64; 24],
    (met, offered): (f64, f64),
    gpus: u32,
    (scale_ups, scale_downs, interruptions): (u32, u32, u32),
) -> DaySummary {
    let gpu_hours = replica_s.iter().sum::<f64>() * gpus as f64 / 3600.0;
    let busy_gpu_hours = busy_s.iter().sum::<f64>() * gpus as f64 / 3600.0;
    DaySummary {
        gpu_hours,
        busy_gpu_hours,
        idle_fraction: 1.0 - ratio(busy_gpu_hours, gpu_hours, 0.0),
        slo_attainment: ratio(met, offered, 1.0),
        scale_ups,
        scale_downs,
        interruptions,
        hourly: hours,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use infercost_core::Request;

    #[test]
    fn minute_factors_average_one_and_show_a_burst() {
        let mut w = Workload::new();
        // Ten requests a minute for five minutes, forty in the third, and one at 5:00 that joins the fifth.
        for m in 0..5u64 {
            let n = if m == 2 { 40 } else { 10 };
            for i in 0..n {
                let t = m * 60 + i * 60 / n;
                w.requests.push(Request::new(SimTime::from_secs(t), 10, 10));
            }
        }
        w.requests
            .push(Request::new(SimTime::from_secs(300), 10, 10));
        let f = minute_factors(&w);
        assert_eq!(f.len(), 5);
        assert!((f.iter().sum::<f64>() / 5.0 - 1.0).abs() < 1e-12);
        assert!((f[2] / f[0] - 4.0).abs() < 1e-12);
        assert!((f[4] / f[0] - 1.1).abs() < 1e-12);
        assert_eq!(minute_factors(&Workload::new()), vec![1.0]);
    }
}
