//! Changing prompt and output lengths, within the tokens a request can carry.

use super::{invalid, typed, TransformError};
use crate::workload::{Workload, MAX_TOKENS_PER_REQUEST};

/// Changes prompt lengths: `new = round(old × mult) + add`, at least 1. A prompt that would exceed
/// [`MAX_TOKENS_PER_REQUEST`] is an error rather than a silently clipped count.
pub fn scale_context(w: &mut Workload, mult: f64, add: i64) -> Result<(), TransformError> {
    if !(mult.is_finite() && mult > 0.0) {
        return Err(invalid("context-mult", "a positive number", mult));
    }
    let scaled = |tokens: u32| (tokens as f64 * mult).round() + add as f64;
    if let Some(longest) = w.requests.iter().map(|r| r.input_tokens).max() {
        let v = scaled(longest);
        if v > MAX_TOKENS_PER_REQUEST as f64 {
            return Err(TransformError::TooLarge {
                what: format!(
                    "prompt of {longest} tokens scaled by --context-mult {} --context-add {add}",
                    typed(mult)
                ),
                value: v,
                limit: MAX_TOKENS_PER_REQUEST as f64,
                unit: "tokens",
            });
        }
    }
    for r in &mut w.requests {
        r.input_tokens = scaled(r.input_tokens).max(1.0) as u32;
    }
    Ok(())
}

/// Changes output lengths: `new = round(old × mult)`, at least 1, at most [`MAX_TOKENS_PER_REQUEST`].
pub fn scale_output(w: &mut Workload, mult: f64) -> Result<(), TransformError> {
    if !(mult.is_finite() && mult > 0.0) {
        return Err(invalid("output-mult", "a positive number", mult));
    }
    if let Some(longest) = w.requests.iter().map(|r| r.output_tokens).max() {
        let v = (longest as f64 * mult).round();
        if v > MAX_TOKENS_PER_REQUEST as f64 {
            return Err(TransformError::TooLarge {
                what: format!(
                    "output of {longest} tokens scaled by --output-mult {}",
                    typed(mult)
                ),
                value: v,
                limit: MAX_TOKENS_PER_REQUEST as f64,
                unit: "tokens",
            });
        }
    }
    for r in &mut w.requests {
        r.output_tokens = ((r.output_tokens as f64 * mult).round() as u32).max(1);
    }
    Ok(())
}
