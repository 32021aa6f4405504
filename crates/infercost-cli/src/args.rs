//! The command line's shared flags, in two stages as in ripgrep: clap structs for what the user typed (the
//! argument groups several commands flatten in, and the enum flags as `ValueEnum`s, so clap refuses a bad value
//! with the possible ones), then the validated library values they convert to (`Dtype`, `Router`,
//! `ReadOptions`). Command-specific flags stay beside their command; the files and catalogs these flags name
//! are read in `load.rs`.

use anyhow::Result;
use clap::{Args, ValueEnum};
use infercost_core::transform::VolumeMode;
use infercost_io::{ColumnMap, Format, ReadOptions, TimeUnit, Where};
use infercost_perf::Dtype;
use infercost_sim::Router;

/// Parses `--uncertainty`: a whole number of draws per point, from 1 to the planner's maximum.
pub(crate) fn draws_arg(s: &str) -> Result<u32, String> {
    let max = infercost_plan::uncertainty::MAX_DRAWS;
    match s.trim().parse::<u64>() {
        Ok(n) if (1..=max as u64).contains(&n) => Ok(n as u32),
        Ok(n) => Err(format!(
            "{n} draws: give between 1 and {max} draws per point"
        )),
        Err(_) => Err(format!(
            "{s:?} is not a whole number of draws (e.g. --uncertainty 64)"
        )),
    }
}

/// Parses `--threads`: a whole number of at least 1 (zero threads would never finish).
pub(crate) fn threads_arg(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{s:?} is not a whole number of threads")),
    }
}

/// `--weights`: bytes per weight (`fp16` is read as bf16, the same two bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum WeightsArg {
    // 2 bytes.
    #[value(alias = "fp16")]
    Bf16,
    // 1 byte.
    Fp8,
    // Half a byte, dequantised to bf16 for the GEMMs.
    Int4,
    // NVFP4 on fp4 tensor cores (B200).
    #[value(alias = "nvfp4")]
    Fp4,
    // fp4 weights dequantised to bf16 (MXFP4 on GPUs without fp4 tensor cores).
    #[value(name = "fp4-wo")]
    Fp4Wo,
}

impl From<WeightsArg> for Dtype {
    fn from(d: WeightsArg) -> Dtype {
        match d {
            WeightsArg::Bf16 => Dtype::Bf16,
            WeightsArg::Fp8 => Dtype::Fp8,
            WeightsArg::Int4 => Dtype::Int4,
            WeightsArg::Fp4 => Dtype::Fp4,
            WeightsArg::Fp4Wo => Dtype::Fp4Wo,
        }
    }
}

/// `--engine`: the serving engine's profile (data/engines.toml).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum EngineArg {
    // vLLM 0.24 (V1): CUDA graphs, custom all-reduce.
    Vllm,
    // SGLang: overlap scheduler, CUDA graphs.
    Sglang,
    // TensorRT-LLM: its own kernels and all-reduce.
    Trtllm,
    // No CUDA graphs: every kernel launched eagerly.
    Eager,
}

impl EngineArg {
    /// The profile's name in data/engines.toml.
    pub(crate) fn name(self) -> &'static str {
        match self {
            EngineArg::Vllm => "vllm",
            EngineArg::Sglang => "sglang",
            EngineArg::Trtllm => "trtllm",
            EngineArg::Eager => "eager",
        }
    }
}

/// `--kv-dtype`: bytes per KV-cache value. `int4` is taken (as it always was) so that the deployment refuses it
/// with its reason, but not offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum KvDtypeArg {
    // 2 bytes.
    #[value(alias = "fp16")]
    Bf16,
    // 1 byte.
    Fp8,
    // Refused by the deployment: no engine keeps its KV cache in int4.
    #[value(hide = true)]
    Int4,
}

impl From<KvDtypeArg> for Dtype {
    fn from(d: KvDtypeArg) -> Dtype {
        match d {
            KvDtypeArg::Bf16 => Dtype::Bf16,
            KvDtypeArg::Fp8 => Dtype::Fp8,
            KvDtypeArg::Int4 => Dtype::Int4,
        }
    }
}

/// `--router`. `round-robin` is the long name of `rr`, kept apart so the summary names the router as typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RouterArg {
    // The better of two replicas chosen at random.
    P2c,
    // In turn.
    Rr,
    // To the replica with the fewest outstanding tokens.
    Least,
    // In turn (the long name of `rr`).
    #[value(hide = true)]
    RoundRobin,
}

impl RouterArg {
    /// The name as the user typed it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            RouterArg::P2c => "p2c",
            RouterArg::Rr => "rr",
            RouterArg::Least => "least",
            RouterArg::RoundRobin => "round-robin",
        }
    }
}

impl From<RouterArg> for Router {
    fn from(r: RouterArg) -> Router {
        match r {
            RouterArg::P2c => Router::PowerOfTwo,
            RouterArg::Rr | RouterArg::RoundRobin => Router::RoundRobin,
            RouterArg::Least => Router::Least,
        }
    }
}

