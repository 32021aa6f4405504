//! Billing: a month of fleet usage priced on one plan, with idle GPU time, egress, inter-region transfer and
//! API overflow as their own lines. Lines are rounded to micro-dollars once and summed as integers, so they
//! add up to the total exactly.

use crate::catalog::{Catalog, Commitment, Plan};
use crate::CostError;
use infercost_core::units::HOURS_PER_MONTH;
use infercost_core::Usd;
use serde::{Deserialize, Serialize};

/// A stretch of the month with a constant fleet.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Segment {
    /// Hours the stretch lasts.
    pub hours: f64,
    /// GPUs provisioned.
    pub gpus: f64,
    /// GPUs' worth of busy time (≤ `gpus`).
    pub busy_gpus: f64,
}

/// One month of a fleet's usage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Usage {
    /// The month as stretches of constant fleet; hours should add up to 730.
    pub segments: Vec<Segment>,
    /// GPUs committed on term plans (default: the peak).
    pub commit_gpus: Option<f64>,
    /// Requests served in the month.
    pub requests: f64,
    /// Output tokens streamed to users in the month.
    pub output_tokens: f64,
    /// GB moved between regions (a user's request served in another region).
    pub inter_region_gb: f64,
    /// Spent on a per-token API for overflow.
    pub api_usd: f64,
}

impl Usage {
    /// A constant fleet of `gpus` for `hours` at `busy_fraction`, then nothing for the rest of the month.
    pub fn constant(gpus: f64, hours: f64, busy_fraction: f64) -> Result<Usage, CostError> {
        if !(gpus.is_finite() && gpus >= 0.0) {
            return Err(CostError::Invalid(format!(
                "gpus must be a non-negative number, got {gpus}"
            )));
        }
        if !(hours.is_finite() && (0.0..=HOURS_PER_MONTH).contains(&hours)) {
            return Err(CostError::Invalid(format!(
                "hours must be between 0 and {HOURS_PER_MONTH} (one month), got {hours}"
            )));
        }
        if !(0.0..=1.0).contains(&busy_fraction) {
            return Err(CostError::Invalid(format!(
                "busy fraction must be between 0 and 1, got {busy_fraction}"
            )));
        }
        let mut segments = vec![Segment {
            hours,
            gpus,
            busy_gpus: gpus * busy_fraction,
        }];
        if hours < HOURS_PER_MONTH {
            segments.push(Segment {
                hours: HOURS_PER_MONTH - hours,
                gpus: 0.0,
                busy_gpus: 0.0,
            });
        }
        Ok(Usage {
            segments,
            commit_gpus: None,
            requests: 0.0,
            output_tokens: 0.0,
            inter_region_gb: 0.0,
            api_usd: 0.0,
        })
    }

    /// The most GPUs provisioned at once.
    pub fn peak_gpus(&self) -> f64 {
        self.segments.iter().map(|s| s.gpus).fold(0.0, f64::max)
    }
}

/// How many bytes a streamed response puts on the wire per output token.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EgressModel {
    /// Text bytes per token (about 4 for English under BPE tokenizers).
    pub bytes_per_token: f64,
    /// Tokens per server-sent-event chunk (1 for token-by-token streaming).
    pub tokens_per_chunk: f64,
    /// Envelope bytes per chunk: `data: {"id":…,"object":"chat.completion.chunk","created":…,"model":…,
    /// "choices":[{"index":0,"delta":{"content":…},"finish_reason":null}]}\n\n` is about 200 bytes.
    pub chunk_overhead_bytes: f64,
    /// Headers and the final usage chunk per response.
    pub response_overhead_bytes: f64,
}

impl Default for EgressModel {
    fn default() -> Self {
        EgressModel {
            bytes_per_token: 4.0,
            tokens_per_chunk: 1.0,
            chunk_overhead_bytes: 200.0,
            response_overhead_bytes: 1000.0,
        }
    }
}

