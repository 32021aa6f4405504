//! The tables of the report, in the order the Markdown prints them: one function per table, shared by the
//! terminal, Markdown, CSV and HTML so all say the same.

mod analysis;
mod bill;
mod inputs;
mod latency;
mod plans;
mod uncertainty;

pub use plans::{plan_cost, plans_of};

use crate::headline::headline_table;
use crate::residency::Residency;
use crate::table::Table;
use infercost_plan::result::PlanResult;

/// The tables of the report, each with an id and a title: shared by the terminal, Markdown and HTML so all
/// say the same.
pub fn tables(r: &PlanResult) -> Vec<Table> {
    let s = &r.scenario;
    let res = Residency::of(r);
    let mut t: Vec<Table> = (0..s.deployments.len())
        .map(|di| headline_table(r, di))
        .collect();
    let mut vols = s.volume.clone();
    vols.sort_by(f64::total_cmp);
    if r.shard.is_some() {
        vols.retain(|&v| r.points.iter().any(|p| p.volume == v));
    }
    for di in 0..s.deployments.len() {
        t.push(plans::plans_table(r, &res, di, &vols));
        t.push(bill::bill_table(r, di, &vols));
    }
    t.extend(uncertainty::uncertainty(r));
    // A shard's analysis is empty because merge makes it, not because there is none.
    let whole = r.shard.is_none();
    if whole {
        t.push(analysis::attribution(r));
    }
    t.push(latency::latency(r));
    if whole {
        t.push(analysis::inflections(r));
        t.push(analysis::breakevens(r));
        t.push(analysis::decisions(r));
    }
    if !r.months.is_empty() {
        t.push(analysis::months(r));
    }
    if !r.placement.is_empty() {
        t.push(analysis::placement(r, &res));
    }
    t.push(inputs::prices(r));
    if !r.apis_used.is_empty() {
        t.push(inputs::api_prices(r));
    }
    t.push(inputs::calibration(r));
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::small;
    use crate::markdown::markdown;

    #[test]
    fn a_shard_reports_its_own_points_and_leaves_the_analysis_to_merge() {
        let mut r = small();
        // Shard 1 of 4 holding only the 10× points: the other volumes are in other shards, not without a fleet.
        r.points.retain(|p| p.volume == 10.0);
        r.shard = Some([1, 4]);
        for (name, text) in [("markdown", markdown(&r)), ("html", crate::html::html(&r))] {
            assert!(!text.contains("no fleet"), "{name}: {text}");
            assert!(
                text.contains("This is shard 1/4 of the sweep: it lists only its own 2 points. The analysis (attribution, inflections, break-evens, months ahead, placement) comes with `infercost merge`"),
                "{name}: {text}"
            );
            assert!(!text.contains("Break-evens"), "{name}");
        }
        let headline = &tables(&r)[0];
        assert_eq!(headline.rows.len(), 1);
        assert_eq!(headline.rows[0][0], "10×");
    }
}
