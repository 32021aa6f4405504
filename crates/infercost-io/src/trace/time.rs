//! Times as traces write them: numbers in a unit, RFC 3339 date-times, and how messages show them back.

use super::TimeUnit;

pub(super) fn time_ns(s: &str, unit: TimeUnit) -> Result<i128, String> {
    let t = s.trim();
    if unit == TimeUnit::Rfc3339 {
        return parse_datetime_ns(t)
            .ok_or_else(|| format!("time {t:?} is not a date-time like 2023-11-16 18:15:46.68"));
    }
    let v: f64 = t.parse().map_err(|_| {
        if t.is_empty() {
            "time is empty".to_string()
        } else {
            format!("time {t:?} is not a number")
        }
    })?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("time {t:?} is negative or not finite"));
    }
    let scale = match unit {
        TimeUnit::S => 1e9,
        TimeUnit::Ms => 1e6,
        TimeUnit::Us => 1e3,
        TimeUnit::Rfc3339 => 1.0,
    };
    Ok((v * scale).round() as i128)
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `YYYY-MM-DD[ T]HH:MM:SS[.fraction][Z|±HH:MM]` into nanoseconds since the Unix epoch (UTC).
pub fn parse_datetime_ns(s: &str) -> Option<i128> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b' ' || b[10] == b'T')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + (c - b'0') as i64;
        }
        Some(v)
    };
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut i = 19;
    let mut frac_ns = 0i128;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let mut scale = 100_000_000i128;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            frac_ns += (b[i] - b'0') as i128 * scale;
            scale /= 10;
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let mut offset_s = 0i64;
    if i < b.len() {
        match b[i] {
            b'Z' | b'z' if i + 1 == b.len() => {}
            b'+' | b'-' if b.len() == i + 6 && b[i + 3] == b':' => {
                let sign = if b[i] == b'-' { -1 } else { 1 };
                offset_s = sign * (num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60);
            }
            _ => return None,
        }
    }
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset_s;
    Some(secs as i128 * 1_000_000_000 + frac_ns)
}

pub(super) fn unit_name(unit: TimeUnit) -> &'static str {
    match unit {
        TimeUnit::S => "seconds",
        TimeUnit::Ms => "milliseconds",
        TimeUnit::Us => "microseconds",
        TimeUnit::Rfc3339 => "date-times",
    }
}

/// A time as the file wrote it: a number in its unit, or a UTC date-time.
pub(super) fn show_time(ns: i128, unit: TimeUnit) -> String {
    let scaled = |per: f64| {
        let v = ns as f64 / per;
        if v.abs() < 1e15 {
            format!("{v}")
        } else {
            format!("{v:e}")
        }
    };
    match unit {
        TimeUnit::S => scaled(1e9),
        TimeUnit::Ms => scaled(1e6),
        TimeUnit::Us => scaled(1e3),
        TimeUnit::Rfc3339 => {
            let secs = ns.div_euclid(1_000_000_000);
            let days = secs.div_euclid(86_400);
            if days.abs() > 3_000_000 {
                return format!("{} s from 1970", scaled(1e9));
            }
            let (y, m, d) = civil_from_days(days as i64);
            let sod = secs.rem_euclid(86_400);
            format!(
                "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
                sod / 3600,
                sod / 60 % 60,
                sod % 60
            )
        }
    }
}

/// The civil date of a day count from 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A span for people: days past two days, hours past two hours, else seconds.
pub(super) fn duration(ns: i128) -> String {
    let s = ns as f64 / 1e9;
    if s >= 2.0 * 86_400.0 {
        let days = s / 86_400.0;
        if days >= 1e6 {
            format!("{days:.2e} days")
        } else {
            format!("{} days", infercost_core::fmt::int(days))
        }
    } else if s >= 7200.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{s:.1} s")
    }
}
