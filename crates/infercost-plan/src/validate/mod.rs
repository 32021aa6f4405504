//! The accuracy scorecard: published end-to-end serving figures (`data/validation/published.csv`), each
//! predicted by the iteration model and the simulator under the row's configuration, or listed with the reason
//! it cannot be modelled yet; then the error per engine, per GPU and overall.
//!
//! Parsing and the mapping of a row to a deployment and a load are in [`map`], the simulation of one row in
//! [`predict`], the error statistics in [`summary`].

pub mod errors;
pub mod fields;
pub mod map;
pub mod predict;
pub mod summary;
pub mod tuning;

use serde::Serialize;
use thiserror::Error;

pub use map::{Metric, Reason, Setup};
pub use summary::{Stat, Summary};

/// The published reference set, built into the binary so the scorecard needs no files.
pub const PUBLISHED_CSV: &str = include_str!("../../../../data/validation/published.csv");

/// The columns a reference file must have, in any order.
const COLUMNS: [&str; 19] = [
    "id",
    "engine",
    "gpu",
    "num_gpus",
    "model",
    "tp",
    "pp",
    "ep",
    "attention_dp",
    "weights",
    "kv_dtype",
    "input_len",
    "output_len",
    "load",
    "load_value",
    "metric",
    "value",
    "unit",
    "notes",
];

