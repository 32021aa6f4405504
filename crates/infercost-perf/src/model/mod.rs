//! Model architectures read from Hugging Face `config.json` (`config.rs`, one reading for every family), and what
//! follows from them: parameters, weight bytes, KV bytes per token and FLOPs per token.

mod catalog;
mod config;

pub use catalog::ModelCatalog;
pub use config::FULL_ATTENTION_WINDOW;

use serde::Serialize;

/// How attention stores its KV cache.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Attention {
    /// Grouped-query (or multi-head) attention: K and V per KV head.
    Gqa {
        /// KV heads.
        n_kv: u32,
    },
    /// Multi-head latent attention (DeepSeek): one compressed latent per token.
    Mla {
        /// Rank of the compressed KV latent.
        kv_lora_rank: u32,
        /// Dimension of the decoupled rotary key.
        rope_dim: u32,
        /// Per-head query/key dimension without rope.
        nope_dim: u32,
        /// Per-head value dimension.
        v_head_dim: u32,
        /// Rank of the compressed query, when the model has one.
        q_lora_rank: Option<u32>,
    },
}

/// Mixture-of-experts shape.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Moe {
    /// Routed experts per MoE layer.
    pub experts: u32,
    /// Experts each token is routed to.
    pub top_k: u32,
    /// Intermediate size of one expert.
    pub expert_ff: u64,
    /// Always-active shared experts per MoE layer.
    pub shared_experts: u32,
    /// Intermediate size of the shared experts together (0 without them).
    pub shared_ff: u64,
    /// Whether the shared experts' output passes through a learned gate (Qwen2-MoE).
    pub shared_gate: bool,
    /// Leading layers that are dense instead of MoE.
    pub dense_layers: u32,
}

/// A model's architecture and derived sizes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSpec {
    /// Name (catalog name or file path).
    pub name: String,
    /// Hidden size d.
    pub hidden: u64,
    /// Transformer layers served (multi-token-prediction layers excluded).
    pub layers: u32,
    /// Query heads.
    pub n_q: u32,
    /// Head dimension.
    pub head_dim: u64,
    /// Dense MLP intermediate size.
    pub ff: u64,
    /// Vocabulary size.
    pub vocab: u64,
    /// Whether the LM head shares the embedding matrix.
    pub tied: bool,
    /// Attention kind.
    pub attention: Attention,
    /// MoE shape, for MoE models.
    pub moe: Option<Moe>,
    /// Layers using sliding-window attention, and the window.
    pub sliding: Option<(u32, u64)>,
    /// Largest context the model supports.
    pub max_position: u64,
    /// The MLP's form (and the experts').
    pub mlp: Mlp,
    /// Normalisation layers.
    pub norm: Norm,
    /// Normalisation layers per transformer layer (1 with Falcon-7B's shared norm, 4 in Gemma 2/3).
    pub norms_per_layer: u32,
    /// Biases on the query/key/value projections.
    pub qkv_bias: bool,
    /// Bias on the attention output projection.
    pub o_bias: bool,
    /// Biases in the MLP (and the experts).
    pub mlp_bias: bool,
    /// A normalisation right after the embedding (BLOOM).
    pub embedding_norm: bool,
    /// Learned attention sinks, one per query head and layer (gpt-oss).
    pub sinks: bool,
    /// Positions by ALiBi biases instead of rotary embeddings (BLOOM, some Falcons): no parameters.
    pub alibi: bool,
    /// Attention and MLP read the same input and add up (GPT-NeoX, Falcon): the same FLOPs and bytes.
    pub parallel_attention: bool,
    /// The checkpoint's fp8 weights are scaled per block (`quantization_config.weight_block_size`, as
    /// DeepSeek-V3's), whose grouped GEMMs run slower than per-tensor fp8 (docs/CALIBRATION.md, fused MoE).
    pub fp8_block: bool,
    /// The checkpoint is released in MXFP4 (`quantization_config.quant_method = "mxfp4"`, as gpt-oss is): a
    /// quantisation TensorRT-LLM's benchmark does not tune its batch limits for.
    pub mxfp4: bool,
    /// The checkpoint quantises only the routed experts: its `quantization_config.modules_to_not_convert` names
    /// the attention (gpt-oss keeps attention, router, embeddings and head in 16 bits), so at the checkpoint's
    /// own 4-bit dtype the dense weights stay 16-bit.
    pub experts_only_quantised: bool,
}

/// The MLP's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mlp {
    /// Gate and up projections multiplied (SwiGLU, GeGLU): three d × ff matrices.
    Gated,
    /// One up and one down projection with an activation between (GELU in BLOOM, Falcon, GPT-NeoX,
    /// StarCoder2): two d × ff matrices.
    Plain,
}

impl Mlp {
    /// Weight matrices of size d × ff.
    fn matrices(self) -> u64 {
        match self {
            Mlp::Gated => 3,
            Mlp::Plain => 2,
        }
    }
}

