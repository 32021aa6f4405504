//! Units as types: simulated time in integer nanoseconds and money in integer micro-dollars.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A point or span of simulated time, in integer nanoseconds.
///
/// Integer time makes runs reproducible: no rounding drift, and ties are exact.
/// A `u64` of nanoseconds spans 584 years, far beyond any horizon we simulate.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct SimTime(pub u64);

impl SimTime {
    /// Time zero.
    pub const ZERO: SimTime = SimTime(0);
    /// The largest representable time, used as "never".
    pub const MAX: SimTime = SimTime(u64::MAX);
    /// Nanoseconds in one second.
    pub const NS_PER_S: u64 = 1_000_000_000;

    /// From whole microseconds.
    pub fn from_us(us: u64) -> Self {
        SimTime(us.saturating_mul(1_000))
    }
    /// From milliseconds, which may be fractional; negative or non-finite values become zero.
    pub fn from_ms_f64(ms: f64) -> Self {
        if ms.is_finite() && ms > 0.0 {
            SimTime((ms * 1e6).round() as u64)
        } else {
            SimTime(0)
        }
    }
    /// From seconds, which may be fractional; negative or non-finite values become zero.
    pub fn from_secs_f64(s: f64) -> Self {
        if s.is_finite() && s > 0.0 {
            SimTime((s * 1e9).round() as u64)
        } else {
            SimTime(0)
        }
    }
    /// A span of at least one nanosecond from a duration in seconds, rounded to the nearest nanosecond (halves
    /// away from zero, as `f64::round`); negative or NaN durations give one nanosecond. The engine's hot loop
    /// times every iteration with it: it rounds without the library call `f64::round` compiles to on baseline
    /// x86-64.
    #[inline]
    pub fn span_at_least_1ns(s: f64) -> Self {
        let x = s * 1e9;
        // Truncation saturates (NaN and negatives to 0), and `x - t` is exact: it is `x`'s fraction.
        let t = x as u64;
        let rounded = if x - t as f64 >= 0.5 {
            t.saturating_add(1)
        } else {
            t
        };
        SimTime(rounded.max(1))
    }
    /// From whole seconds.
    pub fn from_secs(s: u64) -> Self {
        SimTime(s.saturating_mul(Self::NS_PER_S))
    }
    /// As seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
    /// As milliseconds.
    pub fn as_ms_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
    /// The span from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(earlier.0))
    }
}

impl Add for SimTime {
    type Output = SimTime;
    fn add(self, o: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(o.0))
    }
}
impl AddAssign for SimTime {
    fn add_assign(&mut self, o: SimTime) {
        self.0 = self.0.saturating_add(o.0);
    }
}
impl Sub for SimTime {
    type Output = SimTime;
    fn sub(self, o: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(o.0))
    }
}

/// An amount of money in integer micro-dollars (1e-6 USD).
///
/// Bills are sums of many lines; integers make the lines add up to the total exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Usd(pub i64);

impl Usd {
    /// Zero dollars.
    pub const ZERO: Usd = Usd(0);
    /// Rounds a dollar amount to the nearest micro-dollar.
    pub fn from_dollars(d: f64) -> Usd {
        Usd((d * 1e6).round() as i64)
    }
    /// As dollars.
    pub fn dollars(self) -> f64 {
        self.0 as f64 / 1e6
    }
}

impl Add for Usd {
    type Output = Usd;
    fn add(self, o: Usd) -> Usd {
        Usd(self.0 + o.0)
    }
}
impl AddAssign for Usd {
    fn add_assign(&mut self, o: Usd) {
        self.0 += o.0;
    }
}
impl Sub for Usd {
    type Output = Usd;
    fn sub(self, o: Usd) -> Usd {
        Usd(self.0 - o.0)
    }
}
impl std::iter::Sum for Usd {
    fn sum<I: Iterator<Item = Usd>>(iter: I) -> Usd {
        iter.fold(Usd::ZERO, |a, b| a + b)
    }
}
impl fmt::Display for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${:.2}", self.dollars())
    }
}

/// Serialises as dollars with micro-dollar precision (a JSON number).
impl Serialize for Usd {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.dollars())
    }
}
impl<'de> Deserialize<'de> for Usd {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        Ok(Usd::from_dollars(v))
    }
}

/// Hours in a billing month, by convention (365 × 24 / 12).
pub const HOURS_PER_MONTH: f64 = 730.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_round_as_f64_round_does() {
        let mut rng = crate::Rng::new(7);
        let mut cases = vec![
            0.0,
            -1.0,
            f64::NAN,
            0.4999e-9,
            0.5e-9,
            1.5e-9,
            2.5e-9,
            1e-3,
            4.0e9,
            1e30,
        ];
        for _ in 0..100_000 {
            // Durations from a nanosecond to an hour, and exact halves of a nanosecond.
            let e = (rng.next_u64() % 13) as i32 - 9;
            let x = (rng.next_u64() % 1_000_000) as f64 / 1e3 * 10f64.powi(e);
            cases.push(x);
            cases.push(((rng.next_u64() % 1_000_000) as f64 + 0.5) / 1e9);
        }
        for s in cases {
            let want = (s * 1e9).round().max(1.0) as u64;
            assert_eq!(SimTime::span_at_least_1ns(s).0, want, "{s:e}");
        }
    }

    #[test]
    fn time_conversions_round_trip() {
        assert_eq!(SimTime::from_ms_f64(1.5).0, 1_500_000);
        assert_eq!(SimTime::from_secs(2).as_ms_f64(), 2000.0);
        assert_eq!(SimTime::from_ms_f64(-3.0), SimTime::ZERO);
        assert_eq!(SimTime(5).since(SimTime(9)), SimTime::ZERO);
    }

    #[test]
    fn money_sums_without_drift() {
        let cents: Usd = (0..1000).map(|_| Usd::from_dollars(0.1)).sum();
        assert_eq!(cents, Usd::from_dollars(100.0));
        assert_eq!(format!("{}", Usd::from_dollars(12.345)), "$12.35");
    }
}
