//! Trace readers: Azure, Mooncake-style JSONL, Vidur, length-only, BurstGPT, LiteLLM spend logs, OpenTelemetry
//! GenAI spans, generic CSV/JSONL, plain or gzip, and Parquet (with the `parquet` feature), with `--where` row
//! filters.
//!
//! The readers are hand-written over bytes because a planner reads tens of millions of rows: the CSV path
//! parses numbers without allocating, and JSONL rows deserialise into borrowed structs.

use crate::IoError;
use infercost_core::{Request, SimTime, Workload, MAX_TOKENS_PER_REQUEST, NO_SESSION};
use serde::Deserialize;
use std::collections::HashMap;
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

const KEPT_ERRORS: usize = 5;

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

/// Lines of a trace, numbered from 1, with the first non-blank line available before reading starts.
struct LineReader<'p, R> {
    inner: R,
    path: &'p Path,
    buf: Vec<u8>,
    line_no: u64,
    pending: Option<(u64, Vec<u8>)>,
}

impl<'p, R: std::io::BufRead> LineReader<'p, R> {
    fn new(inner: R, path: &'p Path) -> Self {
        LineReader {
            inner,
            path,
            buf: Vec::with_capacity(256),
            line_no: 0,
            pending: None,
        }
    }

    /// The next line without its newline, or None at the end.
    fn next_line(&mut self) -> Result<Option<(u64, &[u8])>, IoError> {
        if let Some((n, l)) = self.pending.take() {
            self.buf = l;
            return Ok(Some((n, &self.buf)));
        }
        self.buf.clear();
        let read = self
            .inner
            .read_until(b'\n', &mut self.buf)
            .map_err(|source| IoError::Read {
                path: self.path.to_path_buf(),
                source,
            })?;
        if read == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
        }
        if self.line_no == 1 && self.buf.starts_with(b"\xEF\xBB\xBF") {
            self.buf.drain(..3);
        }
        Ok(Some((self.line_no, &self.buf)))
    }

    /// The first non-blank line, which `next_line` will return again.
    fn peek_first(&mut self) -> Result<Option<String>, IoError> {
        loop {
            match self.next_line()? {
                None => return Ok(None),
                Some((_, l)) if l.iter().all(u8::is_ascii_whitespace) => continue,
                Some((n, l)) => {
                    let text = String::from_utf8_lossy(l).trim().to_string();
                    self.pending = Some((n, l.to_vec()));
                    return Ok(Some(text));
                }
            }
        }
    }
}

struct Sink<'a> {
    path: &'a Path,
    strict: bool,
    malformed: u64,
    errors: Vec<(u64, String)>,
}

impl Sink<'_> {
    fn bad(&mut self, line: u64, message: String) -> Result<(), IoError> {
        if self.strict {
            return Err(IoError::Malformed {
                path: self.path.to_path_buf(),
                line,
                message,
            });
        }
        self.malformed += 1;
        if self.errors.len() < KEPT_ERRORS {
            self.errors.push((line, message));
        }
        Ok(())
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
        Format::LiteLlm if first.starts_with('{') || first.starts_with('[') => {
            logs::read_litellm_json(
                &mut lines,
                &first,
                opts,
                &mut w,
                &mut sink,
                &mut filtered_out,
            )?
        }
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

fn expected_row(f: Format) -> &'static str {
    match f {
        Format::Azure => "rows like `2023-11-16 18:15:46.6805900,374,44` under TIMESTAMP,ContextTokens,GeneratedTokens",
        Format::Mooncake => "lines like {\"timestamp\": 0, \"input_length\": 512, \"output_length\": 64}",
        Format::Vidur => "rows of arrived_at,num_prefill_tokens,num_decode_tokens",
        Format::Lengths => "rows of num_prefill_tokens,num_decode_tokens",
        Format::Csv => "CSV rows with the time, input and output columns given by --col-time/--col-input/--col-output",
        Format::Jsonl | Format::Auto => "JSON objects with the keys given by --col-time/--col-input/--col-output",
        Format::LiteLlm => "LiteLLM_SpendLogs rows with startTime (ISO 8601), prompt_tokens and completion_tokens, as CSV, a JSON array or JSONL",
        Format::Otlp => "OTLP/JSON ExportTraceServiceRequest lines whose spans carry gen_ai.usage.input_tokens and gen_ai.usage.output_tokens",
        Format::BurstGpt => "rows of Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type",
        Format::Parquet => "Parquet rows with timestamp, input_length and output_length columns (or another CSV format's), or the columns given by --col-time/--col-input/--col-output",
    }
}

const KNOWN: &str = "an Azure (TIMESTAMP,ContextTokens,GeneratedTokens), Vidur (arrived_at,num_prefill_tokens,num_decode_tokens), lengths (num_prefill_tokens,num_decode_tokens), BurstGPT (Timestamp,Model,Request tokens,Response tokens,...) or LiteLLM spend log (startTime,prompt_tokens,completion_tokens,...) CSV header, a JSON array of LiteLLM spend logs, or a JSON object per line; use --format csv|jsonl with --col-* for other files";

