//! Request logs that observability tools write: LiteLLM spend logs as JSON and OpenTelemetry GenAI spans as
//! OTLP/JSON, read into the same arrivals, with the latencies the log recorded, and `--where` on their keys.

use super::{
    bounded, not_empty, parse_count, parse_datetime_ns, Extremes, LineReader, ReadOptions, Sink,
    TimeUnit, Times, Timing, Where,
};
use crate::IoError;
use infercost_core::{Request, SimTime, Workload};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::Path;

/// A JSON value as the text `--where` compares with: strings as they are, numbers and booleans as written.
pub(super) fn json_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether a record passes every filter; notes the record's keys so that a filter on a key no record has can
/// be refused once the file is read.
pub(super) fn keep<'k>(
    filters: &[Where],
    seen: &mut BTreeSet<String>,
    keys: impl Iterator<Item = &'k String>,
    get: impl Fn(&str) -> Option<String>,
) -> bool {
    if filters.is_empty() {
        return true;
    }
    for k in keys {
        if !seen.contains(k) {
            seen.insert(k.clone());
        }
    }
    filters
        .iter()
        .all(|f| get(&f.column).as_deref() == Some(f.value.as_str()))
}

/// A filter on a key that no record carries is a typo, not an empty selection.
pub(super) fn check_filters_seen(
    filters: &[Where],
    seen: &BTreeSet<String>,
    path: &Path,
) -> Result<(), IoError> {
    match filters.iter().find(|f| !seen.contains(&f.column)) {
        Some(f) => Err(super::unknown_where(path, &f.column, seen.iter())),
        None => Ok(()),
    }
}

/// Requests read so far with their arrival (ns since the epoch), line and recorded latencies.
#[derive(Default)]
struct Rows {
    times: Vec<i64>,
    lines: Vec<u32>,
    extremes: Extremes,
    timing: Vec<Timing>,
}

impl Rows {
    fn push(&mut self, w: &mut Workload, line: u64, t: i128, r: Request, timing: Timing) {
        self.extremes.see(self.times.len(), t);
        self.times
            .push(t.clamp(i64::MIN as i128, i64::MAX as i128) as i64);
        self.lines.push(line.min(u32::MAX as u64) as u32);
        self.timing.push(timing);
        w.requests.push(r);
    }

    fn into_times(self) -> Times {
        let timing = if self
            .timing
            .iter()
            .any(|t| t.ttft_ns.is_some() || t.e2e_ns.is_some())
        {
            self.timing
        } else {
            Vec::new()
        };
        Times {
            rel: self.times,
            lines: self.lines,
            origin: 0,
            unit: TimeUnit::Rfc3339,
            extremes: self.extremes,
            timing,
        }
    }
}

/// A token count from a JSON number or a string holding one (OTLP writes 64-bit ints as strings).
fn count(v: Option<&Value>, key: &str) -> Result<u32, String> {
    match v {
        Some(Value::Number(n)) => match n.as_u64() {
            Some(u) => bounded(u, key),
            None => parse_count(&n.to_string(), key),
        },
        Some(Value::String(s)) => parse_count(s, key),
        Some(other) => Err(format!("{key} {other} is not a number")),
        None => Err(format!("missing key {key:?}")),
    }
}

/// A LiteLLM date-time (`2024-06-01T12:00:00.123Z`, `2024-06-01 12:00:00.123456+00:00`) in ns.
fn datetime(v: Option<&Value>, key: &str) -> Result<i128, String> {
    match v {
        Some(Value::String(s)) => parse_datetime_ns(s.trim())
            .ok_or_else(|| format!("{key} {s:?} is not an ISO 8601 date-time")),
        Some(other) => Err(format!("{key} {other} is not an ISO 8601 date-time")),
        None => Err(format!("missing key {key:?}")),
    }
}

