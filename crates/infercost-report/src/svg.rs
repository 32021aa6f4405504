//! A small SVG chart writer: line charts (linear or log), horizontal stacked bars and grouped bars. Charts are
//! plain inline `<svg>` with a visible title and axis labels, drawn in the Okabe–Ito colour-blind-safe palette
//! with dash patterns and markers as a second cue, on round-number ticks.

use infercost_core::fmt;

/// Okabe–Ito colours, black left out: it is kept for the line a chart is about (the cheapest envelope).
pub(crate) const PALETTE: [&str; 7] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442",
];
/// Okabe–Ito black.
pub(crate) const BLACK: &str = "#000000";
const DASHES: [&str; 4] = ["", "7 4", "2 3", "9 3 2 3"];
const MARKERS: [Marker; 4] = [
    Marker::Circle,
    Marker::Square,
    Marker::Triangle,
    Marker::Diamond,
];

const W: f64 = 760.0;
const FONT: f64 = 11.0;
const TITLE_H: f64 = 30.0;

/// Escapes text for XML.
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The width of a line of sans-serif text in pixels, from per-character widths a little wider than
/// Helvetica/Arial/DejaVu Sans, so a margin set from it is never too narrow.
pub(crate) fn text_width(s: &str, size: f64) -> f64 {
    let em: f64 = s
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | ' ' => 0.3,
            'f' | 't' | 'r' | '(' | ')' | '[' | ']' | '-' => 0.38,
            'm' | 'w' | 'M' | 'W' | '@' | '%' => 0.9,
            'A'..='Z' => 0.7,
            '0'..='9' | '$' => 0.58,
            c if c.is_ascii() => 0.56,
            _ => 0.62,
        })
        .sum();
    em * size
}

/// Round tick positions covering `[lo, hi]`: steps of 1, 2, 2.5 or 5 × 10^k, giving at most `max_intervals`
/// intervals. The first and last ticks enclose the range, so an axis can start and end on them.
pub(crate) fn nice_ticks(lo: f64, hi: f64, max_intervals: usize) -> Vec<f64> {
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
fn tick_label(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Usd if v < 0.0 => format!("-${}", compact(-v)),
        Unit::Usd => format!("${}", compact(v)),
        Unit::Ms | Unit::Plain => compact(v),
        Unit::Percent => format!("{}%", compact(v)),
    }
}

/// A value in a tooltip: exact to the report's own rules.
fn value_label(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Usd => fmt::usd(v),
        Unit::Ms => fmt::ms(v),
        Unit::Plain if v.abs() >= 100.0 => fmt::int(v),
        Unit::Plain => format!("{v:.1}"),
        Unit::Percent => format!("{v:.0}%"),
    }
}

struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
    ticks: Vec<f64>,
}

