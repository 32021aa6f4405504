//! Parallel layouts of one replica: tensor parallelism (TP) within a stage, pipeline stages (PP), experts spread
//! over the stage's GPUs (EP) and data-parallel attention; what each costs in memory and communication.
//!
//! A replica is `pp` stages of `tp` GPUs each (`tp × pp` GPUs). Each stage holds `ceil(layers / pp)` layers.
//! Under TP the attention and dense MLP of a layer are split `tp` ways and cost two all-reduces per layer; under
//! attention data parallelism each GPU of a stage runs attention and the dense parts for its own share of the
//! batch with its own KV cache and a full copy of the stage's dense weights, and the MoE layers exchange tokens
//! by an all-to-all dispatch and combine. The pipeline is modelled by micro-batches: see [`Pipeline`].

use crate::gpu::Gpu;
use crate::iteration::Dtype;
use crate::model::ModelSpec;
use crate::PerfError;
use serde::{Deserialize, Serialize};

/// Latency of one NCCL all-to-all among the GPUs of a node: 7.4–8.7 µs for messages up to 64 KiB per GPU among
/// 8 H100 SXM (NCCL 2.29.2 inside vLLM 0.24, `../shared/data/profiling/vllm-kernels/h100_sxm/comm_nccl`
/// alltoall rows, aiconfigurator @ 095f58a5, 2026-08-21). Its bandwidth at 256 MiB per GPU, 0.70 of the NVLink
/// figure, matches the all-reduce fit's link efficiency (0.71), which the model uses for both.
pub const ALL_TO_ALL_LATENCY_S: f64 = 7.5e-6;

/// How one replica's GPUs share the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Layout {
    /// GPUs per pipeline stage: the tensor-parallel degree of the dense parts, or the data-parallel attention
    /// ranks under `attention_dp`.
    pub tp: u32,
    /// Pipeline stages.
    pub pp: u32,
    /// Groups of the stage's GPUs the experts of its MoE layers are spread over, each expert split `tp / ep` ways
    /// within its group (1: every expert split by TP).
    pub ep: u32,
    /// Attention (and the dense weights) data-parallel across the stage's GPUs, each with its own batch and KV.
    pub attention_dp: bool,
}

impl Layout {
    /// Plain tensor parallelism over `tp` GPUs.
    pub fn tp(tp: u32) -> Layout {
        Layout {
            tp,
            pp: 1,
            ep: 1,
            attention_dp: false,
        }
    }

    /// GPUs per replica.
    pub fn gpus(&self) -> u32 {
        self.tp * self.pp
    }

    /// Nodes per replica (a replica on part of a node counts as one).
    pub fn nodes(&self, gpu: &Gpu) -> u32 {
        self.gpus().div_ceil(gpu.gpus_per_node)
    }

    /// A short name: `TP8`, `TP8×PP2`, `TP8 EP8 attention-DP`.
    pub fn name(&self) -> String {
        let mut s = format!("TP{}", self.tp);
        if self.pp > 1 {
            s += &format!("×PP{}", self.pp);
        }
        if self.ep > 1 {
            s += &format!(" EP{}", self.ep);
        }
        if self.attention_dp {
            s += " attention-DP";
        }
        s
    }

    /// Refuses a layout that cannot run, saying why.
    pub fn check(&self, model: &ModelSpec, gpu: &Gpu) -> Result<(), PerfError> {
        let bad = |m: String| Err(PerfError::Deployment(m));
        let (tp, node) = (self.tp, gpu.gpus_per_node);
        if tp == 0 || !tp.is_power_of_two() {
            return bad(format!(
                "tensor parallelism must be a power of two (1, 2, 4, 8 within a node; 16 and more across nodes with --attention-dp), got {tp}"
            ));
        }
        if self.pp == 0 || self.pp > model.layers {
            return bad(format!(
                "pipeline parallelism {} must be between 1 and {}'s {} layers",
                self.pp, model.name, model.layers
            ));
        }
        if !self.attention_dp && tp > node {
            return bad(format!(
                "tensor parallelism {tp} is more than the {node} GPUs in one {} node; span nodes with --pp (or --attention-dp for a MoE model)",
                gpu.name
            ));
        }
        if !self.attention_dp && !model.n_q.is_multiple_of(tp) {
            return bad(format!(
                "tensor parallelism {tp} does not divide {}'s {} attention heads",
                model.name, model.n_q
            ));
        }
        if self.gpus() > node && !self.gpus().is_multiple_of(node) {
            return bad(format!(
                "a replica spanning nodes takes whole {node}-GPU {} nodes; TP {tp} × PP {} is {} GPUs",
                gpu.name,
                self.pp,
                self.gpus()
            ));
        }
        self.check_experts(model)
    }