fn detect(first: &str, path: &Path) -> Result<Format, IoError> {
    if first.starts_with('[') {
        // The only JSON-array format: LiteLLM's spend-log export.
        return Ok(Format::LiteLlm);
    }
    if first.starts_with('{') {
        return Ok(if first.contains("\"resourceSpans\"") {
            Format::Otlp
        } else if first.contains("\"input_length\"") {
            Format::Mooncake
        } else if first.contains("\"startTime\"") && first.contains("\"prompt_tokens\"") {
            Format::LiteLlm
        } else {
            Format::Jsonl
        });
    }
    let cols: Vec<&str> = first
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    let has = |c: &str| cols.contains(&c);
    if has("TIMESTAMP") && has("ContextTokens") && has("GeneratedTokens") {
        Ok(Format::Azure)
    } else if has("arrived_at") && has("num_prefill_tokens") && has("num_decode_tokens") {
        Ok(Format::Vidur)
    } else if has("num_prefill_tokens") && has("num_decode_tokens") {
        Ok(Format::Lengths)
    } else if has("startTime") && has("prompt_tokens") && has("completion_tokens") {
        Ok(Format::LiteLlm)
    } else if has("Timestamp") && has("Request tokens") && has("Response tokens") {
        Ok(Format::BurstGpt)
    } else {
        Err(IoError::UnknownFormat {
            path: path.to_path_buf(),
            first_line: first.chars().take(120).collect(),
            expected: KNOWN,
        })
    }
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

use infercost_core::csv_line::split as split_csv;

/// A token count past [`MAX_TOKENS_PER_REQUEST`] is a unit or export error, not a request.
fn bounded(v: u64, what: &str) -> Result<u32, String> {
    if v > MAX_TOKENS_PER_REQUEST as u64 {
        return Err(format!(
            "{what} {v} is above {} tokens, more than any request can carry",
            infercost_core::fmt::count(MAX_TOKENS_PER_REQUEST as u64)
        ));
    }
    Ok(v as u32)
}

fn parse_count(s: &str, what: &str) -> Result<u32, String> {
    let t = s.trim();
    if let Ok(v) = t.parse::<u64>() {
        return bounded(v, what);
    }
    // Some exporters write counts as floats ("374.0"); accept whole numbers only.
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 => {
            bounded(v.min(u64::MAX as f64) as u64, what)
        }
        Ok(v) if v < 0.0 => Err(format!("{what} {t:?} is negative")),
        Ok(v) if !v.is_finite() => Err(format!("{what} {t:?} is not finite")),
        Ok(_) => Err(format!("{what} {t:?} is not a whole number")),
        Err(_) if t.is_empty() => Err(format!("{what} is empty")),
        Err(_) => Err(format!("{what} {t:?} is not a number")),
    }
}

fn time_ns(s: &str, unit: TimeUnit) -> Result<i128, String> {
    let t = s.trim();
    if unit == TimeUnit::Rfc3339 {
        return parse_datetime_ns(t)
            .ok_or_else(|| format!("time {t:?} is not a date-time like 2023-11-16 18:15:46.68"));
    }
    let v: f64 = t.parse().map_err(|_| {
        if t.is_empty() {
            "time is empty".to_string()
        } else {
            format!("time {t:?} is not a number")
        }
    })?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("time {t:?} is negative or not finite"));
    }
    let scale = match unit {
        TimeUnit::S => 1e9,
        TimeUnit::Ms => 1e6,
        TimeUnit::Us => 1e3,
        TimeUnit::Rfc3339 => 1.0,
    };
    Ok((v * scale).round() as i128)
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `YYYY-MM-DD[ T]HH:MM:SS[.fraction][Z|±HH:MM]` into nanoseconds since the Unix epoch (UTC).
pub fn parse_datetime_ns(s: &str) -> Option<i128> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b' ' || b[10] == b'T')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + (c - b'0') as i64;
        }
        Some(v)
    };
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut i = 19;
    let mut frac_ns = 0i128;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let mut scale = 100_000_000i128;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            frac_ns += (b[i] - b'0') as i128 * scale;
            scale /= 10;
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let mut offset_s = 0i64;
    if i < b.len() {
        match b[i] {
            b'Z' | b'z' if i + 1 == b.len() => {}
            b'+' | b'-' if b.len() == i + 6 && b[i + 3] == b':' => {
                let sign = if b[i] == b'-' { -1 } else { 1 };
                offset_s = sign * (num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60);
            }
            _ => return None,
        }
    }
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset_s;
    Some(secs as i128 * 1_000_000_000 + frac_ns)
}

