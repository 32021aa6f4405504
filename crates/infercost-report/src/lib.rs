//! Reports of a plan result: the terminal summary, Markdown, and one self-contained HTML file whose charts are
//! inline SVG (no scripts, fonts or network), readable when printed and in colour-blind-safe colours. Every
//! figure is written by `infercost_core::fmt`, so the same amount reads the same in all three. The tables also
//! come as CSV (`csv_tables`), and the forecast bills as FinOps FOCUS rows (`focus`).
#![warn(missing_docs)]

mod explorer;
pub mod focus;
mod html;
mod residency;
mod svg;

pub use focus::{focus_csv, Focus, FocusOptions, Period};
pub use html::html;

use infercost_core::fmt::{count, int, ms, usd, usd_unit};
use infercost_plan::analysis::best;
use infercost_plan::result::{Attribution, PlanResult, Point};
use residency::Residency;
use std::path::{Path, PathBuf};

/// A multiple of the pilot as `10×` or `1,000×`.
pub fn times(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{}×", int(x))
    } else {
        format!("{x:.2}×")
    }
}

/// A cost ratio: `3.0×` below 100, `220×` above.
pub(crate) fn ratio(m: f64) -> String {
    if m >= 100.0 {
        format!("{}×", int(m))
    } else {
        format!("{m:.1}×")
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

/// What a shard's report says of itself: which shard, and that the analysis waits for `merge`. None for a
/// whole plan.
pub fn shard_note(r: &PlanResult) -> Option<String> {
    r.shard.map(|[i, n]| {
        format!(
            "This is shard {i}/{n} of the sweep: it lists only its own {} point{}. The analysis (attribution, inflections, break-evens, months ahead, placement) comes with `infercost merge`, which combines the shards.",
            count(r.points.len() as u64),
            if r.points.len() == 1 { "" } else { "s" }
        )
    })
}

/// The headline per deployment at a context and burst: cheapest lawful cost at each volume. In a shard, only
/// the volumes it holds a point of: the others are in another shard, not without a fleet.
pub fn headline(r: &PlanResult, deployment: &str, context: f64, burst: f64) -> Vec<HeadlineRow> {
    let mut vols = r.scenario.volume.clone();
    vols.sort_by(f64::total_cmp);
    let pilot = best(&r.points, deployment, 1.0, 1.0, 1.0).and_then(|p| p.cheapest_usd_per_month);
    let held = |v: f64| {
        r.shard.is_none()
            || r.points.iter().any(|p| {
                p.deployment == deployment
                    && p.volume == v
                    && p.context == context
                    && p.burst == burst
            })
    };
    vols.iter()
        .filter(|&&v| held(v))
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
    format!("{}×{} {}", count(p.replicas_peak.into()), p.tp, p.gpu)
}

/// Why points have no fleet, and what the engine refused, in sentences under a deployment's headline: GPU
/// types with no fleet at any point and their reason, volumes with no fleet on any GPU, and requests rejected
/// or cut at `max_model_len` at the pilot's context.
pub fn shortfalls(r: &PlanResult, deployment: &str) -> Vec<String> {
    let s = &r.scenario;
    let mine: Vec<&Point> = r
        .points
        .iter()
        .filter(|p| p.deployment == deployment)
        .collect();
    let mut out = Vec::new();
    for g in &s.gpus {
        let on: Vec<&&Point> = mine.iter().filter(|p| &p.gpu == g).collect();
        if !on.is_empty() && on.iter().all(|p| p.cheapest_usd_per_month.is_none()) {
            let why = on
                .iter()
                .find_map(|p| p.reason.clone())
                .unwrap_or_else(|| "no reason recorded".into());
            out.push(format!("not offered on {g}: {why}"));
        }
    }
    let mut vols = s.volume.clone();
    vols.sort_by(f64::total_cmp);
    for &v in &vols {
        let here: Vec<&&Point> = mine
            .iter()
            .filter(|p| p.volume == v && p.context == 1.0 && p.burst == 1.0)
            .collect();
        if !here.is_empty() && here.iter().all(|p| p.cheapest_usd_per_month.is_none()) {
            let whys: Vec<String> = here
                .iter()
                .filter(|p| on_some_point(&mine, &p.gpu))
                .filter_map(|p| p.reason.as_ref().map(|w| format!("{}: {w}", p.gpu)))
                .collect();
            if !whys.is_empty() {
                out.push(format!("no fleet at {}: {}", times(v), whys.join("; ")));
            }
        }
    }
    if let Some(p) = best(&r.points, deployment, 1.0, 1.0, 1.0) {
        if p.rejected_peak_hour > 0 || p.truncated_peak_hour > 0 {
            out.push(format!(
                "at the pilot's volume the engine refuses {} of {} requests in the busiest hour (prompt at or past max_model_len {}) and cuts {} outputs there; refused requests count as SLO misses",
                count(p.rejected_peak_hour),
                count(p.requests_peak_hour),
                count(s.engine.max_model_len as u64),
                count(p.truncated_peak_hour)
            ));
        }
    }
    out
}

/// Whether a GPU type has a fleet at some point (so its failure at one point is worth naming).
fn on_some_point(points: &[&Point], gpu: &str) -> bool {
    points
        .iter()
        .any(|p| p.gpu == gpu && p.cheapest_usd_per_month.is_some())
}

/// The headline table's cells, shared by the terminal, Markdown and HTML.
pub fn headline_cells(row: &HeadlineRow) -> Vec<String> {
    match &row.point {
        Some(p) => {
            let total = p.cheapest_usd_per_month.unwrap_or(0.0);
            vec![
                times(row.volume),
                int(row.users),
                fleet(p),
                p.cheapest_plan.clone().unwrap_or_default(),
                usd(total),
                row.multiplier.map_or("-".into(), ratio),
                usd_unit(total / p.requests_per_month.max(1.0) * 1000.0),
                usd_unit(total / (p.output_tokens_per_month / 1e6).max(1e-9)),
                format!("{:.0}%", p.utilization * 100.0),
            ]
        }
        None => vec![
            times(row.volume),
            int(row.users),
            "no fleet (reasons below)".into(),
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

/// The legend of the headline table's last column.
pub const GPU_BUSY_NOTE: &str = "GPU busy: the hour's load over the fleet's capacity within the SLO, averaged over the billed hours.";

/// What the attribution's parts are, said once where they are printed.
pub const ATTRIBUTION_NOTE: &str = "The third variable is burst (concurrency): how tightly requests bunch together. Each Shapley part already includes its share of the compounding, so volume + context + burst add up exactly to the growth. Compounding is the part of the growth that needs more than one variable to grow at once (the growth less the three one-at-a-time effects); it is shared into the three parts, not added to them.";

/// A table of the report, the same in the terminal, Markdown and HTML.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// A stable id: the HTML anchor, and how the HTML report places the table.
    pub id: String,
    /// Title.
    pub title: String,
    /// Column names.
    pub header: Vec<String>,
    /// Cells, row by row.
    pub rows: Vec<Vec<String>>,
    /// Indices of rows shown for completeness that are not options (plans the residency rules forbid):
    /// struck through, and listed after the options.
    pub excluded: Vec<usize>,
    /// Sentences under the table: what a column means, why rows are struck through.
    pub notes: Vec<String>,
}

impl Table {
    fn new(id: impl Into<String>, title: impl Into<String>, header: &[&str]) -> Table {
        Table {
            id: id.into(),
            title: title.into(),
            header: header.iter().map(|h| h.to_string()).collect(),
            ..Table::default()
        }
    }

    /// The table as CSV: the header, then the rows as written in the reports (notes and strike-through are left
    /// out; a row excluded from the options ends with `excluded` = `true`).
    pub fn csv(&self) -> String {
        let mut out = String::new();
        let excluded = !self.excluded.is_empty();
        let mut header = self.header.clone();
        if excluded {
            header.push("excluded".to_string());
        }
        focus::push_record(&mut out, header);
        for (i, r) in self.rows.iter().enumerate() {
            let mut row = r.clone();
            if excluded {
                row.push(self.excluded.contains(&i).to_string());
            }
            focus::push_record(&mut out, row);
        }
        out
    }

    /// The table as lines of aligned text, notes below it.
    pub fn text_lines(&self) -> Vec<String> {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(c.chars().count());
                }
            }
        }
        let pad = |cells: &[String]| {
            cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        let mut out = vec![pad(&self.header)];
        for (i, r) in self.rows.iter().enumerate() {
            let mut line = pad(r);
            if self.excluded.contains(&i) {
                line.push_str("  (excluded)");
            }
            out.push(line);
        }
        out.extend(self.notes.iter().map(|n| format!("  {n}")));
        out
    }

    /// The table in GitHub Markdown; excluded rows are struck through but for their last cell (the reason).
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "| {} |\n|{}\n",
            self.header.join(" | "),
            self.header.iter().map(|_| "---|").collect::<String>()
        );
        for (i, r) in self.rows.iter().enumerate() {
            let strike = self.excluded.contains(&i);
            let cells: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(k, c)| {
                    let c = c.replace('|', "\\|");
                    if strike && k + 1 < r.len() && !c.is_empty() && c != "-" {
                        format!("~~{c}~~")
                    } else {
                        c
                    }
                })
                .collect();
            s.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        for n in &self.notes {
            s.push_str(&format!("\n{n}\n"));
        }
        s
    }
}

