//! The serving simulator: replays a workload against a fleet of continuous-batching engine replicas.
//!
//! A replica behaves like vLLM's scheduler (token budget, `max_num_seqs`, chunked prefill, a paged KV cache with
//! preemption by recompute, FCFS, optional prefix caching). Between events a decode-only batch does the same
//! thing every iteration, so the replica jumps over such stretches in closed form; `step_exact` turns that off.
//! Time is integer nanoseconds, randomness comes from seeded generators, and nothing here does I/O.
#![warn(missing_docs)]

pub mod capacity;
pub mod day;
pub mod fleet;
pub mod metrics;
pub mod replica;

pub use day::{day_summary, fluid_day, minute_factors, DayFleet, DayHour, DayInputs, DaySummary};
pub use fleet::{
    simulate, Autoscaler, ClosedLoopSummary, HourOutcome, Reclaims, Router, SimConfig, SimResult,
};
pub use metrics::{Bucket, LatencySummary, RequestRecord, Slo};
pub use replica::{EngineConfig, KV_BLOCK_TOKENS};

use thiserror::Error;

/// Configuration errors; a simulation with one of these never starts.
#[derive(Debug, Error, PartialEq)]
pub enum SimError {
    /// A parameter outside its range.
    #[error("{0}")]
    Invalid(String),
    /// The deployment does not fit on its GPUs.
    #[error(transparent)]
    Perf(#[from] infercost_perf::PerfError),
}
