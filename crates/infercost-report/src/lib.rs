//! Reports of a plan result: the terminal summary, Markdown, and one self-contained HTML file whose charts are
//! inline SVG (no scripts, fonts or network), readable when printed and in colour-blind-safe colours.
#![warn(missing_docs)]

mod html;
mod svg;

pub use html::html;

use infercost_plan::analysis::best;
use infercost_plan::result::{PlanResult, Point};
use std::path::{Path, PathBuf};

/// Money for people.
pub fn usd(x: f64) -> String {
    let a = x.abs();
    let s = if a >= 1e6 {
        format!("${:.2}M", a / 1e6)
    } else if a >= 1e4 {
        format!("${:.1}k", a / 1e3)
    } else if a >= 100.0 {
        format!("${a:.0}")
    } else {
        format!("${a:.2}")
    };
    if x < 0.0 {
        format!("-{s}")
    } else {
        s
    }
}

/// A volume multiple as `10×`.
pub fn times(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}×")
    } else {
        format!("{x:.2}×")
    }
}

/// One row of the headline table.
#[derive(Debug, Clone)]
pub struct HeadlineRow {
    /// Volume.
    pub volume: f64,
    /// Users.
    pub users: f64,
    /// The best point over GPUs.
    pub point: Option<Point>,
    /// Cost over the pilot's.
    pub multiplier: Option<f64>,
}

/// The headline per deployment at a context and burst: cheapest lawful cost at each volume.
pub fn headline(r: &PlanResult, deployment: &str, context: f64, burst: f64) -> Vec<HeadlineRow> {
    let mut vols = r.scenario.volume.clone();
    vols.sort_by(f64::total_cmp);
    let pilot = best(&r.points, deployment, 1.0, 1.0, 1.0).and_then(|p| p.cheapest_usd_per_month);
    vols.iter()
        .map(|&v| {
            let p = best(&r.points, deployment, v, context, burst).cloned();
            let multiplier = match (&p, pilot) {
                (Some(p), Some(base)) => p.cheapest_usd_per_month.map(|c| c / base),
                _ => None,
            };
            HeadlineRow {
                volume: v,
                users: r.scenario.users * v,
                point: p,
                multiplier,
            }
        })
        .collect()
}

fn fleet(p: &Point) -> String {
    format!("{}×{} {}", p.replicas_peak, p.tp, p.gpu)
}

/// The headline table's cells, shared by the terminal, Markdown and HTML.
pub fn headline_cells(row: &HeadlineRow) -> Vec<String> {
    match &row.point {
        Some(p) => {
            let total = p.cheapest_usd_per_month.unwrap_or(0.0);
            vec![
                times(row.volume),
                format!("{:.0}", row.users),
                fleet(p),
                p.cheapest_plan.clone().unwrap_or_default(),
                usd(total),
                row.multiplier.map_or("-".into(), |m| format!("{m:.1}×")),
                format!("${:.3}", total / p.requests_per_month.max(1.0) * 1000.0),
                format!(
                    "${:.2}",
                    total / (p.output_tokens_per_month / 1e6).max(1e-9)
                ),
                format!("{:.0}%", p.utilization * 100.0),
            ]
        }
        None => vec![
            times(row.volume),
            format!("{:.0}", row.users),
            "no fleet meets the SLO and rules".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ],
    }
}

/// Headline column names.
pub const HEADLINE_COLUMNS: [&str; 9] = [
    "volume",
    "users",
    "fleet (replicas×TP GPU)",
    "cheapest plan",
    "$/month",
    "× pilot",
    "$/1k requests",
    "$/M output tokens",
    "GPU busy",
];

fn pad(cells: &[String], widths: &[usize]) -> String {
    cells
        .iter()
        .zip(widths)
        .map(|(c, w)| format!("{c:<w$}"))
        .collect::<Vec<_>>()
        .join("  ")
        .trim_end()
        .to_string()
}

