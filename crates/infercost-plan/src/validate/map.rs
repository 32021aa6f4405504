//! From a published row to what infercost simulates: the catalog model and GPU, the layout, dtypes, engine
//! settings, fixed lengths, the load and the metric, or the reason the row cannot be modelled yet.

use super::Row;
use infercost_perf::engine::Figure;
use infercost_perf::{Deployment, Dtype, GpuCatalog, Layout, ModelCatalog};
use infercost_sim::EngineConfig;
use std::fmt;

/// Requests offered at once when the source does not say how many (trtllm-bench's synthetic sets hold a few
/// thousand requests; the figure is the steady state, so ramp-up and drain must be a small part of the run).
pub const DEFAULT_REQUESTS: u32 = 3000;

/// Sequences an engine may batch when the source does not state a limit: large enough that the KV cache, not
/// this cap, bounds the batch, as trtllm-bench's tuned settings and vLLM's larger defaults do.
pub const MAX_NUM_SEQS: u32 = 2048;

/// Tokens per iteration: vLLM's `max_num_batched_tokens` and TensorRT-LLM's `max_num_tokens` default alike
/// (trtllm-bench rows use the tool's own limits, `tuning.rs`).
pub const MAX_BATCHED_TOKENS: u32 = 8192;

/// Why a row is not modelled. Each is a gap of the model or of the source, counted in the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Prefill and decode served on separate multi-node pools, measured apart.
    Disaggregated,
    /// A GPU that is not in `data/gpus.toml`.
    GpuNotInCatalog(String),
    /// A model with neither a catalog entry nor a config in `data/models/`.
    ModelNotInCatalog(String),
    /// A MoE whose expert/attention layout the source does not state.
    MoeLayoutNotStated,
    /// The tensor-parallel degree is not stated.
    LayoutNotStated,
    /// The weight precision is not stated.
    PrecisionNotStated,
    /// Lengths drawn from a dataset (ShareGPT, OpenOrca) whose sampled lengths the source does not publish.
    DatasetLengths,
    /// A metric whose statistic or token type the source does not state.
    MetricNotStated(String),
    /// The stated layout does not fit the model on the GPUs, by infercost's memory accounting.
    DoesNotFit(String),
    /// The run decoded speculatively (DeepSeek's MTP draft layers): tokens per step depend on an acceptance
    /// rate measured on a dataset the source does not publish, and the model decodes one token per step.
    SpeculativeDecoding,
    /// The simulation refused the settings or left requests unserved, so no figure is comparable.
    Unserved(String),
    /// The stated layout cannot run the model on that many GPUs (a degree that does not divide the heads, more
    /// GPUs in the layout than the row has).
    LayoutNotPossible(String),
    /// An engine with no profile in `data/engines.toml`.
    EngineWithoutProfile(String),
    /// A closed loop or batch whose size is not stated as a number.
    LoadNotStated(String),
    /// A sequence (prompt plus output) longer than the model's context (`max_position_embeddings`).
    LongerThanContext(String),
}

impl Reason {
    /// A short label, the same for every row with this reason (the summary counts by it).
    pub fn label(&self) -> &'static str {
        match self {
            Reason::Disaggregated => "multi-node disaggregated serving",
            Reason::GpuNotInCatalog(_) => "GPU not in the catalog",
            Reason::ModelNotInCatalog(_) => "model not in the catalog",
            Reason::MoeLayoutNotStated => "MoE layout not stated (EP/attention DP likely)",
            Reason::LayoutNotStated => "TP not stated",
            Reason::PrecisionNotStated => "precision not stated",
            Reason::DatasetLengths => "dataset lengths (ShareGPT/OpenOrca) not published",
            Reason::MetricNotStated(_) => "statistic or token type not stated",
            Reason::DoesNotFit(_) => "does not fit by infercost's memory accounting",
            Reason::SpeculativeDecoding => {
                "speculative decoding (MTP) with an acceptance rate not published"
            }
            Reason::Unserved(_) => "the simulation did not serve every request",
            Reason::LayoutNotPossible(_) => "layout not possible",
            Reason::EngineWithoutProfile(_) => "engine without a profile",
            Reason::LoadNotStated(_) => "load not stated as a number",
            Reason::LongerThanContext(_) => "longer than the model's context",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::GpuNotInCatalog(x) | Reason::ModelNotInCatalog(x) => {
                write!(f, "{}: {x}", self.label())
            }
            Reason::MetricNotStated(x) | Reason::DoesNotFit(x) | Reason::Unserved(x) => {
                write!(f, "{}: {x}", self.label())
            }
            Reason::LayoutNotPossible(x)
            | Reason::EngineWithoutProfile(x)
            | Reason::LoadNotStated(x)
            | Reason::LongerThanContext(x) => write!(f, "{}: {x}", self.label()),
            _ => f.write_str(self.label()),
        }
    }
}