/// `--format`: the trace formats the reader knows, by the names `Format::name` gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FormatArg {
    // Detect from the first line.
    Auto,
    // Azure LLM inference trace.
    Azure,
    // Mooncake JSONL.
    Mooncake,
    // Vidur CSV.
    Vidur,
    // Lengths only.
    Lengths,
    // Any CSV with a column mapping.
    Csv,
    // Any JSONL with a key mapping.
    Jsonl,
    // LiteLLM proxy spend logs.
    #[value(name = "litellm")]
    LiteLlm,
    // OpenTelemetry GenAI spans.
    Otlp,
    // BurstGPT.
    #[value(name = "burstgpt")]
    BurstGpt,
    // Parquet.
    Parquet,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Auto => Format::Auto,
            FormatArg::Azure => Format::Azure,
            FormatArg::Mooncake => Format::Mooncake,
            FormatArg::Vidur => Format::Vidur,
            FormatArg::Lengths => Format::Lengths,
            FormatArg::Csv => Format::Csv,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::LiteLlm => Format::LiteLlm,
            FormatArg::Otlp => Format::Otlp,
            FormatArg::BurstGpt => Format::BurstGpt,
            FormatArg::Parquet => Format::Parquet,
        }
    }
}

/// `--time-unit`: the unit of a generic time column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TimeUnitArg {
    // Seconds.
    S,
    // Milliseconds.
    Ms,
    // Microseconds.
    Us,
    // RFC 3339 date-times.
    Rfc3339,
}

impl From<TimeUnitArg> for TimeUnit {
    fn from(u: TimeUnitArg) -> TimeUnit {
        match u {
            TimeUnitArg::S => TimeUnit::S,
            TimeUnitArg::Ms => TimeUnit::Ms,
            TimeUnitArg::Us => TimeUnit::Us,
            TimeUnitArg::Rfc3339 => TimeUnit::Rfc3339,
        }
    }
}

/// `--volume-mode`: how `trace scale` multiplies volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum VolumeModeArg {
    // Superpose shifted copies (more users).
    Users,
    // Replay faster.
    Compress,
}

impl From<VolumeModeArg> for VolumeMode {
    fn from(m: VolumeModeArg) -> VolumeMode {
        match m {
            VolumeModeArg::Users => VolumeMode::Users,
            VolumeModeArg::Compress => VolumeMode::Compress,
        }
    }
}

/// A model, a GPU and how it is deployed.
#[derive(Args, Clone)]
pub(crate) struct DeployArgs {
    /// Catalog name or path to a config.json
    pub(crate) model: String,
    /// GPU catalog name
    #[arg(long)]
    pub(crate) gpu: String,
    /// Tensor parallelism: GPUs per pipeline stage (default: the smallest layout that fits)
    #[arg(long)]
    pub(crate) tp: Option<u32>,
    /// Pipeline stages, within or across nodes (default: as many as the smallest layout that fits needs)
    #[arg(long)]
    pub(crate) pp: Option<u32>,
    /// Expert parallelism of a MoE model: experts spread over this many groups of a stage's GPUs, dividing --tp
    /// (default: 1, or --tp with --attention-dp)
    #[arg(long)]
    pub(crate) ep: Option<u32>,
    /// Run attention data-parallel across the stage's GPUs, each with its own batch and KV cache (MoE models)
    #[arg(long)]
    pub(crate) attention_dp: bool,
    /// Weight dtype: bf16, fp8, int4, fp4 (fp4 tensor cores: B200) or fp4-wo (weight-only fp4)
    #[arg(long, value_enum, ignore_case = true, default_value = "bf16")]
    pub(crate) weights: WeightsArg,
    /// KV-cache dtype: bf16 or fp8
    #[arg(long, value_enum, ignore_case = true, default_value = "bf16")]
    pub(crate) kv_dtype: KvDtypeArg,
    /// Serving engine profile (data/engines.toml): overheads, CUDA graphs, all-reduce and scheduler defaults
    #[arg(long, value_enum, ignore_case = true, default_value = "vllm")]
    pub(crate) engine: EngineArg,
    /// Fraction of GPU memory the engine uses (default: the engine's; TensorRT-LLM's is of the memory the
    /// weights leave)
    #[arg(long)]
    pub(crate) gpu_memory_utilization: Option<f64>,
    /// Longest sequence (prompt + output) the engine accepts and must fit in memory, as vLLM's --max-model-len
    #[arg(long, default_value_t = 8192, value_parser = clap::value_parser!(u32).range(2..))]
    pub(crate) max_model_len: u32,
    /// Token budget per iteration (sizes the activation reserve; default: the engine's)
    #[arg(long)]
    pub(crate) max_batched_tokens: Option<u32>,
}

/// The engine's batching flags, for the commands that simulate.
#[derive(Args)]
pub(crate) struct EngineArgs {
    /// Most sequences per batch (default: the engine's)
    #[arg(long)]
    pub(crate) max_num_seqs: Option<u32>,
    /// Disable prefix caching
    #[arg(long)]
    pub(crate) no_prefix_caching: bool,
}