impl EgressModel {
    /// GB (10^9 bytes) for this many requests and output tokens.
    pub fn gb(&self, requests: f64, output_tokens: f64) -> f64 {
        let per_token =
            self.bytes_per_token + self.chunk_overhead_bytes / self.tokens_per_chunk.max(1e-9);
        (output_tokens * per_token + requests * self.response_overhead_bytes) / 1e9
    }
}

/// A month's bill on one plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bill {
    /// Plan name.
    pub plan: String,
    /// Provider.
    pub provider: String,
    /// GPU.
    pub gpu: String,
    /// Region.
    pub region: String,
    /// Commitment.
    pub commitment: String,
    /// The plan's price per GPU-hour.
    pub usd_per_gpu_hour: f64,
    /// gpu + egress + transfer + api.
    pub total_usd_per_month: Usd,
    /// GPU time billed, idle included.
    pub gpu_usd: Usd,
    /// Of `gpu_usd`, the GPU time that did no work.
    pub idle_usd: Usd,
    /// Internet egress of responses.
    pub egress_usd: Usd,
    /// Inter-region transfer.
    pub transfer_usd: Usd,
    /// Per-token API overflow.
    pub api_usd: Usd,
    /// GPU-hours billed.
    pub gpu_hours: f64,
    /// GPU-hours that did work.
    pub busy_gpu_hours: f64,
    /// Egress GB.
    pub egress_gb: f64,
    /// Total over output tokens, per million.
    pub usd_per_million_output_tokens: Option<f64>,
    /// Total over requests.
    pub usd_per_request: Option<f64>,
    /// GPUs committed for the term (term plans; owned plans: every GPU of the servers bought).
    pub committed_gpus: Option<f64>,
    /// Owned plans: of `gpu_usd`, the purchase amortised over the month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amortisation_usd: Option<Usd>,
    /// Owned plans: of `gpu_usd`, the energy drawn (busy and idle GPU-hours, facility overhead included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_usd: Option<Usd>,
    /// Owned plans: of `gpu_usd`, the colocation of the servers' reserved power.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colocation_usd: Option<Usd>,
    /// The price's source.
    pub source: String,
    /// The price's date.
    pub as_of: String,
}

/// Prices a month of usage on `plan`. On-demand and spot bill provisioned GPU-hours (spot plus its interruption
/// overhead); term plans bill the committed GPUs for all 730 hours and any capacity above them at the plan's
/// burst plan, or commit to the peak when the plan cannot burst.
pub fn bill(
    plan: &Plan,
    catalog: &Catalog,
    usage: &Usage,
    egress_model: &EgressModel,
) -> Result<Bill, CostError> {
    for s in &usage.segments {
        if !(s.hours >= 0.0
            && s.gpus >= 0.0
            && s.busy_gpus >= 0.0
            && s.busy_gpus <= s.gpus * (1.0 + 1e-9))
        {
            return Err(CostError::Invalid(format!("usage segment {s:?}: hours and GPUs must be non-negative and busy GPUs at most the GPUs")));
        }
    }
    let rate = plan.usd_per_gpu_hour;
    let busy_hours: f64 = usage.segments.iter().map(|s| s.hours * s.busy_gpus).sum();
    let mut owned_lines = None;
    let Gpu {
        dollars: gpu_dollars,
        idle: idle_dollars,
        hours: gpu_hours,
        committed,
    } = if plan.commitment == Commitment::Owned {
        let (gpu, lines) = owned_gpus(plan, usage, busy_hours)?;
        owned_lines = Some(lines);
        gpu
    } else if plan.commitment.is_term() {
        term_gpus(plan, catalog, usage, busy_hours)?
    } else {
        metered_gpus(plan, usage, busy_hours)
    };
    let table = catalog.egress_of(plan);
    let egress_gb = egress_model.gb(usage.requests, usage.output_tokens);
    // An owned plan's GPU line is its three lines, each rounded once, so they add up to it exactly.
    let gpu_usd = owned_lines.map_or(Usd::from_dollars(gpu_dollars), |[a, p, c]| a + p + c);
    let idle_usd = Usd::from_dollars(idle_dollars.min(gpu_dollars)).min(gpu_usd);
    let egress_usd = Usd::from_dollars(table.internet_usd(egress_gb));
    let transfer_usd =
        Usd::from_dollars(usage.inter_region_gb.max(0.0) * table.inter_region_usd_per_gb);
    let api_usd = Usd::from_dollars(usage.api_usd.max(0.0));
    let total = gpu_usd + egress_usd + transfer_usd + api_usd;
    Ok(Bill {
        plan: plan.name.clone(),
        provider: plan.provider.clone(),
        gpu: plan.gpu.clone(),
        region: plan.region.clone(),
        commitment: plan.commitment.name().to_string(),
        usd_per_gpu_hour: rate,
        total_usd_per_month: total,
        gpu_usd,
        idle_usd,
        egress_usd,
        transfer_usd,
        api_usd,
        gpu_hours,
        busy_gpu_hours: busy_hours,
        egress_gb,
        usd_per_million_output_tokens: (usage.output_tokens > 0.0)
            .then(|| total.dollars() / (usage.output_tokens / 1e6)),
        usd_per_request: (usage.requests > 0.0).then(|| total.dollars() / usage.requests),
        committed_gpus: committed,
        amortisation_usd: owned_lines.map(|l| l[0]),
        power_usd: owned_lines.map(|l| l[1]),
        colocation_usd: owned_lines.map(|l| l[2]),
        source: plan.source.clone(),
        as_of: plan.as_of.clone(),
    })
}

