//! The checks a scenario passes, section by section. A scenario file runs them as it is read (naming the line of
//! the key at fault) and a scenario read back from a plan result runs them all again, so no unchecked scenario
//! reaches the planner or a report.

use super::{Engine, Geography, Growth, ScenarioSpec, MAX_VOLUME};
use crate::PlanError;
use infercost_perf::GpuCatalog;
use infercost_sim::Slo;

/// Makes the error for a key and what is wrong with it.
pub(super) type Bad<'a> = &'a dyn Fn(&str, String) -> PlanError;

/// Every check, in the order a scenario file meets them.
pub(super) fn all(s: &ScenarioSpec, bad: Bad) -> Result<(), PlanError> {
    sweep(&s.volume, &s.context, &s.burst, &s.gpus, bad)?;
    deployments(s.deployments.len(), bad)?;
    slo(&s.slo, bad)?;
    engine(&s.engine, bad)?;
    pilot(&s.where_, s.users, &s.format, bad)?;
    if let Some(g) = &s.growth {
        growth(g, bad)?;
    }
    if let Some(g) = &s.geography {
        geography(g, bad)?;
    }
    mix(s.mix, &s.gpus, bad)?;
    if s.group_replicas == 0 {
        return Err(bad("sim.group_replicas", "must be at least 1".into()));
    }
    Ok(())
}

/// A mixed fleet needs at least two GPU types to mix.
pub(super) fn mix(mix: bool, gpus: &[String], bad: Bad) -> Result<(), PlanError> {
    if mix && gpus.len() < 2 {
        return Err(bad(
            "sweep.mix",
            format!(
                "a mixed fleet combines the GPU types in sweep.gpus, which lists {}; list at least two or set mix = false",
                gpus.len()
            ),
        ));
    }
    Ok(())
}

/// The sweep's axes: positive multiples that include the pilot (1), volumes within what simulation can size,
/// bursts of at least 1, and GPUs the catalog knows.
pub(super) fn sweep(
    volume: &[f64],
    context: &[f64],
    burst: &[f64],
    gpus: &[String],
    bad: Bad,
) -> Result<(), PlanError> {
    let positive = |key: &str, v: &[f64]| -> Result<(), PlanError> {
        if v.is_empty() || v.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
            return Err(bad(
                key,
                format!("must be a non-empty list of positive numbers, got {v:?}"),
            ));
        }
        Ok(())
    };
    positive("sweep.volume", volume)?;
    if let Some(v) = volume.iter().find(|v| **v > MAX_VOLUME) {
        return Err(bad(
            "sweep.volume",
            format!(
                "{v} is more than a million times the pilot ({MAX_VOLUME}), past any fleet the planner can size by simulation; plan from a bigger pilot instead"
            ),
        ));
    }
    positive("sweep.context", context)?;
    positive("sweep.burst", burst)?;
    if burst.iter().any(|b| *b < 1.0) {
        return Err(bad(
            "sweep.burst",
            "burst multiples must be at least 1 (1 = the pilot's own burstiness)".into(),
        ));
    }
    if !volume.contains(&1.0) || !context.contains(&1.0) || !burst.contains(&1.0) {
        return Err(bad("sweep.volume", "volume, context and burst must each include 1 (the pilot), which the multipliers and attribution compare against".into()));
    }
    let catalog = GpuCatalog::embedded();
    for g in gpus {
        catalog
            .get(g)
            .map_err(|e| bad("sweep.gpus", e.to_string()))?;
    }
    if gpus.is_empty() {
        return Err(bad("sweep.gpus", "needs at least one GPU".into()));
    }
    Ok(())
}

