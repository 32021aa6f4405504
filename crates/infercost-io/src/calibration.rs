//! Reading the operator profiles that calibrate the iteration-time model: Vidur's compact MLP and all-reduce
//! CSVs (`tools/compact_profiling.py`), into the samples `infercost_perf::calibrate` fits.

use crate::csv_text::Records;
use infercost_perf::calibrate::{AllReduceSample, GemmSample, SmallOpsSample};

/// The MLP profile's columns, in the order `mlp_row` reads them.
const MLP_COLUMNS: [&str; 15] = [
    "n_head",
    "n_kv_head",
    "n_embd",
    "n_expanded_embd",
    "num_tokens",
    "tp",
    "attn_pre_proj",
    "attn_post_proj",
    "mlp_up_proj",
    "mlp_down_proj",
    "input_layernorm",
    "post_attention_layernorm",
    "attn_rope",
    "mlp_act",
    "add",
];

/// Parses the compact profile CSV (`tools/compact_profiling.py`) into GEMM and small-operator samples.
pub fn parse_mlp_csv(text: &str) -> Result<(Vec<GemmSample>, Vec<SmallOpsSample>), String> {
    let mut records = Records::new(text);
    let header: Vec<String> = records
        .next_record()
        .ok_or("empty profile")?
        .1
        .iter()
        .map(str::to_string)
        .collect();
    let c: Vec<usize> = MLP_COLUMNS
        .iter()
        .map(|name| {
            header
                .iter()
                .position(|h| h == name)
                .ok_or(format!("no column {name}"))
        })
        .collect::<Result<_, _>>()?;
    let (mut gemms, mut small) = (Vec::new(), Vec::new());
    while let Some((line, f)) = records.next_record() {
        let num = |j: usize| -> Result<f64, String> {
            c.get(j)
                .and_then(|&i| f.get(i))
                .and_then(|v| v.parse::<f64>().ok())
                .ok_or(format!("line {line}: bad number"))
        };
        let (nh, nkv, d, ff, t, tp) = (num(0)?, num(1)?, num(2)?, num(3)?, num(4)?, num(5)?);
        let h = d / nh;
        let ms = 1e-3;
        let shapes = [
            (d, (nh + 2.0 * nkv) * h / tp, num(6)?),
            (nh * h / tp, d, num(7)?),
            (d, 2.0 * ff / tp, num(8)?),
            (ff / tp, d, num(9)?),
        ];
        for (k, n, m) in shapes {
            gemms.push(GemmSample {
                tokens: t,
                k,
                n,
                seconds: m * ms,
            });
        }
        let s = num(10)? + num(11)? + num(12)? + num(13)? + 2.0 * num(14)?;
        small.push(SmallOpsSample {
            tokens: t,
            hidden: d,
            seconds: s * ms,
        });
    }
    Ok((gemms, small))
}

/// Parses the compact all-reduce CSV, keeping the intra-node rows (at most 8 GPUs): tensor parallelism never
/// crosses a node here.
pub fn parse_all_reduce_csv(text: &str) -> Result<Vec<AllReduceSample>, String> {
    let mut records = Records::new(text);
    // The header.
    records.next_record();
    let mut all = Vec::new();
    while let Some((line, fields)) = records.next_record() {
        let f: Vec<f64> = fields
            .iter()
            .map(|x| x.parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("line {line}: bad number"))?;
        match f.as_slice() {
            [w, b, ms] => all.push(AllReduceSample {
                workers: *w,
                bytes: *b,
                seconds: ms * 1e-3,
            }),
            _ => return Err(format!("line {line}: expected 3 fields")),
        }
    }
    Ok(all.into_iter().filter(|s| s.workers <= 8.0).collect())
}

/// The data rows of a vendored sample CSV with `fields` columns each, as (line, fields), and a reader of field `i`
/// as a number that names the line when it is not one.
fn sample_rows<T>(
    text: &str,
    fields: usize,
    mut row: impl FnMut(&csv::StringRecord, &dyn Fn(usize) -> Result<f64, String>) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let mut records = Records::new(text);
    records.next_record();
    let mut rows = Vec::new();
    while let Some((line, f)) = records.next_record() {
        if f.len() != fields {
            return Err(format!("line {line}: expected {fields} fields"));
        }
        let num = |i: usize| -> Result<f64, String> {
            f[i].parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| format!("line {line}: bad number {:?}", &f[i]))
        };
        rows.push(row(f, &num)?);
    }
    Ok(rows)
}

/// Parses a vendored expert-parallel imbalance sample (`tests/data/profiling/moe/<engine>_<gpu>_ep.csv`: dtype,
/// tokens, hidden, inter, experts, topk, ep, then the power-law and balanced times with `ep` groups and on one GPU).
pub fn parse_moe_ep_csv(text: &str) -> Result<Vec<infercost_perf::moe::EpSample>, String> {
    sample_rows(text, 11, |_, num| {
        let (pl, bal, pl1, bal1) = (num(7)?, num(8)?, num(9)?, num(10)?);
        if [pl, bal, pl1, bal1].iter().any(|&x| x <= 0.0) {
            return Err("a time that is not positive".into());
        }
        Ok(infercost_perf::moe::EpSample {
            experts: num(4)?,
            ep: num(6)?,
            ratio: (pl / bal) / (pl1 / bal1),
        })
    })
}

/// Parses a vendored fused MoE sample (`tests/data/profiling/moe/<engine>_<gpu>.csv`: dtype, tokens, hidden,
/// inter, experts, topk, tp, latency_ms), each row with its dtype.
pub fn parse_moe_csv(text: &str) -> Result<Vec<(String, infercost_perf::moe::MoeSample)>, String> {
    sample_rows(text, 8, |f, num| {
        Ok((
            f[0].to_string(),
            infercost_perf::moe::MoeSample {
                tokens: num(1)?,
                hidden: num(2)?,
                inter: num(3)?,
                experts: num(4)?,
                topk: num(5)?,
                tp: num(6)?,
                seconds: num(7)? * 1e-3,
            },
        ))
    })
}

/// Parses one engine-and-GPU sample of measured kernel times (`tools/sample_kernels.py`: `table, dtype, a, b,
/// c, d, latency_ms`) into rows for `infercost_perf::kernel_fit`.
pub fn parse_kernel_csv(text: &str) -> Result<Vec<infercost_perf::kernel_fit::KernelRow>, String> {
    sample_rows(text, 7, |f, num| {
        Ok(infercost_perf::kernel_fit::KernelRow {
            table: f[0].to_string(),
            dtype: f[1].to_string(),
            a: num(2)?,
            b: num(3)?,
            c: num(4)?,
            d: num(5)?,
            seconds: num(6)? * 1e-3,
        })
    })
}
