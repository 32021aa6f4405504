//! Building a [`Deployment`]: every constructor goes through [`Deployment::for_engine`], so a deployment always
//! carries both its layout and its engine profile, and the per-GPU figures the iteration model reads are
//! precomputed once for the slowest pipeline stage.

use super::{Deployment, Dtype};
use crate::comm::all_reduce_curve;
use crate::engine::{self, EngineProfile, KernelFits};
use crate::gpu::Gpu;
use crate::model::ModelSpec;
use crate::moe::MoeKernel;
use crate::parallel::{all_to_all_costs, Layout, Pipeline, Stage};
use crate::PerfError;

/// Refuses dtypes the deployment cannot run: a 4-bit KV cache, or fp4 weights on a GPU without fp4 tensor
/// cores (the layout itself is checked by [`Layout::check`]).
fn check_dtypes(gpu: &Gpu, weights: Dtype, kv: Dtype) -> Result<(), PerfError> {
    if !matches!(kv, Dtype::Bf16 | Dtype::Fp8) {
        return Err(PerfError::Deployment(
            "the KV cache dtype must be bf16 or fp8".into(),
        ));
    }
    if weights == Dtype::Fp4 && gpu.fp4_tflops.is_none() {
        return Err(PerfError::Deployment(format!(
            "fp4 weights need fp4 tensor cores, which {} lacks; GPUs that have them: {}. On {} use --weights \
             fp4-wo (fp4 weights dequantised to bf16) or int4",
            gpu.name,
            crate::gpu::GpuCatalog::embedded().with_fp4(),
            gpu.name
        )));
    }
    Ok(())
}

/// The dtype a deployment's dense (non-expert) GEMMs run in: 16-bit where the checkpoint quantises only the
/// experts and the deployment runs its own 4-bit weights, else the weights'.
pub(super) fn dense_dtype(model: &ModelSpec, weights: Dtype) -> Dtype {
    if model.experts_only_quantised && matches!(weights, Dtype::Fp4 | Dtype::Fp4Wo) {
        Dtype::Bf16
    } else {
        weights
    }
}

/// The mixture-of-experts shape: routed layers, experts per layer, parameters per expert, experts per token
/// (a dense model: none routed, one "expert" of everything).
struct MoeShape {
    layers: f64,
    experts: f64,
    expert_params: f64,
    top: f64,
}

impl MoeShape {
    fn of(model: &ModelSpec) -> MoeShape {
        match model.moe {
            Some(m) => MoeShape {
                layers: model.moe_layers() as f64,
                experts: m.experts as f64,
                expert_params: model.expert_params() as f64,
                top: m.top_k as f64,
            },
            None => MoeShape {
                layers: 0.0,
                experts: 1.0,
                expert_params: 0.0,
                top: 1.0,
            },
        }
    }
}

/// KV-cache bytes per token per GPU. Under TP k the KV heads split k ways, but each rank keeps at least one
/// head; the MLA latent is replicated.
fn kv_bytes_per_token(model: &ModelSpec, kv: Dtype, t: f64) -> f64 {
    let kv_split = match model.attention {
        crate::model::Attention::Gqa { n_kv } => (n_kv as f64 / t).ceil() / n_kv as f64,
        crate::model::Attention::Mla { .. } => 1.0,
    };
    model.kv_elements_per_token() as f64 * kv.bytes() * kv_split
}

/// Attention FLOPs per token of the sliding-window layers over their whole window (0 without them).
fn window_pairs_per_token(model: &ModelSpec) -> f64 {
    match model.sliding {
        Some((n, w)) => model.attention_flops_per_pair_layer() * n as f64 * w as f64,
        None => 0.0,
    }
}

