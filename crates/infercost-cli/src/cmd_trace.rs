//! `infercost trace stats|scale|synth`.

use crate::args::{FormatArg, TraceInput, VolumeModeArg};
use crate::observed::Percentiles;
use crate::{load, output};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use infercost_core::stats::{trace_stats, TraceStats};
use infercost_core::transform::{self, Arrival, Diurnal, Lengths, Sessions};
use infercost_core::Workload;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub(crate) enum TraceCmd {
    /// Describe a trace: counts, lengths, rate, burstiness, sessions
    Stats {
        #[command(flatten)]
        input: TraceInput,
        /// Machine-readable output
        #[arg(long)]
        json: bool,
    },
    /// Scale volume, context and burstiness; write canonical JSONL
    Scale(ScaleArgs),
    /// Make a synthetic workload; write canonical JSONL
    Synth(SynthArgs),
}

#[derive(Args)]
pub(crate) struct ScaleArgs {
    #[command(flatten)]
    input: TraceInput,
    /// Volume multiple K (more users, or a faster replay)
    #[arg(long, default_value_t = 1.0)]
    volume: f64,
    /// users (superpose K shifted copies) or compress (replay K times faster)
    #[arg(long, value_enum, default_value = "users")]
    volume_mode: VolumeModeArg,
    /// Multiply prompt lengths
    #[arg(long, default_value_t = 1.0)]
    context_mult: f64,
    /// Add tokens to every prompt
    #[arg(long, default_value_t = 0)]
    context_add: i64,
    /// Multiply output lengths
    #[arg(long, default_value_t = 1.0)]
    output_mult: f64,
    /// Burst (concurrency): raise the peak-to-mean ratio about B times, keeping the mean rate
    #[arg(long, default_value_t = 1.0)]
    burst: f64,
    /// Seed
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output JSONL
    #[arg(short = 'o', long)]
    output: PathBuf,
    /// Overwrite an existing output
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
pub(crate) struct SynthArgs {
    /// Mean requests per second
    #[arg(long)]
    rate: Option<f64>,
    /// Seconds of traffic
    #[arg(long)]
    duration: f64,
    /// A directory of ServeGen client files (chunk-N-trace.csv, chunk-N-dataset.json): each client's windowed
    /// rates, fitted inter-arrival distributions and length distributions set the traffic (no --rate)
    #[arg(long)]
    servegen: Option<PathBuf>,
    /// With --servegen: the clients to replay (N or chunk-N, comma-separated); default all
    #[arg(long, value_delimiter = ',')]
    clients: Vec<String>,
    /// With --servegen: seconds into the ServeGen trace where the synthesised traffic starts
    #[arg(long, default_value_t = 0.0)]
    start: f64,
    /// poisson, gamma:CV or weibull:SHAPE
    #[arg(long, default_value = "poisson")]
    arrival: String,
    /// A trace to sample (input, output) pairs from, or lognormal:IN_MEAN,IN_P99,OUT_MEAN,OUT_P99
    #[arg(long, default_value = "embedded:azure-conv")]
    lengths: String,
    /// flat, embedded:servegen, hourly:W0,...,W23 or a file of 24 weights
    #[arg(long, default_value = "flat")]
    diurnal: String,
    /// Concurrent multi-turn sessions instead of independent requests
    #[arg(long)]
    sessions: Option<u32>,
    /// Mean turns per session
    #[arg(long, default_value_t = 4.0)]
    turns: f64,
    /// Mean think time between turns, seconds
    #[arg(long, default_value_t = 30.0)]
    think_time: f64,
    /// Seed
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output JSONL
    #[arg(short = 'o', long)]
    output: PathBuf,
    /// Overwrite an existing output
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(cmd: TraceCmd) -> Result<()> {
    match cmd {
        TraceCmd::Stats { input, json } => stats(&input, json),
        TraceCmd::Scale(a) => scale(&a),
        TraceCmd::Synth(a) if a.servegen.is_some() => synth_from_servegen(&a),
        TraceCmd::Synth(a) => synth(&a),
    }
}

/// `trace stats`.
fn stats(input: &TraceInput, json: bool) -> Result<()> {
    let (w, report) = load::trace(input)?;
    let st = StatsOut {
        stats: trace_stats(&w, report.format.name(), report.malformed_rows),
        observed_ttft_ms: report
            .observed
            .as_ref()
            .and_then(|o| Percentiles::of(&o.ttft_ms)),
        observed_e2e_ms: report
            .observed
            .as_ref()
            .and_then(|o| Percentiles::of(&o.e2e_ms)),
    };
    if json {
        output::json(&st)
    } else {
        print_stats(&input.file, &st.stats);
        for (name, p) in [
            ("observed TTFT", &st.observed_ttft_ms),
            ("observed e2e", &st.observed_e2e_ms),
        ] {
            if let Some(p) = p {
                output::line(&format!(
                    "  {name:<15} p50 {:.1} ms  p90 {:.1} ms  p99 {:.1} ms ({} requests)",
                    p.p50, p.p90, p.p99, p.requests
                ));
            }
        }
        Ok(())
    }
}

/// `trace scale`.
fn scale(a: &ScaleArgs) -> Result<()> {
    crate::files::refuse_overwrite(&a.output, a.force)?;
    let (w, _) = load::trace(&a.input)?;
    if !w.has_timestamps {
        bail!("{} has no timestamps; scale needs arrival times (use `trace synth --lengths {}` to give it some)", a.input.file, a.input.file);
    }
    if !(a.volume.is_finite() && a.volume > 0.0) {
        bail!(
            "--volume must be a positive finite number, got {} (1 keeps the pilot's volume)",
            a.volume
        );
    }
    let mut out = transform::scale_volume(&w, a.volume, a.volume_mode.into(), a.seed)?;
    transform::scale_context(&mut out, a.context_mult, a.context_add)?;
    transform::scale_output(&mut out, a.output_mult)?;
    transform::burst(&mut out, a.burst, a.seed.wrapping_add(1))?;
    infercost_io::write_jsonl(&out, &a.output, a.force)?;
    output::note(&format!(
        "wrote {} requests to {}",
        out.len(),
        a.output.display()
    ));
    Ok(())
}

/// `trace synth --servegen DIR`.
fn synth_from_servegen(a: &SynthArgs) -> Result<()> {
    crate::files::refuse_overwrite(&a.output, a.force)?;
    if a.rate.is_some() || a.sessions.is_some() {
        bail!("--servegen sets the rate from each client's windows: drop --rate and --sessions");
    }
    let dir = a.servegen.as_deref().unwrap_or(Path::new("."));
    let clients = infercost_io::servegen::read_clients(dir, &a.clients)?;
    let (fallback, _) = load::trace(&TraceInput::plain(&a.lengths, FormatArg::Auto))?;
    let fallback: Vec<(u32, u32)> = fallback
        .requests
        .iter()
        .map(|r| (r.input_tokens, r.output_tokens))
        .collect();
    let w = synth_servegen(&clients, a.start, a.duration, &fallback, a.seed)?;
    infercost_io::write_jsonl(&w, &a.output, a.force)?;
    output::note(&format!(
        "wrote {} requests from {} ServeGen client{} to {}",
        w.len(),
        clients.len(),
        if clients.len() == 1 { "" } else { "s" },
        a.output.display()
    ));
    Ok(())
}

/// `trace synth` at a rate or with sessions.
fn synth(a: &SynthArgs) -> Result<()> {
    crate::files::refuse_overwrite(&a.output, a.force)?;
    let arrival = Arrival::parse(&a.arrival)?;
    let lengths = if a.lengths.starts_with("lognormal:") {
        Lengths::parse_lognormal(&a.lengths)?
    } else {
        let (w, _) = load::trace(&TraceInput::plain(&a.lengths, FormatArg::Auto))?;
        Lengths::Empirical(
            w.requests
                .iter()
                .map(|r| (r.input_tokens, r.output_tokens))
                .collect(),
        )
    };
    let diurnal = load::diurnal(&a.diurnal)?;
    let sessions = a.sessions.map(|n| Sessions {
        concurrent: n,
        mean_turns: a.turns,
        think_time_s: a.think_time,
    });
    let rate = match (a.rate, sessions) {
        (Some(r), None) => r,
        // Sessions mode has no rate to honour: traffic follows from the open sessions, their turns
        // and think time. Saying so beats writing a file at a rate the user did not ask for.
        (Some(_), Some(_)) => bail!(
            "--rate does not apply with --sessions: sessions mode keeps --sessions conversations open \
             and the rate follows from --turns and --think-time; drop --rate, or drop --sessions for \
             independent requests at --rate"
        ),
        (None, Some(_)) => 1.0,
        (None, None) => bail!("--rate is required unless --sessions is given"),
    };
    let w = transform::synth(
        rate, a.duration, arrival, &lengths, &diurnal, sessions, a.seed,
    )?;
    infercost_io::write_jsonl(&w, &a.output, a.force)?;
    output::note(&format!(
        "wrote {} requests to {}",
        w.len(),
        a.output.display()
    ));
    Ok(())
}

/// `trace stats --json`: the trace's statistics and, when the log timed its requests, their latencies.
#[derive(Serialize)]
struct StatsOut {
    #[serde(flatten)]
    stats: TraceStats,
    #[serde(skip_serializing_if = "Option::is_none")]
    observed_ttft_ms: Option<Percentiles>,
    #[serde(skip_serializing_if = "Option::is_none")]
    observed_e2e_ms: Option<Percentiles>,
}

fn print_stats(file: &str, s: &TraceStats) {
    let l = output::line;
    l(&format!("{file} ({} format)", s.format));
    l(&format!(
        "  requests        {}{}",
        output::int(s.requests as f64),
        if s.malformed_rows > 0 {
            format!(
                " ({} malformed row{} skipped)",
                s.malformed_rows,
                if s.malformed_rows == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        }
    ));
    match (s.duration_s, s.mean_rate_rps) {
        (Some(d), Some(r)) => l(&format!(
            "  duration        {d:.1} s, mean rate {r:.2} requests/s"
        )),
        (Some(_), None) => l(
            "  duration        0 s: every request arrives at the same instant, so the rate is undefined",
        ),
        _ => l("  duration        no timestamps (lengths only)"),
    }
    for (name, t) in [
        ("input tokens", &s.input_tokens),
        ("output tokens", &s.output_tokens),
    ] {
        l(&format!(
            "  {name:<15} mean {:.1}  p50 {}  p90 {}  p99 {}  max {}  total {}",
            t.mean,
            t.p50,
            t.p90,
            t.p99,
            t.max,
            output::int(t.total)
        ));
    }
    if let Some(cv) = s.interarrival_cv {
        l(&format!("  inter-arrival   CV {cv:.2} (1 = Poisson)"));
    }
    if let Some(p) = &s.peak_to_mean {
        l(&format!(
            "  peak / mean     1 s: {:.1}×   60 s: {:.2}×   3600 s: {:.2}×",
            p.s1, p.s60, p.s3600
        ));
    }
    if let Some(h) = &s.rate_by_hour {
        let busy: Vec<String> = h
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| format!("{i:02}h:{n}"))
            .collect();
        l(&format!("  requests by hour {}", busy.join(" ")));
    }
    if s.sessions > 0 {
        let c = s.concurrent_sessions.clone().unwrap_or_default();
        l(&format!(
            "  sessions        {} (concurrent: peak {}, mean {:.1})",
            s.sessions, c.peak, c.mean
        ));
    }
    if !s.regions.is_empty() {
        let r: Vec<String> = s.regions.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        l(&format!("  regions         {}", r.join(", ")));
    }
}

/// Replays ServeGen clients over `[start, start + duration)`: each 600-s window at its rate with its fitted
/// inter-arrival shape (Weibull shape, Gamma's CV, or Poisson) and, where the client has them, that window's
/// prompt and output length distributions (the nearest earlier window's when the window has none, `fallback`
/// pairs when the client has none); every client and window draws from its own seed.
fn synth_servegen(
    clients: &[infercost_io::servegen::Client],
    start: f64,
    duration: f64,
    fallback: &[(u32, u32)],
    seed: u64,
) -> Result<Workload> {
    use infercost_core::{Rng, SimTime};
    use infercost_io::servegen::WINDOW_S;
    if !(start.is_finite() && start >= 0.0 && duration.is_finite() && duration > 0.0) {
        bail!("--start must be non-negative and --duration positive, got {start} and {duration}");
    }
    let end = start + duration;
    let mut out = Workload::new();
    for (ci, c) in clients.iter().enumerate() {
        for (wi, w) in c.windows.iter().enumerate() {
            let (lo, hi) = (w.start_s.max(start), (w.start_s + WINDOW_S).min(end));
            if hi <= lo || w.rate <= 0.0 {
                continue;
            }
            let arrival = match w.distribution.as_str() {
                "Weibull" if w.param1 > 0.0 => Arrival::Weibull { shape: w.param1 },
                "Gamma" if w.cv > 0.0 => Arrival::Gamma { cv: w.cv },
                "Gamma" if w.param1 > 0.0 => Arrival::Gamma {
                    cv: 1.0 / w.param1.sqrt(),
                },
                _ => Arrival::Poisson,
            };
            let mut rng = Rng::derive(seed, (ci as u64) << 32 | wi as u64);
            let pairs: Vec<(u32, u32)> = match c.lengths.range(..=w.start_s as u64).next_back() {
                Some((_, (inp, outp))) => {
                    let draw = |pmf: &[(u32, f64)], rng: &mut Rng| {
                        let total: f64 = pmf.iter().map(|x| x.1).sum();
                        let mut u = rng.f64() * total;
                        for &(t, p) in pmf {
                            if u < p {
                                return t;
                            }
                            u -= p;
                        }
                        pmf.last().map_or(1, |x| x.0)
                    };
                    (0..512)
                        .map(|_| (draw(inp, &mut rng).max(1), draw(outp, &mut rng).max(1)))
                        .collect()
                }
                None => fallback.to_vec(),
            };
            let piece = transform::synth(
                w.rate,
                hi - lo,
                arrival,
                &Lengths::Empirical(pairs),
                &Diurnal::flat(),
                None,
                rng.next_u64(),
            )
            .with_context(|| format!("{} window at {} s", c.name, w.start_s))?;
            let offset = SimTime::from_secs_f64(lo - start);
            out.requests.extend(piece.requests.into_iter().map(|mut r| {
                r.arrival += offset;
                r
            }));
        }
    }
    out.sort_by_arrival();
    if out.requests.is_empty() {
        bail!("the chosen ServeGen clients send no requests between {start} s and {end} s");
    }
    Ok(out)
}
