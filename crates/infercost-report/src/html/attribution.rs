//! The growth section: each target's monthly cost growth split into the Shapley parts of volume, context and
//! burst, as shares of the growth, above the attribution table.

use super::elements::figure;
use super::Page;
use crate::prose::{compounding, times};
use crate::svg::{StackedBars, Unit};
use infercost_core::fmt::usd;
use infercost_plan::result::{Attribution, PlanResult};

/// The attribution chart, when there is an attribution, and its table.
pub(super) fn section(page: &Page) -> String {
    let r = page.r;
    let mut body = String::from("<h2 id=\"attribution\">What drives the growth</h2>");
    if !r.attribution.is_empty() {
        body.push_str(&figure(chart(r), &caption(r)));
    }
    body.push_str(&page.titled("attribution"));
    body
}

/// A bar per target, its parts as shares of its growth, the growth written at its end.
fn chart(r: &PlanResult) -> String {
    let cats: Vec<String> = r
        .attribution
        .iter()
        .map(|a| format!("{} → {}", a.deployment, times(a.volume)))
        .collect();
    let share = |f: fn(&Attribution) -> f64| -> Vec<f64> {
        r.attribution
            .iter()
            .map(|a| {
                if a.total_growth_usd > 0.0 {
                    f(a) / a.total_growth_usd * 100.0
                } else {
                    0.0
                }
            })
            .collect()
    };
    let layers = vec![
        ("volume".to_string(), share(|a| a.volume_usd)),
        ("context".to_string(), share(|a| a.context_usd)),
        ("burst".to_string(), share(|a| a.concurrency_usd)),
    ];
    let ends: Vec<String> = r
        .attribution
        .iter()
        .map(|a| {
            if a.total_growth_usd > 0.0 {
                format!(
                    "+{}, {:.0}% compounding",
                    usd(a.total_growth_usd),
                    a.interaction_usd / a.total_growth_usd * 100.0
                )
            } else {
                format!("{} growth", usd(a.total_growth_usd))
            }
        })
        .collect();
    StackedBars {
        id: "chart-attribution",
        title: "Shares of the monthly cost growth from the pilot",
        categories: &cats,
        layers: &layers,
        ends: &ends,
        x_label: "share of the growth",
        unit: Unit::Percent,
        range: Some((0.0, 100.0)),
    }
    .render()
}

/// What the bars are, with the largest growth's compounding as the example.
fn caption(r: &PlanResult) -> String {
    let mut cb: Vec<String> = r
        .attribution
        .iter()
        .map(|a| format!("{} context and {} burst", times(a.context), times(a.burst)))
        .collect();
    cb.dedup();
    let example = r
        .attribution
        .iter()
        .max_by(|a, b| a.total_growth_usd.total_cmp(&b.total_growth_usd))
        .map(|a| {
            format!(
                " For {} at {}, {}.",
                a.deployment,
                times(a.volume),
                compounding(a)
            )
        })
        .unwrap_or_default();
    format!(
        "Each bar is one target ({}) split into the Shapley parts of volume, context and burst (concurrency), which add up to the whole growth written at its end; each deployment's bars share one 0–100% scale, so a small model's growth reads as well as a large one's. Compounding is the part of the growth that needs more than one variable to grow at once; it is already shared into the three parts, not a part of its own.{example}",
        if cb.len() == 1 { cb[0].clone() } else { "at the context and burst in the table".into() }
    )
}
