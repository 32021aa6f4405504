//! End-to-end tests of the `infercost` binary: real invocations, their exit codes, stdout and stderr.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn infercost(args: &[&str], dir: &Path) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_infercost"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("infercost-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn json(r: &Run) -> serde_json::Value {
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

#[test]
fn trace_stats_on_the_azure_traces_matches_independent_counts() {
    // Row counts and nearest-rank percentiles computed independently with Python's csv module.
    let conv = json(&infercost(
        &[
            "trace",
            "stats",
            "data/traces/azure_conv_2023.csv",
            "--json",
        ],
        &root(),
    ));
    assert_eq!(conv["format"], "azure");
    assert_eq!(conv["requests"], 19_366);
    assert_eq!(conv["malformed_rows"], 0);
    assert_eq!(conv["input_tokens"]["p50"], 1020.0);
    assert_eq!(conv["input_tokens"]["p99"], 4142.0);
    assert_eq!(conv["input_tokens"]["max"], 14_050.0);
    assert_eq!(conv["input_tokens"]["total"], 22_361_870.0);
    assert_eq!(conv["output_tokens"]["p90"], 424.0);
    assert_eq!(conv["output_tokens"]["total"], 4_088_665.0);
    assert!(conv["peak_to_mean"]["60s"].as_f64().unwrap() > 1.0);
    assert_eq!(
        conv["rate_by_hour"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .sum::<u64>(),
        19_366
    );
    for key in ["duration_s", "mean_rate_rps", "interarrival_cv"] {
        assert!(conv[key].as_f64().unwrap() > 0.0, "{key}");
    }
    let code = json(&infercost(
        &[
            "trace",
            "stats",
            "data/traces/azure_code_2023.csv",
            "--json",
        ],
        &root(),
    ));
    assert_eq!(code["requests"], 8_819);
    assert_eq!(code["input_tokens"]["p99"], 7436.0);
    assert_eq!(code["output_tokens"]["p50"], 13.0);
}

#[test]
fn scale_is_seeded_and_never_overwrites() {
    let d = temp("scale");
    let args = |out: &str| {
        vec![
            "trace",
            "scale",
            "embedded:azure-conv",
            "--volume",
            "3",
            "--context-mult",
            "2",
            "--burst",
            "2",
            "--seed",
            "7",
            "-o",
            out,
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>()
    };
    let run = |out: &str| {
        infercost(
            &args(out).iter().map(String::as_str).collect::<Vec<_>>(),
            &d,
        )
    };
    assert_eq!(run("a.jsonl").code, 0);
    assert_eq!(run("b.jsonl").code, 0);
    let (a, b) = (
        std::fs::read(d.join("a.jsonl")).unwrap(),
        std::fs::read(d.join("b.jsonl")).unwrap(),
    );
    assert_eq!(a, b);
    let st = json(&infercost(&["trace", "stats", "a.jsonl", "--json"], &d));
    assert_eq!(st["format"], "mooncake");
    assert_eq!(st["requests"], 3 * 19_366);
    assert_eq!(st["input_tokens"]["total"], 2.0 * 3.0 * 22_361_870.0);
    let again = run("a.jsonl");
    assert_eq!(again.code, 2);
    assert_eq!(
        again.stderr,
        "error: a.jsonl already exists; pass --force to overwrite it\n"
    );
}

#[test]
fn synth_with_sessions_reports_them() {
    let d = temp("synth");
    let r = infercost(
        &[
            "trace",
            "synth",
            "--duration",
            "600",
            "--sessions",
            "20",
            "--turns",
            "5",
            "--think-time",
            "10",
            "-o",
            "s.jsonl",
        ],
        &d,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let st = json(&infercost(&["trace", "stats", "s.jsonl", "--json"], &d));
    assert!(st["sessions"].as_u64().unwrap() >= 20);
    assert!(st["concurrent_sessions"]["peak"].as_u64().unwrap() <= 20);
    let r = infercost(
        &[
            "trace",
            "synth",
            "--rate",
            "2",
            "--duration",
            "3600",
            "--arrival",
            "gamma:4",
            "--lengths",
            "lognormal:1000,6000,200,900",
            "--diurnal",
            "embedded:servegen",
            "-o",
            "g.jsonl",
        ],
        &d,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let st = json(&infercost(&["trace", "stats", "g.jsonl", "--json"], &d));
    assert!(
        st["interarrival_cv"].as_f64().unwrap() > 2.5,
        "{}",
        st["interarrival_cv"]
    );
}

#[test]
fn bad_input_is_exit_code_2_with_a_message_that_names_it() {
    let d = temp("errors");
    std::fs::write(
        d.join("bad.csv"),
        "arrived_at,num_prefill_tokens,num_decode_tokens\n0.5,10,5\nx,1,1\n1.5,-2,1\n",
    )
    .unwrap();
    std::fs::write(d.join("weird.csv"), "a,b,c\n1,2,3\n").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["trace", "stats", "nope.csv"], "error: cannot read nope.csv: No such file or directory (os error 2)\n"),
        (vec!["trace", "stats", "bad.csv", "--strict"], "error: bad.csv:3: time \"x\" is not a number\n"),
        (
            vec!["trace", "stats", "weird.csv"],
            "error: weird.csv: cannot tell the trace format from its first line \"a,b,c\"; expected an Azure (TIMESTAMP,ContextTokens,GeneratedTokens), Vidur (arrived_at,num_prefill_tokens,num_decode_tokens), lengths (num_prefill_tokens,num_decode_tokens), BurstGPT (Timestamp,Model,Request tokens,Response tokens,...) or LiteLLM spend log (startTime,prompt_tokens,completion_tokens,...) CSV header, a JSON array of LiteLLM spend logs, or a JSON object per line; use --format csv|jsonl with --col-* for other files\nhint: pass --format csv or --format jsonl with --col-time, --col-input and --col-output\n",
        ),
        (vec!["model", "show", "gpt-5", "--gpu", "h100-sxm"], "error: unknown model \"gpt-5\"; known: llama-3.1-8b, llama-3.1-70b, llama-3.1-405b, mixtral-8x7b, mixtral-8x22b, deepseek-v3, qwen3-8b, qwen3-14b, qwen3-32b, qwen3-30b-a3b, qwen3-235b-a22b, gpt-oss-120b (or a path to a config.json)\n"),
        (vec!["model", "show", "llama-3.1-8b", "--gpu", "h900"], "error: unknown gpu \"h900\"; known: a100-40gb, a100-80gb, h100-sxm, h100-pcie, h200, b200, l40s, l4, mi300x\n"),
        // A deployment that does not fit is refused with what would make it fit, and then what to try.
        (
            vec!["model", "step", "llama-3.1-405b", "--gpu", "h100-sxm", "--tp", "1", "--decode-batch", "1"],
            "error: llama-3.1-405b does not fit on 1× h100-sxm: 691.5 GiB short per GPU for one 8192-token sequence; it needs at least TP8×PP2 (16 GPUs) on h100-sxm\nhint: try a larger --tp or --pp, --weights fp8, or a GPU with more memory (`infercost gpu list`)\n",
        ),
        (vec!["model", "show", "llama-3.1-8b", "--gpu", "h100-sxm", "--tp", "3"], "error: tensor parallelism must be a power of two (1, 2, 4, 8 within a node; 16 and more across nodes with --attention-dp), got 3\n"),
        // Layouts that cannot run say why.
        (vec!["model", "show", "llama-3.1-8b", "--gpu", "h100-sxm", "--tp", "2", "--ep", "2"], "error: expert parallelism needs a mixture-of-experts model; llama-3.1-8b is dense\n"),
        (vec!["model", "show", "llama-3.1-70b", "--gpu", "h100-sxm", "--tp", "8", "--attention-dp"], "error: data-parallel attention is for mixture-of-experts models; llama-3.1-70b is dense: serve more replicas instead\n"),
        (vec!["model", "show", "qwen3-30b-a3b", "--gpu", "h100-sxm", "--tp", "1", "--attention-dp"], "error: data-parallel attention spreads attention over a stage's GPUs, and a stage of one GPU has nothing to spread: use --tp 2 or more with --attention-dp\n"),
        (vec!["model", "show", "llama-3.1-8b", "--gpu", "h100-sxm", "--pp", "33"], "error: pipeline parallelism 33 must be between 1 and llama-3.1-8b's 32 layers\n"),
        (vec!["model", "show", "mixtral-8x7b", "--gpu", "h100-sxm", "--tp", "8", "--ep", "16"], "error: expert parallelism 16 must divide the 8 GPUs of a stage (--ep at most --tp; each expert is split --tp/--ep ways)\n"),
        (vec!["model", "step", "llama-3.1-70b", "--gpu", "h100-sxm", "--tp", "16", "--decode-batch", "1"], "error: tensor parallelism 16 is more than the 8 GPUs in one h100-sxm node; span nodes with --pp (or --attention-dp for a MoE model)\n"),
        (vec!["cost", "--gpus", "8", "--hours", "-1", "--busy-fraction", "0.5"], "error: hours must be between 0 and 730 (one month), got -1\n"),
        (
            vec!["simulate", "--trace", "embedded:nope", "llama-3.1-8b", "--gpu", "h100-sxm", "--replicas", "1"],
            "error: embedded:nope is not a built-in trace; the built-in traces are embedded:azure-conv and embedded:azure-code\n",
        ),
    ];
    for (args, expected) in cases {
        let r = infercost(&args, &d);
        assert_eq!((r.code, r.stderr.as_str()), (2, expected), "{args:?}");
    }
    // Zero replicas is refused by the flag, which the message names.
    let r = infercost(
        &[
            "simulate",
            "--trace",
            "embedded:azure-conv",
            "llama-3.1-8b",
            "--gpu",
            "h100-sxm",
            "--replicas",
            "0",
        ],
        &d,
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("'0' for '--replicas"), "{}", r.stderr);
    // Without --strict the bad rows are skipped, counted and named.
    let r = infercost(&["trace", "stats", "bad.csv", "--json"], &d);
    assert_eq!(r.code, 0);
    assert_eq!(r.stderr, "warning: bad.csv:3: skipped: time \"x\" is not a number\nwarning: bad.csv:4: skipped: num_prefill_tokens \"-2\" is negative\n");
    assert_eq!(json(&r)["malformed_rows"], 2);
    let r = infercost(
        &[
            "cost",
            "--gpus",
            "8",
            "--hours",
            "730",
            "--busy-fraction",
            "0.5",
            "--plan",
            "nope",
        ],
        &d,
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .starts_with("error: unknown plan \"nope\"; known plans: aws-h100-on-demand, "),
        "{}",
        r.stderr
    );
    std::fs::write(
        d.join("s.toml"),
        infercost_default_scenario().replace("ttft_ms = 2000", "ttft_ms = 2000\nttft_p99 = 5"),
    )
    .unwrap();
    let r = infercost(&["plan", "s.toml"], &d);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with("error: s.toml:") && r.stderr.contains("unknown field `ttft_p99`"),
        "{}",
        r.stderr
    );
}

fn infercost_default_scenario() -> String {
    infercost(&["plan", "--example"], &root()).stdout
}

#[test]
fn model_show_reports_a_deployment_that_does_not_fit() {
    let show = |args: &[&str]| {
        let mut all = vec!["model", "show"];
        all.extend_from_slice(args);
        all.push("--json");
        json(&infercost(&all, &root()))
    };
    // 810 GB of bf16 weights fit no 8-GPU node but two nodes: model show uses that layout and says so.
    let v = show(&["llama-3.1-405b", "--gpu", "h100-sxm"]);
    assert_eq!(v["fits"], true);
    assert_eq!(
        (v["min_gpus"].as_u64(), v["gpus"].as_u64()),
        (Some(16), Some(16))
    );
    assert_eq!(
        (v["layout"]["tp"].as_u64(), v["layout"]["pp"].as_u64()),
        (Some(8), Some(2))
    );
    assert_eq!(v["layout"]["nodes"].as_u64(), Some(2));
    assert!(v["min_tp"].is_null(), "no single-node TP fits");
    // DeepSeek-V3 in fp8 (671 GB) fits on H100 only across two nodes.
    let v = show(&["deepseek-v3", "--gpu", "h100-sxm", "--weights", "fp8"]);
    assert_eq!(
        (v["fits"].as_bool(), v["min_gpus"].as_u64()),
        (Some(true), Some(16))
    );
    assert_eq!((v["nodes"].as_u64(), v["pp"].as_u64()), (Some(2), Some(2)));
    // One node, asked for, does not fit: the hint names the layout that would.
    let v = show(&["llama-3.1-405b", "--gpu", "h100-sxm", "--tp", "8"]);
    assert_eq!(
        (v["fits"].as_bool(), v["min_gpus"].as_u64()),
        (Some(false), Some(16))
    );
    assert!(v["missing_gib"].as_f64().unwrap() > 0.0);
    assert!(v["hint"].as_str().unwrap().contains("TP8×PP2"), "{v}");
    // The smallest layout is the model's, whatever layout is shown: Qwen3-30B-A3B fits one H100, shown at TP8 EP8.
    let v = show(&[
        "qwen3-30b-a3b",
        "--gpu",
        "h100-sxm",
        "--tp",
        "8",
        "--ep",
        "8",
    ]);
    assert_eq!(
        (
            v["gpus"].as_u64(),
            v["min_gpus"].as_u64(),
            v["min_tp"].as_u64()
        ),
        (Some(8), Some(1), Some(1))
    );
    // `--attention-dp` alone takes the smallest stage of several GPUs.
    let v = show(&["qwen3-30b-a3b", "--gpu", "h100-sxm", "--attention-dp"]);
    assert_eq!(
        (
            v["tp"].as_u64(),
            v["ep"].as_u64(),
            v["attention_dp"].as_bool()
        ),
        (Some(2), Some(2), Some(true))
    );
    // EP8 with data-parallel attention on one node cannot hold DeepSeek-V3 in fp8: the hint names the layout of
    // that kind that does, two nodes' stage, not "no layout fits".
    let v = show(&[
        "deepseek-v3",
        "--gpu",
        "h100-sxm",
        "--weights",
        "fp8",
        "--ep",
        "8",
        "--attention-dp",
    ]);
    assert_eq!(v["fits"], false);
    assert!(
        v["hint"]
            .as_str()
            .unwrap()
            .contains("TP16 EP16 attention-DP (16 GPUs)"),
        "{v}"
    );
    // Nothing within 8 nodes holds a 100 M-token sequence.
    let v = show(&[
        "llama-3.1-8b",
        "--gpu",
        "l4",
        "--max-model-len",
        "100000000",
    ]);
    assert_eq!(v["fits"], false);
    assert!(v["min_gpus"].is_null() && v["layout"].is_null());
    assert!(v["hint"].as_str().unwrap().contains("fp8"));
    let v = json(&infercost(
        &[
            "model",
            "show",
            "llama-3.1-70b",
            "--gpu",
            "h100-sxm",
            "--json",
        ],
        &root(),
    ));
    assert_eq!(
        (v["fits"].as_bool(), v["min_tp"].as_u64(), v["tp"].as_u64()),
        (Some(true), Some(2), Some(2))
    );
    for k in [
        "params_total",
        "params_active",
        "weight_bytes",
        "kv_bytes_per_token",
        "kv_capacity_tokens",
        "max_decode_tokens_per_s",
    ] {
        assert!(!v[k].is_null(), "{k}");
    }
    let s = json(&infercost(
        &[
            "model",
            "step",
            "llama-3.1-8b",
            "--gpu",
            "h100-sxm",
            "--prefill",
            "512x8",
            "--decode-batch",
            "32",
            "--context",
            "2000",
            "--json",
        ],
        &root(),
    ));
    // Each part is bound by its own resource: the GEMMs and attention each take at least their share of the
    // compute and of the reads, and the iteration is their sum plus communication and overhead.
    let f = |k: &str| s[k].as_f64().unwrap();
    let parts = f("gemm_ms") + f("attention_ms") + f("comm_ms") + f("overhead_ms");
    assert!((f("iteration_ms") - parts).abs() < 1e-9);
    assert!(f("gemm_ms") + f("attention_ms") >= f("compute_ms").max(f("memory_ms")) - 1e-9);
    assert!(f("gemm_ms") + f("attention_ms") <= f("compute_ms") + f("memory_ms") + 1e-9);
    assert!(s["iteration_ms"].as_f64().unwrap() >= s["roofline_ms"].as_f64().unwrap());
}

#[test]
fn prices_and_cost_speak_the_contract() {
    let rows = json(&infercost(
        &["prices", "list", "--gpu", "H100", "--json"],
        &root(),
    ));
    let rows = rows.as_array().unwrap();
    assert!(rows
        .iter()
        .all(|r| r["gpu"].as_str().unwrap().starts_with("h100")
            && r["usd_per_gpu_hour"].is_number()
            && !r["source"].as_str().unwrap().is_empty()));
    let bills = json(&infercost(
        &[
            "cost",
            "--gpus",
            "8",
            "--hours",
            "730",
            "--busy-fraction",
            "0.6",
            "--output-tokens",
            "1e9",
            "--requests",
            "4e6",
            "--all-plans",
            "--json",
        ],
        &root(),
    ));
    for b in bills["bills"].as_array().unwrap() {
        let f = |k: &str| (b[k].as_f64().unwrap() * 1e6).round() as i64;
        assert_eq!(
            f("gpu_usd") + f("egress_usd") + f("transfer_usd") + f("api_usd"),
            f("total_usd_per_month"),
            "{}",
            b["plan"]
        );
    }
    let d = temp("import");
    let vms = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone,Arch\np5.48xlarge,H100,8.0,192.0,2048.0,\"{'Gpus': []}\",55.04,20.0,us-east-1,use1-az1,x86_64\n";
    std::fs::write(d.join("aws_vms.csv"), vms).unwrap();
    let r = infercost(
        &[
            "prices",
            "import-skypilot",
            "aws_vms.csv",
            "--as-of",
            "2026-11-27",
            "-o",
            "mine.toml",
        ],
        &d,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = json(&infercost(
        &[
            "prices",
            "list",
            "--catalog",
            "mine.toml",
            "--region",
            "us-east-1",
            "--provider",
            "aws",
            "--json",
        ],
        &d,
    ));
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["plan"] == "aws-h100-sxm-on-demand-us-east-1" && r["usd_per_gpu_hour"] == 6.88));
    let r = infercost(
        &[
            "prices",
            "import-skypilot",
            "aws_vms.csv",
            "-o",
            "mine.toml",
        ],
        &d,
    );
    assert_eq!(r.code, 2);
}

