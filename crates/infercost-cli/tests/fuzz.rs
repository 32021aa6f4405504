//! Fuzz-style property tests on stable Rust: random bytes, truncated and mutated real files, and extreme values
//! go into every reader of user input (the trace readers through auto-detection and each format, the scenario
//! parser, the price catalog parser, the SkyPilot importer and diurnal profiles). Each must return, never panic;
//! an error must name the input (the file, and the line where it has one); and what it returns is bounded by
//! the input (no more requests than lines, every request within the token and time limits).
//!
//! The default is a few thousand cases in all, seconds in a debug build. For a long run:
//! `PROPTEST_CASES=1000000 cargo test --release -p infercost-cli --test fuzz`.

use infercost_core::MAX_TOKENS_PER_REQUEST;
use infercost_cost::Catalog;
use infercost_io::diurnal::parse_diurnal;
use infercost_io::{parse_trace, ColumnMap, Format, IoError, ReadOptions, TimeUnit};
use infercost_plan::Scenario;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::path::{Path, PathBuf};

/// `PROPTEST_CASES` when set, else this suite's default for the property.
fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The first `lines` lines of a real file: enough to reach every code path, small enough for thousands of cases.
fn head(path: &str, lines: usize) -> Vec<u8> {
    let bytes = std::fs::read(root().join(path)).unwrap();
    let mut end = 0;
    for (n, _) in bytes
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .take(lines)
    {
        end = n + 1;
    }
    bytes[..end.max(1).min(bytes.len())].to_vec()
}

fn real_traces() -> Vec<Vec<u8>> {
    vec![
        head("data/traces/azure_conv_2023.csv", 40),
        head("data/traces/azure_code_2023.csv", 40),
        head("tests/data/mooncake_100.jsonl", 30),
        head("tests/data/sharegpt_lengths_200.csv", 40),
        head("tests/data/litellm_spend_logs.csv", 11),
        head("tests/data/litellm_spend_logs.json", 5),
        head("tests/data/otlp_genai_spans.jsonl", 2),
        head("tests/data/burstgpt_sample.csv", 8),
        b"arrived_at,num_prefill_tokens,num_decode_tokens\n0.0,512,64\n0.5,1024,128\n1.25,77,9\n"
            .to_vec(),
        b"when,p,c,region,session\n1700000000,10,3,eu,a\n1700000001.5,20,4,us,b\n".to_vec(),
        b"{\"ts\": \"2023-11-16 18:15:46.68Z\", \"in\": 10, \"out\": 2, \"region\": \"eu\"}\n"
            .to_vec(),
    ]
}

/// Values that break naive parsers: signs, overflow, non-finite, huge exponents, dates at the calendar's edges.
const EXTREMES: [&str; 24] = [
    "0",
    "-1",
    "-0",
    "1e15",
    "1e308",
    "1e-300",
    "inf",
    "NaN",
    "4294967295",
    "4294967296",
    "4000000000",
    "18446744073709551616",
    "99999999999999999999999999999",
    "0.5",
    "",
    "\"",
    "\"\"",
    "9999-12-31 23:59:59",
    "0000-01-01 00:00:00",
    "2023-02-30T25:61:61Z",
    "1970-01-01T00:00:00+99:99",
    "[1,2]",
    "{}",
    "null",
];

/// One edit to a real file.
#[derive(Debug, Clone)]
enum Edit {
    /// Cut the file at this fraction of its length.
    Truncate(u16),
    /// Set the byte at this fraction of the length.
    Byte(u16, u8),
    /// Replace the token (digits, letters, dots, dashes) at this fraction with an extreme value.
    Extreme(u16, usize),
    /// Copy the line at this fraction to the end.
    DuplicateLine(u16),
    /// Delete the line at this fraction.
    DeleteLine(u16),
}

fn at(len: usize, frac: u16) -> usize {
    (len * frac as usize) / (u16::MAX as usize + 1)
}

fn line_bounds(b: &[u8], pos: usize) -> (usize, usize) {
    let start = b[..pos]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |i| i + 1);
    let end = b[pos..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |i| pos + i + 1);
    (start, end)
}

