//! The CSV reader behind every CSV format: Azure, Vidur, lengths, BurstGPT, LiteLLM spend logs and files mapped
//! with `--col-*`. Each format is a set of default column names; the rows are read alike, with RFC 4180 quoting
//! (quoted fields may hold commas, quotes and line breaks).

use super::checks::{not_empty, parse_count, Extremes, Times, Timing};
use super::lines::{record_line, LineReader, Sink, Tail};
use super::time::{parse_datetime_ns, time_ns};
use super::{Format, ReadOptions, TimeUnit};
use crate::IoError;
use ::csv::{ByteRecord, StringRecord};
use infercost_core::{Request, SimTime, Workload};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// A field as text, empty past the record's end.
fn cell(fields: &StringRecord, i: usize) -> &str {
    fields.get(i).unwrap_or("")
}

/// The columns a CSV format reads, as indices into the header.
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
pub(super) fn unknown_where<'a>(
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

/// Session keys as small ids, in order of first appearance.
#[derive(Default)]
pub(super) struct Interner {
    pub(super) sessions: HashMap<String, u32>,
}

impl Interner {
    pub(super) fn session(&mut self, key: &str) -> u32 {
        let n = self.sessions.len() as u32;
        *self.sessions.entry(key.to_string()).or_insert(n)
    }
}

impl CsvCols {
    /// The highest column index a row must have.
    fn needed(&self) -> usize {
        [
            Some(self.input),
            Some(self.output),
            self.time,
            self.region,
            self.session,
            self.first_token,
            self.end,
        ]
        .into_iter()
        .flatten()
        .chain(self.filters.iter().map(|f| f.0))
        .max()
        .unwrap_or(0)
    }
}

/// Reads the next record into `record`, reusing its buffers: the line it starts on (counted by the CSV reader,
/// so quoted line breaks count), `Err(line)` when it is not UTF-8, None at the end.
fn next_record<T: Read>(
    reader: &mut ::csv::Reader<Tail<T>>,
    record: &mut StringRecord,
    path: &Path,
) -> Result<Option<Result<u64, u64>>, IoError> {
    let mut bytes = std::mem::take(record).into_byte_record();
    let more = reader
        .read_byte_record(&mut bytes)
        .map_err(|e| IoError::Read {
            path: path.to_path_buf(),
            source: e.into(),
        })?;
    let line = record_line(reader, &bytes);
    match StringRecord::from_byte_record(bytes) {
        Ok(r) => *record = r,
        Err(e) => {
            let mut bytes = e.into_byte_record();
            bytes.clear();
            *record = StringRecord::from_byte_record(bytes).unwrap_or_default();
            return Ok(more.then_some(Err(line)));
        }
    }
    Ok(more.then_some(Ok(line)))
}

/// The header: the first record that is not blank, its names trimmed (and unquoted as format detection reads
/// them), or None when there is none.
fn read_header<T: Read>(
    reader: &mut ::csv::Reader<T>,
    path: &Path,
) -> Result<Option<Vec<String>>, IoError> {
    let mut record = ByteRecord::new();
    loop {
        let more = reader
            .read_byte_record(&mut record)
            .map_err(|e| IoError::Read {
                path: path.to_path_buf(),
                source: e.into(),
            })?;
        if !more {
            return Ok(None);
        }
        if !blank(record.iter()) {
            return Ok(Some(
                record
                    .iter()
                    .map(|f| {
                        String::from_utf8_lossy(f)
                            .trim()
                            .trim_matches('"')
                            .to_string()
                    })
                    .collect(),
            ));
        }
    }
}

/// Whether a record is a line of nothing but whitespace.
fn blank<'a>(mut fields: impl ExactSizeIterator<Item = &'a [u8]>) -> bool {
    fields.len() == 1
        && fields
            .next()
            .is_some_and(|f| f.iter().all(u8::is_ascii_whitespace))
}

/// Arrival times as the rows give them, with what the plausibility checks and observed latencies need.
#[derive(Default)]
struct Arrivals {
    /// The first row's exact time; the others are kept relative to it.
    origin: Option<i128>,
    rel: Vec<i64>,
    lines: Vec<u32>,
    extremes: Extremes,
    timing: Vec<Timing>,
}