/// The terminal summary: tables and sentences that fit a screen; every figure is in the JSON.
pub fn summary(r: &PlanResult) -> Vec<String> {
    let s = &r.scenario;
    let mut out = Vec::new();
    out.push(format!(
        "infercost {} — pilot {}: {} requests over {:.0} s ({:.2}/s), mean {:.0} prompt / {:.0} output tokens, busiest minute {:.2}× the mean",
        r.infercost_version, r.pilot.trace, r.pilot.requests, r.pilot.duration_s, r.pilot.mean_rate_rps, r.pilot.input_tokens_mean, r.pilot.output_tokens_mean, r.pilot.peak_to_mean_60s
    ));
    let trough = r.pilot.diurnal.iter().copied().fold(f64::MAX, f64::min);
    out.push(format!("SLO p{} TTFT ≤ {} ms, TPOT ≤ {} ms; the pilot is the busiest hour of a day whose quietest hour carries {:.0}% of it", s.slo.percentile, s.slo.ttft_ms, s.slo.tpot_ms, trough * 100.0));
    if let Some(sh) = r.shard {
        out.push(format!(
            "shard {}/{} — {} points; combine the shards with `infercost merge`",
            sh[0],
            sh[1],
            r.points.len()
        ));
        return out;
    }
    let widths = [7, 7, 22, 26, 10, 8, 13, 17, 8];
    for d in &s.deployments {
        out.push(String::new());
        out.push(format!(
            "{} ({}{}), context 1×, burst 1×",
            d.name,
            d.model,
            if d.fine_tuned {
                ", fine-tuned: no API fallback"
            } else {
                ""
            }
        ));
        out.push(pad(
            &HEADLINE_COLUMNS
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>(),
            &widths,
        ));
        for row in headline(r, &d.name, 1.0, 1.0) {
            out.push(pad(&headline_cells(&row), &widths));
        }
        let (cm, bm) = (
            s.context.iter().copied().fold(1.0, f64::max),
            s.burst.iter().copied().fold(1.0, f64::max),
        );
        if cm > 1.0 || bm > 1.0 {
            let rows = headline(r, &d.name, cm, bm);
            let cells: Vec<String> = rows
                .iter()
                .map(|row| {
                    format!(
                        "{} {}",
                        times(row.volume),
                        row.point
                            .as_ref()
                            .and_then(|p| p.cheapest_usd_per_month)
                            .map_or("-".into(), usd)
                    )
                })
                .collect();
            out.push(format!(
                "  at context {}, burst {}: {}",
                times(cm),
                times(bm),
                cells.join(", ")
            ));
        }
    }
    if !r.attribution.is_empty() {
        out.push(String::new());
        out.push(
            "What drives the growth (Shapley shares of the monthly cost growth from the pilot):"
                .into(),
        );
        for a in &r.attribution {
            out.push(format!(
                "  {} → {} vol, {} ctx, {} burst: +{} = volume {} + context {} + concurrency {} (interaction {}); driver: {}",
                a.deployment, times(a.volume), times(a.context), times(a.burst), usd(a.total_growth_usd), usd(a.volume_usd), usd(a.context_usd), usd(a.concurrency_usd), usd(a.interaction_usd), a.driver
            ));
        }
    }
    if !r.inflections.is_empty() {
        out.push(String::new());
        out.push("Where the curve bends:".into());
        for i in r.inflections.iter().take(12) {
            out.push(format!("  - {}", i.description));
        }
        if r.inflections.len() > 12 {
            out.push(format!(
                "  … and {} more in the JSON and the report",
                r.inflections.len() - 12
            ));
        }
    }
    if !r.breakevens.is_empty() {
        out.push(String::new());
        out.push("Break-evens:".into());
        let mut seen_commit = 0;
        for b in &r.breakevens {
            if b.kind == "committed_vs_on_demand" {
                seen_commit += 1;
                if seen_commit > 3 {
                    continue;
                }
            }
            out.push(format!("  - {}", b.description));
        }
    }
    if !r.months.is_empty() {
        out.push(String::new());
        out.push("Months ahead (cheapest plan, interpolated between sweep points):".into());
        for d in &s.deployments {
            let cells: Vec<String> = r
                .months
                .iter()
                .filter(|m| m.deployment == d.name)
                .map(|m| {
                    format!(
                        "m{} {:.0} users {} (order by day {:.0})",
                        m.month,
                        m.users,
                        usd(m.usd_per_month),
                        m.order_by_day
                    )
                })
                .collect();
            out.push(format!("  {}: {}", d.name, cells.join("; ")));
        }
    }
    if !r.placement.is_empty() {
        out.push(String::new());
        out.push("Placement (residency rules and added latency obeyed):".into());
        for p in &r.placement {
            let chosen = p
                .chosen
                .as_ref()
                .and_then(|c| p.options.iter().find(|o| &o.name == c));
            let text = match chosen {
                Some(o) => format!(
                    "{} at {} — {}",
                    o.name,
                    usd(o.usd_per_month),
                    o.routes
                        .iter()
                        .map(|r| format!("{} users → {} ({})", r.users, r.served_in, r.plan))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => "no placement obeys the rules".into(),
            };
            out.push(format!("  {} {}: {}", p.deployment, times(p.volume), text));
        }
    }
    out
}

fn md_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = format!(
        "| {} |\n|{}\n",
        header.join(" | "),
        header.iter().map(|_| "---|").collect::<String>()
    );
    for r in rows {
        s.push_str(&format!(
            "| {} |\n",
            r.iter()
                .map(|c| c.replace('|', "\\|"))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
    }
    s
}

/// The tables of the report, each with a title: shared by Markdown and HTML so both say the same.
pub fn tables(r: &PlanResult) -> Vec<(String, Vec<String>, Vec<Vec<String>>)> {
    let s = &r.scenario;
    let mut t = Vec::new();
    for d in &s.deployments {
        let rows: Vec<Vec<String>> = headline(r, &d.name, 1.0, 1.0)
            .iter()
            .map(headline_cells)
            .collect();
        t.push((
            format!(
                "Monthly bill of {} at each volume (context 1×, burst 1×)",
                d.name
            ),
            HEADLINE_COLUMNS.iter().map(|c| c.to_string()).collect(),
            rows,
        ));
    }
    let mut vols = s.volume.clone();
    vols.sort_by(f64::total_cmp);
    // Cost on every plan at each volume (the first deployment's cheapest GPU for each plan).
    for d in &s.deployments {
        let plans = plans_of(r, &d.name);
        let header: Vec<String> = std::iter::once("plan".to_string())
            .chain(vols.iter().map(|v| times(*v)))
            .collect();
        let rows: Vec<Vec<String>> = plans
            .iter()
            .map(|plan| {
                std::iter::once(plan.clone())
                    .chain(vols.iter().map(|&v| {
                        plan_cost(r, &d.name, plan, v).map_or("-".into(), |(c, _)| usd(c))
                    }))
                    .collect()
            })
            .collect();
        t.push((
            format!(
                "{}: monthly cost on every plan (context 1×, burst 1×)",
                d.name
            ),
            header,
            rows,
        ));
        let bill_rows: Vec<Vec<String>> = vols
            .iter()
            .filter_map(|&v| best(&r.points, &d.name, v, 1.0, 1.0).map(|p| (v, p)))
            .filter_map(|(v, p)| {
                p.bills
                    .iter()
                    .find(|b| Some(&b.bill.plan) == p.cheapest_plan.as_ref())
                    .map(|b| (v, b))
            })
            .map(|(v, b)| {
                let busy = b.bill.gpu_usd.dollars() - b.bill.idle_usd.dollars();
                vec![
                    times(v),
                    b.bill.plan.clone(),
                    b.policy.to_string(),
                    usd(busy),
                    usd(b.bill.idle_usd.dollars()),
                    usd(b.bill.egress_usd.dollars()),
                    usd(b.bill.transfer_usd.dollars()),
                    usd(b.bill.api_usd.dollars()),
                    usd(b.bill.total_usd_per_month.dollars()),
                ]
            })
            .collect();
        t.push((
            format!("{}: the bill broken down on the cheapest plan", d.name),
            [
                "volume", "plan", "policy", "busy GPU", "idle GPU", "egress", "transfer", "API",
                "total",
            ]
            .iter()
            .map(|x| x.to_string())
            .collect(),
            bill_rows,
        ));
    }
    let attr: Vec<Vec<String>> = r
        .attribution
        .iter()
        .map(|a| {
            vec![
                a.deployment.clone(),
                format!(
                    "{} vol, {} ctx, {} burst",
                    times(a.volume),
                    times(a.context),
                    times(a.burst)
                ),
                usd(a.pilot_usd),
                usd(a.target_usd),
                usd(a.volume_usd),
                usd(a.context_usd),
                usd(a.concurrency_usd),
                usd(a.interaction_usd),
                a.driver.clone(),
            ]
        })
        .collect();
    t.push((
        "Attribution of cost growth (Shapley values; volume + context + concurrency = growth)"
            .into(),
        [
            "deployment",
            "target",
            "pilot",
            "target cost",
            "volume",
            "context",
            "concurrency",
            "interaction (info)",
            "driver",
        ]
        .iter()
        .map(|x| x.to_string())
        .collect(),
        attr,
    ));
    let lat: Vec<Vec<String>> = r
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
                format!("{:.0}", p.ttft_ms.p50),
                format!("{:.0}", p.ttft_ms.p99),
                format!("{:.1}", p.tpot_ms.p50),
                format!("{:.1}", p.tpot_ms.p99),
            ]
        })
        .collect();
    t.push((
        format!(
            "Latency at the busiest hour on the cheapest GPU (SLO: p{} TTFT ≤ {} ms, TPOT ≤ {} ms)",
            s.slo.percentile, s.slo.ttft_ms, s.slo.tpot_ms
        ),
        [
            "deployment",
            "volume",
            "context",
            "burst",
            "gpu",
            "TTFT p50 ms",
            "TTFT p99 ms",
            "TPOT p50 ms",
            "TPOT p99 ms",
        ]
        .iter()
        .map(|x| x.to_string())
        .collect(),
        lat,
    ));
    let infl: Vec<Vec<String>> = r
        .inflections
        .iter()
        .map(|i| {
            vec![
                i.kind.clone(),
                i.deployment.clone(),
                times(i.at_volume),
                i.description.clone(),
            ]
        })
        .collect();
    t.push((
        "Inflections".into(),
        ["kind", "deployment", "at volume", "what happens"]
            .iter()
            .map(|x| x.to_string())
            .collect(),
        infl,
    ));
    let be: Vec<Vec<String>> = r
        .breakevens
        .iter()
        .map(|b| {
            vec![
                b.kind.clone(),
                b.deployment.clone().unwrap_or_default(),
                b.value.map_or("-".into(), |v| format!("{v:.3} {}", b.unit)),
                b.description.clone(),
            ]
        })
        .collect();
    t.push((
        "Break-evens".into(),
        ["kind", "deployment", "value", "meaning"]
            .iter()
            .map(|x| x.to_string())
            .collect(),
        be,
    ));
    if !r.months.is_empty() {
        let m: Vec<Vec<String>> = r
            .months
            .iter()
            .map(|m| {
                vec![
                    m.deployment.clone(),
                    m.month.to_string(),
                    format!("{:.0}", m.users),
                    format!("{:.2}×", m.context),
                    usd(m.usd_per_month),
                    format!("{:.0}", m.gpus_peak),
                    m.plan.clone().unwrap_or_default(),
                    format!("{:.0}", m.order_by_day),
                ]
            })
            .collect();
        t.push((
            "Months ahead".into(),
            [
                "deployment",
                "month",
                "users",
                "context",
                "$/month",
                "GPUs at peak",
                "plan",
                "order capacity by day",
            ]
            .iter()
            .map(|x| x.to_string())
            .collect(),
            m,
        ));
    }
    if !r.placement.is_empty() {
        let p: Vec<Vec<String>> = r
            .placement
            .iter()
            .flat_map(|p| {
                p.options.iter().map(move |o| {
                    vec![
                        p.deployment.clone(),
                        times(p.volume),
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
                        if p.chosen.as_ref() == Some(&o.name) {
                            "chosen".into()
                        } else if o.allowed {
                            "allowed".into()
                        } else {
                            format!("not allowed: {}", o.reason.clone().unwrap_or_default())
                        },
                    ]
                })
            })
            .collect();
        t.push((
            "Placement by region".into(),
            [
                "deployment",
                "volume",
                "option",
                "routes",
                "$/month",
                "verdict",
            ]
            .iter()
            .map(|x| x.to_string())
            .collect(),
            p,
        ));
    }
    let prices: Vec<Vec<String>> = r
        .prices_used
        .iter()
        .map(|p| {
            vec![
                p.plan.clone(),
                format!("{:.4}", p.usd_per_gpu_hour),
                p.commitment.clone(),
                p.as_of.clone(),
                p.source.clone(),
            ]
        })
        .collect();
    t.push((
        "Prices used, with sources and dates".into(),
        ["plan", "$/GPU-hour", "commitment", "as of", "source"]
            .iter()
            .map(|x| x.to_string())
            .collect(),
        prices,
    ));
    let cal: Vec<Vec<String>> = r
        .calibration
        .iter()
        .map(|c| {
            vec![
                c.gpu.clone(),
                format!("{:.1}%", c.gemm_median_error * 100.0),
                format!("{:.1}%", c.gemm_p90_error * 100.0),
                format!("{:.1}%", c.all_reduce_median_error * 100.0),
                c.reference.clone(),
            ]
        })
        .collect();
    t.push((
        "Performance model calibration error".into(),
        [
            "measured GPU",
            "GEMM median",
            "GEMM p90",
            "all-reduce median",
            "reference",
        ]
        .iter()
        .map(|x| x.to_string())
        .collect(),
        cal,
    ));
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