/// Words in lines of at most `width` characters, for a sentence in the terminal.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for w in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + w.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The variable an attribution names, in the report's words: `concurrency` is written `burst`.
fn variable(name: &str) -> &str {
    if name == "concurrency" {
        "burst"
    } else {
        name
    }
}

/// How much the three variables compound, in words, for the place where the interaction is printed:
/// "the three compound: 83% of the growth needs more than one of them".
pub fn compounding(a: &Attribution) -> String {
    let g = a.total_growth_usd;
    if !(g > 0.0 && a.interaction_usd.is_finite()) {
        return "no growth to share".into();
    }
    let share = a.interaction_usd / g;
    if share >= 0.05 {
        format!(
            "the three compound: {:.0}% of the growth needs more than one of them",
            share * 100.0
        )
    } else if share <= -0.05 {
        format!(
            "the three overlap: one at a time they would add {:.0}% more than the growth",
            -share * 100.0
        )
    } else {
        "the three add up almost independently".into()
    }
}

/// The headline table of a deployment at pilot context and burst.
fn headline_table(r: &PlanResult, di: usize) -> Table {
    let d = &r.scenario.deployments[di];
    let mut t = Table::new(
        format!("headline-{di}"),
        format!(
            "Monthly bill of {} at each volume (context 1×, burst 1×)",
            d.name
        ),
        &HEADLINE_COLUMNS,
    );
    t.rows = headline(r, &d.name, 1.0, 1.0)
        .iter()
        .map(headline_cells)
        .collect();
    t.notes.push(GPU_BUSY_NOTE.into());
    t.notes.extend(shortfalls(r, &d.name));
    t
}