/// A reference file that cannot be read; no scorecard is made from it.
#[derive(Debug, Error, PartialEq)]
pub enum ValidateError {
    /// The header lacks a column.
    #[error("the reference set has no {0:?} column")]
    MissingColumn(&'static str),
    /// A row with a field that cannot be read.
    #[error("reference set line {line}: {message}")]
    Row {
        /// 1-based line in the file.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// One published figure, as the reference file gives it (the text of each column, `n/s` included).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
    /// Stable row id (`v001`…).
    pub id: String,
    /// `vllm`, `sglang`, `trtllm`, `nvidia-nim`.
    pub engine: String,
    /// The engine's version as the source states it (optional column; `n/s` when absent).
    pub engine_version: String,
    /// GPU as the source names it (`h100-sxm`, `h200`, …).
    pub gpu: String,
    /// GPUs behind the figure.
    pub num_gpus: u32,
    /// Hugging Face model name.
    pub model: String,
    /// Tensor-parallel degree (`n/s` when not stated).
    pub tp: String,
    /// Pipeline-parallel degree (empty: none).
    pub pp: String,
    /// Expert-parallel degree (empty: none).
    pub ep: String,
    /// Data-parallel attention: `yes`, `no`, empty or `n/s`.
    pub attention_dp: String,
    /// Weight precision.
    pub weights: String,
    /// KV-cache dtype.
    pub kv_dtype: String,
    /// Prompt tokens, or the dataset's name.
    pub input_len: String,
    /// Output tokens, or the dataset's name.
    pub output_len: String,
    /// `max_throughput`, `rate` or `concurrency`.
    pub load: String,
    /// The rate or concurrency, free text.
    pub load_value: String,
    /// The metric's name.
    pub metric: String,
    /// The published number.
    pub value: f64,
    /// Unit and scope (per GPU or the whole system).
    pub unit: String,
    /// The source's wording and every assumption about the row.
    pub notes: String,
}

/// Reads a reference file in the `published.csv` layout (RFC 4180 quotes; a quoted note may span lines, and a
/// row's error names the line it starts on).
pub fn parse(text: &str) -> Result<Vec<Row>, ValidateError> {
    if text.trim().is_empty() {
        return Err(ValidateError::Row {
            line: 1,
            message: "the file is empty; it needs a header line and rows".into(),
        });
    }
    // The reader counts a CRLF file's lines one short; with LF endings it names the line the user sees.
    let text = text.replace("\r\n", "\n");
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| ValidateError::Row {
            line: 1,
            message: e.to_string(),
        })?
        .iter()
        .map(|f| f.trim().to_string())
        .collect();
    let at = columns(&header)?;
    // Optional: a user's own file may not say which release measured it.
    let version_at = header.iter().position(|h| h == "engine_version");
    let mut rows: Vec<Row> = Vec::new();
    let mut lines: Vec<usize> = Vec::new();
    for record in reader.records() {
        let fields = record.map_err(|e| ValidateError::Row {
            line: e.position().map_or(0, |p| p.line() as usize),
            message: e.to_string(),
        })?;
        let line = fields.position().map_or(0, |p| p.line() as usize);
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let bad = |message: String| ValidateError::Row { line, message };
        if fields.len() != header.len() {
            let n = (fields.len(), header.len());
            return Err(bad(format!("{} fields, the header has {}", n.0, n.1)));
        }
        let mut row = read_row(&fields, &at).map_err(bad)?;
        row.engine_version = version_at.map_or("n/s".into(), |c| fields[c].trim().to_string());
        if let Some(first) = rows.iter().position(|r| r.id == row.id) {
            let why = format!("id {:?} repeats the row of line {}", row.id, lines[first]);
            return Err(bad(why));
        }
        fields::check(&row).map_err(bad)?;
        rows.push(row);
        lines.push(line);
    }
    Ok(rows)
}

/// Where each required column is in the header.
fn columns(header: &[String]) -> Result<[usize; COLUMNS.len()], ValidateError> {
    let mut at = [0usize; COLUMNS.len()];
    for (slot, name) in at.iter_mut().zip(COLUMNS) {
        *slot = header.iter().position(|h| h == name).ok_or(match header {
            // One column holding the others' names: another separator.
            [only] if only.contains(';') || only.contains('\t') => ValidateError::Row {
                line: 1,
                message: "the header has one column; the file must be comma-separated".into(),
            },
            _ => ValidateError::MissingColumn(name),
        })?;
    }
    Ok(at)
}

/// One record's required fields as a row (engine and weights in lower case), or what is wrong with one.
fn read_row(fields: &csv::StringRecord, at: &[usize; COLUMNS.len()]) -> Result<Row, String> {
    let get = |c: usize| fields[at[c]].trim().to_string();
    if get(0).is_empty() {
        return Err("the id is empty".into());
    }
    let num_gpus = get(3)
        .parse::<u32>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| {
            format!(
                "num_gpus {:?} is not a whole number of GPUs, at least 1",
                get(3)
            )
        })?;
    let value = get(16)
        .parse::<f64>()
        .map_err(|_| format!("value {:?} is not a number", get(16)))?;
    if !(value > 0.0 && value.is_finite()) {
        return Err(format!(
            "value {:?} is not a positive finite number",
            get(16)
        ));
    }
    Ok(Row {
        id: get(0),
        engine: fields::engine_name(&get(1)),
        engine_version: String::new(),
        gpu: get(2).to_ascii_lowercase(),
        num_gpus,
        model: get(4),
        tp: get(5),
        pp: get(6),
        ep: get(7),
        attention_dp: get(8),
        weights: get(9).to_ascii_lowercase(),
        kv_dtype: get(10),
        input_len: get(11),
        output_len: get(12),
        load: get(13),
        load_value: get(14),
        metric: get(15),
        value,
        unit: get(17),
        notes: get(18),
    })
}

/// How a row was scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Predicted and compared.
    Modelled,
    /// Listed with the reason it cannot be modelled yet.
    NotModelled,
}

/// One row of the scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    /// Row id.
    pub id: String,
    /// Engine.
    pub engine: String,
    /// The engine's release line as the source states it (`1.0`, `0.17`; `n/s` when it states none).
    pub engine_release: String,
    /// The catalog GPU it was modelled on, else the source's name.
    pub gpu: String,
    /// The catalog model it was modelled as, else the source's name.
    pub model: String,
    /// Layout as published (`TP4`, `TP1 PP4`, `TP8 EP8 DP-attn`).
    pub layout: String,
    /// Weights / KV cache.
    pub precision: String,
    /// Prompt / output tokens.
    pub isl_osl: String,
    /// The load (`max`, `rate 8/s`, `batch 8`, `concurrency 25`).
    pub load: String,
    /// The metric's name.
    pub metric: String,
    /// The published figure.
    pub published: f64,
    /// infercost's prediction in the same unit and scope.
    pub predicted: Option<f64>,
    /// predicted / published − 1.
    pub error: Option<f64>,
    /// Modelled or not.
    pub status: Status,
    /// Why the row is not modelled.
    pub reason: Option<String>,
}

