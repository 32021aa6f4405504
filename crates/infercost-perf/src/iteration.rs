//! The iteration-time model: how long one continuous-batching iteration takes on a deployment.
//!
//! One pipeline stage's slot on one micro-batch takes max(GPU, host launches) + step, where GPU = max(GEMM
//! compute, weight reads) + max(attention compute, KV-cache reads) + communication + per-layer overhead, compute =
//! FLOPs / (peak × efficiency(tokens)), memory = bytes / (bandwidth × efficiency), communication = the stage's two
//! ring all-reduces per layer under tensor parallelism and the expert all-to-all under EP, host launches = the CPU
//! time of launching the stage's kernels when the micro-batch runs eagerly (no CUDA graph captured for it; 0
//! otherwise), and step = the engine's per-iteration CPU work. An iteration is `pp` such slots plus the sends
//! between stages ([`crate::parallel`]); without a pipeline, one slot on the whole batch. Efficiencies (per engine,
//! GPU and dtype: [`crate::engine`]) are at most 1 and overheads non-negative, so no prediction beats the roofline
//! at 100% of peak. Deployments are built in `build.rs`.

mod build;

use crate::calibrate::Efficiency;
use crate::comm::Curve;
pub use crate::dtype::{Dtype, WEIGHT_ONLY_COMPUTE};
use crate::engine::EngineProfile;
use crate::gpu::Gpu;
use crate::graphs::CudaGraphs;
use crate::model::ModelSpec;
use crate::moe::MoeKernel;
use crate::parallel::{Layout, Pipeline};
use crate::PerfError;
use serde::Serialize;

/// One iteration's work.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Batch {
    /// New prompt tokens computed this iteration (all prefill chunks).
    pub prefill_tokens: u64,
    /// Prefill chunks in the batch.
    pub prefill_seqs: u64,
    /// Σ over prefill chunks of tokens already cached before the chunk (read from the KV cache).
    pub prefill_cached: u64,
    /// Σ over prefill tokens of the context each attends to (cached + position within the chunk).
    pub prefill_attention_pairs: f64,
    /// Sequences decoding one token.
    pub decode_seqs: u64,
    /// Σ of their context lengths.
    pub decode_context: u64,
}

impl Batch {
    /// `count` prompts of `tokens` each, with `cached` tokens already in the cache.
    pub fn prefill(tokens: u64, count: u64, cached: u64) -> Batch {
        Batch {
            prefill_tokens: tokens * count,
            prefill_seqs: count,
            prefill_cached: cached * count,
            prefill_attention_pairs: count as f64
                * (tokens as f64 * cached as f64 + (tokens * (tokens + 1)) as f64 / 2.0),
            ..Batch::default()
        }
    }
    /// `seqs` sequences decoding at context `context` each.
    pub fn decode(seqs: u64, context: u64) -> Batch {
        Batch {
            decode_seqs: seqs,
            decode_context: seqs * context,
            ..Batch::default()
        }
    }
    /// Both batches in one iteration.
    pub fn with(mut self, o: Batch) -> Batch {
        self.prefill_tokens += o.prefill_tokens;
        self.prefill_seqs += o.prefill_seqs;
        self.prefill_cached += o.prefill_cached;
        self.prefill_attention_pairs += o.prefill_attention_pairs;
        self.decode_seqs += o.decode_seqs;
        self.decode_context += o.decode_context;
        self
    }
    /// Tokens computed.
    pub fn tokens(&self) -> u64 {
        self.prefill_tokens + self.decode_seqs
    }
}

/// An iteration's time and its parts, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct IterationTime {
    /// The predicted time.
    pub total_s: f64,
    /// FLOPs at the achieved compute rate.
    pub compute_s: f64,
    /// Bytes at the achieved bandwidth.
    pub memory_s: f64,
    /// The GEMMs: the larger of their compute and their weight reads.
    pub gemm_s: f64,
    /// Attention: the larger of its compute and its KV-cache reads.
    pub attention_s: f64,
    /// Tensor-parallel all-reduces.
    pub comm_s: f64,
    /// Fixed per-layer and per-iteration costs.
    pub overhead_s: f64,
    /// Host time of launching every kernel when the iteration runs eagerly (0 under a CUDA graph); the
    /// iteration takes the longer of this and the GPU's work, plus the step's CPU work.
    pub launch_s: f64,
    /// The pure roofline at 100% of peak: max(FLOPs/peak, bytes/bandwidth), no communication or overhead.
    pub roofline_s: f64,
}