/// The fields of one CSV line: byte ranges into the line for the common unquoted case (no allocation), owned
/// strings when the line has quotes.
enum Cells<'a> {
    Plain(&'a str, &'a [(usize, usize)]),
    Quoted(Vec<std::borrow::Cow<'a, str>>),
}

impl<'a> Cells<'a> {
    fn split(line: &'a str, ranges: &'a mut Vec<(usize, usize)>) -> Cells<'a> {
        if line.contains('"') {
            let mut v = Vec::new();
            split_csv(line, &mut v);
            return Cells::Quoted(v);
        }
        ranges.clear();
        let mut start = 0;
        for (i, b) in line.bytes().enumerate() {
            if b == b',' {
                ranges.push((start, i));
                start = i + 1;
            }
        }
        ranges.push((start, line.len()));
        Cells::Plain(line, ranges)
    }

    fn len(&self) -> usize {
        match self {
            Cells::Plain(_, r) => r.len(),
            Cells::Quoted(v) => v.len(),
        }
    }

    fn get(&self, i: usize) -> &str {
        match self {
            Cells::Plain(line, r) => &line[r[i].0..r[i].1],
            Cells::Quoted(v) => &v[i],
        }
    }
}

struct CsvCols {
    time: Option<usize>,
    input: usize,
    output: usize,
    region: Option<usize>,
    session: Option<usize>,
    unit: TimeUnit,
    /// LiteLLM's first-token and end times, read as date-times.
    first_token: Option<usize>,
    end: Option<usize>,
    /// The `--where` filters' columns and values.
    filters: Vec<(usize, String)>,
}

fn find_col(header: &[String], name: &str, path: &Path) -> Result<usize, IoError> {
    header
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| IoError::MissingColumn {
            path: path.to_path_buf(),
            column: name.to_string(),
            available: header.join(","),
        })
}

fn csv_columns(
    header: &[String],
    format: Format,
    opts: &ReadOptions,
    path: &Path,
) -> Result<CsvCols, IoError> {
    let c = &opts.columns;
    let pick = |given: &Option<String>, default: &str| {
        given.clone().unwrap_or_else(|| default.to_string())
    };
    let (time, input, output, unit) = match format {
        Format::Azure => (
            Some(pick(&c.time, "TIMESTAMP")),
            pick(&c.input, "ContextTokens"),
            pick(&c.output, "GeneratedTokens"),
            TimeUnit::Rfc3339,
        ),
        Format::Vidur => (
            Some(pick(&c.time, "arrived_at")),
            pick(&c.input, "num_prefill_tokens"),
            pick(&c.output, "num_decode_tokens"),
            TimeUnit::S,
        ),
        Format::Lengths => (
            None,
            pick(&c.input, "num_prefill_tokens"),
            pick(&c.output, "num_decode_tokens"),
            TimeUnit::S,
        ),
        Format::LiteLlm => (
            Some(pick(&c.time, "startTime")),
            pick(&c.input, "prompt_tokens"),
            pick(&c.output, "completion_tokens"),
            TimeUnit::Rfc3339,
        ),
        Format::BurstGpt => (
            Some(pick(&c.time, "Timestamp")),
            pick(&c.input, "Request tokens"),
            pick(&c.output, "Response tokens"),
            TimeUnit::S,
        ),
        _ => (
            Some(pick(&c.time, "timestamp")),
            pick(&c.input, "input_length"),
            pick(&c.output, "output_length"),
            TimeUnit::S,
        ),
    };
    Ok(CsvCols {
        time: match time {
            Some(t) => Some(find_col(header, &t, path)?),
            None => None,
        },
        input: find_col(header, &input, path)?,
        output: find_col(header, &output, path)?,
        region: match &c.region {
            Some(r) => Some(find_col(header, r, path)?),
            None => header.iter().position(|h| h == "region"),
        },
        session: match &c.session {
            Some(r) => Some(find_col(header, r, path)?),
            None => header.iter().position(|h| h == "session_id"),
        },
        unit: opts.time_unit.unwrap_or(unit),
        first_token: (format == Format::LiteLlm)
            .then(|| header.iter().position(|h| h == "completionStartTime"))
            .flatten(),
        end: (format == Format::LiteLlm)
            .then(|| header.iter().position(|h| h == "endTime"))
            .flatten(),
        filters: opts
            .filters
            .iter()
            .map(|f| match header.iter().position(|h| *h == f.column) {
                Some(i) => Ok((i, f.value.clone())),
                None => Err(unknown_where(path, &f.column, header.iter())),
            })
            .collect::<Result<_, _>>()?,
    })
}

/// A `--where` column the file does not have, with the ones it does.
fn unknown_where<'a>(
    path: &Path,
    column: &str,
    available: impl Iterator<Item = &'a String>,
) -> IoError {
    let cols: Vec<String> = available.map(|c| format!("{c:?}")).collect();
    IoError::UnknownWhere {
        path: path.to_path_buf(),
        column: column.to_string(),
        available: if cols.is_empty() {
            "none".into()
        } else {
            cols.join(", ")
        },
    }
}

