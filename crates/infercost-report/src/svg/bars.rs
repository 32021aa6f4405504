//! Bar charts: horizontal stacked bars (a bar per category, a layer per component) and vertical grouped bars
//! (a group per series, with an optional reference line).

use super::axis::{tick_label, value_label, y_axis, y_margin, Axis, Frame, Unit};
use super::style::{legend, legend_width, Key, BLACK, PALETTE};
use super::{esc, svg, text_width, FONT, TITLE_H, W};

/// The height of a stacked bar's row.
const ROW: f64 = 26.0;

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
    /// The chart as an `<svg>` element.
    pub(crate) fn render(&self) -> String {
        let n = self.categories.len();
        let pos: Vec<f64> = (0..n)
            .map(|i| self.layers.iter().map(|l| value(l, i).max(0.0)).sum())
            .collect();
        let neg: Vec<f64> = (0..n)
            .map(|i| self.layers.iter().map(|l| value(l, i).min(0.0)).sum())
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
        let f = self.frame(&names);
        let mut body = self.axes(&f, &x);
        for (i, category) in self.categories.iter().enumerate() {
            body.push_str(&self.bar(&f, &x, i, category));
        }
        let entries: Vec<(String, Key)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), Key::Swatch(PALETTE[i % PALETTE.len()])))
            .collect();
        body.push_str(&legend(&entries, W - legend_width(&names) - 4.0, f.top));
        svg(self.id, self.title, f.h, &body)
    }

    /// The frame: the category labels at the left, the bar ends and the legend at the right.
    fn frame(&self, names: &[String]) -> Frame {
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
        let h = (TITLE_H + 12.0 + ROW * self.categories.len() as f64 + 50.0)
            .max(TITLE_H + 30.0 + 18.0 * names.len() as f64);
        Frame {
            h,
            left: label_w + 16.0,
            right: legend_width(names) + end_w + 24.0,
            top: TITLE_H + 12.0,
            bottom: 50.0,
        }
    }

    /// Vertical grid lines with their ticks, the zero line, the x label and the category labels.
    fn axes(&self, f: &Frame, x: &Axis) -> String {
        let mut body = format!(
            "<g class=\"axes\" font-family=\"sans-serif\" font-size=\"{FONT}\" fill=\"#222\">"
        );
        for &t in &x.ticks {
            let px = f.x(x, t);
            body.push_str(&format!(
                "<line x1=\"{px:.1}\" y1=\"{}\" x2=\"{px:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/><text x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                f.top,
                f.top + f.ph() + 4.0,
                f.top + f.ph() + 17.0,
                esc(&tick_label(t, self.unit))
            ));
        }
        let zx = f.x(x, 0.0);
        body.push_str(&format!(
            "<line x1=\"{zx:.1}\" y1=\"{}\" x2=\"{zx:.1}\" y2=\"{:.1}\" stroke=\"#444\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            f.top,
            f.top + f.ph(),
            f.left + f.pw() / 2.0,
            f.h - 10.0,
            esc(self.x_label)
        ));
        for (i, c) in self.categories.iter().enumerate() {
            let cy = f.top + ROW * (i as f64 + 0.5);
            body.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                f.left - 8.0,
                cy + 4.0,
                esc(c)
            ));
        }
        body.push_str("</g>");
        body
    }

    /// The i-th bar, its layers stacked out from zero, and the text at its end.
    fn bar(&self, f: &Frame, x: &Axis, i: usize, category: &str) -> String {
        let mut body = String::new();
        let bh = ROW * 0.62;
        let cy = f.top + ROW * (i as f64 + 0.5);
        let (mut up, mut down) = (0.0, 0.0);
        for (li, layer) in self.layers.iter().enumerate() {
            let v = value(layer, i);
            let (a, b) = if v >= 0.0 {
                up += v;
                (up - v, up)
            } else {
                down += v;
                (down, down - v)
            };
            let (x0, x1) = (f.x(x, a), f.x(x, b));
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
                f.x(x, up).max(f.x(x, 0.0)) + 5.0,
                cy + 4.0,
                esc(end)
            ));
        }
        body
    }
}

/// A layer's value at the i-th category; missing and non-finite values count as zero.
fn value(layer: &(String, Vec<f64>), i: usize) -> f64 {
    layer
        .1
        .get(i)
        .copied()
        .filter(|v| v.is_finite())
        .unwrap_or(0.0)
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
    /// The chart as an `<svg>` element.
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
        let (f, slant) = self.frame(&y, &names);
        let mut body = y_axis(&f, &y, self.unit, self.y_label);
        body.push_str(&self.x_axis(&f, slant));
        body.push_str(&self.bars(&f, &y));
        let zero = f.y(&y, 0.0);
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
        svg(self.id, self.title, f.h, &body)
    }

    /// The frame, and whether the category labels are slanted to fit.
    fn frame(&self, y: &Axis, names: &[String]) -> (Frame, bool) {
        let n = self.categories.len().max(1);
        let widest = self
            .categories
            .iter()
            .map(|c| text_width(c, FONT))
            .fold(0.0, f64::max);
        let right = legend_width(names) + 16.0;
        let slot0 = (W - 100.0 - right) / n as f64;
        // Category labels wider than their slot are slanted; the first one then reaches left of its bar,
        // and every one reaches down, so both margins are set from the widest.
        let slant = widest > slot0 * 0.9;
        let (cos, sin) = (30f64.to_radians().cos(), 30f64.to_radians().sin());
        let left = if slant {
            y_margin(y, self.unit).max(widest * cos - slot0 / 2.0 + 12.0)
        } else {
            y_margin(y, self.unit)
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
        (f, slant)
    }

    /// The width of a category's slot.
    fn slot(&self, f: &Frame) -> f64 {
        f.pw() / self.categories.len().max(1) as f64
    }

    /// The category labels under their slots, slanted when `slant`, and the x label.
    fn x_axis(&self, f: &Frame, slant: bool) -> String {
        let slot = self.slot(f);
        let mut body = format!(
            "<g class=\"axes\" font-family=\"sans-serif\" font-size=\"{FONT}\" fill=\"#222\">"
        );
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
            f.h - 8.0,
            esc(self.x_label)
        ));
        body
    }

    /// A bar per group in each category's slot, from zero to its value; muted groups faint.
    fn bars(&self, f: &Frame, y: &Axis) -> String {
        let slot = self.slot(f);
        let bw = slot * 0.8 / self.groups.len().max(1) as f64;
        let zero = f.y(y, 0.0);
        let mut body = String::new();
        for (i, category) in self.categories.iter().enumerate() {
            for (gi, group) in self.groups.iter().enumerate() {
                let v = value(group, i);
                let py = f.y(y, v);
                let bx = f.left + slot * i as f64 + slot * 0.1 + bw * gi as f64;
                body.push_str(&format!(
                    "<rect class=\"bar\" data-name=\"{}\" x=\"{bx:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\" fill-opacity=\"{}\"><title>{}, {}: {}</title></rect>",
                    esc(&group.0),
                    py.min(zero),
                    bw * 0.95,
                    (py - zero).abs(),
                    PALETTE[gi % PALETTE.len()],
                    if self.muted.contains(&gi) { 0.3 } else { 1.0 },
                    esc(category),
                    esc(&group.0),
                    esc(&value_label(v, self.unit))
                ));
            }
        }
        body
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::svg::{text_width, FONT};

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