/// The normalisation layers' form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Norm {
    /// RMSNorm: a weight per dimension.
    Rms,
    /// LayerNorm: a weight and a bias per dimension.
    Layer,
}

impl Norm {
    fn params(self, d: u64) -> u64 {
        match self {
            Norm::Rms => d,
            Norm::Layer => 2 * d,
        }
    }
}

impl ModelSpec {
    /// KV heads (for MLA, the query heads, which share one latent).
    pub fn n_kv(&self) -> u32 {
        match self.attention {
            Attention::Gqa { n_kv } => n_kv,
            Attention::Mla { .. } => self.n_q,
        }
    }

    /// Attention parameters of one layer.
    pub fn attention_params(&self) -> u64 {
        let d = self.hidden;
        let nq = self.n_q as u64;
        match self.attention {
            Attention::Gqa { n_kv } => {
                let qkv = self.head_dim * (nq + 2 * n_kv as u64);
                d * qkv
                    + nq * self.head_dim * d
                    + if self.qkv_bias { qkv } else { 0 }
                    + if self.o_bias { d } else { 0 }
                    + if self.sinks { nq } else { 0 }
            }
            Attention::Mla {
                kv_lora_rank,
                rope_dim,
                nope_dim,
                v_head_dim,
                q_lora_rank,
            } => {
                let (kvl, r, n, vh) = (
                    kv_lora_rank as u64,
                    rope_dim as u64,
                    nope_dim as u64,
                    v_head_dim as u64,
                );
                let q = match q_lora_rank {
                    Some(ql) => d * ql as u64 + ql as u64 * nq * (n + r) + ql as u64,
                    None => d * nq * (n + r),
                };
                q + d * (kvl + r) + kvl * nq * (n + vh) + nq * vh * d + kvl
            }
        }
    }

    /// Parameters of one MLP (or expert) of intermediate size `ff`.
    fn mlp_params(&self, ff: u64) -> u64 {
        let d = self.hidden;
        self.mlp.matrices() * d * ff
            + if self.mlp_bias {
                (self.mlp.matrices() - 1) * ff + d
            } else {
                0
            }
    }

    /// Normalisation parameters of one transformer layer.
    fn norm_params(&self) -> u64 {
        self.norms_per_layer as u64 * self.norm.params(self.hidden)
    }

    /// Parameters of one MoE layer's always-active part besides attention: the shared experts, their gate and the
    /// router.
    fn moe_fixed_params(&self, m: &Moe) -> u64 {
        let d = self.hidden;
        (if m.shared_ff > 0 {
            self.mlp_params(m.shared_ff)
        } else {
            0
        }) + if m.shared_gate { d } else { 0 }
            + d * m.experts as u64
    }

    /// MoE layers (layers after the leading dense ones).
    pub fn moe_layers(&self) -> u32 {
        self.moe
            .map_or(0, |m| self.layers - m.dense_layers.min(self.layers))
    }

    /// Parameters of one routed expert.
    pub fn expert_params(&self) -> u64 {
        self.moe.map_or(0, |m| self.mlp_params(m.expert_ff))
    }

    /// All transformer-layer parameters (attention, MLP or experts, norms).
    pub fn layer_params_total(&self) -> u64 {
        self.layer_params(|m| m.experts)
    }

    /// Transformer-layer parameters one token uses (top-k routed experts plus the shared ones on MoE layers).
    pub fn layer_params_active(&self) -> u64 {
        self.layer_params(|m| m.top_k)
    }

    /// Transformer-layer parameters with `routed(moe)` routed experts counted on each MoE layer.
    fn layer_params(&self, routed: impl Fn(&Moe) -> u32) -> u64 {
        let attn = self.attention_params() + self.norm_params();
        let dense = attn + self.mlp_params(self.ff);
        match &self.moe {
            None => self.layers as u64 * dense,
            Some(m) => {
                let moe_layer =
                    attn + routed(m) as u64 * self.expert_params() + self.moe_fixed_params(m);
                (self.layers - self.moe_layers()) as u64 * dense
                    + self.moe_layers() as u64 * moe_layer
            }
        }
    }

    /// Embedding and LM-head parameters (once when tied), plus the final norm.
    pub fn embedding_params(&self) -> u64 {
        let d = self.hidden;
        self.vocab * d * if self.tied { 1 } else { 2 }
            + self.norm.params(d) * if self.embedding_norm { 2 } else { 1 }
    }

    /// All parameters serving loads.
    pub fn params_total(&self) -> u64 {
        self.layer_params_total() + self.embedding_params()
    }

    /// Parameters one token touches, embeddings included (the usual "active parameters" figure).
    pub fn params_active(&self) -> u64 {
        self.layer_params_active() + self.embedding_params()
    }

    /// KV-cache elements stored per token across all layers (full-attention layers; sliding layers keep only
    /// their window, see [`ModelSpec::sliding`]).
    pub fn kv_elements_per_token(&self) -> u64 {
        let full_layers = self.layers as u64 - self.sliding.map_or(0, |(n, _)| n as u64);
        match self.attention {
            Attention::Gqa { n_kv } => 2 * full_layers * n_kv as u64 * self.head_dim,
            Attention::Mla {
                kv_lora_rank,
                rope_dim,
                ..
            } => full_layers * (kv_lora_rank + rope_dim) as u64,
        }
    }

