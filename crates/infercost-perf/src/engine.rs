//! Serving-engine profiles (`data/engines.toml`) and the kernel fits they draw on (`data/kernel_fits.toml`).
//!
//! An engine profile holds what differs between engines beyond the speed of their kernels: the per-step CPU
//! work, whether decode steps replay CUDA graphs and up to which batch, the CPU cost of launching kernels
//! eagerly, which all-reduce tensor parallelism uses, and the scheduler's defaults. Every figure carries its
//! source. The kernel fits are a few numbers per engine × GPU × dtype (GEMM) and per engine × GPU × backend
//! (all-reduce), fitted to operator times measured inside vLLM and TensorRT-LLM (docs/CALIBRATION.md).

pub use crate::efficiency::{all_reduce_kernels, eager_all_reduce_s, efficiency};
use crate::graphs::CudaGraphs;
use crate::PerfError;
use serde::{Deserialize, Serialize};

/// A figure and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figure<T> {
    /// The value.
    pub value: T,
    /// Its source.
    pub source: String,
}

/// Where an engine's KV-cache memory fraction applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KvMemory {
    /// A fraction of all GPU memory (vLLM's `gpu_memory_utilization`, SGLang's `mem_fraction_static`).
    Total,
    /// A fraction of the memory the weights leave (TensorRT-LLM's `free_gpu_memory_fraction`).
    Free,
}

/// One engine's profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineProfile {
    /// The name `--engine` takes.
    pub name: String,
    /// What the profile stands for.
    pub description: String,
    /// Whose measured kernels set the GEMM efficiencies (`vllm` or `trtllm`).
    pub kernels: String,
    /// The all-reduce tensor parallelism uses: `custom-graph`, `custom-eager` or `trtllm`.
    pub all_reduce: Figure<String>,
    /// Whether decode steps replay captured CUDA graphs.
    pub cuda_graphs: Figure<bool>,
    /// Captured batch sizes ([`crate::graphs::parse_sizes`]); a batch above the largest runs eagerly.
    pub graph_batch_sizes: Figure<String>,
    /// Whether a decode batch between captured sizes is padded up to the next (else it runs eagerly).
    pub graph_padding: Figure<bool>,
    /// Whether iterations with prompt tokens replay graphs too (else they run eagerly).
    pub graph_prompts: Figure<bool>,
    /// CPU work per iteration outside the kernels, seconds.
    pub step_overhead_s: Figure<f64>,
    /// CPU work per running sequence per iteration, seconds.
    pub step_overhead_per_seq_s: Figure<f64>,
    /// CPU cost of one eager kernel launch, seconds.
    pub launch_s: Figure<f64>,
    /// Compute kernels one decoder layer launches eagerly (all-reduces apart).
    pub kernels_per_layer: Figure<u32>,
    /// Default most sequences per batch.
    pub max_num_seqs: Figure<u32>,
    /// Default token budget per iteration.
    pub max_batched_tokens: Figure<u32>,
    /// Default memory fraction (see `kv_memory`).
    pub gpu_memory_utilization: Figure<f64>,
    /// What the memory fraction is a fraction of.
    pub kv_memory: KvMemory,
    /// What the scheduler does when the KV cache would run out: `preempt` or `guaranteed-no-evict`.
    pub capacity_policy: Figure<String>,
    /// How expert parallelism under data-parallel attention moves tokens to the experts and back: `all-to-all`
    /// (each token to the GPUs of its experts) or `allgather-reducescatter` (every token to every GPU).
    pub ep_communication: Figure<String>,
    /// How an iteration that mixes prompts and decoding sequences runs their attention: `separate` (the prompts'
    /// kernels, then the decoders': their times add) or `fused` (one kernel over all sequences: the prompts'
    /// compute and the decoders' cache reads overlap).
    pub mixed_attention: Figure<String>,
    /// Whether a residual add and the RMSNorm after it run as one kernel (one read of the input and the residual,
    /// one write of each), rather than an add and a norm.
    pub fused_add_norm: Figure<bool>,
    /// Whether the rotary embedding is applied inside the attention kernels rather than by a kernel of its own.
    pub rope_in_attention: Figure<bool>,
}