impl Axis {
    /// An axis over the values; linear axes include zero when `zero` and start and end on nice ticks, log
    /// axes on whole decades.
    fn new(values: impl Iterator<Item = f64>, log: bool, zero: bool) -> Axis {
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
    fn frac(&self, v: f64) -> f64 {
        if self.log {
            (v.max(self.lo).log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }
}

/// Margins of a chart; the plot is what is left of the canvas.
struct Frame {
    h: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Frame {
    fn pw(&self) -> f64 {
        W - self.left - self.right
    }
    fn ph(&self) -> f64 {
        self.h - self.top - self.bottom
    }
    fn x(&self, a: &Axis, v: f64) -> f64 {
        self.left + self.pw() * a.frac(v)
    }
    fn y(&self, a: &Axis, v: f64) -> f64 {
        self.top + self.ph() * (1.0 - a.frac(v))
    }
}

fn svg(id: &str, title: &str, h: f64, body: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"{id}\" viewBox=\"0 0 {W} {h}\" role=\"img\" aria-labelledby=\"{id}-title\"><title id=\"{id}-title\">{t}</title><rect x=\"0\" y=\"0\" width=\"{W}\" height=\"{h}\" fill=\"#fff\"/><text x=\"10\" y=\"20\" font-family=\"sans-serif\" font-size=\"13\" font-weight=\"bold\" fill=\"#111\">{t}</text>{body}</svg>",
        t = esc(title)
    )
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    colour: &'static str,
    dash: &'static str,
    marker: Marker,
    width: f64,
    opacity: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
}

impl Style {
    /// The i-th style: colour, dash pattern and marker all change, so neighbours differ in more than hue.
    pub(crate) fn nth(i: usize) -> Style {
        Style {
            colour: PALETTE[i % PALETTE.len()],
            dash: DASHES[i % DASHES.len()],
            marker: MARKERS[i % MARKERS.len()],
            width: 2.0,
            opacity: 1.0,
        }
    }
    /// The line the chart is about: a broad translucent black band under the other lines, so a plan that
    /// lies on it shows through.
    pub(crate) fn band() -> Style {
        Style {
            colour: BLACK,
            dash: "",
            marker: Marker::Circle,
            width: 9.0,
            opacity: 0.28,
        }
    }
}

fn marker(m: Marker, x: f64, y: f64, r: f64, colour: &str) -> String {
    match m {
        Marker::Circle => {
            format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\" fill=\"{colour}\"/>")
        }
        Marker::Square => format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\"/>",
            x - r,
            y - r,
            2.0 * r,
            2.0 * r
        ),
        Marker::Triangle => format!(
            "<polygon points=\"{x:.1},{:.1} {:.1},{:.1} {:.1},{:.1}\" fill=\"{colour}\"/>",
            y - 1.2 * r,
            x - 1.1 * r,
            y + 0.9 * r,
            x + 1.1 * r,
            y + 0.9 * r
        ),
        Marker::Diamond => format!(
            "<polygon points=\"{x:.1},{:.1} {:.1},{y:.1} {x:.1},{:.1} {:.1},{y:.1}\" fill=\"{colour}\"/>",
            y - 1.3 * r,
            x + 1.3 * r,
            y + 1.3 * r,
            x - 1.3 * r
        ),
    }
}

/// A legend entry: a line sample with its marker, or a swatch.
enum Key {
    Line(Style),
    Swatch(&'static str),
    Faint(&'static str),
}

fn legend_width(names: &[String]) -> f64 {
    names
        .iter()
        .map(|n| text_width(n, FONT))
        .fold(0.0, f64::max)
        + 40.0
}

fn legend(entries: &[(String, Key)], x: f64, y0: f64) -> String {
    let mut s = format!(
        "<g class=\"legend\" font-family=\"sans-serif\" font-size=\"{FONT}\" fill=\"#222\">"
    );
    for (i, (name, key)) in entries.iter().enumerate() {
        let y = y0 + 6.0 + i as f64 * 18.0;
        match key {
            Key::Line(st) => {
                s.push_str(&format!(
                    "<line x1=\"{x}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{}\" stroke-width=\"{}\" stroke-opacity=\"{}\" stroke-dasharray=\"{}\"/>",
                    x + 26.0,
                    st.colour,
                    st.width,
                    st.opacity,
                    st.dash
                ));
                if st.opacity >= 1.0 {
                    s.push_str(&marker(st.marker, x + 13.0, y, 3.5, st.colour));
                }
            }
            Key::Swatch(c) | Key::Faint(c) => s.push_str(&format!(
                "<rect x=\"{x}\" y=\"{}\" width=\"16\" height=\"11\" fill=\"{c}\" fill-opacity=\"{}\"/>",
                y - 6.0,
                if matches!(key, Key::Faint(_)) { 0.3 } else { 1.0 }
            )),
        }
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\">{}</text>",
            x + if matches!(key, Key::Line(_)) {
                32.0
            } else {
                22.0
            },
            y + 4.0,
            esc(name)
        ));
    }
    s.push_str("</g>");
    s
}

/// Horizontal grid lines, y tick labels and the y axis label.
fn y_axis(f: &Frame, y: &Axis, unit: Unit, label: &str) -> String {
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
fn y_margin(y: &Axis, unit: Unit) -> f64 {
    y.ticks
        .iter()
        .map(|t| text_width(&tick_label(*t, unit), FONT))
        .fold(0.0, f64::max)
        + 34.0
}

/// One series of a line chart.
pub(crate) struct Series {
    /// Legend name.
    pub(crate) name: String,
    /// (x, y) points.
    pub(crate) points: Vec<(f64, f64)>,
    /// How it is drawn.
    pub(crate) style: Style,
}

/// A line chart.
pub(crate) struct Lines<'a> {
    pub(crate) id: &'a str,
    pub(crate) title: &'a str,
    pub(crate) series: &'a [Series],
    pub(crate) log_x: bool,
    pub(crate) log_y: bool,
    /// Labelled vertical lines at x values.
    pub(crate) marks: &'a [(f64, String)],
    pub(crate) x_label: &'a str,
    pub(crate) x_unit: Unit,
    pub(crate) y_label: &'a str,
    pub(crate) y_unit: Unit,
}

impl Lines<'_> {
    pub(crate) fn render(&self) -> String {
        let x = Axis::new(
            self.series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.0)),
            self.log_x,
            false,
        );
        let y = Axis::new(
            self.series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.1)),
            self.log_y,
            !self.log_y,
        );
        let names: Vec<String> = self.series.iter().map(|s| s.name.clone()).collect();
        let h = 380f64.max(TITLE_H + 40.0 + 18.0 * names.len() as f64);
        let f = Frame {
            h,
            left: y_margin(&y, self.y_unit),
            right: legend_width(&names) + 16.0,
            top: TITLE_H + 10.0,
            bottom: 48.0,
        };
        let mut body = y_axis(&f, &y, self.y_unit, self.y_label);
        body.push_str(&format!(
            "<g class=\"axes\" font-family=\"sans-serif\" font-size=\"{FONT}\" fill=\"#222\"><line x1=\"{}\" y1=\"{b:.1}\" x2=\"{:.1}\" y2=\"{b:.1}\" stroke=\"#444\"/>",
            f.left,
            f.left + f.pw(),
            b = f.top + f.ph()
        ));
        for &t in &x.ticks {
            let px = f.x(&x, t);
            body.push_str(&format!(
                "<line x1=\"{px:.1}\" y1=\"{:.1}\" x2=\"{px:.1}\" y2=\"{:.1}\" stroke=\"#444\"/><text x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                f.top + f.ph(),
                f.top + f.ph() + 4.0,
                f.top + f.ph() + 17.0,
                esc(&tick_label(t, self.x_unit))
            ));
        }
        body.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text></g>",
            f.left + f.pw() / 2.0,
            h - 10.0,
            esc(self.x_label)
        ));
        for (k, (mx, label)) in self.marks.iter().enumerate() {
            let px = f.x(&x, *mx);
            // A label that would run into the legend is written leftwards of its line.
            let leftwards = px + 3.0 + text_width(label, 10.0) > f.left + f.pw();
            body.push_str(&format!(
                "<g class=\"mark\"><line x1=\"{px:.1}\" y1=\"{}\" x2=\"{px:.1}\" y2=\"{:.1}\" stroke=\"#999\" stroke-dasharray=\"3 3\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{}\" font-family=\"sans-serif\" font-size=\"10\" fill=\"#555\">{}</text></g>",
                f.top,
                f.top + f.ph(),
                if leftwards { px - 3.0 } else { px + 3.0 },
                f.top + 10.0 + 11.0 * (k % 6) as f64,
                if leftwards { "end" } else { "start" },
                esc(label)
            ));
        }
        // Drawn in order: a band (the first series, when there is one) lies under the lines drawn after it.
        for s in self.series {
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .map(|(a, b)| (f.x(&x, *a), f.y(&y, *b)))
                .collect();
            let path: Vec<String> = pts.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
            body.push_str(&format!(
                "<g class=\"series\" data-name=\"{}\"><polyline fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" stroke-opacity=\"{}\" stroke-linejoin=\"round\" stroke-linecap=\"round\" stroke-dasharray=\"{}\" points=\"{}\"/>",
                esc(&s.name),
                s.style.colour,
                s.style.width,
                s.style.opacity,
                s.style.dash,
                path.join(" ")
            ));
            for ((px, py), (vx, vy)) in pts.iter().zip(&s.points) {
                let m = if s.style.opacity < 1.0 {
                    String::new()
                } else {
                    marker(s.style.marker, *px, *py, 3.5, s.style.colour)
                };
                body.push_str(&format!(
                    "<g>{m}<title>{}: {} at {}</title></g>",
                    esc(&s.name),
                    esc(&value_label(*vy, self.y_unit)),
                    esc(&value_label(*vx, self.x_unit))
                ));
            }
            body.push_str("</g>");
        }
        let entries: Vec<(String, Key)> = self
            .series
            .iter()
            .map(|s| (s.name.clone(), Key::Line(s.style)))
            .collect();
        body.push_str(&legend(&entries, W - f.right + 14.0, f.top));
        svg(self.id, self.title, h, &body)
    }
}