/// A decode-only iteration's time as a function of the batch's total context S:
/// `max(c0 + c1·S, m0 + m1·S, floor) + fixed`, constant while the batch size is: the GEMMs' time (in both `c0`
/// and `m0`) plus attention's, bound by its compute or its cache reads (`floor` is the eager launch time less the
/// GPU's fixed costs, 0 under a CUDA graph).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecodeLine {
    /// Compute time at S = 0, seconds.
    pub c0: f64,
    /// Compute seconds per context token.
    pub c1: f64,
    /// Memory time at S = 0, seconds.
    pub m0: f64,
    /// Memory seconds per context token.
    pub m1: f64,
    /// Communication and overhead, seconds.
    pub fixed: f64,
    /// Host launch time not hidden behind the fixed costs, seconds (0 under a CUDA graph).
    pub floor: f64,
}

impl DecodeLine {
    /// Time of one iteration at total context `s`.
    #[inline]
    pub fn at(&self, s: f64) -> f64 {
        (self.c0 + self.c1 * s)
            .max(self.m0 + self.m1 * s)
            .max(self.floor)
            + self.fixed
    }
}

/// A model served on one replica's GPUs of one type (a [`Layout`]) with given dtypes: everything the iteration
/// model needs, precomputed so that one evaluation costs a few dozen floating-point operations. The per-GPU
/// figures are those of the slowest pipeline stage.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// The model.
    pub model: ModelSpec,
    /// The GPU.
    pub gpu: Gpu,
    /// Tensor-parallel degree (GPUs per pipeline stage).
    pub tp: u32,
    /// The whole layout: TP, pipeline stages, expert parallelism, data-parallel attention.
    pub layout: Layout,
    /// Weight dtype.
    pub weights: Dtype,
    /// KV-cache dtype.
    pub kv: Dtype,
    /// The achieved efficiencies and overheads used.
    pub eff: Efficiency,
    /// The serving engine's profile.
    pub engine: EngineProfile,
    peak_flops: f64,
    /// The highest tensor peak any of its GEMMs runs at (the experts' where they run in a lower precision than
    /// the dense weights), for the roofline.
    roofline_flops: f64,
    compute_scale: f64,
    /// Which iterations replay CUDA graphs, and at what batch.
    graphs: CudaGraphs,
    launch_host_s: f64,
    /// Whether a mixed iteration's prompt and decode attention run as separate kernels (their times add).
    separate_attention: bool,
    bandwidth: f64,
    flops_per_token: f64,
    /// The routed experts' share of `flops_per_token`.
    flops_routed_per_token: f64,
    /// The fused MoE kernel the routed experts run in.
    moe: MoeKernel,
    /// Attention's tensor-core peak (FLOP/s) and the efficiency curve of its dtype: attention computes in the
    /// KV cache's precision (fp8 where the cache is fp8 and the GPU has fp8 tensor cores, else 16 bits), not the
    /// weights'.
    attention_peak: f64,
    /// Data-parallel attention ranks (the stage's GPUs under `--attention-dp`, else 1).
    dp_ranks: f64,
    attention_compute_max: f64,
    attention_half_tokens: f64,
    /// Prefill attention's measured rate over long prompts (FLOP/s; 0 without a usable fit: then it is timed as
    /// decode attention is) and the prompt length at which it reaches half of it ([`crate::engine::ContextAttentionFit`]).
    prefill_attention: (f64, f64),
    /// Fraction of a batch's tokens one routed expert sees (top-k / experts; 1 for a dense model).
    routed_share: f64,
    flops_head: f64,
    flops_attention_pair: f64,
    /// The same for prompt tokens (MLA prefills decompressed, [`ModelSpec::prefill_attention_flops_per_pair`]).
    flops_attention_pair_prefill: f64,
    dense_weight_bytes: f64,
    expert_bytes: f64,
    moe_layers: f64,
    experts: f64,
    ln_miss: f64,
    kv_bytes_token: f64,
    /// The stage's communication per iteration by tokens: its all-reduces (measured, [`crate::comm`]) and its
    /// expert all-to-all.
    comm: Curve,
    window_pairs_per_token: f64,
    // Layout terms (crate::parallel): KV bytes one sequence's token needs on the GPU that holds it, the share of
    // the per-layer costs a stage pays, and the pipeline.
    kv_seq_bytes_token: f64,
    stage_fraction: f64,
    pipe: Pipeline,
}

