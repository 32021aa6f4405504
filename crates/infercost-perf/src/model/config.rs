//! Reading a Hugging Face `config.json`: the standard keys and each family's own spellings and defaults (BLOOM's
//! `n_layer`/`n_head`, Falcon's `multi_query` and `parallel_attn`, GPT-NeoX's biases, Gemma's extra norms and
//! alternating local layers, Qwen2-MoE's shared expert, multimodal configs' `text_config`). An unknown
//! `model_type` is read from the standard keys; a missing one is named.

use super::{Attention, Mlp, ModelSpec, Moe, Norm};
use crate::PerfError;
use serde_json::{Map, Value};

/// Sliding windows at least this long are treated as full attention (KV cache and FLOPs): an upper bound that
/// is exact for sequences within the window, where most requests are. Shorter windows (gpt-oss's 128 tokens)
/// keep only the window.
pub const FULL_ATTENTION_WINDOW: u64 = 1024;

/// What a family's configs leave unsaid.
struct Family {
    mlp: Mlp,
    norm: Norm,
    norms_per_layer: u32,
    qkv_bias: bool,
    o_bias: bool,
    mlp_bias: bool,
    tied: bool,
    /// MLP width when the config has no intermediate size: 4 × hidden.
    ff_4x: bool,
    embedding_norm: bool,
    sinks: bool,
    parallel: bool,
}

impl Family {
    fn of(model_type: &str) -> Family {
        let base = Family {
            mlp: Mlp::Gated,
            norm: Norm::Rms,
            norms_per_layer: 2,
            qkv_bias: false,
            o_bias: false,
            mlp_bias: false,
            tied: false,
            ff_4x: false,
            embedding_norm: false,
            sinks: false,
            parallel: false,
        };
        let plain = Family {
            mlp: Mlp::Plain,
            norm: Norm::Layer,
            qkv_bias: true,
            o_bias: true,
            mlp_bias: true,
            ..base
        };
        match model_type {
            "qwen2" | "qwen2_moe" => Family {
                qkv_bias: true,
                ..base
            },
            "gemma" => Family { tied: true, ..base },
            "gemma2" | "gemma3" | "gemma3_text" => Family {
                tied: true,
                norms_per_layer: 4,
                ..base
            },
            "gpt_oss" => Family {
                qkv_bias: true,
                o_bias: true,
                mlp_bias: true,
                sinks: true,
                ..base
            },
            "bloom" => Family {
                tied: true,
                ff_4x: true,
                embedding_norm: true,
                ..plain
            },
            "falcon" => Family {
                tied: true,
                ff_4x: true,
                qkv_bias: false,
                o_bias: false,
                mlp_bias: false,
                parallel: true,
                ..plain
            },
            "gpt_neox" => Family {
                parallel: true,
                ..plain
            },
            "starcoder2" => Family {
                tied: true,
                ..plain
            },
            _ => base,
        }
    }
}

/// A config's keys: the text model's section of a multimodal config (`text_config`) over the top level.
struct Keys<'a> {
    top: &'a Map<String, Value>,
    text: Option<&'a Map<String, Value>>,
}

