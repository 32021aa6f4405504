//! A fleet's day, simulated: the hourly loads on a static or autoscaled fleet, with spot interruptions, through
//! a day model; and the headroom rule that grows a fleet whose day misses the SLO until it meets it.
//!
//! The planner talks to the model through [`DayModel`], so the model can be swapped without touching the
//! policies that price its days. [`Fluid`] is the one it uses: `infercost_sim::fluid_day`, the day minute by
//! minute with the pilot's minute-to-minute burstiness, the autoscaler's decisions and provisioning delay, and
//! spot reclaims drawn from the point's seed. [`Derived`] is the analytic day (each hour's mean load on the
//! hour's fleet), kept for the tests that check the headroom rule against hand arithmetic.

use super::policy::FleetSize;
use super::Ctx;
use crate::result::{BillDay, DayHour};
use std::cell::RefCell;

/// How the fleet is provisioned through the day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum DayFleet {
    /// The same replicas all day.
    Static { replicas: u32 },
    /// The autoscaler keeps the fleet's load at `target` of its capacity, between one replica and `max`.
    Autoscaled { target: f64, max: u32 },
}

/// One day to simulate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DayRun<'a> {
    /// Mean requests per second, hour by hour.
    pub(crate) hourly_rps: [f64; 24],
    /// Each minute's arrival rate over the hour's mean, cycled through every hour (the pilot's burstiness).
    pub(crate) minute_factors: &'a [f64],
    /// GPUs per replica.
    pub(crate) gpus_per_replica: u32,
    /// One replica's capacity within the SLO, requests/s.
    pub(crate) replica_rps: f64,
    pub(crate) fleet: DayFleet,
    /// Reclaimed replicas per replica-hour (spot), 0 otherwise.
    pub(crate) interruptions_per_replica_hour: f64,
    /// How long a new or replacement replica takes to serve, seconds.
    pub(crate) provisioning_delay_s: f64,
    /// The point's seed: the fluid day draws its reclaims from it (the derived day draws nothing).
    pub(crate) seed: u64,
}

/// One simulated hour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SimHour {
    pub(crate) load_rps: f64,
    pub(crate) replicas_mean: f64,
    pub(crate) busy_fraction: f64,
    pub(crate) slo_attainment: f64,
    pub(crate) ttft_p99_ms: Option<f64>,
}

/// A simulated day.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SimDay {
    pub(crate) model: &'static str,
    pub(crate) hours: Vec<SimHour>,
    /// Share of the day's requests within the SLO.
    pub(crate) attainment: f64,
    pub(crate) scale_ups: u32,
    pub(crate) scale_downs: u32,
}

impl SimDay {
    /// Share of the day's requests served within the SLO.
    pub(crate) fn attainment(&self) -> f64 {
        self.attainment
    }
}

/// The hours' attainments weighed by their requests.
#[cfg(test)]
fn weighted(hours: &[SimHour]) -> f64 {
    let load: f64 = hours.iter().map(|h| h.load_rps).sum();
    if load <= 0.0 {
        return 1.0;
    }
    hours
        .iter()
        .map(|h| h.load_rps * h.slo_attainment)
        .sum::<f64>()
        / load
}

/// A model of the day.
pub(crate) trait DayModel: Sync {
    /// Simulates one day.
    fn run(&self, run: &DayRun) -> SimDay;
}

/// The analytic day: each hour's mean load on the hour's fleet; a reclaimed replica's capacity is missing
/// until its replacement arrives, and load above the capacity left is missed.
#[cfg(test)]
pub(crate) struct Derived;

#[cfg(test)]
impl DayModel for Derived {
    fn run(&self, r: &DayRun) -> SimDay {
        let mut hours = Vec::with_capacity(24);
        let (mut ups, mut downs, mut last) = (0, 0, None::<u32>);
        let down_share = r.interruptions_per_replica_hour * r.provisioning_delay_s / 3600.0;
        for &load in &r.hourly_rps {
            let replicas = match r.fleet {
                DayFleet::Static { replicas } => replicas,
                DayFleet::Autoscaled { target, max } => {
                    let want = load / (r.replica_rps * target).max(1e-12);
                    // A hair under a whole replica is that replica: float noise must not add one.
                    ((want - 1e-9).ceil().max(1.0) as u32).min(max.max(1))
                }
            };
            if let Some(l) = last {
                ups += u32::from(replicas > l);
                downs += u32::from(replicas < l);
            }
            last = Some(replicas);
            let capacity = replicas as f64 * r.replica_rps;
            let serving = capacity * (1.0 - down_share.min(1.0));
            hours.push(SimHour {
                load_rps: load,
                replicas_mean: replicas as f64,
                busy_fraction: if capacity > 0.0 {
                    (load / capacity).min(1.0)
                } else {
                    1.0
                },
                slo_attainment: if load > serving * (1.0 + 1e-9) {
                    serving / load
                } else {
                    1.0
                },
                ttft_p99_ms: None,
            });
        }
        SimDay {
            model: "derived",
            attainment: weighted(&hours),
            hours,
            scale_ups: ups,
            scale_downs: downs,
        }
    }
}