/// One spend-log record: its start, the request and the latencies it recorded.
fn litellm_row(
    m: &Map<String, Value>,
    opts: &ReadOptions,
) -> Result<(i128, Request, Timing), String> {
    let c = &opts.columns;
    let time_key = c.time.as_deref().unwrap_or("startTime");
    let in_key = c.input.as_deref().unwrap_or("prompt_tokens");
    let out_key = c.output.as_deref().unwrap_or("completion_tokens");
    let start = datetime(m.get(time_key), time_key)?;
    let input = count(m.get(in_key), in_key)?;
    let output = count(m.get(out_key), out_key)?;
    not_empty(input, output)?;
    let since = |k: &str| datetime(m.get(k), k).ok().map(|t| t - start);
    Ok((
        start,
        Request::new(SimTime::ZERO, input, output),
        Timing::new(since("completionStartTime"), since("endTime")),
    ))
}

/// LiteLLM spend logs as JSONL (one record a line) or one JSON array (`[` on the first line). Array elements
/// have no line of their own: a bad one is named by its place in the array, at the array's first line.
pub(super) fn read_litellm_json<R: std::io::BufRead>(
    lines: &mut LineReader<'_, R>,
    first: &str,
    opts: &ReadOptions,
    w: &mut Workload,
    sink: &mut Sink,
    filtered_out: &mut u64,
) -> Result<Option<Times>, IoError> {
    w.has_timestamps = true;
    let mut rows = Rows::default();
    let mut seen = BTreeSet::new();
    let mut take = |m: &Map<String, Value>,
                    line: u64,
                    what: &str,
                    rows: &mut Rows,
                    w: &mut Workload,
                    sink: &mut Sink|
     -> Result<(), IoError> {
        if !keep(&opts.filters, &mut seen, m.keys(), |k| {
            m.get(k).and_then(json_text)
        }) {
            *filtered_out += 1;
            return Ok(());
        }
        match litellm_row(m, opts) {
            Ok((t, r, timing)) => rows.push(w, line, t, r, timing),
            Err(e) => sink.bad(line, format!("{what}{e}"))?,
        }
        Ok(())
    };
    if first.starts_with('[') {
        let mut text = Vec::new();
        let (mut start, mut last) = (0, 0);
        while let Some((n, l)) = lines.next_line()? {
            if start == 0 {
                start = n;
            }
            last = n;
            text.extend_from_slice(l);
            text.push(b'\n');
        }
        let records: Vec<Value> =
            serde_json::from_slice(&text).map_err(|e| IoError::Malformed {
                path: sink.path.to_path_buf(),
                // An array cut short ends past its last line; name that line.
                line: (start + (e.line() as u64).max(1) - 1).min(last),
                message: format!("not a JSON array of spend-log records: {e}"),
            })?;
        for (i, v) in records.iter().enumerate() {
            let what = format!("array element {}: ", i + 1);
            match v {
                Value::Object(m) => take(m, start, &what, &mut rows, w, sink)?,
                _ => sink.bad(start, format!("{what}not a JSON object"))?,
            }
        }
    } else {
        while let Some((n, raw)) = lines.next_line()? {
            if raw.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Map<String, Value>>(raw) {
                Ok(m) => take(&m, n, "", &mut rows, w, sink)?,
                Err(e) => sink.bad(n, format!("not a JSON object: {e}"))?,
            }
        }
    }
    check_filters_seen(&opts.filters, &seen, sink.path)?;
    Ok(Some(rows.into_times()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExportRequest {
    #[serde(default)]
    resource_spans: Vec<ResourceSpans>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSpans {
    #[serde(default)]
    resource: Option<Resource>,
    #[serde(default)]
    scope_spans: Vec<ScopeSpans>,
}

#[derive(Deserialize)]
struct Resource {
    #[serde(default)]
    attributes: Vec<KeyValue>,
}

#[derive(Deserialize)]
struct ScopeSpans {
    #[serde(default)]
    spans: Vec<Span>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Span {
    #[serde(default)]
    start_time_unix_nano: Option<Value>,
    #[serde(default)]
    end_time_unix_nano: Option<Value>,
    #[serde(default)]
    attributes: Vec<KeyValue>,
}

#[derive(Deserialize)]
struct KeyValue {
    key: String,
    #[serde(default)]
    value: Value,
}

/// An OTLP `AnyValue` (`{"stringValue": …}`, `{"intValue": "42"}`, …) as text.
fn any_value(v: &Value) -> Option<String> {
    let Value::Object(m) = v else { return None };
    ["stringValue", "intValue", "doubleValue", "boolValue"]
        .iter()
        .find_map(|k| m.get(*k).and_then(json_text))
}

fn unix_nano(v: Option<&Value>, key: &str) -> Result<i128, String> {
    let text = match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => return Err(format!("{key} {other} is not a number")),
        None => return Err(format!("missing {key}")),
    };
    text.trim()
        .parse::<u64>()
        .map(i128::from)
        .map_err(|_| format!("{key} {text:?} is not a whole number of nanoseconds"))
}

const INPUT_KEYS: [&str; 2] = ["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"];
const OUTPUT_KEYS: [&str; 2] = [
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
];

/// OpenTelemetry spans as the collector's file exporter writes them. Each span with GenAI token usage is a
/// request arriving at its start; its end − start is its observed end-to-end latency. Other spans (HTTP, DB,
/// the agent's own steps) are not requests: they are counted and said, never a malformed row.
pub(super) fn read_otlp<R: std::io::BufRead>(
    lines: &mut LineReader<'_, R>,
    opts: &ReadOptions,
    w: &mut Workload,
    sink: &mut Sink,
    filtered_out: &mut u64,
    warnings: &mut Vec<String>,
) -> Result<Option<Times>, IoError> {
    w.has_timestamps = true;
    let mut rows = Rows::default();
    let mut seen = BTreeSet::new();
    let (mut no_usage, mut first_no_usage) = (0u64, 0u64);
    while let Some((n, raw)) = lines.next_line()? {
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let export = match serde_json::from_slice::<ExportRequest>(raw) {
            Ok(e) => e,
            Err(e) => {
                sink.bad(
                    n,
                    format!("not an OTLP/JSON ExportTraceServiceRequest: {e}"),
                )?;
                continue;
            }
        };
        for rs in &export.resource_spans {
            let resource: &[KeyValue] = rs.resource.as_ref().map_or(&[], |r| &r.attributes);
            for span in rs.scope_spans.iter().flat_map(|s| &s.spans) {
                let attr = |k: &str| {
                    span.attributes
                        .iter()
                        .chain(resource)
                        .find(|a| a.key == k)
                        .and_then(|a| any_value(&a.value))
                };
                let find = |keys: [&'static str; 2]| {
                    keys.into_iter().find_map(|k| attr(k).map(|v| (k, v)))
                };
                let (input, output) = (find(INPUT_KEYS), find(OUTPUT_KEYS));
                if input.is_none() && output.is_none() {
                    no_usage += 1;
                    if first_no_usage == 0 {
                        first_no_usage = n;
                    }
                    continue;
                }
                let keys = span.attributes.iter().chain(resource).map(|a| &a.key);
                if !keep(&opts.filters, &mut seen, keys, attr) {
                    *filtered_out += 1;
                    continue;
                }
                let row = (|| -> Result<(i128, Request, Timing), String> {
                    let (ik, iv) =
                        input.ok_or("no gen_ai.usage.input_tokens beside the output tokens")?;
                    let (ok, ov) =
                        output.ok_or("no gen_ai.usage.output_tokens beside the input tokens")?;
                    let i = parse_count(&iv, ik)?;
                    let o = parse_count(&ov, ok)?;
                    not_empty(i, o)?;
                    let start = unix_nano(span.start_time_unix_nano.as_ref(), "startTimeUnixNano")?;
                    let e2e = unix_nano(span.end_time_unix_nano.as_ref(), "endTimeUnixNano")
                        .ok()
                        .filter(|&e| e > 0)
                        .map(|e| e - start);
                    Ok((
                        start,
                        Request::new(SimTime::ZERO, i, o),
                        Timing::new(None, e2e),
                    ))
                })();
                match row {
                    Ok((t, r, timing)) => rows.push(w, n, t, r, timing),
                    Err(e) => sink.bad(n, format!("span: {e}"))?,
                }
            }
        }
    }
    if no_usage > 0 {
        warnings.push(format!(
            "{}: skipped {} spans without GenAI token usage (gen_ai.usage.input_tokens/output_tokens), the \
             first at line {first_no_usage}",
            sink.path.display(),
            infercost_core::fmt::count(no_usage)
        ));
    }
    check_filters_seen(&opts.filters, &seen, sink.path)?;
    Ok(Some(rows.into_times()))
}
