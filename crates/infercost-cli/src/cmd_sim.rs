//! `infercost simulate` and `infercost capacity`.

use crate::args::{DeployArgs, EngineArgs, LogSelect, RouterArg};
use crate::cmd_day::{print_day, DayArgs, DayOut};
use crate::load::{engine, fitting_deployment};
use crate::{load, output};
use anyhow::{bail, Context, Result};
use clap::Args;
use infercost_core::{SimTime, Workload};
use infercost_perf::Deployment;
use infercost_plan::capacity::{self, SearchConfig};
use infercost_sim::capacity::{length_mix, replica_capacity};
use infercost_sim::{simulate as run_sim, SimConfig, SimResult, Slo, KV_BLOCK_TOKENS};
use serde::Serialize;
use std::io::Write;

#[derive(Args)]
pub(crate) struct SimulateArgs {
    /// Trace file (or embedded:azure-conv)
    #[arg(long)]
    trace: String,
    #[command(flatten)]
    select: LogSelect,
    #[command(flatten)]
    deploy: DeployArgs,
    #[command(flatten)]
    engine: EngineArgs,
    /// Replicas (at least 1)
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    replicas: u32,
    /// p2c, rr or least
    #[arg(long, value_enum, default_value = "p2c")]
    router: RouterArg,
    /// TTFT target, ms
    #[arg(long)]
    slo_ttft_ms: Option<f64>,
    /// TPOT target, ms
    #[arg(long)]
    slo_tpot_ms: Option<f64>,
    /// SLO percentile
    #[arg(long, default_value_t = 99.0)]
    percentile: f64,
    /// Stop at this many seconds (otherwise drain)
    #[arg(long)]
    horizon: Option<f64>,
    /// Step every iteration instead of jumping over decode-only stretches
    #[arg(long)]
    step_exact: bool,
    /// Seed
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads for replica groups, at least 1
    #[arg(long, default_value_t = 1, value_parser = crate::args::threads_arg)]
    threads: usize,
    /// Replicas per independent group (0: one group)
    #[arg(long, default_value_t = 0)]
    group_size: u32,
    /// Simulate only this many groups and extrapolate
    #[arg(long)]
    sample_groups: Option<u32>,
    /// Timeline bucket, seconds
    #[arg(long, default_value_t = 60.0)]
    bucket_s: f64,
    /// Autoscale toward this busy fraction (0–1); --replicas is then the starting count
    #[arg(long)]
    autoscale_target: Option<f64>,
    /// Seconds from ordering a replica to its serving
    #[arg(long, default_value_t = 300.0)]
    provisioning_delay_s: f64,
    /// Seconds a replica is kept at least
    #[arg(long, default_value_t = 600.0)]
    min_lifetime_s: f64,
    /// Fewest replicas when autoscaled
    #[arg(long, default_value_t = 1)]
    min_replicas: u32,
    /// Most replicas when autoscaled
    #[arg(long, default_value_t = 1024)]
    max_replicas: u32,
    /// Hide the progress line
    #[arg(long)]
    no_progress: bool,
    /// Write one CSV row per request to this file
    #[arg(long)]
    requests_out: Option<std::path::PathBuf>,
    /// Overwrite an existing --requests-out file
    #[arg(long)]
    force: bool,
    /// Print the result as JSON on stdout
    #[arg(long)]
    json: bool,
    /// Closed loop: this many clients, each sending the trace's next request (its lengths, in order; arrival
    /// times ignored) when its previous one completes, as `vllm bench serve --max-concurrency` does
    #[arg(long)]
    concurrency: Option<u32>,
    /// Send only the trace's first K requests
    #[arg(long, value_name = "K")]
    num_prompts: Option<usize>,
    #[command(flatten)]
    day: DayArgs,
}

fn slo(ttft: Option<f64>, tpot: Option<f64>, p: f64) -> Result<Option<Slo>> {
    match (ttft, tpot) {
        (None, None) => Ok(None),
        (Some(t), Some(o)) => {
            if !(t > 0.0 && o > 0.0) {
                bail!("SLO targets must be positive, got --slo-ttft-ms {t} --slo-tpot-ms {o}");
            }
            Ok(Some(Slo {
                ttft_ms: t,
                tpot_ms: o,
                percentile: p,
            }))
        }
        _ => bail!("give both --slo-ttft-ms and --slo-tpot-ms"),
    }
}