/// What the GPUs of a bill cost: dollars, the idle part of them, GPU-hours billed and the GPUs committed to.
struct Gpu {
    dollars: f64,
    idle: f64,
    hours: f64,
    committed: Option<f64>,
}

/// A term plan: the committed GPUs all month, and the GPUs above them at the burst plan's rate (or the plan's).
fn term_gpus(
    plan: &Plan,
    catalog: &Catalog,
    usage: &Usage,
    busy_hours: f64,
) -> Result<Gpu, CostError> {
    let rate = plan.usd_per_gpu_hour;
    let burst = match &plan.burst_plan {
        Some(b) => Some(catalog.plan(b)?.usd_per_gpu_hour),
        None => None,
    };
    let peak = usage.peak_gpus();
    let commit = match (usage.commit_gpus, burst) {
        (Some(c), Some(_)) => c.max(0.0),
        // Without a burst plan the commitment must cover the peak.
        (Some(c), None) => c.max(peak),
        (None, _) => peak,
    };
    let committed_hours = commit * HOURS_PER_MONTH;
    let above: f64 = usage
        .segments
        .iter()
        .map(|s| s.hours * (s.gpus - commit).max(0.0))
        .sum();
    let busy_in: f64 = usage
        .segments
        .iter()
        .map(|s| s.hours * s.busy_gpus.min(commit))
        .sum();
    let busy_above = busy_hours - busy_in;
    let burst_rate = burst.unwrap_or(rate);
    let dollars = committed_hours * rate + above * burst_rate;
    let idle =
        (committed_hours - busy_in).max(0.0) * rate + (above - busy_above).max(0.0) * burst_rate;
    Ok(Gpu {
        dollars,
        idle,
        hours: committed_hours + above,
        committed: Some(commit),
    })
}

/// An owned plan: whole servers for the peak, all month, with their amortisation, power and colocation lines.
fn owned_gpus(plan: &Plan, usage: &Usage, busy_hours: f64) -> Result<(Gpu, [Usd; 3]), CostError> {
    let m = plan.owned_terms()?.month(usage.peak_gpus(), busy_hours);
    let lines = [
        Usd::from_dollars(m.amortisation),
        Usd::from_dollars(m.power),
        Usd::from_dollars(m.colocation),
    ];
    let gpu = Gpu {
        dollars: m.amortisation + m.power + m.colocation,
        idle: m.idle,
        hours: m.gpu_hours,
        committed: Some(m.gpu_hours / HOURS_PER_MONTH),
    };
    Ok((gpu, lines))
}

