//! A small SVG chart writer: log–log line charts, stacked and grouped bars. Charts are plain inline `<svg>`,
//! drawn in the Okabe–Ito colour-blind-safe palette with dash patterns as a second cue.

/// Okabe–Ito colours.
pub(crate) const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000",
];
const DASHES: [&str; 4] = ["", "6 3", "2 3", "8 3 2 3"];

const W: f64 = 760.0;
const H: f64 = 360.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 230.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 70.0;

/// Escapes text for XML.
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn fmt_num(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 1.0 || a == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
}

impl Axis {
    fn new(values: impl Iterator<Item = f64>, log: bool, zero: bool) -> Axis {
        let (mut lo, mut hi) = (f64::MAX, f64::MIN);
        for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if lo > hi {
            (lo, hi) = (1.0, 10.0);
        }
        if log {
            lo = 10f64.powf(lo.log10().floor());
            hi = 10f64.powf(hi.log10().ceil().max(lo.log10() + 1.0));
        } else {
            if zero {
                lo = lo.min(0.0);
                hi = hi.max(0.0);
            }
            if hi == lo {
                hi = lo + 1.0;
            }
            let pad = (hi - lo) * 0.05;
            hi += pad;
            if lo < 0.0 {
                lo -= pad;
            }
        }
        Axis { lo, hi, log }
    }
    fn frac(&self, v: f64) -> f64 {
        if self.log {
            (v.max(self.lo).log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }
    fn ticks(&self) -> Vec<f64> {
        if self.log {
            let (a, b) = (
                self.lo.log10().round() as i32,
                self.hi.log10().round() as i32,
            );
            (a..=b).map(|e| 10f64.powi(e)).collect()
        } else {
            (0..=5)
                .map(|i| self.lo + (self.hi - self.lo) * i as f64 / 5.0)
                .collect()
        }
    }
}

fn frame(title: &str, id: &str, body: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"{id}\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"{id}-title\"><title id=\"{id}-title\">{}</title><rect x=\"0\" y=\"0\" width=\"{W}\" height=\"{H}\" fill=\"#fff\"/>{body}</svg>",
        esc(title)
    )
}

fn axes(
    x: &Axis,
    y: &Axis,
    x_label: &str,
    y_label: &str,
    x_ticks: Option<&[(f64, String)]>,
) -> String {
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let mut s = format!("<g class=\"axes\" font-family=\"sans-serif\" font-size=\"11\" fill=\"#222\"><line x1=\"{LEFT}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#444\"/><line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{}\" stroke=\"#444\"/>", TOP + ph, LEFT + pw, TOP + ph, TOP + ph);
    for t in y.ticks() {
        let py = TOP + ph * (1.0 - y.frac(t));
        s.push_str(&format!("<line x1=\"{LEFT}\" y1=\"{py:.1}\" x2=\"{:.1}\" y2=\"{py:.1}\" stroke=\"#ddd\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>", LEFT + pw, LEFT - 6.0, py + 4.0, fmt_num(t)));
    }
    let xt: Vec<(f64, String)> = match x_ticks {
        Some(t) => t.to_vec(),
        None => x.ticks().into_iter().map(|t| (t, fmt_num(t))).collect(),
    };
    // Many category labels are slanted so they do not run into each other.
    let slant = x_ticks.is_some_and(|t| t.len() > 4);
    for (t, label) in xt {
        let px = LEFT + pw * x.frac(t);
        let ty = TOP + ph + 16.0;
        let text = if slant {
            format!("<text x=\"{px:.1}\" y=\"{ty:.1}\" text-anchor=\"end\" font-size=\"9\" transform=\"rotate(-25 {px:.1} {ty:.1})\">{}</text>", esc(&label))
        } else {
            format!(
                "<text x=\"{px:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\">{}</text>",
                esc(&label)
            )
        };
        s.push_str(&format!(
            "<line x1=\"{px:.1}\" y1=\"{:.1}\" x2=\"{px:.1}\" y2=\"{:.1}\" stroke=\"#444\"/>{text}",
            TOP + ph,
            TOP + ph + 4.0
        ));
    }
    s.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text><text transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text></g>",
        LEFT + pw / 2.0,
        H - 10.0,
        esc(x_label),
        TOP + ph / 2.0,
        esc(y_label)
    ));
    s
}

