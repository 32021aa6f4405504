//! ServeGen client files (Alibaba Bailian production, 14 days): per client, one row per 600-second window with
//! its request rate and the fitted inter-arrival distribution (`chunk-N-trace.csv`), and optionally per-window
//! prompt and output length distributions (`chunk-N-dataset.json`, PMFs written as Python dict strings).

use crate::csv_text::{is_blank, Records};
use crate::IoError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One 600-second window of one client.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// Window start, seconds from the trace start.
    pub start_s: f64,
    /// Requests per second.
    pub rate: f64,
    /// Coefficient of variation of the inter-arrival times.
    pub cv: f64,
    /// `Weibull`, `Gamma`, `Exponential`, or empty when the window has no fit.
    pub distribution: String,
    /// The fit's first parameter (shape for Weibull and Gamma).
    pub param1: f64,
    /// The fit's second parameter (scale).
    pub param2: f64,
}

/// A probability mass function over token counts.
pub type Pmf = Vec<(u32, f64)>;

/// One client: its windows and, when the dataset file exists, the length distributions by window start.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    /// The client's name (`chunk-N`).
    pub name: String,
    /// Windows in time order.
    pub windows: Vec<Window>,
    /// Prompt and output length PMFs by window start (seconds).
    pub lengths: BTreeMap<u64, (Pmf, Pmf)>,
}

/// The window length ServeGen uses.
pub const WINDOW_S: f64 = 600.0;

fn invalid(path: &Path, message: String) -> IoError {
    IoError::Invalid {
        path: path.to_path_buf(),
        message,
    }
}

