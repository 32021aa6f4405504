//! Checks the shipped efficiencies against Vidur's measured A100/H100 operator times (tests/data/profiling)
//! and fails if the error grows past what docs/CALIBRATION.md states.

use infercost_io::calibration::{parse_all_reduce_csv, parse_mlp_csv};
use infercost_perf::calibrate::*;
use infercost_perf::GpuCatalog;

struct Case {
    gpu: &'static str,
    catalog_name: &'static str,
    shipped: Efficiency,
    gemm_median: f64,
    gemm_p90: f64,
    reduce_median: f64,
    small_median: f64,
}

fn load(gpu: &str) -> (Vec<GemmSample>, Vec<SmallOpsSample>, Vec<AllReduceSample>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/profiling");
    let mlp = std::fs::read_to_string(format!("{dir}/{gpu}_mlp.csv")).unwrap();
    let ar = std::fs::read_to_string(format!("{dir}/{gpu}_all_reduce.csv")).unwrap();
    let (g, s) = parse_mlp_csv(&mlp).unwrap();
    (g, s, parse_all_reduce_csv(&ar).unwrap())
}

#[test]
fn shipped_efficiencies_stay_within_the_documented_error() {
    let cases = [
        Case {
            gpu: "h100",
            catalog_name: "h100-sxm",
            shipped: EFFICIENCY_H100,
            gemm_median: 0.07,
            gemm_p90: 0.20,
            reduce_median: 0.16,
            small_median: 0.21,
        },
        Case {
            gpu: "a100",
            catalog_name: "a100-80gb",
            shipped: EFFICIENCY_A100,
            gemm_median: 0.05,
            gemm_p90: 0.14,
            reduce_median: 0.15,
            small_median: 0.21,
        },
    ];
    let catalog = GpuCatalog::embedded();
    for c in cases {
        let g = catalog.get(c.catalog_name).unwrap();
        let (gemms, small, reduce) = load(c.gpu);
        assert!(gemms.len() > 1000 && reduce.len() > 1000);
        let e = evaluate(
            &gemms,
            &small,
            &reduce,
            g.bf16_tflops * 1e12,
            g.hbm_tb_per_s * 1e12,
            g.link_gb_per_s * 1e9,
            c.shipped,
        );
        assert!(
            e.gemm.median <= c.gemm_median,
            "{} GEMM median {:.3}",
            c.gpu,
            e.gemm.median
        );
        assert!(
            e.gemm.p90 <= c.gemm_p90,
            "{} GEMM p90 {:.3}",
            c.gpu,
            e.gemm.p90
        );
        assert!(
            e.all_reduce.median <= c.reduce_median,
            "{} all-reduce median {:.3}",
            c.gpu,
            e.all_reduce.median
        );
        assert!(
            e.small_ops.median <= c.small_median,
            "{} small-ops median {:.3}",
            c.gpu,
            e.small_ops.median
        );
        // Efficiencies above 1 would let the model beat the roofline.
        assert!(c.shipped.compute_max <= 1.0 && c.shipped.memory <= 1.0 && c.shipped.link <= 1.0);
    }
}

#[test]
fn refitting_does_not_find_a_much_better_fit() {
    // The shipped constants are the fit's output, rounded: a refit must not beat them by more than a point.
    let g = GpuCatalog::embedded().get("h100-sxm").unwrap().clone();
    let (gemms, small, reduce) = load("h100");
    let (p, b, l) = (
        g.bf16_tflops * 1e12,
        g.hbm_tb_per_s * 1e12,
        g.link_gb_per_s * 1e9,
    );
    let refit = fit(&gemms, &small, &reduce, p, b, l, EFFICIENCY_H100);
    let shipped = evaluate(&gemms, &small, &reduce, p, b, l, EFFICIENCY_H100);
    assert!(
        shipped.gemm.median - refit.gemm.median < 0.01,
        "{:?} vs {:?}",
        shipped.gemm,
        refit.gemm
    );
}
