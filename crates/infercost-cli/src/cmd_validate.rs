//! `infercost validate`: the accuracy scorecard against the published serving figures built into the binary
//! (`data/validation/published.csv`), or against a reference file of the user's own in the same layout, as a
//! table or as JSON.

use crate::output;
use anyhow::{Context, Result};
use clap::Args;
use infercost_plan::validate::{self, Scorecard, Scored, Stat};
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct ValidateArgs {
    /// Print rows and summaries as JSON on stdout
    #[arg(long)]
    json: bool,
    /// Print the summary, the modelled rows and the rows not modelled as Markdown tables (docs/ACCURACY.md)
    #[arg(long, conflicts_with = "json")]
    markdown: bool,
    /// Print the modelled rows' signed errors as data/validation/errors.csv, which `plan --uncertainty` draws from
    #[arg(long, conflicts_with_all = ["json", "markdown"])]
    errors: bool,
    /// Worker threads simulating rows side by side, at least 1 (the figures do not depend on it)
    #[arg(long, default_value_t = 1, value_parser = crate::args::threads_arg)]
    threads: usize,
    /// Score your own measured or published figures instead of the built-in set: a CSV with the columns of
    /// data/validation/published.csv that data/validation/README.md lists as required
    #[arg(long, value_name = "FILE")]
    reference: Option<PathBuf>,
}

pub(crate) fn validate(a: ValidateArgs) -> Result<()> {
    let source = a
        .reference
        .as_ref()
        .map_or("data/validation/published.csv".into(), |f| {
            f.display().to_string()
        });
    let rows = match &a.reference {
        None => validate::parse(validate::PUBLISHED_CSV)?,
        Some(f) => {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("cannot read {}", f.display()))?;
            let rows =
                validate::parse(&text).with_context(|| format!("cannot score {}", f.display()))?;
            anyhow::ensure!(!rows.is_empty(), "{} has no rows to score", f.display());
            rows
        }
    };
    let card = validate::scorecard(&rows, a.threads);
    if a.json {
        return output::json(&card);
    }
    if a.errors {
        output::raw(&validate::errors::errors_csv(&card, &source));
        return Ok(());
    }
    if a.markdown {
        output::raw(&markdown(&card));
        return Ok(());
    }
    for line in table(&card.rows) {
        output::line(&line);
    }
    for line in summary(&card) {
        output::line(&line);
    }
    Ok(())
}

