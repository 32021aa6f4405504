//! Loading what the flags name, for every command alike: models (catalog or config.json), deployments that must
//! fit, the engine they run, price catalogs, request traces (with their malformed rows reported on stderr) and
//! diurnal profiles, and the data built into the binary.

use crate::args::{DeployArgs, EngineArgs, FormatArg, TraceInput};
use crate::output;
use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use infercost_core::transform::Diurnal;
use infercost_core::Workload;
use infercost_cost::Catalog;
use infercost_io::{parse_trace, read_trace, ReadReport, FORMAT_NAMES};
use infercost_perf::layout::{choose_layout, FitLimits, LayoutRequest};
use infercost_perf::{
    Deployment, EngineCatalog, EngineProfile, GpuCatalog, Layout, ModelCatalog, ModelSpec,
};
use infercost_sim::EngineConfig;
use std::path::{Path, PathBuf};

/// The vendored Azure conversation trace (CC-BY-4.0).
pub(crate) const AZURE_CONV: &[u8] = include_bytes!("../../../data/traces/azure_conv_2023.csv");
/// The vendored Azure code trace (CC-BY-4.0).
pub(crate) const AZURE_CODE: &[u8] = include_bytes!("../../../data/traces/azure_code_2023.csv");
/// The ServeGen-derived diurnal profile.
pub(crate) const DIURNAL_SERVEGEN: &str = include_str!("../../../data/diurnal_servegen.csv");

/// Loads a model from the catalog or a config.json path.
pub(crate) fn load_model(name: &str) -> Result<ModelSpec> {
    if name.ends_with(".json") || Path::new(name).is_file() {
        let text = std::fs::read_to_string(name)
            .with_context(|| format!("cannot read model config {name}"))?;
        return Ok(ModelSpec::from_config(&text, name)?);
    }
    Ok(ModelCatalog::get(name)?)
}

/// The engine profile `--engine` names.
pub(crate) fn engine_profile(a: &DeployArgs) -> EngineProfile {
    // Every `EngineArg` names a profile of the embedded catalog (tested).
    EngineCatalog::embedded()
        .get(a.engine.name())
        .expect("every --engine value has a profile")
        .clone()
}

/// The token budget per iteration: the flag, else the engine's default.
pub(crate) fn max_batched_tokens(a: &DeployArgs) -> u32 {
    a.max_batched_tokens
        .unwrap_or(engine_profile(a).max_batched_tokens.value)
}

/// The fraction of all GPU memory the engine uses on `dep`: `--gpu-memory-utilization`, else the engine's
/// default, read as the engine reads it (TensorRT-LLM's is a fraction of what the weights leave).
pub(crate) fn memory_fraction(dep: &Deployment, a: &DeployArgs) -> f64 {
    let f = a
        .gpu_memory_utilization
        .unwrap_or(dep.engine.gpu_memory_utilization.value);
    infercost_perf::engine::total_memory_fraction(dep, f, max_batched_tokens(a) as u64)
}

/// A deployment that must fit: simulating or timing one that does not is refused with the reason.
pub(crate) fn fitting_deployment(a: &DeployArgs) -> Result<Deployment> {
    let (d, fit) = deployment(a)?;
    d.check_fits(
        memory_fraction(&d, a),
        max_batched_tokens(a) as u64,
        a.max_model_len,
        fit,
    )?;
    Ok(d)
}

/// What a layout must leave room for, from the flags or the engine's defaults.
pub(crate) fn fit_limits(a: &DeployArgs) -> Result<FitLimits> {
    let util = a
        .gpu_memory_utilization
        .unwrap_or(engine_profile(a).gpu_memory_utilization.value);
    if !(util > 0.0 && util <= 1.0) {
        anyhow::bail!("--gpu-memory-utilization must be in (0, 1], got {util}");
    }
    Ok(FitLimits {
        gpu_memory_utilization: util,
        max_batched_tokens: max_batched_tokens(a) as u64,
        max_model_len: a.max_model_len,
    })
}

/// The layout of fewest GPUs that the deployment's model fits on (over TP × PP), whatever layout the flags ask.
pub(crate) fn fewest_gpus(d: &Deployment, a: &DeployArgs) -> Result<Option<Layout>> {
    Ok(infercost_perf::layout::smallest_fitting_layout(
        &LayoutRequest::default(),
        &d.model,
        &d.gpu,
        d.weights,
        d.kv,
        &fit_limits(a)?,
    ))
}

/// Builds a deployment served by `--engine`; also returns the smallest layout that fits with the parts of the
/// layout the flags fix (`--ep`, `--attention-dp`).
pub(crate) fn deployment(a: &DeployArgs) -> Result<(Deployment, Option<Layout>)> {
    let model = load_model(&a.model)?;
    let gpu = GpuCatalog::embedded().get(&a.gpu)?.clone();
    let (w, kv) = (a.weights.into(), a.kv_dtype.into());
    let profile = engine_profile(a);
    let limits = fit_limits(a)?;
    for (flag, v) in [("--tp", a.tp), ("--pp", a.pp), ("--ep", a.ep)] {
        if v == Some(0) {
            anyhow::bail!("{flag} must be at least 1, got 0");
        }
    }
    let req = LayoutRequest {
        tp: a.tp,
        pp: a.pp,
        ep: a.ep,
        attention_dp: a.attention_dp,
    };
    let choice = choose_layout(&req, &model, &gpu, w, kv, &limits);
    Ok((
        Deployment::for_engine(model, gpu, choice.layout, w, kv, &profile)?,
        choice.smallest_fitting,
    ))
}

