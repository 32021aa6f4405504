//! The models shipped in `data/models/` (Hugging Face `config.json` files), under short names.

use super::ModelSpec;
use crate::PerfError;

/// The models shipped in `data/models/`, under short names.
pub struct ModelCatalog;

const MODELS: &[(&str, &str)] = &[
    (
        "llama-3.1-8b",
        include_str!("../../../../data/models/llama-3.1-8b.json"),
    ),
    (
        "llama-3.1-70b",
        include_str!("../../../../data/models/llama-3.1-70b.json"),
    ),
    (
        "llama-3.1-405b",
        include_str!("../../../../data/models/llama-3.1-405b.json"),
    ),
    (
        "mixtral-8x7b",
        include_str!("../../../../data/models/mixtral-8x7b.json"),
    ),
    (
        "mixtral-8x22b",
        include_str!("../../../../data/models/mixtral-8x22b.json"),
    ),
    (
        "deepseek-v3",
        include_str!("../../../../data/models/deepseek-v3.json"),
    ),
    (
        "qwen3-8b",
        include_str!("../../../../data/models/qwen3-8b.json"),
    ),
    (
        "qwen3-14b",
        include_str!("../../../../data/models/qwen3-14b.json"),
    ),
    (
        "qwen3-32b",
        include_str!("../../../../data/models/qwen3-32b.json"),
    ),
    (
        "qwen3-30b-a3b",
        include_str!("../../../../data/models/qwen3-30b-a3b.json"),
    ),
    (
        "qwen3-235b-a22b",
        include_str!("../../../../data/models/qwen3-235b-a22b.json"),
    ),
    (
        "gpt-oss-120b",
        include_str!("../../../../data/models/gpt-oss-120b.json"),
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