#[test]
fn simulate_and_capacity_print_the_contract_fields() {
    let d = temp("sim");
    let r = infercost(
        &[
            "trace",
            "scale",
            "embedded:azure-conv",
            "--volume",
            "0.2",
            "-o",
            "small.jsonl",
        ],
        &d,
    );
    assert_eq!(r.code, 0);
    let v = json(&infercost(
        &[
            "simulate",
            "--trace",
            "small.jsonl",
            "llama-3.1-8b",
            "--gpu",
            "a100-80gb",
            "--replicas",
            "1",
            "--slo-ttft-ms",
            "2000",
            "--slo-tpot-ms",
            "100",
            "--json",
            "--requests-out",
            "req.csv",
        ],
        &d,
    ));
    for k in [
        "requests",
        "completed",
        "unfinished",
        "preemptions",
        "ttft_ms",
        "tpot_ms",
        "e2e_ms",
        "queue_ms",
        "output_tokens_per_s",
        "gpu_busy_fraction",
        "makespan_s",
        "slo_attainment",
        "timeline",
    ] {
        assert!(!v[k].is_null(), "{k}");
    }
    assert_eq!(v["requests"], v["completed"]);
    let lines = std::fs::read_to_string(d.join("req.csv"))
        .unwrap()
        .lines()
        .count() as u64;
    assert_eq!(lines, v["requests"].as_u64().unwrap() + 1);
    let c = json(&infercost(
        &[
            "capacity",
            "--trace",
            "small.jsonl",
            "llama-3.1-8b",
            "--gpu",
            "a100-80gb",
            "--slo-ttft-ms",
            "2000",
            "--slo-tpot-ms",
            "100",
            "--json",
        ],
        &d,
    ));
    assert!(c["min_replicas"].as_u64().unwrap() >= 1);
    assert!(c["max_rps_per_replica"].as_f64().unwrap() > 0.0);
}

#[test]
fn shards_merge_into_the_same_plan() {
    let d = temp("shard");
    let scenario = "[pilot]\ntrace = \"embedded:azure-conv\"\n[[deployment]]\nname = \"8b\"\nmodel = \"llama-3.1-8b\"\n[sweep]\nvolume = [1, 2, 4]\ngpus = [\"a100-80gb\"]\n[slo]\nttft_ms = 2000\ntpot_ms = 100\n";
    std::fs::write(d.join("s.toml"), scenario).unwrap();
    let whole = infercost(&["plan", "s.toml", "--json", "--no-progress"], &d);
    assert_eq!(whole.code, 0, "{}", whole.stderr);
    for i in 0..2 {
        let shard = infercost(
            &[
                "plan",
                "s.toml",
                "--json",
                "--no-progress",
                "--shard",
                &format!("{i}/2"),
            ],
            &d,
        );
        assert_eq!(shard.code, 0, "{}", shard.stderr);
        std::fs::write(d.join(format!("shard{i}.json")), shard.stdout).unwrap();
    }
    let merged = infercost(&["merge", "shard1.json", "shard0.json", "--json"], &d);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    assert!(
        merged.stdout == whole.stdout,
        "merged shards differ from the whole plan"
    );
    let missing = infercost(&["merge", "shard0.json"], &d);
    assert_eq!(
        (missing.code, missing.stderr.as_str()),
        (2, "error: shard 1/2 is missing\n")
    );
    // `infercost merge … | head -1` ends quietly, in text and in JSON.
    for json in [false, true] {
        let mut args = vec!["merge", "shard1.json", "shard0.json"];
        if json {
            args.push("--json");
        }
        assert_eq!(
            with_closed_stdout(&args, &d),
            (0, String::new()),
            "{args:?}"
        );
    }
}

/// A tiny sweep (one deployment, one GPU, volumes 1× and 2×) in `sub/`, its pilot a trace file beside it, and two
/// catalogs with a one-year plan on that GPU at different prices.
fn tiny_sweep_with_catalogs(d: &Path) {
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::copy(
        root().join("data/traces/azure_conv_2023.csv"),
        d.join("sub/pilot.csv"),
    )
    .unwrap();
    let scenario = "[pilot]\ntrace = \"pilot.csv\"\n[[deployment]]\nname = \"8b\"\nmodel = \"llama-3.1-8b\"\n[sweep]\nvolume = [1, 2]\ncontext = [1]\nburst = [1]\ngpus = [\"a100-80gb\"]\n[slo]\nttft_ms = 2000\ntpot_ms = 100\n";
    std::fs::write(d.join("sub/s.toml"), scenario).unwrap();
    let committed = plan_entry("mine-1y", "a100-80gb").replace("on-demand", "committed-1y");
    std::fs::write(d.join("mine.toml"), committed.replace("2.0", "0.5")).unwrap();
    std::fs::write(d.join("other.toml"), committed.replace("2.0", "0.75")).unwrap();
}