fn apply(mut b: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        if b.is_empty() {
            break;
        }
        match *e {
            Edit::Truncate(f) => b.truncate(at(b.len(), f)),
            Edit::Byte(f, v) => {
                let i = at(b.len(), f);
                b[i] = v;
            }
            Edit::Extreme(f, k) => {
                let i = at(b.len(), f);
                let word = |c: &u8| c.is_ascii_alphanumeric() || *c == b'.' || *c == b'-';
                let s = b[..i].iter().rposition(|c| !word(c)).map_or(0, |j| j + 1);
                let e = b[i..]
                    .iter()
                    .position(|c| !word(c))
                    .map_or(b.len(), |j| i + j);
                b.splice(s..e, EXTREMES[k % EXTREMES.len()].bytes());
            }
            Edit::DuplicateLine(f) => {
                let (s, e) = line_bounds(&b, at(b.len(), f));
                let line = b[s..e].to_vec();
                b.extend_from_slice(&line);
            }
            Edit::DeleteLine(f) => {
                let (s, e) = line_bounds(&b, at(b.len(), f));
                b.drain(s..e);
            }
        }
    }
    b
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<u16>().prop_map(Edit::Truncate),
        (any::<u16>(), any::<u8>()).prop_map(|(f, v)| Edit::Byte(f, v)),
        (any::<u16>(), any::<usize>()).prop_map(|(f, k)| Edit::Extreme(f, k)),
        any::<u16>().prop_map(Edit::DuplicateLine),
        any::<u16>().prop_map(Edit::DeleteLine),
    ]
}

const FORMATS: [Format; 10] = [
    Format::Auto,
    Format::Azure,
    Format::Mooncake,
    Format::Vidur,
    Format::Lengths,
    Format::Csv,
    Format::Jsonl,
    Format::LiteLlm,
    Format::Otlp,
    Format::BurstGpt,
];
const UNITS: [Option<TimeUnit>; 5] = [
    None,
    Some(TimeUnit::S),
    Some(TimeUnit::Ms),
    Some(TimeUnit::Us),
    Some(TimeUnit::Rfc3339),
];

/// Reading options: a format, a time unit, strictness, and column names that the generic files above use.
fn options() -> impl Strategy<Value = ReadOptions> {
    (
        0..FORMATS.len(),
        0..UNITS.len(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(f, u, strict, mapped)| ReadOptions {
            format: FORMATS[f],
            strict,
            time_unit: UNITS[u],
            columns: if mapped {
                ColumnMap {
                    time: Some(["when", "ts", "timestamp"][u % 3].into()),
                    input: Some(["p", "in", "input_length"][u % 3].into()),
                    output: Some(["c", "out", "output_length"][u % 3].into()),
                    region: (f % 2 == 0).then(|| "region".into()),
                    session: (u % 2 == 0).then(|| "session".into()),
                }
            } else {
                ColumnMap::default()
            },
            // Some runs filter on a column that the LiteLLM and OTLP files have and the others lack.
            filters: if strict && mapped {
                vec![infercost_io::Where::parse("model=gpt-4").unwrap()]
            } else {
                Vec::new()
            },
        })
}

const TRACE: &str = "fuzz-input.csv";

/// Reads trace bytes and checks the contract: no panic (the runner catches one as a failure), an error that names
/// the input and a plausible line, or a workload bounded by the input and within the limits.
fn check_trace(bytes: &[u8], opts: &ReadOptions) -> Result<(), TestCaseError> {
    let lines = bytes.split(|&b| b == b'\n').count() as u64;
    match parse_trace(bytes, Path::new(TRACE), opts) {
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(
                msg.starts_with(TRACE),
                "error does not name the input: {msg}"
            );
            if let IoError::Malformed { line, .. } = e {
                prop_assert!(line >= 1 && line <= lines, "line {line} of {lines}: {msg}");
            }
        }
        Ok((w, report)) => {
            prop_assert!(!w.is_empty());
            // A request takes a line, or in OTLP and a LiteLLM JSON array (many records to a line) an object.
            let objects = bytes.iter().filter(|&&b| b == b'{').count() as u64;
            prop_assert!(
                w.len() as u64 <= lines.max(objects),
                "{} requests from {lines} lines and {objects} objects",
                w.len()
            );
            prop_assert!(w.regions.len() as u64 <= lines);
            prop_assert!(w.hash_ids.len() <= bytes.len());
            prop_assert!(w.requests.windows(2).all(|p| p[0].arrival <= p[1].arrival));
            prop_assert!(
                w.span().as_secs_f64() <= 400.0 * 86_400.0,
                "span {} s",
                w.span().as_secs_f64()
            );
            for r in &w.requests {
                prop_assert!(r.input_tokens <= MAX_TOKENS_PER_REQUEST);
                prop_assert!(r.output_tokens <= MAX_TOKENS_PER_REQUEST);
                prop_assert!(r.input_tokens > 0 || r.output_tokens > 0);
            }
            for (line, msg) in &report.first_errors {
                prop_assert!(*line >= 1 && *line <= lines, "line {line}: {msg}");
            }
            prop_assert!(!(opts.strict && report.malformed_rows > 0));
        }
    }
    Ok(())
}

#[test]
fn fuzz_trace_readers_with_random_bytes() {
    TestRunner::new(config(1000))
        .run(
            &(prop::collection::vec(any::<u8>(), 0..600), options()),
            |(bytes, opts)| check_trace(&bytes, &opts),
        )
        .unwrap();
}

