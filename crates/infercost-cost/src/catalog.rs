//! The price catalog: plans (GPU-hour prices with billing rules), egress tables and per-token API prices, each with
//! its source and date. The embedded catalog is `data/prices.toml`; users add their own files on top.

use crate::owned::{Owned, OwnedTerms};
use crate::CostError;
use serde::{Deserialize, Serialize};

/// How a plan commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Commitment {
    /// Pay per provisioned second.
    OnDemand,
    /// Pay per provisioned second at a discount, with interruptions.
    Spot,
    /// One-year commitment billed every hour of the month.
    #[serde(rename = "committed-1y")]
    Committed1y,
    /// Three-year commitment billed every hour of the month.
    #[serde(rename = "committed-3y")]
    Committed3y,
    /// A dedicated reserved cluster billed every hour of the month.
    Reserved,
    /// Bare metal rented by the month.
    BareMetal,
    /// Servers bought outright: amortised purchase, power and colocation (`[plan.owned]`), whole servers all
    /// month whatever the use.
    Owned,
}

impl Commitment {
    /// Whether the plan bills the whole term whatever the use.
    pub fn is_term(self) -> bool {
        !matches!(self, Commitment::OnDemand | Commitment::Spot)
    }
    /// The name used in files.
    pub fn name(self) -> &'static str {
        match self {
            Commitment::OnDemand => "on-demand",
            Commitment::Spot => "spot",
            Commitment::Committed1y => "committed-1y",
            Commitment::Committed3y => "committed-3y",
            Commitment::Reserved => "reserved",
            Commitment::BareMetal => "bare-metal",
            Commitment::Owned => "owned",
        }
    }
}

/// A GPU-hour price with its billing rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// The name `--plan` takes.
    pub name: String,
    /// Provider.
    pub provider: String,
    /// GPU catalog name (`h100-sxm`).
    pub gpu: String,
    /// Provider region.
    pub region: String,
    /// Jurisdiction for residency rules: a country code (`us`, `uk`, `jp`, …), `eu` for the EU and EEA, or a wider
    /// name such as `asia` where the host country is not known.
    pub geo: String,
    /// Commitment kind.
    pub commitment: Commitment,
    /// Price per GPU-hour. An owned plan may leave it out: it is then the hourly cost of a fully busy GPU from
    /// its `[plan.owned]` figures.
    #[serde(default = "price_not_given")]
    pub usd_per_gpu_hour: f64,
    /// Billing granularity, seconds.
    pub billing_granularity_s: u64,
    /// Minimum billed time per instance, seconds.
    pub billing_minimum_s: u64,
    /// Time for new capacity to arrive, seconds.
    pub lead_time_s: u64,
    /// Extra GPU time to cover interruptions (spot), as a fraction.
    #[serde(default)]
    pub interruption_overhead: f64,
    /// On-demand plan that bills capacity above a commitment.
    #[serde(default)]
    pub burst_plan: Option<String>,
    /// Egress table (`provider` of an `[[egress]]` entry).
    pub egress: String,
    /// Where the price comes from.
    pub source: String,
    /// When it was published or read.
    pub as_of: String,
    /// Purchase, power and colocation figures of an owned plan (`commitment = "owned"`), each with its source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned: Option<Owned>,
}

/// A missing `usd_per_gpu_hour` reads as NaN, which only an owned plan may leave so (the check fills it in).
fn price_not_given() -> f64 {
    f64::NAN
}

impl Plan {
    /// The checked figures of an owned plan; an error for any other plan or a missing figure.
    pub fn owned_terms(&self) -> Result<OwnedTerms, CostError> {
        match (&self.owned, self.commitment) {
            (Some(o), Commitment::Owned) => o.terms(&self.name),
            _ => Err(CostError::Invalid(format!(
                "plan {:?} is not an owned plan with a [plan.owned] table",
                self.name
            ))),
        }
    }
}

/// One egress tier: GB up to a monthly cumulative amount at a price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// Cumulative GB per month this tier ends at; the last tier has none.
    #[serde(default)]
    pub up_to_gb: Option<f64>,
    /// Price per GB.
    pub usd_per_gb: f64,
}

