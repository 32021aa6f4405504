//! Which slice of a sweep `plan --shard` runs (`I/N`, or `auto` from a cluster's job-array variables), and which
//! files `merge` reads (shard files, or every shard in a folder).

use anyhow::{anyhow, bail, Context, Result};
use infercost_plan::result::PlanResult;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The environment variables `--shard auto` reads, in the order its errors name them.
pub(crate) const AUTO_VARS: [&str; 5] = [
    "JOB_COMPLETION_INDEX",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_MIN",
    "INFERCOST_SHARDS",
    "SLURM_ARRAY_TASK_COUNT",
];

/// Parses `--shard`: `I/N` with 0 ≤ I < N, or `auto`, which reads the process's job-array variables.
pub(crate) fn parse_shard(s: &str) -> Result<(u32, u32)> {
    if s == "auto" {
        let vars = AUTO_VARS
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
            .collect();
        return shard_from_env(&vars).map_err(|e| anyhow!("--shard auto: {e}"));
    }
    let (i, n) = s
        .split_once('/')
        .with_context(|| format!("--shard {s:?}: expected I/N, e.g. 0/4, or auto"))?;
    let (i, n) = (i.parse::<u32>().ok(), n.parse::<u32>().ok());
    match (i, n) {
        (Some(i), Some(n)) if n > 0 && i < n => Ok((i, n)),
        _ => bail!("--shard {s:?}: expected I/N with 0 ≤ I < N"),
    }
}

/// The shard `I/N` a job-array task runs, from its environment variables (`vars`, by name).
///
/// The index is `JOB_COMPLETION_INDEX` (a Kubernetes indexed Job) or `SLURM_ARRAY_TASK_ID` less
/// `SLURM_ARRAY_TASK_MIN` (a Slurm array, so `--array=1-4` works as well as `0-3`); the count is `INFERCOST_SHARDS`
/// or `SLURM_ARRAY_TASK_COUNT`. Where both of a pair are set they must agree: a task that guessed its slice would
/// give a merge with points missing or twice.
pub(crate) fn shard_from_env(vars: &BTreeMap<String, String>) -> Result<(u32, u32)> {
    let num = |k: &str| -> Result<Option<u32>> {
        vars.get(k)
            .map(|v| {
                v.trim()
                    .parse::<u32>()
                    .ok()
                    .with_context(|| format!("{k}={v:?} is not a whole number"))
            })
            .transpose()
    };
    let k8s = num("JOB_COMPLETION_INDEX")?;
    let slurm = match (num("SLURM_ARRAY_TASK_ID")?, num("SLURM_ARRAY_TASK_MIN")?) {
        (Some(id), Some(min)) if id >= min => Some(id - min),
        (Some(id), Some(min)) => {
            bail!("SLURM_ARRAY_TASK_ID={id} is below SLURM_ARRAY_TASK_MIN={min}")
        }
        (Some(_), None) => bail!("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_MIN is not"),
        (None, _) => None,
    };
    let index = match (k8s, slurm) {
        (Some(a), Some(b)) if a != b => bail!(
            "JOB_COMPLETION_INDEX={a} but SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN = {b}: which one is this task?"
        ),
        (Some(i), _) | (None, Some(i)) => i,
        (None, None) => bail!(
            "no job index: set JOB_COMPLETION_INDEX (a Kubernetes indexed Job) or SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_MIN (a Slurm array), or give --shard I/N"
        ),
    };
    let count = match (num("INFERCOST_SHARDS")?, num("SLURM_ARRAY_TASK_COUNT")?) {
        (Some(a), Some(b)) if a != b => {
            bail!("INFERCOST_SHARDS={a} but SLURM_ARRAY_TASK_COUNT={b}: which is the number of shards?")
        }
        (Some(n), _) | (None, Some(n)) => n,
        (None, None) => bail!(
            "no shard count: set INFERCOST_SHARDS (a Kubernetes Job's completions) or run in a Slurm array (SLURM_ARRAY_TASK_COUNT)"
        ),
    };
    if count == 0 {
        bail!("the shard count is 0 (INFERCOST_SHARDS or SLURM_ARRAY_TASK_COUNT)");
    }
    if index >= count {
        if k8s.is_some() {
            bail!("JOB_COMPLETION_INDEX={index} is not below the shard count {count}: set INFERCOST_SHARDS to the Job's completions");
        }
        bail!(
            "SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN = {index} is not below the shard count {count}: the array must be one range with no step, e.g. --array=0-{}",
            count - 1
        );
    }
    Ok((index, count))
}