/// Horizontal stacked bars: one bar per category (its label at the left, the margin sized to the longest),
/// one layer per component; positive parts stack right of zero, negative ones left of it.
pub(crate) struct StackedBars<'a> {
    pub(crate) id: &'a str,
    pub(crate) title: &'a str,
    pub(crate) categories: &'a [String],
    /// (name, one value per category).
    pub(crate) layers: &'a [(String, Vec<f64>)],
    /// Text written at the end of each bar (its total, say).
    pub(crate) ends: &'a [String],
    pub(crate) x_label: &'a str,
    pub(crate) unit: Unit,
    /// A fixed axis range, such as 0–100 for shares.
    pub(crate) range: Option<(f64, f64)>,
}

impl StackedBars<'_> {
    pub(crate) fn render(&self) -> String {
        let n = self.categories.len();
        let get = |l: &(String, Vec<f64>), i: usize| {
            l.1.get(i).copied().filter(|v| v.is_finite()).unwrap_or(0.0)
        };
        let pos: Vec<f64> = (0..n)
            .map(|i| self.layers.iter().map(|l| get(l, i).max(0.0)).sum())
            .collect();
        let neg: Vec<f64> = (0..n)
            .map(|i| self.layers.iter().map(|l| get(l, i).min(0.0)).sum())
            .collect();
        let x = match self.range {
            Some((a, b)) => Axis::new(
                [a, b].into_iter().chain(pos.iter().chain(&neg).copied()),
                false,
                true,
            ),
            None => Axis::new(pos.iter().chain(&neg).copied(), false, true),
        };
        let names: Vec<String> = self.layers.iter().map(|l| l.0.clone()).collect();
        let label_w = self
            .categories
            .iter()
            .map(|c| text_width(c, FONT))
            .fold(0.0, f64::max);
        let end_w = self
            .ends
            .iter()
            .map(|c| text_width(c, FONT))
            .fold(0.0, f64::max);
        let row = 26.0;
        let h = (TITLE_H + 12.0 + row * n as f64 + 50.0)
            .max(TITLE_H + 30.0 + 18.0 * names.len() as f64);
        let f = Frame {
            h,
            left: label_w + 16.0,
            right: legend_width(&names) + end_w + 24.0,
            top: TITLE_H + 12.0,
            bottom: 50.0,
        };
        let mut body = format!(
            "<g class=\"axes\" font-family=\"sans-serif\" font-size=\"{FONT}\" fill=\"#222\">"
        );
        for &t in &x.ticks {
            let px = f.x(&x, t);
            body.push_str(&format!(
                "<line x1=\"{px:.1}\" y1=\"{}\" x2=\"{px:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/><text x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                f.top,
                f.top + f.ph() + 4.0,
                f.top + f.ph() + 17.0,
                esc(&tick_label(t, self.unit))
            ));
        }
        let zx = f.x(&x, 0.0);
        body.push_str(&format!(
            "<line x1=\"{zx:.1}\" y1=\"{}\" x2=\"{zx:.1}\" y2=\"{:.1}\" stroke=\"#444\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            f.top,
            f.top + f.ph(),
            f.left + f.pw() / 2.0,
            h - 10.0,
            esc(self.x_label)
        ));
        for (i, c) in self.categories.iter().enumerate() {
            let cy = f.top + row * (i as f64 + 0.5);
            body.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                f.left - 8.0,
                cy + 4.0,
                esc(c)
            ));
        }
        body.push_str("</g>");
        let bh = row * 0.62;
        for (i, category) in self.categories.iter().enumerate() {
            let cy = f.top + row * (i as f64 + 0.5);
            let (mut up, mut down) = (0.0, 0.0);
            for (li, layer) in self.layers.iter().enumerate() {
                let v = get(layer, i);
                let (a, b) = if v >= 0.0 {
                    up += v;
                    (up - v, up)
                } else {
                    down += v;
                    (down, down - v)
                };
                let (x0, x1) = (f.x(&x, a), f.x(&x, b));
                body.push_str(&format!(
                    "<rect class=\"bar\" data-name=\"{}\" x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{}\"><title>{}, {}: {}</title></rect>",
                    esc(&layer.0),
                    cy - bh / 2.0,
                    (x1 - x0).max(0.0),
                    PALETTE[li % PALETTE.len()],
                    esc(category),
                    esc(&layer.0),
                    esc(&value_label(v, self.unit))
                ));
            }
            if let Some(end) = self.ends.get(i) {
                body.push_str(&format!(
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-family=\"sans-serif\" font-size=\"{FONT}\" fill=\"#222\">{}</text>",
                    f.x(&x, up).max(zx) + 5.0,
                    cy + 4.0,
                    esc(end)
                ));
            }
        }
        let entries: Vec<(String, Key)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), Key::Swatch(PALETTE[i % PALETTE.len()])))
            .collect();
        body.push_str(&legend(&entries, W - legend_width(&names) - 4.0, f.top));
        svg(self.id, self.title, h, &body)
    }
}

