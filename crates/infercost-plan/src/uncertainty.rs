//! Cost with error bars (`plan --uncertainty N`): what each point's Monte Carlo draws from — the performance
//! model's measured error, the spread of prices across providers, the growth path and the busiest hour's load —
//! and the band it reports. The draws themselves re-price a point's sized fleets (`point/uncertain.rs`).

use crate::validate::errors::{parse_errors, ERRORS_CSV};
use crate::PlanError;

/// The most draws a point may take: beyond this the band's percentiles move by less than the model's error.
pub const MAX_DRAWS: u32 = 100_000;

/// How far the busiest hour's load may be off, as a fraction either way: the traffic shape's spread. An assumption
/// (docs/MODEL.md), not a measured figure.
pub const BURST_SPREAD: f64 = 0.10;

/// What the draws of every point are made from.
#[derive(Debug, Clone, PartialEq)]
pub struct Uncertainty {
    /// Draws per point, at least 1.
    pub draws: u32,
    /// Seed of the draws; each point's draws are seeded from it and the point's coordinates.
    pub seed: u64,
    /// A replica's true capacity over the predicted one, one per modelled row of the accuracy scorecard; each
    /// draw picks one.
    pub capacity_factors: Vec<f64>,
    /// Whether the price of a fleet's plan is drawn from the catalog's plans of the same GPU and commitment.
    pub price_spread: bool,
    /// Months of the scenario's monthly user growth the volume may be off by, either way (0: none).
    pub growth_months: f64,
    /// How far the busiest hour's load may be off, as a fraction either way.
    pub burst_spread: f64,
}

impl Uncertainty {
    /// `draws` draws per point seeded from `seed`, from the vendored scorecard errors
    /// (`data/validation/errors.csv`), the catalog's price spread, one month of growth either way and
    /// [`BURST_SPREAD`].
    pub fn new(draws: u32, seed: u64) -> Result<Uncertainty, PlanError> {
        if !(1..=MAX_DRAWS).contains(&draws) {
            return Err(PlanError::Invalid(format!(
                "uncertainty: the number of draws must be between 1 and {MAX_DRAWS}, got {draws}"
            )));
        }
        let errors = parse_errors(ERRORS_CSV).map_err(PlanError::Invalid)?;
        Ok(Uncertainty {
            draws,
            seed,
            capacity_factors: errors.iter().map(|e| e.capacity_factor()).collect(),
            price_spread: true,
            growth_months: 1.0,
            burst_spread: BURST_SPREAD,
        })
    }

    /// No spread at all: every draw is the plain plan (a check of the draws' plumbing).
    pub fn none(draws: u32, seed: u64) -> Uncertainty {
        Uncertainty {
            draws: draws.max(1),
            seed,
            capacity_factors: vec![1.0],
            price_spread: false,
            growth_months: 0.0,
            burst_spread: 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendored_errors_read_and_bad_counts_are_refused() {
        let u = Uncertainty::new(64, 1).unwrap();
        assert!(u.capacity_factors.len() >= 30);
        assert!(u.capacity_factors.iter().all(|f| f.is_finite() && *f > 0.0));
        // Both signs: the model errs both ways, so capacity is sometimes over- and sometimes under-predicted.
        assert!(
            u.capacity_factors.iter().any(|f| *f > 1.0)
                && u.capacity_factors.iter().any(|f| *f < 1.0)
        );
        let e = Uncertainty::new(0, 1).unwrap_err().to_string();
        assert!(e.contains("between 1 and") && e.contains("got 0"), "{e}");
        assert!(Uncertainty::new(MAX_DRAWS + 1, 1).is_err());
    }
}
