//! A scenario file as written: TOML read into permissive structs (unknown keys are errors), each section then
//! given its defaults and checked, naming the file, line and key at fault.

use super::check::{self, Bad};
use super::{Deployment, Diurnal, Engine, Geography, Growth, Scenario, ScenarioSpec};
use crate::PlanError;
use infercost_cost::Plan;
use infercost_perf::Dtype;
use serde::Deserialize;
use std::collections::BTreeMap;

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeployment {
    name: String,
    model: String,
    #[serde(default)]
    weights: Option<OneOrMany>,
    #[serde(default)]
    kv_dtype: Option<String>,
    #[serde(default)]
    fine_tuned: bool,
    #[serde(default)]
    tp: Option<u32>,
    #[serde(default)]
    pp: Option<u32>,
    #[serde(default)]
    ep: Option<u32>,
    #[serde(default)]
    attention_dp: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
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
    #[serde(default)]
    mix: Option<bool>,
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
    kind: Option<String>,
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

/// The line of a key (`section.key`) or section header in the file's text, for errors.
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

/// Parses and validates a scenario file's text; `file` names it in errors.
pub(super) fn parse(text: &str, file: &str) -> Result<Scenario, PlanError> {
    let mut raw: RawScenario = toml::from_str(text).map_err(|e| PlanError::Scenario {
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
    for p in &mut raw.price {
        infercost_cost::catalog::settle_price(p).map_err(|e| bad("price", e.to_string()))?;
    }
    let sw = &raw.sweep;
    check::sweep(&sw.volume, &sw.context, &sw.burst, &sw.gpus, &bad)?;
    check::deployments(raw.deployment.len(), &bad)?;
    let deployments = raw
        .deployment
        .iter()
        .map(|d| deployment(d, &bad))
        .collect::<Result<Vec<_>, _>>()?;
    let slo = infercost_sim::Slo {
        ttft_ms: raw.slo.ttft_ms,
        tpot_ms: raw.slo.tpot_ms,
        percentile: raw.slo.percentile.unwrap_or(99.0),
    };
    check::slo(&slo, &bad)?;
    let engine = engine(raw.engine.as_ref(), &bad)?;
    check::engine(&engine, &bad)?;
    let users = raw.pilot.users.unwrap_or(1.0);
    check::pilot(&raw.pilot.where_, users, &raw.pilot.format, &bad)?;
    let growth = raw.growth.map(|g| Growth {
        months: g.months,
        users_end: g.users_end,
        context_per_month: g.context_per_month,
    });
    if let Some(g) = &growth {
        check::growth(g, &bad)?;
    }
    let geography = raw.geography.map(|g| Geography {
        users: g.users,
        residency: g.residency,
        cross_region_rtt_ms: g.cross_region_rtt_ms.unwrap_or(90.0),
    });
    if let Some(g) = &geography {
        check::geography(g, &bad)?;
    }
    let plans = plans(raw.sweep.plans, &bad)?;
    let mix = raw.sweep.mix.unwrap_or(false);
    check::mix(mix, &raw.sweep.gpus, &bad)?;
    let sim = raw.sim.as_ref();
    Ok(Scenario(ScenarioSpec {
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
        mix,
        slo,
        engine,
        seed: sim.and_then(|s| s.seed).unwrap_or(1),
        group_replicas: sim.and_then(|s| s.group_replicas).unwrap_or(12).max(1),
        growth,
        geography,
        prices: raw.price,
        egress_model: egress_model(raw.egress_model.as_ref()),
    }))
}

/// A `[[deployment]]` with its dtypes read (bf16 when absent); `weights` may list several.
fn deployment(d: &RawDeployment, bad: Bad) -> Result<Deployment, PlanError> {
    let dtype = |key: &str, s: &str| -> Result<Dtype, PlanError> {
        Dtype::parse(s)
            .ok_or_else(|| bad(key, format!("{s:?} is not bf16, fp8, int4, fp4 or fp4-wo")))
    };
    check::layout(d.tp, d.pp, d.ep, d.attention_dp, bad)?;
    let listed: Vec<Dtype> = match &d.weights {
        None => vec![Dtype::Bf16],
        Some(OneOrMany::One(s)) => vec![dtype("deployment.weights", s)?],
        Some(OneOrMany::Many(v)) if v.is_empty() => {
            return Err(bad(
                "deployment.weights",
                "must name at least one precision".into(),
            ))
        }
        Some(OneOrMany::Many(v)) => v
            .iter()
            .map(|s| dtype("deployment.weights", s))
            .collect::<Result<_, _>>()?,
    };
    let mut options = Vec::new();
    for w in &listed {
        if !options.contains(w) {
            options.push(*w);
        }
    }
    Ok(Deployment {
        name: d.name.clone(),
        model: d.model.clone(),
        weights: options[0],
        weights_options: if options.len() > 1 {
            options
        } else {
            Vec::new()
        },
        kv_dtype: match &d.kv_dtype {
            None => Dtype::Bf16,
            Some(s) => dtype("deployment.kv_dtype", s)?,
        },
        fine_tuned: d.fine_tuned,
        tp: d.tp,
        pp: d.pp,
        ep: d.ep,
        attention_dp: d.attention_dp,
    })
}

/// `[engine]`: the engine profile named by `kind` (vLLM when absent), whose defaults fill what it leaves out.
fn engine(e: Option<&RawEngine>, bad: Bad) -> Result<Engine, PlanError> {
    let engines = infercost_perf::EngineCatalog::embedded();
    let kind = e
        .and_then(|e| e.kind.clone())
        .unwrap_or_else(|| infercost_perf::engine::DEFAULT_ENGINE.to_string());
    let p = engines.get(&kind).map_err(|_| {
        bad(
            "engine.kind",
            format!("{kind:?} is not an engine; known: {}", engines.names()),
        )
    })?;
    Ok(Engine {
        kind: p.name.clone(),
        max_num_seqs: e
            .and_then(|e| e.max_num_seqs)
            .unwrap_or(p.max_num_seqs.value),
        max_batched_tokens: e
            .and_then(|e| e.max_batched_tokens)
            .unwrap_or(p.max_batched_tokens.value),
        gpu_memory_utilization: e
            .and_then(|e| e.gpu_memory_utilization)
            .unwrap_or(p.gpu_memory_utilization.value),
        max_model_len: e.and_then(|e| e.max_model_len).unwrap_or(8192),
        prefix_caching: e.and_then(|e| e.prefix_caching).unwrap_or(true),
    })
}

/// `sweep.plans`: `"all"` (or absent) for every plan, else the names.
fn plans(selection: Option<PlanSelection>, bad: Bad) -> Result<Vec<String>, PlanError> {
    match selection {
        None => Ok(Vec::new()),
        Some(PlanSelection::All(s)) if s == "all" => Ok(Vec::new()),
        Some(PlanSelection::All(s)) => Err(bad(
            "sweep.plans",
            format!("must be \"all\" or a list of plan names, got {s:?}"),
        )),
        Some(PlanSelection::Names(v)) => Ok(v),
    }
}

/// `[egress_model]` with the cost crate's defaults for what it leaves out.
fn egress_model(em: Option<&RawEgressModel>) -> infercost_cost::EgressModel {
    let d = infercost_cost::EgressModel::default();
    infercost_cost::EgressModel {
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
    }
}
