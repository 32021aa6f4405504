//! One engine replica: vLLM-style continuous batching over a paged KV cache, with closed-form jumps over
//! decode-only stretches.
//!
//! Decoding sequences are kept as aggregates so that a stretch of K identical iterations costs O(log K):
//! each decoding sequence stores `c = context − G` where G counts the replica's iterations, so the batch's total
//! context is `Σc + n·G`; a 16-bucket histogram of `c mod block_size` says how many new KV blocks each iteration
//! needs; a heap of finishing iterations gives the next completion.

use crate::metrics::{Metrics, RequestRecord, Slo};
use infercost_core::{Request, SimTime, Workload};
use infercost_perf::{Batch, Deployment};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};

/// Engine settings of one replica.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngineConfig {
    /// Most sequences running at once.
    pub max_num_seqs: u32,
    /// Token budget of one iteration.
    pub max_batched_tokens: u32,
    /// Tokens per KV block.
    pub block_size: u32,
    /// KV blocks in the cache.
    pub kv_blocks: u64,
    /// Reuse cached prefix blocks named by the workload's `hash_ids`.
    pub prefix_caching: bool,
    /// Tokens covered by one `hash_ids` entry.
    pub prefix_block_tokens: u32,
    /// Longest sequence (prompt plus output) the engine accepts, as vLLM's `--max-model-len`: a prompt of this
    /// length or more is rejected, an output that would run past it is cut. `None`: no limit.
    pub max_model_len: Option<u32>,
}

/// Tokens per KV block in vLLM's default paged attention.
pub const KV_BLOCK_TOKENS: u32 = 16;

impl EngineConfig {
    /// vLLM's defaults (256 sequences, 8,192 batched tokens, 16-token blocks, prefix caching with 512-token
    /// hash blocks, no length limit) over a cache of `kv_blocks` blocks.
    pub fn new(kv_blocks: u64) -> EngineConfig {
        EngineConfig {
            max_num_seqs: 256,
            max_batched_tokens: 8192,
            block_size: KV_BLOCK_TOKENS,
            kv_blocks,
            prefix_caching: true,
            prefix_block_tokens: 512,
            max_model_len: None,
        }
    }
}

const NONE: u64 = u64::MAX;

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
    first_token: u64,
    scheduled: u64,
    /// context − G while decoding.
    c: i64,
    g_end: u64,
    stamp: u32,
    decoding: bool,
    preemptions: u32,
    prefix: (u32, u16),
}

#[derive(Debug, Default)]
struct PrefixCache {
    map: HashMap<u64, u64>,
    lru: BTreeMap<u64, u64>,
    cap: usize,
    tick: u64,
}

