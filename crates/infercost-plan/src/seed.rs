//! A sweep point's seed, from its coordinates alone.

use infercost_core::Rng;

/// A point's seed from the scenario's seed and the point's coordinates: the same point draws the same traffic
/// whatever else the sweep holds (other volumes, GPUs, deployments, shards), so adding a volume to a sweep moves
/// no price.
pub(crate) fn point_seed(
    scenario_seed: u64,
    deployment: &str,
    gpu: &str,
    volume: f64,
    context: f64,
    burst: f64,
) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in deployment.bytes().chain([0]).chain(gpu.bytes()) {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    for x in [volume, context, burst] {
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
        // 200 contexts × 50 volumes × 8 deployments and GPUs, two bursts: 160,000 points.
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
            for v in 0..50 {
                for c in 0..200 {
                    for b in [1.0, 2.0] {
                        let volume = 1.05f64.powi(v);
                        let context = 1.0 + c as f64 * 0.05;
                        seen.insert(point_seed(1, d, g, volume, context, b));
                        n += 1;
                    }
                }
            }
        }
        assert_eq!(seen.len(), n, "{} seeds collide", n - seen.len());
        // Names are separated, so "a" on "bc" is not "ab" on "c".
        assert_ne!(
            point_seed(1, "a", "bc", 1.0, 1.0, 1.0),
            point_seed(1, "ab", "c", 1.0, 1.0, 1.0)
        );
    }
}
