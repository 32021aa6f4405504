//! The three variables as workload transforms (volume, context length, burstiness) and synthetic workloads.
//!
//! Every transform is a pure function of its inputs and a seed: the same seed gives the same workload.

use crate::rng::Rng;
use crate::units::SimTime;
use crate::workload::{Request, Workload, MAX_TOKENS_PER_REQUEST, NO_SESSION};
use thiserror::Error;

/// A transform parameter that makes no sense; the simulation cannot start from it.
#[derive(Debug, Error, PartialEq)]
pub enum TransformError {
    /// A parameter outside its valid range.
    #[error("{name} must be {expected}, got {value}")]
    Invalid {
        /// The parameter's name as the user typed it.
        name: &'static str,
        /// What was expected.
        expected: &'static str,
        /// The value given.
        value: String,
    },
    /// A parameter that would make a result too large to hold: a request past the token limit, a workload past
    /// the memory of any machine.
    #[error("{what} gives {} {unit}, above the limit of {}", big(*value), crate::fmt::int(*limit))]
    TooLarge {
        /// What was being computed, with the parameters that led to it.
        what: String,
        /// The value it would reach.
        value: f64,
        /// The limit.
        limit: f64,
        /// The unit of both.
        unit: &'static str,
    },
}

/// A parameter as the user would have typed it: `4`, `0.5`, `1e30`.
fn typed(x: f64) -> String {
    if x != 0.0 && (x.abs() >= 1e9 || x.abs() < 1e-4) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// A count for an error message: digits while they stay readable, scientific notation past that.
fn big(x: f64) -> String {
    if x.is_finite() && x.abs() < 1e15 {
        crate::fmt::int(x)
    } else {
        format!("{x:.3e}")
    }
}

fn invalid(name: &'static str, expected: &'static str, value: impl ToString) -> TransformError {
    TransformError::Invalid {
        name,
        expected,
        value: value.to_string(),
    }
}

/// How volume is scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VolumeMode {
    /// Superpose K copies of the pilot, each shifted by its own random offset: more users, smoother aggregate.
    #[default]
    Users,
    /// Replay the pilot K times back to back, each K× faster: the same shape, K× the rate.
    Compress,
}

/// The period over which `burst` clusters arrivals.
pub const BURST_CYCLE: SimTime = SimTime(300 * SimTime::NS_PER_S);

fn salt_prefix(id: u64, copy: u64) -> u64 {
    if copy == 0 {
        id
    } else {
        id ^ copy.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17)
    }
}

