//! A decision in a plan's result: where along the volume or context axis the best choice for a deployment
//! changes, and what it changes from and to.

use serde::{Deserialize, Serialize};

/// A change of the best choice for a deployment: at `at` on the `variable` axis, `what` changes `from` → `to`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Deployment.
    pub deployment: String,
    /// The axis walked: volume (at the pilot's context) or context (at the largest swept volume).
    pub variable: DecisionAxis,
    /// The first coordinate (volume or context multiple) with the new choice.
    pub at: f64,
    /// The other coordinate, held while `at` is walked: the context (the pilot's, 1) along the volume axis, the
    /// volume (the largest swept) along the context axis; burst is the pilot's.
    #[serde(default = "one")]
    pub held: f64,
    /// Which choice changes.
    pub what: DecisionKind,
    /// The choice below `at`.
    pub from: String,
    /// The choice from `at`.
    pub to: String,
    /// Monthly cost of the best serving one grid step (5%) below `at`, with the old choice.
    pub usd_before: f64,
    /// Monthly cost of the best serving at `at`, with the new choice.
    pub usd_after: f64,
    /// A sentence.
    pub description: String,
}

/// The axis a decision lies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionAxis {
    /// Request volume, a multiple of the pilot's.
    Volume,
    /// Prompt length, a multiple of the pilot's.
    Context,
}

/// Which choice a decision changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// The GPU type.
    Gpu,
    /// The layout on the same GPU type (tensor parallelism).
    Layout,
    /// The provisioning policy and the plan's commitment.
    Policy,
    /// Self-hosting instead of a per-token API.
    Api,
    /// Where user groups are served.
    Region,
}

impl DecisionAxis {
    /// The name used in files and reports.
    pub fn name(self) -> &'static str {
        match self {
            DecisionAxis::Volume => "volume",
            DecisionAxis::Context => "context",
        }
    }
}

impl DecisionKind {
    /// The name used in files and reports.
    pub fn name(self) -> &'static str {
        match self {
            DecisionKind::Gpu => "gpu",
            DecisionKind::Layout => "layout",
            DecisionKind::Policy => "policy",
            DecisionKind::Api => "api",
            DecisionKind::Region => "region",
        }
    }
}

fn one() -> f64 {
    1.0
}
