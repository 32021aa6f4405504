//! One row's prediction: fixed-length requests offered at once, at a Poisson rate or by a closed loop of
//! clients to `replicas` replicas of the deployment, simulated to the end, and the published metric read off
//! the result.

use super::map::{Load, Metric, Reason, Setup};
use infercost_core::{Request, Rng, SimTime, Workload};
use infercost_sim::{simulate, Router, SimConfig};

/// The workload a row offers: `requests` requests of the row's fixed lengths, all at t = 0 or at Poisson
/// arrivals from a fixed seed.
pub fn workload(s: &Setup) -> Workload {
    let mut w = Workload::new();
    let mut rng = Rng::new(0x5eed);
    let mut t = 0.0f64;
    w.requests = (0..s.requests)
        .map(|_| {
            if let Load::Poisson(rps) = s.load {
                t += rng.exp1() / rps;
            }
            Request::new(SimTime::from_secs_f64(t), s.input_tokens, s.output_tokens)
        })
        .collect();
    w
}

/// The predicted value of the row's metric, in the published unit and scope; `Err` when the simulation cannot
/// run or leaves requests unserved (then no figure would be comparable).
pub fn predict(s: &Setup) -> Result<f64, Reason> {
    let w = workload(s);
    let mut cfg = SimConfig::new(s.engine.kv_blocks, s.replicas);
    cfg.engine = s.engine;
    // Offline benchmarks hand requests to replicas in turn; so does round robin, with no randomness.
    cfg.router = Router::RoundRobin;
    if let Load::Closed(clients) = s.load {
        cfg.clients = Some(clients);
    }
    let r = simulate(&s.deployment, &w, &cfg).map_err(|e| Reason::Unserved(e.to_string()))?;
    if r.completed < r.requests || r.makespan_s <= 0.0 {
        return Err(Reason::Unserved(format!(
            "{} of {} requests served",
            r.completed, r.requests
        )));
    }
    let per_request = (s.input_tokens + s.output_tokens) as f64 / s.output_tokens as f64;
    let value = match s.metric {
        Metric::OutputTokensPerS => r.output_tokens_per_s / s.scope_divisor,
        Metric::TotalTokensPerS => r.output_tokens_per_s * per_request / s.scope_divisor,
        Metric::RequestsPerS => r.completed as f64 / r.makespan_s / s.scope_divisor,
        Metric::TtftMedianMs => r.ttft_ms.p50,
        Metric::TtftMeanMs => r.ttft_ms.mean,
        Metric::TpotMedianMs => r.tpot_ms.p50,
        Metric::ItlMeanMs => r.tpot_ms.mean,
        // Every request of a fixed batch is alike, so the batch's median latency is the time to finish it.
        Metric::E2eMedianMs if matches!(s.load, Load::AtOnce) => r.makespan_s * 1000.0,
        Metric::E2eMedianMs => r.e2e_ms.p50,
    };
    Ok(value)
}
