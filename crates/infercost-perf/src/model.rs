//! Model architectures read from Hugging Face `config.json`, and what follows from them: parameters, weight
//! bytes, KV bytes per token and FLOPs per token.

use crate::PerfError;
use serde::Serialize;
use serde_json::Value;

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
}

fn get_u64(v: &Value, keys: &[&str]) -> Option<u64> {
    keys.iter().find_map(|k| v.get(*k).and_then(Value::as_u64))
}

impl ModelSpec {
    /// Reads a `config.json`'s text; `name` is used for messages.
    pub fn from_config(text: &str, name: &str) -> Result<ModelSpec, PerfError> {
        let v: Value = serde_json::from_str(text).map_err(|e| PerfError::Invalid {
            source_name: name.to_string(),
            message: format!("not valid JSON: {e}"),
        })?;
        let need = |keys: &[&str], field: &'static str| -> Result<u64, PerfError> {
            get_u64(&v, keys).ok_or(PerfError::MissingField {
                source_name: name.to_string(),
                field,
            })
        };
        let invalid = |message: String| PerfError::Invalid {
            source_name: name.to_string(),
            message,
        };
        let hidden = need(&["hidden_size", "n_embd", "d_model"], "hidden_size")?;
        let layers = need(&["num_hidden_layers", "n_layer"], "num_hidden_layers")? as u32;
        let n_q = need(&["num_attention_heads", "n_head"], "num_attention_heads")? as u32;
        let vocab = need(&["vocab_size"], "vocab_size")?;
        let ff = need(&["intermediate_size", "ffn_dim"], "intermediate_size")?;
        if hidden == 0 || layers == 0 || n_q == 0 || vocab == 0 || ff == 0 {
            return Err(invalid("hidden_size, num_hidden_layers, num_attention_heads, intermediate_size and vocab_size must be positive".into()));
        }
        let head_dim = get_u64(&v, &["head_dim"]).unwrap_or(hidden / n_q as u64);
        let n_kv = get_u64(&v, &["num_key_value_heads"]).unwrap_or(n_q as u64) as u32;
        if n_kv == 0 || !n_q.is_multiple_of(n_kv) {
            return Err(invalid(format!(
                "num_key_value_heads {n_kv} must divide num_attention_heads {n_q}"
            )));
        }
        let attention = match get_u64(&v, &["kv_lora_rank"]) {
            Some(kv_lora_rank) => Attention::Mla {
                kv_lora_rank: kv_lora_rank as u32,
                rope_dim: need(&["qk_rope_head_dim"], "qk_rope_head_dim")? as u32,
                nope_dim: need(&["qk_nope_head_dim"], "qk_nope_head_dim")? as u32,
                v_head_dim: need(&["v_head_dim"], "v_head_dim")? as u32,
                q_lora_rank: get_u64(&v, &["q_lora_rank"]).map(|x| x as u32),
            },
            None => Attention::Gqa { n_kv },
        };
        let moe = match get_u64(
            &v,
            &["num_local_experts", "num_experts", "n_routed_experts"],
        ) {
            Some(experts) if experts > 1 => {
                let top_k = need(
                    &["num_experts_per_tok", "experts_per_token"],
                    "num_experts_per_tok",
                )? as u32;
                if top_k == 0 || top_k as u64 > experts {
                    return Err(invalid(format!(
                        "num_experts_per_tok {top_k} must be between 1 and the {experts} experts"
                    )));
                }
                Some(Moe {
                    experts: experts as u32,
                    top_k,
                    expert_ff: get_u64(&v, &["moe_intermediate_size"]).unwrap_or(ff),
                    shared_experts: get_u64(&v, &["n_shared_experts"]).unwrap_or(0) as u32,
                    dense_layers: get_u64(&v, &["first_k_dense_replace"]).unwrap_or(0) as u32,
                })
            }
            _ => None,
        };
        let sliding = match (
            v.get("layer_types").and_then(Value::as_array),
            get_u64(&v, &["sliding_window"]),
        ) {
            (Some(types), Some(w)) => {
                let n = types
                    .iter()
                    .filter(|t| t.as_str() == Some("sliding_attention"))
                    .count() as u32;
                (n > 0).then_some((n, w))
            }
            _ => None,
        };
        Ok(ModelSpec {
            name: name.to_string(),
            hidden,
            layers,
            n_q,
            head_dim,
            ff,
            vocab,
            tied: v
                .get("tie_word_embeddings")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            attention,
            moe,
            sliding,
            max_position: get_u64(&v, &["max_position_embeddings"]).unwrap_or(u64::MAX),
        })
    }

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
                d * self.head_dim * (nq + 2 * n_kv as u64) + nq * self.head_dim * d
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

    fn mlp_params(ff: u64, d: u64) -> u64 {
        3 * d * ff
    }

    /// MoE layers (layers after the leading dense ones).
    pub fn moe_layers(&self) -> u32 {
        self.moe
            .map_or(0, |m| self.layers - m.dense_layers.min(self.layers))
    }

    /// Parameters of one routed expert.
    pub fn expert_params(&self) -> u64 {
        self.moe
            .map_or(0, |m| Self::mlp_params(m.expert_ff, self.hidden))
    }

    /// All transformer-layer parameters (attention, MLP or experts, norms).
    pub fn layer_params_total(&self) -> u64 {
        let d = self.hidden;
        let norms = 2 * d;
        let attn = self.attention_params();
        let dense_mlp = Self::mlp_params(self.ff, d);
        match self.moe {
            None => self.layers as u64 * (attn + dense_mlp + norms),
            Some(m) => {
                let moe_layer = m.experts as u64 * self.expert_params()
                    + m.shared_experts as u64 * self.expert_params()
                    + d * m.experts as u64;
                let dense = (self.layers - self.moe_layers()) as u64;
                dense * (attn + dense_mlp + norms)
                    + self.moe_layers() as u64 * (attn + moe_layer + norms)
            }
        }
    }

    /// Transformer-layer parameters one token uses (top-k plus shared experts on MoE layers).
    pub fn layer_params_active(&self) -> u64 {
        let d = self.hidden;
        match self.moe {
            None => self.layer_params_total(),
            Some(m) => {
                let norms = 2 * d;
                let attn = self.attention_params();
                let dense = (self.layers - self.moe_layers()) as u64;
                let moe_layer = (m.top_k + m.shared_experts) as u64 * self.expert_params()
                    + d * m.experts as u64;
                dense * (attn + Self::mlp_params(self.ff, d) + norms)
                    + self.moe_layers() as u64 * (attn + moe_layer + norms)
            }
        }
    }

    /// Embedding and LM-head parameters (once when tied), plus the final norm.
    pub fn embedding_params(&self) -> u64 {
        self.vocab * self.hidden * if self.tied { 1 } else { 2 } + self.hidden
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
        let nq = self.n_q as f64;
        let per_layer = match self.attention {
            Attention::Gqa { .. } => 4.0 * nq * self.head_dim as f64,
            // With the absorbed projections vLLM uses, scores and values are computed in the latent space.
            Attention::Mla {
                kv_lora_rank,
                rope_dim,
                ..
            } => 2.0 * nq * (2 * kv_lora_rank + rope_dim) as f64,
        };
        let full_layers = self.layers as f64 - self.sliding.map_or(0.0, |(n, _)| n as f64);
        per_layer * full_layers
    }

    /// Layers' FLOPs per token for a context of `ctx` tokens (linear layers plus attention, no LM head).
    pub fn flops_per_token(&self, ctx: u64) -> f64 {
        2.0 * self.layer_params_active() as f64 + self.attention_flops_per_pair() * ctx as f64
    }
}