/// Internet egress and inter-region transfer prices of a provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EgressTable {
    /// Provider key plans refer to.
    pub provider: String,
    /// Inter-region transfer per GB.
    pub inter_region_usd_per_gb: f64,
    /// Internet egress tiers.
    pub tiers: Vec<Tier>,
    /// Source.
    pub source: String,
    /// Date.
    pub as_of: String,
}

impl EgressTable {
    /// Price of `gb` GB in one month, through the tiers.
    pub fn internet_usd(&self, gb: f64) -> f64 {
        let mut left = gb.max(0.0);
        let mut from = 0.0;
        let mut usd = 0.0;
        for t in &self.tiers {
            let cap = t.up_to_gb.map_or(f64::INFINITY, |u| u - from);
            let take = left.min(cap.max(0.0));
            usd += take * t.usd_per_gb;
            left -= take;
            from = t.up_to_gb.unwrap_or(f64::INFINITY);
            if left <= 0.0 {
                break;
            }
        }
        usd
    }
}

/// A per-token API price for a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiPrice {
    /// Name of this offer.
    pub name: String,
    /// Model catalog name it serves.
    pub model: String,
    /// USD per million input tokens.
    pub usd_per_million_input: f64,
    /// USD per million output tokens.
    pub usd_per_million_output: f64,
    /// Source.
    pub source: String,
    /// Date.
    pub as_of: String,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default)]
    plan: Vec<Plan>,
    #[serde(default)]
    egress: Vec<EgressTable>,
    #[serde(default)]
    api: Vec<ApiPrice>,
}

/// Plans, egress tables and API prices. Serialisable so that a shard of a sweep carries the prices it was planned
/// with and `merge` finishes the analysis at the same prices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// GPU-hour plans.
    pub plans: Vec<Plan>,
    /// Egress tables by provider.
    pub egress: Vec<EgressTable>,
    /// Per-token API prices.
    pub apis: Vec<ApiPrice>,
}

const EMBEDDED: &str = include_str!("../../../data/prices.toml");

/// The most a GPU-hour may cost in a catalog: a thousand times today's dearest cloud price. Anything above is a
/// unit error (cents, a monthly price) and would overflow a bill's micro-dollars at scale.
pub const MAX_USD_PER_GPU_HOUR: f64 = 10_000.0;

fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}

/// The 1-based lines of a catalog file's text where an entry named `name` is defined (`name = "…"`).
pub fn name_lines(text: &str, name: &str) -> Vec<usize> {
    let quoted = format!("\"{name}\"");
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            l.trim_start()
                .strip_prefix("name")
                .and_then(|rest| rest.trim_start().strip_prefix('='))
                .is_some_and(|v| v.trim() == quoted)
        })
        .map(|(i, _)| i + 1)
        .collect()
}

impl Catalog {
    /// The catalog shipped in `data/prices.toml`.
    pub fn embedded() -> Catalog {
        // Tested at build time; a failure is a defect of the shipped file, not user input.
        Catalog::parse(EMBEDDED, "data/prices.toml").expect("embedded data/prices.toml is valid")
    }

    /// Parses and validates a catalog file's text.
    pub fn parse(text: &str, file: &str) -> Result<Catalog, CostError> {
        let mut f: CatalogFile = toml::from_str(text).map_err(|e| toml_error(text, file, &e))?;
        let err = |needle: &str, message: String| CostError::Catalog {
            file: file.to_string(),
            line: line_of(text, needle),
            message,
        };
        check_plans(&mut f.plan, text, file, &err)?;
        for e in &f.egress {
            let at = format!("\"{}\"", e.provider);
            if e.tiers.is_empty()
                || e.tiers.iter().any(|t| !(t.usd_per_gb >= 0.0))
                || e.inter_region_usd_per_gb < 0.0
            {
                return Err(err(
                    &at,
                    format!(
                        "egress {:?}: tiers must be non-empty with non-negative prices",
                        e.provider
                    ),
                ));
            }
        }
        for a in &f.api {
            if a.usd_per_million_input < 0.0 || a.usd_per_million_output < 0.0 {
                return Err(err(
                    &format!("\"{}\"", a.name),
                    format!("api {:?}: prices must be non-negative", a.name),
                ));
            }
        }
        Ok(Catalog {
            plans: f.plan,
            egress: f.egress,
            apis: f.api,
        })
    }

