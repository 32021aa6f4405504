//! The day's summary read from a full simulation of it (`SimConfig::hourly` set, one-minute or finer
//! buckets): provisioned and busy time from the timeline, SLO and TTFT from the hours' tallies. Time past
//! 24 hours (requests of the last hour draining) belongs to the next day and is left out.

use super::{summarize, DayHour, DaySummary, DAY_S};
use crate::fleet::SimResult;

/// The `DaySummary` of a simulated day, with busy time measured against `replica_rps` (one replica's capacity
/// within the SLO) and GPU-hours at `gpus_per_replica`.
pub fn day_summary(r: &SimResult, replica_rps: f64, gpus_per_replica: u32) -> DaySummary {
    let width = match r.timeline.as_slice() {
        [a, b, ..] => b.t_s - a.t_s,
        _ => 60.0,
    };
    let (mut replica_s, mut busy_s, mut arrivals) = ([0.0f64; 24], [0.0f64; 24], [0.0f64; 24]);
    for row in r.timeline.iter().filter(|row| row.t_s < DAY_S as f64) {
        let h = ((row.t_s / 3_600.0) as usize).min(23);
        // A bucket that straddles midnight counts only its part in the day.
        let w = width.min(DAY_S as f64 - row.t_s);
        let load = row.arrivals as f64 / width;
        replica_s[h] += row.replicas * w;
        let busy_replicas = if replica_rps > 0.0 {
            (load / replica_rps).min(row.replicas)
        } else if load > 0.0 {
            row.replicas
        } else {
            0.0
        };
        busy_s[h] += busy_replicas * w;
        arrivals[h] += row.arrivals as f64;
    }
    let (mut met, mut offered) = (0.0, 0.0);
    let hours = (0..24)
        .map(|h| {
            let tally = r.hours.get(h).copied().unwrap_or_default();
            met += tally.slo_attainment * tally.requests as f64;
            offered += tally.requests as f64;
            DayHour {
                hour: h as u32,
                load_rps: arrivals[h] / 3_600.0,
                replicas_mean: replica_s[h] / 3_600.0,
                busy_fraction: super::ratio(busy_s[h], replica_s[h], 0.0),
                slo_attainment: if tally.requests > 0 {
                    tally.slo_attainment
                } else {
                    1.0
                },
                ttft_p99_ms: tally.ttft_p99_ms,
            }
        })
        .collect();
    let count = |x: u64| x.min(u32::MAX as u64) as u32;
    summarize(
        hours,
        &replica_s,
        &busy_s,
        (met, offered),
        gpus_per_replica,
        (
            count(r.scale_ups),
            count(r.scale_downs),
            count(r.interruptions),
        ),
    )
}
