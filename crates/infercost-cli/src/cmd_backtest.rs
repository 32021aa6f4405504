//! `infercost backtest`: replay a request log on the fleet that served it and set the simulator's latencies
//! beside the ones the log recorded.

use crate::args::{DeployArgs, EngineArgs, LogSelect, RouterArg};
use crate::load::{engine, fitting_deployment};
use crate::observed::Percentiles;
use crate::{load, output};
use anyhow::{bail, Result};
use clap::Args;
use infercost_sim::{simulate as run_sim, LatencySummary, SimConfig};
use serde::Serialize;

#[derive(Args)]
pub(crate) struct BacktestArgs {
    /// Request log that timed its requests (LiteLLM spend logs with completionStartTime/endTime, OTLP spans)
    log: String,
    #[command(flatten)]
    deploy: DeployArgs,
    #[command(flatten)]
    engine: EngineArgs,
    /// Replicas that served the log
    #[arg(long)]
    replicas: u32,
    #[command(flatten)]
    select: LogSelect,
    /// p2c, rr or least
    #[arg(long, value_enum, default_value = "p2c")]
    router: RouterArg,
    /// Seed
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print the result as JSON on stdout
    #[arg(long)]
    json: bool,
}

/// Latency percentiles in milliseconds; None where the log did not record that latency.
#[derive(Debug, Clone, Copy, Serialize)]
struct Latencies<T> {
    ttft_ms: Option<T>,
    e2e_ms: Option<T>,
}

/// The three percentiles of one latency, without a count: the shape `observed`, `predicted` and `error` share.
#[derive(Debug, Clone, Copy, Serialize)]
struct P3 {
    p50: f64,
    p90: f64,
    p99: f64,
}

impl From<Percentiles> for P3 {
    fn from(p: Percentiles) -> P3 {
        P3 {
            p50: p.p50,
            p90: p.p90,
            p99: p.p99,
        }
    }
}

impl From<LatencySummary> for P3 {
    fn from(s: LatencySummary) -> P3 {
        P3 {
            p50: s.p50,
            p90: s.p90,
            p99: s.p99,
        }
    }
}

/// (predicted − observed) / observed for each percentile: negative when the simulator is optimistic.
fn relative_error(predicted: P3, observed: P3) -> P3 {
    let e = |p: f64, o: f64| if o > 0.0 { (p - o) / o } else { f64::NAN };
    P3 {
        p50: e(predicted.p50, observed.p50),
        p90: e(predicted.p90, observed.p90),
        p99: e(predicted.p99, observed.p99),
    }
}

#[derive(Serialize)]
struct BacktestOut {
    format: &'static str,
    requests: u64,
    replicas: u32,
    tp: u32,
    gpu: String,
    model: String,
    observed: Latencies<P3>,
    predicted: Latencies<P3>,
    error: Latencies<P3>,
    /// What predicted latencies must be multiplied by to match the observed p50 end-to-end latency.
    calibration_factor: f64,
}