/// The metric a row publishes, as infercost computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Output tokens per second.
    OutputTokensPerS,
    /// Input plus output tokens per second.
    TotalTokensPerS,
    /// Completed requests per second.
    RequestsPerS,
    /// Median time to first token, ms.
    TtftMedianMs,
    /// Mean time to first token, ms.
    TtftMeanMs,
    /// Median time per output token, ms.
    TpotMedianMs,
    /// Mean inter-token latency, ms (the mean time per output token).
    ItlMeanMs,
    /// Median end-to-end latency, ms (of one fixed batch: the time to finish it).
    E2eMedianMs,
}

/// How requests arrive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Load {
    /// All at t = 0 (infinite rate, offline, or one fixed batch).
    AtOnce,
    /// Poisson arrivals at this many requests per second.
    Poisson(f64),
    /// A closed loop of this many clients, each sending its next request when its last one completes (as
    /// `simulate --concurrency`, `vllm bench serve --max-concurrency`, GuideLLM, genai-perf and AIPerf).
    Closed(u32),
}

/// What one row simulates.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Model, GPU, TP and dtypes of one replica.
    pub deployment: Deployment,
    /// Replicas: GPUs over TP.
    pub replicas: u32,
    /// Engine settings of each replica.
    pub engine: EngineConfig,
    /// Prompt tokens of every request.
    pub input_tokens: u32,
    /// Output tokens of every request.
    pub output_tokens: u32,
    /// Arrivals.
    pub load: Load,
    /// Requests offered.
    pub requests: u32,
    /// What to report.
    pub metric: Metric,
    /// Divides a throughput to the published scope (the GPU count for a per-GPU figure, else 1).
    pub scope_divisor: f64,
}

/// Maps a published GPU name (any case) to the catalog's: the sources' names for the SXM parts, else any name
/// in the GPU catalog (`h100-pcie`, `l4`, `mi300x`).
pub fn catalog_gpu(name: &str) -> Option<String> {
    let name = name.trim().to_ascii_lowercase();
    Some(match name.as_str() {
        // A source that says only "H100" ran the 80 GB SXM part in every row here; the PCIe part is slower.
        "h100-sxm" | "h100" => "h100-sxm".into(),
        "h200-sxm" | "h200" => "h200".into(),
        "b200-sxm" | "b200" => "b200".into(),
        other => GpuCatalog::embedded().get(other).ok()?.name.clone(),
    })
}