/// `plan sub/s.toml --catalog CATALOG --json`, with `--shard` when given.
fn plan_tiny(d: &Path, catalog: &str, shard: Option<&str>) -> Run {
    let mut args = vec![
        "plan",
        "sub/s.toml",
        "--catalog",
        catalog,
        "--json",
        "--no-progress",
    ];
    if let Some(s) = shard {
        args.extend(["--shard", s]);
    }
    let r = infercost(&args, d);
    assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    r
}

#[test]
fn shards_carry_their_catalogs_so_merge_needs_none() {
    let d = temp("shard-catalog");
    tiny_sweep_with_catalogs(&d);
    let whole = plan_tiny(&d, "mine.toml", None);
    // The catalog's one-year plan is what the break-even compares, so a merge at other prices would differ.
    assert!(
        json(&whole)["breakevens"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["description"]
                .as_str()
                .unwrap()
                .starts_with("mine-1y ($0.50/GPU-h)")),
        "{}",
        whole.stdout
    );
    for i in 0..2 {
        let shard = plan_tiny(&d, "mine.toml", Some(&format!("{i}/2")));
        std::fs::write(d.join(format!("shard{i}.json")), shard.stdout).unwrap();
    }
    let merged = infercost(&["merge", "shard1.json", "shard0.json", "--json"], &d);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    assert!(
        merged.stdout == whole.stdout,
        "shards merged without --catalog differ from the whole plan with it"
    );
}

#[test]
fn merge_refuses_shards_it_cannot_finish_as_one_run_would() {
    let d = temp("shard-refusals");
    tiny_sweep_with_catalogs(&d);
    let shard = |catalog: &str, s: &str, file: &str| {
        std::fs::write(d.join(file), plan_tiny(&d, catalog, Some(s)).stdout).unwrap();
    };
    shard("mine.toml", "0/2", "shard0.json");
    shard("mine.toml", "1/2", "shard1.json");
    shard("other.toml", "1/2", "other1.json");
    let merge = |args: &[&str]| {
        let r = infercost(args, &d);
        (r.code, r.stderr)
    };
    assert_eq!(
        merge(&["merge", "shard0.json", "other1.json", "--json"]),
        (
            2,
            "error: other1.json was planned with different price catalogs (--catalog) than shard0.json\n"
                .into()
        )
    );
    assert_eq!(
        merge(&["merge", "shard0.json", "shard1.json", "--catalog", "mine.toml"]),
        (
            2,
            "error: merge takes no --catalog: each shard carries the price catalogs it was planned with, and merge uses those\n"
                .into()
        )
    );
    // The pilot trace is read again where merge runs, at the path the shards were planned with.
    std::fs::rename(d.join("sub/pilot.csv"), d.join("pilot.csv")).unwrap();
    assert_eq!(
        merge(&["merge", "shard0.json", "shard1.json", "--json"]),
        (
            2,
            "error: the pilot trace sub/pilot.csv is not here: merge reads it again to finish the analysis, at the path the shards were planned with\n"
                .into()
        )
    );
    // Another trace at that path is not the pilot the shards were planned from.
    std::fs::copy(
        root().join("data/traces/azure_code_2023.csv"),
        d.join("sub/pilot.csv"),
    )
    .unwrap();
    let (code, stderr) = merge(&["merge", "shard0.json", "shard1.json", "--json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("error: sub/pilot.csv: ")
            && stderr.contains("but the shards were planned from a pilot of 19366 requests"),
        "{stderr}"
    );
}

/// `infercost ARGS` with only these of the job-array variables set, whatever the test's own environment holds.
fn infercost_in_job(args: &[&str], dir: &Path, vars: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_infercost"));
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1");
    for k in [
        "JOB_COMPLETION_INDEX",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_MIN",
        "INFERCOST_SHARDS",
        "SLURM_ARRAY_TASK_COUNT",
    ] {
        cmd.env_remove(k);
    }
    let out = cmd.envs(vars.iter().copied()).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

#[test]
fn shard_auto_reads_the_job_index_and_merge_reads_folders() {
    let d = temp("shard-auto");
    let scenario = "[pilot]\ntrace = \"embedded:azure-conv\"\n[[deployment]]\nname = \"8b\"\nmodel = \"llama-3.1-8b\"\n[sweep]\nvolume = [1, 2]\ncontext = [1]\nburst = [1]\ngpus = [\"a100-80gb\"]\n[slo]\nttft_ms = 2000\ntpot_ms = 100\n";
    std::fs::write(d.join("s.toml"), scenario).unwrap();
    let plan = ["plan", "s.toml", "--json", "--no-progress"];
    let whole = infercost_in_job(&plan, &d, &[]);
    assert_eq!(whole.code, 0, "{}", whole.stderr);
    let auto = [&plan[..], &["--shard", "auto"]].concat();
    for (dir, i) in [("shards", "0"), ("more", "1")] {
        std::fs::create_dir_all(d.join(dir)).unwrap();
        let r = infercost_in_job(
            &auto,
            &d,
            &[("JOB_COMPLETION_INDEX", i), ("INFERCOST_SHARDS", "2")],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        std::fs::write(d.join(format!("{dir}/shard-{i}.json")), r.stdout).unwrap();
    }
    // A Slurm array numbered from 1 gives the same slice as index 1 of 2.
    let slurm = infercost_in_job(
        &auto,
        &d,
        &[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
        ],
    );
    assert_eq!(slurm.code, 0, "{}", slurm.stderr);
    assert!(slurm.stdout == std::fs::read_to_string(d.join("more/shard-1.json")).unwrap());
    // What else lands in a folder (the merged result, logs, other JSON) is not a shard and is left alone.
    std::fs::write(d.join("shards/result.json"), &whole.stdout).unwrap();
    std::fs::write(d.join("shards/empty.json"), "").unwrap();
    std::fs::write(d.join("shards/other.json"), "{\"shard\": [1, 2]}").unwrap();
    std::fs::write(d.join("shards/slurm-1.out"), "log").unwrap();
    std::fs::copy(d.join("more/shard-1.json"), d.join("shards/shard-1.json")).unwrap();
    let merged = infercost_in_job(&["merge", "shards", "--json"], &d, &[]);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    assert!(
        merged.stdout == whole.stdout,
        "merge DIR differs from the whole plan"
    );
    std::fs::remove_file(d.join("shards/shard-1.json")).unwrap();
    let mixed = infercost_in_job(&["merge", "more/shard-1.json", "shards", "--json"], &d, &[]);
    assert_eq!(mixed.code, 0, "{}", mixed.stderr);
    assert!(
        mixed.stdout == whole.stdout,
        "merge FILE DIR differs from the whole plan"
    );
    assert_eq!(
        infercost_in_job(&["merge", "shards"], &d, &[]).stderr,
        "error: shard 1/2 is missing\n"
    );
    std::fs::create_dir_all(d.join("empty")).unwrap();
    std::fs::write(d.join("empty/result.json"), &whole.stdout).unwrap();
    let none = infercost_in_job(&["merge", "shards", "empty"], &d, &[]);
    assert_eq!(
        (none.code, none.stderr.as_str()),
        (
            2,
            "error: empty: no shard results in this folder (*.json from `plan --shard I/N --json`)\n"
        )
    );
    let outside = infercost_in_job(&auto, &d, &[]);
    assert_eq!(
        (outside.code, outside.stderr.as_str()),
        (
            2,
            "error: --shard auto: no job index: set JOB_COMPLETION_INDEX (a Kubernetes indexed Job) or SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_MIN (a Slurm array), or give --shard I/N\n"
        )
    );
    let wrong = infercost_in_job(
        &auto,
        &d,
        &[("JOB_COMPLETION_INDEX", "2"), ("INFERCOST_SHARDS", "2")],
    );
    assert_eq!(wrong.code, 2);
    assert!(
        wrong
            .stderr
            .starts_with("error: --shard auto: JOB_COMPLETION_INDEX=2 is not below"),
        "{}",
        wrong.stderr
    );
}

#[test]
fn lengths_only_mooncake_and_gzip_files_are_read() {
    // Expected figures computed independently with Python from the fixtures in tests/data.
    let v = json(&infercost(
        &[
            "trace",
            "stats",
            "tests/data/sharegpt_lengths_200.csv",
            "--json",
        ],
        &root(),
    ));
    assert_eq!(
        (
            v["format"].as_str(),
            v["requests"].as_u64(),
            v["has_timestamps"].as_bool()
        ),
        (Some("lengths"), Some(200), Some(false))
    );
    assert_eq!(v["input_tokens"]["p50"], 1413.0);
    assert_eq!(v["input_tokens"]["total"], 398_909.0);
    assert!(v["duration_s"].is_null() && v["peak_to_mean"].is_null());
    let m = json(&infercost(
        &["trace", "stats", "tests/data/mooncake_100.jsonl", "--json"],
        &root(),
    ));
    assert_eq!(
        (m["format"].as_str(), m["requests"].as_u64()),
        (Some("mooncake"), Some(100))
    );
    assert_eq!(m["input_tokens"]["total"], 1_309_898.0);
    assert!((m["duration_s"].as_f64().unwrap() - 28.356).abs() < 1e-9);
    // A gzip copy reads the same.
    let d = temp("gz");
    std::fs::copy(
        root().join("tests/data/mooncake_100.jsonl"),
        d.join("m.jsonl"),
    )
    .unwrap();
    assert!(Command::new("gzip")
        .arg("m.jsonl")
        .current_dir(&d)
        .status()
        .unwrap()
        .success());
    let g = json(&infercost(&["trace", "stats", "m.jsonl.gz", "--json"], &d));
    assert_eq!(g["input_tokens"], m["input_tokens"]);
    // Synthesis can sample lengths from a length-only file.
    let r = infercost(
        &[
            "trace",
            "synth",
            "--rate",
            "5",
            "--duration",
            "100",
            "--lengths",
            &root()
                .join("tests/data/sharegpt_lengths_200.csv")
                .display()
                .to_string(),
            "-o",
            "s.jsonl",
        ],
        &d,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[cfg(feature = "parquet")]
#[test]
fn a_parquet_log_reads_as_its_source_rows() {
    // Expected figures computed independently with Python from the first 20 rows of mooncake_100.jsonl, which
    // tests/data/mooncake_20.parquet holds.
    let v = json(&infercost(
        &["trace", "stats", "tests/data/mooncake_20.parquet", "--json"],
        &root(),
    ));
    assert_eq!(
        (v["format"].as_str(), v["requests"].as_u64()),
        (Some("parquet"), Some(20))
    );
    assert_eq!(v["input_tokens"]["total"], 352_366.0);
    assert!((v["duration_s"].as_f64().unwrap() - 5.292).abs() < 1e-9);
    // Odd rows are llama-3.1-70b.
    let f = json(&infercost(
        &[
            "trace",
            "stats",
            "tests/data/mooncake_20.parquet",
            "--format",
            "parquet",
            "--where",
            "model=llama-3.1-70b",
            "--json",
        ],
        &root(),
    ));
    assert_eq!(f["input_tokens"]["total"], 208_767.0);
}

#[cfg(not(feature = "parquet"))]
#[test]
fn a_parquet_log_without_the_feature_is_exit_2_saying_how_to_rebuild() {
    let r = infercost(
        &["trace", "stats", "tests/data/mooncake_20.parquet", "--json"],
        &root(),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(
        r.stderr.contains("mooncake_20.parquet")
            && r.stderr.contains(
                "this infercost was built without Parquet support; rebuild with `--features parquet`"
            ),
        "{}",
        r.stderr
    );
}

// ---------------------------------------------------------------- inputs: nothing crashes, nothing is silently
// accepted, nothing is lost

/// Runs the binary with its stdout a pipe whose reader is gone before the program writes, as `| head -1` leaves
/// it once head has its line. Returns the exit code and stderr.
fn with_closed_stdout(args: &[&str], dir: &Path) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_infercost"))
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn a_closed_stdout_ends_the_program_quietly() {
    let cost = [
        "cost",
        "--gpus",
        "8",
        "--hours",
        "730",
        "--busy-fraction",
        "0.5",
    ];
    let cases: Vec<Vec<&str>> = vec![
        vec!["prices", "list"],
        vec!["prices", "list", "--json"],
        cost.to_vec(),
        [&cost[..], &["--json"]].concat(),
        vec!["trace", "stats", "data/traces/azure_conv_2023.csv"],
        vec![
            "trace",
            "stats",
            "data/traces/azure_conv_2023.csv",
            "--json",
        ],
        vec!["plan", "--example"],
    ];
    for args in cases {
        let (code, stderr) = with_closed_stdout(&args, &root());
        assert_eq!((code, stderr.as_str()), (0, ""), "{args:?}");
    }
}

#[test]
fn a_closed_stderr_does_not_turn_a_message_into_a_panic() {
    // `infercost … 2>&1 | head -1`: both streams lose their reader. The error still exits 2, the warning run 0.
    for (args, expected) in [
        (vec!["trace", "stats", "nope.csv"], 2),
        (vec!["prices", "list", "--catalog", "over.toml"], 0),
    ] {
        let d = temp("closed-stderr");
        std::fs::write(
            d.join("over.toml"),
            plan_entry("aws-h100-on-demand", "h100-sxm"),
        )
        .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_infercost"))
            .args(&args)
            .current_dir(&d)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        drop(child.stderr.take());
        assert_eq!(child.wait().unwrap().code(), Some(expected), "{args:?}");
    }
}

#[test]
fn reports_are_never_overwritten_without_force() {
    let d = temp("force");
    std::fs::create_dir_all(d.join("out")).unwrap();
    std::fs::write(d.join("out/report.md"), "mine").unwrap();
    std::fs::write(d.join("result.json"), "{}").unwrap();
    let r = infercost(&["report", "result.json", "--out", "out"], &d);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: out/report.md already exists; pass --force to overwrite, or choose another --out\n"
    );
    // With --force the check passes and the next problem (not a plan result) is the one reported.
    let r = infercost(&["report", "result.json", "--out", "out", "--force"], &d);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is not a plan result"), "{}", r.stderr);
    // plan refuses before the sweep: no "planned … points" note, and it is quick.
    let r = infercost(&["plan", "--out", "out", "--no-progress"], &d);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("out/report.md already exists") && !r.stderr.contains("planned"),
        "{}",
        r.stderr
    );
    std::fs::write(d.join("afile"), "x").unwrap();
    let r = infercost(&["plan", "--out", "afile/sub", "--no-progress"], &d);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("cannot create the report folder afile/sub")
            && !r.stderr.contains("planned"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(d.join("out/report.md")).unwrap(),
        "mine"
    );
    // The per-request CSV of simulate follows the same rule, checked before the simulation.
    std::fs::write(d.join("reqs.csv"), "mine").unwrap();
    let r = infercost(
        &[
            "simulate",
            "--trace",
            "embedded:azure-conv",
            "llama-3.1-8b",
            "--gpu",
            "h100-sxm",
            "--replicas",
            "1",
            "--requests-out",
            "reqs.csv",
        ],
        &d,
    );
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            2,
            "error: reqs.csv already exists; pass --force to overwrite it\n"
        )
    );
    // synth and scale check before doing the work.
    std::fs::write(d.join("t.jsonl"), "mine").unwrap();
    for args in [
        vec![
            "trace",
            "synth",
            "--rate",
            "1",
            "--duration",
            "10",
            "-o",
            "t.jsonl",
        ],
        vec!["trace", "scale", "embedded:azure-conv", "-o", "t.jsonl"],
    ] {
        let r = infercost(&args, &d);
        assert_eq!(
            (r.code, r.stderr.as_str()),
            (
                2,
                "error: t.jsonl already exists; pass --force to overwrite it\n"
            ),
            "{args:?}"
        );
    }
    assert_eq!(std::fs::read_to_string(d.join("t.jsonl")).unwrap(), "mine");
}

#[test]
fn implausible_times_are_named_and_an_offline_batch_has_no_rate() {
    let d = temp("times");
    let rows: String = (0..5)
        .map(|i| {
            format!(
                "{{\"timestamp\": {}, \"input_length\": 100, \"output_length\": 10}}\n",
                1_700_000_000_000u64 + i * 1000
            )
        })
        .collect();
    std::fs::write(
        d.join("future.jsonl"),
        rows.clone() + "{\"timestamp\": 1e15, \"input_length\": 100, \"output_length\": 10}\n",
    )
    .unwrap();
    let r = infercost(&["trace", "stats", "future.jsonl", "--json"], &d);
    assert!(
        r.stderr
            .starts_with("warning: future.jsonl:6: skipped: time 1e15 lies"),
        "{}",
        r.stderr
    );
    let st = json(&r);
    assert_eq!(
        (st["requests"].as_u64(), st["duration_s"].as_f64()),
        (Some(5), Some(4.0))
    );
    let r = infercost(&["trace", "stats", "future.jsonl", "--strict"], &d);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with("error: future.jsonl:6: time 1e15"),
        "{}",
        r.stderr
    );
    // A day of epoch milliseconds read as seconds: the error says which unit to try.
    let csv: String = "t,in,out\n".to_string()
        + &(0..50)
            .map(|i| format!("{},10,2\n", 1_700_000_000_000u64 + i * 1_800_000))
            .collect::<String>();
    std::fs::write(d.join("ms.csv"), csv).unwrap();
    let args = [
        "trace",
        "stats",
        "ms.csv",
        "--format",
        "csv",
        "--col-time",
        "t",
        "--col-input",
        "in",
        "--col-output",
        "out",
    ];
    let r = infercost(&args, &d);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("ms.csv: arrivals span") && r.stderr.contains("--time-unit"),
        "{}",
        r.stderr
    );
    let r = infercost(&[&args[..], &["--time-unit", "ms", "--json"]].concat(), &d);
    assert_eq!(json(&r)["requests"], 50);
    // An offline batch: every request at t=0 loads, says so, and reports no rate.
    let batch: String = (0..20)
        .map(|_| "{\"timestamp\": 0, \"input_length\": 100, \"output_length\": 10}\n")
        .collect();
    std::fs::write(d.join("batch.jsonl"), batch).unwrap();
    let r = infercost(&["trace", "stats", "batch.jsonl"], &d);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("same instant"), "{}", r.stderr);
    assert!(
        r.stdout.contains("rate is undefined") && !r.stdout.contains("requests/s"),
        "{}",
        r.stdout
    );
    let st = json(&infercost(&["trace", "stats", "batch.jsonl", "--json"], &d));
    assert!(
        st["mean_rate_rps"].is_null() && st["peak_to_mean"].is_null(),
        "{st}"
    );
}

