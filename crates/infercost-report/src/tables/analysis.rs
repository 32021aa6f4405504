//! The analysis tables that `merge` makes for a sharded sweep: what drives the growth, inflections,
//! break-evens, months ahead and placement by region.

use crate::prose::{times, variable, ATTRIBUTION_NOTE};
use crate::residency::Residency;
use crate::table::Table;
use infercost_core::fmt::{int, usd};
use infercost_plan::result::PlanResult;

/// The Shapley parts of the monthly cost growth of each target.
pub(super) fn attribution(r: &PlanResult) -> Table {
    let mut attr = Table::new(
        "attribution",
        "What drives the growth: Shapley parts of the monthly cost growth (volume + context + burst = growth)",
        &[
            "deployment",
            "target",
            "pilot",
            "target cost",
            "growth",
            "volume",
            "context",
            "burst",
            "compounding",
            "driver",
        ],
    );
    attr.rows = r
        .attribution
        .iter()
        .map(|a| {
            vec![
                a.deployment.clone(),
                format!(
                    "{} volume, {} context, {} burst",
                    times(a.volume),
                    times(a.context),
                    times(a.burst)
                ),
                usd(a.pilot_usd),
                usd(a.target_usd),
                format!("+{}", usd(a.total_growth_usd)),
                usd(a.volume_usd),
                usd(a.context_usd),
                usd(a.concurrency_usd),
                if a.total_growth_usd > 0.0 {
                    format!(
                        "{:.0}% of the growth",
                        a.interaction_usd / a.total_growth_usd * 100.0
                    )
                } else {
                    "-".into()
                },
                variable(a.driver.name()).to_string(),
            ]
        })
        .collect();
    attr.notes.push(ATTRIBUTION_NOTE.into());
    attr
}

/// Where each deployment's cost curve bends.
pub(super) fn inflections(r: &PlanResult) -> Table {
    let mut infl = Table::new(
        "inflections",
        "Inflections",
        &["kind", "deployment", "at volume", "what happens"],
    );
    infl.rows = r
        .inflections
        .iter()
        .map(|i| {
            vec![
                i.kind.to_string(),
                i.deployment.clone(),
                times(i.at_volume),
                i.description.clone(),
            ]
        })
        .collect();
    infl
}

/// The break-evens, each value in its unit's words.
pub(super) fn breakevens(r: &PlanResult) -> Table {
    let mut be = Table::new(
        "breakevens",
        "Break-evens",
        &["kind", "deployment", "value", "meaning"],
    );
    be.rows = r
        .breakevens
        .iter()
        .map(|b| {
            vec![
                b.kind.to_string(),
                b.deployment.clone().unwrap_or_default(),
                b.value.map_or("-".into(), |v| match b.unit.as_str() {
                    // Above 1 the term plan costs more per hour than the other even when fully used.
                    "utilization" if v > 1.0 => "never".into(),
                    "utilization" => format!("{:.0}% of the month", v * 100.0),
                    "volume" if (v - v.round()).abs() < 1e-9 => {
                        format!("{} volume", times(v.round()))
                    }
                    "volume" => format!("{v:.1}× volume"),
                    _ => format!("{v:.3} {}", b.unit),
                }),
                b.description.clone(),
            ]
        })
        .collect();
    be
}

/// Where the best choice changes, per deployment, in order along each axis.
pub(super) fn decisions(r: &PlanResult) -> Table {
    let mut t = Table::new(
        "decisions",
        "Decisions: where the best choice changes (located by bisection with simulation between sweep points)",
        &[
            "deployment",
            "axis",
            "at",
            "what",
            "from",
            "to",
            "cost one step below",
            "cost at it",
        ],
    );
    t.rows = r
        .decisions
        .iter()
        .map(|d| {
            vec![
                d.deployment.clone(),
                d.variable.name().to_string(),
                times(d.at),
                d.what.name().to_string(),
                d.from.clone(),
                d.to.clone(),
                usd(d.usd_before),
                usd(d.usd_after),
            ]
        })
        .collect();
    if r.decisions.is_empty() {
        t.notes
            .push("The best choice is the same at every swept volume and context.".into());
    }
    t.notes.push(
        "Along the volume axis at the pilot's context; along the context axis at the largest swept volume. Costs are the best serving's monthly bill one 5% grid step below the change and at it."
            .into(),
    );
    t
}

/// The bill month by month as users and prompts grow, and when to order capacity.
pub(super) fn months(r: &PlanResult) -> Table {
    let mut m = Table::new(
        "months",
        "Months ahead",
        &[
            "deployment",
            "month",
            "users",
            "context",
            "$/month",
            "GPUs at peak",
            "plan",
            "order capacity by day",
        ],
    );
    m.rows = r
        .months
        .iter()
        .map(|m| {
            vec![
                m.deployment.clone(),
                m.month.to_string(),
                int(m.users),
                format!("{:.2}×", m.context),
                m.usd_per_month
                    .map_or_else(|| "no feasible fleet".into(), usd),
                int(m.gpus_peak),
                match (&m.plan, &m.reason) {
                    (Some(p), _) => p.clone(),
                    (None, Some(why)) => why.clone(),
                    (None, None) => String::new(),
                },
                int(m.order_by_day),
            ]
        })
        .collect();
    m
}

/// Every placement of user groups on serving regions; options the rules forbid struck through, with why.
pub(super) fn placement(r: &PlanResult, res: &Residency) -> Table {
    let mut p = Table::new(
        "placement",
        "Placement by region",
        &[
            "deployment",
            "volume",
            "option",
            "routes",
            "$/month",
            "verdict",
        ],
    );
    for pl in &r.placement {
        for o in &pl.options {
            if !o.allowed {
                p.excluded.push(p.rows.len());
            }
            p.rows.push(vec![
                pl.deployment.clone(),
                times(pl.volume),
                o.name.clone(),
                o.routes
                    .iter()
                    .map(|r| {
                        format!(
                            "{} {:.0}% → {} ({})",
                            r.users,
                            r.share * 100.0,
                            r.served_in,
                            r.plan
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                usd(o.usd_per_month),
                if pl.chosen.as_ref() == Some(&o.name) {
                    "chosen".into()
                } else if o.allowed {
                    "allowed".into()
                } else {
                    // The rules in words where a route breaks them; the planner's reason otherwise
                    // (an SLO missed with the added round trip).
                    let rules: Vec<String> = o
                        .routes
                        .iter()
                        .filter_map(|r| res.route_breach(&r.users, &r.served_in))
                        .collect();
                    if rules.is_empty() {
                        format!("not allowed: {}", o.reason.clone().unwrap_or_default())
                    } else {
                        format!("not allowed: {}", rules.join("; "))
                    }
                },
            ]);
        }
    }
    if !p.excluded.is_empty() {
        p.notes.push(
            "Struck-through options break the residency rules or the SLO with the added round trip; their cost is shown for comparison only."
                .into(),
        );
    }
    p
}
