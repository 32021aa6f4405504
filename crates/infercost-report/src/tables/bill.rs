//! The bill table: the lines of the cheapest lawful serving's bill at each volume, a row per fleet when user
//! groups are served apart.

use crate::prose::times;
use crate::table::Table;
use infercost_core::fmt::usd;
use infercost_cost::Bill;
use infercost_plan::analysis::best;
use infercost_plan::result::{PlanResult, Point};

/// A deployment's bill broken down at each volume.
pub(super) fn bill_table(r: &PlanResult, di: usize, vols: &[f64]) -> Table {
    let d = &r.scenario.deployments[di];
    let mut bill = Table::new(
        format!("bill-{di}"),
        format!(
            "{}: the bill broken down for the cheapest lawful serving (a row per fleet when user groups are served apart)",
            d.name
        ),
        &[
            "volume", "serves", "plan", "policy", "busy GPU", "idle GPU", "egress", "transfer",
            "API", "total",
        ],
    );
    for &v in vols {
        let Some(p) = best(&r.points, &d.name, v, 1.0, 1.0) else {
            continue;
        };
        for (who, policy, b) in fleets(p) {
            let busy = b.gpu_usd.dollars() - b.idle_usd.dollars();
            bill.rows.push(vec![
                times(v),
                who,
                b.plan.clone(),
                policy,
                usd(busy),
                usd(b.idle_usd.dollars()),
                usd(b.egress_usd.dollars()),
                usd(b.transfer_usd.dollars()),
                usd(b.api_usd.dollars()),
                usd(b.total_usd_per_month.dollars()),
            ]);
        }
    }
    bill
}

/// The bills of a point's serving: (whom the fleet serves, its policy, its bill).
fn fleets(p: &Point) -> Vec<(String, String, &Bill)> {
    // The serving fleets' own bills; a result planned before they were recorded falls back to the
    // whole-traffic bill of the plan, when one plan serves everyone.
    if p.serving.iter().all(|f| f.bill.is_some()) && !p.serving.is_empty() {
        p.serving
            .iter()
            .filter_map(|f| {
                f.bill.as_ref().map(|b| {
                    let who = if f.users.is_empty() {
                        "everyone".to_string()
                    } else {
                        format!("{} users in {}", f.users.join(", "), f.served_in)
                    };
                    (who, f.policy.to_string(), b)
                })
            })
            .collect()
    } else {
        p.bills
            .iter()
            .filter(|b| Some(&b.bill.plan) == p.cheapest_plan.as_ref())
            .map(|b| ("everyone".to_string(), b.policy.to_string(), &b.bill))
            .collect()
    }
}