#[test]
fn nonsense_parameters_are_refused_with_the_reason() {
    let d = temp("nonsense");
    std::fs::write(
        d.join("tokens.csv"),
        "arrived_at,num_prefill_tokens,num_decode_tokens\n0,4000000000,5\n1,0,0\n2,10,4\n3,11,5\n",
    )
    .unwrap();
    let r = infercost(&["trace", "stats", "tokens.csv", "--json"], &d);
    assert_eq!(
        r.stderr,
        "warning: tokens.csv:2: skipped: num_prefill_tokens 4000000000 is above 10,000,000 tokens, more than any request can carry\nwarning: tokens.csv:3: skipped: prompt and output are both 0 tokens: not a request\n"
    );
    assert_eq!(json(&r)["requests"], 2);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["trace", "scale", "embedded:azure-conv", "--context-mult", "1e30", "-o", "x.jsonl"],
            "error: prompt of 14050 tokens scaled by --context-mult 1e30 --context-add 0 gives 1.405e34 tokens, above the limit of 10,000,000\n",
        ),
        (
            vec!["trace", "scale", "embedded:azure-conv", "--volume", "0", "-o", "x.jsonl"],
            "error: --volume must be a positive finite number, got 0 (1 keeps the pilot's volume)\n",
        ),
        (
            vec!["trace", "synth", "--sessions", "5", "--rate", "50", "--duration", "60", "-o", "x.jsonl"],
            "error: --rate does not apply with --sessions: sessions mode keeps --sessions conversations open and the rate follows from --turns and --think-time; drop --rate, or drop --sessions for independent requests at --rate\n",
        ),
    ];
    for (args, expected) in cases {
        let r = infercost(&args, &d);
        assert_eq!((r.code, r.stderr.as_str()), (2, expected), "{args:?}");
    }
    assert!(!d.join("x.jsonl").exists());
    for (args, needle) in [
        (
            vec![
                "cost",
                "--gpus",
                "1.5",
                "--hours",
                "730",
                "--busy-fraction",
                "0.5",
            ],
            "GPUs are rented whole; 1.5 is not a whole number",
        ),
        (vec!["plan", "--threads", "0"], "must be at least 1"),
        (
            vec![
                "simulate",
                "--trace",
                "embedded:azure-conv",
                "llama-3.1-8b",
                "--gpu",
                "h100-sxm",
                "--replicas",
                "1",
                "--threads",
                "0",
            ],
            "must be at least 1",
        ),
    ] {
        let r = infercost(&args, &d);
        assert_eq!(r.code, 2, "{args:?}");
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
    }
}

const PLAN: &str = "[[plan]]\nname = \"NAME\"\nprovider = \"me\"\ngpu = \"GPU\"\nregion = \"home\"\ngeo = \"us\"\ncommitment = \"on-demand\"\nusd_per_gpu_hour = 2.0\nbilling_granularity_s = 1\nbilling_minimum_s = 60\nlead_time_s = 600\negress = \"aws\"\nsource = \"our quote\"\nas_of = \"2026-11-01\"\n";

fn plan_entry(name: &str, gpu: &str) -> String {
    PLAN.replace("NAME", name).replace("GPU", gpu)
}

#[test]
fn price_catalogs_refuse_duplicates_and_unknown_gpus_and_say_what_they_replace() {
    let d = temp("catalogs");
    std::fs::write(
        d.join("dup.toml"),
        plan_entry("mine", "h100-sxm") + "\n" + &plan_entry("mine", "h100-sxm"),
    )
    .unwrap();
    std::fs::write(d.join("a.toml"), plan_entry("mine", "h100-sxm")).unwrap();
    std::fs::write(d.join("b.toml"), plan_entry("mine", "a100-80gb")).unwrap();
    std::fs::write(d.join("gpu.toml"), plan_entry("mine", "h1000")).unwrap();
    std::fs::write(
        d.join("over.toml"),
        plan_entry("aws-h100-on-demand", "h100-sxm"),
    )
    .unwrap();
    let list = |files: &[&str]| {
        let mut args = vec!["prices", "list", "--json"];
        for f in files {
            args.extend(["--catalog", f]);
        }
        infercost(&args, &d)
    };
    let r = list(&["dup.toml"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            2,
            "error: dup.toml:17: plan \"mine\" is defined twice (lines 2 and 17); keep one\n"
        )
    );
    let r = list(&["a.toml", "b.toml"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            2,
            "error: b.toml:2: plan \"mine\" is already defined at a.toml:2; keep one of the two\n"
        )
    );
    let r = list(&["gpu.toml"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with("error: gpu.toml:2: plan \"mine\" is for GPU \"h1000\", which is not in the GPU catalog (data/gpus.toml: a100-40gb,"),
        "{}",
        r.stderr
    );
    let r = list(&["over.toml"]);
    assert_eq!(
        r.stderr,
        "warning: over.toml:2: plan \"aws-h100-on-demand\" replaces the built-in plan of the same name (data/prices.toml)\n"
    );
    let rows = json(&r);
    let aws = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["plan"] == "aws-h100-on-demand")
        .unwrap();
    assert_eq!(aws["usd_per_gpu_hour"], 2.0);
    // The built-in catalog itself names only GPUs the performance model knows.
    assert_eq!(list(&[]).stderr, "");
}

