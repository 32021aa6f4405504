//! What runs in an iteration, as vLLM's scheduler decides it: decoding sequences first, then prompts part-way
//! through (chunked prefill) in admission order, then waiting requests first come first served while the token
//! budget, the sequence limit and the KV cache allow; preemption by recompute when the cache runs out, or, under
//! a no-evict policy (TensorRT-LLM), admission only when the whole sequence's blocks are guaranteed.

use super::Replica;
use crate::metrics::Metrics;
use infercost_core::Workload;
use infercost_perf::Batch;

/// The iteration being put together: its batch, the token budget left and its prefill chunks.
pub(super) struct IterationPlan {
    pub(super) batch: Batch,
    pub(super) budget: u64,
    /// Prefill chunks (slot, tokens); the replica's buffer, lent for the iteration to reuse its allocation.
    pub(super) chunks: Vec<(u32, u32)>,
}

impl IterationPlan {
    /// Adds `chunk` prompt tokens of `slot`, after `cached` tokens already in the cache.
    #[inline]
    fn add_chunk(&mut self, slot: u32, cached: u64, chunk: u64) {
        self.chunks.push((slot, chunk as u32));
        self.batch = self.batch.with(chunk_batch(cached, chunk));
        self.budget -= chunk;
    }
}

impl Replica<'_> {
    /// The latest admitted sequence still running (stale admission records are dropped on the way).
    #[inline]
    pub(super) fn latest_running(&mut self) -> Option<u32> {
        while let Some(&(no, slot)) = self.order.last() {
            let s = &self.slab[slot as usize];
            if s.admit_no == no && (s.decoding || self.prefilling.contains(&slot)) {
                return Some(slot);
            }
            self.order.pop();
        }
        None
    }

    /// Drops stale admission records once they outnumber the running sequences.
    #[inline]
    pub(super) fn compact_order(&mut self) {
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
    pub(super) fn preempt(&mut self, slot: u32, m: &mut Metrics) {
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
        self.commit(slot, false);
        self.waiting.push_front(slot);
        m.preemptions += 1;
    }

    /// Step 2: sequences part-way through their prompt, in admission order.
    #[inline]
    pub(super) fn continue_prefills(&mut self, plan: &mut IterationPlan, m: &mut Metrics) {
        let mut i = 0;
        while i < self.prefilling.len() && plan.budget > 0 {
            let slot = self.prefilling[i];
            let (target, done, blocks, admit) = {
                let s = &self.slab[slot as usize];
                (s.target as u64, s.done as u64, s.blocks, s.admit_no)
            };
            let chunk = (target - done)
                .min(plan.budget)
                .min(self.cfg.prompt_chunk_cap());
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
            plan.add_chunk(slot, done, chunk);
            i += 1;
        }
    }

    /// Step 3: waiting requests, first come first served, while the budget, sequence limit and cache allow.
    #[inline]
    pub(super) fn admit_waiting(&mut self, plan: &mut IterationPlan, wl: &Workload) {
        while plan.budget > 0 && self.running < self.cfg.max_num_seqs as u64 {
            let Some(&slot) = self.waiting.front() else {
                break;
            };
            let (cached, hit_ids) = self.cached_prefix(slot, wl);
            let target = self.slab[slot as usize].target as u64;
            let chunk = (target - cached)
                .min(plan.budget)
                .min(self.cfg.prompt_chunk_cap());
            let need = self.blocks_for(cached + chunk);
            if need > self.free_blocks || !self.reservable(slot) {
                break;
            }
            self.waiting.pop_front();
            if hit_ids > 0 {
                let ps = self.slab[slot as usize].prefix.0 as usize;
                self.touch_prefix(&wl.hash_ids[ps..ps + hit_ids]);
            }
            self.admit(slot, cached, need);
            plan.add_chunk(slot, cached, chunk);
        }
    }

    /// Prompt tokens of a waiting sequence found in the prefix cache, and how many leading `hash_ids` hit.
    #[inline]
    fn cached_prefix(&self, slot: u32, wl: &Workload) -> (u64, usize) {
        let Some(cache) = self.cache.as_ref() else {
            return (0, 0);
        };
        let s = &self.slab[slot as usize];
        if s.prefix.1 == 0 {
            return (0, 0);
        }
        let ids = &wl.hash_ids[s.prefix.0 as usize..s.prefix.0 as usize + s.prefix.1 as usize];
        let hit_ids = cache.hits(ids);
        let hits = hit_ids as u64 * self.cfg.prefix_block_tokens as u64;
        // Keep at least one token to compute, and whole blocks.
        let bs = self.cfg.block_size as u64;
        (hits.min(s.target as u64 - 1) / bs * bs, hit_ids)
    }

    /// Starts running a waiting sequence with `cached` prompt tokens found and `blocks` blocks allocated.
    #[inline]
    fn admit(&mut self, slot: u32, cached: u64, blocks: u64) {
        self.free_blocks -= blocks;
        self.commit(slot, true);
        self.admit_counter += 1;
        self.running += 1;
        self.outstanding_prefill -= cached;
        let now = self.clock.0;
        self.last_admission = self.clock;
        let s = &mut self.slab[slot as usize];
        s.done = cached as u32;
        s.blocks = blocks;
        s.admit_no = self.admit_counter;
        s.scheduled.get_or_insert(now);
        self.order.push((self.admit_counter, slot));
        self.prefilling.push(slot);
    }
}

/// The batch of one prefill chunk of `chunk` tokens after `cached` tokens.
#[inline]
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