/// The whole scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    /// Every row, in file order.
    pub rows: Vec<Scored>,
    /// Errors per engine, per GPU and overall, and the rows not modelled by reason.
    pub summary: Summary,
}

/// Scores every row: a row that cannot be modelled is listed with its reason, never dropped. `threads` worker
/// threads simulate rows side by side; the result does not depend on it.
pub fn scorecard(rows: &[Row], threads: usize) -> Scorecard {
    let scored = infercost_core::par::par_map(rows, threads.max(1), |_, r| score(r));
    let summary = summary::summarise(&scored);
    Scorecard {
        rows: scored,
        summary,
    }
}

/// The release line (major.minor) a stated engine version begins with, `n/s` when it begins with none: `1.0-era
/// docs` is `1.0`, `0.14.0 (Triton …)` is `0.14`, `commit b6261862` and `n/s (CI build)` are `n/s`.
pub fn release(version: &str) -> String {
    // A product name before the number (`vLLM 0.10.1`, `TensorRT-LLM 1.2.0`) and a `v` are skipped.
    let v = version.trim();
    let v = match v.split_once(' ') {
        Some((word, rest)) if word.chars().all(|c| c.is_ascii_alphabetic() || c == '-') => {
            rest.trim_start()
        }
        _ => v,
    };
    let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
    let lead: String = v
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let parts: Vec<&str> = lead.split('.').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [major, minor, ..] => format!("{major}.{minor}"),
        [major] => major.to_string(),
        [] => "n/s".into(),
    }
}

/// Scores one row.
pub fn score(row: &Row) -> Scored {
    let mut s = Scored {
        id: row.id.clone(),
        engine: row.engine.clone(),
        engine_release: release(&row.engine_version),
        gpu: row.gpu.clone(),
        model: row.model.rsplit('/').next().unwrap_or(&row.model).into(),
        layout: map::layout_label(row),
        precision: format!("{}/{}", row.weights, map::kv_label(&row.kv_dtype)),
        isl_osl: format!("{}/{}", short(&row.input_len), short(&row.output_len)),
        load: map::load_label(row),
        metric: row.metric.clone(),
        published: row.value,
        predicted: None,
        error: None,
        status: Status::NotModelled,
        reason: None,
    };
    let setup = match map::setup(row) {
        Ok(setup) => setup,
        Err(reason) => {
            s.reason = Some(reason.to_string());
            return s;
        }
    };
    s.gpu = setup.deployment.gpu.name.clone();
    s.model = setup.deployment.model.name.clone();
    // The dtypes modelled; `*` marks a KV dtype the source does not state (the checkpoint's or the engine's default).
    let assumed = if map::kv_stated(&row.kv_dtype) {
        ""
    } else {
        "*"
    };
    s.precision = format!("{}/{}{assumed}", row.weights, setup.deployment.kv.name());
    match predict::predict(&setup) {
        Ok(p) => {
            s.predicted = Some(p);
            s.error = Some(p / row.value - 1.0);
            s.status = Status::Modelled;
        }
        Err(reason) => s.reason = Some(reason.to_string()),
    }
    s
}

