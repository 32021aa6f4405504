//! Engine profiles and precisions in the iteration model: an engine without CUDA graphs is launch-bound at
//! decode (Llama-2-70B-class decode does not speed up from TP4 to TP8, as measured eager step times show) while
//! vLLM's graphs let it scale; fp4 runs only where fp4 tensor cores exist; weight-only dtypes pay for their
//! dequantisation when compute-bound.

use infercost_perf::{Batch, Deployment, Dtype, EngineCatalog, GpuCatalog, Layout, ModelCatalog};

fn dep(model: &str, gpu: &str, tp: u32, w: Dtype, engine: &str) -> Deployment {
    Deployment::for_engine(
        ModelCatalog::get(model).unwrap(),
        GpuCatalog::embedded().get(gpu).unwrap().clone(),
        Layout::tp(tp),
        w,
        Dtype::Bf16,
        EngineCatalog::embedded().get(engine).unwrap(),
    )
    .unwrap()
}

#[test]
fn eager_decode_does_not_speed_up_from_tp4_to_tp8_while_vllm_does() {
    // Llama-3.1-70B has Llama-2-70B's layers, widths and heads (only the vocabulary differs).
    for gpu in ["h100-sxm", "h200"] {
        for batch in [1u64, 8, 32] {
            let step = |tp: u32, engine: &str| {
                dep("llama-3.1-70b", gpu, tp, Dtype::Bf16, engine)
                    .iteration(&Batch::decode(batch, 1024))
                    .total_s
            };
            let (e4, e8) = (step(4, "eager"), step(8, "eager"));
            assert!(
                e8 >= 0.95 * e4,
                "{gpu} batch {batch}: eager TP8 {e8} vs TP4 {e4}"
            );
            let (v4, v8) = (step(4, "vllm"), step(8, "vllm"));
            assert!(
                v8 < 0.8 * v4,
                "{gpu} batch {batch}: vllm TP8 {v8} vs TP4 {v4}"
            );
            assert!(
                e4 >= v4 && e8 > v8,
                "{gpu} batch {batch}: eager must not beat graphs"
            );
        }
    }
}

#[test]
fn the_decode_line_keeps_the_eager_launch_floor() {
    let d = dep("llama-3.1-70b", "h100-sxm", 8, Dtype::Bf16, "eager");
    for (n, ctx) in [(1u64, 100u64), (16, 2000), (300, 8000)] {
        let a = d.iteration(&Batch::decode(n, ctx)).total_s;
        let b = d.decode_line(n).at((n * ctx) as f64);
        assert!((a - b).abs() < 1e-12, "{n} {ctx}: {a} vs {b}");
    }
    // Above vLLM's largest captured batch the step runs eagerly too.
    let v = dep("llama-3.1-70b", "h100-sxm", 8, Dtype::Bf16, "vllm");
    assert_eq!(v.iteration(&Batch::decode(512, 100)).launch_s, 0.0);
    assert!(v.iteration(&Batch::decode(513, 100)).launch_s > 0.0);
}

/// An engine profile with its CUDA graphs replaced.
fn with_graphs(engine: &str, sizes: &str, padding: bool) -> infercost_perf::EngineProfile {
    let mut e = EngineCatalog::embedded().get(engine).unwrap().clone();
    e.graph_batch_sizes.value = sizes.into();
    e.graph_padding.value = padding;
    e
}

