//! Units and domain types used everywhere: requests, workloads, simulated time, money, seeded randomness.
//!
//! This crate does no I/O. Everything here is a plain value or a pure function over plain values.
#![warn(missing_docs)]

pub mod fmt;
pub mod par;
pub mod rng;
pub mod stats;
pub mod transform;
pub mod units;
pub mod workload;

pub use rng::Rng;
pub use units::{SimTime, Usd};
pub use workload::{
    Request, Workload, MAX_TOKENS_PER_REQUEST, NO_REGION, NO_SESSION, TRACE_FORMATS,
};
