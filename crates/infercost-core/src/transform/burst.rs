//! Making arrivals burstier while keeping every request and the mean rate.

use super::{invalid, TransformError};
use crate::rng::Rng;
use crate::units::SimTime;
use crate::workload::Workload;

/// The period over which `burst` clusters arrivals.
pub const BURST_CYCLE: SimTime = SimTime(300 * SimTime::NS_PER_S);

/// Raises the peak-to-mean ratio by about `b` (≥ 1) while keeping every request and the mean rate: the arrivals
/// of each [`BURST_CYCLE`] are squeezed, in order, into a window of 1/b of the cycle at a seeded random position.
pub fn burst(w: &mut Workload, b: f64, seed: u64) -> Result<(), TransformError> {
    if !(b.is_finite() && b >= 1.0) {
        return Err(invalid("burst", "a number of at least 1", b));
    }
    if b == 1.0 || w.is_empty() {
        return Ok(());
    }
    let t0 = w.requests[0].arrival.0;
    let cycle = BURST_CYCLE.0;
    let window = (cycle as f64 / b) as u64;
    let mut rng = Rng::new(seed);
    let mut current = u64::MAX;
    let mut start = 0;
    for r in &mut w.requests {
        let rel = r.arrival.0 - t0;
        let c = rel / cycle;
        if c != current {
            current = c;
            start = rng.below(cycle - window + 1);
        }
        let within = rel % cycle;
        let squeezed = (within as f64 / b) as u64;
        r.arrival = SimTime(t0 + c * cycle + start + squeezed);
    }
    w.sort_by_arrival();
    Ok(())
}