/// Scales the number of requests by `k` (≥ 0). An integer `k` gives exactly k·N requests; the fraction of a
/// non-integer `k` adds a seeded random subset of one more copy.
pub fn scale_volume(
    w: &Workload,
    k: f64,
    mode: VolumeMode,
    seed: u64,
) -> Result<Workload, TransformError> {
    if !(k.is_finite() && k >= 0.0) {
        return Err(invalid("volume", "a non-negative number", k));
    }
    let total = w.len() as f64 * k.ceil();
    if total > MAX_REQUESTS as f64 {
        return Err(TransformError::TooLarge {
            what: format!("{} requests at volume {}", w.len(), typed(k)),
            value: total,
            limit: MAX_REQUESTS as f64,
            unit: "requests",
        });
    }
    let whole = k.floor() as u64;
    let frac = k - whole as f64;
    let mut out = Workload {
        requests: Vec::with_capacity((w.len() as f64 * k.ceil()) as usize),
        hash_ids: Vec::new(),
        regions: w.regions.clone(),
        epoch_origin_s: w.epoch_origin_s,
        has_timestamps: w.has_timestamps,
    };
    if w.is_empty() {
        return Ok(out);
    }
    let t0 = w.requests[0].arrival.0;
    let n = w.len() as u64;
    // The copy period: the span plus one mean gap, so a wrapped request does not land on the first one.
    let span = w.span().0 + (w.span().0 / n.max(1)).max(1);
    let max_session = w
        .requests
        .iter()
        .filter(|r| r.session != NO_SESSION)
        .map(|r| r.session as u64 + 1)
        .max()
        .unwrap_or(0);
    let copies = whole + u64::from(frac > 0.0);
    let mut rng = Rng::new(seed);
    for c in 0..copies {
        let mut crng = Rng::derive(seed, c + 1);
        let offset = if c == 0 { 0 } else { rng.below(span) };
        let partial = c == whole;
        for r in &w.requests {
            if partial && crng.f64() >= frac {
                continue;
            }
            let rel = r.arrival.0 - t0;
            let arrival = match mode {
                VolumeMode::Users => t0 + (rel + offset) % span,
                VolumeMode::Compress => {
                    let kk = k.max(1e-9);
                    t0 + ((c as f64 * span as f64 + rel as f64) / kk) as u64
                }
            };
            let mut nr = *r;
            nr.arrival = SimTime(arrival);
            if r.session != NO_SESSION && matches!(mode, VolumeMode::Users) {
                nr.session = (r.session as u64 + c * max_session).min(u32::MAX as u64 - 1) as u32;
            }
            if r.prefix_len > 0 {
                let ids: Vec<u64> = w
                    .prefix_of(r)
                    .iter()
                    // Copies are other users: a shared system prompt stays shared, a session's history does not.
                    .map(|&id| {
                        if r.session != NO_SESSION {
                            salt_prefix(id, c)
                        } else {
                            id
                        }
                    })
                    .collect();
                let (s, l) = out.push_prefix(&ids);
                nr.prefix_start = s;
                nr.prefix_len = l;
            }
            out.requests.push(nr);
        }
    }
    out.sort_by_arrival();
    Ok(out)
}

/// The most requests a transform builds: 2³¹ requests are 64 GiB of memory, past any machine this runs on.
pub const MAX_REQUESTS: u64 = 1 << 31;

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

/// Raises the peak-to-mean ratio by about `b` (≥ 1) while keeping every request and the mean rate: the arrivals
/// of each [`BURST_CYCLE`] are squeezed, in order, into a window of 1/b of the cycle at a seeded random position.
pub fn burst(w: &mut Workload, b: f64, seed: u64) -> Result<(), TransformError> {
    if !(b.is_finite() && b >= 1.0) {
        return Err(invalid("burst", "a number of at least 1", b));
    }
    if b == 1.0 || w.is_empty() {
        return Ok(());
    }
    let t0 = w.requests[0].arrival.0;
    let cycle = BURST_CYCLE.0;
    let window = (cycle as f64 / b) as u64;
    let mut rng = Rng::new(seed);
    let mut current = u64::MAX;
    let mut start = 0;
    for r in &mut w.requests {
        let rel = r.arrival.0 - t0;
        let c = rel / cycle;
        if c != current {
            current = c;
            start = rng.below(cycle - window + 1);
        }
        let within = rel % cycle;
        let squeezed = (within as f64 / b) as u64;
        r.arrival = SimTime(t0 + c * cycle + start + squeezed);
    }
    w.sort_by_arrival();
    Ok(())
}

/// An inter-arrival process with mean 1 (scaled by the rate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arrival {
    /// Exponential gaps (CV 1).
    Poisson,
    /// Gamma gaps with the given coefficient of variation.
    Gamma {
        /// Coefficient of variation of the gaps.
        cv: f64,
    },
    /// Weibull gaps with the given shape (below 1 is burstier than Poisson).
    Weibull {
        /// Weibull shape parameter.
        shape: f64,
    },
}

