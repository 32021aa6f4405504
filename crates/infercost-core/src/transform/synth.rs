//! Synthetic workloads: arrival processes, length distributions, a day's shape and multi-turn sessions.

use super::{invalid, TransformError};
use crate::rng::Rng;
use crate::units::SimTime;
use crate::workload::{Request, Workload};

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
