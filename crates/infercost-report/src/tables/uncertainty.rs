//! The cost-band table of `plan --uncertainty`: at each volume of each deployment (context 1×, burst 1×), the
//! cheapest point's plain cost beside its p10, median and p90 over the draws, and the chance its fleet meets the SLO.

use crate::headline::headline;
use crate::prose::times;
use crate::table::Table;
use infercost_core::fmt::usd;
use infercost_plan::result::PlanResult;

/// The table, or `None` when the plan drew no bands.
pub(super) fn uncertainty(r: &PlanResult) -> Option<Table> {
    let draws = r.points.iter().find_map(|p| p.uncertainty.as_ref())?.draws;
    let mut t = Table::new(
        "uncertainty",
        format!("Cost with error bars ({draws} draws per point)"),
        &[
            "deployment",
            "volume",
            "GPU",
            "plan",
            "$/month",
            "p10",
            "p50",
            "p90",
            "SLO met",
        ],
    );
    for d in &r.scenario.deployments {
        for row in headline(r, &d.name, 1.0, 1.0) {
            let Some(p) = row.point else { continue };
            let (Some(plain), Some(b)) = (p.cheapest_usd_per_month, p.uncertainty.as_ref()) else {
                continue;
            };
            t.rows.push(vec![
                d.name.clone(),
                times(row.volume),
                p.gpu.clone(),
                p.cheapest_plan.clone().unwrap_or_default(),
                usd(plain),
                usd(b.p10_usd),
                usd(b.p50_usd),
                usd(b.p90_usd),
                format!("{:.0}%", b.p_slo_met * 100.0),
            ]);
        }
    }
    t.notes.push(
        "Each draw takes a performance-model error from the accuracy scorecard, a price from the catalog's plans of \
         the same GPU and commitment, a growth path one month early or late, and a busiest hour up to 10% off; the \
         sized fleet is re-sized and re-billed, not simulated again (docs/MODEL.md). SLO met: the share of draws in \
         which the fleet as planned still carries the load."
            .into(),
    );
    Some(t)
}
