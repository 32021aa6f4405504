#!/usr/bin/env python3
"""Draws the small, fixed sample of operator times that infercost's kernel fits are made from.

Reads NVIDIA aiconfigurator's operator tables measured inside vLLM (profiling/vllm-kernels/) and TensorRT-LLM
(profiling/trtllm-kernels/) (ai-dynamo/aiconfigurator @ 095f58a5, Apache-2.0) and writes, per engine and GPU,
tests/data/profiling/kernels/<engine>_<gpu>.csv with one row per measurement:

    table,dtype,a,b,c,d,latency_ms

  gemm:       dtype (bf16, fp8, nvfp4), a=m (tokens), b=n, c=k, d=0
  allreduce:  dtype = backend (graph, eager), a=num_gpus, b=message bytes (bf16 elements x 2), c=d=0
  decode_attn: dtype = kv-cache dtype, a=batch, b=context (isl+step), c=num_heads, d=num_kv_heads (head_dim 128)
  context_attn: dtype = attention dtype (bf16, fp8), a=batch, b=prompt length (isl), c=num_heads, d=num_kv_heads
              (head_dim 128, causal, no cached prefix)
  mla_decode: dtype = kv-cache dtype, a=batch, b=context (isl+step), c=num_heads, d=0 (DeepSeek-V3's latent: 512 +
              64 rope dims; TensorRT-LLM's generation MLA kernel alone, no projections)

The sample is a grid, not random: m in powers of two 1..8192, n and k in {2048, 4096, 8192, 16384} (the per-GPU shapes of 8B-405B layers); every
intra-node all-reduce of at most 64 Mi elements; decode attention at head_dim 128 on a small grid.

It also writes tests/data/profiling/moe/<engine>_<gpu>.csv, the fused MoE layer (routing, both expert GEMMs and
the combine) at the expert shapes of the catalog's MoE models:

    dtype,tokens,hidden,inter,experts,topk,tp,latency_ms

  dtype: bf16, fp8 (per-tensor), fp8_block (128x128 block scales, DeepSeek-V3's checkpoint), nvfp4, w4a16 (MXFP4 weights, 16-bit activations), int4 (weight
  only); tokens in powers of two 1..16384; each expert split tp ways (no expert parallelism, tp x 1 <= 8 GPUs);
  routing drawn from the tables' power-law distribution (alpha 1.01: a few hot experts, as real routers skew), the
  fastest kernel the engine measured for that shape (TensorRT-LLM's min-latency kernels aside: they are not its default
  CUTLASS backend). And tests/data/profiling/moe/<engine>_<gpu>_ep.csv, expert
  parallelism's imbalance: for each dtype, shape, EP group count (2, 4, 8) and 4,096-16,384 tokens, the layer's
  time under power-law and balanced routing with the experts spread over the groups and on one GPU. Usage:

    python3 tools/sample_kernels.py ../shared/data/profiling tests/data/profiling/kernels tests/data/profiling/moe
"""
import csv, glob, gzip, os, sys

M = {2 ** i for i in range(14)}
NK = {2048, 4096, 8192, 16384}
DTYPES = {"bfloat16": "bf16", "fp8": "fp8", "nvfp4": "nvfp4"}
GPUS = {"h100_sxm": "h100", "h200_sxm": "h200", "b200_sxm": "b200", "l40s": "l40s", "a100_sxm": "a100"}


def rows(path):
    with gzip.open(path, "rt") as f:
        yield from csv.DictReader(f)


def one(folder, pattern):
    found = sorted(glob.glob(os.path.join(folder, pattern)))
    return found[0] if found else None


