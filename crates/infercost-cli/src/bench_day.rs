//! `infercost bench --what day`: a simulated day, request by request and through the fluid model, and how
//! far the two agree.

use crate::load::{AZURE_CONV, DIURNAL_SERVEGEN};
use crate::output;
use anyhow::Result;
use infercost_core::transform::day::{busy_hour, day, day_hourly_rps};
use infercost_core::transform::Diurnal;
use infercost_core::SimTime;
use infercost_io::{parse_trace, ReadOptions};
use infercost_perf::{Deployment, Dtype, GpuCatalog, ModelCatalog};
use infercost_sim::capacity::{length_mix, load_curve, replica_capacity};
use infercost_sim::day::start_replicas;
use infercost_sim::{
    day_summary, fluid_day, minute_factors, simulate, Autoscaler, DayFleet, DayInputs,
    EngineConfig, SimConfig, Slo,
};
use std::path::Path;
use std::time::Instant;

/// Llama-3.1-70B on 4× H100 (the default scenario's second deployment) through the ServeGen day at 10× and
/// 100× the Azure conversation pilot (`full`), or a tenth of it (smoke): a static fleet sized for the peak with
/// a replica spare, and an autoscaler.
pub(crate) fn bench_day(full: bool) -> Result<()> {
    let dep = Deployment::new(
        ModelCatalog::get("llama-3.1-70b")?,
        GpuCatalog::embedded().get("h100-sxm")?.clone(),
        4,
        Dtype::Bf16,
        Dtype::Bf16,
    )?;
    let (pilot, _) = parse_trace(
        AZURE_CONV,
        Path::new("embedded:azure-conv"),
        &ReadOptions::default(),
    )?;
    let weights =
        infercost_io::diurnal::parse_diurnal(DIURNAL_SERVEGEN, Path::new("embedded:servegen"))?;
    let diurnal = Diurnal::new(&weights)?;
    let slo = Slo {
        ttft_ms: 2000.0,
        tpot_ms: 100.0,
        percentile: 99.0,
    };
    let engine = EngineConfig::for_deployment(&dep, 0.9, 8192)
        .with_max_num_seqs(256)
        .with_prefix_caching(true)
        .with_max_model_len(Some(32768));
    let capacity = replica_capacity(&dep, &length_mix(&pilot, 1.0), engine, slo);
    let volumes: &[f64] = if full { &[10.0, 100.0] } else { &[0.1] };
    for &volume in volumes {
        let t = Instant::now();
        let w = day(&pilot, &diurnal, None, volume, 1)?;
        let build_s = t.elapsed().as_secs_f64();
        let hour = busy_hour(&pilot, volume, 1)?;
        let factors = minute_factors(&hour);
        let curve = load_curve(&dep, engine, slo, capacity, &hour);
        let hourly_rps = day_hourly_rps(&pilot, &diurnal, None, volume)?;
        let peak = hourly_rps.iter().cloned().fold(0.0, f64::max);
        let autoscaler = Autoscaler {
            target_utilization: 0.15,
            provisioning_delay: SimTime::from_secs(300),
            min_lifetime: SimTime::from_secs(600),
            min_replicas: 1,
            max_replicas: 4096,
            interval: SimTime::from_secs(60),
        };
        let fleets = [
            (
                "static",
                DayFleet::Static {
                    replicas: (peak / capacity).ceil() as u32 + 1,
                    replacement_delay: SimTime::from_secs(300),
                },
            ),
            ("autoscaled", DayFleet::Autoscaled(autoscaler)),
        ];
        for (name, fleet) in fleets {
            let inp = DayInputs {
                hourly_rps,
                minute_factors: &factors,
                replica_rps: capacity,
                load_curve: &curve,
                gpus_per_replica: dep.tp,
                fleet,
                interruptions_per_replica_hour: 0.0,
                seed: 1,
            };
            let mut cfg = SimConfig::new(engine.kv_blocks, start_replicas(&inp));
            cfg.engine = engine;
            cfg.slo = Some(slo);
            cfg.hourly = true;
            cfg.seed = 1;
            if let DayFleet::Autoscaled(a) = fleet {
                cfg.autoscaler = Some(a);
            }
            let t = Instant::now();
            let r = simulate(&dep, &w, &cfg)?;
            let sim_s = t.elapsed().as_secs_f64();
            let simulated = day_summary(&r, capacity, dep.tp);
            let calls = if full { 10_000 } else { 100 };
            let t = Instant::now();
            let mut fluid = fluid_day(&inp);
            for _ in 1..calls {
                fluid = fluid_day(&inp);
            }
            let fluid_us = t.elapsed().as_secs_f64() / calls as f64 * 1e6;
            output::line(&format!(
                "| day ×{volume}, {name}, Llama-3.1-70B 4×H100 | {} requests (built in {build_s:.2} s) | {sim_s:.2} | {:.2} M requests/s; fluid {fluid_us:.0} µs/day | idle {:.2}% simulated vs {:.2}% fluid; SLO {:.3}% vs {:.3}%; GPU-h {:.0} vs {:.0}; peak RSS {:.0} MiB |",
                r.requests,
                r.requests as f64 / sim_s / 1e6,
                simulated.idle_fraction * 100.0,
                fluid.idle_fraction * 100.0,
                simulated.slo_attainment * 100.0,
                fluid.slo_attainment * 100.0,
                simulated.gpu_hours,
                fluid.gpu_hours,
                crate::bench::peak_rss_mib()
            ));
        }
    }
    Ok(())
}
