//! Where values go on a chart: round-number ticks, linear and log axes, the plot's frame inside its margins,
//! and the labels of ticks and values in the chart's unit.

use super::{esc, text_width, FONT, W};
use infercost_core::fmt;

/// Round tick positions covering `[lo, hi]`: steps of 1, 2, 2.5 or 5 × 10^k, giving at most `max_intervals`
/// intervals. The first and last ticks enclose the range, so an axis can start and end on them.
fn nice_ticks(lo: f64, hi: f64, max_intervals: usize) -> Vec<f64> {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo.min(hi), lo.max(hi))
    } else {
        (0.0, 1.0)
    };
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    let raw = span / max_intervals.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag);
    let first = (lo / step + 1e-9).floor();
    let mut last = (hi / step - 1e-9).ceil();
    if last <= first {
        last = first + 1.0;
    }
    (0..=(last - first) as i64)
        .map(|i| {
            let v = (first + i as f64) * step;
            // Rounded to the step's precision so 0.1 + 0.2 reads 0.3; `+ 0.0` turns -0 into 0.
            let digits = (-step.log10().floor()).max(0.0) as i32 + 1;
            let p = 10f64.powi(digits);
            (v * p).round() / p + 0.0
        })
        .collect()
}

/// What a chart's values measure, for tick and tooltip labels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Unit {
    /// Dollars (a month): `$250k`, `$1.5M`.
    Usd,
    /// Milliseconds: `1,500`.
    Ms,
    /// A plain quantity: `250`, `1.5k`.
    Plain,
    /// A percentage already multiplied by 100: `25%`.
    Percent,
}

/// `v` shortened with k/M/B and only the decimals it needs: 250000 → `250k`, 1250000 → `1.25M`.
fn compact(v: f64) -> String {
    let a = v.abs();
    let (scale, suffix) = if a >= 1e9 {
        (1e9, "B")
    } else if a >= 1e6 {
        (1e6, "M")
    } else if a >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    let x = v / scale;
    let d = (0..3)
        .find(|d| {
            let p = 10f64.powi(*d);
            ((x * p).round() - x * p).abs() < 1e-6 * p.max(1.0)
        })
        .unwrap_or(3) as usize;
    if scale == 1.0 && d == 0 {
        fmt::int(x)
    } else {
        format!("{x:.d$}{suffix}")
    }
}

/// A tick label.
pub(super) fn tick_label(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Usd if v < 0.0 => format!("-${}", compact(-v)),
        Unit::Usd => format!("${}", compact(v)),
        Unit::Ms | Unit::Plain => compact(v),
        Unit::Percent => format!("{}%", compact(v)),
    }
}

/// A value in a tooltip: exact to the report's own rules.
pub(super) fn value_label(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Usd => fmt::usd(v),
        Unit::Ms => fmt::ms(v),
        Unit::Plain if v.abs() >= 100.0 => fmt::int(v),
        Unit::Plain => format!("{v:.1}"),
        Unit::Percent => format!("{v:.0}%"),
    }
}

/// An axis: its range, whether it is logarithmic, and its ticks.
pub(super) struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
    pub(super) ticks: Vec<f64>,
}