/// Which format to read a trace as and which of its rows to keep.
#[derive(Args)]
pub(crate) struct LogSelect {
    /// auto, azure, mooncake, vidur, lengths, csv, jsonl, litellm, otlp, burstgpt or parquet
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) format: FormatArg,
    /// Read only rows whose COLUMN (CSV header, JSON key, OTLP attribute) is VALUE; repeat to require several
    #[arg(long = "where", value_name = "COLUMN=VALUE")]
    pub(crate) where_: Vec<String>,
}

impl LogSelect {
    /// The trace `file` read in this format with these filters.
    pub(crate) fn input(&self, file: &str) -> TraceInput {
        TraceInput {
            where_: self.where_.clone(),
            ..TraceInput::plain(file, self.format)
        }
    }
}

/// How to read a trace.
#[derive(Args, Clone)]
pub(crate) struct TraceInput {
    /// Trace file (.csv, .jsonl, optionally .gz), or embedded:azure-conv / embedded:azure-code
    pub(crate) file: String,
    /// auto, azure, mooncake, vidur, lengths, csv, jsonl, litellm, otlp, burstgpt or parquet
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) format: FormatArg,
    /// Read only rows whose COLUMN (CSV header, JSON key, OTLP attribute) is VALUE; repeat to require several
    #[arg(long = "where", value_name = "COLUMN=VALUE")]
    pub(crate) where_: Vec<String>,
    /// Stop at the first malformed row (exit code 2)
    #[arg(long)]
    pub(crate) strict: bool,
    /// Column (or key) with the arrival time
    #[arg(long)]
    pub(crate) col_time: Option<String>,
    /// Column with prompt tokens
    #[arg(long)]
    pub(crate) col_input: Option<String>,
    /// Column with output tokens
    #[arg(long)]
    pub(crate) col_output: Option<String>,
    /// Column with the user's region
    #[arg(long)]
    pub(crate) col_region: Option<String>,
    /// Column with the session id
    #[arg(long)]
    pub(crate) col_session: Option<String>,
    /// Unit of the time column: s, ms, us or rfc3339
    #[arg(long, value_enum)]
    pub(crate) time_unit: Option<TimeUnitArg>,
}

impl TraceInput {
    /// A file read with a format and no column mapping.
    pub(crate) fn plain(file: &str, format: FormatArg) -> TraceInput {
        TraceInput {
            file: file.to_string(),
            format,
            where_: Vec::new(),
            strict: false,
            col_time: None,
            col_input: None,
            col_output: None,
            col_region: None,
            col_session: None,
            time_unit: None,
        }
    }

    /// The reader's options: the second stage, where the `--where` filters are parsed.
    pub(crate) fn read_options(&self) -> Result<ReadOptions> {
        let filters = self
            .where_
            .iter()
            .map(|w| Where::parse(w).map_err(anyhow::Error::msg))
            .collect::<Result<Vec<_>>>()?;
        Ok(ReadOptions {
            format: self.format.into(),
            strict: self.strict,
            columns: ColumnMap {
                time: self.col_time.clone(),
                input: self.col_input.clone(),
                output: self.col_output.clone(),
                region: self.col_region.clone(),
                session: self.col_session.clone(),
            },
            time_unit: self.time_unit.map(TimeUnit::from),
            filters,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncertainty_takes_a_whole_number_of_draws() {
        assert_eq!(draws_arg("64"), Ok(64));
        let zero = draws_arg("0").unwrap_err();
        assert!(zero.contains("between 1 and 100000"), "{zero}");
        let word = draws_arg("many").unwrap_err();
        assert!(
            word.contains("\"many\" is not a whole number of draws"),
            "{word}"
        );
        assert!(
            draws_arg("-3").is_err() && draws_arg("1.5").is_err() && draws_arg("100001").is_err()
        );
    }

    #[test]
    fn threads_must_be_at_least_one() {
        assert_eq!(threads_arg("4"), Ok(4));
        assert!(threads_arg("0").unwrap_err().contains("at least 1"));
        assert!(threads_arg("-1").is_err());
    }

    /// The clap names are the library's names: every value the library parses, clap takes, and the other way.
    #[test]
    fn enum_flags_take_the_library_names() {
        for f in FormatArg::value_variants() {
            let name = f.to_possible_value().map(|v| v.get_name().to_string());
            assert_eq!(Format::from(*f).name(), name.as_deref().unwrap_or(""));
        }
        for (s, d) in [
            ("bf16", Dtype::Bf16),
            ("FP16", Dtype::Bf16),
            ("fp8", Dtype::Fp8),
        ] {
            assert_eq!(WeightsArg::from_str(s, true).map(Dtype::from), Ok(d));
            assert_eq!(Dtype::parse(s), Some(d));
        }
        for r in RouterArg::value_variants() {
            assert_eq!(Router::parse(r.name()), Some(Router::from(*r)));
            assert_eq!(RouterArg::from_str(r.name(), false), Ok(*r));
        }
        for u in ["s", "ms", "us", "rfc3339"] {
            let arg = TimeUnitArg::from_str(u, false).map(TimeUnit::from);
            assert_eq!(arg.ok(), TimeUnit::parse(u));
        }
    }
}