/// The fluid day of `infercost_sim`: minute-level load with the pilot's burstiness against the fleet the
/// autoscaler provisions (its target, provisioning delay, minimum lifetime and decision interval), spot reclaims
/// drawn from the seed and replaced after the provisioning delay. The autoscaler's signal is the load over the
/// capacity (no measured load curve: occupancy is taken as the load fraction, and a reclaim's in-flight requests
/// are not counted as misses).
pub(crate) struct Fluid;

/// The autoscaler's decision interval and minimum replica lifetime (the `simulate` command's defaults).
const INTERVAL_S: u64 = 60;
const MIN_LIFETIME_S: u64 = 600;

impl DayModel for Fluid {
    fn run(&self, r: &DayRun) -> SimDay {
        use infercost_core::SimTime;
        use infercost_sim::fleet::Autoscaler;
        let delay = SimTime::from_secs_f64(r.provisioning_delay_s.max(0.0));
        let fleet = match r.fleet {
            DayFleet::Static { replicas } => infercost_sim::DayFleet::Static {
                replicas,
                replacement_delay: delay,
            },
            DayFleet::Autoscaled { target, max } => {
                infercost_sim::DayFleet::Autoscaled(Autoscaler {
                    target_utilization: target,
                    provisioning_delay: delay,
                    min_lifetime: SimTime::from_secs(MIN_LIFETIME_S),
                    min_replicas: 1,
                    max_replicas: max.max(1),
                    interval: SimTime::from_secs(INTERVAL_S),
                })
            }
        };
        let d = infercost_sim::fluid_day(&infercost_sim::DayInputs {
            hourly_rps: r.hourly_rps,
            minute_factors: r.minute_factors,
            replica_rps: r.replica_rps,
            load_curve: &[],
            gpus_per_replica: r.gpus_per_replica,
            fleet,
            interruptions_per_replica_hour: r.interruptions_per_replica_hour,
            seed: r.seed,
        });
        SimDay {
            model: "fluid",
            hours: d
                .hourly
                .iter()
                .map(|h| SimHour {
                    load_rps: h.load_rps,
                    replicas_mean: h.replicas_mean,
                    busy_fraction: h.busy_fraction,
                    slo_attainment: h.slo_attainment,
                    ttft_p99_ms: h.ttft_p99_ms,
                })
                .collect(),
            attainment: d.slo_attainment,
            scale_ups: d.scale_ups,
            scale_downs: d.scale_downs,
        }
    }
}

/// The day model the planner uses.
pub(crate) fn model() -> &'static dyn DayModel {
    &Fluid
}

/// Autoscaler targets tried in turn until the day meets the SLO: each one more headroom.
pub(crate) const TARGETS: [f64; 6] = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5];

/// What a day run of one fleet varies by: the fleet, the interruption rate's and the delay's bits.
type RunKey = (DayFleet, u64, u64);

/// A fleet's day inputs that do not change with its policy.
pub(crate) struct Env {
    pub(crate) hourly_rps: [f64; 24],
    pub(crate) minute_factors: Vec<f64>,
    /// One replica's capacity within the SLO (the Poisson capacity of `max_rps_per_replica`): the day model's
    /// capacity, and busy is load over it, the bills' meaning.
    pub(crate) busy_rps: f64,
    /// The capacity the day model credits a replica with: the Poisson capacity, or the busiest minute's load
    /// over the sized replicas where that is more.
    pub(crate) replica_rps: f64,
    pub(crate) replicas: u32,
    /// GPUs per replica (TP × PP).
    pub(crate) gpus: u32,
    pub(crate) target: f64,
    pub(crate) seed: u64,
    /// The day model.
    pub(crate) model: &'static dyn DayModel,
    /// Days already simulated for this fleet, by (fleet, interruptions, delay): plans that share them share
    /// the run.
    memo: RefCell<Vec<(RunKey, SimDay)>>,
}

