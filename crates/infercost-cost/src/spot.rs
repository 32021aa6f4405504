//! Spot interruption rates: the share of spot capacity a provider reclaims in a month, from the bands of
//! `data/procurement.toml` (AWS Spot Instance Advisor), turned into a rate per replica-hour.
//!
//! The advisor's band is "the rate at which Spot has reclaimed capacity during the trailing month". A replica
//! that is reclaimed with probability `share` over the 730 hours of a month, at a constant hazard, is reclaimed
//! at `-ln(1 - share) / 730` per hour. The upper edge of the band is used: a plan should hold when the month is
//! as bad as the band allows.

use infercost_core::units::HOURS_PER_MONTH;
use serde::Deserialize;
use std::sync::OnceLock;

const EMBEDDED: &str = include_str!("../../../data/procurement.toml");

/// A spot plan's interruption rate and where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct SpotRate {
    /// Share of spot capacity reclaimed in a month (0–1).
    pub share_per_month: f64,
    /// The same as a rate per replica-hour.
    pub per_replica_hour: f64,
    /// The band's source, and how it was chosen for this plan.
    pub source: String,
    /// Its date.
    pub as_of: String,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    spot_interruption: Vec<Band>,
}

#[derive(Deserialize, Clone)]
struct Band {
    provider: String,
    gpu: String,
    band_high: f64,
    per: String,
    source: String,
    as_of: String,
}

fn bands() -> &'static [Band] {
    static BANDS: OnceLock<Vec<Band>> = OnceLock::new();
    BANDS.get_or_init(|| {
        // The embedded file is checked by this module's tests; a parse failure leaves no bands, and every plan
        // then takes the fallback rate, which says so in its source.
        toml::from_str::<File>(EMBEDDED)
            .map(|f| {
                f.spot_interruption
                    .into_iter()
                    .filter(|b| b.per == "month")
                    .collect()
            })
            .unwrap_or_default()
    })
}

/// The upper edge of AWS's highest band but one: used where nothing is published for a GPU at all.
const FALLBACK_SHARE: f64 = 0.20;

/// The interruption rate of a spot plan on `provider`'s `gpu`: the newest band published for that provider and
/// GPU; else the newest for the GPU at any provider (a proxy, said in the source); else 20% a month.
pub fn rate_for(provider: &str, gpu: &str) -> SpotRate {
    let newest = |f: &dyn Fn(&Band) -> bool| {
        bands()
            .iter()
            .filter(|b| f(b))
            .max_by(|a, b| a.as_of.cmp(&b.as_of))
            .cloned()
    };
    let (share, source, as_of) = if let Some(b) =
        newest(&|b| b.provider == provider && b.gpu == gpu)
    {
        (
            b.band_high / 100.0,
            format!("{} (upper edge of the {}% band)", b.source, b.band_high),
            b.as_of,
        )
    } else if let Some(b) = newest(&|b| b.gpu == gpu) {
        (
            b.band_high / 100.0,
            format!(
                "{provider} publishes no rate; {}'s band for this GPU as a proxy: {}",
                b.provider, b.source
            ),
            b.as_of,
        )
    } else {
        (
            FALLBACK_SHARE,
            format!("no rate published for {gpu} on {provider}; AWS's 15-20% band's upper edge assumed (data/procurement.toml spot_band_definition)"),
            "2024-03-07".to_string(),
        )
    };
    SpotRate {
        share_per_month: share,
        per_replica_hour: -(1.0 - share.min(0.999)).ln() / HOURS_PER_MONTH,
        source,
        as_of,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_bands_parse_and_aws_h100_takes_its_newest_band() {
        assert!(bands().len() >= 5);
        let r = rate_for("aws", "h100-sxm");
        // The 2026-02-24 reading is 15–20% a month.
        assert_eq!(r.as_of, "2026-02-24");
        assert!((r.share_per_month - 0.20).abs() < 1e-12);
        // 20% of replicas reclaimed in 730 hours: about one in 3,300 each hour.
        assert!(
            (r.per_replica_hour - 0.2231 / 730.0).abs() < 1e-6,
            "{}",
            r.per_replica_hour
        );
    }

    #[test]
    fn providers_without_a_band_borrow_one_and_say_so() {
        let r = rate_for("gcp", "h100-sxm");
        assert!(
            r.source.starts_with("gcp publishes no rate; aws's band"),
            "{}",
            r.source
        );
        let none = rate_for("vast", "l40s");
        assert!((none.share_per_month - FALLBACK_SHARE).abs() < 1e-12);
        assert!(none.source.contains("no rate published"));
    }
}
