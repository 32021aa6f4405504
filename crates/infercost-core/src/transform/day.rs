//! A day of traffic from a pilot: the pilot's arrival process and length mix replayed through 24 hours, each
//! hour at the rate the diurnal profile gives it relative to the pilot's hour.
//!
//! The pilot is first looped to fill exactly one hour (`hour_loop`: back-to-back copies, cut at 3,600 s, so a
//! pilot longer than an hour contributes its first hour). Hour `h` is that loop at volume
//! `volume × weight[h] / weight[pilot hour]`, scaled as `scale_volume` scales users (superposed copies at seeded
//! offsets, a seeded subset for the fraction), and placed at `h × 3,600 s`. The pilot's hour is the busiest
//! unless the caller names it.

use super::{invalid, scale_volume, Diurnal, TransformError, VolumeMode};
use crate::rng::Rng;
use crate::units::SimTime;
use crate::workload::Workload;

/// One hour, ns.
const HOUR_NS: u64 = 3_600 * SimTime::NS_PER_S;

/// Copies `w`'s requests (prefixes included) into `out`, each arrival moved by `shift`, keeping those before
/// `end`.
fn append(out: &mut Workload, w: &Workload, shift: u64, end: u64) {
    for r in &w.requests {
        let arrival = r.arrival.0 + shift;
        if arrival >= end {
            break;
        }
        let mut nr = *r;
        nr.arrival = SimTime(arrival);
        if r.prefix_len > 0 {
            let (s, l) = out.push_prefix(w.prefix_of(r));
            nr.prefix_start = s;
            nr.prefix_len = l;
        }
        out.requests.push(nr);
    }
}

/// The pilot looped to fill one hour from time zero: copies back to back, one mean gap apart (as
/// `scale_volume` spaces its copies), the last one cut at 3,600 s.
pub fn hour_loop(pilot: &Workload) -> Workload {
    let mut out = Workload {
        requests: Vec::new(),
        hash_ids: Vec::new(),
        regions: pilot.regions.clone(),
        epoch_origin_s: None,
        has_timestamps: pilot.has_timestamps,
    };
    let Some(first) = pilot.requests.first() else {
        return out;
    };
    let mut zeroed = pilot.clone();
    for r in &mut zeroed.requests {
        r.arrival = r.arrival.since(first.arrival);
    }
    let n = pilot.len() as u64;
    let period = pilot.span().0 + (pilot.span().0 / n).max(1);
    let mut start = 0;
    while start < HOUR_NS {
        append(&mut out, &zeroed, start, HOUR_NS);
        start += period;
    }
    out
}

/// Each hour's volume relative to the pilot's hour: `weight[h] / weight[pilot_hour]`, the pilot's hour being
/// the busiest unless named.
pub fn hour_multiples(
    diurnal: &Diurnal,
    pilot_hour: Option<u32>,
) -> Result<[f64; 24], TransformError> {
    let w = diurnal.normalized();
    let reference = match pilot_hour {
        Some(h) if h >= 24 => return Err(invalid("pilot-hour", "an hour from 0 to 23", h)),
        Some(h) if w[h as usize] <= 0.0 => {
            return Err(invalid(
                "pilot-hour",
                "an hour whose diurnal weight is positive",
                h,
            ))
        }
        Some(h) => w[h as usize],
        None => w.iter().cloned().fold(0.0, f64::max),
    };
    Ok(w.map(|x| x / reference))
}

/// The pilot's hour as the day simulates it at `volume`: `hour_loop` scaled in users mode.
pub fn busy_hour(pilot: &Workload, volume: f64, seed: u64) -> Result<Workload, TransformError> {
    scale_volume(&hour_loop(pilot), volume, VolumeMode::Users, seed)
}

/// Offered requests per second in each hour of the day at `volume`, as `day` builds it (in expectation where
/// an hour's volume has a fraction).
pub fn day_hourly_rps(
    pilot: &Workload,
    diurnal: &Diurnal,
    pilot_hour: Option<u32>,
    volume: f64,
) -> Result<[f64; 24], TransformError> {
    let per_hour = hour_loop(pilot).len() as f64 / 3_600.0;
    Ok(hour_multiples(diurnal, pilot_hour)?.map(|m| per_hour * volume * m))
}