impl Env {
    pub(crate) fn of(ctx: &Ctx, sz: FleetSize, volume: f64, seed: u64) -> Env {
        let peak = ctx.pilot_rate * volume;
        let r = sz.replicas.max(1);
        let mut hourly_rps = [0.0; 24];
        for (h, w) in hourly_rps.iter_mut().zip(ctx.weights) {
            *h = peak * w;
        }
        // The sizing simulated the busiest hour's real arrivals, bursts included, and found `r` replicas meet
        // the SLO: the day model credits a replica with at least the busiest minute's load over them, so that
        // the pilot's minute bursts are not counted twice.
        let busiest = hourly_rps.iter().copied().fold(0.0, f64::max);
        let burst = ctx.minute_factors.iter().copied().fold(1.0, f64::max);
        Env {
            hourly_rps,
            minute_factors: ctx.minute_factors.to_vec(),
            busy_rps: sz.rps.max(1e-9),
            replica_rps: (busiest * burst / r as f64).max(sz.rps).max(1e-9),
            replicas: r,
            gpus: sz.gpus,
            target: ctx.scenario.slo.percentile / 100.0,
            seed,
            model: model(),
            memo: RefCell::new(Vec::new()),
        }
    }

    fn run(&self, fleet: DayFleet, interruptions: f64, delay_s: f64) -> SimDay {
        let key = (fleet, interruptions.to_bits(), delay_s.to_bits());
        if let Some((_, d)) = self.memo.borrow().iter().find(|(k, _)| *k == key) {
            return d.clone();
        }
        let d = self.model.run(&DayRun {
            hourly_rps: self.hourly_rps,
            minute_factors: &self.minute_factors,
            gpus_per_replica: self.gpus,
            replica_rps: self.replica_rps,
            fleet,
            interruptions_per_replica_hour: interruptions,
            provisioning_delay_s: delay_s,
            seed: self.seed,
        });
        self.memo.borrow_mut().push((key, d.clone()));
        d
    }

    /// The static fleet with the fewest extra replicas (up to half again) whose day meets the SLO.
    pub(crate) fn static_day(&self, interruptions: f64, delay_s: f64) -> Option<(SimDay, u32)> {
        (0..=self.replicas.div_ceil(2)).find_map(|extra| {
            let d = self.run(
                DayFleet::Static {
                    replicas: self.replicas + extra,
                },
                interruptions,
                delay_s,
            );
            (d.attainment() >= self.target).then_some((d, extra))
        })
    }

    /// The autoscaled fleet with the highest target whose day meets the SLO, and that target.
    pub(crate) fn autoscaled_day(&self, interruptions: f64, delay_s: f64) -> Option<(SimDay, f64)> {
        TARGETS.iter().find_map(|&target| {
            // Room for the minute-level bursts above the hour's mean: twice the sized fleet at the target.
            let max = (2.0 * self.replicas as f64 / target).ceil() as u32;
            let d = self.run(DayFleet::Autoscaled { target, max }, interruptions, delay_s);
            (d.attainment() >= self.target).then_some((d, target))
        })
    }

    /// GPUs' worth of busy time in an hour of `day`: its load over the Poisson capacity, at most the fleet.
    pub(crate) fn busy_gpus(&self, h: &SimHour) -> f64 {
        (h.load_rps / self.busy_rps.max(1e-12)).min(h.replicas_mean) * self.gpus as f64
    }