fn read(path: &Path) -> Result<String, IoError> {
    std::fs::read_to_string(path).map_err(|source| IoError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Parses a client's `chunk-N-trace.csv` (no header: window start, rate, CV, distribution, two parameters).
pub fn parse_windows(text: &str, path: &Path) -> Result<Vec<Window>, IoError> {
    let mut out = Vec::new();
    let mut records = Records::new(text);
    while let Some((line, record)) = records.next_record() {
        if is_blank(record) {
            continue;
        }
        let line = line as u64;
        let f: Vec<&str> = record.iter().map(str::trim).collect();
        let num = |k: usize, what: &str| -> Result<f64, IoError> {
            let v = f.get(k).copied().unwrap_or("");
            let x: f64 = v.parse().map_err(|_| IoError::Malformed {
                path: path.to_path_buf(),
                line,
                message: format!("{what} {v:?} is not a number (expected window_start_s, rate_req_per_s, cv, distribution, param1, param2)"),
            })?;
            if !x.is_finite() || x < 0.0 {
                return Err(IoError::Malformed {
                    path: path.to_path_buf(),
                    line,
                    message: format!("{what} {v:?} must be a finite non-negative number"),
                });
            }
            Ok(x)
        };
        if f.len() < 6 {
            return Err(IoError::Malformed {
                path: path.to_path_buf(),
                line,
                message: format!(
                    "{} fields; expected window_start_s, rate_req_per_s, cv, distribution, param1, param2",
                    f.len()
                ),
            });
        }
        out.push(Window {
            start_s: num(0, "window start")?,
            rate: num(1, "rate")?,
            cv: num(2, "cv")?,
            distribution: f[3].to_string(),
            param1: num(4, "param1")?,
            param2: num(5, "param2")?,
        });
    }
    out.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    Ok(out)
}

/// Parses a PMF written as a Python dict string: `{224: 0.0003, 225: 0.0008}`.
fn parse_pmf(s: &str, path: &Path, what: &str) -> Result<Pmf, IoError> {
    let body = s.trim().trim_start_matches('{').trim_end_matches('}');
    let mut out = Vec::new();
    for item in body.split(',').map(str::trim).filter(|x| !x.is_empty()) {
        let (k, v) = item
            .split_once(':')
            .ok_or_else(|| invalid(path, format!("{what}: {item:?} is not TOKENS: PROBABILITY")))?;
        let tokens: u32 = k.trim().parse().map_err(|_| {
            invalid(
                path,
                format!("{what}: token count {k:?} is not a whole number"),
            )
        })?;
        let p: f64 = v
            .trim()
            .parse()
            .map_err(|_| invalid(path, format!("{what}: probability {v:?} is not a number")))?;
        if !(p.is_finite() && p >= 0.0) {
            return Err(invalid(
                path,
                format!("{what}: probability {p} is negative or not finite"),
            ));
        }
        out.push((tokens, p));
    }
    if out.iter().map(|x| x.1).sum::<f64>() <= 0.0 {
        return Err(invalid(
            path,
            format!("{what}: the distribution has no mass"),
        ));
    }
    Ok(out)
}

/// Parses a client's `chunk-N-dataset.json`: `{window_start: {input_tokens: PMF, output_tokens: PMF}}`.
pub fn parse_lengths(text: &str, path: &Path) -> Result<BTreeMap<u64, (Pmf, Pmf)>, IoError> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| invalid(path, format!("not JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| invalid(path, "expected an object keyed by window start".into()))?;
    let mut out = BTreeMap::new();
    for (k, w) in obj {
        let start: u64 = k.parse().map_err(|_| {
            invalid(
                path,
                format!("window key {k:?} is not a whole number of seconds"),
            )
        })?;
        let field = |name: &str| -> Result<Pmf, IoError> {
            let s = w.get(name).and_then(|x| x.as_str()).ok_or_else(|| {
                invalid(
                    path,
                    format!("window {k}: no {name} distribution (a string)"),
                )
            })?;
            parse_pmf(s, path, &format!("window {k} {name}"))
        };
        out.insert(start, (field("input_tokens")?, field("output_tokens")?));
    }
    Ok(out)
}

/// Reads the clients in a ServeGen directory (`chunk-N-trace.csv`, with `chunk-N-dataset.json` when present);
/// `only` keeps the named clients (`chunk-3` or `3`). Clients come in name order.
pub fn read_clients(dir: &Path, only: &[String]) -> Result<Vec<Client>, IoError> {
    let entries = std::fs::read_dir(dir).map_err(|source| IoError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix("-trace.csv"))
                .map(str::to_string)
        })
        .collect();
    names.sort_by_key(|n| {
        (
            n.trim_start_matches("chunk-")
                .parse::<u64>()
                .unwrap_or(u64::MAX),
            n.clone(),
        )
    });
    if !only.is_empty() {
        for want in only {
            let full = if want.starts_with("chunk-") {
                want.clone()
            } else {
                format!("chunk-{want}")
            };
            if !names.contains(&full) {
                return Err(invalid(
                    dir,
                    format!(
                        "no client {want:?} (a file {full}-trace.csv); there are {}",
                        names.len()
                    ),
                ));
            }
        }
        names.retain(|n| {
            only.iter()
                .any(|w| n == w || n.trim_start_matches("chunk-") == w)
        });
    }
    if names.is_empty() {
        return Err(invalid(
            dir,
            "no ServeGen client files (chunk-N-trace.csv) in this directory".into(),
        ));
    }
    let mut out = Vec::new();
    for name in names {
        let trace: PathBuf = dir.join(format!("{name}-trace.csv"));
        let windows = parse_windows(&read(&trace)?, &trace)?;
        let dataset = dir.join(format!("{name}-dataset.json"));
        let lengths = if dataset.exists() {
            parse_lengths(&read(&dataset)?, &dataset)?
        } else {
            BTreeMap::new()
        };
        out.push(Client {
            name,
            windows,
            lengths,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_pmfs_parse_and_bad_rows_are_named() {
        let p = Path::new("chunk-0-trace.csv");
        let w = parse_windows(
            "0,1.33,8.6,Weibull,0.375,0.397\n600,0,0,,0,0\n1200,0.27,6.0,Gamma,0.03,120\n",
            p,
        )
        .unwrap();
        assert_eq!(w.len(), 3);
        assert_eq!(w[0].distribution, "Weibull");
        assert_eq!(w[1].rate, 0.0);
        let e = parse_windows("0,abc,1,,0,0\n", p).unwrap_err().to_string();
        assert!(
            e.contains("chunk-0-trace.csv:1") && e.contains("rate"),
            "{e}"
        );
        let d = parse_lengths(
            r#"{"0": {"input_tokens": "{224: 0.25, 300: 0.75}", "output_tokens": "{10: 1.0}"}}"#,
            Path::new("d.json"),
        )
        .unwrap();
        assert_eq!(d[&0].0, vec![(224, 0.25), (300, 0.75)]);
        let e = parse_lengths(
            r#"{"0": {"input_tokens": "{224: x}", "output_tokens": "{10: 1.0}"}}"#,
            Path::new("d.json"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("d.json") && e.contains("input_tokens"), "{e}");
    }
}
