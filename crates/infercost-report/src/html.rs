//! The self-contained HTML report: inline CSS and SVG, no fonts or network; every chart has its table and works
//! with scripts off. The one inline script is the explorer's (`explorer.rs`).

use crate::residency::Residency;
use crate::svg::{esc, GroupedBars, Lines, Series, StackedBars, Style, Unit};
use crate::{compounding, headline, plan_cost, plans_of, ratio, tables, times, Table};
use infercost_core::fmt::{count, int, ms, usd};
use infercost_plan::analysis::best;
use infercost_plan::result::{PlanResult, PointBill};

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#111;line-height:1.4}\
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}h3{font-size:1.05em}\
table{border-collapse:collapse;margin:.8em 0;font-size:.85em}th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top}\
th{background:#f0f0f0}td.num{text-align:right;white-space:nowrap}td.date{white-space:nowrap}tr.excluded td{color:#666;text-decoration:line-through}tr.excluded td.why{text-decoration:none;color:#8a3a00}\
p.note{font-size:.85em;color:#333;margin:.2em 0 1em}.headline{font-size:1.1em}.chart{width:100%;max-width:900px;height:auto;display:block}\
figure{margin:1em 0}figcaption{font-size:.85em;color:#444}pre{background:#f7f7f7;padding:.8em;overflow-x:auto;font-size:.8em}\
@media print{h2{page-break-before:auto}figure,table{page-break-inside:avoid}body{max-width:none}}";

/// A table with its notes; excluded rows are struck through but for their last cell, which says why.
fn table(t: &Table) -> String {
    let mut s = format!("<table id=\"table-{}\"><thead><tr>", esc(&t.id));
    for h in &t.header {
        s.push_str(&format!("<th>{}</th>", esc(h)));
    }
    s.push_str("</tr></thead><tbody>");
    for (i, r) in t.rows.iter().enumerate() {
        let excluded = t.excluded.contains(&i);
        s.push_str(if excluded {
            "<tr class=\"excluded\">"
        } else {
            "<tr>"
        });
        for (k, c) in r.iter().enumerate() {
            let num = is_figure(c);
            let class = match (excluded && k + 1 == r.len(), num) {
                (true, _) => " class=\"why\"",
                (false, true) => " class=\"num\"",
                (false, false) if is_date(c) => " class=\"date\"",
                (false, false) => "",
            };
            s.push_str(&format!("<td{class}>{}</td>", esc(c)));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    for n in &t.notes {
        s.push_str(&format!("<p class=\"note\">{}</p>", esc(n)));
    }
    s
}

/// Whether a cell is a figure to right-align (`$44.2k`, `+$3.74M`, `1,000×`, `81%`, `30.9 ms`), not text that
/// starts with a digit (a date, a sentence).
fn is_figure(c: &str) -> bool {
    let t = c.trim_start_matches(['+', '-']);
    (t.starts_with('$') || t.starts_with(|ch: char| ch.is_ascii_digit()))
        && c.split_whitespace().count() <= 2
        && c.chars().count() <= 20
        && !is_date(c)
}

/// `2026-11-27`: kept on one line.
fn is_date(c: &str) -> bool {
    let b = c.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, ch)| {
            if i == 4 || i == 7 {
                *ch == b'-'
            } else {
                ch.is_ascii_digit()
            }
        })
}

fn figure(svg: String, caption: &str) -> String {
    format!(
        "<figure>{svg}<figcaption>{}</figcaption></figure>",
        esc(caption)
    )
}

/// The plans worth a line of their own on the cost chart, at most four: those that are the cheapest allowed
/// plan at some volume, then the cheapest allowed plan of each other commitment kind at the largest volume.
fn chart_plans(r: &PlanResult, res: &Residency, deployment: &str, vols: &[f64]) -> Vec<String> {
    let mut chosen: Vec<String> = Vec::new();
    let mut kinds: Vec<String> = Vec::new();
    let bill_of = |plan: &str, v: f64| -> Option<(f64, &PointBill)> {
        let (c, p) = plan_cost(r, deployment, plan, v)?;
        p.bills.iter().find(|b| b.bill.plan == plan).map(|b| (c, b))
    };
    for row in headline(r, deployment, 1.0, 1.0) {
        if let Some(plan) = row.point.and_then(|p| p.cheapest_plan) {
            if !chosen.contains(&plan) {
                if let Some((_, b)) = bill_of(&plan, row.volume) {
                    kinds.push(b.bill.commitment.clone());
                }
                chosen.push(plan);
            }
        }
    }
    let top = vols.last().copied().unwrap_or(1.0);
    let mut others: Vec<(f64, String, String)> = plans_of(r, deployment)
        .into_iter()
        .filter(|p| res.lawful(p))
        .filter_map(|p| bill_of(&p, top).map(|(c, b)| (c, b.bill.commitment.clone(), p)))
        .collect();
    others.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.cmp(&b.2)));
    for (_, kind, plan) in others {
        if !kinds.contains(&kind) && !chosen.contains(&plan) {
            kinds.push(kind);
            chosen.push(plan);
        }
    }
    chosen.truncate(4);
    chosen
}

/// The HTML report.
pub fn html(r: &PlanResult) -> String {
    let s = &r.scenario;
    let res = Residency::of(r);
    let all = tables(r);
    let find = |id: &str| {
        all.iter()
            .filter(|t| t.id == id)
            // The table carries the id (`table-…`); the sections' h2 already use the bare names.
            .map(|t| format!("<h3>{}</h3>{}", esc(&t.title), table(t)))
            .collect::<Vec<_>>()
            .join("")
    };
    let mut vols = s.volume.clone();
    vols.sort_by(f64::total_cmp);
    let mut body = String::new();
    body.push_str("<h1>What the pilot will cost in production</h1>");
    body.push_str(&format!(
        "<p>Pilot <code>{}</code>: {} requests over {} s ({:.2} requests/s), mean {} prompt and {} output tokens, busiest minute {:.2}× the mean. SLO: p{} TTFT ≤ {} and TPOT ≤ {}.</p>",
        esc(&r.pilot.trace),
        count(r.pilot.requests),
        int(r.pilot.duration_s),
        r.pilot.mean_rate_rps,
        int(r.pilot.input_tokens_mean),
        int(r.pilot.output_tokens_mean),
        r.pilot.peak_to_mean_60s,
        s.slo.percentile,
        esc(&ms(s.slo.ttft_ms)),
        esc(&ms(s.slo.tpot_ms))
    ));
    if let Some(note) = crate::shard_note(r) {
        body.push_str(&format!(
            "<p class=\"shard\"><strong>{}</strong></p>",
            esc(&note)
        ));
    }
    body.push_str("<h2 id=\"headline\">Headline</h2>");
    for (di, d) in s.deployments.iter().enumerate() {
        let rows = headline(r, &d.name, 1.0, 1.0);
        let sentence: Vec<String> = rows
            .iter()
            .filter_map(|row| {
                row.point
                    .as_ref()
                    .and_then(|p| p.cheapest_usd_per_month)
                    .map(|c| {
                        format!(
                            "{} at {}{}",
                            usd(c),
                            times(row.volume),
                            row.multiplier
                                .map_or(String::new(), |m| format!(" ({} the pilot)", ratio(m)))
                        )
                    })
            })
            .collect();
        body.push_str(&format!(
            "<p class=\"headline\"><strong>{}</strong>: {} a month on the cheapest allowed plan.</p>",
            esc(&d.name),
            esc(&sentence.join(", "))
        ));
        if let Some(t) = all.iter().find(|t| t.id == format!("headline-{di}")) {
            body.push_str(&table(t));
        }
    }
    body.push_str("<h2 id=\"cost\">Cost against volume</h2>");
    for (di, d) in s.deployments.iter().enumerate() {
        let envelope: Vec<(f64, f64)> = headline(r, &d.name, 1.0, 1.0)
            .iter()
            .filter_map(|row| {
                row.point
                    .as_ref()
                    .and_then(|p| p.cheapest_usd_per_month)
                    .map(|c| (row.volume, c))
            })
            .collect();
        let mut series = vec![Series {
            name: "cheapest allowed plan".into(),
            points: envelope,
            style: Style::band(),
        }];
        let picked = chart_plans(r, &res, &d.name, &vols);
        for (i, pl) in picked.iter().enumerate() {
            let points: Vec<(f64, f64)> = vols
                .iter()
                .filter_map(|&v| plan_cost(r, &d.name, pl, v).map(|(c, _)| (v, c)))
                .collect();
            if !points.is_empty() {
                series.push(Series {
                    name: pl.clone(),
                    points,
                    style: Style::nth(i),
                });
            }
        }
        let marks: Vec<(f64, String)> = r
            .inflections
            .iter()
            .filter(|i| i.deployment == d.name)
            .map(|i| (i.at_volume, i.kind.replace('_', " ")))
            .collect();
        let excluded = plans_of(r, &d.name)
            .iter()
            .filter(|p| !res.lawful(p))
            .count();
        let chart = Lines {
            id: &format!("chart-cost-{di}"),
            title: &format!("{}: monthly cost against volume (log–log)", d.name),
            series: &series,
            log_x: true,
            log_y: true,
            marks: &marks,
            x_label: "volume (× pilot)",
            x_unit: Unit::Plain,
            y_label: "USD per month",
            y_unit: Unit::Usd,
        }
        .render();
        let mut caption = format!(
            "{}: the grey band is the cheapest plan the residency rules allow at each volume (context 1×, burst 1×); the lines are the plans that are cheapest somewhere and the cheapest of each other commitment kind at {}. Dashed verticals mark inflections. The table below has every plan.",
            d.name,
            times(vols.last().copied().unwrap_or(1.0))
        );
        if excluded > 0 {
            caption.push_str(&format!(
                " {excluded} plans that cannot serve every user group under the residency rules are left out of the chart."
            ));
        }
        body.push_str(&figure(chart, &caption));
        body.push_str(&find(&format!("plans-{di}")));
    }
    body.push_str("<h2 id=\"bill\">The bill broken down</h2>");
    for (di, d) in s.deployments.iter().enumerate() {
        let names = ["busy GPU", "idle GPU", "egress", "transfer", "API"];
        let mut layers: Vec<(String, Vec<f64>)> =
            names.iter().map(|n| (n.to_string(), Vec::new())).collect();
        let top = vols.last().copied().unwrap_or(1.0);
        // Each bar: one bill's lines, or the sum of a split serving's fleets' bills.
        let lines = |b: &infercost_cost::Bill| {
            let (g, idle) = (b.gpu_usd.dollars(), b.idle_usd.dollars());
            [
                g - idle,
                idle,
                b.egress_usd.dollars(),
                b.transfer_usd.dollars(),
                b.api_usd.dollars(),
            ]
        };
        let mut entries: Vec<(String, [f64; 5])> = Vec::new();
        for &v in &vols {
            let Some(p) = best(&r.points, &d.name, v, 1.0, 1.0) else {
                continue;
            };
            let fleets: Vec<&infercost_cost::Bill> =
                p.serving.iter().filter_map(|f| f.bill.as_ref()).collect();
            if !fleets.is_empty() && fleets.len() == p.serving.len() {
                let mut sum = [0.0; 5];
                for b in fleets {
                    for (k, x) in lines(b).into_iter().enumerate() {
                        sum[k] += x;
                    }
                }
                let label = p.cheapest_plan.clone().unwrap_or_default();
                entries.push((format!("{} {label} (cheapest)", times(v)), sum));
            } else if let Some(b) = p
                .bills
                .iter()
                .find(|b| Some(&b.bill.plan) == p.cheapest_plan.as_ref())
            {
                entries.push((
                    format!("{} {} (cheapest)", times(v), b.bill.plan),
                    lines(&b.bill),
                ));
            }
        }
        if let Some(p) = best(&r.points, &d.name, top, 1.0, 1.0) {
            // Only plans that may serve every user group: a forbidden plan is not a next option.
            let mut others: Vec<&PointBill> = p
                .bills
                .iter()
                .filter(|b| b.lawful && Some(&b.bill.plan) != p.cheapest_plan.as_ref())
                .collect();
            others.sort_by_key(|b| b.bill.total_usd_per_month);
            for b in others.into_iter().take(4) {
                entries.push((format!("{} {}", times(top), b.bill.plan), lines(&b.bill)));
            }
        }
        let mut cats = Vec::new();
        let mut ends = Vec::new();
        for (label, parts) in entries {
            cats.push(label);
            let total: f64 = parts.iter().sum();
            ends.push(usd(total));
            // Shares of each bill: the bills span three orders of magnitude, and on one dollar scale the
            // small ones, where idle time is most of the bill, would be a pixel wide.
            for (k, v) in parts.into_iter().enumerate() {
                layers[k]
                    .1
                    .push(if total > 0.0 { v / total * 100.0 } else { 0.0 });
            }
        }
        let chart = StackedBars {
            id: &format!("chart-bill-{di}"),
            title: &format!("{}: monthly bill by line", d.name),
            categories: &cats,
            layers: &layers,
            ends: &ends,
            x_label: "share of the monthly bill",
            unit: Unit::Percent,
            range: Some((0.0, 100.0)),
        }
        .render();
        body.push_str(&figure(chart, &format!("{}: how each bill splits into busy and idle GPU time, egress, transfer and API overflow, on the cheapest allowed plan at each volume and the next allowed plans at the largest volume; each bar is one bill, its total written at its end.", d.name)));
        body.push_str(&find(&format!("bill-{di}")));
    }
    body.push_str("<h2 id=\"attribution\">What drives the growth</h2>");
    if !r.attribution.is_empty() {
        let cats: Vec<String> = r
            .attribution
            .iter()
            .map(|a| format!("{} → {}", a.deployment, times(a.volume)))
            .collect();
        let share = |f: fn(&infercost_plan::result::Attribution) -> f64| -> Vec<f64> {
            r.attribution
                .iter()
                .map(|a| {
                    if a.total_growth_usd > 0.0 {
                        f(a) / a.total_growth_usd * 100.0
                    } else {
                        0.0
                    }
                })
                .collect()
        };
        let layers = vec![
            ("volume".to_string(), share(|a| a.volume_usd)),
            ("context".to_string(), share(|a| a.context_usd)),
            ("burst".to_string(), share(|a| a.concurrency_usd)),
        ];
        let ends: Vec<String> = r
            .attribution
            .iter()
            .map(|a| {
                if a.total_growth_usd > 0.0 {
                    format!(
                        "+{}, {:.0}% compounding",
                        usd(a.total_growth_usd),
                        a.interaction_usd / a.total_growth_usd * 100.0
                    )
                } else {
                    format!("{} growth", usd(a.total_growth_usd))
                }
            })
            .collect();
        let mut cb: Vec<String> = r
            .attribution
            .iter()
            .map(|a| format!("{} context and {} burst", times(a.context), times(a.burst)))
            .collect();
        cb.dedup();
        let chart = StackedBars {
            id: "chart-attribution",
            title: "Shares of the monthly cost growth from the pilot",
            categories: &cats,
            layers: &layers,
            ends: &ends,
            x_label: "share of the growth",
            unit: Unit::Percent,
            range: Some((0.0, 100.0)),
        }
        .render();
        let example = r
            .attribution
            .iter()
            .max_by(|a, b| a.total_growth_usd.total_cmp(&b.total_growth_usd))
            .map(|a| {
                format!(
                    " For {} at {}, {}.",
                    a.deployment,
                    times(a.volume),
                    compounding(a)
                )
            })
            .unwrap_or_default();
        body.push_str(&figure(
            chart,
            &format!(
                "Each bar is one target ({}) split into the Shapley parts of volume, context and burst (concurrency), which add up to the whole growth written at its end; each deployment's bars share one 0–100% scale, so a small model's growth reads as well as a large one's. Compounding is the part of the growth that needs more than one variable to grow at once; it is already shared into the three parts, not a part of its own.{example}",
                if cb.len() == 1 { cb[0].clone() } else { "at the context and burst in the table".into() }
            ),
        ));
    }
    body.push_str(&find("attribution"));
    body.push_str("<h2 id=\"day\">A day's load against provisioned capacity</h2>");
    for (di, d) in s.deployments.iter().enumerate() {
        let v = vols
            .iter()
            .copied()
            .filter(|v| best(&r.points, &d.name, *v, 1.0, 1.0).is_some())
            .fold(1.0, f64::max);
        if let Some(p) = best(&r.points, &d.name, v, 1.0, 1.0) {
            let rep = |f: &dyn Fn(&infercost_plan::result::Hour) -> f64| {
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
            let chart = Lines {
                id: &format!("chart-day-{di}"),
                title: &format!("{} at {}: load and capacity by hour", d.name, times(v)),
                series: &series,
                log_x: false,
                log_y: false,
                marks: &[],
                x_label: "hour of day",
                x_unit: Unit::Plain,
                y_label: "replicas",
                y_unit: Unit::Plain,
            }
            .render();
            body.push_str(&figure(chart, &format!("{} at {} on {}: the gap between the fleet and the load is idle time you pay for on static and term plans.", d.name, times(v), p.gpu)));
            let t = Table {
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
            };
            body.push_str(&table(&t));
        }
    }
    body.push_str("<h2 id=\"latency\">Latency against the SLO</h2>");
    for (di, d) in s.deployments.iter().enumerate() {
        let pts: Vec<&infercost_plan::result::Point> = vols
            .iter()
            .filter_map(|&v| best(&r.points, &d.name, v, 1.0, 1.0))
            .collect();
        let cats: Vec<String> = pts
            .iter()
            .map(|p| format!("{} {}", times(p.volume), p.gpu))
            .collect();
        for (what, long, slo, pick) in [
            (
                "ttft",
                "time to first token",
                s.slo.ttft_ms,
                (|p: &infercost_plan::result::Point| (p.ttft_ms.p50, p.ttft_ms.p99))
                    as fn(&infercost_plan::result::Point) -> (f64, f64),
            ),
            ("tpot", "time per output token", s.slo.tpot_ms, |p| {
                (p.tpot_ms.p50, p.tpot_ms.p99)
            }),
        ] {
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
                title: &format!("{}: {long}", d.name),
                categories: &cats,
                groups: &groups,
                x_label: "volume and GPU",
                y_label: "ms",
                unit: Unit::Ms,
                reference: Some((slo, format!("SLO {}", ms(slo)))),
                muted: &[],
            }
            .render();
            body.push_str(&figure(
                chart,
                &format!(
                    "{}: {} at the busiest hour on the cheapest GPU.",
                    d.name,
                    what.to_uppercase()
                ),
            ));
        }
    }
    body.push_str(&find("latency"));
    body.push_str("<h2 id=\"inflections\">Where the curve bends, and the break-evens</h2>");
    body.push_str(&find("inflections"));
    body.push_str(&find("breakevens"));
    if !r.months.is_empty() {
        body.push_str("<h2 id=\"months\">Months ahead</h2>");
        let series: Vec<Series> = s
            .deployments
            .iter()
            .enumerate()
            .map(|(i, d)| Series {
                name: d.name.clone(),
                points: r
                    .months
                    .iter()
                    .filter(|m| m.deployment == d.name)
                    .filter_map(|m| m.usd_per_month.map(|c| (m.month as f64, c)))
                    .collect(),
                style: Style::nth(i),
            })
            .collect();
        let chart = Lines {
            id: "chart-months",
            title: "Monthly bill as users and prompts grow",
            series: &series,
            log_x: false,
            log_y: false,
            marks: &[],
            x_label: "month",
            x_unit: Unit::Plain,
            y_label: "USD per month",
            y_unit: Unit::Usd,
        }
        .render();
        body.push_str(&figure(chart, "The bill month by month on the cheapest allowed plan; order capacity by the day shown in the table."));
        body.push_str(&find("months"));
    }
    if !r.placement.is_empty() {
        body.push_str("<h2 id=\"placement\">Placement by region</h2>");
        let d0 = &s.deployments[0].name;
        let mine: Vec<&infercost_plan::result::Placement> =
            r.placement.iter().filter(|p| &p.deployment == d0).collect();
        let mut names: Vec<String> = mine
            .iter()
            .flat_map(|p| p.options.iter().map(|o| o.name.clone()))
            .collect();
        names.sort();
        names.dedup();
        let cats: Vec<String> = mine.iter().map(|p| times(p.volume)).collect();
        let mut muted = Vec::new();
        let groups: Vec<(String, Vec<f64>)> = names
            .iter()
            .enumerate()
            .map(|(gi, n)| {
                let opts: Vec<_> = mine
                    .iter()
                    .filter_map(|p| p.options.iter().find(|o| &o.name == n))
                    .collect();
                let label = if opts.iter().all(|o| !o.allowed) {
                    muted.push(gi);
                    format!("{n} (not allowed)")
                } else if opts.iter().any(|o| !o.allowed) {
                    format!("{n} (not always allowed)")
                } else {
                    n.clone()
                };
                (
                    label,
                    mine.iter()
                        .map(|p| {
                            p.options
                                .iter()
                                .find(|o| &o.name == n)
                                .map_or(0.0, |o| o.usd_per_month)
                        })
                        .collect(),
                )
            })
            .collect();
        let chart = GroupedBars {
            id: "chart-placement",
            title: &format!("{d0}: placement options"),
            categories: &cats,
            groups: &groups,
            x_label: "volume (× pilot)",
            y_label: "USD per month",
            unit: Unit::Usd,
            reference: None,
            muted: &muted,
        }
        .render();
        body.push_str(&figure(chart, "Monthly cost of each placement of user groups on serving regions; faint options are not allowed (they break the residency rules or the SLO) and are shown for comparison only; the table says why."));
        body.push_str(&find("placement"));
    }
    body.push_str("<h2 id=\"inputs\">Inputs, for the audit</h2>");
    body.push_str(&find("prices"));
    body.push_str(&find("api-prices"));
    body.push_str(&find("calibration"));
    body.push_str(&format!(
        "<p>infercost {} · JSON schema {} · prices and GPU figures carry their sources and dates above; the performance model's error is documented in docs/CALIBRATION.md.</p><h3>Scenario</h3><pre>{}</pre>",
        esc(&r.infercost_version),
        r.schema_version,
        esc(&serde_json::to_string_pretty(&r.scenario).unwrap_or_default())
    ));
    body.push_str(&crate::explorer::section(r));
    format!("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>infercost plan</title><style>{CSS}</style></head><body>{body}</body></html>\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_right_aligned_and_text_is_not() {
        for c in [
            "$44.2k",
            "+$3.74M",
            "1,000×",
            "81%",
            "30.9 ms",
            "220×1 h100-sxm",
        ] {
            assert!(is_figure(c), "{c}");
        }
        for c in [
            "2026-11-27",
            "2026 bare-metal/neocloud H100 SXM market range",
            "10× volume, 4× context, 2× burst",
            "baremetal-h100-eu",
        ] {
            assert!(!is_figure(c), "{c}");
        }
    }
}
