//! The self-contained HTML report: inline CSS and SVG, no scripts, fonts or network; every chart has its table.

use crate::svg::{self, esc};
use crate::{headline, plan_cost, plans_of, tables, times, usd, HEADLINE_COLUMNS};
use infercost_plan::analysis::best;
use infercost_plan::result::PlanResult;

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#111;line-height:1.4}\
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}h3{font-size:1.05em}\
table{border-collapse:collapse;margin:.8em 0;font-size:.85em}th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top}\
th{background:#f0f0f0}td.num{text-align:right}.headline{font-size:1.1em}.chart{width:100%;max-width:900px;height:auto;display:block}\
figure{margin:1em 0}figcaption{font-size:.85em;color:#444}pre{background:#f7f7f7;padding:.8em;overflow-x:auto;font-size:.8em}\
@media print{h2{page-break-before:auto}figure,table{page-break-inside:avoid}body{max-width:none}}";

fn table(header: &[String], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<table><thead><tr>");
    for h in header {
        s.push_str(&format!("<th>{}</th>", esc(h)));
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            let num = c.starts_with('$') || c.chars().next().is_some_and(|ch| ch.is_ascii_digit());
            s.push_str(&format!(
                "<td{}>{}</td>",
                if num { " class=\"num\"" } else { "" },
                esc(c)
            ));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

fn figure(svg: String, caption: &str) -> String {
    format!(
        "<figure>{svg}<figcaption>{}</figcaption></figure>",
        esc(caption)
    )
}

/// The HTML report.
pub fn html(r: &PlanResult) -> String {
    let s = &r.scenario;
    let all = tables(r);
    let find = |prefix: &str| {
        all.iter()
            .filter(|t| t.0.contains(prefix))
            .map(|(title, h, rows)| format!("<h3>{}</h3>{}", esc(title), table(h, rows)))
            .collect::<Vec<_>>()
            .join("")
    };
    let mut vols = s.volume.clone();
    vols.sort_by(f64::total_cmp);
    let mut body = String::new();
    body.push_str("<h1>What the pilot will cost in production</h1>");
    body.push_str(&format!(
        "<p>Pilot <code>{}</code>: {} requests over {:.0} s ({:.2} requests/s), mean {:.0} prompt and {:.0} output tokens, busiest minute {:.2}× the mean. SLO: p{} TTFT ≤ {} ms and TPOT ≤ {} ms.</p>",
        esc(&r.pilot.trace), r.pilot.requests, r.pilot.duration_s, r.pilot.mean_rate_rps, r.pilot.input_tokens_mean, r.pilot.output_tokens_mean, r.pilot.peak_to_mean_60s, s.slo.percentile, s.slo.ttft_ms, s.slo.tpot_ms
    ));
    body.push_str("<h2 id=\"headline\">Headline</h2>");
    for d in &s.deployments {
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
                                .map_or(String::new(), |m| format!(" ({m:.1}× the pilot)"))
                        )
                    })
            })
            .collect();
        body.push_str(&format!(
            "<p class=\"headline\"><strong>{}</strong>: {} a month on the cheapest plan.</p>",
            esc(&d.name),
            esc(&sentence.join(", "))
        ));
        body.push_str(&table(
            &HEADLINE_COLUMNS
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>(),
            &rows.iter().map(crate::headline_cells).collect::<Vec<_>>(),
        ));
    }
    body.push_str("<h2 id=\"cost\">Cost against volume, every plan</h2>");
    for (di, d) in s.deployments.iter().enumerate() {
        let plans = plans_of(r, &d.name);
        let series: Vec<(String, Vec<(f64, f64)>)> = plans
            .iter()
            .map(|pl| {
                (
                    pl.clone(),
                    vols.iter()
                        .filter_map(|&v| plan_cost(r, &d.name, pl, v).map(|(c, _)| (v, c)))
                        .collect(),
                )
            })
            .filter(|x: &(String, Vec<(f64, f64)>)| !x.1.is_empty())
            .collect();
        let marks: Vec<(f64, String)> = r
            .inflections
            .iter()
            .filter(|i| i.deployment == d.name)
            .map(|i| (i.at_volume, i.kind.replace('_', " ")))
            .collect();
        body.push_str(&figure(
            svg::lines(&format!("chart-cost-{di}"), &format!("{}: monthly cost against volume (log–log)", d.name), &series, true, true, &marks, "volume (× pilot)", "USD per month"),
            &format!("{}: monthly cost on each plan at context 1× and burst 1×; dashed verticals mark inflections.", d.name),
        ));
    }
    body.push_str(&find("monthly cost on every plan"));
    body.push_str("<h2 id=\"bill\">The bill broken down</h2>");
    for (di, d) in s.deployments.iter().enumerate() {
        let mut cats = Vec::new();
        let mut layers: Vec<(String, Vec<f64>)> =
            ["busy GPU", "idle GPU", "egress", "transfer", "API"]
                .iter()
                .map(|n| (n.to_string(), Vec::new()))
                .collect();
        let top = vols.last().copied().unwrap_or(1.0);
        let mut entries: Vec<(String, &infercost_plan::result::PointBill)> = Vec::new();
        for &v in &vols {
            if let Some(p) = best(&r.points, &d.name, v, 1.0, 1.0) {
                if let Some(b) = p
                    .bills
                    .iter()
                    .find(|b| Some(&b.bill.plan) == p.cheapest_plan.as_ref())
                {
                    entries.push((format!("{} {} (cheapest)", times(v), b.bill.plan), b));
                }
            }
        }
        if let Some(p) = best(&r.points, &d.name, top, 1.0, 1.0) {
            let mut others: Vec<&infercost_plan::result::PointBill> = p
                .bills
                .iter()
                .filter(|b| Some(&b.bill.plan) != p.cheapest_plan.as_ref())
                .collect();
            others.sort_by_key(|b| b.bill.total_usd_per_month);
            for b in others.into_iter().take(4) {
                entries.push((format!("{} {}", times(top), b.bill.plan), b));
            }
        }
        for (label, b) in entries {
            cats.push(label);
            let g = b.bill.gpu_usd.dollars();
            let idle = b.bill.idle_usd.dollars();
            for (i, v) in [
                g - idle,
                idle,
                b.bill.egress_usd.dollars(),
                b.bill.transfer_usd.dollars(),
                b.bill.api_usd.dollars(),
            ]
            .into_iter()
            .enumerate()
            {
                layers[i].1.push(v);
            }
        }
        body.push_str(&figure(svg::stacked(&format!("chart-bill-{di}"), &format!("{}: bill by line", d.name), &cats, &layers, "USD per month"), &format!("{}: busy and idle GPU time, egress, transfer and API overflow on the cheapest plan at each volume, and the next plans at the largest volume.", d.name)));
    }
    body.push_str(&find("the bill broken down"));
    body.push_str("<h2 id=\"attribution\">What drives the growth</h2>");
    let cats: Vec<String> = r
        .attribution
        .iter()
        .map(|a| format!("{} {}", a.deployment, times(a.volume)))
        .collect();
    let groups = vec![
        (
            "volume".to_string(),
            r.attribution.iter().map(|a| a.volume_usd).collect(),
        ),
        (
            "context".to_string(),
            r.attribution.iter().map(|a| a.context_usd).collect(),
        ),
        (
            "concurrency".to_string(),
            r.attribution.iter().map(|a| a.concurrency_usd).collect(),
        ),
        (
            "interaction (info)".to_string(),
            r.attribution.iter().map(|a| a.interaction_usd).collect(),
        ),
    ];
    body.push_str(&figure(svg::grouped("chart-attribution", "Attribution of monthly cost growth", &cats, &groups, "USD per month", None), "Shapley shares of the growth from the pilot to each target (volume, context and concurrency add up to the growth; the interaction is shown for information)."));
    body.push_str(&find("Attribution"));
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
                (
                    "static fleet (replicas)".to_string(),
                    rep(&|h| h.replicas_static as f64),
                ),
                (
                    "autoscaled fleet".to_string(),
                    rep(&|h| h.replicas_autoscaled as f64),
                ),
                (
                    "load (replicas' worth)".to_string(),
                    rep(&|h| {
                        if p.max_rps_per_replica > 0.0 {
                            h.load_rps / p.max_rps_per_replica
                        } else {
                            0.0
                        }
                    }),
                ),
            ];
            body.push_str(&figure(svg::lines(&format!("chart-day-{di}"), &format!("{} at {}: load and capacity by hour", d.name, times(v)), &series, false, false, &[], "hour of day", "replicas"), &format!("{} at {} on {}: the gap between the fleet and the load is idle time you pay for on static and term plans.", d.name, times(v), p.gpu)));
            let rows: Vec<Vec<String>> = p
                .hourly
                .iter()
                .map(|h| {
                    vec![
                        format!("{:02}", h.hour),
                        format!("{:.2}", h.load_rps),
                        h.replicas_static.to_string(),
                        h.replicas_autoscaled.to_string(),
                        format!("{:.0}%", h.busy_fraction_static * 100.0),
                    ]
                })
                .collect();
            body.push_str(&table(
                &[
                    "hour",
                    "requests/s",
                    "static replicas",
                    "autoscaled replicas",
                    "static fleet busy",
                ]
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>(),
                &rows,
            ));
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
        let ttft = vec![
            (
                "TTFT p50".to_string(),
                pts.iter().map(|p| p.ttft_ms.p50).collect(),
            ),
            (
                "TTFT p99".to_string(),
                pts.iter().map(|p| p.ttft_ms.p99).collect(),
            ),
        ];
        body.push_str(&figure(
            svg::grouped(
                &format!("chart-ttft-{di}"),
                &format!("{}: time to first token", d.name),
                &cats,
                &ttft,
                "ms",
                Some((s.slo.ttft_ms, format!("SLO {} ms", s.slo.ttft_ms))),
            ),
            &format!("{}: TTFT at the busiest hour on the cheapest GPU.", d.name),
        ));
        let tpot = vec![
            (
                "TPOT p50".to_string(),
                pts.iter().map(|p| p.tpot_ms.p50).collect(),
            ),
            (
                "TPOT p99".to_string(),
                pts.iter().map(|p| p.tpot_ms.p99).collect(),
            ),
        ];
        body.push_str(&figure(
            svg::grouped(
                &format!("chart-tpot-{di}"),
                &format!("{}: time per output token", d.name),
                &cats,
                &tpot,
                "ms",
                Some((s.slo.tpot_ms, format!("SLO {} ms", s.slo.tpot_ms))),
            ),
            &format!("{}: TPOT at the busiest hour on the cheapest GPU.", d.name),
        ));
    }
    body.push_str(&find("Latency at the busiest hour"));
    body.push_str("<h2 id=\"inflections\">Where the curve bends, and the break-evens</h2>");
    body.push_str(&find("Inflections"));
    body.push_str(&find("Break-evens"));
    if !r.months.is_empty() {
        body.push_str("<h2 id=\"months\">Months ahead</h2>");
        let series: Vec<(String, Vec<(f64, f64)>)> = s
            .deployments
            .iter()
            .map(|d| {
                (
                    d.name.clone(),
                    r.months
                        .iter()
                        .filter(|m| m.deployment == d.name)
                        .map(|m| (m.month as f64, m.usd_per_month))
                        .collect(),
                )
            })
            .collect();
        body.push_str(&figure(svg::lines("chart-months", "Monthly bill as users and prompts grow", &series, false, false, &[], "month", "USD per month"), "The bill month by month on the cheapest plan; order capacity by the day shown in the table."));
        body.push_str(&find("Months ahead"));
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
        let groups: Vec<(String, Vec<f64>)> = names
            .iter()
            .map(|n| {
                (
                    n.clone(),
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
        body.push_str(&figure(svg::grouped("chart-placement", &format!("{d0}: placement options"), &cats, &groups, "USD per month", None), "Monthly cost of each placement of user groups on serving regions; the table says which obey the residency rules and the SLO."));
        body.push_str(&find("Placement by region"));
    }
    body.push_str("<h2 id=\"inputs\">Inputs, for the audit</h2>");
    body.push_str(&find("Prices used"));
    body.push_str(&find("calibration error"));
    body.push_str(&format!(
        "<p>infercost {} · JSON schema {} · prices and GPU figures carry their sources and dates above; the performance model's error is documented in docs/CALIBRATION.md.</p><h3>Scenario</h3><pre>{}</pre>",
        esc(&r.infercost_version),
        r.schema_version,
        esc(&serde_json::to_string_pretty(&r.scenario).unwrap_or_default())
    ));
    format!("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>infercost plan</title><style>{CSS}</style></head><body>{body}</body></html>\n")
}
