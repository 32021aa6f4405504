//! One engine iteration, stepped exactly: schedule the batch, time it with the iteration model, then move
//! prompts that finished into decoding and record the requests that completed.

use super::schedule::IterationPlan;
use super::Replica;
use crate::metrics::{Metrics, RequestRecord};
use infercost_core::{SimTime, Workload};
use infercost_perf::Batch;
use std::cmp::Reverse;

impl Replica<'_> {
    /// One iteration; false when nothing could be scheduled.
    pub(super) fn step(&mut self, m: &mut Metrics, wl: &Workload) -> bool {
        // 1. Decoding sequences each need one token, and a block when their last one is full.
        self.reserve_decode_blocks(m);
        let mut plan = IterationPlan {
            batch: Batch::decode(0, 0),
            budget: self.cfg.max_batched_tokens as u64,
            chunks: std::mem::take(&mut self.chunks),
        };
        plan.chunks.clear();
        plan.batch.decode_seqs = self.n_dec;
        plan.batch.decode_context = self.decode_context();
        plan.budget -= self.n_dec.min(plan.budget);
        // 2. Sequences part-way through their prompt; 3. waiting requests.
        self.continue_prefills(&mut plan, m);
        self.admit_waiting(&mut plan, wl);
        let IterationPlan { batch, chunks, .. } = plan;
        if batch.tokens() == 0 {
            self.chunks = chunks;
            return false;
        }
        self.debug_check_limits(&batch);
        let t = self.dep.iteration(&batch).total_s;
        let start = self.clock;
        let end = start + SimTime::span_at_least_1ns(t);
        self.account(
            start,
            end,
            (batch.decode_seqs + batch.prefill_seqs) as f64,
            m,
        );
        // Every sequence that was decoding gets its next token at the end of this iteration.
        m.itl.record_n(end.0 - start.0, batch.decode_seqs);
        self.clock = end;
        self.g += 1;
        m.iterations += 1;
        self.finish_completions(end, m);
        for &(slot, chunk) in &chunks {
            self.advance_prefill(slot, chunk, end, m, wl);
        }
        self.chunks = chunks;
        self.compact_order();
        true
    }

    /// The decoding sequences' total context: `Σc + n·G`.
    #[inline]
    pub(super) fn decode_context(&self) -> u64 {
        (self.sum_c + (self.n_dec * self.g) as i64) as u64
    }

    /// The engine's limits hold in every iteration (checked in test builds).
    #[inline]
    fn debug_check_limits(&self, batch: &Batch) {
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
    }

    /// Counts a prefill chunk computed in the iteration that ended at `end`; a prompt now wholly in the cache
    /// samples its first token and joins decoding (or completes, when one token was all it asked for).
    #[inline]
    fn advance_prefill(
        &mut self,
        slot: u32,
        chunk: u32,
        end: SimTime,
        m: &mut Metrics,
        wl: &Workload,
    ) {
        self.outstanding_prefill -= chunk as u64;
        let s = &mut self.slab[slot as usize];
        s.done += chunk;
        if s.done < s.target {
            return;
        }
        // The prompt is in the cache: one token is sampled now.
        self.prefilling.retain(|&x| x != slot);
        let s = &mut self.slab[slot as usize];
        s.generated += 1;
        s.first_token.get_or_insert(end.0);
        let (ps, pl) = (s.prefix.0 as usize, s.prefix.1 as usize);
        if pl > 0 {
            self.touch_prefix(&wl.hash_ids[ps..ps + pl]);
        }
        let s = &mut self.slab[slot as usize];
        if s.generated >= s.output {
            self.free_blocks += s.blocks;
            self.complete(slot, end, m);
            return;
        }
        self.start_decoding(slot);
    }

    /// Moves a sequence whose prompt is computed into the decoding aggregates.
    #[inline]
    fn start_decoding(&mut self, slot: u32) {
        let bs = self.cfg.block_size as i64;
        let g = self.g;
        let s = &mut self.slab[slot as usize];
        let ctx = s.target as i64;
        s.c = ctx - g as i64;
        s.g_end = g + (s.output - s.generated) as u64;
        s.decoding = true;
        s.blocks = 0;
        let (c, g_end, stamp) = (s.c, s.g_end, s.stamp);
        self.n_dec += 1;
        self.sum_c += c;
        self.sum_g_end += g_end;
        self.hist[c.rem_euclid(bs) as usize] += 1;
        self.heap.push(Reverse((g_end, slot, stamp)));
    }

    /// Records a request that finished at `end` and frees its slot.
    pub(super) fn complete(&mut self, slot: u32, end: SimTime, m: &mut Metrics) {
        let s = &self.slab[slot as usize];
        // A completed sequence was scheduled and sampled its first token: both are set by then.
        let first_token = s.first_token.unwrap_or(end.0);
        let queue = s.scheduled.unwrap_or(s.arrival.0) - s.arrival.0;
        let e2e = end.0 - s.arrival.0;
        let ttft = first_token - s.arrival.0;
        let tpot = if s.output > 1 {
            (end.0 - first_token) / (s.output as u64 - 1)
        } else {
            0
        };
        m.ttft.record(ttft);
        m.e2e.record(e2e);
        m.queue.record(queue);
        if s.output > 1 {
            m.tpot.record(tpot);
        }
        m.completed += 1;
        m.input_tokens += s.input as u64;
        m.output_tokens += s.output as u64;
        m.tokens_out(end, s.output as u64);
        let met = self.slo.is_some_and(|slo| {
            ttft as f64 <= slo.ttft_ms * 1e6 && tpot as f64 <= slo.tpot_ms * 1e6
        });
        m.slo_met += u64::from(met);
        if let Some(slo) = self.slo {
            m.late_ttft += u64::from(ttft as f64 > slo.ttft_ms * 1e6);
            m.late_tpot += u64::from(s.output > 1 && tpot as f64 > slo.tpot_ms * 1e6);
        }
        if let Some(h) = m.hour_mut(s.arrival) {
            h.ttft.record(ttft);
            h.slo_met += u64::from(met);
        }
        if self.record {
            m.records.push(RequestRecord {
                index: s.index,
                replica: self.id,
                arrival_ns: s.arrival.0,
                queue_ns: queue,
                ttft_ns: ttft,
                e2e_ns: e2e,
                input_tokens: s.input,
                output_tokens: s.output,
                preemptions: s.preemptions,
            });
        }
        m.makespan = m.makespan.max(end);
        self.running -= 1;
        self.commit(slot, false);
        self.slab[slot as usize].admit_no = 0;
        self.free_slots.push(slot);
    }

    /// Completes the decoding sequences whose last token came in the iteration that ended at `end`.
    #[inline]
    pub(super) fn finish_completions(&mut self, end: SimTime, m: &mut Metrics) {
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

    /// Spreads an iteration (or a stretch of them) from `start` to `end` over the timeline buckets.
    #[inline]
    pub(super) fn account(
        &mut self,
        start: SimTime,
        end: SimTime,
        batch_seqs: f64,
        m: &mut Metrics,
    ) {
        let used = (self.cfg.kv_blocks - self.free_blocks) as f64;
        m.spread(start, end, |b, s| {
            b.busy_s += s;
            b.batch_seq_s += batch_seqs * s;
            b.kv_block_s += used * s;
        });
    }
}