#[derive(Default)]
struct Interner {
    sessions: HashMap<String, u32>,
}

impl Interner {
    fn session(&mut self, key: &str) -> u32 {
        let n = self.sessions.len() as u32;
        *self.sessions.entry(key.to_string()).or_insert(n)
    }
}

fn read_csv<R: std::io::BufRead>(
    lines: &mut LineReader<'_, R>,
    format: Format,
    opts: &ReadOptions,
    w: &mut Workload,
    sink: &mut Sink,
    filtered_out: &mut u64,
) -> Result<Option<Times>, IoError> {
    let header: Vec<String> = loop {
        match lines.next_line()? {
            Some((_, l)) if l.iter().all(u8::is_ascii_whitespace) => continue,
            Some((_, l)) => {
                let s = String::from_utf8_lossy(l);
                let mut f = Vec::new();
                split_csv(s.trim_end_matches('\r'), &mut f);
                break f.iter().map(|x| x.trim().to_string()).collect();
            }
            None => return Ok(None),
        }
    };
    let cols = csv_columns(&header, format, opts, sink.path)?;
    w.has_timestamps = cols.time.is_some();
    let needed = [
        Some(cols.input),
        Some(cols.output),
        cols.time,
        cols.region,
        cols.session,
        cols.first_token,
        cols.end,
    ]
    .into_iter()
    .flatten()
    .chain(cols.filters.iter().map(|f| f.0))
    .max()
    .unwrap_or(0);
    let mut timing: Vec<Timing> = Vec::new();
    let mut ranges: Vec<(usize, usize)> = Vec::with_capacity(header.len());
    let mut sessions = Interner::default();
    let mut origin: Option<i128> = None;
    let mut rel: Vec<i64> = Vec::new();
    let mut row_lines: Vec<u32> = Vec::new();
    let mut extremes = Extremes::default();
    while let Some((line_no, raw)) = lines.next_line()? {
        let Ok(line) = std::str::from_utf8(raw) else {
            sink.bad(line_no, "not valid UTF-8".into())?;
            continue;
        };
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let fields = Cells::split(line, &mut ranges);
        if fields.len() > needed
            && !cols
                .filters
                .iter()
                .all(|(i, v)| fields.get(*i).trim() == v.as_str())
        {
            *filtered_out += 1;
            continue;
        }
        if fields.len() <= needed {
            sink.bad(
                line_no,
                format!("{} fields, expected {}", fields.len(), header.len()),
            )?;
            continue;
        }
        let row = (|| -> Result<(Request, i64, i128), String> {
            let input = parse_count(fields.get(cols.input), &header[cols.input])?;
            let output = parse_count(fields.get(cols.output), &header[cols.output])?;
            not_empty(input, output)?;
            let mut exact = 0;
            let rel = match cols.time {
                Some(t) => {
                    let ns = time_ns(fields.get(t), cols.unit)?;
                    exact = ns;
                    // Times are kept relative to the first row's; an earlier row (unsorted trace) is negative
                    // until the origin moves to the earliest time below. Saturating: a time centuries away is
                    // still far enough away for the plausibility check to name it.
                    let d = ns.saturating_sub(*origin.get_or_insert(ns));
                    d.clamp(i64::MIN as i128, i64::MAX as i128) as i64
                }
                None => w.requests.len() as i64,
            };
            Ok((Request::new(SimTime::ZERO, input, output), rel, exact))
        })();
        match row {
            Ok((mut r, t, exact)) => {
                extremes.see(rel.len(), exact);
                if let Some(c) = cols.region {
                    let name = fields.get(c).trim();
                    if !name.is_empty() {
                        r.region = w.region_id(name);
                    }
                }
                if let Some(c) = cols.session {
                    let key = fields.get(c).trim();
                    if !key.is_empty() {
                        r.session = sessions.session(key);
                    }
                }
                if cols.first_token.is_some() || cols.end.is_some() {
                    let since_start = |c: Option<usize>| {
                        let ns = parse_datetime_ns(fields.get(c?).trim())?;
                        Some(ns - exact)
                    };
                    timing.resize(rel.len(), Timing::default());
                    timing.push(Timing::new(
                        since_start(cols.first_token),
                        since_start(cols.end),
                    ));
                }
                rel.push(t);
                row_lines.push(line_no.min(u32::MAX as u64) as u32);
                w.requests.push(r);
            }
            Err(m) => sink.bad(line_no, m)?,
        }
    }
    if !timing.is_empty() {
        timing.resize(rel.len(), Timing::default());
    }
    if cols.time.is_none() {
        for (r, t) in w.requests.iter_mut().zip(&rel) {
            r.arrival = SimTime(*t as u64);
        }
        return Ok(None);
    }
    Ok(Some(Times {
        rel,
        lines: row_lines,
        origin: origin.unwrap_or(0),
        unit: cols.unit,
        extremes,
        timing,
    }))
}