def sample(folder):
    out = []
    gemm = one(folder, "gemm_*")
    if gemm:
        seen = {}
        for r in rows(gemm):
            d = DTYPES.get(r["gemm_dtype"])
            m, n, k = int(r["m"]), int(r["n"]), int(r["k"])
            if d and m in M and n in NK and k in NK:
                seen.setdefault((d, m, n, k), float(r["latency"]))
        out += [("gemm", d, m, n, k, 0, t) for (d, m, n, k), t in sorted(seen.items())]
    ar = one(folder, "comm_*custom_allreduce*")
    if ar:
        for r in rows(ar):
            backend = r.get("backend") or "graph"
            backend = "eager" if "eager" in backend else "graph"
            g, size = int(r["num_gpus"]), int(r["message_size"])
            if g <= 8 and size <= 64 * 2 ** 20:
                out.append(("allreduce", backend, g, 2 * size, 0, 0, float(r["latency"])))
    att = one(folder, "attention_*generation_attention*")
    if att:
        seen = {}
        for r in rows(att):
            b, ctx = int(r["batch_size"]), int(r["isl"]) + int(r["step"])
            if (r["head_dim"] == "128" and r.get("window_size", "0") in ("0", "") and b in {1, 8, 64, 256}
                    and ctx in {1024, 4096, 16384} and r["num_heads"] in {"8", "32", "64"}):
                kv = DTYPES.get(r["kv_cache_dtype"], r["kv_cache_dtype"])
                key = (kv, b, ctx, int(r["num_heads"]), int(r["num_key_value_heads"]))
                seen.setdefault(key, float(r["latency"]))
        out += [("decode_attn",) + k + (t,) for k, t in sorted(seen.items())]
    ctx = one(folder, "attention_*context_attention*")
    if ctx:
        seen = {}
        for r in rows(ctx):
            b, isl, h = int(r["batch_size"]), int(r["isl"]), int(r["num_heads"])
            if (r["head_dim"] == "128" and r.get("window_size", "0") in ("0", "") and b in {1, 4, 16}
                    and isl in {256, 512, 1024, 2048, 4096, 8192, 16384} and h in {8, 32, 64}):
                d = DTYPES.get(r["attn_dtype"], r["attn_dtype"])
                seen.setdefault((d, b, isl, h, int(r["num_key_value_heads"])), float(r["latency"]))
        out += [("context_attn",) + k + (t,) for k, t in sorted(seen.items())]
    mla = one(folder, "mla_*_generation_mla_perf*")
    if mla:
        seen = {}
        for r in rows(mla):
            b, ctx, h = int(r["batch_size"]), int(r["isl"]) + int(r["step"]), int(r["num_heads"])
            if b in {1, 8, 64, 256, 1024} and ctx in {1024, 4096, 16384} and h in {16, 32, 64, 128}:
                kv = DTYPES.get(r["kv_cache_dtype"], r["kv_cache_dtype"])
                seen.setdefault((kv, b, ctx, h, 0), float(r["latency"]))
        out += [("mla_decode",) + k + (t,) for k, t in sorted(seen.items())]
    return out


MOE_SHAPES = {  # hidden, expert intermediate size, experts, experts per token: the catalog's MoE models
    (4096, 14336, 8, 2),  # Mixtral 8x7B
    (6144, 16384, 8, 2),  # Mixtral 8x22B
    (7168, 2048, 256, 8),  # DeepSeek-V3/R1
    (4096, 1536, 128, 8),  # Qwen3-235B-A22B
    (2048, 768, 128, 8),  # Qwen3-30B-A3B
    (2880, 2880, 128, 4),  # gpt-oss-120b
}
MOE_DTYPES = {"bfloat16": "bf16", "fp8": "fp8", "fp8_block": "fp8_block", "nvfp4": "nvfp4", "w4a16_mxfp4": "w4a16",
              "int4_wo": "int4"}