/// The first word of a length (`n/a (prefill only)` → `n/a`).
fn short(s: &str) -> &str {
    s.split_whitespace().next().unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::map::{Load, Metric, Reason};
    use super::*;
    use infercost_perf::Dtype;

    fn rows() -> Vec<Row> {
        parse(PUBLISHED_CSV).expect("the embedded reference set parses")
    }

    fn row(id: &str) -> Row {
        rows().into_iter().find(|r| r.id == id).expect(id)
    }

    #[test]
    fn the_embedded_set_parses_row_by_row() {
        let rows = rows();
        assert_eq!(rows.len(), 162);
        let ids: std::collections::BTreeSet<_> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids.len(), rows.len(), "ids are unique");
        let r = row("v033");
        assert_eq!(
            (r.engine.as_str(), r.gpu.as_str(), r.num_gpus, r.tp.as_str()),
            ("trtllm", "h100-sxm", 1, "1")
        );
        assert_eq!(
            (r.input_len.as_str(), r.output_len.as_str()),
            ("128", "128")
        );
        assert_eq!(r.value, 3378.03);
        // A quoted note holding commas stays one field.
        assert!(r.notes.contains("LLaMA v3.1 70B | TP 1 | 128, 128"));
        // A burst's prompts are its request count.
        let s = map::setup(&row("v158")).unwrap();
        assert_eq!(
            (s.requests, s.input_tokens, s.output_tokens),
            (1000, 128, 4)
        );
    }

    #[test]
    fn a_stated_version_gives_its_release_line() {
        assert_eq!(
            release("1.0-era docs (PyTorch backend; exact build n/s)"),
            "1.0"
        );
        assert_eq!(release("0.14.0 (Triton tensorrtllm_backend)"), "0.14");
        assert_eq!(release("0.10.2"), "0.10");
        assert_eq!(release("0.17"), "0.17");
        assert_eq!(release("2"), "2");
        assert_eq!(release("commit b6261862 for B200"), "n/s");
        assert_eq!(release("v0.10.1"), "0.10");
        assert_eq!(release("vLLM 0.10.1"), "0.10");
        assert_eq!(release("TensorRT-LLM v1.2.0rc1"), "1.2");
        assert_eq!(release("n/s (CI build 9515)"), "n/s");
        assert_eq!(row("v090").engine_version, "0.10.2");
    }

    #[test]
    fn a_malformed_reference_file_is_refused() {
        let header = PUBLISHED_CSV.lines().next().unwrap();
        assert_eq!(
            parse("id,engine\nv1,vllm\n"),
            Err(ValidateError::MissingColumn("gpu"))
        );
        let bad_value = format!(
            "{header}\n{}",
            PUBLISHED_CSV
                .lines()
                .nth(1)
                .unwrap()
                .replace(",7007,", ",many,")
        );
        assert!(matches!(
            parse(&bad_value),
            Err(ValidateError::Row { line: 2, .. })
        ));
        // Windows line endings: the error names the same line.
        let crlf = bad_value.replace('\n', "\r\n");
        assert!(matches!(
            parse(&crlf),
            Err(ValidateError::Row { line: 2, .. })
        ));
        let short = format!("{header}\nv1,x,y\n");
        assert!(matches!(
            parse(&short),
            Err(ValidateError::Row { line: 2, .. })
        ));
        // A repeated id would make two rows one in every report; the second is refused at its line.
        let first = PUBLISHED_CSV.lines().nth(1).unwrap();
        match parse(&format!("{header}\n{first}\n{first}\n")) {
            Err(ValidateError::Row { line: 3, message }) => {
                assert!(message.contains("repeats the row of line 2"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_sequence_longer_than_the_models_context_is_not_modelled() {
        // Llama 3.1 8B holds 131,072 positions; a 200,000-token prompt is listed with its reason, not timed.
        let mut r = row("v022");
        r.input_len = "200000".into();
        let Err(why) = map::setup(&r) else {
            panic!("a 200,000-token prompt on llama-3.1-8b is modelled");
        };
        let why = why.to_string();
        assert!(
            why.starts_with("longer than the model's context") && why.contains("131072"),
            "{why}"
        );
    }

    #[test]
    fn rows_map_to_a_deployment_and_load_or_to_their_reason() {
        let s = map::setup(&row("v033")).expect("v033 is modelled");
        assert_eq!(s.deployment.model.name, "llama-3.1-70b");
        assert_eq!(s.deployment.gpu.name, "h100-sxm");
        assert_eq!((s.deployment.tp, s.replicas), (1, 1));
        assert_eq!(
            (s.deployment.weights, s.deployment.kv),
            (Dtype::Fp8, Dtype::Fp8)
        );
        assert_eq!((s.input_tokens, s.output_tokens), (128, 128));
        assert_eq!((s.load, s.requests), (Load::AtOnce, map::DEFAULT_REQUESTS));
        assert_eq!(s.metric, Metric::OutputTokensPerS);

        let s = map::setup(&row("v044")).expect("v044 is modelled");
        assert_eq!((s.load, s.requests), (Load::Poisson(8.0), 500));
        assert_eq!((s.deployment.tp, s.deployment.kv), (4, Dtype::Bf16));
        assert_eq!(s.metric, Metric::TtftMeanMs);

        // Unstated KV dtype: a ModelOpt fp8/fp4 checkpoint's own fp8 cache, the model's 16 bits otherwise.
        let kv = |id: &str| map::setup(&row(id)).expect(id).deployment.kv;
        assert_eq!((kv("v002"), kv("v001")), (Dtype::Fp8, Dtype::Fp8));
        assert_eq!((kv("v050"), kv("v090")), (Dtype::Bf16, Dtype::Bf16));

        let s = map::setup(&row("v077")).expect("a fixed batch is modelled");
        assert_eq!((s.load, s.requests), (Load::AtOnce, 8));

        let reason = |id: &str| map::setup(&row(id)).err().map(|r| r.label());
        // fp4 on B200 runs on fp4 tensor cores, modelled with TensorRT-LLM's profile.
        let v001 = map::setup(&row("v001")).unwrap();
        assert_eq!(v001.deployment.weights, infercost_perf::Dtype::Fp4);
        assert_eq!(v001.deployment.engine.name, "trtllm");
        assert_eq!(reason("v008"), Some("GPU not in the catalog"));
        assert_eq!(reason("v017"), Some("model not in the catalog"));
        assert_eq!(reason("v011"), Some(Reason::MoeLayoutNotStated.label()));
        // Expert parallelism and data-parallel attention as the row states them; ShareGPT lengths are the
        // deeper gap of v095.
        assert_eq!(reason("v095"), Some(Reason::DatasetLengths.label()));
        let s = map::setup(&row("v056")).expect("v056 (EP8, attention DP) is modelled");
        let l = s.deployment.layout;
        assert_eq!(
            (l.tp, l.pp, l.ep, l.attention_dp, s.replicas),
            (8, 1, 8, true, 1)
        );
        // v055 ran MTP speculative decoding on a dataset whose acceptance is not published: listed, not guessed;
        // its layout (TP8 EP4, attention not data-parallel) is modelled once that is set aside.
        assert_eq!(reason("v055"), Some(Reason::SpeculativeDecoding.label()));
        let mut v055 = row("v055");
        v055.notes.clear();
        let s = map::setup(&v055).expect("v055's layout (TP8 EP4) is modelled");
        assert_eq!(
            (s.deployment.layout.ep, s.deployment.layout.attention_dp),
            (4, false)
        );
        assert_eq!(reason("v057"), Some(Reason::Disaggregated.label()));
        // NIM's closed-loop rows name no statistic (mean or median) for TTFT and ITL, nor which tokens count.
        assert_eq!(
            reason("v070"),
            Some(Reason::MetricNotStated(String::new()).label())
        );
        // A closed loop with a stated metric is simulated as one: eight requests per client, at least 200.
        let mut closed = row("v044");
        closed.load = "concurrency".into();
        closed.load_value = "16".into();
        closed.notes.clear();
        let s = map::setup(&closed).expect("a closed loop is modelled");
        assert_eq!((s.load, s.requests), (Load::Closed(16), 200));
        let ttft = predict::predict(&s).expect("it simulates");
        assert!(ttft > 0.0 && ttft.is_finite(), "{ttft}");
        assert_eq!(reason("v080"), Some(Reason::DatasetLengths.label()));
    }

    /// The overall median |error| that docs/ACCURACY.md states as the bound ("grows beyond **N%**").
    fn documented_bound() -> f64 {
        let doc = include_str!("../../../../docs/ACCURACY.md");
        let at = doc
            .find("grows beyond **")
            .expect("docs/ACCURACY.md states the bound as 'grows beyond **N%**'");
        let rest = &doc[at + "grows beyond **".len()..];
        let n: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        n.parse::<f64>().expect("a number before the %") / 100.0
    }

    /// The median |error| docs/ACCURACY.md's scorecard table states for a scope (`**overall**`, `engine trtllm`,
    /// `GPU h100-sxm`): the third column of the row `| scope | rows | median | p90 |`.
    fn documented_median(scope: &str) -> Option<f64> {
        let doc = include_str!("../../../../docs/ACCURACY.md");
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| {scope} |")))?;
        let cell = row.split('|').nth(3)?.trim().trim_matches('*');
        Some(cell.trim_end_matches('%').parse::<f64>().ok()? / 100.0)
    }

    #[test]
    fn the_scorecard_stays_within_the_documented_error() {
        let rows = rows();
        let card = scorecard(&rows, 2);
        assert_eq!(card.rows.len(), rows.len(), "no row is dropped");
        let s = &card.summary;
        assert_eq!(s.modelled + s.not_modelled, rows.len());
        assert_eq!(s.reasons.values().sum::<usize>(), s.not_modelled);
        for (r, published) in card.rows.iter().zip(&rows) {
            assert_eq!(r.id, published.id, "rows keep their order");
            match r.status {
                Status::Modelled => {
                    let p = r.predicted.expect("a modelled row has a prediction");
                    assert!(p.is_finite() && p > 0.0, "{}: {p}", r.id);
                    assert!(r.reason.is_none(), "{}", r.id);
                }
                Status::NotModelled => assert!(r.reason.is_some(), "{} says why", r.id),
            }
        }
        assert!(s.modelled >= 30, "{} rows modelled", s.modelled);
        let bound = documented_bound();
        let median = |stat: &Stat| stat.median_abs_error.expect("modelled rows have a median");
        assert!(
            median(&s.overall) <= bound,
            "overall median |error| {:.1}% grew beyond the {:.0}% docs/ACCURACY.md states",
            median(&s.overall) * 100.0,
            bound * 100.0
        );
        // Per engine and per GPU, the median may not grow beyond the one the scorecard table states (its last
        // digit rounds); a scope the table does not list is a scorecard the page no longer describes.
        let scopes = s.by_engine.iter().map(|(k, v)| (format!("engine {k}"), v));
        let scopes = scopes.chain(s.by_gpu.iter().map(|(k, v)| (format!("GPU {k}"), v)));
        let scopes = scopes.chain(
            s.by_release
                .iter()
                .map(|(k, v)| (format!("release {k}"), v)),
        );
        let scopes = scopes.chain(s.by_metric.iter().map(|(k, v)| (format!("metric {k}"), v)));
        for (scope, stat) in scopes.chain([("**overall**".to_string(), &s.overall)]) {
            let stated = documented_median(&scope)
                .unwrap_or_else(|| panic!("docs/ACCURACY.md states no median for {scope}"));
            assert!(
                median(stat) <= stated + 0.0005,
                "{scope}: median |error| {:.1}% grew beyond the {:.1}% docs/ACCURACY.md states",
                median(stat) * 100.0,
                stated * 100.0
            );
        }
        assert_eq!(
            scorecard(&rows, 1),
            card,
            "threads do not change the figures"
        );
        assert_eq!(
            errors::errors_csv(&card, "data/validation/published.csv"),
            errors::ERRORS_CSV,
            "data/validation/errors.csv matches the scorecard: regenerate it with \
             `infercost validate --errors > data/validation/errors.csv`"
        );
    }
}