    fn check_experts(&self, model: &ModelSpec) -> Result<(), PerfError> {
        let bad = |m: String| Err(PerfError::Deployment(m));
        // Data-parallel attention brings expert parallelism with it, so on a dense model it is named first.
        let Some(moe) = model.moe else {
            if self.attention_dp {
                return bad(format!(
                    "data-parallel attention is for mixture-of-experts models; {} is dense: serve more replicas instead",
                    model.name
                ));
            }
            if self.ep > 1 {
                return bad(format!(
                    "expert parallelism needs a mixture-of-experts model; {} is dense",
                    model.name
                ));
            }
            return Ok(());
        };
        if self.ep == 0 || !self.tp.is_multiple_of(self.ep) {
            return bad(format!(
                "expert parallelism {} must divide the {} GPUs of a stage (--ep at most --tp; each expert is split --tp/--ep ways)",
                self.ep, self.tp
            ));
        }
        if self.attention_dp && self.tp < 2 {
            return bad(
                "data-parallel attention spreads attention over a stage's GPUs, and a stage of one GPU has nothing to spread: use --tp 2 or more with --attention-dp".to_string(),
            );
        }
        if self.attention_dp && self.ep != self.tp {
            return bad(format!(
                "data-parallel attention serves the experts by expert parallelism over the stage: --ep must be {} (= --tp), got {}",
                self.tp, self.ep
            ));
        }
        if !moe.experts.is_multiple_of(self.ep) {
            return bad(format!(
                "expert parallelism {} does not divide {}'s {} experts",
                self.ep, model.name, moe.experts
            ));
        }
        Ok(())
    }

    /// Layers the slowest stage holds.
    pub fn stage_layers(&self, model: &ModelSpec) -> u32 {
        model.layers.div_ceil(self.pp)
    }
}

/// Bytes per second and seconds of latency of the link the replica's GPUs exchange data over: NVLink (or the
/// intra-node link) while the GPUs share a node, the inter-node network once they span nodes.
fn link(gpu: &Gpu, link_eff: f64, spans_nodes: bool) -> (f64, f64) {
    if spans_nodes {
        (
            gpu.inter_node_gb_per_s * 1e9 * link_eff,
            gpu.inter_node_latency_us * 1e-6,
        )
    } else {
        (gpu.link_gb_per_s * 1e9 * link_eff, ALL_TO_ALL_LATENCY_S)
    }
}

