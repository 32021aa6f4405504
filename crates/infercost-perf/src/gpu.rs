//! The GPU catalog: memory, bandwidth, tensor FLOP/s and link figures with their sources.

use crate::PerfError;
use serde::{Deserialize, Serialize};

/// One GPU type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gpu {
    /// The name `--gpu` takes, e.g. `h100-sxm`.
    pub name: String,
    /// The family price lists use, e.g. `H100`.
    pub family: String,
    /// Memory as the vendor states it, GiB.
    pub memory_gib: f64,
    /// Peak HBM bandwidth, TB/s.
    pub hbm_tb_per_s: f64,
    /// Dense bf16 tensor peak, TFLOP/s.
    pub bf16_tflops: f64,
    /// Dense fp8 tensor peak, TFLOP/s.
    pub fp8_tflops: f64,
    /// Dense fp4 tensor peak (NVFP4/MXFP4), TFLOP/s; absent where the GPU has no fp4 tensor cores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fp4_tflops: Option<f64>,
    /// Per-GPU one-direction intra-node link bandwidth, GB/s.
    pub link_gb_per_s: f64,
    /// GPUs in one node (the largest tensor-parallel group).
    pub gpus_per_node: u32,
    /// Per-GPU one-direction inter-node network bandwidth (InfiniBand/EFA class), GB/s: what a replica spanning
    /// nodes sends its pipeline activations and expert all-to-all over.
    pub inter_node_gb_per_s: f64,
    /// Latency of one inter-node transfer, µs.
    pub inter_node_latency_us: f64,
    /// Which measured GPU's kernel fits apply (`h100`, `h200`, `b200`, `l40s` or `a100`; data/kernel_fits.toml).
    pub calibrated_on: String,
    /// Where the figures come from.
    pub source: String,
    /// When they were published.
    pub as_of: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GpuFile {
    gpu: Vec<Gpu>,
}

/// All known GPUs.
#[derive(Debug, Clone)]
pub struct GpuCatalog {
    gpus: Vec<Gpu>,
}

const EMBEDDED: &str = include_str!("../../../data/gpus.toml");

impl GpuCatalog {
    /// The catalog shipped in `data/gpus.toml`.
    pub fn embedded() -> GpuCatalog {
        // The embedded file is tested; a parse failure here is a build defect, not user input.
        GpuCatalog::parse(EMBEDDED, "data/gpus.toml").expect("embedded data/gpus.toml is valid")
    }

    /// Parses a catalog file's text.
    pub fn parse(text: &str, source_name: &str) -> Result<GpuCatalog, PerfError> {
        let f: GpuFile = toml::from_str(text).map_err(|e| PerfError::Invalid {
            source_name: source_name.to_string(),
            message: e.to_string(),
        })?;
        for g in &f.gpu {
            let positive = [
                g.memory_gib,
                g.hbm_tb_per_s,
                g.bf16_tflops,
                g.fp8_tflops,
                g.link_gb_per_s,
                g.inter_node_gb_per_s,
                g.inter_node_latency_us,
            ];
            let fp4_bad = g.fp4_tflops.is_some_and(|v| !(v.is_finite() && v > 0.0));
            if positive.iter().any(|v| !(v.is_finite() && *v > 0.0))
                || g.gpus_per_node == 0
                || fp4_bad
            {
                return Err(PerfError::Invalid {
                    source_name: source_name.to_string(),
                    message: format!("gpu {:?} has a zero, negative or missing figure", g.name),
                });
            }
        }
        Ok(GpuCatalog { gpus: f.gpu })
    }

    /// The GPUs with fp4 tensor cores, comma-separated (for messages).
    pub fn with_fp4(&self) -> String {
        let names: Vec<&str> = self
            .gpus
            .iter()
            .filter(|g| g.fp4_tflops.is_some())
            .map(|g| g.name.as_str())
            .collect();
        names.join(", ")
    }

    /// Every GPU, in catalog order.
    pub fn all(&self) -> &[Gpu] {
        &self.gpus
    }

    /// A GPU by name (case-insensitive).
    pub fn get(&self, name: &str) -> Result<&Gpu, PerfError> {
        self.gpus
            .iter()
            .find(|g| g.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| PerfError::Unknown {
                kind: "gpu",
                name: name.to_string(),
                known: self
                    .gpus
                    .iter()
                    .map(|g| g.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}