/// The share of the small operators' memory traffic an engine's kernels still move, of what the measured unfused
/// set moves (Vidur's per-layer operators: two RMSNorms, two residual adds, the rotary embedding of queries and
/// keys, the activation), counted in elements per token: a norm reads and writes the hidden state (2 · hidden), an
/// add reads two and writes one (3 · hidden), the rotary embedding reads and writes queries and keys, a gated
/// activation reads its two halves and writes one (3 · width; 2 · width ungated), width being the MLP's or the
/// routed and shared experts' per token. A fused add and norm reads the input and the residual and writes both (4
/// · hidden for the pair's 5); a rotary embedding inside the attention kernels moves nothing of its own.
pub(super) fn small_ops_share(model: &ModelSpec, e: &EngineProfile) -> f64 {
    let h = model.hidden as f64;
    let rope = match model.attention {
        crate::model::Attention::Gqa { n_kv } => {
            2.0 * (model.n_q + n_kv) as f64 * model.head_dim as f64
        }
        crate::model::Attention::Mla { rope_dim, .. } => {
            2.0 * (model.n_q + 1) as f64 * rope_dim as f64
        }
    };
    let width = match model.moe {
        Some(m) => (m.top_k as u64 * m.expert_ff + m.shared_experts as u64 * m.shared_ff) as f64,
        None => model.ff as f64,
    };
    let activation = width
        * if model.mlp == crate::model::Mlp::Gated {
            3.0
        } else {
            2.0
        };
    let unfused = 10.0 * h + rope + activation;
    let norms_adds = if e.fused_add_norm.value {
        8.0 * h
    } else {
        10.0 * h
    };
    let rope_left = if e.rope_in_attention.value { 0.0 } else { rope };
    (norms_adds + rope_left + activation) / unfused
}

/// The fused MoE kernel a deployment's routed experts run in ([`MoeKernel::of`]), at the peak, weight-only scale
/// and GEMM fit of the weights' dtype (the dense GEMMs may run in another, [`dense_dtype`]); each expert's GEMMs
/// are split tp / ep ways within its group of GPUs.
fn moe_kernel(
    model: &ModelSpec,
    gpu: &Gpu,
    layout: &Layout,
    weights: Dtype,
    e: &EngineProfile,
    fits: &KernelFits,
) -> MoeKernel {
    let (peak, table) = weights.gemm_on(gpu);
    let scale = weights.compute_scale_on(gpu);
    let eff = &engine::efficiency(e, gpu, table, fits);
    let split = layout.tp / layout.ep;
    let width = 2.0 * model.moe.map_or(0, |m| m.expert_ff) as f64 / split as f64;
    let shape = model.moe.map_or([0; 5], |m| {
        [
            model.hidden as u32,
            m.expert_ff as u32,
            m.experts,
            m.top_k,
            split,
        ]
    });
    MoeKernel::of(
        fits,
        &e.kernels,
        gpu,
        weights,
        model.fp8_block,
        peak,
        scale,
        width,
        (model.moe.map_or(1, |m| m.experts) as f64, layout.ep as f64),
        shape,
        eff,
    )
}

/// Attention's tensor-core peak and the efficiencies of its dtype: it computes in the KV cache's precision (fp8
/// over an fp8 cache on a GPU with fp8 tensor cores, else 16 bits), whatever the weights'. A multi-head latent
/// attention model's attention runs at the measured MLA decode kernel's compute and bandwidth on that GPU where
/// there is one (a constant fraction of the 16-bit peak: `compute_half_tokens` 0), which also sets `eff`'s
/// attention bandwidth and fixed time.
fn attention_rate(
    model: &ModelSpec,
    gpu: &Gpu,
    kv: Dtype,
    e: &EngineProfile,
    fits: &KernelFits,
    eff: &mut crate::calibrate::Efficiency,
) -> (f64, crate::calibrate::Efficiency) {
    let mla = matches!(model.attention, crate::model::Attention::Mla { .. })
        .then(|| fits.mla_decode(&e.kernels, &gpu.calibrated_on, kv.name()))
        .flatten();
    if let Some(m) = mla {
        eff.attention_memory = m.memory;
        eff.attention_fixed_s = m.fixed_us * 1e-6;
        let rate = crate::calibrate::Efficiency {
            compute_max: m.compute,
            compute_half_tokens: 0.0,
            ..*eff
        };
        return (gpu.bf16_tflops * 1e12, rate);
    }
    let (peak, table) = if kv == Dtype::Fp8 && gpu.fp8_tflops > gpu.bf16_tflops {
        (gpu.fp8_tflops * 1e12, "fp8")
    } else {
        (gpu.bf16_tflops * 1e12, "bf16")
    };
    (peak, engine::efficiency(e, gpu, table, fits))
}