    /// Adds another catalog: entries with a name already present replace it (a user's negotiated price).
    pub fn extend(&mut self, other: Catalog) {
        for p in other.plans {
            match self.plans.iter_mut().find(|x| x.name == p.name) {
                Some(x) => *x = p,
                None => self.plans.push(p),
            }
        }
        for e in other.egress {
            match self.egress.iter_mut().find(|x| x.provider == e.provider) {
                Some(x) => *x = e,
                None => self.egress.push(e),
            }
        }
        for a in other.apis {
            match self.apis.iter_mut().find(|x| x.name == a.name) {
                Some(x) => *x = a,
                None => self.apis.push(a),
            }
        }
    }

    /// Checks cross-references: burst plans and egress tables must exist.
    pub fn check_references(&self, file: &str) -> Result<(), CostError> {
        for p in &self.plans {
            if !self.egress.iter().any(|e| e.provider == p.egress) {
                return Err(CostError::Catalog {
                    file: file.into(),
                    line: None,
                    message: format!(
                        "plan {:?} names egress table {:?}, which no [[egress]] entry defines",
                        p.name, p.egress
                    ),
                });
            }
            if let Some(b) = &p.burst_plan {
                if !self
                    .plans
                    .iter()
                    .any(|x| &x.name == b && !x.commitment.is_term())
                {
                    return Err(CostError::Catalog { file: file.into(), line: None, message: format!("plan {:?} bursts to {b:?}, which is not an on-demand or spot plan here", p.name) });
                }
            }
        }
        Ok(())
    }

