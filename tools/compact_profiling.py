"""Compacts Vidur's measured operator times into the CSVs infercost calibrates on.

Usage: python3 tools/compact_profiling.py ../shared/data/profiling tests/data/profiling
Source: microsoft/vidur data/profiling @ 7d475133 (MIT). Keeps, per row, the shape, num_tokens, TP and the median
time in milliseconds of each GEMM and of the small per-layer operators.
"""
import csv, os, sys

src, dst = sys.argv[1], sys.argv[2]
ops = ["attn_pre_proj", "attn_post_proj", "mlp_up_proj", "mlp_down_proj",
       "input_layernorm", "post_attention_layernorm", "attn_rope", "mlp_act", "add"]
for gpu in ["a100", "h100"]:
    out = open(os.path.join(dst, f"{gpu}_mlp.csv"), "w", newline="")
    w = csv.writer(out)
    w.writerow(["model", "n_head", "n_kv_head", "n_embd", "n_expanded_embd", "use_gated_mlp", "num_tokens", "tp"] + ops)
    base = os.path.join(src, "compute", gpu)
    for org in sorted(os.listdir(base)):
        for model in sorted(os.listdir(os.path.join(base, org))):
            with open(os.path.join(base, org, model, "mlp.csv")) as f:
                for r in csv.DictReader(f):
                    w.writerow([model, r["n_head"], r["n_kv_head"], r["n_embd"], r["n_expanded_embd"], r["use_gated_mlp"],
                                r["num_tokens"], r["num_tensor_parallel_workers"]] +
                               [f"{float(r[f'time_stats.{o}.median']):.4f}" for o in ops])
    out.close()
    with open(os.path.join(src, "network", f"{gpu}_dgx", "all_reduce.csv")) as f, \
         open(os.path.join(dst, f"{gpu}_all_reduce.csv"), "w", newline="") as o:
        w = csv.writer(o)
        w.writerow(["num_workers", "size_bytes", "median_ms"])
        for r in csv.DictReader(f):
            # Only collectives whose workers all sit in one node: tensor parallelism stays inside a node.
            if r["devices_per_node"] != r["num_workers"]:
                continue
            w.writerow([r["num_workers"], r["size"], f"{float(r['time_stats.all_reduce.median']):.4f}"])
