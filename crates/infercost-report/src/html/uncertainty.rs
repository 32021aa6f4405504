//! The error-bar section of `plan --uncertainty`: a fan chart per deployment (p10–p90 of the monthly cost around
//! its median, with the plain plan's cost, along the volume axis) above the table of bands.

use super::elements::figure;
use super::Page;
use crate::headline::headline;
use crate::svg::{Lines, Series, Style, Unit};

/// The fan charts and the table, when the plan drew bands.
pub(super) fn section(page: &Page) -> String {
    let r = page.r;
    let Some(draws) = r
        .points
        .iter()
        .find_map(|p| p.uncertainty.as_ref())
        .map(|u| u.draws)
    else {
        return String::new();
    };
    let mut body = String::from("<h2 id=\"uncertainty\">Cost with error bars</h2>");
    for (di, d) in r.scenario.deployments.iter().enumerate() {
        let rows = headline(r, &d.name, 1.0, 1.0);
        let banded: Vec<(f64, f64, &infercost_plan::result::CostBand)> = rows
            .iter()
            .filter_map(|row| {
                let p = row.point.as_ref()?;
                Some((
                    row.volume,
                    p.cheapest_usd_per_month?,
                    p.uncertainty.as_ref()?,
                ))
            })
            .collect();
        if banded.is_empty() {
            continue;
        }
        let fan: Vec<(f64, f64, f64)> = banded
            .iter()
            .map(|(v, _, b)| (*v, b.p10_usd, b.p90_usd))
            .collect();
        let series = [
            Series {
                name: "median of the draws".into(),
                points: banded.iter().map(|(v, _, b)| (*v, b.p50_usd)).collect(),
                style: Style::nth(0),
            },
            Series {
                name: "plain plan".into(),
                points: banded.iter().map(|(v, c, _)| (*v, *c)).collect(),
                style: Style::nth(1),
            },
        ];
        let chart = Lines {
            id: &format!("chart-uncertainty-{di}"),
            title: &format!("{}: monthly cost with p10–p90 band (log–log)", d.name),
            series: &series,
            log_x: true,
            log_y: true,
            marks: &[],
            x_label: "volume (× pilot)",
            x_unit: Unit::Plain,
            y_label: "USD per month",
            y_unit: Unit::Usd,
            fan: Some(("p10–p90 of the draws", &fan)),
        }
        .render();
        body.push_str(&figure(
            chart,
            &format!(
                "{}: the shaded fan spans the 10th to the 90th percentile of the monthly cost over {draws} draws at each volume (context 1×, burst 1×), around their median; the other line is the plan without error bars.",
                d.name
            ),
        ));
    }
    body.push_str(&page.titled("uncertainty"));
    body
}