/// Vertical grouped bars (values may be negative), with an optional horizontal reference line.
pub(crate) struct GroupedBars<'a> {
    pub(crate) id: &'a str,
    pub(crate) title: &'a str,
    pub(crate) categories: &'a [String],
    /// (name, one value per category).
    pub(crate) groups: &'a [(String, Vec<f64>)],
    pub(crate) x_label: &'a str,
    pub(crate) y_label: &'a str,
    pub(crate) unit: Unit,
    pub(crate) reference: Option<(f64, String)>,
    /// Groups shown for comparison only (options the rules forbid): drawn faint, in the legend too.
    pub(crate) muted: &'a [usize],
}

impl GroupedBars<'_> {
    pub(crate) fn render(&self) -> String {
        let y = Axis::new(
            self.groups
                .iter()
                .flat_map(|g| g.1.iter().copied())
                .chain(self.reference.iter().map(|r| r.0)),
            false,
            true,
        );
        let names: Vec<String> = self.groups.iter().map(|g| g.0.clone()).collect();
        let n = self.categories.len().max(1);
        let widest = self
            .categories
            .iter()
            .map(|c| text_width(c, FONT))
            .fold(0.0, f64::max);
        let right = legend_width(&names) + 16.0;
        let slot0 = (W - 100.0 - right) / n as f64;
        // Category labels wider than their slot are slanted; the first one then reaches left of its bar,
        // and every one reaches down, so both margins are set from the widest.
        let slant = widest > slot0 * 0.9;
        let (cos, sin) = (30f64.to_radians().cos(), 30f64.to_radians().sin());
        let left = if slant {
            y_margin(&y, self.unit).max(widest * cos - slot0 / 2.0 + 12.0)
        } else {
            y_margin(&y, self.unit)
        };
        let bottom = if slant { widest * sin + 44.0 } else { 48.0 };
        let h = 360.0 + bottom - 48.0;
        let f = Frame {
            h,
            left,
            right,
            top: TITLE_H + 10.0,
            bottom,
        };
        let mut body = y_axis(&f, &y, self.unit, self.y_label);
        let slot = f.pw() / n as f64;
        let bw = slot * 0.8 / self.groups.len().max(1) as f64;
        let zero = f.y(&y, 0.0);
        body.push_str(&format!(
            "<g class=\"axes\" font-family=\"sans-serif\" font-size=\"{FONT}\" fill=\"#222\">"
        ));
        for (i, c) in self.categories.iter().enumerate() {
            let px = f.left + slot * (i as f64 + 0.5);
            let ty = f.top + f.ph() + 16.0;
            if slant {
                body.push_str(&format!("<text x=\"{px:.1}\" y=\"{ty:.1}\" text-anchor=\"end\" transform=\"rotate(-30 {px:.1} {ty:.1})\">{}</text>", esc(c)));
            } else {
                body.push_str(&format!(
                    "<text x=\"{px:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\">{}</text>",
                    esc(c)
                ));
            }
        }
        body.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text></g>",
            f.left + f.pw() / 2.0,
            h - 8.0,
            esc(self.x_label)
        ));
        for (i, category) in self.categories.iter().enumerate() {
            for (gi, (name, vals)) in self.groups.iter().enumerate() {
                let v = vals
                    .get(i)
                    .copied()
                    .filter(|v| v.is_finite())
                    .unwrap_or(0.0);
                let py = f.y(&y, v);
                let bx = f.left + slot * i as f64 + slot * 0.1 + bw * gi as f64;
                body.push_str(&format!(
                    "<rect class=\"bar\" data-name=\"{}\" x=\"{bx:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\" fill-opacity=\"{}\"><title>{}, {}: {}</title></rect>",
                    esc(name),
                    py.min(zero),
                    bw * 0.95,
                    (py - zero).abs(),
                    PALETTE[gi % PALETTE.len()],
                    if self.muted.contains(&gi) { 0.3 } else { 1.0 },
                    esc(category),
                    esc(name),
                    esc(&value_label(v, self.unit))
                ));
            }
        }
        body.push_str(&format!(
            "<line x1=\"{}\" y1=\"{zero:.1}\" x2=\"{:.1}\" y2=\"{zero:.1}\" stroke=\"#444\"/>",
            f.left,
            f.left + f.pw()
        ));
        if let Some((v, label)) = &self.reference {
            let py = f.y(&y, *v);
            body.push_str(&format!(
                "<line class=\"reference\" x1=\"{}\" y1=\"{py:.1}\" x2=\"{:.1}\" y2=\"{py:.1}\" stroke=\"{BLACK}\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-family=\"sans-serif\" font-size=\"{FONT}\" fill=\"{BLACK}\">{}</text>",
                f.left,
                f.left + f.pw(),
                f.left + f.pw() - 4.0,
                py - 4.0,
                esc(label)
            ));
        }
        let entries: Vec<(String, Key)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let c = PALETTE[i % PALETTE.len()];
                let key = if self.muted.contains(&i) {
                    Key::Faint(c)
                } else {
                    Key::Swatch(c)
                };
                (n.clone(), key)
            })
            .collect();
        body.push_str(&legend(&entries, W - f.right + 14.0, f.top));
        svg(self.id, self.title, h, &body)
    }
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

    #[test]
    fn a_long_category_label_widens_the_left_margin() {
        let cats = vec![
            "1,000× baremetal-h100-eu (cheapest)".to_string(),
            "1×".to_string(),
        ];
        let layers = vec![("busy GPU".to_string(), vec![441_600.0, 2008.0])];
        let s = StackedBars {
            id: "c",
            title: "t",
            categories: &cats,
            layers: &layers,
            ends: &[],
            x_label: "USD per month",
            unit: Unit::Usd,
            range: None,
        }
        .render();
        // The label is anchored at its end, left of the plot; it starts at x ≥ 0 when the margin fits it.
        let start = s.find("text-anchor=\"end\">1,000×").unwrap();
        let x: f64 = s[..start]
            .rsplit("<text x=\"")
            .next()
            .and_then(|t| t.split('"').next())
            .unwrap()
            .parse()
            .unwrap();
        assert!(x - text_width(&cats[0], FONT) >= 0.0, "{x}");
    }
}
