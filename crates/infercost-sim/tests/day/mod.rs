//! A simulated day: the fluid model against the full request-by-request simulation of the same day, the cost
//! of a slow autoscaler, and spot reclaims.

use super::{azure, deployment};
use infercost_core::transform::day::{busy_hour, day, day_hourly_rps};
use infercost_core::transform::Diurnal;
use infercost_core::{SimTime, Workload};
use infercost_io::diurnal::parse_diurnal;
use infercost_perf::Deployment;
use infercost_sim::capacity::{length_mix, load_curve, replica_capacity, LoadPoint};
use infercost_sim::day::start_replicas;
use infercost_sim::{
    day_summary, fluid_day, minute_factors, simulate, Autoscaler, DayFleet, DayInputs, DaySummary,
    EngineConfig, Reclaims, SimConfig, Slo,
};
use std::path::Path;

const SLO: Slo = Slo {
    ttft_ms: 2000.0,
    tpot_ms: 100.0,
    percentile: 99.0,
};

fn servegen() -> Diurnal {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/diurnal_servegen.csv");
    let text = std::fs::read_to_string(&p).unwrap();
    Diurnal::new(&parse_diurnal(&text, &p).unwrap()).unwrap()
}

/// The default scenario's first deployment and engine: Llama-3.1-8B on one H100, vLLM's defaults.
struct Setup {
    dep: Deployment,
    engine: EngineConfig,
    pilot: Workload,
    capacity: f64,
    curve: Vec<LoadPoint>,
}

fn setup(pilot: Workload, model: &str, tp: u32) -> Setup {
    let dep = deployment(model, "h100-sxm", tp);
    let engine = EngineConfig::for_deployment(&dep, 0.9, 8192)
        .with_max_num_seqs(256)
        .with_prefix_caching(true)
        .with_max_model_len(Some(32768));
    let mix = length_mix(&pilot, 1.0);
    let capacity = replica_capacity(&dep, &mix, engine, SLO);
    let curve = load_curve(
        &dep,
        engine,
        SLO,
        capacity,
        &busy_hour(&pilot, 10.0, 3).unwrap(),
    );
    Setup {
        dep,
        engine,
        pilot,
        capacity,
        curve,
    }
}

/// The fluid model's inputs for `fleet` at `volume`.
fn inputs<'a>(s: &'a Setup, factors: &'a [f64], volume: f64, fleet: DayFleet) -> DayInputs<'a> {
    DayInputs {
        hourly_rps: day_hourly_rps(&s.pilot, &servegen(), None, volume).unwrap(),
        minute_factors: factors,
        replica_rps: s.capacity,
        load_curve: &s.curve,
        gpus_per_replica: 1,
        fleet,
        interruptions_per_replica_hour: 0.0,
        seed: 3,
    }
}

/// The full simulation of the day the inputs describe.
fn full_day(s: &Setup, w: &Workload, inp: &DayInputs) -> DaySummary {
    let mut cfg = SimConfig::new(s.engine.kv_blocks, start_replicas(inp));
    cfg.engine = s.engine;
    cfg.slo = Some(SLO);
    cfg.seed = 3;
    cfg.hourly = true;
    cfg.replica_capacity_rps = Some(s.capacity);
    let delay = match inp.fleet {
        DayFleet::Autoscaled(a) => {
            cfg.autoscaler = Some(a);
            a.provisioning_delay
        }
        DayFleet::Static {
            replacement_delay, ..
        } => replacement_delay,
    };
    if inp.interruptions_per_replica_hour > 0.0 {
        cfg.reclaims = Some(Reclaims {
            per_replica_hour: inp.interruptions_per_replica_hour,
            replacement_delay: delay,
        });
    }
    let r = simulate(&s.dep, w, &cfg).unwrap();
    day_summary(&r, s.capacity, inp.gpus_per_replica)
}

fn autoscaler(delay_s: u64, target: f64) -> Autoscaler {
    Autoscaler {
        target_utilization: target,
        provisioning_delay: SimTime::from_secs(delay_s),
        min_lifetime: SimTime::from_secs(600),
        min_replicas: 1,
        max_replicas: 1024,
        interval: SimTime::from_secs(60),
    }
}

/// Both days side by side, for a failing assertion's message.
fn show(f: &DaySummary, d: &DaySummary) -> String {
    let mut out = format!(
        "fluid/full: gpu_h {:.1}/{:.1} idle {:.4}/{:.4} slo {:.5}/{:.5}\n",
        f.gpu_hours,
        d.gpu_hours,
        f.idle_fraction,
        d.idle_fraction,
        f.slo_attainment,
        d.slo_attainment,
    );
    for (a, b) in f.hourly.iter().zip(&d.hourly) {
        out += &format!(
            "{:2} load {:.2}/{:.2} replicas {:.2}/{:.2} busy {:.3}/{:.3} slo {:.4}/{:.4}\n",
            a.hour,
            a.load_rps,
            b.load_rps,
            a.replicas_mean,
            b.replicas_mean,
            a.busy_fraction,
            b.busy_fraction,
            a.slo_attainment,
            b.slo_attainment
        );
    }
    out
}

