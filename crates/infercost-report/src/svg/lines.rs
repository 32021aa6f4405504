//! Line charts, linear or log on either axis, with labelled vertical marks; the first series may be a broad
//! band the other lines are drawn over, and a fan (a shaded range between a low and a high value at each x, as
//! p10–p90) may lie under them all.

use super::axis::{tick_label, value_label, y_axis, y_margin, Axis, Frame, Unit};
use super::style::{legend, legend_width, marker, Key, Style};
use super::{esc, svg, text_width, FONT, TITLE_H, W};

/// One series of a line chart.
pub(crate) struct Series {
    /// Legend name.
    pub(crate) name: String,
    /// (x, y) points.
    pub(crate) points: Vec<(f64, f64)>,
    /// How it is drawn.
    pub(crate) style: Style,
}

/// A fan's name in the legend and its (x, low, high) points.
pub(crate) type Fan<'a> = (&'a str, &'a [(f64, f64, f64)]);

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
    /// A shaded range under the lines: (x, low, high), named in the legend.
    pub(crate) fan: Option<Fan<'a>>,
}

impl Lines<'_> {
    /// The chart as an `<svg>` element.
    pub(crate) fn render(&self) -> String {
        let fan = self.fan.map_or(&[][..], |f| f.1);
        let x = Axis::new(
            self.series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.0))
                .chain(fan.iter().map(|f| f.0)),
            self.log_x,
            false,
        );
        let y = Axis::new(
            self.series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.1))
                .chain(fan.iter().flat_map(|f| [f.1, f.2])),
            self.log_y,
            !self.log_y,
        );
        let mut names: Vec<String> = self.series.iter().map(|s| s.name.clone()).collect();
        if let Some((name, _)) = self.fan {
            names.push(name.to_string());
        }
        let h = 380f64.max(TITLE_H + 40.0 + 18.0 * names.len() as f64);
        let f = Frame {
            h,
            left: y_margin(&y, self.y_unit),
            right: legend_width(&names) + 16.0,
            top: TITLE_H + 10.0,
            bottom: 48.0,
        };
        let mut body = y_axis(&f, &y, self.y_unit, self.y_label);
        body.push_str(&self.x_axis(&f, &x));
        body.push_str(&self.marks(&f, &x));
        if let Some((name, range)) = self.fan {
            body.push_str(&fan_polygon(&f, &x, &y, name, range, self.y_unit));
        }
        // Drawn in order: a band (the first series, when there is one) lies under the lines drawn after it.
        for s in self.series {
            body.push_str(&self.line(&f, &x, &y, s));
        }
        let mut entries: Vec<(String, Key)> = self
            .series
            .iter()
            .map(|s| (s.name.clone(), Key::Line(s.style)))
            .collect();
        if let Some((name, _)) = self.fan {
            entries.push((name.to_string(), Key::Line(Style::fan())));
        }
        body.push_str(&legend(&entries, W - f.right + 14.0, f.top));
        svg(self.id, self.title, h, &body)
    }

    /// The x axis along the bottom of the plot, its ticks and its label.
    fn x_axis(&self, f: &Frame, x: &Axis) -> String {
        let mut body = format!(
            "<g class=\"axes\" font-family=\"sans-serif\" font-size=\"{FONT}\" fill=\"#222\"><line x1=\"{}\" y1=\"{b:.1}\" x2=\"{:.1}\" y2=\"{b:.1}\" stroke=\"#444\"/>",
            f.left,
            f.left + f.pw(),
            b = f.top + f.ph()
        );
        for &t in &x.ticks {
            let px = f.x(x, t);
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
            f.h - 10.0,
            esc(self.x_label)
        ));
        body
    }

    /// The labelled vertical marks, their labels staggered down the plot.
    fn marks(&self, f: &Frame, x: &Axis) -> String {
        let mut body = String::new();
        for (k, (mx, label)) in self.marks.iter().enumerate() {
            let px = f.x(x, *mx);
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
        body
    }

    /// One series: its line, and a marker with a tooltip at each point (a band has tooltips only).
    fn line(&self, f: &Frame, x: &Axis, y: &Axis, s: &Series) -> String {
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .map(|(a, b)| (f.x(x, *a), f.y(y, *b)))
            .collect();
        let path: Vec<String> = pts.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
        let mut body = format!(
            "<g class=\"series\" data-name=\"{}\"><polyline fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" stroke-opacity=\"{}\" stroke-linejoin=\"round\" stroke-linecap=\"round\" stroke-dasharray=\"{}\" points=\"{}\"/>",
            esc(&s.name),
            s.style.colour,
            s.style.width,
            s.style.opacity,
            s.style.dash,
            path.join(" ")
        );
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
        body
    }
}

/// The fan: one closed polygon along the highs left to right and back along the lows, with a tooltip per x.
fn fan_polygon(
    f: &Frame,
    x: &Axis,
    y: &Axis,
    name: &str,
    range: &[(f64, f64, f64)],
    unit: Unit,
) -> String {
    let upper = range.iter().map(|&(vx, _, hi)| (f.x(x, vx), f.y(y, hi)));
    let lower = range
        .iter()
        .rev()
        .map(|&(vx, lo, _)| (f.x(x, vx), f.y(y, lo)));
    let pts: Vec<String> = upper
        .chain(lower)
        .map(|(a, b)| format!("{a:.1},{b:.1}"))
        .collect();
    let mut body = format!(
        "<g class=\"fan\" data-name=\"{}\"><polygon fill=\"{}\" fill-opacity=\"{}\" stroke=\"none\" points=\"{}\"/>",
        esc(name),
        Style::fan().colour,
        Style::fan().opacity,
        pts.join(" ")
    );
    for &(vx, lo, hi) in range {
        body.push_str(&format!(
            "<title>{}: {} to {} at {}</title>",
            esc(name),
            esc(&value_label(lo, unit)),
            esc(&value_label(hi, unit)),
            esc(&value_label(vx, Unit::Plain))
        ));
    }
    body.push_str("</g>");
    body
}