impl Deployment {
    /// GPUs per replica.
    pub fn gpus(&self) -> u32 {
        self.layout.gpus()
    }

    /// KV-cache bytes one token of a sequence takes on the GPU that holds the sequence (under data-parallel
    /// attention the whole token's KV; under TP its share of the heads).
    pub fn kv_bytes_per_sequence_token(&self) -> f64 {
        self.kv_seq_bytes_token
    }

    /// Weight bytes of one copy of the model as this deployment stores it: the dense weights in their dtype, the
    /// routed experts in the weights' (they differ where the checkpoint quantises the experts only).
    pub fn weight_bytes(&self) -> f64 {
        let m = &self.model;
        let routed = m.moe.map_or(0.0, |x| {
            m.moe_layers() as f64 * x.experts as f64 * m.expert_params() as f64
        });
        let dense = m.params_total() as f64 - routed;
        dense * build::dense_dtype(m, self.weights).bytes() + routed * self.weights.bytes()
    }

    /// Weight bytes per GPU.
    pub fn weight_bytes_per_gpu(&self) -> f64 {
        self.dense_weight_bytes + self.moe_layers * self.experts * self.expert_bytes
    }

    /// KV-cache bytes per token per GPU.
    pub fn kv_bytes_per_token_per_gpu(&self) -> f64 {
        self.kv_bytes_token
    }

    /// Activation and runtime memory reserved per GPU when the engine batches up to `max_batched_tokens`.
    pub fn activation_reserve_bytes(&self, max_batched_tokens: u64) -> f64 {
        let m = &self.model;
        let width = 4.0 * m.hidden as f64
            + 2.0 * m.ff.max(m.moe.map_or(0, |x| x.expert_ff * x.top_k as u64)) as f64
                / self.tp as f64;
        // Peak activations of the largest batch, plus 1 GiB for the CUDA context, graphs and NCCL buffers.
        max_batched_tokens as f64 * width * 2.0 + (1u64 << 30) as f64
    }

    /// KV-cache capacity in tokens at this memory utilisation (0 when the weights do not leave room).
    pub fn kv_capacity_tokens(&self, gpu_memory_utilization: f64, max_batched_tokens: u64) -> u64 {
        let free = self.free_bytes(gpu_memory_utilization, max_batched_tokens);
        if free <= 0.0 {
            0
        } else {
            (free / self.kv_bytes_token) as u64
        }
    }

    fn free_bytes(&self, util: f64, max_batched_tokens: u64) -> f64 {
        let mem = self.gpu.memory_gib * (1u64 << 30) as f64 * util;
        mem - self.weight_bytes_per_gpu() - self.activation_reserve_bytes(max_batched_tokens)
    }

    /// Checks that one `max_model_len`-token sequence fits; the error says how much memory is missing and what
    /// would help.
    pub fn check_fits(
        &self,
        util: f64,
        max_batched_tokens: u64,
        max_model_len: u32,
        min_layout: Option<Layout>,
    ) -> Result<(), PerfError> {
        let need = max_model_len as f64 * self.kv_seq_bytes_token;
        let free = self.free_bytes(util, max_batched_tokens);
        if free >= need {
            return Ok(());
        }
        let hint = match min_layout {
            Some(l) => format!(
                "it needs at least {} ({} GPUs) on {}",
                l.name(),
                l.gpus(),
                self.gpu.name
            ),
            None if self.weights == Dtype::Bf16 => format!(
                "no layout up to {} {} nodes fits in bf16; try --weights fp8 or a larger GPU",
                crate::layout::MAX_NODES,
                self.gpu.name
            ),
            None => format!(
                "no layout up to {} {} nodes fits; try a larger GPU",
                crate::layout::MAX_NODES,
                self.gpu.name
            ),
        };
        Err(PerfError::DoesNotFit {
            model: self.model.name.clone(),
            gpu: self.gpu.name.clone(),
            gpus: self.gpus(),
            missing_gib: (need - free) / (1u64 << 30) as f64,
            max_model_len,
            hint,
        })
    }

