//! infercost as a library: a scenario written in code, a synthetic pilot, the embedded model, GPU and price
//! catalogs, one call to `infercost_plan::plan`, and the cheapest bill at one volume, line by line.
//!
//! `cargo run -p infercost-plan --example plan_in_code`; `cargo test --workspace` runs it too.

// Printing the answer is this example's job.
#![allow(clippy::print_stdout)]

use infercost_core::transform::{synth, Arrival, Diurnal, Lengths};
use infercost_cost::Catalog;
use infercost_perf::ModelCatalog;
use infercost_plan::analysis::best;
use infercost_plan::{plan, Inputs, Scenario};

/// One deployment on one GPU at the pilot's volume and twice it: a sweep of two points that plans in seconds.
const SCENARIO: &str = r#"
[pilot]
trace = "synthetic: 2 requests/s for 10 minutes"
[[deployment]]
name = "assistant"
model = "llama-3.1-8b"
[sweep]
volume = [1, 2]
context = [1]
burst = [1]
gpus = ["h100-sxm"]
[slo]
ttft_ms = 2000
tpot_ms = 100
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scenario = Scenario::parse(SCENARIO, "plan_in_code.rs")?;
    // A pilot without logs: Poisson arrivals at 2 requests/s for 10 minutes, log-normal lengths, seeded.
    let lengths = Lengths::LogNormal {
        in_mean: 1000.0,
        in_p99: 4000.0,
        out_mean: 200.0,
        out_p99: 800.0,
    };
    let pilot = synth(
        2.0,
        600.0,
        Arrival::Poisson,
        &lengths,
        &Diurnal::flat(),
        None,
        7,
    )?;
    let models = scenario
        .deployments
        .iter()
        .map(|d| ModelCatalog::get(&d.model))
        .collect::<Result<Vec<_>, _>>()?;
    let catalog = Catalog::embedded();
    let inputs = Inputs {
        scenario: &scenario,
        pilot: &pilot,
        diurnal: &Diurnal::flat(),
        models: &models,
        catalog: &catalog,
    };
    // One worker thread, the whole sweep (no shard), no progress report.
    let result = plan(&inputs, 1, None, &|_, _| {})?;

    let volume = 2.0;
    // The cheapest point over GPUs at this volume, context 1× and burst 1×.
    let point = best(&result.points, "assistant", volume, 1.0, 1.0)
        .ok_or("no fleet meets the SLO at 2× the pilot")?;
    let fleet = &point.serving[0];
    let bill = fleet
        .bill
        .as_ref()
        .ok_or("the chosen fleet carries its bill")?;
    println!(
        "{} at {volume}× the pilot: {} GPUs {} (replicas {}, TP {}) on {}, {} policy",
        point.deployment,
        point.gpu,
        point.gpus_peak,
        fleet.replicas_peak,
        fleet.tp,
        bill.plan,
        fleet.policy
    );
    println!("  busy GPU time   {}", bill.gpu_usd - bill.idle_usd);
    println!("  idle GPU time   {}", bill.idle_usd);
    println!("  egress          {}", bill.egress_usd);
    println!("  transfer        {}", bill.transfer_usd);
    println!("  API             {}", bill.api_usd);
    println!("  total per month {}", bill.total_usd_per_month);
    assert_eq!(
        bill.gpu_usd + bill.egress_usd + bill.transfer_usd + bill.api_usd,
        bill.total_usd_per_month,
        "the lines add up to the total exactly"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    /// `cargo test` builds examples with the test harness instead of `main`: this keeps the example running.
    #[test]
    fn the_example_plans_and_prints_the_cheapest_bill() {
        super::main().unwrap();
    }
}
