//! The bill section: how each bill splits into busy and idle GPU time, egress, transfer and API overflow, as
//! shares of the bill, above the table of the bill's lines.

use super::elements::figure;
use super::Page;
use crate::prose::times;
use crate::svg::{StackedBars, Unit};
use infercost_core::fmt::usd;
use infercost_cost::Bill;
use infercost_plan::analysis::best;
use infercost_plan::result::PointBill;

/// The bill's lines, in the order of the chart's layers.
const LINES: [&str; 5] = ["busy GPU", "idle GPU", "egress", "transfer", "API"];

/// The bill charts and tables of every deployment.
pub(super) fn section(page: &Page) -> String {
    let mut body = String::from("<h2 id=\"bill\">The bill broken down</h2>");
    for (di, d) in page.r.scenario.deployments.iter().enumerate() {
        body.push_str(&chart(di, &d.name, bars(page, &d.name)));
        body.push_str(&page.titled(&format!("bill-{di}")));
    }
    body
}

/// A deployment's bars as a chart of shares, with its caption.
fn chart(di: usize, deployment: &str, bars: Vec<(String, [f64; 5])>) -> String {
    let mut layers: Vec<(String, Vec<f64>)> =
        LINES.iter().map(|n| (n.to_string(), Vec::new())).collect();
    let mut cats = Vec::new();
    let mut ends = Vec::new();
    for (label, parts) in bars {
        cats.push(label);
        let total: f64 = parts.iter().sum();
        ends.push(usd(total));
        // Shares of each bill: the bills span three orders of magnitude, and on one dollar scale the
        // small ones, where idle time is most of the bill, would be a pixel wide.
        for (k, v) in parts.into_iter().enumerate() {
            layers[k]
                .1
                .push(if total > 0.0 { v / total * 100.0 } else { 0.0 });
        }
    }
    let chart = StackedBars {
        id: &format!("chart-bill-{di}"),
        title: &format!("{deployment}: monthly bill by line"),
        categories: &cats,
        layers: &layers,
        ends: &ends,
        x_label: "share of the monthly bill",
        unit: Unit::Percent,
        range: Some((0.0, 100.0)),
    }
    .render();
    figure(chart, &format!("{deployment}: how each bill splits into busy and idle GPU time, egress, transfer and API overflow, on the cheapest allowed plan at each volume and the next allowed plans at the largest volume; each bar is one bill, its total written at its end."))
}

/// One bill's amounts, in the order of `LINES`.
fn lines(b: &Bill) -> [f64; 5] {
    let (g, idle) = (b.gpu_usd.dollars(), b.idle_usd.dollars());
    [
        g - idle,
        idle,
        b.egress_usd.dollars(),
        b.transfer_usd.dollars(),
        b.api_usd.dollars(),
    ]
}

/// The bars: the cheapest allowed serving at each volume, then the next allowed plans at the largest volume.
fn bars(page: &Page, deployment: &str) -> Vec<(String, [f64; 5])> {
    let r = page.r;
    let mut entries: Vec<(String, [f64; 5])> = Vec::new();
    for &v in &page.vols {
        let Some(p) = best(&r.points, deployment, v, 1.0, 1.0) else {
            continue;
        };
        // Each bar: one bill's lines, or the sum of a split serving's fleets' bills.
        let fleets: Vec<&Bill> = p.serving.iter().filter_map(|f| f.bill.as_ref()).collect();
        if !fleets.is_empty() && fleets.len() == p.serving.len() {
            let mut sum = [0.0; 5];
            for b in fleets {
                for (k, x) in lines(b).into_iter().enumerate() {
                    sum[k] += x;
                }
            }
            let label = p.cheapest_plan.clone().unwrap_or_default();
            entries.push((format!("{} {label} (cheapest)", times(v)), sum));
        } else if let Some(b) = p
            .bills
            .iter()
            .find(|b| Some(&b.bill.plan) == p.cheapest_plan.as_ref())
        {
            entries.push((
                format!("{} {} (cheapest)", times(v), b.bill.plan),
                lines(&b.bill),
            ));
        }
    }
    let top = page.top();
    if let Some(p) = best(&r.points, deployment, top, 1.0, 1.0) {
        // Only plans that may serve every user group: a forbidden plan is not a next option.
        let mut others: Vec<&PointBill> = p
            .bills
            .iter()
            .filter(|b| b.lawful && Some(&b.bill.plan) != p.cheapest_plan.as_ref())
            .collect();
        others.sort_by_key(|b| b.bill.total_usd_per_month);
        for b in others.into_iter().take(4) {
            entries.push((format!("{} {}", times(top), b.bill.plan), lines(&b.bill)));
        }
    }
    entries
}
