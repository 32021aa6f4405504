//! The batch limits `trtllm-bench throughput` sets for itself when a run does not name them, so that rows it
//! measured are simulated under the same limits.

use infercost_perf::{Deployment, Dtype};

/// The largest batch and token budget trtllm-bench builds for a deployment and fixed input and output lengths
/// (TensorRT-LLM `tensorrt_llm/bench/build/tuning.py`, `calc_engine_setting` and `finetune_setting`): the
/// requests of `input + output` tokens that 95% of the memory the weights leave would cache, capped at 4,096 and
/// rounded up (at least 64); a token budget of that many requests' prompt and output tokens per output token,
/// capped at 32,768 and at least 2,048. Memory is counted as the tool counts it: the GPUs' GiB less the
/// checkpoint's stored elements times bytes per weight in GiB ([`checkpoint_elements`]), and KV heads at least
/// one per rank. Under a pipeline the tool
/// sizes one micro-batch (its share of the requests over the stages); the replica runs one per stage, so the
/// limits returned, which bound the whole replica's batch, are the micro-batch's times the stages. Under
/// data-parallel attention each rank schedules its own batch under those limits ([`per_replica`]).
///
/// A quantisation the heuristic does not tune (MXFP4, as gpt-oss is released) gets TensorRT-LLM's `BuildConfig`
/// defaults instead (`get_benchmark_engine_settings`).
///
/// On the PyTorch backend (`whole_prompts`) trtllm-bench runs without chunked prefill unless told otherwise, so a
/// prompt must fit one iteration: it raises the token budget to the longest prompt plus the batch
/// (`get_settings`, `tensorrt_llm/bench/benchmark/utils/general.py`). The TensorRT-engine flow of the older
/// releases builds its engine with the heuristic's figures alone.
pub fn trtllm_bench_limits(
    d: &Deployment,
    input: u32,
    output: u32,
    whole_prompts: bool,
) -> (u32, u32) {
    let pp = d.layout.pp;
    let (bs, tokens) = if d.model.mxfp4 {
        UNTUNED_LIMITS
    } else {
        heuristic(d, input, output)
    };
    let tokens = if whole_prompts {
        tokens.max(input + bs)
    } else {
        tokens
    };
    per_replica(d, bs * pp, tokens * pp)
}

/// `BuildConfig`'s `max_batch_size` and `max_num_tokens`, which trtllm-bench uses for a quantisation outside its
/// tuned set (NVFP4, FP8, FP8 block scales, none).
const UNTUNED_LIMITS: (u32, u32) = (2048, 8192);

/// `calc_engine_setting`: one micro-batch's limits from the requests the KV memory holds.
fn heuristic(d: &Deployment, input: u32, output: u32) -> (u32, u32) {
    let m = &d.model;
    let weight_bytes = match d.weights {
        Dtype::Fp8 => 1.0,
        Dtype::Fp4 => 0.5,
        _ => 2.0,
    };
    let kv_bytes = if d.kv == Dtype::Fp8 { 1.0 } else { 2.0 };
    let kv_heads = (m.n_kv() as f64).max(d.tp as f64);
    let per_token_gib =
        2.0 * m.layers as f64 * kv_heads * m.head_dim as f64 * kv_bytes / (1u64 << 30) as f64;
    let total_gib = d.gpu.memory_gib * d.gpus() as f64;
    let weights_gib = checkpoint_elements(d) * weight_bytes / (1u64 << 30) as f64;
    let requests = (total_gib - weights_gib) * 0.95 / per_token_gib / (input + output) as f64;
    finetune(requests.max(1.0), input, output, d.layout.pp)
}

/// The parameter count trtllm-bench reads from the checkpoint's safetensors headers (`get_param_count`: the
/// elements of every tensor). An NVFP4 checkpoint packs two 4-bit weights per stored byte and adds one fp8 scale
/// per 16, so its quantised weights (every layer's; Model Optimizer leaves the embeddings and the head unquantised)
/// count 1/2 + 1/16 elements each; other checkpoints count one per parameter.
fn checkpoint_elements(d: &Deployment) -> f64 {
    let m = &d.model;
    if d.weights != Dtype::Fp4 {
        return m.params_total() as f64;
    }
    let unquantised = m.embedding_params() as f64;
    (m.params_total() as f64 - unquantised) * (0.5 + 1.0 / 16.0) + unquantised
}

/// A replica's batch limits from TensorRT-LLM's `max_batch_size` and `max_num_tokens`: under data-parallel
/// attention they bound each rank's own scheduler, so the replica runs up to the stage's GPUs times as many (the
/// DeepSeek-R1 best-practice commands pair `--max_batch_size 128` with `--concurrency 1024` on eight ranks, and
/// 384 with 3,072); otherwise they bound the replica.
pub fn per_replica(d: &Deployment, max_batch_size: u32, max_num_tokens: u32) -> (u32, u32) {
    let ranks = if d.layout.attention_dp {
        d.layout.tp
    } else {
        1
    };
    (max_batch_size * ranks, max_num_tokens * ranks)
}

/// The `--max_batch_size` and `--max_num_tokens` a row's notes quote from its source's command, if both.
pub fn stated_limits(notes: &str) -> Option<(u32, u32)> {
    let flag = |name: &str| -> Option<u32> {
        let at = notes.find(name)? + name.len();
        let digits: String = notes[at..]
            .trim_start_matches([' ', '='])
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        digits.parse().ok().filter(|n| *n > 0)
    };
    Some((flag("--max_batch_size")?, flag("--max_num_tokens")?))
}

