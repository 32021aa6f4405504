//! Row and trace validation: token counts within bounds, arrival spans a pilot log can have, outlier rows.

use super::lines::Sink;
use super::time::{duration, show_time, unit_name};
use super::{ObservedTiming, TimeUnit};
use crate::IoError;
use infercost_core::{SimTime, Workload, MAX_TOKENS_PER_REQUEST};
use std::path::Path;

/// A token count past [`MAX_TOKENS_PER_REQUEST`] is a unit or export error, not a request.
pub(super) fn bounded(v: u64, what: &str) -> Result<u32, String> {
    if v > MAX_TOKENS_PER_REQUEST as u64 {
        return Err(format!(
            "{what} {v} is above {} tokens, more than any request can carry",
            infercost_core::fmt::count(MAX_TOKENS_PER_REQUEST as u64)
        ));
    }
    Ok(v as u32)
}

pub(super) fn parse_count(s: &str, what: &str) -> Result<u32, String> {
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

/// A row with neither prompt nor output tokens asks for nothing; it is an export artefact, not a request.
pub(super) fn not_empty(input: u32, output: u32) -> Result<(), String> {
    if input == 0 && output == 0 {
        return Err("prompt and output are both 0 tokens: not a request".into());
    }
    Ok(())
}

/// Arrival times as read, one per request in file order: nanoseconds relative to `origin` (saturated into an
/// i64), with each row's line number for messages.
pub(super) struct Times {
    pub(super) rel: Vec<i64>,
    pub(super) lines: Vec<u32>,
    pub(super) origin: i128,
    pub(super) unit: TimeUnit,
    /// The exact earliest and latest times (index, ns), which `rel` may hold saturated.
    pub(super) extremes: Extremes,
    /// Each request's own latencies when the log records them (empty otherwise, to spare the memory).
    pub(super) timing: Vec<Timing>,
}

/// One request's latencies as its log recorded them, nanoseconds from its start.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Timing {
    pub(super) ttft_ns: Option<i128>,
    pub(super) e2e_ns: Option<i128>,
}

impl Timing {
    /// A negative latency (a clock skew, a first-token time before the start) is not a measurement: left out.
    /// So is a first-token time equal to the end: LiteLLM writes `completionStartTime = endTime` for a response
    /// that was not streamed, where the time to the first token was never seen.
    pub(super) fn new(ttft_ns: Option<i128>, e2e_ns: Option<i128>) -> Timing {
        Timing {
            ttft_ns: ttft_ns.filter(|&t| t >= 0 && Some(t) != e2e_ns),
            e2e_ns: e2e_ns.filter(|&t| t >= 0),
        }
    }
}

/// The earliest and latest exact times seen, to name an outlier by its value as written.
#[derive(Default)]
pub(super) struct Extremes {
    min: Option<(usize, i128)>,
    max: Option<(usize, i128)>,
}

impl Extremes {
    pub(super) fn see(&mut self, index: usize, ns: i128) {
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
    pub(super) fn observed(&self) -> Option<ObservedTiming> {
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

/// Checks the arrival times and gives each request its arrival relative to the first. A lone row far from all
/// the others (a placeholder 0 among epoch times, a far-future date) is skipped like any malformed row, named
/// with its line; any other implausible span is an error that suggests `--time-unit`.
pub(super) fn place_arrivals(
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