/// The expert communication of a stage: seconds per token of the replica's batch and fixed seconds per iteration
/// for the dispatch and the combine of every MoE layer of the stage (none without EP, and none without
/// data-parallel attention: then every GPU holds every token already and the layer's all-reduce, counted with
/// the tensor-parallel ones, combines the experts' outputs).
///
/// With an all-to-all each GPU originates `tokens / tp` tokens and sends each `top_k` copies of the hidden state,
/// one `(ep − 1) / ep` share of them to other GPUs; with an all-gather and a reduce-scatter (`gathers`) every GPU
/// receives the `(ep − 1) / ep` of the tokens it lacks once each and sends that share of the outputs back, so the
/// traffic is `tp / top_k` times the all-to-all's. Dispatch in one byte when the GEMMs run on fp8 or fp4
/// activations (as DeepEP does in fp8), in bf16 otherwise; combine in bf16. Across nodes the off-node share goes
/// over the inter-node network while the rest crosses NVLink, in parallel; the slower decides.
pub fn all_to_all_costs(
    model: &ModelSpec,
    gpu: &Gpu,
    layout: &Layout,
    weights: Dtype,
    (link_eff, gathers): (f64, bool),
    moe_stage_layers: f64,
) -> (f64, f64) {
    let Some(moe) = model.moe else {
        return (0.0, 0.0);
    };
    if layout.ep <= 1 || !layout.attention_dp {
        return (0.0, 0.0);
    }
    let ep = layout.ep as f64;
    let node = gpu.gpus_per_node as f64;
    // Weight-only formats (int4, fp4-wo, fp8 without fp8 tensor cores) compute on bf16 activations.
    let dispatch = if weights == Dtype::Bf16 || weights.weight_only_on(gpu) {
        2.0
    } else {
        1.0
    };
    let copies = if gathers {
        1.0
    } else {
        moe.top_k as f64 / layout.tp as f64
    };
    let bytes_per_token = copies * model.hidden as f64 * (dispatch + 2.0);
    let (nv, nv_lat) = link(gpu, link_eff, false);
    let (sec_per_byte, latency) = if ep <= node {
        ((ep - 1.0) / ep / nv, nv_lat)
    } else {
        let (ib, ib_lat) = link(gpu, link_eff, true);
        (((node - 1.0) / ep / nv).max((ep - node) / ep / ib), ib_lat)
    };
    (
        moe_stage_layers * bytes_per_token * sec_per_byte,
        moe_stage_layers * 2.0 * latency,
    )
}

/// The pipeline: a replica's batch is split into micro-batches, one per stage while there are enough
/// sequences; each stage runs its layers on one micro-batch at a time and sends the activations on.
///
/// One engine iteration (every sequence of the batch advancing by one step) takes `pp` stage slots: with `m =
/// min(pp, sequences)` micro-batches, `iteration = pp × stage(batch / m) + (pp − 1) × send(batch / m)`. With
/// as many micro-batches as stages (steady decode) the throughput is one stage's step per micro-batch and the
/// latency per token is the sum of the stages; with fewer (one long prompt) the bubble is the idle stages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pipeline {
    /// Stages.
    pub stages: f64,
    /// Seconds per token of a micro-batch to send its activations to the next stage.
    pub send_per_token: f64,
    /// Seconds per send.
    pub send_fixed: f64,
}

impl Pipeline {
    /// The pipeline of a layout; activations are bf16 hidden states, over the inter-node network when the
    /// replica spans nodes.
    pub fn of(model: &ModelSpec, gpu: &Gpu, layout: &Layout, link_eff: f64) -> Pipeline {
        let spans = layout.gpus() > gpu.gpus_per_node;
        let (bw, lat) = link(gpu, link_eff, spans);
        let one = layout.pp <= 1;
        Pipeline {
            stages: layout.pp as f64,
            send_per_token: if one {
                0.0
            } else {
                model.hidden as f64 * 2.0 / bw
            },
            send_fixed: if one { 0.0 } else { lat },
        }
    }

    /// Micro-batches a batch of `seqs` sequences is split into (1 without a pipeline).
    #[inline]
    pub fn micro_batches(&self, seqs: f64) -> f64 {
        self.stages.min(seqs).max(1.0)
    }

    /// Time of sending one micro-batch of `tokens` tokens between every pair of stages.
    #[inline]
    pub fn sends(&self, tokens: f64) -> f64 {
        (self.stages - 1.0) * (self.send_per_token * tokens + self.send_fixed)
    }
}

/// The slowest pipeline stage's share of the model under a layout.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    /// Its layers over the model's (1 without a pipeline).
    pub fraction: f64,
    /// Non-expert parameters it holds: its layers' share, plus one vocabulary matrix (embedding on the first
    /// stage, LM head on the last) under a pipeline.
    pub dense_params: f64,
    /// GPUs those parameters are split over: `tp` under TP, 1 under data-parallel attention (replicated).
    pub dense_split: f64,
    /// MoE layers it holds (all of its layers may be MoE layers).
    pub moe_layers: f64,
    /// TP all-reduces it runs over the model's two per layer: none under data-parallel attention, else both (under
    /// EP the MoE layer's sums the experts' shares).
    pub all_reduce_share: f64,
    attention_dp: bool,
    tp: f64,
}