    #[inline]
    fn attention_rate(&self, tokens: f64) -> f64 {
        self.attention_peak * self.attention_compute_max * tokens
            / (tokens + self.attention_half_tokens)
    }

    #[inline]
    fn compute_efficiency(&self, tokens: f64) -> f64 {
        self.compute_scale * self.eff.compute_max * tokens / (tokens + self.eff.compute_half_tokens)
    }

    /// The GEMMs of a micro-batch of `tokens` tokens doing `linear_flops` FLOPs, as (time, compute, memory): the
    /// dense GEMMs, bound by their compute or their weight reads, then the fused MoE layers, bound by their own
    /// (each routed expert sees only its share of the tokens, top-k / experts of them), plus their fixed time.
    /// `skew` scales the dense GEMMs' compute for the busiest data-parallel attention rank ([`Self::rank_skew`]).
    #[inline]
    fn gemms(&self, linear_flops: f64, tokens: f64, skew: f64) -> (f64, f64, f64) {
        let routed = self.flops_routed_per_token * tokens;
        let dense_c =
            skew * (linear_flops - routed) / (self.peak_flops * self.compute_efficiency(tokens));
        let dense_m = self.dense_weight_bytes / (self.bandwidth * self.eff.memory);
        if self.moe_layers == 0.0 {
            return (dense_c.max(dense_m), dense_c, dense_m);
        }
        // Expected distinct experts a batch of `tokens` routes to, per layer: E·(1 − (1 − k/E)^T).
        let touched = self.experts * (1.0 - (self.ln_miss * tokens).exp());
        let routed_c = self.moe.compute_s(routed, tokens * self.routed_share);
        let routed_m = self
            .moe
            .memory_s(self.moe_layers * touched * self.expert_bytes);
        (
            dense_c.max(dense_m)
                + self.moe.bound_s(routed_c, routed_m)
                + self.moe_layers * self.moe.fixed_s,
            dense_c + routed_c,
            dense_m + routed_m,
        )
    }

    /// How one GPU runs a micro-batch whose busiest rank has `rank_tokens` tokens: the factor its padded CUDA
    /// graph multiplies the GEMMs, expert traffic and small operators by (1 when it runs eagerly or exactly), and
    /// the host time of launching it eagerly (0 when a graph replays).
    #[inline]
    fn launch(&self, rank_tokens: f64, prompts: bool) -> (f64, f64) {
        match self.graphs.replay(rank_tokens, self.dp_ranks, prompts) {
            Some(run) => ((run / rank_tokens).max(1.0), 0.0),
            None => (1.0, self.launch_host_s),
        }
    }

    /// The engine's CPU work per iteration with `seqs` sequences.
    #[inline]
    fn step(&self, seqs: f64) -> f64 {
        self.eff.iteration_overhead_s + self.engine.step_overhead_per_seq_s.value * seqs
    }

    #[inline]
    fn weight_bytes_touched(&self, tokens: f64) -> f64 {
        if self.moe_layers == 0.0 {
            return self.dense_weight_bytes;
        }
        // Expected distinct experts a batch of `tokens` routes to, per layer: E·(1 − (1 − k/E)^T).
        let touched = self.experts * (1.0 - (self.ln_miss * tokens).exp());
        self.dense_weight_bytes + self.moe_layers * touched * self.expert_bytes
    }

    /// Per-layer fixed kernel times and small operators on the GPU.
    #[inline]
    fn overhead(&self, tokens: f64) -> f64 {
        // Four GEMMs and one attention kernel per layer, plus norms, rotary embedding, activation and adds.
        let per_layer = 4.0 * self.eff.gemm_launch_s
            + self.eff.attention_fixed_s
            + self.eff.small_ops_s
            + self.eff.small_ops_per_token_hidden_s * self.model.hidden as f64 * tokens;
        self.model.layers as f64 * per_layer
    }