/// One row read: the request, its time relative to the first row's (or its index when the file has no times),
/// and its exact time in nanoseconds.
fn parse_row(
    fields: &StringRecord,
    cols: &CsvCols,
    header: &[String],
    origin: &mut Option<i128>,
    index: usize,
) -> Result<(Request, i64, i128), String> {
    let input = parse_count(cell(fields, cols.input), &header[cols.input])?;
    let output = parse_count(cell(fields, cols.output), &header[cols.output])?;
    not_empty(input, output)?;
    let mut exact = 0;
    let rel = match cols.time {
        Some(t) => {
            let ns = time_ns(cell(fields, t), cols.unit)?;
            exact = ns;
            // Times are kept relative to the first row's; an earlier row (unsorted trace) is negative until the
            // origin moves to the earliest time below. Saturating: a time centuries away is still far enough
            // away for the plausibility check to name it.
            let d = ns.saturating_sub(*origin.get_or_insert(ns));
            d.clamp(i64::MIN as i128, i64::MAX as i128) as i64
        }
        None => index as i64,
    };
    Ok((Request::new(SimTime::ZERO, input, output), rel, exact))
}

impl Arrivals {
    /// Adds a row's request with its region, session and recorded latencies.
    fn push(
        &mut self,
        w: &mut Workload,
        sessions: &mut Interner,
        fields: &StringRecord,
        cols: &CsvCols,
        (mut r, t, exact): (Request, i64, i128),
        line_no: u64,
    ) {
        self.extremes.see(self.rel.len(), exact);
        if let Some(c) = cols.region {
            let name = cell(fields, c).trim();
            if !name.is_empty() {
                r.region = w.region_id(name);
            }
        }
        if let Some(c) = cols.session {
            let key = cell(fields, c).trim();
            if !key.is_empty() {
                r.session = sessions.session(key);
            }
        }
        if cols.first_token.is_some() || cols.end.is_some() {
            let since_start = |c: Option<usize>| {
                let ns = parse_datetime_ns(cell(fields, c?).trim())?;
                Some(ns - exact)
            };
            self.timing.resize(self.rel.len(), Timing::default());
            self.timing.push(Timing::new(
                since_start(cols.first_token),
                since_start(cols.end),
            ));
        }
        self.rel.push(t);
        self.lines.push(line_no.min(u32::MAX as u64) as u32);
        w.requests.push(r);
    }

    /// The times for the checks, or None (arrivals set to the row order) when the file has no time column.
    fn finish(mut self, w: &mut Workload, cols: &CsvCols) -> Option<Times> {
        if !self.timing.is_empty() {
            self.timing.resize(self.rel.len(), Timing::default());
        }
        if cols.time.is_none() {
            for (r, t) in w.requests.iter_mut().zip(&self.rel) {
                r.arrival = SimTime(*t as u64);
            }
            return None;
        }
        Some(Times {
            rel: self.rel,
            lines: self.lines,
            origin: self.origin.unwrap_or(0),
            unit: cols.unit,
            extremes: self.extremes,
            timing: self.timing,
        })
    }
}

/// Reads the CSV formats: the header picks the columns, then each row is a request or a malformed row named by
/// the line it starts on.
pub(super) fn read_csv<R: std::io::BufRead>(
    lines: &mut LineReader<'_, R>,
    format: Format,
    opts: &ReadOptions,
    w: &mut Workload,
    sink: &mut Sink,
    filtered_out: &mut u64,
) -> Result<Option<Times>, IoError> {
    let Some((mut reader, offset)) = lines.csv() else {
        return Ok(None);
    };
    let Some(header) = read_header(&mut reader, sink.path)? else {
        return Ok(None);
    };
    let cols = csv_columns(&header, format, opts, sink.path)?;
    w.has_timestamps = cols.time.is_some();
    let needed = cols.needed();
    let mut sessions = Interner::default();
    let mut rows = Arrivals::default();
    let mut fields = StringRecord::with_capacity(256, header.len());
    while let Some(read) = next_record(&mut reader, &mut fields, sink.path)? {
        let line_no = match read {
            Ok(line) => line + offset,
            Err(line) => {
                sink.bad(line + offset, "not valid UTF-8".into())?;
                continue;
            }
        };
        if blank(fields.as_byte_record().iter()) {
            continue;
        }
        if fields.len() > needed
            && !cols
                .filters
                .iter()
                .all(|(i, v)| cell(&fields, *i).trim() == v.as_str())
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
        match parse_row(&fields, &cols, &header, &mut rows.origin, w.requests.len()) {
            Ok(row) => rows.push(w, &mut sessions, &fields, &cols, row, line_no),
            Err(m) => sink.bad(line_no, m)?,
        }
    }
    Ok(rows.finish(w, &cols))
}