pub(crate) fn simulate(a: SimulateArgs) -> Result<()> {
    if let Some(path) = &a.requests_out {
        crate::files::refuse_overwrite(path, a.force)?;
    }
    let dep = fitting_deployment(&a.deploy)?;
    let (mut w, _) = load::trace(&a.select.input(&a.trace))?;
    if !w.has_timestamps && a.concurrency.is_none() {
        bail!(
            "{} has no timestamps; simulate needs arrival times, or --concurrency N to send its requests from N clients in a closed loop",
            a.trace
        );
    }
    match a.num_prompts {
        Some(0) => bail!("--num-prompts must be at least 1"),
        Some(k) => w.requests.truncate(k),
        None => {}
    }
    let mut cfg = sim_config(&a, &dep)?;
    let day = a.day.plan()?;
    if let Some(d) = &day {
        d.check(&mut cfg)?;
        w = d.workload(&w, a.seed)?;
    }
    let longest = w.requests.iter().map(|r| r.input_tokens).max().unwrap_or(0);
    if longest as u64 > dep.model.max_position {
        output::warn(&format!(
            "the longest prompt ({} tokens) exceeds {}'s max_position_embeddings ({})",
            infercost_core::fmt::count(longest as u64),
            dep.model.name,
            infercost_core::fmt::count(dep.model.max_position)
        ));
    }
    let r = run(&dep, &w, &mut cfg, a.no_progress)?;
    warn_about(&r, &cfg, a.deploy.max_model_len);
    if let Some(path) = &a.requests_out {
        write_requests(path, a.force, &r)?;
    }
    let summary = day.as_ref().map(|_| {
        let capacity = cfg.replica_capacity_rps.unwrap_or(0.0);
        infercost_sim::day_summary(&r, capacity, dep.tp)
    });
    if a.json {
        return match &summary {
            Some(d) => output::json(&DayOut { result: &r, day: d }),
            None => output::json(&r),
        };
    }
    print_result(&a, &dep, &cfg, &r);
    if let Some(d) = &summary {
        print_day(d, &r);
    }
    Ok(())
}

/// The validated simulation settings: the flags checked and turned into a `SimConfig`.
fn sim_config(a: &SimulateArgs, dep: &Deployment) -> Result<SimConfig> {
    if !(a.bucket_s > 0.0) {
        bail!("--bucket-s must be positive");
    }
    let mut cfg = SimConfig::new(0, a.replicas);
    cfg.engine = engine(dep, &a.deploy, &a.engine);
    cfg.router = a.router.into();
    cfg.slo = slo(a.slo_ttft_ms, a.slo_tpot_ms, a.percentile)?;
    cfg.horizon = match a.horizon {
        Some(h) if h > 0.0 => Some(SimTime::from_secs_f64(h)),
        Some(h) => bail!("--horizon must be positive, got {h}"),
        None => None,
    };
    cfg.step_exact = a.step_exact;
    cfg.seed = a.seed;
    cfg.threads = a.threads;
    cfg.group_size = a.group_size;
    cfg.sample_groups = a.sample_groups;
    cfg.bucket = SimTime::from_secs_f64(a.bucket_s);
    cfg.record_requests = a.requests_out.is_some();
    cfg.clients = match a.concurrency {
        Some(0) => bail!("--concurrency must be at least 1"),
        Some(_)
            if a.autoscale_target.is_some() || a.group_size != 0 || a.sample_groups.is_some() =>
        {
            bail!("--concurrency runs one fleet of --replicas replicas: drop --autoscale-target, --group-size and --sample-groups")
        }
        n => n,
    };
    cfg.reclaims = a.day.reclaims(a.provisioning_delay_s)?;
    if let Some(target) = a.autoscale_target {
        if a.provisioning_delay_s < 0.0 || a.min_lifetime_s < 0.0 {
            bail!("--provisioning-delay-s and --min-lifetime-s must be non-negative");
        }
        cfg.autoscaler = Some(infercost_sim::Autoscaler {
            target_utilization: target,
            provisioning_delay: SimTime::from_secs_f64(a.provisioning_delay_s),
            min_lifetime: SimTime::from_secs_f64(a.min_lifetime_s),
            min_replicas: a.min_replicas,
            max_replicas: a.max_replicas,
            interval: cfg.bucket,
        });
    }
    Ok(cfg)
}

/// Runs the simulation behind a progress line.
fn run(
    dep: &Deployment,
    w: &Workload,
    cfg: &mut SimConfig,
    no_progress: bool,
) -> Result<SimResult> {
    let progress = crate::output::Progress::new("simulating", no_progress);
    progress.update(0, 1);
    // Busy in the planner's meaning needs one replica's capacity within the SLO: the same function, the same
    // figure as `capacity` and `plan` give for this deployment and mix.
    cfg.replica_capacity_rps = cfg
        .slo
        .map(|slo| replica_capacity(dep, &length_mix(w, 1.0), cfg.engine, slo));
    let r = run_sim(dep, w, cfg)?;
    progress.update(1, 1);
    Ok(r)
}