    /// One pipeline stage's fixed GPU costs on one micro-batch: its layers' share of the per-layer costs (exactly
    /// `overhead` without a pipeline; the engine's per-step CPU work is [`Self::step`], paid per micro-batch).
    #[inline]
    fn stage_overhead(&self, tokens: f64) -> f64 {
        self.overhead(tokens) * self.stage_fraction
    }

    /// The compute time of a micro-batch's attention: its prompts' at the measured prefill-attention rate for
    /// their span (a chunk of c tokens after k cached ones spans 2k + c + 1 on average), its decoding
    /// sequences' at the GEMM-like rate of `tokens` (decode attention is bound by its KV reads).
    #[inline]
    fn attention_compute_s(
        &self,
        prefill_flops: f64,
        decode_flops: f64,
        b: &Batch,
        tokens: f64,
    ) -> f64 {
        let decode = decode_flops / self.attention_rate(tokens);
        let (rate, half_len) = self.prefill_attention;
        if rate == 0.0 || b.prefill_tokens == 0 {
            return decode + prefill_flops / self.attention_rate(tokens);
        }
        let span = 2.0 * b.prefill_attention_pairs / b.prefill_tokens as f64;
        decode + prefill_flops * (span + half_len) / (rate * span)
    }

    /// Attention's time from its compute and its cache reads, `(compute, memory)` in seconds, of which the
    /// decoding sequences' part is `(FLOPs, bytes)` of a micro-batch of `tokens`. Each kernel is bound by its own
    /// resource; where one kernel runs prompts and decoders together, the prompts' compute and the decoders' reads
    /// overlap (the larger of the totals), and where the engine runs them as separate kernels (TensorRT-LLM's
    /// context and generation phases) the two parts add.
    #[inline]
    fn attention_s(
        &self,
        (compute, memory): (f64, f64),
        (decode_flops, decode_bytes): (f64, f64),
        b: &Batch,
        tokens: f64,
    ) -> f64 {
        if !self.separate_attention || b.prefill_tokens == 0 || b.decode_seqs == 0 {
            return compute.max(memory);
        }
        let decode_compute = decode_flops / self.attention_rate(tokens);
        let decode_memory = decode_bytes / (self.bandwidth * self.eff.attention_memory);
        decode_compute.max(decode_memory) + (compute - decode_compute).max(memory - decode_memory)
    }

    /// The batch one GPU captures its CUDA graphs for in a micro-batch of `tokens`: all of it, or under
    /// data-parallel attention the busiest rank's share (`skew` times an even one).
    #[inline]
    fn rank_tokens(&self, tokens: f64, skew: f64) -> f64 {
        tokens * skew / self.dp_ranks
    }

    /// How much more than an even share of the batch's tokens the busiest rank computes under data-parallel
    /// attention (1 otherwise): each rank runs the attention and dense layers of its own sequences, and the
    /// experts' all-to-all makes every rank wait for the busiest one each layer. Decoding sequences spread evenly;
    /// a prompt's prefill sits whole on the rank that holds it, the prompts dealt to ranks in turn.
    #[inline]
    fn rank_skew(&self, b: &Batch, tokens: f64) -> f64 {
        if self.dp_ranks <= 1.0 || b.prefill_seqs == 0 {
            return 1.0;
        }
        let ps = b.prefill_seqs as f64;
        let busiest = b.decode_seqs as f64 / self.dp_ranks
            + b.prefill_tokens as f64 * (ps / self.dp_ranks).ceil() / ps;
        (busiest * self.dp_ranks / tokens).max(1.0)
    }

