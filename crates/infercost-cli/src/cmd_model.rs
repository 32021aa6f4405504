//! `infercost model list|show|step|calibrate` and `infercost gpu list`.

use crate::args::DeployArgs;
use crate::load::{deployment, fitting_deployment};
use crate::output;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use infercost_perf::calibrate;
use infercost_perf::{Batch, Dtype, GpuCatalog, Layout, ModelCatalog};
use serde::Serialize;
use std::path::Path;

#[derive(Subcommand)]
pub(crate) enum ModelCmd {
    /// Models in the catalog
    List {
        /// Print the result as JSON on stdout
        #[arg(long)]
        json: bool,
    },
    /// Parameters, memory, KV capacity and decode throughput of a model on a GPU
    Show(ShowArgs),
    /// The time of one engine iteration
    Step(StepArgs),
    /// Refit the efficiencies to measured operator times and print the error
    Calibrate {
        /// Folder with {a100,h100}_mlp.csv and _all_reduce.csv (tools/compact_profiling.py); without it, the
        /// profiles built into the binary (tests/data/profiling)
        #[arg(long)]
        profiling: Option<String>,
        /// Print the result as JSON on stdout
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum GpuCmd {
    /// GPUs in the catalog
    List {
        /// Print the result as JSON on stdout
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub(crate) struct ShowArgs {
    #[command(flatten)]
    deploy: DeployArgs,
    /// Print the result as JSON on stdout
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub(crate) struct StepArgs {
    #[command(flatten)]
    deploy: DeployArgs,
    /// Prompt tokens per sequence, optionally xCOUNT (512x8 is eight 512-token prompts)
    #[arg(long)]
    prefill: Option<String>,
    /// Tokens already cached before each prompt chunk
    #[arg(long, default_value_t = 0)]
    cached: u64,
    /// Sequences decoding one token each
    #[arg(long, default_value_t = 0)]
    decode_batch: u64,
    /// Context length of each decoding sequence
    #[arg(long, default_value_t = 1024)]
    context: u64,
    /// Print the result as JSON on stdout
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct ModelRow {
    name: String,
    params_total: u64,
    params_active: u64,
    layers: u32,
    hidden: u64,
    attention: String,
    moe: bool,
}

#[derive(Serialize)]
struct Throughput {
    batch: u64,
    context: u64,
    iteration_ms: f64,
    tokens_per_s: f64,
    fits_in_kv: bool,
}

/// A layout as `model show` writes it: its parts, GPUs and nodes.
#[derive(Serialize)]
struct LayoutOut {
    #[serde(flatten)]
    layout: Layout,
    gpus: u32,
    nodes: u32,
    name: String,
}

impl LayoutOut {
    fn of(l: Layout, gpu: &infercost_perf::Gpu) -> LayoutOut {
        LayoutOut {
            layout: l,
            gpus: l.gpus(),
            nodes: l.nodes(gpu),
            name: l.name(),
        }
    }
}

#[derive(Serialize)]
struct Show {
    model: String,
    gpu: String,
    tp: u32,
    pp: u32,
    ep: u32,
    attention_dp: bool,
    gpus: u32,
    nodes: u32,
    /// Fewest GPUs of a TP × PP layout that fits (whole nodes once it spans nodes), and that layout.
    min_gpus: Option<u32>,
    layout: Option<LayoutOut>,
    weights: Dtype,
    kv_dtype: Dtype,
    fits: bool,
    missing_gib: Option<f64>,
    min_tp: Option<u32>,
    hint: Option<String>,
    params_total: u64,
    params_active: u64,
    weight_bytes: f64,
    weight_bytes_per_gpu: f64,
    kv_bytes_per_token: f64,
    kv_bytes_per_token_per_gpu: f64,
    kv_capacity_tokens: u64,
    flops_per_token: f64,
    max_decode_tokens_per_s: Vec<Throughput>,
}

pub(crate) fn run(cmd: ModelCmd) -> Result<()> {
    match cmd {
        ModelCmd::List { json } => {
            let rows: Vec<ModelRow> = ModelCatalog::names()
                .into_iter()
                .map(|n| {
                    let m = ModelCatalog::get(n).map_err(anyhow::Error::from)?;
                    Ok(ModelRow {
                        name: n.to_string(),
                        params_total: m.params_total(),
                        params_active: m.params_active(),
                        layers: m.layers,
                        hidden: m.hidden,
                        attention: match m.attention {
                            infercost_perf::model::Attention::Gqa { n_kv } => {
                                format!("gqa({}q/{}kv)", m.n_q, n_kv)
                            }
                            infercost_perf::model::Attention::Mla { .. } => "mla".into(),
                        },
                        moe: m.moe.is_some(),
                    })
                })
                .collect::<Result<_>>()?;
            if json {
                return output::json(&rows);
            }
            output::line(&format!(
                "{:<18} {:>10} {:>10} {:>7} {:>7}  attention",
                "model", "params", "active", "layers", "hidden"
            ));
            for r in rows {
                output::line(&format!(
                    "{:<18} {:>9.1}B {:>9.1}B {:>7} {:>7}  {}{}",
                    r.name,
                    r.params_total as f64 / 1e9,
                    r.params_active as f64 / 1e9,
                    r.layers,
                    r.hidden,
                    r.attention,
                    if r.moe { ", MoE" } else { "" }
                ));
            }
            Ok(())
        }
        ModelCmd::Show(a) => show(a),
        ModelCmd::Step(a) => step(a),
        ModelCmd::Calibrate { profiling, json } => calibrate_cmd(profiling.as_deref(), json),
    }
}

fn show(a: ShowArgs) -> Result<()> {
    let (d, fit) = deployment(&a.deploy)?;
    let fewest = crate::load::fewest_gpus(&d, &a.deploy)?;
    let util = crate::load::memory_fraction(&d, &a.deploy);
    let mbt = crate::load::max_batched_tokens(&a.deploy) as u64;
    let check = d.check_fits(util, mbt, a.deploy.max_model_len, fit);
    let (fits, missing, hint) = match &check {
        Ok(()) => (true, None, None),
        Err(infercost_perf::PerfError::DoesNotFit {
            missing_gib, hint, ..
        }) => (false, Some(*missing_gib), Some(hint.clone())),
        Err(e) => (false, None, Some(e.to_string())),
    };
    let cap = d.kv_capacity_tokens(util, mbt);
    let kv_token = d.model.kv_elements_per_token() as f64 * d.kv.bytes();
    let tp = [1u64, 8, 32, 64, 128, 256]
        .into_iter()
        .map(|b| {
            let ctx = 1024;
            let t = d.iteration(&Batch::decode(b, ctx)).total_s;
            Throughput {
                batch: b,
                context: ctx,
                iteration_ms: t * 1e3,
                tokens_per_s: b as f64 / t,
                fits_in_kv: b * ctx <= cap,
            }
        })
        .collect();
    let s = Show {
        model: d.model.name.clone(),
        gpu: d.gpu.name.clone(),
        tp: d.tp,
        pp: d.layout.pp,
        ep: d.layout.ep,
        attention_dp: d.layout.attention_dp,
        gpus: d.gpus(),
        nodes: d.layout.nodes(&d.gpu),
        min_gpus: fewest.map(|l| l.gpus()),
        layout: fewest.map(|l| LayoutOut::of(l, &d.gpu)),
        weights: d.weights,
        kv_dtype: d.kv,
        fits,
        missing_gib: missing,
        min_tp: fewest.filter(|l| l.pp == 1).map(|l| l.tp),
        hint,
        params_total: d.model.params_total(),
        params_active: d.model.params_active(),
        weight_bytes: d.weight_bytes(),
        weight_bytes_per_gpu: d.weight_bytes_per_gpu(),
        kv_bytes_per_token: kv_token,
        kv_bytes_per_token_per_gpu: d.kv_bytes_per_token_per_gpu(),
        kv_capacity_tokens: cap,
        flops_per_token: d.model.flops_per_token(1024),
        max_decode_tokens_per_s: tp,
    };
    if a.json {
        return output::json(&s);
    }
    let l = output::line;
    l(&format!(
        "{} on {}× {}, {} ({} weights, {} KV)",
        s.model,
        s.gpus,
        s.gpu,
        d.layout.name(),
        s.weights.name(),
        s.kv_dtype.name()
    ));
    l(&format!(
        "  parameters      {:.2} B total, {:.2} B active",
        s.params_total as f64 / 1e9,
        s.params_active as f64 / 1e9
    ));
    l(&format!(
        "  weights         {:.1} GB ({:.1} GB per GPU)",
        s.weight_bytes / 1e9,
        s.weight_bytes_per_gpu / 1e9
    ));
    // Under data-parallel attention a sequence's cache sits whole on its rank's GPU; under TP every GPU holds its
    // share of every token.
    let where_ = match s.attention_dp {
        true => "each sequence's on its rank's GPU".to_string(),
        false => format!("{:.0} KiB per GPU", s.kv_bytes_per_token_per_gpu / 1024.0),
    };
    l(&format!(
        "  KV cache        {:.0} KiB per token ({where_}), capacity {} tokens",
        s.kv_bytes_per_token / 1024.0,
        output::int(s.kv_capacity_tokens as f64)
    ));
    print_fit_and_decode(&s, &check);
    Ok(())
}

/// The fit line and the decode table of `model show`'s text.
fn print_fit_and_decode(s: &Show, check: &Result<(), infercost_perf::PerfError>) {
    let l = output::line;
    let smallest = match &s.layout {
        Some(x) if x.nodes > 1 => format!("{}, {} GPUs on {} nodes", x.name, x.gpus, x.nodes),
        Some(x) if x.gpus == 1 => format!("{}, 1 GPU", x.name),
        Some(x) => format!("{}, {} GPUs", x.name, x.gpus),
        None => "none".into(),
    };
    match check {
        Ok(()) => l(&format!(
            "  fits            yes (smallest layout that fits: {smallest})"
        )),
        Err(e) => l(&format!("  fits            no: {e}")),
    }
    l("  decode at 1,024-token context:");
    for t in &s.max_decode_tokens_per_s {
        l(&format!(
            "    batch {:>4}: {:>7.2} ms/iteration, {:>9} tokens/s{}",
            t.batch,
            t.iteration_ms,
            output::int(t.tokens_per_s),
            if t.fits_in_kv {
                ""
            } else {
                " (exceeds the KV cache)"
            }
        ));
    }
}

#[derive(Serialize)]
struct StepOut {
    iteration_ms: f64,
    roofline_ms: f64,
    compute_ms: f64,
    memory_ms: f64,
    /// The GEMMs' time: the larger of their compute and their weight reads.
    gemm_ms: f64,
    /// Attention's time: the larger of its compute and its KV-cache reads.
    attention_ms: f64,
    comm_ms: f64,
    overhead_ms: f64,
    /// Host time of launching the kernels eagerly (0 under a CUDA graph).
    launch_ms: f64,
    bound: &'static str,
    tokens: u64,
    engine: String,
    weights: &'static str,
}

fn step(a: StepArgs) -> Result<()> {
    let d = fitting_deployment(&a.deploy)?;
    let mut batch = Batch::default();
    if let Some(p) = &a.prefill {
        let (tokens, count) = match p.split_once('x') {
            Some((t, c)) => (t.parse::<u64>().ok(), c.parse::<u64>().ok()),
            None => (p.parse::<u64>().ok(), Some(1)),
        };
        let (Some(t), Some(c)) = (tokens, count) else {
            anyhow::bail!("--prefill {p:?}: expected TOKENS or TOKENSxCOUNT, e.g. 512x8");
        };
        batch = batch.with(Batch::prefill(t, c, a.cached));
    }
    if a.decode_batch > 0 {
        batch = batch.with(Batch::decode(a.decode_batch, a.context));
    }
    if batch.tokens() == 0 {
        anyhow::bail!("an empty iteration: give --prefill TOKENS[xCOUNT] and/or --decode-batch B");
    }
    for w in step_limits(&d, &a, &batch) {
        output::warn(&w);
    }
    let t = d.iteration(&batch);
    let out = StepOut {
        iteration_ms: t.total_s * 1e3,
        roofline_ms: t.roofline_s * 1e3,
        compute_ms: t.compute_s * 1e3,
        memory_ms: t.memory_s * 1e3,
        gemm_ms: t.gemm_s * 1e3,
        attention_ms: t.attention_s * 1e3,
        comm_ms: t.comm_s * 1e3,
        overhead_ms: t.overhead_s * 1e3,
        launch_ms: t.launch_s * 1e3,
        bound: if t.launch_s > t.total_s - t.overhead_s {
            "launch"
        } else if t.compute_s >= t.memory_s {
            "compute"
        } else {
            "memory"
        },
        tokens: batch.tokens(),
        engine: d.engine.name.clone(),
        weights: d.weights.name(),
    };
    if a.json {
        return output::json(&out);
    }
    output::line(&format!(
        "{} ({}) on {}× {} ({}) under {}: {} tokens in {:.3} ms ({}-bound; roofline {:.3} ms)\n  GEMMs {:.3} ms, attention {:.3} ms (compute {:.3} ms, memory {:.3} ms in all), communication {:.3} ms, overhead {:.3} ms, eager launches {:.3} ms",
        d.model.name, out.weights, d.gpus(), d.gpu.name, d.layout.name(), out.engine, out.tokens, out.iteration_ms, out.bound, out.roofline_ms, out.gemm_ms, out.attention_ms, out.compute_ms, out.memory_ms, out.comm_ms, out.overhead_ms, out.launch_ms
    ));
    Ok(())
}

/// What an iteration asks beyond what the engine would run: more tokens than its budget, a prompt past
/// `--max-model-len`, or more KV cache than the deployment holds. The time is still given (the model times any
/// batch), but a user sizing a real batch is told it could not run.
fn step_limits(d: &infercost_perf::Deployment, a: &StepArgs, b: &Batch) -> Vec<String> {
    let mut out = Vec::new();
    let budget = crate::load::max_batched_tokens(&a.deploy);
    if b.tokens() > budget as u64 {
        out.push(format!(
            "this iteration has {} tokens, more than the engine's budget of {budget} per iteration (--max-batched-tokens)",
            b.tokens()
        ));
    }
    let per_prompt = b.prefill_tokens.checked_div(b.prefill_seqs).unwrap_or(0) + a.cached;
    let longest = per_prompt.max(if b.decode_seqs > 0 { a.context } else { 0 });
    if longest > a.deploy.max_model_len as u64 {
        out.push(format!(
            "a sequence of {longest} tokens is longer than --max-model-len {}",
            a.deploy.max_model_len
        ));
    }
    let kv = b.prefill_seqs * a.cached + b.prefill_tokens + b.decode_seqs * a.context;
    let capacity = d.kv_capacity_tokens(crate::load::memory_fraction(d, &a.deploy), budget as u64);
    if kv > capacity {
        out.push(format!(
            "the batch holds {kv} tokens of KV cache, more than the {capacity} this deployment caches; no engine would run it"
        ));
    }
    out
}

#[derive(Serialize)]
struct CalOut {
    gpu: String,
    calibration: calibrate::Calibration,
    shipped: calibrate::Calibration,
}

/// The measured profiles the shipped efficiencies were fitted to, built in so `model calibrate` works from any
/// directory (1.2 MB of text).
const PROFILES: [(&str, &str); 4] = [
    (
        "h100_mlp.csv",
        include_str!("../../../tests/data/profiling/h100_mlp.csv"),
    ),
    (
        "h100_all_reduce.csv",
        include_str!("../../../tests/data/profiling/h100_all_reduce.csv"),
    ),
    (
        "a100_mlp.csv",
        include_str!("../../../tests/data/profiling/a100_mlp.csv"),
    ),
    (
        "a100_all_reduce.csv",
        include_str!("../../../tests/data/profiling/a100_all_reduce.csv"),
    ),
];

fn calibrate_cmd(dir: Option<&str>, json: bool) -> Result<()> {
    let gpus = GpuCatalog::embedded();
    let mut out = Vec::new();
    let read = |name: String| -> Result<std::borrow::Cow<'static, str>> {
        match dir {
            Some(dir) => {
                let f = Path::new(dir).join(&name);
                Ok(std::fs::read_to_string(&f)
                    .with_context(|| format!("cannot read {}", f.display()))?
                    .into())
            }
            None => Ok(PROFILES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, text)| *text)
                .with_context(|| format!("no built-in profile {name}"))?
                .into()),
        }
    };
    for (g, name, base) in [
        ("h100", "h100-sxm", calibrate::EFFICIENCY_H100),
        ("a100", "a100-80gb", calibrate::EFFICIENCY_A100),
    ] {
        let (gemms, small) =
            infercost_io::calibration::parse_mlp_csv(&read(format!("{g}_mlp.csv"))?)
                .map_err(anyhow::Error::msg)?;
        let reduce =
            infercost_io::calibration::parse_all_reduce_csv(&read(format!("{g}_all_reduce.csv"))?)
                .map_err(anyhow::Error::msg)?;
        let spec = gpus.get(name)?;
        let (p, b, l) = (
            spec.bf16_tflops * 1e12,
            spec.hbm_tb_per_s * 1e12,
            spec.link_gb_per_s * 1e9,
        );
        out.push(CalOut {
            gpu: name.to_string(),
            calibration: calibrate::fit(&gemms, &small, &reduce, p, b, l, base),
            shipped: calibrate::evaluate(&gemms, &small, &reduce, p, b, l, base),
        });
    }
    if json {
        return output::json(&out);
    }
    for c in &out {
        let e = &c.calibration.efficiency;
        output::line(&format!("{}: refit compute {:.3} (half at {:.0} tokens), memory {:.3}, GEMM launch {:.1} µs, link {:.3}, ring step {:.1} µs", c.gpu, e.compute_max, e.compute_half_tokens, e.memory, e.gemm_launch_s * 1e6, e.link, e.link_latency_s * 1e6));
        for (what, f, s) in [
            ("GEMM", &c.calibration.gemm, &c.shipped.gemm),
            ("small ops", &c.calibration.small_ops, &c.shipped.small_ops),
            (
                "all-reduce",
                &c.calibration.all_reduce,
                &c.shipped.all_reduce,
            ),
        ] {
            output::line(&format!("  {what:<10} {:>6} samples: shipped median {:.1}%, p90 {:.1}%, max {:.0}% | refit median {:.1}%", s.samples, s.median * 100.0, s.p90 * 100.0, s.max * 100.0, f.median * 100.0));
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct GpuRow<'a> {
    name: &'a str,
    memory_gib: f64,
    hbm_tb_per_s: f64,
    bf16_tflops: f64,
    fp8_tflops: f64,
    link_gb_per_s: f64,
    gpus_per_node: u32,
    inter_node_gb_per_s: f64,
    inter_node_latency_us: f64,
    source: &'a str,
    as_of: &'a str,
}

pub(crate) fn run_gpu(cmd: GpuCmd) -> Result<()> {
    let GpuCmd::List { json } = cmd;
    let cat = GpuCatalog::embedded();
    let rows: Vec<GpuRow> = cat
        .all()
        .iter()
        .map(|g| GpuRow {
            name: &g.name,
            memory_gib: g.memory_gib,
            hbm_tb_per_s: g.hbm_tb_per_s,
            bf16_tflops: g.bf16_tflops,
            fp8_tflops: g.fp8_tflops,
            link_gb_per_s: g.link_gb_per_s,
            gpus_per_node: g.gpus_per_node,
            inter_node_gb_per_s: g.inter_node_gb_per_s,
            inter_node_latency_us: g.inter_node_latency_us,
            source: &g.source,
            as_of: &g.as_of,
        })
        .collect();
    if json {
        return output::json(&rows);
    }
    output::line(&format!(
        "{:<10} {:>8} {:>8} {:>9} {:>9} {:>9} {:>5}  source",
        "gpu", "mem GiB", "HBM TB/s", "bf16 TF/s", "fp8 TF/s", "link GB/s", "node"
    ));
    for r in rows {
        output::line(&format!(
            "{:<10} {:>8} {:>8} {:>9} {:>9} {:>9} {:>5}  {} ({})",
            r.name,
            r.memory_gib,
            r.hbm_tb_per_s,
            r.bf16_tflops,
            r.fp8_tflops,
            r.link_gb_per_s,
            r.gpus_per_node,
            r.source,
            r.as_of
        ));
    }
    Ok(())
}