#[test]
fn skypilot_import_takes_the_median_zone_the_jurisdiction_and_the_source_date() {
    let d = temp("skypilot");
    let data = root().join("tests/data");
    let aws = data.join("skypilot_2026-11-27/aws_vms.csv");
    let gcp = data.join("anycloud_2026-05-20/gcp_vms.csv");
    let r = infercost(
        &[
            "prices",
            "import-skypilot",
            aws.to_str().unwrap(),
            gcp.to_str().unwrap(),
            "-o",
            "mine.toml",
        ],
        &d,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = json(&infercost(
        &[
            "prices",
            "list",
            "--catalog",
            "mine.toml",
            "--provider",
            "aws",
            "--json",
        ],
        &d,
    ));
    let spot = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["plan"] == "aws-a100-40gb-spot-ap-northeast-1")
        .unwrap();
    // $30.0978/h in apne1-az1 and $7.5205/h in apne1-az4 for 8 GPUs: the median is their mean, $2.3511.
    assert_eq!(spot["usd_per_gpu_hour"], 2.3511);
    assert_eq!(spot["as_of"], "2026-11-27");
    assert!(
        spot["source"]
            .as_str()
            .unwrap()
            .contains("apne1-az4 $0.9401, apne1-az1 $3.7622"),
        "{}",
        spot["source"]
    );
    let text = std::fs::read_to_string(d.join("mine.toml")).unwrap();
    assert!(!text.contains("geo = \"other\""), "{text}");
    assert!(
        text.contains("geo = \"jp\"") && text.contains("geo = \"eu\""),
        "{text}"
    );
    assert!(text.contains("as_of = \"2026-05-20\""), "{text}");
    // A path without a date needs --as-of: a price is as old as its source, not as the import.
    std::fs::copy(&aws, d.join("aws_vms.csv")).unwrap();
    let r = infercost(
        &[
            "prices",
            "import-skypilot",
            "aws_vms.csv",
            "-o",
            "other.toml",
        ],
        &d,
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .starts_with("error: aws_vms.csv: nothing says when")
            && r.stderr.contains("--as-of"),
        "{}",
        r.stderr
    );
    let r = infercost(
        &[
            "prices",
            "import-skypilot",
            "aws_vms.csv",
            "--as-of",
            "27/11/2026",
            "-o",
            "other.toml",
        ],
        &d,
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("YYYY-MM-DD"), "{}", r.stderr);
}

#[test]
fn calibrate_and_bench_work_from_any_directory() {
    let r = infercost(&["model", "calibrate", "--json"], Path::new("/tmp"));
    let cal = json(&r);
    assert_eq!(cal.as_array().unwrap().len(), 2);
    let d = temp("bench");
    let r = infercost(&["bench", "--what", "perf"], &d);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("100000 evaluations"), "{}", r.stdout);
}