def sample_moe(folder):
    moe = one(folder, "moe_*")
    if not moe:
        return []
    best = {}
    for r in rows(moe):
        d = MOE_DTYPES.get(r["moe_dtype"])
        shape = (int(r["hidden_size"]), int(r["inter_size"]), int(r["num_experts"]), int(r["topk"]))
        t, tp, ep = int(r["num_tokens"]), int(r["moe_tp_size"]), int(r["moe_ep_size"])
        # TensorRT-LLM's MoE backend is CUTLASS unless a run names another (its MoeConfig default, and what the
        # published commands set); its min-latency kernels belong to the TRTLLM backend, so they are left out.
        if (d and shape in MOE_SHAPES and r["distribution"] == "power_law_1.01" and ep == 1 and tp <= 8
                and t & (t - 1) == 0 and t <= 16384 and "min_latency" not in r["kernel_source"]):
            key = (d,) + shape + (tp, t)
            best[key] = min(best.get(key, float("inf")), float(r["latency"]))
    return [(d, t, h, i, e, k, tp, lat) for (d, h, i, e, k, tp, t), lat in sorted(best.items())]


def sample_moe_ep(folder):
    """Expert parallelism's imbalance: per dtype, shape, EP group count and token count (4,096-16,384, where the
    layer is compute-bound), the power-law and balanced times with the experts spread over `ep` GPUs and on one."""
    moe = one(folder, "moe_*")
    if not moe:
        return []
    t = {}
    for r in rows(moe):
        d = MOE_DTYPES.get(r["moe_dtype"])
        shape = (int(r["hidden_size"]), int(r["inter_size"]), int(r["num_experts"]), int(r["topk"]))
        tokens, tp, ep = int(r["num_tokens"]), int(r["moe_tp_size"]), int(r["moe_ep_size"])
        dist = r["distribution"]
        # Min-latency kernels serve small batches only; at these token counts engines run the throughput kernels.
        if (d and shape in MOE_SHAPES and tp == 1 and ep in (1, 2, 4, 8) and tokens in (4096, 8192, 16384)
                and dist in ("power_law_1.01", "balanced") and "min_latency" not in r["kernel_source"]):
            key = (d,) + shape + (ep, tokens, dist)
            t[key] = min(t.get(key, float("inf")), float(r["latency"]))
    out = []
    for (d, h, i, e, k, ep, tokens, dist), lat in sorted(t.items()):
        if ep == 1 or dist != "power_law_1.01":
            continue
        others = [t.get((d, h, i, e, k, x, tokens, y)) for x, y in
                  ((ep, "balanced"), (1, "power_law_1.01"), (1, "balanced"))]
        if None not in others:
            out.append((d, tokens, h, i, e, k, ep, lat, *others))
    return out


def main(src, dst, dst_moe):
    os.makedirs(dst, exist_ok=True)
    os.makedirs(dst_moe, exist_ok=True)
    for engine, sub in (("vllm", "vllm-kernels"), ("trtllm", "trtllm-kernels")):
        for folder, gpu in sorted(GPUS.items()):
            path = os.path.join(src, sub, folder)
            if not os.path.isdir(path):
                continue
            out = sample(path)
            with open(os.path.join(dst, f"{engine}_{gpu}.csv"), "w", newline="") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(["table", "dtype", "a", "b", "c", "d", "latency_ms"])
                for r in out:
                    w.writerow(r[:-1] + (f"{r[-1]:.6g}",))
            ep = sample_moe_ep(path)
            if ep:
                with open(os.path.join(dst_moe, f"{engine}_{gpu}_ep.csv"), "w", newline="") as f:
                    w = csv.writer(f, lineterminator="\n")
                    w.writerow(["dtype", "tokens", "hidden", "inter", "experts", "topk", "ep", "power_law_ms",
                                "balanced_ms", "power_law_one_gpu_ms", "balanced_one_gpu_ms"])
                    for r in ep:
                        w.writerow(r[:7] + tuple(f"{x:.6g}" for x in r[7:]))
            moe = sample_moe(path)
            if moe:
                with open(os.path.join(dst_moe, f"{engine}_{gpu}.csv"), "w", newline="") as f:
                    w = csv.writer(f, lineterminator="\n")
                    w.writerow(["dtype", "tokens", "hidden", "inter", "experts", "topk", "tp", "latency_ms"])
                    for r in moe:
                        w.writerow(r[:-1] + (f"{r[-1]:.6g}",))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
