//! The fluid day: load as a rate, replicas as counts, stepped a minute (or an autoscaler interval) at a time.
//!
//! Each step offers `hourly rate × minute factor` requests per second. Serving replicas clear a backlog first
//! and then the new arrivals, up to `replica_rps` each; arrivals beyond that wait in the backlog and miss the
//! SLO. The autoscaler sees what the real one sees (batch occupancy over the last interval, occupancy taken
//! proportional to load up to one per replica) and orders replicas that serve only after the provisioning
//! delay, and drains the newest ones that have lived their minimum lifetime. Reclaims take a random serving
//! replica at a seeded Poisson rate; its in-flight requests restart elsewhere (misses, and work added to the
//! backlog) and its replacement serves after the delay.

use super::{summarize, DayFleet, DayHour, DayInputs, DaySummary};
use crate::capacity::LoadPoint;
use crate::fleet::Autoscaler;
use infercost_core::Rng;

/// The fluid model's step when nothing asks for a finer one, seconds: the minute factors' resolution.
const STEP_S: f64 = 60.0;

/// The replicas an autoscaled day starts with: what the autoscaler settles on at hour 0's mean load (as if the
/// day before ended at the same rate), found by repeating its decision until it holds. A static fleet starts
/// with its size.
pub fn start_replicas(inp: &DayInputs) -> u32 {
    match inp.fleet {
        DayFleet::Static { replicas, .. } => replicas,
        DayFleet::Autoscaled(a) => {
            let load = inp.hourly_rps[0];
            let mut n = a.min_replicas;
            for _ in 0..64 {
                let next = desired(&a, occupied_replicas(inp, load, n as f64));
                if next == n {
                    break;
                }
                n = next;
            }
            n
        }
    }
}

/// The load curve at `x` of capacity: (occupancy, requests in flight) per replica.
fn curve_at(curve: &[LoadPoint], x: f64) -> (f64, f64) {
    let Some(last) = curve.last() else {
        return (x, 0.0);
    };
    if x >= last.load_fraction {
        let k = super::ratio(x, last.load_fraction, 0.0);
        return (last.occupancy * k, last.in_flight * k);
    }
    let mut prev = (0.0, 0.0, 0.0);
    for p in curve {
        if x <= p.load_fraction {
            let f = super::ratio(x - prev.0, p.load_fraction - prev.0, 0.0);
            return (
                prev.1 + f * (p.occupancy - prev.1),
                prev.2 + f * (p.in_flight - prev.2),
            );
        }
        prev = (p.load_fraction, p.occupancy, p.in_flight);
    }
    (last.occupancy, last.in_flight)
}

/// Replica-equivalents of batch occupancy at `rps` of demand (arrivals and backlog) spread over `serving`
/// replicas: the load curve, continued in proportion past its last point, each batch at most full.
fn occupied_replicas(inp: &DayInputs, rps: f64, serving: f64) -> f64 {
    if serving <= 0.0 {
        return 0.0;
    }
    let x = super::ratio(rps, serving * inp.replica_rps, 0.0);
    serving * curve_at(inp.load_curve, x).0.min(1.0)
}

/// The count the autoscaler aims for when `occupied` replica-equivalents are busy over its window.
fn desired(a: &Autoscaler, occupied: f64) -> u32 {
    let want = (occupied / a.target_utilization).ceil();
    (want.min(u32::MAX as f64) as u32).clamp(a.min_replicas, a.max_replicas)
}

/// A seeded Poisson draw: Knuth's product of uniforms for small means, a rounded normal past them.
fn poisson(rng: &mut Rng, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 30.0 {
        return (mean + mean.sqrt() * rng.normal()).round().max(0.0) as u32;
    }
    let limit = (-mean).exp();
    let (mut k, mut p) = (0u32, rng.f64_open());
    while p > limit {
        k += 1;
        p *= rng.f64_open();
    }
    k
}

/// The fleet through the day: serving replicas by the time they started, replicas on order by the time they
/// serve, the backlog, and the autoscaler's window.
struct Fleet {
    /// Start times (s) of serving replicas, oldest first.
    serving: Vec<f64>,
    /// Times (s) at which ordered replicas begin to serve.
    starting: Vec<f64>,
    /// Requests waiting beyond capacity.
    backlog: f64,
    /// Occupied replica-seconds since the last decision, and the seconds they span.
    window_occupied_s: f64,
    window_s: f64,
    scale_ups: u32,
    scale_downs: u32,
    interruptions: u32,
}