/// trtllm-bench's rounding of the raw batch and token figures of one micro-batch (`finetune_setting`, from the
/// requests over the pipeline stages).
fn finetune(requests: f64, input: u32, output: u32, pp: u32) -> (u32, u32) {
    let raw_bs = requests.min(4096.0) / pp as f64;
    let raw_token = (raw_bs * (1.0 + input as f64 / output as f64)).min(32768.0);
    let up = |x: f64, step: f64| step * (x / step).ceil();
    let bs = if raw_bs < 256.0 {
        up(raw_bs, 32.0).max(64.0)
    } else if raw_bs < 1024.0 {
        up(raw_bs, 128.0)
    } else {
        up(raw_bs, 256.0)
    };
    let tokens = if raw_token < 4096.0 {
        up(raw_token, 256.0).max(2048.0)
    } else if raw_token < 8192.0 {
        up(raw_token, 512.0)
    } else {
        up(raw_token, 1024.0)
    };
    (bs as u32, tokens as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finetune_rounds_as_trtllm_bench_does() {
        // Worked through tuning.py by hand: 1,945 requests → 256 · ⌈1,945/256⌉ = 2,048 sequences; 1,945 · 2 =
        // 3,890 tokens → 256 · ⌈3,890/256⌉ = 4,096.
        assert_eq!(finetune(1945.0, 128, 128, 1), (2048, 4096));
        // Few requests: at least 64 sequences and 2,048 tokens.
        assert_eq!(finetune(10.0, 1000, 1000, 1), (64, 2048));
        // 300 requests of 2,048 + 128: 384 sequences, 300 · 17 = 5,100 tokens → 5,120.
        assert_eq!(finetune(300.0, 2048, 128, 1), (384, 5120));
        // Caps: 4,096 sequences, 32,768 tokens.
        assert_eq!(finetune(9000.0, 20000, 2000, 1), (4096, 32768));
        // Four pipeline stages: the 4,096 cap comes first, then a quarter per micro-batch (1,024 → 1,024 sequences,
        // 1,024 · 11 = 11,264 tokens).
        assert_eq!(finetune(9000.0, 20000, 2000, 4), (1024, 11264));
    }

    #[test]
    fn an_nvfp4_checkpoint_counts_its_packed_elements() {
        use infercost_perf::{GpuCatalog, Layout, ModelCatalog};
        let m = ModelCatalog::get("deepseek-v3").unwrap();
        let g = GpuCatalog::embedded().get("b200").unwrap().clone();
        let layout = Layout {
            tp: 4,
            pp: 1,
            ep: 4,
            attention_dp: true,
        };
        let e = infercost_perf::engine::EngineCatalog::embedded()
            .get("trtllm")
            .unwrap()
            .clone();
        let d = Deployment::for_engine(m.clone(), g, layout, Dtype::Fp4, Dtype::Fp8, &e).unwrap();
        // 671 B parameters, 1.85 B of them embeddings and head: (669.2 · 0.5625 + 1.85) B elements · 0.5 bytes =
        // 176 GiB of "engine" in 4 × 180 GiB; 95% of the 544 GiB left over 2 · 61 layers · 128 heads · 56 dims of
        // fp8 per token (DeepSeek's config has no head_dim: 7,168 / 128) and 2,048 tokens a request is 310
        // requests: 384 sequences per rank (128 · ⌈310 / 128⌉) and 2,048 tokens, four ranks.
        assert_eq!(
            trtllm_bench_limits(&d, 1024, 1024, true),
            (4 * 384, 4 * 2048)
        );
        // Prompts longer than the heuristic's budget: on the PyTorch backend, without chunked prefill, the budget
        // becomes the prompt plus the batch (8,192 + 96 at 8,192/1,024, where 69 requests fit: 96 per rank); the
        // engine flow keeps the heuristic's 2,048.
        assert_eq!(
            trtllm_bench_limits(&d, 8192, 1024, true),
            (4 * 96, 4 * 8288)
        );
        assert_eq!(
            trtllm_bench_limits(&d, 8192, 1024, false),
            (4 * 96, 4 * 2048)
        );
        // An fp8 checkpoint counts one element per parameter.
        let llama = ModelCatalog::get("llama-3.1-70b").unwrap();
        let h100 = GpuCatalog::embedded().get("h100-sxm").unwrap().clone();
        let fp8 = Deployment::new(llama.clone(), h100, 2, Dtype::Fp8, Dtype::Fp8).unwrap();
        assert_eq!(checkpoint_elements(&fp8), llama.params_total() as f64);
    }

    #[test]
    fn stated_limits_are_read_from_the_command() {
        assert_eq!(
            stated_limits(
                "trtllm-bench ... --max_batch_size 128 --max_num_tokens 1151 --num_requests 5120"
            ),
            Some((128, 1151))
        );
        assert_eq!(
            stated_limits("--max_batch_size=384 --max_num_tokens=3072"),
            Some((384, 3072))
        );
        assert_eq!(stated_limits("--max_batch_size 128 only"), None);
        assert_eq!(stated_limits("no flags"), None);
    }
}
