//! Parameter counts of the model families users deploy, read from their `config.json` (the architecture keys
//! of each model's file on the Hugging Face Hub, other keys left out), against the totals their publishers state.
//! A non-gated MLP counted as gated, a missing bias or norm, or a BLOOM key not read shows here.

use infercost_perf::model::{Attention, Mlp};
use infercost_perf::ModelSpec;

/// (name, config.json keys, published total parameters, tolerance).
const FAMILIES: &[(&str, &str, f64, f64)] = &[
    (
        // bigscience/bloom: 176,247,271,424 parameters (BLOOM paper, Table 1: 176B; the model card's count).
        "bloom-176b",
        r#"{"architectures": ["BloomForCausalLM"], "model_type": "bloom", "hidden_size": 14336, "n_head": 112,
            "n_inner": null, "n_layer": 70, "vocab_size": 250880, "apply_residual_connection_post_layernorm": false,
            "layer_norm_epsilon": 1e-05, "offset_alibi": 100, "pretraining_tp": 4}"#,
        176_247_271_424.0,
        1e-9,
    ),
    (
        // tiiuae/falcon-7b: 6.92 B (the Hub's count, 6,921,720,704).
        "falcon-7b",
        r#"{"architectures": ["FalconForCausalLM"], "model_type": "falcon", "alibi": false, "bias": false,
            "hidden_size": 4544, "multi_query": true, "new_decoder_architecture": false,
            "num_attention_heads": 71, "num_hidden_layers": 32, "parallel_attn": true, "vocab_size": 65024}"#,
        6_921_720_704.0,
        1e-9,
    ),
    (
        // EleutherAI/gpt-neox-20b: 20,554,567,680 parameters (GPT-NeoX-20B paper, Table 1: 20.55B).
        "gpt-neox-20b",
        r#"{"architectures": ["GPTNeoXForCausalLM"], "model_type": "gpt_neox", "hidden_act": "gelu_fast",
            "hidden_size": 6144, "intermediate_size": 24576, "max_position_embeddings": 2048,
            "num_attention_heads": 64, "num_hidden_layers": 44, "rotary_pct": 0.25,
            "tie_word_embeddings": false, "use_parallel_residual": true, "vocab_size": 50432}"#,
        20_554_567_680.0,
        1e-9,
    ),
    (
        // google/gemma-2-9b: 9,241,705,984 parameters (the Hub's count; Gemma 2 report: 9B).
        "gemma-2-9b",
        r#"{"architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "attention_bias": false,
            "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 3584,
            "intermediate_size": 14336, "max_position_embeddings": 8192, "num_attention_heads": 16,
            "num_hidden_layers": 42, "num_key_value_heads": 8, "sliding_window": 4096, "vocab_size": 256000}"#,
        9_241_705_984.0,
        1e-9,
    ),
    (
        // google/gemma-2-27b: 27,227,128,320 parameters (the Hub's count).
        "gemma-2-27b",
        r#"{"architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "attention_bias": false,
            "head_dim": 128, "hidden_size": 4608, "intermediate_size": 36864, "num_attention_heads": 32,
            "num_hidden_layers": 46, "num_key_value_heads": 16, "sliding_window": 4096, "vocab_size": 256000}"#,
        27_227_128_320.0,
        1e-9,
    ),
    (
        // microsoft/Phi-3-mini-4k-instruct: 3.8 B (model card; the Hub's count 3,821,079,552).
        "phi-3-mini",
        r#"{"architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "hidden_act": "silu",
            "hidden_size": 3072, "intermediate_size": 8192, "max_position_embeddings": 4096,
            "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
            "sliding_window": 2047, "tie_word_embeddings": false, "vocab_size": 32064}"#,
        3_821_079_552.0,
        1e-9,
    ),
    (
        // mistralai/Mistral-7B-v0.1: 7.24 B (the Hub's count, 7,241,732,096).
        "mistral-7b",
        r#"{"architectures": ["MistralForCausalLM"], "model_type": "mistral", "hidden_size": 4096,
            "intermediate_size": 14336, "max_position_embeddings": 32768, "num_attention_heads": 32,
            "num_hidden_layers": 32, "num_key_value_heads": 8, "sliding_window": 4096,
            "tie_word_embeddings": false, "vocab_size": 32000}"#,
        7_241_732_096.0,
        1e-9,
    ),
    (
        // Qwen/Qwen2-72B: 72.7 B (Qwen2 report, Table 1; the Hub's count 72,706,203,648).
        "qwen2-72b",
        r#"{"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 8192,
            "intermediate_size": 29568, "max_position_embeddings": 131072, "num_attention_heads": 64,
            "num_hidden_layers": 80, "num_key_value_heads": 8, "sliding_window": 131072,
            "tie_word_embeddings": false, "use_sliding_window": false, "vocab_size": 152064}"#,
        72_706_203_648.0,
        1e-9,
    ),
    (
        // Qwen/Qwen1.5-MoE-A2.7B: 14.3 B total, 2.7 B activated (model card).
        "qwen1.5-moe-a2.7b",
        r#"{"architectures": ["Qwen2MoeForCausalLM"], "model_type": "qwen2_moe", "decoder_sparse_step": 1,
            "hidden_size": 2048, "intermediate_size": 5632, "max_position_embeddings": 8192,
            "moe_intermediate_size": 1408, "num_attention_heads": 16, "num_experts": 60,
            "num_experts_per_tok": 4, "num_hidden_layers": 24, "num_key_value_heads": 16,
            "shared_expert_intermediate_size": 5632, "tie_word_embeddings": false,
            "use_sliding_window": false, "vocab_size": 151936}"#,
        14.3e9,
        0.005,
    ),
    (
        // bigcode/starcoder2-15b: 15,957,889,024 parameters (the Hub's count; StarCoder2 paper: 15B).
        "starcoder2-15b",
        r#"{"architectures": ["Starcoder2ForCausalLM"], "model_type": "starcoder2", "hidden_act": "gelu_pytorch_tanh",
            "hidden_size": 6144, "intermediate_size": 24576, "max_position_embeddings": 16384,
            "norm_type": "layer_norm", "num_attention_heads": 48, "num_hidden_layers": 40,
            "num_key_value_heads": 4, "sliding_window": 4096, "tie_word_embeddings": false,
            "use_bias": true, "vocab_size": 49152}"#,
        15_957_889_024.0,
        1e-9,
    ),
];