/// The rate (FLOP/s over long prompts) and half-speed prompt length of the measured prefill-attention kernel a
/// deployment's prompts run in: the engine's (else vLLM's) fit on the GPU's measured model, in fp8 where the KV
/// cache is fp8 and the GPU has fp8 tensor cores, at this GPU's 16-bit peak. (0, 0) for MLA, whose prefill runs
/// decompressed at its own kernels' rate, and without a usable fit.
fn prefill_attention(
    model: &ModelSpec,
    gpu: &Gpu,
    kv: Dtype,
    e: &EngineProfile,
    fits: &KernelFits,
) -> (f64, f64) {
    if matches!(model.attention, crate::model::Attention::Mla { .. }) {
        return (0.0, 0.0);
    }
    let dtype = if kv == Dtype::Fp8 && gpu.fp8_tflops > gpu.bf16_tflops {
        "fp8"
    } else {
        "bf16"
    };
    fits.context_attention(&e.kernels, &gpu.calibrated_on, dtype)
        .map_or((0.0, 0.0), |f| {
            (gpu.bf16_tflops * 1e12 * f.compute, f.half_len)
        })
}

impl Deployment {
    /// Builds a plain tensor-parallel deployment served by the default engine (vLLM); refuses a TP that does not
    /// divide the heads or exceeds a node, and a dtype the GPU cannot run.
    pub fn new(
        model: ModelSpec,
        gpu: Gpu,
        tp: u32,
        weights: Dtype,
        kv: Dtype,
    ) -> Result<Deployment, PerfError> {
        Deployment::with_layout(model, gpu, Layout::tp(tp), weights, kv)
    }

    /// Builds a deployment of any layout served by the default engine (vLLM).
    pub fn with_layout(
        model: ModelSpec,
        gpu: Gpu,
        layout: Layout,
        weights: Dtype,
        kv: Dtype,
    ) -> Result<Deployment, PerfError> {
        let e = engine::EngineCatalog::default_engine();
        Deployment::for_engine(model, gpu, layout, weights, kv, e)
    }

    /// The same deployment served by another engine (same layout and dtypes).
    pub fn with_engine(&self, e: &EngineProfile) -> Result<Deployment, PerfError> {
        Deployment::for_engine(
            self.model.clone(),
            self.gpu.clone(),
            self.layout,
            self.weights,
            self.kv,
            e,
        )
    }

    /// The same deployment (model, GPU, dtypes and engine) on another layout.
    pub fn at_layout(&self, layout: Layout) -> Result<Deployment, PerfError> {
        Deployment::for_engine(
            self.model.clone(),
            self.gpu.clone(),
            layout,
            self.weights,
            self.kv,
            &self.engine,
        )
    }