    /// The time of one iteration.
    #[inline]
    pub fn iteration(&self, b: &Batch) -> IterationTime {
        let tokens = b.tokens() as f64;
        if tokens == 0.0 {
            return IterationTime {
                total_s: 0.0,
                compute_s: 0.0,
                memory_s: 0.0,
                gemm_s: 0.0,
                attention_s: 0.0,
                comm_s: 0.0,
                overhead_s: 0.0,
                launch_s: 0.0,
                roofline_s: 0.0,
            };
        }
        // One stage's work on one micro-batch (the whole batch without a pipeline), then `pp` stage slots.
        let seqs = (b.prefill_seqs + b.decode_seqs) as f64;
        let mb = self.pipe.micro_batches(seqs);
        let (p, all_tokens, tokens, heads) = (self.pipe.stages, tokens, tokens / mb, seqs / mb);
        let linear_flops = self.flops_per_token * tokens + self.flops_head * heads;
        let prefill_attention_flops =
            self.flops_attention_pair_prefill * b.prefill_attention_pairs / mb;
        let decode_attention_flops = self.flops_attention_pair * b.decode_context as f64 / mb;
        let attention_flops = prefill_attention_flops + decode_attention_flops;
        let flops = linear_flops + attention_flops;
        let weight_bytes = self.weight_bytes_touched(tokens);
        let kv_bytes =
            self.kv_bytes_token * ((b.decode_context + b.prefill_cached) as f64 + all_tokens) / mb;
        let bytes = weight_bytes + kv_bytes;
        // Each kernel is bound by its own resource: the GEMMs stream the weights (or fill the tensor cores with the
        // batch's tokens), attention streams the KV cache. A prefill chunk's compute-bound GEMMs do not hide the
        // decode attention's cache reads, so the two parts add rather than overlap.
        let skew = self.rank_skew(b, all_tokens);
        // The CUDA graph replayed is each GPU's own: under data-parallel attention a GPU captures graphs for its
        // rank's batch (the busiest rank's, to which the others pad). A padded graph runs its dummy sequences
        // through the GEMMs, the experts' all-to-all and the small operators; their attention and KV are a token
        // each and left out, as is their share of the roofline.
        let rank_tokens = self.rank_tokens(tokens, skew);
        let (pad, launch_s) = self.launch(rank_tokens, b.prefill_tokens > 0);
        let (gemm_s, gemm_compute, gemm_memory) =
            self.gemms(linear_flops * pad, tokens * pad, skew);
        let attention_compute = skew
            * self.attention_compute_s(prefill_attention_flops, decode_attention_flops, b, tokens);
        let attention_memory = skew * kv_bytes / (self.bandwidth * self.eff.attention_memory);
        let decode_part = (
            skew * decode_attention_flops,
            skew * self.kv_bytes_token * b.decode_context as f64 / mb,
        );
        let attention_s = self.attention_s(
            (attention_compute, attention_memory),
            decode_part,
            b,
            tokens,
        );
        let comm_s = self.comm.at(tokens * pad);
        // The small per-token operators are charged on the stage's whole micro-batch. Under data-parallel
        // attention a GPU runs them on its own rank's tokens only, so this counts them `tp` times over: a known
        // overcount, kept (conservative) until the per-rank costs it stands in for are modelled (docs/MODEL.md,
        // "What is approximate").
        let gpu_overhead_s = self.stage_overhead(tokens * pad);
        // Each stage slot takes the longer of the stage's GPU work and its host's eager launches, and each
        // micro-batch is a step the engine schedules of its own; the sends between stages come on top.
        let slot = (gemm_s + attention_s + comm_s + gpu_overhead_s).max(launch_s);
        let step_s = self.step(heads);
        let sends = self.pipe.sends(tokens);
        IterationTime {
            total_s: p * (slot + step_s) + sends,
            compute_s: p * (gemm_compute + attention_compute),
            memory_s: p * (gemm_memory + attention_memory),
            gemm_s: p * gemm_s,
            attention_s: p * attention_s,
            comm_s: p * comm_s + sends,
            overhead_s: p * (gpu_overhead_s + step_s),
            launch_s: p * launch_s,
            roofline_s: p * (flops / self.roofline_flops).max(bytes / self.bandwidth),
        }
    }