#[test]
fn each_family_counts_its_published_parameters() {
    for (name, text, published, tol) in FAMILIES {
        let m = ModelSpec::from_config(text, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let total = m.params_total() as f64;
        assert!(
            (total / published - 1.0).abs() <= *tol,
            "{name}: {total} parameters vs {published} published"
        );
    }
}

#[test]
fn the_shipped_gpt_oss_counts_its_published_parameters() {
    // openai/gpt-oss-120b: 116.83 B total; 5.13 B active without the input embedding (model card).
    let m = infercost_perf::ModelCatalog::get("gpt-oss-120b").unwrap();
    let total = m.params_total() as f64;
    assert!((total / 116.83e9 - 1.0).abs() < 0.001, "{total}");
    let active_no_embedding = (m.params_active() - m.vocab * m.hidden) as f64;
    assert!(
        (active_no_embedding / 5.13e9 - 1.0).abs() < 0.01,
        "{active_no_embedding}"
    );
}

#[test]
fn family_shapes_are_read_from_their_own_keys() {
    let get = |n: &str| {
        let (_, text, _, _) = FAMILIES.iter().find(|f| f.0 == n).unwrap();
        ModelSpec::from_config(text, n).unwrap()
    };
    let bloom = get("bloom-176b");
    assert_eq!((bloom.layers, bloom.n_q, bloom.ff), (70, 112, 4 * 14336));
    assert_eq!(bloom.mlp, Mlp::Plain);
    assert!(bloom.alibi && bloom.tied && bloom.qkv_bias);
    let falcon = get("falcon-7b");
    assert_eq!(falcon.attention, Attention::Gqa { n_kv: 1 });
    assert!(falcon.parallel_attention && falcon.norms_per_layer == 1);
    // Gemma 2 alternates local (4,096-token window) and global layers; a window that long counts as full.
    assert_eq!(get("gemma-2-9b").sliding, None);
    // Qwen1.5-MoE: 60 experts of 1,408, top-4, one shared expert of 5,632 behind a gate.
    let moe = get("qwen1.5-moe-a2.7b").moe.unwrap();
    assert_eq!((moe.experts, moe.top_k, moe.expert_ff), (60, 4, 1408));
    assert_eq!((moe.shared_ff, moe.shared_gate), (5632, true));
    let active = get("qwen1.5-moe-a2.7b").params_active() as f64;
    assert!((active / 2.7e9 - 1.0).abs() < 0.01, "{active}");
    // A plain MLP has two matrices, not three: counting BLOOM's as gated would add half its MLP weights.
    let mut gated = bloom.clone();
    gated.mlp = Mlp::Gated;
    let extra = gated.params_total() - bloom.params_total();
    assert_eq!(extra, 70 * 14336 * 4 * 14336 + 70 * 4 * 14336);
}

#[test]
fn an_unknown_model_type_reads_the_standard_keys_and_names_what_is_missing() {
    let text = r#"{"model_type": "my_llm", "hidden_size": 1024, "num_hidden_layers": 4,
        "num_attention_heads": 8, "vocab_size": 1000, "intermediate_size": 4096}"#;
    let m = ModelSpec::from_config(text, "my.json").unwrap();
    assert_eq!(
        m.params_total(),
        4 * (4 * 1024 * 1024 + 3 * 1024 * 4096 + 2 * 1024) + 2 * 1000 * 1024 + 1024
    );
    let missing = r#"{"model_type": "my_llm", "hidden_size": 1024, "num_hidden_layers": 4,
        "num_attention_heads": 8, "vocab_size": 1000}"#;
    assert_eq!(
        ModelSpec::from_config(missing, "my.json")
            .unwrap_err()
            .to_string(),
        "my.json: missing field \"intermediate_size\" in config.json"
    );
}

#[test]
fn a_multimodal_config_is_read_from_its_text_section() {
    // google/gemma-3-27b-it keeps the language model under text_config (5 local layers of 1,024 tokens to 1
    // global).
    let text = r#"{"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
        "text_config": {"model_type": "gemma3_text", "head_dim": 128, "hidden_size": 5376,
        "intermediate_size": 21504, "num_attention_heads": 32, "num_hidden_layers": 62,
        "num_key_value_heads": 16, "sliding_window": 1024, "sliding_window_pattern": 6,
        "vocab_size": 262208}, "vision_config": {"hidden_size": 1152}}"#;
    let m = ModelSpec::from_config(text, "gemma-3-27b").unwrap();
    assert_eq!((m.hidden, m.layers, m.norms_per_layer), (5376, 62, 4));
    // 1,024 tokens is at the threshold: counted as full attention.
    assert_eq!(m.sliding, None);
    // The language model of Gemma 3 27B: about 27.0 B of its 27.4 B (the rest is the vision encoder).
    let total = m.params_total() as f64;
    assert!((total / 27.0e9 - 1.0).abs() < 0.01, "{total}");
}
