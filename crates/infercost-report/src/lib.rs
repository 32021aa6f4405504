//! Reports of a plan result: the terminal summary, Markdown, and one self-contained HTML file whose charts are
//! inline SVG (no scripts, fonts or network), readable when printed and in colour-blind-safe colours. Every
//! figure is written by `infercost_core::fmt`, so the same amount reads the same in all three. The tables also
//! come as CSV (`csv_tables`), and the forecast bills as FinOps FOCUS rows (`focus`).
//!
//! The map: `tables` builds every table of the report once (`table::Table`, one function per table), and the
//! writers only lay them out: `summary` for the terminal, `markdown`, `html` (with its charts in `svg`) and
//! `files`. `headline` finds the cheapest lawful bill at each volume; `prose` turns the analysis' numbers and
//! kinds into words; `residency` says why a plan may not serve every user group.
#![warn(missing_docs)]

mod csv;
mod explorer;
mod files;
pub mod focus;
mod headline;
mod html;
mod markdown;
mod prose;
mod residency;
mod summary;
mod svg;
mod table;
mod tables;

pub use files::{csv_tables, write_all};
pub use focus::{focus_csv, Focus, FocusOptions, Period};
pub use headline::{
    headline, headline_cells, shortfalls, HeadlineRow, GPU_BUSY_NOTE, HEADLINE_COLUMNS,
};
pub use html::html;
pub use markdown::markdown;
pub use prose::{compounding, shard_note, times, ATTRIBUTION_NOTE};
pub use summary::summary;
pub use table::Table;
pub use tables::{plan_cost, plans_of, tables};

#[cfg(test)]
mod mix_tests;

/// The results the tests read.
#[cfg(test)]
pub(crate) mod fixture {
    use infercost_plan::result::PlanResult;

    /// The default plan's 8B deployment on H100, cut down to four plans: two the residency rules allow
    /// (baremetal-h100-eu, aws-h100-on-demand-eu) and two they forbid (vast-h100-marketplace, cheaper, and
    /// baremetal-h100-typical).
    pub(crate) fn small() -> PlanResult {
        serde_json::from_str(include_str!("../tests/data/small-plan.json")).unwrap()
    }
}