impl Arrival {
    /// Parses `poisson`, `gamma:CV` or `weibull:SHAPE`.
    pub fn parse(s: &str) -> Result<Arrival, TransformError> {
        let (kind, arg) = s.split_once(':').unwrap_or((s, ""));
        let num = |name: &'static str| -> Result<f64, TransformError> {
            arg.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0)
                .ok_or_else(|| invalid(name, "a positive number after ':'", arg))
        };
        match kind {
            "poisson" if arg.is_empty() => Ok(Arrival::Poisson),
            "gamma" => Ok(Arrival::Gamma {
                cv: num("gamma cv")?,
            }),
            "weibull" => Ok(Arrival::Weibull {
                shape: num("weibull shape")?,
            }),
            _ => Err(invalid("arrival", "poisson, gamma:CV or weibull:SHAPE", s)),
        }
    }

    /// One gap with mean 1.
    pub fn sample(&self, rng: &mut Rng) -> f64 {
        match *self {
            Arrival::Poisson => rng.exp1(),
            Arrival::Gamma { cv } => {
                let shape = 1.0 / (cv * cv);
                rng.gamma(shape) / shape
            }
            Arrival::Weibull { shape } => {
                let scale = 1.0 / ln_gamma(1.0 + 1.0 / shape).exp();
                scale * rng.exp1().powf(1.0 / shape)
            }
        }
    }
}

/// The natural log of the gamma function (Lanczos approximation, 1e-13 relative).
pub fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Draws one (input, output) pair.
type LengthSampler<'a> = Box<dyn Fn(&mut Rng) -> (u32, u32) + 'a>;

/// Where synthetic lengths come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Lengths {
    /// Sample (input, output) pairs from an observed set, keeping their correlation.
    Empirical(Vec<(u32, u32)>),
    /// Independent log-normal input and output lengths given by mean and 99th percentile.
    LogNormal {
        /// Mean prompt tokens.
        in_mean: f64,
        /// 99th-percentile prompt tokens.
        in_p99: f64,
        /// Mean output tokens.
        out_mean: f64,
        /// 99th-percentile output tokens.
        out_p99: f64,
    },
}

/// (mu, sigma) of a log-normal with this mean and 99th percentile.
pub fn lognormal_params(mean: f64, p99: f64) -> Result<(f64, f64), TransformError> {
    const Z99: f64 = 2.326_347_874;
    if !(mean > 0.0 && p99 > mean) {
        return Err(invalid(
            "lognormal",
            "a positive mean below its p99",
            format!("{mean},{p99}"),
        ));
    }
    let d = p99.ln() - mean.ln();
    let disc = Z99 * Z99 - 2.0 * d;
    if disc < 0.0 {
        return Err(invalid(
            "lognormal",
            "a p99 at most e^(2.7) times the mean",
            format!("{mean},{p99}"),
        ));
    }
    let sigma = Z99 - disc.sqrt();
    Ok((mean.ln() - sigma * sigma / 2.0, sigma))
}

impl Lengths {
    /// Parses `lognormal:IN_MEAN,IN_P99,OUT_MEAN,OUT_P99`.
    pub fn parse_lognormal(s: &str) -> Result<Lengths, TransformError> {
        let arg = s.strip_prefix("lognormal:").ok_or_else(|| {
            invalid(
                "lengths",
                "lognormal:IN_MEAN,IN_P99,OUT_MEAN,OUT_P99 or a file",
                s,
            )
        })?;
        let v: Vec<f64> = arg
            .split(',')
            .map(|x| x.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| invalid("lengths", "four numbers after lognormal:", arg))?;
        if v.len() != 4 {
            return Err(invalid("lengths", "four numbers after lognormal:", arg));
        }
        lognormal_params(v[0], v[1])?;
        lognormal_params(v[2], v[3])?;
        Ok(Lengths::LogNormal {
            in_mean: v[0],
            in_p99: v[1],
            out_mean: v[2],
            out_p99: v[3],
        })
    }