impl Fleet {
    /// Replicas whose start-up finished by `t` begin to serve. Each was not ready at the previous step, so it
    /// started after every replica already serving: sorting the newcomers keeps `serving` in order.
    fn settle(&mut self, t: f64) {
        let first_new = self.serving.len();
        let mut i = 0;
        while i < self.starting.len() {
            if self.starting[i] <= t {
                let ready = self.starting.swap_remove(i);
                self.serving.push(ready);
            } else {
                i += 1;
            }
        }
        self.serving[first_new..].sort_by(f64::total_cmp);
    }

    /// One autoscaling decision at `t` over the window since the last one.
    fn decide(&mut self, a: &Autoscaler, t: f64) {
        let want = desired(a, super::ratio(self.window_occupied_s, self.window_s, 0.0));
        self.window_occupied_s = 0.0;
        self.window_s = 0.0;
        let have = (self.serving.len() + self.starting.len()) as u32;
        if want > have {
            let ready = t + a.provisioning_delay.as_secs_f64();
            self.starting
                .extend(std::iter::repeat_n(ready, (want - have) as usize));
            self.scale_ups += want - have;
        } else if (want as usize) < self.serving.len() {
            // The newest first, each once it has lived its minimum lifetime.
            let min_life = a.min_lifetime.as_secs_f64();
            let mut remove = self.serving.len() - want as usize;
            let mut i = self.serving.len();
            while remove > 0 && i > 0 {
                i -= 1;
                if t - self.serving[i] >= min_life {
                    self.serving.remove(i);
                    remove -= 1;
                    self.scale_downs += 1;
                }
            }
        }
    }

    /// Reclaims over a step of `dt` seconds at `t`: each lost replica's in-flight requests (at the current
    /// load per replica) restart, counted as misses and added to the backlog. Returns the restarted requests.
    fn reclaim(&mut self, inp: &DayInputs, rng: &mut Rng, t: f64, dt: f64, load: f64) -> f64 {
        let rate = inp.interruptions_per_replica_hour;
        if rate <= 0.0 || self.serving.is_empty() {
            return 0.0;
        }
        let lost = poisson(rng, rate * self.serving.len() as f64 * dt / 3600.0)
            .min(self.serving.len() as u32);
        let delay = match inp.fleet {
            DayFleet::Static {
                replacement_delay, ..
            } => replacement_delay,
            DayFleet::Autoscaled(a) => a.provisioning_delay,
        };
        let x = super::ratio(load, self.serving.len() as f64 * inp.replica_rps, 0.0);
        let in_flight = curve_at(inp.load_curve, x.min(1.0)).1;
        let mut restarted = 0.0;
        for _ in 0..lost {
            let k = rng.below(self.serving.len() as u64) as usize;
            self.serving.remove(k);
            self.starting.push(t + delay.as_secs_f64());
            restarted += in_flight;
        }
        self.interruptions += lost;
        self.backlog += restarted;
        restarted
    }
}

