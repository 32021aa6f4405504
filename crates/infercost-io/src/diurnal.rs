//! Reading a 24-hour load profile: one weight per line, or `hour,weight` rows; `#` starts a comment.

use crate::IoError;
use std::path::Path;

/// Parses a diurnal profile's text into 24 weights. `path` is only used in error messages.
pub fn parse_diurnal(text: &str, path: &Path) -> Result<Vec<f64>, IoError> {
    let err = |line: usize, message: String| IoError::Malformed {
        path: path.to_path_buf(),
        line: line as u64,
        message,
    };
    let mut weights = vec![None; 24];
    let mut next = 0usize;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with("hour") {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let (hour, value) = match fields.as_slice() {
            [v] => (next, *v),
            [h, v, ..] => (
                h.parse::<usize>()
                    .map_err(|_| err(i + 1, format!("hour {h:?} is not a number 0-23")))?,
                *v,
            ),
            [] => {
                return Err(err(
                    i + 1,
                    "an empty line where an hour's weight belongs".into(),
                ))
            }
        };
        if hour >= 24 {
            return Err(err(i + 1, format!("hour {hour} is outside 0-23")));
        }
        let w: f64 = value
            .parse()
            .ok()
            .filter(|w: &f64| w.is_finite() && *w >= 0.0)
            .ok_or_else(|| {
                err(
                    i + 1,
                    format!("weight {value:?} is not a non-negative number"),
                )
            })?;
        weights[hour] = Some(w);
        next = hour + 1;
    }
    let missing: Vec<usize> = (0..24).filter(|&h| weights[h].is_none()).collect();
    if !missing.is_empty() {
        return Err(IoError::Invalid {
            path: path.to_path_buf(),
            message: format!(
                "a diurnal profile needs 24 hourly weights; hours {missing:?} are missing"
            ),
        });
    }
    Ok(weights.into_iter().map(|w| w.unwrap_or(0.0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_layouts_and_names_bad_lines() {
        let plain: String = (0..24).map(|h| format!("{}\n", h + 1)).collect();
        let a = parse_diurnal(&plain, Path::new("d.txt")).unwrap();
        assert_eq!(a[23], 24.0);
        let keyed: String = "# c\nhour,weight\n".to_string()
            + &(0..24)
                .map(|h| format!("{h},{}\n", 2 * h))
                .collect::<String>();
        assert_eq!(parse_diurnal(&keyed, Path::new("d.csv")).unwrap()[5], 10.0);
        let e = parse_diurnal("1\nx\n", Path::new("d.txt"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("d.txt:2"), "{e}");
        let e = parse_diurnal("1\n2\n", Path::new("d.txt"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing"), "{e}");
    }
}