    /// The decode-only iteration time of `seqs` sequences as a linear function of their total context.
    pub fn decode_line(&self, seqs: u64) -> DecodeLine {
        // Per micro-batch of a pipeline stage, times the stages, as `iteration` (exactly it without a pipeline).
        let mb = self.pipe.micro_batches(seqs as f64);
        let (p, n) = (self.pipe.stages, seqs as f64 / mb);
        let ce = self.attention_rate(n);
        let attention_bw = self.bandwidth * self.eff.attention_memory;
        let rank = self.rank_tokens(n, 1.0);
        let (pad, launch_s) = self.launch(rank, false);
        let gpu_fixed = self.comm.at(n * pad) + self.stage_overhead(n * pad);
        // The GEMMs' time does not depend on the context; attention's grows with it (see `iteration`).
        let gemms = self
            .gemms(
                (self.flops_per_token + self.flops_head) * n * pad,
                n * pad,
                1.0,
            )
            .0;
        DecodeLine {
            c0: p * gemms,
            c1: p * (self.flops_attention_pair / mb) / ce,
            m0: p * (gemms + self.kv_bytes_token * n / attention_bw),
            m1: p * (self.kv_bytes_token / mb) / attention_bw,
            fixed: p * (gpu_fixed + self.step(n)) + self.pipe.sends(n),
            floor: p * (launch_s - gpu_fixed).max(0.0),
        }
    }