/// One parsed JSONL row: time (ns), the request, its prefix ids, region and session key.
type JsonRow = (i128, Request, Vec<u64>, Option<String>, Option<String>);

#[derive(Deserialize)]
struct MooncakeRow<'a> {
    timestamp: Option<serde_json::Number>,
    input_length: Option<serde_json::Number>,
    output_length: Option<serde_json::Number>,
    #[serde(default)]
    hash_ids: Vec<u64>,
    #[serde(default, borrow)]
    region: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    session_id: Option<serde_json::Value>,
}

fn number_count(v: Option<&serde_json::Number>, key: &str) -> Result<u32, String> {
    let n = v.ok_or_else(|| format!("missing key {key:?}"))?;
    if let Some(u) = n.as_u64() {
        return bounded(u, key);
    }
    parse_count(&n.to_string(), key)
}

fn number_time(v: Option<&serde_json::Number>, key: &str, unit: TimeUnit) -> Result<i128, String> {
    let n = v.ok_or_else(|| format!("missing key {key:?}"))?;
    // The common case, a plain number in a numeric unit, converts without going through text.
    if let (Some(x), false) = (n.as_f64(), unit == TimeUnit::Rfc3339) {
        if !x.is_finite() || x < 0.0 {
            return Err(format!("{key} {n} is negative or not finite"));
        }
        let scale = match unit {
            TimeUnit::S => 1e9,
            TimeUnit::Ms => 1e6,
            _ => 1e3,
        };
        return Ok((x * scale).round() as i128);
    }
    time_ns(&n.to_string(), unit)
}