impl<'a> Keys<'a> {
    /// A config's keys, a multimodal config's `text_config` first.
    fn of(top: &'a Map<String, Value>) -> Keys<'a> {
        Keys {
            top,
            text: top.get("text_config").and_then(Value::as_object),
        }
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.text
            .and_then(|t| t.get(key))
            .or_else(|| self.top.get(key))
            .filter(|v| !v.is_null())
    }

    fn u64(&self, keys: &[&str]) -> Option<u64> {
        keys.iter()
            .find_map(|k| self.get(k).and_then(Value::as_u64))
    }

    fn bool(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(Value::as_bool)
    }

    /// Whether the checkpoint's weights are quantised in blocks (`quantization_config.weight_block_size`, as
    /// DeepSeek-V3's fp8 release states).
    fn fp8_block(&self) -> bool {
        self.get("quantization_config")
            .and_then(|q| q.get("weight_block_size"))
            .is_some_and(|b| !b.is_null())
    }

    /// Whether `quantization_config.modules_to_not_convert` names the attention (`self_attn`).
    fn keeps_attention_unquantised(&self) -> bool {
        self.get("quantization_config")
            .and_then(|q| q.get("modules_to_not_convert"))
            .and_then(Value::as_array)
            .is_some_and(|m| {
                m.iter()
                    .filter_map(Value::as_str)
                    .any(|x| x.contains("self_attn"))
            })
    }

    /// The checkpoint's `quantization_config.quant_method`, if any.
    fn quant_method(&self) -> Option<&str> {
        self.get("quantization_config")
            .and_then(|q| q.get("quant_method"))
            .and_then(Value::as_str)
    }
}

impl ModelSpec {
    /// Reads a `config.json`'s text; `name` is used for messages.
    pub fn from_config(text: &str, name: &str) -> Result<ModelSpec, PerfError> {
        let invalid = |message: String| PerfError::Invalid {
            source_name: name.to_string(),
            message,
        };
        let v: Value =
            serde_json::from_str(text).map_err(|e| invalid(format!("not valid JSON: {e}")))?;
        let top = v
            .as_object()
            .ok_or_else(|| invalid("a config.json is a JSON object".into()))?;
        let k = Keys::of(top);
        let need = |keys: &[&str], field: &'static str| -> Result<u64, PerfError> {
            k.u64(keys).ok_or(PerfError::MissingField {
                source_name: name.to_string(),
                field,
            })
        };
        let model_type = k.get("model_type").and_then(Value::as_str).unwrap_or("");
        let fam = Family::of(model_type);
        let hidden = need(
            &["hidden_size", "n_embd", "n_embed", "d_model"],
            "hidden_size",
        )?;
        let layers = need(
            &["num_hidden_layers", "n_layer", "num_layers"],
            "num_hidden_layers",
        )? as u32;
        let n_q = need(
            &["num_attention_heads", "n_head", "num_heads"],
            "num_attention_heads",
        )? as u32;
        let vocab = need(&["vocab_size"], "vocab_size")?;
        let ff = match k.u64(&["intermediate_size", "ffn_dim", "ffn_hidden_size", "n_inner"]) {
            Some(ff) => ff,
            None if fam.ff_4x => 4 * hidden,
            None => need(&[], "intermediate_size")?,
        };
        if hidden == 0 || layers == 0 || n_q == 0 || vocab == 0 || ff == 0 {
            return Err(invalid("hidden_size, num_hidden_layers, num_attention_heads, intermediate_size and vocab_size must be positive".into()));
        }
        let head_dim = k.u64(&["head_dim"]).unwrap_or(hidden / n_q as u64);
        let n_kv = kv_heads(&k, model_type, n_q);
        if n_kv == 0 || !n_q.is_multiple_of(n_kv) {
            return Err(invalid(format!(
                "num_key_value_heads {n_kv} must divide num_attention_heads {n_q}"
            )));
        }
        let attention = match k.u64(&["kv_lora_rank"]) {
            Some(kv_lora_rank) => Attention::Mla {
                kv_lora_rank: kv_lora_rank as u32,
                rope_dim: need(&["qk_rope_head_dim"], "qk_rope_head_dim")? as u32,
                nope_dim: need(&["qk_nope_head_dim"], "qk_nope_head_dim")? as u32,
                v_head_dim: need(&["v_head_dim"], "v_head_dim")? as u32,
                q_lora_rank: k.u64(&["q_lora_rank"]).map(|x| x as u32),
            },
            None => Attention::Gqa { n_kv },
        };
        let moe = moe(&k, ff, layers, name)?;
        let bias = k.bool("bias").or(k.bool("use_bias"));
        let attention_bias = k.bool("attention_bias").or(bias);
        let new_falcon = k.bool("new_decoder_architecture") == Some(true);
        let parallel = k
            .bool("parallel_attn")
            .or(k.bool("use_parallel_residual"))
            .unwrap_or(fam.parallel);
        Ok(ModelSpec {
            name: name.to_string(),
            hidden,
            layers,
            n_q,
            head_dim,
            ff,
            vocab,
            tied: k.bool("tie_word_embeddings").unwrap_or(fam.tied),
            attention,
            moe,
            sliding: sliding(&k, model_type, layers),
            max_position: k.u64(&["max_position_embeddings"]).unwrap_or(u64::MAX),
            mlp: fam.mlp,
            norm: fam.norm,
            // Falcon-7B's layers share one norm between the parallel attention and MLP; the newer Falcons have
            // one each.
            norms_per_layer: if model_type == "falcon" && parallel && !new_falcon {
                1
            } else {
                fam.norms_per_layer
            },
            qkv_bias: attention_bias.unwrap_or(fam.qkv_bias),
            // Qwen2's attention has biases on q, k and v only, whatever the config says.
            o_bias: !model_type.starts_with("qwen2") && attention_bias.unwrap_or(fam.o_bias),
            mlp_bias: k.bool("mlp_bias").or(bias).unwrap_or(fam.mlp_bias),
            embedding_norm: fam.embedding_norm,
            sinks: fam.sinks,
            alibi: k.bool("alibi").unwrap_or(model_type == "bloom"),
            parallel_attention: parallel,
            fp8_block: k.fp8_block(),
            mxfp4: k.quant_method() == Some("mxfp4"),
            experts_only_quantised: k.keeps_attention_unquantised(),
        })
    }
}