pub(crate) fn backtest(a: BacktestArgs) -> Result<()> {
    let dep = fitting_deployment(&a.deploy)?;
    let (w, report) = load::trace(&a.select.input(&a.log))?;
    let observed = report.observed.as_ref();
    let obs_ttft = observed.and_then(|o| Percentiles::of(&o.ttft_ms));
    let Some(obs_e2e) = observed.and_then(|o| Percentiles::of(&o.e2e_ms)) else {
        bail!(
            "{} ({} format) records no latencies, so there is nothing to backtest against: backtest needs a log \
             with each request's start and end, such as LiteLLM spend logs with startTime and endTime (and \
             completionStartTime for TTFT) or OTLP GenAI spans with startTimeUnixNano and endTimeUnixNano",
            a.log,
            report.format.name()
        );
    };
    let mut cfg = SimConfig::new(0, a.replicas);
    cfg.engine = engine(&dep, &a.deploy, &a.engine);
    cfg.router = a.router.into();
    cfg.seed = a.seed;
    let r = run_sim(&dep, &w, &cfg)?;
    if r.rejected > 0 || r.unservable > 0 {
        output::warn(&format!(
            "{} requests were rejected at --max-model-len {} or did not fit a replica's KV cache; the fleet \
             that served the log must have been configured otherwise",
            output::int((r.rejected + r.unservable as u64) as f64),
            a.deploy.max_model_len
        ));
    }
    let pred_ttft = P3::from(r.ttft_ms);
    let pred_e2e = P3::from(r.e2e_ms);
    let obs_ttft = obs_ttft.map(P3::from);
    let obs_e2e = P3::from(obs_e2e);
    let calibration_factor = if pred_e2e.p50 > 0.0 {
        obs_e2e.p50 / pred_e2e.p50
    } else {
        f64::NAN
    };
    let out = BacktestOut {
        format: report.format.name(),
        requests: w.len() as u64,
        replicas: a.replicas,
        tp: dep.tp,
        gpu: dep.gpu.name.clone(),
        model: dep.model.name.clone(),
        observed: Latencies {
            ttft_ms: obs_ttft,
            e2e_ms: Some(obs_e2e),
        },
        predicted: Latencies {
            ttft_ms: Some(pred_ttft),
            e2e_ms: Some(pred_e2e),
        },
        error: Latencies {
            ttft_ms: obs_ttft.map(|o| relative_error(pred_ttft, o)),
            e2e_ms: Some(relative_error(pred_e2e, obs_e2e)),
        },
        calibration_factor,
    };
    if a.json {
        return output::json(&out);
    }
    print_result(&a, &out, pred_ttft, pred_e2e);
    Ok(())
}

/// The observed and predicted percentiles side by side, for people.
fn print_result(a: &BacktestArgs, out: &BacktestOut, pred_ttft: P3, pred_e2e: P3) {
    let l = output::line;
    l(&format!(
        "{} requests of {} ({} format) replayed on {} × {} ({}× {})",
        output::int(out.requests as f64),
        a.log,
        out.format,
        a.replicas,
        out.model,
        out.tp,
        out.gpu
    ));
    l("                 observed p50 / p90 / p99 ms        predicted p50 / p90 / p99 ms       error p50 / p90 / p99");
    for (name, o, p, e) in [
        ("TTFT", out.observed.ttft_ms, pred_ttft, out.error.ttft_ms),
        (
            "end-to-end",
            out.observed.e2e_ms,
            pred_e2e,
            out.error.e2e_ms,
        ),
    ] {
        let trio = |x: P3| format!("{:>9.1} {:>9.1} {:>9.1}", x.p50, x.p90, x.p99);
        let pct = |x: P3| {
            format!(
                "{:>+6.0}% {:>+6.0}% {:>+6.0}%",
                x.p50 * 100.0,
                x.p90 * 100.0,
                x.p99 * 100.0
            )
        };
        l(&format!(
            "  {name:<14} {:<34} {:<34} {}",
            o.map_or("not in the log".to_string(), trio),
            trio(p),
            e.map_or(String::new(), pct)
        ));
    }
    l(&format!(
        "  {}",
        calibration_sentence(out.calibration_factor)
    ));
}

/// What the calibration factor means, in a sentence.
fn calibration_sentence(factor: f64) -> String {
    if !factor.is_finite() {
        return "no calibration factor: the simulator predicts no end-to-end latency".into();
    }
    let off = ((factor - 1.0).abs() * 100.0).round();
    if off == 0.0 {
        format!("the model matches the observed end-to-end latency at p50; calibration factor {factor:.2}")
    } else if factor > 1.0 {
        format!("the model is {off:.0}% optimistic on end-to-end latency at p50; multiply by {factor:.2}")
    } else {
        format!("the model is {off:.0}% pessimistic on end-to-end latency at p50; multiply by {factor:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sentence_says_which_way_the_model_errs() {
        assert_eq!(
            calibration_sentence(1.18),
            "the model is 18% optimistic on end-to-end latency at p50; multiply by 1.18"
        );
        assert_eq!(
            calibration_sentence(0.8),
            "the model is 20% pessimistic on end-to-end latency at p50; multiply by 0.80"
        );
        let e = relative_error(
            P3 {
                p50: 90.0,
                p90: 200.0,
                p99: 300.0,
            },
            P3 {
                p50: 100.0,
                p90: 100.0,
                p99: 300.0,
            },
        );
        assert_eq!((e.p50, e.p90, e.p99), (-0.1, 1.0, 0.0));
    }
}
