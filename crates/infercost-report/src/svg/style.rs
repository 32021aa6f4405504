//! How series are told apart: the Okabe–Ito palette, dash patterns and markers as a second cue, and the
//! legend that names them.

use super::{esc, text_width, FONT};

/// Okabe–Ito colours, black left out: it is kept for the line a chart is about (the cheapest envelope).
pub(super) const PALETTE: [&str; 7] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442",
];
/// Okabe–Ito black.
pub(super) const BLACK: &str = "#000000";
/// Dash patterns, solid first.
const DASHES: [&str; 4] = ["", "7 4", "2 3", "9 3 2 3"];
/// Marker shapes.
const MARKERS: [Marker; 4] = [
    Marker::Circle,
    Marker::Square,
    Marker::Triangle,
    Marker::Diamond,
];

/// How a series is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    pub(super) colour: &'static str,
    pub(super) dash: &'static str,
    pub(super) marker: Marker,
    pub(super) width: f64,
    pub(super) opacity: f64,
}

/// A marker's shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Marker {
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
    /// A fan's shade (p10–p90 under its median): the first palette colour, translucent and broad in the legend.
    pub(crate) fn fan() -> Style {
        Style {
            colour: PALETTE[0],
            dash: "",
            marker: Marker::Circle,
            width: 9.0,
            opacity: 0.35,
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

/// A marker of radius `r` centred on (x, y).
pub(super) fn marker(m: Marker, x: f64, y: f64, r: f64, colour: &str) -> String {
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
pub(super) enum Key {
    Line(Style),
    Swatch(&'static str),
    Faint(&'static str),
}

/// The width of a legend with these names.
pub(super) fn legend_width(names: &[String]) -> f64 {
    names
        .iter()
        .map(|n| text_width(n, FONT))
        .fold(0.0, f64::max)
        + 40.0
}

/// The legend, its entries one under another from (x, y0).
pub(super) fn legend(entries: &[(String, Key)], x: f64, y0: f64) -> String {
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