#[test]
fn cuda_graphs_replay_only_the_batches_the_engine_captures() {
    // TensorRT-LLM's defaults: sizes 1-31, 32, 64, 128 without padding, generation-only batches.
    let t = dep("llama-3.1-8b", "h100-sxm", 1, Dtype::Bf16, "trtllm");
    assert_eq!(t.iteration(&Batch::decode(32, 500)).launch_s, 0.0);
    assert!(t.iteration(&Batch::decode(40, 500)).launch_s > 0.0);
    assert!(t.iteration(&Batch::prefill(64, 1, 0)).launch_s > 0.0);
    // vLLM's piecewise graphs cover a small prompt iteration too.
    let v = dep("llama-3.1-8b", "h100-sxm", 1, Dtype::Bf16, "vllm");
    assert_eq!(v.iteration(&Batch::prefill(64, 1, 0)).launch_s, 0.0);

    // With padding, a batch between captured sizes runs the next one's GEMMs (compute-bound at these batches),
    // and the decode line agrees.
    let at = |e: &infercost_perf::EngineProfile| {
        let d = dep("llama-3.1-8b", "h100-sxm", 1, Dtype::Bf16, "trtllm")
            .with_engine(e)
            .unwrap();
        let gemm = |n: u64| d.iteration(&Batch::decode(n, 1000)).gemm_s;
        for n in [513u64, 800, 1024] {
            let (a, b) = (
                d.iteration(&Batch::decode(n, 1000)).total_s,
                d.decode_line(n).at((n * 1000) as f64),
            );
            assert!((a - b).abs() < 1e-12 * a.max(1.0), "{n}: {a} vs {b}");
        }
        (gemm(513), gemm(1024))
    };
    let (padded_513, padded_1024) = at(&with_graphs("trtllm", "512,1024", true));
    assert_eq!(padded_513, padded_1024);
    let (exact_513, exact_1024) = at(&with_graphs("trtllm", "1-1024", true));
    assert!(exact_513 < 0.7 * exact_1024 && exact_1024 == padded_1024);

    // Under data-parallel attention each rank replays its own batch's graph: 256 sequences over two ranks are
    // 128 each, within the largest captured size; 258 are 129 on the busiest rank, above it.
    let e = with_graphs("trtllm", "1,2,4,8,16,32,64,128", true);
    let layout = Layout {
        tp: 2,
        pp: 1,
        ep: 2,
        attention_dp: true,
    };
    let moe = Deployment::for_engine(
        ModelCatalog::get("qwen3-30b-a3b").unwrap(),
        GpuCatalog::embedded().get("h100-sxm").unwrap().clone(),
        layout,
        Dtype::Bf16,
        Dtype::Bf16,
        &e,
    )
    .unwrap();
    assert_eq!(moe.iteration(&Batch::decode(256, 500)).launch_s, 0.0);
    assert!(moe.iteration(&Batch::decode(258, 500)).launch_s > 0.0);

    // A size list that is not one is refused with the engine's name.
    let bad = with_graphs("trtllm", "8-4", true);
    let err = dep("llama-3.1-8b", "h100-sxm", 1, Dtype::Bf16, "trtllm")
        .with_engine(&bad)
        .unwrap_err()
        .to_string();
    assert!(err.contains("trtllm") && err.contains("8-4"), "{err}");
}

#[test]
fn fp4_is_refused_without_fp4_tensor_cores_and_the_message_names_b200() {
    let m = ModelCatalog::get("llama-3.1-70b").unwrap();
    let h100 = GpuCatalog::embedded().get("h100-sxm").unwrap().clone();
    let e = Deployment::new(m.clone(), h100.clone(), 4, Dtype::Fp4, Dtype::Bf16)
        .unwrap_err()
        .to_string();
    assert!(e.contains("fp4 tensor cores") && e.contains("b200"), "{e}");
    assert!(e.contains("fp4-wo"), "{e}");
    // Weight-only fp4 runs there, and neither fp4 dtype is a KV cache.
    assert!(Deployment::new(m.clone(), h100.clone(), 4, Dtype::Fp4Wo, Dtype::Bf16).is_ok());
    assert!(Deployment::new(m, h100, 4, Dtype::Bf16, Dtype::Fp4).is_err());
}

