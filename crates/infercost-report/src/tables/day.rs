//! The day table: the chosen serving's simulated day at the largest volume with a fleet, hour by hour, against
//! the static and autoscaled fleets and the cheapest mix's committed, spot and on-demand layers, with each one's
//! idle share in the title.

use crate::procure::cheapest_mix;
use crate::prose::times;
use crate::table::Table;
use infercost_plan::analysis::best;
use infercost_plan::result::{BillDay, DayHour, PlanResult, Point, Policy};

/// The point the day is shown for: the largest volume with a fleet, context and burst 1×.
pub(crate) fn day_point(r: &PlanResult, di: usize) -> Option<(f64, &Point)> {
    let d = &r.scenario.deployments[di];
    let mut vols = r.scenario.volume.clone();
    vols.sort_by(f64::total_cmp);
    vols.into_iter()
        .rev()
        .find_map(|v| best(&r.points, &d.name, v, 1.0, 1.0).map(|p| (v, p)))
}

/// The chosen serving's day for all its users: with geography, its fleets (one per jurisdiction) summed hour by
/// hour, so that it covers the same users as the static, autoscaled and mixed fleets beside it.
pub(crate) struct ChosenDay {
    /// Each fleet's plan and policy, `plan (policy)`, joined by ` + `.
    pub label: String,
    /// The day model.
    pub model: String,
    /// 1 − busy / provisioned GPU-hours over all the fleets.
    pub idle_fraction: f64,
    /// The hours: requests and replicas summed, busy weighted by replicas, SLO attainment by requests.
    pub hourly: Vec<DayHour>,
}

