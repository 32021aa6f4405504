//! `infercost simulate --day`: the pilot replayed through 24 hours of a diurnal profile, and the day's summary
//! (GPU-hours, busy, idle, SLO attainment, scaling, an hourly table); and the spot reclaim flag.

use crate::output;
use anyhow::{bail, Result};
use clap::Args;
use infercost_core::transform::{day, Diurnal};
use infercost_core::{SimTime, Workload};
use infercost_sim::{DaySummary, Reclaims, SimConfig, SimResult};
use serde::Serialize;

/// The day flags of `simulate`.
#[derive(Args)]
pub(crate) struct DayArgs {
    /// Replay the pilot through a 24-hour day whose hourly rate follows --diurnal
    #[arg(long)]
    day: bool,
    /// The day's profile: embedded:servegen, flat, a file of 24 weights, or W0,…,W23 (with --day)
    #[arg(long)]
    diurnal: Option<String>,
    /// The hour of the day (0–23) the pilot was recorded in; by default the busiest hour (with --day)
    #[arg(long)]
    pilot_hour: Option<u32>,
    /// Multiple of the pilot's rate in its own hour (more users; with --day)
    #[arg(long)]
    volume: Option<f64>,
    /// Spot reclaims per replica-hour: a reclaimed replica's requests restart on the others and its
    /// replacement serves after --provisioning-delay-s
    #[arg(long)]
    spot_reclaims_per_replica_hour: Option<f64>,
}

/// A day to simulate, checked.
pub(crate) struct DayPlan {
    diurnal: Diurnal,
    pilot_hour: Option<u32>,
    volume: f64,
}

impl DayArgs {
    /// The day asked for, if any; flags that only make sense with `--day` are refused without it.
    pub(crate) fn plan(&self) -> Result<Option<DayPlan>> {
        if !self.day {
            for (given, flag) in [
                (self.diurnal.is_some(), "--diurnal"),
                (self.pilot_hour.is_some(), "--pilot-hour"),
                (self.volume.is_some(), "--volume"),
            ] {
                if given {
                    bail!("{flag} describes a simulated day: add --day");
                }
            }
            return Ok(None);
        }
        let diurnal = match &self.diurnal {
            Some(s) => crate::load::diurnal(s)?,
            None => {
                output::note(
                    "--day without --diurnal: a flat day (every hour at the pilot's rate)",
                );
                Diurnal::flat()
            }
        };
        if let Some(h) = self.pilot_hour {
            if h >= 24 {
                bail!("--pilot-hour must be an hour from 0 to 23, got {h}");
            }
        }
        let volume = self.volume.unwrap_or(1.0);
        if !(volume.is_finite() && volume > 0.0) {
            bail!("--volume must be a positive number, got {volume}");
        }
        Ok(Some(DayPlan {
            diurnal,
            pilot_hour: self.pilot_hour,
            volume,
        }))
    }

    /// The reclaims asked for, replaced after `delay_s`.
    pub(crate) fn reclaims(&self, delay_s: f64) -> Result<Option<Reclaims>> {
        match self.spot_reclaims_per_replica_hour {
            None => Ok(None),
            Some(r) if r.is_finite() && r >= 0.0 => {
                if !(delay_s.is_finite() && delay_s >= 0.0) {
                    bail!("--provisioning-delay-s must be non-negative, got {delay_s}");
                }
                Ok(Some(Reclaims {
                    per_replica_hour: r,
                    replacement_delay: SimTime::from_secs_f64(delay_s),
                }))
            }
            Some(r) => {
                bail!("--spot-reclaims-per-replica-hour must be a non-negative number, got {r}")
            }
        }
    }
}

impl DayPlan {
    /// The day's workload from the pilot.
    pub(crate) fn workload(&self, pilot: &Workload, seed: u64) -> Result<Workload> {
        Ok(day::day(
            pilot,
            &self.diurnal,
            self.pilot_hour,
            self.volume,
            seed,
        )?)
    }

    /// Settings a day needs: an SLO to measure busy time and attainment by, hourly tallies, and buckets
    /// that tile an hour.
    pub(crate) fn check(&self, cfg: &mut SimConfig) -> Result<()> {
        if cfg.slo.is_none() {
            bail!("--day needs an SLO to measure busy time and attainment: give --slo-ttft-ms and --slo-tpot-ms");
        }
        if cfg.clients.is_some() || cfg.horizon.is_some() {
            bail!("--day replays arrivals through 24 hours: drop --concurrency and --horizon");
        }
        let b = cfg.bucket.0;
        if b > 3_600 * SimTime::NS_PER_S || (3_600 * SimTime::NS_PER_S) % b != 0 {
            bail!(
                "--day needs timeline buckets that divide an hour; --bucket-s is {} s",
                cfg.bucket.as_secs_f64()
            );
        }
        cfg.hourly = true;
        Ok(())
    }
}

/// `simulate --json` with a day: today's fields and `day`.
#[derive(Serialize)]
pub(crate) struct DayOut<'a> {
    #[serde(flatten)]
    pub(crate) result: &'a SimResult,
    pub(crate) day: &'a DaySummary,
}

/// The day for people: totals and one row per hour.
pub(crate) fn print_day(d: &DaySummary, r: &SimResult) {
    let l = output::line;
    l(&format!(
        "  day: {:.1} GPU-hours, {:.1} busy, {:.1}% idle; {:.2}% of requests within the SLO; {} scale-ups, {} scale-downs, {} spot reclaims ({} requests restarted)",
        d.gpu_hours,
        d.busy_gpu_hours,
        d.idle_fraction * 100.0,
        d.slo_attainment * 100.0,
        d.scale_ups,
        d.scale_downs,
        d.interruptions,
        output::int(r.restarted as f64)
    ));
    l("  hour   load req/s   replicas   busy    SLO met   p99 TTFT ms");
    for h in &d.hourly {
        l(&format!(
            "  {:>4}   {:>10.2}   {:>8.2}   {:>4.0}%   {:>7.2}%   {:>11}",
            h.hour,
            h.load_rps,
            h.replicas_mean,
            h.busy_fraction * 100.0,
            h.slo_attainment * 100.0,
            h.ttft_p99_ms
                .map_or_else(|| "-".to_string(), |t| format!("{t:.0}"))
        ));
    }
}
