//! The `infercost` binary: parses the command line, loads files, calls the library crates and prints.
//! It is the only crate that prints; data goes to stdout, logs, warnings and progress to stderr.

mod args;
mod bench;
mod bench_day;
mod cmd_backtest;
mod cmd_day;
mod cmd_model;
mod cmd_plan;
mod cmd_prices;
mod cmd_serve;
mod cmd_sim;
mod cmd_trace;
mod cmd_validate;
mod export;
mod files;
mod load;
mod observed;
mod output;
mod shard;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// What will our LLM inference cost when the pilot becomes production?
#[derive(Parser)]
#[command(name = "infercost", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Plan the cost at 1×, 10×, 100×, 1,000× (the main job; no file plans the embedded default)
    Plan(cmd_plan::PlanArgs),
    /// Combine `plan --shard` results into one
    Merge(cmd_plan::MergeArgs),
    /// Write the reports (report.json/.md/.html, --focus, --csv) from a saved plan result
    Report(cmd_plan::ReportArgs),
    /// Read, describe, scale and synthesise request traces
    #[command(subcommand)]
    Trace(cmd_trace::TraceCmd),
    /// Model catalog, fit and iteration times
    #[command(subcommand)]
    Model(cmd_model::ModelCmd),
    /// GPU catalog
    #[command(subcommand)]
    Gpu(cmd_model::GpuCmd),
    /// Replay a trace on a fleet
    Simulate(cmd_sim::SimulateArgs),
    /// The smallest fleet that meets an SLO for a trace
    Capacity(cmd_sim::CapacityArgs),
    /// Replay a timed request log on the fleet that served it: simulated latencies beside observed ones
    Backtest(cmd_backtest::BacktestArgs),
    /// Price catalog
    #[command(subcommand)]
    Prices(cmd_prices::PricesCmd),
    /// Bill a hand-made fleet on one plan or all
    Cost(cmd_prices::CostArgs),
    /// Benchmarks that print figures (trace parsing, iteration model, simulator)
    Bench(bench::BenchArgs),
    /// A local web page: drop a request log, plan it, explore the report (127.0.0.1 unless --bind says otherwise)
    Serve(cmd_serve::ServeArgs),
    /// The accuracy scorecard: predictions against published serving figures built into the binary
    Validate(cmd_validate::ValidateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Plan(a) => cmd_plan::plan(a),
        Command::Merge(a) => cmd_plan::merge(a),
        Command::Report(a) => cmd_plan::report(a),
        Command::Trace(c) => cmd_trace::run(c),
        Command::Model(c) => cmd_model::run(c),
        Command::Gpu(c) => cmd_model::run_gpu(c),
        Command::Simulate(a) => cmd_sim::simulate(a),
        Command::Capacity(a) => cmd_sim::capacity(a),
        Command::Backtest(a) => cmd_backtest::backtest(a),
        Command::Prices(c) => cmd_prices::run(c),
        Command::Cost(a) => cmd_prices::cost(a),
        Command::Bench(a) => bench::run(a),
        Command::Serve(a) => cmd_serve::serve(a),
        Command::Validate(a) => cmd_validate::validate(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of stdout went away (`| head -1`): it has what it wanted, which is not a failure.
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            output::error(&e);
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every flag and argument of every subcommand says what it does in `--help`.
    #[test]
    fn every_flag_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_about().is_none() {
                    missing.push(format!("{path} {} (no about)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "infercost", &mut missing);
        assert!(missing.is_empty(), "flags without help: {missing:#?}");
    }
}
