#!/usr/bin/env python3
"""Draws the small, fixed sample of operator times that infercost's kernel fits are made from.

Reads NVIDIA aiconfigurator's operator tables measured inside vLLM (profiling/vllm-kernels/) and TensorRT-LLM
(profiling/trtllm-kernels/) (ai-dynamo/aiconfigurator @ 095f58a5, Apache-2.0) and writes, per engine and GPU,
tests/data/profiling/kernels/<engine>_<gpu>.csv with one row per measurement:

    table,dtype,a,b,c,d,latency_ms

  gemm:       dtype (bf16, fp8, nvfp4), a=m (tokens), b=n, c=k, d=0
  allreduce:  dtype = backend (graph, eager), a=num_gpus, b=message bytes (bf16 elements x 2), c=d=0
  decode_attn: dtype = kv-cache dtype, a=batch, b=context (isl+step), c=num_heads, d=num_kv_heads (head_dim 128)

The sample is a grid, not random: m in powers of two 1..8192, n and k in {2048, 4096, 8192, 16384} (the per-GPU shapes of 8B-405B layers); every
intra-node all-reduce of at most 64 Mi elements; decode attention at head_dim 128 on a small grid. Usage:

    python3 tools/sample_kernels.py /work/shared/data/profiling tests/data/profiling/kernels
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
    return out


def main(src, dst):
    os.makedirs(dst, exist_ok=True)
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


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
