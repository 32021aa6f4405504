//! The cheapest mix of committed, spot and on-demand capacity at a point, and the sentence that says what it
//! buys and why.

use infercost_core::fmt::{count, usd};
use infercost_plan::result::{Point, PointBill, Policy};

/// The cheapest lawful mix priced at a point, if any plan anchors one.
pub(crate) fn cheapest_mix(p: &Point) -> Option<&PointBill> {
    p.bills
        .iter()
        .filter(|b| b.lawful && b.policy == Policy::Mix && b.day.is_some())
        .min_by_key(|b| b.bill.total_usd_per_month)
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
    let tp = p.tp.max(1) as f64;
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
    let proc = m.bill.procurement.as_ref();
    let mut parts = Vec::new();
    if committed > 0.0 {
        parts.push(format!(
            "commit {} GPUs {}{}",
            count(committed.round() as u64),
            term(&m.bill.commitment),
            plan(proc.and_then(|x| x.committed_plan.as_ref()))
        ));
    } else {
        parts.push("commit nothing".into());
    }
    if spot > 0.0 {
        parts.push(format!(
            "spot up to {} GPUs{}",
            count(spot.round() as u64),
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

/// The terminal's line for a point's mix: what it buys, why, and how it compares with the headline.
pub(crate) fn sentence(p: &Point) -> Option<String> {
    let m = cheapest_mix(p)?;
    let why = m
        .bill
        .procurement
        .as_ref()
        .and_then(|x| x.reason.clone())
        .unwrap_or_default();
    let total = m.bill.total_usd_per_month.dollars();
    let headline = p.cheapest_usd_per_month.unwrap_or(total);
    let vs = if total <= headline + 0.005 {
        "the headline".to_string()
    } else {
        format!(
            "{} more than the headline on {}",
            usd(total - headline),
            p.cheapest_plan.as_deref().unwrap_or("-")
        )
    };
    let idle = m.day.as_ref().map_or(0.0, |d| d.idle_fraction);
    Some(format!(
        "{}: {}/month, {:.0}% idle ({vs}) — {why}",
        what(p, m),
        usd(total),
        idle * 100.0
    ))
}
