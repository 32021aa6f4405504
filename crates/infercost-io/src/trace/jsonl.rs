//! The JSONL reader: Mooncake-style rows and generic objects mapped with `--col-*`.

use super::checks::{bounded, not_empty, parse_count, Extremes, Times};
use super::csv::Interner;
use super::lines::{LineReader, Sink};
use super::time::time_ns;
use super::{logs, ColumnMap, Format, ReadOptions, TimeUnit};
use crate::IoError;
use infercost_core::{Request, SimTime, Workload, NO_SESSION};
use serde::Deserialize;

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

/// The keys a generic JSONL row is read by: the `--col-*` names or Mooncake's.
struct Keys {
    time: String,
    input: String,
    output: String,
    region: String,
    session: String,
}

impl Keys {
    fn new(c: &ColumnMap) -> Keys {
        let pick = |given: &Option<String>, default: &str| {
            given.clone().unwrap_or_else(|| default.to_string())
        };
        Keys {
            time: pick(&c.time, "timestamp"),
            input: pick(&c.input, "input_length"),
            output: pick(&c.output, "output_length"),
            region: pick(&c.region, "region"),
            session: pick(&c.session, "session_id"),
        }
    }
}

/// A Mooncake row, deserialised into a borrowed struct: the fast path.
fn mooncake_row(raw: &[u8], unit: TimeUnit) -> Result<JsonRow, String> {
    let row = serde_json::from_slice::<MooncakeRow>(raw)
        .map_err(|e| format!("not a JSON request object: {e}"))?;
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
}

/// A generic object's row, by the mapped keys.
fn generic_row(
    m: &serde_json::Map<String, serde_json::Value>,
    keys: &Keys,
    unit: TimeUnit,
) -> Result<JsonRow, String> {
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
        match m.get(&keys.time) {
            Some(serde_json::Value::String(s)) => time_ns(s, unit)?,
            _ => return Err(format!("missing date-time key {:?}", keys.time)),
        }
    } else {
        number_time(Some(&num(&keys.time)?), &keys.time, unit)?
    };
    let input = number_count(Some(&num(&keys.input)?), &keys.input)?;
    let output = number_count(Some(&num(&keys.output)?), &keys.output)?;
    not_empty(input, output)?;
    let hash_ids = match m.get("hash_ids") {
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_u64()).collect(),
        _ => Vec::new(),
    };
    let region = m
        .get(&keys.region)
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let session = m.get(&keys.session).and_then(session_key);
    Ok((
        t,
        Request::new(SimTime::ZERO, input, output),
        hash_ids,
        region,
        session,
    ))
}

/// Reads JSONL: Mooncake rows by the fast path unless `--col-*`, `--where` or `--format jsonl` ask for mapped
/// keys.
pub(super) fn read_jsonl<R: std::io::BufRead>(
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
    let keys = Keys::new(c);
    let mut sessions = Interner::default();
    // Nanoseconds since the epoch fit an i64 until 2262; 8 bytes a row instead of 16.
    let mut times: Vec<i64> = Vec::new();
    let mut row_lines: Vec<u32> = Vec::new();
    let mut extremes = Extremes::default();
    while let Some((line_no, raw)) = lines.next_line()? {
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed = if !generic {
            mooncake_row(raw, unit)
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
                Ok(m) => generic_row(&m, &keys, unit),
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