fn session_key(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn read_jsonl<R: std::io::BufRead>(
    lines: &mut LineReader<'_, R>,
    format: Format,
    opts: &ReadOptions,
    w: &mut Workload,
    sink: &mut Sink,
    filtered_out: &mut u64,
) -> Result<Option<Times>, IoError> {
    let c = &opts.columns;
    let unit = opts.time_unit.unwrap_or(TimeUnit::Ms);
    let generic = format == Format::Jsonl
        || c.time.is_some()
        || c.input.is_some()
        || c.output.is_some()
        || c.region.is_some()
        || c.session.is_some()
        || !opts.filters.is_empty();
    let mut seen_keys = std::collections::BTreeSet::new();
    let time_key = c.time.clone().unwrap_or_else(|| "timestamp".into());
    let in_key = c.input.clone().unwrap_or_else(|| "input_length".into());
    let out_key = c.output.clone().unwrap_or_else(|| "output_length".into());
    let region_key = c.region.clone().unwrap_or_else(|| "region".into());
    let session_key_name = c.session.clone().unwrap_or_else(|| "session_id".into());
    let mut sessions = Interner::default();
    // Nanoseconds since the epoch fit an i64 until 2262; 8 bytes a row instead of 16.
    let mut times: Vec<i64> = Vec::new();
    let mut row_lines: Vec<u32> = Vec::new();
    let mut extremes = Extremes::default();
    while let Some((line_no, raw)) = lines.next_line()? {
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed: Result<JsonRow, String> = if !generic {
            match serde_json::from_slice::<MooncakeRow>(raw) {
                Ok(row) => (|| {
                    let t = number_time(row.timestamp.as_ref(), "timestamp", unit)?;
                    let input = number_count(row.input_length.as_ref(), "input_length")?;
                    let output = number_count(row.output_length.as_ref(), "output_length")?;
                    not_empty(input, output)?;
                    Ok((
                        t,
                        Request::new(SimTime::ZERO, input, output),
                        row.hash_ids,
                        row.region.map(|r| r.into_owned()),
                        row.session_id.as_ref().and_then(session_key),
                    ))
                })(),
                Err(e) => Err(format!("not a JSON request object: {e}")),
            }
        } else {
            match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(raw) {
                Ok(m)
                    if !logs::keep(&opts.filters, &mut seen_keys, m.keys(), |k| {
                        m.get(k).and_then(logs::json_text)
                    }) =>
                {
                    *filtered_out += 1;
                    continue;
                }
                Ok(m) => (|| {
                    let num = |k: &str| -> Result<serde_json::Number, String> {
                        match m.get(k) {
                            Some(serde_json::Value::Number(n)) => Ok(n.clone()),
                            Some(serde_json::Value::String(s)) => s
                                .parse::<serde_json::Number>()
                                .map_err(|_| format!("{k} {s:?} is not a number")),
                            Some(v) => Err(format!("{k} {v} is not a number")),
                            None => Err(format!("missing key {k:?}")),
                        }
                    };
                    let t = if unit == TimeUnit::Rfc3339 {
                        match m.get(&time_key) {
                            Some(serde_json::Value::String(s)) => time_ns(s, unit)?,
                            _ => return Err(format!("missing date-time key {time_key:?}")),
                        }
                    } else {
                        number_time(Some(&num(&time_key)?), &time_key, unit)?
                    };
                    let input = number_count(Some(&num(&in_key)?), &in_key)?;
                    let output = number_count(Some(&num(&out_key)?), &out_key)?;
                    not_empty(input, output)?;
                    let hash_ids = match m.get("hash_ids") {
                        Some(serde_json::Value::Array(a)) => {
                            a.iter().filter_map(|v| v.as_u64()).collect()
                        }
                        _ => Vec::new(),
                    };
                    let region = m
                        .get(&region_key)
                        .and_then(|v| v.as_str())
                        .map(str::to_string);
                    let session = m.get(&session_key_name).and_then(session_key);
                    Ok((
                        t,
                        Request::new(SimTime::ZERO, input, output),
                        hash_ids,
                        region,
                        session,
                    ))
                })(),
                Err(e) => Err(format!("not a JSON object: {e}")),
            }
        };
        match parsed {
            Ok((t, mut r, ids, region, session)) => {
                extremes.see(times.len(), t);
                let t = t.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
                times.push(t);
                row_lines.push(line_no.min(u32::MAX as u64) as u32);
                if !ids.is_empty() {
                    let (s, l) = w.push_prefix(&ids);
                    r.prefix_start = s;
                    r.prefix_len = l;
                }
                if let Some(reg) = region {
                    r.region = w.region_id(&reg);
                }
                if let Some(s) = session {
                    r.session = sessions.session(&s);
                }
                w.requests.push(r);
            }
            Err(m) => sink.bad(line_no, m)?,
        }
    }
    debug_assert!(w
        .requests
        .iter()
        .all(|r| r.session == NO_SESSION || (r.session as usize) < sessions.sessions.len()));
    logs::check_filters_seen(&opts.filters, &seen_keys, sink.path)?;
    Ok(Some(Times {
        rel: times,
        lines: row_lines,
        origin: 0,
        unit,
        extremes,
        timing: Vec::new(),
    }))
}

/// A row with neither prompt nor output tokens asks for nothing; it is an export artefact, not a request.
fn not_empty(input: u32, output: u32) -> Result<(), String> {
    if input == 0 && output == 0 {
        return Err("prompt and output are both 0 tokens: not a request".into());
    }
    Ok(())
}

/// Arrival times as read, one per request in file order: nanoseconds relative to `origin` (saturated into an
/// i64), with each row's line number for messages.
struct Times {
    rel: Vec<i64>,
    lines: Vec<u32>,
    origin: i128,
    unit: TimeUnit,
    /// The exact earliest and latest times (index, ns), which `rel` may hold saturated.
    extremes: Extremes,
    /// Each request's own latencies when the log records them (empty otherwise, to spare the memory).
    timing: Vec<Timing>,
}

/// One request's latencies as its log recorded them, nanoseconds from its start.
#[derive(Debug, Clone, Copy, Default)]
struct Timing {
    ttft_ns: Option<i128>,
    e2e_ns: Option<i128>,
}

impl Timing {
    /// A negative latency (a clock skew, a first-token time before the start) is not a measurement: left out.
    /// So is a first-token time equal to the end: LiteLLM writes `completionStartTime = endTime` for a response
    /// that was not streamed, where the time to the first token was never seen.
    fn new(ttft_ns: Option<i128>, e2e_ns: Option<i128>) -> Timing {
        Timing {
            ttft_ns: ttft_ns.filter(|&t| t >= 0 && Some(t) != e2e_ns),
            e2e_ns: e2e_ns.filter(|&t| t >= 0),
        }
    }
}

/// The earliest and latest exact times seen, to name an outlier by its value as written.
#[derive(Default)]
struct Extremes {
    min: Option<(usize, i128)>,
    max: Option<(usize, i128)>,
}

impl Extremes {
    fn see(&mut self, index: usize, ns: i128) {
        if self.min.is_none_or(|(_, m)| ns < m) {
            self.min = Some((index, ns));
        }
        if self.max.is_none_or(|(_, m)| ns > m) {
            self.max = Some((index, ns));
        }
    }

    fn exact(&self, index: usize) -> Option<i128> {
        [self.min, self.max]
            .into_iter()
            .flatten()
            .find(|&(i, _)| i == index)
            .map(|(_, v)| v)
    }

    fn remove(&mut self, index: usize) {
        for e in [&mut self.min, &mut self.max] {
            *e = match *e {
                Some((i, _)) if i == index => None,
                Some((i, v)) if i > index => Some((i - 1, v)),
                other => other,
            };
        }
    }
}

const DAY_NS: i128 = 86_400 * 1_000_000_000;
/// Longer than any pilot's log; a longer span means the times are in another unit or a row is an outlier.
pub const MAX_SPAN_DAYS: i128 = 400;
/// A single gap this long between arrivals, while the rest of the trace is much shorter, is an outlier row.
pub const DOMINANT_GAP_DAYS: i128 = 30;
/// How many times the rest of the trace's span a gap must be to dominate it.
const DOMINANCE: i128 = 30;

/// What the time column says about the trace as a whole.
enum Plausibility {
    Fine,
    /// One row, at either end, far from all others: its index in file order.
    Outlier {
        index: usize,
        gap: i128,
        rest: i128,
    },
    /// The span or a gap in the middle cannot be a request log in this unit.
    Implausible(IoError),
}

impl Times {
    fn value(&self, index: usize) -> i128 {
        self.extremes
            .exact(index)
            .unwrap_or_else(|| self.origin.saturating_add(self.rel[index] as i128))
    }

    fn show(&self, index: usize) -> String {
        show_time(self.value(index), self.unit)
    }

    fn remove(&mut self, index: usize) {
        self.rel.remove(index);
        self.lines.remove(index);
        self.extremes.remove(index);
        if index < self.timing.len() {
            self.timing.remove(index);
        }
    }

    /// The latencies the log recorded, or None when it recorded none.
    fn observed(&self) -> Option<ObservedTiming> {
        let ms = |ns: i128| ns as f64 / 1e6;
        let o = ObservedTiming {
            ttft_ms: self
                .timing
                .iter()
                .filter_map(|t| t.ttft_ns)
                .map(ms)
                .collect(),
            e2e_ms: self
                .timing
                .iter()
                .filter_map(|t| t.e2e_ns)
                .map(ms)
                .collect(),
        };
        (!o.ttft_ms.is_empty() || !o.e2e_ms.is_empty()).then_some(o)
    }

    fn check(&self, path: &Path) -> Plausibility {
        let n = self.rel.len();
        let (mut imin, mut imax) = (0, 0);
        for (i, &t) in self.rel.iter().enumerate() {
            if t < self.rel[imin] {
                imin = i;
            }
            if t > self.rel[imax] {
                imax = i;
            }
        }
        if n < 2 {
            return Plausibility::Fine;
        }
        let span = self.rel[imax] as i128 - self.rel[imin] as i128;
        if span <= DOMINANT_GAP_DAYS * DAY_NS {
            return Plausibility::Fine;
        }
        // Only traces spanning more than a month get here; the copy is the price of finding the largest gap.
        let mut sorted = self.rel.clone();
        sorted.sort_unstable();
        let (k, gap) = sorted
            .windows(2)
            .enumerate()
            .map(|(k, p)| (k, p[1] as i128 - p[0] as i128))
            .max_by_key(|&(_, g)| g)
            .unwrap_or((0, 0));
        let rest = span - gap;
        let dominant = gap > DOMINANT_GAP_DAYS * DAY_NS && rest * DOMINANCE < gap;
        if !dominant && span <= MAX_SPAN_DAYS * DAY_NS {
            return Plausibility::Fine;
        }
        if dominant && n >= 3 {
            // The gap from the exact value: the stored one may be saturated.
            let at = |i: usize| self.origin.saturating_add(sorted[i] as i128);
            if k == 0 {
                return Plausibility::Outlier {
                    index: imin,
                    gap: at(1).saturating_sub(self.value(imin)),
                    rest,
                };
            }
            if k == n - 2 {
                return Plausibility::Outlier {
                    index: imax,
                    gap: self.value(imax).saturating_sub(at(n - 2)),
                    rest,
                };
            }
        }
        let unit = unit_name(self.unit);
        if dominant {
            let before = self.rel.iter().position(|&t| t == sorted[k]).unwrap_or(0);
            let after = self
                .rel
                .iter()
                .position(|&t| t == sorted[k + 1])
                .unwrap_or(0);
            return Plausibility::Implausible(IoError::Malformed {
                path: path.to_path_buf(),
                line: self.lines[after] as u64,
                message: format!(
                    "time {} comes {} after the arrival before it (line {}, time {}), while the other arrivals \
                     span {}: {} rows before the gap, {} after; a pilot log is not this sparse, so check \
                     --time-unit (times are read as {unit}) or remove the rows of the other period",
                    self.show(after),
                    duration(gap),
                    self.lines[before],
                    self.show(before),
                    duration(rest),
                    k + 1,
                    n - k - 1
                ),
            });
        }
        Plausibility::Implausible(IoError::Invalid {
            path: path.to_path_buf(),
            message: format!(
                "arrivals span {}, from time {} (line {}) to {} (line {}); a pilot log covers hours to weeks \
                 (at most {MAX_SPAN_DAYS} days), so the times are probably not in {unit}: check --time-unit \
                 (s, ms, us or rfc3339)",
                duration(span),
                self.show(imin),
                self.lines[imin],
                self.show(imax),
                self.lines[imax],
            ),
        })
    }
}

fn unit_name(unit: TimeUnit) -> &'static str {
    match unit {
        TimeUnit::S => "seconds",
        TimeUnit::Ms => "milliseconds",
        TimeUnit::Us => "microseconds",
        TimeUnit::Rfc3339 => "date-times",
    }
}

