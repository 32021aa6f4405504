//! One engine replica: vLLM-style continuous batching over a paged KV cache, with closed-form jumps over
//! decode-only stretches.
//!
//! Decoding sequences are kept as aggregates so that a stretch of K identical iterations costs O(log K):
//! each decoding sequence stores `c = context − G` where G counts the replica's iterations, so the batch's total
//! context is `Σc + n·G`; a 16-bucket histogram of `c mod block_size` says how many new KV blocks each iteration
//! needs; a heap of finishing iterations gives the next completion.
//!
//! The replica's state lives here; `config` holds the engine settings, `kv` the block bookkeeping and prefix
//! cache, `schedule` what an iteration runs, `step` one exact iteration and `jump` the closed-form stretches.

mod config;
mod jump;
mod kv;
mod schedule;
mod step;

pub use config::{EngineConfig, KV_BLOCK_TOKENS};

use crate::metrics::{Metrics, Slo};
use infercost_core::{Request, SimTime, Workload};
use infercost_perf::{DecodeLine, Deployment};
use kv::PrefixCache;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// One request's sequence on a replica.
#[derive(Debug, Clone)]
struct Seq {
    index: u32,
    arrival: SimTime,
    input: u32,
    output: u32,
    /// Tokens generated so far (as of joining decode, or of preemption).
    generated: u32,
    /// Prompt tokens to (re)compute: input plus tokens generated before a preemption.
    target: u32,
    /// Prompt tokens computed or found in the prefix cache.
    done: u32,
    /// KV blocks held while prefilling.
    blocks: u64,
    admit_no: u64,
    /// When the first token was sampled, ns; `None` until then (a recompute keeps the first).
    first_token: Option<u64>,
    /// When first admitted, ns; `None` while it has never run.
    scheduled: Option<u64>,
    /// context − G while decoding.
    c: i64,
    g_end: u64,
    stamp: u32,
    decoding: bool,
    preemptions: u32,
    prefix: (u32, u16),
}

/// A replica's state.
pub(crate) struct Replica<'a> {
    dep: &'a Deployment,
    cfg: EngineConfig,
    slo: Option<Slo>,
    step_exact: bool,
    record: bool,
    pub(crate) id: u32,
    pub(crate) clock: SimTime,
    /// When a request last left the waiting queue for a batch: a first admission, or one after a preemption.
    pub(crate) last_admission: SimTime,
    waiting: VecDeque<u32>,
    prefilling: Vec<u32>,
    slab: Vec<Seq>,
    free_slots: Vec<u32>,
    order: Vec<(u64, u32)>,
    running: u64,
    admit_counter: u64,
    n_dec: u64,
    sum_c: i64,
    hist: Vec<u64>,
    g: u64,
    heap: BinaryHeap<Reverse<(u64, u32, u32)>>,
    free_blocks: u64,
    /// Under `no_evict`: blocks the running sequences hold once their whole output is written.
    committed_blocks: u64,
    outstanding_prefill: u64,
    sum_g_end: u64,
    cache: Option<PrefixCache>,
    /// This iteration's prefill chunks (slot, tokens); kept to reuse its allocation.
    chunks: Vec<(u32, u32)>,
    /// Decode-only iteration time by batch size, computed once per size.
    lines: Vec<Option<DecodeLine>>,
}

#[inline]
fn ceil_div(a: u64, b: u64) -> u64 {
    a.div_ceil(b)
}

