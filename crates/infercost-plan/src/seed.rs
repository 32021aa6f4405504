//! A sweep point's seed, from its coordinates alone.

use infercost_core::Rng;

/// A point's seed from the scenario's seed and the point's coordinates: the same point draws the same traffic
/// whatever else the sweep holds (other volumes, GPUs, deployments, shards), so adding a volume to a sweep moves
/// no price. The context is left out: points that differ only in prompt length draw the same arrivals and the
/// same routing (common random numbers), so a longer context is never sized on luckier traffic than a shorter
/// one. Its slot in the hash stays, at the pilot's 1, so points at the pilot's context keep their seeds.
pub(crate) fn point_seed(
    scenario_seed: u64,
    deployment: &str,
    gpu: &str,
    volume: f64,
    burst: f64,
) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in deployment.bytes().chain([0]).chain(gpu.bytes()) {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    for x in [volume, 1.0, burst] {
        h = Rng::derive(h, x.to_bits()).next_u64();
    }
    Rng::derive(scenario_seed, h).next_u64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn no_two_points_of_a_large_grid_share_a_seed() {
        // 500 volumes × 8 deployments and GPUs, four bursts: 16,000 points.
        let names = [
            ("8b", "h100-sxm"),
            ("8b", "a100-80gb"),
            ("8b", "l40s"),
            ("8b", "h200"),
            ("70b", "h100-sxm"),
            ("70b", "a100-80gb"),
            ("70b", "l40s"),
            ("70b", "h200"),
        ];
        let mut seen = BTreeSet::new();
        let mut n = 0;
        for (d, g) in names {
            for v in 0..500 {
                for b in [1.0, 1.5, 2.0, 4.0] {
                    seen.insert(point_seed(1, d, g, 1.05f64.powi(v), b));
                    n += 1;
                }
            }
        }
        assert_eq!(seen.len(), n, "{} seeds collide", n - seen.len());
        // Names are separated, so "a" on "bc" is not "ab" on "c".
        assert_ne!(
            point_seed(1, "a", "bc", 1.0, 1.0),
            point_seed(1, "ab", "c", 1.0, 1.0)
        );
    }
}
