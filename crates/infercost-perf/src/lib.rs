//! GPU and model specs, and how long one engine iteration takes for a batch on a deployment.
//!
//! The model is a roofline (compute vs memory) with communication and a fixed overhead, whose achieved
//! efficiencies are fitted to measured operator times (see [`calibrate`] and docs/CALIBRATION.md).
#![warn(missing_docs)]

pub mod calibrate;
pub mod comm;
pub mod dtype;
pub mod efficiency;
pub mod engine;
pub mod gpu;
pub mod graphs;
pub mod iteration;
pub mod kernel_fit;
pub mod layout;
pub mod model;
pub mod moe;
pub mod parallel;

pub use engine::{EngineCatalog, EngineProfile};
pub use gpu::{Gpu, GpuCatalog};
pub use iteration::{Batch, DecodeLine, Deployment, Dtype, IterationTime};
pub use model::{ModelCatalog, ModelSpec};
pub use parallel::Layout;

use thiserror::Error;

/// Errors from specs and deployments. None of them lets a simulation start.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum PerfError {
    /// A name not in a catalog.
    #[error("unknown {kind} {name:?}; known: {known}")]
    Unknown {
        /// "gpu", "model" or "engine".
        kind: &'static str,
        /// The name given.
        name: String,
        /// The names known.
        known: String,
    },
    /// A model config without a field the model needs.
    #[error("{source_name}: missing field {field:?} in config.json")]
    MissingField {
        /// Where the config came from.
        source_name: String,
        /// The missing field.
        field: &'static str,
    },
    /// A config or catalog value that makes no sense.
    #[error("{source_name}: {message}")]
    Invalid {
        /// Where the value came from.
        source_name: String,
        /// What is wrong.
        message: String,
    },
    /// A deployment that cannot run.
    #[error("{0}")]
    Deployment(String),
    /// A deployment whose weights leave no room for one sequence's KV cache.
    #[error("{model} does not fit on {gpus}× {gpu}: {missing_gib:.1} GiB short per GPU for one {max_model_len}-token sequence; {hint}")]
    DoesNotFit {
        /// Model name.
        model: String,
        /// GPU name.
        gpu: String,
        /// GPUs in the replica.
        gpus: u32,
        /// Memory missing per GPU.
        missing_gib: f64,
        /// The sequence length that must fit.
        max_model_len: u32,
        /// What would make it fit.
        hint: String,
    },
}
