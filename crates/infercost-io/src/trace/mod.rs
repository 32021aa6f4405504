//! Trace readers: Azure, Mooncake-style JSONL, Vidur, length-only, BurstGPT, LiteLLM spend logs, OpenTelemetry
//! GenAI spans, generic CSV/JSONL, plain or gzip, and Parquet (with the `parquet` feature), with `--where` row
//! filters.
//!
//! The readers stream because a planner reads tens of millions of rows: the CSV path reuses one record's
//! buffers for every row, and JSONL rows deserialise into borrowed structs.
//!
//! This module holds the options, the entry points and the dispatch on the format; `detect` tells the format
//! from the first line, `csv`, `jsonl`, `logs` and `columnar` read the formats, `checks` validates rows and
//! arrival spans, `time` parses and shows times, and `lines` is the text source they share.

mod checks;
#[cfg(feature = "parquet")]
mod columnar;
mod csv;
mod detect;
mod jsonl;
mod lines;
mod logs;
mod time;

pub use checks::{DOMINANT_GAP_DAYS, MAX_SPAN_DAYS};
pub use time::parse_datetime_ns;

use self::csv::{read_csv, unknown_where};
use crate::IoError;
use checks::{bounded, not_empty, parse_count, place_arrivals, Extremes, Times, Timing};
use detect::{detect, expected_row, is_json};
use infercost_core::Workload;
use jsonl::read_jsonl;
use lines::{LineReader, Sink};
use std::path::{Path, PathBuf};

/// A trace format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Detect from the first line.
    Auto,
    /// Azure LLM inference trace: `TIMESTAMP,ContextTokens,GeneratedTokens`.
    Azure,
    /// Mooncake / BLIS / GuideLLM / vLLM-bench JSONL: `timestamp` (ms), `input_length`, `output_length`.
    Mooncake,
    /// Vidur CSV: `arrived_at` (s), `num_prefill_tokens`, `num_decode_tokens`.
    Vidur,
    /// Lengths only: `num_prefill_tokens,num_decode_tokens`, no timestamps.
    Lengths,
    /// Any CSV with a column mapping.
    Csv,
    /// Any JSONL with a key mapping.
    Jsonl,
    /// LiteLLM proxy spend logs (`LiteLLM_SpendLogs` exported as CSV, a JSON array or JSONL): `startTime`,
    /// `prompt_tokens`, `completion_tokens`, optionally `completionStartTime` and `endTime`.
    LiteLlm,
    /// OpenTelemetry GenAI spans as OTLP/JSON, one `ExportTraceServiceRequest` per line.
    Otlp,
    /// BurstGPT: `Timestamp` (s from the trace start), `Request tokens`, `Response tokens`.
    BurstGpt,
    /// Parquet, with the columns of any CSV format (read only when built with the `parquet` feature).
    Parquet,
}

/// The `--format` names, in the order help text lists them.
pub const FORMAT_NAMES: &str =
    "auto, azure, mooncake, vidur, lengths, csv, jsonl, litellm, otlp, burstgpt or parquet";

impl Format {
    /// Parses a `--format` value.
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "auto" => Format::Auto,
            "azure" => Format::Azure,
            "mooncake" => Format::Mooncake,
            "vidur" => Format::Vidur,
            "lengths" => Format::Lengths,
            "csv" => Format::Csv,
            "jsonl" => Format::Jsonl,
            "litellm" => Format::LiteLlm,
            "otlp" => Format::Otlp,
            "burstgpt" => Format::BurstGpt,
            "parquet" => Format::Parquet,
            _ => return None,
        })
    }

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Azure => "azure",
            Format::Mooncake => "mooncake",
            Format::Vidur => "vidur",
            Format::Lengths => "lengths",
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::LiteLlm => "litellm",
            Format::Otlp => "otlp",
            Format::BurstGpt => "burstgpt",
            Format::Parquet => "parquet",
        }
    }
}

/// The unit of a generic time column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Seconds (may be fractional).
    S,
    /// Milliseconds.
    Ms,
    /// Microseconds.
    Us,
    /// An RFC 3339 / ISO 8601 date-time such as `2023-11-16 18:15:46.68Z`.
    Rfc3339,
}