/// A metered plan (on-demand, spot): each stretch billed by the plan's granularity and minimum, plus the
/// interruption overhead.
fn metered_gpus(plan: &Plan, usage: &Usage, busy_hours: f64) -> Gpu {
    let rate = plan.usd_per_gpu_hour;
    let factor = 1.0 + plan.interruption_overhead;
    let billed: f64 = usage
        .segments
        .iter()
        .map(|s| {
            if s.gpus <= 0.0 || s.hours <= 0.0 {
                return 0.0;
            }
            // Round each stretch up to the granularity and the minimum.
            let secs = (s.hours * 3600.0).max(plan.billing_minimum_s as f64);
            let g = plan.billing_granularity_s.max(1) as f64;
            (secs / g).ceil() * g / 3600.0 * s.gpus
        })
        .sum::<f64>()
        * factor;
    Gpu {
        dollars: billed * rate,
        idle: (billed - busy_hours).max(0.0) * rate,
        hours: billed,
        committed: None,
    }
}

/// The fraction of the month on-demand capacity must be provisioned for a term plan at `term_rate` to cost less
/// than on-demand at `on_demand_rate`.
pub fn committed_breakeven_utilization(term_rate: f64, on_demand_rate: f64) -> f64 {
    if on_demand_rate <= 0.0 {
        return f64::INFINITY;
    }
    term_rate / on_demand_rate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_add_up_and_idle_is_split_out() {
        let c = Catalog::embedded();
        let mut u = Usage::constant(8.0, 730.0, 0.4).unwrap();
        u.requests = 1e6;
        u.output_tokens = 3e8;
        for p in &c.plans {
            let b = bill(p, &c, &u, &EgressModel::default()).unwrap();
            assert_eq!(
                b.gpu_usd + b.egress_usd + b.transfer_usd + b.api_usd,
                b.total_usd_per_month,
                "{}",
                p.name
            );
            assert!(b.idle_usd <= b.gpu_usd);
        }
        let od = bill(
            c.plan("aws-h100-on-demand").unwrap(),
            &c,
            &u,
            &EgressModel::default(),
        )
        .unwrap();
        assert!((od.gpu_usd.dollars() - 8.0 * 730.0 * 6.88).abs() < 0.01);
        assert!((od.idle_usd.dollars() - 0.6 * 8.0 * 730.0 * 6.88).abs() < 0.01);
    }

    #[test]
    fn term_plans_bill_the_month_and_burst_above_the_commitment() {
        let c = Catalog::embedded();
        let mut u = Usage::constant(8.0, 100.0, 1.0).unwrap();
        let bm = bill(
            c.plan("baremetal-h100-typical").unwrap(),
            &c,
            &u,
            &EgressModel::default(),
        )
        .unwrap();
        assert!((bm.gpu_usd.dollars() - 8.0 * 730.0 * 2.75).abs() < 0.01);
        u.commit_gpus = Some(4.0);
        let one = bill(
            c.plan("aws-h100-committed-1y").unwrap(),
            &c,
            &u,
            &EgressModel::default(),
        )
        .unwrap();
        let expect = 4.0 * 730.0 * 4.472 + 4.0 * 100.0 * 6.88;
        assert!(
            (one.gpu_usd.dollars() - expect).abs() < 0.01,
            "{}",
            one.gpu_usd
        );
    }

    #[test]
    fn bad_usage_is_refused() {
        assert!(Usage::constant(-1.0, 10.0, 0.5).is_err());
        assert!(Usage::constant(1.0, 800.0, 0.5).is_err());
        assert!(Usage::constant(1.0, 10.0, 1.5).is_err());
    }
}