fn legend(names: &[String], kind: &str) -> String {
    let mut s = String::from(
        "<g class=\"legend\" font-family=\"sans-serif\" font-size=\"11\" fill=\"#222\">",
    );
    for (i, n) in names.iter().enumerate().take(22) {
        let y = TOP + 6.0 + i as f64 * 14.0;
        let x = W - RIGHT + 12.0;
        let (c, d) = (
            PALETTE[i % PALETTE.len()],
            DASHES[(i / PALETTE.len()) % DASHES.len()],
        );
        if kind == "line" {
            s.push_str(&format!("<line x1=\"{x}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{c}\" stroke-width=\"2\" stroke-dasharray=\"{d}\"/>", x + 22.0));
        } else {
            s.push_str(&format!(
                "<rect x=\"{x}\" y=\"{}\" width=\"14\" height=\"10\" fill=\"{c}\"/>",
                y - 6.0
            ));
        }
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\">{}</text>",
            x + 28.0,
            y + 4.0,
            esc(n)
        ));
    }
    s.push_str("</g>");
    s
}

/// A line chart of named series of (x, y) points; `marks` are labelled vertical lines at x values.
#[allow(clippy::too_many_arguments)]
pub(crate) fn lines(
    id: &str,
    title: &str,
    series: &[(String, Vec<(f64, f64)>)],
    log_x: bool,
    log_y: bool,
    marks: &[(f64, String)],
    x_label: &str,
    y_label: &str,
) -> String {
    let x = Axis::new(
        series.iter().flat_map(|s| s.1.iter().map(|p| p.0)),
        log_x,
        false,
    );
    let y = Axis::new(
        series.iter().flat_map(|s| s.1.iter().map(|p| p.1)),
        log_y,
        !log_y,
    );
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let mut body = axes(&x, &y, x_label, y_label, None);
    for (i, (name, pts)) in series.iter().enumerate() {
        let (c, d) = (
            PALETTE[i % PALETTE.len()],
            DASHES[(i / PALETTE.len()) % DASHES.len()],
        );
        let path: Vec<String> = pts
            .iter()
            .map(|(a, b)| {
                format!(
                    "{:.1},{:.1}",
                    LEFT + pw * x.frac(*a),
                    TOP + ph * (1.0 - y.frac(*b))
                )
            })
            .collect();
        body.push_str(&format!("<polyline class=\"series\" data-name=\"{}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" stroke-dasharray=\"{d}\" points=\"{}\"/>", esc(name), path.join(" ")));
        for p in &path {
            let (px, py) = p.split_once(',').unwrap_or(("0", "0"));
            body.push_str(&format!(
                "<circle cx=\"{px}\" cy=\"{py}\" r=\"2.5\" fill=\"{c}\"/>"
            ));
        }
    }
    for (k, (mx, label)) in marks.iter().enumerate() {
        let px = LEFT + pw * x.frac(*mx);
        body.push_str(&format!(
            "<g class=\"mark\"><line x1=\"{px:.1}\" y1=\"{TOP}\" x2=\"{px:.1}\" y2=\"{:.1}\" stroke=\"#999\" stroke-dasharray=\"3 3\"/><text x=\"{:.1}\" y=\"{:.1}\" font-family=\"sans-serif\" font-size=\"10\" fill=\"#555\">{}</text></g>",
            TOP + ph,
            px + 3.0,
            TOP + 10.0 + 11.0 * (k % 6) as f64,
            esc(label)
        ));
    }
    body.push_str(&legend(
        &series.iter().map(|s| s.0.clone()).collect::<Vec<_>>(),
        "line",
    ));
    frame(title, id, &body)
}