impl EngineProfile {
    /// The iterations that replay CUDA graphs, and at what batch ([`CudaGraphs`]).
    pub fn graphs(&self) -> Result<CudaGraphs, String> {
        if !self.cuda_graphs.value {
            return Ok(CudaGraphs::none());
        }
        CudaGraphs::new(
            &self.graph_batch_sizes.value,
            self.graph_padding.value,
            self.graph_prompts.value,
        )
    }

    /// Whether expert parallelism under data-parallel attention gathers every token to every GPU and
    /// reduce-scatters the outputs back (else an all-to-all sends each token to its experts' GPUs only).
    #[inline]
    pub fn ep_gathers(&self) -> bool {
        self.ep_communication.value == "allgather-reducescatter"
    }

    /// Whether a mixed iteration runs its prompts' attention and its decoders' as separate kernels, one after the
    /// other (else one kernel covers both).
    #[inline]
    pub fn separate_mixed_attention(&self) -> bool {
        self.mixed_attention.value == "separate"
    }

    /// Whether the scheduler admits a request only when its whole sequence's KV blocks can be guaranteed
    /// (TensorRT-LLM's `GUARANTEED_NO_EVICT`), so that nothing is ever preempted.
    #[inline]
    pub fn no_evict(&self) -> bool {
        self.capacity_policy.value == "guaranteed-no-evict"
    }

    /// The figures' sources by name, for checks and reports.
    pub fn sources(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("all_reduce", &self.all_reduce.source),
            ("cuda_graphs", &self.cuda_graphs.source),
            ("graph_batch_sizes", &self.graph_batch_sizes.source),
            ("graph_padding", &self.graph_padding.source),
            ("graph_prompts", &self.graph_prompts.source),
            ("step_overhead_s", &self.step_overhead_s.source),
            (
                "step_overhead_per_seq_s",
                &self.step_overhead_per_seq_s.source,
            ),
            ("launch_s", &self.launch_s.source),
            ("kernels_per_layer", &self.kernels_per_layer.source),
            ("max_num_seqs", &self.max_num_seqs.source),
            ("max_batched_tokens", &self.max_batched_tokens.source),
            (
                "gpu_memory_utilization",
                &self.gpu_memory_utilization.source,
            ),
            ("capacity_policy", &self.capacity_policy.source),
            ("ep_communication", &self.ep_communication.source),
            ("mixed_attention", &self.mixed_attention.source),
            ("fused_add_norm", &self.fused_add_norm.source),
            ("rope_in_attention", &self.rope_in_attention.source),
        ]
    }
}

/// A GEMM fit: achieved efficiencies of one engine's GEMMs on one GPU in one dtype.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GemmFit {
    /// `vllm` or `trtllm`.
    pub engine: String,
    /// The measured GPU (`h100`, `h200`, `b200`, `l40s`, `a100`).
    pub gpu: String,
    /// `bf16`, `fp8` or `nvfp4`.
    pub dtype: String,
    /// Largest achieved fraction of the dtype's peak.
    pub compute_max: f64,
    /// Tokens at half that efficiency.
    pub compute_half_tokens: f64,
    /// Achieved fraction of HBM bandwidth.
    pub memory: f64,
    /// Fixed time of one GEMM, microseconds.
    pub launch_us: f64,
    /// Samples fitted.
    pub samples: usize,
    /// Median |relative error| of the fit on its samples.
    pub median: f64,
    /// 90th-percentile |relative error|.
    pub p90: f64,
}

