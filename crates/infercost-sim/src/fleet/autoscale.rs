//! Target-utilisation autoscaling within a group: replicas that finished starting begin to serve, drained ones
//! are released, and every interval the count moves toward the batch occupancy over the target.

use super::group::Group;
use super::Autoscaler;
use crate::replica::Replica;
use infercost_core::SimTime;

/// Where a replica is in its life.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum State {
    Serving,
    /// Ordered; serves from the given time.
    Starting(SimTime),
    /// Takes no new requests; released once empty.
    Draining,
    Stopped,
}

/// A replica of a group and its provisioned span.
pub(super) struct Member<'a> {
    pub(super) replica: Replica<'a>,
    pub(super) state: State,
    pub(super) since: SimTime,
    pub(super) until: Option<SimTime>,
}

impl Group<'_> {
    /// One autoscaling decision at `now`.
    pub(super) fn autoscale(&mut self, a: &Autoscaler, now: SimTime) {
        self.settle(now);
        let active = self.serving.len().max(1) as f64;
        // Utilisation is batch occupancy: the time-averaged running sequences over the replicas' max_num_seqs
        // slots. (Engine busy time is no signal: continuous batching iterates whenever anything at all is in
        // flight.)
        let (w, slots) = (
            a.interval.as_secs_f64(),
            self.cfg.engine.max_num_seqs as f64,
        );
        let utilization = self.window_batch_seconds(a, now) / (active * w * slots);
        let starting = self
            .members
            .iter()
            .filter(|x| matches!(x.state, State::Starting(_)))
            .count() as u32;
        let desired = ((active * utilization / a.target_utilization).ceil() as u32)
            .clamp(a.min_replicas, a.max_replicas);
        let have = self.serving.len() as u32 + starting;
        if desired > have {
            for _ in 0..desired - have {
                self.order(now, now + a.provisioning_delay);
            }
            self.m.scale_ups += (desired - have) as u64;
        } else if desired < self.serving.len() as u32 {
            self.drain(self.serving.len() as u32 - desired, a, now);
        }
    }

    /// Runs the group's replicas up to `now`; replicas that finished starting begin to serve, drained ones are
    /// released.
    fn settle(&mut self, now: SimTime) {
        for mem in self.members.iter_mut() {
            if mem.state != State::Stopped {
                mem.replica.run_until(now, &mut self.m, self.wl);
            }
        }
        for (i, mem) in self.members.iter_mut().enumerate() {
            match mem.state {
                State::Starting(ready) if ready <= now => {
                    mem.state = State::Serving;
                    self.serving.push(i);
                }
                State::Draining if mem.replica.in_flight() == 0 => {
                    mem.state = State::Stopped;
                    mem.until = Some(now);
                }
                _ => {}
            }
        }
    }

    /// Running-sequence seconds of the group over the interval that ends at `now`.
    fn window_batch_seconds(&self, a: &Autoscaler, now: SimTime) -> f64 {
        let m = &self.m;
        let window_start = SimTime(now.0.saturating_sub(a.interval.0));
        let mut busy = 0.0;
        let (w, bw) = (a.interval.as_secs_f64(), m.bucket.as_secs_f64());
        let first = (window_start.0 / m.bucket.0) as usize;
        let last = (now.0.saturating_sub(1) / m.bucket.0) as usize;
        for i in first..=last.min(m.buckets.len().saturating_sub(1)) {
            if i < m.buckets.len() {
                busy += m.buckets[i].batch_seq_s * (w / bw).min(1.0);
            }
        }
        busy
    }

    /// Drains up to `remove` serving replicas, the newest first, once they have lived their minimum lifetime.
    fn drain(&mut self, mut remove: u32, a: &Autoscaler, now: SimTime) {
        let mut keep = Vec::with_capacity(self.serving.len());
        for &i in self.serving.iter().rev() {
            if remove > 0 && now.since(self.members[i].since) >= a.min_lifetime {
                self.members[i].state = State::Draining;
                remove -= 1;
                self.m.scale_downs += 1;
            } else {
                keep.push(i);
            }
        }
        keep.reverse();
        self.serving = keep;
    }
}
