//! The latency section: TTFT and TPOT at p50 and p99 on the cheapest GPU at each volume, against the SLO, above
//! the latency table.

use super::elements::figure;
use super::Page;
use crate::prose::times;
use crate::svg::{GroupedBars, Unit};
use infercost_core::fmt::ms;
use infercost_plan::analysis::best;
use infercost_plan::result::Point;

/// A measure of latency: its short name, its long name, its SLO and how to read its p50 and p99 off a point.
type Measure = (&'static str, &'static str, f64, fn(&Point) -> (f64, f64));

/// The TTFT and TPOT charts of every deployment, then the latency table.
pub(super) fn section(page: &Page) -> String {
    let r = page.r;
    let s = &r.scenario;
    let mut body = String::from("<h2 id=\"latency\">Latency against the SLO</h2>");
    for (di, d) in s.deployments.iter().enumerate() {
        let pts: Vec<&Point> = page
            .vols
            .iter()
            .filter_map(|&v| best(&r.points, &d.name, v, 1.0, 1.0))
            .collect();
        let measures: [Measure; 2] = [
            ("ttft", "time to first token", s.slo.ttft_ms, |p| {
                (p.ttft_ms.p50, p.ttft_ms.p99)
            }),
            ("tpot", "time per output token", s.slo.tpot_ms, |p| {
                (p.tpot_ms.p50, p.tpot_ms.p99)
            }),
        ];
        for measure in measures {
            body.push_str(&chart(di, &d.name, &pts, measure));
        }
    }
    body.push_str(&page.titled("latency"));
    body
}

/// One measure's p50 and p99 at each volume, with the SLO as a reference line, and its caption.
fn chart(di: usize, deployment: &str, pts: &[&Point], (what, long, slo, pick): Measure) -> String {
    let cats: Vec<String> = pts
        .iter()
        .map(|p| format!("{} {}", times(p.volume), p.gpu))
        .collect();
    let groups = vec![
        (
            format!("{} p50", what.to_uppercase()),
            pts.iter().map(|p| pick(p).0).collect(),
        ),
        (
            format!("{} p99", what.to_uppercase()),
            pts.iter().map(|p| pick(p).1).collect(),
        ),
    ];
    let chart = GroupedBars {
        id: &format!("chart-{what}-{di}"),
        title: &format!("{deployment}: {long}"),
        categories: &cats,
        groups: &groups,
        x_label: "volume and GPU",
        y_label: "ms",
        unit: Unit::Ms,
        reference: Some((slo, format!("SLO {}", ms(slo)))),
        muted: &[],
    }
    .render();
    figure(
        chart,
        &format!(
            "{deployment}: {} at the busiest hour on the cheapest GPU.",
            what.to_uppercase()
        ),
    )
}
