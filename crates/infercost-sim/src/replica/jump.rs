//! Closed-form jumps over decode-only stretches: while nothing is prefilling and the queue cannot be admitted,
//! every iteration decodes the same sequences, so K of them are summed in O(log K) up to the next completion,
//! the iteration where the KV cache fills, or the next event.

use super::Replica;
use crate::metrics::Metrics;
use infercost_core::SimTime;
use infercost_perf::DecodeLine;
use std::cmp::Reverse;

impl Replica<'_> {
    /// Whether the queue's head cannot be admitted for the rest of a decode-only stretch.
    #[inline]
    fn waiting_blocked(&self) -> bool {
        let Some(&head) = self.waiting.front() else {
            return true;
        };
        if self.running >= self.cfg.max_num_seqs as u64 {
            return true;
        }
        // The head's first chunk needs blocks; during a decode-only stretch free blocks only shrink.
        let s = &self.slab[head as usize];
        let chunk = (s.target as u64)
            .min(self.cfg.max_batched_tokens as u64 - self.n_dec)
            .min(self.cfg.prompt_chunk_cap());
        // Under no-evict the reservation only shrinks at a completion, which ends the stretch.
        self.blocks_for(chunk) > self.free_blocks || !self.reservable(head)
    }

    /// Cumulative seconds of `k` decode iterations from the current state.
    #[inline]
    fn stretch_seconds(&self, line: &DecodeLine, s0: f64, k: u64) -> f64 {
        if k == 0 {
            return 0.0;
        }
        let n = self.n_dec as f64;
        // Iteration j costs max(a0 + a1 j, b0 + b1 j, floor) + fixed; the two lines cross at most once, and
        // both grow, so the floor binds only for the first iterations.
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
        // The first iteration at which a line reaches the floor.
        let reach = |x0: f64, x1: f64| -> f64 {
            if x0 >= line.floor {
                0.0
            } else if x1 > 0.0 {
                ((line.floor - x0) / x1).ceil()
            } else {
                kf
            }
        };
        let start = reach(a0, a1).min(reach(b0, b1)).clamp(0.0, kf);
        let ((l0, l1), (o0, o1)) = if a0 >= b0 {
            ((a0, a1), (b0, b1))
        } else {
            ((b0, b1), (a0, a1))
        };
        let lines = if l1 >= o1 {
            // The line that leads at j = 0 grows at least as fast: it leads throughout.
            sum_line(l0, l1, start, kf)
        } else {
            // The other line overtakes at j* = (l0 − o0)/(o1 − l1); from there on it is the larger.
            let cross = ((l0 - o0) / (o1 - l1)).ceil().clamp(start, kf);
            sum_line(l0, l1, start, cross) + sum_line(o0, o1, cross, kf)
        };
        line.floor * start + lines + kf * line.fixed
    }

    /// Iterations until the next decoding sequence completes (`u64::MAX` when none is decoding); stale heap
    /// entries are dropped on the way.
    #[inline]
    fn iterations_to_completion(&mut self) -> u64 {
        while let Some(&Reverse((g_end, slot, stamp))) = self.heap.peek() {
            let s = &self.slab[slot as usize];
            if !s.decoding || s.stamp != stamp {
                self.heap.pop();
                continue;
            }
            return g_end - self.g;
        }
        u64::MAX
    }

    /// The decode-only iteration time at the current batch size, computed once per size.
    #[inline]
    fn decode_line(&mut self) -> DecodeLine {
        let n = self.n_dec as usize;
        if self.lines.len() <= n {
            self.lines.resize(n + 1, None);
        }
        match self.lines[n] {
            Some(l) => l,
            None => {
                let l = self.dep.decode_line(self.n_dec);
                self.lines[n] = Some(l);
                l
            }
        }
    }

    /// The residue index of the next iteration's block need, and the one before an index: step j needs
    /// hist[(−(G + j)) mod bs] new blocks, so the residues are walked downwards without dividing.
    #[inline]
    fn first_residue(&self) -> usize {
        let bs = self.cfg.block_size as u64;
        ((bs - self.g % bs) % bs) as usize
    }

    #[inline]
    fn prev_residue(&self, i: usize) -> usize {
        if i == 0 {
            self.cfg.block_size as usize - 1
        } else {
            i - 1
        }
    }

    /// Iterations until the KV cache is full (`u64::MAX` when whole cycles alone outlast `k_c`): each
    /// block-size cycle needs one block per sequence.
    #[inline]
    fn iterations_to_full_cache(&self, k_c: u64) -> u64 {
        let bs = self.cfg.block_size as u64;
        let cycles = self.free_blocks / self.n_dec;
        if cycles.saturating_mul(bs) >= k_c {
            // Whole cycles alone outlast the next completion.
            return u64::MAX;
        }
        let mut rem = self.free_blocks - cycles * self.n_dec;
        let mut k_kv = cycles * bs;
        let mut idx = self.first_residue();
        for _ in 0..bs {
            let need = self.hist[idx];
            if need > rem {
                break;
            }
            rem -= need;
            k_kv += 1;
            idx = self.prev_residue(idx);
        }
        k_kv
    }

    /// Of `k` iterations, those that start before a window of `window` seconds ends: the smallest j with
    /// cumulative time ≥ window.
    #[inline]
    fn iterations_within(&self, line: &DecodeLine, s0: f64, k: u64, window: f64) -> u64 {
        if self.stretch_seconds(line, s0, k - 1) < window {
            return k;
        }
        let (mut lo, mut hi) = (1u64, k - 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.stretch_seconds(line, s0, mid) >= window {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// Blocks `k` decode iterations allocate.
    #[inline]
    fn stretch_blocks(&self, k: u64) -> u64 {
        let bs = self.cfg.block_size as u64;
        let mut need = k / bs * self.n_dec;
        let mut idx = self.first_residue();
        for _ in 0..(k % bs) {
            need += self.hist[idx];
            idx = self.prev_residue(idx);
        }
        need
    }

    /// Jumps over a decode-only stretch of at least two iterations that start before `until`; false (nothing
    /// changed but dropped stale heap entries) when there is none and the next iteration is to be stepped.
    pub(super) fn try_jump(&mut self, until: SimTime, m: &mut Metrics) -> bool {
        if self.n_dec == 0 || !self.prefilling.is_empty() || !self.waiting_blocked() {
            return false;
        }
        let k_c = self.iterations_to_completion();
        // Cheap exits first: most calls under heavy traffic end here, and the step runs as if no jump was tried.
        if k_c < 2 {
            return false;
        }
        let line = self.decode_line();
        let s0 = self.decode_context() as i64 as f64;
        let window = (until.0 - self.clock.0) as f64 / 1e9;
        let bounded = until != SimTime::MAX;
        if bounded && self.stretch_seconds(&line, s0, 1) >= window {
            return false;
        }
        let mut k = k_c.min(self.iterations_to_full_cache(k_c));
        if k < 2 {
            return false;
        }
        if bounded {
            k = self.iterations_within(&line, s0, k, window);
        }
        if k < 2 {
            return false;
        }
        self.free_blocks -= self.stretch_blocks(k);
        let secs = self.stretch_seconds(&line, s0, k);
        let start = self.clock;
        let end = start + SimTime::span_at_least_1ns(secs);
        self.account(start, end, self.n_dec as f64, m);
        // The stretch's iterations lengthen slowly with the context; each token is given their mean.
        m.itl.record_n((end.0 - start.0) / k, k * self.n_dec);
        self.g += k;
        self.clock = end;
        m.iterations += k;
        self.finish_completions(end, m);
        true
    }
}
