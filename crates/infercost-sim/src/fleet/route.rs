//! Routing: which serving replica takes an arrival, in turn, by least outstanding work, or the better of two
//! chosen at random. Replicas compared by their work are first run up to the arrival. Across pools of different
//! GPU types, a length-aware router ([`LengthRouter`]) sends each request to the pool of its size bucket.

use super::group::Group;
use super::Router;
use infercost_core::{Request, Rng, SimTime, Workload};

/// The router's own state: the round-robin position and the seeded generator of the power of two choices.
pub(super) struct RouteState {
    rr: usize,
    rng: Rng,
}

impl RouteState {
    pub(super) fn new(rng: Rng) -> RouteState {
        RouteState { rr: 0, rng }
    }
}

impl Group<'_> {
    /// The member (index into `members`) that takes a request arriving at `t`.
    #[inline]
    pub(super) fn route(&mut self, t: SimTime) -> usize {
        let n = self.serving.len();
        match self.cfg.router {
            Router::RoundRobin => {
                self.route.rr = (self.route.rr + 1) % n;
                self.serving[self.route.rr]
            }
            Router::Least => {
                let mut best = self.serving[0];
                for &i in &self.serving {
                    self.members[i].replica.run_until(t, &mut self.m, self.wl);
                    if self.members[i].replica.outstanding_tokens()
                        < self.members[best].replica.outstanding_tokens()
                    {
                        best = i;
                    }
                }
                best
            }
            Router::PowerOfTwo => {
                if n == 1 {
                    return self.serving[0];
                }
                let a = self.route.rng.below(n as u64) as usize;
                let mut b = self.route.rng.below(n as u64 - 1) as usize;
                if b >= a {
                    b += 1;
                }
                let (a, b) = (self.serving[a], self.serving[b]);
                self.members[a].replica.run_until(t, &mut self.m, self.wl);
                self.members[b].replica.run_until(t, &mut self.m, self.wl);
                if self.members[b].replica.outstanding_tokens()
                    < self.members[a].replica.outstanding_tokens()
                {
                    b
                } else {
                    a
                }
            }
        }
    }
}

/// Request-size buckets: a grid of prompt lengths × output lengths cut at ascending edges. A request whose prompt
/// is at most `input_edges[i]` (and above the edge before) is in input row `i`; past the last edge, in the last
/// row; outputs likewise. Bucket `row × (output_edges.len() + 1) + column`.
#[derive(Debug, Clone, PartialEq)]
pub struct LengthBuckets {
    /// Upper prompt-length bounds of every input row but the last, ascending.
    pub input_edges: Vec<u32>,
    /// Upper output-length bounds of every output column but the last, ascending.
    pub output_edges: Vec<u32>,
}

impl LengthBuckets {
    /// How many buckets the grid has.
    pub fn len(&self) -> usize {
        (self.input_edges.len() + 1) * (self.output_edges.len() + 1)
    }

    /// Whether the grid has no bucket (never: one bucket holds everything when there are no edges).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The bucket of a request of `input` prompt and `output` generated tokens.
    pub fn of(&self, input: u32, output: u32) -> usize {
        let row = self.input_edges.partition_point(|&e| e < input);
        let col = self.output_edges.partition_point(|&e| e < output);
        row * (self.output_edges.len() + 1) + col
    }
}

/// A length-aware router over pools of replicas: each request goes to the pool its size bucket is assigned to.
/// Pools do not share requests, so each can be simulated on its own share of the traffic and the fleet meets a
/// percentile SLO when every pool does.
#[derive(Debug, Clone, PartialEq)]
pub struct LengthRouter {
    /// The buckets requests are sorted into.
    pub buckets: LengthBuckets,
    /// The pool of each bucket (`buckets.len()` entries).
    pub pool_of_bucket: Vec<usize>,
}

impl LengthRouter {
    /// The pool that takes a request of these lengths (pool 0 for a bucket without an assignment).
    pub fn pool(&self, input: u32, output: u32) -> usize {
        self.pool_of_bucket
            .get(self.buckets.of(input, output))
            .copied()
            .unwrap_or(0)
    }

    /// The pool that takes a request.
    pub fn pool_of(&self, r: &Request) -> usize {
        self.pool(r.input_tokens, r.output_tokens)
    }

    /// Splits a workload into one workload per pool (`pools` of them), each request in its pool, in arrival
    /// order; the side tables (prefix ids, regions) are shared as they are.
    pub fn split(&self, w: &Workload, pools: usize) -> Vec<Workload> {
        let mut out: Vec<Workload> = (0..pools)
            .map(|_| Workload {
                requests: Vec::new(),
                hash_ids: w.hash_ids.clone(),
                regions: w.regions.clone(),
                epoch_origin_s: w.epoch_origin_s,
                has_timestamps: w.has_timestamps,
            })
            .collect();
        for r in &w.requests {
            if let Some(pool) = out.get_mut(self.pool_of(r)) {
                pool.requests.push(*r);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_length_router_sends_each_request_to_its_buckets_pool() {
        // Prompts cut at 100 and 1000, outputs at 50: six buckets; short requests to pool 0, long prompts to 1,
        // the middle row by output.
        let router = LengthRouter {
            buckets: LengthBuckets {
                input_edges: vec![100, 1000],
                output_edges: vec![50],
            },
            pool_of_bucket: vec![0, 0, 0, 1, 1, 1],
        };
        let mut w = Workload::new();
        let mut rng = Rng::new(3);
        for i in 0..2000u64 {
            let input = 1 + rng.below(3000) as u32;
            let output = 1 + rng.below(200) as u32;
            w.requests
                .push(Request::new(SimTime::from_secs(i), input, output));
        }
        let pools = router.split(&w, 2);
        assert_eq!(
            pools[0].len() + pools[1].len(),
            w.len(),
            "every request once"
        );
        // The bucket computed here from the edges directly, not through `LengthBuckets::of`.
        let expected = |input: u32, output: u32| {
            let row = if input <= 100 {
                0
            } else if input <= 1000 {
                1
            } else {
                2
            };
            let col = usize::from(output > 50);
            [[0, 0], [0, 1], [1, 1]][row][col]
        };
        for (p, pool) in pools.iter().enumerate() {
            assert!(!pool.is_empty());
            for r in &pool.requests {
                assert_eq!(expected(r.input_tokens, r.output_tokens), p, "{r:?}");
            }
            assert!(pool
                .requests
                .windows(2)
                .all(|x| x[0].arrival <= x[1].arrival));
        }
        // Edges are inclusive upper bounds.
        assert_eq!(router.buckets.of(100, 50), 0);
        assert_eq!(router.buckets.of(101, 50), 2);
        assert_eq!(router.buckets.of(1001, 51), 5);
    }
}
