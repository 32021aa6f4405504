//! One group of replicas simulated on its share of the requests: arrivals checked against the engine's length
//! limit, routed to a serving replica, the autoscaler's decisions taken on time, and the replicas drained at
//! the end with the time each one was provisioned.

use super::autoscale::{Member, State};
use super::reclaim::ReclaimState;
use super::route::RouteState;
use super::SimConfig;
use crate::metrics::Metrics;
use crate::replica::Replica;
use infercost_core::{Request, Rng, SimTime, Workload};
use infercost_perf::Deployment;

/// A group being simulated.
pub(super) struct Group<'a> {
    pub(super) dep: &'a Deployment,
    pub(super) wl: &'a Workload,
    pub(super) cfg: &'a SimConfig,
    pub(super) members: Vec<Member<'a>>,
    /// Members taking new requests, by index into `members`.
    pub(super) serving: Vec<usize>,
    pub(super) route: RouteState,
    pub(super) m: Metrics,
    /// Spot reclaims, when asked for.
    pub(super) reclaim: Option<ReclaimState>,
    /// The earliest time a replica on order begins to serve.
    pub(super) next_ready: SimTime,
}

/// Simulates one group of replicas on the requests given by `indices`; with `stop_at_miss`, only until it can no
/// longer meet the SLO (see `SimConfig::stop_at_miss`).
pub(super) fn simulate_group(
    dep: &Deployment,
    wl: &Workload,
    indices: &[u32],
    replicas: u32,
    cfg: &SimConfig,
    seed: u64,
    stop_at_miss: bool,
) -> Metrics {
    let mut group = Group::new(dep, wl, cfg, replicas, seed);
    let most_missed = cfg
        .slo
        .filter(|_| stop_at_miss && cfg.horizon.is_none())
        .map(|slo| most_missed(indices.len() as u64, slo.percentile));
    let mut next_decision = cfg.autoscaler.map(|a| a.interval);
    let horizon = cfg.horizon.unwrap_or(SimTime::MAX);
    let mut last_arrival = SimTime::ZERO;
    for &idx in indices {
        let r = &wl.requests[idx as usize];
        let t = r.arrival;
        if t >= horizon {
            break;
        }
        while let (Some(d), Some(a)) = (next_decision, cfg.autoscaler) {
            if d > t {
                break;
            }
            group.reclaims_until(d);
            group.autoscale(&a, d);
            next_decision = Some(d + a.interval);
        }
        group.reclaims_until(t);
        group.promote(t);
        last_arrival = t;
        group.arrive(r, idx);
        if most_missed.is_some_and(|most| group.missed() > most) {
            group.m.stopped = true;
            return group.m;
        }
    }
    group.finish(horizon, last_arrival)
}

/// The most requests out of `n` that may miss the SLO (be late or turned away) while its `percentile` is met: the
/// percentile's nearest rank over all `n` requests, counting a turned-away one as infinitely late, stays within
/// the target only while at least that rank arrive in time. One more is allowed, so that rounding in the rank's
/// arithmetic can never stop a run that would meet the SLO.
fn most_missed(n: u64, percentile: f64) -> u64 {
    let rank = ((percentile / 100.0) * n as f64).ceil().max(1.0) as u64;
    n.saturating_sub(rank) + 1
}