    /// Builds a deployment of `layout` served by engine `e`: its kernel fits, overheads and launch behaviour,
    /// per pipeline stage; refuses a layout that cannot run (see [`Layout::check`]) or a dtype the GPU cannot.
    pub fn for_engine(
        model: ModelSpec,
        gpu: Gpu,
        layout: Layout,
        weights: Dtype,
        kv: Dtype,
        e: &EngineProfile,
    ) -> Result<Deployment, PerfError> {
        layout.check(&model, &gpu)?;
        check_dtypes(&gpu, weights, kv)?;
        let fits = KernelFits::embedded();
        // The dense GEMMs run in the dense weights' dtype, the routed experts in the weights'.
        let dense = dense_dtype(&model, weights);
        let (peak, table) = dense.gemm_on(&gpu);
        let mut eff = engine::efficiency(e, &gpu, table, fits);
        eff.small_ops_per_token_hidden_s *= small_ops_share(&model, e);
        let tp = layout.tp;
        let t = tp as f64;
        let wb = weights.bytes();
        let dense_wb = dense.bytes();
        let moe = MoeShape::of(&model);
        let routed_total = moe.layers * moe.experts * moe.expert_params;
        let dense_params = model.params_total() as f64 - routed_total;
        let all_reduce =
            all_reduce_curve(&model, &gpu, &eff, engine::all_reduce_kernels(e), fits, tp);
        let window_pairs_per_token = window_pairs_per_token(&model);
        let st = Stage::of(&model, &layout, dense_params, moe.layers);
        let link = (eff.link, e.ep_gathers());
        let (a2a_per_token, a2a_fixed) =
            all_to_all_costs(&model, &gpu, &layout, weights, link, st.moe_layers);
        let (kv_bytes_token, kv_seq_bytes_token) = st.kv_bytes(
            kv_bytes_per_token(&model, kv, t),
            model.kv_elements_per_token() as f64 * kv.bytes(),
        );
        // Eager launches per iteration on one stage's host: its layers' kernels, and its all-reduces at the
        // eager table's latency (each stage's host launches its own layers, side by side).
        let layers = model.layers as f64;
        let launch_host_s =
            layers * st.fraction * e.kernels_per_layer.value as f64 * e.launch_s.value
                + 2.0 * layers * st.all_reduce_share * engine::eager_all_reduce_s(&gpu, tp, fits);
        let compute_scale = dense.compute_scale_on(&gpu);
        let moe_kernel = moe_kernel(&model, &gpu, &layout, weights, e, fits);
        let (attention_peak, attention_eff) = attention_rate(&model, &gpu, kv, e, fits, &mut eff);
        Ok(Deployment {
            prefill_attention: prefill_attention(&model, &gpu, kv, e, fits),
            attention_peak,
            dp_ranks: if layout.attention_dp { t } else { 1.0 },
            attention_compute_max: attention_eff.compute_max,
            attention_half_tokens: attention_eff.compute_half_tokens,
            peak_flops: peak,
            roofline_flops: peak.max(weights.gemm_on(&gpu).0),
            compute_scale,
            moe: moe_kernel,
            graphs: e.graphs().map_err(|message| PerfError::Invalid {
                source_name: format!("engine {}", e.name),
                message,
            })?,
            launch_host_s,
            separate_attention: e.separate_mixed_attention(),
            engine: e.clone(),
            bandwidth: gpu.hbm_tb_per_s * 1e12,
            flops_per_token: (2.0 * model.layer_params_active() as f64 + window_pairs_per_token)
                / t
                * st.fraction,
            // The stage's routed share scales as its per-token FLOPs do, so the routed part never exceeds them.
            flops_routed_per_token: 2.0 * moe.layers * moe.top * moe.expert_params / t
                * st.fraction,
            routed_share: moe.top / moe.experts,
            flops_head: 2.0 * model.hidden as f64 * model.vocab as f64 / t,
            flops_attention_pair: model.attention_flops_per_pair() / t * st.fraction,
            flops_attention_pair_prefill: model.prefill_attention_flops_per_pair() / t
                * st.fraction,
            dense_weight_bytes: st.dense_params * dense_wb / st.dense_split,
            expert_bytes: moe.expert_params * wb / t,
            moe_layers: st.moe_layers,
            experts: moe.experts,
            ln_miss: if model.moe.is_some() {
                (1.0 - moe.top / moe.experts).ln()
            } else {
                0.0
            },
            kv_bytes_token,
            comm: all_reduce.scaled_plus(st.all_reduce_share, a2a_per_token, a2a_fixed),
            window_pairs_per_token,
            kv_seq_bytes_token,
            stage_fraction: st.fraction,
            pipe: Pipeline::of(&model, &gpu, &layout, eff.link),
            model,
            gpu,
            tp,
            layout,
            weights,
            kv,
            eff,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EngineCatalog;
    use crate::model::ModelCatalog;

    #[test]
    fn fused_small_operators_move_less_traffic() {
        let m = ModelCatalog::get("llama-3.1-70b").unwrap();
        let c = EngineCatalog::embedded();
        // Llama-3.1-70B: hidden 8,192, 64 query and 8 KV heads of 128, gated MLP 28,672. Unfused: norms and adds
        // 10 · 8,192, rotary 2 · 72 · 128, activation 3 · 28,672 = 81,920 + 18,432 + 86,016 = 186,368 elements.
        // TensorRT-LLM (fused add and norm, rotary inside attention): 65,536 + 86,016 = 151,552, 0.813 of it;
        // vLLM (fused add and norm, rotary of its own): 65,536 + 18,432 + 86,016 = 169,984, 0.912.
        let trt = small_ops_share(&m, c.get("trtllm").unwrap());
        let vllm = small_ops_share(&m, c.get("vllm").unwrap());
        assert!((trt - 151_552.0 / 186_368.0).abs() < 1e-12, "{trt}");
        assert!((vllm - 169_984.0 / 186_368.0).abs() < 1e-12, "{vllm}");
        let mut unfused = c.get("vllm").unwrap().clone();
        unfused.fused_add_norm.value = false;
        assert_eq!(small_ops_share(&m, &unfused), 1.0);
        // The share lowers the per-token small operators, so a prefill costs less under the fused engine's profile.
        let g = crate::gpu::GpuCatalog::embedded()
            .get("h100-sxm")
            .unwrap()
            .clone();
        let layout = Layout::tp(4);
        let at = |e: &EngineProfile| {
            Deployment::for_engine(m.clone(), g.clone(), layout, Dtype::Bf16, Dtype::Bf16, e)
                .unwrap()
                .iteration(&crate::Batch::prefill(8192, 1, 0))
                .overhead_s
        };
        assert!(at(c.get("vllm").unwrap()) < at(&unfused));
    }
}
