//! The closed loop of a serving benchmark (`vllm bench serve --max-concurrency`, GuideLLM's concurrent
//! profile, genai-perf's concurrency mode): a fixed number of clients, each sending the workload's next request
//! when its previous one completes.
//!
//! Completions feed arrivals, so the replicas are run in time order: a client freed at time t issues its next
//! request only once every busy replica has reached t, and the router places that request at t. The replica
//! furthest behind is run up to its next completion, but never past the next issue or the next replica's
//! clock, so no replica runs ahead of a request that could still be routed to it.

use super::group::Group;
use super::SimConfig;
use crate::metrics::Metrics;
use infercost_core::{Request, SimTime, Workload};
use infercost_perf::Deployment;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The busy replica furthest behind: its clock, its index into `members`, and the next busy clock after it.
struct Laggard {
    clock: SimTime,
    member: usize,
    next_clock: SimTime,
}

impl Group<'_> {
    /// The busy replica with the earliest clock (ties to the lowest index), if any replica is busy.
    fn laggard(&self) -> Option<Laggard> {
        let mut best: Option<Laggard> = None;
        for (i, mem) in self.members.iter().enumerate() {
            if mem.replica.in_flight() == 0 {
                continue;
            }
            let c = mem.replica.clock;
            best = Some(match best {
                None => Laggard {
                    clock: c,
                    member: i,
                    next_clock: SimTime::MAX,
                },
                Some(b) if c < b.clock => Laggard {
                    clock: c,
                    member: i,
                    next_clock: b.clock,
                },
                Some(b) => Laggard {
                    next_clock: b.next_clock.min(c),
                    ..b
                },
            });
        }
        best
    }
}

/// Simulates `clients` closed-loop clients sending the requests given by `indices`, in that order, to one group
/// of `replicas` replicas; every client starts at time zero.
pub(super) fn simulate_closed_loop(
    dep: &Deployment,
    wl: &Workload,
    indices: &[u32],
    replicas: u32,
    cfg: &SimConfig,
    seed: u64,
    clients: u32,
) -> Metrics {
    let mut group = Group::new(dep, wl, cfg, replicas, seed);
    let horizon = cfg.horizon.unwrap_or(SimTime::MAX);
    // Free clients by the time they became free; all of them are free at the start.
    let mut free: BinaryHeap<Reverse<SimTime>> = (0..clients.min(indices.len() as u32))
        .map(|_| Reverse(SimTime::ZERO))
        .collect();
    let mut next = 0;
    let mut last_issue = SimTime::ZERO;
    while next < indices.len() {
        let issue = free.peek().map(|f| f.0);
        let laggard = group.laggard();
        match (issue, laggard) {
            // A free client sends once every busy replica has caught up with it.
            (Some(t), ref lag) if lag.as_ref().is_none_or(|l| t <= l.clock) => {
                if t >= horizon {
                    break;
                }
                free.pop();
                let idx = indices[next];
                next += 1;
                let r = Request {
                    arrival: t,
                    ..wl.requests[idx as usize]
                };
                last_issue = t;
                if !group.arrive(&r, idx) {
                    // Turned away at once: the client goes on to its next request.
                    free.push(Reverse(t));
                }
            }
            (_, Some(l)) => {
                // Every busy replica is past the horizon, and so is any client waiting to send.
                if l.clock >= horizon {
                    break;
                }
                let bound = issue.unwrap_or(SimTime::MAX).min(l.next_clock).min(horizon);
                // At least one iteration, so the laggard always moves.
                let until = bound.max(SimTime(l.clock.0 + 1));
                let replica = &mut group.members[l.member].replica;
                let Some(done) = replica.run_to_completion(until, &mut group.m, wl) else {
                    // Work that cannot run (no engine would ever schedule it) ends the benchmark.
                    break;
                };
                let at = replica.clock;
                free.extend((0..done).map(|_| Reverse(at)));
            }
            // Every client is waiting on a request and nothing is running: nothing more can happen.
            (_, None) => break,
        }
    }
    group.finish(horizon, last_issue)
}