/// 24 hours of traffic from `pilot` at `volume` times its rate in its own hour, seeded.
pub fn day(
    pilot: &Workload,
    diurnal: &Diurnal,
    pilot_hour: Option<u32>,
    volume: f64,
    seed: u64,
) -> Result<Workload, TransformError> {
    if !(volume.is_finite() && volume >= 0.0) {
        return Err(invalid("volume", "a non-negative number", volume));
    }
    let multiples = hour_multiples(diurnal, pilot_hour)?;
    let hour = hour_loop(pilot);
    let mut out = Workload {
        requests: Vec::new(),
        hash_ids: Vec::new(),
        regions: pilot.regions.clone(),
        epoch_origin_s: None,
        has_timestamps: pilot.has_timestamps,
    };
    for (h, m) in multiples.iter().enumerate() {
        let seed_h = Rng::derive(seed, h as u64).next_u64();
        let scaled = scale_volume(&hour, volume * m, VolumeMode::Users, seed_h)?;
        let start = h as u64 * HOUR_NS;
        append(&mut out, &scaled, start, start + HOUR_NS);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::Request;

    /// A pilot of 1,000 requests a second apart with lengths that identify them.
    fn pilot() -> Workload {
        let mut w = Workload::new();
        for i in 0..1000u32 {
            w.requests.push(Request::new(
                SimTime::from_secs(100 + i as u64),
                1 + i,
                1 + i % 7,
            ));
        }
        w
    }

    #[test]
    fn the_loop_fills_an_hour_with_the_pilots_pattern() {
        let l = hour_loop(&pilot());
        // The period is the span (999 s) plus a mean gap (0.999 s): 3.6 copies fill an hour.
        let period = 999.0 + 0.999;
        let copies = 3_600.0 / period;
        assert!(
            (l.len() as f64 - 1000.0 * copies).abs() <= 1.0,
            "{}",
            l.len()
        );
        assert_eq!(l.requests[0].arrival, SimTime::ZERO);
        assert!(l.requests.last().unwrap().arrival.0 < HOUR_NS);
        assert_eq!(
            l.requests[1000].input_tokens, 1,
            "the second copy starts over"
        );
    }

    #[test]
    fn each_hour_follows_its_weight_and_the_pilot_hour_keeps_the_pilots_rate() {
        let mut weights = [1.0; 24];
        weights[3] = 0.5;
        weights[18] = 2.0;
        let d = Diurnal::new(&weights).unwrap();
        let day = day(&pilot(), &d, None, 1.0, 9).unwrap();
        let per_hour = |h: u64| {
            day.requests
                .iter()
                .filter(|r| r.arrival.0 / HOUR_NS == h)
                .count() as f64
        };
        let busiest = hour_loop(&pilot()).len() as f64;
        assert_eq!(per_hour(18), busiest);
        // Fractional volumes keep a seeded subset: binomial counts, within four standard deviations.
        assert!((per_hour(0) - busiest / 2.0).abs() < 4.0 * (busiest / 4.0).sqrt());
        assert!((per_hour(3) - busiest / 4.0).abs() < 4.0 * (busiest * 3.0 / 16.0).sqrt());
        assert!(day
            .requests
            .windows(2)
            .all(|p| p[0].arrival <= p[1].arrival));
        let rps = day_hourly_rps(&pilot(), &d, None, 1.0).unwrap();
        assert!((rps[18] * 3_600.0 - busiest).abs() < 1e-6);
        // Named as hour 0, the pilot sets hour 0's rate and hour 18 runs at twice it.
        let named = day_hourly_rps(&pilot(), &d, Some(0), 1.0).unwrap();
        assert!((named[18] / named[0] - 2.0).abs() < 1e-12);
        assert!(hour_multiples(&d, Some(24)).is_err());
        assert_eq!(
            super::day(&pilot(), &d, None, 1.0, 9).unwrap().requests,
            day.requests
        );
    }
}
