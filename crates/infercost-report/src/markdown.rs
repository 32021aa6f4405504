//! The Markdown report: the pilot in a paragraph, then every table of the report under its title.

use crate::prose::shard_note;
use crate::tables::tables;
use infercost_core::fmt::{count, int, ms};
use infercost_plan::result::PlanResult;

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