    fn sampler(&self) -> LengthSampler<'_> {
        match self {
            Lengths::Empirical(pairs) => {
                Box::new(move |rng: &mut Rng| pairs[rng.below(pairs.len() as u64) as usize])
            }
            Lengths::LogNormal {
                in_mean,
                in_p99,
                out_mean,
                out_p99,
            } => {
                // Validated at construction; fall back to a degenerate distribution rather than panic.
                let (mi, si) = lognormal_params(*in_mean, *in_p99).unwrap_or((in_mean.ln(), 0.0));
                let (mo, so) =
                    lognormal_params(*out_mean, *out_p99).unwrap_or((out_mean.ln(), 0.0));
                Box::new(move |rng: &mut Rng| {
                    let i = (mi + si * rng.normal()).exp().round().max(1.0);
                    let o = (mo + so * rng.normal()).exp().round().max(1.0);
                    (i.min(u32::MAX as f64) as u32, o.min(u32::MAX as f64) as u32)
                })
            }
        }
    }
}

/// Relative load by hour of day (24 weights, any positive scale).
#[derive(Debug, Clone, PartialEq)]
pub struct Diurnal {
    weights: [f64; 24],
}

impl Diurnal {
    /// A flat day.
    pub fn flat() -> Diurnal {
        Diurnal { weights: [1.0; 24] }
    }

    /// From 24 non-negative weights, not all zero.
    pub fn new(weights: &[f64]) -> Result<Diurnal, TransformError> {
        if weights.len() != 24 {
            return Err(invalid("diurnal", "24 hourly weights", weights.len()));
        }
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) || weights.iter().sum::<f64>() <= 0.0
        {
            return Err(invalid(
                "diurnal",
                "non-negative weights, not all zero",
                format!("{weights:?}"),
            ));
        }
        let mut a = [0.0; 24];
        a.copy_from_slice(weights);
        Ok(Diurnal { weights: a })
    }

    /// The weights divided by their mean (mean 1).
    pub fn normalized(&self) -> [f64; 24] {
        let m = self.weights.iter().sum::<f64>() / 24.0;
        let mut a = self.weights;
        for w in &mut a {
            *w /= m;
        }
        a
    }

    /// The weights divided by their maximum (peak hour 1).
    pub fn relative_to_peak(&self) -> [f64; 24] {
        let m = self.weights.iter().cloned().fold(0.0, f64::max);
        let mut a = self.weights;
        for w in &mut a {
            *w /= m;
        }
        a
    }

    /// The busiest hour.
    pub fn peak_hour(&self) -> usize {
        let mut best = 0;
        for h in 1..24 {
            if self.weights[h] > self.weights[best] {
                best = h;
            }
        }
        best
    }

    /// Maps operational time `u` (seconds at the mean rate) to wall time, so that arrivals at a constant rate in
    /// `u` follow this day's shape in wall time.
    fn warp(&self, u: f64) -> f64 {
        let w = self.normalized();
        let day = 86_400.0;
        let days = (u / day).floor();
        let mut rem = u - days * day;
        for (h, &wh) in w.iter().enumerate() {
            let cap = wh * 3600.0;
            if rem <= cap {
                let within = if wh > 0.0 { rem / wh } else { 0.0 };
                return days * day + h as f64 * 3600.0 + within;
            }
            rem -= cap;
        }
        (days + 1.0) * day
    }
}

/// Concurrent multi-turn sessions for `synth`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sessions {
    /// Sessions open at any time.
    pub concurrent: u32,
    /// Mean turns per session (geometric).
    pub mean_turns: f64,
    /// Mean think time between an answer and the next turn, seconds (exponential).
    pub think_time_s: f64,
}

/// Tokens per prefix block in generated `hash_ids` (the Mooncake convention).
pub const PREFIX_BLOCK_TOKENS: u32 = 512;

