//! `infercost prices list|import-skypilot` and `infercost cost`.

use crate::load::catalog;
use crate::output;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use infercost_cost::bill::Usage;
use infercost_cost::{bill, Catalog, EgressModel};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub(crate) enum PricesCmd {
    /// Plans with their prices, sources and dates
    List {
        /// GPU family or name (H100 matches h100-sxm and h100-pcie)
        #[arg(long)]
        gpu: Option<String>,
        /// Only this provider's plans (aws, gcp, azure, …)
        #[arg(long)]
        provider: Option<String>,
        /// Only plans in this provider region (us-east-1, …)
        #[arg(long)]
        region: Option<String>,
        /// More catalogs (TOML files like data/prices.toml) to add to the embedded one
        #[arg(long)]
        catalog: Vec<PathBuf>,
        /// Print the plans as JSON on stdout
        #[arg(long)]
        json: bool,
    },
    /// Convert SkyPilot vms.csv catalogs into an infercost catalog
    ImportSkypilot {
        /// vms.csv files; the provider is taken from the name (aws_vms.csv → aws) unless --provider is given
        files: Vec<PathBuf>,
        /// The provider of every file (aws, gcp, azure, lambda, …), instead of taking it from the file name
        #[arg(long)]
        provider: Option<String>,
        /// Date the catalogs were published or read, YYYY-MM-DD; required unless each file's path carries one
        /// (anycloud_catalog_2026-05-20/gcp_vms.csv)
        #[arg(long)]
        as_of: Option<String>,
        /// The infercost catalog to write (TOML)
        #[arg(short = 'o', long)]
        output: PathBuf,
        /// Overwrite an existing output
        #[arg(long)]
        force: bool,
    },
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

pub(crate) fn run(cmd: PricesCmd) -> Result<()> {
    match cmd {
        PricesCmd::List {
            gpu,
            provider,
            region,
            catalog: files,
            json,
        } => list(
            gpu.as_deref(),
            provider.as_deref(),
            region.as_deref(),
            &files,
            json,
        ),
        PricesCmd::ImportSkypilot {
            files,
            provider,
            as_of,
            output: out,
            force,
        } => import_skypilot(&files, provider, as_of, &out, force),
    }
}

/// `prices list`.
fn list(
    gpu: Option<&str>,
    provider: Option<&str>,
    region: Option<&str>,
    files: &[PathBuf],
    json: bool,
) -> Result<()> {
    let c = catalog(files)?;
    let plans = c.filter(gpu, provider, region);
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

/// `prices import-skypilot`.
fn import_skypilot(
    files: &[PathBuf],
    provider: Option<String>,
    as_of: Option<String>,
    out: &Path,
    force: bool,
) -> Result<()> {
    if files.is_empty() {
        bail!("give at least one vms.csv");
    }
    if out.exists() && !force {
        bail!(
            "{} already exists; pass --force to overwrite it",
            out.display()
        );
    }
    if let Some(d) = &as_of {
        if !infercost_io::skypilot::is_date(d) {
            bail!("--as-of {d:?} is not a date written YYYY-MM-DD");
        }
    }
    // A price is as old as its source, not as old as the import: the date comes from --as-of or the
    // catalog's own path, never from today's clock.
    let dates = files
        .iter()
        .map(|f| {
            as_of
                .clone()
                .or_else(|| infercost_io::skypilot::date_in_name(&f.display().to_string()))
                .with_context(|| {
                    format!(
                        "{}: nothing says when these prices were published; pass --as-of YYYY-MM-DD \
                         (the date the catalog was read), as its path carries no date",
                        f.display()
                    )
                })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut all = Catalog::default();
    for (f, as_of) in files.iter().zip(&dates) {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
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
        let imp = infercost_io::skypilot::import(&text, &prov, &f.display().to_string(), as_of)?;
        output::note(&format!(
            "{}: {} plans ({} rows of accelerators infercost does not model skipped)",
            f.display(),
            imp.catalog.plans.len(),
            imp.skipped_rows
        ));
        all.extend(imp.catalog);
    }
    std::fs::write(
        out,
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

#[derive(Args)]
pub(crate) struct CostArgs {
    /// GPUs provisioned, a whole number
    #[arg(long, allow_negative_numbers = true, value_parser = whole_gpus)]
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
    /// More catalogs (TOML files like data/prices.toml) to add to the embedded one
    #[arg(long)]
    catalog: Vec<PathBuf>,
    /// Print the bills as JSON on stdout
    #[arg(long)]
    json: bool,
}

/// GPUs are rented whole: `--gpus 1.5` is a mistake, not half a GPU.
fn whole_gpus(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of GPUs"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("{s} is not a non-negative number of GPUs"));
    }
    if v.fract() != 0.0 {
        return Err(format!(
            "GPUs are rented whole; {s} is not a whole number (use --busy-fraction for partial use)"
        ));
    }
    Ok(v)
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
        // An owned plan's GPU line is its purchase, energy and colocation: show them under it.
        if let (Some(a), Some(p), Some(c)) = (b.amortisation_usd, b.power_usd, b.colocation_usd) {
            output::line(&format!(
                "  of which amortisation {}, power {}, colocation {} ({} GPUs in whole servers)",
                output::usd(a.dollars()),
                output::usd(p.dollars()),
                output::usd(c.dollars()),
                b.committed_gpus.unwrap_or(0.0)
            ));
        }
    }
    Ok(())
}
