//! `infercost plan`, `infercost merge` and `infercost report`.

use crate::args::TraceInput;
use crate::export::ExportArgs;
use crate::load::{catalog, format_named, load_model};
use crate::shard::{parse_shard, shard_results};
use crate::{files, output};
use anyhow::{bail, Context, Result};
use clap::Args;
use infercost_core::transform::Diurnal;
use infercost_core::Workload;
use infercost_cost::Catalog;
use infercost_perf::ModelSpec;
use infercost_plan::merge;
use infercost_plan::result::PlanResult;
use infercost_plan::scenario::{Diurnal as ScenarioDiurnal, DEFAULT_SCENARIO};
use infercost_plan::sweep::{plan_uncertain, Inputs};
use infercost_plan::uncertainty::Uncertainty;
use infercost_plan::Scenario;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub(crate) struct PlanArgs {
    /// Scenario file (TOML); without one, the embedded default
    scenario: Option<PathBuf>,
    /// Print the default scenario, commented, as a starting point
    #[arg(long)]
    example: bool,
    /// Write report.json, report.md and report.html here
    #[arg(long)]
    out: Option<PathBuf>,
    /// Overwrite files already there (--out, --focus, --csv)
    #[arg(long)]
    force: bool,
    /// Print the result as JSON on stdout
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    export: ExportArgs,
    /// Worker threads, at least 1 (results do not depend on it; default: one per core)
    #[arg(long, value_parser = crate::args::threads_arg)]
    threads: Option<usize>,
    /// Hide the progress bar
    #[arg(long)]
    no_progress: bool,
    /// Run one slice I/N of the sweep (combine with `infercost merge`); `auto` reads a Kubernetes indexed Job's
    /// or a Slurm array's variables (JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID, INFERCOST_SHARDS or
    /// SLURM_ARRAY_TASK_COUNT)
    #[arg(long)]
    shard: Option<String>,
    /// More price catalogs (TOML files like data/prices.toml), added to the embedded one
    #[arg(long)]
    catalog: Vec<PathBuf>,
    /// Draw N Monte Carlo scenarios around each point (model error, prices, growth, busiest hour): each point
    /// gains `uncertainty` with its p10/p50/p90 cost and the chance its fleet meets the SLO
    #[arg(long, value_name = "N", value_parser = crate::args::draws_arg)]
    uncertainty: Option<u32>,
    /// Seed of the --uncertainty draws (default: the scenario's [sim] seed)
    #[arg(long, value_name = "S", requires = "uncertainty")]
    seed: Option<u64>,
}

#[derive(Args)]
pub(crate) struct MergeArgs {
    /// Shard results (JSON from `plan --shard I/N --json`), or folders whose shard results are all merged
    files: Vec<PathBuf>,
    /// Refused: the shards carry the price catalogs they were planned with
    #[arg(long, hide = true)]
    catalog: Vec<PathBuf>,
    /// Worker threads, at least 1 (results do not depend on it; default: one per core)
    #[arg(long, value_parser = crate::args::threads_arg)]
    threads: Option<usize>,
    /// Write the reports here
    #[arg(long)]
    out: Option<PathBuf>,
    /// Overwrite reports already in --out
    #[arg(long)]
    force: bool,
    /// Print the merged JSON on stdout
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub(crate) struct ReportArgs {
    /// A saved `plan --json` result
    result: PathBuf,
    /// Folder for report.json, report.md and report.html
    #[arg(long)]
    out: Option<PathBuf>,
    /// Overwrite files already there (--out, --focus, --csv)
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    export: ExportArgs,
}

fn resolve(base: &Path, p: &str) -> PathBuf {
    let path = Path::new(p);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

/// The files a scenario names, loaded: what the planner's `Inputs` borrow besides the scenario and the catalog.
struct Loaded {
    pilot: Workload,
    diurnal: Diurnal,
    models: Vec<ModelSpec>,
}

impl Loaded {
    fn inputs<'a>(&'a self, scenario: &'a Scenario, catalog: &'a Catalog) -> Inputs<'a> {
        Inputs {
            scenario,
            pilot: &self.pilot,
            diurnal: &self.diurnal,
            models: &self.models,
            catalog,
        }
    }
}