/// A synthetic workload: `rate_rps` mean requests per second over `duration_s`, with the arrival process,
/// lengths and day shape given. With `sessions`, requests come from that many concurrent conversations instead
/// and `rate_rps` is ignored.
pub fn synth(
    rate_rps: f64,
    duration_s: f64,
    arrival: Arrival,
    lengths: &Lengths,
    diurnal: &Diurnal,
    sessions: Option<Sessions>,
    seed: u64,
) -> Result<Workload, TransformError> {
    if !(duration_s.is_finite() && duration_s > 0.0) {
        return Err(invalid(
            "duration",
            "a positive number of seconds",
            duration_s,
        ));
    }
    if let Lengths::Empirical(p) = lengths {
        if p.is_empty() {
            return Err(invalid(
                "lengths",
                "a file with at least one row",
                "an empty file",
            ));
        }
    }
    let mut rng = Rng::new(seed);
    let sample = lengths.sampler();
    let mut w = Workload::new();
    if let Some(s) = sessions {
        synth_sessions(&mut w, duration_s, &s, &*sample, &mut rng)?;
        return Ok(w);
    }
    if !(rate_rps.is_finite() && rate_rps > 0.0) {
        return Err(invalid(
            "rate",
            "a positive number of requests per second",
            rate_rps,
        ));
    }
    let mut u = 0.0;
    loop {
        u += arrival.sample(&mut rng) / rate_rps;
        let t = diurnal.warp(u);
        if t >= duration_s {
            break;
        }
        let (i, o) = sample(&mut rng);
        w.requests
            .push(Request::new(SimTime::from_secs_f64(t), i, o));
    }
    w.sort_by_arrival();
    Ok(w)
}

