//! The checks a reference row's fields must pass before it is scored: a value that cannot mean anything (a
//! negative length, a GPU count of 1.5, an unknown load) is an error naming the field, never a row quietly
//! modelled as something else or listed under an unrelated reason. Gaps in what a source states (`n/s`, a
//! dataset's name for a length) pass: the scorecard lists them with their reason.

use super::Row;

/// The weight precisions a row may name (lower case; `n/s` when the source does not state it).
pub const WEIGHTS: [&str; 6] = ["bf16", "fp16", "fp8", "fp4", "int4", "n/s"];

/// The loads a row may name.
pub const LOADS: [&str; 3] = ["max_throughput", "rate", "concurrency"];

/// The engine a name stands for, lower case, with the usual spellings of the three profiled engines folded in
/// (`TensorRT-LLM` is `trtllm`).
pub fn engine_name(s: &str) -> String {
    let lower = s.trim().to_ascii_lowercase();
    match lower.as_str() {
        "tensorrt-llm" | "tensorrt_llm" | "trt-llm" | "trt_llm" => "trtllm".into(),
        _ => lower,
    }
}

/// The first field of `r` that cannot mean anything, with why.
pub fn check(r: &Row) -> Result<(), String> {
    for (name, v) in [("input_len", &r.input_len), ("output_len", &r.output_len)] {
        length(name, v)?;
    }
    for (name, v, optional) in [
        ("tp", &r.tp, false),
        ("pp", &r.pp, true),
        ("ep", &r.ep, true),
    ] {
        degree(name, v, optional)?;
    }
    if !matches!(r.attention_dp.as_str(), "" | "yes" | "no" | "n/s") {
        return Err(format!(
            "attention_dp {:?} is not yes, no, n/s or empty",
            r.attention_dp
        ));
    }
    if !WEIGHTS.contains(&r.weights.as_str()) {
        return Err(format!(
            "weights {:?} is not one of {}",
            r.weights,
            WEIGHTS.join(", ")
        ));
    }
    if !LOADS.contains(&r.load.as_str()) {
        return Err(format!(
            "load {:?} is not one of {}",
            r.load,
            LOADS.join(", ")
        ));
    }
    if r.load == "rate"
        && !r
            .load_value
            .parse::<f64>()
            .is_ok_and(|x| x > 0.0 && x.is_finite())
    {
        return Err(format!(
            "load_value {:?} is not a positive rate in requests per second",
            r.load_value
        ));
    }
    if r.load == "concurrency" && r.load_value.starts_with(['0', '-']) {
        return Err(format!(
            "load_value {:?} is not a positive concurrency",
            r.load_value
        ));
    }
    let per_token = r.metric.starts_with("tpot") || r.metric.starts_with("itl");
    if per_token && r.output_len == "1" {
        return Err(format!(
            "{} needs at least two output tokens; output_len is 1",
            r.metric
        ));
    }
    Ok(())
}

/// A length is a whole number of tokens, at least 1, or a name (a dataset's, or `n/s`).
fn length(name: &str, v: &str) -> Result<(), String> {
    if v.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Ok(());
    }
    match v.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(()),
        _ => Err(format!(
            "{name} {v:?} is not a whole number of tokens from 1 to {} (or a dataset's name)",
            u32::MAX
        )),
    }
}

/// A parallel degree is a whole number, at least 1, or `n/s`; pipeline and expert degrees may be empty (none).
fn degree(name: &str, v: &str, optional: bool) -> Result<(), String> {
    if v == "n/s" || (optional && v.is_empty()) {
        return Ok(());
    }
    match v.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(()),
        _ => Err(format!(
            "{name} {v:?} is not a whole number of GPUs, at least 1{}",
            if optional {
                ", n/s or empty"
            } else {
                ", or n/s"
            }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Row {
        Row {
            id: "a".into(),
            engine: "vllm".into(),
            tp: "1".into(),
            weights: "bf16".into(),
            input_len: "1024".into(),
            output_len: "128".into(),
            load: "max_throughput".into(),
            metric: "output_tokens_per_s".into(),
            ..Row::default()
        }
    }

    #[test]
    fn fields_that_cannot_mean_anything_are_named() {
        assert_eq!(check(&row()), Ok(()));
        let bad = |f: &dyn Fn(&mut Row)| {
            let mut r = row();
            f(&mut r);
            check(&r).unwrap_err()
        };
        assert!(bad(&|r| r.input_len = "1k".into()).starts_with("input_len \"1k\""));
        assert!(bad(&|r| r.output_len = "0".into()).starts_with("output_len \"0\""));
        assert!(bad(&|r| r.input_len = "-5".into()).starts_with("input_len"));
        assert!(bad(&|r| r.input_len = "99999999999".into()).starts_with("input_len"));
        assert!(bad(&|r| r.tp = "0".into()).starts_with("tp \"0\""));
        assert!(bad(&|r| r.pp = "two".into()).starts_with("pp \"two\""));
        assert!(bad(&|r| r.weights = "int8".into()).contains("bf16, fp16"));
        assert!(bad(&|r| r.load = "poisson".into()).starts_with("load \"poisson\""));
        let rate = |v: &str| {
            let mut r = row();
            r.load = "rate".into();
            r.load_value = v.into();
            check(&r)
        };
        assert!(rate("0").is_err() && rate("-3").is_err() && rate("").is_err());
        assert_eq!(rate("2.5"), Ok(()));
        assert!(bad(&|r| {
            r.metric = "tpot_ms_median".into();
            r.output_len = "1".into();
        })
        .contains("two output tokens"));
        // What a source leaves unstated passes; the scorecard gives its reason.
        let mut r = row();
        (r.input_len, r.tp, r.ep, r.attention_dp) =
            ("sharegpt".into(), "n/s".into(), "".into(), "n/s".into());
        assert_eq!(check(&r), Ok(()));
        assert_eq!(engine_name(" TensorRT-LLM "), "trtllm");
        assert_eq!(engine_name("vLLM"), "vllm");
    }
}