/// The fleets of the agreement test: Llama-3.1-70B on 4× H100 (the default scenario's second deployment) at
/// 10× the Azure conversation pilot through the ServeGen day, a static fleet sized for the peak with one
/// replica spare, and the autoscaler at a target the fleet meets the SLO at.
#[test]
fn the_fluid_day_agrees_with_the_simulated_day_at_10x() {
    let s = setup(azure("azure_conv_2023.csv", usize::MAX), "llama-3.1-70b", 4);
    let volume = 10.0;
    let factors = minute_factors(&busy_hour(&s.pilot, volume, 3).unwrap());
    let w = day(&s.pilot, &servegen(), None, volume, 3).unwrap();
    let hourly = day_hourly_rps(&s.pilot, &servegen(), None, volume).unwrap();
    let peak = hourly.into_iter().fold(0.0, f64::max);
    let fleets = [
        (
            "static",
            DayFleet::Static {
                replicas: (peak / s.capacity).ceil() as u32 + 1,
                replacement_delay: SimTime::from_secs(300),
            },
        ),
        ("autoscaled", DayFleet::Autoscaled(autoscaler(300, 0.15))),
    ];
    for (name, fleet) in fleets {
        let inp = inputs(&s, &factors, volume, fleet);
        let fluid = fluid_day(&inp);
        let full = full_day(&s, &w, &inp);
        let both = show(&fluid, &full);
        // The day really is the day: both models offer the same load each hour.
        for (a, b) in fluid.hourly.iter().zip(&full.hourly) {
            assert!(
                (a.load_rps / b.load_rps - 1.0).abs() < 0.01,
                "{a:?} vs {b:?}"
            );
        }
        assert!(
            (fluid.idle_fraction - full.idle_fraction).abs() <= 0.02,
            "{name}: idle\n{both}"
        );
        assert!(
            (fluid.slo_attainment - full.slo_attainment).abs() <= 0.005,
            "{name}: attainment\n{both}"
        );
    }
}

/// Eight quiet hours then four times the load: the morning ramp, simulated up to 10:00.
fn ramp_day(s: &Setup) -> (Workload, Diurnal) {
    let weights: Vec<f64> = (0..24).map(|h| if h < 8 { 1.0 } else { 4.0 }).collect();
    let d = Diurnal::new(&weights).unwrap();
    let mut w = day(&s.pilot, &d, Some(0), 3.0, 5).unwrap();
    w.requests
        .retain(|r| r.arrival < SimTime::from_secs(10 * 3600));
    (w, d)
}

#[test]
fn a_slow_autoscaler_misses_the_morning_ramp() {
    let s = setup(azure("azure_conv_2023.csv", usize::MAX), "llama-3.1-8b", 1);
    let (w, _) = ramp_day(&s);
    let run = |delay_s: u64| {
        let mut cfg = SimConfig::new(s.engine.kv_blocks, 1);
        cfg.engine = s.engine;
        cfg.slo = Some(SLO);
        cfg.hourly = true;
        cfg.autoscaler = Some(autoscaler(delay_s, 0.3));
        let r = simulate(&s.dep, &w, &cfg).unwrap();
        day_summary(&r, s.capacity, 1)
    };
    let (fast, slow) = (run(60), run(1800));
    // Half an hour short of replicas at 08:00 costs requests, which only more headroom would save.
    assert!(
        slow.hourly[8].slo_attainment < fast.hourly[8].slo_attainment - 0.05,
        "{:?} vs {:?}",
        slow.hourly[8],
        fast.hourly[8]
    );
    assert!(slow.slo_attainment < fast.slo_attainment);
    assert!(fast.hourly[9].slo_attainment > 0.99);
}

#[test]
fn reclaimed_replicas_restart_their_requests_and_cost_attainment() {
    let s = setup(azure("azure_conv_2023.csv", usize::MAX), "llama-3.1-8b", 1);
    let w = busy_hour(&s.pilot, 5.0, 1).unwrap();
    let run = |rate: f64| {
        let mut cfg = SimConfig::new(s.engine.kv_blocks, 2);
        cfg.engine = s.engine;
        cfg.slo = Some(SLO);
        cfg.reclaims = Some(Reclaims {
            per_replica_hour: rate,
            replacement_delay: SimTime::from_secs(300),
        });
        simulate(&s.dep, &w, &cfg).unwrap()
    };
    let (calm, spot) = (run(0.0), run(3.0));
    // Two replicas for an hour at 3 reclaims per replica-hour: about six.
    assert!(
        (2..=14).contains(&spot.interruptions),
        "{}",
        spot.interruptions
    );
    assert!(spot.restarted > 0);
    // None lost: every offered request completes once, the restarted ones included.
    assert_eq!(spot.completed, spot.requests);
    assert_eq!(spot.requests, w.len() as u64);
    assert_eq!(calm.interruptions, 0);
    let (a, b) = (calm.slo_attainment.unwrap(), spot.slo_attainment.unwrap());
    assert!(b < a - 0.01, "{a} vs {b}");
    assert!(spot.ttft_ms.p99 > calm.ttft_ms.p99);
}