/// Runs the day through the fluid model.
pub fn fluid_day(inp: &DayInputs) -> DaySummary {
    let autoscaler = match inp.fleet {
        DayFleet::Autoscaled(a) => Some(a),
        DayFleet::Static { .. } => None,
    };
    // Decisions at the autoscaler's interval, stepped at least a second apart: finer would cost time and
    // resolve nothing the minute factors know.
    let interval_s = autoscaler.map(|a| a.interval.as_secs_f64().max(1.0));
    let dt = interval_s.map_or(STEP_S, |i| i.min(STEP_S));
    let steps = (super::DAY_S as f64 / dt).ceil() as usize;
    let mut fleet = Fleet {
        serving: vec![0.0; start_replicas(inp) as usize],
        starting: Vec::new(),
        backlog: 0.0,
        window_occupied_s: 0.0,
        window_s: 0.0,
        scale_ups: 0,
        scale_downs: 0,
        interruptions: 0,
    };
    let mut rng = Rng::derive(inp.seed, 0xDA7);
    let (mut arrived, mut missed) = ([0.0f64; 24], [0.0f64; 24]);
    let (mut replica_s, mut busy_s) = ([0.0f64; 24], [0.0f64; 24]);
    let mut next_decision = interval_s.unwrap_or(f64::INFINITY);
    // The factors as cycled through an hour average one, so each hour offers its rate exactly.
    let hour_mean = match inp.minute_factors {
        [] => 1.0,
        f => (0..60).map(|m| f[m % f.len()]).sum::<f64>() / 60.0,
    };
    let hour_mean = if hour_mean > 0.0 { hour_mean } else { 1.0 };
    for i in 0..steps {
        let t = i as f64 * dt;
        let step = dt.min(super::DAY_S as f64 - t);
        fleet.settle(t);
        if let (Some(a), Some(w)) = (autoscaler, interval_s) {
            if t >= next_decision {
                fleet.decide(&a, t);
                while next_decision <= t {
                    next_decision += w;
                }
            }
        }
        let hour = ((t / 3600.0) as usize).min(23);
        let factor = match inp.minute_factors {
            [] => 1.0,
            f => f[((t % 3600.0) / 60.0) as usize % f.len()] / hour_mean,
        };
        let load = inp.hourly_rps[hour] * factor;
        missed[hour] += fleet.reclaim(inp, &mut rng, t, step, load);
        let serving = fleet.serving.len() as f64;
        let capacity = serving * inp.replica_rps * step;
        let arrivals = load * step;
        let demand_rps = load + fleet.backlog / step;
        let cleared = fleet.backlog.min(capacity);
        let overflow = (arrivals - (capacity - cleared)).max(0.0);
        fleet.backlog += overflow - cleared;
        arrived[hour] += arrivals;
        missed[hour] += overflow;
        fleet.window_occupied_s += occupied_replicas(inp, demand_rps, serving) * step;
        fleet.window_s += step;
        let provisioned = serving + fleet.starting.len() as f64;
        replica_s[hour] += provisioned * step;
        busy_s[hour] += ratio_capped(load, inp.replica_rps, provisioned) * step;
    }
    let hours = (0..24)
        .map(|h| DayHour {
            hour: h as u32,
            load_rps: arrived[h] / 3600.0,
            replicas_mean: replica_s[h] / 3600.0,
            busy_fraction: super::ratio(busy_s[h], replica_s[h], 0.0),
            slo_attainment: 1.0 - super::ratio(missed[h].min(arrived[h]), arrived[h], 0.0),
            ttft_p99_ms: None,
        })
        .collect();
    let offered: f64 = arrived.iter().sum();
    let misses: f64 = missed.iter().sum::<f64>().min(offered);
    summarize(
        hours,
        &replica_s,
        &busy_s,
        (offered - misses, offered),
        inp.gpus_per_replica,
        (fleet.scale_ups, fleet.scale_downs, fleet.interruptions),
    )
}

