//! The months-ahead section: each deployment's monthly bill as users and prompts grow, above the table that
//! says when to order capacity.

use super::elements::figure;
use super::Page;
use crate::svg::{Lines, Series, Style, Unit};

/// The months chart and table, when the plan looks months ahead.
pub(super) fn section(page: &Page) -> String {
    let r = page.r;
    if r.months.is_empty() {
        return String::new();
    }
    let mut body = String::from("<h2 id=\"months\">Months ahead</h2>");
    let series: Vec<Series> = r
        .scenario
        .deployments
        .iter()
        .enumerate()
        .map(|(i, d)| Series {
            name: d.name.clone(),
            points: r
                .months
                .iter()
                .filter(|m| m.deployment == d.name)
                .filter_map(|m| m.usd_per_month.map(|c| (m.month as f64, c)))
                .collect(),
            style: Style::nth(i),
        })
        .collect();
    let chart = Lines {
        id: "chart-months",
        title: "Monthly bill as users and prompts grow",
        series: &series,
        log_x: false,
        log_y: false,
        marks: &[],
        x_label: "month",
        x_unit: Unit::Plain,
        y_label: "USD per month",
        y_unit: Unit::Usd,
        fan: None,
    }
    .render();
    body.push_str(&figure(chart, "The bill month by month on the cheapest allowed plan; order capacity by the day shown in the table."));
    body.push_str(&page.titled("months"));
    body
}
