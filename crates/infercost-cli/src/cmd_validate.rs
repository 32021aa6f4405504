//! `infercost validate`: the accuracy scorecard against the published serving figures built into the binary
//! (`data/validation/published.csv`), as a table or as JSON.

use crate::output;
use anyhow::Result;
use clap::Args;
use infercost_plan::validate::{self, Scorecard, Scored, Stat};

#[derive(Args)]
pub(crate) struct ValidateArgs {
    /// Print rows and summaries as JSON on stdout
    #[arg(long)]
    json: bool,
    /// Worker threads simulating rows side by side, at least 1 (the figures do not depend on it)
    #[arg(long, default_value_t = 1, value_parser = crate::args::threads_arg)]
    threads: usize,
}

pub(crate) fn validate(a: ValidateArgs) -> Result<()> {
    let rows = validate::parse(validate::PUBLISHED_CSV)?;
    let card = validate::scorecard(&rows, a.threads);
    if a.json {
        return output::json(&card);
    }
    for line in table(&card.rows) {
        output::line(&line);
    }
    for line in summary(&card) {
        output::line(&line);
    }
    Ok(())
}

/// A number as published: whole when large, three significant figures when small.
fn figure(x: f64) -> String {
    if x.abs() >= 100.0 {
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
    format!(
        "  {name:<12} {:>3} rows   median |error| {:>5.1}%   p90 {:>5.1}%",
        s.rows,
        s.median_abs_error * 100.0,
        s.p90_abs_error * 100.0
    )
}

/// The summary: errors overall, per engine and per GPU, and the rows not modelled by reason.
fn summary(card: &Scorecard) -> Vec<String> {
    let s = &card.summary;
    let mut out = vec![
        String::new(),
        format!(
            "{} rows: {} modelled, {} not modelled",
            s.modelled + s.not_modelled,
            s.modelled,
            s.not_modelled
        ),
        stat_line("overall", &s.overall),
        "by engine:".into(),
    ];
    out.extend(s.by_engine.iter().map(|(k, v)| stat_line(k, v)));
    out.push("by GPU:".into());
    out.extend(s.by_gpu.iter().map(|(k, v)| stat_line(k, v)));
    out.push("not modelled:".into());
    let mut reasons: Vec<_> = s.reasons.iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    out.extend(reasons.iter().map(|(k, n)| format!("  {n:>3}  {k}")));
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
            .filter(|r| r.id == "v001" || r.id == "v033")
            .collect();
        let card = validate::scorecard(&few, 1);
        let lines = table(&card.rows);
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("id") && lines[0].ends_with("error"));
        assert!(lines[1].starts_with("v001") && lines[1].ends_with("fp4 weights"));
        assert!(lines[2].starts_with("v033") && lines[2].ends_with('%'));
        assert!(lines[2].contains("3,378"), "{}", lines[2]);
        let s = summary(&card);
        assert!(s.contains(&"2 rows: 1 modelled, 1 not modelled".to_string()));
        assert!(s.iter().any(|l| l.ends_with("1  fp4 weights")), "{s:?}");
        assert_eq!(figure(18.58), "18.58");
        assert_eq!(figure(9104.61), "9,105");
    }
}