impl<'a> Group<'a> {
    pub(super) fn new(
        dep: &'a Deployment,
        wl: &'a Workload,
        cfg: &'a SimConfig,
        replicas: u32,
        seed: u64,
    ) -> Group<'a> {
        let start_count = match cfg.autoscaler {
            Some(a) => replicas.clamp(a.min_replicas, a.max_replicas),
            None => replicas,
        };
        let mut group = Group {
            dep,
            wl,
            cfg,
            members: Vec::new(),
            serving: (0..start_count as usize).collect(),
            route: RouteState::new(Rng::new(seed)),
            m: Metrics::new(cfg.bucket),
            reclaim: cfg
                .reclaims
                .and_then(|r| ReclaimState::new(r, Rng::derive(seed, 0x5EC))),
            next_ready: SimTime::MAX,
        };
        group.m.track_hours = cfg.hourly;
        for i in 0..start_count {
            let member = group.member(i, SimTime::ZERO, State::Serving);
            group.members.push(member);
        }
        group
    }

    /// A new member with the group's engine settings.
    pub(super) fn member(&self, id: u32, since: SimTime, state: State) -> Member<'a> {
        let cfg = self.cfg;
        Member {
            replica: Replica::new(
                self.dep,
                cfg.engine,
                cfg.slo,
                cfg.step_exact,
                cfg.record_requests,
                id,
            ),
            state,
            since,
            until: None,
        }
    }

    /// Offers request `idx` (`r`) at its arrival: counted, checked, routed and queued on a replica. False when
    /// it was turned away (rejected or unservable) instead of queued.
    pub(super) fn arrive(&mut self, r: &Request, idx: u32) -> bool {
        let t = r.arrival;
        self.m.arrival(t);
        let Some(r) = self.admissible(r) else {
            return false;
        };
        if !self.members[0].replica.can_serve(&r) {
            self.m.unservable += 1;
            return false;
        }
        let k = self.route_any(t);
        let wl = self.wl;
        let replica = &mut self.members[k].replica;
        replica.run_until(t, &mut self.m, wl);
        replica.enqueue(&r, idx, t, &mut self.m);
        true
    }

    /// What vLLM does with --max-model-len: a prompt that leaves no room for one output token is rejected
    /// at admission (`None`); an output that would run past the limit stops there.
    fn admissible(&mut self, r: &Request) -> Option<Request> {
        match self.cfg.engine.max_model_len {
            Some(limit) if r.input_tokens >= limit => {
                self.m.rejected += 1;
                None
            }
            Some(limit) if r.input_tokens as u64 + r.output_tokens as u64 > limit as u64 => {
                self.m.truncated += 1;
                let mut clipped = *r;
                clipped.output_tokens = limit - r.input_tokens;
                Some(clipped)
            }
            _ => Some(*r),
        }
    }

    /// A request as it was admitted: its output cut at `max_model_len` (a restarted request, admitted once
    /// already).
    pub(super) fn clipped(&self, r: &infercost_core::Request) -> infercost_core::Request {
        let mut c = *r;
        if let Some(limit) = self.cfg.engine.max_model_len {
            if r.input_tokens as u64 + r.output_tokens as u64 > limit as u64 {
                c.output_tokens = limit.saturating_sub(r.input_tokens);
            }
        }
        c
    }

    /// Requests that already miss the SLO, by the target that more of them miss: those late to their first token
    /// or turned away, or those whose output came slower than the target (a miss either way, however the rest
    /// fare, once more than `most_missed` of the requests).
    fn missed(&self) -> u64 {
        let m = &self.m;
        (m.late_ttft + m.rejected + m.unservable).max(m.late_tpot)
    }

    /// Runs every replica to the horizon (or until drained) and counts provisioned time and the requests left
    /// in flight.
    pub(super) fn finish(mut self, horizon: SimTime, last_arrival: SimTime) -> Metrics {
        let mut m = self.m;
        let mut end = SimTime::ZERO;
        for mem in &mut self.members {
            mem.replica.run_until(horizon, &mut m, self.wl);
            end = end.max(mem.replica.clock);
            m.last_admission = m.last_admission.max(mem.replica.last_admission);
        }
        let unfinished: u64 = self.members.iter().map(|x| x.replica.unfinished()).sum();
        // Provisioned time: each replica from its start to its release (or the end of the run). An iteration
        // under way at the horizon finishes after it, and the replica is provisioned while it runs.
        let run_end = if self.cfg.horizon.is_some() {
            horizon.max(end)
        } else {
            end.max(last_arrival).max(m.makespan)
        };
        for mem in &self.members {
            let stop = mem.until.unwrap_or(run_end).min(run_end);
            m.spread(mem.since, stop, |b, s| b.provisioned_s += s);
        }
        // Requests in flight at a horizon are unfinished.
        m.in_flight_at_end += unfinished;
        m
    }
}