/// The chosen serving's day (`None` when none of its fleets recorded one).
pub(crate) fn chosen_day(p: &Point) -> Option<ChosenDay> {
    let fleets: Vec<(&str, Policy, &BillDay)> = p
        .serving
        .iter()
        .filter_map(|f| f.day.as_ref().map(|d| (f.plan.as_str(), f.policy, d)))
        .collect();
    let first = fleets.first()?.2;
    let label: Vec<String> = fleets
        .iter()
        .map(|(plan, policy, _)| format!("{plan} ({policy})"))
        .collect();
    let (gpu_hours, busy): (f64, f64) = fleets
        .iter()
        .map(|f| (f.2.gpu_hours, f.2.busy_gpu_hours))
        .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
    let hourly = (0..first.hourly.len())
        .map(|h| {
            let of: Vec<&DayHour> = fleets.iter().filter_map(|f| f.2.hourly.get(h)).collect();
            let load: f64 = of.iter().map(|x| x.load_rps).sum();
            let replicas: f64 = of.iter().map(|x| x.replicas_mean).sum();
            let used: f64 = of.iter().map(|x| x.busy_fraction * x.replicas_mean).sum();
            let met: f64 = of.iter().map(|x| x.slo_attainment * x.load_rps).sum();
            DayHour {
                hour: first.hourly[h].hour,
                load_rps: load,
                replicas_mean: replicas,
                busy_fraction: if replicas > 0.0 { used / replicas } else { 0.0 },
                slo_attainment: if load > 0.0 {
                    met / load
                } else {
                    first.hourly[h].slo_attainment
                },
                ttft_p99_ms: None,
                committed_replicas: of.iter().map(|x| x.committed_replicas).sum(),
                spot_replicas: of.iter().map(|x| x.spot_replicas).sum(),
                on_demand_replicas: of.iter().map(|x| x.on_demand_replicas).sum(),
            }
        })
        .collect();
    Some(ChosenDay {
        label: label.join(" + "),
        model: first.model.clone(),
        idle_fraction: if gpu_hours > 0.0 {
            1.0 - busy / gpu_hours
        } else {
            0.0
        },
        hourly,
    })
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
    let chosen = chosen_day(p)?;
    let name = &r.scenario.deployments[di].name;
    let mix = cheapest_mix(p);
    let mut idle = vec![format!(
        "{} {} idle",
        chosen.label,
        pct(chosen.idle_fraction)
    )];
    if let Some(s) = static_day(p) {
        idle.push(format!("a static peak fleet {} idle", pct(s.idle_fraction)));
    }
    if let Some(m) = mix.and_then(|m| m.day.as_ref().map(|d| (m, d))) {
        let lawful = if m.0.lawful {
            ""
        } else {
            " (bought in one region: not lawful for every user group)"
        };
        idle.push(format!(
            "the mix on {}{lawful} {} idle",
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
        let layer = |f: &dyn Fn(&DayHour) -> f64| {
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
        "Replicas by hour, for all users. The day is simulated ({} model) for each bill's policy; SLO met is the share of the hour's requests within the SLO. The mix is the cheapest way to buy the day from one provider's committed, spot and on-demand plans for this GPU and region.",
        chosen.model
    ));
    if p.serving.iter().filter(|f| f.day.is_some()).count() > 1 {
        t.notes.push(
            "The chosen serving has a fleet per jurisdiction; its columns sum them hour by hour (busy weighted by replicas, SLO met by requests), so they cover the same users as the static, autoscaled and mix columns, which are each one fleet for all users."
                .into(),
        );
    }
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::small;
    use infercost_plan::result::Serving;

    /// A fleet's day: `replicas` all day, `busy` of them busy, `rps` requests/s, `slo` met.
    fn day(replicas: f64, busy: f64, rps: f64, slo: f64) -> BillDay {
        BillDay {
            model: "fluid".into(),
            gpu_hours: replicas * 24.0,
            busy_gpu_hours: replicas * busy * 24.0,
            idle_fraction: 1.0 - busy,
            slo_attainment: slo,
            scale_ups: 0,
            scale_downs: 0,
            headroom_replicas: 0,
            autoscale_target: None,
            hourly: (0..24)
                .map(|hour| DayHour {
                    hour,
                    load_rps: rps,
                    replicas_mean: replicas,
                    busy_fraction: busy,
                    slo_attainment: slo,
                    ttft_p99_ms: None,
                    committed_replicas: replicas,
                    spot_replicas: 0.0,
                    on_demand_replicas: 0.0,
                })
                .collect(),
        }
    }

    fn fleet(plan: &str, d: BillDay) -> Serving {
        Serving {
            users: vec![plan.into()],
            served_in: plan.into(),
            plan: plan.into(),
            policy: Policy::Static,
            tp: 1,
            pp: 1,
            ep: 1,
            attention_dp: false,
            replicas_peak: d.hourly[0].replicas_mean as u32,
            max_rps_per_replica: 1.0,
            requests_peak_hour_share: 0.5,
            usd_per_month: Default::default(),
            transfer_usd: Default::default(),
            bill: None,
            day: Some(d),
            alternatives: Vec::new(),
            buy_or_rent: None,
        }
    }

    #[test]
    fn the_chosen_day_covers_every_users_fleet() {
        let mut r = small();
        let i = r.points.iter().position(|p| !p.bills.is_empty()).unwrap();
        // An EU fleet of 72 replicas half busy and a US fleet of 168 at 80%, as geography splits a serving.
        r.points[i].serving = vec![
            fleet("baremetal-h100-eu", day(72.0, 0.5, 300.0, 0.99)),
            fleet("owned-dgx-h100-us", day(168.0, 0.8, 700.0, 1.0)),
        ];
        let c = chosen_day(&r.points[i]).unwrap();
        assert_eq!(
            c.label,
            "baremetal-h100-eu (static) + owned-dgx-h100-us (static)"
        );
        let h = &c.hourly[5];
        assert_eq!((h.replicas_mean, h.load_rps), (240.0, 1000.0));
        assert!((h.busy_fraction - (36.0 + 134.4) / 240.0).abs() < 1e-12);
        assert!((h.slo_attainment - (0.99 * 300.0 + 700.0) / 1000.0).abs() < 1e-12);
        assert!((c.idle_fraction - (1.0 - (36.0 + 134.4) / 240.0)).abs() < 1e-12);
        // One fleet: its own day, unchanged.
        r.points[i].serving.truncate(1);
        let one = chosen_day(&r.points[i]).unwrap();
        assert_eq!(one.hourly[5].replicas_mean, 72.0);
        assert!((one.idle_fraction - 0.5).abs() < 1e-12);
    }
}
