//! `--focus` and `--csv` on `plan` and `report`: the forecast bills as a FinOps FOCUS file and the report's tables
//! as CSV files, under the same overwrite rule as the reports.

use crate::{files, output};
use anyhow::{bail, Context, Result};
use clap::Args;
use infercost_plan::result::PlanResult;
use infercost_report::{FocusOptions, Period};
use std::path::{Path, PathBuf};

/// The export flags shared by `plan` and `report`.
#[derive(Args, Debug, Clone)]
pub(crate) struct ExportArgs {
    /// Write the forecast bills as a FinOps FOCUS 1.2 CSV file (docs/FOCUS.md)
    #[arg(long, value_name = "FILE.csv")]
    focus: Option<PathBuf>,
    /// The month the FOCUS rows are charged to (default: next month)
    #[arg(long, value_name = "YYYY-MM", value_parser = period_arg, requires = "focus")]
    focus_period: Option<Period>,
    /// Add every plan's whole-traffic bill to the chosen fleets' bills in the FOCUS file
    #[arg(long, requires = "focus")]
    focus_all_plans: bool,
    /// Write every table of the report as CSV into this folder, one file per table named by its id
    #[arg(long, value_name = "DIR")]
    csv: Option<PathBuf>,
}

fn period_arg(s: &str) -> Result<Period, String> {
    Period::parse(s).ok_or_else(|| format!("expected a month as YYYY-MM, got {s:?}"))
}

impl ExportArgs {
    /// Whether any export was asked for.
    pub(crate) fn any(&self) -> bool {
        self.focus.is_some() || self.csv.is_some()
    }

    /// Refuses, before any work, an existing FOCUS file or one in a missing folder, a CSV folder that already
    /// holds CSV files (unless `force`), and a CSV folder that takes no new files.
    pub(crate) fn check(&self, force: bool) -> Result<()> {
        if let Some(f) = &self.focus {
            files::refuse_overwrite(f, force)?;
            // A missing folder would only show after the sweep.
            if let Some(parent) = f.parent().filter(|p| !p.as_os_str().is_empty()) {
                if !parent.is_dir() {
                    bail!(
                        "--focus {}: the folder {} does not exist",
                        f.display(),
                        parent.display()
                    );
                }
            }
        }
        if let Some(dir) = &self.csv {
            if dir.exists() && !dir.is_dir() {
                bail!("--csv {} is a file, not a folder", dir.display());
            }
            if !force && dir.is_dir() {
                let mut existing: Vec<String> = std::fs::read_dir(dir)
                    .with_context(|| format!("cannot read the folder {}", dir.display()))?
                    .filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "csv"))
                    .map(|p| p.display().to_string())
                    .collect();
                existing.sort();
                if !existing.is_empty() {
                    bail!(
                        "--csv {} already holds CSV files ({}); pass --force to overwrite, or choose another folder",
                        dir.display(),
                        existing.join(", ")
                    );
                }
            }
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the CSV folder {}", dir.display()))?;
            let probe = dir.join(format!(".infercost-write-check-{}", std::process::id()));
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&probe)
                .with_context(|| format!("cannot write into the CSV folder {}", dir.display()))?;
            let _ = std::fs::remove_file(&probe);
        }
        Ok(())
    }

    /// Writes the exports asked for.
    pub(crate) fn write(&self, r: &PlanResult, force: bool) -> Result<()> {
        if let Some(path) = &self.focus {
            let period = self.focus_period.unwrap_or_else(next_month);
            let f = infercost_report::focus_csv(
                r,
                &FocusOptions {
                    period,
                    all_plans: self.focus_all_plans,
                },
            );
            for s in &f.skipped {
                output::warn(&format!("--focus leaves out {s}"));
            }
            write_file(path, &f.csv, force)?;
            output::note(&format!(
                "wrote {} ({} bills charged to {period})",
                path.display(),
                f.bills
            ));
        }
        if let Some(dir) = &self.csv {
            for (name, text) in infercost_report::csv_tables(r) {
                write_file(&dir.join(name), &text, force)?;
            }
            output::note(&format!(
                "wrote the report's tables as CSV into {}",
                dir.display()
            ));
        }
        Ok(())
    }
}

fn write_file(path: &Path, text: &str, force: bool) -> Result<()> {
    files::refuse_overwrite(path, force)?;
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// The calendar month after today's (UTC): a plan is a forecast for the month ahead.
pub(crate) fn next_month() -> Period {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (y, m) = year_month((secs / 86_400) as i64);
    Period::new(y, m).map(Period::next).unwrap_or_else(|| {
        Period::new(1970, 1)
            .map(Period::next)
            .expect("a valid month")
    })
}

/// The year and month of a day count from 1970-01-01 (Howard Hinnant's civil-from-days).
fn year_month(days: i64) -> (i32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_counts_give_their_calendar_month() {
        assert_eq!(year_month(0), (1970, 1));
        assert_eq!(year_month(31), (1970, 2));
        // 2024-02-29 and 2026-12-31.
        assert_eq!(year_month(19_782), (2024, 2));
        assert_eq!(year_month(20_818), (2026, 12));
        assert_eq!(year_month(20_819), (2027, 1));
    }
}
