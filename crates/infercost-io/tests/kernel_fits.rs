//! Refits the engine kernel fits from the vendored sample of operator times measured inside vLLM and
//! TensorRT-LLM (`tests/data/profiling/kernels/`, drawn by `tools/sample_kernels.py`) and checks that the
//! shipped `data/kernel_fits.toml` and the error table in docs/CALIBRATION.md are what the fit gives.
//! `INFERCOST_WRITE_KERNEL_FITS=1 cargo test -p infercost-io --test kernel_fits` rewrites the TOML file.

use infercost_io::calibration::{parse_kernel_csv, parse_moe_csv, parse_moe_ep_csv};
use infercost_perf::engine::{
    AllReduceFit, AttentionCheck, ContextAttentionFit, GemmFit, KernelFits, MlaFit,
};
use infercost_perf::kernel_fit::{
    fit_context_sample, fit_mla_sample, fit_moe_ep_sample, fit_moe_sample, fit_moe_shapes,
    fit_sample,
};
use infercost_perf::moe::{MoeEpFit, MoeFit, MoeShapeFit};
use infercost_perf::GpuCatalog;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// The catalog GPU whose peaks a measured table is fitted against.
fn catalog_gpu(measured: &str) -> &'static str {
    match measured {
        "h100" => "h100-sxm",
        "h200" => "h200",
        "b200" => "b200",
        "l40s" => "l40s",
        _ => "a100-80gb",
    }
}

