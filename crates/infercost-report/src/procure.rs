//! The cheapest mix of committed, spot and on-demand capacity at a point, and the sentence that says what it
//! buys and why.

use infercost_core::fmt::{count, usd};
use infercost_plan::result::{Point, PointBill, Policy};

/// The cheapest mix priced at a point, lawful ones first (with geography a mix in one jurisdiction may not
/// serve every user group, and is still the mix its provider would sell).
pub(crate) fn cheapest_mix(p: &Point) -> Option<&PointBill> {
    p.bills
        .iter()
        .filter(|b| b.policy == Policy::Mix && b.day.is_some())
        .min_by_key(|b| (!b.lawful, b.bill.total_usd_per_month))
}

/// A term's length in words: "for 3 years", "on bare metal".
fn term(commitment: &str) -> &'static str {
    match commitment {
        "committed-1y" => "for 1 year",
        "committed-3y" => "for 3 years",
        "reserved" => "on a reserved cluster",
        "bare-metal" => "on bare metal",
        _ => "",
    }
}

/// What the mix buys, in GPUs: committed, the peak with on-demand bursts, spot at its most.
pub(crate) fn what(p: &Point, m: &PointBill) -> String {
    let Some(day) = &m.day else {
        return String::new();
    };
    let tp = (p.tp * p.pp).max(1) as f64;
    let peak = |f: &dyn Fn(&infercost_plan::result::DayHour) -> f64| {
        day.hourly.iter().map(f).fold(0.0, f64::max) * tp
    };
    let committed = m
        .bill
        .procurement
        .as_ref()
        .map_or(0.0, |x| x.committed_gpus);
    let od = peak(&|h| h.on_demand_replicas);
    let spot = peak(&|h| h.spot_replicas);
    let plan = |name: Option<&String>| name.map_or(String::new(), |n| format!(" ({n})"));
    let gpus = |n: f64| {
        let n = n.round() as u64;
        format!("{} GPU{}", count(n), if n == 1 { "" } else { "s" })
    };
    let proc = m.bill.procurement.as_ref();
    let mut parts = Vec::new();
    if committed > 0.0 {
        parts.push(format!(
            "commit {} {}{}",
            gpus(committed),
            term(&m.bill.commitment),
            plan(proc.and_then(|x| x.committed_plan.as_ref()))
        ));
    } else {
        parts.push("commit nothing".into());
    }
    if spot > 0.0 {
        parts.push(format!(
            "spot up to {}{}",
            gpus(spot),
            plan(proc.and_then(|x| x.spot_plan.as_ref()))
        ));
    }
    if od > 0.0 {
        let top = peak(&|h| h.committed_replicas + h.spot_replicas + h.on_demand_replicas);
        parts.push(format!(
            "burst to {} on demand ({})",
            count(top.round() as u64),
            m.bill.plan
        ));
    } else {
        parts.push("no on-demand".into());
    }
    if spot <= 0.0 {
        parts.push("no spot".into());
    }
    parts.join(", ")
}