/// The Markdown report: the same tables as the HTML.
pub fn markdown(r: &PlanResult) -> String {
    let mut s = String::from("# infercost plan\n\n");
    s.push_str(&format!(
        "Pilot `{}`: {} requests over {:.0} s, mean {:.0} prompt and {:.0} output tokens. SLO: p{} TTFT ≤ {} ms and TPOT ≤ {} ms. infercost {} (JSON schema {}).\n\n",
        r.pilot.trace, r.pilot.requests, r.pilot.duration_s, r.pilot.input_tokens_mean, r.pilot.output_tokens_mean, r.scenario.slo.percentile, r.scenario.slo.ttft_ms, r.scenario.slo.tpot_ms, r.infercost_version, r.schema_version
    ));
    for (title, header, rows) in tables(r) {
        s.push_str(&format!("## {title}\n\n"));
        if rows.is_empty() {
            s.push_str("(none)\n\n");
            continue;
        }
        s.push_str(&md_table(
            &header.iter().map(String::as_str).collect::<Vec<_>>(),
            &rows,
        ));
        s.push('\n');
    }
    s
}

/// Writes report.json, report.md and report.html into `dir` (created when missing).
pub fn write_all(r: &PlanResult, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json_string(r)?;
    let files = [
        ("report.json", json),
        ("report.md", markdown(r)),
        ("report.html", html(r)),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::write(&p, text)?;
        written.push(p);
    }
    Ok(written)
}

fn serde_json_string(r: &PlanResult) -> std::io::Result<String> {
    serde_json::to_string_pretty(r)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(std::io::Error::other)
}