impl Stage {
    /// The stage of `layout` for a model with `dense_params` non-expert parameters and `moe_layers` MoE layers.
    pub fn of(model: &ModelSpec, layout: &Layout, dense_params: f64, moe_layers: f64) -> Stage {
        let t = layout.tp as f64;
        let layers = model.layers as f64;
        let stage_layers = layout.stage_layers(model) as f64;
        let one = layout.pp <= 1;
        let fraction = if one { 1.0 } else { stage_layers / layers };
        let dense_params = if one {
            dense_params
        } else {
            let emb = model.embedding_params() as f64;
            (dense_params - emb) * fraction + (model.vocab * model.hidden) as f64
        };
        let moe_layers = if one {
            moe_layers
        } else {
            moe_layers.min(stage_layers)
        };
        // Without data-parallel attention every layer ends in an all-reduce, the MoE layer's too: under EP each
        // GPU holds every token and adds its own experts' outputs into the sum, as a TP shard adds its slice.
        let all_reduces = if layout.attention_dp {
            0.0
        } else {
            2.0 * stage_layers
        };
        Stage {
            fraction,
            dense_params,
            dense_split: if layout.attention_dp { 1.0 } else { t },
            moe_layers,
            all_reduce_share: all_reduces / (2.0 * layers),
            attention_dp: layout.attention_dp,
            tp: t,
        }
    }

