//! The paged KV cache's bookkeeping: blocks per sequence, the blocks the next decode iteration needs, and the
//! prefix cache of `hash_ids` blocks shared between requests.

use super::{ceil_div, Replica};
use crate::metrics::Metrics;
use std::collections::{BTreeMap, HashMap};

/// Cached prefix blocks by `hash_ids` entry, evicted least recently used first.
#[derive(Debug, Default)]
pub(super) struct PrefixCache {
    map: HashMap<u64, u64>,
    lru: BTreeMap<u64, u64>,
    cap: usize,
    tick: u64,
}

impl PrefixCache {
    /// A cache of `cap` entries (at least one).
    pub(super) fn with_capacity(cap: usize) -> PrefixCache {
        PrefixCache {
            cap: cap.max(1),
            ..PrefixCache::default()
        }
    }

    /// Marks `id` most recently used, inserting it and evicting the oldest entries beyond capacity.
    pub(super) fn touch(&mut self, id: u64) {
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
    pub(super) fn hits(&self, ids: &[u64]) -> usize {
        ids.iter()
            .take_while(|id| self.map.contains_key(id))
            .count()
    }
}

impl Replica<'_> {
    /// Blocks that hold `tokens` tokens.
    #[inline]
    pub(super) fn blocks_for(&self, tokens: u64) -> u64 {
        ceil_div(tokens, self.cfg.block_size as u64)
    }

    /// Blocks a sequence holds once its whole output is written: what a no-evict scheduler reserves for it.
    #[inline]
    fn whole_blocks(&self, slot: u32) -> u64 {
        let s = &self.slab[slot as usize];
        self.blocks_for(s.input as u64 + s.output as u64)
    }

    /// Whether the scheduler may admit `slot` as far as its future blocks go: always when a full cache preempts;
    /// under `no_evict` only when its whole sequence fits beside what the running sequences will hold.
    #[inline]
    pub(super) fn reservable(&self, slot: u32) -> bool {
        !self.cfg.no_evict || self.committed_blocks + self.whole_blocks(slot) <= self.cfg.kv_blocks
    }

    /// Records that `slot` started running (`on`) or stopped (finished or preempted) in the no-evict reservation.
    #[inline]
    pub(super) fn commit(&mut self, slot: u32, on: bool) {
        if self.cfg.no_evict {
            let b = self.whole_blocks(slot);
            if on {
                self.committed_blocks += b;
            } else {
                self.committed_blocks = self.committed_blocks.saturating_sub(b);
            }
        }
    }

    /// New blocks the next decode iteration needs: one for each decoding sequence whose last block is full.
    #[inline]
    pub(super) fn decode_blocks_needed(&self) -> u64 {
        if self.n_dec == 0 {
            return 0;
        }
        let bs = self.cfg.block_size as u64;
        self.hist[((bs - self.g % bs) % bs) as usize]
    }

    /// Reserves the blocks this iteration's decoding sequences need, preempting the latest admitted running
    /// sequences while the cache cannot hold them.
    #[inline]
    pub(super) fn reserve_decode_blocks(&mut self, m: &mut Metrics) {
        loop {
            let need = self.decode_blocks_needed();
            if need <= self.free_blocks {
                self.free_blocks -= need;
                return;
            }
            match self.latest_running() {
                Some(v) => self.preempt(v, m),
                None => return,
            }
        }
    }

    /// Takes a sequence out of the decoding aggregates; returns the blocks it held.
    #[inline]
    pub(super) fn remove_decoding(&mut self, slot: u32) -> u64 {
        let s = &self.slab[slot as usize];
        let bs = self.cfg.block_size as i64;
        let ctx = (s.c + self.g as i64) as u64;
        self.n_dec -= 1;
        self.sum_c -= s.c;
        self.sum_g_end -= s.g_end;
        self.hist[s.c.rem_euclid(bs) as usize] -= 1;
        self.blocks_for(ctx)
    }

    /// Marks a sequence's prefix blocks (`hash_ids[start..start + len]`) most recently used.
    #[inline]
    pub(super) fn touch_prefix(&mut self, ids: &[u64]) {
        if let Some(cache) = self.cache.as_mut() {
            for &id in ids {
                cache.touch(id);
            }
        }
    }
}