    /// Attention FLOPs per (query token, context token) pair across all full-attention layers.
    pub fn attention_flops_per_pair(&self) -> f64 {
        let full_layers = self.layers as f64 - self.sliding.map_or(0.0, |(n, _)| n as f64);
        self.attention_flops_per_pair_layer() * full_layers
    }

    /// Attention FLOPs per (prompt token, context token) pair across all full-attention layers when prefilling.
    /// Engines prefill MLA as ordinary multi-head attention over the decompressed keys and values (192-wide
    /// queries and keys, 128-wide values for DeepSeek-V3), a third of the absorbed form's FLOPs; decode runs
    /// absorbed, in the latent space ([`Self::attention_flops_per_pair`]).
    pub fn prefill_attention_flops_per_pair(&self) -> f64 {
        let full_layers = self.layers as f64 - self.sliding.map_or(0.0, |(n, _)| n as f64);
        match self.attention {
            Attention::Mla {
                rope_dim,
                nope_dim,
                v_head_dim,
                ..
            } => 2.0 * self.n_q as f64 * (nope_dim + rope_dim + v_head_dim) as f64 * full_layers,
            Attention::Gqa { .. } => self.attention_flops_per_pair(),
        }
    }

    /// Attention FLOPs per (query token, context token) pair in one layer.
    pub fn attention_flops_per_pair_layer(&self) -> f64 {
        let nq = self.n_q as f64;
        match self.attention {
            Attention::Gqa { .. } => 4.0 * nq * self.head_dim as f64,
            // With the absorbed projections vLLM uses, scores and values are computed in the latent space.
            Attention::Mla {
                kv_lora_rank,
                rope_dim,
                ..
            } => 2.0 * nq * (2 * kv_lora_rank + rope_dim) as f64,
        }
    }

    /// Layers' FLOPs per token for a context of `ctx` tokens (linear layers plus attention, no LM head).
    pub fn flops_per_token(&self, ctx: u64) -> f64 {
        2.0 * self.layer_params_active() as f64 + self.attention_flops_per_pair() * ctx as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(x: u64) -> f64 {
        x as f64 / 1e9
    }

    #[test]
    fn published_parameter_counts() {
        let cases = [
            ("llama-3.1-8b", 8.03, 8.03),
            ("llama-3.1-70b", 70.6, 70.6),
            ("llama-3.1-405b", 405.9, 405.9),
            ("mixtral-8x7b", 46.7, 12.9),
            ("deepseek-v3", 671.0, 37.0),
            // Qwen3-14B's model card: 14.8 B parameters.
            ("qwen3-14b", 14.8, 14.8),
            ("qwen3-30b-a3b", 30.5, 3.3),
            ("qwen3-235b-a22b", 235.0, 22.0),
        ];
        for (name, total, active) in cases {
            let m = ModelCatalog::get(name).unwrap();
            let (t, a) = (b(m.params_total()), b(m.params_active()));
            assert!(
                (t - total).abs() / total < 0.01,
                "{name}: total {t:.2} B vs {total}"
            );
            assert!(
                (a - active).abs() / active < 0.03,
                "{name}: active {a:.2} B vs {active}"
            );
        }
    }

    #[test]
    fn kv_bytes_per_token() {
        // Llama-3.1-8B: 2 × 32 layers × 8 KV heads × 128 = 65,536 elements, 128 KiB in bf16.
        assert_eq!(
            ModelCatalog::get("llama-3.1-8b")
                .unwrap()
                .kv_elements_per_token(),
            65_536
        );
        // DeepSeek-V3 MLA: 61 × (512 + 64) = 35,136 elements.
        assert_eq!(
            ModelCatalog::get("deepseek-v3")
                .unwrap()
                .kv_elements_per_token(),
            35_136
        );
        // gpt-oss-120b: only its 18 full-attention layers grow with context.
        assert_eq!(
            ModelCatalog::get("gpt-oss-120b")
                .unwrap()
                .kv_elements_per_token(),
            2 * 18 * 8 * 64
        );
    }

    #[test]
    fn missing_and_nonsense_fields_are_named() {
        let e = ModelSpec::from_config("{\"hidden_size\": 10}", "x.json").unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.json: missing field \"num_hidden_layers\" in config.json"
        );
        let zero = r#"{"hidden_size": 8, "num_hidden_layers": 0, "num_attention_heads": 2, "vocab_size": 10, "intermediate_size": 4}"#;
        assert!(ModelSpec::from_config(zero, "z")
            .unwrap_err()
            .to_string()
            .contains("must be positive"));
        assert!(ModelCatalog::get("gpt-5")
            .unwrap_err()
            .to_string()
            .contains("llama-3.1-8b"));
    }
}
