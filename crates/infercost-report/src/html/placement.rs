//! The placement section: the first deployment's placement options by volume, options the rules forbid drawn
//! faint, above the table that says why.

use super::elements::figure;
use super::Page;
use crate::prose::times;
use crate::svg::{GroupedBars, Unit};
use infercost_plan::result::Placement;

/// The placement chart and table, when the plan places user groups on regions.
pub(super) fn section(page: &Page) -> String {
    let r = page.r;
    if r.placement.is_empty() {
        return String::new();
    }
    let mut body = String::from("<h2 id=\"placement\">Placement by region</h2>");
    let d0 = &r.scenario.deployments[0].name;
    let mine: Vec<&Placement> = r.placement.iter().filter(|p| &p.deployment == d0).collect();
    let cats: Vec<String> = mine.iter().map(|p| times(p.volume)).collect();
    let (groups, muted) = option_groups(&mine);
    let chart = GroupedBars {
        id: "chart-placement",
        title: &format!("{d0}: placement options"),
        categories: &cats,
        groups: &groups,
        x_label: "volume (× pilot)",
        y_label: "USD per month",
        unit: Unit::Usd,
        reference: None,
        muted: &muted,
    }
    .render();
    body.push_str(&figure(chart, "Monthly cost of each placement of user groups on serving regions; faint options are not allowed (they break the residency rules or the SLO) and are shown for comparison only; the table says why."));
    body.push_str(&page.titled("placement"));
    body
}

/// A group of bars per option, named by whether the rules allow it, with its cost at each volume; and the
/// options never allowed, to draw faint.
fn option_groups(mine: &[&Placement]) -> (Vec<(String, Vec<f64>)>, Vec<usize>) {
    let mut names: Vec<String> = mine
        .iter()
        .flat_map(|p| p.options.iter().map(|o| o.name.clone()))
        .collect();
    names.sort();
    names.dedup();
    let mut muted = Vec::new();
    let groups = names
        .iter()
        .enumerate()
        .map(|(gi, n)| {
            let opts: Vec<_> = mine
                .iter()
                .filter_map(|p| p.options.iter().find(|o| &o.name == n))
                .collect();
            let label = if opts.iter().all(|o| !o.allowed) {
                muted.push(gi);
                format!("{n} (not allowed)")
            } else if opts.iter().any(|o| !o.allowed) {
                format!("{n} (not always allowed)")
            } else {
                n.clone()
            };
            (
                label,
                mine.iter()
                    .map(|p| {
                        p.options
                            .iter()
                            .find(|o| &o.name == n)
                            .map_or(0.0, |o| o.usd_per_month)
                    })
                    .collect(),
            )
        })
        .collect();
    (groups, muted)
}
