//! Owned hardware (`commitment = "owned"`): a plan's purchase, power and colocation figures, each with its source,
//! checked into [`OwnedTerms`], and the month they cost a fleet — amortisation, energy and colocation as their own
//! bill lines.

use crate::CostError;
use infercost_core::units::HOURS_PER_MONTH;
use serde::{Deserialize, Serialize};

/// The `[plan.owned]` table of an owned plan as the catalog file gives it. Every figure is optional here so that a
/// missing one is reported with its field and plan (see [`Owned::terms`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Owned {
    /// Purchase price of one server with its GPUs, USD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_usd: Option<f64>,
    /// Where the purchase price comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_usd_source: Option<String>,
    /// GPUs in one server: capacity is bought in whole servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpus_per_server: Option<u32>,
    /// Years the purchase is spread over, straight line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amortisation_years: Option<f64>,
    /// Where the amortisation period comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amortisation_source: Option<String>,
    /// The server's maximum power, kW: what colocation reserves and bills.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_kw_max: Option<f64>,
    /// The server's average draw while its GPUs serve, kW.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_kw_load: Option<f64>,
    /// The server's draw while its GPUs are idle, kW.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_kw_idle: Option<f64>,
    /// Where the power figures come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_source: Option<String>,
    /// Power usage effectiveness of the facility: facility energy over IT energy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pue: Option<f64>,
    /// Where the PUE comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pue_source: Option<String>,
    /// Electricity price, USD per kWh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub electricity_usd_per_kwh: Option<f64>,
    /// Where the electricity price comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub electricity_source: Option<String>,
    /// Colocation, USD per kW of reserved power per month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colocation_usd_per_kw_month: Option<f64>,
    /// Where the colocation price comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colocation_source: Option<String>,
}

/// An owned plan's figures, checked: every one present, finite and in range, with its source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OwnedTerms {
    /// USD per server.
    pub server_usd: f64,
    /// GPUs per server.
    pub gpus_per_server: u32,
    /// Years of straight-line amortisation.
    pub amortisation_years: f64,
    /// kW reserved per server.
    pub power_kw_max: f64,
    /// kW per server under load.
    pub power_kw_load: f64,
    /// kW per server idle.
    pub power_kw_idle: f64,
    /// Facility over IT energy.
    pub pue: f64,
    /// USD per kWh.
    pub electricity_usd_per_kwh: f64,
    /// USD per kW-month.
    pub colocation_usd_per_kw_month: f64,
}

/// What a fleet of owned servers costs in a month, line by line, in dollars (rounded once by the bill).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OwnedMonth {
    /// Servers owned: the peak GPUs rounded up to whole servers.
    pub servers: u32,
    /// Purchase spread over the amortisation months.
    pub amortisation: f64,
    /// Energy at the facility: busy and idle GPU-hours at their power, times PUE and the price.
    pub power: f64,
    /// Reserved power at the colocation price.
    pub colocation: f64,
    /// Of the three, what the idle GPU-hours cost: their share of amortisation and colocation, and their power.
    pub idle: f64,
    /// GPU-hours owned: every GPU of every server, all month.
    pub gpu_hours: f64,
}

