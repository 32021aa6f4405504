//! The inputs, for the audit: the GPU-hour and per-token prices used with their sources and dates, and the
//! performance model's calibration error.

use crate::table::Table;
use infercost_core::fmt::usd_unit;
use infercost_plan::result::PlanResult;

/// The GPU-hour prices used, with their sources and dates.
pub(super) fn prices(r: &PlanResult) -> Table {
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
                p.commitment.name().to_string(),
                p.as_of.clone(),
                p.source.clone(),
            ]
        })
        .collect();
    prices
}

/// The per-token API prices the break-evens compare with.
pub(super) fn api_prices(r: &PlanResult) -> Table {
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
    apis
}

/// The performance model's calibration error per measured GPU.
pub(super) fn calibration(r: &PlanResult) -> Table {
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
    cal
}
