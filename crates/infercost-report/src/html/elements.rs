//! The HTML elements the report is made of: a table with its notes (figures right-aligned, excluded rows struck
//! through) and a chart with its caption.

use crate::svg::esc;
use crate::table::Table;

/// A table with its notes; excluded rows are struck through but for their last cell, which says why.
pub(super) fn table(t: &Table) -> String {
    let mut s = format!("<table id=\"table-{}\"><thead><tr>", esc(&t.id));
    for h in &t.header {
        s.push_str(&format!("<th>{}</th>", esc(h)));
    }
    s.push_str("</tr></thead><tbody>");
    for (i, r) in t.rows.iter().enumerate() {
        let excluded = t.excluded.contains(&i);
        s.push_str(if excluded {
            "<tr class=\"excluded\">"
        } else {
            "<tr>"
        });
        for (k, c) in r.iter().enumerate() {
            let num = is_figure(c);
            let class = match (excluded && k + 1 == r.len(), num) {
                (true, _) => " class=\"why\"",
                (false, true) => " class=\"num\"",
                (false, false) if is_date(c) => " class=\"date\"",
                (false, false) => "",
            };
            s.push_str(&format!("<td{class}>{}</td>", esc(c)));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    for n in &t.notes {
        s.push_str(&format!("<p class=\"note\">{}</p>", esc(n)));
    }
    s
}

/// Whether a cell is a figure to right-align (`$44.2k`, `+$3.74M`, `1,000×`, `81%`, `30.9 ms`), not text that
/// starts with a digit (a date, a sentence).
fn is_figure(c: &str) -> bool {
    let t = c.trim_start_matches(['+', '-']);
    (t.starts_with('$') || t.starts_with(|ch: char| ch.is_ascii_digit()))
        && c.split_whitespace().count() <= 2
        && c.chars().count() <= 20
        && !is_date(c)
}

/// `2026-11-27`: kept on one line.
fn is_date(c: &str) -> bool {
    let b = c.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, ch)| {
            if i == 4 || i == 7 {
                *ch == b'-'
            } else {
                ch.is_ascii_digit()
            }
        })
}

/// A chart with its caption.
pub(super) fn figure(svg: String, caption: &str) -> String {
    format!(
        "<figure>{svg}<figcaption>{}</figcaption></figure>",
        esc(caption)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_right_aligned_and_text_is_not() {
        for c in [
            "$44.2k",
            "+$3.74M",
            "1,000×",
            "81%",
            "30.9 ms",
            "220×1 h100-sxm",
        ] {
            assert!(is_figure(c), "{c}");
        }
        for c in [
            "2026-11-27",
            "2026 bare-metal/neocloud H100 SXM market range",
            "10× volume, 4× context, 2× burst",
            "baremetal-h100-eu",
        ] {
            assert!(!is_figure(c), "{c}");
        }
    }
}