/// Maps a Hugging Face model name to a catalog model with the same architecture (fine-tunes, quantised
/// checkpoints and re-releases of one architecture share it: Llama 3.3 70B and Llama 3 70B are Llama 3.1 70B's
/// shape, DeepSeek-R1 is DeepSeek-V3's).
pub fn catalog_model(hf_name: &str) -> Option<&'static str> {
    let base = hf_name.rsplit('/').next()?.to_ascii_lowercase();
    const PREFIXES: [(&str, &str); 14] = [
        ("llama-3.1-8b", "llama-3.1-8b"),
        ("meta-llama-3.1-8b", "llama-3.1-8b"),
        ("llama-3.1-70b", "llama-3.1-70b"),
        ("llama-3.3-70b", "llama-3.1-70b"),
        ("meta-llama-3-70b", "llama-3.1-70b"),
        ("llama-3.1-405b", "llama-3.1-405b"),
        ("mixtral-8x7b", "mixtral-8x7b"),
        ("mixtral-8x22b", "mixtral-8x22b"),
        ("qwen3-235b-a22b", "qwen3-235b-a22b"),
        ("qwen3-30b-a3b", "qwen3-30b-a3b"),
        ("qwen3-32b", "qwen3-32b"),
        ("qwen3-14b", "qwen3-14b"),
        ("deepseek-v3", "deepseek-v3"),
        ("deepseek-r1", "deepseek-v3"),
    ];
    if base == "gpt-oss-120b" {
        return Some("gpt-oss-120b");
    }
    PREFIXES
        .iter()
        .find(|(p, _)| base.starts_with(p))
        .map(|(_, c)| *c)
}

/// Weight precision: fp4 on fp4 tensor cores where the GPU has them, else dequantised (weight-only, as
/// MXFP4 runs on Hopper); `Err` for a precision not stated.
fn weights(s: &str, gpu: &infercost_perf::Gpu) -> Result<Dtype, Reason> {
    match s {
        "bf16" | "fp16" => Ok(Dtype::Bf16),
        "fp8" => Ok(Dtype::Fp8),
        "int4" => Ok(Dtype::Int4),
        "fp4" if gpu.fp4_tflops.is_some() => Ok(Dtype::Fp4),
        "fp4" => Ok(Dtype::Fp4Wo),
        _ => Err(Reason::PrecisionNotStated),
    }
}

/// The engine profile a row is modelled with: its own engine's (vllm, sglang, trtllm), vLLM's otherwise.
pub fn engine_profile(engine: &str) -> infercost_perf::EngineProfile {
    let engines = infercost_perf::EngineCatalog::embedded();
    match engines.get(engine) {
        Ok(p) => p.clone(),
        Err(_) => infercost_perf::engine::EngineCatalog::default_engine().clone(),
    }
}

/// KV-cache dtype: fp8 when stated. Unstated, the checkpoint decides: an fp8 or fp4 checkpoint exported by
/// NVIDIA's Model Optimizer carries an fp8 KV cache (its `hf_ptq.py` quantises the cache to fp8 unless told
/// otherwise: `--kv_cache_qformat` defaults to `fp8`, "Always turn on FP8 kv cache to save memory footprint"),
/// which TensorRT-LLM runs as the checkpoint's `kv_cache_quant_algo`; anything else keeps the model's 16-bit
/// dtype (the engines' default, `auto`).
fn kv_dtype(r: &Row) -> Dtype {
    let modelopt = r.notes.contains("ModelOpt checkpoint nvidia/")
        && matches!(r.weights.as_str(), "fp8" | "fp4");
    if r.kv_dtype.starts_with("fp8") || (!kv_stated(&r.kv_dtype) && modelopt) {
        Dtype::Fp8
    } else {
        Dtype::Bf16
    }
}

/// Whether the source states the KV-cache dtype (rather than `auto` or nothing).
pub fn kv_stated(s: &str) -> bool {
    !matches!(kv_label(s), "n/s" | "auto")
}

/// The KV dtype as shown in the table.
pub fn kv_label(s: &str) -> &str {
    match s.split_whitespace().next().unwrap_or("") {
        "" => "n/s",
        "bf16/fp16" => "bf16",
        w => w,
    }
}

/// A degree column: empty or `1` is none.
fn degree(s: &str) -> Option<u32> {
    match s {
        "" => Some(1),
        _ => s.parse().ok(),
    }
}

/// The layout as published.
pub fn layout_label(r: &Row) -> String {
    let mut s = format!("TP{}", r.tp);
    if !matches!(r.pp.as_str(), "" | "1") {
        s += &format!(" PP{}", r.pp);
    }
    if !r.ep.is_empty() {
        s += &format!(" EP{}", r.ep);
    }
    if r.attention_dp == "yes" {
        s += " DP-attn";
    }
    s
}

