//! The one rule for every file the program writes: nothing is overwritten without `--force`, and the check
//! happens before the work, so a long sweep never ends in "cannot write".

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// The files `infercost_report::write_all` writes into a report folder.
pub(crate) const REPORT_FILES: [&str; 3] = ["report.json", "report.md", "report.html"];

/// Refuses an existing output file unless `force`.
pub(crate) fn refuse_overwrite(path: &Path, force: bool) -> Result<()> {
    if force {
        if path.is_dir() {
            bail!("{} is a directory, not a file", path.display());
        }
        return Ok(());
    }
    if path.exists() {
        bail!(
            "{} already exists; pass --force to overwrite it",
            path.display()
        );
    }
    Ok(())
}

/// Makes sure the report folder exists and takes new files, and that none of the reports is already there
/// (unless `force`). Returns the report paths.
pub(crate) fn prepare_report_dir(dir: &Path, force: bool) -> Result<Vec<PathBuf>> {
    if dir.exists() && !dir.is_dir() {
        bail!("--out {} is a file, not a folder", dir.display());
    }
    let files: Vec<PathBuf> = REPORT_FILES.iter().map(|f| dir.join(f)).collect();
    if !force {
        let existing: Vec<String> = files
            .iter()
            .filter(|f| f.exists())
            .map(|f| f.display().to_string())
            .collect();
        if !existing.is_empty() {
            bail!(
                "{} already exist{}; pass --force to overwrite, or choose another --out",
                existing.join(", "),
                if existing.len() == 1 { "s" } else { "" }
            );
        }
    } else if let Some(d) = files.iter().find(|f| f.is_dir()) {
        bail!("{} is a directory, not a file", d.display());
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the report folder {}", dir.display()))?;
    // A probe file proves the folder takes new files before any work is done.
    let probe = dir.join(format!(".infercost-write-check-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .with_context(|| format!("cannot write into the report folder {}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(files)
}