/// A number from a JSON value, naming the key when it is missing.
fn num(v: &serde_json::Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

#[test]
fn simulate_capacity_and_plan_report_one_replica_capacity() {
    let d = temp("one-capacity");
    // The defaults with a limit above the pilot's longest prompt (14,050 tokens), and other engine settings
    // with vLLM's default limit, which rejects that prompt: each command must pass every setting through.
    let engines: [(&[&str], &str); 2] = [
        (&["--max-model-len", "32768"], "max_model_len = 32768\n"),
        (
            &[
                "--max-model-len",
                "8192",
                "--max-num-seqs",
                "16",
                "--max-batched-tokens",
                "4096",
                "--gpu-memory-utilization",
                "0.5",
                "--no-prefix-caching",
            ],
            "max_model_len = 8192\nmax_num_seqs = 16\nmax_batched_tokens = 4096\ngpu_memory_utilization = 0.5\nprefix_caching = false\n",
        ),
    ];
    for (i, (flags, engine)) in engines.iter().enumerate() {
        let common = [
            "--trace",
            "embedded:azure-conv",
            "llama-3.1-8b",
            "--gpu",
            "h100-sxm",
            "--slo-ttft-ms",
            "2000",
            "--slo-tpot-ms",
            "100",
            "--json",
        ];
        let mut args = vec!["capacity"];
        args.extend(common);
        args.extend(flags.iter());
        let cap = num(&json(&infercost(&args, &d)), "max_rps_per_replica");
        assert!(cap > 0.0);
        let mut args = vec!["simulate", "--replicas", "1", "--no-progress"];
        args.extend(common);
        args.extend(flags.iter());
        let sim = json(&infercost(&args, &d));
        assert_eq!(sim["rejected"], if i == 0 { 0 } else { 1 }, "{flags:?}");
        let busy = num(&sim, "gpu_busy_fraction");
        assert!(busy > 0.0 && busy < 1.0, "{flags:?}: busy {busy}");
        let implied = num(&sim, "offered_rps") / busy;
        assert!(
            (implied - cap).abs() <= 1e-9 * cap,
            "{flags:?}: simulate implies {implied} requests/s per replica, capacity says {cap}"
        );

        let scenario = format!(
            "[pilot]\ntrace = \"embedded:azure-conv\"\ndiurnal = \"flat\"\n[[deployment]]\nname = \"8b\"\nmodel = \"llama-3.1-8b\"\n[sweep]\nvolume = [1]\ngpus = [\"h100-sxm\"]\n[slo]\nttft_ms = 2000\ntpot_ms = 100\n[engine]\n{engine}"
        );
        std::fs::write(d.join("s.toml"), scenario).unwrap();
        let plan = json(&infercost(
            &["plan", "s.toml", "--json", "--no-progress"],
            &d,
        ));
        let points = plan["points"].as_array().unwrap();
        assert_eq!(points.len(), 1);
        let p = &points[0];
        assert_eq!(p["slo_met"], true, "{flags:?}: {}", p["reason"]);
        assert_eq!(num(p, "max_rps_per_replica"), cap, "{flags:?}");
        for s in p["serving"].as_array().unwrap() {
            assert_eq!(num(s, "max_rps_per_replica"), cap, "{flags:?}");
        }
        // The pilot is the hour of weight 1; with a flat day every hour is, and its busy fraction is
        // simulate's.
        let weights: Vec<f64> = plan["pilot"]["diurnal"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_f64().unwrap())
            .collect();
        let pilot_hour = weights.iter().position(|&w| w == 1.0).unwrap();
        let hour = &p["hourly"][pilot_hour];
        assert_eq!(hour["hour"], pilot_hour);
        let planned = num(hour, "busy_fraction_static");
        assert!(
            (planned - busy).abs() <= 0.05,
            "{flags:?}: plan says the pilot hour is {planned} busy, simulate {busy}"
        );
    }
}

#[test]
fn planned_servings_add_up_carry_their_load_and_agree_with_placement() {
    let d = temp("plan-invariants");
    // A100-80GB has no EU plan, so its points have no lawful serving: the cheapest point comes from H100.
    let scenario = "[pilot]\ntrace = \"embedded:azure-conv\"\n[[deployment]]\nname = \"8b\"\nmodel = \"llama-3.1-8b\"\n[sweep]\nvolume = [1, 10]\ncontext = [1, 2]\ngpus = [\"h100-sxm\", \"a100-80gb\"]\n[slo]\nttft_ms = 2000\ntpot_ms = 100\n[engine]\nmax_model_len = 32768\n[geography]\nusers = { us = 0.7, eu = 0.3 }\nresidency = { eu = [\"eu\"] }\ncross_region_rtt_ms = 90\n";
    std::fs::write(d.join("s.toml"), scenario).unwrap();
    let plan = json(&infercost(
        &["plan", "s.toml", "--json", "--no-progress"],
        &d,
    ));
    let rate = num(&plan["pilot"], "mean_rate_rps");
    let points = plan["points"].as_array().unwrap();
    let mut costed = 0;
    for p in points {
        let at = format!("{} {}× ctx {}", p["gpu"], p["volume"], p["context"]);
        let Some(total) = p["cheapest_usd_per_month"].as_f64() else {
            continue;
        };
        costed += 1;
        let serving = p["serving"].as_array().unwrap();
        assert!(!serving.is_empty(), "{at}");
        let sum: f64 = serving.iter().map(|s| num(s, "usd_per_month")).sum();
        assert!((sum - total).abs() < 0.01, "{at}: {sum} vs {total}");
        let shares: f64 = serving
            .iter()
            .map(|s| num(s, "requests_peak_hour_share"))
            .sum();
        assert!((shares - 1.0).abs() < 1e-9, "{at}: shares add to {shares}");
        for s in serving {
            let carried = num(s, "replicas_peak") * num(s, "max_rps_per_replica");
            let load = rate * num(p, "volume") * num(s, "requests_peak_hour_share");
            assert!(
                carried >= load,
                "{at}, {}: {carried} requests/s of capacity for {load}",
                s["served_in"]
            );
        }
    }
    assert!(costed >= 4, "the test needs priced points");
    let placement = plan["placement"].as_array().unwrap();
    assert_eq!(placement.len(), 2);
    for pl in placement {
        let chosen = pl["chosen"].as_str().unwrap();
        let option = pl["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == chosen)
            .unwrap();
        assert_eq!(option["allowed"], true);
        let best = points
            .iter()
            .filter(|p| {
                p["deployment"] == pl["deployment"]
                    && p["volume"] == pl["volume"]
                    && p["context"] == 1.0
                    && p["burst"] == 1.0
            })
            .filter_map(|p| p["cheapest_usd_per_month"].as_f64())
            .fold(f64::INFINITY, f64::min);
        assert!(
            (num(option, "usd_per_month") - best).abs() < 0.01,
            "{} at {}×: placement chose {chosen} at {} but the cheapest point costs {best}",
            pl["deployment"],
            pl["volume"],
            option["usd_per_month"]
        );
    }
}

#[test]
fn capacity_names_max_model_len_when_rejections_miss_the_slo() {
    // With a limit of 2,048 tokens over 1% of the pilot's prompts are rejected, so no fleet meets p99 however
    // large; the reason must say so, as `plan` does, not that 2,000 ms is below a 45 ms unloaded TTFT.
    let v = json(&infercost(
        &[
            "capacity",
            "--trace",
            "embedded:azure-conv",
            "llama-3.1-8b",
            "--gpu",
            "h100-sxm",
            "--max-model-len",
            "2048",
            "--slo-ttft-ms",
            "2000",
            "--slo-tpot-ms",
            "100",
            "--json",
        ],
        &root(),
    ));
    assert!(v["min_replicas"].is_null());
    let reason = v["reason"].as_str().unwrap();
    assert!(
        reason.contains("max_model_len") || reason.contains("max-model-len"),
        "{reason}"
    );
    assert!(!reason.contains("unloaded latency"), "{reason}");
}

#[test]
fn a_zero_max_model_len_is_refused() {
    let d = temp("zero-len");
    let sim = infercost(
        &[
            "simulate",
            "--trace",
            "embedded:azure-conv",
            "llama-3.1-8b",
            "--gpu",
            "h100-sxm",
            "--replicas",
            "1",
            "--max-model-len",
            "0",
            "--no-progress",
        ],
        &d,
    );
    assert_eq!(sim.code, 2, "{}", sim.stdout);
    assert!(sim.stderr.contains("max-model-len"), "{}", sim.stderr);
    let scenario = "[pilot]\ntrace = \"embedded:azure-conv\"\n[[deployment]]\nname = \"8b\"\nmodel = \"llama-3.1-8b\"\n[sweep]\nvolume = [1]\ngpus = [\"h100-sxm\"]\n[slo]\nttft_ms = 2000\ntpot_ms = 100\n[engine]\nmax_model_len = 0\n";
    std::fs::write(d.join("s.toml"), scenario).unwrap();
    let plan = infercost(&["plan", "s.toml", "--no-progress"], &d);
    assert_eq!(plan.code, 2, "{}", plan.stdout);
    assert!(plan.stderr.contains("max_model_len"), "{}", plan.stderr);
}

#[test]
fn rejections_in_the_peak_hour_scale_with_volume() {
    // Counted independently with Python's csv module: at max_model_len 6,000, 23 of the pilot's 19,366 prompts
    // reach the limit and 7 more run past it. Every point must report its whole peak hour, however many traffic
    // groups its fleet was sized in (volume 100 needs two groups of about 12 replicas).
    let d = temp("rejected-volume");
    let scenario = "[pilot]\ntrace = \"embedded:azure-conv\"\ndiurnal = \"flat\"\n[[deployment]]\nname = \"8b\"\nmodel = \"llama-3.1-8b\"\n[sweep]\nvolume = [1, 100]\ngpus = [\"h100-sxm\"]\n[slo]\nttft_ms = 2000\ntpot_ms = 100\n[engine]\nmax_model_len = 6000\n";
    std::fs::write(d.join("s.toml"), scenario).unwrap();
    let plan = json(&infercost(
        &["plan", "s.toml", "--json", "--no-progress"],
        &d,
    ));
    let points = plan["points"].as_array().unwrap();
    assert_eq!(points[0]["rejected_peak_hour"], 23);
    assert_eq!(points[0]["truncated_peak_hour"], 7);
    let p = &points[1];
    assert_eq!(p["slo_met"], true, "{}", p["reason"]);
    assert!(
        p["groups"].as_u64().unwrap() > 1,
        "the test needs group sampling"
    );
    for (key, pilot) in [("rejected_peak_hour", 23.0), ("truncated_peak_hour", 7.0)] {
        let got = num(p, key);
        let expect = pilot * num(p, "volume");
        assert!(
            (got - expect).abs() <= 0.2 * expect,
            "{key} at 100×: {got}, expected about {expect}"
        );
    }
}

#[test]
fn request_logs_are_detected_and_report_their_format_and_timing() {
    for (file, format, requests) in [
        ("tests/data/litellm_spend_logs.csv", "litellm", 10),
        ("tests/data/litellm_spend_logs.json", "litellm", 3),
        ("tests/data/otlp_genai_spans.jsonl", "otlp", 3),
        ("tests/data/burstgpt_sample.csv", "burstgpt", 6),
    ] {
        let r = infercost(&["trace", "stats", file, "--json"], &root());
        let v = json(&r);
        assert_eq!(
            (v["format"].as_str(), v["requests"].as_u64()),
            (Some(format), Some(requests)),
            "{file}"
        );
        // The same file read with its format forced gives the same figures.
        let forced = json(&infercost(
            &["trace", "stats", file, "--format", format, "--json"],
            &root(),
        ));
        assert_eq!(forced, v, "{file}");
    }
    // Nearest-rank percentiles of the fixture's completionStartTime − startTime and endTime − startTime,
    // counted by hand: TTFT 57 64 69 72 74 76 87 87 103 105 ms, end-to-end 405 … 2207 ms.
    let v = json(&infercost(
        &[
            "trace",
            "stats",
            "tests/data/litellm_spend_logs.csv",
            "--json",
        ],
        &root(),
    ));
    assert_eq!(
        (
            &v["observed_ttft_ms"]["p50"],
            &v["observed_ttft_ms"]["p90"],
            &v["observed_ttft_ms"]["p99"]
        ),
        (&74.0.into(), &103.0.into(), &105.0.into())
    );
    assert_eq!(
        (
            &v["observed_e2e_ms"]["p50"],
            &v["observed_e2e_ms"]["p90"],
            &v["observed_e2e_ms"]["p99"]
        ),
        (&1088.0.into(), &1784.0.into(), &2207.0.into())
    );
    let text = infercost(
        &["trace", "stats", "tests/data/litellm_spend_logs.csv"],
        &root(),
    );
    assert!(
        text.stdout
            .contains("observed TTFT   p50 74.0 ms  p90 103.0 ms  p99 105.0 ms (10 requests)"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("observed e2e    p50 1088.0 ms"));
    // Spans time end to end only; a BurstGPT log has no timing at all.
    let otlp = json(&infercost(
        &[
            "trace",
            "stats",
            "tests/data/otlp_genai_spans.jsonl",
            "--json",
        ],
        &root(),
    ));
    assert!(otlp.get("observed_ttft_ms").is_none());
    assert_eq!(otlp["observed_e2e_ms"]["p50"], 3400.0);
    let r = infercost(
        &[
            "trace",
            "stats",
            "tests/data/otlp_genai_spans.jsonl",
            "--json",
        ],
        &root(),
    );
    assert!(
        r.stderr
            .contains("skipped 1 spans without GenAI token usage"),
        "{}",
        r.stderr
    );
    let burst = json(&infercost(
        &["trace", "stats", "tests/data/burstgpt_sample.csv", "--json"],
        &root(),
    ));
    assert!(burst.get("observed_ttft_ms").is_none() && burst.get("observed_e2e_ms").is_none());
    // A forced format the file does not have says what it looked for; an unknown one lists the names.
    let r = infercost(
        &[
            "trace",
            "stats",
            "tests/data/burstgpt_sample.csv",
            "--format",
            "litellm",
        ],
        &root(),
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no column \"startTime\""), "{}", r.stderr);
    let r = infercost(
        &[
            "trace",
            "stats",
            "tests/data/burstgpt_sample.csv",
            "--format",
            "spans",
        ],
        &root(),
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("invalid value 'spans' for '--format <FORMAT>'")
            && r.stderr.contains("litellm, otlp, burstgpt, parquet"),
        "{}",
        r.stderr
    );
}

#[test]
fn where_selects_rows_in_every_trace_command() {
    let spend = "tests/data/litellm_spend_logs.csv";
    let v = json(&infercost(
        &[
            "trace",
            "stats",
            spend,
            "--where",
            "model=gpt-4",
            "--where",
            "user=alice",
            "--json",
        ],
        &root(),
    ));
    assert_eq!(v["requests"], 4);
    let v = json(&infercost(
        &[
            "trace",
            "stats",
            "tests/data/otlp_genai_spans.jsonl",
            "--where",
            "gen_ai.request.model=llama-3.1-8b",
            "--json",
        ],
        &root(),
    ));
    assert_eq!(v["requests"], 1);
    let v = json(&infercost(
        &[
            "trace",
            "stats",
            "tests/data/burstgpt_sample.csv",
            "--where",
            "Log Type=API log",
            "--json",
        ],
        &root(),
    ));
    assert_eq!(v["requests"], 2);
    let d = temp("where");
    let out = d.join("alice.jsonl");
    let r = infercost(
        &[
            "trace",
            "scale",
            spend,
            "--where",
            "user=alice",
            "-o",
            out.to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 4);
    let sim = json(&infercost(
        &[
            "simulate",
            "--trace",
            spend,
            "--where",
            "user=bob",
            "llama-3.1-8b",
            "--gpu",
            "h100-sxm",
            "--replicas",
            "1",
            "--no-progress",
            "--json",
        ],
        &root(),
    ));
    assert_eq!(sim["requests"], 3);
    let cap = infercost(
        &[
            "capacity",
            "--trace",
            "tests/data/burstgpt_sample.csv",
            "--format",
            "burstgpt",
            "--where",
            "Model=GPT-4",
            "llama-3.1-8b",
            "--gpu",
            "h100-sxm",
            "--slo-ttft-ms",
            "2000",
            "--slo-tpot-ms",
            "100",
            "--json",
        ],
        &root(),
    );
    assert_eq!(json(&cap)["min_replicas"], 1);
    assert!(
        cap.stderr
            .contains("--where Model=GPT-4 kept 2 rows, left out 5"),
        "{}",
        cap.stderr
    );
    // A column the file lacks is an error that names it and lists the ones it has, in every command.
    for args in [
        vec!["trace", "stats", spend, "--where", "modle=gpt-4"],
        vec![
            "simulate",
            "--trace",
            spend,
            "--where",
            "modle=gpt-4",
            "llama-3.1-8b",
            "--gpu",
            "h100-sxm",
            "--replicas",
            "1",
        ],
        vec![
            "backtest",
            spend,
            "llama-3.1-8b",
            "--gpu",
            "h100-sxm",
            "--replicas",
            "1",
            "--where",
            "modle=gpt-4",
        ],
    ] {
        let r = infercost(&args, &root());
        assert_eq!(r.code, 2, "{args:?}");
        assert!(
            r.stderr
                .contains("--where column \"modle\" is not in the file (columns: \"request_id\"")
                && r.stderr.contains("\"model\", \"model_group\""),
            "{}",
            r.stderr
        );
    }
    let r = infercost(&["trace", "stats", spend, "--where", "model"], &root());
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is not COLUMN=VALUE"), "{}", r.stderr);
}

#[test]
fn backtest_sets_predicted_latencies_beside_observed_ones() {
    let args = [
        "backtest",
        "tests/data/litellm_spend_logs.csv",
        "llama-3.1-8b",
        "--gpu",
        "h100-sxm",
        "--tp",
        "1",
        "--replicas",
        "1",
        "--max-model-len",
        "8192",
    ];
    let mut with_json = args.to_vec();
    with_json.push("--json");
    let v = json(&infercost(&with_json, &root()));
    assert_eq!(
        (v["format"].as_str(), v["requests"].as_u64()),
        (Some("litellm"), Some(10))
    );
    assert_eq!(v["observed"]["e2e_ms"]["p50"], 1088.0);
    assert_eq!(v["observed"]["ttft_ms"]["p99"], 105.0);
    for lat in ["ttft_ms", "e2e_ms"] {
        for p in ["p50", "p90", "p99"] {
            let o = v["observed"][lat][p].as_f64().unwrap();
            let pr = v["predicted"][lat][p].as_f64().unwrap();
            let e = v["error"][lat][p].as_f64().unwrap();
            assert!(pr > 0.0, "{lat} {p}");
            assert!((e - (pr - o) / o).abs() < 1e-9, "{lat} {p}: {e}");
        }
    }
    // The fixture's end-to-end times are 1.18× the simulator's plus 60 ms of overhead, so the model is
    // optimistic and the factor lies a little above 1.18.
    let f = v["calibration_factor"].as_f64().unwrap();
    let (o50, p50) = (
        v["observed"]["e2e_ms"]["p50"].as_f64().unwrap(),
        v["predicted"]["e2e_ms"]["p50"].as_f64().unwrap(),
    );
    assert!((f - o50 / p50).abs() < 1e-12);
    assert!((1.18..1.4).contains(&f), "{f}");
    let text = infercost(&args, &root());
    assert_eq!(text.code, 0, "{}", text.stderr);
    let pct = ((f - 1.0) * 100.0).round();
    assert!(
        text.stdout.contains(&format!(
            "the model is {pct:.0}% optimistic on end-to-end latency at p50; multiply by {f:.2}"
        )),
        "{}",
        text.stdout
    );
    // Selecting one model's requests replays only those.
    with_json.extend(["--where", "model=gpt-4"]);
    assert_eq!(json(&infercost(&with_json, &root()))["requests"], 7);
    // A log without timing cannot be backtested, and the error says what a log needs.
    let r = infercost(
        &[
            "backtest",
            "tests/data/burstgpt_sample.csv",
            "llama-3.1-8b",
            "--gpu",
            "h100-sxm",
            "--replicas",
            "1",
        ],
        &root(),
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("records no latencies")
            && r.stderr.contains("startTime and endTime")
            && r.stderr.contains("completionStartTime")
            && r.stderr.contains("startTimeUnixNano and endTimeUnixNano"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_scenario_plans_from_the_pilot_rows_its_where_selects() {
    let d = temp("pilot-where");
    std::fs::copy(
        root().join("tests/data/litellm_spend_logs.csv"),
        d.join("spend.csv"),
    )
    .unwrap();
    let scenario = |filter: &str| {
        format!("[pilot]\ntrace = \"spend.csv\"\n{filter}\n[[deployment]]\nname = \"8b\"\nmodel = \"llama-3.1-8b\"\n[sweep]\nvolume = [1]\ncontext = [1]\nburst = [1]\ngpus = [\"h100-sxm\"]\n[slo]\nttft_ms = 2000\ntpot_ms = 100\n")
    };
    std::fs::write(
        d.join("s.toml"),
        scenario("where = [\"model=gpt-4\", \"user=alice\"]"),
    )
    .unwrap();
    let v = json(&infercost(
        &["plan", "s.toml", "--json", "--no-progress"],
        &d,
    ));
    assert_eq!(v["pilot"]["requests"], 4);
    assert_eq!(
        v["scenario"]["where"],
        serde_json::json!(["model=gpt-4", "user=alice"])
    );
    // Without filters the scenario's JSON has no `where` key at all, as before.
    std::fs::write(d.join("all.toml"), scenario("")).unwrap();
    let v = json(&infercost(
        &["plan", "all.toml", "--json", "--no-progress"],
        &d,
    ));
    assert_eq!(v["pilot"]["requests"], 10);
    assert!(v["scenario"].get("where").is_none());
    std::fs::write(d.join("typo.toml"), scenario("where = [\"modle=gpt-4\"]")).unwrap();
    let r = infercost(&["plan", "typo.toml", "--json", "--no-progress"], &d);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("--where column \"modle\" is not in the file")
            && r.stderr.contains("\"model\""),
        "{}",
        r.stderr
    );
    std::fs::write(d.join("bad.toml"), scenario("where = [\"gpt-4\"]")).unwrap();
    let r = infercost(&["plan", "bad.toml", "--json", "--no-progress"], &d);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("bad.toml:3: pilot.where: \"gpt-4\" is not COLUMN=VALUE"),
        "{}",
        r.stderr
    );
}

#[test]
fn plan_and_report_write_focus_and_csv_files_and_never_overwrite_them() {
    let d = temp("focus");
    let scenario = "[pilot]\ntrace = \"embedded:azure-conv\"\n[[deployment]]\nname = \"8b\"\nmodel = \"llama-3.1-8b\"\n[sweep]\nvolume = [1, 2]\ncontext = [1]\nburst = [1]\ngpus = [\"a100-80gb\"]\n[slo]\nttft_ms = 2000\ntpot_ms = 100\n";
    std::fs::write(d.join("s.toml"), scenario).unwrap();
    let planned = infercost(
        &[
            "plan",
            "s.toml",
            "--json",
            "--no-progress",
            "--focus",
            "f.csv",
            "--focus-period",
            "2027-02",
            "--csv",
            "tables",
        ],
        &d,
    );
    let result = json(&planned);
    std::fs::write(d.join("plan.json"), &planned.stdout).unwrap();
    let focus = std::fs::read_to_string(d.join("f.csv")).unwrap();
    let mut lines = focus.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("BilledCost,EffectiveCost,ListCost,ContractedCost,BillingCurrency,"));
    // One fleet per point, five lines per bill, charged to the month asked for.
    let points = result["points"].as_array().unwrap();
    assert_eq!(lines.count(), 5 * points.len());
    assert!(focus.contains(",2027-02-01T00:00:00Z,2027-03-01T00:00:00Z,"));
    for t in ["headline-0", "plans-0", "bill-0", "prices"] {
        assert!(d.join(format!("tables/{t}.csv")).is_file(), "{t}");
    }
    // The same files again from the saved result: the same FOCUS rows; refused without --force.
    let again = infercost(
        &[
            "report",
            "plan.json",
            "--focus",
            "f.csv",
            "--focus-period",
            "2027-02",
        ],
        &d,
    );
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    let again = infercost(&["report", "plan.json", "--csv", "tables"], &d);
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(
        again.stderr.contains("already holds CSV files"),
        "{}",
        again.stderr
    );
    let again = infercost(
        &[
            "report",
            "plan.json",
            "--focus",
            "f.csv",
            "--focus-period",
            "2027-02",
            "--csv",
            "tables",
            "--force",
        ],
        &d,
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(d.join("f.csv")).unwrap(), focus);
    // Every plan's whole-traffic bill on top, with the default period: next month.
    let all = infercost(
        &[
            "report",
            "plan.json",
            "--focus",
            "all.csv",
            "--focus-all-plans",
        ],
        &d,
    );
    assert_eq!(all.code, 0, "{}", all.stderr);
    let bills: usize = points
        .iter()
        .map(|p| p["bills"].as_array().unwrap().len())
        .sum();
    let rows = std::fs::read_to_string(d.join("all.csv"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(rows, 1 + 5 * (points.len() + bills));
    // Nothing to write, a bad month, a period without a file: bad input.
    for args in [
        vec!["report", "plan.json"],
        vec![
            "report",
            "plan.json",
            "--focus",
            "x.csv",
            "--focus-period",
            "2027-13",
        ],
        vec![
            "report",
            "plan.json",
            "--out",
            "o",
            "--focus-period",
            "2027-01",
        ],
        vec!["report", "plan.json", "--focus", "missing/f.csv"],
    ] {
        let r = infercost(&args, &d);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
    }
}

#[test]
fn synth_replays_servegen_clients_windows_and_lengths() {
    // Client 0's first hour: 1.33 req/s for 600 s (Weibull), idle, 0.27 req/s (Weibull), 0.15 req/s (Gamma),
    // then idle: about 800 + 164 + 90 = 1,054 requests, with lengths drawn from window 0's distributions.
    let d = temp("servegen");
    let dir = root().join("tests/data/servegen");
    let dir = dir.to_str().unwrap();
    let r = infercost(
        &[
            "trace",
            "synth",
            "--servegen",
            dir,
            "--clients",
            "0",
            "--duration",
            "3600",
            "-o",
            "sg.jsonl",
        ],
        &d,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&infercost(&["trace", "stats", "sg.jsonl", "--json"], &d));
    let n = v["requests"].as_u64().unwrap();
    assert!((850..=1300).contains(&n), "{n} requests");
    // Every length lies in window 0's support (prompts 231–414, outputs 53–108 tokens).
    let (i, o) = (&v["input_tokens"], &v["output_tokens"]);
    assert!(num(i, "p50") >= 231.0 && num(i, "max") <= 414.0, "{i}");
    assert!(num(o, "p50") >= 53.0 && num(o, "max") <= 108.0, "{o}");
    // Weibull gaps with shape 0.38 are far burstier than Poisson.
    assert!(num(&v, "interarrival_cv") > 1.5, "{}", v["interarrival_cv"]);
    // A client that sends nothing in the window, an unknown client and --rate are refused with the reason.
    for (args, says) in [
        (vec!["--clients", "1"], "send no requests"),
        (vec!["--clients", "7"], "no client \"7\""),
        (vec!["--rate", "3"], "drop --rate"),
    ] {
        let mut all = vec![
            "trace",
            "synth",
            "--servegen",
            dir,
            "--duration",
            "3600",
            "-o",
            "x.jsonl",
        ];
        all.extend(args);
        let r = infercost(&all, &d);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains(says), "{}", r.stderr);
    }
}

/// Two minutes of arrivals, two a second, of short prompts and reasoning-length outputs (8k to 20k tokens).
fn write_long_output_trace(path: &Path) {
    let mut s = String::new();
    let mut x: u64 = 7;
    for i in 0..240 {
        // A small linear congruential generator: the lengths vary without a dependency.
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let input = 100 + (x >> 33) % 300;
        let output = 8000 + (x >> 17) % 12_000;
        s.push_str(&format!(
            "{{\"timestamp\":{},\"input_length\":{input},\"output_length\":{output}}}\n",
            i * 500
        ));
    }
    std::fs::write(path, s).unwrap();
}

#[test]
fn capacity_finds_a_fleet_for_long_outputs_that_simulate_confirms() {
    let d = temp("long");
    write_long_output_trace(&d.join("long.jsonl"));
    let slo = ["--slo-ttft-ms", "2000", "--slo-tpot-ms", "100"];
    // Room for the whole outputs (the engine's default 8,192 would cut them).
    let deploy = [
        "llama-3.1-8b",
        "--gpu",
        "h100-sxm",
        "--trace",
        "long.jsonl",
        "--max-model-len",
        "32768",
    ];
    let c = json(&infercost(
        &[&["capacity", "--json"][..], &deploy, &slo].concat(),
        &d,
    ));
    // Every output decodes for minutes after a two-minute trace; that is no backlog.
    let replicas = c["min_replicas"].as_u64().expect("a fleet is found");
    assert!(replicas <= 16, "{c}");
    let n = replicas.to_string();
    let sim = |n: &str| {
        json(&infercost(
            &[
                &["simulate", "--json", "--no-progress", "--replicas", n][..],
                &deploy,
                &slo,
            ]
            .concat(),
            &d,
        ))
    };
    let v = sim(&n);
    assert_eq!(v["meets_slo"], true, "{}", v["ttft_ms"]);
    assert_eq!(v["overloaded"], false);
    assert_eq!(v["truncated"], 0);
    assert!(v["makespan_s"].as_f64().unwrap() > 120.0 * 1.25 + 60.0);
    // A single replica is still flagged: new requests wait for a place in the batch long after the last arrival.
    let one = sim("1");
    assert_eq!(one["overloaded"], true);
    assert_eq!(one["meets_slo"], false);
}

#[test]
fn simulate_with_concurrency_reports_what_serving_benchmarks_report() {
    let d = temp("closed");
    // A lengths-only file: a closed loop needs no arrival times.
    let rows: String = (0..300)
        .map(|i| format!("{},{}\n", 500 + i, 300 + i))
        .collect();
    std::fs::write(
        d.join("lengths.csv"),
        format!("num_prefill_tokens,num_decode_tokens\n{rows}"),
    )
    .unwrap();
    let run = |extra: &[&str]| {
        infercost(
            &[
                &[
                    "simulate",
                    "llama-3.1-8b",
                    "--gpu",
                    "h100-sxm",
                    "--trace",
                    "lengths.csv",
                    "--replicas",
                    "2",
                    "--no-progress",
                ][..],
                extra,
            ]
            .concat(),
            &d,
        )
    };
    let v = json(&run(&[
        "--concurrency",
        "8",
        "--num-prompts",
        "100",
        "--json",
    ]));
    assert_eq!(v["completed"], 100);
    let b = &v["closed_loop"];
    assert_eq!(b["clients"], 8);
    for k in [
        "request_throughput",
        "output_token_throughput",
        "total_token_throughput",
    ] {
        assert!(b[k].as_f64().unwrap() > 0.0, "{k}: {b}");
    }
    for k in ["ttft_ms", "tpot_ms", "itl_ms"] {
        for s in ["mean", "p50", "p99"] {
            assert!(b[k][s].as_f64().unwrap() > 0.0, "{k}.{s}: {b}");
        }
    }
    let total = b["total_token_throughput"].as_f64().unwrap();
    let out = b["output_token_throughput"].as_f64().unwrap();
    assert!(total > out);
    // The open-loop fields are still there.
    assert!(!v["ttft_ms"].is_null() && !v["makespan_s"].is_null());
    let text = run(&["--concurrency", "8", "--num-prompts", "100"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    for k in ["closed loop of 8 clients", "requests/s", "ITL", "median"] {
        assert!(text.stdout.contains(k), "{k}: {}", text.stdout);
    }
    // Without --concurrency a lengths-only file still needs arrival times; bad counts are refused.
    for bad in [
        &[][..],
        &["--concurrency", "0"],
        &["--concurrency", "4", "--num-prompts", "0"],
    ] {
        let r = run(bad);
        assert_eq!(r.code, 2, "{bad:?}: {}", r.stderr);
    }
    assert!(run(&[]).stderr.contains("--concurrency"));
}

#[test]
fn model_step_takes_an_engine_and_refuses_fp4_without_fp4_tensor_cores() {
    let step = |engine: &str, tp: &str| {
        json(&infercost(
            &[
                "model",
                "step",
                "llama-3.1-70b",
                "--gpu",
                "h100-sxm",
                "--tp",
                tp,
                "--engine",
                engine,
                "--decode-batch",
                "8",
                "--json",
            ],
            &root(),
        ))
    };
    let ms = |v: &serde_json::Value| v["iteration_ms"].as_f64().unwrap();
    let (e4, e8) = (step("eager", "4"), step("eager", "8"));
    assert_eq!(e8["engine"], "eager");
    assert!(e8["launch_ms"].as_f64().unwrap() > 0.0);
    assert!(
        ms(&e8) >= 0.95 * ms(&e4),
        "eager TP8 {} vs TP4 {}",
        ms(&e8),
        ms(&e4)
    );
    let (v4, v8) = (step("vllm", "4"), step("vllm", "8"));
    assert_eq!(v8["launch_ms"].as_f64().unwrap(), 0.0);
    assert!(ms(&v8) < 0.8 * ms(&v4));
    let r = infercost(
        &[
            "model",
            "step",
            "llama-3.1-70b",
            "--gpu",
            "h100-sxm",
            "--weights",
            "fp4",
            "--decode-batch",
            "1",
        ],
        &root(),
    );
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("fp4 tensor cores") && r.stderr.contains("b200"),
        "{}",
        r.stderr
    );
    let r = infercost(
        &[
            "model",
            "step",
            "llama-3.1-8b",
            "--gpu",
            "h100-sxm",
            "--engine",
            "tgi",
        ],
        &root(),
    );
    assert!(
        r.code != 0 && r.stderr.contains("vllm, sglang, trtllm, eager"),
        "{}",
        r.stderr
    );
}

/// `simulate --day` on a tenth of the Azure conversation pilot through the ServeGen day.
fn simulate_day(extra: &[&str]) -> Run {
    let mut args = vec![
        "simulate",
        "llama-3.1-8b",
        "--gpu",
        "h100-sxm",
        "--trace",
        "data/traces/azure_conv_2023.csv",
        "--day",
        "--volume",
        "0.1",
        "--slo-ttft-ms",
        "2000",
        "--slo-tpot-ms",
        "100",
        "--no-progress",
    ];
    args.extend_from_slice(extra);
    infercost(&args, &root())
}

#[test]
fn simulate_day_reports_the_day_hour_by_hour() {
    let v = json(&simulate_day(&[
        "--diurnal",
        "embedded:servegen",
        "--replicas",
        "2",
        "--json",
    ]));
    // Today's fields stay, the day is added.
    assert!(v["ttft_ms"]["p99"].as_f64().unwrap() > 0.0);
    let d = &v["day"];
    let hourly = d["hourly"].as_array().unwrap();
    assert_eq!(hourly.len(), 24);
    // A static fleet of 2 one-GPU replicas for 24 hours.
    let gpu_h = d["gpu_hours"].as_f64().unwrap();
    assert!((gpu_h - 48.0).abs() < 1e-6, "{gpu_h}");
    let busy = d["busy_gpu_hours"].as_f64().unwrap();
    assert!((d["idle_fraction"].as_f64().unwrap() - (1.0 - busy / gpu_h)).abs() < 1e-12);
    // The busiest ServeGen hour is 19:00 (weight 1.1428) and the quietest 08:00 (0.7879): the pilot's rate,
    // a tenth of it, follows their ratio.
    let load = |h: usize| hourly[h]["load_rps"].as_f64().unwrap();
    assert!((load(8) / load(19) - 0.7879 / 1.1428).abs() < 0.05);
    let served: f64 = hourly
        .iter()
        .map(|h| h["load_rps"].as_f64().unwrap() * 3600.0)
        .sum();
    assert!((served - v["requests"].as_f64().unwrap()).abs() < 1.0);
    for key in [
        "slo_attainment",
        "scale_ups",
        "scale_downs",
        "interruptions",
    ] {
        assert!(d[key].is_number(), "{key}");
    }
    for key in [
        "hour",
        "replicas_mean",
        "busy_fraction",
        "slo_attainment",
        "ttft_p99_ms",
    ] {
        assert!(hourly[3][key].is_number(), "{key}");
    }
    // An autoscaler through the same day (a target low enough that a trickle asks for several replicas):
    // replicas follow the load, and scaling is counted.
    let auto = json(&simulate_day(&[
        "--diurnal",
        "embedded:servegen",
        "--replicas",
        "1",
        "--autoscale-target",
        "0.001",
        "--json",
    ]));
    assert!(auto["day"]["scale_ups"].as_u64().unwrap() > 0);
    // Text output: the totals and 24 hour rows.
    let text = simulate_day(&["--diurnal", "flat", "--replicas", "1"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(text.stdout.contains("GPU-hours"), "{}", text.stdout);
    assert_eq!(
        text.stdout
            .lines()
            .filter(
                |l| l.starts_with("  ") && l.trim_start().starts_with(|c: char| c.is_ascii_digit())
            )
            .count(),
        24
    );
}

#[test]
fn simulate_day_refuses_what_it_cannot_mean() {
    let r = simulate_day(&["--replicas", "1", "--pilot-hour", "24"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--pilot-hour"), "{}", r.stderr);
    let r = infercost(
        &[
            "simulate",
            "llama-3.1-8b",
            "--gpu",
            "h100-sxm",
            "--trace",
            "data/traces/azure_conv_2023.csv",
            "--replicas",
            "1",
            "--pilot-hour",
            "3",
        ],
        &root(),
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("add --day"), "{}", r.stderr);
    let r = simulate_day(&["--replicas", "1", "--diurnal", "1,2,3"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("24"), "{}", r.stderr);
    let r = simulate_day(&["--replicas", "1", "--spot-reclaims-per-replica-hour=-1"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--spot-reclaims-per-replica-hour"),
        "{}",
        r.stderr
    );
    // Without --diurnal the day is flat, and said so.
    let r = simulate_day(&["--replicas", "1", "--json"]);
    assert!(r.stderr.contains("flat day"), "{}", r.stderr);
    assert_eq!(json(&r)["day"]["hourly"].as_array().unwrap().len(), 24);
}

#[test]
fn validate_scores_a_reference_file_of_the_users_own() {
    // Two rows of the built-in set under ids of the user's own: the same configuration gets the same prediction
    // as in the built-in scorecard, and a row it cannot model keeps its reason.
    let published = std::fs::read_to_string(root().join("data/validation/published.csv")).unwrap();
    let line = |id: &str| {
        published
            .lines()
            .find(|l| l.starts_with(&format!("{id},")))
            .unwrap()
            .to_string()
    };
    let header = published.lines().next().unwrap();
    let dir = temp("validate-reference");
    let mine = dir.join("mine.csv");
    let rows = [
        line("v022").replacen("v022,", "bench-1,", 1),
        line("v008").replacen("v008,", "bench-2,", 1),
    ];
    std::fs::write(&mine, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
    let own = json(&infercost(
        &["validate", "--reference", mine.to_str().unwrap(), "--json"],
        &dir,
    ));
    let built_in = json(&infercost(&["validate", "--json"], &dir));
    let own_rows = own["rows"].as_array().unwrap();
    assert_eq!(own_rows.len(), 2);
    let v022 = built_in["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "v022")
        .unwrap();
    assert_eq!(own_rows[0]["id"], "bench-1");
    assert_eq!(own_rows[0]["status"], "modelled");
    assert_eq!(own_rows[0]["predicted"], v022["predicted"]);
    assert_eq!(own_rows[0]["error"], v022["error"]);
    assert_eq!(own_rows[1]["status"], "not_modelled");
    assert!(own_rows[1]["reason"]
        .as_str()
        .unwrap()
        .contains("GPU not in the catalog"));
    assert_eq!(own["summary"]["overall"]["rows"], 1);

    // A field that is not a number is refused with the file and the line it is on, and nothing is printed.
    let bad = dir.join("bad.csv");
    let broken = rows[1].replacen(",4,meta-llama", ",four,meta-llama", 1);
    assert_ne!(
        broken, rows[1],
        "the row names its GPU count before the model"
    );
    std::fs::write(&bad, format!("{header}\n{}\n{broken}\n", rows[0])).unwrap();
    let r = infercost(&["validate", "--reference", bad.to_str().unwrap()], &dir);
    assert_ne!(r.code, 0);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(
        r.stderr.contains("bad.csv")
            && r.stderr.contains("line 3")
            && r.stderr.contains("num_gpus"),
        "{}",
        r.stderr
    );
    let missing = infercost(&["validate", "--reference", "nowhere.csv"], &dir);
    assert!(
        missing.code != 0 && missing.stderr.contains("nowhere.csv"),
        "{}",
        missing.stderr
    );
}

#[test]
fn capacity_refuses_a_trace_without_arrival_times() {
    // Lengths alone give no rate to size a fleet for; capacity says so, as simulate does.
    let dir = temp("capacity-lengths-only");
    std::fs::write(
        dir.join("lengths.csv"),
        "num_prefill_tokens,num_decode_tokens\n100,10\n400,20\n",
    )
    .unwrap();
    let r = infercost(
        &[
            "capacity",
            "llama-3.1-8b",
            "--trace",
            "lengths.csv",
            "--gpu",
            "h100-sxm",
            "--slo-ttft-ms",
            "2000",
            "--slo-tpot-ms",
            "100",
        ],
        &dir,
    );
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("lengths.csv has no timestamps") && r.stderr.contains("trace synth"),
        "{}",
        r.stderr
    );
}

#[test]
fn model_step_says_when_a_batch_could_not_run() {
    // The model times any batch, but one past the token budget, max_model_len or the KV cache is flagged.
    let dir = temp("step-limits");
    let over = infercost(
        &[
            "model",
            "step",
            "llama-3.1-8b",
            "--gpu",
            "h100-sxm",
            "--decode-batch",
            "100000",
            "--context",
            "10000",
        ],
        &dir,
    );
    assert_eq!(over.code, 0, "{}", over.stderr);
    for what in ["budget of 8192", "--max-model-len 8192", "KV cache"] {
        assert!(
            over.stderr.contains(what),
            "missing {what:?}: {}",
            over.stderr
        );
    }
    let fine = infercost(
        &[
            "model",
            "step",
            "llama-3.1-8b",
            "--gpu",
            "h100-sxm",
            "--decode-batch",
            "64",
        ],
        &dir,
    );
    assert_eq!(fine.code, 0);
    assert!(!fine.stderr.contains("warning"), "{}", fine.stderr);
}