/// A number as published: whole when large, three significant figures when small, in scientific notation
/// past what a whole number prints exactly.
fn figure(x: f64) -> String {
    if x.abs() >= 1e15 {
        format!("{x:.3e}")
    } else if x.abs() >= 100.0 {
        infercost_core::fmt::int(x)
    } else {
        format!("{x:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

/// The rows as aligned text: modelled rows with their error, the others with their reason.
fn table(rows: &[Scored]) -> Vec<String> {
    let header = [
        "id",
        "engine",
        "GPU",
        "model",
        "layout",
        "precision",
        "ISL/OSL",
        "load",
        "metric",
        "published",
        "predicted",
        "error",
    ];
    let mut cells: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for r in rows {
        let (predicted, error) = match (r.predicted, r.error) {
            (Some(p), Some(e)) => (figure(p), format!("{:+.1}%", e * 100.0)),
            _ => ("-".into(), r.reason.clone().unwrap_or_default()),
        };
        cells.push(vec![
            r.id.clone(),
            r.engine.clone(),
            r.gpu.clone(),
            r.model.clone(),
            r.layout.clone(),
            r.precision.clone(),
            r.isl_osl.clone(),
            r.load.clone(),
            r.metric.clone(),
            figure(r.published),
            predicted,
            error,
        ]);
    }
    let last = header.len() - 1;
    let widths: Vec<usize> = (0..last)
        .map(|c| {
            cells
                .iter()
                .map(|row| row[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    cells
        .iter()
        .map(|row| {
            let mut s = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c < last {
                    s += &format!("{cell:<w$}  ", w = widths[c]);
                } else {
                    s += cell;
                }
            }
            s.trim_end().to_string()
        })
        .collect()
}

/// One summary line.
fn stat_line(name: &str, s: &Stat) -> String {
    match (s.median_abs_error, s.p90_abs_error, s.max_abs_error) {
        (Some(median), Some(p90), Some(max)) => format!(
            "  {name:<12} {:>3} {}   median |error| {:>5.1}%   p90 {:>5.1}%   max {:>5.1}%",
            s.rows,
            rows(s.rows),
            median * 100.0,
            p90 * 100.0,
            max * 100.0
        ),
        _ => format!(
            "  {name:<12} {:>3} {}   no error to state",
            s.rows,
            rows(s.rows)
        ),
    }
}

/// "row" or "rows".
fn rows(n: usize) -> &'static str {
    if n == 1 {
        "row "
    } else {
        "rows"
    }
}

/// The summary: errors overall, per engine and per GPU, and the rows not modelled by reason.
fn summary(card: &Scorecard) -> Vec<String> {
    let s = &card.summary;
    let mut out = vec![
        String::new(),
        format!(
            "{} {}: {} modelled, {} not modelled",
            s.modelled + s.not_modelled,
            rows(s.modelled + s.not_modelled).trim_end(),
            s.modelled,
            s.not_modelled
        ),
        stat_line("overall", &s.overall),
        "by engine:".into(),
    ];
    out.extend(s.by_engine.iter().map(|(k, v)| stat_line(k, v)));
    out.push("by GPU:".into());
    out.extend(s.by_gpu.iter().map(|(k, v)| stat_line(k, v)));
    out.push("by engine release (as the sources state it):".into());
    out.extend(s.by_release.iter().map(|(k, v)| stat_line(k, v)));
    out.push("by metric:".into());
    out.extend(s.by_metric.iter().map(|(k, v)| stat_line(k, v)));
    if !s.reasons.is_empty() {
        out.push("not modelled:".into());
    }
    let mut reasons: Vec<_> = s.reasons.iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    out.extend(reasons.iter().map(|(k, n)| format!("  {n:>3}  {k}")));
    out
}

/// The scorecard as Markdown: the summary, the modelled rows, and the rows not modelled grouped by reason.
fn markdown(card: &Scorecard) -> String {
    let pct = |x: Option<f64>| x.map_or("-".into(), |x| format!("{:.1}%", x * 100.0));
    let s = &card.summary;
    let mut out = String::from(
        "| scope | rows | median \\|error\\| | p90 \\|error\\| | max \\|error\\| |\n|---|---|---|---|---|\n",
    );
    let o = &s.overall;
    out += &format!(
        "| **overall** | {} | **{}** | {} | {} |\n",
        o.rows,
        pct(o.median_abs_error),
        pct(o.p90_abs_error),
        pct(o.max_abs_error)
    );
    let groups = s.by_engine.iter().map(|(k, v)| ("engine", k, v));
    let groups = groups.chain(s.by_gpu.iter().map(|(k, v)| ("GPU", k, v)));
    let groups = groups.chain(s.by_release.iter().map(|(k, v)| ("release", k, v)));
    for (kind, k, v) in groups.chain(s.by_metric.iter().map(|(k, v)| ("metric", k, v))) {
        out += &format!(
            "| {kind} {k} | {} | {} | {} | {} |\n",
            v.rows,
            pct(v.median_abs_error),
            pct(v.p90_abs_error),
            pct(v.max_abs_error)
        );
    }
    out += "\n| id | engine | GPU | model | layout | precision | ISL/OSL | load | metric | published | predicted | error |\n";
    out += "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for r in &card.rows {
        if let (Some(p), Some(e)) = (r.predicted, r.error) {
            out += &format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:+.1}% |\n",
                r.id,
                r.engine,
                r.gpu,
                r.model,
                r.layout,
                r.precision.replace('*', "\\*"),
                r.isl_osl,
                r.load,
                r.metric,
                figure(r.published),
                figure(p),
                e * 100.0
            );
        }
    }
    let mut by_reason: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for r in card.rows.iter().filter(|r| r.predicted.is_none()) {
        let reason = r.reason.as_deref().unwrap_or("unknown");
        let label = reason.split(": ").next().unwrap_or(reason);
        by_reason.entry(label).or_default().push(&r.id);
    }
    let mut reasons: Vec<_> = by_reason.into_iter().collect();
    reasons.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    out += "\n| not modelled because | rows | ids |\n|---|---|---|\n";
    for (label, ids) in reasons {
        out += &format!("| {label} | {} | {} |\n", ids.len(), ids.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_errors_for_modelled_rows_and_reasons_for_the_rest() {
        let rows = validate::parse(validate::PUBLISHED_CSV).unwrap();
        let few: Vec<_> = rows
            .into_iter()
            .filter(|r| r.id == "v008" || r.id == "v033")
            .collect();
        let card = validate::scorecard(&few, 1);
        let lines = table(&card.rows);
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("id") && lines[0].ends_with("error"));
        assert!(lines[1].starts_with("v008") && lines[1].contains("GPU not in the catalog"));
        assert!(lines[2].starts_with("v033") && lines[2].ends_with('%'));
        assert!(lines[2].contains("3,378"), "{}", lines[2]);
        let s = summary(&card);
        assert!(s.contains(&"2 rows: 1 modelled, 1 not modelled".to_string()));
        assert!(
            s.iter().any(|l| l.ends_with("1  GPU not in the catalog")),
            "{s:?}"
        );
        let md = markdown(&card);
        assert!(md.contains("| **overall** | 1 |"), "{md}");
        // v033 is TensorRT-LLM 0.17 (the source's 'v0.17 docs'), a throughput.
        assert!(md.contains("| release trtllm 0.17 | 1 |"), "{md}");
        assert!(md.contains("| metric throughput | 1 |"), "{md}");
        assert!(md.contains("| GPU not in the catalog | 1 | v008 |"), "{md}");
        assert!(
            md.contains("| v033 | trtllm | h100-sxm | llama-3.1-70b |"),
            "{md}"
        );
        // The JSON carries the fields the scorecard promises.
        let v = serde_json::to_value(&card).unwrap();
        for key in [
            "id",
            "engine",
            "gpu",
            "model",
            "metric",
            "published",
            "predicted",
            "error",
            "status",
            "reason",
        ] {
            assert!(v["rows"][0].get(key).is_some(), "rows lack {key}");
        }
        assert_eq!(v["rows"][0]["status"], "not_modelled");
        assert_eq!(v["rows"][1]["status"], "modelled");
        assert_eq!(v["rows"][1]["engine_release"], "0.17");
        for key in ["rows", "median_abs_error", "p90_abs_error", "max_abs_error"] {
            assert!(
                v["summary"]["overall"].get(key).is_some(),
                "overall lacks {key}"
            );
        }
        assert!(v["summary"]["by_engine"]["trtllm"].is_object());
        assert!(v["summary"]["by_gpu"]["h100-sxm"].is_object());
        assert!(v["summary"]["by_release"]["trtllm 0.17"].is_object());
        assert!(v["summary"]["by_metric"]["throughput"].is_object());
        assert_eq!(figure(18.58), "18.58");
        assert_eq!(figure(9104.61), "9,105");
    }
}