fn synth_sessions(
    w: &mut Workload,
    duration_s: f64,
    s: &Sessions,
    sample: &dyn Fn(&mut Rng) -> (u32, u32),
    rng: &mut Rng,
) -> Result<(), TransformError> {
    if s.concurrent == 0 {
        return Err(invalid("sessions", "at least 1", 0));
    }
    if !(s.mean_turns >= 1.0) {
        return Err(invalid("turns", "a mean of at least 1", s.mean_turns));
    }
    if !(s.think_time_s.is_finite() && s.think_time_s >= 0.0) {
        return Err(invalid(
            "think-time",
            "a non-negative number of seconds",
            s.think_time_s,
        ));
    }
    let mut next_session = 0u32;
    let mut next_block = 0u64;
    // Each slot keeps one session open; when a session ends, the slot starts a new one.
    for _slot in 0..s.concurrent {
        let mut t = rng.f64() * s.think_time_s.max(1.0);
        while t < duration_s {
            let id = next_session;
            next_session += 1;
            let p_end = 1.0 / s.mean_turns;
            let mut history: Vec<u64> = Vec::new();
            let mut history_tokens = 0u32;
            loop {
                let (new_in, out) = sample(rng);
                let input = history_tokens.saturating_add(new_in);
                // Blocks of the prompt: the shared history's blocks, then fresh ones for the new text.
                let blocks = input / PREFIX_BLOCK_TOKENS;
                while (history.len() as u32) < blocks {
                    history.push(next_block);
                    next_block += 1;
                }
                let (ps, pl) = w.push_prefix(&history[..blocks as usize]);
                let mut r = Request::new(SimTime::from_secs_f64(t), input, out);
                r.session = id;
                r.prefix_start = ps;
                r.prefix_len = pl;
                w.requests.push(r);
                history.truncate((input / PREFIX_BLOCK_TOKENS) as usize);
                history_tokens = input.saturating_add(out);
                // The next turn comes after the answer streams (about 20 ms a token) and the user thinks.
                t += out as f64 * 0.02 + rng.exp1() * s.think_time_s;
                if rng.f64() < p_end || t >= duration_s {
                    break;
                }
            }
        }
    }
    w.sort_by_arrival();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pilot(n: u64) -> Workload {
        let mut w = Workload::new();
        let mut rng = Rng::new(3);
        let mut t = 0.0;
        for _ in 0..n {
            t += rng.exp1();
            w.requests.push(Request::new(
                SimTime::from_secs_f64(t),
                1 + rng.below(1000) as u32,
                1 + rng.below(300) as u32,
            ));
        }
        w
    }

    #[test]
    fn integer_volume_multiplies_counts_and_tokens_exactly() {
        let w = pilot(500);
        for mode in [VolumeMode::Users, VolumeMode::Compress] {
            let s = scale_volume(&w, 7.0, mode, 1).unwrap();
            assert_eq!(s.len(), 3500);
            assert_eq!(s.input_tokens(), 7 * w.input_tokens());
            assert_eq!(s.output_tokens(), 7 * w.output_tokens());
            assert!(s.requests.windows(2).all(|p| p[0].arrival <= p[1].arrival));
            let rate = s.len() as f64 / s.span().as_secs_f64();
            let base = w.len() as f64 / w.span().as_secs_f64();
            assert!(
                (rate / base - 7.0).abs() < 0.1,
                "{mode:?}: {rate} vs {base}"
            );
        }
    }

    #[test]
    fn transforms_keep_their_invariants_for_random_inputs() {
        // Property test over seeds and parameters: counts, token sums, mean rate, order and determinism.
        for seed in 0..25u64 {
            let mut rng = Rng::new(seed);
            let w = pilot(100 + rng.below(900));
            let k = 1 + rng.below(20);
            let mode = if seed % 2 == 0 {
                VolumeMode::Users
            } else {
                VolumeMode::Compress
            };
            let s = scale_volume(&w, k as f64, mode, seed).unwrap();
            assert_eq!(s.len() as u64, k * w.len() as u64);
            assert_eq!(s.output_tokens(), k * w.output_tokens());
            assert!(s.requests.windows(2).all(|p| p[0].arrival <= p[1].arrival));
            assert!(s.span() <= w.span() + SimTime::from_secs(1));
            assert_eq!(s, scale_volume(&w, k as f64, mode, seed).unwrap());
            let mut c = s.clone();
            let mult = 0.5 + rng.f64() * 4.0;
            scale_context(&mut c, mult, 0).unwrap();
            let expect: u64 = s
                .requests
                .iter()
                .map(|r| ((r.input_tokens as f64 * mult).round() as u64).max(1))
                .sum();
            assert_eq!(c.input_tokens(), expect);
            let b = 1.0 + rng.f64() * 4.0;
            let mut bursty = s.clone();
            burst(&mut bursty, b, seed).unwrap();
            assert_eq!(bursty.len(), s.len());
            assert_eq!(bursty.input_tokens(), s.input_tokens());
            // The mean rate is kept: arrivals stay within the same cycles, so the span moves by under a cycle.
            assert!(bursty.span().0 <= s.span().0 + BURST_CYCLE.0);
        }
    }

    #[test]
    fn fractional_volume_is_seeded() {
        let w = pilot(1000);
        let a = scale_volume(&w, 2.5, VolumeMode::Users, 9).unwrap();
        let b = scale_volume(&w, 2.5, VolumeMode::Users, 9).unwrap();
        assert_eq!(a, b);
        assert!((a.len() as f64 - 2500.0).abs() < 60.0, "{}", a.len());
        assert!(scale_volume(&w, -1.0, VolumeMode::Users, 1).is_err());
    }

    #[test]
    fn burst_keeps_count_and_span_but_raises_peak() {
        let mut w = pilot(20_000);
        let before = crate::stats::trace_stats(&w, "t", 0);
        let span = w.span();
        burst(&mut w, 3.0, 5).unwrap();
        let after = crate::stats::trace_stats(&w, "t", 0);
        assert_eq!(after.requests, 20_000);
        assert!(w.span() <= span);
        let (b, a) = (
            before.peak_to_mean.unwrap().s60,
            after.peak_to_mean.unwrap().s60,
        );
        assert!(a > 2.2 * b, "peak-to-mean 60 s {b} -> {a}");
    }

    #[test]
    fn synth_poisson_has_rate_and_cv() {
        let l = Lengths::parse_lognormal("lognormal:1000,8000,200,1000").unwrap();
        let w = synth(
            50.0,
            2000.0,
            Arrival::Poisson,
            &l,
            &Diurnal::flat(),
            None,
            2,
        )
        .unwrap();
        let s = crate::stats::trace_stats(&w, "synth", 0);
        assert!((s.mean_rate_rps.unwrap() - 50.0).abs() < 1.5);
        assert!((s.interarrival_cv.unwrap() - 1.0).abs() < 0.03);
        assert!(
            (s.input_tokens.mean - 1000.0).abs() < 40.0,
            "{}",
            s.input_tokens.mean
        );
        let g = synth(
            50.0,
            2000.0,
            Arrival::Gamma { cv: 3.0 },
            &l,
            &Diurnal::flat(),
            None,
            2,
        )
        .unwrap();
        let gs = crate::stats::trace_stats(&g, "synth", 0);
        assert!((gs.interarrival_cv.unwrap() - 3.0).abs() < 0.3);
        let wb = synth(
            50.0,
            2000.0,
            Arrival::Weibull { shape: 0.5 },
            &l,
            &Diurnal::flat(),
            None,
            2,
        )
        .unwrap();
        let ws = crate::stats::trace_stats(&wb, "synth", 0);
        assert!((ws.mean_rate_rps.unwrap() - 50.0).abs() < 3.0);
    }

    #[test]
    fn diurnal_shapes_rate_by_hour() {
        let mut weights = vec![1.0; 24];
        weights[12] = 4.0;
        let d = Diurnal::new(&weights).unwrap();
        let l = Lengths::Empirical(vec![(10, 10)]);
        let w = synth(2.0, 86_400.0, Arrival::Poisson, &l, &d, None, 1).unwrap();
        let by_hour = crate::stats::trace_stats(&w, "s", 0).rate_by_hour.unwrap();
        let ratio = by_hour[12] as f64 / by_hour[3] as f64;
        assert!((ratio - 4.0).abs() < 0.5, "{by_hour:?}");
    }

    #[test]
    fn sessions_carry_history() {
        let l = Lengths::Empirical(vec![(600, 100)]);
        let s = Sessions {
            concurrent: 10,
            mean_turns: 5.0,
            think_time_s: 5.0,
        };
        let w = synth(
            1.0,
            600.0,
            Arrival::Poisson,
            &l,
            &Diurnal::flat(),
            Some(s),
            1,
        )
        .unwrap();
        let st = crate::stats::trace_stats(&w, "s", 0);
        assert!(st.sessions > 10);
        let c = st.concurrent_sessions.unwrap();
        assert!(c.peak <= 10 && c.peak >= 5, "{c:?}");
        // A second turn's prompt holds the first turn's prompt and answer.
        assert!(w.requests.iter().any(|r| r.input_tokens == 600 + 100 + 600));
        assert!(w.requests.iter().any(|r| r.prefix_len >= 2));
    }

    #[test]
    fn lognormal_rejects_impossible_shapes() {
        assert!(lognormal_params(100.0, 50.0).is_err());
        let (mu, s) = lognormal_params(100.0, 500.0).unwrap();
        assert!(((mu + s * s / 2.0).exp() - 100.0).abs() < 1e-9);
        assert!(((mu + 2.326_347_874 * s).exp() - 500.0).abs() < 1e-6);
    }

    #[test]
    fn ln_gamma_is_accurate() {
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
    }
    #[test]
    fn context_and_output_past_the_token_limit_are_errors() {
        let mut w = pilot(10);
        let e = scale_context(&mut w, 1e30, 0).unwrap_err().to_string();
        assert!(
            e.contains("--context-mult 1e30") && e.contains("10,000,000"),
            "{e}"
        );
        let e = scale_context(&mut w, 1.0, 20_000_000)
            .unwrap_err()
            .to_string();
        assert!(e.contains("above the limit"), "{e}");
        let e = scale_output(&mut w, 1e12).unwrap_err().to_string();
        assert!(e.contains("--output-mult"), "{e}");
        // Nothing was changed by the refused calls.
        assert_eq!(w.requests, pilot(10).requests);
        let e = scale_volume(&w, 1e12, VolumeMode::Users, 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("requests"), "{e}");
    }
}
