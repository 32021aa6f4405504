//! Scenario files: TOML read into permissive structs (unknown keys are errors), then validated once into
//! [`Scenario`], whose fields the planner can trust.

use crate::PlanError;
use infercost_cost::Plan;
use infercost_perf::{Dtype, GpuCatalog};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The embedded default scenario, commented.
pub const DEFAULT_SCENARIO: &str = include_str!("../../../data/scenario-default.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    pilot: RawPilot,
    deployment: Vec<RawDeployment>,
    sweep: RawSweep,
    slo: RawSlo,
    #[serde(default)]
    engine: Option<RawEngine>,
    #[serde(default)]
    sim: Option<RawSim>,
    #[serde(default)]
    growth: Option<RawGrowth>,
    #[serde(default)]
    geography: Option<RawGeography>,
    #[serde(default)]
    price: Vec<Plan>,
    #[serde(default)]
    egress_model: Option<RawEgressModel>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPilot {
    trace: String,
    #[serde(default = "auto")]
    format: String,
    #[serde(default, rename = "where")]
    where_: Vec<String>,
    #[serde(default)]
    diurnal: Option<Diurnal>,
    #[serde(default)]
    users: Option<f64>,
}

fn auto() -> String {
    "auto".into()
}

/// Where the day's shape comes from.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Diurnal {
    /// `"flat"`, `"embedded:servegen"` or a file path.
    Named(String),
    /// 24 hourly weights.
    Weights(Vec<f64>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeployment {
    name: String,
    model: String,
    #[serde(default)]
    weights: Option<String>,
    #[serde(default)]
    kv_dtype: Option<String>,
    #[serde(default)]
    fine_tuned: bool,
    #[serde(default)]
    tp: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum PlanSelection {
    All(String),
    Names(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    volume: Vec<f64>,
    #[serde(default = "one")]
    context: Vec<f64>,
    #[serde(default = "one")]
    burst: Vec<f64>,
    gpus: Vec<String>,
    #[serde(default)]
    plans: Option<PlanSelection>,
}

fn one() -> Vec<f64> {
    vec![1.0]
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlo {
    ttft_ms: f64,
    tpot_ms: f64,
    #[serde(default)]
    percentile: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEngine {
    max_num_seqs: Option<u32>,
    max_batched_tokens: Option<u32>,
    gpu_memory_utilization: Option<f64>,
    max_model_len: Option<u32>,
    prefix_caching: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSim {
    seed: Option<u64>,
    group_replicas: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrowth {
    months: u32,
    users_end: f64,
    #[serde(default)]
    context_per_month: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGeography {
    users: BTreeMap<String, f64>,
    #[serde(default)]
    residency: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    cross_region_rtt_ms: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEgressModel {
    bytes_per_token: Option<f64>,
    tokens_per_chunk: Option<f64>,
    chunk_overhead_bytes: Option<f64>,
    response_overhead_bytes: Option<f64>,
}

/// A model to serve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    /// Name in the report.
    pub name: String,
    /// Catalog name or config path.
    pub model: String,
    /// Weight dtype.
    pub weights: Dtype,
    /// KV dtype.
    pub kv_dtype: Dtype,
    /// No per-token API fallback.
    pub fine_tuned: bool,
    /// Fixed TP, or the smallest that fits.
    pub tp: Option<u32>,
}

/// Engine settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Engine {
    /// Most sequences per batch.
    pub max_num_seqs: u32,
    /// Token budget per iteration.
    pub max_batched_tokens: u32,
    /// Fraction of GPU memory the engine may use.
    pub gpu_memory_utilization: f64,
    /// Longest sequence that must fit.
    pub max_model_len: u32,
    /// Reuse shared prefixes.
    pub prefix_caching: bool,
}

/// Growth over months.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Growth {
    /// Months ahead.
    pub months: u32,
    /// Users at the end.
    pub users_end: f64,
    /// Prompt growth per month (0.1 = +10%).
    pub context_per_month: f64,
}

/// Users by jurisdiction and where their data may be served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Geography {
    /// Share of users per jurisdiction (sums to 1).
    pub users: BTreeMap<String, f64>,
    /// Jurisdictions a user group may be served from; absent means anywhere.
    pub residency: BTreeMap<String, Vec<String>>,
    /// Added round trip when served from another jurisdiction.
    pub cross_region_rtt_ms: f64,
}

/// A validated scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// Trace reference (`embedded:azure-conv` or a path).
    pub trace: String,
    /// Trace format.
    pub format: String,
    /// Row filters on the pilot log, each `COLUMN=VALUE` as `--where` takes them; all must match. Absent from
    /// the JSON when empty, so scenarios without filters serialise as before.
    #[serde(default, rename = "where", skip_serializing_if = "Vec::is_empty")]
    pub where_: Vec<String>,
    /// Day shape.
    pub diurnal: Diurnal,
    /// Users behind the pilot.
    pub users: f64,
    /// Models to serve.
    pub deployments: Vec<Deployment>,
    /// Volume multiples.
    pub volume: Vec<f64>,
    /// Context multiples.
    pub context: Vec<f64>,
    /// Burst multiples.
    pub burst: Vec<f64>,
    /// Candidate GPUs.
    pub gpus: Vec<String>,
    /// Plan names, or empty for all.
    pub plans: Vec<String>,
    /// SLO.
    pub slo: infercost_sim::Slo,
    /// Engine.
    pub engine: Engine,
    /// Seed.
    pub seed: u64,
    /// Group sampling: fleets above about this many replicas are sized from one simulated group of this size.
    pub group_replicas: u32,
    /// Growth, if any.
    pub growth: Option<Growth>,
    /// Geography, if any.
    pub geography: Option<Geography>,
    /// Price overrides and additions.
    pub prices: Vec<Plan>,
    /// Egress bytes model.
    pub egress_model: infercost_cost::EgressModel,
}

/// The largest volume multiple a sweep may ask for. A million times the pilot is already millions of replicas for
/// any pilot worth simulating; beyond it a fleet is sized by extrapolation, not simulation, and the sums run past
/// what a bill can hold (1e9 printed 213 million GPUs).
pub const MAX_VOLUME: f64 = 1e6;

fn key_line(text: &str, key: &str) -> Option<usize> {
    let bare = key.rsplit('.').next().unwrap_or(key);
    text.lines()
        .position(|l| {
            let t = l.trim_start();
            t.starts_with(bare) && t[bare.len()..].trim_start().starts_with('=')
                || t == format!("[{key}]")
                || t == format!("[[{key}]]")
        })
        .map(|i| i + 1)
}

impl Scenario {
    /// Parses and validates a scenario file's text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, PlanError> {
        let raw: RawScenario = toml::from_str(text).map_err(|e| PlanError::Scenario {
            file: file.to_string(),
            line: e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1)),
            message: e.message().trim().to_string(),
        })?;
        let bad = |key: &str, message: String| PlanError::Scenario {
            file: file.to_string(),
            line: key_line(text, key),
            message: format!("{key}: {message}"),
        };
        let positive = |key: &str, v: &[f64]| -> Result<(), PlanError> {
            if v.is_empty() || v.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
                return Err(bad(
                    key,
                    format!("must be a non-empty list of positive numbers, got {v:?}"),
                ));
            }
            Ok(())
        };
        positive("sweep.volume", &raw.sweep.volume)?;
        if let Some(v) = raw.sweep.volume.iter().find(|v| **v > MAX_VOLUME) {
            return Err(bad(
                "sweep.volume",
                format!(
                    "{v} is more than a million times the pilot ({MAX_VOLUME}), past any fleet the planner can size by simulation; plan from a bigger pilot instead"
                ),
            ));
        }
        positive("sweep.context", &raw.sweep.context)?;
        positive("sweep.burst", &raw.sweep.burst)?;
        if raw.sweep.burst.iter().any(|b| *b < 1.0) {
            return Err(bad(
                "sweep.burst",
                "burst multiples must be at least 1 (1 = the pilot's own burstiness)".into(),
            ));
        }
        if !raw.sweep.volume.contains(&1.0)
            || !raw.sweep.context.contains(&1.0)
            || !raw.sweep.burst.contains(&1.0)
        {
            return Err(bad("sweep.volume", "volume, context and burst must each include 1 (the pilot), which the multipliers and attribution compare against".into()));
        }
        let gpus = GpuCatalog::embedded();
        for g in &raw.sweep.gpus {
            gpus.get(g).map_err(|e| bad("sweep.gpus", e.to_string()))?;
        }
        if raw.sweep.gpus.is_empty() {
            return Err(bad("sweep.gpus", "needs at least one GPU".into()));
        }
        if raw.deployment.is_empty() {
            return Err(bad(
                "deployment",
                "needs at least one [[deployment]]".into(),
            ));
        }
        let mut deployments = Vec::new();
        for d in &raw.deployment {
            let dtype = |key: &str, v: &Option<String>| -> Result<Dtype, PlanError> {
                match v {
                    None => Ok(Dtype::Bf16),
                    Some(s) => Dtype::parse(s)
                        .ok_or_else(|| bad(key, format!("{s:?} is not bf16, fp8 or int4"))),
                }
            };
            deployments.push(Deployment {
                name: d.name.clone(),
                model: d.model.clone(),
                weights: dtype("deployment.weights", &d.weights)?,
                kv_dtype: dtype("deployment.kv_dtype", &d.kv_dtype)?,
                fine_tuned: d.fine_tuned,
                tp: d.tp,
            });
        }
        let slo = infercost_sim::Slo {
            ttft_ms: raw.slo.ttft_ms,
            tpot_ms: raw.slo.tpot_ms,
            percentile: raw.slo.percentile.unwrap_or(99.0),
        };
        if !(slo.ttft_ms > 0.0 && slo.tpot_ms > 0.0) {
            return Err(bad(
                "slo.ttft_ms",
                format!(
                    "SLO targets must be positive, got ttft {} ms and tpot {} ms",
                    slo.ttft_ms, slo.tpot_ms
                ),
            ));
        }
        if !(slo.percentile > 0.0 && slo.percentile <= 100.0) {
            return Err(bad(
                "slo.percentile",
                format!("must be in (0, 100], got {}", slo.percentile),
            ));
        }
        let e = raw.engine.as_ref();
        let engine = Engine {
            max_num_seqs: e.and_then(|e| e.max_num_seqs).unwrap_or(256),
            max_batched_tokens: e.and_then(|e| e.max_batched_tokens).unwrap_or(8192),
            gpu_memory_utilization: e.and_then(|e| e.gpu_memory_utilization).unwrap_or(0.9),
            max_model_len: e.and_then(|e| e.max_model_len).unwrap_or(8192),
            prefix_caching: e.and_then(|e| e.prefix_caching).unwrap_or(true),
        };
        if !(engine.gpu_memory_utilization > 0.0 && engine.gpu_memory_utilization <= 1.0) {
            return Err(bad(
                "engine.gpu_memory_utilization",
                format!("must be in (0, 1], got {}", engine.gpu_memory_utilization),
            ));
        }
        if engine.max_model_len < 2 {
            return Err(bad(
                "engine.max_model_len",
                format!(
                    "must leave room for a prompt and one output token (at least 2), got {}",
                    engine.max_model_len
                ),
            ));
        }
        if engine.max_num_seqs == 0 || engine.max_batched_tokens < engine.max_num_seqs {
            return Err(bad(
                "engine.max_batched_tokens",
                "must be at least max_num_seqs, which must be positive".into(),
            ));
        }
        if let Some(w) = raw
            .pilot
            .where_
            .iter()
            .find(|w| w.split_once('=').is_none_or(|(c, _)| c.trim().is_empty()))
        {
            return Err(bad(
                "pilot.where",
                format!("{w:?} is not COLUMN=VALUE (such as \"model=gpt-4\")"),
            ));
        }
        let users = raw.pilot.users.unwrap_or(1.0);
        if !(users > 0.0) {
            return Err(bad("pilot.users", format!("must be positive, got {users}")));
        }
        let growth = match raw.growth {
            Some(g) => {
                if g.months == 0
                    || g.months > 120
                    || !(g.users_end > 0.0)
                    || !(g.context_per_month > -1.0)
                {
                    return Err(bad(
                        "growth.months",
                        "months in 1..=120, a positive users_end and context_per_month above -1"
                            .into(),
                    ));
                }
                Some(Growth {
                    months: g.months,
                    users_end: g.users_end,
                    context_per_month: g.context_per_month,
                })
            }
            None => None,
        };
        let geography = match raw.geography {
            Some(g) => {
                let total: f64 = g.users.values().sum();
                if g.users.is_empty()
                    || g.users.values().any(|v| !(*v >= 0.0))
                    || (total - 1.0).abs() > 1e-6
                {
                    return Err(bad(
                        "geography.users",
                        format!("shares must be non-negative and sum to 1, got {total}"),
                    ));
                }
                Some(Geography {
                    users: g.users,
                    residency: g.residency,
                    cross_region_rtt_ms: g.cross_region_rtt_ms.unwrap_or(90.0),
                })
            }
            None => None,
        };
        let plans = match raw.sweep.plans {
            None => Vec::new(),
            Some(PlanSelection::All(s)) if s == "all" => Vec::new(),
            Some(PlanSelection::All(s)) => {
                return Err(bad(
                    "sweep.plans",
                    format!("must be \"all\" or a list of plan names, got {s:?}"),
                ))
            }
            Some(PlanSelection::Names(v)) => v,
        };
        let d = infercost_cost::EgressModel::default();
        let em = raw.egress_model.as_ref();
        let egress_model = infercost_cost::EgressModel {
            bytes_per_token: em
                .and_then(|e| e.bytes_per_token)
                .unwrap_or(d.bytes_per_token),
            tokens_per_chunk: em
                .and_then(|e| e.tokens_per_chunk)
                .unwrap_or(d.tokens_per_chunk),
            chunk_overhead_bytes: em
                .and_then(|e| e.chunk_overhead_bytes)
                .unwrap_or(d.chunk_overhead_bytes),
            response_overhead_bytes: em
                .and_then(|e| e.response_overhead_bytes)
                .unwrap_or(d.response_overhead_bytes),
        };
        let sim = raw.sim.as_ref();
        Ok(Scenario {
            trace: raw.pilot.trace,
            format: raw.pilot.format,
            where_: raw.pilot.where_,
            diurnal: raw.pilot.diurnal.unwrap_or(Diurnal::Named("flat".into())),
            users,
            deployments,
            volume: raw.sweep.volume,
            context: raw.sweep.context,
            burst: raw.sweep.burst,
            gpus: raw.sweep.gpus,
            plans,
            slo,
            engine,
            seed: sim.and_then(|s| s.seed).unwrap_or(1),
            group_replicas: sim.and_then(|s| s.group_replicas).unwrap_or(12).max(1),
            growth,
            geography,
            prices: raw.price,
            egress_model,
        })
    }

    /// The embedded default.
    pub fn default_scenario() -> Scenario {
        // The embedded file is tested; failing here is a defect of the build.
        Scenario::parse(DEFAULT_SCENARIO, "embedded default scenario")
            .expect("embedded scenario is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scenario_parses() {
        let s = Scenario::default_scenario();
        assert_eq!(s.volume, vec![1.0, 10.0, 100.0, 1000.0]);
        assert_eq!(s.deployments.len(), 2);
        assert!(s.deployments[0].fine_tuned);
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let text = DEFAULT_SCENARIO.replace("ttft_ms = 2000", "ttft_ms = 2000\nttft_p99 = 1");
        let e = Scenario::parse(&text, "my.toml").unwrap_err().to_string();
        assert!(
            e.starts_with("my.toml:") && e.contains("unknown field `ttft_p99`"),
            "{e}"
        );
        let text = DEFAULT_SCENARIO.replace("gpus = [\"h100-sxm\"", "gpus = [\"h900\"");
        let e = Scenario::parse(&text, "my.toml").unwrap_err().to_string();
        assert!(
            e.contains("sweep.gpus") && e.contains("unknown gpu \"h900\""),
            "{e}"
        );
        let line = DEFAULT_SCENARIO
            .lines()
            .position(|l| l.starts_with("gpus ="))
            .unwrap()
            + 1;
        assert!(e.starts_with(&format!("my.toml:{line}:")), "{e}");
        let text = DEFAULT_SCENARIO.replace("volume = [1, 10", "volume = [-1, 10");
        assert!(Scenario::parse(&text, "x")
            .unwrap_err()
            .to_string()
            .contains("positive"));
    }

    #[test]
    fn a_volume_past_a_million_times_the_pilot_is_refused_with_the_reason() {
        let line = DEFAULT_SCENARIO
            .lines()
            .position(|l| l.starts_with("volume ="))
            .unwrap()
            + 1;
        let text = DEFAULT_SCENARIO.replace("volume = [1, 10", "volume = [1, 1e9, 10");
        let e = Scenario::parse(&text, "my.toml").unwrap_err().to_string();
        assert_eq!(
            e,
            format!("my.toml:{line}: sweep.volume: 1000000000 is more than a million times the pilot (1000000), past any fleet the planner can size by simulation; plan from a bigger pilot instead")
        );
        let text = DEFAULT_SCENARIO.replace("volume = [1, 10", "volume = [1, 1e6, 10");
        assert_eq!(Scenario::parse(&text, "my.toml").unwrap().volume[1], 1e6);
    }
}