/// The results `merge` reads, each with the file it came from: every file named, and in every folder named, each
/// `*.json` that is a plan result with a `shard` field, in name order (so the first file, which errors name as
/// the reference, does not depend on the file system's order). Others in a folder are skipped, which lets a merge
/// write its result beside the shards; a folder without one shard is an error.
pub(crate) fn shard_results(paths: &[PathBuf]) -> Result<Vec<(PathBuf, PlanResult)>> {
    let mut out = Vec::new();
    for p in paths {
        if !p.is_dir() {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            let r = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a plan result", p.display()))?;
            out.push((p.clone(), r));
            continue;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(p)
            .with_context(|| format!("cannot read the folder {}", p.display()))?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<_>>()
            .with_context(|| format!("cannot read the folder {}", p.display()))?;
        files.retain(|f| f.extension().is_some_and(|e| e == "json") && f.is_file());
        files.sort();
        let before = out.len();
        for f in files {
            if let Some(r) = read_shard(&f) {
                out.push((f, r));
            }
        }
        if out.len() == before {
            bail!(
                "{}: no shard results in this folder (*.json from `plan --shard I/N --json`)",
                p.display()
            );
        }
    }
    Ok(out)
}

/// A file in a merged folder, when it is a shard; anything else there is not this merge's business.
fn read_shard(f: &Path) -> Option<PlanResult> {
    let text = std::fs::read_to_string(f).ok()?;
    let r: PlanResult = serde_json::from_str(&text).ok()?;
    r.shard.is_some().then_some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Result<(u32, u32), String> {
        let vars = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        shard_from_env(&vars).map_err(|e| e.to_string())
    }

    #[test]
    fn kubernetes_indexed_job() {
        let k8s = |i, n| env(&[("JOB_COMPLETION_INDEX", i), ("INFERCOST_SHARDS", n)]);
        assert_eq!(k8s("0", "4"), Ok((0, 4)));
        assert_eq!(k8s("3", "4"), Ok((3, 4)));
        assert_eq!(k8s(" 2\n", "4"), Ok((2, 4)));
        assert_eq!(
            k8s("4", "4"),
            Err("JOB_COMPLETION_INDEX=4 is not below the shard count 4: set INFERCOST_SHARDS to the Job's completions".into())
        );
        assert_eq!(
            k8s("0", "0"),
            Err("the shard count is 0 (INFERCOST_SHARDS or SLURM_ARRAY_TASK_COUNT)".into())
        );
        assert_eq!(
            env(&[("JOB_COMPLETION_INDEX", "1")]),
            Err("no shard count: set INFERCOST_SHARDS (a Kubernetes Job's completions) or run in a Slurm array (SLURM_ARRAY_TASK_COUNT)".into())
        );
    }

    #[test]
    fn slurm_array() {
        let slurm = |id, min, n| {
            env(&[
                ("SLURM_ARRAY_TASK_ID", id),
                ("SLURM_ARRAY_TASK_MIN", min),
                ("SLURM_ARRAY_TASK_COUNT", n),
            ])
        };
        assert_eq!(slurm("0", "0", "2"), Ok((0, 2)));
        assert_eq!(slurm("1", "0", "2"), Ok((1, 2)));
        // --array=1-4 numbers its tasks from 1.
        assert_eq!(slurm("1", "1", "4"), Ok((0, 4)));
        assert_eq!(slurm("4", "1", "4"), Ok((3, 4)));
        // --array=0-6:2 has 4 tasks numbered 0, 2, 4, 6: not one shard each.
        assert_eq!(
            slurm("6", "0", "4"),
            Err("SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN = 6 is not below the shard count 4: the array must be one range with no step, e.g. --array=0-3".into())
        );
        assert_eq!(
            slurm("0", "1", "4"),
            Err("SLURM_ARRAY_TASK_ID=0 is below SLURM_ARRAY_TASK_MIN=1".into())
        );
        assert_eq!(
            env(&[
                ("SLURM_ARRAY_TASK_ID", "0"),
                ("SLURM_ARRAY_TASK_COUNT", "2")
            ]),
            Err("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_MIN is not".into())
        );
        // INFERCOST_SHARDS may stand in for the count, and must agree with Slurm's when both are set.
        assert_eq!(
            env(&[
                ("SLURM_ARRAY_TASK_ID", "1"),
                ("SLURM_ARRAY_TASK_MIN", "0"),
                ("INFERCOST_SHARDS", "2"),
            ]),
            Ok((1, 2))
        );
        assert_eq!(
            env(&[
                ("SLURM_ARRAY_TASK_ID", "1"),
                ("SLURM_ARRAY_TASK_MIN", "0"),
                ("SLURM_ARRAY_TASK_COUNT", "2"),
                ("INFERCOST_SHARDS", "2"),
            ]),
            Ok((1, 2))
        );
        assert_eq!(
            env(&[
                ("SLURM_ARRAY_TASK_ID", "1"),
                ("SLURM_ARRAY_TASK_MIN", "0"),
                ("SLURM_ARRAY_TASK_COUNT", "2"),
                ("INFERCOST_SHARDS", "3"),
            ]),
            Err(
                "INFERCOST_SHARDS=3 but SLURM_ARRAY_TASK_COUNT=2: which is the number of shards?"
                    .into()
            )
        );
    }

    #[test]
    fn neither_or_both_or_garbage() {
        assert_eq!(
            env(&[]),
            Err("no job index: set JOB_COMPLETION_INDEX (a Kubernetes indexed Job) or SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_MIN (a Slurm array), or give --shard I/N".into())
        );
        // A count alone does not say which slice this is.
        assert!(env(&[("INFERCOST_SHARDS", "4")])
            .unwrap_err()
            .starts_with("no job index"));
        let both = |k8s| {
            env(&[
                ("JOB_COMPLETION_INDEX", k8s),
                ("SLURM_ARRAY_TASK_ID", "5"),
                ("SLURM_ARRAY_TASK_MIN", "4"),
                ("SLURM_ARRAY_TASK_COUNT", "2"),
            ])
        };
        assert_eq!(both("1"), Ok((1, 2)));
        assert_eq!(
            both("0"),
            Err("JOB_COMPLETION_INDEX=0 but SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN = 1: which one is this task?".into())
        );
        for (k, v) in [
            ("JOB_COMPLETION_INDEX", "-1"),
            ("JOB_COMPLETION_INDEX", ""),
            ("SLURM_ARRAY_TASK_ID", "x"),
            ("SLURM_ARRAY_TASK_MIN", "1.5"),
            ("INFERCOST_SHARDS", "four"),
            ("SLURM_ARRAY_TASK_COUNT", "2/2"),
        ] {
            let mut vars = vec![
                ("JOB_COMPLETION_INDEX", "0"),
                ("SLURM_ARRAY_TASK_ID", "0"),
                ("SLURM_ARRAY_TASK_MIN", "0"),
                ("INFERCOST_SHARDS", "2"),
                ("SLURM_ARRAY_TASK_COUNT", "2"),
            ];
            vars.retain(|(name, _)| *name != k);
            vars.push((k, v));
            assert_eq!(
                env(&vars),
                Err(format!("{k}={v:?} is not a whole number")),
                "{k}"
            );
        }
    }

    #[test]
    fn explicit_shards() {
        assert_eq!(parse_shard("1/4").unwrap(), (1, 4));
        for bad in ["4/4", "0/0", "1", "a/b", "-1/2"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }
}
