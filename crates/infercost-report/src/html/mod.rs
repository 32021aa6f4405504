//! The self-contained HTML report: inline CSS and SVG, no fonts or network; every chart has its table and works
//! with scripts off. The one inline script is the explorer's (`crate::explorer`), appended last.
//! One module per section with a chart; each section reads the report's tables by their id.

mod attribution;
mod bill;
mod cost;
mod day;
mod elements;
mod latency;
mod months;
mod placement;
mod uncertainty;

use crate::headline::headline;
use crate::prose::{ratio, shard_note, times};
use crate::residency::Residency;
use crate::svg::esc;
use crate::table::Table;
use crate::tables::tables;
use elements::table;
use infercost_core::fmt::{count, int, ms, usd};
use infercost_plan::result::PlanResult;

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#111;line-height:1.4}\
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}h3{font-size:1.05em}\
table{border-collapse:collapse;margin:.8em 0;font-size:.85em}th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top}\
th{background:#f0f0f0}td.num{text-align:right;white-space:nowrap}td.date{white-space:nowrap}tr.excluded td{color:#666;text-decoration:line-through}tr.excluded td.why{text-decoration:none;color:#8a3a00}\
p.note{font-size:.85em;color:#333;margin:.2em 0 1em}.headline{font-size:1.1em}.chart{width:100%;max-width:900px;height:auto;display:block}\
figure{margin:1em 0}figcaption{font-size:.85em;color:#444}pre{background:#f7f7f7;padding:.8em;overflow-x:auto;font-size:.8em}\
@media print{h2{page-break-before:auto}figure,table{page-break-inside:avoid}body{max-width:none}}";

/// What every section reads: the result, what its residency rules allow, its tables, and its volumes in order.
struct Page<'a> {
    r: &'a PlanResult,
    res: Residency<'a>,
    tables: Vec<Table>,
    vols: Vec<f64>,
}

impl<'a> Page<'a> {
    fn of(r: &'a PlanResult) -> Page<'a> {
        let mut vols = r.scenario.volume.clone();
        vols.sort_by(f64::total_cmp);
        Page {
            r,
            res: Residency::of(r),
            tables: tables(r),
            vols,
        }
    }

    /// The largest volume of the sweep.
    fn top(&self) -> f64 {
        self.vols.last().copied().unwrap_or(1.0)
    }

    /// The table with this id.
    fn by_id(&self, id: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.id == id)
    }

    /// The table with this id, under its title; empty when the report has none.
    fn titled(&self, id: &str) -> String {
        self.tables
            .iter()
            .filter(|t| t.id == id)
            // The table carries the id (`table-…`); the sections' h2 already use the bare names.
            .map(|t| format!("<h3>{}</h3>{}", esc(&t.title), table(t)))
            .collect::<Vec<_>>()
            .join("")
    }
}

/// The HTML report.
pub fn html(r: &PlanResult) -> String {
    let page = Page::of(r);
    let sections: [fn(&Page) -> String; 12] = [
        intro,
        headlines,
        cost::section,
        uncertainty::section,
        bill::section,
        attribution::section,
        day::section,
        latency::section,
        curve,
        months::section,
        placement::section,
        inputs,
    ];
    let mut body: String = sections.iter().map(|section| section(&page)).collect();
    body.push_str(&crate::explorer::section(r));
    format!("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>infercost plan</title><style>{CSS}</style></head><body>{body}</body></html>\n")
}

/// The title, the pilot and the SLO in a paragraph, and what a shard says of itself.
fn intro(page: &Page) -> String {
    let r = page.r;
    let s = &r.scenario;
    let mut body = String::from("<h1>What the pilot will cost in production</h1>");
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
    if let Some(note) = shard_note(r) {
        body.push_str(&format!(
            "<p class=\"shard\"><strong>{}</strong></p>",
            esc(&note)
        ));
    }
    body
}

/// Each deployment's headline in a sentence, then its table.
fn headlines(page: &Page) -> String {
    let r = page.r;
    let mut body = String::from("<h2 id=\"headline\">Headline</h2>");
    for (di, d) in r.scenario.deployments.iter().enumerate() {
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
        if let Some(t) = page.by_id(&format!("headline-{di}")) {
            body.push_str(&table(t));
        }
    }
    body
}

/// The inflections and break-evens tables.
fn curve(page: &Page) -> String {
    let mut body =
        String::from("<h2 id=\"inflections\">Where the curve bends, and the break-evens</h2>");
    body.push_str(&page.titled("inflections"));
    body.push_str(&page.titled("breakevens"));
    body.push_str(&page.titled("decisions"));
    body
}

/// The prices and calibration the plan used, and the scenario itself.
fn inputs(page: &Page) -> String {
    let r = page.r;
    let mut body = String::from("<h2 id=\"inputs\">Inputs, for the audit</h2>");
    body.push_str(&page.titled("prices"));
    body.push_str(&page.titled("api-prices"));
    body.push_str(&page.titled("calibration"));
    body.push_str(&format!(
        "<p>infercost {} · JSON schema {} · prices and GPU figures carry their sources and dates above; the performance model's error is documented in docs/CALIBRATION.md.</p><h3>Scenario</h3><pre>{}</pre>",
        esc(&r.infercost_version),
        r.schema_version,
        esc(&serde_json::to_string_pretty(&r.scenario).unwrap_or_default())
    ));
    body
}
