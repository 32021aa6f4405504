//! Spot reclaims within a group: a seeded Poisson process over serving replica-time takes a random serving
//! replica away; its waiting and running requests restart on other replicas with their original arrival times
//! (so the loss shows in their TTFT), and a replacement serves after the delay.

use super::autoscale::State;
use super::group::Group;
use super::Reclaims;
use infercost_core::{Rng, SimTime};

/// The reclaim process of one group.
pub(super) struct ReclaimState {
    cfg: Reclaims,
    rng: Rng,
    /// Serving replica-seconds since the last reclaim, as of `last`.
    exposure_s: f64,
    /// Serving replica-seconds from the last reclaim to the next.
    threshold_s: f64,
    last: SimTime,
}

impl ReclaimState {
    /// The process at `cfg`'s rate, `None` when the rate is zero.
    pub(super) fn new(cfg: Reclaims, mut rng: Rng) -> Option<ReclaimState> {
        (cfg.per_replica_hour > 0.0).then(|| {
            let threshold_s = rng.exp1() * 3_600.0 / cfg.per_replica_hour;
            ReclaimState {
                cfg,
                rng,
                exposure_s: 0.0,
                threshold_s,
                last: SimTime::ZERO,
            }
        })
    }
}

impl Group<'_> {
    /// Takes the reclaims due by `t`, each at its own time (the serving count held constant between events).
    pub(super) fn reclaims_until(&mut self, t: SimTime) {
        loop {
            let n = self.serving.len() as f64;
            let Some(rc) = self.reclaim.as_mut() else {
                return;
            };
            if n == 0.0 || t <= rc.last {
                rc.last = rc.last.max(t);
                return;
            }
            let due = rc.last + SimTime::from_secs_f64((rc.threshold_s - rc.exposure_s) / n);
            if due > t {
                rc.exposure_s += n * t.since(rc.last).as_secs_f64();
                rc.last = t;
                return;
            }
            rc.exposure_s = 0.0;
            rc.threshold_s = rc.rng.exp1() * 3_600.0 / rc.cfg.per_replica_hour;
            rc.last = due;
            let victim = rc.rng.below(n as u64) as usize;
            let delay = rc.cfg.replacement_delay;
            self.reclaim(victim, due, delay);
        }
    }

    /// Reclaims the `victim`-th serving replica at `t`: its requests restart elsewhere and a replacement is
    /// ordered.
    fn reclaim(&mut self, victim: usize, t: SimTime, delay: SimTime) {
        let i = self.serving.remove(victim);
        let wl = self.wl;
        self.members[i].replica.run_until(t, &mut self.m, wl);
        let lost = self.members[i].replica.in_flight_indices();
        // The replica is gone with its state: an empty one stands in so the end of the run finds no work there.
        let id = self.members[i].replica.id;
        let stopped = self.member(id, t, State::Stopped);
        self.members[i].replica = stopped.replica;
        self.members[i].state = State::Stopped;
        self.members[i].until = Some(t);
        self.order(t, t + delay);
        self.m.interruptions += 1;
        for idx in lost {
            let r = self.clipped(&wl.requests[idx as usize]);
            let k = self.route_any(t);
            let replica = &mut self.members[k].replica;
            replica.run_until(t, &mut self.m, wl);
            replica.enqueue(&r, idx, t, &mut self.m);
            self.m.restarted += 1;
        }
    }

    /// Orders a replica at `now` (provisioned from then) that serves from `ready`.
    pub(super) fn order(&mut self, now: SimTime, ready: SimTime) {
        let id = self.members.len() as u32;
        let member = self.member(id, now, State::Starting(ready));
        self.members.push(member);
        self.next_ready = self.next_ready.min(ready);
    }

    /// Replicas whose start-up finished by `t` begin to serve.
    pub(super) fn promote(&mut self, t: SimTime) {
        if t < self.next_ready {
            return;
        }
        let mut next = SimTime::MAX;
        for (i, mem) in self.members.iter_mut().enumerate() {
            if let State::Starting(ready) = mem.state {
                if ready <= t {
                    mem.state = State::Serving;
                    self.serving.push(i);
                } else {
                    next = next.min(ready);
                }
            }
        }
        self.next_ready = next;
    }

    /// A member to take a request at `t`: a serving one by the router, or, with none serving (every replica
    /// reclaimed), the replica on order that serves first, the request waiting for it.
    pub(super) fn route_any(&mut self, t: SimTime) -> usize {
        if !self.serving.is_empty() {
            return self.route(t);
        }
        let first = self
            .members
            .iter()
            .enumerate()
            .filter_map(|(i, m)| match m.state {
                State::Starting(ready) => Some((ready, i)),
                _ => None,
            })
            .min();
        match first {
            Some((ready, i)) => {
                let replica = &mut self.members[i].replica;
                replica.clock = replica.clock.max(ready);
                i
            }
            // Unreachable in practice (a reclaim always orders a replacement); the first member keeps order.
            None => 0,
        }
    }
}
