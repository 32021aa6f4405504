//! The cost section: each deployment's monthly cost against volume, the cheapest allowed plan as a band and the
//! plans worth a line of their own, above the table of every plan.

use super::elements::figure;
use super::Page;
use crate::headline::headline;
use crate::prose::times;
use crate::residency::Residency;
use crate::svg::{Lines, Series, Style, Unit};
use crate::tables::{plan_cost, plans_of};
use infercost_plan::result::{PlanResult, PointBill};

/// The cost charts and plans tables of every deployment.
pub(super) fn section(page: &Page) -> String {
    let mut body = String::from("<h2 id=\"cost\">Cost against volume</h2>");
    for di in 0..page.r.scenario.deployments.len() {
        body.push_str(&deployment(page, di));
        body.push_str(&page.titled(&format!("plans-{di}")));
    }
    body
}

/// A deployment's cost chart with its caption.
fn deployment(page: &Page, di: usize) -> String {
    let (r, res) = (page.r, &page.res);
    let d = &r.scenario.deployments[di];
    let marks: Vec<(f64, String)> = r
        .inflections
        .iter()
        .filter(|i| i.deployment == d.name)
        .map(|i| (i.at_volume, i.kind.name().replace('_', " ")))
        .collect();
    let excluded = plans_of(r, &d.name)
        .iter()
        .filter(|p| !res.lawful(p))
        .count();
    let chart = Lines {
        id: &format!("chart-cost-{di}"),
        title: &format!("{}: monthly cost against volume (log–log)", d.name),
        series: &series(page, &d.name),
        log_x: true,
        log_y: true,
        marks: &marks,
        x_label: "volume (× pilot)",
        x_unit: Unit::Plain,
        y_label: "USD per month",
        y_unit: Unit::Usd,
        fan: None,
    }
    .render();
    let mut caption = format!(
        "{}: the grey band is the cheapest plan the residency rules allow at each volume (context 1×, burst 1×); the lines are the plans that are cheapest somewhere and the cheapest of each other commitment kind at {}. Dashed verticals mark inflections. The table below has every plan.",
        d.name,
        times(page.top())
    );
    if excluded > 0 {
        caption.push_str(&format!(
            " {excluded} plans that cannot serve every user group under the residency rules are left out of the chart."
        ));
    }
    figure(chart, &caption)
}

/// The band of the cheapest allowed plan at each volume, then a line per plan worth one.
fn series(page: &Page, deployment: &str) -> Vec<Series> {
    let r = page.r;
    let envelope: Vec<(f64, f64)> = headline(r, deployment, 1.0, 1.0)
        .iter()
        .filter_map(|row| {
            row.point
                .as_ref()
                .and_then(|p| p.cheapest_usd_per_month)
                .map(|c| (row.volume, c))
        })
        .collect();
    let mut series = vec![Series {
        name: "cheapest allowed plan".into(),
        points: envelope,
        style: Style::band(),
    }];
    let picked = chart_plans(r, &page.res, deployment, &page.vols);
    for (i, pl) in picked.iter().enumerate() {
        let points: Vec<(f64, f64)> = page
            .vols
            .iter()
            .filter_map(|&v| plan_cost(r, deployment, pl, v).map(|(c, _)| (v, c)))
            .collect();
        if !points.is_empty() {
            series.push(Series {
                name: pl.clone(),
                points,
                style: Style::nth(i),
            });
        }
    }
    series
}

/// The plans worth a line of their own on the cost chart, at most four: those that are the cheapest allowed
/// plan at some volume, then the cheapest allowed plan of each other commitment kind at the largest volume.
fn chart_plans(r: &PlanResult, res: &Residency, deployment: &str, vols: &[f64]) -> Vec<String> {
    let mut chosen: Vec<String> = Vec::new();
    let mut kinds: Vec<String> = Vec::new();
    let bill_of = |plan: &str, v: f64| -> Option<(f64, &PointBill)> {
        let (c, p) = plan_cost(r, deployment, plan, v)?;
        p.bills.iter().find(|b| b.bill.plan == plan).map(|b| (c, b))
    };
    for row in headline(r, deployment, 1.0, 1.0) {
        if let Some(plan) = row.point.and_then(|p| p.cheapest_plan) {
            if !chosen.contains(&plan) {
                if let Some((_, b)) = bill_of(&plan, row.volume) {
                    kinds.push(b.bill.commitment.clone());
                }
                chosen.push(plan);
            }
        }
    }
    let top = vols.last().copied().unwrap_or(1.0);
    let mut others: Vec<(f64, String, String)> = plans_of(r, deployment)
        .into_iter()
        .filter(|p| res.lawful(p))
        .filter_map(|p| bill_of(&p, top).map(|(c, b)| (c, b.bill.commitment.clone(), p)))
        .collect();
    others.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.cmp(&b.2)));
    for (_, kind, plan) in others {
        if !kinds.contains(&kind) && !chosen.contains(&plan) {
            kinds.push(kind);
            chosen.push(plan);
        }
    }
    chosen.truncate(4);
    chosen
}