#[test]
fn precisions_order_as_their_peaks_and_bytes_say() {
    let prefill = Batch::prefill(4096, 2, 0);
    let time = |gpu: &str, w: Dtype| {
        dep("llama-3.1-70b", gpu, 4, w, "vllm")
            .iteration(&prefill)
            .compute_s
    };
    // Compute-bound prefill on B200: fp4 tensor cores beat fp8, which beats bf16.
    let (bf16, fp8, fp4) = (
        time("b200", Dtype::Bf16),
        time("b200", Dtype::Fp8),
        time("b200", Dtype::Fp4),
    );
    assert!(fp4 < fp8 && fp8 < bf16, "{bf16} {fp8} {fp4}");
    // Weight-only 4-bit dtypes compute at the bf16 rate and pay for the dequantisation.
    let h_bf16 = time("h100-sxm", Dtype::Bf16);
    for w in [Dtype::Int4, Dtype::Fp4Wo] {
        let t = time("h100-sxm", w);
        assert!(
            t > h_bf16 * 1.1 && t < h_bf16 * 1.3,
            "{w:?}: {t} vs bf16 {h_bf16}"
        );
    }
    // Memory-bound decode: 4-bit weights read about a quarter of bf16's bytes.
    let decode = |w: Dtype| {
        dep("llama-3.1-70b", "h100-sxm", 4, w, "vllm")
            .iteration(&Batch::decode(1, 512))
            .memory_s
    };
    let ratio = decode(Dtype::Fp4Wo) / decode(Dtype::Bf16);
    assert!((0.25..0.3).contains(&ratio), "{ratio}");
}

#[test]
fn a_prompts_attention_runs_at_the_measured_prefill_attention_kernels() {
    // Llama-3.1-8B on one H100 under vLLM: the fitted context-attention kernel, not the GEMMs' efficiency, times
    // a prompt's attention, and it is slower per FLOP over short prompts than over long ones.
    let d = dep("llama-3.1-8b", "h100-sxm", 1, Dtype::Bf16, "vllm");
    let fit = infercost_perf::engine::KernelFits::embedded()
        .context_attention("vllm", "h100", "bf16")
        .expect("vLLM's H100 prefill-attention fit is usable");
    let m = ModelCatalog::get("llama-3.1-8b").unwrap();
    let peak = GpuCatalog::embedded().get("h100-sxm").unwrap().bf16_tflops * 1e12;
    let per_flop = |s: u64| {
        let flops = infercost_perf::kernel_fit::context_flops(s as f64, m.head_dim as f64)
            * (m.n_q * m.layers) as f64;
        (d.iteration(&Batch::prefill(s, 1, 0)).attention_s, flops)
    };
    let (long_s, long_flops) = per_flop(16384);
    let expected = long_flops * (16384.0 + fit.half_len) / (peak * fit.compute * 16384.0);
    assert!(
        (long_s / expected - 1.0).abs() < 0.01,
        "{long_s} s against the fit's {expected} s"
    );
    let (short_s, short_flops) = per_flop(512);
    assert!(
        short_s / short_flops > 2.0 * long_s / long_flops,
        "a 512-token prompt's attention should run at under half the long prompts' rate"
    );
}

#[test]
fn a_mixed_iterations_prompt_and_decode_attention_add_where_the_engine_runs_them_apart() {
    // 64 sequences decoding at 8,192 tokens of context (their attention bound by its cache reads) beside one
    // 4,096-token prompt (its attention bound by compute).
    let decode = Batch::decode(64, 8192);
    let prompt = Batch::prefill(4096, 1, 0);
    let mixed = decode.with(prompt);
    for (engine, separate) in [("trtllm", true), ("vllm", false)] {
        let d = dep("llama-3.1-8b", "h100-sxm", 1, Dtype::Bf16, engine);
        let (m, p, dd) = (
            d.iteration(&mixed),
            d.iteration(&prompt),
            d.iteration(&decode),
        );
        assert!(
            dd.memory_s > dd.compute_s && p.compute_s > p.memory_s,
            "{engine}"
        );
        let sum = p.attention_s + dd.attention_s;
        if separate {
            // TensorRT-LLM's context kernels, then its generation kernels: the parts add.
            assert!(
                (m.attention_s - sum).abs() < 1e-3 * sum,
                "{engine}: {m:?} vs {sum}"
            );
        } else {
            // One kernel over all sequences: the prompt's compute hides part of the decoders' reads.
            assert!(
                m.attention_s < 0.95 * sum,
                "{engine}: {} vs {sum}",
                m.attention_s
            );
            assert!(
                m.attention_s >= p.attention_s.max(dd.attention_s),
                "{engine}"
            );
        }
    }
}