impl Owned {
    /// The checked figures of plan `plan`; a missing or impossible one is named with the plan.
    pub fn terms(&self, plan: &str) -> Result<OwnedTerms, CostError> {
        let missing = |field: &str| {
            CostError::Invalid(format!("owned plan {plan:?}: [plan.owned] needs `{field}`"))
        };
        let sourced =
            |value: Option<f64>, field: &str, source: &Option<String>, source_field: &str| {
                let v = value.ok_or_else(|| missing(field))?;
                if source.as_deref().is_none_or(|s| s.trim().is_empty()) {
                    return Err(missing(source_field));
                }
                Ok(v)
            };
        let positive = |v: f64, field: &str| {
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(CostError::Invalid(format!(
                    "owned plan {plan:?}: `{field}` must be a positive number, got {v}"
                )))
            }
        };
        let power = |v: Option<f64>, field: &str| {
            sourced(v, field, &self.power_source, "power_source").and_then(|v| positive(v, field))
        };
        let t = OwnedTerms {
            server_usd: positive(
                sourced(
                    self.server_usd,
                    "server_usd",
                    &self.server_usd_source,
                    "server_usd_source",
                )?,
                "server_usd",
            )?,
            gpus_per_server: self
                .gpus_per_server
                .ok_or_else(|| missing("gpus_per_server"))?,
            amortisation_years: positive(
                sourced(
                    self.amortisation_years,
                    "amortisation_years",
                    &self.amortisation_source,
                    "amortisation_source",
                )?,
                "amortisation_years",
            )?,
            power_kw_max: power(self.power_kw_max, "power_kw_max")?,
            power_kw_load: power(self.power_kw_load, "power_kw_load")?,
            power_kw_idle: power(self.power_kw_idle, "power_kw_idle")?,
            pue: sourced(self.pue, "pue", &self.pue_source, "pue_source")?,
            electricity_usd_per_kwh: positive(
                sourced(
                    self.electricity_usd_per_kwh,
                    "electricity_usd_per_kwh",
                    &self.electricity_source,
                    "electricity_source",
                )?,
                "electricity_usd_per_kwh",
            )?,
            colocation_usd_per_kw_month: sourced(
                self.colocation_usd_per_kw_month,
                "colocation_usd_per_kw_month",
                &self.colocation_source,
                "colocation_source",
            )?,
        };
        let bad = |m: String| Err(CostError::Invalid(format!("owned plan {plan:?}: {m}")));
        if t.gpus_per_server == 0 {
            return bad("`gpus_per_server` must be at least 1".into());
        }
        if !(1.0..=3.0).contains(&t.pue) {
            return bad(format!("`pue` must be between 1 and 3, got {}", t.pue));
        }
        if !(t.colocation_usd_per_kw_month.is_finite() && t.colocation_usd_per_kw_month >= 0.0) {
            return bad("`colocation_usd_per_kw_month` must be a non-negative number".into());
        }
        if !(t.power_kw_idle <= t.power_kw_load && t.power_kw_load <= t.power_kw_max) {
            return bad(format!(
                "power must satisfy idle ≤ load ≤ max, got {} ≤ {} ≤ {} kW",
                t.power_kw_idle, t.power_kw_load, t.power_kw_max
            ));
        }
        Ok(t)
    }
}

impl OwnedTerms {
    /// Amortisation and colocation of one server for a month, USD: what it costs whether used or not.
    pub fn fixed_per_server_month(&self) -> f64 {
        self.server_usd / (self.amortisation_years * 12.0)
            + self.colocation_usd_per_kw_month * self.power_kw_max
    }

    /// Energy of one GPU-hour at `kw_per_server` of draw, USD, facility overhead included.
    fn energy_per_gpu_hour(&self, kw_per_server: f64) -> f64 {
        kw_per_server / self.gpus_per_server as f64 * self.pue * self.electricity_usd_per_kwh
    }

    /// What one GPU-hour costs when every GPU is busy all month: the plan's `usd_per_gpu_hour`, shown beside the
    /// rented prices. An owned fleet that idles costs more per busy hour.
    pub fn usd_per_gpu_hour_at_full_load(&self) -> f64 {
        self.fixed_per_server_month() / (self.gpus_per_server as f64 * HOURS_PER_MONTH)
            + self.energy_per_gpu_hour(self.power_kw_load)
    }

