//! The latency table: TTFT and TPOT at the busiest hour on the cheapest GPU, beside the SLO.

use crate::prose::times;
use crate::table::Table;
use infercost_core::fmt::ms;
use infercost_plan::analysis::best;
use infercost_plan::result::PlanResult;

/// The latency of the cheapest GPU at every point that meets the SLO.
pub(super) fn latency(r: &PlanResult) -> Table {
    let s = &r.scenario;
    let mut lat = Table::new(
        "latency",
        format!(
            "Latency at the busiest hour on the cheapest GPU (SLO: p{} TTFT ≤ {}, TPOT ≤ {})",
            s.slo.percentile,
            ms(s.slo.ttft_ms),
            ms(s.slo.tpot_ms)
        ),
        &[
            "deployment",
            "volume",
            "context",
            "burst",
            "gpu",
            "TTFT p50",
            "TTFT p99",
            "TPOT p50",
            "TPOT p99",
        ],
    );
    lat.rows = r
        .points
        .iter()
        .filter(|p| {
            p.slo_met
                && best(&r.points, &p.deployment, p.volume, p.context, p.burst)
                    .is_some_and(|b| b.gpu == p.gpu)
        })
        .map(|p| {
            vec![
                p.deployment.clone(),
                times(p.volume),
                times(p.context),
                times(p.burst),
                p.gpu.clone(),
                ms(p.ttft_ms.p50),
                ms(p.ttft_ms.p99),
                ms(p.tpot_ms.p50),
                ms(p.tpot_ms.p99),
            ]
        })
        .collect();
    lat
}
