//! `infercost bench`: benchmarks that print figures. `--size smoke` runs a tiny size for CI.

use crate::load::AZURE_CONV;
use crate::output;
use anyhow::Result;
use clap::{Args, ValueEnum};
use infercost_core::stats::trace_stats;
use infercost_core::transform::{scale_volume, VolumeMode};
use infercost_io::{parse_trace, read_trace, ReadOptions};
use infercost_perf::{Batch, Deployment, Dtype, GpuCatalog, ModelCatalog};
use infercost_sim::{simulate, SimConfig, Slo, KV_BLOCK_TOKENS};
use std::path::Path;
use std::time::Instant;

#[derive(Args)]
pub(crate) struct BenchArgs {
    /// trace, perf, sim, day or all
    #[arg(long, value_enum, default_value = "all")]
    what: What,
    /// smoke (seconds, the default) or full (the figures in docs/BENCHMARKS.md; minutes)
    #[arg(long, value_enum, default_value = "smoke")]
    size: Size,
    /// Folder for the generated trace files (deleted afterwards)
    #[arg(long, default_value = "target/bench")]
    dir: String,
}

/// `--what`: which benchmarks to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum What {
    // Trace parsing.
    Trace,
    // The iteration model.
    Perf,
    // The simulator.
    Sim,
    // A simulated day, request by request and through the fluid model.
    Day,
    // All of them.
    All,
}

/// `--size`: how big a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Size {
    // Seconds, for CI.
    Smoke,
    // The figures in docs/BENCHMARKS.md; minutes.
    Full,
}

pub(crate) fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

pub(crate) fn run(a: BenchArgs) -> Result<()> {
    let full = a.size == Size::Full;
    let all = a.what == What::All;
    output::line("| benchmark | size | time (s) | rate | note |");
    output::line("|---|---|---|---|---|");
    if all || a.what == What::Perf {
        bench_perf(full);
    }
    if all || a.what == What::Trace {
        bench_trace(full, &a.dir)?;
    }
    if all || a.what == What::Sim {
        bench_sim(full)?;
    }
    if all || a.what == What::Day {
        crate::bench_day::bench_day(full)?;
    }
    Ok(())
}

fn bench_perf(full: bool) {
    let dep = Deployment::new(
        ModelCatalog::get("llama-3.1-70b").unwrap_or_else(|e| panic!("{e}")),
        GpuCatalog::embedded()
            .get("h100-sxm")
            .cloned()
            .unwrap_or_else(|e| panic!("{e}")),
        4,
        Dtype::Bf16,
        Dtype::Bf16,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let n: u64 = if full { 20_000_000 } else { 100_000 };
    let t = Instant::now();
    let mut acc = 0.0;
    for i in 0..n {
        let b = Batch {
            prefill_tokens: i % 512,
            prefill_seqs: u64::from(i % 512 > 0),
            prefill_cached: 0,
            prefill_attention_pairs: (i % 512) as f64 * 256.0,
            decode_seqs: 1 + i % 255,
            decode_context: (1 + i % 255) * 1500,
        };
        acc += dep.iteration(std::hint::black_box(&b)).total_s;
    }
    let s = t.elapsed().as_secs_f64();
    output::line(&format!("| iteration model (llama-3.1-70b, TP4, mixed batch) | {n} evaluations | {s:.3} | {:.1} ns/evaluation | checksum {acc:.3} |", s / n as f64 * 1e9));
}

fn bench_trace(full: bool, dir: &str) -> Result<()> {
    let (base, _) = parse_trace(
        AZURE_CONV,
        Path::new("embedded:azure-conv"),
        &ReadOptions::default(),
    )?;
    let k = if full {
        10_000_000.0 / base.len() as f64
    } else {
        5.0
    };
    let big = scale_volume(&base, k, VolumeMode::Users, 1)?;
    std::fs::create_dir_all(dir)?;
    let jsonl = Path::new(dir).join("bench.jsonl");
    let csv = Path::new(dir).join("bench.csv");
    let _ = std::fs::remove_file(&jsonl);
    infercost_io::write_jsonl(&big, &jsonl, true)?;
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&csv)?);
        writeln!(f, "arrived_at,num_prefill_tokens,num_decode_tokens")?;
        for r in &big.requests {
            writeln!(
                f,
                "{:.6},{},{}",
                r.arrival.as_secs_f64(),
                r.input_tokens,
                r.output_tokens
            )?;
        }
    }
    drop(big);
    for (name, path) in [("CSV (vidur)", &csv), ("JSONL (mooncake)", &jsonl)] {
        let t = Instant::now();
        let (w, rep) = read_trace(path, &ReadOptions::default())?;
        let parsed = t.elapsed().as_secs_f64();
        let st = trace_stats(&w, rep.format.name(), rep.malformed_rows);
        let s = t.elapsed().as_secs_f64();
        output::line(&format!(
            "| trace stats, {name} | {} rows, {:.0} MB | {s:.2} | {:.2} M rows/s (parse alone {:.2} M rows/s) | peak RSS so far {:.0} MiB |",
            st.requests,
            std::fs::metadata(path).map(|m| m.len() as f64 / 1e6).unwrap_or(0.0),
            st.requests as f64 / s / 1e6,
            st.requests as f64 / parsed / 1e6,
            peak_rss_mib()
        ));
    }
    let _ = std::fs::remove_file(&csv);
    let _ = std::fs::remove_file(&jsonl);
    Ok(())
}

