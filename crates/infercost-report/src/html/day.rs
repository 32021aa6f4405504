//! The day section: a day's load against the provisioned fleet, static and autoscaled, at the largest volume
//! with a fleet, and the hours as a table.

use super::elements::{figure, table};
use super::Page;
use crate::procure::cheapest_mix;
use crate::prose::times;
use crate::svg::{Lines, Series, Style, Unit};
use crate::table::Table;
use crate::tables::day::{chosen_day, day_point};
use infercost_core::fmt::count;
use infercost_plan::analysis::best;
use infercost_plan::result::{DayHour, Hour, Point};

/// The day chart and table of every deployment with a fleet.
pub(super) fn section(page: &Page) -> String {
    let r = page.r;
    let mut body = String::from("<h2 id=\"day\">A day's load against provisioned capacity</h2>");
    for (di, d) in r.scenario.deployments.iter().enumerate() {
        let v = page
            .vols
            .iter()
            .copied()
            .filter(|v| best(&r.points, &d.name, *v, 1.0, 1.0).is_some())
            .fold(1.0, f64::max);
        if let Some(p) = best(&r.points, &d.name, v, 1.0, 1.0) {
            body.push_str(&figure(
                chart(di, &d.name, v, p),
                &format!("{} at {} on {}: the gap between the fleet and the load is idle time you pay for on static and term plans.", d.name, times(v), p.gpu),
            ));
            body.push_str(&table(&hours(di, p)));
        }
        body.push_str(&simulated(page, di));
    }
    body
}

/// The chosen serving's simulated day against the static, autoscaled and mixed fleets, with the mix's committed,
/// spot and on-demand layers, and the idle shares next to it; then the day's table.
fn simulated(page: &Page, di: usize) -> String {
    let r = page.r;
    let Some((v, p)) = day_point(r, di) else {
        return String::new();
    };
    let Some(chosen) = chosen_day(p) else {
        return String::new();
    };
    let name = &r.scenario.deployments[di].name;
    let line = |name: &str, i: usize, f: &dyn Fn(usize) -> Option<f64>| Series {
        name: name.into(),
        points: (0..chosen.hourly.len())
            .filter_map(|h| f(h).map(|y| (h as f64, y)))
            .collect(),
        style: Style::nth(i),
    };
    let mix = cheapest_mix(p).and_then(|m| m.day.as_ref());
    let layer = |f: fn(&DayHour) -> f64| move |h: usize| mix.and_then(|d| d.hourly.get(h)).map(f);
    let mut series = vec![
        line("load (replicas' worth)", 2, &|h| {
            let x = &chosen.hourly[h];
            Some(x.busy_fraction * x.replicas_mean)
        }),
        line("static fleet", 0, &|h| {
            p.hourly.get(h).map(|x| x.replicas_static as f64)
        }),
        line("autoscaled fleet", 1, &|h| {
            p.hourly.get(h).map(|x| x.replicas_autoscaled as f64)
        }),
        line(&format!("chosen: {}", chosen.label), 3, &|h| {
            Some(chosen.hourly[h].replicas_mean)
        }),
    ];
    if let Some(m) = cheapest_mix(p).filter(|m| m.day.is_some()) {
        // A mix bought in one region may not serve every user group lawfully; its label says so.
        let mix = if m.lawful { "mix" } else { "mix (not lawful)" };
        series.push(line(
            &format!("{mix}: committed"),
            4,
            &layer(|m| m.committed_replicas),
        ));
        series.push(line(
            &format!("{mix}: + spot"),
            5,
            &layer(|m| m.committed_replicas + m.spot_replicas),
        ));
        series.push(line(
            &format!("{mix}: + on-demand"),
            6,
            &layer(|m| m.committed_replicas + m.spot_replicas + m.on_demand_replicas),
        ));
    }
    let chart = Lines {
        id: &format!("chart-dayplan-{di}"),
        title: &format!(
            "{name} at {}: the simulated day, replicas by hour",
            times(v)
        ),
        series: &series,
        log_x: false,
        log_y: false,
        marks: &[],
        x_label: "hour of day",
        x_unit: Unit::Plain,
        y_label: "replicas",
        y_unit: Unit::Plain,
        fan: None,
    }
    .render();
    let id = format!("dayplan-{di}");
    let caption = page.by_id(&id).map_or(String::new(), |t| t.title.clone());
    let mut out = figure(chart, &caption);
    if let Some(t) = page.by_id(&id) {
        out.push_str(&table(t));
    }
    out
}

/// The fleets and the load by hour, in replicas.
fn chart(di: usize, deployment: &str, v: f64, p: &Point) -> String {
    let rep = |f: &dyn Fn(&Hour) -> f64| {
        p.hourly
            .iter()
            .map(|h| (h.hour as f64, f(h)))
            .collect::<Vec<_>>()
    };
    let series = vec![
        Series {
            name: "static fleet (replicas)".into(),
            points: rep(&|h| h.replicas_static as f64),
            style: Style::nth(0),
        },
        Series {
            name: "autoscaled fleet".into(),
            points: rep(&|h| h.replicas_autoscaled as f64),
            style: Style::nth(1),
        },
        Series {
            name: "load (replicas' worth)".into(),
            points: rep(&|h| {
                if p.max_rps_per_replica > 0.0 {
                    h.load_rps / p.max_rps_per_replica
                } else {
                    0.0
                }
            }),
            style: Style::nth(2),
        },
    ];
    Lines {
        id: &format!("chart-day-{di}"),
        title: &format!("{deployment} at {}: load and capacity by hour", times(v)),
        series: &series,
        log_x: false,
        log_y: false,
        marks: &[],
        x_label: "hour of day",
        x_unit: Unit::Plain,
        y_label: "replicas",
        y_unit: Unit::Plain,
        fan: None,
    }
    .render()
}

/// The chart's hours as a table, with how busy the static fleet is.
fn hours(di: usize, p: &Point) -> Table {
    Table {
        id: format!("day-{di}"),
        title: String::new(),
        header: [
            "hour",
            "requests/s",
            "static replicas",
            "autoscaled replicas",
            "static fleet busy",
        ]
        .iter()
        .map(|x| x.to_string())
        .collect(),
        rows: p
            .hourly
            .iter()
            .map(|h| {
                vec![
                    format!("{:02}", h.hour),
                    format!("{:.2}", h.load_rps),
                    count(h.replicas_static.into()),
                    count(h.replicas_autoscaled.into()),
                    format!("{:.0}%", h.busy_fraction_static * 100.0),
                ]
            })
            .collect(),
        ..Table::default()
    }
}