/// Warns about the requests the fleet did not serve as asked.
fn warn_about(r: &SimResult, cfg: &SimConfig, max_model_len: u32) {
    if r.rejected > 0 {
        output::warn(&format!(
            "{} requests were rejected: their prompts reach --max-model-len {} (raise it to serve them)",
            output::int(r.rejected as f64),
            max_model_len
        ));
    }
    if r.truncated > 0 {
        output::warn(&format!(
            "{} requests had their output cut at --max-model-len {}",
            output::int(r.truncated as f64),
            max_model_len
        ));
    }
    if r.unservable > 0 {
        output::warn(&format!(
            "{} requests are larger than one replica's KV cache ({} tokens) and were not served",
            r.unservable,
            cfg.engine.kv_blocks * KV_BLOCK_TOKENS as u64
        ));
    }
    if r.overloaded {
        output::warn("the fleet cannot keep up: requests kept queueing long after the last arrival (see queue_ms and makespan_s)");
    }
}

/// `--requests-out`: one CSV row per request, in request order.
fn write_requests(path: &std::path::Path, force: bool, r: &SimResult) -> Result<()> {
    let file = if force {
        std::fs::File::create(path)
    } else {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
    }
    .with_context(|| {
        format!(
            "cannot create {} (an existing file needs --force)",
            path.display()
        )
    })?;
    let mut f = std::io::BufWriter::new(file);
    writeln!(
        f,
        "index,replica,arrival_ms,queue_ms,ttft_ms,e2e_ms,input_tokens,output_tokens,preemptions"
    )?;
    let mut recs = r.records.clone();
    recs.sort_by_key(|x| x.index);
    for x in recs {
        writeln!(
            f,
            "{},{},{:.3},{:.3},{:.3},{:.3},{},{},{}",
            x.index,
            x.replica,
            x.arrival_ns as f64 / 1e6,
            x.queue_ns as f64 / 1e6,
            x.ttft_ns as f64 / 1e6,
            x.e2e_ns as f64 / 1e6,
            x.input_tokens,
            x.output_tokens,
            x.preemptions
        )?;
    }
    Ok(())
}

/// The summary for people.
fn print_result(a: &SimulateArgs, dep: &Deployment, cfg: &SimConfig, r: &SimResult) {
    let l = output::line;
    l(&format!(
        "{} requests on {} × {} ({}× {}, {}), {} router",
        output::int(r.requests as f64),
        a.replicas,
        dep.model.name,
        dep.gpus(),
        dep.gpu.name,
        dep.layout.name(),
        a.router.name()
    ));
    l(&format!(
        "  completed {}, rejected {} (prompt at or past --max-model-len), outputs cut {}, unfinished {}, preemptions {}, makespan {:.1} s",
        output::int(r.completed as f64),
        output::int(r.rejected as f64),
        output::int(r.truncated as f64),
        r.unfinished,
        r.preemptions,
        r.makespan_s
    ));
    for (n, s) in [
        ("TTFT", r.ttft_ms),
        ("TPOT", r.tpot_ms),
        ("end-to-end", r.e2e_ms),
        ("queueing", r.queue_ms),
    ] {
        l(&format!(
            "  {n:<11} mean {:>9.1} ms  p50 {:>9.1}  p90 {:>9.1}  p99 {:>9.1}",
            s.mean, s.p50, s.p90, s.p99
        ));
    }
    l(&format!(
        "  throughput {:.0} output tokens/s; engines iterating {:.0}% of provisioned time",
        r.output_tokens_per_s,
        r.engine_active_fraction * 100.0
    ));
    if let Some(b) = r.gpu_busy_fraction {
        l(&format!(
            "  GPU busy {:.0}%: {:.2} requests/s offered over {} replica(s) × {:.2} requests/s each within the SLO",
            b * 100.0,
            r.offered_rps,
            a.replicas,
            cfg.replica_capacity_rps.unwrap_or(0.0)
        ));
    }
    if let Some(b) = &r.closed_loop {
        print_benchmark(b);
    }
    if let (Some(att), Some(m)) = (r.slo_attainment, r.meets_slo) {
        l(&format!(
            "  SLO: {:.1}% of offered requests served within both targets; p{} {}",
            att * 100.0,
            a.percentile,
            if m { "met" } else { "NOT met" }
        ));
    }
}