/// A time as the file wrote it: a number in its unit, or a UTC date-time.
fn show_time(ns: i128, unit: TimeUnit) -> String {
    let scaled = |per: f64| {
        let v = ns as f64 / per;
        if v.abs() < 1e15 {
            format!("{v}")
        } else {
            format!("{v:e}")
        }
    };
    match unit {
        TimeUnit::S => scaled(1e9),
        TimeUnit::Ms => scaled(1e6),
        TimeUnit::Us => scaled(1e3),
        TimeUnit::Rfc3339 => {
            let secs = ns.div_euclid(1_000_000_000);
            let days = secs.div_euclid(86_400);
            if days.abs() > 3_000_000 {
                return format!("{} s from 1970", scaled(1e9));
            }
            let (y, m, d) = civil_from_days(days as i64);
            let sod = secs.rem_euclid(86_400);
            format!(
                "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
                sod / 3600,
                sod / 60 % 60,
                sod % 60
            )
        }
    }
}

/// The civil date of a day count from 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A span for people: days past two days, hours past two hours, else seconds.
fn duration(ns: i128) -> String {
    let s = ns as f64 / 1e9;
    if s >= 2.0 * 86_400.0 {
        let days = s / 86_400.0;
        if days >= 1e6 {
            format!("{days:.2e} days")
        } else {
            format!("{} days", infercost_core::fmt::int(days))
        }
    } else if s >= 7200.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{s:.1} s")
    }
}