    /// Sliding-window attention FLOPs per token (already inside the per-token FLOPs).
    pub fn window_flops_per_token(&self) -> f64 {
        self.window_pairs_per_token
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::GpuCatalog;
    use crate::model::ModelCatalog;

    fn dep(model: &str, gpu: &str, tp: u32) -> Deployment {
        Deployment::new(
            ModelCatalog::get(model).unwrap(),
            GpuCatalog::embedded().get(gpu).unwrap().clone(),
            tp,
            Dtype::Bf16,
            Dtype::Bf16,
        )
        .unwrap()
    }

    #[test]
    fn never_faster_than_the_roofline_and_monotone() {
        for (m, g, tp) in [
            ("llama-3.1-8b", "h100-sxm", 1),
            ("llama-3.1-70b", "a100-80gb", 4),
            ("mixtral-8x7b", "h100-sxm", 2),
            ("deepseek-v3", "h200", 8),
        ] {
            let d = dep(m, g, tp);
            let mut last = 0.0;
            for tokens in [1u64, 8, 64, 512, 4096] {
                let t = d.iteration(&Batch::prefill(tokens, 1, 0));
                assert!(t.total_s >= t.roofline_s, "{m} {tokens}");
                assert!(t.total_s > last, "{m}: time must grow with tokens");
                last = t.total_s;
            }
            let short = d.iteration(&Batch::decode(32, 100)).total_s;
            let long = d.iteration(&Batch::decode(32, 8000)).total_s;
            assert!(long > short, "{m}: time must grow with context");
        }
    }

    #[test]
    fn gpt_oss_keeps_its_dense_weights_16_bit() {
        // gpt-oss's MXFP4 release quantises the routed experts only (`modules_to_not_convert` names the
        // attention): at its own fp4 the dense weights take 2 bytes, at fp8 every weight takes 1.
        let m = ModelCatalog::get("gpt-oss-120b").unwrap();
        assert!(m.experts_only_quantised && m.mxfp4);
        let routed =
            m.moe_layers() as f64 * m.moe.unwrap().experts as f64 * m.expert_params() as f64;
        let dense = m.params_total() as f64 - routed;
        let g = GpuCatalog::embedded().get("b200").unwrap().clone();
        let at = |w: Dtype| {
            Deployment::new(m.clone(), g.clone(), 1, w, Dtype::Fp8)
                .unwrap()
                .weight_bytes_per_gpu()
        };
        let fp4 = dense * 2.0 + routed * Dtype::Fp4.bytes();
        assert!(
            (at(Dtype::Fp4) / fp4 - 1.0).abs() < 1e-9,
            "{} vs {fp4}",
            at(Dtype::Fp4)
        );
        assert!((at(Dtype::Fp8) / (dense + routed) - 1.0).abs() < 1e-9);
        // One copy's bytes (`model show`'s weight_bytes) say the same as the one GPU that holds them.
        let one = Deployment::new(m.clone(), g.clone(), 1, Dtype::Fp4, Dtype::Fp8).unwrap();
        assert!((one.weight_bytes() / fp4 - 1.0).abs() < 1e-9);
        // Its dense GEMMs run at the 16-bit peak, so the same decode step is slower than all-fp4 weights would
        // make it, and never faster than the experts' fp4 roofline.
        let d = Deployment::new(m.clone(), g.clone(), 1, Dtype::Fp4, Dtype::Fp8).unwrap();
        let t = d.iteration(&Batch::decode(2048, 2000));
        assert!(t.total_s >= t.roofline_s);
        let mut all_fp4 = m.clone();
        all_fp4.experts_only_quantised = false;
        let q = Deployment::new(all_fp4, g, 1, Dtype::Fp4, Dtype::Fp8).unwrap();
        assert!(t.gemm_s > q.iteration(&Batch::decode(2048, 2000)).gemm_s);
        // Llama's config names no such modules.
        assert!(
            !ModelCatalog::get("llama-3.1-70b")
                .unwrap()
                .experts_only_quantised
        );
    }

    #[test]
    fn decode_line_matches_the_general_model() {
        let d = dep("llama-3.1-8b", "h100-sxm", 1);
        for (n, ctx) in [(1u64, 10u64), (17, 900), (256, 4000)] {
            let a = d.iteration(&Batch::decode(n, ctx)).total_s;
            let b = d.decode_line(n).at((n * ctx) as f64);
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
    }

    #[test]
    fn mla_decodes_at_its_measured_kernel_and_prefills_decompressed() {
        use crate::engine::{EngineCatalog, KernelFits};
        let e = EngineCatalog::embedded().get("trtllm").unwrap().clone();
        let m = ModelCatalog::get("deepseek-v3").unwrap();
        let g = GpuCatalog::embedded().get("h200").unwrap().clone();
        let layout = Layout {
            tp: 8,
            pp: 1,
            ep: 8,
            attention_dp: true,
        };
        let d = Deployment::for_engine(m.clone(), g.clone(), layout, Dtype::Fp8, Dtype::Bf16, &e)
            .unwrap();
        let fit = KernelFits::embedded()
            .mla_decode("trtllm", "h200", "bf16")
            .unwrap();
        // 128 sequences of 2,048 tokens per GPU: compute-bound at the fit's share of the 16-bit peak.
        let t = d.iteration(&Batch::decode(1024, 2048));
        let flops = 1024.0 * 2048.0 * m.attention_flops_per_pair() / 8.0;
        let compute = flops / (g.bf16_tflops * 1e12 * fit.compute);
        assert!(
            (t.attention_s - compute).abs() < 1e-9,
            "{} vs {compute}",
            t.attention_s
        );
        // A prompt's attention is ordinary attention over the decompressed heads: 320 of 1,088 dims a pair.
        let ratio = m.prefill_attention_flops_per_pair() / m.attention_flops_per_pair();
        assert!((ratio - 320.0 / 1088.0).abs() < 1e-12, "{ratio}");
    }

    #[test]
    fn kv_capacity_and_fit() {
        let d = dep("llama-3.1-8b", "h100-sxm", 1);
        let cap = d.kv_capacity_tokens(0.9, 8192);
        // 72 GiB usable − 15 GiB weights − ~1.6 GiB reserve ≈ 55 GiB of 128 KiB tokens.
        assert!((400_000..480_000).contains(&cap), "{cap}");
        let big = dep("llama-3.1-405b", "h100-sxm", 8);
        assert!(big.check_fits(0.9, 8192, 8192, None).is_err());
    }

    #[test]
    fn bad_tp_is_explained() {
        let m = ModelCatalog::get("llama-3.1-8b").unwrap();
        let g = GpuCatalog::embedded().get("h100-sxm").unwrap().clone();
        let e = Deployment::new(m.clone(), g.clone(), 16, Dtype::Bf16, Dtype::Bf16)
            .unwrap_err()
            .to_string();
        assert!(e.contains("more than the 8 GPUs"), "{e}");
        assert!(Deployment::new(m, g, 3, Dtype::Bf16, Dtype::Bf16).is_err());
    }
}