/// Load over capacity in replicas, capped at the replicas provisioned.
fn ratio_capped(load: f64, replica_rps: f64, provisioned: f64) -> f64 {
    if replica_rps > 0.0 {
        (load / replica_rps).min(provisioned)
    } else if load > 0.0 {
        provisioned
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use infercost_core::SimTime;

    /// Occupancy 0.8 and 20 requests in flight at capacity, in proportion below it.
    const CURVE: [LoadPoint; 1] = [LoadPoint {
        load_fraction: 1.0,
        occupancy: 0.8,
        in_flight: 20.0,
    }];

    fn inputs(fleet: DayFleet, hourly: [f64; 24]) -> DayInputs<'static> {
        DayInputs {
            hourly_rps: hourly,
            minute_factors: &[],
            replica_rps: 10.0,
            load_curve: &CURVE,
            gpus_per_replica: 2,
            fleet,
            interruptions_per_replica_hour: 0.0,
            seed: 7,
        }
    }

    fn fixed(replicas: u32) -> DayFleet {
        DayFleet::Static {
            replicas,
            replacement_delay: SimTime::from_secs(300),
        }
    }

    fn autoscaled(delay_s: u64) -> DayFleet {
        DayFleet::Autoscaled(Autoscaler {
            target_utilization: 0.7,
            provisioning_delay: SimTime::from_secs(delay_s),
            min_lifetime: SimTime::from_secs(600),
            min_replicas: 1,
            max_replicas: 1000,
            interval: SimTime::from_secs(60),
        })
    }

    /// A day at 100 req/s that doubles from 08:00 to 18:00.
    fn ramp() -> [f64; 24] {
        std::array::from_fn(|h| if (8..18).contains(&h) { 200.0 } else { 100.0 })
    }

    #[test]
    fn a_static_fleet_within_capacity_is_idle_by_arithmetic() {
        let d = fluid_day(&inputs(fixed(25), ramp()));
        // 25 replicas × 2 GPUs × 24 h; busy = load / 10 req/s per replica.
        assert!((d.gpu_hours - 1200.0).abs() < 1e-9);
        let busy_replica_hours = (14.0 * 100.0 + 10.0 * 200.0) / 10.0;
        assert!((d.busy_gpu_hours - 2.0 * busy_replica_hours).abs() < 1e-6);
        assert!((d.idle_fraction - (1.0 - 2.0 * busy_replica_hours / 1200.0)).abs() < 1e-9);
        assert_eq!(d.slo_attainment, 1.0);
        assert_eq!((d.scale_ups, d.scale_downs, d.interruptions), (0, 0, 0));
        assert_eq!(d.hourly.len(), 24);
        assert!((d.hourly[9].busy_fraction - 0.8).abs() < 1e-9);
    }

    #[test]
    fn an_overloaded_hour_misses_what_its_capacity_cannot_serve() {
        // 15 replicas serve 150 req/s: from 08:00 the queue grows without bound, so every request after the
        // first minute of overload misses until the backlog clears after 18:00.
        let d = fluid_day(&inputs(fixed(15), ramp()));
        let h = &d.hourly;
        assert_eq!(h[7].slo_attainment, 1.0);
        assert!(h[9].slo_attainment < 0.01, "{:?}", h[9]);
        // The backlog of 10 h × 50 req/s drains at 50 req/s of spare capacity: it outlasts the day.
        assert!(h[23].slo_attainment < 0.01);
        let offered = 14.0 * 100.0 + 10.0 * 200.0;
        // Misses at least the requests beyond capacity.
        assert!(d.slo_attainment <= 1.0 - 10.0 * 50.0 / offered);
        assert!((h[9].busy_fraction - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_autoscaler_follows_the_day_and_a_slow_one_misses_the_ramp() {
        let fast = fluid_day(&inputs(autoscaled(60), ramp()));
        let slow = fluid_day(&inputs(autoscaled(1800), ramp()));
        // At 100 req/s, occupancy 0.8 per 10 req/s: 8 replicas occupied, 12 at a 0.7 target; 23 at 200.
        assert!(
            (fast.hourly[3].replicas_mean - 12.0).abs() < 1e-9,
            "{:?}",
            fast.hourly[3]
        );
        assert!(
            (fast.hourly[12].replicas_mean - 23.0).abs() < 1e-9,
            "{:?}",
            fast.hourly[12]
        );
        assert_eq!(fast.hourly[3].slo_attainment, 1.0);
        assert!(fast.scale_ups >= 7 && fast.scale_downs >= 7);
        // Twelve replicas serve 120 req/s of the ramp's 200: both miss it until more arrive, the slow one for
        // 30 minutes.
        assert!(slow.hourly[8].slo_attainment < fast.hourly[8].slo_attainment);
        assert!(slow.slo_attainment < fast.slo_attainment);
        assert!(fast.idle_fraction < fluid_day(&inputs(fixed(25), ramp())).idle_fraction);
    }

    #[test]
    fn reclaims_come_at_their_rate_and_cost_attainment() {
        let mut i = inputs(fixed(25), ramp());
        i.interruptions_per_replica_hour = 0.05;
        let d = fluid_day(&i);
        // 25 replicas × 24 h × 0.05 = 30 expected; Poisson sd √30 ≈ 5.5.
        assert!((12..=48).contains(&d.interruptions), "{}", d.interruptions);
        assert!(d.slo_attainment < 1.0);
        assert_eq!(fluid_day(&i), d, "seeded");
        i.seed = 8;
        assert_ne!(fluid_day(&i).interruptions, 0);
    }
}