/// An all-reduce fit: the ring formula `fixed + 2(k−1)·step + 2(k−1)/k · bytes / (link · link_eff)` (the
/// all-to-all and pipeline sends use its link efficiency; the eager backend's latency is host work) and the
/// measured knots the iteration model interpolates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllReduceFit {
    /// `vllm` or `trtllm`.
    pub engine: String,
    /// The measured GPU.
    pub gpu: String,
    /// `graph` or `eager`.
    pub backend: String,
    /// Achieved fraction of the link bandwidth.
    pub link: f64,
    /// Latency per ring step, microseconds.
    pub step_us: f64,
    /// Fixed latency per call, microseconds.
    pub fixed_us: f64,
    /// Samples fitted.
    pub samples: usize,
    /// Median |relative error| of the formula.
    pub median: f64,
    /// 90th-percentile |relative error| of the formula.
    pub p90: f64,
    /// Measured times `[gpus, message bytes, microseconds]` at every second measured message size (4× apart) and the
    /// largest, per GPU count; the iteration model interpolates linearly in bytes between them ([`crate::comm`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub knots: Vec<[f64; 3]>,
    /// Median |relative error| of that interpolation on the sizes between the knots.
    #[serde(default)]
    pub knots_median: f64,
    /// 90th-percentile |relative error| of the interpolation on the sizes between the knots.
    #[serde(default)]
    pub knots_p90: f64,
}

/// A decode-attention fit: `fixed + KV bytes / (bandwidth · memory)` per kernel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttentionCheck {
    /// `vllm` or `trtllm`.
    pub engine: String,
    /// The measured GPU.
    pub gpu: String,
    /// Achieved fraction of HBM bandwidth reading the KV cache.
    pub memory: f64,
    /// Fixed time of one attention kernel, microseconds.
    pub fixed_us: f64,
    /// Samples compared.
    pub samples: usize,
    /// Median |relative error|.
    pub median: f64,
    /// 90th-percentile |relative error|.
    pub p90: f64,
}

/// A decode-attention fit of multi-head latent attention (DeepSeek's MLA, absorbed: scores and values in the
/// 512 + 64-wide latent): `max(FLOPs / (16-bit peak · compute), latent bytes / (bandwidth · memory)) + fixed` per
/// kernel, per KV-cache dtype.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlaFit {
    /// `vllm` or `trtllm`.
    pub engine: String,
    /// The measured GPU.
    pub gpu: String,
    /// KV-cache dtype, `bf16` or `fp8`.
    pub kv: String,
    /// Achieved fraction of the 16-bit tensor peak.
    pub compute: f64,
    /// Achieved fraction of HBM bandwidth reading the latents.
    pub memory: f64,
    /// Fixed time of one kernel, microseconds.
    pub fixed_us: f64,
    /// Samples fitted.
    pub samples: usize,
    /// Median |relative error|.
    pub median: f64,
    /// 90th-percentile |relative error|.
    pub p90: f64,
}

/// A prefill (context) attention fit: one causal prompt of `s` tokens at `fixed + FLOPs / (16-bit peak · compute ·
/// s / (s + half_len))` per kernel, per attention dtype. Attention kernels reach their speed only over long prompts
/// (the score tiles of a short one are few), and their fp8 kernels run near their 16-bit ones: neither is the GEMMs'.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextAttentionFit {
    /// `vllm` or `trtllm`.
    pub engine: String,
    /// The measured GPU.
    pub gpu: String,
    /// The attention dtype, `bf16` or `fp8`.
    pub dtype: String,
    /// Achieved fraction of the 16-bit tensor peak over long prompts.
    pub compute: f64,
    /// The prompt length at which half of it is reached, tokens.
    pub half_len: f64,
    /// Fixed time of one kernel, microseconds.
    pub fixed_us: f64,
    /// Samples fitted.
    pub samples: usize,
    /// Median |relative error|.
    pub median: f64,
    /// 90th-percentile |relative error|.
    pub p90: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EngineFile {
    engine: Vec<EngineProfile>,
}