/// The pilot trace's path as given to the reader: embedded traces by name, files against `base`.
fn trace_path(scenario: &Scenario, base: &Path) -> String {
    if scenario.trace.starts_with("embedded:") {
        scenario.trace.clone()
    } else {
        resolve(base, &scenario.trace).display().to_string()
    }
}

/// Loads the pilot trace, the day's shape and one model per deployment, relative paths against `base` (the
/// scenario file's folder). `plan` and `merge` both load through here, so a merge reads what the shards read.
fn load_scenario_files(scenario: &Scenario, base: &Path) -> Result<Loaded> {
    let trace = trace_path(scenario, base);
    let (pilot, _) = crate::load::trace(&TraceInput {
        where_: scenario.where_.clone(),
        ..TraceInput::plain(&trace, format_named(&scenario.format)?)
    })?;
    if !pilot.has_timestamps {
        bail!("{trace}: the pilot trace needs arrival times");
    }
    let diurnal = match &scenario.diurnal {
        ScenarioDiurnal::Weights(w) => Diurnal::new(w)?,
        ScenarioDiurnal::Named(n) if n == "flat" || n.starts_with("embedded:") => {
            crate::load::diurnal(n)?
        }
        ScenarioDiurnal::Named(n) => crate::load::diurnal(&resolve(base, n).display().to_string())?,
    };
    let models = scenario
        .deployments
        .iter()
        .map(|d| {
            if d.model.ends_with(".json") {
                load_model(&resolve(base, &d.model).display().to_string())
            } else {
                load_model(&d.model)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Loaded {
        pilot,
        diurnal,
        models,
    })
}

pub(crate) fn threads_or_cores(threads: Option<usize>) -> usize {
    threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

pub(crate) fn plan(a: PlanArgs) -> Result<()> {
    if a.example {
        output::raw(DEFAULT_SCENARIO);
        return Ok(());
    }
    let (scenario, base) = match &a.scenario {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read scenario {}", p.display()))?;
            (
                Scenario::parse(&text, &p.display().to_string())?,
                p.parent().map(Path::to_path_buf).unwrap_or_default(),
            )
        }
        None => (Scenario::default_scenario(), PathBuf::new()),
    };
    let loaded = load_scenario_files(&scenario, &base)?;
    // A prompt past the model's trained positions is served by vLLM only when max_model_len allows it, and then
    // with no guarantee of quality: say so.
    let longest = loaded
        .pilot
        .requests
        .iter()
        .map(|r| r.input_tokens as f64)
        .fold(0.0, f64::max)
        * scenario.context.iter().copied().fold(1.0, f64::max);
    for (d, m) in scenario.deployments.iter().zip(&loaded.models) {
        if longest > m.max_position as f64 {
            output::warn(&format!(
                "{}: the longest prompt ({} tokens at the largest context multiple) exceeds {}'s max_position_embeddings ({})",
                d.name,
                infercost_core::fmt::int(longest),
                m.name,
                infercost_core::fmt::count(m.max_position)
            ));
        }
    }
    let cat = catalog(&a.catalog)?;
    let shard = a.shard.as_deref().map(parse_shard).transpose()?;
    let threads = threads_or_cores(a.threads);
    // Before the sweep, not after it: a refused or unwritable --out must not cost the whole run.
    if let Some(dir) = &a.out {
        files::prepare_report_dir(dir, a.force)?;
    }
    a.export.check(a.force)?;
    let progress = output::Progress::new("planning", a.no_progress);
    let started = std::time::Instant::now();
    let uncertainty = a
        .uncertainty
        .map(|n| Uncertainty::new(n, a.seed.unwrap_or(scenario.seed)))
        .transpose()?;
    let mut result = plan_uncertain(
        &loaded.inputs(&scenario, &cat),
        threads,
        shard,
        &|d, t| progress.update(d, t),
        uncertainty.as_ref(),
    )?;
    if shard.is_some() {
        result.scenario_dir = Some(base.display().to_string());
    }
    let sims: u32 = result.points.iter().map(|p| p.simulations).sum();
    output::note(&format!(
        "planned {} points with {} simulations in {:.1} s on {threads} threads",
        result.points.len(),
        sims,
        started.elapsed().as_secs_f64()
    ));
    a.export.write(&result, a.force)?;
    write_result(&result, a.out.as_deref(), a.json)
}

/// Plans an uploaded pilot log: the scenario's text (`name` in its errors) or the embedded default, its trace
/// replaced by `trace`, other relative paths against the trace's folder, at the embedded prices. `infercost serve`
/// plans through here, so a page's plan is the command line's.
/// An uploaded scenario (or the embedded default) read and checked, planning the trace at `trace`: the server
/// checks an upload with it as it arrives, before the upload waits its turn.
pub(crate) fn upload_scenario(
    scenario_text: Option<(&str, &str)>,
    trace: &Path,
) -> Result<Scenario> {
    let mut spec = match scenario_text {
        Some((text, name)) => Scenario::parse(text, name)?,
        None => Scenario::default_scenario(),
    }
    .into_spec();
    spec.trace = trace.display().to_string();
    Ok(Scenario::try_from(spec)?)
}

pub(crate) fn plan_upload(
    scenario_text: Option<(&str, &str)>,
    trace: &Path,
    threads: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<PlanResult> {
    let scenario = upload_scenario(scenario_text, trace)?;
    let base = trace.parent().map(Path::to_path_buf).unwrap_or_default();
    let loaded = load_scenario_files(&scenario, &base)?;
    let cat = catalog(&[])?;
    Ok(infercost_plan::plan(
        &loaded.inputs(&scenario, &cat),
        threads,
        None,
        progress,
    )?)
}

fn write_result(result: &PlanResult, out: Option<&Path>, json: bool) -> Result<()> {
    if let Some(dir) = out {
        let written = infercost_report::write_all(result, dir)
            .with_context(|| format!("cannot write the report to {}", dir.display()))?;
        for f in written {
            output::note(&format!("wrote {}", f.display()));
        }
    }
    if json {
        output::json(result)
    } else {
        for l in infercost_report::summary(result) {
            output::line(&l);
        }
        Ok(())
    }
}

pub(crate) fn merge(a: MergeArgs) -> Result<()> {
    if a.files.is_empty() {
        bail!("give the shard results to merge");
    }
    if !a.catalog.is_empty() {
        bail!("merge takes no --catalog: each shard carries the price catalogs it was planned with, and merge uses those");
    }
    if let Some(dir) = &a.out {
        files::prepare_report_dir(dir, a.force)?;
    }
    let shards = shard_results(&a.files)?
        .into_iter()
        .map(|(f, r)| (f.display().to_string(), r))
        .collect();
    let mut merged = merge::combine(shards)?;
    let base = PathBuf::from(&merged.scenario_dir);
    let trace = trace_path(&merged.result.scenario, &base);
    if !trace.starts_with("embedded:") && !Path::new(&trace).exists() {
        bail!(
            "the pilot trace {trace} is not here: merge reads it again to finish the analysis, at the path the shards were planned with"
        );
    }
    let loaded = load_scenario_files(&merged.result.scenario, &base)
        .context("merge loads the scenario's files again, from where the shards were planned")?;
    merge::check_pilot(&merged.result, &loaded.pilot, &trace)?;
    let scenario = merged.result.scenario.clone();
    merge::finish(
        &mut merged.result,
        &loaded.inputs(&scenario, &merged.catalog),
        threads_or_cores(a.threads),
    )?;
    write_result(&merged.result, a.out.as_deref(), a.json)
}

pub(crate) fn report(a: ReportArgs) -> Result<()> {
    if a.out.is_none() && !a.export.any() {
        bail!("nothing to write: give --out DIR, --focus FILE.csv or --csv DIR");
    }
    if let Some(dir) = &a.out {
        files::prepare_report_dir(dir, a.force)?;
    }
    a.export.check(a.force)?;
    let text = std::fs::read_to_string(&a.result)
        .with_context(|| format!("cannot read {}", a.result.display()))?;
    let r: PlanResult = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a plan result (from `infercost plan --json`)",
            a.result.display()
        )
    })?;
    if r.schema_version != infercost_plan::SCHEMA_VERSION {
        bail!(
            "{}: schema_version {} but this infercost reads {}",
            a.result.display(),
            r.schema_version,
            infercost_plan::SCHEMA_VERSION
        );
    }
    if let Some(dir) = &a.out {
        for f in infercost_report::write_all(&r, dir)
            .with_context(|| format!("cannot write the report to {}", dir.display()))?
        {
            output::note(&format!("wrote {}", f.display()));
        }
    }
    a.export.write(&r, a.force)
}