impl PrefixCache {
    fn touch(&mut self, id: u64) {
        self.tick += 1;
        if let Some(old) = self.map.insert(id, self.tick) {
            self.lru.remove(&old);
        }
        self.lru.insert(self.tick, id);
        while self.map.len() > self.cap {
            if let Some((&t, &victim)) = self.lru.iter().next() {
                self.lru.remove(&t);
                self.map.remove(&victim);
            }
        }
    }
    /// Leading ids already cached; looking does not change recency, so a failed admission leaves no trace.
    fn hits(&self, ids: &[u64]) -> usize {
        ids.iter()
            .take_while(|id| self.map.contains_key(id))
            .count()
    }
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
    outstanding_prefill: u64,
    sum_g_end: u64,
    cache: Option<PrefixCache>,
    /// This iteration's prefill chunks (slot, tokens); kept to reuse its allocation.
    chunks: Vec<(u32, u32)>,
    /// Decode-only iteration time by batch size, computed once per size.
    lines: Vec<Option<infercost_perf::DecodeLine>>,
}

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
        let cache = cfg.prefix_caching.then(|| PrefixCache {
            cap: (cfg.kv_blocks * cfg.block_size as u64 / cfg.prefix_block_tokens.max(1) as u64)
                .max(1) as usize,
            ..PrefixCache::default()
        });
        Replica {
            dep,
            cfg,
            slo,
            step_exact,
            record,
            id,
            clock: SimTime::ZERO,
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
    pub(crate) fn outstanding_tokens(&self) -> u64 {
        self.outstanding_prefill + (self.sum_g_end - self.n_dec * self.g)
    }

    /// Requests waiting or running.
    pub(crate) fn in_flight(&self) -> u64 {
        self.waiting.len() as u64 + self.running
    }

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
            first_token: NONE,
            scheduled: NONE,
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

    fn blocks_for(&self, tokens: u64) -> u64 {
        ceil_div(tokens, self.cfg.block_size as u64)
    }

    fn decode_blocks_needed(&self) -> u64 {
        if self.n_dec == 0 {
            return 0;
        }
        let bs = self.cfg.block_size as u64;
        self.hist[((bs - self.g % bs) % bs) as usize]
    }

    fn remove_decoding(&mut self, slot: u32) -> u64 {
        let s = &self.slab[slot as usize];
        let bs = self.cfg.block_size as i64;
        let ctx = (s.c + self.g as i64) as u64;
        self.n_dec -= 1;
        self.sum_c -= s.c;
        self.sum_g_end -= s.g_end;
        self.hist[s.c.rem_euclid(bs) as usize] -= 1;
        self.blocks_for(ctx)
    }

    fn latest_running(&mut self) -> Option<u32> {
        while let Some(&(no, slot)) = self.order.last() {
            let s = &self.slab[slot as usize];
            if s.admit_no == no && (s.decoding || self.prefilling.contains(&slot)) {
                return Some(slot);
            }
            self.order.pop();
        }
        None
    }

    fn compact_order(&mut self) {
        if self.order.len() > 2 * self.running as usize + 64 {
            let slab = &self.slab;
            let pre = &self.prefilling;
            self.order.retain(|&(no, slot)| {
                let s = &slab[slot as usize];
                s.admit_no == no && (s.decoding || pre.contains(&slot))
            });
        }
    }

    /// Preempts a running sequence: frees its blocks and puts it back at the head of the queue to recompute.
    fn preempt(&mut self, slot: u32, m: &mut Metrics) {
        let freed = if self.slab[slot as usize].decoding {
            let f = self.remove_decoding(slot);
            let g = self.g;
            let s = &mut self.slab[slot as usize];
            s.generated = s.output - (s.g_end - g) as u32;
            s.decoding = false;
            s.stamp = s.stamp.wrapping_add(1);
            f
        } else {
            self.prefilling.retain(|&x| x != slot);
            let s = &self.slab[slot as usize];
            self.outstanding_prefill -= (s.target - s.done) as u64;
            s.blocks
        };
        self.free_blocks += freed;
        let s = &mut self.slab[slot as usize];
        s.target = s.input + s.generated;
        s.done = 0;
        s.blocks = 0;
        s.admit_no = 0;
        s.preemptions += 1;
        self.outstanding_prefill += s.target as u64;
        self.running -= 1;
        self.waiting.push_front(slot);
        m.preemptions += 1;
    }

    fn complete(&mut self, slot: u32, end: SimTime, m: &mut Metrics) {
        let s = &self.slab[slot as usize];
        let e2e = end.0 - s.arrival.0;
        let ttft = s.first_token - s.arrival.0;
        let tpot = if s.output > 1 {
            (end.0 - s.first_token) / (s.output as u64 - 1)
        } else {
            0
        };
        m.ttft.record(ttft);
        m.e2e.record(e2e);
        m.queue.record(s.scheduled - s.arrival.0);
        if s.output > 1 {
            m.tpot.record(tpot);
        }
        m.completed += 1;
        m.input_tokens += s.input as u64;
        m.output_tokens += s.output as u64;
        m.tokens_out(end, s.output as u64);
        if let Some(slo) = self.slo {
            if ttft as f64 <= slo.ttft_ms * 1e6 && tpot as f64 <= slo.tpot_ms * 1e6 {
                m.slo_met += 1;
            }
        }
        if self.record {
            m.records.push(RequestRecord {
                index: s.index,
                replica: self.id,
                arrival_ns: s.arrival.0,
                queue_ns: s.scheduled - s.arrival.0,
                ttft_ns: ttft,
                e2e_ns: e2e,
                input_tokens: s.input,
                output_tokens: s.output,
                preemptions: s.preemptions,
            });
        }
        m.makespan = m.makespan.max(end);
        self.running -= 1;
        self.slab[slot as usize].admit_no = 0;
        self.free_slots.push(slot);
    }

    fn finish_completions(&mut self, end: SimTime, m: &mut Metrics) {
        while let Some(&Reverse((g_end, slot, stamp))) = self.heap.peek() {
            let s = &self.slab[slot as usize];
            if !s.decoding || s.stamp != stamp {
                self.heap.pop();
                continue;
            }
            if g_end > self.g {
                break;
            }
            self.heap.pop();
            let freed = self.remove_decoding(slot);
            self.free_blocks += freed;
            self.slab[slot as usize].decoding = false;
            self.complete(slot, end, m);
        }
    }

    fn account(&mut self, start: SimTime, end: SimTime, batch_seqs: f64, m: &mut Metrics) {
        let used = (self.cfg.kv_blocks - self.free_blocks) as f64;
        m.spread(start, end, |b, s| {
            b.busy_s += s;
            b.batch_seq_s += batch_seqs * s;
            b.kv_block_s += used * s;
        });
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

    fn waiting_blocked(&self) -> bool {
        let Some(&head) = self.waiting.front() else {
            return true;
        };
        if self.running >= self.cfg.max_num_seqs as u64 {
            return true;
        }
        // The head's first chunk needs blocks; during a decode-only stretch free blocks only shrink.
        let s = &self.slab[head as usize];
        let chunk = (s.target as u64).min(self.cfg.max_batched_tokens as u64 - self.n_dec);
        self.blocks_for(chunk) > self.free_blocks
    }

    /// Cumulative seconds of `k` decode iterations from the current state.
    fn stretch_seconds(&self, line: &infercost_perf::DecodeLine, s0: f64, k: u64) -> f64 {
        if k == 0 {
            return 0.0;
        }
        let n = self.n_dec as f64;
        // Iteration j costs max(a0 + a1 j, b0 + b1 j) + fixed; the two lines cross at most once.
        let (a0, a1) = (line.c0 + line.c1 * s0, line.c1 * n);
        let (b0, b1) = (line.m0 + line.m1 * s0, line.m1 * n);
        let kf = k as f64;
        let sum_line = |x0: f64, x1: f64, from: f64, to: f64| -> f64 {
            // Σ_{j=from}^{to-1} (x0 + x1 j)
            let cnt = to - from;
            if cnt <= 0.0 {
                return 0.0;
            }
            x0 * cnt + x1 * (from + to - 1.0) * cnt / 2.0
        };
        let ((l0, l1), (o0, o1)) = if a0 >= b0 {
            ((a0, a1), (b0, b1))
        } else {
            ((b0, b1), (a0, a1))
        };
        let total = if l1 >= o1 {
            // The line that leads at j = 0 grows at least as fast: it leads throughout.
            sum_line(l0, l1, 0.0, kf)
        } else {
            // The other line overtakes at j* = (l0 − o0)/(o1 − l1); from there on it is the larger.
            let cross = ((l0 - o0) / (o1 - l1)).ceil().clamp(0.0, kf);
            sum_line(l0, l1, 0.0, cross) + sum_line(o0, o1, cross, kf)
        };
        total + kf * line.fixed
    }

    fn try_jump(&mut self, until: SimTime, m: &mut Metrics) -> bool {
        if self.n_dec == 0 || !self.prefilling.is_empty() || !self.waiting_blocked() {
            return false;
        }
        // Next completion.
        let mut k_c = u64::MAX;
        while let Some(&Reverse((g_end, slot, stamp))) = self.heap.peek() {
            let s = &self.slab[slot as usize];
            if !s.decoding || s.stamp != stamp {
                self.heap.pop();
                continue;
            }
            k_c = g_end - self.g;
            break;
        }
        // Cheap exits first: most calls under heavy traffic end here, and the step runs as if no jump was tried.
        if k_c < 2 {
            return false;
        }
        let n = self.n_dec as usize;
        if self.lines.len() <= n {
            self.lines.resize(n + 1, None);
        }
        let line = match self.lines[n] {
            Some(l) => l,
            None => {
                let l = self.dep.decode_line(self.n_dec);
                self.lines[n] = Some(l);
                l
            }
        };
        let s0 = (self.sum_c + (self.n_dec * self.g) as i64) as f64;
        let window = (until.0 - self.clock.0) as f64 / 1e9;
        if until != SimTime::MAX && self.stretch_seconds(&line, s0, 1) >= window {
            return false;
        }
        // Iterations until the KV cache is full: each block-size cycle needs one block per sequence.
        // Step j needs hist[(−(G + j)) mod bs] new blocks; walk the residues downwards without dividing.
        let bs = self.cfg.block_size as u64;
        let first = ((bs - self.g % bs) % bs) as usize;
        let prev = |i: usize| if i == 0 { bs as usize - 1 } else { i - 1 };
        let cycles = self.free_blocks / self.n_dec;
        let k_kv = if cycles.saturating_mul(bs) >= k_c {
            // Whole cycles alone outlast the next completion.
            u64::MAX
        } else {
            let mut rem = self.free_blocks - cycles * self.n_dec;
            let mut k_kv = cycles * bs;
            let mut idx = first;
            for _ in 0..bs {
                let need = self.hist[idx];
                if need > rem {
                    break;
                }
                rem -= need;
                k_kv += 1;
                idx = prev(idx);
            }
            k_kv
        };
        let mut k = k_c.min(k_kv);
        if k < 2 {
            return false;
        }
        // Iterations that start before `until`: the smallest j with cumulative time ≥ window.
        if until != SimTime::MAX && self.stretch_seconds(&line, s0, k - 1) >= window {
            let (mut lo, mut hi) = (1u64, k - 1);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if self.stretch_seconds(&line, s0, mid) >= window {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            k = lo;
        }
        if k < 2 {
            return false;
        }
        // Allocate the blocks the stretch needs.
        let full = k / bs;
        let mut need = full * self.n_dec;
        let mut idx = first;
        for _ in 0..(k % bs) {
            need += self.hist[idx];
            idx = prev(idx);
        }
        self.free_blocks -= need;
        let secs = self.stretch_seconds(&line, s0, k);
        let start = self.clock;
        let end = SimTime(start.0 + (secs * 1e9).round().max(1.0) as u64);
        self.account(start, end, self.n_dec as f64, m);
        self.g += k;
        self.clock = end;
        m.iterations += k;
        self.finish_completions(end, m);
        true
    }

    /// One iteration; false when nothing could be scheduled.
    fn step(&mut self, m: &mut Metrics, wl: &Workload) -> bool {
        let bs = self.cfg.block_size as u64;
        let mut budget = self.cfg.max_batched_tokens as u64;
        // 1. Decoding sequences each need one token, and a block when their last one is full.
        loop {
            let need = self.decode_blocks_needed();
            if need <= self.free_blocks {
                self.free_blocks -= need;
                break;
            }
            match self.latest_running() {
                Some(v) => self.preempt(v, m),
                None => break,
            }
        }
        let mut batch = Batch::decode(0, 0);
        batch.decode_seqs = self.n_dec;
        batch.decode_context = (self.sum_c + (self.n_dec * self.g) as i64) as u64;
        budget -= self.n_dec.min(budget);
        // 2. Sequences part-way through their prompt, in admission order.
        let mut chunks = std::mem::take(&mut self.chunks);
        chunks.clear();
        let mut i = 0;
        while i < self.prefilling.len() && budget > 0 {
            let slot = self.prefilling[i];
            let (target, done, blocks, admit) = {
                let s = &self.slab[slot as usize];
                (s.target as u64, s.done as u64, s.blocks, s.admit_no)
            };
            let chunk = (target - done).min(budget);
            let need = self.blocks_for(done + chunk) - blocks;
            // Make room by preempting later-admitted prefills that are not yet in this batch.
            while need > self.free_blocks {
                match self.latest_running() {
                    Some(v)
                        if !self.slab[v as usize].decoding
                            && self.slab[v as usize].admit_no > admit =>
                    {
                        self.preempt(v, m)
                    }
                    _ => break,
                }
            }
            if need > self.free_blocks {
                break;
            }
            self.free_blocks -= need;
            self.slab[slot as usize].blocks += need;
            chunks.push((slot, chunk as u32));
            batch = batch.with(chunk_batch(done, chunk));
            budget -= chunk;
            i += 1;
        }
        // 3. Waiting requests, first come first served, while the budget, sequence limit and cache allow.
        while budget > 0 && self.running < self.cfg.max_num_seqs as u64 {
            let Some(&slot) = self.waiting.front() else {
                break;
            };
            let mut cached = 0u64;
            let mut hit_ids = 0usize;
            if let Some(cache) = self.cache.as_ref() {
                let s = &self.slab[slot as usize];
                if s.prefix.1 > 0 {
                    let ids = &wl.hash_ids
                        [s.prefix.0 as usize..s.prefix.0 as usize + s.prefix.1 as usize];
                    hit_ids = cache.hits(ids);
                    let hits = hit_ids as u64 * self.cfg.prefix_block_tokens as u64;
                    // Keep at least one token to compute, and whole blocks.
                    cached = hits.min(s.target as u64 - 1) / bs * bs;
                }
            }
            let target = self.slab[slot as usize].target as u64;
            let chunk = (target - cached).min(budget);
            let need = self.blocks_for(cached + chunk);
            if need > self.free_blocks {
                break;
            }
            self.waiting.pop_front();
            if hit_ids > 0 {
                let (ps, _) = self.slab[slot as usize].prefix;
                if let Some(cache) = self.cache.as_mut() {
                    for &id in &wl.hash_ids[ps as usize..ps as usize + hit_ids] {
                        cache.touch(id);
                    }
                }
            }
            self.free_blocks -= need;
            self.admit_counter += 1;
            self.running += 1;
            self.outstanding_prefill -= cached;
            let now = self.clock.0;
            let s = &mut self.slab[slot as usize];
            s.done = cached as u32;
            s.blocks = need;
            s.admit_no = self.admit_counter;
            if s.scheduled == NONE {
                s.scheduled = now;
            }
            self.order.push((self.admit_counter, slot));
            self.prefilling.push(slot);
            chunks.push((slot, chunk as u32));
            batch = batch.with(chunk_batch(cached, chunk));
            budget -= chunk;
        }
        if batch.tokens() == 0 {
            self.chunks = chunks;
            return false;
        }
        // The engine's limits hold in every iteration (checked in test builds).
        debug_assert!(
            self.running <= self.cfg.max_num_seqs as u64,
            "more sequences than max_num_seqs"
        );
        debug_assert!(
            batch.tokens() <= self.cfg.max_batched_tokens as u64,
            "more tokens than the budget"
        );
        debug_assert!(
            self.free_blocks <= self.cfg.kv_blocks,
            "KV accounting out of range"
        );
        let t = self.dep.iteration(&batch).total_s;
        let start = self.clock;
        let end = SimTime(start.0 + (t * 1e9).round().max(1.0) as u64);
        self.account(
            start,
            end,
            (batch.decode_seqs + batch.prefill_seqs) as f64,
            m,
        );
        self.clock = end;
        self.g += 1;
        m.iterations += 1;
        self.finish_completions(end, m);
        for &(slot, chunk) in &chunks {
            self.outstanding_prefill -= chunk as u64;
            let s = &mut self.slab[slot as usize];
            s.done += chunk;
            if s.done < s.target {
                continue;
            }
            // The prompt is in the cache: one token is sampled now.
            self.prefilling.retain(|&x| x != slot);
            let s = &mut self.slab[slot as usize];
            s.generated += 1;
            if s.first_token == NONE {
                s.first_token = end.0;
            }
            if let Some(cache) = self.cache.as_mut() {
                if s.prefix.1 > 0 {
                    for &id in
                        &wl.hash_ids[s.prefix.0 as usize..s.prefix.0 as usize + s.prefix.1 as usize]
                    {
                        cache.touch(id);
                    }
                }
            }
            let s = &mut self.slab[slot as usize];
            if s.generated >= s.output {
                self.free_blocks += s.blocks;
                self.complete(slot, end, m);
                continue;
            }
            let ctx = s.target as i64;
            s.c = ctx - self.g as i64;
            s.g_end = self.g + (s.output - s.generated) as u64;
            s.decoding = true;
            s.blocks = 0;
            let (c, g_end, stamp) = (s.c, s.g_end, s.stamp);
            self.n_dec += 1;
            self.sum_c += c;
            self.sum_g_end += g_end;
            self.hist[c.rem_euclid(bs as i64) as usize] += 1;
            self.heap.push(Reverse((g_end, slot, stamp)));
        }
        self.chunks = chunks;
        self.compact_order();
        true
    }

    /// Requests still waiting or running (unfinished at a horizon).
    pub(crate) fn unfinished(&self) -> u64 {
        self.in_flight()
    }
}

fn chunk_batch(cached: u64, chunk: u64) -> Batch {
    Batch {
        prefill_tokens: chunk,
        prefill_seqs: 1,
        prefill_cached: cached,
        prefill_attention_pairs: chunk as f64 * cached as f64 + (chunk * (chunk + 1)) as f64 / 2.0,
        decode_seqs: 0,
        decode_context: 0,
    }
}
