//! Trace readers: Azure, Mooncake-style JSONL, Vidur, length-only and generic CSV/JSONL, plain or gzip.
//!
//! The readers are hand-written over bytes because a planner reads tens of millions of rows: the CSV path
//! parses numbers without allocating, and JSONL rows deserialise into borrowed structs.

use crate::IoError;
use infercost_core::{Request, SimTime, Workload, NO_SESSION};
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
}

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
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: Format::Auto,
            strict: false,
            columns: ColumnMap::default(),
            time_unit: None,
        }
    }
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
}

const KEPT_ERRORS: usize = 5;

/// Reads a trace file (gzip when its name ends in `.gz`), streaming it line by line: memory holds the requests,
/// not the file.
pub fn read_trace(path: &Path, opts: &ReadOptions) -> Result<(Workload, ReadReport), IoError> {
    let file = std::fs::File::open(path).map_err(|source| IoError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if path.extension().is_some_and(|e| e == "gz") {
        let gz =
            flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(1 << 20, file));
        read_lines(
            LineReader::new(std::io::BufReader::with_capacity(1 << 20, gz), path),
            path,
            opts,
        )
    } else {
        read_lines(
            LineReader::new(std::io::BufReader::with_capacity(1 << 20, file), path),
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

/// Parses trace bytes; `path` names the source in errors.
pub fn parse_trace(
    bytes: &[u8],
    path: &Path,
    opts: &ReadOptions,
) -> Result<(Workload, ReadReport), IoError> {
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
    match format {
        Format::Mooncake | Format::Jsonl => {
            read_jsonl(&mut lines, format, opts, &mut w, &mut sink)?
        }
        _ => read_csv(&mut lines, format, opts, &mut w, &mut sink)?,
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
    }
}

const KNOWN: &str = "an Azure (TIMESTAMP,ContextTokens,GeneratedTokens), Vidur (arrived_at,num_prefill_tokens,num_decode_tokens) or lengths (num_prefill_tokens,num_decode_tokens) CSV header, or a JSON object per line; use --format csv|jsonl with --col-* for other files";

fn detect(first: &str, path: &Path) -> Result<Format, IoError> {
    if first.starts_with('{') {
        return Ok(if first.contains("\"input_length\"") {
            Format::Mooncake
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

fn parse_count(s: &str, what: &str) -> Result<u32, String> {
    let t = s.trim();
    if let Ok(v) = t.parse::<u64>() {
        return u32::try_from(v).map_err(|_| format!("{what} {t:?} is too large"));
    }
    // Some exporters write counts as floats ("374.0"); accept whole numbers only.
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= u32::MAX as f64 => {
            Ok(v as u32)
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
    })
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
) -> Result<(), IoError> {
    let header: Vec<String> = loop {
        match lines.next_line()? {
            Some((_, l)) if l.iter().all(u8::is_ascii_whitespace) => continue,
            Some((_, l)) => {
                let s = String::from_utf8_lossy(l);
                let mut f = Vec::new();
                split_csv(s.trim_end_matches('\r'), &mut f);
                break f.iter().map(|x| x.trim().to_string()).collect();
            }
            None => return Ok(()),
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
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(0);
    let mut ranges: Vec<(usize, usize)> = Vec::with_capacity(header.len());
    let mut sessions = Interner::default();
    let mut origin: Option<i128> = None;
    let datetime = cols.unit == TimeUnit::Rfc3339;
    let mut rel: Vec<i64> = Vec::new();
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
        if fields.len() <= needed {
            sink.bad(
                line_no,
                format!("{} fields, expected {}", fields.len(), header.len()),
            )?;
            continue;
        }
        let row = (|| -> Result<(Request, i64), String> {
            let input = parse_count(fields.get(cols.input), &header[cols.input])?;
            let output = parse_count(fields.get(cols.output), &header[cols.output])?;
            let rel = match cols.time {
                Some(t) => {
                    let ns = time_ns(fields.get(t), cols.unit)?;
                    // Times are kept relative to the first row's; an earlier row (unsorted trace) is negative
                    // until the origin moves to the earliest time below.
                    (ns - *origin.get_or_insert(ns)) as i64
                }
                None => w.requests.len() as i64,
            };
            Ok((Request::new(SimTime::ZERO, input, output), rel))
        })();
        match row {
            Ok((mut r, t)) => {
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
                rel.push(t);
                w.requests.push(r);
            }
            Err(m) => sink.bad(line_no, m)?,
        }
    }
    let min = rel.iter().copied().min().unwrap_or(0);
    for (r, t) in w.requests.iter_mut().zip(&rel) {
        r.arrival = SimTime((t - min) as u64);
    }
    if datetime {
        w.epoch_origin_s = origin.map(|o| (o + min as i128) as f64 / 1e9);
    }
    Ok(())
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
        return u32::try_from(u).map_err(|_| format!("{key} {u} is too large"));
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
) -> Result<(), IoError> {
    let c = &opts.columns;
    let unit = opts.time_unit.unwrap_or(TimeUnit::Ms);
    let generic = format == Format::Jsonl
        || c.time.is_some()
        || c.input.is_some()
        || c.output.is_some()
        || c.region.is_some()
        || c.session.is_some();
    let time_key = c.time.clone().unwrap_or_else(|| "timestamp".into());
    let in_key = c.input.clone().unwrap_or_else(|| "input_length".into());
    let out_key = c.output.clone().unwrap_or_else(|| "output_length".into());
    let region_key = c.region.clone().unwrap_or_else(|| "region".into());
    let session_key_name = c.session.clone().unwrap_or_else(|| "session_id".into());
    let mut sessions = Interner::default();
    // Nanoseconds since the epoch fit an i64 until 2262; 8 bytes a row instead of 16.
    let mut min_time = i64::MAX;
    let mut times: Vec<i64> = Vec::new();
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
                let t = t.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
                min_time = min_time.min(t);
                times.push(t);
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
    for (r, t) in w.requests.iter_mut().zip(&times) {
        r.arrival = SimTime((t - min_time) as u64);
    }
    if unit == TimeUnit::Rfc3339 && min_time != i64::MAX {
        w.epoch_origin_s = Some(min_time as f64 / 1e9);
    }
    debug_assert!(w
        .requests
        .iter()
        .all(|r| r.session == NO_SESSION || (r.session as usize) < sessions.sessions.len()));
    Ok(())
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
}
