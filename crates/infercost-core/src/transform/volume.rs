//! Scaling a workload's volume: more users (superposed shifted copies) or the same users faster.

use super::{invalid, typed, TransformError, MAX_REQUESTS};
use crate::rng::Rng;
use crate::units::SimTime;
use crate::workload::{Workload, NO_SESSION};

/// How volume is scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VolumeMode {
    /// Superpose K copies of the pilot, each shifted by its own random offset: more users, smoother aggregate.
    #[default]
    Users,
    /// Replay the pilot K times back to back, each K× faster: the same shape, K× the rate.
    Compress,
}

fn salt_prefix(id: u64, copy: u64) -> u64 {
    if copy == 0 {
        id
    } else {
        id ^ copy.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17)
    }
}

/// Scales the number of requests by `k` (≥ 0). An integer `k` gives exactly k·N requests; the fraction of a
/// non-integer `k` adds a seeded random subset of one more copy.
pub fn scale_volume(
    w: &Workload,
    k: f64,
    mode: VolumeMode,
    seed: u64,
) -> Result<Workload, TransformError> {
    if !(k.is_finite() && k >= 0.0) {
        return Err(invalid("volume", "a non-negative number", k));
    }
    let total = w.len() as f64 * k.ceil();
    if total > MAX_REQUESTS as f64 {
        return Err(TransformError::TooLarge {
            what: format!("{} requests at volume {}", w.len(), typed(k)),
            value: total,
            limit: MAX_REQUESTS as f64,
            unit: "requests",
        });
    }
    let whole = k.floor() as u64;
    let frac = k - whole as f64;
    let mut out = Workload {
        requests: Vec::with_capacity((w.len() as f64 * k.ceil()) as usize),
        hash_ids: Vec::new(),
        regions: w.regions.clone(),
        epoch_origin_s: w.epoch_origin_s,
        has_timestamps: w.has_timestamps,
    };
    if w.is_empty() {
        return Ok(out);
    }
    let t0 = w.requests[0].arrival.0;
    let n = w.len() as u64;
    // The copy period: the span plus one mean gap, so a wrapped request does not land on the first one.
    let span = w.span().0 + (w.span().0 / n.max(1)).max(1);
    let max_session = w
        .requests
        .iter()
        .filter(|r| r.session != NO_SESSION)
        .map(|r| r.session as u64 + 1)
        .max()
        .unwrap_or(0);
    let copies = whole + u64::from(frac > 0.0);
    let mut rng = Rng::new(seed);
    for c in 0..copies {
        let mut crng = Rng::derive(seed, c + 1);
        let offset = if c == 0 { 0 } else { rng.below(span) };
        let partial = c == whole;
        for r in &w.requests {
            if partial && crng.f64() >= frac {
                continue;
            }
            let rel = r.arrival.0 - t0;
            let arrival = match mode {
                VolumeMode::Users => t0 + (rel + offset) % span,
                VolumeMode::Compress => {
                    let kk = k.max(1e-9);
                    t0 + ((c as f64 * span as f64 + rel as f64) / kk) as u64
                }
            };
            let mut nr = *r;
            nr.arrival = SimTime(arrival);
            if r.session != NO_SESSION && matches!(mode, VolumeMode::Users) {
                nr.session = (r.session as u64 + c * max_session).min(u32::MAX as u64 - 1) as u32;
            }
            if r.prefix_len > 0 {
                let ids: Vec<u64> = w
                    .prefix_of(r)
                    .iter()
                    // Copies are other users: a shared system prompt stays shared, a session's history does not.
                    .map(|&id| {
                        if r.session != NO_SESSION {
                            salt_prefix(id, c)
                        } else {
                            id
                        }
                    })
                    .collect();
                let (s, l) = out.push_prefix(&ids);
                nr.prefix_start = s;
                nr.prefix_len = l;
            }
            out.requests.push(nr);
        }
    }
    out.sort_by_arrival();
    Ok(out)
}