/// The load as published, shortly.
pub fn load_label(r: &Row) -> String {
    match r.load.as_str() {
        "max_throughput" => "max".into(),
        "rate" => format!("rate {}/s", r.load_value),
        "concurrency" if r.load_value.contains("fixed batch") => {
            format!("batch {}", leading_number(&r.load_value).unwrap_or(0))
        }
        "concurrency" => format!("conc {}", r.load_value),
        other => other.into(),
    }
}

/// The whole number a text starts with.
fn leading_number(s: &str) -> Option<u32> {
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// The prompts of a burst sent at once, as a load is written "burst of 500 prompts" or "200 prompts offline": a
/// burst's throughput includes its ramp-up and drain, so the count matters.
fn burst_size(load_value: &str) -> Option<u32> {
    let rest = load_value.strip_prefix("burst of ").unwrap_or(load_value);
    let (count, unit) = rest.split_once(' ')?;
    unit.starts_with("prompts")
        .then(|| count.replace(',', "").parse().ok())
        .flatten()
        .filter(|n| *n > 0)
}

/// The request count a source states as "with N requests" in its notes (a count quoted from an example
/// elsewhere on the page does not count).
fn stated_requests(notes: &str) -> Option<u32> {
    let at = notes.find("with ")? + "with ".len();
    let (count, rest) = notes[at..].split_once(' ')?;
    if !rest.starts_with("requests") {
        return None;
    }
    count.replace(',', "").parse().ok()
}

/// The engine profile a row runs: its engine's, with the CUDA graphs and KV memory fraction its source's
/// command states.
fn row_profile(r: &Row) -> infercost_perf::EngineProfile {
    let mut profile = engine_profile(&r.engine);
    let stated = |value: String| format!("as the row's source states it: {value}");
    if let Some((sizes, padding)) = stated_graphs(&r.notes) {
        profile.cuda_graphs.value = true;
        profile.graph_padding = Figure {
            value: padding,
            source: stated(format!("padding {padding}")),
        };
        profile.graph_batch_sizes = Figure {
            source: stated(format!("batch sizes {sizes}")),
            value: sizes,
        };
    }
    if let Some(fraction) = stated_flag(&r.notes, "--kv_cache_free_gpu_mem_fraction") {
        profile.gpu_memory_utilization = Figure {
            value: fraction,
            source: stated(format!("--kv_cache_free_gpu_mem_fraction {fraction}")),
        };
    }
    profile
}

/// The deployment with the CUDA graphs its row states cut to the largest batch the scheduler runs (`max_seqs` a replica,
/// over its data-parallel attention ranks and pipeline micro-batches): TensorRT-LLM pads a batch only when the
/// padded batch stays within its `max_batch_size`, so a batch that would pad beyond it runs eagerly.
fn graphs_within(
    d: Deployment,
    profile: &infercost_perf::EngineProfile,
    max_seqs: u32,
) -> Result<Deployment, Reason> {
    let ranks = if d.layout.attention_dp {
        d.layout.tp
    } else {
        1
    } * d.layout.pp;
    let most = (max_seqs / ranks).max(1);
    let sizes = infercost_perf::graphs::parse_sizes(&profile.graph_batch_sizes.value)
        .map_err(|e| Reason::LayoutNotPossible(e.to_string()))?;
    let kept: Vec<String> = sizes
        .iter()
        .filter(|&&s| s <= most)
        .map(u32::to_string)
        .collect();
    let mut capped = profile.clone();
    capped.graph_batch_sizes.value = kept.join(",");
    d.with_engine(&capped)
        .map_err(|e| Reason::LayoutNotPossible(e.to_string()))
}

/// The CUDA-graph batch sizes a source's configuration captures and whether it pads, as its notes quote them
/// ("CUDA graphs with padding, batch sizes [1, 2, 4, 8]": TensorRT-LLM's `cuda_graph_config`), as a profile's
/// size list.
fn stated_graphs(notes: &str) -> Option<(String, bool)> {
    let at = notes.find("CUDA graphs")?;
    let clause = notes[at..].split(';').next()?;
    let (_, list) = clause.split_once("batch sizes [")?;
    let (list, _) = list.split_once(']')?;
    let sizes: Vec<u32> = list
        .split(',')
        .map(|n| n.trim().parse().ok().filter(|n| *n > 0))
        .collect::<Option<_>>()?;
    let spec: Vec<String> = sizes.iter().map(u32::to_string).collect();
    Some((spec.join(","), clause.contains("with padding")))
}

/// A flag's number in a command quoted in a row's notes (`--flag 0.85`, `--flag=0.85`).
fn stated_flag(notes: &str, flag: &str) -> Option<f64> {
    let at = notes.find(flag)? + flag.len();
    let value: String = notes[at..]
        .trim_start_matches([' ', '='])
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    value.parse().ok().filter(|v: &f64| *v > 0.0 && *v <= 1.0)
}

/// The metric, or why it cannot be computed.
fn metric(name: &str) -> Result<Metric, Reason> {
    Ok(match name {
        "output_tokens_per_s" => Metric::OutputTokensPerS,
        "total_tokens_per_s" => Metric::TotalTokensPerS,
        "requests_per_s" => Metric::RequestsPerS,
        "ttft_ms_median" => Metric::TtftMedianMs,
        "ttft_ms_mean" => Metric::TtftMeanMs,
        "tpot_ms_median" => Metric::TpotMedianMs,
        "itl_ms_mean" => Metric::ItlMeanMs,
        "e2e_latency_ms_median" => Metric::E2eMedianMs,
        "prefill_input_tokens_per_s" | "decode_output_tokens_per_s" => {
            return Err(Reason::Disaggregated)
        }
        other => return Err(Reason::MetricNotStated(other.into())),
    })
}

/// The layout as published: TP stated, pipeline stages, and for a MoE model its expert parallelism and whether
/// attention is data-parallel (both must be stated: engines differ in what they do by default).
fn layout(r: &Row, moe: bool) -> Result<Layout, Reason> {
    let pp = degree(&r.pp).ok_or(Reason::LayoutNotStated)?;
    let ep = degree(&r.ep);
    if moe && (ep.is_none() || r.attention_dp == "n/s") {
        return Err(Reason::MoeLayoutNotStated);
    }
    let tp =
        r.tp.parse::<u32>()
            .ok()
            .filter(|&t| t >= 1)
            .ok_or(Reason::LayoutNotStated)?;
    // Data-parallel attention over a stage of one GPU is that GPU's own attention: the page's "TP1 DP-attn" is TP1.
    let attention_dp = r.attention_dp == "yes" && tp > 1;
    Ok(Layout {
        tp,
        pp,
        // Data-parallel attention spreads the experts over the stage, as every engine that offers it does.
        ep: match ep {
            Some(1) | None if attention_dp => tp,
            Some(e) => e,
            None => 1,
        },
        attention_dp,
    })
}

/// The simulation settings of a row, or the reason it cannot be modelled yet. The checks run from the most
/// fundamental gap (serving the model does not support) to the least (a load mode not built yet), so each row
/// is counted once, under its deepest gap.
pub fn setup(r: &Row) -> Result<Setup, Reason> {
    let metric = metric(&r.metric);
    if metric == Err(Reason::Disaggregated) {
        return Err(Reason::Disaggregated);
    }
    let gpu_name = catalog_gpu(&r.gpu).ok_or_else(|| Reason::GpuNotInCatalog(r.gpu.clone()))?;
    let gpu_name = gpu_name.as_str();
    let model_name =
        catalog_model(&r.model).ok_or_else(|| Reason::ModelNotInCatalog(r.model.clone()))?;
    let gpu = GpuCatalog::embedded()
        .get(gpu_name)
        .map_err(|e| Reason::GpuNotInCatalog(e.to_string()))?
        .clone();
    let model =
        ModelCatalog::get(model_name).map_err(|e| Reason::ModelNotInCatalog(e.to_string()))?;
    // MTP draft layers (`num_nextn_predict_layers`) propose several tokens a step; how many are accepted is the
    // real dataset's, which the source does not state.
    if r.notes.contains("num_nextn_predict_layers") {
        return Err(Reason::SpeculativeDecoding);
    }
    let layout = layout(r, model.moe.is_some())?;
    let w = weights(&r.weights, &gpu)?;
    let (load, requests) = load(r)?;
    let (Ok(input_tokens), Ok(output_tokens)) =
        (r.input_len.parse::<u32>(), r.output_len.parse::<u32>())
    else {
        return Err(Reason::DatasetLengths);
    };
    let metric = metric?;
    let span = input_tokens as u64 + output_tokens as u64;
    if span > model.max_position {
        return Err(Reason::LongerThanContext(format!(
            "{input_tokens} + {output_tokens} tokens, {} holds {}",
            model.name, model.max_position
        )));
    }
    if infercost_perf::EngineCatalog::embedded()
        .get(&r.engine)
        .is_err()
    {
        return Err(Reason::EngineWithoutProfile(r.engine.clone()));
    }
    if r.num_gpus % layout.gpus() != 0 {
        return Err(Reason::LayoutNotPossible(format!(
            "num_gpus {} is not a whole number of {}-GPU replicas",
            r.num_gpus,
            layout.gpus()
        )));
    }
    let profile = row_profile(r);
    let deployment = Deployment::for_engine(model, gpu, layout, w, kv_dtype(r), &profile)
        .map_err(|e| Reason::LayoutNotPossible(e.to_string()))?;
    let max_model_len = input_tokens + output_tokens;
    // trtllm-bench sizes its own batch limits when a run names none; other benchmarks run the engine's defaults,
    // which the KV cache, not a sequence cap, bounds here.
    // A command's own limits come first, per attention-DP rank as TensorRT-LLM applies them.
    let (max_seqs, max_tokens) = if let Some((bs, tokens)) = super::tuning::stated_limits(&r.notes)
    {
        super::tuning::per_replica(&deployment, bs, tokens)
    } else if r.notes.contains("trtllm-bench") {
        let pytorch = r.engine_version.contains("PyTorch") || r.notes.contains("PyTorch backend");
        super::tuning::trtllm_bench_limits(&deployment, input_tokens, output_tokens, pytorch)
    } else {
        (MAX_NUM_SEQS, MAX_BATCHED_TOKENS)
    };
    let deployment = if stated_graphs(&r.notes).is_some() {
        graphs_within(deployment, &profile, max_seqs)?
    } else {
        deployment
    };
    let util = memory_utilization(&deployment, max_tokens);
    deployment
        .check_fits(util, max_tokens as u64, max_model_len, None)
        .map_err(|e| Reason::DoesNotFit(e.to_string()))?;
    let engine = EngineConfig::for_deployment(&deployment, util, max_tokens)
        .with_max_num_seqs(max_seqs.min(requests.max(1)))
        .with_prefix_caching(false)
        .with_max_model_len(Some(max_model_len));
    let per_gpu = r.unit.contains("per GPU");
    Ok(Setup {
        replicas: (r.num_gpus / layout.gpus()).max(1),
        deployment,
        engine,
        input_tokens,
        output_tokens,
        load,
        requests,
        metric,
        scope_divisor: if per_gpu { r.num_gpus as f64 } else { 1.0 },
    })
}

/// The load and the number of requests: a closed loop sends the stated count, or eight requests per client
/// (at least 200) so that the clients' start-up is a small part of the run.
fn load(r: &Row) -> Result<(Load, u32), Reason> {
    let stated = stated_requests(&r.notes);
    match r.load.as_str() {
        "max_throughput" => Ok((
            Load::AtOnce,
            stated
                .or_else(|| burst_size(&r.load_value))
                .unwrap_or(DEFAULT_REQUESTS),
        )),
        "rate" => match r.load_value.parse::<f64>() {
            Ok(rps) if rps > 0.0 => Ok((Load::Poisson(rps), stated.unwrap_or(DEFAULT_REQUESTS))),
            _ => Err(Reason::LoadNotStated(format!("rate {:?}", r.load_value))),
        },
        // A fixed batch (vLLM's latency benchmark) is one set of requests sent together, not a loop of clients.
        "concurrency" if r.load_value.contains("fixed batch") => {
            Ok((Load::AtOnce, leading_number(&r.load_value).unwrap_or(1)))
        }
        "concurrency" => match leading_number(&r.load_value) {
            Some(n) if n >= 1 => Ok((Load::Closed(n), stated.unwrap_or((n * 8).max(200)))),
            _ => Err(Reason::LoadNotStated(format!(
                "concurrency {:?}",
                r.load_value
            ))),
        },
        other => Err(Reason::LoadNotStated(format!("load {other:?}"))),
    }
}

/// The share of each GPU's memory the deployment's engine takes, from its profile: vLLM 90% and SGLang 88% of
/// the whole memory; TensorRT-LLM loads the weights first and gives 90% of the memory left to the KV cache
/// (`kv_cache_free_gpu_mem_fraction`).
pub fn memory_utilization(d: &Deployment, max_batched_tokens: u32) -> f64 {
    infercost_perf::engine::total_memory_fraction(
        d,
        d.engine.gpu_memory_utilization.value,
        max_batched_tokens as u64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_the_catalog() {
        assert_eq!(catalog_gpu("h100").as_deref(), Some("h100-sxm"));
        assert_eq!(catalog_gpu("H200-SXM").as_deref(), Some("h200"));
        assert_eq!(catalog_gpu("l4").as_deref(), Some("l4"));
        assert_eq!(catalog_gpu("h100-pcie").as_deref(), Some("h100-pcie"));
        assert_eq!(catalog_gpu("gb200"), None);
        assert_eq!(
            catalog_model("meta-llama/Llama-3.3-70B-Instruct"),
            Some("llama-3.1-70b")
        );
        assert_eq!(
            catalog_model("deepseek-ai/DeepSeek-R1-0528"),
            Some("deepseek-v3")
        );
        assert_eq!(catalog_model("Qwen/Qwen3-32B-AWQ"), Some("qwen3-32b"));
        assert_eq!(catalog_model("Qwen/Qwen3-14B-FP8"), Some("qwen3-14b"));
        assert_eq!(catalog_model("meta-llama/Llama-2-70b-chat-hf"), None);
        assert_eq!(catalog_model("moonshotai/Kimi-K2-Instruct"), None);
        assert_eq!(
            stated_requests("version 0.14.0, with 500 requests and"),
            Some(500)
        );
        assert_eq!(stated_requests("no count here"), None);
        assert_eq!(
            stated_requests("equals 3000 requests x 128 output tokens"),
            None
        );
        assert_eq!(leading_number("8 (fixed batch)"), Some(8));
        assert_eq!(burst_size("burst of 500 prompts"), Some(500));
        assert_eq!(
            burst_size("burst of 1000 prompts (984 successful)"),
            Some(1000)
        );
        assert_eq!(burst_size("200 prompts offline"), Some(200));
        assert_eq!(burst_size("burst of many prompts"), None);
        assert_eq!(burst_size("inf"), None);
        assert_eq!(
            stated_graphs("x; CUDA graphs with padding, batch sizes [1, 2, 384]; kv 0.95"),
            Some(("1,2,384".into(), true))
        );
        assert_eq!(
            stated_graphs("CUDA graphs without padding, batch sizes [128]"),
            Some(("128".into(), false))
        );
        assert_eq!(
            stated_graphs("CUDA graphs with padding; batch sizes [64]"),
            None
        );
        assert_eq!(stated_graphs("CUDA graphs, batch sizes [1, x]"), None);
        assert_eq!(stated_graphs("no graphs stated"), None);
        assert_eq!(
            stated_flag(
                "--kv_cache_free_gpu_mem_fraction 0.85;",
                "--kv_cache_free_gpu_mem_fraction"
            ),
            Some(0.85)
        );
        assert_eq!(
            stated_flag(
                "fraction 0.95 'in many cases'",
                "--kv_cache_free_gpu_mem_fraction"
            ),
            None
        );
    }
}