fn bench_sim(full: bool) -> Result<()> {
    let dep = Deployment::new(
        ModelCatalog::get("llama-3.1-8b")?,
        GpuCatalog::embedded().get("h100-sxm")?.clone(),
        1,
        Dtype::Bf16,
        Dtype::Bf16,
    )?;
    let (base, _) = parse_trace(
        AZURE_CONV,
        Path::new("embedded:azure-conv"),
        &ReadOptions::default(),
    )?;
    let k = if full { 100.0 } else { 2.0 };
    let w = scale_volume(&base, k, VolumeMode::Users, 1)?;
    let slo = Slo {
        ttft_ms: 2000.0,
        tpot_ms: 100.0,
        percentile: 99.0,
    };
    let blocks = dep.kv_capacity_tokens(0.9, 8192) / KV_BLOCK_TOKENS as u64;
    // The fleet sized to meet the SLO: the smallest replica count that meets it.
    let run = |replicas: u32, exact: bool| -> Result<(f64, infercost_sim::SimResult)> {
        let mut c = SimConfig::new(blocks, replicas);
        c.slo = Some(slo);
        c.step_exact = exact;
        let t = Instant::now();
        let r = simulate(&dep, &w, &c)?;
        Ok((t.elapsed().as_secs_f64(), r))
    };
    let (mut lo, mut hi) = (0u32, 1u32);
    loop {
        let r = run(hi, false)?.1;
        if r.meets_slo == Some(true) && !r.overloaded {
            break;
        }
        lo = hi;
        hi *= 2;
    }
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        let r = run(mid, false)?.1;
        if r.meets_slo == Some(true) && !r.overloaded {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let (exact_s, exact) = run(hi, true)?;
    let (fast_s, fast) = run(hi, false)?;
    output::line(&format!(
        "| simulate, Azure conv ×{k} on {hi} replicas (SLO met), coalesced | {} requests, {} iterations | {fast_s:.3} | {:.2} M requests/s | p99 TTFT {:.0} ms, TPOT {:.1} ms; peak RSS {:.0} MiB |",
        fast.requests, fast.iterations, fast.requests as f64 / fast_s / 1e6, fast.ttft_ms.p99, fast.tpot_ms.p99, peak_rss_mib()
    ));
    output::line(&format!(
        "| simulate, same, --step-exact | {} requests, {} iterations | {exact_s:.3} | {:.2} M requests/s | coalesced is {:.1}× faster; p99 TTFT {:.0} ms |",
        exact.requests, exact.iterations, exact.requests as f64 / exact_s / 1e6, exact_s / fast_s, exact.ttft_ms.p99
    ));
    // The same fleet in a quiet hour (the pilot's own volume): long decode-only stretches between arrivals.
    let quiet = if full {
        base.clone()
    } else {
        scale_volume(&base, 0.2, VolumeMode::Users, 1)?
    };
    // Five repetitions each: one quiet hour simulates in milliseconds, too short to time alone.
    let run_quiet = |exact: bool| -> Result<(f64, infercost_sim::SimResult)> {
        let mut c = SimConfig::new(blocks, hi);
        c.slo = Some(slo);
        c.step_exact = exact;
        let t = Instant::now();
        let mut r = simulate(&dep, &quiet, &c)?;
        for _ in 0..4 {
            r = simulate(&dep, &quiet, &c)?;
        }
        Ok((t.elapsed().as_secs_f64() / 5.0, r))
    };
    let (qe_s, qe) = run_quiet(true)?;
    let (qf_s, qf) = run_quiet(false)?;
    output::line(&format!(
        "| simulate, Azure conv ×1 on the same {hi} replicas (a quiet hour), coalesced vs --step-exact | {} requests; {} vs {} iterations stepped | {qf_s:.3} vs {qe_s:.3} | {:.2} vs {:.2} M requests/s | coalesced is {:.1}× faster |",
        qf.requests, qf.iterations, qe.iterations, qf.requests as f64 / qf_s / 1e6, qe.requests as f64 / qe_s / 1e6, qe_s / qf_s
    ));
    Ok(())
}