impl TimeUnit {
    /// Parses a `--time-unit` value.
    pub fn parse(s: &str) -> Option<TimeUnit> {
        Some(match s {
            "s" => TimeUnit::S,
            "ms" => TimeUnit::Ms,
            "us" => TimeUnit::Us,
            "rfc3339" => TimeUnit::Rfc3339,
            _ => return None,
        })
    }
}

/// Column (or key) names for the generic formats; `None` uses the format's default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnMap {
    /// Arrival time.
    pub time: Option<String>,
    /// Prompt tokens.
    pub input: Option<String>,
    /// Output tokens.
    pub output: Option<String>,
    /// User region.
    pub region: Option<String>,
    /// Session id.
    pub session: Option<String>,
}

/// A `--where COLUMN=VALUE` filter: only rows whose column (CSV header, JSON key or OTLP attribute key) holds
/// exactly this value are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Where {
    /// The column, key or attribute.
    pub column: String,
    /// The value it must hold, compared as text.
    pub value: String,
}

impl Where {
    /// Parses `COLUMN=VALUE` (the first `=` splits; the value may be empty, the column may not).
    pub fn parse(s: &str) -> Result<Where, String> {
        match s.split_once('=') {
            Some((c, v)) if !c.trim().is_empty() => Ok(Where {
                column: c.trim().to_string(),
                value: v.to_string(),
            }),
            _ => Err(format!(
                "--where {s:?} is not COLUMN=VALUE (such as model=gpt-4)"
            )),
        }
    }
}

/// How to read a trace.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// The format, or `Auto`.
    pub format: Format,
    /// Stop at the first malformed row.
    pub strict: bool,
    /// Column mapping for generic files.
    pub columns: ColumnMap,
    /// Time unit for generic files (default seconds for CSV, milliseconds for JSONL).
    pub time_unit: Option<TimeUnit>,
    /// Rows are read only when every filter matches.
    pub filters: Vec<Where>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: Format::Auto,
            strict: false,
            columns: ColumnMap::default(),
            time_unit: None,
            filters: Vec::new(),
        }
    }
}

/// Latencies a log recorded itself, one value per request that carries it, in milliseconds, file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObservedTiming {
    /// Time to first token (LiteLLM `completionStartTime` − `startTime`).
    pub ttft_ms: Vec<f64>,
    /// End to end (LiteLLM `endTime` − `startTime`, an OTLP span's end − start).
    pub e2e_ms: Vec<f64>,
}

/// What reading found besides the requests.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadReport {
    /// The format actually used.
    pub format: Format,
    /// Rows skipped as malformed.
    pub malformed_rows: u64,
    /// The first few malformed rows: (line, reason).
    pub first_errors: Vec<(u64, String)>,
    /// Whether arrivals were out of order and got sorted.
    pub sorted: bool,
    /// Things worth saying about a trace that was read in full (every arrival at one instant, say).
    pub warnings: Vec<String>,
    /// Rows left out because a `--where` filter did not match.
    pub filtered_out: u64,
    /// The log's own latencies, when it has them.
    pub observed: Option<ObservedTiming>,
}

/// The bytes every Parquet file starts (and ends) with.
const PARQUET_MAGIC: &[u8] = b"PAR1";

/// Reads a trace file (gzip when its name ends in `.gz`, Parquet when it ends in `.parquet` or starts with
/// `PAR1`), streaming it line by line or row by row: memory holds the requests, not the file.
pub fn read_trace(path: &Path, opts: &ReadOptions) -> Result<(Workload, ReadReport), IoError> {
    let read_err = |source| IoError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read_err)?;
    let gz = path.extension().is_some_and(|e| e == "gz");
    if opts.format == Format::Parquet
        || (opts.format == Format::Auto && path.extension().is_some_and(|e| e == "parquet"))
    {
        return read_parquet_file(file, path, opts);
    }
    // The first four bytes tell Parquet from text. They are put back in front of the rest rather than by
    // seeking, so a pipe (`/dev/stdin`, `<(zcat ...)`) still reads as text.
    let mut magic = Vec::with_capacity(4);
    if !gz && opts.format == Format::Auto {
        use std::io::{Read, Seek};
        (&mut file)
            .take(4)
            .read_to_end(&mut magic)
            .map_err(read_err)?;
        if magic == PARQUET_MAGIC {
            file.rewind().map_err(read_err)?;
            return read_parquet_file(file, path, opts);
        }
    }
    if gz {
        let gz =
            flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(1 << 20, file));
        read_lines(
            LineReader::new(std::io::BufReader::with_capacity(1 << 20, gz), path),
            path,
            opts,
        )
    } else {
        use std::io::Read;
        let text = std::io::Cursor::new(magic).chain(file);
        read_lines(
            LineReader::new(std::io::BufReader::with_capacity(1 << 20, text), path),
            path,
            opts,
        )
    }
}