impl Axis {
    /// An axis over the values; linear axes include zero when `zero` and start and end on nice ticks, log
    /// axes on whole decades.
    pub(super) fn new(values: impl Iterator<Item = f64>, log: bool, zero: bool) -> Axis {
        let (mut lo, mut hi) = (f64::MAX, f64::MIN);
        for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if lo > hi {
            (lo, hi) = if log { (1.0, 10.0) } else { (0.0, 1.0) };
        }
        if log {
            let a = lo.log10().floor() as i32;
            let b = (hi.log10().ceil() as i32).max(a + 1);
            let ticks = (a..=b).map(|e| 10f64.powi(e)).collect();
            Axis {
                lo: 10f64.powi(a),
                hi: 10f64.powi(b),
                log,
                ticks,
            }
        } else {
            if zero {
                lo = lo.min(0.0);
                hi = hi.max(0.0);
            }
            let ticks = nice_ticks(lo, hi, 5);
            Axis {
                lo: ticks[0],
                hi: ticks[ticks.len() - 1],
                log,
                ticks,
            }
        }
    }
    /// Where a value lies along the axis, 0 at its start and 1 at its end.
    pub(super) fn frac(&self, v: f64) -> f64 {
        if self.log {
            (v.max(self.lo).log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }
}

/// Margins of a chart; the plot is what is left of the canvas.
pub(super) struct Frame {
    pub(super) h: f64,
    pub(super) left: f64,
    pub(super) right: f64,
    pub(super) top: f64,
    pub(super) bottom: f64,
}

impl Frame {
    /// The plot's width.
    pub(super) fn pw(&self) -> f64 {
        W - self.left - self.right
    }
    /// The plot's height.
    pub(super) fn ph(&self) -> f64 {
        self.h - self.top - self.bottom
    }
    /// The x pixel of a value.
    pub(super) fn x(&self, a: &Axis, v: f64) -> f64 {
        self.left + self.pw() * a.frac(v)
    }
    /// The y pixel of a value.
    pub(super) fn y(&self, a: &Axis, v: f64) -> f64 {
        self.top + self.ph() * (1.0 - a.frac(v))
    }
}

/// Horizontal grid lines, y tick labels and the y axis label.
pub(super) fn y_axis(f: &Frame, y: &Axis, unit: Unit, label: &str) -> String {
    let mut s =
        format!("<g class=\"axes\" font-family=\"sans-serif\" font-size=\"{FONT}\" fill=\"#222\">");
    for &t in &y.ticks {
        let py = f.y(y, t);
        s.push_str(&format!(
            "<line x1=\"{}\" y1=\"{py:.1}\" x2=\"{:.1}\" y2=\"{py:.1}\" stroke=\"#ddd\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            f.left,
            f.left + f.pw(),
            f.left - 6.0,
            py + 4.0,
            esc(&tick_label(t, unit))
        ));
    }
    s.push_str(&format!(
        "<line x1=\"{l}\" y1=\"{}\" x2=\"{l}\" y2=\"{:.1}\" stroke=\"#444\"/><text transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text></g>",
        f.top,
        f.top + f.ph(),
        f.top + f.ph() / 2.0,
        esc(label),
        l = f.left
    ));
    s
}

/// The width the y tick labels need, plus room for the rotated axis label.
pub(super) fn y_margin(y: &Axis, unit: Unit) -> f64 {
    y.ticks
        .iter()
        .map(|t| text_width(&tick_label(*t, unit), FONT))
        .fold(0.0, f64::max)
        + 34.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers_that_cover_the_range() {
        // The bill chart's old axis read 464k, 371k, 278k: a fifth of the maximum.
        assert_eq!(
            nice_ticks(0.0, 441_600.0, 5),
            [0.0, 100e3, 200e3, 300e3, 400e3, 500e3]
        );
        assert_eq!(nice_ticks(0.0, 1.0, 5), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(nice_ticks(0.0, 100.0, 4), [0.0, 25.0, 50.0, 75.0, 100.0]);
        assert_eq!(nice_ticks(0.0, 23.0, 5), [0.0, 5.0, 10.0, 15.0, 20.0, 25.0]);
        assert_eq!(
            nice_ticks(-30.0, 70.0, 5),
            [-40.0, -20.0, 0.0, 20.0, 40.0, 60.0, 80.0]
        );
        assert_eq!(nice_ticks(5.0, 5.0, 5), [5.0, 6.0]);
        for (lo, hi) in [(0.0, 6.36e6), (0.0, 2000.0), (1.0, 6.0), (0.0, 0.013)] {
            let t = nice_ticks(lo, hi, 5);
            assert!(t[0] <= lo && *t.last().unwrap() >= hi, "{t:?}");
            assert!(t.len() <= 7, "{t:?}");
            let step = t[1] - t[0];
            let mantissa = step / 10f64.powf(step.log10().floor());
            assert!(
                [1.0, 2.0, 2.5, 5.0]
                    .iter()
                    .any(|m| (m - mantissa).abs() < 1e-9),
                "{t:?}"
            );
        }
    }

    #[test]
    fn tick_labels_are_short_and_exact() {
        assert_eq!(tick_label(250_000.0, Unit::Usd), "$250k");
        assert_eq!(tick_label(1_250_000.0, Unit::Usd), "$1.25M");
        assert_eq!(tick_label(1_000_000.0, Unit::Usd), "$1M");
        assert_eq!(tick_label(0.0, Unit::Usd), "$0");
        assert_eq!(tick_label(2000.0, Unit::Ms), "2,000");
        assert_eq!(tick_label(0.4, Unit::Plain), "0.4");
        assert_eq!(tick_label(75.0, Unit::Percent), "75%");
    }
}
