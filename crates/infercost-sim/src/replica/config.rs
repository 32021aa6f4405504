//! A replica's engine settings: vLLM's defaults in one place, and the settings a deployment implies.

use infercost_perf::Deployment;

/// Engine settings of one replica.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngineConfig {
    /// Most sequences running at once.
    pub max_num_seqs: u32,
    /// Token budget of one iteration.
    pub max_batched_tokens: u32,
    /// Tokens per KV block.
    pub block_size: u32,
    /// KV blocks in the cache.
    pub kv_blocks: u64,
    /// Reuse cached prefix blocks named by the workload's `hash_ids`.
    pub prefix_caching: bool,
    /// Tokens covered by one `hash_ids` entry.
    pub prefix_block_tokens: u32,
    /// Longest sequence (prompt plus output) the engine accepts, as vLLM's `--max-model-len`: a prompt of this
    /// length or more is rejected, an output that would run past it is cut. `None`: no limit.
    pub max_model_len: Option<u32>,
    /// Admit a request only when the KV blocks of its whole sequence (prompt and output) fit beside those the
    /// running sequences will need, so nothing is preempted (TensorRT-LLM's `GUARANTEED_NO_EVICT`); otherwise
    /// admit while the prompt fits and preempt by recompute when decoding fills the cache (vLLM).
    pub no_evict: bool,
    /// Data-parallel attention ranks (1 without): each rank runs its own prompts under its own share of the token
    /// budget, so one prompt's chunk in an iteration is at most `max_batched_tokens / attention_dp_ranks` tokens
    /// (TensorRT-LLM applies `max_num_tokens` per rank).
    pub attention_dp_ranks: u32,
}

/// Tokens per KV block in vLLM's default paged attention.
pub const KV_BLOCK_TOKENS: u32 = 16;

impl EngineConfig {
    /// vLLM's defaults (256 sequences, 8,192 batched tokens, 16-token blocks, prefix caching with 512-token
    /// hash blocks, no length limit) over a cache of `kv_blocks` blocks.
    pub fn new(kv_blocks: u64) -> EngineConfig {
        EngineConfig {
            max_num_seqs: 256,
            max_batched_tokens: 8192,
            block_size: KV_BLOCK_TOKENS,
            kv_blocks,
            prefix_caching: true,
            prefix_block_tokens: 512,
            max_model_len: None,
            no_evict: false,
            attention_dp_ranks: 1,
        }
    }

    /// The most prompt tokens one sequence computes in an iteration: the budget, or one rank's share of it.
    #[inline]
    pub fn prompt_chunk_cap(&self) -> u64 {
        (self.max_batched_tokens / self.attention_dp_ranks.max(1)).max(1) as u64
    }

    /// The defaults for `dep` run with a token budget of `max_batched_tokens` and `gpu_memory_utilization` of
    /// each GPU's memory: the KV cache is what that memory leaves after weights and activations, in blocks, and
    /// the deployment's engine decides whether a full cache preempts or admission waits (`no_evict`).
    pub fn for_deployment(
        dep: &Deployment,
        gpu_memory_utilization: f64,
        max_batched_tokens: u32,
    ) -> EngineConfig {
        let tokens = dep.kv_capacity_tokens(gpu_memory_utilization, max_batched_tokens as u64);
        EngineConfig {
            max_batched_tokens,
            no_evict: dep.engine.no_evict(),
            attention_dp_ranks: if dep.layout.attention_dp {
                dep.layout.tp
            } else {
                1
            },
            ..EngineConfig::new(tokens / KV_BLOCK_TOKENS as u64)
        }
    }

    /// With at most `n` sequences running at once.
    pub fn with_max_num_seqs(mut self, n: u32) -> EngineConfig {
        self.max_num_seqs = n;
        self
    }

    /// With prefix caching on or off.
    pub fn with_prefix_caching(mut self, on: bool) -> EngineConfig {
        self.prefix_caching = on;
        self
    }

    /// With a longest accepted sequence (`None`: no limit).
    pub fn with_max_model_len(mut self, limit: Option<u32>) -> EngineConfig {
        self.max_model_len = limit;
        self
    }
}
