//! Request-size buckets of a mixed fleet: the pilot's (prompt × context, output) pairs cut at quantiles of each
//! length, spaced towards the long tail, so that the few long requests that need a large GPU get buckets of their
//! own.

use infercost_core::Workload;
use infercost_sim::fleet::LengthBuckets;

/// Prompt-length quantiles the input rows are cut at: log-spaced in the tail (half, then a fifth, then a
/// twentieth of the requests above).
const INPUT_QUANTILES: [f64; 3] = [0.5, 0.8, 0.95];
/// Output-length quantiles the output columns are cut at.
const OUTPUT_QUANTILES: [f64; 1] = [0.5];

/// The pilot's length mix at a context, bucketed.
pub(crate) struct Buckets {
    /// The grid the router reads.
    pub(crate) grid: LengthBuckets,
    /// Each bucket's (prompt, output) pairs (empty for a bucket no request falls in).
    pub(crate) mixes: Vec<Vec<(u32, u32)>>,
    /// Each bucket's share of the requests (they sum to 1).
    pub(crate) shares: Vec<f64>,
}

/// Cuts at the given quantiles of `values` (sorted here), each an inclusive upper bound strictly below the
/// largest value so that no bucket past it is empty by construction; repeated cuts are merged.
fn edges(mut values: Vec<u32>, quantiles: &[f64]) -> Vec<u32> {
    values.sort_unstable();
    let Some(&max) = values.last() else {
        return Vec::new();
    };
    let mut out: Vec<u32> = quantiles
        .iter()
        .map(|q| values[((values.len() - 1) as f64 * q).floor() as usize])
        .filter(|&e| e < max)
        .collect();
    out.dedup();
    out
}

/// The pilot's requests at `context` (prompts scaled as `capacity::length_mix` and the context transform scale
/// them) in buckets.
pub(crate) fn buckets(pilot: &Workload, context: f64) -> Buckets {
    let pairs = infercost_sim::capacity::length_mix(pilot, context);
    let grid = LengthBuckets {
        input_edges: edges(pairs.iter().map(|p| p.0).collect(), &INPUT_QUANTILES),
        output_edges: edges(pairs.iter().map(|p| p.1).collect(), &OUTPUT_QUANTILES),
    };
    let mut mixes = vec![Vec::new(); grid.len()];
    for &(i, o) in &pairs {
        mixes[grid.of(i, o)].push((i, o));
    }
    let n = pairs.len() as f64;
    let shares = mixes.iter().map(|m| m.len() as f64 / n).collect();
    Buckets {
        grid,
        mixes,
        shares,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use infercost_core::{Request, SimTime};

    #[test]
    fn buckets_hold_every_request_once_and_shares_sum_to_one() {
        let mut w = Workload::new();
        for i in 0..1000u32 {
            // Prompts 1..=1000, outputs alternating short and long.
            w.requests.push(Request::new(
                SimTime::from_secs(i as u64),
                i + 1,
                if i % 2 == 0 { 10 } else { 300 },
            ));
        }
        let b = buckets(&w, 2.0);
        assert_eq!(b.grid.input_edges.len(), 3);
        assert_eq!(b.grid.output_edges, vec![10]);
        let total: usize = b.mixes.iter().map(Vec::len).sum();
        assert_eq!(total, 1000);
        assert!((b.shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // The top row is the longest 5% of prompts, at twice their length.
        let top: Vec<&(u32, u32)> = b.mixes[6..].iter().flatten().collect();
        assert_eq!(top.len(), 50);
        assert!(top.iter().all(|p| p.0 > 1900));
        // A constant length gives one row.
        let mut flat = Workload::new();
        for i in 0..10 {
            flat.requests
                .push(Request::new(SimTime::from_secs(i), 5, 5));
        }
        assert_eq!(buckets(&flat, 1.0).grid.len(), 1);
    }
}