impl<'a> Replica<'a> {
    pub(crate) fn new(
        dep: &'a Deployment,
        cfg: EngineConfig,
        slo: Option<Slo>,
        step_exact: bool,
        record: bool,
        id: u32,
    ) -> Replica<'a> {
        let cache = cfg.prefix_caching.then(|| {
            PrefixCache::with_capacity(
                (cfg.kv_blocks * cfg.block_size as u64 / cfg.prefix_block_tokens.max(1) as u64)
                    as usize,
            )
        });
        Replica {
            dep,
            cfg,
            slo,
            step_exact,
            record,
            id,
            clock: SimTime::ZERO,
            last_admission: SimTime::ZERO,
            waiting: VecDeque::new(),
            prefilling: Vec::new(),
            slab: Vec::new(),
            free_slots: Vec::new(),
            order: Vec::new(),
            running: 0,
            admit_counter: 0,
            n_dec: 0,
            sum_c: 0,
            hist: vec![0; cfg.block_size as usize],
            g: 0,
            heap: BinaryHeap::new(),
            free_blocks: cfg.kv_blocks,
            committed_blocks: 0,
            outstanding_prefill: 0,
            sum_g_end: 0,
            cache,
            chunks: Vec::new(),
            lines: Vec::new(),
        }
    }

    /// Whether one request can ever fit in this replica's KV cache.
    pub(crate) fn can_serve(&self, r: &Request) -> bool {
        ceil_div(
            r.input_tokens as u64 + r.output_tokens as u64,
            self.cfg.block_size as u64,
        ) <= self.cfg.kv_blocks
    }

    /// Tokens of work queued or running: prompt tokens left plus output tokens left.
    #[inline]
    pub(crate) fn outstanding_tokens(&self) -> u64 {
        self.outstanding_prefill + (self.sum_g_end - self.n_dec * self.g)
    }

    /// Requests waiting or running.
    pub(crate) fn in_flight(&self) -> u64 {
        self.waiting.len() as u64 + self.running
    }

    #[inline]
    fn has_work(&self) -> bool {
        !self.waiting.is_empty() || self.running > 0
    }

    /// Queues a request that arrives at `t` (the replica has been run up to `t`).
    pub(crate) fn enqueue(&mut self, r: &Request, index: u32, t: SimTime, m: &mut Metrics) {
        if !self.has_work() && self.clock < t {
            self.clock = t;
        }
        let seq = Seq {
            index,
            arrival: r.arrival,
            input: r.input_tokens.max(1),
            output: r.output_tokens.max(1),
            generated: 0,
            target: r.input_tokens.max(1),
            done: 0,
            blocks: 0,
            admit_no: 0,
            first_token: None,
            scheduled: None,
            c: 0,
            g_end: 0,
            stamp: 0,
            decoding: false,
            preemptions: 0,
            prefix: (r.prefix_start, r.prefix_len),
        };
        self.outstanding_prefill += seq.target as u64;
        let slot = match self.free_slots.pop() {
            Some(s) => {
                self.slab[s as usize] = seq;
                s
            }
            None => {
                self.slab.push(seq);
                (self.slab.len() - 1) as u32
            }
        };
        self.waiting.push_back(slot);
        m.max_queue = m.max_queue.max(self.waiting.len() as u64);
    }

    /// Runs iterations that start before `until`; returns when the replica is idle or has reached `until`.
    pub(crate) fn run_until(&mut self, until: SimTime, m: &mut Metrics, wl: &Workload) {
        while self.clock < until && self.has_work() {
            if !self.step_exact && self.try_jump(until, m) {
                continue;
            }
            if !self.step(m, wl) {
                break;
            }
        }
    }

    /// Runs iterations that start before `until` and stops after the first in which a request completed;
    /// returns how many completed then (at `self.clock`). `None` when the replica had work it could not run.
    pub(crate) fn run_to_completion(
        &mut self,
        until: SimTime,
        m: &mut Metrics,
        wl: &Workload,
    ) -> Option<u64> {
        let before = m.completed;
        while self.clock < until && self.has_work() {
            let moved = (!self.step_exact && self.try_jump(until, m)) || self.step(m, wl);
            if !moved {
                return None;
            }
            if m.completed > before {
                break;
            }
        }
        Some(m.completed - before)
    }

    /// The workload indices of the requests waiting or running, in order of arrival: what a reclaimed replica
    /// hands back to be restarted elsewhere (the replica itself is then discarded).
    pub(crate) fn in_flight_indices(&self) -> Vec<u32> {
        let mut free = vec![false; self.slab.len()];
        for &s in &self.free_slots {
            free[s as usize] = true;
        }
        let mut live: Vec<(SimTime, u32)> = self
            .slab
            .iter()
            .zip(&free)
            .filter(|(_, &f)| !f)
            .map(|(s, _)| (s.arrival, s.index))
            .collect();
        live.sort_unstable();
        live.into_iter().map(|(_, i)| i).collect()
    }

    /// Requests still waiting or running (unfinished at a horizon).
    pub(crate) fn unfinished(&self) -> u64 {
        self.in_flight()
    }
}
