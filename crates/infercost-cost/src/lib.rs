//! Prices and bills: a dated, sourced price catalog and the rules that turn a fleet's usage into a monthly bill.
#![warn(missing_docs)]

pub mod bill;
pub mod catalog;
pub mod owned;

pub use bill::{bill, Bill, EgressModel, Usage};
pub use catalog::{ApiPrice, Catalog, Commitment, EgressTable, Plan};
pub use owned::{Owned, OwnedTerms};

use thiserror::Error;

/// Errors from catalogs and billing inputs; none lets a bill be computed.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CostError {
    /// A catalog file that does not parse or validate.
    #[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Catalog {
        /// The file.
        file: String,
        /// The line, when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A plan name not in the catalog.
    #[error("unknown plan {name:?}; known plans: {known}")]
    UnknownPlan {
        /// The name given.
        name: String,
        /// Known plan names.
        known: String,
    },
    /// An input that makes no sense (negative hours, a busy fraction above 1).
    #[error("{0}")]
    Invalid(String),
}