/// Stacked bars: one bar per category, one layer per named component (values ≥ 0).
pub(crate) fn stacked(
    id: &str,
    title: &str,
    categories: &[String],
    layers: &[(String, Vec<f64>)],
    y_label: &str,
) -> String {
    let totals: Vec<f64> = (0..categories.len())
        .map(|i| {
            layers
                .iter()
                .map(|l| l.1.get(i).copied().unwrap_or(0.0).max(0.0))
                .sum()
        })
        .collect();
    let x = Axis {
        lo: 0.0,
        hi: categories.len().max(1) as f64,
        log: false,
    };
    let y = Axis::new(
        totals.iter().copied().chain(std::iter::once(0.0)),
        false,
        true,
    );
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let ticks: Vec<(f64, String)> = categories
        .iter()
        .enumerate()
        .map(|(i, c)| (i as f64 + 0.5, c.clone()))
        .collect();
    let mut body = axes(&x, &y, "", y_label, Some(&ticks));
    let bw = pw / categories.len().max(1) as f64 * 0.6;
    for (i, category) in categories.iter().enumerate() {
        let mut acc = 0.0;
        let cx = LEFT + pw * x.frac(i as f64 + 0.5);
        for (li, (name, vals)) in layers.iter().enumerate() {
            let v = vals.get(i).copied().unwrap_or(0.0).max(0.0);
            let (y0, y1) = (
                TOP + ph * (1.0 - y.frac(acc)),
                TOP + ph * (1.0 - y.frac(acc + v)),
            );
            body.push_str(&format!("<rect class=\"bar\" data-name=\"{}\" x=\"{:.1}\" y=\"{y1:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{}: {}</title></rect>", esc(name), cx - bw / 2.0, (y0 - y1).max(0.0), PALETTE[li % PALETTE.len()], esc(category), fmt_num(v)));
            acc += v;
        }
    }
    body.push_str(&legend(
        &layers.iter().map(|l| l.0.clone()).collect::<Vec<_>>(),
        "bar",
    ));
    frame(title, id, &body)
}

/// Grouped bars (values may be negative), with an optional horizontal reference line.
pub(crate) fn grouped(
    id: &str,
    title: &str,
    categories: &[String],
    groups: &[(String, Vec<f64>)],
    y_label: &str,
    reference: Option<(f64, String)>,
) -> String {
    let x = Axis {
        lo: 0.0,
        hi: categories.len().max(1) as f64,
        log: false,
    };
    let y = Axis::new(
        groups
            .iter()
            .flat_map(|g| g.1.iter().copied())
            .chain(reference.iter().map(|r| r.0))
            .chain(std::iter::once(0.0)),
        false,
        true,
    );
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let ticks: Vec<(f64, String)> = categories
        .iter()
        .enumerate()
        .map(|(i, c)| (i as f64 + 0.5, c.clone()))
        .collect();
    let mut body = axes(&x, &y, "", y_label, Some(&ticks));
    let slot = pw / categories.len().max(1) as f64;
    let bw = slot * 0.8 / groups.len().max(1) as f64;
    let zero = TOP + ph * (1.0 - y.frac(0.0));
    for (i, category) in categories.iter().enumerate() {
        for (gi, (name, vals)) in groups.iter().enumerate() {
            let v = vals.get(i).copied().unwrap_or(0.0);
            let py = TOP + ph * (1.0 - y.frac(v));
            let bx = LEFT + slot * i as f64 + slot * 0.1 + bw * gi as f64;
            body.push_str(&format!("<rect class=\"bar\" data-name=\"{}\" x=\"{bx:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{}: {}</title></rect>", esc(name), py.min(zero), bw * 0.95, (py - zero).abs(), PALETTE[gi % PALETTE.len()], esc(category), fmt_num(v)));
        }
    }
    body.push_str(&format!(
        "<line x1=\"{LEFT}\" y1=\"{zero:.1}\" x2=\"{:.1}\" y2=\"{zero:.1}\" stroke=\"#444\"/>",
        LEFT + pw
    ));
    if let Some((v, label)) = reference {
        let py = TOP + ph * (1.0 - y.frac(v));
        body.push_str(&format!("<line class=\"reference\" x1=\"{LEFT}\" y1=\"{py:.1}\" x2=\"{:.1}\" y2=\"{py:.1}\" stroke=\"#D55E00\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/><text x=\"{:.1}\" y=\"{:.1}\" font-family=\"sans-serif\" font-size=\"11\" fill=\"#D55E00\">{}</text>", LEFT + pw, LEFT + pw - 4.0, py - 4.0, esc(&label)));
    }
    body.push_str(&legend(
        &groups.iter().map(|g| g.0.clone()).collect::<Vec<_>>(),
        "bar",
    ));
    frame(title, id, &body)
}
