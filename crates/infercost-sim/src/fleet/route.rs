//! Routing: which serving replica takes an arrival, in turn, by least outstanding work, or the better of two
//! chosen at random. Replicas compared by their work are first run up to the arrival.

use super::group::Group;
use super::Router;
use infercost_core::{Rng, SimTime};

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