/// The terminal summary: tables and sentences that fit a screen; every figure is in the JSON.
pub fn summary(r: &PlanResult) -> Vec<String> {
    let s = &r.scenario;
    let mut out = Vec::new();
    out.push(format!(
        "infercost {} — pilot {}: {} requests over {} s ({:.2}/s), mean {} prompt / {} output tokens, busiest minute {:.2}× the mean",
        r.infercost_version,
        r.pilot.trace,
        count(r.pilot.requests),
        int(r.pilot.duration_s),
        r.pilot.mean_rate_rps,
        int(r.pilot.input_tokens_mean),
        int(r.pilot.output_tokens_mean),
        r.pilot.peak_to_mean_60s
    ));
    let trough = r.pilot.diurnal.iter().copied().fold(f64::MAX, f64::min);
    out.push(format!(
        "SLO p{} TTFT ≤ {}, TPOT ≤ {}; the pilot is the busiest hour of a day whose quietest hour carries {:.0}% of it",
        s.slo.percentile,
        ms(s.slo.ttft_ms),
        ms(s.slo.tpot_ms),
        trough * 100.0
    ));
    if let Some(sh) = r.shard {
        out.push(format!(
            "shard {}/{} — {} points; combine the shards with `infercost merge`",
            sh[0],
            sh[1],
            count(r.points.len() as u64)
        ));
        return out;
    }
    for (di, d) in s.deployments.iter().enumerate() {
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
        out.extend(headline_table(r, di).text_lines());
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
        out.extend(
            wrap(ATTRIBUTION_NOTE, 110)
                .into_iter()
                .map(|l| format!("  {l}")),
        );
        for a in &r.attribution {
            out.push(format!(
                "  {} → {} volume, {} context, {} burst: +{} = volume {} + context {} + burst {}; driver: {} ({})",
                a.deployment,
                times(a.volume),
                times(a.context),
                times(a.burst),
                usd(a.total_growth_usd),
                usd(a.volume_usd),
                usd(a.context_usd),
                usd(a.concurrency_usd),
                variable(&a.driver),
                compounding(a)
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
        out.push("Months ahead (each month's volume and context sized by simulation; cheapest lawful serving):".into());
        for d in &s.deployments {
            let cells: Vec<String> = r
                .months
                .iter()
                .filter(|m| m.deployment == d.name)
                .map(|m| match m.usd_per_month {
                    Some(cost) => format!(
                        "m{} {} users, {} GPU{}, {} (order by day {})",
                        m.month,
                        int(m.users),
                        int(m.gpus_peak),
                        if m.gpus_peak == 1.0 { "" } else { "s" },
                        usd(cost),
                        int(m.order_by_day)
                    ),
                    None => format!(
                        "m{} {} users: no feasible fleet at {:.2}× context",
                        m.month,
                        int(m.users),
                        m.context
                    ),
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

/// The table of every plan's monthly cost for a deployment: allowed plans first, cheapest at the largest volume
/// first; plans the residency rules forbid after them, struck through, with the reason.
fn plans_table(r: &PlanResult, res: &Residency, di: usize, vols: &[f64]) -> Table {
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

/// The tables of the report, each with an id and a title: shared by the terminal, Markdown and HTML so all
/// say the same.
pub fn tables(r: &PlanResult) -> Vec<Table> {
    let s = &r.scenario;
    let res = Residency::of(r);
    let mut t = Vec::new();
    for di in 0..s.deployments.len() {
        t.push(headline_table(r, di));
    }
    let mut vols = s.volume.clone();
    vols.sort_by(f64::total_cmp);
    if r.shard.is_some() {
        vols.retain(|&v| r.points.iter().any(|p| p.volume == v));
    }
    for (di, d) in s.deployments.iter().enumerate() {
        t.push(plans_table(r, &res, di, &vols));
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
        for &v in &vols {
            let Some(p) = best(&r.points, &d.name, v, 1.0, 1.0) else {
                continue;
            };
            // The serving fleets' own bills; a result planned before they were recorded falls back to the
            // whole-traffic bill of the plan, when one plan serves everyone.
            let fleets: Vec<(String, String, &infercost_cost::Bill)> =
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
                };
            for (who, policy, b) in fleets {
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
        t.push(bill);
    }
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
                variable(&a.driver).to_string(),
            ]
        })
        .collect();
    attr.notes.push(ATTRIBUTION_NOTE.into());
    // A shard's analysis is empty because merge makes it, not because there is none.
    let whole = r.shard.is_none();
    if whole {
        t.push(attr);
    }
    let mut lat = Table::new(
        "latency",
        format!(
            "Latency at the busiest hour on the cheapest GPU (SLO: p{} TTFT ≤ {}, TPOT ≤ {})",
            s.slo.percentile,
            ms(s.slo.ttft_ms),
            ms(s.slo.tpot_ms)
        ),
        &[
            "deployment",
            "volume",
            "context",
            "burst",
            "gpu",
            "TTFT p50",
            "TTFT p99",
            "TPOT p50",
            "TPOT p99",
        ],
    );
    lat.rows = r
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
                ms(p.ttft_ms.p50),
                ms(p.ttft_ms.p99),
                ms(p.tpot_ms.p50),
                ms(p.tpot_ms.p99),
            ]
        })
        .collect();
    t.push(lat);
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
                i.kind.clone(),
                i.deployment.clone(),
                times(i.at_volume),
                i.description.clone(),
            ]
        })
        .collect();
    if whole {
        t.push(infl);
    }
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
                b.kind.clone(),
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
    if whole {
        t.push(be);
    }
    if !r.months.is_empty() {
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
        t.push(m);
    }
    if !r.placement.is_empty() {
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
        t.push(p);
    }
    let mut prices = Table::new(
        "prices",
        "Prices used, with sources and dates",
        &["plan", "$/GPU-hour", "commitment", "as of", "source"],
    );
    prices.rows = r
        .prices_used
        .iter()
        .map(|p| {
            vec![
                p.plan.clone(),
                usd_unit(p.usd_per_gpu_hour),
                p.commitment.clone(),
                p.as_of.clone(),
                p.source.clone(),
            ]
        })
        .collect();
    t.push(prices);
    if !r.apis_used.is_empty() {
        let mut apis = Table::new(
            "api-prices",
            "Per-token API prices the break-evens compare with, with sources and dates",
            &[
                "offer",
                "model",
                "$/M input",
                "$/M output",
                "as of",
                "source",
            ],
        );
        apis.rows = r
            .apis_used
            .iter()
            .map(|a| {
                vec![
                    a.name.clone(),
                    a.model.clone(),
                    usd_unit(a.usd_per_million_input),
                    usd_unit(a.usd_per_million_output),
                    a.as_of.clone(),
                    a.source.clone(),
                ]
            })
            .collect();
        t.push(apis);
    }
    let mut cal = Table::new(
        "calibration",
        "Performance model calibration error",
        &[
            "measured GPU",
            "GEMM median",
            "GEMM p90",
            "all-reduce median",
            "reference",
        ],
    );
    cal.rows = r
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
    t.push(cal);
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
        "Pilot `{}`: {} requests over {} s, mean {} prompt and {} output tokens. SLO: p{} TTFT ≤ {} and TPOT ≤ {}. infercost {} (JSON schema {}).\n\n",
        r.pilot.trace,
        count(r.pilot.requests),
        int(r.pilot.duration_s),
        int(r.pilot.input_tokens_mean),
        int(r.pilot.output_tokens_mean),
        r.scenario.slo.percentile,
        ms(r.scenario.slo.ttft_ms),
        ms(r.scenario.slo.tpot_ms),
        r.infercost_version,
        r.schema_version
    ));
    if let Some(note) = shard_note(r) {
        s.push_str(&format!("{note}\n\n"));
    }
    for t in tables(r) {
        s.push_str(&format!("## {}\n\n", t.title));
        if t.rows.is_empty() {
            s.push_str("(none)\n\n");
            continue;
        }
        s.push_str(&t.markdown());
        s.push('\n');
    }
    s
}