#[cfg(feature = "parquet")]
fn read_parquet_file(
    file: std::fs::File,
    path: &Path,
    opts: &ReadOptions,
) -> Result<(Workload, ReadReport), IoError> {
    columnar::read_parquet(file, path, opts)
}

#[cfg(not(feature = "parquet"))]
fn read_parquet_file(
    _file: std::fs::File,
    path: &Path,
    _opts: &ReadOptions,
) -> Result<(Workload, ReadReport), IoError> {
    Err(IoError::NoParquet {
        path: path.to_path_buf(),
    })
}

/// Parses trace bytes; `path` names the source in errors.
pub fn parse_trace(
    bytes: &[u8],
    path: &Path,
    opts: &ReadOptions,
) -> Result<(Workload, ReadReport), IoError> {
    if opts.format == Format::Parquet
        || (opts.format == Format::Auto && bytes.starts_with(PARQUET_MAGIC))
    {
        #[cfg(feature = "parquet")]
        return columnar::read_parquet(bytes::Bytes::copy_from_slice(bytes), path, opts);
        #[cfg(not(feature = "parquet"))]
        return Err(IoError::NoParquet {
            path: path.to_path_buf(),
        });
    }
    read_lines(LineReader::new(bytes, path), path, opts)
}

fn read_lines<R: std::io::BufRead>(
    mut lines: LineReader<'_, R>,
    path: &Path,
    opts: &ReadOptions,
) -> Result<(Workload, ReadReport), IoError> {
    let first = lines.peek_first()?.unwrap_or_default();
    let format = match opts.format {
        Format::Auto => detect(&first, path)?,
        f => f,
    };
    let mut sink = Sink {
        path,
        strict: opts.strict,
        malformed: 0,
        errors: Vec::new(),
    };
    let mut w = Workload::new();
    let mut warnings = Vec::new();
    let mut filtered_out = 0;
    let times = match format {
        Format::Mooncake | Format::Jsonl => read_jsonl(
            &mut lines,
            format,
            opts,
            &mut w,
            &mut sink,
            &mut filtered_out,
        )?,
        Format::Otlp => logs::read_otlp(
            &mut lines,
            opts,
            &mut w,
            &mut sink,
            &mut filtered_out,
            &mut warnings,
        )?,
        Format::LiteLlm if is_json(&first) => logs::read_litellm_json(
            &mut lines,
            &first,
            opts,
            &mut w,
            &mut sink,
            &mut filtered_out,
        )?,
        _ => read_csv(
            &mut lines,
            format,
            opts,
            &mut w,
            &mut sink,
            &mut filtered_out,
        )?,
    };
    let mut observed = None;
    if let Some(mut times) = times {
        place_arrivals(&mut w, &mut times, &mut sink, &mut warnings)?;
        observed = times.observed();
    }
    if w.is_empty() {
        return Err(IoError::Empty {
            path: path.to_path_buf(),
            malformed: sink.malformed,
            first: sink.errors.first().map_or(String::new(), |(line, why)| {
                format!("; the first, line {line}: {why}")
            }),
            expected: expected_row(format).to_string(),
        });
    }
    let sorted = if w.has_timestamps {
        let s = w.sort_by_arrival();
        rebase(&mut w);
        s
    } else {
        false
    };
    Ok((
        w,
        ReadReport {
            format,
            malformed_rows: sink.malformed,
            first_errors: sink.errors,
            sorted,
            warnings,
            filtered_out,
            observed,
        },
    ))
}

