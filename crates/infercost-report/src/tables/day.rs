//! The day table: the chosen serving's simulated day at the largest volume with a fleet, hour by hour, against
//! the static and autoscaled fleets and the cheapest mix's committed, spot and on-demand layers, with each one's
//! idle share in the title.

use crate::procure::cheapest_mix;
use crate::prose::times;
use crate::table::Table;
use infercost_plan::analysis::best;
use infercost_plan::result::{BillDay, PlanResult, Point, Policy};

/// The point the day is shown for: the largest volume with a fleet, context and burst 1×.
pub(crate) fn day_point(r: &PlanResult, di: usize) -> Option<(f64, &Point)> {
    let d = &r.scenario.deployments[di];
    let mut vols = r.scenario.volume.clone();
    vols.sort_by(f64::total_cmp);
    vols.into_iter()
        .rev()
        .find_map(|v| best(&r.points, &d.name, v, 1.0, 1.0).map(|p| (v, p)))
}

/// The chosen serving's day: its first fleet's (the only one without geography).
pub(crate) fn chosen_day(p: &Point) -> Option<(&str, Policy, &BillDay)> {
    let f = p.serving.iter().find(|f| f.day.is_some())?;
    Some((f.plan.as_str(), f.policy, f.day.as_ref()?))
}

/// The static fleet's day at a point: the day of a bill under the static policy, the one on the chosen plan if
/// there is one.
fn static_day(p: &Point) -> Option<&BillDay> {
    p.bills
        .iter()
        .filter(|b| b.policy == Policy::Static)
        .find_map(|b| b.day.as_ref())
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// A deployment's simulated day; `None` when no point of it has a fleet with a recorded day.
pub(super) fn day_table(r: &PlanResult, di: usize) -> Option<Table> {
    let (v, p) = day_point(r, di)?;
    let (plan, policy, chosen) = chosen_day(p)?;
    let name = &r.scenario.deployments[di].name;
    let mix = cheapest_mix(p);
    let mut idle = vec![format!(
        "{plan} ({policy}) {} idle",
        pct(chosen.idle_fraction)
    )];
    if let Some(s) = static_day(p) {
        idle.push(format!("a static peak fleet {} idle", pct(s.idle_fraction)));
    }
    if let Some(m) = mix.and_then(|m| m.day.as_ref().map(|d| (m, d))) {
        idle.push(format!(
            "the mix on {} {} idle",
            m.0.bill.plan,
            pct(m.1.idle_fraction)
        ));
    }
    let mut t = Table::new(
        format!("dayplan-{di}"),
        format!(
            "{name}: the simulated day at {} on {} ({})",
            times(v),
            p.gpu,
            idle.join(", ")
        ),
        &[
            "hour",
            "requests/s",
            "static",
            "autoscaled",
            "chosen",
            "chosen busy",
            "SLO met",
            "mix committed",
            "mix spot",
            "mix on-demand",
        ],
    );
    let mix_day = mix.and_then(|m| m.day.as_ref());
    for (i, h) in chosen.hourly.iter().enumerate() {
        let fixed = p.hourly.get(i);
        let layer = |f: &dyn Fn(&infercost_plan::result::DayHour) -> f64| {
            mix_day
                .and_then(|d| d.hourly.get(i))
                .map_or("-".into(), |m| format!("{:.0}", f(m)))
        };
        t.rows.push(vec![
            format!("{:02}", h.hour),
            format!("{:.2}", h.load_rps),
            fixed.map_or("-".into(), |x| x.replicas_static.to_string()),
            fixed.map_or("-".into(), |x| x.replicas_autoscaled.to_string()),
            format!("{:.0}", h.replicas_mean),
            pct(h.busy_fraction),
            format!("{:.2}%", h.slo_attainment * 100.0),
            layer(&|m| m.committed_replicas),
            layer(&|m| m.spot_replicas),
            layer(&|m| m.on_demand_replicas),
        ]);
    }
    t.notes.push(format!(
        "Replicas by hour. The day is simulated ({} model) for each bill's policy; SLO met is the share of the hour's requests within the SLO. The mix is the cheapest way to buy the day from one provider's committed, spot and on-demand plans for this GPU and region.",
        chosen.model
    ));
    Some(t)
}