/// The models shipped in `data/models/`, under short names.
pub struct ModelCatalog;

const MODELS: &[(&str, &str)] = &[
    (
        "llama-3.1-8b",
        include_str!("../../../data/models/llama-3.1-8b.json"),
    ),
    (
        "llama-3.1-70b",
        include_str!("../../../data/models/llama-3.1-70b.json"),
    ),
    (
        "llama-3.1-405b",
        include_str!("../../../data/models/llama-3.1-405b.json"),
    ),
    (
        "mixtral-8x7b",
        include_str!("../../../data/models/mixtral-8x7b.json"),
    ),
    (
        "mixtral-8x22b",
        include_str!("../../../data/models/mixtral-8x22b.json"),
    ),
    (
        "deepseek-v3",
        include_str!("../../../data/models/deepseek-v3.json"),
    ),
    (
        "qwen3-8b",
        include_str!("../../../data/models/qwen3-8b.json"),
    ),
    (
        "qwen3-32b",
        include_str!("../../../data/models/qwen3-32b.json"),
    ),
    (
        "qwen3-30b-a3b",
        include_str!("../../../data/models/qwen3-30b-a3b.json"),
    ),
    (
        "qwen3-235b-a22b",
        include_str!("../../../data/models/qwen3-235b-a22b.json"),
    ),
    (
        "gpt-oss-120b",
        include_str!("../../../data/models/gpt-oss-120b.json"),
    ),
];

impl ModelCatalog {
    /// Catalog names.
    pub fn names() -> Vec<&'static str> {
        MODELS.iter().map(|(n, _)| *n).collect()
    }

    /// A catalog model by name.
    pub fn get(name: &str) -> Result<ModelSpec, PerfError> {
        let lower = name.to_ascii_lowercase();
        match MODELS.iter().find(|(n, _)| *n == lower) {
            Some((n, text)) => ModelSpec::from_config(text, n),
            None => Err(PerfError::Unknown {
                kind: "model",
                name: name.to_string(),
                known: format!("{} (or a path to a config.json)", Self::names().join(", ")),
            }),
        }
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