    /// The result's record of a day, with its layers (replicas per hour: committed, spot, on-demand).
    pub(crate) fn record(
        &self,
        day: &SimDay,
        layers: &[[f64; 3]],
        headroom: (u32, Option<f64>),
    ) -> BillDay {
        let tp = self.gpus as f64;
        let gpu_hours: f64 = day.hours.iter().map(|h| h.replicas_mean * tp).sum();
        let busy: f64 = day.hours.iter().map(|h| self.busy_gpus(h)).sum();
        BillDay {
            model: day.model.to_string(),
            gpu_hours,
            busy_gpu_hours: busy,
            idle_fraction: if gpu_hours > 0.0 {
                1.0 - busy / gpu_hours
            } else {
                0.0
            },
            slo_attainment: day.attainment(),
            scale_ups: day.scale_ups,
            scale_downs: day.scale_downs,
            headroom_replicas: headroom.0,
            autoscale_target: headroom.1,
            hourly: day
                .hours
                .iter()
                .zip(layers)
                .enumerate()
                .map(|(i, (h, l))| DayHour {
                    hour: i as u32,
                    load_rps: h.load_rps,
                    replicas_mean: h.replicas_mean,
                    busy_fraction: (h.load_rps / (h.replicas_mean * self.busy_rps).max(1e-12))
                        .min(1.0),
                    slo_attainment: h.slo_attainment,
                    ttft_p99_ms: h.ttft_p99_ms,
                    committed_replicas: l[0],
                    spot_replicas: l[1],
                    on_demand_replicas: l[2],
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(replicas: u32) -> Env {
        // A day that peaks at 10 req/s at noon and falls to 2 req/s at night; a replica serves 1 req/s.
        let mut hourly_rps = [0.0; 24];
        for (h, x) in hourly_rps.iter_mut().enumerate() {
            *x = 2.0 + 8.0 * (1.0 - (h as f64 - 12.0).abs() / 12.0);
        }
        Env {
            hourly_rps,
            minute_factors: vec![1.0],
            busy_rps: 1.0,
            replica_rps: 1.0,
            replicas,
            gpus: 2,
            target: 0.99,
            seed: 1,
            model: &Derived,
            memo: RefCell::new(Vec::new()),
        }
    }

    #[test]
    fn a_static_fleet_sized_for_the_peak_meets_the_slo_and_idles_off_peak() {
        let e = env(10);
        let (day, extra) = e.static_day(0.0, 600.0).unwrap();
        assert_eq!(extra, 0);
        assert_eq!(day.attainment(), 1.0);
        let rec = e.record(&day, &[[0.0, 0.0, 10.0]; 24], (extra, None));
        // Busy is the mean load over the fleet: the triangle's mean is 2 + 8 × 11/24... computed directly here.
        let mean: f64 = e.hourly_rps.iter().sum::<f64>() / 24.0;
        assert!(
            (rec.idle_fraction - (1.0 - mean / 10.0)).abs() < 1e-12,
            "{}",
            rec.idle_fraction
        );
        assert_eq!(rec.gpu_hours, 24.0 * 10.0 * 2.0);
    }

    #[test]
    fn an_undersized_fleet_gets_headroom_until_it_meets_the_slo() {
        // Sized three replicas short of the peak: the static fleet adds the fewest replicas that bring the day to
        // 99%, and the autoscaler grows past it.
        let e = env(7);
        let attainment = |replicas: u32| {
            Derived
                .run(&DayRun {
                    hourly_rps: e.hourly_rps,
                    minute_factors: &[1.0],
                    gpus_per_replica: 1,
                    replica_rps: 1.0,
                    fleet: DayFleet::Static { replicas },
                    interruptions_per_replica_hour: 0.0,
                    provisioning_delay_s: 600.0,
                    seed: 1,
                })
                .attainment()
        };
        let (day, extra) = e.static_day(0.0, 600.0).unwrap();
        assert!(extra >= 1);
        assert!(day.attainment() >= 0.99);
        assert!(attainment(7 + extra - 1) < 0.99);
        let (day, target) = e.autoscaled_day(0.0, 600.0).unwrap();
        assert!(day.attainment() >= 0.99);
        // The autoscaler may grow past the undersized fleet (to twice it at the target) to meet the SLO.
        assert!(target <= 1.0);
        assert!(day.hours.iter().any(|h| h.replicas_mean > 7.0));
        assert!(day.scale_ups > 0 && day.scale_downs > 0);
    }

    #[test]
    fn interruptions_cost_capacity_until_the_replacement_arrives() {
        let e = env(10);
        // One reclaim per replica-hour with a 36-second replacement: 1% of the fleet is always missing, so the
        // peak hour serves 99% of its load.
        let day = Derived.run(&DayRun {
            hourly_rps: e.hourly_rps,
            minute_factors: &[1.0],
            gpus_per_replica: 1,
            replica_rps: 1.0,
            fleet: DayFleet::Static { replicas: 10 },
            interruptions_per_replica_hour: 1.0,
            provisioning_delay_s: 36.0,
            seed: 1,
        });
        assert!((day.hours[12].slo_attainment - 0.99).abs() < 1e-12);
        assert_eq!(day.hours[0].slo_attainment, 1.0);
        // At a published spot rate (20% a month) the loss is far below the SLO's 1%.
        let spot = -(0.8f64.ln()) / 730.0;
        let (_, extra) = e.static_day(spot, 600.0).unwrap();
        assert_eq!(extra, 0);
    }
}