/// Checks the arrival times and gives each request its arrival relative to the first. A lone row far from all
/// the others (a placeholder 0 among epoch times, a far-future date) is skipped like any malformed row, named
/// with its line; any other implausible span is an error that suggests `--time-unit`.
fn place_arrivals(
    w: &mut Workload,
    times: &mut Times,
    sink: &mut Sink,
    warnings: &mut Vec<String>,
) -> Result<(), IoError> {
    let mut skipped_outlier = false;
    loop {
        match times.check(sink.path) {
            Plausibility::Fine => break,
            Plausibility::Outlier { index, gap, rest } if !skipped_outlier => {
                let line = times.lines[index] as u64;
                sink.bad(
                    line,
                    format!(
                        "time {} lies {} away from every other arrival (they span {}): an outlier such as a \
                         placeholder 0 or a far-future date; if the whole file is in another unit, pass --time-unit",
                        times.show(index),
                        duration(gap),
                        duration(rest)
                    ),
                )?;
                times.remove(index);
                w.requests.remove(index);
                skipped_outlier = true;
            }
            Plausibility::Outlier { index, .. } => {
                return Err(IoError::Malformed {
                    path: sink.path.to_path_buf(),
                    line: times.lines[index] as u64,
                    message: format!(
                        "time {} is far from the other arrivals, and this is the second such row: the times are \
                         not a request log in {}; check --time-unit",
                        times.show(index),
                        unit_name(times.unit)
                    ),
                });
            }
            Plausibility::Implausible(e) => return Err(e),
        }
    }
    let Some(min) = times.rel.iter().copied().min() else {
        return Ok(());
    };
    let max = times.rel.iter().copied().max().unwrap_or(min);
    if times.rel.len() >= 2 && min == max {
        warnings.push(format!(
            "{}: all {} requests arrive at the same instant (time {}): read as one offline batch, which has no \
             request rate",
            sink.path.display(),
            infercost_core::fmt::count(times.rel.len() as u64),
            times.show(0)
        ));
    }
    for (r, t) in w.requests.iter_mut().zip(&times.rel) {
        // The check above bounds the span to MAX_SPAN_DAYS, so the difference fits.
        r.arrival = SimTime((*t as i128 - min as i128).max(0) as u64);
    }
    if times.unit == TimeUnit::Rfc3339 {
        w.epoch_origin_s = Some(times.origin.saturating_add(min as i128) as f64 / 1e9);
    }
    Ok(())
}

/// A path for error messages when the input is not a file.
pub fn memory_path(name: &str) -> PathBuf {
    PathBuf::from(name)
}

#[cfg(feature = "parquet")]
mod columnar;
mod logs;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str, opts: &ReadOptions) -> Result<(Workload, ReadReport), IoError> {
        parse_trace(s.as_bytes(), Path::new("t.csv"), opts)
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
        assert!(e.contains("no valid request rows (1 malformed)"), "{e}");
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

    const LITELLM_CSV: &str = include_str!("../../../tests/data/litellm_spend_logs.csv");
    const LITELLM_JSON: &str = include_str!("../../../tests/data/litellm_spend_logs.json");
    const OTLP: &str = include_str!("../../../tests/data/otlp_genai_spans.jsonl");
    const BURSTGPT: &str = include_str!("../../../tests/data/burstgpt_sample.csv");

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