    /// The month of a fleet whose peak is `peak_gpus` and whose GPUs were busy for `busy_gpu_hours`: whole servers
    /// for the peak, owned all month; the busy hours drawn at load power and the rest at idle power.
    pub fn month(&self, peak_gpus: f64, busy_gpu_hours: f64) -> OwnedMonth {
        let per = self.gpus_per_server as f64;
        let servers = (peak_gpus / per - 1e-9).ceil().max(0.0) as u32;
        let gpu_hours = servers as f64 * per * HOURS_PER_MONTH;
        let busy = busy_gpu_hours.clamp(0.0, gpu_hours);
        let idle_hours = gpu_hours - busy;
        let amortisation = servers as f64 * self.server_usd / (self.amortisation_years * 12.0);
        let colocation = servers as f64 * self.colocation_usd_per_kw_month * self.power_kw_max;
        let idle_power = idle_hours * self.energy_per_gpu_hour(self.power_kw_idle);
        let power = busy * self.energy_per_gpu_hour(self.power_kw_load) + idle_power;
        let idle_share = if gpu_hours > 0.0 {
            idle_hours / gpu_hours
        } else {
            0.0
        };
        OwnedMonth {
            servers,
            amortisation,
            power,
            colocation,
            idle: (amortisation + colocation) * idle_share + idle_power,
            gpu_hours,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::bill::{bill, EgressModel, Segment, Usage};
    use crate::Catalog;

    /// The shipped owned plan's month, against the sourced figures worked by hand (docs/sources/procurement.md §3):
    /// $270,000 over 5 years is $4,500 a server-month; 10.2 kW reserved at $184.06/kW-month is $1,877.412; busy
    /// GPU-hours draw 7.65 kW / 8 each and idle ones 0.536 kW / 8, times PUE 1.58 at $0.0806/kWh.
    #[test]
    fn the_owned_h100_month_matches_a_hand_computation() {
        let c = Catalog::embedded();
        let plan = c.plan("owned-dgx-h100-us").unwrap();
        // 12 GPUs at the peak buy two servers (16 GPUs); 5,000 busy GPU-hours of 11,680 owned.
        let usage = Usage {
            segments: vec![
                Segment {
                    hours: 365.0,
                    gpus: 12.0,
                    busy_gpus: 10.0,
                },
                Segment {
                    hours: 365.0,
                    gpus: 12.0,
                    busy_gpus: 5000.0 / 365.0 - 10.0,
                },
            ],
            commit_gpus: None,
            requests: 1e6,
            output_tokens: 1e8,
            inter_region_gb: 0.0,
            api_usd: 0.0,
        };
        let b = bill(plan, &c, &usage, &EgressModel::default()).unwrap();
        let amortisation = 2.0 * 270_000.0 / 60.0;
        let colocation = 2.0 * 184.06 * 10.2;
        let kwh = (5000.0 * 7.65 / 8.0 + 6680.0 * 0.536 / 8.0) * 1.58;
        let power = kwh * 0.0806;
        let close = |a: f64, b: f64| (a - b).abs() < 0.01;
        assert!(
            close(b.amortisation_usd.unwrap().dollars(), amortisation),
            "{b:?}"
        );
        assert!(
            close(b.colocation_usd.unwrap().dollars(), colocation),
            "{b:?}"
        );
        assert!(close(b.power_usd.unwrap().dollars(), power), "{b:?}");
        assert!(close(b.gpu_hours, 16.0 * 730.0) && b.committed_gpus == Some(16.0));
        // The lines add up exactly, and the bill's total is the GPU line plus (free) egress.
        assert_eq!(
            b.amortisation_usd.unwrap() + b.power_usd.unwrap() + b.colocation_usd.unwrap(),
            b.gpu_usd
        );
        assert_eq!(
            b.gpu_usd + b.egress_usd + b.transfer_usd + b.api_usd,
            b.total_usd_per_month
        );
        // Idle: 6,680 of 11,680 GPU-hours' share of the fixed cost, plus their power.
        let idle =
            (amortisation + colocation) * 6680.0 / 11680.0 + 6680.0 * 0.536 / 8.0 * 1.58 * 0.0806;
        assert!(
            close(b.idle_usd.dollars(), idle),
            "{} vs {idle}",
            b.idle_usd
        );
        // The plan's hourly price: a fully busy GPU.
        let hourly = (4500.0 + 1877.412) / (8.0 * 730.0) + 7.65 / 8.0 * 1.58 * 0.0806;
        assert!(
            (plan.usd_per_gpu_hour - hourly).abs() < 1e-9,
            "{}",
            plan.usd_per_gpu_hour
        );
    }

    #[test]
    fn owned_capacity_is_whole_servers() {
        let c = Catalog::embedded();
        let plan = c.plan("owned-dgx-h100-us").unwrap();
        let t = plan.owned_terms().unwrap();
        assert_eq!(t.month(1.0, 0.0).servers, 1);
        assert_eq!(t.month(8.0, 0.0).servers, 1);
        assert_eq!(t.month(9.0, 0.0).servers, 2);
        // One idle GPU still pays for a whole server: amortisation and colocation, idle power only.
        let one = bill(
            plan,
            &c,
            &Usage::constant(1.0, 730.0, 0.0).unwrap(),
            &EgressModel::default(),
        )
        .unwrap();
        assert_eq!(one.idle_usd, one.gpu_usd);
        assert!(one.gpu_usd.dollars() > 6000.0);
    }

    #[test]
    fn a_missing_owned_figure_names_the_field_and_the_plan() {
        let text = Catalog::embedded().to_toml();
        let owned_plan_only = |drop: &str| {
            let start = text.find("name = \"owned-dgx-h100-us\"").unwrap();
            let entry_start = text[..start].rfind("[[plan]]").unwrap();
            let end = text[start..]
                .find("[[plan]]")
                .map_or(text.len(), |e| start + e);
            let entry = &text[entry_start..end];
            let kept: String = entry
                .lines()
                .filter(|l| !l.starts_with(&format!("{drop} =")))
                .map(|l| format!("{l}\n"))
                .collect();
            let e = Catalog::parse(&kept, "mine.toml").unwrap_err().to_string();
            assert!(
                e.starts_with("mine.toml:")
                    && e.contains("owned-dgx-h100-us")
                    && e.contains(&format!("`{drop}`")),
                "{drop}: {e}"
            );
        };
        for field in [
            "server_usd",
            "pue",
            "power_kw_idle",
            "colocation_usd_per_kw_month",
            "pue_source",
        ] {
            owned_plan_only(field);
        }
        let e = Catalog::parse(
            &text.replace("commitment = \"owned\"", "commitment = \"spot\""),
            "mine.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("commitment = \\\"owned\\\"") || e.contains("set commitment"),
            "{e}"
        );
    }
}