#[test]
fn fuzz_trace_readers_with_mutated_real_files() {
    let files = real_traces();
    TestRunner::new(config(1500))
        .run(
            &(
                0..files.len(),
                prop::collection::vec(edit(), 1..6),
                options(),
            ),
            |(i, edits, opts)| check_trace(&apply(files[i].clone(), &edits), &opts),
        )
        .unwrap();
}

/// Header and rows of each format with every field drawn from plausible and extreme values.
fn extreme_rows() -> impl Strategy<Value = Vec<u8>> {
    let value = prop_oneof![
        (0..EXTREMES.len()).prop_map(|k| EXTREMES[k].to_string()),
        (0u64..3_000_000_000_000).prop_map(|v| v.to_string()),
        (0u32..100_000).prop_map(|v| v.to_string()),
        (0.0f64..1e6).prop_map(|v| v.to_string()),
    ];
    (
        0..4usize,
        prop::collection::vec((value.clone(), value.clone(), value), 1..12),
    )
        .prop_map(|(kind, rows)| {
            let mut s = match kind {
                0 => "TIMESTAMP,ContextTokens,GeneratedTokens\n",
                1 => "arrived_at,num_prefill_tokens,num_decode_tokens\n",
                2 => "num_prefill_tokens,num_decode_tokens\n",
                _ => "",
            }
            .to_string();
            for (t, i, o) in rows {
                s += &match kind {
                    0 | 1 => format!("{t},{i},{o}\n"),
                    2 => format!("{i},{o}\n"),
                    _ => format!(
                        "{{\"timestamp\": {t}, \"input_length\": {i}, \"output_length\": {o}}}\n"
                    ),
                };
            }
            s.into_bytes()
        })
}

#[test]
fn fuzz_trace_readers_with_extreme_values() {
    TestRunner::new(config(800))
        .run(&(extreme_rows(), options()), |(bytes, opts)| {
            check_trace(&bytes, &opts)
        })
        .unwrap();
}

/// Mutated text must parse or fail with a message naming the file; it must never panic.
fn check_named<T, E: std::fmt::Display>(
    result: Result<T, E>,
    name: &str,
) -> Result<(), TestCaseError> {
    if let Err(e) = result {
        let msg = e.to_string();
        prop_assert!(msg.contains(name), "error does not name {name}: {msg}");
    }
    Ok(())
}

#[test]
fn fuzz_scenario_parser() {
    let text = infercost_plan::scenario::DEFAULT_SCENARIO
        .as_bytes()
        .to_vec();
    TestRunner::new(config(300))
        .run(&prop::collection::vec(edit(), 1..5), |edits| {
            let mutated = String::from_utf8_lossy(&apply(text.clone(), &edits)).into_owned();
            check_named(Scenario::parse(&mutated, "fuzz.toml"), "fuzz.toml")
        })
        .unwrap();
}

#[test]
fn fuzz_price_catalog_parser() {
    let text = std::fs::read(root().join("data/prices.toml")).unwrap();
    TestRunner::new(config(300))
        .run(&prop::collection::vec(edit(), 1..5), |edits| {
            let mutated = String::from_utf8_lossy(&apply(text.clone(), &edits)).into_owned();
            let parsed = Catalog::parse(&mutated, "fuzz-prices.toml");
            if let Ok(c) = &parsed {
                // A parsed catalog is usable: references check without panicking, filters run.
                let _ = c.check_references("fuzz-prices.toml");
                let _ = c.filter(Some("h100"), None, None);
            }
            check_named(parsed, "fuzz-prices.toml")
        })
        .unwrap();
}

#[test]
fn fuzz_skypilot_importer_and_diurnal_profiles() {
    let aws = std::fs::read(root().join("tests/data/skypilot_2026-11-27/aws_vms.csv")).unwrap();
    let gcp = std::fs::read(root().join("tests/data/anycloud_2026-05-20/gcp_vms.csv")).unwrap();
    let diurnal = std::fs::read(root().join("data/diurnal_servegen.csv")).unwrap();
    TestRunner::new(config(400))
        .run(
            &(0..3usize, prop::collection::vec(edit(), 1..5)),
            |(which, edits)| {
                let base = [&aws, &gcp, &diurnal][which].clone();
                let text = String::from_utf8_lossy(&apply(base, &edits)).into_owned();
                if which == 2 {
                    check_named(
                        parse_diurnal(&text, Path::new("fuzz-day.csv")),
                        "fuzz-day.csv",
                    )
                } else {
                    let r =
                        infercost_io::skypilot::import(&text, "aws", "fuzz-vms.csv", "2026-01-01");
                    if let Ok(imp) = &r {
                        prop_assert!(imp
                            .catalog
                            .plans
                            .iter()
                            .all(|p| p.usd_per_gpu_hour.is_finite()));
                    }
                    check_named(r, "fuzz-vms.csv")
                }
            },
        )
        .unwrap();
}