/// A deployment's layout keys: positive, TP and EP powers of two, EP equal to TP under data-parallel attention
/// (what needs the model, such as EP on a dense model, is refused when the plan builds the layout).
pub(super) fn layout(
    tp: Option<u32>,
    pp: Option<u32>,
    ep: Option<u32>,
    attention_dp: Option<bool>,
    bad: Bad,
) -> Result<(), PlanError> {
    for (key, v) in [("deployment.tp", tp), ("deployment.ep", ep)] {
        if let Some(v) = v.filter(|v| !v.is_power_of_two()) {
            return Err(bad(
                key,
                format!("must be a power of two (1, 2, 4, 8, …), got {v}"),
            ));
        }
    }
    if pp == Some(0) {
        return Err(bad("deployment.pp", "must be at least 1, got 0".into()));
    }
    if let (Some(true), Some(1)) = (attention_dp, tp) {
        return Err(bad(
            "deployment.attention_dp",
            "data-parallel attention spreads attention over a stage's GPUs, and tp = 1 leaves one: set tp to 2 or more, or leave tp out for the smallest stage that fits".into(),
        ));
    }
    if let (Some(true), Some(t), Some(e)) = (attention_dp, tp, ep) {
        if t != e {
            return Err(bad(
                "deployment.ep",
                format!("data-parallel attention spreads the experts over the stage's GPUs: ep must equal tp ({t}), got {e}"),
            ));
        }
    }
    Ok(())
}

/// At least one deployment.
pub(super) fn deployments(count: usize, bad: Bad) -> Result<(), PlanError> {
    if count == 0 {
        return Err(bad(
            "deployment",
            "needs at least one [[deployment]]".into(),
        ));
    }
    Ok(())
}

/// Positive targets at a percentile in (0, 100].
pub(super) fn slo(slo: &Slo, bad: Bad) -> Result<(), PlanError> {
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
    Ok(())
}

/// Engine settings the engine would accept.
pub(super) fn engine(engine: &Engine, bad: Bad) -> Result<(), PlanError> {
    let engines = infercost_perf::EngineCatalog::embedded();
    if engines.get(&engine.kind).is_err() {
        return Err(bad(
            "engine.kind",
            format!(
                "{:?} is not an engine; known: {}",
                engine.kind,
                engines.names()
            ),
        ));
    }
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
    Ok(())
}

/// A known trace format, row filters of the form `COLUMN=VALUE` and a positive number of users.
pub(super) fn pilot(
    where_: &[String],
    users: f64,
    format: &str,
    bad: Bad,
) -> Result<(), PlanError> {
    if !infercost_core::TRACE_FORMATS.contains(&format) {
        return Err(bad(
            "pilot.format",
            format!(
                "{format:?} is not a trace format; expected one of {}",
                infercost_core::TRACE_FORMATS.join(", ")
            ),
        ));
    }
    if let Some(w) = where_
        .iter()
        .find(|w| w.split_once('=').is_none_or(|(c, _)| c.trim().is_empty()))
    {
        return Err(bad(
            "pilot.where",
            format!("{w:?} is not COLUMN=VALUE (such as \"model=gpt-4\")"),
        ));
    }
    if !(users > 0.0) {
        return Err(bad("pilot.users", format!("must be positive, got {users}")));
    }
    Ok(())
}

/// Months in 1..=120, a positive user count at the end and prompts that do not shrink to nothing.
pub(super) fn growth(g: &Growth, bad: Bad) -> Result<(), PlanError> {
    if g.months == 0 || g.months > 120 || !(g.users_end > 0.0) || !(g.context_per_month > -1.0) {
        return Err(bad(
            "growth.months",
            "months in 1..=120, a positive users_end and context_per_month above -1".into(),
        ));
    }
    Ok(())
}

/// User shares that are non-negative and sum to 1.
pub(super) fn geography(g: &Geography, bad: Bad) -> Result<(), PlanError> {
    let total: f64 = g.users.values().sum();
    if g.users.is_empty() || g.users.values().any(|v| !(*v >= 0.0)) || (total - 1.0).abs() > 1e-6 {
        return Err(bad(
            "geography.users",
            format!("shares must be non-negative and sum to 1, got {total}"),
        ));
    }
    Ok(())
}