/// KV heads: the standard key, Falcon's spellings (`num_kv_heads`, `n_head_kv`, or one with `multi_query`), else
/// as many as query heads.
fn kv_heads(k: &Keys, model_type: &str, n_q: u32) -> u32 {
    if let Some(n) = k.u64(&["num_key_value_heads", "num_kv_heads", "n_head_kv"]) {
        return n as u32;
    }
    let multi_query = k.bool("multi_query").unwrap_or(model_type == "falcon");
    if multi_query && k.bool("new_decoder_architecture") != Some(true) {
        1
    } else {
        n_q
    }
}

/// The MoE shape: routed experts, top-k, expert width, shared experts (DeepSeek's count of expert-sized ones or
/// Qwen2-MoE's one of its own width, with its gate) and the dense layers before the MoE ones.
fn moe(k: &Keys, ff: u64, layers: u32, name: &str) -> Result<Option<Moe>, PerfError> {
    let Some(experts) = k
        .u64(&["num_local_experts", "num_experts", "n_routed_experts"])
        .filter(|&e| e > 1)
    else {
        return Ok(None);
    };
    let top_k =
        k.u64(&["num_experts_per_tok", "experts_per_token"])
            .ok_or(PerfError::MissingField {
                source_name: name.to_string(),
                field: "num_experts_per_tok",
            })?;
    if top_k == 0 || top_k > experts {
        return Err(PerfError::Invalid {
            source_name: name.to_string(),
            message: format!(
                "num_experts_per_tok {top_k} must be between 1 and the {experts} experts"
            ),
        });
    }
    let expert_ff = k.u64(&["moe_intermediate_size"]).unwrap_or(ff);
    let n_shared = k.u64(&["n_shared_experts"]).unwrap_or(0);
    let (shared_experts, shared_ff) = match k.u64(&["shared_expert_intermediate_size"]) {
        Some(w) if w > 0 => (1, w),
        _ => (n_shared, n_shared * expert_ff),
    };
    let mlp_only = k
        .get("mlp_only_layers")
        .and_then(Value::as_array)
        .map_or(0, |a| a.len() as u64);
    let dense_layers =
        (k.u64(&["first_k_dense_replace"]).unwrap_or(0) + mlp_only).min(layers as u64);
    Ok(Some(Moe {
        experts: experts as u32,
        top_k: top_k as u32,
        expert_ff,
        shared_experts: shared_experts as u32,
        shared_ff,
        shared_gate: k.get("shared_expert_intermediate_size").is_some(),
        dense_layers: dense_layers as u32,
    }))
}

/// Layers with sliding-window attention and the window: from `layer_types`, Gemma 2's alternation (every other
/// layer), Gemma 3's pattern (all but every `sliding_window_pattern`-th layer), or every layer where a window
/// is set and not switched off (`use_sliding_window: false`). Windows of [`FULL_ATTENTION_WINDOW`] tokens or
/// more, or on every layer, count as full attention.
fn sliding(k: &Keys, model_type: &str, layers: u32) -> Option<(u32, u64)> {
    let w = k.u64(&["sliding_window"])?;
    if w >= FULL_ATTENTION_WINDOW || k.bool("use_sliding_window") == Some(false) {
        return None;
    }
    let n = if let Some(types) = k.get("layer_types").and_then(Value::as_array) {
        types
            .iter()
            .filter(|t| t.as_str() == Some("sliding_attention"))
            .count() as u32
    } else if model_type == "gemma2" {
        layers.div_ceil(2)
    } else if let Some(p) = k.u64(&["sliding_window_pattern"]).filter(|&p| p > 0) {
        layers - layers / p as u32
    } else {
        layers
    };
    // With every layer windowed nothing grows with context; counted as full attention, an upper bound.
    (n > 0 && n < layers).then_some((n, w))
}