    /// A plan by name; unknown names list the known ones.
    pub fn plan(&self, name: &str) -> Result<&Plan, CostError> {
        self.plans
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| CostError::UnknownPlan {
                name: name.to_string(),
                known: self
                    .plans
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The egress table of a plan (a free one when missing, which `check_references` rules out).
    pub fn egress_of(&self, plan: &Plan) -> EgressTable {
        self.egress
            .iter()
            .find(|e| e.provider == plan.egress)
            .cloned()
            .unwrap_or(EgressTable {
                provider: plan.egress.clone(),
                inter_region_usd_per_gb: 0.0,
                tiers: vec![Tier {
                    up_to_gb: None,
                    usd_per_gb: 0.0,
                }],
                source: "missing".into(),
                as_of: String::new(),
            })
    }

    /// Plans filtered by GPU family or name (case-insensitive; `h100` matches `h100-sxm` and `h100-pcie`),
    /// provider and region.
    pub fn filter(
        &self,
        gpu: Option<&str>,
        provider: Option<&str>,
        region: Option<&str>,
    ) -> Vec<&Plan> {
        let lower = |s: &str| s.to_ascii_lowercase();
        self.plans
            .iter()
            .filter(|p| gpu.is_none_or(|g| lower(&p.gpu).starts_with(&lower(g))))
            .filter(|p| provider.is_none_or(|v| lower(&p.provider) == lower(v)))
            .filter(|p| region.is_none_or(|r| lower(&p.region) == lower(r)))
            .collect()
    }

    /// Serialises as a catalog file.
    pub fn to_toml(&self) -> String {
        let f = CatalogFile {
            plan: self.plans.clone(),
            egress: self.egress.clone(),
            api: self.apis.clone(),
        };
        toml::to_string_pretty(&f).unwrap_or_default()
    }

    /// The cheapest API offer for a model.
    pub fn cheapest_api(&self, model: &str, input_share: f64) -> Option<&ApiPrice> {
        let blended = |a: &ApiPrice| {
            a.usd_per_million_input * input_share + a.usd_per_million_output * (1.0 - input_share)
        };
        self.apis
            .iter()
            .filter(|a| a.model == model)
            .min_by(|a, b| blended(a).total_cmp(&blended(b)))
    }
}

/// Checks a plan given outside a catalog file (a scenario's `[[price]]`) as a catalog checks its own: an owned plan's
/// figures (and its `usd_per_gpu_hour` filled in from them), any other plan's price present.
pub fn settle_price(p: &mut Plan) -> Result<(), CostError> {
    check_owned(p, &CostError::Invalid)
}

/// An owned plan has its `[plan.owned]` figures, and its `usd_per_gpu_hour` follows from them (filled in when left
/// out, refused when it disagrees); any other plan has a price and no `[plan.owned]` table.
fn check_owned(p: &mut Plan, err: &dyn Fn(String) -> CostError) -> Result<(), CostError> {
    let name = &p.name;
    match (p.commitment, &p.owned) {
        (Commitment::Owned, None) => Err(err(format!(
            "owned plan {name:?} needs a [plan.owned] table (server_usd, gpus_per_server, amortisation_years, \
             power_kw_max, power_kw_load, power_kw_idle, pue, electricity_usd_per_kwh, colocation_usd_per_kw_month, \
             each with its _source)"
        ))),
        (Commitment::Owned, Some(o)) => {
            let hourly = o
                .terms(name)
                .map_err(|e| err(e.to_string()))?
                .usd_per_gpu_hour_at_full_load();
            if p.usd_per_gpu_hour.is_nan() {
                p.usd_per_gpu_hour = hourly;
            } else if (p.usd_per_gpu_hour - hourly).abs() > 0.005 * hourly {
                return Err(err(format!(
                    "owned plan {name:?}: usd_per_gpu_hour {} disagrees with its [plan.owned] figures ({hourly:.4} at \
                     full load); leave it out",
                    p.usd_per_gpu_hour
                )));
            }
            Ok(())
        }
        (_, Some(_)) => Err(err(format!(
            "plan {name:?} has a [plan.owned] table but commitment {:?}; set commitment = \"owned\"",
            p.commitment.name()
        ))),
        (_, None) if p.usd_per_gpu_hour.is_nan() => {
            Err(err(format!("plan {name:?}: missing field `usd_per_gpu_hour`")))
        }
        _ => Ok(()),
    }
}

/// A TOML error at the line its span starts on.
fn toml_error(text: &str, file: &str, e: &toml::de::Error) -> CostError {
    // Counted on bytes: a span that is not on a character boundary must not panic.
    let line = e.span().map(|s| {
        1 + text.as_bytes()[..s.start.min(text.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    });
    CostError::Catalog {
        file: file.to_string(),
        line,
        message: e.message().to_string(),
    }
}

/// Each plan's name is unique and its price, source, date and interruption overhead make sense; `err` places a
/// message at the line of a needle.
fn check_plans(
    plans: &mut [Plan],
    text: &str,
    file: &str,
    err: &dyn Fn(&str, String) -> CostError,
) -> Result<(), CostError> {
    let mut seen = std::collections::BTreeSet::new();
    for p in plans.iter_mut() {
        if !seen.insert(p.name.clone()) {
            // Which of two prices would win is a guess; a bill must not rest on one.
            let lines = name_lines(text, &p.name);
            let at = |i: usize| lines.get(i).map_or("?".to_string(), |l| l.to_string());
            return Err(CostError::Catalog {
                file: file.to_string(),
                line: lines.get(1).copied(),
                message: format!(
                    "plan {:?} is defined twice (lines {} and {}); keep one",
                    p.name,
                    at(0),
                    at(1)
                ),
            });
        }
        let at = format!("\"{}\"", p.name);
        check_owned(p, &|m| err(&at, m))?;
        if !(p.usd_per_gpu_hour.is_finite() && p.usd_per_gpu_hour >= 0.0) {
            return Err(err(
                &at,
                format!(
                    "plan {:?}: usd_per_gpu_hour must be a non-negative number, got {}",
                    p.name, p.usd_per_gpu_hour
                ),
            ));
        }
        if p.usd_per_gpu_hour > MAX_USD_PER_GPU_HOUR {
            return Err(err(
                &at,
                format!(
                    "plan {:?}: usd_per_gpu_hour {} is above ${MAX_USD_PER_GPU_HOUR} per GPU-hour; is it in \
                     cents, or for a month?",
                    p.name, p.usd_per_gpu_hour
                ),
            ));
        }
        if p.source.trim().is_empty() || p.as_of.trim().is_empty() {
            return Err(err(
                &at,
                format!("plan {:?} needs a source and an as_of date", p.name),
            ));
        }
        if !(0.0..=10.0).contains(&p.interruption_overhead) {
            return Err(err(
                &at,
                format!(
                    "plan {:?}: interruption_overhead must be between 0 and 10",
                    p.name
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalog_is_valid_and_sourced() {
        let c = Catalog::embedded();
        c.check_references("data/prices.toml").unwrap();
        assert!(c.plans.len() >= 20);
        assert!(c
            .plans
            .iter()
            .all(|p| !p.source.is_empty() && !p.as_of.is_empty()));
        assert_eq!(c.plan("aws-h100-on-demand").unwrap().usd_per_gpu_hour, 6.88);
        assert_eq!(
            c.plan("azure-h100-on-demand").unwrap().usd_per_gpu_hour,
            12.29
        );
        assert_eq!(
            c.filter(Some("H100"), None, None).len(),
            c.plans.iter().filter(|p| p.gpu.starts_with("h100")).count()
        );
    }

    #[test]
    fn aws_egress_tiers() {
        let c = Catalog::embedded();
        let aws = c.egress.iter().find(|e| e.provider == "aws").unwrap();
        assert!((aws.internet_usd(100.0) - 9.0).abs() < 1e-9);
        // 10 TB at 0.09 plus 10 GB at 0.085.
        assert!((aws.internet_usd(10_250.0) - (10_240.0 * 0.09 + 10.0 * 0.085)).abs() < 1e-6);
    }

    #[test]
    fn bad_rows_name_file_and_line() {
        let text = "[[plan]]\nname = \"x\"\nprovider = \"p\"\ngpu = \"h100-sxm\"\nregion = \"r\"\ngeo = \"us\"\ncommitment = \"on-demand\"\nusd_per_gpu_hour = -1.0\nbilling_granularity_s = 1\nbilling_minimum_s = 1\nlead_time_s = 1\negress = \"none\"\nsource = \"s\"\nas_of = \"2026\"\n";
        let e = Catalog::parse(text, "my.toml").unwrap_err().to_string();
        assert!(
            e.starts_with("my.toml:2:") && e.contains("non-negative"),
            "{e}"
        );
        let e = Catalog::parse(&text.replace("-1.0", "1e308"), "my.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("my.toml:2:") && e.contains("cents"), "{e}");
        let e = Catalog::parse(&text.replace("source = \"s\"\n", ""), "my.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("missing field `source`") && e.starts_with("my.toml:1"),
            "{e}"
        );
        assert!(Catalog::embedded()
            .plan("nope")
            .unwrap_err()
            .to_string()
            .contains("aws-h100-on-demand"));
    }
    #[test]
    fn a_plan_defined_twice_names_both_lines() {
        let one = "[[plan]]\nname = \"x\"\nprovider = \"p\"\ngpu = \"h100-sxm\"\nregion = \"r\"\ngeo = \"us\"\ncommitment = \"on-demand\"\nusd_per_gpu_hour = 1.0\nbilling_granularity_s = 1\nbilling_minimum_s = 1\nlead_time_s = 1\negress = \"none\"\nsource = \"s\"\nas_of = \"2026-01-01\"\n";
        let text = format!("{one}\n{one}");
        let e = Catalog::parse(&text, "my.toml").unwrap_err().to_string();
        assert_eq!(
            e,
            "my.toml:17: plan \"x\" is defined twice (lines 2 and 17); keep one"
        );
    }
}
