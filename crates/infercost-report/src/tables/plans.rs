//! The plans table: every plan's monthly cost for a deployment at each volume, allowed plans first, and the
//! look-ups of a plan's cost that the HTML charts share.

use crate::prose::times;
use crate::residency::Residency;
use crate::table::Table;
use infercost_core::fmt::usd;
use infercost_plan::result::{PlanResult, Point};

/// The table of every plan's monthly cost for a deployment: allowed plans first, cheapest at the largest volume
/// first; plans the residency rules forbid after them, struck through, with the reason.
pub(super) fn plans_table(r: &PlanResult, res: &Residency, di: usize, vols: &[f64]) -> Table {
    let d = &r.scenario.deployments[di];
    let top = vols.last().copied().unwrap_or(1.0);
    let mut plans = plans_of(r, &d.name);
    let key = |p: &String| {
        (
            !res.lawful(p),
            plan_cost(r, &d.name, p, top).map_or(f64::MAX, |c| c.0),
        )
    };
    plans.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(a.cmp(b))
    });
    let any_unlawful = plans.iter().any(|p| !res.lawful(p));
    let mut header: Vec<String> = std::iter::once("plan".to_string())
        .chain(vols.iter().map(|v| times(*v)))
        .collect();
    if any_unlawful {
        header.push("residency".into());
    }
    let mut t = Table {
        id: format!("plans-{di}"),
        title: format!(
            "{}: monthly cost on every plan, cheapest allowed plan at {} first (context 1×, burst 1×)",
            d.name,
            times(top)
        ),
        header,
        ..Table::default()
    };
    for (i, plan) in plans.iter().enumerate() {
        let mut row: Vec<String> = std::iter::once(plan.clone())
            .chain(
                vols.iter()
                    .map(|&v| plan_cost(r, &d.name, plan, v).map_or("-".into(), |(c, _)| usd(c))),
            )
            .collect();
        if any_unlawful {
            match res.breach(plan) {
                Some(why) => {
                    row.push(why);
                    t.excluded.push(i);
                }
                None => row.push("allowed".into()),
            }
        }
        t.rows.push(row);
    }
    if r.scenario.geography.is_some() {
        t.notes.push("Each row prices the whole traffic on one plan; the headline can be cheaper than every row when user groups are served apart (see Placement by region and the bill broken down).".into());
    }
    if any_unlawful {
        t.notes.push("Struck-through plans cannot serve every user group under the residency rules on their own, so they are not options, however cheap; one may still serve the groups it is allowed to in a split placement (see Placement by region).".into());
    }
    t
}

/// Every plan billed for a deployment, sorted.
pub fn plans_of(r: &PlanResult, deployment: &str) -> Vec<String> {
    let mut plans: Vec<String> = r
        .points
        .iter()
        .filter(|p| p.deployment == deployment)
        .flat_map(|p| p.bills.iter().map(|b| b.bill.plan.clone()))
        .collect();
    plans.sort();
    plans.dedup();
    plans
}

/// The monthly cost of a plan at a volume for a deployment (pilot context and burst), and the point.
pub fn plan_cost<'a>(
    r: &'a PlanResult,
    deployment: &str,
    plan: &str,
    v: f64,
) -> Option<(f64, &'a Point)> {
    r.points
        .iter()
        .filter(|p| {
            p.deployment == deployment
                && (p.volume - v).abs() < 1e-9
                && p.context == 1.0
                && p.burst == 1.0
        })
        .filter_map(|p| {
            p.bills
                .iter()
                .find(|b| b.bill.plan == plan)
                .map(|b| (b.bill.total_usd_per_month.dollars(), p))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
}

#[cfg(test)]
mod tests {
    use crate::fixture::small;
    use crate::html::html;
    use crate::tables::tables;

    #[test]
    fn plans_the_residency_rules_forbid_are_marked_and_never_offered() {
        let r = small();
        let all = tables(&r);
        let t = all.iter().find(|t| t.id == "plans-0").unwrap();
        let names: Vec<&str> = t.rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(
            names,
            [
                "baremetal-h100-eu",
                "aws-h100-on-demand-eu",
                "vast-h100-marketplace",
                "baremetal-h100-typical"
            ],
            "allowed plans first, however cheap the others are"
        );
        assert_eq!(t.excluded, [2, 3]);
        assert_eq!(
            t.rows[2].last().unwrap(),
            "not allowed: EU users must be served in the EU; this plan is in the US"
        );
        assert_eq!(
            t.rows[3].last().unwrap(),
            "not allowed: EU users must be served in the EU; this plan is in the US"
        );
        assert_eq!(t.rows[0].last().unwrap(), "allowed");
        assert!(t
            .markdown()
            .contains("| ~~vast-h100-marketplace~~ | ~~$1,314~~ |"));

        let page = html(&r);
        assert!(page.contains("<tr class=\"excluded\"><td>vast-h100-marketplace</td>"));
        // Neither the cost chart nor the bill chart offers a forbidden plan.
        for chart in ["chart-cost-0", "chart-bill-0"] {
            let start = page.find(&format!("id=\"{chart}\"")).unwrap();
            let svg = &page[start..start + page[start..].find("</svg>").unwrap()];
            assert!(
                !svg.contains("vast-h100"),
                "{chart} offers a forbidden plan"
            );
            assert!(!svg.contains("baremetal-h100-typical"), "{chart}");
            assert!(svg.contains("aws-h100-on-demand-eu"), "{chart}");
        }
        // No script loaded from elsewhere; the explorer's is inline.
        assert!(!page.contains("<script src"));
        let mut ids: Vec<&str> = page
            .split(" id=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "an id is used twice");
    }

    #[test]
    fn without_residency_rules_every_plan_is_an_option() {
        let mut r = small();
        let mut spec = r.scenario.clone().into_spec();
        spec.geography = None;
        r.scenario = spec.try_into().unwrap();
        for b in r.points.iter_mut().flat_map(|p| &mut p.bills) {
            b.lawful = true;
        }
        let all = tables(&r);
        let t = all.iter().find(|t| t.id == "plans-0").unwrap();
        assert_eq!(t.rows[0][0], "vast-h100-marketplace", "cheapest first");
        assert!(t.excluded.is_empty() && t.notes.is_empty());
        assert!(!t.header.iter().any(|h| h == "residency"));
    }
}