/// The kernel fits shipped in `data/kernel_fits.toml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KernelFits {
    /// GEMM fits.
    pub gemm: Vec<GemmFit>,
    /// All-reduce fits.
    pub all_reduce: Vec<AllReduceFit>,
    /// Decode-attention fits.
    #[serde(default)]
    pub decode_attention: Vec<AttentionCheck>,
    /// Fused MoE layer fits.
    #[serde(default)]
    pub moe: Vec<crate::moe::MoeFit>,
    /// MLA decode-attention fits.
    #[serde(default)]
    pub mla_decode: Vec<MlaFit>,
    /// Expert-parallel imbalance fits.
    #[serde(default)]
    pub moe_ep: Vec<crate::moe::MoeEpFit>,
    /// Prefill (context) attention fits.
    #[serde(default)]
    pub context_attention: Vec<ContextAttentionFit>,
    /// Measured expert shapes' scales on their fused MoE fits.
    #[serde(default)]
    pub moe_shape: Vec<crate::moe::MoeShapeFit>,
}

const ENGINES: &str = include_str!("../../../data/engines.toml");
const FITS: &str = include_str!("../../../data/kernel_fits.toml");

/// The largest 90th-percentile error of a kernel fit the model uses.
pub const USABLE_P90: f64 = 0.5;

/// The name of the default engine.
pub const DEFAULT_ENGINE: &str = "vllm";

/// Every engine profile.
#[derive(Debug, Clone)]
pub struct EngineCatalog {
    engines: Vec<EngineProfile>,
}

impl EngineCatalog {
    /// The profiles shipped in `data/engines.toml`.
    pub fn embedded() -> EngineCatalog {
        // The embedded file is tested; a parse failure is a build defect, not user input.
        EngineCatalog::parse(ENGINES, "data/engines.toml")
            .expect("embedded data/engines.toml is valid")
    }

    /// Parses a profile file's text; every figure must name a source.
    pub fn parse(text: &str, source_name: &str) -> Result<EngineCatalog, PerfError> {
        let invalid = |message: String| PerfError::Invalid {
            source_name: source_name.to_string(),
            message,
        };
        let f: EngineFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        for e in &f.engine {
            if let Some((k, _)) = e.sources().iter().find(|(_, s)| s.trim().is_empty()) {
                return Err(invalid(format!("engine {:?}: {k} has no source", e.name)));
            }
            if let Err(m) = e.graphs() {
                return Err(invalid(format!("engine {:?}: {m}", e.name)));
            }
            let choices: [(&str, &str, &[&str]); 4] = [
                (
                    "all_reduce",
                    &e.all_reduce.value,
                    &["custom-graph", "custom-eager", "trtllm"],
                ),
                (
                    "capacity_policy",
                    &e.capacity_policy.value,
                    &["preempt", "guaranteed-no-evict"],
                ),
                (
                    "ep_communication",
                    &e.ep_communication.value,
                    &["all-to-all", "allgather-reducescatter"],
                ),
                (
                    "mixed_attention",
                    &e.mixed_attention.value,
                    &["separate", "fused"],
                ),
            ];
            for (key, value, allowed) in choices {
                if !allowed.contains(&value) {
                    let (last, rest) = allowed.split_last().unwrap_or((&"", &[]));
                    return Err(invalid(format!(
                        "engine {:?}: {key} must be {} or {last}",
                        e.name,
                        rest.join(", ")
                    )));
                }
            }
        }
        Ok(EngineCatalog { engines: f.engine })
    }

    /// Every profile, in file order.
    pub fn all(&self) -> &[EngineProfile] {
        &self.engines
    }

    /// The names, comma-separated.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.engines.iter().map(|e| e.name.as_str()).collect();
        names.join(", ")
    }

    /// A profile by name (case-insensitive).
    pub fn get(&self, name: &str) -> Result<&EngineProfile, PerfError> {
        self.engines
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| PerfError::Unknown {
                kind: "engine",
                name: name.to_string(),
                known: self.names(),
            })
    }

    /// The default profile (vLLM), parsed once.
    pub fn default_engine() -> &'static EngineProfile {
        static DEFAULT: std::sync::OnceLock<EngineProfile> = std::sync::OnceLock::new();
        // vllm is in the embedded file (tested).
        DEFAULT.get_or_init(|| {
            EngineCatalog::embedded()
                .get(DEFAULT_ENGINE)
                .expect("the embedded catalog has vllm")
                .clone()
        })
    }
}

