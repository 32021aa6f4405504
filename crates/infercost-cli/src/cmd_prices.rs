//! `infercost prices list|import-skypilot` and `infercost cost`.

use crate::output;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use infercost_cost::bill::Usage;
use infercost_cost::{bill, Catalog, EgressModel};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Subcommand)]
pub(crate) enum PricesCmd {
    /// Plans with their prices, sources and dates
    List {
        /// GPU family or name (H100 matches h100-sxm and h100-pcie)
        #[arg(long)]
        gpu: Option<String>,
        #[arg(long)]
        provider: Option<String>,
        #[arg(long)]
        region: Option<String>,
        /// More catalogs to add to the embedded one
        #[arg(long)]
        catalog: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Convert SkyPilot vms.csv catalogs into an infercost catalog
    ImportSkypilot {
        /// vms.csv files; the provider is taken from the name (aws_vms.csv → aws) unless --provider is given
        files: Vec<PathBuf>,
        #[arg(long)]
        provider: Option<String>,
        /// Date of the figures (default: today)
        #[arg(long)]
        as_of: Option<String>,
        #[arg(short = 'o', long)]
        output: PathBuf,
        #[arg(long)]
        force: bool,
    },
}

/// The embedded catalog plus user files.
pub(crate) fn catalog(files: &[PathBuf]) -> Result<Catalog> {
    let mut c = Catalog::embedded();
    for f in files {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read catalog {}", f.display()))?;
        c.extend(Catalog::parse(&text, &f.display().to_string())?);
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

#[derive(Serialize)]
struct Row<'a> {
    plan: &'a str,
    provider: &'a str,
    gpu: &'a str,
    region: &'a str,
    commitment: &'a str,
    usd_per_gpu_hour: f64,
    source: &'a str,
    as_of: &'a str,
}

fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

pub(crate) fn run(cmd: PricesCmd) -> Result<()> {
    match cmd {
        PricesCmd::List {
            gpu,
            provider,
            region,
            catalog: files,
            json,
        } => {
            let c = catalog(&files)?;
            let plans = c.filter(gpu.as_deref(), provider.as_deref(), region.as_deref());
            let rows: Vec<Row> = plans
                .iter()
                .map(|p| Row {
                    plan: &p.name,
                    provider: &p.provider,
                    gpu: &p.gpu,
                    region: &p.region,
                    commitment: p.commitment.name(),
                    usd_per_gpu_hour: p.usd_per_gpu_hour,
                    source: &p.source,
                    as_of: &p.as_of,
                })
                .collect();
            if json {
                return output::json(&rows);
            }
            output::line(&format!(
                "{:<28} {:<10} {:<12} {:<13} {:>9}  as of       source",
                "plan", "gpu", "region", "commitment", "$/GPU-h"
            ));
            for r in rows {
                output::line(&format!(
                    "{:<28} {:<10} {:<12} {:<13} {:>9.4}  {:<10}  {}",
                    r.plan, r.gpu, r.region, r.commitment, r.usd_per_gpu_hour, r.as_of, r.source
                ));
            }
            Ok(())
        }
        PricesCmd::ImportSkypilot {
            files,
            provider,
            as_of,
            output: out,
            force,
        } => {
            if files.is_empty() {
                bail!("give at least one vms.csv");
            }
            if out.exists() && !force {
                bail!(
                    "{} already exists; pass --force to overwrite it",
                    out.display()
                );
            }
            let as_of = as_of.unwrap_or_else(today);
            let mut all = Catalog::default();
            for f in &files {
                let text = std::fs::read_to_string(f)
                    .with_context(|| format!("cannot read {}", f.display()))?;
                let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let prov = match &provider {
                    Some(p) => p.clone(),
                    None => name
                        .split(['_', '.'])
                        .next()
                        .filter(|s| !s.is_empty() && *s != "vms")
                        .map(str::to_string)
                        .with_context(|| {
                            format!("cannot tell the provider from {name:?}; pass --provider")
                        })?,
                };
                let imp = infercost_cost::skypilot::import(
                    &text,
                    &prov,
                    &f.display().to_string(),
                    &as_of,
                )?;
                output::note(&format!(
                    "{}: {} plans ({} rows of accelerators infercost does not model skipped)",
                    f.display(),
                    imp.catalog.plans.len(),
                    imp.skipped_rows
                ));
                all.extend(imp.catalog);
            }
            std::fs::write(
                &out,
                format!(
                    "# Imported by `infercost prices import-skypilot` from {}\n{}",
                    files
                        .iter()
                        .map(|f| f.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    all.to_toml()
                ),
            )
            .with_context(|| format!("cannot write {}", out.display()))?;
            output::note(&format!(
                "wrote {} plans to {}",
                all.plans.len(),
                out.display()
            ));
            Ok(())
        }
    }
}

#[derive(Args)]
pub(crate) struct CostArgs {
    /// GPUs provisioned
    #[arg(long, allow_negative_numbers = true)]
    gpus: f64,
    /// Hours in the month they are provisioned (730 = all month)
    #[arg(long, allow_negative_numbers = true)]
    hours: f64,
    /// Fraction of those hours they do work
    #[arg(long, allow_negative_numbers = true)]
    busy_fraction: f64,
    /// Output tokens streamed in the month (for egress)
    #[arg(long, default_value_t = 0.0)]
    output_tokens: f64,
    /// Requests in the month
    #[arg(long, default_value_t = 0.0)]
    requests: f64,
    /// One plan
    #[arg(long)]
    plan: Option<String>,
    /// Every plan (the default when --plan is not given)
    #[arg(long)]
    all_plans: bool,
    #[arg(long)]
    catalog: Vec<PathBuf>,
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Bills {
    bills: Vec<infercost_cost::Bill>,
}

pub(crate) fn cost(a: CostArgs) -> Result<()> {
    let c = catalog(&a.catalog)?;
    if a.output_tokens < 0.0 || a.requests < 0.0 {
        bail!("--output-tokens and --requests must be non-negative");
    }
    let mut usage = Usage::constant(a.gpus, a.hours, a.busy_fraction)?;
    usage.output_tokens = a.output_tokens;
    usage.requests = a.requests;
    let plans: Vec<&infercost_cost::Plan> = match (&a.plan, a.all_plans) {
        (Some(p), false) => vec![c.plan(p)?],
        (Some(_), true) => bail!("give --plan NAME or --all-plans, not both"),
        (None, _) => c.plans.iter().collect(),
    };
    let bills = plans
        .into_iter()
        .map(|p| bill(p, &c, &usage, &EgressModel::default()))
        .collect::<Result<Vec<_>, _>>()?;
    if a.json {
        return output::json(&Bills { bills });
    }
    output::line(&format!(
        "{:<28} {:>12} {:>12} {:>10} {:>10}  {}",
        "plan", "total/month", "idle", "egress", "GPU-hours", "commitment"
    ));
    let mut sorted = bills;
    sorted.sort_by_key(|b| b.total_usd_per_month);
    for b in sorted {
        output::line(&format!(
            "{:<28} {:>12} {:>12} {:>10} {:>10.0}  {}",
            b.plan,
            output::usd(b.total_usd_per_month.dollars()),
            output::usd(b.idle_usd.dollars()),
            output::usd(b.egress_usd.dollars()),
            b.gpu_hours,
            b.commitment
        ));
    }
    Ok(())
}