/// The engine a deployment runs: batching from the flags or the engine's defaults, KV blocks from the memory
/// left after the weights.
pub(crate) fn engine(
    dep: &infercost_perf::Deployment,
    d: &DeployArgs,
    e: &EngineArgs,
) -> EngineConfig {
    EngineConfig::for_deployment(dep, memory_fraction(dep, d), max_batched_tokens(d))
        .with_max_num_seqs(e.max_num_seqs.unwrap_or(dep.engine.max_num_seqs.value))
        .with_prefix_caching(!e.no_prefix_caching)
        .with_max_model_len(Some(d.max_model_len))
}

/// The embedded catalog plus user files. A plan must name a GPU the performance model knows, and a name may be
/// defined once across the user files (which price would win is a guess); a user plan that replaces a built-in
/// one of the same name is allowed (a negotiated price) and said on stderr.
pub(crate) fn catalog(files: &[PathBuf]) -> Result<Catalog> {
    let mut c = Catalog::embedded();
    let builtin: std::collections::BTreeSet<String> =
        c.plans.iter().map(|p| p.name.clone()).collect();
    let gpus = infercost_perf::GpuCatalog::embedded();
    let mut defined: std::collections::BTreeMap<String, String> = Default::default();
    for f in files {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read catalog {}", f.display()))?;
        let file = f.display().to_string();
        let user = Catalog::parse(&text, &file)?;
        for p in &user.plans {
            let at = match infercost_cost::catalog::name_lines(&text, &p.name).first() {
                Some(l) => format!("{file}:{l}"),
                None => file.clone(),
            };
            if gpus.get(&p.gpu).is_err() {
                bail!(
                    "{at}: plan {:?} is for GPU {:?}, which is not in the GPU catalog (data/gpus.toml: {})",
                    p.name,
                    p.gpu,
                    gpus.all()
                        .iter()
                        .map(|g| g.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            if let Some(first) = defined.get(&p.name) {
                bail!(
                    "{at}: plan {:?} is already defined at {first}; keep one of the two",
                    p.name
                );
            }
            if builtin.contains(&p.name) {
                output::warn(&format!(
                    "{at}: plan {:?} replaces the built-in plan of the same name (data/prices.toml)",
                    p.name
                ));
            }
            defined.insert(p.name.clone(), at);
        }
        c.extend(user);
    }
    c.check_references(
        &files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    )?;
    Ok(c)
}

/// A format named in a scenario file, where clap has not checked it.
pub(crate) fn format_named(name: &str) -> Result<FormatArg> {
    FormatArg::from_str(name, false)
        .ok()
        .with_context(|| format!("unknown --format {name:?}; expected {FORMAT_NAMES}"))
}

/// Reads a trace, reporting malformed rows and sorting on stderr.
pub(crate) fn trace(input: &TraceInput) -> Result<(Workload, ReadReport)> {
    let opts = input.read_options()?;
    let (w, report) = match input.file.as_str() {
        "embedded:azure-conv" => parse_trace(AZURE_CONV, Path::new("embedded:azure-conv"), &opts)?,
        "embedded:azure-code" => parse_trace(AZURE_CODE, Path::new("embedded:azure-code"), &opts)?,
        f if f.starts_with("embedded:") => {
            bail!("{f} is not a built-in trace; the built-in traces are embedded:azure-conv and embedded:azure-code")
        }
        f => read_trace(Path::new(f), &opts)?,
    };
    report_reading(input, &w, &report);
    Ok((w, report))
}

/// Says on stderr what reading left out or changed: malformed rows, the reader's warnings, `--where` and
/// sorting.
fn report_reading(input: &TraceInput, w: &Workload, report: &ReadReport) {
    for (line, msg) in &report.first_errors {
        output::warn(&format!("{}:{line}: skipped: {msg}", input.file));
    }
    if report.malformed_rows > report.first_errors.len() as u64 {
        output::warn(&format!(
            "{}: {} malformed row{} skipped in all (--strict stops at the first)",
            input.file,
            report.malformed_rows,
            if report.malformed_rows == 1 { "" } else { "s" }
        ));
    }
    for w in &report.warnings {
        output::warn(w);
    }
    if !input.where_.is_empty() {
        output::note(&format!(
            "{}: --where {} kept {} rows, left out {}",
            input.file,
            input.where_.join(" --where "),
            w.len(),
            report.filtered_out
        ));
    }
    if report.sorted {
        output::warn(&format!(
            "{}: arrivals were not in time order; sorted them",
            input.file
        ));
    }
}

/// Parses a diurnal argument: `flat`, `embedded:servegen`, `hourly:W0,...,W23` (or the 24 weights alone,
/// when no file has that name) or a file of 24 weights.
pub(crate) fn diurnal(s: &str) -> Result<Diurnal> {
    let bare_list = s.contains(',') && !Path::new(s).exists();
    let weights = if s == "flat" {
        return Ok(Diurnal::flat());
    } else if s == "embedded:servegen" {
        infercost_io::diurnal::parse_diurnal(DIURNAL_SERVEGEN, Path::new("embedded:servegen"))?
    } else if let Some(list) = s.strip_prefix("hourly:").or(bare_list.then_some(s)) {
        list.split(',')
            .map(|x| {
                x.trim()
                    .parse::<f64>()
                    .with_context(|| format!("--diurnal: hourly weight {x:?} is not a number"))
            })
            .collect::<Result<Vec<_>>>()?
    } else {
        let text = std::fs::read_to_string(s)
            .with_context(|| format!("cannot read diurnal profile {s}"))?;
        infercost_io::diurnal::parse_diurnal(&text, Path::new(s))?
    };
    Ok(Diurnal::new(&weights)?)
}