/// A closed loop's figures, as serving benchmarks print them.
fn print_benchmark(b: &infercost_sim::ClosedLoopSummary) {
    let l = output::line;
    l(&format!(
        "  closed loop of {} client{} over {:.1} s: {:.2} requests/s, {:.0} output tokens/s, {:.0} total tokens/s",
        b.clients,
        if b.clients == 1 { "" } else { "s" },
        b.duration_s,
        b.request_throughput,
        b.output_token_throughput,
        b.total_token_throughput
    ));
    for (n, s) in [("TTFT", b.ttft_ms), ("TPOT", b.tpot_ms), ("ITL", b.itl_ms)] {
        l(&format!(
            "  {n:<11} mean {:>9.1} ms  median {:>9.1}  p99 {:>9.1}",
            s.mean, s.p50, s.p99
        ));
    }
}

#[derive(Args)]
pub(crate) struct CapacityArgs {
    /// Trace file (or embedded:azure-conv)
    #[arg(long)]
    trace: String,
    #[command(flatten)]
    select: LogSelect,
    #[command(flatten)]
    deploy: DeployArgs,
    #[command(flatten)]
    engine: EngineArgs,
    /// TTFT target, ms
    #[arg(long)]
    slo_ttft_ms: f64,
    /// TPOT target, ms
    #[arg(long)]
    slo_tpot_ms: f64,
    /// SLO percentile
    #[arg(long, default_value_t = 99.0)]
    percentile: f64,
    /// Seed
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Fleets above about this many replicas are sized by simulating one group of this size
    #[arg(long, default_value_t = 12)]
    group_replicas: u32,
    /// Print the result as JSON on stdout
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct CapacityOut {
    min_replicas: Option<u32>,
    gpus: Option<u32>,
    tp: u32,
    pp: u32,
    ep: u32,
    attention_dp: bool,
    groups: u32,
    max_rps_per_replica: f64,
    ttft_ms: infercost_sim::LatencySummary,
    tpot_ms: infercost_sim::LatencySummary,
    reason: Option<String>,
    simulations: u32,
}

pub(crate) fn capacity(a: CapacityArgs) -> Result<()> {
    let dep = fitting_deployment(&a.deploy)?;
    let (w, _) = load::trace(&a.select.input(&a.trace))?;
    // Without arrival times there is no rate to size for: every request would arrive at once.
    if !w.has_timestamps {
        bail!(
            "{} has no timestamps; capacity sizes a fleet for arrivals over time (use `trace synth --lengths {}` to give it some)",
            a.trace,
            a.trace
        );
    }
    let slo = slo(Some(a.slo_ttft_ms), Some(a.slo_tpot_ms), a.percentile)?
        .context("an SLO is required")?;
    let cfg = SearchConfig {
        engine: engine(&dep, &a.deploy, &a.engine),
        slo,
        seed: a.seed,
        group_replicas: a.group_replicas.max(1),
    };
    let max_rps = replica_capacity(&dep, &length_mix(&w, 1.0), cfg.engine, cfg.slo);
    let rate = w.len() as f64 / w.span().as_secs_f64().max(1.0);
    let estimate = if max_rps > 0.0 {
        (rate / max_rps).ceil() as u32
    } else {
        1
    };
    let c = capacity::min_replicas(&dep, &w, 1.0, 1.0, 1.0, &cfg, estimate.max(1));
    let out = CapacityOut {
        min_replicas: c.failure.is_none().then_some(c.replicas),
        gpus: c.failure.is_none().then_some(c.replicas * dep.gpus()),
        tp: dep.tp,
        pp: dep.layout.pp,
        ep: dep.layout.ep,
        attention_dp: dep.layout.attention_dp,
        groups: c.groups,
        max_rps_per_replica: max_rps,
        ttft_ms: c.sim.ttft_ms,
        tpot_ms: c.sim.tpot_ms,
        reason: c.failure.clone(),
        simulations: c.sims,
    };
    if a.json {
        return output::json(&out);
    }
    match out.min_replicas {
        Some(r) => output::line(&format!(
            "{r} replicas ({} GPUs) of {} on {}× {} ({}) meet p{} TTFT ≤ {} ms and TPOT ≤ {} ms (p99 TTFT {:.0} ms, TPOT {:.1} ms); one replica sustains {:.2} requests/s of this mix",
            r * dep.gpus(), dep.model.name, dep.gpus(), dep.gpu.name, dep.layout.name(), a.percentile, a.slo_ttft_ms, a.slo_tpot_ms, out.ttft_ms.p99, out.tpot_ms.p99, max_rps
        )),
        None => output::line(&format!("no fleet meets the SLO: {}", out.reason.unwrap_or_default())),
    }
    Ok(())
}
