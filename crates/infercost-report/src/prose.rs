//! The report's words for the analysis' numbers and kinds: multiples of the pilot, cost ratios, what the
//! attribution's variables and their compounding mean, and what a shard says of itself.

use infercost_core::fmt::{count, int};
use infercost_plan::result::{Attribution, PlanResult};

/// A multiple of the pilot as `10×` or `1,000×`.
pub fn times(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{}×", int(x))
    } else {
        format!("{x:.2}×")
    }
}

/// A cost ratio: `3.0×` below 100, `220×` above.
pub(crate) fn ratio(m: f64) -> String {
    if m >= 100.0 {
        format!("{}×", int(m))
    } else {
        format!("{m:.1}×")
    }
}

/// What the attribution's parts are, said once where they are printed.
pub const ATTRIBUTION_NOTE: &str = "The third variable is burst (concurrency): how tightly requests bunch together. Each Shapley part already includes its share of the compounding, so volume + context + burst add up exactly to the growth. Compounding is the part of the growth that needs more than one variable to grow at once (the growth less the three one-at-a-time effects); it is shared into the three parts, not added to them.";

/// What a shard's report says of itself: which shard, and that the analysis waits for `merge`. None for a
/// whole plan.
pub fn shard_note(r: &PlanResult) -> Option<String> {
    r.shard.map(|[i, n]| {
        format!(
            "This is shard {i}/{n} of the sweep: it lists only its own {} point{}. The analysis (attribution, inflections, break-evens, months ahead, placement) comes with `infercost merge`, which combines the shards.",
            count(r.points.len() as u64),
            if r.points.len() == 1 { "" } else { "s" }
        )
    })
}

/// Words in lines of at most `width` characters, for a sentence in the terminal.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for w in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + w.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The variable an attribution names, in the report's words: `concurrency` is written `burst`.
pub(crate) fn variable(name: &str) -> &str {
    if name == "concurrency" {
        "burst"
    } else {
        name
    }
}

/// How much the three variables compound, in words, for the place where the interaction is printed:
/// "the three compound: 83% of the growth needs more than one of them".
pub fn compounding(a: &Attribution) -> String {
    let g = a.total_growth_usd;
    if !(g > 0.0 && a.interaction_usd.is_finite()) {
        return "no growth to share".into();
    }
    let share = a.interaction_usd / g;
    if share >= 0.05 {
        format!(
            "the three compound: {:.0}% of the growth needs more than one of them",
            share * 100.0
        )
    } else if share <= -0.05 {
        format!(
            "the three overlap: one at a time they would add {:.0}% more than the growth",
            -share * 100.0
        )
    } else {
        "the three add up almost independently".into()
    }
}