fn refit() -> KernelFits {
    let gpus = GpuCatalog::embedded();
    let dir = format!("{ROOT}/tests/data/profiling/kernels");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    let mut fits = KernelFits::default();
    for f in files {
        let stem = f.file_stem().unwrap().to_string_lossy().to_string();
        let (engine, measured) = stem.split_once('_').unwrap();
        let rows = parse_kernel_csv(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let gpu = gpus.get(catalog_gpu(measured)).unwrap();
        let (g, r, a) = fit_sample(engine, measured, gpu, &rows);
        fits.gemm.extend(g);
        fits.all_reduce.extend(r);
        fits.decode_attention.extend(a);
        fits.mla_decode
            .extend(fit_mla_sample(engine, measured, gpu, &rows));
        fits.context_attention
            .extend(fit_context_sample(engine, measured, gpu, &rows));
        let ep = format!("{ROOT}/tests/data/profiling/moe/{stem}_ep.csv");
        if let Ok(text) = std::fs::read_to_string(&ep) {
            let rows = parse_moe_ep_csv(&text).unwrap();
            fits.moe_ep
                .extend(fit_moe_ep_sample(engine, measured, &rows));
        }
        let moe = format!("{ROOT}/tests/data/profiling/moe/{stem}.csv");
        if let Ok(text) = std::fs::read_to_string(&moe) {
            let rows = parse_moe_csv(&text).unwrap();
            let moe = fit_moe_sample(engine, measured, gpu, &rows);
            fits.moe_shape.extend(fit_moe_shapes(gpu, &rows, &moe));
            fits.moe.extend(moe);
        }
    }
    fits
}

fn gemm_toml(g: &GemmFit) -> String {
    format!(
        "[[gemm]]\nengine = {:?}\ngpu = {:?}\ndtype = {:?}\ncompute_max = {}\ncompute_half_tokens = {}\n\
         memory = {}\nlaunch_us = {}\nsamples = {}\nmedian = {}\np90 = {}\n\n",
        g.engine, g.gpu, g.dtype, g.compute_max, g.compute_half_tokens, g.memory, g.launch_us, g.samples,
        g.median, g.p90
    )
}

fn reduce_toml(r: &AllReduceFit) -> String {
    let mut s = format!(
        "[[all_reduce]]\nengine = {:?}\ngpu = {:?}\nbackend = {:?}\nlink = {}\nstep_us = {}\nfixed_us = {}\n\
         samples = {}\nmedian = {}\np90 = {}\n",
        r.engine, r.gpu, r.backend, r.link, r.step_us, r.fixed_us, r.samples, r.median, r.p90
    );
    if !r.knots.is_empty() {
        s += &format!(
            "knots_median = {}\nknots_p90 = {}\nknots = [\n",
            r.knots_median, r.knots_p90
        );
        for k in &r.knots {
            s += &format!("  [{}, {}, {}],\n", k[0], k[1], k[2]);
        }
        s += "]\n";
    }
    s + "\n"
}

fn attention_toml(a: &AttentionCheck) -> String {
    format!(
        "[[decode_attention]]\nengine = {:?}\ngpu = {:?}\nmemory = {}\nfixed_us = {}\nsamples = {}\n\
         median = {}\np90 = {}\n\n",
        a.engine, a.gpu, a.memory, a.fixed_us, a.samples, a.median, a.p90
    )
}

fn moe_toml(m: &MoeFit) -> String {
    format!(
        "[[moe]]\nengine = {:?}\ngpu = {:?}\ndtype = {:?}\ncompute_max = {}\nhalf_tokens = {}\nhalf_width = {}\n\
         memory = {}\nfixed_us = {}\noverlap = {}\nsamples = {}\nmedian = {}\np90 = {}\n\n",
        m.engine, m.gpu, m.dtype, m.compute_max, m.half_tokens, m.half_width, m.memory, m.fixed_us, m.overlap,
        m.samples, m.median, m.p90
    )
}

fn mla_toml(m: &MlaFit) -> String {
    format!(
        "[[mla_decode]]\nengine = {:?}\ngpu = {:?}\nkv = {:?}\ncompute = {}\nmemory = {}\nfixed_us = {}\n\
         samples = {}\nmedian = {}\np90 = {}\n\n",
        m.engine, m.gpu, m.kv, m.compute, m.memory, m.fixed_us, m.samples, m.median, m.p90
    )
}

fn context_toml(c: &ContextAttentionFit) -> String {
    format!(
        "[[context_attention]]\nengine = {:?}\ngpu = {:?}\ndtype = {:?}\ncompute = {}\nhalf_len = {}\n\
         fixed_us = {}\nsamples = {}\nmedian = {}\np90 = {}\n\n",
        c.engine, c.gpu, c.dtype, c.compute, c.half_len, c.fixed_us, c.samples, c.median, c.p90
    )
}

fn moe_ep_toml(m: &MoeEpFit) -> String {
    format!(
        "[[moe_ep]]\nengine = {:?}\ngpu = {:?}\ncv = {}\nsamples = {}\nmedian = {}\np90 = {}\n\n",
        m.engine, m.gpu, m.cv, m.samples, m.median, m.p90
    )
}

fn moe_shape_toml(m: &MoeShapeFit) -> String {
    format!(
        "[[moe_shape]]\nengine = {:?}\ngpu = {:?}\ndtype = {:?}\nhidden = {}\ninter = {}\nexperts = {}\ntopk = {}\n\
         tp = {}\nscale = {}\nsamples = {}\nmedian_fit = {}\nmedian = {}\n\n",
        m.engine, m.gpu, m.dtype, m.hidden, m.inter, m.experts, m.topk, m.tp, m.scale, m.samples, m.median_fit,
        m.median
    )
}

fn render(f: &KernelFits) -> String {
    let mut s = String::from(
        "# Kernel fits: a few numbers per engine x GPU x dtype (GEMM) and per engine x GPU x backend (all-reduce),\n\
         # fitted to operator times measured inside vLLM 0.24 (0.14 on A100) and TensorRT-LLM 1.3.0rc20 by NVIDIA's\n\
         # aiconfigurator collectors (ai-dynamo/aiconfigurator @ 095f58a5, Apache-2.0), from the vendored sample in\n\
         # tests/data/profiling/kernels/ (tools/sample_kernels.py). Generated by\n\
         # `INFERCOST_WRITE_KERNEL_FITS=1 cargo test -p infercost-io --test kernel_fits`; do not edit by hand.\n\
         # median/p90: |predicted - measured| / measured of the fit on its samples (docs/CALIBRATION.md).\n\n",
    );
    f.gemm.iter().for_each(|g| s += &gemm_toml(g));
    f.all_reduce.iter().for_each(|r| s += &reduce_toml(r));
    f.decode_attention
        .iter()
        .for_each(|a| s += &attention_toml(a));
    f.moe.iter().for_each(|m| s += &moe_toml(m));
    f.mla_decode.iter().for_each(|m| s += &mla_toml(m));
    f.moe_ep.iter().for_each(|m| s += &moe_ep_toml(m));
    f.context_attention
        .iter()
        .for_each(|c| s += &context_toml(c));
    f.moe_shape.iter().for_each(|m| s += &moe_shape_toml(m));
    s
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-3 * a.abs().max(b.abs()).max(1e-3)
}

#[test]
fn shipped_kernel_fits_are_what_the_vendored_sample_gives() {
    let fits = refit();
    assert!(
        fits.gemm.len() >= 17 && fits.all_reduce.len() >= 13,
        "{fits:?}"
    );
    if std::env::var_os("INFERCOST_WRITE_KERNEL_FITS").is_some() {
        std::fs::write(format!("{ROOT}/data/kernel_fits.toml"), render(&fits)).unwrap();
    }
    let shipped = KernelFits::embedded();
    assert_eq!(shipped.gemm.len(), fits.gemm.len());
    for (a, b) in shipped.gemm.iter().zip(&fits.gemm) {
        let same = (&a.engine, &a.gpu, &a.dtype, a.samples)
            == (&b.engine, &b.gpu, &b.dtype, b.samples)
            && [
                (a.compute_max, b.compute_max),
                (a.compute_half_tokens, b.compute_half_tokens),
                (a.memory, b.memory),
                (a.launch_us, b.launch_us),
                (a.median, b.median),
                (a.p90, b.p90),
            ]
            .iter()
            .all(|&(x, y)| close(x, y));
        assert!(same, "shipped {a:?}\nrefit   {b:?}");
    }
    assert_eq!(shipped.mla_decode, fits.mla_decode);
    assert_eq!(shipped.moe_ep, fits.moe_ep);
    assert_eq!(shipped.context_attention, fits.context_attention);
    assert_eq!(shipped.moe_shape, fits.moe_shape);
    assert_eq!(shipped.moe.len(), fits.moe.len());
    for (a, b) in shipped.moe.iter().zip(&fits.moe) {
        let same = (&a.engine, &a.gpu, &a.dtype, a.samples)
            == (&b.engine, &b.gpu, &b.dtype, b.samples)
            && [
                (a.compute_max, b.compute_max),
                (a.half_tokens, b.half_tokens),
                (a.half_width, b.half_width),
                (a.memory, b.memory),
                (a.fixed_us, b.fixed_us),
                (a.overlap, b.overlap),
                (a.median, b.median),
                (a.p90, b.p90),
            ]
            .iter()
            .all(|&(x, y)| close(x, y));
        assert!(same, "shipped {a:?}\nrefit   {b:?}");
    }
    assert_eq!(shipped.all_reduce.len(), fits.all_reduce.len());
    for (a, b) in shipped.all_reduce.iter().zip(&fits.all_reduce) {
        let same = (&a.engine, &a.gpu, &a.backend) == (&b.engine, &b.gpu, &b.backend)
            && [
                (a.link, b.link),
                (a.step_us, b.step_us),
                (a.fixed_us, b.fixed_us),
                (a.median, b.median),
                (a.knots_median, b.knots_median),
                (a.knots_p90, b.knots_p90),
            ]
            .iter()
            .all(|&(x, y)| close(x, y))
            && a.knots.len() == b.knots.len()
            && a.knots
                .iter()
                .zip(&b.knots)
                .all(|(x, y)| x[0] == y[0] && x[1] == y[1] && close(x[2], y[2]));
        assert!(same, "shipped {a:?}\nrefit   {b:?}");
    }
}

/// The row docs/CALIBRATION.md must hold for a fit: `| engine | gpu | table | samples | median | p90 |`.
fn doc_row(engine: &str, gpu: &str, table: &str, samples: usize, median: f64, p90: f64) -> String {
    format!(
        "| {engine} | {gpu} | {table} | {samples} | {:.1}% | {:.1}% |",
        median * 100.0,
        p90 * 100.0
    )
}

#[test]
fn calibration_md_states_the_refitted_errors() {
    let doc = std::fs::read_to_string(format!("{ROOT}/docs/CALIBRATION.md")).unwrap();
    let fits = refit();
    let mut rows = Vec::new();
    for g in &fits.gemm {
        let t = format!("GEMM {}", g.dtype);
        rows.push(doc_row(&g.engine, &g.gpu, &t, g.samples, g.median, g.p90));
    }
    for r in &fits.all_reduce {
        let t = format!("all-reduce {}", r.backend);
        rows.push(doc_row(&r.engine, &r.gpu, &t, r.samples, r.median, r.p90));
        if !r.knots.is_empty() {
            let t = format!("all-reduce {} interpolated", r.backend);
            let held_out = r.samples - r.knots.len();
            rows.push(doc_row(
                &r.engine,
                &r.gpu,
                &t,
                held_out,
                r.knots_median,
                r.knots_p90,
            ));
        }
    }
    for a in &fits.decode_attention {
        rows.push(doc_row(
            &a.engine,
            &a.gpu,
            "decode attention",
            a.samples,
            a.median,
            a.p90,
        ));
    }
    for m in &fits.moe_ep {
        rows.push(doc_row(
            &m.engine,
            &m.gpu,
            "MoE EP imbalance",
            m.samples,
            m.median,
            m.p90,
        ));
    }
    for m in &fits.mla_decode {
        let t = format!("MLA decode ({} KV)", m.kv);
        rows.push(doc_row(&m.engine, &m.gpu, &t, m.samples, m.median, m.p90));
    }
    for m in &fits.moe {
        let t = format!("fused MoE {}", m.dtype);
        rows.push(doc_row(&m.engine, &m.gpu, &t, m.samples, m.median, m.p90));
    }
    for c in &fits.context_attention {
        let t = format!("prefill attention {}", c.dtype);
        rows.push(doc_row(&c.engine, &c.gpu, &t, c.samples, c.median, c.p90));
    }
    let missing: Vec<&String> = rows.iter().filter(|r| !doc.contains(r.as_str())).collect();
    assert!(
        missing.is_empty(),
        "docs/CALIBRATION.md lacks these rows:\n{}",
        rows.join("\n")
    );
}
