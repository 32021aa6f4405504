//! A small SVG chart writer: line charts (linear or log), horizontal stacked bars and grouped bars. Charts are
//! plain inline `<svg>` with a visible title and axis labels, drawn in the Okabe–Ito colour-blind-safe palette
//! with dash patterns and markers as a second cue, on round-number ticks.
//!
//! `axis` places values on the plot (ticks, their labels, the margins), `style` tells series apart and draws
//! the legend, and `lines` and `bars` are the chart kinds.

mod axis;
mod bars;
mod lines;
mod style;

pub(crate) use axis::Unit;
pub(crate) use bars::{GroupedBars, StackedBars};
pub(crate) use lines::{Lines, Series};
pub(crate) use style::Style;

/// The canvas width; a chart's height depends on its content.
const W: f64 = 760.0;
/// The font size of labels and legends.
const FONT: f64 = 11.0;
/// The height of the title line above the plot.
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
pub(super) fn text_width(s: &str, size: f64) -> f64 {
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

/// The `<svg>` element: the canvas, its accessible title and the visible title, around the chart's body.
pub(super) fn svg(id: &str, title: &str, h: f64, body: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"{id}\" viewBox=\"0 0 {W} {h}\" role=\"img\" aria-labelledby=\"{id}-title\"><title id=\"{id}-title\">{t}</title><rect x=\"0\" y=\"0\" width=\"{W}\" height=\"{h}\" fill=\"#fff\"/><text x=\"10\" y=\"20\" font-family=\"sans-serif\" font-size=\"13\" font-weight=\"bold\" fill=\"#111\">{t}</text>{body}</svg>",
        t = esc(title)
    )
}