impl KernelFits {
    /// The fits shipped in `data/kernel_fits.toml`, parsed once.
    pub fn embedded() -> &'static KernelFits {
        static FITS_PARSED: std::sync::OnceLock<KernelFits> = std::sync::OnceLock::new();
        // The embedded file is tested; a parse failure is a build defect.
        FITS_PARSED
            .get_or_init(|| toml::from_str(FITS).expect("embedded data/kernel_fits.toml is valid"))
    }

    fn gemm_of(&self, engine: &str, gpu: &str, dtype: &str) -> Option<&GemmFit> {
        self.gemm
            .iter()
            .find(|f| f.engine == engine && f.gpu == gpu && f.dtype == dtype)
    }

    /// The GEMM fit for an engine's kernels on a GPU in a dtype, falling back to vLLM's kernels on that GPU.
    pub fn gemm(&self, kernels: &str, gpu: &str, dtype: &str) -> Option<&GemmFit> {
        self.gemm_of(kernels, gpu, dtype)
            .or_else(|| self.gemm_of("vllm", gpu, dtype))
    }

    /// The decode-attention fit of an engine's kernels on a GPU, falling back to vLLM's.
    pub fn attention(&self, kernels: &str, gpu: &str) -> Option<&AttentionCheck> {
        let of = |e: &str| {
            self.decode_attention
                .iter()
                .find(|f| f.engine == e && f.gpu == gpu)
        };
        of(kernels).or_else(|| of("vllm"))
    }

    /// The MLA decode-attention fit of an engine's kernels on a GPU over a KV dtype, falling back to the other
    /// engine's measured kernel on that GPU (the only MLA kernel table measured there).
    pub fn mla_decode(&self, kernels: &str, gpu: &str, kv: &str) -> Option<&MlaFit> {
        let of = |e: &str| {
            self.mla_decode
                .iter()
                .find(|f| f.engine == e && f.gpu == gpu && f.kv == kv)
                .filter(|f| f.p90 <= USABLE_P90)
        };
        of(kernels).or_else(|| {
            self.mla_decode
                .iter()
                .find(|f| f.gpu == gpu && f.kv == kv && f.p90 <= USABLE_P90)
        })
    }

    /// The prefill-attention fit of an engine's kernels on a GPU in an attention dtype (its 16-bit one where that
    /// dtype was not measured), falling back to vLLM's; only a usable fit.
    pub fn context_attention(
        &self,
        kernels: &str,
        gpu: &str,
        dtype: &str,
    ) -> Option<&ContextAttentionFit> {
        let of = |e: &str, d: &str| {
            self.context_attention
                .iter()
                .find(|f| f.engine == e && f.gpu == gpu && f.dtype == d)
                .filter(|f| f.p90 <= USABLE_P90)
        };
        of(kernels, dtype)
            .or_else(|| of(kernels, "bf16"))
            .or_else(|| of("vllm", dtype))
            .or_else(|| of("vllm", "bf16"))
    }

    /// The fused MoE fit of an engine's kernels on a GPU in a MoE dtype, falling back to vLLM's.
    pub fn moe(&self, kernels: &str, gpu: &str, dtype: &str) -> Option<&crate::moe::MoeFit> {
        let of = |e: &str| {
            self.moe
                .iter()
                .find(|f| f.engine == e && f.gpu == gpu && f.dtype == dtype)
        };
        of(kernels).or_else(|| of("vllm"))
    }

    /// The all-reduce fit of an engine's kernels on a GPU with a backend, falling back to vLLM's.
    pub fn all_reduce(&self, kernels: &str, gpu: &str, backend: &str) -> Option<&AllReduceFit> {
        let of = |e: &str| {
            self.all_reduce
                .iter()
                .find(|f| f.engine == e && f.gpu == gpu && f.backend == backend)
        };
        of(kernels).or_else(|| of("vllm"))
    }
}