/// The terminal's lines for a point: what its chosen serving buys, and the cheapest mix with why.
pub(crate) fn sentences(p: &Point) -> Vec<String> {
    let mut out: Vec<String> = p
        .serving
        .iter()
        .map(|f| {
            let who = if f.users.is_empty() {
                "everyone".to_string()
            } else {
                format!("{} users in {}", f.users.join(", "), f.served_in)
            };
            let idle = f.day.as_ref().map_or(String::new(), |d| {
                format!(", {:.0}% idle over the day", d.idle_fraction * 100.0)
            });
            format!("{who}: {} on {}{idle}", f.policy, f.plan)
        })
        .collect();
    if let Some(m) = cheapest_mix(p) {
        let why = m
            .bill
            .procurement
            .as_ref()
            .and_then(|x| x.reason.clone())
            .unwrap_or_default();
        let total = m.bill.total_usd_per_month.dollars();
        let headline = p.cheapest_usd_per_month.unwrap_or(total);
        let vs = if (total - headline).abs() < 0.005 {
            "the headline".to_string()
        } else if total < headline {
            format!("{} below the headline", usd(headline - total))
        } else {
            format!("{} above the headline", usd(total - headline))
        };
        // A mix is bought in one region: with residency rules it may not serve every group lawfully, and then
        // it is no answer (the headline is the lawful placement above), only what one region would cost.
        if m.lawful {
            out.push(format!(
                "best mix ({} {}): {}: {}/month ({vs}); {why}",
                m.bill.provider,
                m.bill.region,
                what(p, m),
                usd(total),
            ));
        } else {
            out.push(format!(
                "no mix of committed, spot and on-demand capacity in one region serves every group lawfully (the cheapest, {} {}, would cost {}/month)",
                m.bill.provider,
                m.bill.region,
                usd(total),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::small;
    use infercost_cost::Procurement;
    use infercost_plan::result::{BillDay, DayHour};

    /// A day of 16 committed replicas with on-demand bursts of up to 6 in the afternoon.
    fn day() -> BillDay {
        let hourly = (0..24)
            .map(|h| {
                let od = if (12..18).contains(&h) {
                    (h - 11) as f64
                } else {
                    0.0
                };
                DayHour {
                    hour: h,
                    load_rps: 10.0,
                    replicas_mean: 16.0 + od,
                    busy_fraction: 0.8,
                    slo_attainment: 1.0,
                    ttft_p99_ms: None,
                    committed_replicas: 16.0,
                    spot_replicas: 0.0,
                    on_demand_replicas: od,
                }
            })
            .collect();
        BillDay {
            model: "fluid".into(),
            gpu_hours: 400.0,
            busy_gpu_hours: 320.0,
            idle_fraction: 0.2,
            slo_attainment: 0.995,
            scale_ups: 6,
            scale_downs: 6,
            headroom_replicas: 0,
            autoscale_target: Some(0.8),
            hourly,
        }
    }

    #[test]
    fn the_summary_says_what_the_mix_commits_bursts_and_why() {
        let r = small();
        let mut p = r
            .points
            .iter()
            .find(|p| !p.bills.is_empty())
            .unwrap()
            .clone();
        p.tp = 1;
        let mut m = p.bills[0].clone();
        m.policy = Policy::Mix;
        m.lawful = true;
        m.bill.plan = "aws-h100-on-demand".into();
        m.bill.provider = "aws".into();
        m.bill.region = "us-east-1".into();
        m.bill.commitment = "committed-3y".into();
        m.bill.procurement = Some(Procurement {
            committed_gpus: 16.0,
            on_demand_gpu_hours: 21.0 * 730.0 / 24.0,
            spot_gpu_hours: 0.0,
            spot_interruptions_per_month: 0.0,
            committed_plan: Some("aws-h100-committed-3y".into()),
            spot_plan: None,
            reason: Some("no spot: it would cost $10 more a month".into()),
            options: Vec::new(),
        });
        m.day = Some(day());
        assert!(sentences(&p).iter().all(|l| !l.starts_with("best mix")));
        p.bills.push(m);
        let lines = sentences(&p);
        let last = lines.last().unwrap();
        assert!(last.starts_with("best mix (aws us-east-1"), "{last}");
        assert!(
            last.contains("commit 16 GPUs for 3 years (aws-h100-committed-3y), burst to 22 on demand (aws-h100-on-demand), no spot"),
            "{last}"
        );
        assert!(
            last.ends_with("no spot: it would cost $10 more a month"),
            "{last}"
        );
        // A mix one region sells that some group may not use is no answer: the sentence says so.
        let mut unlawful = p.clone();
        if let Some(b) = unlawful.bills.last_mut() {
            b.lawful = false;
        }
        let lines = sentences(&unlawful);
        let last = lines.last().unwrap();
        assert!(
            last.starts_with("no mix of committed, spot and on-demand capacity in one region serves every group lawfully (the cheapest, aws us-east-1, would cost $"),
            "{last}"
        );
    }
}