/// Moves the origin to the first arrival, keeping wall-clock time in `epoch_origin_s`.
fn rebase(w: &mut Workload) {
    let Some(first) = w.requests.first().map(|r| r.arrival) else {
        return;
    };
    if let Some(o) = w.epoch_origin_s.as_mut() {
        *o += first.as_secs_f64();
    }
    for r in &mut w.requests {
        r.arrival = r.arrival.since(first);
    }
}

/// A path for error messages when the input is not a file.
pub fn memory_path(name: &str) -> PathBuf {
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str, opts: &ReadOptions) -> Result<(Workload, ReadReport), IoError> {
        parse_trace(s.as_bytes(), Path::new("t.csv"), opts)
    }

    #[test]
    fn the_format_names_are_the_ones_scenarios_are_checked_against() {
        for name in infercost_core::TRACE_FORMATS {
            let f = Format::parse(name).unwrap_or_else(|| panic!("{name} is not parsed"));
            assert_eq!(f.name(), name);
            assert!(FORMAT_NAMES.contains(name), "{name}");
        }
        // "a, b, … or z": commas between all but the last two.
        assert_eq!(
            FORMAT_NAMES.matches(", ").count() + 2,
            infercost_core::TRACE_FORMATS.len()
        );
        assert!(Format::parse("nope").is_none());
    }

    #[test]
    fn azure_rows_keep_wall_clock_and_fraction() {
        let (w, r) = parse(
            "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.9951690,396,109\n",
            &ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(r.format, Format::Azure);
        assert_eq!(w.requests[1].arrival.0, 4_314_579_000);
        assert_eq!(w.requests[0].input_tokens, 374);
        let origin = w.epoch_origin_s.unwrap();
        assert!((origin - 1_700_158_546.680_59).abs() < 1e-3, "{origin}");
    }

    #[test]
    fn malformed_rows_are_counted_with_line_numbers() {
        let text = "arrived_at,num_prefill_tokens,num_decode_tokens\n0.5,10,5\nx,1,1\n1.0,-3,1\n2.0,4\n3.0,7,inf\n";
        let (w, r) = parse(text, &ReadOptions::default()).unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!(r.malformed_rows, 4);
        assert_eq!(r.first_errors[0].0, 3);
        assert!(
            r.first_errors[1].1.contains("negative"),
            "{:?}",
            r.first_errors
        );
        let strict = ReadOptions {
            strict: true,
            ..ReadOptions::default()
        };
        let e = parse(text, &strict).unwrap_err().to_string();
        assert!(e.starts_with("t.csv:3:"), "{e}");
    }

    #[test]
    fn unsorted_jsonl_is_sorted_and_keeps_prefixes() {
        let text = "{\"timestamp\": 30, \"input_length\": 5, \"output_length\": 1, \"hash_ids\": [1,2]}\n{\"timestamp\": 10, \"input_length\": 6, \"output_length\": 2}\n";
        let (w, r) = parse_trace(
            text.as_bytes(),
            Path::new("t.jsonl"),
            &ReadOptions::default(),
        )
        .unwrap();
        assert!(r.sorted);
        assert_eq!(w.requests[0].input_tokens, 6);
        assert_eq!(w.requests[1].arrival.0, 20_000_000);
        assert_eq!(w.prefix_of(&w.requests[1]), &[1, 2]);
    }

    #[test]
    fn generic_csv_maps_columns_units_and_quotes() {
        let text = "when,p,c,user_region\n\"1000\",10,3,\"eu-west\"\n2500,20,4,us\n";
        let opts = ReadOptions {
            format: Format::Csv,
            columns: ColumnMap {
                time: Some("when".into()),
                input: Some("p".into()),
                output: Some("c".into()),
                region: Some("user_region".into()),
                session: None,
            },
            time_unit: Some(TimeUnit::Ms),
            strict: true,
            filters: Vec::new(),
        };
        let (w, _) = parse(text, &opts).unwrap();
        assert_eq!(w.requests[1].arrival.0, 1_500_000_000);
        assert_eq!(w.regions, vec!["eu-west", "us"]);
    }

    #[test]
    fn a_quoted_line_break_stays_in_its_field_and_errors_name_the_starting_line() {
        // Blank and leading lines, a region and a session id with line breaks inside quotes, then a bad row
        // after them: line numbers count the file's lines, and a record is named by the line it starts on.
        let text =
            "\n\nlatency_note,arrived_at,num_prefill_tokens,num_decode_tokens,region,session_id\n\
                    \"two\nlines\",0.5,10,5,\"eu,\nwest\",\"a\"\"b\"\n\n\
                    \"x\ny\",1.0,20,4,us,c\r\n\
                    \"bad\nrow\",2.0,oops,1,us,c\n";
        let (w, r) = parse(text, &ReadOptions::default()).unwrap();
        assert_eq!(r.format, Format::Vidur);
        assert_eq!(w.len(), 2);
        assert_eq!(w.regions, vec!["eu,\nwest", "us"]);
        assert_eq!(w.requests[0].session, 0);
        assert_eq!(w.requests[1].session, 1);
        assert_eq!(w.requests[1].arrival.0, 500_000_000);
        assert_eq!(r.malformed_rows, 1);
        assert_eq!(r.first_errors[0].0, 10, "{:?}", r.first_errors);
        let strict = ReadOptions {
            strict: true,
            ..ReadOptions::default()
        };
        let e = parse(text, &strict).unwrap_err().to_string();
        assert!(e.starts_with("t.csv:10:"), "{e}");
    }

    #[test]
    fn unknown_header_says_what_is_expected() {
        let e = parse("a,b,c\n1,2,3\n", &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cannot tell the trace format") && e.contains("TIMESTAMP"),
            "{e}"
        );
        let e = parse(
            "num_prefill_tokens,num_decode_tokens\nx,y\n",
            &ReadOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("no valid request rows (1 malformed; the first, line "),
            "{e}"
        );
    }

    #[test]
    fn datetimes_parse_with_offsets() {
        assert_eq!(
            parse_datetime_ns("1970-01-01T00:00:01Z"),
            Some(1_000_000_000)
        );
        assert_eq!(parse_datetime_ns("1970-01-01 01:00:00+01:00"), Some(0));
        assert_eq!(parse_datetime_ns("2023-13-01 00:00:00"), None);
        assert_eq!(parse_datetime_ns("garbage"), None);
    }
    fn jsonl(text: &str, opts: &ReadOptions) -> Result<(Workload, ReadReport), IoError> {
        parse_trace(text.as_bytes(), Path::new("t.jsonl"), opts)
    }

    fn epoch_ms_rows(n: u64) -> String {
        (0..n)
            .map(|i| {
                format!(
                    "{{\"timestamp\": {}, \"input_length\": 10, \"output_length\": 2}}\n",
                    1_700_000_000_000u64 + i * 1000
                )
            })
            .collect()
    }

    #[test]
    fn a_far_future_row_is_skipped_and_named() {
        let text = epoch_ms_rows(5)
            + "{\"timestamp\": 1e15, \"input_length\": 10, \"output_length\": 2}\n";
        let (w, r) = jsonl(&text, &ReadOptions::default()).unwrap();
        assert_eq!(w.len(), 5);
        assert_eq!(w.span().as_secs_f64(), 4.0);
        assert_eq!(r.malformed_rows, 1);
        assert_eq!(r.first_errors[0].0, 6);
        assert!(
            r.first_errors[0].1.contains("time 1e15 lies 1.16e7 days")
                && r.first_errors[0].1.contains("--time-unit"),
            "{:?}",
            r.first_errors
        );
        let strict = ReadOptions {
            strict: true,
            ..ReadOptions::default()
        };
        let e = jsonl(&text, &strict).unwrap_err().to_string();
        assert!(
            e.starts_with("t.jsonl:6:") && e.contains("--time-unit"),
            "{e}"
        );
    }

    #[test]
    fn a_zero_among_epoch_times_is_skipped_and_named() {
        let text = "{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 2}\n".to_string()
            + &epoch_ms_rows(4);
        let (w, r) = jsonl(&text, &ReadOptions::default()).unwrap();
        assert_eq!(w.len(), 4);
        assert_eq!(r.first_errors[0].0, 1);
        assert!(
            r.first_errors[0].1.contains("time 0 "),
            "{:?}",
            r.first_errors
        );
    }

    #[test]
    fn a_span_too_long_for_the_unit_is_an_error_that_suggests_the_unit() {
        // A day of epoch milliseconds read as seconds spans a thousand days.
        let text = "timestamp,input_length,output_length\n".to_string()
            + &(0..50)
                .map(|i| format!("{},10,2\n", 1_700_000_000_000u64 + i * 1_800_000))
                .collect::<String>();
        let opts = ReadOptions {
            format: Format::Csv,
            ..ReadOptions::default()
        };
        let e = parse(&text, &opts).unwrap_err().to_string();
        assert!(
            e.starts_with("t.csv: arrivals span")
                && e.contains("line 2")
                && e.contains("--time-unit"),
            "{e}"
        );
        let ms = ReadOptions {
            time_unit: Some(TimeUnit::Ms),
            ..opts
        };
        let (w, _) = parse(&text, &ms).unwrap();
        assert!((w.span().as_secs_f64() - 49.0 * 1800.0).abs() < 1e-6);
    }

    #[test]
    fn a_gap_in_the_middle_names_both_sides() {
        let day = 86_400.0;
        let mut text = "arrived_at,num_prefill_tokens,num_decode_tokens\n".to_string();
        for i in 0..3 {
            text += &format!("{},5,5\n", i as f64);
        }
        for i in 0..3 {
            text += &format!("{},5,5\n", 90.0 * day + i as f64);
        }
        let e = parse(&text, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.csv:5:") && e.contains("line 4"), "{e}");
    }

    #[test]
    fn a_month_of_real_traffic_still_loads() {
        let mut text = "arrived_at,num_prefill_tokens,num_decode_tokens\n".to_string();
        for i in 0..60 {
            text += &format!("{},5,5\n", i as f64 * 43_200.0);
        }
        let (w, r) = parse(&text, &ReadOptions::default()).unwrap();
        assert_eq!((w.len(), r.malformed_rows), (60, 0));
    }

    #[test]
    fn an_offline_batch_at_one_instant_loads_with_a_warning() {
        let text: String = (0..20)
            .map(|_| "{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 2}\n")
            .collect();
        let (w, r) = jsonl(&text, &ReadOptions::default()).unwrap();
        assert_eq!(w.len(), 20);
        assert!(r.warnings[0].contains("same instant"), "{:?}", r.warnings);
    }

    #[test]
    fn absurd_and_empty_token_counts_are_malformed_rows() {
        let text = "arrived_at,num_prefill_tokens,num_decode_tokens\n0,4000000000,5\n1,0,0\n2,10,4e9\n3,7,1\n";
        let (w, r) = parse(text, &ReadOptions::default()).unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!(r.malformed_rows, 3);
        let lines: Vec<u64> = r.first_errors.iter().map(|e| e.0).collect();
        assert_eq!(lines, vec![2, 3, 4]);
        assert!(
            r.first_errors[0].1.contains("above 10,000,000"),
            "{:?}",
            r.first_errors
        );
        assert!(
            r.first_errors[1].1.contains("both 0"),
            "{:?}",
            r.first_errors
        );
        let e = jsonl(
            "{\"timestamp\": 0, \"input_length\": 4000000000, \"output_length\": 2}\n",
            &ReadOptions {
                strict: true,
                ..ReadOptions::default()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("t.jsonl:1:") && e.contains("input_length"),
            "{e}"
        );
    }

    fn fixture(
        name: &str,
        text: &str,
        opts: &ReadOptions,
    ) -> Result<(Workload, ReadReport), IoError> {
        parse_trace(text.as_bytes(), Path::new(name), opts)
    }

    fn filters(list: &[&str]) -> ReadOptions {
        ReadOptions {
            filters: list.iter().map(|f| Where::parse(f).unwrap()).collect(),
            ..ReadOptions::default()
        }
    }

    const LITELLM_CSV: &str = include_str!("../../../../tests/data/litellm_spend_logs.csv");
    const LITELLM_JSON: &str = include_str!("../../../../tests/data/litellm_spend_logs.json");
    const OTLP: &str = include_str!("../../../../tests/data/otlp_genai_spans.jsonl");
    const BURSTGPT: &str = include_str!("../../../../tests/data/burstgpt_sample.csv");

    #[test]
    fn litellm_csv_is_detected_with_its_timing() {
        let (w, r) = fixture("spend.csv", LITELLM_CSV, &ReadOptions::default()).unwrap();
        assert_eq!(r.format, Format::LiteLlm);
        assert_eq!(w.len(), 10);
        assert_eq!(
            (w.requests[0].input_tokens, w.requests[0].output_tokens),
            (480, 132)
        );
        assert_eq!(w.requests[1].arrival.0, 930_000_000);
        let o = r.observed.unwrap();
        assert_eq!(o.ttft_ms.len(), 10);
        assert!((o.ttft_ms[0] - 87.0).abs() < 1e-9, "{:?}", o.ttft_ms);
        assert!((o.e2e_ms[0] - 1189.0).abs() < 1e-9, "{:?}", o.e2e_ms);
        assert!(w.epoch_origin_s.is_some());
    }

    #[test]
    fn litellm_json_array_and_jsonl_read_alike() {
        let (w, r) = fixture("spend.json", LITELLM_JSON, &ReadOptions::default()).unwrap();
        assert_eq!(r.format, Format::LiteLlm);
        assert_eq!(w.len(), 3);
        let o = r.observed.unwrap();
        // The third record has no completionStartTime: an end-to-end time but no TTFT.
        assert_eq!((o.ttft_ms.len(), o.e2e_ms.len()), (2, 3));
        let jsonl: String = LITELLM_JSON
            .lines()
            .map(|l| l.trim().trim_end_matches(','))
            .filter(|l| l.starts_with('{'))
            .map(|l| format!("{l}\n"))
            .collect();
        let (w2, r2) = fixture("spend.jsonl", &jsonl, &ReadOptions::default()).unwrap();
        assert_eq!(r2.format, Format::LiteLlm);
        assert_eq!(w2.requests, w.requests);
        assert_eq!(r2.observed, Some(o));
        // A response that was not streamed has its first-token time at its end: no TTFT to observe.
        let unstreamed = "startTime,prompt_tokens,completion_tokens,completionStartTime,endTime\n\
            2024-06-03T09:00:00Z,10,5,2024-06-03T09:00:01Z,2024-06-03T09:00:01Z\n\
            2024-06-03T09:00:02Z,10,5,2024-06-03T09:00:01Z,2024-06-03T09:00:03Z\n";
        let o = fixture("u.csv", unstreamed, &ReadOptions::default())
            .unwrap()
            .1
            .observed
            .unwrap();
        assert_eq!((o.ttft_ms.len(), o.e2e_ms), (0, vec![1000.0, 1000.0]));
    }

    #[test]
    fn otlp_spans_read_genai_usage_and_count_the_rest() {
        let (w, r) = fixture("spans.jsonl", OTLP, &ReadOptions::default()).unwrap();
        assert_eq!(r.format, Format::Otlp);
        assert_eq!(w.len(), 3);
        assert_eq!(r.malformed_rows, 0);
        assert_eq!(
            (w.requests[2].input_tokens, w.requests[2].output_tokens),
            (900, 200)
        );
        assert_eq!(w.requests[2].arrival.0, 2_280_000_000);
        assert!(
            r.warnings
                .iter()
                .any(|m| m.contains("skipped 1 spans without GenAI token usage")
                    && m.contains("line 1")),
            "{:?}",
            r.warnings
        );
        let o = r.observed.unwrap();
        assert!(o.ttft_ms.is_empty());
        assert!((o.e2e_ms[0] - 3400.0).abs() < 1e-9, "{:?}", o.e2e_ms);
        let (w, r) = fixture(
            "spans.jsonl",
            OTLP,
            &filters(&["gen_ai.request.model=gpt-4"]),
        )
        .unwrap();
        assert_eq!((w.len(), r.filtered_out), (2, 1));
        // A resource attribute selects too.
        let (w, _) = fixture("spans.jsonl", OTLP, &filters(&["service.name=chat-api"])).unwrap();
        assert_eq!(w.len(), 3);
    }

    #[test]
    fn burstgpt_reads_seconds_and_skips_empty_rows() {
        let (w, r) = fixture("burst.csv", BURSTGPT, &ReadOptions::default()).unwrap();
        assert_eq!(r.format, Format::BurstGpt);
        assert_eq!(w.len(), 6);
        assert_eq!(r.malformed_rows, 1);
        assert_eq!(r.first_errors[0].0, 7);
        assert_eq!(w.requests[1].arrival.0, 40_000_000_000);
        assert!(r.observed.is_none());
        let (w, r) = fixture(
            "burst.csv",
            BURSTGPT,
            &filters(&["Model=GPT-4", "Log Type=Conversation log"]),
        )
        .unwrap();
        assert_eq!((w.len(), r.filtered_out, r.malformed_rows), (2, 5, 0));
    }

    #[test]
    fn where_keeps_rows_that_match_every_filter_in_every_format() {
        let (w, _) = fixture(
            "spend.csv",
            LITELLM_CSV,
            &filters(&["model=gpt-4", "user=alice"]),
        )
        .unwrap();
        assert_eq!(w.len(), 4);
        let (w, _) = fixture("spend.json", LITELLM_JSON, &filters(&["user=bob"])).unwrap();
        assert_eq!(w.len(), 1);
        let jsonl = "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 1, \"tenant\": 7}\n{\"timestamp\": 10, \"input_length\": 6, \"output_length\": 2, \"tenant\": 8}\n";
        let (w, _) = fixture("m.jsonl", jsonl, &filters(&["tenant=8"])).unwrap();
        assert_eq!((w.len(), w.requests[0].input_tokens), (1, 6));
        assert_eq!(
            Where::parse("model").unwrap_err(),
            "--where \"model\" is not COLUMN=VALUE (such as model=gpt-4)"
        );
        assert_eq!(Where::parse("Log Type=API log").unwrap().column, "Log Type");
    }

    #[test]
    fn a_where_column_the_file_lacks_is_named_with_the_columns_it_has() {
        for (name, text, want) in [
            ("spend.csv", LITELLM_CSV, "\"completion_tokens\""),
            ("spend.json", LITELLM_JSON, "\"user\""),
            ("spans.jsonl", OTLP, "\"gen_ai.request.model\""),
            ("burst.csv", BURSTGPT, "\"Log Type\""),
        ] {
            let e = fixture(name, text, &filters(&["modle=gpt-4"]))
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with(&format!(
                    "{name}: --where column \"modle\" is not in the file (columns: "
                )),
                "{e}"
            );
            assert!(e.contains(want), "{e}");
        }
    }

    #[cfg(not(feature = "parquet"))]
    #[test]
    fn parquet_without_the_feature_says_how_to_rebuild() {
        let want = "x.parquet is a Parquet file, but this infercost was built without Parquet support; rebuild with `--features parquet`";
        let e = fixture("x.parquet", "PAR1\0\0PAR1", &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(e, want);
        let forced = ReadOptions {
            format: Format::Parquet,
            ..ReadOptions::default()
        };
        let e = fixture("x.parquet", "a,b\n", &forced)
            .unwrap_err()
            .to_string();
        assert_eq!(e, want);
        let e = read_trace(
            Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/data/mooncake_20.parquet"
            )),
            &ReadOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.ends_with(&want[9..]), "{e}");
    }

    #[test]
    fn forced_formats_apply_and_other_logs_have_no_timing() {
        let opts = ReadOptions {
            format: Format::parse("burstgpt").unwrap(),
            ..ReadOptions::default()
        };
        assert_eq!(
            fixture("b.csv", BURSTGPT, &opts).unwrap().1.format.name(),
            "burstgpt"
        );
        for n in ["litellm", "otlp", "burstgpt"] {
            assert_eq!(Format::parse(n).unwrap().name(), n);
        }
        let e = fixture(
            "b.csv",
            BURSTGPT,
            &ReadOptions {
                format: Format::LiteLlm,
                ..ReadOptions::default()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("no column \"startTime\""), "{e}");
    }
}