/// The fraction of all GPU memory the engine's memory setting `fraction` amounts to for a deployment: itself
/// for an engine whose fraction is of all memory (vLLM, SGLang); for one whose fraction is of what the weights
/// and activations leave (TensorRT-LLM), the weights and activations plus that share of the rest.
pub fn total_memory_fraction(
    dep: &crate::Deployment,
    fraction: f64,
    max_batched_tokens: u64,
) -> f64 {
    match dep.engine.kv_memory {
        KvMemory::Total => fraction,
        KvMemory::Free => {
            let mem = dep.gpu.memory_gib * (1u64 << 30) as f64;
            let taken =
                dep.weight_bytes_per_gpu() + dep.activation_reserve_bytes(max_batched_tokens);
            ((taken + fraction * (mem - taken).max(0.0)) / mem).min(1.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_loads_with_a_source_for_every_figure() {
        let c = EngineCatalog::embedded();
        let names: Vec<&str> = c.all().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["vllm", "sglang", "trtllm", "eager"]);
        for e in c.all() {
            for (k, s) in e.sources() {
                assert!(s.trim().len() >= 5, "{} {k}: {s:?}", e.name);
            }
            assert!(e.step_overhead_s.value >= 0.0 && e.launch_s.value > 0.0);
            assert!(e.gpu_memory_utilization.value > 0.0 && e.gpu_memory_utilization.value <= 1.0);
        }
        assert!(!c.get("eager").unwrap().cuda_graphs.value);
        assert!(c.get("trtllm").unwrap().no_evict() && !c.get("vllm").unwrap().no_evict());
        let refused = |from: &str, to: &str| {
            EngineCatalog::parse(&ENGINES.replacen(from, to, 1), "x.toml")
                .unwrap_err()
                .to_string()
        };
        let e = refused("value = \"guaranteed-no-evict\"", "value = \"never\"");
        assert!(e.contains("capacity_policy must be"), "{e}");
        let e = refused(
            "mixed_attention = { value = \"separate\"",
            "mixed_attention = { value = \"both\"",
        );
        assert!(
            e.contains("\"sglang\": mixed_attention must be separate or fused"),
            "{e}"
        );
        assert!(c.get("trtllm").unwrap().separate_mixed_attention());
        assert!(!c.get("vllm").unwrap().separate_mixed_attention());
        assert!(c.get("VLLM").is_ok());
        let e = c.get("tgi").unwrap_err().to_string();
        assert!(e.contains("vllm, sglang, trtllm, eager"), "{e}");
        let e = refused(
            "source = \"vLLM SchedulerConfig default max_num_seqs = 256 (vllm/config, 2025)\"",
            "source = \" \"",
        );
        assert!(e.contains("max_num_seqs has no source"), "{e}");
    }

    #[test]
    fn fits_exist_for_every_measured_gpu_and_stay_physical() {
        let f = KernelFits::embedded();
        for gpu in ["h100", "h200", "b200", "l40s", "a100"] {
            assert!(f.gemm("vllm", gpu, "bf16").is_some(), "{gpu}");
            assert!(f.all_reduce("vllm", gpu, "graph").is_some(), "{gpu}");
        }
        for gpu in ["h100", "h200", "b200"] {
            assert_eq!(f.gemm("trtllm", gpu, "fp8").unwrap().engine, "trtllm");
        }
        assert!(f.gemm("trtllm", "b200", "nvfp4").is_some());
        for g in &f.gemm {
            assert!(
                g.compute_max <= 1.0 && g.memory <= 1.0 && g.launch_us >= 0.0,
                "{g:?}"
            );
        }
        for r in &f.all_reduce {
            assert!(
                r.link <= 1.0 && r.step_us >= 0.0 && r.fixed_us >= 0.0,
                "{r:?}"
            );
        }
    }
}
