//! Stored precisions: bytes per value, and how the GEMMs of a weight precision run on a GPU (on its tensor
//! cores at that precision, or dequantised to bf16).

use crate::gpu::Gpu;
use serde::{Deserialize, Serialize};

/// Bytes per stored value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dtype {
    /// 2 bytes.
    Bf16,
    /// 1 byte.
    Fp8,
    /// Half a byte (weights only, dequantised to bf16 for the GEMMs: AWQ/GPTQ).
    Int4,
    /// NVFP4: half a byte plus one fp8 scale per 16 values, run on fp4 tensor cores (weights only).
    Fp4,
    /// fp4 weights dequantised to bf16 for the GEMMs, as on GPUs without fp4 tensor cores (MXFP4: one 8-bit
    /// scale per 32 values; weights only).
    Fp4Wo,
}

/// Weight-only GEMMs (int4, fp4-wo, fp8 without fp8 tensor cores) run at the bf16 rate and reach this fraction
/// of the bf16 GEMM's efficiency when compute-bound: the dequantisation is overlapped with the loads but not
/// free. Marlin (Frantar et al., arXiv:2408.11743, 2024) stays near the fp16 GEMM at large batches; AWQ's and
/// GPTQ's older kernels fall further behind; 0.85 is an estimate between them.
pub const WEIGHT_ONLY_COMPUTE: f64 = 0.85;

impl Dtype {
    /// Parses `bf16`, `fp8`, `int4`, `fp4` or `fp4-wo`.
    pub fn parse(s: &str) -> Option<Dtype> {
        match s.to_ascii_lowercase().as_str() {
            "bf16" | "fp16" => Some(Dtype::Bf16),
            "fp8" => Some(Dtype::Fp8),
            "int4" => Some(Dtype::Int4),
            "fp4" | "nvfp4" => Some(Dtype::Fp4),
            "fp4-wo" => Some(Dtype::Fp4Wo),
            _ => None,
        }
    }
    /// Bytes per value.
    pub fn bytes(self) -> f64 {
        match self {
            Dtype::Bf16 => 2.0,
            Dtype::Fp8 => 1.0,
            Dtype::Int4 => 0.5,
            Dtype::Fp4 => 0.5625,
            Dtype::Fp4Wo => 0.53125,
        }
    }
    /// The name.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::Bf16 => "bf16",
            Dtype::Fp8 => "fp8",
            Dtype::Int4 => "int4",
            Dtype::Fp4 => "fp4",
            Dtype::Fp4Wo => "fp4-wo",
        }
    }

    /// Whether this weight dtype is dequantised to bf16 before the GEMMs on `gpu`.
    pub fn weight_only_on(self, gpu: &Gpu) -> bool {
        match self {
            Dtype::Bf16 | Dtype::Fp4 => false,
            Dtype::Fp8 => gpu.fp8_tflops <= gpu.bf16_tflops,
            Dtype::Int4 | Dtype::Fp4Wo => true,
        }
    }

    /// The share of its fitted GEMM efficiency a GEMM in this dtype reaches on `gpu` ([`WEIGHT_ONLY_COMPUTE`]
    /// when dequantised to bf16, else 1).
    pub fn compute_scale_on(self, gpu: &Gpu) -> f64 {
        if self.weight_only_on(gpu) {
            WEIGHT_ONLY_COMPUTE
        } else {
            1.0
        }
    }

    /// The GEMMs' peak on `gpu` (FLOP/s) and the measured kernel table they are fitted on.
    pub(crate) fn gemm_on(self, gpu: &Gpu) -> (f64, &'static str) {
        if self.weight_only_on(gpu) {
            return (gpu.bf16_tflops * 1e12, "bf16");
        }
        match self {
            Dtype::Fp8 => (gpu.fp8_tflops * 1e12, "fp8"),
            Dtype::Fp4 => (gpu.fp4_tflops.unwrap_or(0.0) * 1e12, "nvfp4"),
            _ => (gpu.bf16_tflops * 1e12, "bf16"),
        }
    }
}