    /// KV bytes per token per GPU averaged over the stage's GPUs (what sets the replica's capacity and the bytes
    /// a step reads), and per token of a sequence on the GPU holding it (what one sequence needs to fit), from
    /// the TP share `tp_share` and the whole model's `full` bytes per token.
    pub fn kv_bytes(&self, tp_share: f64, full: f64) -> (f64, f64) {
        if self.attention_dp {
            let rank = full * self.fraction;
            (rank / self.tp, rank)
        } else {
            let share = tp_share * self.fraction;
            (share, share)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::GpuCatalog;
    use crate::iteration::{Batch, Deployment};
    use crate::layout::{smallest_fitting_layout, FitLimits, LayoutRequest};
    use crate::model::ModelCatalog;

    const GIB: f64 = (1u64 << 30) as f64;

    fn gpu(name: &str) -> Gpu {
        GpuCatalog::embedded().get(name).unwrap().clone()
    }

    fn dep(model: &str, g: &str, layout: Layout, w: Dtype) -> Deployment {
        Deployment::with_layout(
            ModelCatalog::get(model).unwrap(),
            gpu(g),
            layout,
            w,
            Dtype::Bf16,
        )
        .unwrap()
    }

    fn layout(tp: u32, pp: u32, ep: u32, attention_dp: bool) -> Layout {
        Layout {
            tp,
            pp,
            ep,
            attention_dp,
        }
    }

    #[test]
    fn a_pipeline_step_is_its_stages_by_hand() {
        // Llama-3.1-70B, TP4 × PP2 on H100, 64 sequences decoding at 1,000 tokens of context: two micro-batches
        // of 32, each through two stages of 40 layers.
        let m = ModelCatalog::get("llama-3.1-70b").unwrap();
        let pp = dep(
            "llama-3.1-70b",
            "h100-sxm",
            layout(4, 2, 1, false),
            Dtype::Bf16,
        );
        let t = pp.iteration(&Batch::decode(64, 1000));
        // Memory by hand: the stage's 40 layers (half the non-vocabulary weights) plus one vocabulary matrix, over
        // 4 GPUs in bf16 at the GEMMs' achieved share of 3.35 TB/s, and a micro-batch's KV (8 KV heads split 4
        // ways, 40 layers) at attention's.
        let vocab = (m.vocab * m.hidden) as f64;
        let stage_weights =
            ((m.params_total() as f64 - m.embedding_params() as f64) / 2.0 + vocab) * 2.0 / 4.0;
        let kv_token = 2.0 * 40.0 * 128.0 * 2.0 * 2.0; // K and V, 40 layers, 2 of 8 heads × 128, bf16
        let e = pp.eff;
        let micro = stage_weights / (3.35e12 * e.memory)
            + kv_token * (32.0 * 1000.0 + 32.0) / (3.35e12 * e.attention_memory);
        let memory = 2.0 * micro;
        assert!(
            (t.memory_s / memory - 1.0).abs() < 1e-3,
            "{} vs {memory}",
            t.memory_s
        );
        // The whole step: two slots of a 40-layer model's step on a micro-batch, plus one send of 32 hidden
        // states over NVLink. A tied 40-layer Llama on TP4 is that stage.
        let mut half = m.clone();
        half.layers = 40;
        half.tied = true;
        let h = Deployment::new(half, gpu("h100-sxm"), 4, Dtype::Bf16, Dtype::Bf16).unwrap();
        let send = 32.0 * 8192.0 * 2.0 / (450e9 * e.link) + ALL_TO_ALL_LATENCY_S;
        let want = 2.0 * h.iteration(&Batch::decode(32, 1000)).total_s + send;
        assert!(
            (t.total_s / want - 1.0).abs() < 1e-3,
            "{} vs {want}",
            t.total_s
        );
        // Against TP4 alone, the pipeline halves the weights per GPU but a step reads them twice: a step reads as
        // many weight bytes, half the KV bytes and half the FLOPs per GPU (at a lower efficiency on half the
        // tokens), and the KV capacity per replica more than doubles.
        let tp = dep("llama-3.1-70b", "h100-sxm", Layout::tp(4), Dtype::Bf16);
        let one = tp.iteration(&Batch::decode(64, 1000));
        let kv_saved = kv_token * 64_064.0 / (3.35e12 * e.attention_memory);
        assert!(
            ((t.memory_s + kv_saved) / one.memory_s - 1.0).abs() < 0.01,
            "{t:?} vs {one:?}"
        );
        assert!(t.compute_s < one.compute_s, "{t:?} vs {one:?}");
        assert!(pp.kv_capacity_tokens(0.9, 8192) > 2 * tp.kv_capacity_tokens(0.9, 8192));
        // The decode line stays exact under a pipeline, with fewer sequences than stages too.
        for n in [1u64, 2, 3, 64] {
            let a = pp.iteration(&Batch::decode(n, 700)).total_s;
            let b = pp.decode_line(n).at((n * 700) as f64);
            assert!((a - b).abs() < 1e-12 * a.max(1.0), "{n}: {a} vs {b}");
        }
    }

    #[test]
    fn expert_all_to_all_bytes() {
        // Qwen3-235B-A22B (94 MoE layers, top 8, hidden 4096) on 8 H100 with EP8 and data-parallel attention, 256
        // decoding sequences: each GPU dispatches 32 tokens × 8 copies × 4096 in bf16 and combines as many, 7/8
        // of them to other GPUs, per MoE layer; no TP all-reduce.
        let d = dep(
            "qwen3-235b-a22b",
            "h100-sxm",
            layout(8, 1, 8, true),
            Dtype::Bf16,
        );
        let bytes = 32.0 * 8.0 * 4096.0 * (2.0 + 2.0) * 7.0 / 8.0;
        let per_layer = bytes / (450e9 * d.eff.link) + 2.0 * ALL_TO_ALL_LATENCY_S;
        let t = d.iteration(&Batch::decode(256, 1000));
        assert!(
            (t.comm_s / (94.0 * per_layer) - 1.0).abs() < 1e-9,
            "{}",
            t.comm_s
        );
        // DeepSeek-V3 in fp8 across two nodes (EP16): half the destinations are off-node at 50 GB/s, which
        // decides; the dispatch goes in fp8. vLLM gathers every token to every GPU (each receives the 15/16 it
        // lacks once); TensorRT-LLM's all-to-all sends each token's 8 copies to its experts' GPUs, half the bytes.
        let m = ModelCatalog::get("deepseek-v3").unwrap();
        let moe = m.moe.unwrap();
        let d = dep(
            "deepseek-v3",
            "h100-sxm",
            layout(16, 1, 16, true),
            Dtype::Fp8,
        );
        let trtllm = crate::engine::EngineCatalog::embedded()
            .get("trtllm")
            .unwrap()
            .clone();
        let a2a = d.with_engine(&trtllm).unwrap();
        for (d, copies) in [(&d, 1.0), (&a2a, moe.top_k as f64 / 16.0)] {
            let per_token = copies * 7168.0 * (1.0 + 2.0);
            let off = 8.0 / 16.0 * per_token / (50e9 * d.eff.link);
            let want = m.moe_layers() as f64 * (512.0 * off + 2.0 * 10e-6);
            let t = d.iteration(&Batch::decode(512, 1000));
            assert!(
                (t.comm_s / want - 1.0).abs() < 1e-9,
                "{} vs {want}",
                t.comm_s
            );
        }
        // Experts spread over the GPUs of a tensor-parallel replica (no data-parallel attention): every GPU holds
        // every token, so the MoE costs no more traffic than the dense layer it replaces (its all-reduce).
        let ep = dep(
            "qwen3-235b-a22b",
            "h100-sxm",
            layout(8, 1, 8, false),
            Dtype::Bf16,
        );
        let tp = dep(
            "qwen3-235b-a22b",
            "h100-sxm",
            layout(8, 1, 1, false),
            Dtype::Bf16,
        );
        let b = Batch::decode(256, 1000);
        assert_eq!(ep.iteration(&b).comm_s, tp.iteration(&b).comm_s);
    }

    #[test]
    fn data_parallel_attention_keeps_whole_kv_heads() {
        // DeepSeek-V3's MLA latent is replicated under TP; under data-parallel attention each GPU keeps its own
        // sequences' latents, so the replica holds 8× the tokens per byte, less the replicated dense weights.
        let m = ModelCatalog::get("deepseek-v3").unwrap();
        let tp = dep("deepseek-v3", "h200", Layout::tp(8), Dtype::Fp8);
        let dp = dep("deepseek-v3", "h200", layout(8, 1, 8, true), Dtype::Fp8);
        let full = m.kv_elements_per_token() as f64 * 2.0;
        let moe = m.moe.unwrap();
        let routed = m.moe_layers() as f64 * moe.experts as f64 * m.expert_params() as f64;
        let weights = m.params_total() as f64 - routed + routed / 8.0;
        let free = 141.0 * GIB * 0.9 - weights - dp.activation_reserve_bytes(8192);
        let want = (free / (full / 8.0)) as u64;
        let got = dp.kv_capacity_tokens(0.9, 8192);
        assert!(got.abs_diff(want) <= 1, "{got} vs {want}");
        assert!(got > 4 * tp.kv_capacity_tokens(0.9, 8192));
        assert_eq!(dp.kv_bytes_per_sequence_token(), full);
    }

    #[test]
    fn every_catalog_model_fits_on_h100_with_the_fewest_gpus() {
        let g = gpu("h100-sxm");
        let limits = FitLimits {
            gpu_memory_utilization: 0.9,
            max_batched_tokens: 8192,
            max_model_len: 8192,
        };
        let free = LayoutRequest::default();
        for name in ModelCatalog::names() {
            let m = ModelCatalog::get(name).unwrap();
            for w in [Dtype::Bf16, Dtype::Fp8] {
                let l = smallest_fitting_layout(&free, &m, &g, w, Dtype::Bf16, &limits)
                    .unwrap_or_else(|| panic!("{name} {w:?} fits nowhere"));
                // Enough memory for the weights, and a node-wise layout when it spans nodes.
                let weights = m.params_total() as f64 * w.bytes();
                assert!(l.gpus() as f64 * 72.0 * GIB > weights, "{name}: {l:?}");
                if l.gpus() > 8 {
                    assert_eq!((l.tp, l.gpus() % 8), (8, 0), "{name}");
                }
            }
        }
        let min = |name: &str, w| {
            smallest_fitting_layout(
                &free,
                &ModelCatalog::get(name).unwrap(),
                &g,
                w,
                Dtype::Bf16,
                &limits,
            )
            .unwrap()
        };
        // 671 GB of fp8 weights need more than one node's 8 × 72 GiB; 405 B in bf16 (810 GB) too.
        assert_eq!(min("deepseek-v3", Dtype::Fp8), layout(8, 2, 1, false));
        assert_eq!(min("llama-3.1-405b", Dtype::Bf16), layout(8, 2, 1, false));
        assert_eq!(min("llama-3.1-405b", Dtype::Fp8), Layout::tp(8));
        assert_eq!(min("llama-3.1-8b", Dtype::Bf16), Layout::tp(1));
    }

    #[test]
    fn an_engine_runs_each_pipeline_stage() {
        // Llama-3.1-70B on TP4 × PP2 H100 under the eager engine (no CUDA graphs): each stage's host launches its
        // own 40 layers' kernels and their 80 all-reduces per micro-batch, so the two slots of an iteration launch
        // as much as the whole model once; the layout and the engine survive either rebuild.
        let e = crate::engine::EngineCatalog::embedded()
            .get("eager")
            .unwrap()
            .clone();
        let g = gpu("h100-sxm");
        let pp = dep(
            "llama-3.1-70b",
            "h100-sxm",
            layout(4, 2, 1, false),
            Dtype::Fp8,
        )
        .with_engine(&e)
        .unwrap();
        assert_eq!(
            (pp.layout, pp.engine.name.as_str()),
            (layout(4, 2, 1, false), "eager")
        );
        let fits = crate::engine::KernelFits::embedded();
        let stage = 40.0 * e.kernels_per_layer.value as f64 * e.launch_s.value
            + 80.0 * crate::engine::eager_all_reduce_s(&g, 4, fits);
        let t = pp.iteration(&Batch::decode(64, 1000));
        assert!((t.launch_s / (2.0 * stage) - 1.0).abs() < 1e-9, "{t:?}");
        // Launch-bound decode: the slots are the launches, each plus a micro-batch's step, plus the send.
        let step = pp.eff.iteration_overhead_s + e.step_overhead_per_seq_s.value * 32.0;
        let send = 32.0 * 8192.0 * 2.0 / (450e9 * pp.eff.link) + ALL_TO_ALL_LATENCY_S;
        let gpu_slot =
            (t.gemm_s + t.attention_s + t.comm_s - send) / 2.0 + (t.overhead_s / 2.0 - step);
        assert!(stage > gpu_slot, "{stage} vs {gpu_slot}");
        let want = 2.0 * (stage + step) + send;
        assert!(
            (t.total_s / want - 1.0).abs() < 1e-9,
            "{} vs {want}",
            t.total_s
        );
        for n in [1u64, 3, 64] {
            let a = pp.iteration(&Batch::decode(n, 700)).total_s;
            let b = pp.decode_line(n).at((n * 700) as f64);
            assert!((a - b).abs() < 1e-12 * a.max(1.0), "{n}: {a} vs {b}");
        }
        let tp8 = pp.at_layout(Layout::tp(8)).unwrap();
        assert_eq!(
            (tp8.engine.name.as_str(), tp8.weights),
            ("eager", Dtype::Fp8)
        );
    }

    #[test]
    fn bad_layouts_are_explained() {
        let m = |n: &str| ModelCatalog::get(n).unwrap();
        let g = gpu("h100-sxm");
        let err = |n: &str, l: Layout| l.check(&m(n), &g).unwrap_err().to_string();
        assert!(err("llama-3.1-8b", layout(8, 1, 8, false)).contains("dense"));
        assert!(err("llama-3.1-8b", layout(8, 1, 1, true)).contains("dense"));
        assert!(err("llama-3.1-8b", layout(1, 33, 1, false)).contains("32 layers"));
        assert!(err("mixtral-8x7b", layout(4, 1, 3, false)).contains("--ep"));
        assert!(err("llama-3.1-70b", layout(16, 1, 1, false)).contains("--pp"));
        assert!(err("llama-3.1-70b", layout(4, 3, 1, false)).contains("whole"));
        assert!(err("qwen3-235b-a22b", layout(8, 1, 4, true)).contains("--ep"));
        assert!(layout(16, 1, 16, true).check(&m("deepseek-v3"), &g).is_ok());
    }
}