/// Every table of the report as CSV: (file name, text), the file named by the table's id.
pub fn csv_tables(r: &PlanResult) -> Vec<(String, String)> {
    let mut seen = std::collections::BTreeSet::new();
    tables(r)
        .iter()
        .map(|t| {
            let base: String =
                t.id.chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
            // Ids are unique today; a repeated one must still not overwrite its namesake.
            let mut name = format!("{base}.csv");
            let mut n = 2;
            while !seen.insert(name.clone()) {
                name = format!("{base}-{n}.csv");
                n += 1;
            }
            (name, t.csv())
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The default plan's 8B deployment on H100, cut down to four plans: two the residency rules allow
    /// (baremetal-h100-eu, aws-h100-on-demand-eu) and two they forbid (vast-h100-marketplace, cheaper, and
    /// baremetal-h100-typical).
    fn small() -> PlanResult {
        serde_json::from_str(include_str!("../tests/data/small-plan.json")).unwrap()
    }

    /// Every `$` amount in a text, as written.
    fn amounts(text: &str) -> Vec<String> {
        text.split('$')
            .skip(1)
            .map(|s| {
                s.chars()
                    .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | 'k' | 'M' | 'B'))
                    .collect::<String>()
                    .trim_end_matches(['.', ','])
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn the_summary_writes_money_one_way() {
        let text = summary(&small()).join("\n");
        for want in [
            "$2,008",
            "$6,023",
            "$44.2k",
            "$441.6k",
            "$3.74M",
            "19,366 requests",
        ] {
            assert!(text.contains(want), "{want} missing from\n{text}");
        }
        for a in amounts(&text) {
            // `$6.0k` and `$6022` are the two ways the same figure was once written: below $10k it has no
            // suffix and has a thousands separator.
            if let Some(k) = a.strip_suffix('k') {
                let v: f64 = k.parse().unwrap();
                assert!((10.0..1000.0).contains(&v), "${a} in\n{text}");
            } else if let Some(m) = a.strip_suffix('M') {
                let v: f64 = m.parse().unwrap();
                assert!((1.0..1000.0).contains(&v), "${a} in\n{text}");
            } else if !a.ends_with('B') {
                let whole = a.split('.').next().unwrap();
                let digits = whole.replace(',', "").len();
                assert!(digits <= 4, "${a} in\n{text}");
                assert!(digits < 4 || whole.contains(','), "${a} in\n{text}");
            }
        }
        // No whole part of five digits or more without separators, anywhere (a count, a dollar figure or a
        // duration); decimals, as in a price per request, are not grouped.
        let (mut run, mut decimals, mut prev) = (0, false, ' ');
        for c in text.chars() {
            if c.is_ascii_digit() {
                decimals |= run == 0 && prev == '.';
                run += 1;
            } else {
                (run, decimals) = (0, false);
            }
            assert!(decimals || run < 5, "unseparated number in\n{text}");
            prev = c;
        }
    }

    #[test]
    fn the_summary_explains_the_interaction_where_it_prints_it() {
        let text = summary(&small()).join("\n");
        let line = text
            .lines()
            .find(|l| l.contains("→ 1,000× volume"))
            .unwrap();
        assert!(line.contains("+ burst $"), "{line}");
        assert!(!line.contains("interaction"), "{line}");
        assert!(
            line.contains("the three compound: 88% of the growth needs more than one of them"),
            "{line}"
        );
        assert!(
            text.replace("\n  ", " ").contains("burst (concurrency)"),
            "{text}"
        );
        assert!(text.contains(GPU_BUSY_NOTE), "{text}");
    }

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
        r.scenario.geography = None;
        for b in r.points.iter_mut().flat_map(|p| &mut p.bills) {
            b.lawful = true;
        }
        let all = tables(&r);
        let t = all.iter().find(|t| t.id == "plans-0").unwrap();
        assert_eq!(t.rows[0][0], "vast-h100-marketplace", "cheapest first");
        assert!(t.excluded.is_empty() && t.notes.is_empty());
        assert!(!t.header.iter().any(|h| h == "residency"));
    }

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

    #[test]
    fn every_table_is_one_csv_file_named_by_its_id_that_parses_back() {
        let r = small();
        let ts = tables(&r);
        let files = csv_tables(&r);
        assert_eq!(files.len(), ts.len());
        let names: std::collections::BTreeSet<&str> = files.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(names.len(), files.len(), "file names are unique");
        let mut fields = Vec::new();
        for (t, (name, text)) in ts.iter().zip(&files) {
            assert_eq!(name, &format!("{}.csv", t.id));
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), t.rows.len() + 1, "{name}");
            infercost_core::csv_line::split(lines[0], &mut fields);
            let extra = usize::from(!t.excluded.is_empty());
            assert_eq!(fields.len(), t.header.len() + extra, "{name}");
            assert_eq!(fields[0], t.header[0].as_str());
            for (row, line) in t.rows.iter().zip(&lines[1..]) {
                infercost_core::csv_line::split(line, &mut fields);
                let cells: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
                assert_eq!(&cells[..row.len()], &row[..], "{name}");
            }
        }
        // The plans table marks the plans the residency rules forbid.
        let plans = files.iter().find(|f| f.0.starts_with("plans-")).unwrap();
        assert!(plans.1.lines().next().unwrap().ends_with(",excluded"));
        assert!(plans.1.contains(",true\n"));
    }
}
