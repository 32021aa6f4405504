//! The one way numbers are written for people: money, counts, durations. The terminal, Markdown, HTML and the
//! planner's sentences all use these, so the same figure reads the same everywhere.

/// Whole-number digits with thousands separators: `1234567` → `1,234,567`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A non-negative float rounded to a whole number with thousands separators (`1574406.0` → `1,574,406`).
pub fn int(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let s = count(x.abs().round() as u64);
    if x < -0.5 {
        format!("-{s}")
    } else {
        s
    }
}

/// Money for people: `$3.50` below $100, `$2,008` below $10k, `$44.2k` below $1M, `$3.50M` below $1B, then
/// `$1.23B`. Amounts past a trillion dollars a month are written in scientific notation, never as a long
/// string of digits.
pub fn usd(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let a = x.abs();
    let s = if a >= 1e12 {
        format!("${a:.2e}")
    } else if a >= 1e9 {
        format!("${:.2}B", a / 1e9)
    } else if a >= 1e6 {
        format!("${:.2}M", a / 1e6)
    } else if a >= 1e4 {
        format!("${:.1}k", a / 1e3)
    } else if a >= 100.0 {
        format!("${}", int(a))
    } else {
        format!("${a:.2}")
    };
    if x < 0.0 && s != "$0.00" {
        format!("-{s}")
    } else {
        s
    }
}

/// A unit price (per request, per million tokens, per GPU-hour) to three significant figures: `$0.158`,
/// `$0.0000512`, `$2.75`, `$12.3`.
pub fn usd_unit(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let a = x.abs();
    let s = if a == 0.0 {
        "$0".to_string()
    } else if a >= 100.0 {
        usd(a)
    } else {
        let digits = (2 - a.log10().floor() as i32).max(0) as usize;
        format!("${a:.digits$}")
    };
    if x < 0.0 {
        format!("-{s}")
    } else {
        s
    }
}

/// Milliseconds for people: `850 ms`, `1,574 ms`, `26.2 min` past ten minutes, `3.1 h` past two hours.
pub fn ms(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    if x >= 7_200_000.0 {
        format!("{:.1} h", x / 3_600_000.0)
    } else if x >= 600_000.0 {
        format!("{:.1} min", x / 60_000.0)
    } else if x >= 100.0 {
        format!("{} ms", int(x))
    } else {
        format!("{x:.1} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_the_same_everywhere() {
        assert_eq!(usd(2007.5), "$2,008");
        assert_eq!(usd(6022.0), "$6,022");
        assert_eq!(usd(44_200.0), "$44.2k");
        assert_eq!(usd(3_500_000.0), "$3.50M");
        assert_eq!(usd(279_916_160_000.0), "$279.92B");
        assert_eq!(usd(3.5), "$3.50");
        assert_eq!(usd(-1500.0), "-$1,500");
        assert_eq!(usd(f64::NAN), "—");
        assert!(usd(4e15).contains('e'), "{}", usd(4e15));
    }

    #[test]
    fn counts_and_units() {
        assert_eq!(count(0), "0");
        assert_eq!(count(19366), "19,366");
        assert_eq!(count(1_000_000), "1,000,000");
        assert_eq!(int(1_574_406.0), "1,574,406");
        assert_eq!(usd_unit(0.158), "$0.158");
        assert_eq!(usd_unit(0.000_051_2), "$0.0000512");
        assert_eq!(usd_unit(2.75), "$2.75");
        assert_eq!(usd_unit(12.29), "$12.3");
        assert_eq!(ms(1_574_406.0), "26.2 min");
        assert_eq!(ms(850.0), "850 ms");
        assert_eq!(ms(12.25), "12.2 ms");
    }
}
